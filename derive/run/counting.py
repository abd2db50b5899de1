"""The independent count of a cost: unroll at concrete sizes, element by element, and
check the formulas against it."""
from __future__ import annotations

import itertools
from dataclasses import dataclass, field
import sympy as sp
from derive.core.program import concrete
from derive.core.program import (as_expr, affine, Block, Program, ref_indices, ref_name)
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

    def summary(self) -> str:
        status = "passed" if self.passed else "FAILED"
        n = len(self.checks)
        if self.passed:
            return (f"{self.method}: {status}, the work and depth formulas equal the counts "
                    f"at all {n} sizes" + (f"; {self.detail}" if self.detail else ""))
        bad = [r for r in self.rows if r[2] != r[3]]
        if not bad:
            return f"{self.method}: {status}, {self.detail}"
        sz, name, f, c = bad[0]
        at = ", ".join(f"{k}={v}" for k, v in sz.items())
        return f"{self.method}: {status}, the {name} formula gives {f} but {c} was counted at {at}"

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


def _growth_ratio(order_text: str, grow: str):
    """Bounds on count(16) / count(8) for an order in one size (None: not checked)."""
    inner = order_text[2:-1]
    return {"1": (1.0, 1.0), grow: (1.5, 2.0), f"{grow}^2": (3.0, 4.0),
            f"log {grow}": (1.0, 1.5)}.get(inner)


def _claimed_growth(v: CountVerification, claims: dict, grow: str) -> list:
    """Claims {'work': 'O(T)', ...} that the counts at 8 and 16 contradict."""
    bad = []
    for name, claim in claims.items():
        at = {r[0][grow]: r[3] for r in v.rows if r[1] == name}
        bounds = _growth_ratio(claim, grow)
        if bounds is None or 8 not in at or 16 not in at:
            continue
        ratio = at[16] / max(at[8], 1)
        if not bounds[0] <= ratio <= bounds[1]:
            bad.append(f"{name} grows by {ratio:.2f} from {grow}=8 to {grow}=16, "
                       f"not as {claim}")
    return bad
