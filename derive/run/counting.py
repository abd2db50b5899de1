"""The independent count of a cost: unroll at concrete sizes, element by element, and
check the formulas against it."""
from __future__ import annotations

from derive.core.stopwatch import timed

import itertools
from dataclasses import dataclass, field
import sympy as sp
from derive.core.program import concrete
from derive.core.program import (as_expr, affine, Block, Program, ref_indices, ref_name)
from derive.core.phrase import Phrase, sizes_phrase
from derive.core.records import Check, Verification
from derive.engines.cost.analysis import Cost
from derive.engines.cost.count import expr_depth, instance_work, recurrence_loop, tree_depth
from derive.core.errors import CostError

# --------------------------------------------------------------------------
# the independent count: unroll at concrete sizes, element by element
# --------------------------------------------------------------------------


@dataclass
class Counted:
    sizes: dict
    work: int
    depth: int
    instances: int
    tensors: dict = field(default_factory=dict)    # tensor -> latest ready element


def _compile_index(e, variables, size_subs):
    e = sp.expand(as_expr(e).xreplace(size_subs))
    if e.is_Integer:
        return (int(e), ())
    aff = affine(e, variables)
    if aff is None or not aff[0].is_Integer:
        raise CostError(f"the index {e} is not affine in the loop variables")
    const, coeffs = aff
    return (int(const), tuple((v, c) for v, c in coeffs.items()))


def count(program: Program, sizes: dict, present_at_start=()) -> Counted:
    """Work and longest chain of the instance graph, counted by unrolling."""
    size_subs = {sym: sp.Integer(sizes[name]) for name, sym in program.sizes.items()
                 if name in sizes}
    ranges = {}
    for name, info in program.tensors.items():
        ranges[name] = tuple((concrete(lo, sizes), concrete(hi, sizes)) for lo, hi in info.ranges)
    written = set(program.written())
    present0 = {n for n in program.tensors if n not in written} | set(present_at_start)
    # element -> [ready, present, {run of a statement: [contributions, last finish]}]
    elems: dict = {}
    totals = {"work": 0, "depth": 0, "instances": 0}

    def in_range(name, idx):
        return all(lo <= i <= hi for i, (lo, hi) in zip(idx, ranges[name]))

    def materialize(key):
        e = elems.get(key)
        if e is None:
            return 0
        ready, present, runs = e
        if runs:
            sums = [last + tree_depth(cnt) for cnt, last in runs.values()]
            fin = max(sums + ([ready] if present else []))
            ready = fin + tree_depth(len(runs) + (1 if present else 0))
            elems[key] = [ready, True, {}]
        return ready

    def run_statement(st, fixed, enclosing):
        loops = list(st.loops)
        lp = recurrence_loop(st)
        if lp is not None:
            loops = [lp] + [l for l in loops if l.var != lp.var]
        variables = [l.var for l in loops] + list(fixed)
        target = _compile_index_tuple(st.target, variables, size_subs)
        refs = [(ref_name(r), _compile_index_tuple(r, variables, size_subs)) for r in st.reads()]
        work = instance_work(st)
        depth = expr_depth(st.rhs)
        tname = st.target_name
        values = []
        for l in loops:
            lo, hi = concrete(l.lo, sizes), concrete(l.hi, sizes)
            vals = list(range(lo, hi + 1))
            values.append(vals[::-1] if l.reverse else vals)
        names = [l.var for l in loops]
        run_key = (id(st),) + tuple(sorted((str(k), v) for k, v in fixed.items()))
        for point in itertools.product(*values):
            env = dict(fixed)
            env.update(zip(names, point))
            start = 0
            for name, comp in refs:
                idx = _eval_index(comp, env)
                if in_range(name, idx):
                    key = (name, idx)
                    if key in elems:
                        start = max(start, materialize(key))
            finish = start + depth
            totals["work"] += work
            totals["instances"] += 1
            totals["depth"] = max(totals["depth"], finish)
            idx = _eval_index(target, env)
            if not in_range(tname, idx):
                continue
            key = (tname, idx)
            e = elems.get(key)
            if e is None:
                e = elems[key] = [0, tname in present0, {}]
            if st.op == "=":
                elems[key] = [finish, True, {}]
            else:
                rk = run_key + ((point[0],) if lp is not None else ())
                cnt, last = e[2].get(rk, (0, 0))
                e[2][rk] = (cnt + 1, max(last, finish))

    def run(items, fixed):
        for it in items:
            if isinstance(it, Block):
                def rec(k, fx):
                    if k == len(it.loops):
                        run(it.body, fx)
                        return
                    l = it.loops[k]
                    lo, hi = concrete(l.lo, sizes), concrete(l.hi, sizes)
                    vals = range(hi, lo - 1, -1) if l.reverse else range(lo, hi + 1)
                    for v in vals:
                        rec(k + 1, {**fx, l.var: v})
                rec(0, fixed)
            else:
                run_statement(it, fixed, None)

    run(program.items, {})
    latest: dict = {}
    for key in list(elems):
        r = materialize(key)
        latest[key[0]] = max(latest.get(key[0], 0), r)
        totals["depth"] = max(totals["depth"], r)
    return Counted(dict(sizes), totals["work"], totals["depth"], totals["instances"], latest)


def _compile_index_tuple(r, variables, size_subs):
    return tuple(_compile_index(e, variables, size_subs) for e in ref_indices(r))


def _eval_index(comp, env):
    return tuple(c + sum(k * env[v] for v, k in terms) for c, terms in comp)


# --------------------------------------------------------------------------
# checking the formulas by counting
# --------------------------------------------------------------------------


@dataclass
class CountVerification(Verification):
    """Formulas checked against counts of the unrolled program."""
    rows: list = field(default_factory=list)       # (sizes, name, formula value, counted)

    def summary(self) -> Phrase:
        status = "passed" if self.passed else "FAILED"
        n = len(self.checks)
        if self.passed:
            return Phrase(self.method, f": {status}, the work and depth formulas equal the "
                          f"counts at all {n} sizes", Phrase("; ", self.detail) if self.detail
                          else "")
        bad = [r for r in self.rows if r[2] != r[3]]
        if not bad:
            return Phrase(self.method, f": {status}, ", self.detail)
        sz, name, f, c = bad[0]
        return Phrase(self.method, f": {status}, the {name} formula gives ", f, " but ", c,
                      " was counted at ", sizes_phrase(sz))

    def brief(self) -> str:
        """A few words for `derive verify`'s table."""
        n = len(self.checks)
        return f"counted by unrolling, {n} sizes: " + ("exact" if self.passed else "mismatch")

    def details(self) -> list:
        out = []
        for c in self.checks:
            at = ", ".join(f"{k}={v}" for k, v in c.sizes.items())
            vals = [(r[1], r[2], r[3]) for r in self.rows if r[0] == c.sizes]
            out.append(f"{at}: " + ", ".join(
                f"{name} {f}" + (" (counted the same)" if f == cnt else f" but counted {cnt}")
                for name, f, cnt in vals))
        return out


@timed("verify")
def check_by_counting(program: Program, cost: Cost, size_list, present_at_start=(),
                      label: str = "") -> CountVerification:
    """The work and depth formulas against counts of the unrolled program."""
    rows, checks = [], []
    for sizes in size_list:
        subs = {sym: sp.Integer(sizes[n]) for n, sym in program.sizes.items()}
        c = count(program, sizes, present_at_start)
        errs = {}
        for name, formula, counted in ((f"{label}work", cost.work, c.work),
                                       (f"{label}depth", cost.depth, c.depth)):
            v = as_expr(formula).xreplace(subs)
            v = int(v) if v.is_Integer else float(v)
            rows.append((dict(sizes), name, v, counted))
            errs[name] = abs(v - counted) / max(abs(counted), 1)
        checks.append(Check(dict(sizes), 0, errs))
    passed = all(r[2] == r[3] for r in rows)
    return CountVerification("counted by unrolling", checks, 0.0, passed, rows=rows)


GROWTH_SIZES = (2, 4, 8, 16)


def order_mismatch(formula, order_term, grow, fixed: dict) -> str | None:
    """Does the formula grow as its order says?  The order is taken from the formula
    (never from the ratios of counts, which only approach the order's ratio at large
    sizes: an LSTM's depth 30, 62, 127, 256 is O(T) and grows by 2.02 from T=8 to 16).
    The formula over the order's term, at the grown size 2^20 and 2^40 (the other sizes
    fixed), must level off: a ratio that keeps growing or shrinking by more than half
    means the order is wrong.  None if it agrees, else why."""
    values = []
    for k in (20, 40):
        at = {grow: sp.Integer(2) ** k, **fixed}
        f = as_expr(formula).xreplace(at)
        t = as_expr(order_term).xreplace(at)
        if not (f.is_number and t.is_number) or t == 0:
            return None                   # not a formula in this size alone: not judged
        values.append(float(f) / float(t))
    lo, hi = values
    if lo <= 0 or hi <= 0:
        return None if lo == hi == 0 else f"the formula over its order is {lo:.3g}, {hi:.3g}"
    if not 1 / 1.5 <= hi / lo <= 1.5:
        return (f"the formula over {order_term} goes from {lo:.3g} at {grow}=2^20 to "
                f"{hi:.3g} at 2^40: it does not grow as O({order_term})")
    return None
