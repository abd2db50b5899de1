"""Answers in the forms a reader knows: a small rewriting step, the same value.

Applied to derived answers (backward statements, moments results), never to
intermediate algebra:

- `logistic`: exp(u)/(1 + exp(u)) -> sigma(u), 1/(1 + exp(-u)) -> sigma(u),
  1/(1 + exp(u)) -> sigma(-u), exp(u)/(1 + exp(u))**2 -> sigma(u)*sigma(-u);
- `merged_roots`: a product of square roots of positive quantities under one
  root, sqrt(2)*sqrt(v)/(2*sqrt(pi)) -> sqrt(v/(2*pi)), sqrt(2)/sqrt(n) -> sqrt(2/n);
- `spread_decimals`: a spec's decimals stay decimals, 0.7978845608*z +
  0.035677408136172*z**3, not a cleared denominator 0.000003989422804*z*(8943*z**2 +
  200000);
- `factored_affine`: an affine expression in one quantity collected by it, each
  coefficient factored, (1 - beta)**2*s**2 + beta**2*sigma2(l).

Every rewrite is an identity; `reader_form` also compares the two forms at
sample points and keeps the old one if they differ (a guard, not the proof).
"""
from __future__ import annotations

import math
import random

import sympy as sp

from derive.core.functions import sigma
from derive.core.numbers import DECIMAL_DENOMINATOR
from derive.core.program import as_expr


# --------------------------------------------------------------------------
# the logistic sigmoid
# --------------------------------------------------------------------------


def _one_plus_exp(base):
    """u when base is 1 + exp(u), else None."""
    if not base.is_Add or len(base.args) != 2 or sp.S.One not in base.args:
        return None
    other = base - 1
    return other.args[0] if isinstance(other, sp.exp) else None


def _logistic_mul(expr):
    factors = list(sp.Mul.make_args(expr))
    for k, f in enumerate(factors):
        if not (f.is_Pow and f.exp.is_Integer and f.exp < 0):
            continue
        u = _one_plus_exp(f.base)
        if u is None:
            continue
        n = int(-f.exp)
        rest = factors[:k] + factors[k + 1:]
        if sp.exp(u) in rest:               # exp(u)/(1 + exp(u))**n
            rest.remove(sp.exp(u))
            new = sigma(u) * sigma(-u) ** (n - 1)
        else:                               # 1/(1 + exp(u))**n
            new = sigma(-u) ** n
        return _logistic_mul(sp.Mul(*rest)) * new
    return expr


def logistic(expr):
    """exp(u)/(1 + exp(u)) and 1/(1 + exp(-u)) written sigma(u), in every product."""
    if not isinstance(expr, sp.Basic) or expr.is_Atom or not expr.has(sp.exp):
        return expr
    if expr.is_Mul or _logistic_factor(expr):
        # a factor 1/(1 + exp(u)) is matched with the exp(u) beside it, so it is not
        # rewritten on its own first
        factors = [f if _logistic_factor(f) else logistic(f) for f in sp.Mul.make_args(expr)]
        return _logistic_mul(sp.Mul(*factors))
    args = [logistic(a) for a in expr.args]
    return expr.func(*args) if args != list(expr.args) else expr


def _logistic_factor(f) -> bool:
    return bool(f.is_Pow and f.exp.is_Integer and f.exp < 0
                and _one_plus_exp(f.base) is not None)


# --------------------------------------------------------------------------
# decimals kept as decimals
# --------------------------------------------------------------------------


def spread_decimals(expr):
    """A coefficient with a large denominator (8943/200000, from a spec's decimal
    0.044715, or 1/500000000000000 pulled out of a sum of them) multiplied back into
    the sum beside it: 0.035677408136172*z**3 + 0.7978845608*z, not
    0.000003989422804*z*(8943*z**2 + 200000)."""
    if not isinstance(expr, sp.Basic) or expr.is_Atom:
        return expr
    args = [spread_decimals(a) for a in expr.args]
    if args != list(expr.args):
        expr = expr.func(*args)     # a number times a sum may come back distributed
    if expr.is_Add:
        terms = [_spread_mul(t) for t in expr.args]
        return sp.Add(*terms) if terms != list(expr.args) else expr
    return _spread_mul(expr)


def _spread_mul(expr):
    if not expr.is_Mul:
        return expr
    c, rest = expr.as_coeff_Mul()
    if not (c.is_Rational and c.q >= DECIMAL_DENOMINATOR):
        return expr
    factors = list(sp.Mul.make_args(rest))
    adds = [f for f in factors if f.is_Add]
    if not adds:
        return expr
    # the sum whose integer coefficients were cleared: the largest of them
    cleared = max(adds, key=lambda a: max(abs(t.as_coeff_Mul()[0]) for t in a.args))
    factors.remove(cleared)
    spread = sp.Add(*[spread_decimals(c * t) for t in cleared.args])
    return sp.Mul(spread, *factors)


# --------------------------------------------------------------------------
# square roots under one root
# --------------------------------------------------------------------------


def _half(f):
    """Is f a power of a positive quantity with a half-integer exponent?"""
    return (f.is_Pow and f.exp.is_Rational and f.exp.q == 2 and f.base.is_positive)


def _merge_mul(term):
    c, rest = term.as_coeff_Mul()
    if not c.is_Rational:
        return term
    factors = list(sp.Mul.make_args(rest))
    roots = [f for f in factors if _half(f)]
    # the root of a rational coefficient counts as a root: sqrt(2)/2
    if len(roots) + (c.q != 1 or c.p not in (1, -1)) < 2 or not roots:
        return term
    inside, outside = [], []
    for f in factors:
        if _half(f):
            inside.append(f.base ** (2 * f.exp))
        elif f.is_positive and (f.is_Symbol or f.is_Pow and f.exp.is_Integer
                                and f.base.is_Symbol):
            inside.append(f ** 2)               # D = sqrt(D**2) for D > 0
        else:
            outside.append(f)
    radicand = sp.Mul(c ** 2, *inside)
    root = sp.Pow(radicand, sp.S.Half, evaluate=False)
    sign = -1 if c < 0 else 1
    return sp.Mul(sign, root, *outside, evaluate=False) if sign < 0 or outside else root


def merged_roots(expr):
    """Square roots of positive factors of each term under one root:
    sqrt(2)*sqrt(v)/(2*sqrt(pi)) -> sqrt(v/(2*pi))."""
    if not isinstance(expr, sp.Basic) or not expr.has(sp.Pow):
        return expr
    if expr.is_Add:
        terms = [merged_roots(t) for t in expr.args]
        return sp.Add(*terms, evaluate=False) if terms != list(expr.args) else expr
    if expr.is_Mul or _half(expr):
        return _merge_mul(expr)
    return expr


# --------------------------------------------------------------------------
# an affine expression, collected and factored
# --------------------------------------------------------------------------


def _positive_lead(e):
    """(b - 1)**2 as (1 - b)**2: an even power of a sum with a negative constant term."""
    if e.is_Pow and e.exp.is_Integer and e.exp % 2 == 0 and e.base.is_Add:
        const = e.base.as_coeff_Add()[0]
        if const.is_negative:
            return sp.Pow(-e.base, e.exp)
    return e


def factored_affine(expr, var):
    """c*var + d with c and d each factored: the one-layer map of a recurrence as the
    course writes it, (1 - beta)**2*s**2 + beta**2*sigma2(l)."""
    expanded = sp.expand(expr)
    c = expanded.coeff(var)
    d = sp.expand(expanded - c * var)
    if c.has(var) or d.has(var):
        return expr

    def tidy(x):
        x = sp.factor(x)
        return x.replace(lambda e: e.is_Pow, _positive_lead)
    c, d = tidy(c), tidy(d)
    return sp.Add(sp.Mul(c, var), d) if d != 0 else sp.Mul(c, var)


# --------------------------------------------------------------------------
# the step applied to answers
# --------------------------------------------------------------------------


def reader_form(expr, roots: bool = True):
    """The answer in the forms above, kept only if equal to `expr` at sample points."""
    if not isinstance(expr, sp.Basic) or expr.is_Atom:
        return expr
    new = spread_decimals(logistic(expr))
    if roots:
        new = merged_roots(new)
    if new == expr or not same_value(expr, new):
        return expr
    return new


def same_value(a, b, points: int = 3) -> bool:
    """Do a and b agree (relative 1e-9) at random points of their free symbols (drawn
    in (0.3, 1.7), positive as sizes and variances are)?  Points where either is not
    finite are skipped; indexed tensors are replaced by symbols first."""
    refs = sorted({x for e in (a, b) for x in e.atoms(sp.Indexed)}, key=str)
    dummies = {r: sp.Dummy("t", positive=True) for r in refs}
    a, b = as_expr(a).xreplace(dummies), as_expr(b).xreplace(dummies)
    syms = sorted(a.free_symbols | b.free_symbols, key=str)
    rng = random.Random(14)
    checked = 0
    for _ in range(points * 3):
        if checked >= points:
            break
        at = {s: sp.Float(rng.uniform(0.3, 1.7)) if not s.is_integer
              else sp.Integer(rng.randint(2, 6)) for s in syms}
        try:
            x, y = complex(a.xreplace(at).evalf(30)), complex(b.xreplace(at).evalf(30))
        except (TypeError, ValueError):
            return False
        if not all(math.isfinite(v) for v in (x.real, x.imag, y.real, y.imag)):
            continue
        if abs(x - y) > 1e-9 * max(1.0, abs(x)):
            return False
        checked += 1
    return checked > 0
