
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

from dataclasses import dataclass

import sympy as sp

from derive.core.program import base_of, format_expr, index_var, ref
from derive.core.records import chain


E = sp.Function("E")      # a mean, kept symbolic: E(relu(z0[i])), or named in a step
Var = sp.Function("Var")  # a variance, named in a step: Var(L0[b, x, y, jp])
BOUND = "≤"               # the relation of a result known only as an upper bound


def _sym(x) -> sp.Basic:
    """A SymPy object from a SymPy object or a Python number (never from text: spec text
    is parsed by derive.front.spec with the notation parser)."""
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
    low: sp.Expr | None = None          # uniform(low, high): the interval
    high: sp.Expr | None = None
    nu: sp.Expr | None = None           # t(nu): the degrees of freedom
    nu_low: tuple | None = None         # (lo, strict): nu > lo (strict) or nu >= lo

    @property
    def normal(self) -> bool:
        return self.distribution == "normal"

    @property
    def law_name(self) -> str | None:
        """The law with its parameters, as a spec writes it: uniform(-1, 3), t(5)."""
        if self.distribution == "uniform" and self.low is not None:
            return f"uniform({fx(self.low)}, {fx(self.high)})"
        if self.distribution == "t":
            return f"t({fx(self.nu)})"
        return self.distribution


def as_assumptions(raw: dict) -> dict:
    """{tensor: Assumption} from a spec's normalized `assume:` / `given:` mapping."""
    out = {}
    for name, a in (raw or {}).items():
        out[name] = a if isinstance(a, Assumption) else Assumption(
            **{k: (_sym(v) if k in ("mean", "variance", "constant", "low", "high", "nu")
                   and v is not None
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
    law:     the family of its law when known beyond its moments (normal, uniform,
             rademacher: fixed by mean and variance; bernoulli: values 0 and 1; t: a shift
             and scale of Student's t with `nu` degrees of freedom), for the rows that need
             more than two moments (powers, exp).
    atomless: P(X = c) = 0 for every c (a continuous law): step(X) then has mean P(X > 0).
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
    law: str | None = None
    atomless: bool = False
    nu: tuple | None = None     # law t: (nu, (lo, strict) a lower bound on nu or None)

    @property
    def family(self) -> str | None:
        """The law's family, where it is known (a sum of independent normals is normal)."""
        if self.bound:
            return None
        return "normal" if self.normal else self.law

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
    if a.distribution == "uniform" and a.low is not None:
        support = (a.low, a.high)
    elif a.distribution == "uniform":
        support = (m - sp.sqrt(3 * v), m + sp.sqrt(3 * v))
    elif a.distribution == "rademacher":
        support = (m - sp.sqrt(v), m + sp.sqrt(v))
    elif a.distribution == "bernoulli":
        support = (sp.S.Zero, sp.S.One)
    zero_mean = sp.simplify(m) == 0
    return RV(m, v, False, frozenset({name}), frozenset({name}) if zero_mean else frozenset(),
              frozenset({name}) if a.symmetric else frozenset(), a.normal, support,
              law=a.distribution, atomless=a.distribution in ("normal", "uniform", "t"),
              nu=(a.nu, a.nu_low) if a.distribution == "t" else None)


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


def _has_unknown(expr) -> bool:
    return any(getattr(f, "func", None) == E for f in _sym(expr).atoms(sp.Function))


def unknowns(expr) -> list:
    """The moments an expression leaves open (E(relu(z0[i]))), in the course notation."""
    return sorted({fx(f) for f in _sym(expr).atoms(sp.Function)
                   if getattr(f, "func", None) == E})


def law_words(u: "RV") -> str:
    """How the assumptions describe the law of an entry, for a message."""
    if u.family == "t":
        return f"a t({fx(u.nu[0])}) law"
    if u.family:
        return f"a {u.family} law"
    return "a law known only by its mean and variance" + (
        " (and its symmetry)" if u.random and u.odd else "")


# --------------------------------------------------------------------------
# the objects steps name
# --------------------------------------------------------------------------


def said(lhs, *rest) -> tuple:
    """A relation chain for a step (derive.core.records.chain), without the links that
    repeat the expression before them (`= 0 = 0`); a repeated bound keeps its relation."""
    out = [_sym(lhs)]
    for rel, e in zip(rest[::2], rest[1::2]):
        e = _sym(e)
        if len(out) > 1 and e == out[-1]:
            if rel != "=":
                out[-2] = rel
            continue
        out += [rel, e]
    return chain(*out)


def entry(program, name: str) -> sp.Basic:
    """One entry of tensor `name` (or of its gradient) at its declared indices:
    `L0[b, x, y, jp]`, the object a step names for the tensor as a whole."""
    info = program.tensors.get(name) or program.tensors.get(base_of(name))
    if info is None or not info.axes:
        return ref(name)
    return ref(name, [index_var(a) for a in info.axes])
