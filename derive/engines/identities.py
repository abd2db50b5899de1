"""The forward program's own identities, used to simplify backward sums.

A forward program often fixes a sum over an index without saying so:

- a softmax `p[b, j] = g / Z[b]` with `Z[b] += g` over j sums to 1 over j;
- an input declared `domain: onehot` or `probability` sums to 1 over its last axis;
- a mean (or any sum) `mu[j] += c * x[b, j]` over b gives sum_b x[b, j] = mu[j] / c,
  so a centred x[b, j] - mu[j] sums to 0 over b.

A backward statement that sums over an index (`for b, j: Z.grad[b] -= p.grad[b, j] *
p[b, j] / Z[b]`) is rewritten term by term: a term that is a known sum is replaced by
its value, and the statement loses that loop.  Pointwise gradients (written once,
without a sum) are inlined where that lets an identity apply, and inlined into their
readers afterwards when that shortens the program: cross-entropy after a softmax
becomes `s.grad = Loss.grad * (p - y)`.  Every rewrite is a Step naming the identity;
the answer is verified numerically like any other.
"""
from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from derive.core.program import (Block, Loop, Program, Statement, format_expr, grad_name, kept,
                                 is_grad_name, reads, ref, ref_indices, ref_name)
from derive.core.records import Step


@dataclass(frozen=True)
class Fact:
    """sum over axis `axis` of tensor[d_0, ..., d_n] = value (in the dummies `idx`)."""
    tensor: str
    axis: int
    idx: tuple
    value: sp.Expr
    kind: str                 # softmax | onehot | probability | sum
    defined_by: sp.Expr | None = None     # the tensor whose definition gives the fact
    span: tuple = ()          # (lo, hi) of the summed axis: the sum is over all of it


def _writers(program: Program) -> dict:
    out: dict = {}
    for st in program.statements():
        out.setdefault(st.target_name, []).append(st)
    return out


def _plain(r) -> bool:
    idx = ref_indices(r)
    return all(i.is_Symbol for i in idx) and len(set(idx)) == len(idx)


def _summed(st: Statement) -> list:
    kept = set().union(*[i.free_symbols for i in ref_indices(st.target)]) \
        if ref_indices(st.target) else set()
    return [lp for lp in st.loops if lp.var not in kept]


def _full_range(program: Program, name: str, axis: int, loop) -> bool:
    info = program.tensors.get(name)
    return info is not None and axis < len(info.ranges) and \
        sp.simplify(info.ranges[axis][0] - loop.lo) == 0 and \
        sp.simplify(info.ranges[axis][1] - loop.hi) == 0


def facts(program: Program) -> list:
    """The sums over an index that the forward program fixes."""
    writers = _writers(program)
    out = []
    for name, info in program.tensors.items():
        if info.domain in ("onehot", "probability") and name not in writers and info.axes:
            idx = tuple(sp.Dummy(f"d{k}") for k in range(len(info.axes)))
            out.append(Fact(name, len(idx) - 1, idx, sp.S.One, info.domain,
                            span=tuple(info.ranges[-1])))
    sums = {}
    for name, sts in writers.items():
        if len(sts) != 1 or sts[0].op != "+=" or not _plain(sts[0].target):
            continue
        st = sts[0]
        summed = _summed(st)
        if len(summed) != 1:
            continue
        sums[name] = (st, summed[0])
        fact = _sum_fact(program, st, summed[0])
        if fact is not None:
            out.append(fact)
    for name, sts in writers.items():
        if len(sts) == 1 and sts[0].op in ("=", "+=") and not _summed(sts[0]) \
                and _plain(sts[0].target):
            fact = _softmax_fact(program, sts[0], sums)
            if fact is not None:
                out.append(fact)
    return out


def _sum_fact(program, st: Statement, loop):
    """Y[r] += c * X[..., k, ...] over k: sum_k X = Y[r] / c (c a nonzero constant)."""
    c, x = st.rhs.as_independent(*reads(st.rhs), as_Add=False)
    if not isinstance(x, sp.Indexed) or not _plain(x) or c.has(loop.var) or c == 0:
        return None
    if not (c.is_number or all(s.is_positive for s in c.free_symbols)):
        return None
    xi, yi = ref_indices(x), ref_indices(st.target)
    if loop.var not in xi or not set(yi) <= set(xi):
        return None
    axis = xi.index(loop.var)
    if not _full_range(program, ref_name(x), axis, loop):
        return None
    idx = tuple(sp.Dummy(f"d{k}") for k in range(len(xi)))
    m = dict(zip(xi, idx))
    value = ref(st.target_name, [m[i] for i in yi]) / c
    return Fact(ref_name(x), axis, idx, value, "sum", st.target, (loop.lo, loop.hi))


def _softmax_fact(program, st: Statement, sums: dict):
    """P[i] = g / Y[r] where Y[r] += g over the one index k of i not in r: sum_k P = 1."""
    pi = ref_indices(st.target)
    for r in reads(st.rhs):
        name = ref_name(r)
        if name not in sums or not _plain(r):
            continue
        ydef, yloop = sums[name]
        ri = ref_indices(r)
        missing = [i for i in pi if i not in ri]
        if len(missing) != 1 or not set(ri) <= set(pi):
            continue
        k = missing[0]
        num = sp.cancel(st.rhs * r)
        if num.has(r):
            continue
        m = dict(zip(ref_indices(ydef.target), ri))
        m[yloop.var] = k
        if sp.expand(ydef.rhs.xreplace(m) - num) != 0:
            continue
        axis = pi.index(k)
        ploop = next((lp for lp in st.loops if lp.var == k), None)
        if ploop is None or (ploop.lo, ploop.hi) != (yloop.lo, yloop.hi) or \
                not _full_range(program, st.target_name, axis, ploop):
            continue
        idx = tuple(sp.Dummy(f"d{n}") for n in range(len(pi)))
        return Fact(st.target_name, axis, idx, sp.S.One, "softmax", r, (ploop.lo, ploop.hi))
    return None


# --------------------------------------------------------------------------
# using them
# --------------------------------------------------------------------------


def _cost(e) -> int:
    return sp.count_ops(e, visual=False) + len(reads(e))


def _pointwise(program: Program, tensors) -> dict:
    """name -> (target indices, value) for tensors written once, without a sum."""
    out = {}
    for name, sts in _writers(program).items():
        if len(sts) != 1 or not _plain(sts[0].target) or _summed(sts[0]):
            continue
        st = sts[0]
        if st.op not in ("=", "+=", "-="):
            continue
        out[name] = (ref_indices(st.target), -st.rhs if st.op == "-=" else st.rhs)
    return out


def _inline(expr, defs: dict, only=None):
    subs = {}
    for r in reads(expr):
        name = ref_name(r)
        if name in defs and (only is None or name in only):
            idx, value = defs[name]
            subs[r] = value.xreplace(dict(zip(idx, ref_indices(r))))
    return expr.xreplace(subs) if subs else expr


def _shortest(e, defs_fwd=None):
    cands = [sp.factor_terms(sp.expand(e, deep=False, mul=True, multinomial=False)),
             sp.factor_terms(sp.expand(e)), sp.factor_terms(sp.cancel(e))]
    return min(cands, key=_cost)


def _match(f, loop, table: dict):
    """The fact whose tensor f reads with the summed index at the fact's axis."""
    if not isinstance(f, sp.Indexed):
        return None
    idx = ref_indices(f)
    for fact in table.get(ref_name(f), ()):
        if sp.expand(loop.lo - fact.span[0]) != 0 or sp.expand(loop.hi - fact.span[1]) != 0:
            continue
        if fact.axis < len(idx) and idx[fact.axis] == loop.var and \
                not any(i.has(loop.var) for n, i in enumerate(idx) if n != fact.axis):
            return fact, fact.value.xreplace(dict(zip(fact.idx, idx)))
    return None


def _sum_term(t, loop, table, fwd, depth=1):
    """(sum over the loop of term t, facts used), or None when no fact applies."""
    dep, indep = [], sp.S.One
    for f in sp.Mul.make_args(t):
        if f.has(loop.var):
            dep.append(f)
        else:
            indep *= f
    if not dep:
        return indep * loop.count(), []
    if len(dep) == 1:
        hit = _match(dep[0], loop, table)
        if hit is not None:
            return indep * hit[1], [(hit[0], dep[0])]
    if depth and any(ref_name(r) in fwd and ref_name(r) not in table
                     for r in reads(sp.Mul(*dep))):
        expanded = sp.expand(_inline(sp.Mul(*dep), fwd, only=set(fwd) - set(table)))
        total, used = sp.S.Zero, []
        for s in sp.Add.make_args(expanded):
            got = _sum_term(s, loop, table, fwd, depth - 1)
            if got is None:
                return None
            total += got[0]
            used += got[1]
        if used:
            return indep * total, used
    return None


def _sum_out(st: Statement, loop, table, fwd, grads):
    """The statement with its sum over `loop` done by the identities, as (statements,
    facts used), or None."""
    sign = -1 if st.op == "-=" else 1
    for rhs in (st.rhs, _inline(st.rhs, grads)):
        done, kept, used = sp.S.Zero, [], []
        for t in sp.Add.make_args(sp.expand(sign * rhs)):
            got = _sum_term(t, loop, table, fwd)
            if got is None:
                kept.append(t)
            else:
                done += got[0]
                used += got[1]
        if not used:
            continue
        done = _shortest(done)
        rest = _shortest(sp.Add(*kept)) if kept else sp.S.Zero
        if _cost(done) + _cost(rest) > max(_cost(st.rhs), _cost(sign * rhs)):
            continue          # (with a gradient inlined, against what was inlined)
        out = []
        if done != 0:
            out.append(st.with_(op="+=", rhs=done,
                                loops=tuple(lp for lp in st.loops if lp.var != loop.var)))
        if rest != 0:
            out.append(st.with_(op="+=", rhs=rest))
        return out, used
    return None


def apply_identities(bw: Program, forward: Program, keep: set, steps: list) -> None:
    """Rewrite the backward sums that the forward program's identities fix (in place)."""
    found = facts(forward)
    if not found:
        return
    table: dict = {}
    for f in found:
        table.setdefault(f.tensor, []).append(f)
    fwd = _pointwise(forward, forward.tensors)
    keep_grads = {grad_name(n) for n in keep}
    changed = []

    def rec(items):
        k = 0
        while k < len(items):
            st = items[k]
            if isinstance(st, Block):
                rec(st.body)
                k += 1
                continue
            summed = _summed(st) if st.op in ("+=", "-=") else []
            if len(summed) != 1:
                k += 1
                continue
            grads = {n: v for n, v in _pointwise(bw, bw.tensors).items()
                     if is_grad_name(n) and n not in keep_grads and n != st.target_name}
            got = _sum_out(st, summed[0], table, fwd, grads)
            if got is None:
                k += 1
                continue
            new, used = got
            for fact, term in _distinct(used):
                steps.append(_fact_step(fact, term, summed[0], st))
            shown = new[0] if new else st.with_(rhs=sp.S.Zero)
            steps.append(Step("identity", f"so {format_expr(st.target)}: " + "; ".join(
                format_expr(s.rhs) for s in new), shown, shown.rhs,
                why="identity applied", args={"statement": st, "new": list(new) or [shown]}))
            items[k:k + 1] = new
            changed.append(st.target_name)
            k += len(new)
    rec(bw.items)
    if changed:
        inline_into_readers(bw, set(changed), keep_grads, steps)


def _distinct(used):
    seen, out = set(), []
    for fact, term in used:
        if (fact.tensor, fact.kind) not in seen:
            seen.add((fact.tensor, fact.kind))
            out.append((fact, term))
    return out


def _fact_step(fact: Fact, term, loop, st) -> Step:
    total = sp.Sum(term, (loop.var, loop.lo, loop.hi))
    value = fact.value.xreplace(dict(zip(fact.idx, ref_indices(term))))
    why = {"softmax": "identity softmax", "onehot": "identity onehot",
           "probability": "identity probability", "sum": "identity sum"}[fact.kind]
    args = {"tensor": term, "index": loop.var}
    if fact.kind == "sum":
        args["defined"] = fact.defined_by
    return Step("identity", f"{format_expr(total)} = {format_expr(value)}", st, value,
                {"identity": fact.kind}, chain=(total, "=", value), why=why, args=args)


def inline_into_readers(bw: Program, changed: set, keep: set, steps: list) -> None:
    """Inline the pointwise gradients a rewritten statement's readers use, where the
    program gets shorter (the gradients nothing reads any more are dropped)."""
    def total(items_) -> int:
        return sum(_cost(s.rhs) for s in Program(items_, bw.tensors).statements())

    for st in list(bw.statements()):
        if not any(ref_name(r) in changed for r in st.reads()):
            continue
        defs = {n: v for n, v in _pointwise(bw, bw.tensors).items()
                if is_grad_name(n) and n not in keep and n != st.target_name}
        rhs = st.rhs
        for _ in range(3):
            nxt = _inline(rhs, defs)
            if nxt == rhs:
                break
            rhs = nxt
        if rhs == st.rhs:
            continue
        rhs = _shortest(rhs)
        new = st.with_(rhs=rhs)
        trial = _replace(bw.items, st, new)
        trial = _drop_unread(trial, bw.tensors, keep)
        if total(trial) >= total(bw.items):
            continue
        bw.items = trial
        steps.append(Step("identity", f"inline into {format_expr(st.target)}: "
                          f"{format_expr(rhs)}", new, rhs, why="identity inlined",
                          args={"statement": new}))


def _replace(items, old, new):
    out = []
    for it in items:
        if isinstance(it, Block):
            out.append(Block(it.loops, _replace(it.body, old, new), it.line))
        else:
            out.append(new if it is old else it)
    return out


def _drop_unread(items, tensors, keep: set):
    """Remove statements writing an intermediate gradient that nothing reads."""
    while True:
        prog = Program(items, tensors)
        read = {ref_name(r) for s in prog.statements() for r in s.reads()}
        dead = {s.target_name for s in prog.statements()
                if is_grad_name(s.target_name) and s.target_name not in keep
                and s.target_name not in read}
        if not dead:
            return items
        items = _filter(items, dead)


def _filter(items, dead):
    return kept(items, lambda st: st.target_name not in dead)


def sums_with_facts(expr, forward: Program):
    """`expr` with every sum (sp.Sum) that the forward program's identities fix written
    out: the equivalence prover knows the same true identities as the simplifier."""
    found = facts(forward)
    if not found or not expr.has(sp.Sum):
        return expr
    table: dict = {}
    for f in found:
        table.setdefault(f.tensor, []).append(f)
    fwd = _pointwise(forward, forward.tensors)

    def rec(e):
        if not e.args:
            return e
        if isinstance(e, sp.Sum):
            body = rec(e.function)
            for (v, lo, hi) in e.limits:
                body = _one_sum(body, Loop(v, lo, hi), table, fwd)
            return body
        return e.func(*[rec(a) for a in e.args])
    return rec(expr)


def _one_sum(body, loop, table, fwd):
    done = [(t, _sum_term(t, loop, table, fwd)) for t in sp.Add.make_args(sp.expand(body))]
    if not any(got is not None and got[1] for _, got in done):
        return sp.Sum(body, (loop.var, loop.lo, loop.hi))
    return sp.Add(*[got[0] if got is not None else sp.Sum(t, (loop.var, loop.lo, loop.hi))
                    for t, got in done])
