"""Einstein sums while resolving: the markers of open sums, where a capital index
closes, and the desugaring helpers."""
from __future__ import annotations

import sympy as sp
from sympy import Function
from derive.front import notation as N
from derive.core.program import (Block, Loop, Statement, grad_name, reads, ref_indices,
                                 ref_name)

class esum(Function):
    """Internal marker of an Einstein sum (desugared before anyone sees it)."""
    nargs = 2


def _recurrence_block(stmts, target, rhs, loops, line) -> list:
    """A statement that reads its own target one step away (`z.grad[t, m] = ... +
    z.grad[t+1, M] ...` over `for t in T..1, m`) is a recurrence along that loop: when
    desugaring split it into several statements (temporaries for its sums), they run
    together at each step, in a block over the loop, as the one statement did."""
    own = {lp.var: lp for lp in loops}
    name, tidx = ref_name(target), ref_indices(target)
    for r in reads(rhs):
        if ref_name(r) != name or ref_indices(r) == tidx:
            continue
        for w, rd in zip(tidx, ref_indices(r)):
            if w == rd or not sp.expand(rd - w).is_Number:     # a step away: t+1 for t
                continue
            for v in sorted(w.free_symbols & set(own), key=lambda x: x.name):
                inner = [st.with_(loops=tuple(lp for lp in st.loops if lp.var != v))
                         for st in stmts]
                return [Block((own[v],), inner, line)]
    return stmts


def _signed(target, sign, body, loops, line, note):
    c, _ = body.as_coeff_Mul()
    neg = bool(c.is_negative)
    eff = sign * (-1 if neg else 1)
    return Statement(target, "+=" if eff > 0 else "-=", -body if neg else body, loops, line,
                     note=note)


def _nested_sum_argument(expr):
    """The outermost argument (of a function, product or power) holding an Einstein sum."""
    if not any(isinstance(a, esum) for a in sp.preorder_traversal(expr)):
        return None
    if isinstance(expr, esum):
        return expr
    for a in expr.args:
        if any(isinstance(x, esum) for x in sp.preorder_traversal(a)):
            if expr.is_Add or not isinstance(a, sp.Expr) or isinstance(expr, sp.Rel):
                # a comparison's sides are the arguments, not the comparison
                return _nested_sum_argument(a)
            return a
    return None


def _strip_esum(term):
    """coeff * esum(esum(f, i), k) -> (coeff, f, (Loop i, Loop k)); else (.., None, ())."""
    if not isinstance(term, sp.Expr):
        return sp.S.One, None, ()
    coeff, rest = term.as_coeff_Mul() if not isinstance(term, esum) else (sp.S.One, term)
    if not isinstance(rest, esum):
        return coeff, None, ()
    loops = []
    while isinstance(rest, esum):
        body, marker = rest.args
        loops.append(marker)
        rest = body
    return coeff, rest, tuple(_marker_loop(m) for m in loops)


_MARKERS: dict = {}


def _marker(loop: Loop) -> sp.Symbol:
    m = sp.Dummy(f"sum_{loop.var.name}")
    _MARKERS[m] = loop
    return m


def _marker_loop(m) -> Loop:
    return _MARKERS[m]


def _capital_count(node, name: str) -> int:
    """How many times the capital index `name` occurs inside index brackets of `node`."""
    if isinstance(node, N.Index):
        return sum(_count_name(i, name) for i in node.indices)
    if isinstance(node, N.Call) and node.func.id == "delta":
        return sum(_count_name(a, name) for a in node.args)
    total = 0
    for attr in ("left", "right", "operand"):
        if hasattr(node, attr):
            total += _capital_count(getattr(node, attr), name)
    for a in getattr(node, "args", []) or []:
        total += _capital_count(a, name)
    for a in getattr(node, "items", []) or []:
        total += _capital_count(a, name)
    return total


def _count_name(node, name: str) -> int:
    if isinstance(node, N.Name):
        return int(node.id == name)
    total = 0
    for attr in ("left", "right", "operand"):
        if hasattr(node, attr):
            total += _count_name(getattr(node, attr), name)
    return total


def _index_names(node) -> list:
    """The names in an index expression (t in t-1, r in 2*r+1), in order."""
    if isinstance(node, N.Name):
        return [node]
    if isinstance(node, N.BinOp):
        return _index_names(node.left) + _index_names(node.right)
    if isinstance(node, N.Unary):
        return _index_names(node.operand)
    return []


def _writer_counts(items) -> dict:
    """How many statements of a syntax tree write each tensor name."""
    counts: dict = {}

    def rec(items):
        for it in items:
            if isinstance(it, N.Block):
                rec(it.body)
                continue
            t = it.target.base if isinstance(it.target, N.Index) else it.target
            if isinstance(t, N.Grad):
                name = grad_name(t.base.id)
            elif isinstance(t, N.Name):
                name = t.id
            else:
                continue
            counts[name] = counts.get(name, 0) + 1
    rec(items)
    return counts


def _reads_tensor(expr, name: str) -> bool:
    return any(ref_name(r) == name for r in reads(expr))


def _reads_name(node, name: str) -> bool:
    """Whether the syntax tree reads tensor `name` (x, x[...], or x.grad[...] for
    name x.grad)."""
    if isinstance(node, N.Name):
        return node.id == name
    if isinstance(node, N.Grad):
        return isinstance(node.base, N.Name) and node.base.id + ".grad" == name
    if isinstance(node, N.Index):
        return _reads_name(node.base, name) or \
            any(_reads_name(i, name) for i in node.indices)
    for attr in ("left", "right", "operand"):
        if hasattr(node, attr) and _reads_name(getattr(node, attr), name):
            return True
    return any(_reads_name(a, name) for a in getattr(node, "args", []) or [])


def _mentions_capital(node, scope, whole: bool = True) -> bool:
    """Does a target's index expression sum over a capital?  A size such as L
    (h.grad[L, j]) is not summed; nor is a size inside arithmetic (c[X + x]), even when
    it is also the capital of an index (the rule of statement._index)."""
    if isinstance(node, N.Name):
        if not node.id[0].isupper():
            return False
        if node.id not in scope.sizes:
            return True
        return whole and node.id.lower() in scope.indices
    if isinstance(node, N.BinOp):
        return _mentions_capital(node.left, scope, False) or \
            _mentions_capital(node.right, scope, False)
    if isinstance(node, N.Unary):
        return _mentions_capital(node.operand, scope, False)
    return False
