"""The function vocabulary of the notation, as SymPy functions.

SymPy's own `exp`, `log`, `sqrt`, `tanh`, `Abs` and `KroneckerDelta` are used
as they are; the course's `sigma`, `relu`, `step`, `max`, `min` and comparison
indicators are small `Function` subclasses whose derivatives stay inside the
vocabulary (no Heaviside, Piecewise or Subs).
"""
from __future__ import annotations

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
    "abs": (1, sp.Abs),
    "max": (2, maxf),
    "min": (2, minf),
    "delta": (2, sp.KroneckerDelta),
}

# SymPy function class -> the name the notation writes
NOTATION_NAME = {
    sp.exp: "exp", sp.log: "log", sp.tanh: "tanh", sigma: "sigma", relu: "relu",
    step: "step", sp.Abs: "abs", maxf: "max", minf: "min",
    sp.KroneckerDelta: "delta", sp.sign: "sign",
}
