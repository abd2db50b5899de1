"""The moments table: one row per function (the `linear` row is `affine`), each a
named function above its row."""
from __future__ import annotations

from dataclasses import dataclass, field
import sympy as sp
from derive.core.errors import DerivationError
from derive.core.functions import Phi, relu, sigma
from derive.core.records import chain
from derive.engines.moments.algebra import (BOUND, E, RV, Var, _interval_add, _interval_mul,
                                            _simp, _sym, constant_rv, fx)

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
    return RV(_simp(a * u.mean + b), _simp(a ** 2 * u.var), u.bound, u.sources, u.factors,
              u.odd, u.normal, support, cap)


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
              (sp.S.Zero, sp.S.One), sp.S.One), facts


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
              (-sp.S.One, sp.S.One), u.second), facts


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
                  (sp.S.Zero, sp.S.One), sp.S.One), facts
    var = u.var / (2 * sp.pi)
    facts.append(Fact("slope at most", {"slope": sp.exp(-U ** 2 / 2) / sp.sqrt(2 * sp.pi),
                                        "function": Phi(U), "top": 1 / sp.sqrt(2 * sp.pi)},
                      chain(Var(Phi(arg)), BOUND, E((Phi(arg) - Phi(E(arg))) ** 2),
                            BOUND, Var(arg) / (2 * sp.pi), "=", _simp(var)), exact=False))
    facts.append(_range_fact(Phi, arg, sp.S.Zero, sp.S.One, EXTREME_ARGUMENTS[Phi]))
    return RV(_simp(mean), _simp(var), True, u.sources, frozenset(), odd, False,
              (sp.S.Zero, sp.S.One), sp.S.One), facts


# function -> (moments of f(u) given the moments of u, the facts used)
MOMENTS = {
    # ---- activations
    relu: relu_moments,
    sigma: sigma_moments,
    sp.tanh: tanh_moments,
    # ---- the Gaussian
    Phi: phi_moments,
}

# (lowest, highest) argument at which a bounded function reaches its extremes
EXTREME_ARGUMENTS = {
    sigma: (-sp.oo, sp.oo),
    sp.tanh: (-sp.oo, sp.oo),
    Phi: (-sp.oo, sp.oo),
}
