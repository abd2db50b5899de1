"""Matrix and vector forms of loop statements, where they exist.

A statement whose right-hand side is a product of scalars, vectors and
matrices indexed by plain loop indices is read as an einsum and written with
the usual operations: elementwise product (∘), outer product (u v^T),
matrix-vector products (W u, W^T u), inner products (u^T v) and sums over an
axis.  Anything else (3-index tensors, shifted indices, several summed
indices) has no matrix form, and the answer says so.
"""
from __future__ import annotations

import sympy as sp

from derive.core.program import Statement, format_expr, is_ref, reads, ref_indices, ref_name


class NoMatrixForm(Exception):
    pass


def _strip_fixed(r, fixed):
    """h[t-1, i] with t fixed by an enclosing block -> ('h_{t - 1}', (i,))."""
    idx = ref_indices(r)
    kept, sub = [], []
    for i in idx:
        if i.free_symbols and i.free_symbols <= fixed:
            sub.append(format_expr(i))
        else:
            kept.append(i)
    name = ref_name(r)
    if sub:
        name = f"{name}_{{{', '.join(sub)}}}" if any(len(x) > 1 for x in sub) \
            else f"{name}_{''.join(sub)}"
    return name, tuple(kept)


def _factor_text(f, fixed) -> tuple[str, tuple]:
    """(text, index tuple) of one factor of the product (`fixed`: block indices)."""
    if is_ref(f):
        name, idx = _strip_fixed(f, fixed)
        if any(not i.is_Symbol for i in idx) or len(set(idx)) != len(idx):
            raise NoMatrixForm("shifted or repeated indices")
        if len(idx) > 2:
            raise NoMatrixForm(f"{ref_name(f)} has {len(idx)} indices")
        return name, idx
    rs = reads(f)
    idx_sets = {_strip_fixed(r, fixed)[1] for r in rs}
    if not rs:
        if f.free_symbols and any(s.is_integer and not s.is_positive for s in f.free_symbols):
            raise NoMatrixForm("an index used as a value")
        return _paren(format_expr(f)), ()
    if len(idx_sets) != 1:
        raise NoMatrixForm("an elementwise function of differently indexed tensors")
    idx = next(iter(idx_sets))
    if any(not i.is_Symbol for i in idx) or len(idx) > 2:
        raise NoMatrixForm("shifted indices inside a function")
    # elementwise function of tensors with the same indices: drop the indices
    text = format_expr(f.xreplace({r: sp.Symbol(_strip_fixed(r, fixed)[0]) for r in rs}))
    return _paren(text), idx


def _paren(text: str) -> str:
    return f"({text})" if any(c in text for c in " +-") and not text.startswith("(") else text


def matrix_form(st: Statement, fixed=frozenset()) -> str:
    """The statement in matrix/vector notation; raises NoMatrixForm when there is none.

    `fixed` are the loop indices of enclosing blocks (t): h[t, i] is the vector h_t."""
    fixed = set(fixed)
    out_name, out_idx = _strip_fixed(st.target, fixed)
    if any(not i.is_Symbol for i in out_idx) or len(out_idx) > 2:
        raise NoMatrixForm("the target has shifted indices or more than 2 indices")
    terms = sp.Add.make_args(sp.expand(st.rhs)) if st.rhs.is_Add else (st.rhs,)
    texts = []
    for term in terms:
        texts.append(_product(term, out_idx, {lp.var for lp in st.loops}, fixed))
    rhs = " + ".join(texts).replace("+ -", "- ")
    op = {"=": "=", "+=": "+=", "-=": "-="}[st.op]
    return f"{out_name} {op} {rhs}"


def _product(term, out_idx, loop_vars, fixed) -> str:
    coeff, rest = term.as_coeff_Mul()
    scalars, vecs = [], []
    for f in sp.Mul.make_args(rest):
        text, idx = _factor_text(f, fixed)
        (vecs if idx else scalars).append((text, idx))
    summed = (loop_vars - set(out_idx))
    for s in summed:
        if not any(s in idx for _, idx in vecs):
            raise NoMatrixForm("a sum over an index no factor has")
    expr = _contract(vecs, tuple(out_idx), summed)
    parts = [t for t, _ in scalars]
    if coeff != 1:
        parts.insert(0, "-" if coeff == -1 else format_expr(coeff))
    if expr:
        parts.append(expr)
    text = " ".join(p for p in parts if p != "-")
    return ("-" + text) if coeff == -1 else text or "1"


def _contract(vecs, out_idx, summed) -> str:
    if not vecs:
        return ""
    # elementwise product of factors with the same indices
    groups: dict = {}
    for text, idx in vecs:
        key = idx if idx in groups else (idx[::-1] if idx[::-1] in groups and len(idx) == 2
                                          else idx)
        if key != idx:
            text = f"{text}^T"
        groups.setdefault(key, []).append(text)
    items = [(" ∘ ".join(ts) if len(ts) > 1 else ts[0], idx) for idx, ts in groups.items()]
    items = [(f"({t})" if "∘" in t and len(items) > 1 else t, idx) for t, idx in items]
    if len(items) == 1:
        text, idx = items[0]
        if set(idx) - set(out_idx) - summed:
            raise NoMatrixForm("indices that are neither kept nor summed")
        if idx == out_idx:
            return text
        if len(idx) == 2 and idx[::-1] == out_idx:
            return f"{text}^T"
        if len(idx) == 1 and not out_idx and idx[0] in summed:
            return f"sum({text})"
        if len(idx) == 2 and len(out_idx) == 1 and out_idx[0] in idx:
            axis = "rows" if idx[0] == out_idx[0] else "columns"
            text = f"({text})" if " " in text else text
            return f"{text} 1" if axis == "rows" else f"{text}^T 1"
        raise NoMatrixForm("an unsupported reduction")
    if len(items) == 2:
        (a, ia), (b, ib) = items
        # outer product u v^T
        if len(ia) == len(ib) == 1 and not summed and out_idx == ia + ib:
            return f"{a} {b}^T"
        if len(ia) == len(ib) == 1 and not summed and out_idx == ib + ia:
            return f"{b} {a}^T"
        # inner product u^T v
        if len(ia) == len(ib) == 1 and ia == ib and not out_idx and ia[0] in summed:
            return f"{a}^T {b}"
        # matrix-vector
        for (m, im), (v, iv) in (((a, ia), (b, ib)), ((b, ib), (a, ia))):
            if len(im) == 2 and len(iv) == 1 and iv[0] in summed and len(out_idx) == 1:
                if im == (out_idx[0], iv[0]):
                    return f"{m} {v}"
                if im == (iv[0], out_idx[0]):
                    return f"{m}^T {v}"
        # matrix-matrix
        if len(ia) == len(ib) == 2 and len(out_idx) == 2 and len(summed) == 1:
            (k,) = summed
            i, j = out_idx
            ta = a if ia == (i, k) else f"{a}^T" if ia == (k, i) else None
            tb = b if ib == (k, j) else f"{b}^T" if ib == (j, k) else None
            if ta and tb:
                return f"{ta} {tb}"
    raise NoMatrixForm("more than two tensor factors to contract")


def matrix_forms(program) -> list:
    """[(statement, text or None, reason)] for each statement of a program."""
    out = []
    for st, outer in program.walk():
        try:
            out.append((st, matrix_form(st, {lp.var for lp in outer}), ""))
        except NoMatrixForm as e:
            out.append((st, None, str(e)))
    return out
