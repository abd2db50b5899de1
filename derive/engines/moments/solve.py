"""Solving for a parameter, exactly or through a named approximation."""
from __future__ import annotations

from dataclasses import dataclass
import sympy as sp
from derive.core.errors import DerivationError
from derive.engines.moments.algebra import _simp, fx

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


EPS, N = sp.Symbol("epsilon"), sp.Symbol("N")     # the rules' own symbols
PART_SYMBOLS = {"eps": EPS, "N": N}


@dataclass(frozen=True)
class Approximation:
    rule: str           # the rule in the course notation (as the spec's docs name it)
    valid: str          # when it is accurate
    apply: object       # expr -> ([(instance, replacement, parts)], new expr)
    why: str = ""       # its sentence (derive.core.sentences_moments)
    pattern: sp.Expr = sp.S.Zero         # the rule as SymPy: pattern ≈ approximation,
    approximation: sp.Expr = sp.S.Zero   # in EPS and N
    error: sp.Expr = sp.S.Zero           # about how far off it is, for small EPS
    words: str = ""     # the rule in words (a result's note)


# name (a solve part's `approximate:`) -> the approximation
APPROXIMATIONS = {
    "power_to_exp": Approximation("(1 + eps)^N ≈ exp(eps*N)",
                                  "accurate when eps is small: log(1 + eps) = eps - eps^2/2 + "
                                  "..., so the exponent is off by about N eps^2/2",
                                  power_to_exp, "approximate a power by an exponential",
                                  (1 + EPS) ** N, sp.exp(EPS * N), N * EPS ** 2 / 2,
                                  "approximating a power of one plus a small number by an "
                                  "exponential"),
    "log1p": Approximation("log(1 + eps) ≈ eps", "accurate when eps is small (error about "
                           "eps^2/2)", log1p_to_eps, "approximate a logarithm by its argument",
                           sp.log(1 + EPS), EPS, EPS ** 2 / 2,
                           "approximating the logarithm of one plus a small number by "
                           "the small number"),
}


def _sample_point(expr, positive_only=True) -> dict:
    """Values for the free symbols of expr, for numeric tie-breaking (all positive)."""
    vals = [sp.Rational(7, 10), sp.Integer(3), sp.Rational(13, 10), sp.Integer(5),
            sp.Rational(17, 10), sp.Integer(7)]
    out = {}
    for k, x in enumerate(sorted(expr.free_symbols, key=lambda x: x.name)):
        out[x] = sp.Integer(int(vals[k % len(vals)]) + 2) if x.is_integer else vals[k % len(vals)]
    return out


def _tidy_root(r):
    """(2**(L/2)/n**(L/2))**(1/L) as sqrt(2)/sqrt(n): powers denested, kept only where
    the two forms agree at sample points of the symbols (denesting is exact for the
    positive bases of sizes and variances, not for every base)."""
    alt = _simp(sp.powdenest(sp.powsimp(r, force=True), force=True))
    if alt == r or sp.count_ops(alt) >= sp.count_ops(r):
        return r
    for shift in (0, 1):
        point = {x: v + shift for x, v in _sample_point(sp.Tuple(r, alt)).items()}
        a, b = complex(sp.N(r.xreplace(point), 30)), complex(sp.N(alt.xreplace(point), 30))
        if abs(a - b) > 1e-12 * max(1.0, abs(a)):
            return r
    return alt


def solve_for(lhs, rhs, symbol) -> list:
    """The roots of lhs = rhs in `symbol` that are consistent with its assumptions.

    SymPy's own check of the roots (checksol) is replaced by the two tests below, a
    root must satisfy the equation at a sample point and fit the symbol's assumptions:
    checksol imports sympy.physics.units, a tenth of a second on every `derive check`
    of a solve part."""
    roots = sp.solve(sp.Eq(lhs, rhs), symbol, simplify=False, check=False)
    out = []
    for r in roots:
        r = _tidy_root(_simp(r))
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
