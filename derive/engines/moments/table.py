"""The moments table: one row per function (the `linear` row is `affine`), each a
named function above its row."""
from __future__ import annotations

from dataclasses import dataclass
import sympy as sp
from derive.core.errors import DerivationError
from derive.core.functions import relu, sigma
from derive.engines.moments.algebra import E, RV, _interval_add, _interval_mul, _simp, _sym, constant_rv, fx

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
