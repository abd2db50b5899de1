"""The moments table: one row per function (the `linear` row is `affine`), each a
named function above its row."""
from __future__ import annotations

from dataclasses import dataclass, field
import sympy as sp
from derive.core.errors import DerivationError
from derive.core.functions import Phi, relu, sigma, step
from derive.core.records import chain
from derive.engines.moments.algebra import (BOUND, E, RV, Var, _interval_add, _interval_mul,
                                            _simp, _sym, constant_rv, fx, law_words)
from derive.core.program import as_expr

# --------------------------------------------------------------------------
# the moments table: one row per function (the `linear` row is `affine`)
# --------------------------------------------------------------------------


@dataclass
class Fact:
    """A fact a row uses, as a step: its sentence key (derive.core.sentences_moments),
    the objects the sentence names, a relation chain, and whether it is exact or a
    bound."""
    why: str
    args: dict = field(default_factory=dict)
    chain: tuple = ()
    exact: bool = True


U = sp.Symbol("xi")       # any argument, in the identities a fact states (sigma(-xi) = ...)


def affine(u: RV, a, b) -> RV:
    """a*u + b: E = a E[u] + b, Var = a^2 Var(u) (exact)."""
    a, b = _sym(a), _sym(b)
    support = None
    if u.support is not None:
        support = _interval_add(_interval_mul((a, a), u.support), (b, b))
    if a == 0:
        return constant_rv(b)
    cap = a ** 2 * u.second_cap if u.second_cap is not None and b == 0 else None
    # a shift and scale of a normal, uniform, two-point or t law is one of the same family
    law = u.law if u.law in SCALE_FAMILIES + ("t",) or (a == 1 and b == 0) else None
    return RV(_simp(a * u.mean + b), _simp(a ** 2 * u.var), u.bound, u.sources, u.factors,
              u.odd, u.normal, support, cap, law, u.atomless and a.is_zero is False,
              u.nu if law == "t" else None)


def relu_moments(u: RV, arg) -> tuple[RV, list]:
    if not u.centred_symmetric:
        raise DerivationError(
            f"the moments table needs the argument of relu, {fx(arg)}, symmetric about 0 "
            f"(mean {fx(u.mean)}{'' if u.symmetric else ', not known to be symmetric'}); "
            "declare symmetric: true where it holds")
    second = u.var / 2
    facts = [Fact("relu of a symmetric argument", {"argument": arg},
                  chain(E(relu(arg) ** 2), "=", Var(arg) / 2, "=", _simp(second)))]
    if u.normal:
        mean = sp.sqrt(u.var / (2 * sp.pi))
        facts.append(Fact("relu of a normal argument", {"argument": arg},
                          chain(E(relu(arg)), "=",
                                sp.Pow(Var(arg) / (2 * sp.pi), sp.S.Half, evaluate=False), "=",
                                _simp(mean))))
    else:
        mean = E(relu(arg))
        facts.append(Fact("relu mean unknown", {"mean": mean, "argument": arg}))
    support = None if u.support is None else (sp.S.Zero, sp.Max(u.support[1], 0))
    return RV(_simp(mean), _simp(second - mean ** 2), u.bound, u.sources, frozenset(),
              frozenset(), False, support), facts


def _range_fact(f, arg, low, high, ends=None) -> Fact:
    """Var(f(arg)) <= ((high - low)/2)^2 for f with values between low and high."""
    args = {"function": f(arg), "low": low, "high": high}
    why = "bounded values"
    if ends is not None:
        why = "bounded values, approached"
        args.update(low_argument=ends[0], high_argument=ends[1])
    return Fact(why, args, (Var(f(arg)), BOUND, _simp((high - low) ** 2 / 4)), exact=False)


def sigma_moments(u: RV, arg) -> tuple[RV, list]:
    facts = []
    if u.centred_symmetric:
        mean, odd = sp.S.Half, u.odd
        facts.append(Fact("sigmoid of a symmetric argument",
                          {"identity": sp.Eq(sigma(-U), 1 - sigma(U), evaluate=False),
                           "argument": arg},
                          chain(E(sigma(arg)), "=", sigma(sp.S.Zero, evaluate=False), "=",
                                mean)))
    else:
        mean, odd = E(sigma(arg)), frozenset()
        facts.append(Fact("sigmoid mean unknown", {"argument": arg, "mean": mean},
                          chain(E(sigma(arg) ** 2), BOUND, 1)))
    var = u.var / 16
    slope = sigma(U) * (1 - sigma(U))
    facts.append(Fact("slope at most", {"slope": slope, "function": sigma(U),
                                        "top": sp.Rational(1, 4)},
                      chain(Var(sigma(arg)), BOUND, E((sigma(arg) - sigma(E(arg))) ** 2),
                            BOUND, Var(arg) / 16, "=", _simp(var)), exact=False))
    facts.append(_range_fact(sigma, arg, sp.S.Zero, sp.S.One, EXTREME_ARGUMENTS[sigma]))
    return RV(_simp(mean), _simp(var), True, u.sources, frozenset(), odd, False,
              (sp.S.Zero, sp.S.One), sp.S.One, atomless=u.atomless), facts


def tanh_moments(u: RV, arg) -> tuple[RV, list]:
    facts = []
    if u.centred_symmetric:
        mean, odd = sp.S.Zero, u.odd
        facts.append(Fact("odd function of a symmetric argument",
                          {"function": sp.tanh(U), "argument": arg},
                          chain(E(sp.tanh(arg)), "=", 0)))
    else:
        mean, odd = E(sp.tanh(arg)), frozenset()
        facts.append(Fact("tanh mean unknown",
                          {"argument": arg, "mean": mean,
                           "bound": sp.Le(sp.Abs(sp.tanh(U)), sp.Abs(U))},
                          chain(E(sp.tanh(arg) ** 2), BOUND, E(arg ** 2), "=", u.second),
                          exact=False))
    facts.append(Fact("slope at most", {"slope": 1 - sp.tanh(U) ** 2, "function": sp.tanh(U),
                                        "top": sp.S.One},
                      chain(Var(sp.tanh(arg)), BOUND, Var(arg), "=", u.var), exact=False))
    facts.append(_range_fact(sp.tanh, arg, -sp.S.One, sp.S.One))
    return RV(_simp(mean), u.var, True, u.sources, frozenset(), odd, False,
              (-sp.S.One, sp.S.One), u.second, atomless=u.atomless), facts


def phi_moments(u: RV, arg) -> tuple[RV, list]:
    """Phi, the standard normal CDF: mean 1/2 for a symmetric argument; for a normal
    one with mean 0 and variance v, E[Phi(u)^2] = 1/4 + asin(v/(1+v))/(2 pi) exactly
    (the orthant probability of two normals with correlation v/(1+v))."""
    facts = []
    if u.centred_symmetric:
        mean, odd = sp.S.Half, u.odd
        facts.append(Fact("CDF of a symmetric argument",
                          {"identity": sp.Eq(Phi(-U), 1 - Phi(U), evaluate=False),
                           "argument": arg},
                          chain(E(Phi(arg)), "=", Phi(sp.S.Zero, evaluate=False), "=", mean)))
    else:
        mean, odd = E(Phi(arg)), frozenset()
        facts.append(Fact("sigmoid mean unknown", {"argument": arg, "mean": mean},
                          chain(E(Phi(arg) ** 2), BOUND, 1)))
    if u.normal and u.centred_symmetric:
        var = _simp(sp.asin(u.var / (1 + u.var)) / (2 * sp.pi))
        facts.append(Fact("CDF of a normal argument", {"argument": arg},
                          chain(Var(Phi(arg)), "=", E(Phi(arg) ** 2) - sp.Rational(1, 4),
                                "=", var)))
        return RV(mean, var, False, u.sources, frozenset(), odd, False,
                  (sp.S.Zero, sp.S.One), sp.S.One, atomless=u.atomless), facts
    var = u.var / (2 * sp.pi)
    facts.append(Fact("slope at most", {"slope": sp.exp(-U ** 2 / 2) / sp.sqrt(2 * sp.pi),
                                        "function": Phi(U), "top": 1 / sp.sqrt(2 * sp.pi)},
                      chain(Var(Phi(arg)), BOUND, E((Phi(arg) - Phi(E(arg))) ** 2),
                            BOUND, Var(arg) / (2 * sp.pi), "=", _simp(var)), exact=False))
    facts.append(_range_fact(Phi, arg, sp.S.Zero, sp.S.One, EXTREME_ARGUMENTS[Phi]))
    return RV(_simp(mean), _simp(var), True, u.sources, frozenset(), odd, False,
              (sp.S.Zero, sp.S.One), sp.S.One, atomless=u.atomless), facts


# --------------------------------------------------------------------------
# laws known beyond two moments: raw moments and the moment generating function
# --------------------------------------------------------------------------

SCALE_FAMILIES = ("normal", "uniform", "rademacher")   # closed under shift and scale


def central_moment(family: str, v, k: int):
    """E[(X - E X)^k] for a law of the family with variance v (symmetric: 0 for odd k)."""
    if k % 2:
        return sp.S.Zero
    if family == "normal":
        return sp.factorial2(k - 1) * v ** (k // 2)
    if family == "uniform":                  # half-width h = sqrt(3 v)
        return (3 * v) ** sp.Rational(k, 2) / (k + 1)
    if family == "rademacher":               # mean +- sqrt(v)
        return v ** (k // 2)
    raise KeyError(family)


ORDINALS = {1: "first", 2: "second", 3: "third", 4: "fourth", 5: "fifth", 6: "sixth",
            7: "seventh", 8: "eighth"}


def t_central_moment(nu, v, k: int):
    """E[(X - E X)^k] for X = m + s T, T Student's t with nu degrees of freedom and
    Var X = v: s^2 = v (nu - 2)/nu and E[T^(2j)] = nu^j prod_{i<=j} (2i - 1)/(nu - 2i)."""
    if k % 2:
        return sp.S.Zero
    j = k // 2
    return v ** j * (nu - 2) ** j * sp.Mul(*[sp.Integer(2 * i - 1) / (nu - 2 * i)
                                             for i in range(1, j + 1)])


def t_finite(nu_info, k: int) -> bool:
    """Is E|X|^k finite for a t law, i.e. nu > k (from nu or the lower bound of its range)?"""
    nu, low = nu_info
    if nu.is_number:
        return bool(nu > k)
    if (nu - k).is_positive:
        return True
    return low is not None and (low[0] > k or (low[0] == k and low[1]))


def _t_moment(u: RV, k: int, base=None):
    nu = u.nu[0]
    if not t_finite(u.nu, k):
        what = f"E[{fx(base ** k)}]" if base is not None else f"E[X^{k}]"
        nth = ORDINALS.get(k, f"{k}th")
        if nu.is_number:
            raise DerivationError(f"t({fx(nu)}) has no finite {nth} moment, so {what} is "
                                  f"infinite (it is finite only for nu > {k})")
        raise DerivationError(f"t({fx(nu)}) has a finite {nth} moment ({what}) only for "
                              f"{fx(nu)} > {k}, which the spec does not state: declare the "
                              f"range of {fx(nu)}, e.g. {fx(nu)}: {{range: '({k}, inf)'}}")
    m = u.mean
    return sp.expand(sum(sp.binomial(k, j) * m ** (k - j) * t_central_moment(nu, u.var, j)
                         for j in range(k + 1)))


def raw_moment(u: RV, k: int, base=None):
    """E[X^k] for an entry of a known family (None when the family is unknown; an error
    when the moment is infinite, as E[X^4] of t(4))."""
    fam = u.family
    if fam == "bernoulli":                   # X^k = X for values 0 and 1
        return u.mean
    if fam == "t":
        return _t_moment(u, k, base)
    if fam not in SCALE_FAMILIES:
        return None
    m = u.mean
    return sp.expand(sum(sp.binomial(k, j) * m ** (k - j) * central_moment(fam, u.var, j)
                         for j in range(k + 1)))


def mgf(u: RV, t):
    """E[exp(t X)] for an entry of a known family (None when the family is unknown)."""
    m, v, fam = u.mean, u.var, u.family
    if fam == "normal":
        return sp.exp(t * m + t ** 2 * v / 2)
    if fam == "uniform":
        h = sp.sqrt(3 * v)
        return sp.exp(t * m) * sp.sinh(t * h) / (t * h)
    if fam == "rademacher":
        return sp.exp(t * m) * sp.cosh(t * sp.sqrt(v))
    if fam == "bernoulli":
        return 1 - m + m * sp.exp(t)
    return None


def power_moments(u: RV, base, p: int) -> tuple[RV, list]:
    """base^p for a positive integer p: E[X^p] and Var = E[X^(2p)] - E[X^p]^2 from the
    law's moments; a square needs only the second moment for its mean."""
    e = base ** p
    mean, top = raw_moment(u, p, base), raw_moment(u, 2 * p, base)
    facts = []
    if mean is not None:
        facts.append(Fact(f"power of a {u.family} entry", {"entry": base},
                          chain(E(e), "=", _simp(mean))))
        facts.append(Fact("variance of a power", {"entry": base, "moment": sp.Eq(
                          E(base ** (2 * p)), _simp(top), evaluate=False)},
                          chain(Var(e), "=", E(base ** (2 * p)) - E(e) ** 2, "=",
                                _simp(top - mean ** 2))))
        var = _simp(top - mean ** 2)
    elif p == 2 and not u.capped:
        mean = _simp(u.second)
        var = E(base ** 4) - mean ** 2
        facts.append(Fact("square of an entry", {"entry": base},
                          chain(E(e), "=", Var(base) + E(base) ** 2, _rel(u), mean)))
        facts.append(Fact("fourth moment unknown", {"entry": base, "moment": E(base ** 4)}))
    else:
        raise DerivationError(
            f"no closed form for E[{fx(e)}] under {law_words(u)} for {fx(base)}: the "
            f"moments table needs its distribution (normal, uniform, rademacher, "
            f"bernoulli or t under assume:)")
    support = None
    if u.support is not None and all(x.is_number for x in u.support):
        ends = [u.support[0] ** p, u.support[1] ** p]
        lo = 0 if p % 2 == 0 and float(u.support[0]) <= 0 <= float(u.support[1]) \
            else min(ends, key=float)
        support = (as_expr(lo), max(ends, key=float))
    law = "bernoulli" if u.family == "bernoulli" else None
    return RV(_simp(mean), var, u.bound, u.sources, frozenset(),
              u.odd if p % 2 and sp.simplify(u.mean) == 0 else frozenset(), False, support,
              law=law, atomless=u.atomless), facts


def _rel(u: RV) -> str:
    return BOUND if u.bound or u.capped else "="


# --------------------------------------------------------------------------
# rows: step, abs, exp
# --------------------------------------------------------------------------


def step_moments(u: RV, arg) -> tuple[RV, list]:
    """step(u) = 1 where u > 0: a 0/1 variable, so E[step^2] = E[step] = P(u > 0) and
    Var = p (1 - p).  p = Phi(m / sqrt(v)) for a normal argument; 1/2 for an argument
    symmetric about 0 with no atom at 0; else unknown (at most 1/2 if symmetric)."""
    facts, odd, cap = [], frozenset(), None
    if u.normal and not u.bound:
        p = sp.S.Half if sp.simplify(u.mean) == 0 else Phi(_simp(u.mean / sp.sqrt(u.var)))
        odd = u.odd if p == sp.S.Half else frozenset()
        facts.append(Fact("step of a normal argument", {"argument": arg},
                          chain(E(step(arg)), "=", Phi(E(arg) / sp.sqrt(Var(arg))), "=", p)))
    elif u.family == "rademacher" and sp.simplify(u.mean) == 0:
        p, odd = sp.S.Half, u.odd
        facts.append(Fact("step of a two-point argument", {"argument": arg},
                          chain(E(step(arg)), "=", p)))
    elif u.centred_symmetric and u.atomless:
        p, odd = sp.S.Half, u.odd
        facts.append(Fact("step of a symmetric argument", {"argument": arg},
                          chain(E(step(arg)), "=", p)))
    elif u.centred_symmetric:
        p, cap = E(step(arg)), sp.S.Half
        facts.append(Fact("step of a symmetric argument, maybe 0", {"argument": arg},
                          chain(E(step(arg)), BOUND, sp.S.Half), exact=False))
    else:
        p, cap = E(step(arg)), sp.S.One
        facts.append(Fact("step mean unknown", {"argument": arg, "mean": E(step(arg))}))
    var = _simp(p - p ** 2)
    facts.append(Fact("indicator squared", {"function": step(arg)},
                      chain(Var(step(arg)), "=", E(step(arg)) - E(step(arg)) ** 2, "=", var)))
    return RV(_simp(p), var, False, u.sources, frozenset(), odd, False,
              (sp.S.Zero, sp.S.One), cap, "bernoulli"), facts


def abs_moments(u: RV, arg) -> tuple[RV, list]:
    """|u|: E[|u|^2] = E[u^2] always; E|u| = sqrt(2 v / pi) for a normal argument with
    mean 0 (the folded normal in general)."""
    if u.capped:
        raise DerivationError(f"no closed form for E[abs({fx(arg)})^2]: the second moment "
                              f"of {fx(arg)} is known only as a bound")
    second = _simp(u.second)
    facts = [Fact("abs keeps the second moment", {"argument": arg},
                  chain(E(sp.Abs(arg) ** 2), "=", E(arg ** 2), _rel(u), second))]
    if u.normal and not u.bound:
        m, v = u.mean, u.var
        mean = sp.sqrt(2 * v / sp.pi) if sp.simplify(m) == 0 else \
            sp.sqrt(2 * v / sp.pi) * sp.exp(-m ** 2 / (2 * v)) + m * (1 - 2 * Phi(-m / sp.sqrt(v)))
        facts.append(Fact("abs of a normal argument", {"argument": arg},
                          chain(E(sp.Abs(arg)), "=", _simp(mean))))
    else:
        mean = E(sp.Abs(arg))
        facts.append(Fact("abs mean unknown", {"argument": arg, "mean": mean}))
    support = None
    if u.support is not None and all(x.is_number for x in u.support):
        lo, hi = (float(x) for x in u.support)
        ends = [abs(u.support[0]), abs(u.support[1])]
        support = (sp.S.Zero if lo <= 0 <= hi else min(ends, key=float), max(ends, key=float))
    return RV(_simp(mean), _simp(second - mean ** 2), u.bound, u.sources, frozenset(),
              frozenset(), False, support, atomless=u.atomless), facts


def exp_moments(u: RV, arg) -> tuple[RV, list]:
    """exp(u) by the moment generating function M(t) = E[exp(t u)]: E = M(1),
    Var = M(2) - M(1)^2; for a normal argument the log-normal moments
    E = exp(m + v/2), Var = (exp(v) - 1) exp(2 m + v)."""
    if u.family == "t":
        raise DerivationError(
            f"E[exp({fx(arg)})] is infinite: t({fx(u.nu[0])}), the law of {fx(arg)}, has no "
            "moment generating function (its tails are heavier than exponential)")
    m1, m2 = mgf(u, 1), mgf(u, 2)
    if m1 is None:
        raise DerivationError(
            f"no closed form for E[exp({fx(arg)})] and E[exp({fx(arg)})^2] under "
            f"{law_words(u)} for {fx(arg)}: they depend on its whole distribution (its "
            "moment generating function); declare the distribution of the inputs (normal, "
            "for which exp of a normal entry is log-normal)")
    mean = _simp(m1)
    if u.family == "normal":
        var = _simp((sp.exp(u.var) - 1) * sp.exp(2 * u.mean + u.var))
        facts = [Fact("exp of a normal argument", {"argument": arg},
                      chain(E(sp.exp(arg)), "=", sp.exp(E(arg) + Var(arg) / 2), "=", mean)),
                 Fact("variance of a log-normal", {"argument": arg},
                      chain(Var(sp.exp(arg)), "=", (sp.exp(Var(arg)) - 1)
                            * sp.exp(2 * E(arg) + Var(arg)), "=", var))]
    else:
        var = _simp(m2 - m1 ** 2)
        facts = [Fact(f"exp of a {u.family} argument", {"argument": arg},
                      chain(E(sp.exp(arg)), "=", mean)),
                 Fact("variance of exp", {"argument": arg},
                      chain(Var(sp.exp(arg)), "=", E(sp.exp(2 * arg)) - E(sp.exp(arg)) ** 2,
                            "=", var))]
    support = None
    if u.support is not None:
        support = (sp.exp(u.support[0]), sp.exp(u.support[1]))
    return RV(mean, var, False, u.sources, frozenset(), frozenset(), False, support,
              atomless=u.atomless), facts


# function -> (moments of f(u) given the moments of u, the facts used)
MOMENTS = {
    # ---- activations
    relu: relu_moments,
    sigma: sigma_moments,
    sp.tanh: tanh_moments,
    # ---- piecewise: the unit step (the comparison (u > 0) is step(u)) and abs
    step: step_moments,
    sp.Abs: abs_moments,
    # ---- exponentials (log-normal for a normal argument)
    sp.exp: exp_moments,
    # ---- the Gaussian
    Phi: phi_moments,
}

# (lowest, highest) argument at which a bounded function reaches its extremes
EXTREME_ARGUMENTS = {
    sigma: (-sp.oo, sp.oo),
    sp.tanh: (-sp.oo, sp.oo),
    Phi: (-sp.oo, sp.oo),
}
