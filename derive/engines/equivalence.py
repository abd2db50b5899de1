"""Symbolic equivalence of two backward programs, element by element.

Each wanted gradient element is written as one expression: the sum, over
every statement that adds to it, of the statement's right-hand side summed
over the loop indices the target does not have; reads of other tensors the
program computes (temporaries, intermediate gradients) are expanded the same
way, and forward quantities are written back in terms of what defines them
(`p` -> `exp(s)/Z`).  Two programs are equivalent when the difference of
these expressions simplifies to zero.  Programs with time blocks or
recurrences are outside this method (the numeric check still applies).
"""
from __future__ import annotations

import sympy as sp

from derive.engines.simplify import definitions
from derive.engines.identities import sums_with_facts
from derive.core.program import Program, ref_indices, ref_name, reads


class Unsupported(Exception):
    pass


def element(program: Program, name: str, idx, depth: int = 0) -> sp.Expr:
    if depth > 20:
        raise Unsupported("nesting too deep")
    written = set(program.written())
    total = sp.S.Zero
    for st, outer in program.walk():
        if st.target_name != name:
            continue
        if outer:
            raise Unsupported("a time block")
        if st.op in ("max=", "min="):
            raise Unsupported("a max or min over an index")
        m = {}
        for ti, i in zip(ref_indices(st.target), idx):
            if not ti.is_Symbol or ti in m:
                raise Unsupported("a shifted or repeated target index")
            m[ti] = i
        limits = []
        for lp in st.loops:
            if lp.var in m:
                continue
            d = sp.Dummy(lp.var.name)
            m[lp.var] = d
            limits.append((d, lp.lo, lp.hi))
        body = st.rhs.xreplace(m)
        subs = {}
        for r in reads(body):
            rn = ref_name(r)
            if rn == name:
                raise Unsupported("a statement reads its own target")
            if rn in written:
                subs[r] = element(program, rn, ref_indices(r), depth + 1)
        body = body.xreplace(subs) if subs else body
        term = sp.Sum(body, *limits) if limits else body
        total += -term if st.op == "-=" else term
    return total


def in_definitions(expr, forward: Program) -> sp.Expr:
    for y, g in definitions(forward):
        expr = expr.replace(y, g)
    return expr


def canonical(expr) -> sp.Expr:
    """Bound summation indices renamed alike; sums with equal limits merged, so that
    sum_j f(j) * c - c * sum_k f(k) cancels."""
    counter = [0]

    def rename(e):
        if isinstance(e, sp.Sum):
            body = rename(e.function)
            limits = []
            for (v, lo, hi) in e.limits:
                counter[0] += 1
                k = sp.Symbol(f"k{len(limits)}_{lo}_{hi}".replace(" ", ""), integer=True)
                body = body.xreplace({v: k})
                limits.append((k, lo, hi))
            return sp.Sum(body, *limits)
        if e.args:
            return e.func(*[rename(a) for a in e.args])
        return e
    expr = rename(sp.expand(expr))
    groups: dict = {}
    rest = sp.S.Zero
    for term in sp.Add.make_args(sp.expand(expr)):
        sums = [f for f in sp.Mul.make_args(term) if isinstance(f, sp.Sum)]
        if len(sums) != 1:
            rest += term
            continue
        sm = sums[0]
        coeff = term / sm
        bound = {lim[0] for lim in sm.limits}
        if coeff.free_symbols & bound:
            rest += term
            continue
        groups.setdefault(sm.limits, []).append(coeff * sm.function)
    total = sp.simplify(rest)
    for limits, bodies in groups.items():
        body = sp.simplify(sp.Add(*bodies))
        if body != 0:
            total += sp.Sum(body, *limits)
    return total


def equivalent_programs(forward: Program, a: Program, b: Program, targets) -> bool | None:
    """True if provably equal, False if the difference does not simplify to 0, None if the
    method does not apply."""
    for t in targets:
        info = forward.tensors[t]
        idx = [sp.Symbol(f"i{k}", integer=True) for k in range(len(info.axes))]
        try:
            ea = in_definitions(sums_with_facts(element(a, t + ".grad", idx), forward),
                                forward)
            eb = in_definitions(sums_with_facts(element(b, t + ".grad", idx), forward),
                                forward)
        except Unsupported:
            return None
        if canonical(ea - eb) != 0:
            return False
    return True
