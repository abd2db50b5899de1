"""Local derivatives by the sum, product and chain rules.

`derivative(expr, x)` applies the rules, looking up each function's derivative in the
table of derive.core.functions; a missing rule names the function.  The
results stay inside the notation's vocabulary: no Heaviside, Piecewise,
KroneckerDelta-of-a-derivative or Subs.
"""
from __future__ import annotations

import sympy as sp

from derive.core.errors import DerivationError
from derive.core.functions import DERIVATIVES, PARTIALS, RULE_TEXT, ind


def _prime(f):
    """The derivative of an undefined function `L` is the undefined `L'`."""
    return sp.Function(f.func.__name__ + "'")


def derivative(expr, x) -> sp.Expr:
    """d expr / d x, for a symbol x, by the sum, product and chain rules."""
    if not expr.has(x):
        return sp.S.Zero
    if expr == x:
        return sp.S.One
    if expr.is_Add:
        return sp.Add(*[derivative(a, x) for a in expr.args])
    if expr.is_Mul:
        terms = []
        args = expr.args
        for k, a in enumerate(args):
            da = derivative(a, x)
            if da != 0:
                terms.append(sp.Mul(*(args[:k] + (da,) + args[k + 1:])))
        return sp.Add(*terms)
    if expr.is_Pow:
        base, ex = expr.args
        if ex.has(x):
            return expr * (derivative(ex, x) * sp.log(base) + ex * derivative(base, x) / base)
        return ex * base ** (ex - 1) * derivative(base, x)
    if isinstance(expr, ind) or isinstance(expr, sp.KroneckerDelta):
        return sp.S.Zero
    f = type(expr)
    if f in DERIVATIVES:
        (u,) = expr.args
        return DERIVATIVES[f](u) * derivative(u, x)
    if f in PARTIALS:
        a, b = expr.args
        da, db = PARTIALS[f]
        return da(a, b) * derivative(a, x) + db(a, b) * derivative(b, x)
    if isinstance(expr, sp.core.function.AppliedUndef):
        if len(expr.args) != 1:
            raise DerivationError(f"no rule for the derivative of {f.__name__} "
                                  f"with {len(expr.args)} arguments")
        (u,) = expr.args
        return _prime(expr)(u) * derivative(u, x)
    raise DerivationError(f"no derivative rule for the function {f.__name__!r}")


def rule_for(expr) -> str | None:
    """The rule text of an expression's outermost function, if it has one."""
    return RULE_TEXT.get(type(expr))
