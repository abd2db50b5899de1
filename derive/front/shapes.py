"""The shapes of computed tensors, inferred from the statements that write them.

A tensor the program writes needs no declaration: each axis is indexed in some write
by a loop index (of a `for` header, or a declared index left free, which loops
implicitly), by such an index plus or minus a constant, or by a number; the axis runs
over the union of what the writes cover.  A declared shape is checked against the
writes: a different number of indices, or a write that runs past a declared axis, is an
error naming both.
"""
from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from derive.core.errors import NotationError, SpecError
from derive.core.program import TensorInfo
from derive.front import notation as N
from derive.core.program import as_expr


@dataclass
class _Axis:
    lo: sp.Expr
    hi: sp.Expr
    name: str | None        # the index that writes it plainly, if any
    node: N.Node


@dataclass
class _Write:
    stmt: N.Stmt
    axes: list              # one _Axis or None (not inferable from this write) per index


def _writes(items, scope, resolver) -> dict:
    """Tensor name -> [_Write], in program order (gradients and unindexable targets left
    out: the resolver reports those)."""
    out: dict = {}

    def loop_ranges(loops, bound):
        new = dict(bound)
        for lv in loops:
            rng = resolver.loop_range(lv)
            if rng is not None:
                new[lv.name] = rng
        return new

    def axis(node, bound):
        """The range an index expression covers (interval arithmetic over the loop
        ranges; sizes are constants), with the index's name when it is a plain one."""
        if isinstance(node, N.Name):
            rng = bound.get(node.id)
            if rng is None and node.id not in scope.sizes:
                rng = scope.indices.get(node.id)       # a free index: loops implicitly
            if rng is not None:
                return _Axis(rng[0], rng[1], node.id, node)
        iv = interval(node, bound)
        return None if iv is None else _Axis(iv[0], iv[1], None, node)

    def interval(node, bound):
        if isinstance(node, N.Num):
            try:
                v = resolver.size_expr(node)
            except NotationError:
                return None
            return (v, v)
        if isinstance(node, N.Name):
            rng = bound.get(node.id)
            if rng is not None:
                return rng
            if node.id in scope.sizes:
                return (scope.sizes[node.id], scope.sizes[node.id])
            return scope.indices.get(node.id)
        if isinstance(node, N.Unary):
            v = interval(node.operand, bound)
            return None if v is None else ((-v[1], -v[0]) if node.op == "-" else v)
        if isinstance(node, N.BinOp) and node.op in "+-*":
            a, b = interval(node.left, bound), interval(node.right, bound)
            if a is None or b is None:
                return None
            if node.op == "+":
                return (a[0] + b[0], a[1] + b[1])
            if node.op == "-":
                return (a[0] - b[1], a[1] - b[0])
            if a[0] != a[1]:
                a, b = b, a                      # the constant factor first
            if a[0] != a[1] or as_expr(a[0]).is_nonnegative is not True:
                return None
            return (a[0] * b[0], a[0] * b[1])
        return None

    def rec(items, bound):
        for it in items:
            if isinstance(it, N.Block):
                rec(it.body, loop_ranges(it.loops, bound))
                continue
            here = loop_ranges(it.loops, bound)
            t = it.target
            base, idx = (t.base, t.indices) if isinstance(t, N.Index) else (t, [])
            if not isinstance(base, N.Name):
                continue
            out.setdefault(base.id, []).append(_Write(it, [axis(n, here) for n in idx]))

    rec(items, {})
    return out


def _union(exprs, pick):
    """The least (pick=min) or greatest bound of several, when SymPy can order them."""
    v = sp.Min(*exprs) if pick is min else sp.Max(*exprs)
    return None if v.has(sp.Min, sp.Max) else v


def _show_range(lo, hi) -> str:
    return f"{lo}..{hi}"


def infer_shapes(text: str, scope, resolver, path: str, line_offset: int,
                 declared: dict, undeclared_ok) -> dict:
    """TensorInfo of every written tensor that has no declared shape (`undeclared_ok(name)`
    says which names may be inferred), after checking every declared shape against the
    writes.  `declared`: name -> (TensorInfo, its key path)."""
    items = N.parse_program(text, path, "program", line_offset)
    inferred = {}
    for name, writes in _writes(items, scope, resolver).items():
        ranks = {len(w.axes) for w in writes}
        if len(ranks) > 1:
            a, b = writes[0], next(w for w in writes if len(w.axes) != len(writes[0].axes))
            raise _at(resolver, b.stmt.target,
                      f"{name!r} is written with {len(b.axes)} indices here, but with "
                      f"{len(a.axes)} on line {a.stmt.line + line_offset}")
        if name in declared:
            _check_declared(name, writes, *declared[name], resolver, path)
            continue
        if not undeclared_ok(name):
            continue
        axes, ranges = [], []
        for k in range(len(writes[0].axes)):
            seen = [w.axes[k] for w in writes if w.axes[k] is not None]
            if not seen:
                raise _at(resolver, writes[0].stmt.target,
                          f"the shape of {name!r} cannot be inferred: no statement writes "
                          f"its axis {k + 1} with a loop index; declare it under tensors: "
                          f"({name}: {{shape: [...]}})")
            lo, hi = _union([a.lo for a in seen], min), _union([a.hi for a in seen], max)
            if lo is None or hi is None:
                raise _at(resolver, writes[0].stmt.target,
                          f"the writes of {name!r} cover axis {k + 1} over ranges that "
                          f"cannot be ordered ("
                          + ", ".join(_show_range(a.lo, a.hi) for a in seen)
                          + f"); declare its shape under tensors: ({name}: {{shape: [...]}})")
            axes.append(_axis_name(scope, seen, lo, hi, k))
            ranges.append((lo, hi))
        inferred[name] = TensorInfo(name, tuple(axes), tuple(ranges), "computed")
    return inferred


def _axis_name(scope, seen, lo, hi, k) -> str:
    """A declared index over exactly this range (the one a write uses, first), else the
    first plain index that writes it."""
    names = [a.name for a in seen if a.name]
    for n in names:
        if n in scope.indices and tuple(scope.indices[n]) == (lo, hi):
            return n
    for n, rng in scope.indices.items():
        if tuple(rng) == (lo, hi):
            return n
    return names[0] if names else f"axis{k + 1}"


def _check_declared(name, writes, info, key, resolver, path):
    """A declared shape against the writes: the number of indices, and each plainly
    indexed axis inside the declared range."""
    w = writes[0]
    if len(w.axes) != info.rank:
        shown = "[" + ", ".join(info.axes) + "]"
        raise SpecError(f"declared with shape {shown} ({info.rank} "
                        f"{'index' if info.rank == 1 else 'indices'}), but line "
                        f"{w.stmt.line + resolver.line_offset} writes {name!r} with "
                        f"{len(w.axes)}", path, f"{key}.shape")
    for w in writes:
        for k, a in enumerate(w.axes):
            if a is None:
                continue
            lo, hi = info.ranges[k]
            ind = resolver.scope.in_independents
            inside = sp.simplify(ind(a.lo - lo)).is_nonnegative is True and \
                sp.simplify(ind(hi - a.hi)).is_nonnegative is True
            if not inside:
                raise SpecError(f"axis {k + 1} is declared as {info.axes[k]} "
                                f"({_show_range(lo, hi)}), but line "
                                f"{w.stmt.line + resolver.line_offset} writes it over "
                                f"{_show_range(a.lo, a.hi)}"
                                + (f" (index {a.name})" if a.name else ""),
                                path, f"{key}.shape")


def _at(resolver, node, message):
    padded = "\n".join([""] * resolver.line_offset + resolver.text.split("\n"))
    return NotationError(message, resolver.source, node.line + resolver.line_offset,
                         node.col, padded, resolver.key)


def inferred_order(text: str, path: str, line_offset: int) -> list:
    """The names the program writes, in the order of their first write."""
    out: list = []

    def rec(items):
        for it in items:
            if isinstance(it, N.Block):
                rec(it.body)
                continue
            t = it.target
            while isinstance(t, N.Index):
                t = t.base
            if isinstance(t, N.Name) and t.id not in out:
                out.append(t.id)

    rec(N.parse_program(text, path, "program", line_offset))
    return out
