"""The compact form of a backward program: each asked gradient in one line.

The backward loops compute intermediate gradients (a batch norm's s.grad and mu.grad,
each a sum over the batch) that the input's gradient then reads.  An answer key prints
instead the classic one-line form, written with the forward's own tensors:

    x.grad[b, j] = (xp.grad[b, j] - (sum over b' of xp.grad[b', j])/B
                    - xp[b, j]*(sum over b' of xp.grad[b', j]*xp[b', j])/(B - 1))/sqrt(s[j])

It is built by a pass over the backward program and the forward's definitions, never
for a particular problem:

1. each gradient the backward program writes is an expression: the sum, over the
   statements writing it, of their right-hand sides summed over the loops their target
   does not have (an sp.Sum);
2. the intermediate gradients read by an asked gradient are substituted by those
   expressions (their summed indices renamed b', b'', ... away from the target's);
3. a forward tensor that a pointwise definition gives linearly (x in
   xp = (x - mu)/sqrt(s)) is replaced by the definition solved for it
   (x = mu + xp*sqrt(s)), where that makes the answer shorter: x - mu becomes
   xp*sqrt(s);
4. the sums that the forward program fixes (a mean's centred values sum to 0, a softmax
   sums to 1: derive.engines.identities) are written out, and factors that do not
   depend on a sum's index are taken out of it;
5. the result is collected, the sums treated as atoms.

Every step is a Step of SymPy objects.  The form is only a candidate: it is lowered to
a loop program (each sum a temporary, `lowered`) that the caller checks numerically
before it is shown (derive.answers.backprop).
"""
from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from derive.core.naming import fresh, names_in_use
from derive.core.program import (Block, Loop, Program, Statement, TensorInfo, grad_name,
                                 index_var, is_grad_name, reads, ref, ref_indices, ref_name)
from derive.core.records import Backward, Step
from derive.engines.identities import sums_with_facts

MAX_ROUNDS = 4          # substitutions of intermediate gradients, nested
MAX_GROWTH = 1.5        # a compact form at most this many times the loops' size


@dataclass
class Compact:
    """The compact form: one `=` statement per asked gradient (sums as sp.Sum), the
    steps that lead there, and the same statements as a loop program the executor runs
    (each sum a temporary tensor)."""
    statements: list
    steps: list
    lowered: Program


def _cost(e) -> int:
    return sp.count_ops(e, visual=False) + len(reads(e))


def _target_vars(st: Statement) -> list:
    return [i for i in ref_indices(st.target)]


# --------------------------------------------------------------------------
# 1. each gradient as an expression
# --------------------------------------------------------------------------


def _gradient_values(program: Program, sources: set):
    """name -> (index symbols, expression with sp.Sum, ranges of the indices) for each
    gradient the program writes, or None when a statement has no such reading (a
    shifted target, a block, a temporary that is not a gradient)."""
    out: dict = {}
    for st in program.statements():
        g = st.target_name
        idx = _target_vars(st)
        if not is_grad_name(g) or g in sources or st.op not in ("+=", "-=", "=") \
                or not all(i.is_Symbol for i in idx) or len(set(idx)) != len(idx):
            return None
        kept = set(idx)
        summed = [lp for lp in st.loops if lp.var not in kept]
        if {lp.var for lp in st.loops if lp.var in kept} != kept:
            return None
        rhs = -st.rhs if st.op == "-=" else st.rhs
        for lp in reversed(summed):
            rhs = sp.Sum(rhs, (lp.var, lp.lo, lp.hi))
        if g in out:
            if st.op == "=":
                return None
            old_idx, old, ranges = out[g]
            rhs = rhs.xreplace(dict(zip(idx, old_idx)))
            out[g] = (old_idx, old + rhs, ranges)
        else:
            ranges = {lp.var: (lp.lo, lp.hi) for lp in st.loops if lp.var in kept}
            out[g] = (tuple(idx), rhs, ranges)
    return out


def _primed(v, taken: set):
    """v', v'', ...: the first name not in `taken` (names of symbols)."""
    base = v.name.rstrip("'")
    name = base
    while name in taken:
        name += "'"
    return index_var(name)


def _renamed_sums(e, taken: set):
    """Every sum's index renamed to the first primed name not among `taken` (the free
    indices of the expression it is placed in), outermost first."""
    if not isinstance(e, sp.Basic) or not e.args:
        return e
    if isinstance(e, sp.Sum):
        body, limits = e.function, []
        inner_taken = set(taken)
        for v, lo, hi in e.limits:
            new = _primed(v, inner_taken | {s.name for s in body.free_symbols if s != v})
            body = body.xreplace({v: new})
            limits.append((new, lo, hi))
            inner_taken.add(new.name)
        return sp.Sum(_renamed_sums(body, inner_taken), *limits)
    return e.func(*[_renamed_sums(a, taken) for a in e.args])


def _substitute(expr, values: dict, taken: set):
    """The reads of gradients in `values` replaced by their expressions, at the read's
    indices; (new expression, names substituted)."""
    subs, used = {}, []
    for r in reads(expr):
        name = ref_name(r)
        if name not in values:
            continue
        idx, value, _ = values[name]
        here = {s.name for i in ref_indices(r) for s in i.free_symbols} | taken
        subs[r] = _renamed_sums(value, here).xreplace(dict(zip(idx, ref_indices(r))))
        used.append(name)
    return (expr.xreplace(subs) if subs else expr), used


# --------------------------------------------------------------------------
# sums: split, factored out, atoms
# --------------------------------------------------------------------------


def split_sums(e):
    """Sums split over the terms of their bodies, factors free of the summed index taken
    out, and a sum of a constant written as count times it."""
    if not isinstance(e, sp.Basic) or not e.args:
        return e
    if isinstance(e, sp.Sum):
        out = split_sums(e.function)
        for v, lo, hi in e.limits:
            out = _sum_one(out, v, lo, hi)
        return out
    return e.func(*[split_sums(a) for a in e.args])


def _sum_one(body, v, lo, hi):
    total = sp.S.Zero
    for t in sp.Add.make_args(sp.expand(body)):
        dep, indep = [], sp.S.One
        for f in sp.Mul.make_args(t):
            if f.has(v):
                dep.append(f)
            else:
                indep *= f
        total += indep * (sp.Sum(sp.Mul(*dep), (v, lo, hi)) if dep else hi - lo + 1)
    return total


def nested(e) -> bool:
    """Is there a sum inside another sum's body?"""
    return any(a.function.has(sp.Sum) for a in e.atoms(sp.Sum))


def merged_sums(e):
    """Sums over the same range with the same factor outside merged into one, their
    bodies collected: c*(sum of f) - c*(sum of g) -> c*(sum of f - g)."""
    if not isinstance(e, sp.Basic) or not e.args:
        return e
    e = e.func(*[merged_sums(a) for a in e.args])
    if not e.is_Add:
        return e
    groups: dict = {}
    rest = []
    for t in e.args:
        found = [f for f in sp.Mul.make_args(t) if isinstance(f, sp.Sum) and len(f.limits) == 1]
        if len(found) != 1:
            rest.append(t)
            continue
        s = found[0]
        num, outside = (t / s).as_coeff_Mul()
        (v, lo, hi), = s.limits
        groups.setdefault((outside, lo, hi), []).append((num, v, s.function, t))
    out = list(rest)
    for (outside, lo, hi), members in groups.items():
        if len(members) == 1:
            out.append(members[0][3])
            continue
        v = members[0][1]
        body = sp.factor_terms(sp.Add(*[num * f.xreplace({u: v})
                                        for num, u, f, _ in members]))
        out.append(outside * sp.Sum(body, (v, lo, hi)))
    return sp.Add(*out)


def collected(e):
    """The shortest of a few collected forms of e, its sums held as atoms."""
    e = merged_sums(e)
    sums = sorted(e.atoms(sp.Sum), key=sp.default_sort_key)
    hold = {s: sp.Dummy(f"S{k}") for k, s in enumerate(sums)}
    back = {d: s for s, d in hold.items()}
    h = e.xreplace(hold)
    cands = [h, sp.factor_terms(sp.expand(h)), sp.factor_terms(sp.cancel(h)),
             sp.factor_terms(sp.together(sp.expand(h)))]
    best = min(cands, key=_cost)
    return best.xreplace(back)


def summed_out(e, forward: Program):
    """Sums split, and the sums the forward program fixes written out."""
    return split_sums(sums_with_facts(split_sums(e), forward))


def tidy(e, forward: Program):
    """Sums split, the forward program's sums written out, then collected."""
    return collected(summed_out(e, forward))


# --------------------------------------------------------------------------
# 3. forward tensors from their definitions, solved
# --------------------------------------------------------------------------


def solved_definitions(forward: Program) -> list:
    """(tensor X, its index symbols, X solved from a pointwise definition Y = f(X, ...)
    in which f is linear in X, the definition) for each such pair: x = mu + xp*sqrt(s)
    from xp = (x - mu)/sqrt(s).  The definition covers all of X (its loops span X's
    ranges), so the rewrite holds at every index."""
    writers: dict = {}
    for st in forward.statements():
        writers.setdefault(st.target_name, []).append(st)
    out = []
    for name, sts in writers.items():
        st = sts[0]
        idx = _target_vars(st)
        if len(sts) != 1 or st.op not in ("=", "+=") or not idx \
                or not all(i.is_Symbol for i in idx) or len(set(idx)) != len(idx) \
                or {lp.var for lp in st.loops} != set(idx):
            continue
        loops = {lp.var: lp for lp in st.loops}
        for r in reads(st.rhs):
            xname = ref_name(r)
            info = forward.tensors.get(xname)
            if xname == name or info is None or tuple(ref_indices(r)) != tuple(idx):
                continue
            if any(sp.expand(loops[v].lo - lo) != 0 or sp.expand(loops[v].hi - hi) != 0
                   for v, (lo, hi) in zip(idx, info.ranges)):
                continue
            x = sp.Dummy("X")
            f = st.rhs.xreplace({r: x})
            slope = sp.diff(f, x)
            if slope == 0 or slope.has(x):
                continue
            value = sp.simplify((st.target - f.xreplace({x: 0})) / slope)
            if value.has(r):
                continue
            out.append((xname, tuple(idx), value, st))
    return out


def _rewrite(e, name, idx, value):
    """Every read name[...] in e replaced by value at that read's indices."""
    def swap(r):
        return value.xreplace(dict(zip(idx, ref_indices(r))))
    return e.replace(lambda a: isinstance(a, sp.Indexed) and ref_name(a) == name, swap)


def _eliminated(e, forward: Program, defs, steps, lhs):
    """e with forward tensors rewritten by their solved definitions where that makes it
    shorter."""
    for _ in range(len(defs)):
        best = None
        for xname, idx, value, st in defs:
            if not any(ref_name(r) == xname for r in reads(e)):
                continue
            new = tidy(_rewrite(e, xname, idx, value), forward)
            if _cost(new) < _cost(e) and (best is None or _cost(new) < _cost(best[0])):
                best = (new, xname, idx, value, st)
        if best is None:
            return e
        e, xname, idx, value, st = best
        steps.append(Step("compact", statement=st, chain=(ref(xname, idx), "=", value),
                          why="compact definition",
                          args={"tensor": ref(xname, idx), "definition": st.target}))
        steps.append(Step("compact", chain=(lhs, "=", e), why="compact rewritten",
                          args={"tensor": ref(xname, idx)}))
    return e


# --------------------------------------------------------------------------
# the pass
# --------------------------------------------------------------------------


def _listed(refs):
    """One tensor as itself, several as a tuple (the printers' list)."""
    return refs[0] if len(refs) == 1 else sp.Tuple(*refs)


def compact_form(bw: Backward, forward: Program) -> Compact | None:
    """The compact form of a backward program's asked gradients, or None when there is
    none worth showing: nothing to substitute, a block or a shifted index, a nested
    sum, or a form much longer than the loops."""
    prog = bw.program
    if any(isinstance(it, Block) for it in prog.items):
        return None
    sources = {grad_name(s) for s in bw.sources}
    values = _gradient_values(prog, sources)
    if values is None:
        return None
    allowed = set(forward.tensors) | sources
    defs = solved_definitions(forward)
    statements, steps, reduced = [], [], False
    for t in bw.targets:
        g = grad_name(t)
        if g not in values:
            return None
        idx, expr, ranges = values[g]
        lhs = ref(g, idx)
        taken = {i.name for i in idx}
        inner = {n: v for n, v in values.items() if n != g}
        for _ in range(MAX_ROUNDS):
            expr, used = _substitute(expr, inner, taken)
            if not used:
                break
            reduced = reduced or any(values[n][1].has(sp.Sum) for n in used)
            steps.append(Step("compact", chain=(lhs, "=", expr), why="compact substituted",
                              args={"gradients": _listed([ref(n, values[n][0])
                                                          for n in used]), "target": lhs}))
        if any(ref_name(r) not in allowed for r in reads(expr)):
            return None
        new = tidy(expr, forward)
        if new != expr and steps and steps[-1].args.get("target") == lhs:
            steps.append(Step("compact", chain=(lhs, "=", summed_out(expr, forward)),
                              why="compact sums"))
        expr = _eliminated(new, forward, defs, steps, lhs)
        if nested(expr):
            return None
        loops = tuple(Loop(v, *ranges[v]) for v in idx)
        statements.append(Statement(lhs, "=", expr, loops))
    if not reduced:
        return None
    size = sum(_cost(s.rhs) for s in prog.statements())
    if sum(_cost(s.rhs) for s in statements) > MAX_GROWTH * max(size, 1):
        return None
    steps.append(Step("compact", why="compact form", args={"gradients": _listed(
        [s.target for s in statements])}))
    return Compact(statements, steps, lowered(statements, prog))


def lowered(statements, prog: Program) -> Program:
    """The compact statements as a loop program: each sum a temporary tensor written by
    a `+=` loop over its free indices and its own, read by the statement."""
    tensors = dict(prog.tensors)
    taken = names_in_use(prog)
    items = []
    for st in statements:
        ranges = {lp.var: (lp.lo, lp.hi) for lp in st.loops}
        rhs = st.rhs
        for k, s in enumerate(sorted(rhs.atoms(sp.Sum), key=sp.default_sort_key)):
            free = [v for v in ranges if v in s.free_symbols]
            name = fresh(f"{st.target_name.replace('.', '_')}_sum", taken)
            taken.add(name)
            tensors[name] = TensorInfo(name, tuple(v.name for v in free),
                                       tuple(ranges[v] for v in free), "temporary")
            items.append(Statement(ref(name, free), "+=", s.function,
                                   tuple(Loop(u, *ranges[u]) for u in free)
                                   + tuple(Loop(v, lo, hi) for v, lo, hi in s.limits)))
            rhs = rhs.xreplace({s: ref(name, free)})
        items.append(st.with_(rhs=rhs))
    return Program(items, tensors, prog.indices, prog.symbols, prog.functions, prog.sizes,
                   prog.ranges, prog.fixed, prog.relations)
