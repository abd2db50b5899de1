"""Moments statement by statement, and of named tensors and gradients under one set
of assumptions."""
from __future__ import annotations

import itertools
from dataclasses import dataclass, field, replace
import sympy as sp
from sympy import Indexed
from derive.engines.backward import derive_backward
from derive.core.records import Backward, Step
from derive.core.errors import DerivationError
from derive.core.functions import NOTATION_NAME, Phi, ind, step
from derive.core.program import (Block, Loop, Program, Statement, TensorScalar, base_of,
                                 format_statement, grad_name, index_var, is_grad_name, reads,
                                 ref_indices, ref_name)
from derive.engines.moments.algebra import (BOUND, E, RV, Var, _interval_add, _interval_mul,
                                            _odd_meet, _simp, _sym, as_assumptions, constant_rv,
                                            fx, input_rv, said)
from derive.engines.moments.dependence import Forms, correlated_sum, dependent_moments
from derive.engines.moments.quadrature import quadrature
from derive.engines.moments.table import MOMENTS, affine, power_moments

# --------------------------------------------------------------------------
# rules over expressions and statements
# --------------------------------------------------------------------------


@dataclass
class MomentDerivation:
    """The moments of every tensor of a program, with the steps that derived them."""
    program: Program
    rvs: dict                       # tensor -> RV
    steps: list
    assumptions: dict               # tensor -> Assumption
    assumed: list = field(default_factory=list)   # independence assumed, not proven

    def rv(self, name: str) -> RV:
        if name not in self.rvs:
            raise DerivationError(f"no moments derived for {name!r}")
        return self.rvs[name]

    def mean(self, name: str):
        return self.rv(name).mean

    def variance(self, name: str):
        return self.rv(name).var

    def relation(self, name: str) -> str:
        return BOUND if self.rv(name).bound else "="


@dataclass
class MomentResult:
    label: str
    value: sp.Expr
    relation: str
    steps: list
    derivation: MomentDerivation


def _injective(r, summed) -> bool:
    """Do distinct values of the summed variables read distinct entries (affine indices)?"""
    if not summed:
        return True
    rows = []
    for e in ref_indices(r):
        row = []
        for s in summed:
            d = sp.diff(e, s)
            if d.free_symbols:
                return False
            row.append(d)
        rows.append(row)
    return bool(rows) and sp.Matrix(rows).rank() == len(summed)


def normalized(st: Statement, tensors: dict) -> tuple[Statement, list]:
    """The statement with plain target indices (`y + dy` re-indexed to `y`), and the
    (expression, original loop) pairs whose range re-indexing moved into the reads."""
    moved = []
    info = tensors[st.target_name]
    own = {lp.var: lp for lp in st.loops}
    for k, e in enumerate(ref_indices(st.target)):
        if e.is_Symbol and e in own:
            continue
        cands = [v for v in e.free_symbols if v in own and sp.diff(e, v) == 1]
        cands.sort(key=lambda v: (tuple(own[v].bounds) != tuple(info.ranges[k]), v.name))
        if not cands:
            raise DerivationError(f"cannot read one entry of the target of "
                                  f"`{format_statement(st)}`: index {fx(e)}")
        v = cands[0]
        rest = sp.expand(e - v)
        sub = {v: v - rest}
        moved.append((v - rest, own[v]))
        loops = tuple(Loop(v, info.ranges[k][0], info.ranges[k][1], lp.reverse)
                      if lp.var == v else lp for lp in st.loops)
        st = st.with_(target=st.target.xreplace(sub), rhs=st.rhs.xreplace(sub), loops=loops)
        own = {lp.var: lp for lp in st.loops}
    return st, moved


class Propagator:
    """Moments of every written tensor, statement by statement."""

    def __init__(self, program: Program, assumptions: dict, known: dict | None = None,
                 numeric: bool = False):
        self.program = program
        self.numeric = numeric          # a part's `numeric: true`: quadrature allowed
        self.assumptions = assumptions
        self.known = dict(known or {})
        self.contributions: dict = {}       # tensor -> [(RV, statement)]
        self.rvs: dict = {}
        self.steps: list = []
        self.assumed: list = []
        self.forms = Forms({n: a for n, a in assumptions.items() if n not in self.known},
                           {index_var(n): tuple(r) for n, r in program.indices.items()})

    # ---- reading -----------------------------------------------------------

    def rv_of_tensor(self, name: str) -> RV:
        if name in self.rvs:
            return self.rvs[name]
        if name in self.known:
            return self.known[name]
        if name in self.assumptions:
            return input_rv(name, self.assumptions[name])
        info = self.program.tensors.get(name)
        what = "gradient" if is_grad_name(name) else (info.role if info else "tensor")
        raise DerivationError(
            f"no assumption for the {what} {name!r}: say under assume: (or the part's given:) "
            f"its mean and variance, or that it is a constant")

    def step(self, kind, st=None, expr=None, *, why, args=None, chain=(), assumptions=(),
             **extra):
        """Record a step: its sentence `why` (derive.core.sentences_moments) naming `args`,
        its relation chain, its assumptions; `extra` is data for tests and printers."""
        self.steps.append(Step(kind, "", st, expr, extra, tuple(chain), why, dict(args or {}),
                               tuple(assumptions)))

    # ---- expressions -------------------------------------------------------

    def rv(self, e, st) -> RV:
        """Moments of one entry of the expression `e` (loop indices fixed)."""
        e = _sym(e)
        if isinstance(e, (Indexed, TensorScalar)):
            name = ref_name(e)
            a = self.assumptions.get(name)
            if a is not None and a.constant is not None and name not in self.rvs \
                    and name not in self.known:
                self.step("rule", st, why="constant", args={"tensor": name},
                          chain=said(e, "=", a.constant), rule="constant")
            return self.rv_of_tensor(name)
        if not reads(e):
            return constant_rv(e)
        if self.numeric and (q := quadrature(self, e, st)) is not None:
            return q
        if e.is_Add:
            return self.add([(a, self.rv(a, st)) for a in e.args], st, e)
        if e.is_Mul:
            return self.mul([(a, self.rv(a, st)) for a in e.args], st, e)
        if e.is_Pow:
            base, ex = e.args
            b = self.rv(base, st)
            if not b.random:
                return self.constant(e)
            if not (ex.is_Integer and ex > 0):
                raise DerivationError(
                    f"no closed form for the moments of {fx(e)}: the moments table has "
                    "positive integer powers only (of entries with a declared distribution)")
            return self.facts(st, "power", *power_moments(b, base, int(ex)))
        if isinstance(e, ind):
            return self.indicator(e, st)
        f = type(e)
        if f in MOMENTS:
            (arg,) = e.args
            u = self.rv(arg, st)
            if not u.random:
                return self.constant(e)
            return self.facts(st, f.__name__, *MOMENTS[f](u, arg))
        if isinstance(e, sp.core.function.AppliedUndef):
            name = getattr(f, "__name__", str(f))
            known = [k.__name__ for k in MOMENTS]
            also = f"; the built-in {name} has moments: remove {name} from functions: to " \
                   "use it" if name in known else ""
            raise DerivationError(f"{name} is declared under functions: as an arbitrary "
                                  f"function, so its moments are unknown{also}")
        if isinstance(e, sp.Function) and (exact := self.dependent(e, st, [e])) is not None:
            return exact          # max(z, 0.01 z): piecewise polynomial in one entry
        if isinstance(e, sp.Function):
            name = NOTATION_NAME.get(f, getattr(f, "__name__", str(f)))
            rows = ", ".join(NOTATION_NAME.get(k, k.__name__) for k in MOMENTS)
            raise DerivationError(f"no closed form for the moments of {fx(e)}: the moments "
                                  f"table has no row for the function {name!r} (it has rows "
                                  f"for {rows}, integer powers and comparisons)")
        raise DerivationError(f"no moment rule for {fx(e)}")

    def facts(self, st, rule: str, out: RV, facts: list) -> RV:
        """Record the facts a table row used, as steps; the row's RV."""
        for fact in facts:
            self.step("fact", st, why=fact.why, args=fact.args, chain=fact.chain,
                      rule=rule, relation="=" if fact.exact else BOUND)
        return out

    def indicator(self, e, st) -> RV:
        """A comparison (a > b) as the step step(a - b); (a >= b) too where a - b has no
        atom at 0 (the two differ only there)."""
        rel = e.args[0]
        strict = isinstance(rel, (sp.StrictGreaterThan, sp.StrictLessThan))
        if isinstance(rel, (sp.StrictGreaterThan, sp.GreaterThan)):
            arg = rel.lhs - rel.rhs
        elif isinstance(rel, (sp.StrictLessThan, sp.LessThan)):
            arg = rel.rhs - rel.lhs
        else:
            raise DerivationError(f"no closed form for the moments of the comparison "
                                  f"{fx(e)}: the moments table has <, >, <= and >= only")
        u = self.rv(arg, st)
        if not u.random:
            return self.constant(e)
        if not strict and not u.atomless:
            raise DerivationError(
                f"no closed form for E[{fx(e)}]: {fx(arg)} may be 0 with positive "
                f"probability, where {fx(e)} differs from step({fx(arg)}); write the strict "
                "comparison, or declare a continuous distribution (normal, uniform)")
        self.step("fact", st, why="indicator as a step" if strict
                  else "indicator as a step, no atom", args={"indicator": e, "step": step(arg)},
                  chain=said(E(e), "=", E(step(arg))), rule="step")
        return self.facts(st, "step", *MOMENTS[step](u, arg))

    def constant(self, e) -> RV:
        """A deterministic expression: constant tensors replaced by their values."""
        return constant_rv(_simp(e.xreplace({r: self.rv_of_tensor(ref_name(r)).mean
                                             for r in reads(e)})))

    def mul(self, factors, st, e) -> RV:
        rand = [(a, r) for a, r in factors if r.random]
        c = sp.Mul(*[r.mean for a, r in factors if not r.random])
        if c == 0:
            return constant_rv(0)
        if len(rand) == 1:
            a, r = rand[0]
            out = affine(r, c, 0)
            if c != 1:
                self.step("rule", st, why="linear map", args={"factor": c, "square": c ** 2},
                          chain=said(Var(e), "=", c ** 2 * Var(a), _rel(r), out.var),
                          rule="linear")
            return out
        if len(rand) == 2:
            gelu = self.normal_times_cdf(rand, c, st, e)
            if gelu is not None:
                return gelu
        seen = set()
        for a, r in rand:
            if r.sources & seen and (exact := self.dependent(e, st, [a for a, _ in rand])):
                return exact
            if r.sources & seen:
                shared = ", ".join(sorted(r.sources & seen))
                raise DerivationError(
                    f"the factors of {fx(e)} are not independent (several depend on "
                    f"{shared}): the product rule needs independent factors, and derive "
                    f"tracks shared inputs exactly only through linear combinations and "
                    f"functions of one entry. A weight reused across layers or time steps "
                    f"can be given its own name in each (untied weights, the usual "
                    f"mean-field assumption)")
            seen |= r.sources
        mean = c * sp.Mul(*[r.mean for _, r in rand])
        second = c ** 2 * sp.Mul(*[r.second for _, r in rand])
        var = _simp(second - mean ** 2)
        bound = any(r.bound or r.capped for _, r in rand)
        factors = [a for a, _ in rand]
        # Var(XY) = E[X^2] E[Y^2] - E[X]^2 E[Y]^2; with mean 0, E[(XY)^2] = E[X^2] E[Y^2]
        formula = c ** 2 * sp.Mul(*[E(a ** 2) for a in factors])
        links = ["=", formula]
        if _simp(mean) != 0:          # and the values, before they are multiplied out
            links = ["=", formula - c ** 2 * sp.Mul(*[E(a) ** 2 for a in factors]),
                     "=", sp.Add(sp.Mul(*([c ** 2] if c != 1 else []),
                                        *[r.second for _, r in rand], evaluate=False),
                                 -_simp(mean) ** 2, evaluate=False)]
        self.step("rule", st, var, why="product of independent factors",
                  args={"factors": factors, "mean": _simp(mean)},
                  chain=said(Var(e), *links, BOUND if bound else "=", var), rule="product")
        zero_mean = [r for _, r in rand if sp.simplify(r.mean) == 0]
        odd = frozenset().union(*[r.odd or frozenset() for r in zero_mean]) \
            if zero_mean else frozenset()
        support = None
        if all(r.support is not None for _, r in rand):
            support = (c, c)
            for _, r in rand:
                support = _interval_mul(support, r.support)
        return RV(_simp(mean), var, bound, frozenset(seen),
                  frozenset().union(*[r.factors for _, r in rand]), odd, False, support,
                  atomless=c.is_zero is False and all(r.atomless for _, r in rand))

    def normal_times_cdf(self, rand, c, st, e) -> RV | None:
        """c * u * Phi(u) (GELU) for u normal with mean 0 and variance v: by Stein's lemma
        E[u Phi(u)] = v E[Phi'(u)] = v / sqrt(2 pi (1 + v)), and
        E[u^2 Phi(u)^2] = v (1/4 + asin(v/(1+v))/(2 pi) + v/(pi (1+v) sqrt(1+2v)))."""
        (a, ra), (b, rb) = rand
        if isinstance(a, Phi):
            (a, ra), (b, rb) = (b, rb), (a, ra)
        if not (isinstance(b, Phi) and b.args[0] == a and ra.normal and not ra.bound
                and sp.simplify(ra.mean) == 0):
            return None
        v = ra.var
        mean = _simp(c * v / sp.sqrt(2 * sp.pi * (1 + v)))
        second = c ** 2 * v * (sp.Rational(1, 4) + sp.asin(v / (1 + v)) / (2 * sp.pi)
                               + v / (sp.pi * (1 + v) * sp.sqrt(1 + 2 * v)))
        var = _simp(second - mean ** 2)
        self.step("rule", st, var, why="normal times its CDF", args={"entry": a},
                  chain=said(E(e), "=", c * Var(a) * E(sp.exp(-a ** 2 / 2) / sp.sqrt(2 * sp.pi)),
                             "=", mean), rule="product")
        self.step("rule", st, var, why="second moment of normal times its CDF",
                  args={"entry": a}, chain=said(Var(e), "=", E(e ** 2) - E(e) ** 2, "=", var),
                  rule="product")
        return RV(mean, var, False, ra.sources, frozenset(), frozenset(), False, None,
                  atomless=True)

    def covariance_reason(self, a: RV, b: RV):
        """Why Cov(a, b) = 0, or None: ("independent",), or ("uncorrelated", factor,
        carrier) where the zero-mean `factor` multiplies every term of `a` (carrier 0)
        or of `b` (carrier 1), and the other does not depend on it."""
        if not (a.sources & b.sources):
            return ("independent",)
        f = sorted((b.factors - a.sources) | (a.factors - b.sources))
        if f:
            return ("uncorrelated", f[0], 1 if f[0] in b.factors - a.sources else 0)
        return None

    def add(self, terms, st, e) -> RV:
        rand = [(a, r) for a, r in terms if r.random]
        mean = _simp(sp.Add(*[r.mean for _, r in terms]))
        const = sp.Add(*[r.mean for _, r in terms if not r.random])
        if not rand:
            return constant_rv(mean)
        if len(rand) == 1:
            a, r = rand[0]
            if len(terms) > 1:
                consts = sp.Add(*[x for x, q in terms if not q.random])
                self.step("rule", st, why="add a constant",
                          args={"constant": consts, "shift": const}, rule="linear")
            return affine(r, 1, const)
        if any(self.covariance_reason(x, y) is None
               for (_, x), (_, y) in itertools.combinations(rand, 2)):
            exact = self.dependent(e, st, [a for a, _ in rand])
            if exact is not None:
                return exact
        var = _simp(sp.Add(*[r.var for _, r in rand]))
        reasons = self.sum_step(rand, st, e, var)
        independent = all(w[0] == "independent" for _, _, w in reasons)
        support = (const, const)
        for _, r in rand:
            support = _interval_add(support, r.support)
        odd = None
        for _, r in rand:
            odd = _odd_meet(odd, r.odd)
        factors = frozenset.intersection(*[r.factors for _, r in rand])
        return RV(mean, var, any(r.bound for _, r in rand),
                  frozenset().union(*[r.sources for _, r in rand]), factors,
                  odd if odd is not None else frozenset(),
                  independent and all(r.normal for _, r in rand), support,
                  atomless=independent and any(r.atomless for _, r in rand))

    def sum_step(self, rand, st, e, var) -> list:
        """The step(s) of a sum of random terms whose variances add: why each pair is
        uncorrelated (or the assumption that it is), then Var(e) = sum of Var.
        Returns [(x, y, reason)] for the pairs."""
        reasons, assumed = [], []
        for i in range(len(rand)):
            for j in range(i + 1, len(rand)):
                (x, rx), (y, ry) = rand[i], rand[j]
                why = self.covariance_reason(rx, ry)
                if why is None:
                    why = ("assumed",)
                    assumed.append(("pair uncorrelated, assumed", {"first": x, "second": y}))
                    self.assumed.append(f"{fx(x)} and {fx(y)} uncorrelated")
                reasons.append((x, y, why))
        terms = [x for x, _ in rand]
        links = ["=", sp.Add(*[Var(x) for x in terms]),
                 "=", sp.Add(*[r.var for _, r in rand], evaluate=False),
                 BOUND if any(r.bound for _, r in rand) else "=", var]
        kind = "exact" if not assumed else "assumed uncorrelated"
        extra = {"rule": "branches", "assumption": kind}
        if len(reasons) == 1 and not assumed:
            x, y, why = reasons[0]
            if why[0] == "independent":
                key, args = "sum of independent terms", {"terms": terms}
            elif x.has(sp.Sum) or y.has(sp.Sum):      # too long to name in words
                key, args = "sum of uncorrelated terms, one with the factor", {"factor": why[1]}
            else:
                carrier, other = (x, y) if why[2] == 0 else (y, x)
                key, args = "sum of uncorrelated terms", {"carrier": carrier, "other": other,
                                                          "factor": why[1]}
            self.step("rule", st, var, why=key, args=args, chain=said(Var(e), *links),
                      **extra)
            return reasons
        for x, y, why in reasons:
            if why[0] == "independent":
                self.step("rule", st, why="pair independent", args={"first": x, "second": y})
            elif why[0] == "uncorrelated":
                carrier, other = (x, y) if why[2] == 0 else (y, x)
                self.step("rule", st, why="pair uncorrelated",
                          args={"carrier": carrier, "other": other, "factor": why[1]})
        self.step("rule", st, var, why="variances add", args={"terms": terms},
                  chain=said(Var(e), *links), assumptions=tuple(assumed), **extra)
        return reasons

    # ---- dependence, tracked (derive.engines.moments.dependence) ------------

    def dependent(self, e, st, terms) -> RV | None:
        """Exact moments of `e`, whose random parts share inputs, or None."""
        return dependent_moments(self, e, st, terms)

    def correlated_sum(self, st, summed, body, total, n, over) -> RV | None:
        """A sum over loop indices whose terms share random entries, exactly."""
        return correlated_sum(self, st, summed, body, total, n, over)

    # ---- statements --------------------------------------------------------

    def normalized(self, st: Statement) -> tuple[Statement, list]:
        return normalized(st, self.program.tensors)

    def statement(self, st0: Statement):
        if st0.op in ("max=", "min="):
            raise DerivationError(f"no moment rule for a {st0.op[:-1]} over an index "
                                  f"(`{format_statement(st0)}`)")
        st, moved = self.normalized(st0)
        tvars = set().union(*[i.free_symbols for i in ref_indices(st.target)]) \
            if ref_indices(st.target) else set()
        summed = [lp for lp in st.loops if lp.var not in tvars]
        if moved:
            self.step("visit", st0, why="statement at one entry",
                      args={"statement": st0, "entry": st})
        else:
            self.step("visit", st0, why="statement", args={"statement": st0})
        shifted = [r for r in reads(st.rhs)
                   if any(not i.is_Symbol and i.free_symbols for i in ref_indices(r))]
        if shifted:
            self.step("rule", st, why="interior entries", rule="interior")
        term = self.rv(st.rhs, st)
        if st.op == "-=":
            term = replace(term, mean=-term.mean,
                           support=None if term.support is None
                           else (-term.support[1], -term.support[0]))
        contribution = term
        if summed and st.op != "=":
            contribution = self.sum_terms(st, summed, term)
        name = st.target_name
        if st.op == "=":
            self.contributions[name] = []
        self.contributions.setdefault(name, []).append((contribution, st))
        parts = self.contributions[name]
        if len(parts) == 1:
            rv = parts[0][0]
        else:
            rv = self.add([(_contribution_label(s, st.target), r) for r, s in parts], st,
                          st.target)
        self.rvs[name] = rv
        self.forms.record(st, summed)
        rel = _rel(rv)
        self.step("result", st, rv.var, why="result", args={"tensor": st.target, "mean": rv.mean},
                  chain=said(Var(st.target), rel, rv.var), tensor=name, mean=rv.mean,
                  variance=rv.var, relation=rel)

    def sum_terms(self, st, summed, term: RV) -> RV:
        n = _simp(sp.Mul(*[lp.count() for lp in summed]))
        over = [lp.var for lp in summed]
        rand_reads = [r for r in reads(st.rhs) if self.rv_of_tensor(ref_name(r)).random]
        svars = [lp.var for lp in summed]
        varying = [r for r in rand_reads
                   if any(v in i.free_symbols for i in ref_indices(r) for v in svars)]
        body = -st.rhs if st.op == "-=" else st.rhs
        total = sp.Sum(body, *[(lp.var, lp.lo, lp.hi) for lp in summed])
        if not term.random:
            return constant_rv(_simp(n * term.mean))
        if not varying:
            var = _simp(n ** 2 * term.var)
            self.step("rule", st, var, why="sum of equal terms", args={"over": over, "n": n},
                      chain=said(Var(total), "=", n ** 2 * Var(body), _rel(term), var),
                      rule="sum")
            return RV(_simp(n * term.mean), var, term.bound, term.sources, term.factors,
                      term.odd, term.normal, None, atomless=term.atomless)
        inputs = {n_: a for n_, a in self.assumptions.items() if a.constant is None}
        roles = {n_: (i.role != "parameter") for n_, i in self.program.tensors.items()}
        rand_reads.sort(key=lambda r: roles.get(ref_name(r), True))
        own_factor = [r for r in rand_reads if ref_name(r) in term.factors
                      and ref_name(r) in inputs and inputs[ref_name(r)].independent
                      and ref_name(r) not in self.known and ref_name(r) not in self.rvs
                      and _injective(r, svars)
                      and sum(1 for q in rand_reads if ref_name(q) == ref_name(r)) == 1]
        all_own = all(_injective(r, svars) and ref_name(r) in inputs
                      and inputs[ref_name(r)].independent and ref_name(r) not in self.rvs
                      for r in rand_reads) and \
            len({ref_name(r) for r in rand_reads}) == len(rand_reads)
        args, assumed = {"over": over, "n": n}, ()
        if own_factor:
            why, kind = "sum of n uncorrelated terms", "exact"
            args["factor"] = ref_name(own_factor[0])
        elif all_own:
            why, kind = "sum of n independent terms", "exact"
        elif (exact := self.correlated_sum(st, summed, body, total, n, over)) is not None:
            return exact
        else:
            why, kind = "sum of n terms", "assumed uncorrelated"
            assumed = (("terms uncorrelated", {"n": n, "over": over}),)
            self.assumed.append(f"the {fx(n)} terms of the sum over "
                                f"{', '.join(v.name for v in over)} in "
                                f"`{format_statement(st)}` uncorrelated")
        mean = _simp(n * term.mean)
        var = _simp(n * term.var)
        self.step("rule", st, var, why=why, args=args, assumptions=assumed,
                  chain=said(Var(total), "=", n * Var(body), _rel(term), var), rule="sum",
                  count=n, assumption=kind)
        support = None
        if term.support is not None:
            support = (n * term.support[0], n * term.support[1])
        return RV(mean, var, term.bound, term.sources, term.factors, term.odd,
                  term.normal and all_own, support, atomless=term.atomless and all_own)

    def run(self) -> MomentDerivation:
        for item in self.program.items:
            if isinstance(item, Block):
                raise DerivationError("moments are propagated over one step of a program: "
                                      "a time block (for t in ...:) is not supported")
            self.statement(item)
        return MomentDerivation(self.program, {**self.known, **self.rvs}, self.steps,
                                self.assumptions, self.assumed)


def _contribution_label(st: Statement, target) -> sp.Expr:
    """What one statement adds to its target, as an expression (a sum over the loop
    indices the target does not have), at the entry `target` (`L0.grad[b, x, y, jp]`
    for a statement that wrote `L0.grad[b, x, y, j]`)."""
    tvars = set().union(*[i.free_symbols for i in ref_indices(st.target)]) \
        if ref_indices(st.target) else set()
    summed = [lp for lp in st.loops if lp.var not in tvars]
    sign = -1 if st.op == "-=" else 1
    body = st.rhs
    if summed and st.op != "=":
        body = sp.Sum(st.rhs, *[(lp.var, lp.lo, lp.hi) for lp in summed])
    rename = {a: b for a, b in zip(ref_indices(st.target), ref_indices(target))
              if a.is_Symbol and b.is_Symbol and a != b}
    if rename and not set(rename.values()) & {lp.var for lp in st.loops}:
        body = body.xreplace(rename)
    return sign * body


def _rel(r: RV) -> str:
    return BOUND if r.bound else "="


def propagate(program: Program, assumptions: dict, known: dict | None = None,
              numeric: bool = False) -> MomentDerivation:
    """The mean and variance of every tensor the program writes."""
    return Propagator(program, as_assumptions(assumptions), known, numeric).run()


# --------------------------------------------------------------------------
# moments of named tensors and gradients under one set of assumptions
# --------------------------------------------------------------------------


def grad_sources(assumptions: dict) -> list:
    """The tensors whose upstream gradient is assumed (`L1.grad` in given:)."""
    return [base_of(n) for n in assumptions if is_grad_name(n)]


def needed_program(program: Program, names) -> Program:
    """The backward slice of the program: only the statements that write `names` or a
    tensor they are computed from (a loss after the layer asked about is left out)."""
    needed = set().union(set(), *[dependencies([program], n) for n in names])
    return program.map(lambda st: st if st.target_name in needed else None)


def forward_reads(program: Program, bw: Backward) -> set:
    """The tensors of the forward program that the backward loops read."""
    computed = set(program.written())
    return {ref_name(r) for st in bw.program.statements() for r in st.reads()
            if ref_name(r) in computed and not is_grad_name(ref_name(r))}


def backward_program(program: Program, assumptions: dict, targets) -> Backward:
    """The backward loops from the assumed upstream gradients to `targets`, through the
    statements those gradients' tensors are computed from."""
    sources = grad_sources(assumptions)
    if not sources:
        raise DerivationError(
            f"the moments of {', '.join(grad_name(t) for t in targets)} need the distribution "
            "of an upstream gradient: add it under given:, e.g. {y.grad: {mean: 0, "
            "variance: 1}}")
    bw = derive_backward(needed_program(program, sources), sources, list(targets))
    return bw


class Analysis:
    """Moments of a program's tensors and gradients under one set of assumptions."""

    def __init__(self, program: Program, assumptions: dict, numeric: bool = False):
        self.program = program
        self.numeric = numeric
        self.assumptions = as_assumptions(assumptions)
        self._forward: dict = {}
        self._backward: dict = {}

    def forward(self, names=None) -> MomentDerivation:
        """The moments of the forward tensors, over the statements `names` need (every
        statement when None): a function without a moments row elsewhere stops nothing."""
        key = tuple(sorted(set(names))) if names is not None else None
        if key not in self._forward:
            program = self.program if key is None else needed_program(self.program, key)
            self._forward[key] = propagate(program, self.assumptions, numeric=self.numeric)
        return self._forward[key]

    def backward(self, target: str):
        """(Backward, MomentDerivation) for the gradient of `target`."""
        if target not in self._backward:
            bw = backward_program(self.program, self.assumptions, [target])
            reads_fwd = forward_reads(self.program, bw)
            known = self.forward(reads_fwd).rvs if reads_fwd else {}
            der = propagate(bw.program, self.assumptions, known, numeric=self.numeric)
            self._backward[target] = (bw, der, reads_fwd)
        return self._backward[target][:2]

    def derivation(self, name: str) -> MomentDerivation:
        if is_grad_name(name) and name not in self.assumptions:
            return self.backward(base_of(name))[1]
        if name in self.program.written():
            return self.forward([name])
        return MomentDerivation(self.program, {name: self.rv(name)}, [], self.assumptions)

    def rv(self, name: str) -> RV:
        if name in self.assumptions:
            return input_rv(name, self.assumptions[name])
        return self.derivation(name).rv(name)

    def steps(self, name: str) -> list:
        """The steps that derive the moments of `name` (only the statements it needs)."""
        der = self.derivation(name)
        out = []
        programs = [self.program]
        if is_grad_name(name) and name not in self.assumptions:
            bw, _, reads_fwd = self._backward[base_of(name)]
            out.append(Step("backward", why="backward loops",
                            args={"sources": [grad_name(s) for s in bw.sources],
                                  "target": name}))
            programs = [bw.program]
            if reads_fwd:
                out.extend(self.forward(reads_fwd).steps)
                programs.append(self.program)
        out += der.steps
        needed = dependencies(programs, name)
        return [st for st in out if st.statement is None or st.statement.target_name in needed]

    def moment(self, name: str, moment: str):
        """(value, relation) of Var(name) or E(name)."""
        r = self.rv(name)
        if moment == "mean":
            return r.mean, "="
        return r.var, BOUND if r.bound else "="


def dependencies(programs, name: str) -> set:
    """`name` and every tensor it is computed from, through the programs' statements."""
    stmts = [st for prog in programs for st in prog.statements()]
    out, todo = {name}, [name]
    while todo:
        t = todo.pop()
        for st in stmts:
            if st.target_name == t:
                for r in st.reads():
                    if ref_name(r) not in out:
                        out.add(ref_name(r))
                        todo.append(ref_name(r))
    return out


def derive_variance(program: Program, assume: dict, of: str) -> MomentResult:
    """Var of one entry of `of` (a tensor or `X.grad`), derived statement by statement."""
    a = Analysis(program, assume)
    value, rel = a.moment(of, "variance")
    return MomentResult(f"Var({of})", value, rel, a.steps(of), a.derivation(of))


def derive_mean(program: Program, assume: dict, of: str) -> MomentResult:
    """E of one entry of `of` (a tensor or `X.grad`), derived statement by statement."""
    a = Analysis(program, assume)
    value, rel = a.moment(of, "mean")
    return MomentResult(f"E({of})", value, rel, a.steps(of), a.derivation(of))
