"""Matrix and vector forms of loop statements, where they exist.

A statement whose right-hand side is a product of scalars, vectors and
matrices indexed by plain loop indices is read as an einsum and written with
the usual operations: elementwise product (∘), outer product (u v^T),
matrix-vector products (W u, W^T u), inner products (u^T v) and sums over an
axis.  Anything else (3-index tensors, shifted indices, several summed
indices) has no matrix form, and the answer says so.

A form is data: a small tree (`Mat`, `T`, `Had`, `Prod`, ...) that a printer turns
into text (`W.grad += z.grad_t x_t^T`) or LaTeX; nothing parses it back.
"""
from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from derive.core.program import Statement, format_expr, is_ref, reads, ref_indices, ref_name


class NoMatrixForm(Exception):
    pass


# --------------------------------------------------------------------------
# the tree of a matrix form
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class Mat:
    """A tensor as a matrix, vector or scalar; `sub`: the indices an enclosing block
    fixes (h[t - 1, i] is the vector h_{t-1})."""
    name: str
    sub: tuple = ()


@dataclass(frozen=True)
class Elem:
    """An elementwise function of same-indexed tensors: `expr` over placeholders."""
    expr: sp.Basic
    names: tuple                  # ((placeholder Symbol, Mat), ...)


@dataclass(frozen=True)
class Scalar:
    """A factor without tensors: a number or a symbol."""
    expr: sp.Basic


@dataclass(frozen=True)
class T:
    """The transpose."""
    x: object


@dataclass(frozen=True)
class Had:
    """The elementwise (Hadamard) product."""
    xs: tuple


@dataclass(frozen=True)
class Prod:
    """Factors side by side: scalars, then a matrix product."""
    xs: tuple


@dataclass(frozen=True)
class Ones:
    """The vector of ones (a sum over rows is X 1)."""


@dataclass(frozen=True)
class SumAll:
    """The sum of every entry."""
    x: object


@dataclass(frozen=True)
class Form:
    """`target op ± term ± term ...`."""
    target: Mat
    op: str
    terms: tuple                  # ((sign, node), ...)

    def text(self) -> str:
        return text_of(self)

    def __str__(self) -> str:
        return self.text()


# --------------------------------------------------------------------------
# the text printer
# --------------------------------------------------------------------------


def _sub_text(sub) -> str:
    parts = [format_expr(i) for i in sub]
    if not parts:
        return ""
    return f"_{{{', '.join(parts)}}}" if any(len(x) > 1 for x in parts) else f"_{''.join(parts)}"


def _paren(text: str) -> str:
    return f"({text})" if any(c in text for c in " +-") and not text.startswith("(") else text


def text_of(node) -> str:
    """The form in the plain notation derive prints (`h.grad_{t - 1} += U^T z.grad_t`)."""
    if isinstance(node, Form):
        rhs = " + ".join(("-" if sign < 0 else "") + text_of(t) for sign, t in node.terms)
        return f"{text_of(node.target)} {node.op} {rhs.replace('+ -', '- ')}"
    if isinstance(node, Mat):
        return node.name + _sub_text(node.sub)
    if isinstance(node, Elem):
        return _paren(format_expr(node.expr.xreplace(
            {s: sp.Symbol(text_of(m)) for s, m in node.names})))
    if isinstance(node, Scalar):
        return _paren(format_expr(node.expr))
    if isinstance(node, T):
        inner = text_of(node.x)
        return f"({inner})^T" if isinstance(node.x, (Had, Prod)) else f"{inner}^T"
    if isinstance(node, Had):
        return " ∘ ".join(text_of(x) for x in node.xs)
    if isinstance(node, Prod):
        out = []
        for k, x in enumerate(node.xs):
            t = format_expr(x.expr) if k == 0 and isinstance(x, Scalar) and x.expr.is_Number \
                else text_of(x)
            out.append(f"({t})" if isinstance(x, Had) and len(node.xs) > 1 else t)
        return " ".join(out)
    if isinstance(node, Ones):
        return "1"
    if isinstance(node, SumAll):
        return f"sum({text_of(node.x)})"
    raise TypeError(f"not a matrix form: {node!r}")


# --------------------------------------------------------------------------
# from a statement to its form
# --------------------------------------------------------------------------


def _mat(r, fixed) -> tuple[Mat, tuple]:
    """h[t-1, i] with t fixed by an enclosing block -> (Mat('h', (t - 1,)), (i,))."""
    kept, sub = [], []
    for i in ref_indices(r):
        if i.free_symbols and i.free_symbols <= fixed:
            sub.append(i)
        else:
            kept.append(i)
    return Mat(ref_name(r), tuple(sub)), tuple(kept)


def _factor(f, fixed) -> tuple[object, tuple]:
    """(node, index tuple) of one factor of the product (`fixed`: block indices)."""
    if is_ref(f):
        node, idx = _mat(f, fixed)
        if any(not i.is_Symbol for i in idx) or len(set(idx)) != len(idx):
            raise NoMatrixForm("shifted or repeated indices")
        if len(idx) > 2:
            raise NoMatrixForm(f"{ref_name(f)} has {len(idx)} indices")
        return node, idx
    rs = reads(f)
    if not rs:
        if f.free_symbols and any(s.is_integer and not s.is_positive for s in f.free_symbols):
            raise NoMatrixForm("an index used as a value")
        return Scalar(f), ()
    mats = {r: _mat(r, fixed) for r in rs}
    idx = max((ix for _, ix in mats.values()), key=len)
    if any(not i.is_Symbol for i in idx) or len(idx) > 2 or len(set(idx)) != len(idx):
        raise NoMatrixForm("shifted indices inside a function")
    # elementwise function of tensors with the same indices: drop the indices; a
    # scalar, or a vector along one axis of a matrix, is broadcast (u 1^T, 1 u^T)
    names = []
    for m, ix in mats.values():
        names.append((sp.Dummy(m.name), _broadcast(m, ix, idx)))
    return Elem(f.xreplace({r: s for r, (s, _) in zip(rs, names)}), tuple(names)), idx


def _broadcast(node, ix: tuple, full: tuple):
    """`node` (indexed by ix) as an operand of an elementwise operation over `full`:
    itself, or a vector along one axis of a matrix written u 1^T (rows) or 1 u^T."""
    if ix == full or not ix:
        return node
    if len(full) == 2 and len(ix) == 1 and ix[0] in full:
        return Prod((node, T(Ones()))) if ix[0] == full[0] else Prod((Ones(), T(node)))
    if len(full) == 2 and ix == full[::-1]:
        return T(node)
    raise NoMatrixForm("an elementwise function of differently indexed tensors")


def matrix_form(st: Statement, fixed=frozenset()) -> Form:
    """The statement in matrix/vector notation; raises NoMatrixForm when there is none.

    `fixed` are the loop indices of enclosing blocks (t): h[t, i] is the vector h_t."""
    fixed = set(fixed)
    if st.op in ("max=", "min="):
        raise NoMatrixForm(f"a {st.op[:-1]} over an index")
    target, out_idx = _mat(st.target, fixed)
    if any(not i.is_Symbol for i in out_idx) or len(out_idx) > 2:
        raise NoMatrixForm("the target has shifted indices or more than 2 indices")
    loop_vars = {lp.var for lp in st.loops}
    # the terms as written ((yhat - y) z^T), else expanded (a sum inside a factor)
    try:
        terms = sorted(st.rhs.as_ordered_terms(), key=lambda t: bool(
            t.as_coeff_Mul()[0].is_negative)) if st.rhs.is_Add else (st.rhs,)
        return Form(target, st.op, tuple(_product(t, out_idx, loop_vars, fixed)
                                         for t in terms))
    except NoMatrixForm:
        terms = sp.Add.make_args(sp.expand(st.rhs)) if st.rhs.is_Add else (st.rhs,)
    return Form(target, st.op, tuple(_product(t, out_idx, loop_vars, fixed) for t in terms))


def _product(term, out_idx, loop_vars, fixed) -> tuple[int, object]:
    coeff, rest = term.as_coeff_Mul()
    scalars, vecs = [], []
    for f in sp.Mul.make_args(rest):
        node, idx = _factor(f, fixed)
        (vecs if idx else scalars).append((node, idx))
    summed = (loop_vars - set(out_idx))
    for s in summed:
        if not any(s in idx for _, idx in vecs):
            raise NoMatrixForm("a sum over an index no factor has")
    contracted = _contract(vecs, tuple(out_idx), summed)
    sign = -1 if coeff == -1 else 1
    parts = ([] if coeff in (1, -1) else [Scalar(coeff)]) + [n for n, _ in scalars]
    if contracted is not None:
        parts.append(contracted)
    if not parts:
        return sign, Scalar(sp.S.One)
    return sign, parts[0] if len(parts) == 1 else Prod(tuple(parts))


def _contract(vecs, out_idx, summed):
    if not vecs:
        return None
    # elementwise product of factors with the same indices
    groups: dict = {}
    for node, idx in vecs:
        key = idx if idx in groups else (idx[::-1] if idx[::-1] in groups and len(idx) == 2
                                          else idx)
        groups.setdefault(key, []).append(node if key == idx else T(node))
    items = [(Had(tuple(ns)) if len(ns) > 1 else ns[0], idx) for idx, ns in groups.items()]
    items = _scale_rows(items, out_idx)
    if len(items) == 1:
        node, idx = items[0]
        if set(idx) - set(out_idx) - summed:
            raise NoMatrixForm("indices that are neither kept nor summed")
        if idx == out_idx:
            return node
        if len(idx) == 2 and idx[::-1] == out_idx:
            return T(node)
        if len(idx) == 1 and not out_idx and idx[0] in summed:
            return SumAll(node)
        if len(idx) == 2 and len(out_idx) == 1 and out_idx[0] in idx:
            # a sum over columns is X 1; over rows (a batch) 1^T X
            return Prod((node, Ones())) if idx[0] == out_idx[0] else Prod((T(Ones()), node))
        raise NoMatrixForm("an unsupported reduction")
    if len(items) == 2:
        (a, ia), (b, ib) = items
        # outer product u v^T
        if len(ia) == len(ib) == 1 and not summed and out_idx == ia + ib:
            return Prod((a, T(b)))
        if len(ia) == len(ib) == 1 and not summed and out_idx == ib + ia:
            return Prod((b, T(a)))
        # inner product u^T v
        if len(ia) == len(ib) == 1 and ia == ib and not out_idx and ia[0] in summed:
            return Prod((T(a), b))
        # matrix-vector
        for (m, im), (v, iv) in (((a, ia), (b, ib)), ((b, ib), (a, ia))):
            if len(im) == 2 and len(iv) == 1 and iv[0] in summed and len(out_idx) == 1:
                if im == (out_idx[0], iv[0]):
                    return Prod((m, v))
                if im == (iv[0], out_idx[0]):
                    return Prod((T(m), v))
        # matrix-matrix, either factor first: P^T O.grad, the batched outer product
        # z.grad^T x (a sum over the batch)
        if len(ia) == len(ib) == 2 and len(out_idx) == 2 and len(summed) == 1:
            (k,) = summed
            i, j = out_idx
            for (x, ix), (y, iy) in (((a, ia), (b, ib)), ((b, ib), (a, ia))):
                tx = x if ix == (i, k) else T(x) if ix == (k, i) else None
                ty = y if iy == (k, j) else T(y) if iy == (j, k) else None
                if tx is not None and ty is not None:
                    return Prod((tx, ty))
        # a matrix times a vector along its kept axis, both summed over the other:
        # sum_j A[b, j] u[b] over nothing but j is (A 1) ∘ u -- not a matrix product
        raise NoMatrixForm("a contraction of two tensors that is not a matrix product")
    raise NoMatrixForm("more than two tensor factors to contract")


def _scale_rows(items, out_idx):
    """A vector indexed by a kept index, multiplying a matrix that has that index,
    scales its rows or columns: s.grad[b, j] = e[b] p[b, j] is (e 1^T) ∘ p."""
    if len(items) < 2:
        return items
    mats = [k for k, (_, ix) in enumerate(items) if len(ix) == 2]
    out, merged = list(items), set()
    for k, (node, ix) in enumerate(items):
        if len(ix) != 1 or ix[0] not in out_idx:
            continue
        host = next((m for m in mats if ix[0] in items[m][1] and m not in merged), None)
        if host is None:
            continue
        hnode, hix = out[host]
        scaled = _broadcast(node, ix, hix)
        xs = (hnode.xs if isinstance(hnode, Had) else (hnode,)) + (scaled,)
        out[host] = (Had(xs), hix)
        merged.add(k)
    return [it for k, it in enumerate(out) if k not in merged]


def matrix_forms(program) -> list:
    """[(statement, Form or None, reason)] for each statement of a program."""
    out = []
    for st, outer in program.walk():
        try:
            out.append((st, matrix_form(st, {lp.var for lp in outer}), ""))
        except NoMatrixForm as e:
            out.append((st, None, str(e)))
    return out
