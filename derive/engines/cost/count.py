
"""Cost analysis: work, memory and parallel depth of loop programs, as functions of sizes.

The cost model (a PRAM with unit-cost scalar operations, as in the course):

- **work**: a statement runs once per point of its iteration space (the
  product of its loop counts, enclosing blocks included); one run costs the
  scalar operations of its right-hand side, plus one for the addition of a
  `+=` / `-=` (a plain copy costs one).
- **parallel depth**: a statement instance starts when every element it reads
  is ready and takes as many steps as its right-hand side is deep (sums and
  products of several terms as balanced trees).  A sum is a tree, not a
  chain: the m contributions one run of a `+=` statement makes to an element
  are added as a balanced tree, ready ceil(log2 m) steps after the last of
  them; when the element is next read (or at the end) the partial sums of
  the runs and the value already there are added as a balanced tree too.
  Instances that do not depend on each other run at the same time, so the
  depth is the longest chain of dependent instances.  The formulas hold for
  every size of at least 2.
- **memory kept for the backward pass**: the forward tensors (activations,
  inputs, parameters) the backward program reads.

`analyse` derives all three symbolically, per statement and per tensor: a
block `for t:` whose steps read what the step before wrote (a recurrence) is
analysed once for a generic step, giving the depth a step adds to the chain
and hence a depth linear in the number of steps.  `count` is the independent
check: it unrolls the program at concrete sizes, element by element, and
finds the work and the longest chain of the instance graph.
"""
from __future__ import annotations

from math import gcd

import sympy as sp
from sympy import Indexed

from derive.core.program import (affine, Block, Loop, Statement, TensorScalar, ref_indices,
                                 ref_name)
from derive.core.errors import CostError
from derive.core.program import as_expr




# --------------------------------------------------------------------------
# ceil(log2 n): the depth of a balanced tree over n values
# --------------------------------------------------------------------------




def tree_depth(m: int) -> int:
    return (m - 1).bit_length() if m > 1 else 0


# --------------------------------------------------------------------------
# operations and depth of one right-hand side (one line per node type)
# --------------------------------------------------------------------------


def _leaf(e) -> bool:
    return isinstance(e, (Indexed, TensorScalar)) or e.is_Symbol or e.is_Number \
        or e.is_NumberSymbol                        # pi, e


def expr_ops(e) -> int:
    """Scalar operations to evaluate `e` once."""
    if _leaf(e):
        return 0
    if e.is_Add or e.is_Mul:                       # n - 1 binary operations
        return len(e.args) - 1 + sum(expr_ops(a) for a in e.args)
    if e.is_Pow:                                    # x**2, 1/x, sqrt(x): one each
        return 1 + expr_ops(e.base) + expr_ops(e.exp)
    if isinstance(e, sp.Derivative):               # L'(y) of an undefined loss
        return 1 + sum(expr_ops(a) for a in e.expr.args)
    if isinstance(e, (sp.Function, sp.KroneckerDelta)):
        return 1 + sum(expr_ops(a) for a in e.args if isinstance(a, sp.Expr))
    if isinstance(e, sp.core.relational.Relational):
        return expr_ops(e.lhs) + expr_ops(e.rhs)
    raise CostError(f"no operation count for {type(e).__name__}: {e}")


def expr_depth(e) -> int:
    """Steps to evaluate `e` with unlimited parallelism (sums, products as trees)."""
    if _leaf(e):
        return 0
    if e.is_Add or e.is_Mul:
        return tree_depth(len(e.args)) + max(expr_depth(a) for a in e.args)
    if e.is_Pow:
        return 1 + max(expr_depth(e.base), expr_depth(e.exp))
    if isinstance(e, sp.Derivative):
        return 1 + max((expr_depth(a) for a in e.expr.args), default=0)
    if isinstance(e, (sp.Function, sp.KroneckerDelta)):
        return 1 + max((expr_depth(a) for a in e.args if isinstance(a, sp.Expr)), default=0)
    if isinstance(e, sp.core.relational.Relational):
        return max(expr_depth(e.lhs), expr_depth(e.rhs))
    raise CostError(f"no depth for {type(e).__name__}: {e}")


def instance_work(st: Statement) -> int:
    """Operations of one run of a statement (one for a plain copy)."""
    return max(1, expr_ops(st.rhs) + (1 if st.op in ("+=", "-=", "max=", "min=") else 0))


# --------------------------------------------------------------------------
# recurrences written as one statement become blocks
# --------------------------------------------------------------------------


def recurrence_loop(st: Statement):
    """The loop along which a statement reads its own target shifted, run in order."""
    tidx = ref_indices(st.target)
    own = {lp.var: lp for lp in st.loops}
    for r in st.reads():
        if ref_name(r) != st.target_name or ref_indices(r) == tidx:
            continue
        for w, rd in zip(tidx, ref_indices(r)):
            if w == rd:
                continue
            for var in w.free_symbols & set(own):
                lp = own[var]
                delta = sp.simplify(rd - w)
                if delta.is_Number:
                    lp = Loop(lp.var, lp.lo, lp.hi, bool(delta > 0))
                return lp
    return None


def with_blocks(items) -> list:
    """The program's items, a self-recurrent statement turned into a block."""
    out = []
    for it in items:
        if isinstance(it, Block):
            out.append(Block(it.loops, with_blocks(it.body), it.line))
            continue
        lp = recurrence_loop(it)
        if lp is None:
            out.append(it)
        else:
            rest = tuple(l for l in it.loops if l.var != lp.var)
            out.append(Block((lp,), [it.with_(loops=rest)], it.line))
    return out


def single_loop_blocks(items) -> list:
    """Blocks over several loops become nested blocks over one loop each."""
    out = []
    for it in items:
        if isinstance(it, Block):
            body = single_loop_blocks(it.body)
            for lp in reversed(it.loops[1:]):
                body = [Block((lp,), body, it.line)]
            out.append(Block((it.loops[0],), body, it.line))
        else:
            out.append(it)
    return out


# --------------------------------------------------------------------------
# counts of a statement
# --------------------------------------------------------------------------


def iterations(loops) -> sp.Expr:
    out = sp.S.One
    for lp in loops:
        out *= lp.count()
    return out




def per_element(st: Statement, extents=None) -> sp.Expr:
    """The most instances of a statement that write one element of its target.

    `extents` (the target's axis lengths) bound a sum index like x + dx: element
    i gets at most min(n_x, n_dx, i + 1) contributions."""
    own = {lp.var: lp for lp in st.loops}
    count = sp.S.One
    determined = set()
    pending = []
    for k, e in enumerate(ref_indices(st.target)):
        aff = affine(e, list(own))
        if aff is None:
            pending.append((set(e.free_symbols) & set(own), None, None))
            continue
        _, coeffs = aff
        if len(coeffs) == 1:
            determined |= set(coeffs)
        elif coeffs:
            pending.append((set(coeffs), extents[k] if extents else None, coeffs))
    changed = True
    while changed:
        changed = False
        for vs, _, _ in pending:
            rest = vs - determined
            if len(rest) == 1:
                determined |= rest
                changed = True
    for vs, extent, coeffs in pending:
        rest = sorted(vs - determined, key=lambda v: v.name)
        if not rest:
            continue
        # v1 + v2 = i has at most min(n1, n2, i + 1) solutions; a1 v1 + a2 v2 = i (a
        # stride): the solutions' v1 differ by multiples of a2/g (g = gcd), so at most
        # ceil(n1 / (a2/g)) of them, and as many for v2 (a stride-2 window of 2 writes
        # each element once); more variables: a bound
        if len(rest) == 2:
            bound = [_solutions(own, rest, coeffs, 0), _solutions(own, rest, coeffs, 1)]
            if extent is not None:
                bound.append(extent)
            count *= sp.Min(*bound)
        else:
            for v in rest[1:]:
                count *= own[v].count()
        determined |= set(rest)
    for v, lp in own.items():
        if v not in determined:
            count *= lp.count()
    return count


def _solutions(own, rest, coeffs, k) -> sp.Expr:
    """The most values variable rest[k] takes among the solutions of a1 v1 + a2 v2 = i:
    its count, divided by the step |a_other| / gcd between solutions, rounded up."""
    n = own[rest[k]].count()
    a = [coeffs.get(v) if coeffs else None for v in rest]
    if any(x is None or not as_expr(x).is_Integer or x == 0 for x in a):
        return n
    g = sp.igcd(int(a[0]), int(a[1]))
    step = abs(int(a[1 - k])) // g
    return n if step == 1 else sp.ceiling(n / step)


def _pattern(st: Statement, slice_tag=None) -> tuple:
    """The target's index pattern, statement loop variables renamed in order."""
    names = {}
    for e in ref_indices(st.target):
        for v in sorted(e.free_symbols, key=lambda s: s.name):
            if v in {lp.var for lp in st.loops} and v not in names:
                names[v] = sp.Symbol(f"_{len(names)}", integer=True)
    return (slice_tag, tuple(sp.expand(e.xreplace(names)) for e in ref_indices(st.target)))


def _collapsed(tag) -> bool:
    """The tag of one step's slice after its block (different steps: different elements)."""
    return isinstance(tag, tuple) and len(tag) == 3 and tag[0] == "slice"


def _disjoint(p1, p2) -> bool:
    """Are two target patterns provably different elements (2r vs 2r+1)?"""
    if p1[0] != p2[0] and _collapsed(p1[0]) and _collapsed(p2[0]):
        return True
    for e1, e2 in zip(p1[1], p2[1]):
        d = sp.expand(e1 - e2)
        if d.is_Integer and d != 0:
            cs = [int(c) for v, c in sp.expand(e1).as_coefficients_dict().items()
                  if v != 1 and c.is_Integer]
            g = 0
            for c in cs:
                g = gcd(g, abs(c))
            if g == 0 or int(d) % g != 0:
                return True
    return False
