"""Local derivatives: one table line per function of the notation.

`derivative(expr, x)` applies the sum, product and chain rules, looking up
each function's derivative here; a missing rule names the function.  The
results stay inside the notation's vocabulary: no Heaviside, Piecewise,
KroneckerDelta-of-a-derivative or Subs.
"""
from __future__ import annotations

import sympy as sp

from derive.core.errors import DerivationError
from derive.core.functions import ind, maxf, minf, relu, sigma, step


def _prime(f):
    """The derivative of an undefined function `L` is the undefined `L'`."""
    return sp.Function(f.func.__name__ + "'")


# function -> (derivative of f at u, given u), in the course's own shapes
DERIVATIVES = {
    # ---- exponentials and logarithms
    sp.exp: lambda u: sp.exp(u),
    sp.log: lambda u: 1 / u,
    # ---- activations
    sp.tanh: lambda u: 1 - sp.tanh(u) ** 2,
    sigma: lambda u: sigma(u) * (1 - sigma(u)),
    relu: lambda u: step(u),
    # ---- piecewise constant (derivative zero almost everywhere)
    step: lambda u: sp.S.Zero,
    sp.sign: lambda u: sp.S.Zero,
    # ---- absolute value
    sp.Abs: lambda u: sp.sign(u),
}

# two-argument functions: (d/da, d/db)
PARTIALS = {
    maxf: (lambda a, b: step(a - b), lambda a, b: 1 - step(a - b)),
    minf: (lambda a, b: step(b - a), lambda a, b: 1 - step(b - a)),
}

RULE_TEXT = {
    sp.exp: "d exp(u) = exp(u) du",
    sp.log: "d log(u) = du / u",
    sp.tanh: "d tanh(u) = (1 - tanh(u)^2) du",
    sigma: "d sigma(u) = sigma(u) (1 - sigma(u)) du",
    relu: "d relu(u) = step(u) du",
    step: "d step(u) = 0 (almost everywhere)",
    sp.sign: "d sign(u) = 0 (almost everywhere)",
    sp.Abs: "d abs(u) = sign(u) du",
    maxf: "d max(a, b) = step(a - b) da + (1 - step(a - b)) db",
    minf: "d min(a, b) = step(b - a) da + (1 - step(b - a)) db",
}


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
