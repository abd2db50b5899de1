"""The moments engine: means and variances under random initialization.

Walk the statements in order, keeping for every tensor the mean and variance of
one (interior) entry, derived from the spec's `assume:` block by a few rules;
each rule applied is a step that states the independence it needs:

- a `+=` over summed loop indices adds its terms; their number is the product
  of the summed ranges (D^2 J for a D x D convolution over J channels).  The
  terms are uncorrelated, exactly, when each reads its own entry of a zero-mean
  tensor with independent entries; otherwise that is an assumption, stated;
- a product of independent factors: E[XY] = E[X] E[Y] and
  Var(XY) = E[X^2] E[Y^2] - E[X]^2 E[Y]^2;
- constants and biases shift means and scale variances (the linear row);
- branches add their variances when uncorrelated: independent, or one carries
  a zero-mean factor the other does not depend on (the residual L1 = L0 + R);
- a function of a random argument by the moments table (relu, sigma, tanh):
  exact where a fact is exact, else an upper bound (relation "≤").

On top of that: layer recurrences solved in closed form (`solve_recurrence`),
solving for a parameter exactly or through a named approximation, and a Monte
Carlo check (`verify_claims`) that draws the random tensors as assumed, runs
the program on a sample axis and requires every derived moment to lie within
4 standard errors of its estimate.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field, replace

import numpy as np
import sympy as sp
from sympy import Indexed

from .backward import Backward, Step, derive_backward
from .errors import DerivationError, VerificationError
from .execute import Executor, tensor_layout
from .functions import comparison, relu, sigma
from .program import (Block, Loop, Program, Statement, TensorInfo, TensorScalar, base_of,
                      format_expr, format_statement, grad_name, index_var, is_grad_name, reads,
                      ref, ref_indices, ref_name, size_symbol)
from .verify import Check, Verification

SAMPLES = 20_000          # Monte Carlo samples per check (fewer only for large grids)
MIN_SAMPLES = 500
STANDARD_ERRORS = 4.0     # a derived moment must lie within this many standard errors
CHUNK_ELEMENTS = 2_000_000    # grid elements of one statement per executor run
TOTAL_ELEMENTS = 4_000_000    # grid elements of the largest statement, all layers and chunks
LAYERS = (3, 2)           # layers stacked to check a recurrence, at the first / second sizes

E = sp.Function("E")      # an unknown mean, kept symbolic: E(relu(z0[i]))
BOUND = "≤"               # the relation of a result known only as an upper bound


def _sym(x) -> sp.Basic:
    """A SymPy object from a SymPy object or a Python number (never from text: spec text
    is parsed by derive.spec with the notation parser)."""
    if isinstance(x, sp.Basic):
        return x
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        raise TypeError(f"expected a SymPy expression or a number, not {type(x).__name__}")
    return sp.Integer(x) if isinstance(x, int) else sp.Float(x)


def fx(e) -> str:
    """An expression in the course notation (SymPy objects in step texts)."""
    return format_expr(_sym(e)) if not isinstance(e, str) else e


def _simp(e):
    """A tidy form, cheaply: cancel rational functions, pull out common factors."""
    e = _sym(e)
    if e.is_Number:
        return e
    if not e.has(sp.Pow, sp.exp, sp.log) or all(p.exp.is_Integer for p in e.atoms(sp.Pow)):
        e = sp.cancel(e)
    return sp.factor_terms(e)


# --------------------------------------------------------------------------
# assumptions (from `assume:` and a part's `given:`)
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class Assumption:
    """What is assumed of every entry of one tensor.

    Distinct random tensors are independent of each other; `independent` says
    whether the entries of this tensor are independent of each other too."""
    mean: sp.Expr = sp.S.Zero
    variance: sp.Expr | None = None
    symmetric: bool = False
    independent: bool = True
    distribution: str | None = None     # how Monte Carlo draws it (None: only moments)
    constant: sp.Expr | None = None

    @property
    def normal(self) -> bool:
        return self.distribution == "normal"

    def describe(self) -> str:
        if self.constant is not None:
            return f"the constant {fx(self.constant)}"
        bits = [f"mean {fx(self.mean)}", f"variance {fx(self.variance)}"]
        if self.distribution:
            bits.insert(0, self.distribution)
        elif self.symmetric:
            bits.append("symmetric about its mean")
        bits.append("independent entries" if self.independent else "entries may depend on "
                    "each other")
        return ", ".join(bits)


def as_assumptions(raw: dict) -> dict:
    """{tensor: Assumption} from a spec's normalized `assume:` / `given:` mapping."""
    out = {}
    for name, a in (raw or {}).items():
        out[name] = a if isinstance(a, Assumption) else Assumption(
            **{k: (_sym(v) if k in ("mean", "variance", "constant") and v is not None
                   else v) for k, v in a.items()})
    return out


def spec_assumptions(spec, part=None) -> dict:
    """The spec's assumptions, overridden tensor by tensor by the part's `given:`."""
    out = as_assumptions(spec.assume)
    if part is not None:
        out.update(as_assumptions(part.args.get("given")))
    return out


# --------------------------------------------------------------------------
# the moments of one entry
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class RV:
    """Mean and variance of one entry, with what the rules need to combine it.

    sources: the random tensors it depends on.
    factors: zero-mean random tensors that multiply every term of it linearly,
             with a cofactor independent of them (W in R = W * L0).
    odd:     sources whose sign flip reflects it about its mean (None: every
             source, as for a constant); non-empty means symmetric about the mean.
    bound:   the variance is only an upper bound (the mean stays exact).
    second_cap: an upper bound on E[X^2], used when the mean is unknown (E(tanh(z))).
    """
    mean: sp.Expr
    var: sp.Expr
    bound: bool = False
    sources: frozenset = frozenset()
    factors: frozenset = frozenset()
    odd: frozenset | None = frozenset()
    normal: bool = False
    support: tuple | None = None
    second_cap: sp.Expr | None = None

    @property
    def random(self) -> bool:
        return bool(self.sources)

    @property
    def capped(self) -> bool:
        """Is E[X^2] only known through its cap (the mean being unknown)?"""
        return self.second_cap is not None and _has_unknown(self.mean)

    @property
    def second(self):
        """E[X^2] (an upper bound when `capped` or `bound`)."""
        if self.capped:
            return self.second_cap
        return sp.expand(self.var + self.mean ** 2)

    @property
    def symmetric(self) -> bool:
        return not self.random or self.odd is None or bool(self.odd)

    @property
    def centred_symmetric(self) -> bool:
        """Symmetric about zero (mean 0 and symmetric)."""
        return sp.simplify(self.mean) == 0 and self.symmetric


def constant_rv(c) -> RV:
    c = _sym(c)
    return RV(c, sp.S.Zero, odd=None, support=(c, c))


def input_rv(name: str, a: Assumption) -> RV:
    if a.constant is not None:
        return constant_rv(a.constant)
    m, v = a.mean, a.variance
    support = None
    if a.distribution == "uniform":
        support = (m - sp.sqrt(3 * v), m + sp.sqrt(3 * v))
    elif a.distribution == "rademacher":
        support = (m - sp.sqrt(v), m + sp.sqrt(v))
    zero_mean = sp.simplify(m) == 0
    return RV(m, v, False, frozenset({name}), frozenset({name}) if zero_mean else frozenset(),
              frozenset({name}) if a.symmetric else frozenset(), a.normal, support)


def _odd_meet(a, b):
    if a is None:
        return b
    if b is None:
        return a
    return a & b


def _interval_add(a, b):
    return None if a is None or b is None else (a[0] + b[0], a[1] + b[1])


def _interval_mul(a, b):
    if a is None or b is None:
        return None
    prods = [a[0] * b[0], a[0] * b[1], a[1] * b[0], a[1] * b[1]]
    if all(p.is_number for p in prods):
        return (min(prods, key=float), max(prods, key=float))
    return None


# --------------------------------------------------------------------------
# the moments table: one row per function (the `linear` row is `affine`)
# --------------------------------------------------------------------------


@dataclass
class Fact:
    """A fact a row uses: its text, and whether it is exact or a bound."""
    text: str
    exact: bool = True


def affine(u: RV, a, b) -> RV:
    """a*u + b: E = a E[u] + b, Var = a^2 Var(u) (exact)."""
    a, b = _sym(a), _sym(b)
    support = None
    if u.support is not None:
        support = _interval_add(_interval_mul((a, a), u.support), (b, b))
    if a == 0:
        return constant_rv(b)
    cap = a ** 2 * u.second_cap if u.second_cap is not None and b == 0 else None
    return RV(_simp(a * u.mean + b), _simp(a ** 2 * u.var), u.bound, u.sources, u.factors,
              u.odd, u.normal, support, cap)


def relu_moments(u: RV, arg) -> tuple[RV, list]:
    if not u.centred_symmetric:
        raise DerivationError(
            f"the moments table needs the argument of relu, {fx(arg)}, symmetric about 0 "
            f"(mean {fx(u.mean)}{'' if u.symmetric else ', not known to be symmetric'}); "
            "declare symmetric: true where it holds")
    second = u.var / 2
    facts = [Fact(f"relu: for u = {fx(arg)} symmetric about 0, E[relu(u)^2] = E[u^2; u > 0] "
                  f"= Var(u)/2 = {fx(_simp(second))} (the fact behind He initialization)")]
    if u.normal:
        mean = sp.sqrt(u.var / (2 * sp.pi))
        facts.append(Fact(f"relu: u is normal, so E[relu(u)] = sqrt(Var(u)/(2 pi)) = "
                          f"{fx(_simp(mean))}"))
    else:
        mean = E(relu(arg))
        facts.append(Fact(f"relu: E[relu(u)] depends on the shape of the distribution of u "
                          f"beyond its variance: it stays {fx(mean)}"))
    support = None if u.support is None else (sp.S.Zero, sp.Max(u.support[1], 0))
    return RV(_simp(mean), _simp(second - mean ** 2), u.bound, u.sources, frozenset(),
              frozenset(), False, support), facts


def sigma_moments(u: RV, arg) -> tuple[RV, list]:
    facts = []
    if u.centred_symmetric:
        mean, odd = sp.S.Half, u.odd
        facts.append(Fact(f"sigma: sigma(-u) = 1 - sigma(u), so sigma(u) - 1/2 is odd; u = "
                          f"{fx(arg)} is symmetric about 0, hence E[sigma(u)] = sigma(0) = 1/2"))
    else:
        mean, odd = E(sigma(arg)), frozenset()
        facts.append(Fact(f"sigma: u = {fx(arg)} is not known to be symmetric about 0: "
                          f"E[sigma(u)] stays {fx(mean)}, and E[sigma(u)^2] <= 1"))
    var = u.var / 16
    facts.append(Fact("sigma: the slope sigma'(u) = sigma(u) (1 - sigma(u)) is at most 1/4, "
                      "reached at u = 0; so |sigma(a) - sigma(b)| <= |a - b|/4 and "
                      "Var(sigma(u)) <= E[(sigma(u) - sigma(E[u]))^2] <= Var(u)/16 = "
                      f"{fx(_simp(var))}", exact=False))
    facts.append(Fact("sigma: its values lie in (0, 1), so Var(sigma(u)) <= 1/4 whatever the "
                      "distribution of u, approached when u is +-infinity with probability "
                      "1/2 each", exact=False))
    return RV(_simp(mean), _simp(var), True, u.sources, frozenset(), odd, False,
              (sp.S.Zero, sp.S.One), sp.S.One), facts


def tanh_moments(u: RV, arg) -> tuple[RV, list]:
    facts = []
    if u.centred_symmetric:
        mean, odd = sp.S.Zero, u.odd
        facts.append(Fact(f"tanh: tanh is odd and u = {fx(arg)} is symmetric about 0, "
                          "so E[tanh(u)] = 0"))
    else:
        mean, odd = E(sp.tanh(arg)), frozenset()
        facts.append(Fact(f"tanh: u = {fx(arg)} is not known to be symmetric about 0: "
                          f"E[tanh(u)] stays {fx(mean)}; since |tanh(u)| <= |u|, "
                          f"E[tanh(u)^2] <= E[u^2] = {fx(u.second)}", exact=False))
    facts.append(Fact("tanh: the slope 1 - tanh(u)^2 is at most 1 (the linearization at 0): "
                      f"Var(tanh(u)) <= Var(u) = {fx(u.var)}", exact=False))
    facts.append(Fact("tanh: its values lie in (-1, 1), so Var(tanh(u)) <= 1 whatever the "
                      "distribution of u", exact=False))
    return RV(_simp(mean), u.var, True, u.sources, frozenset(), odd, False,
              (-sp.S.One, sp.S.One), u.second), facts


# function -> (moments of f(u) given the moments of u, the facts used)
MOMENTS = {
    # ---- activations
    relu: relu_moments,
    sigma: sigma_moments,
    sp.tanh: tanh_moments,
}

# (lowest, highest) argument at which a bounded function reaches its extremes
EXTREME_ARGUMENTS = {
    sigma: (-sp.oo, sp.oo),
    sp.tanh: (-sp.oo, sp.oo),
}


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

    def __init__(self, program: Program, assumptions: dict, known: dict | None = None):
        self.program = program
        self.assumptions = assumptions
        self.known = dict(known or {})
        self.contributions: dict = {}       # tensor -> [(RV, statement)]
        self.rvs: dict = {}
        self.steps: list = []
        self.assumed: list = []

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

    def step(self, kind, text, st=None, expr=None, **extra):
        self.steps.append(Step(kind, text, st, expr, extra))

    # ---- expressions -------------------------------------------------------

    def rv(self, e, st) -> RV:
        """Moments of one entry of the expression `e` (loop indices fixed)."""
        e = _sym(e)
        if isinstance(e, (Indexed, TensorScalar)):
            name = ref_name(e)
            a = self.assumptions.get(name)
            if a is not None and a.constant is not None and name not in self.rvs \
                    and name not in self.known:
                self.step("rule", f"{name} is the constant {fx(a.constant)} (assumed)", st,
                          rule="constant")
            return self.rv_of_tensor(name)
        if not reads(e):
            return constant_rv(e)
        if e.is_Add:
            return self.add([(a, self.rv(a, st)) for a in e.args], st, e)
        if e.is_Mul:
            return self.mul([(a, self.rv(a, st)) for a in e.args], st, e)
        if e.is_Pow:
            base, ex = e.args
            b = self.rv(base, st)
            if not b.random:
                return self.constant(e)
            if ex == 2:
                if b.normal:
                    m, v = b.mean, b.var
                    fourth = m ** 4 + 6 * m ** 2 * v + 3 * v ** 2
                    self.step("rule", f"{fx(e)}: the square of a normal entry: E = Var + mean^2,"
                              f" E[X^4] = mean^4 + 6 mean^2 Var + 3 Var^2", st, rule="power")
                    return RV(_simp(b.second), _simp(fourth - b.second ** 2), b.bound,
                              b.sources, frozenset(), frozenset(), False, None)
                raise DerivationError(f"the variance of {fx(e)} needs the fourth moment of "
                                      f"{fx(base)}: declare its distribution (normal)")
            raise DerivationError(f"no moment rule for the power {fx(e)}")
        f = type(e)
        if f in MOMENTS:
            (arg,) = e.args
            u = self.rv(arg, st)
            if not u.random:
                return self.constant(e)
            out, facts = MOMENTS[f](u, arg)
            for fact in facts:
                self.step("table", fact.text, st, None, rule=f.__name__,
                          relation="=" if fact.exact else BOUND)
            return out
        if isinstance(e, sp.Function):
            name = getattr(f, "__name__", str(f))
            raise DerivationError(f"no row for the function {name!r} in the moments table "
                                  f"(rows: {', '.join(k.__name__ for k in MOMENTS)})")
        raise DerivationError(f"no moment rule for {fx(e)}")

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
            if c != 1:
                self.step("rule", f"linear: {fx(e)} = {fx(c)} * {fx(a)}: the mean scales by "
                          f"{fx(c)}, the variance by {fx(c ** 2)}", st, rule="linear")
            return affine(r, c, 0)
        seen = set()
        for a, r in rand:
            if r.sources & seen:
                shared = ", ".join(sorted(r.sources & seen))
                raise DerivationError(
                    f"the factors of {fx(e)} are not independent (several depend on "
                    f"{shared}): the product rule needs independent factors")
            seen |= r.sources
        mean = c * sp.Mul(*[r.mean for _, r in rand])
        second = c ** 2 * sp.Mul(*[r.second for _, r in rand])
        var = _simp(second - mean ** 2)
        names = [fx(a) for a, _ in rand]
        text = (f"product of independent factors {', '.join(names)} (they share no random "
                f"source): E = {' * '.join(fx(r.mean) for _, r in rand)}"
                f"{' * ' + fx(c) if c != 1 else ''} = {fx(_simp(mean))}; "
                f"Var = E[X^2] E[Y^2] - E[X]^2 E[Y]^2 = "
                f"{' * '.join('(' + fx(r.second) + ')' for _, r in rand)}"
                f"{' * ' + fx(c ** 2) if c != 1 else ''} - ({fx(_simp(mean))})^2 = {fx(var)}")
        self.step("rule", text, st, var, rule="product",
                  assumption="the factors are independent: different random tensors are "
                             "independent")
        zero_mean = [r for _, r in rand if sp.simplify(r.mean) == 0]
        odd = frozenset().union(*[r.odd or frozenset() for r in zero_mean]) \
            if zero_mean else frozenset()
        support = None
        if all(r.support is not None for _, r in rand):
            support = (c, c)
            for _, r in rand:
                support = _interval_mul(support, r.support)
        return RV(_simp(mean), var, any(r.bound or r.capped for _, r in rand), frozenset(seen),
                  frozenset().union(*[r.factors for _, r in rand]), odd, False, support)

    def covariance_reason(self, a: RV, b: RV):
        """Why Cov(a, b) = 0, or None."""
        if not (a.sources & b.sources):
            return ("independent", "they share no random source")
        f = sorted((b.factors - a.sources) | (a.factors - b.sources))
        if f:
            return ("uncorrelated", f"one of them carries the zero-mean factor {f[0]} in "
                                    f"every term, and the other does not depend on {f[0]}")
        return None

    def add(self, terms, st, e, what="terms") -> RV:
        rand = [(a, r) for a, r in terms if r.random]
        mean = _simp(sp.Add(*[r.mean for _, r in terms]))
        const = sp.Add(*[r.mean for _, r in terms if not r.random])
        if not rand:
            return constant_rv(mean)
        if len(rand) == 1:
            a, r = rand[0]
            if len(terms) > 1:
                consts = " + ".join(fx(x) for x, q in terms if not q.random)
                self.step("rule", f"linear: adding the constant {consts} = {fx(const)} to "
                          f"{fx(a)} shifts the mean by {fx(const)}; the variance is unchanged",
                          st, rule="linear")
            return affine(r, 1, const)
        reasons = []
        for i in range(len(rand)):
            for j in range(i + 1, len(rand)):
                why = self.covariance_reason(rand[i][1], rand[j][1])
                if why is None:
                    why = ("assumed", "assumed uncorrelated (the problem's independence "
                                      "assumption)")
                    self.assumed.append(f"{fx(rand[i][0])} and {fx(rand[j][0])} uncorrelated")
                reasons.append((rand[i][0], rand[j][0], why))
        var = _simp(sp.Add(*[r.var for _, r in rand]))
        why_text = "; ".join(f"{fx(x)} and {fx(y)}: {w[1]}" for x, y, w in reasons)
        kinds = {w[0] for _, _, w in reasons}
        self.step("rule", f"sum of {what} {', '.join(fx(a) for a, _ in rand)}: means add, "
                  f"and the variances add because the {what} are uncorrelated ({why_text}): "
                  f"Var = {' + '.join(fx(r.var) for _, r in rand)} = {fx(var)}", st, var,
                  rule="branches",
                  assumption="exact" if kinds <= {"independent", "uncorrelated"}
                  else "assumed uncorrelated")
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
                  independent and all(r.normal for _, r in rand), support)

    # ---- statements --------------------------------------------------------

    def normalized(self, st: Statement) -> tuple[Statement, list]:
        return normalized(st, self.program.tensors)

    def statement(self, st0: Statement):
        st, moved = self.normalized(st0)
        tvars = set().union(*[i.free_symbols for i in ref_indices(st.target)]) \
            if ref_indices(st.target) else set()
        summed = [lp for lp in st.loops if lp.var not in tvars]
        self.step("visit", f"statement `{format_statement(st0, self.program.indices)}`"
                  + (f" (one entry: `{format_statement(st, self.program.indices)}`)"
                     if moved else ""), st0)
        shifted = [r for r in reads(st.rhs)
                   if any(not i.is_Symbol and i.free_symbols for i in ref_indices(r))]
        if shifted:
            self.step("rule", "interior entries only: reads beyond the border are zero and "
                      "would drop terms; the moments below hold where every read is in range",
                      st, rule="interior")
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
            rv = self.add([(_contribution_label(s), r) for r, s in parts], st,
                          sp.Symbol(name), what="contributions")
        self.rvs[name] = rv
        rel = BOUND if rv.bound else "="
        self.step("result", f"E[{name}] = {fx(rv.mean)}, Var({name}) {rel} {fx(rv.var)}", st,
                  rv.var, tensor=name, mean=rv.mean, variance=rv.var, relation=rel)

    def sum_terms(self, st, summed, term: RV) -> RV:
        n = _simp(sp.Mul(*[lp.count() for lp in summed]))
        over = ", ".join(lp.var.name for lp in summed)
        rand_reads = [r for r in reads(st.rhs) if self.rv_of_tensor(ref_name(r)).random]
        svars = [lp.var for lp in summed]
        varying = [r for r in rand_reads
                   if any(v in i.free_symbols for i in ref_indices(r) for v in svars)]
        if not term.random:
            return constant_rv(_simp(n * term.mean))
        if not varying:
            var = _simp(n ** 2 * term.var)
            self.step("rule", f"the sum over {over} adds {fx(n)} equal terms: E = {fx(n)} * "
                      f"{fx(term.mean)}, Var = {fx(n)}^2 * {fx(term.var)} = {fx(var)}", st, var,
                      rule="sum")
            return RV(_simp(n * term.mean), var, term.bound, term.sources, term.factors,
                      term.odd, term.normal, None)
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
        if own_factor:
            f = ref_name(own_factor[0])
            why = (f"each term reads its own entry of {f} (distinct {over} give distinct "
                   f"entries), and {f} has mean 0, independent entries, and is independent of "
                   f"the rest of the term: the terms are uncorrelated (exact)")
            kind = "exact"
        elif all_own:
            why = ("distinct terms read distinct entries of tensors with independent entries: "
                   "the terms are independent (exact)")
            kind = "exact"
        else:
            why = ("the terms are assumed uncorrelated (the problem's independence assumption: "
                   "they read entries of computed tensors)")
            kind = "assumed uncorrelated"
            self.assumed.append(f"the {fx(n)} terms of the sum over {over} in "
                                f"`{format_statement(st)}` uncorrelated")
        mean = _simp(n * term.mean)
        var = _simp(n * term.var)
        self.step("rule", f"the sum over {over} adds {fx(n)} terms; {why}; so E = {fx(n)} * "
                  f"{fx(term.mean)} = {fx(mean)} and Var = {fx(n)} * {fx(term.var)} = "
                  f"{fx(var)}", st, var, rule="sum", count=n, assumption=kind)
        support = None
        if term.support is not None:
            support = (n * term.support[0], n * term.support[1])
        return RV(mean, var, term.bound, term.sources, term.factors, term.odd,
                  term.normal and all_own, support)

    def run(self) -> MomentDerivation:
        for item in self.program.items:
            if isinstance(item, Block):
                raise DerivationError("moments are propagated over one step of a program: "
                                      "a time block (for t in ...:) is not supported")
            self.statement(item)
        return MomentDerivation(self.program, {**self.known, **self.rvs}, self.steps,
                                self.assumptions, self.assumed)


def _contribution_label(st: Statement) -> str:
    tvars = set().union(*[i.free_symbols for i in ref_indices(st.target)]) \
        if ref_indices(st.target) else set()
    summed = [lp.var.name for lp in st.loops if lp.var not in tvars]
    sign = "-" if st.op == "-=" else ""
    body = fx(st.rhs)
    if summed and st.op != "=":
        return f"{sign}(sum over {', '.join(summed)} of {body})"
    return f"{sign}{body}" if not sign or not st.rhs.is_Add else f"-({body})"


def propagate(program: Program, assumptions: dict, known: dict | None = None
              ) -> MomentDerivation:
    """The mean and variance of every tensor the program writes."""
    return Propagator(program, as_assumptions(assumptions), known).run()


# --------------------------------------------------------------------------
# moments of named tensors and gradients under one set of assumptions
# --------------------------------------------------------------------------


def grad_sources(assumptions: dict) -> list:
    """The tensors whose upstream gradient is assumed (`L1.grad` in given:)."""
    return [base_of(n) for n in assumptions if is_grad_name(n)]


def backward_program(program: Program, assumptions: dict, targets) -> Backward:
    """The backward loops from the assumed upstream gradients to `targets`."""
    from .solve import tidy
    sources = grad_sources(assumptions)
    if not sources:
        raise DerivationError(
            f"the moments of {', '.join(grad_name(t) for t in targets)} need the distribution "
            "of an upstream gradient: add it under given:, e.g. {y.grad: {mean: 0, "
            "variance: 1}}")
    bw = derive_backward(program, sources, list(targets))
    tidy(bw.program)
    return bw


class Analysis:
    """Moments of a program's tensors and gradients under one set of assumptions."""

    def __init__(self, program: Program, assumptions: dict):
        self.program = program
        self.assumptions = as_assumptions(assumptions)
        self._forward: MomentDerivation | None = None
        self._backward: dict = {}

    def forward(self) -> MomentDerivation:
        if self._forward is None:
            self._forward = propagate(self.program, self.assumptions)
        return self._forward

    def backward(self, target: str):
        """(Backward, MomentDerivation) for the gradient of `target`."""
        if target not in self._backward:
            bw = backward_program(self.program, self.assumptions, [target])
            computed = set(self.program.written())
            needs_forward = any(ref_name(r) in computed and not is_grad_name(ref_name(r))
                                for st in bw.program.statements() for r in st.reads())
            known = self.forward().rvs if needs_forward else {}
            der = propagate(bw.program, self.assumptions, known)
            self._backward[target] = (bw, der, needs_forward)
        return self._backward[target][:2]

    def derivation(self, name: str) -> MomentDerivation:
        if is_grad_name(name) and name not in self.assumptions:
            return self.backward(base_of(name))[1]
        if name in self.program.written():
            return self.forward()
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
            bw, _, needs_forward = self._backward[base_of(name)]
            out.append(Step("backward", "the backward loops (derive_backward): "
                            + "; ".join(format_statement(st, self.program.indices)
                                        for st in bw.program.statements())))
            programs = [bw.program]
            if needs_forward:
                out.extend(self.forward().steps)
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


def assumption_notes(assumptions: dict, names) -> str:
    return "; ".join(f"{n}: {assumptions[n].describe()}" for n in names if n in assumptions)


# --------------------------------------------------------------------------
# layer recurrences
# --------------------------------------------------------------------------


@dataclass
class Recurrence:
    """sigma2(l) of a layer family: one-layer map, closed form, condition, steps."""
    function: sp.Function          # sigma2 (forward) or sigma2_grad (backward)
    layer: sp.Symbol               # l
    at: sp.Expr                    # the layer where `from` has its assumed moments
    start: sp.Expr                 # the assumed variance there
    forward: bool                  # of is the next layer (True) or the previous (gradients)
    coefficient: sp.Expr           # c in s(next) = c s(this) + d
    offset: sp.Expr                # d
    closed: sp.Expr                # s(l) in closed form
    relation: str                  # "=" or BOUND
    mean: sp.Expr
    steps: list
    frm: str = ""
    of: str = ""

    @property
    def equation(self):
        """(lhs, rhs) of the one-layer recurrence."""
        s, l = self.function, self.layer
        if self.forward:
            return s(l + 1), self.coefficient * s(l) + self.offset
        return s(l), self.coefficient * s(l + 1) + self.offset

    def at_layer(self, value):
        return _simp(self.closed.xreplace({self.layer: value}))


def solve_recurrence(coefficient, offset, start, layer, at, forward: bool = True,
                     function=None) -> tuple[sp.Expr, list]:
    """Closed form of s(l+1) = c s(l) + d (forward) or s(l) = c s(l+1) + d (backward),
    given s(at) = start, where `at` may be symbolic (a terminal condition s(L) = 1).

    The layers are counted from `at`: k = l - at (forward) or k = at - l (backward),
    and t(k) = s(at +- k) solves t(k+1) = c t(k) + d with t(0) = start: by the
    first-order formula t(k) = c^k t(0) + d (c^k - 1)/(c - 1) when c and d do not
    depend on k (c != 1 provable, or c = 1), else by SymPy's rsolve (which takes
    conditions at numbered terms only).  check_recurrence verifies either."""
    s = function or sp.Function("sigma2")
    k = sp.Symbol("k", integer=True, nonnegative=True)
    t = sp.Function("t")
    steps = []
    sol, how = _first_order(coefficient, offset, start, k), "first-order formula"
    if sol is None:
        sol, how = sp.rsolve(t(k + 1) - coefficient * t(k) - offset, t(k), {t(0): start}), \
            "rsolve"
    if sol is None:
        raise DerivationError(f"rsolve found no closed form for t(k+1) = "
                              f"{fx(coefficient)} t(k) + {fx(offset)}")
    shift = layer - at if forward else at - layer
    closed = _simp(sp.powsimp(sol.xreplace({k: shift}), force=True))
    cond = f"{fx(s(at))} = {fx(start)}"
    if forward and at == 0:
        steps.append(Step("recurrence", f"solve with {cond} ({how}): {fx(s(layer))} = "
                          f"{fx(closed)}", None, closed))
    else:
        steps.append(Step("recurrence", f"the condition {cond} sits at layer {fx(at)}, not "
                          f"at a numbered term; count layers from there: "
                          f"k = {fx(shift)}, t(k) = {fx(s(at + (k if forward else -k)))} gives "
                          f"t(k+1) = {fx(coefficient * t(k) + offset)}"
                          + f", t(0) = {fx(start)}; {how}: t(k) = {fx(sol)}; back to layers: "
                          f"{fx(s(layer))} = {fx(closed)}", None, closed))
    return closed, steps


def _first_order(c, d, start, k):
    """t(k) of t(k+1) = c t(k) + d, t(0) = start, for c, d free of k; None if c = 1
    can be neither proven nor ruled out."""
    if k in getattr(c, "free_symbols", set()) | getattr(d, "free_symbols", set()):
        return None
    ck = c ** k
    if d == 0:
        return ck * start
    if (c - 1).is_zero:
        return start + k * d
    if (c - 1).is_zero is False:
        return ck * start + d * (ck - 1) / (c - 1)
    return None


def check_recurrence(rec: Recurrence) -> list:
    """Symbolic checks: the closed form satisfies the recurrence and its condition."""
    s, l = rec.function, rec.layer
    lhs, rhs = rec.equation
    value = {s(l): rec.closed, s(l + 1): rec.closed.xreplace({l: l + 1})}
    residual = sp.simplify(sp.powsimp(sp.expand_power_base(
        (lhs - rhs).xreplace(value), force=True), force=True))
    if residual != 0:
        residual = sp.simplify(sp.expand(residual))
    at_value = sp.simplify(rec.closed.xreplace({l: rec.at}) - rec.start)
    if residual != 0 or at_value != 0:
        raise VerificationError(f"the closed form {fx(rec.closed)} does not satisfy "
                                f"{fx(lhs)} = {fx(rhs)} with {fx(s(rec.at))} = {fx(rec.start)}")
    return [f"the closed form satisfies {fx(lhs)} = {fx(rhs)} and {fx(s(rec.at))} = "
            f"{fx(rec.start)} (symbolic check)"]


def layer_recurrence(program: Program, assumptions: dict, of: str, frm: str, layer,
                     at) -> Recurrence:
    """From a one-layer program (frm at one layer, of at the next, or for gradients the
    previous), the recurrence of the variance and its closed form."""
    assumptions = as_assumptions(assumptions)
    if frm not in assumptions or assumptions[frm].constant is not None:
        raise DerivationError(f"the recurrence starts from the assumed moments of {frm}: "
                              f"declare its mean and variance (assume: or given:)")
    base = assumptions[frm]
    grad = is_grad_name(of)
    s = sp.Function("sigma2_grad" if grad else "sigma2")
    forward = not grad
    here = s(layer + 1) if grad else s(layer)        # the layer of `from`
    there = s(layer) if grad else s(layer + 1)       # the layer of `of`
    first = Analysis(program, {**assumptions, frm: replace(base, variance=here)})
    r1 = first.rv(of)
    # the induction: at a later layer, `from` has only what `of` was shown to have
    hyp = replace(base, variance=here, symmetric=base.symmetric and r1.symmetric,
                  distribution=base.distribution if r1.normal else None, independent=False)
    analysis = Analysis(program, {**assumptions, frm: hyp})
    r = analysis.rv(of)
    steps = [Step("recurrence", f"one layer: {frm} is layer {fx(layer + 1 if grad else layer)}"
                  f", {of} is layer {fx(layer if grad else layer + 1)}; let "
                  f"{fx(here)} = Var({frm}). For the induction {frm} is assumed to have only "
                  f"what {of} is shown to have: mean {fx(base.mean)}"
                  + (", symmetric about it" if hyp.symmetric else "")
                  + ", entries that may depend on each other (they share weights)",
                  None, here)]
    steps += analysis.steps(of)
    if sp.simplify(r.mean - base.mean) != 0:
        raise DerivationError(f"the mean changes from layer to layer (E[{frm}] = "
                              f"{fx(base.mean)}, E[{of}] = {fx(r.mean)}): only layers that "
                              "keep the mean are supported")
    steps.append(Step("recurrence", f"E[{of}] = {fx(r.mean)} = E[{frm}]: by induction every "
                      f"layer has mean {fx(base.mean)}"))
    f = sp.expand(r.var)
    c = _simp(sp.diff(f, here))
    d = _simp(f - c * here)
    if c.has(here) or d.has(here) or c.has(there):
        raise DerivationError(f"Var({of}) = {fx(r.var)} is not affine in {fx(here)}: "
                              "no linear recurrence")
    rel = BOUND if r.bound else "="
    rhs = c * here + d
    steps.append(Step("recurrence", f"the recurrence: {fx(there)} {rel} {fx(_simp(rhs))}",
                      None, rhs))
    closed, solve_steps = solve_recurrence(c, d, base.variance, layer, at, forward, s)
    steps += solve_steps
    return Recurrence(s, layer, at, base.variance, forward, c, d, closed, rel, base.mean,
                      steps, frm, of)


# --------------------------------------------------------------------------
# solving for a parameter, exactly or through a named approximation
# --------------------------------------------------------------------------


def _one_plus_eps(p):
    """(eps, N) when p is (1 + eps)^N with N not a number."""
    if not p.is_Pow or p.exp.is_Number:
        return None
    base = sp.expand(p.base)
    if not base.is_Add or sp.S.One not in base.args:
        return None
    return base - 1, p.exp


def power_to_exp(expr):
    """(1 + eps)^N -> exp(eps N): [(pattern instance, replacement)] and the new expression."""
    found = [(p, _one_plus_eps(p)) for p in sp.preorder_traversal(expr)
             if isinstance(p, sp.Basic) and p.is_Pow and _one_plus_eps(p)]
    subs = {p: sp.exp(eps * n) for p, (eps, n) in found}
    return [(p, subs[p], {"eps": eps, "N": n}) for p, (eps, n) in found], expr.xreplace(subs)


def log1p_to_eps(expr):
    """log(1 + eps) -> eps."""
    found = []
    for e in sp.preorder_traversal(expr):
        if isinstance(e, sp.log):
            arg = sp.expand(e.args[0])
            if arg.is_Add and sp.S.One in arg.args:
                found.append((e, arg - 1, {"eps": arg - 1}))
    return found, expr.xreplace({e: r for e, r, _ in found})


@dataclass(frozen=True)
class Approximation:
    rule: str           # as shown in the derivation
    valid: str          # when it is accurate
    apply: object       # expr -> ([(instance, replacement, parts)], new expr)


# name (a solve part's `approximate:`) -> the approximation
APPROXIMATIONS = {
    "power_to_exp": Approximation("(1 + eps)^N ≈ exp(eps*N)",
                                  "accurate when eps is small: log(1 + eps) = eps - eps^2/2 + "
                                  "..., so the exponent is off by about N eps^2/2",
                                  power_to_exp),
    "log1p": Approximation("log(1 + eps) ≈ eps", "accurate when eps is small (error about "
                           "eps^2/2)", log1p_to_eps),
}


def _sample_point(expr, positive_only=True) -> dict:
    """Values for the free symbols of expr, for numeric tie-breaking (all positive)."""
    vals = [sp.Rational(7, 10), sp.Integer(3), sp.Rational(13, 10), sp.Integer(5),
            sp.Rational(17, 10), sp.Integer(7)]
    out = {}
    for k, x in enumerate(sorted(expr.free_symbols, key=lambda x: x.name)):
        out[x] = sp.Integer(int(vals[k % len(vals)]) + 2) if x.is_integer else vals[k % len(vals)]
    return out


def solve_for(lhs, rhs, symbol) -> list:
    """The roots of lhs = rhs in `symbol` that are consistent with its assumptions.

    SymPy's own check of the roots (checksol) is replaced by the two tests below, a
    root must satisfy the equation at a sample point and fit the symbol's assumptions:
    checksol imports sympy.physics.units, a tenth of a second on every `derive check`
    of a solve part."""
    roots = sp.solve(sp.Eq(lhs, rhs), symbol, simplify=False, check=False)
    out = []
    for r in roots:
        r = _simp(r)
        if r.is_real is False:
            continue
        point = _sample_point(sp.Tuple(r, lhs, rhs))     # every symbol of the equation
        v = complex(sp.N(r.xreplace(point)))
        if abs(v.imag) > 1e-12:
            continue
        at = {**point, symbol: r.xreplace(point)}
        left, right = complex(sp.N(lhs.xreplace(at), 30)), complex(sp.N(rhs.xreplace(at), 30))
        if abs(left - right) > 1e-12 * max(1.0, abs(left), abs(right)):
            continue                        # not a root (a spurious solution)
        if symbol.is_positive and (r.is_positive is False or v.real <= 0):
            continue
        if symbol.is_nonnegative and (r.is_negative or v.real < 0):
            continue
        out.append(r)
    if not out:
        raise DerivationError(f"no {'positive ' if symbol.is_positive else ''}solution of "
                              f"{fx(lhs)} = {fx(rhs)} for {symbol}")
    return out


# --------------------------------------------------------------------------
# Monte Carlo: draw the random tensors as assumed, run on a sample axis
# --------------------------------------------------------------------------

MC_SIZE = "MC_samples"
MC_INDEX = "mc"


def with_samples(program: Program) -> Program:
    """The program with a leading sample axis on every tensor and loop (one run = many
    independent draws)."""
    n = size_symbol(MC_SIZE)
    s = index_var(MC_INDEX)
    rng = (sp.S.Zero, n - 1)
    tensors = {k: TensorInfo(k, (MC_INDEX,) + tuple(i.axes), (rng,) + tuple(i.ranges), i.role,
                             i.latex) for k, i in program.tensors.items()}

    def lift(e):
        return e.xreplace({r: ref(ref_name(r), (s,) + ref_indices(r)) for r in reads(e)})
    items = []
    for it in program.items:
        if isinstance(it, Block):
            raise DerivationError("Monte Carlo runs one step of a program: time blocks are "
                                  "not supported")
        # shifted writes (x.grad[x + dx] += ...) become plain writes with the loop's old
        # range as 0/1 factors: the same terms, summed along axes instead of scattered
        it, moved = normalized(it, program.tensors)
        if moved:
            guard = sp.Mul(*[comparison(">=", e, lp.lo) * comparison("<=", e, lp.hi)
                             for e, lp in moved])
            it = it.with_(rhs=it.rhs * guard)
        items.append(it.with_(target=lift(it.target), rhs=lift(it.rhs),
                              loops=(Loop(s, sp.S.Zero, n - 1),) + tuple(it.loops)))
    return Program(items, tensors, {**program.indices, MC_INDEX: rng}, program.symbols,
                   program.functions, {**program.sizes, MC_SIZE: n})


# law -> (description, standard draw with mean 0 and variance 1)
LAWS = {
    "normal": ("normal", lambda rng, shape: rng.standard_normal(shape)),
    "uniform": ("uniform", lambda rng, shape: rng.uniform(-math.sqrt(3), math.sqrt(3), shape)),
    "rademacher": ("+-1 with probability 1/2 each",
                   lambda rng, shape: rng.integers(0, 2, shape) * 2.0 - 1.0),
    # only symmetry assumed: a symmetric law that is not normal
    "symmetric": ("Laplace (symmetric, not normal: only the moments and symmetry are assumed)",
                  lambda rng, shape: rng.laplace(0.0, 1 / math.sqrt(2), shape)),
    # only the mean and variance assumed: a skewed law
    "any": ("centred exponential (skewed: only the mean and variance are assumed)",
            lambda rng, shape: rng.exponential(1.0, shape) - 1.0),
}


def law_of(a: Assumption) -> str:
    if a.distribution:
        return a.distribution
    return "symmetric" if a.symmetric else "any"


def numeric(expr, values: dict) -> float:
    """A float from a SymPy expression, with symbols replaced by name from `values`."""
    expr = _sym(expr)
    subs = {x: values[x.name] for x in expr.free_symbols if x.name in values}
    v = expr.xreplace({k: sp.nsimplify(v) if isinstance(v, int) else sp.Float(v)
                       for k, v in subs.items()})
    v = sp.N(v)
    if v.free_symbols:
        raise DerivationError(f"no value for {', '.join(sorted(x.name for x in v.free_symbols))}"
                              f" in {fx(expr)}")
    return float(v)


@dataclass
class Claim:
    """A derived moment to check: `moment(tensor) relation value` after `layers` layers."""
    label: str
    tensor: str
    moment: str                 # variance | mean | third (E[(X - center)^3]: symmetry)
    value: sp.Expr
    relation: str = "="         # = or ≤ (BOUND)
    layers: int = 0             # 0: one run of the program; k: k layers stacked
    fixed: dict = field(default_factory=dict)   # symbol values for this claim (solutions)
    center: sp.Expr = sp.S.Zero                 # for `third`: the mean


@dataclass
class Setting:
    sizes: dict                 # size name -> int
    symbols: dict               # symbol name -> float
    layers: int = LAYERS[0]     # at most this many layers stacked here

    def values(self) -> dict:
        return {**self.symbols, **self.sizes}

    def text(self) -> str:
        items = [f"{k}={v}" for k, v in self.sizes.items()]
        items += [f"{k}={v:.4g}" for k, v in self.symbols.items()]
        return ", ".join(items)


@dataclass
class MomentCheck(Check):
    """One Monte Carlo comparison: derived value against estimate ± standard error."""
    label: str = ""
    relation: str = "="
    derived: float = 0.0
    estimate: float = 0.0
    stderr: float = 0.0
    slack: float = 0.0
    samples: int = 0
    entries: int = 0
    layers: int = 0
    setting: str = ""
    ok: bool = True

    @property
    def interval(self) -> tuple:
        w = STANDARD_ERRORS * self.stderr + self.slack
        return (self.estimate - w, self.estimate + w)

    def line(self) -> str:
        lo, hi = self.interval
        where = f" after {self.layers} layer{'s' if self.layers != 1 else ''}" \
            if self.layers else ""
        return (f"{self.label}{where} at {self.setting}: derived {self.relation} "
                f"{self.derived:.6g}, "
                f"Monte Carlo {self.estimate:.6g} ± {self.stderr:.2g} "
                f"({self.samples} samples x {self.entries} entries; interval "
                f"[{lo:.6g}, {hi:.6g}]): {'ok' if self.ok else 'FAILED'}")


@dataclass
class MonteCarloVerification(Verification):
    """Monte Carlo checks of derived moments (and any exact symbolic checks)."""
    symbolic: list = field(default_factory=list)
    laws: str = ""
    seconds: float = 0.0

    @property
    def samples(self) -> int:
        return max((c.samples for c in self.checks), default=0)

    def summary(self) -> str:
        shown = []
        for c in self.checks:
            text = ", ".join(f"{k}={v}" for k, v in c.sizes.items())
            if text and text not in shown:
                shown.append(text)
        status = "passed" if self.passed else "FAILED"
        n = len(self.checks)
        out = (f"{self.method}: {status}, {n} check{'s' if n != 1 else ''} at "
               f"{'; '.join(shown) or 'no sizes'}, worst deviation {self.worst:.1f} "
               f"standard errors")
        if self.symbolic:
            out += f"; {len(self.symbolic)} symbolic check{'s' if len(self.symbolic) > 1 else ''}"
        return out

    def brief(self) -> str:
        return f"Monte Carlo, {self.samples} samples, worst {self.worst:.1f} SE"

    def details(self) -> list:
        out = [c.line() for c in self.checks] + list(self.symbolic)
        if self.laws:
            out.append(f"drawn as: {self.laws}")
        return out


def _estimate(a: np.ndarray, b: np.ndarray, moment: str):
    """(estimate, standard error, standard error of the mean) from per-sample entry means
    a_s = mean of X, b_s = mean of X^2 (samples independent, entries within one not)."""
    n = len(a)
    abar = float(a.mean())
    se_mean = float(a.std(ddof=1) / math.sqrt(n)) if n > 1 else float("inf")
    if moment == "mean":
        return abar, se_mean, se_mean
    est = float(b.mean()) - abar ** 2
    influence = b - 2 * abar * a           # delta method for mean(b) - mean(a)^2
    se = float(influence.std(ddof=1) / math.sqrt(n)) if n > 1 else float("inf")
    return est, se, se_mean


def completeness(program: Program, sizes: dict, full: dict) -> dict:
    """For every tensor, the entries whose value has all its terms: each read in range and
    itself complete (the interior, where the derived moments hold)."""
    full = dict(full)
    for st0 in program.statements():
        st, moved = normalized(st0, program.tensors)
        tvars = set().union(*[i.free_symbols for i in ref_indices(st.target)]) \
            if ref_indices(st.target) else set()
        summed = [lp for lp in st.loops if lp.var not in tvars]
        expected = 1
        ex0 = Executor(program, sizes)
        for lp in summed:
            expected *= ex0.int_of(lp.hi) - ex0.int_of(lp.lo) + 1
        tensors = {}
        factors = []
        for r in reads(st.rhs):
            name = ref_name(r)
            fname = name + ".full"
            info = program.tensors[name]
            tensors[fname] = TensorInfo(fname, info.axes, info.ranges, "input")
            factors.append(ref(fname, ref_indices(r)))
        for e, lp in moved:
            factors.append(comparison(">=", e, lp.lo))
            factors.append(comparison("<=", e, lp.hi))
        tinfo = program.tensors[st.target_name]
        tensors["count."] = TensorInfo("count.", tinfo.axes, tinfo.ranges, "computed")
        stmt = Statement(ref("count.", ref_indices(st.target)), "+=", sp.Mul(*factors),
                         st.loops)
        prog = Program([stmt], tensors, program.indices, program.symbols, program.functions,
                       program.sizes)
        ex = Executor(prog, sizes)
        for name in tensors:
            if name.endswith(".full"):
                base = name[:-5]
                if base not in full:
                    full[base] = np.ones(tensor_layout(program.tensors[base], sizes)[0], bool)
                ex.env[name] = full[base].astype(float)
        ex.run()
        done = np.isclose(ex.array("count."), expected)
        name = st.target_name
        if st.op == "=" or name not in full:
            full[name] = done if st.op == "=" else (
                np.ones(done.shape, bool) & done)
        else:
            full[name] = full[name] & done
    return full


class MonteCarlo:
    """Runs a one-layer program (and its backward program) on a sample axis.

    `recurrence` = (from, of): layers are stacked, `of` of one layer feeding `from` of the
    next (for gradients, `of` = X.grad of one layer feeds `from` = Y.grad of the one below).
    """

    def __init__(self, program: Program, assumptions: dict, grads=(), recurrence=None):
        self.program = program
        self.assumptions = as_assumptions(assumptions)
        self.recurrence = recurrence
        targets = sorted({base_of(g) for g in grads})
        self.backward = backward_program(program, self.assumptions, targets) \
            if targets else None
        self.fwd_s = with_samples(program)
        self.bwd_s = with_samples(self.backward.program) if self.backward else None
        computed = set(program.written())
        self.bw_reads_forward = bool(self.backward) and any(
            ref_name(r) in computed for st in self.backward.program.statements()
            for r in st.reads())
        self.used: dict = {}     # tensor -> law used

    # ---- sizes -------------------------------------------------------------

    def grid(self, sizes) -> int:
        ex = Executor(self.program, sizes)
        worst = 1
        progs = [self.program] + ([self.backward.program] if self.backward else [])
        for prog in progs:
            for st in prog.statements():
                n = 1
                for lp in st.loops:
                    n *= ex.int_of(lp.hi) - ex.int_of(lp.lo) + 1
                worst = max(worst, n)
        return worst

    def shifted_sizes(self) -> list:
        """Sizes of axes read at shifted indices (they bound the interior)."""
        out = []
        progs = [self.program] + ([self.backward.program] if self.backward else [])
        for prog in progs:
            for st0 in prog.statements():
                st, _ = normalized(st0, prog.tensors)
                for r in reads(st.rhs):
                    info = prog.tensors[ref_name(r)]
                    for i, rng in zip(ref_indices(r), info.ranges):
                        if not i.is_Symbol and i.free_symbols:
                            for x in _sym(rng[1]).free_symbols:
                                if x.name not in out:
                                    out.append(x.name)
        return out

    # ---- drawing and running -------------------------------------------------

    def draw(self, rng, name, shape, values) -> np.ndarray:
        a = self.assumptions.get(name)
        if a is None:
            raise DerivationError(f"Monte Carlo needs an assumption for {name!r}")
        if a.constant is not None:
            return np.full(shape, numeric(a.constant, values))
        law = law_of(a)
        self.used[name] = LAWS[law][0]
        mean, var = numeric(a.mean, values), numeric(a.variance, values)
        return mean + math.sqrt(max(var, 0.0)) * LAWS[law][1](rng, shape)

    def execute(self, prog_s: Program, sizes: dict, values: dict, given: dict, rng) -> dict:
        ex = Executor(prog_s, sizes, values, max_grid=4 * CHUNK_ELEMENTS + 1)
        written = set(prog_s.written())
        for name, info in prog_s.tensors.items():
            if name in written:
                continue
            if name in given:
                ex.env[name] = given[name]
            elif any(ref_name(r) == name for st in prog_s.statements() for r in st.reads()):
                ex.env[name] = self.draw(rng, name, tensor_layout(info, sizes)[0], values)
        ex.run()
        return ex.env

    def masks(self, sizes: dict, layers: int) -> list:
        """Complete (interior) entries per layer, mirroring run_layers: [{tensor: bools}]."""
        frm, of = self.recurrence or (None, None)
        count = max(layers, 1)
        backward_rec = bool(frm) and is_grad_name(frm)
        need_fwd = not backward_rec or self.bw_reads_forward
        fwd = []
        if need_fwd:
            for k in range(count):
                start = {}
                if frm and not backward_rec and k > 0:
                    start[frm] = fwd[-1][of]
                fwd.append(completeness(self.program, sizes, start))
        if self.backward is None:
            return fwd
        out = []
        for k in range(count):
            start = {}
            if need_fwd:
                src = fwd[-1 - k] if backward_rec else fwd[0]
                start = {n: v for n, v in src.items() if not is_grad_name(n)}
            if backward_rec and k > 0:
                start[frm] = out[-1][of]
            out.append(completeness(self.backward.program, sizes, start))
        return out

    def run_layers(self, sizes: dict, values: dict, layers: int, rng) -> list:
        """Sample-axis environments per layer (forward, then backward, as needed)."""
        frm, of = self.recurrence or (None, None)
        count = max(layers, 1)
        backward_rec = bool(frm) and is_grad_name(frm)
        need_fwd = not backward_rec or self.bw_reads_forward
        fwd = []
        if need_fwd:
            for k in range(count):
                given = {}
                if frm and not backward_rec and k > 0:
                    given[frm] = fwd[-1][of]
                fwd.append(self.execute(self.fwd_s, sizes, values, given, rng))
        if self.backward is None:
            return fwd
        out = []
        for k in range(count):
            given = {}
            if need_fwd:
                src = fwd[-1 - k] if backward_rec else fwd[0]
                given = {n: v for n, v in src.items() if not is_grad_name(n)}
            if backward_rec and k > 0:
                given[frm] = out[-1][of]
            out.append(self.execute(self.bwd_s, sizes, values, given, rng))
        return out

    # ---- checking ----------------------------------------------------------

    def check(self, claims: list, settings: list, seed: int = 0,
              raise_on_failure: bool = True) -> MonteCarloVerification:
        start = time.perf_counter()
        checks = []
        grow = self.shifted_sizes()
        relevant = set()
        for a in self.assumptions.values():
            for e in (a.mean, a.variance, a.constant):
                if e is not None:
                    relevant |= {x.name for x in _sym(e).free_symbols}
        for c in claims:
            relevant |= {x.name for x in _sym(c.value).free_symbols} | set(c.fixed)
        for k_setting, setting in enumerate(settings):
            sizes = dict(setting.sizes)
            by_fixed: dict = {}
            for c in claims:
                if c.layers > setting.layers and k_setting > 0:
                    continue            # deep stacks at the first (smallest) sizes only
                by_fixed.setdefault(tuple(c.fixed.items()), []).append(c)
            for fixed, group in by_fixed.items():
                layers = max(c.layers for c in group)
                # grow the shifted axes until every checked tensor has interior entries
                for _ in range(12):
                    masks = self.masks(sizes, layers)
                    if all(masks[max(c.layers, 1) - 1].get(c.tensor, np.ones(1, bool)).any()
                           for c in group):
                        break
                    if not grow:
                        break
                    sizes = {n: v + (1 if n in grow else 0) for n, v in sizes.items()}
                for c in group:
                    mask = masks[max(c.layers, 1) - 1].get(c.tensor)
                    if mask is not None and not mask.any():
                        raise DerivationError(f"{c.tensor} has no interior entry (every entry "
                                              f"reads beyond a border) at sizes {sizes}")
                values = {**setting.symbols, **sizes}
                for name, expr in fixed:
                    values[name] = numeric(expr, values)
                grid = self.grid(sizes)
                runs = max(layers, 1) * (2 if self.backward and self.bw_reads_forward else 1)
                budget = TOTAL_ELEMENTS // len(by_fixed)
                total = min(SAMPLES, max(MIN_SAMPLES, budget // (grid * runs)))
                chunk = max(1, min(total, CHUNK_ELEMENTS // grid))
                rng = np.random.default_rng(seed + 1000 * k_setting)
                acc = {id(c): ([], [], []) for c in group}
                centers = {id(c): numeric(c.center, values) for c in group}
                done = 0
                while done < total:
                    n = min(chunk, total - done)
                    envs = self.run_layers({**sizes, MC_SIZE: n}, values, layers, rng)
                    for c in group:
                        env = envs[max(c.layers, 1) - 1]
                        arr = env[c.tensor] if c.tensor in env else None
                        if arr is None:
                            raise DerivationError(f"Monte Carlo produced no {c.tensor!r}")
                        mask = masks[max(c.layers, 1) - 1].get(c.tensor)
                        flat = arr.reshape(n, -1)
                        if mask is not None:
                            flat = flat[:, mask.reshape(-1)]
                        acc[id(c)][0].append(flat.mean(axis=1))
                        acc[id(c)][1].append((flat ** 2).mean(axis=1))
                        if c.moment == "third":
                            acc[id(c)][2].append(((flat - centers[id(c)]) ** 3).mean(axis=1))
                    done += n
                for c in group:
                    a = np.concatenate(acc[id(c)][0])
                    b = np.concatenate(acc[id(c)][1])
                    if c.moment == "third":
                        est, se, se_mean = _estimate(np.concatenate(acc[id(c)][2]), b, "mean")
                    else:
                        est, se, se_mean = _estimate(a, b, c.moment)
                    derived = numeric(c.value, values)
                    slack = 1e-9 * max(1.0, abs(derived))
                    if c.moment == "variance":
                        slack += (STANDARD_ERRORS * se_mean) ** 2
                    width = STANDARD_ERRORS * se + slack
                    if c.relation == BOUND:
                        ok = est <= derived + width
                        dev = max(0.0, est - derived - slack) / se if se > 0 else 0.0
                    else:
                        ok = abs(est - derived) <= width
                        dev = max(0.0, abs(est - derived) - slack) / se if se > 0 else (
                            0.0 if ok else float("inf"))
                    mask = masks[max(c.layers, 1) - 1].get(c.tensor)
                    entries = int(mask.sum()) if mask is not None else 1
                    shown = Setting(sizes, {k: v for k, v in values.items()
                                            if k not in sizes and k in relevant}).text()
                    checks.append(MomentCheck(dict(sizes), seed, {c.label: dev}, c.label,
                                              c.relation, derived, est, se, slack, len(a),
                                              entries, c.layers, shown, bool(ok)))
        if claims and not checks:
            raise VerificationError("no Monte Carlo check could run for "
                                    + ", ".join(c.label for c in claims))
        passed = all(c.ok for c in checks)
        laws = "; ".join(f"{n}: {law}" for n, law in self.used.items())
        v = MonteCarloVerification(
            f"Monte Carlo ({SAMPLES} samples, or fewer for large grids; pass within "
            f"{STANDARD_ERRORS:g} standard errors)", checks, STANDARD_ERRORS, passed,
            laws=laws, seconds=time.perf_counter() - start)
        if not passed and raise_on_failure:
            bad = [c for c in checks if not c.ok][0]
            raise VerificationError(f"a derived moment fails its Monte Carlo check: "
                                    f"{bad.line()}")
        return v


def settings_for(spec_sizes: dict, symbols: dict, variants: int = 2) -> list:
    """Concrete sizes and symbol values: the spec's sizes, then each size + 1; positive
    symbols take moderate values that change between the settings."""
    values = [0.5, 0.35, 0.7, 0.45]
    out = []
    for k in range(variants):
        sizes = {n: v + k for n, v in spec_sizes.items()}
        syms = {}
        for j, (name, sym) in enumerate(sorted(symbols.items())):
            if name in sizes:
                continue
            syms[name] = float(2 + k) if sym.is_integer else values[(j + k) % len(values)]
        out.append(Setting(sizes, syms, LAYERS[min(k, len(LAYERS) - 1)]))
    return out


def verify_claims(program: Program, assumptions: dict, claims: list, settings: list,
                  recurrence=None, seed: int = 0, symbolic=(),
                  raise_on_failure: bool = True) -> MonteCarloVerification:
    """Check derived moments by Monte Carlo at every setting (raises VerificationError)."""
    for c in claims:
        if _has_unknown(c.value):
            unknown = ", ".join(sorted({fx(f) for f in _sym(c.value).atoms(sp.Function)
                                        if getattr(f, "func", None) == E}))
            raise DerivationError(f"{c.label} = {fx(c.value)} involves {unknown}, which the "
                                  "assumptions leave open (declare a distribution): it "
                                  "cannot be checked")
    grads = [c.tensor for c in claims if is_grad_name(c.tensor)
             and c.tensor not in as_assumptions(assumptions)]
    mc = MonteCarlo(program, assumptions, grads, recurrence)
    v = mc.check(claims, settings, seed, raise_on_failure)
    v.symbolic = list(symbolic)
    return v


# --------------------------------------------------------------------------
# answering variance / mean / solve / choice parts
# --------------------------------------------------------------------------


def solve_moment_part(spec, part, ans, verify: bool = True):
    """Fill in `ans` (a derive.solve.Answer) for a variance, mean, solve or choice part."""
    handler = {"variance": _variance_part, "mean": _mean_part, "solve": _solve_part,
               "choice": _choice_part}.get(part.kind)
    if handler is None:
        raise DerivationError(f"the moments engine does not answer {part.kind} parts")
    handler(spec, part, ans, verify)
    return ans


def _result(label, value, relation="=", note=""):
    from .solve import Result
    return Result(label, value if isinstance(value, str) else _simp(value), relation, note)


def _mentioned(assumptions: dict, steps) -> list:
    """The assumed tensors that the steps use, in the order of the assumptions."""
    import re
    text = " ".join(st.text for st in steps)
    return [n for n in assumptions
            if re.search(r"(?<![\w.])" + re.escape(n) + r"(?![\w.])", text)]


def _message(assumptions: dict, steps, assumed=()) -> str:
    out = "assumed: " + assumption_notes(assumptions, _mentioned(assumptions, steps))
    if assumed:
        out += "; independence assumed, not proven: " + "; ".join(dict.fromkeys(assumed))
    return out


def _settings(spec) -> list:
    return settings_for(spec.default_sizes(), spec.symbols)


def _has_unknown(expr) -> bool:
    return any(getattr(f, "func", None) == E for f in _sym(expr).atoms(sp.Function))


def _variance_part(spec, part, ans, verify):
    a = part.args
    assumptions = spec_assumptions(spec, part)
    of = a["of"]
    if "recurrence" in a:
        return _recurrence_part(spec, part, ans, verify, assumptions)
    if a.get("bound") == "max":
        return _largest_variance_part(spec, part, ans, verify, assumptions)
    analysis = Analysis(spec.program, assumptions)
    r = analysis.rv(of)
    ans.steps = analysis.steps(of)
    rel = BOUND if r.bound else "="
    ans.results = [_result(f"Var({of})", r.var, rel,
                           "an upper bound (the moments table knows only a bound)"
                           if r.bound else "")]
    claims = [Claim(f"Var({of})", of, "variance", r.var, rel)]
    if r.bound and r.support is not None and all(x.is_finite for x in r.support):
        cap = _simp((r.support[1] - r.support[0]) ** 2 / 4)
        ans.results.append(_result(f"Var({of})", cap, BOUND,
                                   f"{of} lies in [{fx(r.support[0])}, {fx(r.support[1])}]"))
        claims.append(Claim(f"Var({of})", of, "variance", cap, BOUND))
    if not _has_unknown(r.mean):
        ans.results.append(_result(f"E({of})", r.mean))
        claims.append(Claim(f"E({of})", of, "mean", r.mean))
    if is_grad_name(of):
        ans.program = analysis.backward(base_of(of))[0].program
    der = analysis.derivation(of)
    ans.message = _message(assumptions, ans.steps, der.assumed)
    if verify:
        ans.verification = verify_claims(spec.program, assumptions, claims, _settings(spec))


def _mean_part(spec, part, ans, verify):
    assumptions = spec_assumptions(spec, part)
    of = part.args["of"]
    analysis = Analysis(spec.program, assumptions)
    r = analysis.rv(of)
    ans.steps = analysis.steps(of)
    if _has_unknown(r.mean):
        raise DerivationError(f"E({of}) = {fx(r.mean)}: the mean depends on more of the "
                              "distribution than the assumptions say (declare a distribution)")
    ans.results = [_result(f"E({of})", r.mean)]
    claims = [Claim(f"E({of})", of, "mean", r.mean)]
    if r.random and r.odd:
        flips = ", ".join(sorted(r.odd))
        why = (f"flipping the sign of {flips} (symmetric, independent of the rest) reflects "
               f"{of} about its mean")
        ans.steps.append(Step("symmetry", f"{of} is symmetric about {fx(r.mean)}: {why}"))
        ans.results.append(_result(of, f"symmetric about {fx(r.mean)}", "is", why))
        claims.append(Claim(f"E[({of} - {fx(r.mean)})^3]", of, "third", sp.S.Zero,
                            center=r.mean))
    if is_grad_name(of):
        ans.program = analysis.backward(base_of(of))[0].program
    ans.message = _message(assumptions, ans.steps, analysis.derivation(of).assumed)
    if verify:
        ans.verification = verify_claims(spec.program, assumptions, claims, _settings(spec))


def _recurrence_claims(rec: Recurrence, label_of) -> list:
    claims = []
    for k in range(1, max(LAYERS) + 1):
        at = rec.at if rec.at.is_Number else sp.Integer(max(LAYERS))
        layer = at + k if rec.forward else at - k
        value = rec.closed.xreplace({rec.layer: layer})
        if not rec.at.is_Number:
            value = value.xreplace({rec.at: at})
        shown = rec.at + k if rec.forward else rec.at - k      # symbolic at: L - 1, ...
        claims.append(Claim(label_of(shown), rec.of, "variance", _simp(value), rec.relation,
                            layers=k))
    return claims


def _recurrence_part(spec, part, ans, verify, assumptions):
    a = part.args
    rc = a["recurrence"]
    of = a["of"]
    rec = layer_recurrence(spec.program, assumptions, of, rc["from"], rc["layer"], rc["at"])
    ans.steps = rec.steps
    lhs, rhs = rec.equation
    s, l = rec.function, rec.layer
    family = f"{fx(s(l))} is the variance of one entry of layer {fx(l)}"
    ans.results = [
        _result(fx(lhs), rhs, rec.relation, f"one layer; {family}"),
        _result(fx(s(l)), rec.closed, rec.relation, f"closed form, with {fx(s(rec.at))} = "
                                                    f"{fx(rec.start)}"),
    ]
    if is_grad_name(of):
        ans.program = backward_program(spec.program, assumptions, [base_of(of)]).program
    ans.message = _message(assumptions, ans.steps)
    if verify:
        symbolic = check_recurrence(rec)
        claims = _recurrence_claims(rec, lambda layer: fx(s(layer)))
        ans.verification = verify_claims(spec.program, assumptions, claims, _settings(spec),
                                         recurrence=(rc["from"], of), symbolic=symbolic)


def _largest_variance_part(spec, part, ans, verify, assumptions):
    of = part.args["of"]
    analysis = Analysis(spec.program, assumptions)
    r = analysis.rv(of)
    ans.steps = analysis.steps(of)
    if r.support is None or not all(x.is_finite for x in r.support):
        raise DerivationError(f"the values of {of} are not known to be bounded: its variance "
                              "has no largest value over input distributions")
    lo, hi = r.support
    cap = _simp((hi - lo) ** 2 / 4)
    ans.steps.append(Step("bound", f"{of} takes values in [{fx(lo)}, {fx(hi)}]: for any "
                          f"distribution, Var({of}) = E[({of} - m)^2] - (E[{of}] - m)^2 <= "
                          f"E[({of} - m)^2] <= (({fx(hi)} - {fx(lo)})/2)^2 = {fx(cap)}, with "
                          f"m = ({fx(lo)} + {fx(hi)})/2 the midpoint (Popoviciu's inequality)",
                          None, cap))
    writer = [st for st in spec.program.statements() if st.target_name == of]
    outer = writer[-1].rhs if writer else None
    attained = ("attained by a distribution that puts probability 1/2 on each end of the "
                "range")
    extreme = None
    if outer is not None and type(outer) in EXTREME_ARGUMENTS:
        lo_arg, hi_arg = EXTREME_ARGUMENTS[type(outer)]
        extreme = (type(outer), outer.args[0])
        ends = "±infinity" if (lo_arg, hi_arg) == (-sp.oo, sp.oo) else \
            f"{fx(lo_arg)} or {fx(hi_arg)}"
        attained = (f"approached, not attained: the input {fx(outer.args[0])} = {ends} with "
                    f"probability 1/2 each puts {of} at {fx(lo)} or {fx(hi)} with probability "
                    "1/2 each")
    ans.steps.append(Step("bound", f"the largest variance is {fx(cap)}: {attained}", None, cap))
    ans.results = [_result(f"max Var({of})", cap, "=", attained),
                   _result(f"Var({of})", cap, BOUND, "whatever the input distribution")]
    ans.message = _message(assumptions, ans.steps)
    if verify:
        claims = [Claim(f"Var({of})", of, "variance", cap, BOUND)]
        v = verify_claims(spec.program, assumptions, claims, _settings(spec))
        if extreme is not None:
            v.checks.append(_attainment_check(*extreme, cap))
            v.passed = v.passed and v.checks[-1].ok
            if not v.passed:
                raise VerificationError(f"the largest variance is not approached: "
                                        f"{v.checks[-1].line()}")
        ans.verification = v


def _attainment_check(func, arg, cap, far: float = 30.0, seed: int = 0) -> MomentCheck:
    """Monte Carlo of f(+-far) with probability 1/2 each: its variance approaches `cap`."""
    t = TensorScalar("t")
    out = TensorScalar("u")
    prog = Program([Statement(out, "=", func(t))],
                   {"t": TensorInfo("t", (), (), "input"), "u": TensorInfo("u", (), (), "computed")})
    prog_s = with_samples(prog)
    rng = np.random.default_rng(seed)
    ex = Executor(prog_s, {MC_SIZE: SAMPLES})
    ex.env["t"] = far * (rng.integers(0, 2, (SAMPLES,)) * 2.0 - 1.0)
    ex.run()
    u = ex.array("u")
    est, se, se_mean = _estimate(u, u ** 2, "variance")
    derived = float(cap)
    high, low = float(sp.N(func(far))), float(sp.N(func(-far)))
    slack = abs(derived - (high - low) ** 2 / 4) + (STANDARD_ERRORS * se_mean) ** 2 + 1e-12
    ok = abs(est - derived) <= STANDARD_ERRORS * se + slack
    dev = max(0.0, abs(est - derived) - slack) / se if se > 0 else 0.0
    label = f"Var({fx(func(t))}) for t = ±{far:g} with probability 1/2 each"
    return MomentCheck({}, seed, {label: dev}, label, "=", derived, est, se, slack, SAMPLES, 1,
                       0, "any sizes", bool(ok))


def _moment_values(analysis: Analysis, expr):
    """Replace Var(T) / E(T) in a condition by the derived moments; (expr, [(T, moment)])."""
    used = []
    subs = {}
    # atoms() is a set: sorted, so that the checks (and the key) come in one order
    for f in sorted(_sym(expr).atoms(sp.core.function.AppliedUndef), key=str):
        name = f.func.__name__
        if name not in ("Var", "E") or not isinstance(f.args[0], sp.Symbol):
            continue
        tensor = f.args[0].name
        moment = "variance" if name == "Var" else "mean"
        value, rel = analysis.moment(tensor, moment)
        if rel != "=":
            raise DerivationError(f"only an upper bound is known for {name}({tensor}): it "
                                  "cannot be part of an equation")
        if _has_unknown(value):
            raise DerivationError(f"{name}({tensor}) = {fx(value)} is not known exactly")
        subs[f] = value
        used.append((tensor, moment, f, value))
    return _sym(expr).xreplace(subs), used


def _solve_part(spec, part, ans, verify):
    a = part.args
    sym = a["for"]
    cond = a["condition"]
    assumptions = spec_assumptions(spec, part)
    steps = []
    rec = None
    if "part" in cond:
        ref_part = spec.part(cond["part"])
        rc = ref_part.args["recurrence"]
        rec_assumptions = {**spec_assumptions(spec, ref_part),
                           **as_assumptions(part.args.get("given"))}
        rec = layer_recurrence(spec.program, rec_assumptions, ref_part.args["of"], rc["from"],
                               rc["layer"], rc["at"])
        steps += rec.steps
        layer = cond["layer"]
        lhs = rec.at_layer(layer)
        rhs = cond["equals"]
        steps.append(Step("solve", f"at layer {fx(layer)}: {fx(rec.function(layer))} = "
                          f"{fx(lhs)}; the condition: {fx(lhs)} = {fx(rhs)}", None, lhs))
        assumptions = rec_assumptions
        analysis = None
    else:
        analysis = Analysis(spec.program, assumptions)
        lhs, used_l = _moment_values(analysis, cond["of"])
        rhs, used_r = _moment_values(analysis, cond["equals"])
        used = used_l + used_r
        for tensor, moment, _, _ in used:
            for st in analysis.steps(tensor):
                if st not in steps:
                    steps.append(st)
        shown = ", ".join(f"{fx(f)} = {fx(v)}" for _, _, f, v in used)
        steps.append(Step("solve", f"the condition {fx(cond['of'])} = {fx(cond['equals'])} with "
                          f"{shown}: {fx(lhs)} = {fx(rhs)}", None, lhs - rhs))
    roots = solve_for(lhs, rhs, sym)
    kind = "positive " if sym.is_positive else ""
    steps.append(Step("solve", f"solve for {sym.name} ({kind}root"
                      f"{'s' if len(roots) > 1 else ''}): {sym.name} = "
                      f"{', '.join(fx(r) for r in roots)} (exact)", None, roots[0]))
    ans.results = [_result(sym.name, r, "=", "exact") for r in roots]
    if analysis is not None and len(used) == 1 and used[0][1] == "variance":
        tensor = used[0][0]
        mean, _ = analysis.moment(tensor, "mean")
        if not mean.has(sym) and not _has_unknown(mean):
            steps.append(Step("solve", f"E({tensor}) = {fx(mean)} whatever {sym.name} is"))
            ans.results.append(_result(f"E({tensor})", mean, "=", f"for every {sym.name}"))
    approx_roots = []
    name = a.get("approximate")
    if name:
        ap = APPROXIMATIONS[name]
        found, lhs_a = ap.apply(lhs)
        found_r, rhs_a = ap.apply(_sym(rhs))
        found += found_r
        if not found:
            raise DerivationError(f"the approximation {ap.rule} does not apply to "
                                  f"{fx(lhs)} = {fx(rhs)}")
        for inst, new, parts in found:
            bits = ", ".join(f"{k} = {fx(v)}" for k, v in parts.items())
            steps.append(Step("approximate", f"approximate {ap.rule} with {bits}: "
                              f"{fx(inst)} ≈ {fx(new)} ({ap.valid})", None, new,
                              {"rule": ap.rule}))
        steps.append(Step("approximate", f"the condition becomes {fx(lhs_a)} = {fx(rhs_a)}",
                          None, lhs_a - rhs_a))
        approx_roots = solve_for(lhs_a, rhs_a, sym)
        steps.append(Step("approximate", f"solve for {sym.name}: {sym.name} ≈ "
                          f"{', '.join(fx(r) for r in approx_roots)}", None, approx_roots[0]))
        ans.results += [_result(sym.name, r, "≈", f"using {ap.rule}") for r in approx_roots]
    ans.steps = steps
    ans.message = _message(assumptions, steps)
    if not verify:
        return
    symbolic = []
    for r in roots:
        residual = sp.simplify((lhs - rhs).xreplace({sym: r}))
        if residual != 0:
            point = _sample_point(lhs - rhs)
            value = complex(sp.N((lhs - rhs).xreplace({sym: r}).xreplace(point)))
            if abs(value) > 1e-9:
                raise VerificationError(f"{sym.name} = {fx(r)} does not satisfy "
                                        f"{fx(lhs)} = {fx(rhs)}")
        symbolic.append(f"{sym.name} = {fx(r)} satisfies {fx(lhs)} = {fx(rhs)} "
                        "(symbolic check)")
    if approx_roots:
        symbolic += _approximation_quality(sym, roots[0], approx_roots[0], rec, cond)
    settings = _settings(spec)
    if rec is not None:
        claims = []
        layer = cond["layer"]
        for n in (2, max(LAYERS)):
            fixed = {}
            if layer.is_Symbol:
                fixed[layer.name] = sp.Integer(n)
            fixed[sym.name] = roots[0]
            k = int(numeric(layer - rec.at if rec.forward else rec.at - layer,
                            {layer.name: n} if layer.is_Symbol else {}))
            claims.append(Claim(f"{fx(rec.function(layer))} with {sym.name} = {fx(roots[0])}",
                                rec.of, "variance", _sym(cond["equals"]), rec.relation,
                                layers=k, fixed=fixed))
            if not layer.is_Symbol:
                break
        ans.verification = verify_claims(spec.program, assumptions, claims, settings,
                                         recurrence=(rec.frm, rec.of), symbolic=symbolic)
    else:
        claims = []
        for tensor, moment, f, value in used:
            claims.append(Claim(f"{fx(f)} with {sym.name} = {fx(roots[0])}", tensor, moment,
                                value, "=", fixed={sym.name: roots[0]}))
        ans.verification = verify_claims(spec.program, assumptions, claims, settings,
                                         symbolic=symbolic)


def _approximation_quality(sym, exact, approx, rec, cond) -> list:
    """How far the approximate root is from the exact one (and its limit)."""
    free = sorted((exact.free_symbols | approx.free_symbols), key=lambda x: x.name)
    out = []
    layer = cond.get("layer") if isinstance(cond, dict) else None
    if layer is not None and layer.is_Symbol:
        base = {x.name: (2.0 if x.is_integer else 0.5) for x in free}
        diffs = []
        for n in (2, 10, 100):
            vals = {**base, layer.name: float(n)}
            e, p = numeric(exact, vals), numeric(approx, vals)
            diffs.append(f"{100 * (p - e) / e:+.2g}% at {layer.name}={n}")
        point = ", ".join(f"{k}={v:g}" for k, v in base.items() if k != layer.name)
        out.append(f"the approximate {sym.name} differs from the exact one by "
                   f"{', '.join(diffs)} ({point})")
        try:
            lim = sp.limit(sp.simplify(approx / exact), layer, sp.oo)
        except (NotImplementedError, ValueError, TypeError):   # pragma: no cover
            lim = None
        if lim is not None:
            out.append(f"approximate/exact -> {fx(lim)} as {layer.name} -> oo (symbolic limit)")
    return out


def _choice_part(spec, part, ans, verify):
    a = part.args
    cmp_ = a["compare"]
    assumptions = spec_assumptions(spec, part)
    analysis = Analysis(spec.program, assumptions)
    of, other, moment = cmp_["of"], cmp_["with"], cmp_["moment"]
    v_of, rel_of = analysis.moment(of, moment)
    v_other, rel_other = analysis.moment(other, moment)
    steps = list(analysis.steps(of))
    for st in analysis.steps(other):
        if st not in steps:
            steps.append(st)
    label = "Var" if moment == "variance" else "E"
    if rel_other != "=":
        raise DerivationError(f"{label}({other}) is only bounded: cannot compare with it")
    gap = _simp(v_other - v_of)
    if rel_of == "=":
        sign = gap.is_positive, gap.is_zero, gap.is_negative
        relation = "<" if sign[0] else "=" if sign[1] else ">" if sign[2] else None
        why = f"{label}({of}) = {fx(v_of)} and {label}({other}) = {fx(v_other)}"
    else:
        relation = "<" if gap.is_positive else None
        why = (f"{label}({of}) <= {fx(v_of)} < {fx(v_other)} = {label}({other}), since the "
               f"difference {fx(gap)} is positive")
    if relation is None:
        raise DerivationError(f"cannot decide how {label}({of}) <= {fx(v_of)} compares with "
                              f"{label}({other}) = {fx(v_other)}")
    from .spec import COMPARISON_WORDS
    chosen = [o for o in a["options"] if COMPARISON_WORDS[str(o)] == relation]
    if not chosen:
        raise DerivationError(f"none of the options {a['options']} says {relation!r}")
    steps.append(Step("choice", f"{why}: {label}({of}) is {chosen[0]} than {label}({other})"
                      if relation != "=" else f"{why}: equal", None, gap,
                      {"option": chosen[0]}))
    ans.steps = steps
    ans.results = [_result(f"{label}({of}) compared with {label}({other})", str(chosen[0]),
                           "=", why),
                   _result(f"{label}({of})", v_of, rel_of),
                   _result(f"{label}({other})", v_other, rel_other)]
    ans.message = _message(assumptions, steps)
    if verify:
        claims = [Claim(f"{label}({other})", other, moment, v_other, "="),
                  Claim(f"{label}({of})", of, moment, v_of, rel_of)]
        r = analysis.rv(of)
        if moment == "variance" and rel_of == BOUND and r.support is not None \
                and all(x.is_finite for x in r.support):
            claims.append(Claim(f"{label}({of})", of, moment,
                                _simp((r.support[1] - r.support[0]) ** 2 / 4), BOUND))
        ans.verification = verify_claims(spec.program, assumptions, claims, _settings(spec))
