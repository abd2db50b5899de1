"""The function vocabulary of the notation, as SymPy functions, with its tables.

SymPy's own `exp`, `log`, `sqrt`, `tanh`, `cosh`, `sinh`, `sech`, `erf`, `sign`,
`Abs` and `KroneckerDelta` are used as they are; the course's `sigma`, `softplus`,
`Phi` (the standard normal CDF), `relu`, `step`, `max`, `min` and comparison
indicators are small `Function` subclasses whose derivatives stay inside the
vocabulary (no Heaviside, Piecewise or Subs).  `max` and `min` of more than two
arguments are nested two-argument ones (`fold`); `pi` and `e` are the constants
of CONSTANTS (a problem's own name `e` or `pi` wins).

Each analysis keeps its own table, keyed by the same functions, side by side here:
the notation's names, the local derivatives, NumPy (the executor and the exported
code) and LaTeX.  The moments table is written in the moments algebra
(derive.engines.moments.table) and keyed the same way; a test keeps every table on
the same keys, so adding a function is one row in each, plus one test row.
"""
from __future__ import annotations

import math

import numpy as np
import sympy as sp
from sympy import Function, S


class sigma(Function):
    """The logistic sigmoid 1/(1 + exp(-x))."""

    def fdiff(self, argindex=1):
        return self * (1 - self)

    @classmethod
    def eval(cls, x):
        if x.is_Number:
            return 1 / (1 + sp.exp(-x))
        return None

    def _eval_rewrite_as_exp(self, x, **kwargs):
        return 1 / (1 + sp.exp(-x))


class softplus(Function):
    """log(1 + exp(x)), a smooth relu; its derivative is sigma(x)."""

    def fdiff(self, argindex=1):
        return sigma(self.args[0])

    @classmethod
    def eval(cls, x):
        if x.is_Number:
            return sp.log(1 + sp.exp(x))
        return None

    def _eval_rewrite_as_exp(self, x, **kwargs):
        return sp.log(1 + sp.exp(x))

    def _eval_rewrite_as_log(self, x, **kwargs):
        return sp.log(1 + sp.exp(x))


class Phi(Function):
    """The standard normal CDF (1 + erf(x / sqrt(2))) / 2; its derivative is the
    normal density exp(-x^2/2) / sqrt(2 pi)."""

    def fdiff(self, argindex=1):
        u = self.args[0]
        return sp.exp(-u ** 2 / 2) / sp.sqrt(2 * sp.pi)

    @classmethod
    def eval(cls, x):
        if x.is_Number:
            return (1 + sp.erf(x / sp.sqrt(2))) / 2
        return None

    def _eval_rewrite_as_erf(self, x, **kwargs):
        return (1 + sp.erf(x / sp.sqrt(2))) / 2

    def _eval_evalf(self, prec):
        if self.args[0].is_number:
            return self.rewrite(sp.erf)._eval_evalf(prec)
        return super()._eval_evalf(prec)

    def _eval_is_real(self):
        return self.args[0].is_real


class step(Function):
    """The unit step: 1 where x > 0, else 0 (the derivative of relu)."""

    def fdiff(self, argindex=1):
        return S.Zero

    @classmethod
    def eval(cls, x):
        if x.is_Number:
            return S.One if x > 0 else S.Zero
        if x.is_positive:
            return S.One
        if x.is_nonpositive:
            return S.Zero
        return None


class relu(Function):
    """max(x, 0)."""

    def fdiff(self, argindex=1):
        return step(self.args[0])

    @classmethod
    def eval(cls, x):
        if x.is_Number:
            return x if x > 0 else S.Zero
        return None


class maxf(Function):
    """max(a, b); the derivative goes to the larger argument."""
    nargs = 2

    def fdiff(self, argindex=1):
        a, b = self.args
        return step(a - b) if argindex == 1 else 1 - step(a - b)

    @classmethod
    def eval(cls, a, b):
        if a.is_Number and b.is_Number:
            return sp.Max(a, b)
        return None


class minf(Function):
    """min(a, b); the derivative goes to the smaller argument."""
    nargs = 2

    def fdiff(self, argindex=1):
        a, b = self.args
        return step(b - a) if argindex == 1 else 1 - step(b - a)

    @classmethod
    def eval(cls, a, b):
        if a.is_Number and b.is_Number:
            return sp.Min(a, b)
        return None


class ind(Function):
    """A comparison used as a 0/1 indicator: `(z > 0)`."""

    @classmethod
    def eval(cls, rel):
        if rel is sp.true:
            return S.One
        if rel is sp.false:
            return S.Zero
        return None

    def _eval_derivative(self, s):
        return S.Zero

    def _eval_is_real(self):
        return True


_COMPARISONS = {
    "<": sp.StrictLessThan, ">": sp.StrictGreaterThan,
    "<=": sp.LessThan, ">=": sp.GreaterThan,
    "==": sp.Eq, "!=": sp.Ne,
}


def comparison(op: str, left, right):
    """The 0/1 indicator of `left op right`."""
    return ind(_COMPARISONS[op](left, right, evaluate=False))


def fold(fn, args, **options):
    """max(a, b, c, ...) as max(max(a, b), c): an n-argument max or min as nested
    two-argument ones (whose derivative rule is the two-argument one)."""
    out = args[0]
    for a in args[1:]:
        out = fn(out, a, **options)
    return out


# constants the notation writes by name (where a problem has no name of its own `pi`, `e`)
CONSTANTS = {"pi": sp.pi, "e": sp.E}


# notation name -> (number of arguments, constructor)
VOCABULARY = {
    "exp": (1, sp.exp),
    "log": (1, sp.log),
    "ln": (1, sp.log),
    "sqrt": (1, sp.sqrt),
    "tanh": (1, sp.tanh),
    "sigma": (1, sigma),
    "relu": (1, relu),
    "step": (1, step),
    "cosh": (1, sp.cosh),
    "sinh": (1, sp.sinh),
    "sech": (1, sp.sech),
    "sigma": (1, sigma),
    "softplus": (1, softplus),
    "erf": (1, sp.erf),
    "Phi": (1, Phi),
    "relu": (1, relu),
    "step": (1, step),
    "sign": (1, sp.sign),
    "abs": (1, sp.Abs),
    "max": (2, maxf),
    "min": (2, minf),
    "delta": (2, sp.KroneckerDelta),
}
# the names above that take 2 or more arguments, folded (`fold`) into 2-argument calls
VARIADIC = {"max", "min"}

# SymPy function class -> the name the notation writes
NOTATION_NAME = {
    sp.exp: "exp", sp.log: "log", sp.tanh: "tanh", sigma: "sigma", relu: "relu",
    step: "step", sp.Abs: "abs", maxf: "max", minf: "min",
    sp.KroneckerDelta: "delta", sp.sign: "sign", sp.cosh: "cosh", sp.sinh: "sinh",
    sp.sech: "sech", softplus: "softplus", sp.erf: "erf", Phi: "Phi",
}


# function -> (derivative of f at u, given u), in the course's own shapes
DERIVATIVES = {
    # ---- exponentials and logarithms
    sp.exp: lambda u: sp.exp(u),
    sp.log: lambda u: 1 / u,
    # ---- activations
    sp.tanh: lambda u: 1 - sp.tanh(u) ** 2,
    sigma: lambda u: sigma(u) * (1 - sigma(u)),
    relu: lambda u: step(u),
    softplus: lambda u: sigma(u),
    # ---- hyperbolic
    sp.cosh: lambda u: sp.sinh(u),
    sp.sinh: lambda u: sp.cosh(u),
    sp.sech: lambda u: -sp.sech(u) * sp.tanh(u),
    # ---- the Gaussian
    sp.erf: lambda u: 2 * sp.exp(-u ** 2) / sp.sqrt(sp.pi),
    Phi: lambda u: sp.exp(-u ** 2 / 2) / sp.sqrt(2 * sp.pi),
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
    softplus: "d softplus(u) = sigma(u) du",
    sp.cosh: "d cosh(u) = sinh(u) du",
    sp.sinh: "d sinh(u) = cosh(u) du",
    sp.sech: "d sech(u) = -sech(u) tanh(u) du",
    sp.erf: "d erf(u) = 2 exp(-u^2) / sqrt(pi) du",
    Phi: "d Phi(u) = exp(-u^2/2) / sqrt(2 pi) du",
    step: "d step(u) = 0 (almost everywhere)",
    sp.sign: "d sign(u) = 0 (almost everywhere)",
    sp.Abs: "d abs(u) = sign(u) du",
    maxf: "d max(a, b) = step(a - b) da + (1 - step(a - b)) db",
    minf: "d min(a, b) = step(b - a) da + (1 - step(b - a)) db",
}


def _sigmoid(x):
    x = np.asarray(x)
    return 0.5 * (1.0 + np.tanh(0.5 * (x if np.iscomplexobj(x) else x.astype(float))))


def _softplus(x):
    """log(1 + exp(x)) without overflow; complex input (the complex step) too."""
    x = np.asarray(x)
    if not np.iscomplexobj(x):
        return np.logaddexp(0.0, x.astype(float))
    pos = x.real > 0
    return np.where(pos, x, 0) + np.log1p(np.exp(np.where(pos, -x, x)))


_ERF = np.vectorize(math.erf, otypes=[float])


def _erf(x):
    """erf entry by entry (NumPy has none).  For complex input x + iy, as the complex
    step makes (y tiny), the Taylor series in iy to third order."""
    x = np.asarray(x)
    if not np.iscomplexobj(x):
        return _ERF(x.astype(float))
    a, y = x.real, x.imag
    slope = 2.0 / math.sqrt(math.pi) * np.exp(-a * a)
    return (_ERF(a) + a * y * y * slope) + 1j * (y * slope * (1.0 - y * y * (2 * a * a - 1) / 3))


def _normal_cdf(x):
    return 0.5 * (1.0 + _erf(np.asarray(x) / math.sqrt(2.0)))


def _sech(x):
    return 1.0 / np.cosh(x)


# function -> (NumPy callable for the executor, the same as code for exported modules;
# `sigma`, `softplus`, `erf`, `Phi`, `sech`, `relu` and `step` are helpers the exported
# module defines)
NUMPY = {
    # ---- exponentials and logarithms
    sp.exp: (np.exp, "np.exp"),
    sp.log: (np.log, "np.log"),
    # ---- activations
    sp.tanh: (np.tanh, "np.tanh"),
    sigma: (_sigmoid, "sigma"),
    relu: (lambda x: np.maximum(x, 0.0), "relu"),
    softplus: (_softplus, "softplus"),
    # ---- hyperbolic
    sp.cosh: (np.cosh, "np.cosh"),
    sp.sinh: (np.sinh, "np.sinh"),
    sp.sech: (_sech, "sech"),
    # ---- the Gaussian
    sp.erf: (_erf, "erf"),
    Phi: (_normal_cdf, "Phi"),
    # ---- piecewise
    step: (lambda x: (np.asarray(x) > 0).astype(float), "step"),
    sp.sign: (np.sign, "np.sign"),
    sp.Abs: (np.abs, "np.abs"),
    maxf: (np.maximum, "np.maximum"),
    minf: (np.minimum, "np.minimum"),
}

# function -> its LaTeX name (None: SymPy's own form)
LATEX = {
    # ---- exponentials and logarithms
    sp.exp: r"\exp",
    sp.log: r"\log",
    # ---- activations
    sp.tanh: r"\tanh",
    sigma: r"\sigma",
    relu: r"\operatorname{relu}",
    softplus: r"\operatorname{softplus}",
    # ---- hyperbolic
    sp.cosh: r"\cosh",
    sp.sinh: r"\sinh",
    sp.sech: r"\operatorname{sech}",
    # ---- the Gaussian
    sp.erf: r"\operatorname{erf}",
    Phi: r"\Phi",
    # ---- piecewise
    step: r"\operatorname{step}",
    sp.sign: r"\operatorname{sign}",
    sp.Abs: None,                   # SymPy's own |u|
    maxf: r"\max",
    minf: r"\min",
}
