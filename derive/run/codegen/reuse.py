"""Reusing forward values in an exported backward function.

A forward statement such as `xp[b, j] += (x[b, j] - mu[j])/sqrt(s[j])` divides a
full-size value F = x - mu by values of fewer axes.  When the backward program
multiplies by F again (`2*(x[b, j] - mu[j])*s.grad[j]/(B - 1)`), recomputing F
is one more pass over arrays of the full size; F is the forward's value times
what it was divided by, `xp[b, j]*sqrt(s[j])`, whose small factor joins the other
small factors of the product before they meet the full-size array.  The rewrite
only multiplies (where the forward divided by zero its value is not finite
anyway) and only replaces a factor of a product, where it saves the pass.
"""
from __future__ import annotations

import sympy as sp
from sympy import Indexed

from derive.core.program import Block, Statement, reads, ref_indices, ref_name


def reuse_forward_values(items, forward_items, tensors) -> list:
    """The backward items with full-size factors the forward computed read back."""
    written = {st.target_name for it in items for st in _statements(it)}
    known = [k for k in _forward_quotients(forward_items, tensors)
             if ref_name(k[0]) not in written]
    if not known:
        return list(items)
    return _rewrite_items(items, known, {})


def _forward_quotients(items, tensors) -> list:
    """(target ref, its loops' ranges, F, the factors F was divided by) of each forward
    statement that writes its whole target once as a full-size F over smaller values."""
    writes = {}
    for it in items:
        for st in _statements(it):
            writes[st.target_name] = writes.get(st.target_name, 0) + 1
    out = []
    for st in items:
        if not isinstance(st, Statement) or writes[st.target_name] != 1 or \
                st.op not in ("=", "+=") or not isinstance(st.target, Indexed):
            continue
        idx = ref_indices(st.target)
        loops = {lp.var: (lp.lo, lp.hi) for lp in st.loops}
        info = tensors.get(st.target_name)
        if info is None or info.role not in ("computed", "temporary") or \
                len(set(idx)) != len(idx) or set(idx) != set(loops) or \
                any(loops[v] != tuple(r) for v, r in zip(idx, info.ranges)):
            continue
        if not st.rhs.is_Mul or st.target_name in {ref_name(r) for r in st.reads()}:
            continue
        full, small = [], []
        for f in st.rhs.args:
            fv = f.free_symbols & set(idx)
            if f.is_Number or (f.is_Pow and f.exp.is_Number and f.exp < 0 and
                               fv < set(idx)):
                small.append(f)
            else:
                full.append(f)
        F = sp.Mul(*full)
        if not small or not full or _is_read(F) or (F.free_symbols & set(idx)) != set(idx):
            continue
        out.append((st.target, loops, F, small))
    return out


def _is_read(e) -> bool:
    return isinstance(e, Indexed) or e.is_Symbol


def _statements(it):
    if isinstance(it, Block):
        for x in it.body:
            yield from _statements(x)
    else:
        yield it


def _rewrite_items(items, known, ranges) -> list:
    out = []
    for it in items:
        if isinstance(it, Block):
            inner = {**ranges, **{lp.var: (lp.lo, lp.hi) for lp in it.loops}}
            out.append(Block(it.loops, _rewrite_items(it.body, known, inner), it.line))
            continue
        rng = {**ranges, **{lp.var: (lp.lo, lp.hi) for lp in it.loops}}
        rhs = _rewrite(it.rhs, known, rng)
        out.append(it if rhs == it.rhs else it.with_(rhs=rhs))
    return out


def _rewrite(e, known, rng):
    if not e.args or _is_read(e):
        return e
    args = [_rewrite(a, known, rng) for a in e.args]
    if e.is_Mul:
        args = [_replacement(a, known, rng) or a for a in args]
    return e.func(*args) if tuple(args) != e.args else e


def _replacement(S, known, rng):
    """S as a forward value times small factors, or None."""
    if S.is_Number or _is_read(S):
        return None
    for target, loops, F, small in known:
        if S.func != F.func or len(S.args) != len(F.args):
            continue
        m = _index_map(F, S)
        if m is None or any(rng.get(m[v]) != loops[v] for v in loops):
            continue
        if F.xreplace(m) != S:
            continue
        y = target.xreplace(m)
        return y * sp.Mul(*[1 / f.xreplace(m) for f in small])
    return None


def _index_map(F, S) -> dict | None:
    """{forward variable: backward variable} taking F's reads to S's, or None."""
    by_name = {}
    for r in reads(S):
        by_name.setdefault(ref_name(r), []).append(r)
    m = {}
    for r in reads(F):
        if not isinstance(r, Indexed):
            continue
        cands = by_name.get(ref_name(r), [])
        if len(cands) != 1:
            return None
        for a, b in zip(ref_indices(r), ref_indices(cands[0])):
            if not (a.is_Symbol and b.is_Symbol) or m.setdefault(a, b) != b:
                return None
    return m
