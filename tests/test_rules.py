"""The local-derivative table (derive/core/rules.py), one test row per rule.

Every row is checked three ways (STYLE.md sections 6 and 7):

* symbolically against plain `sympy.diff` of the same function, written in
  SymPy's own vocabulary where derive has its own (sigma as 1/(1+exp(-u)),
  relu as Max(u, 0), step as Heaviside, max/min as Max/Min).  Where SymPy
  answers with Heaviside/DiracDelta (kinks), the comparison is numeric at
  points away from the kink;
* numerically, by central differences at a few random points;
* for vocabulary: no Heaviside, DiracDelta, Piecewise, Subs, Derivative or
  KroneckerDelta ever appears in a result.

A function without a rule raises DerivationError naming the function.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pytest
import sympy as sp
from sympy.core.function import AppliedUndef

from derive.core.errors import DerivationError
from derive.core.functions import Phi, comparison, ind, maxf, minf, relu, sigma, softplus, step
from derive.core.rules import DERIVATIVES, PARTIALS, RULE_TEXT, derivative

u, v = sp.symbols("u v", real=True)
L = sp.Function("L")
H = 1e-6                      # central-difference step
N_POINTS = 5

FORBIDDEN = (sp.Heaviside, sp.DiracDelta, sp.Piecewise, sp.Subs, sp.Derivative,
             sp.KroneckerDelta)


# --------------------------------------------------------------------------
# the rows
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    id: str
    expr: sp.Expr                       # the function, in derive's vocabulary
    wrt: sp.Symbol
    reference: sp.Expr                  # the same function in SymPy's vocabulary
    func: object = None                 # the table entry this row covers
    domain: str = "any"                 # any | pos | apart (|u - v| bounded away from 0)
    exact: bool = True                  # symbolic comparison (else numeric, off the kinks)
    rtol: float = 1e-6                  # central differences vs the rule

    def __repr__(self):
        return self.id


def _sig(x):
    return 1 / (1 + sp.exp(-x))


ROWS = [
    # ---- DERIVATIVES: one-argument functions
    Row("exp", sp.exp(u), u, sp.exp(u), sp.exp),
    Row("exp-chain", sp.exp(u ** 2 - 3 * u), u, sp.exp(u ** 2 - 3 * u), sp.exp),
    Row("log", sp.log(u), u, sp.log(u), sp.log, domain="pos"),
    Row("log-chain", sp.log(1 + u ** 2), u, sp.log(1 + u ** 2), sp.log),
    Row("tanh", sp.tanh(u), u, sp.tanh(u), sp.tanh),
    Row("tanh-chain", sp.tanh(2 * u + 1), u, sp.tanh(2 * u + 1), sp.tanh),
    Row("sigma", sigma(u), u, _sig(u), sigma),
    Row("sigma-chain", sigma(u * v), v, _sig(u * v), sigma),
    Row("relu", relu(u), u, sp.Max(u, 0), relu, exact=False),
    Row("relu-chain", relu(u ** 3 - u), u, sp.Max(u ** 3 - u, 0), relu, exact=False),
    Row("step", step(u), u, sp.Heaviside(u), step, exact=False),
    Row("sign", sp.sign(u), u, sp.sign(u), sp.sign, exact=False),
    Row("softplus", softplus(u), u, sp.log(1 + sp.exp(u)), softplus),
    Row("softplus-chain", softplus(u * v), u, sp.log(1 + sp.exp(u * v)), softplus),
    Row("cosh", sp.cosh(u), u, sp.cosh(u), sp.cosh),
    Row("sinh", sp.sinh(2 * u), u, sp.sinh(2 * u), sp.sinh),
    Row("sech", sp.sech(u), u, 1 / sp.cosh(u), sp.sech),
    Row("erf", sp.erf(u), u, sp.erf(u), sp.erf),
    Row("erf-chain", sp.erf(u * v), v, sp.erf(u * v), sp.erf),
    Row("Phi", Phi(u), u, (1 + sp.erf(u / sp.sqrt(2))) / 2, Phi),
    Row("Phi-chain", Phi(u ** 2 - v), u, (1 + sp.erf((u ** 2 - v) / sp.sqrt(2))) / 2, Phi),
    Row("abs", sp.Abs(u), u, sp.Abs(u), sp.Abs),
    Row("abs-chain", sp.Abs(u - 2 * v), v, sp.Abs(u - 2 * v), sp.Abs, domain="apart2"),
    # ---- PARTIALS: two-argument functions, both arguments
    Row("max-a", maxf(u, v), u, sp.Max(u, v), maxf, domain="apart", exact=False),
    Row("max-b", maxf(u, v), v, sp.Max(u, v), maxf, domain="apart", exact=False),
    Row("max-chain", maxf(u ** 2, v), u, sp.Max(u ** 2, v), maxf, domain="apartsq",
        exact=False),
    Row("min-a", minf(u, v), u, sp.Min(u, v), minf, domain="apart", exact=False),
    Row("min-b", minf(u, v), v, sp.Min(u, v), minf, domain="apart", exact=False),
    Row("min-both", minf(u, 2 * u), u, sp.Min(u, 2 * u), minf, exact=False),
    # ---- powers
    Row("pow-cube", u ** 3, u, u ** 3),
    Row("pow-sqrt", sp.sqrt(u), u, sp.sqrt(u), domain="pos"),
    Row("pow-inverse-square", u ** -2, u, u ** -2),
    Row("pow-three-halves", u ** sp.Rational(3, 2), u, u ** sp.Rational(3, 2), domain="pos"),
    Row("pow-exponent", 2 ** u, u, 2 ** u),
    Row("pow-both", u ** u, u, u ** u, domain="pos"),
    Row("pow-symbolic-exponent", u ** v, v, u ** v, domain="pos"),
    # ---- quotients
    Row("quotient", 1 / (1 + u ** 2), u, 1 / (1 + u ** 2)),
    Row("quotient-exp", sp.exp(u) / (u ** 2 + 1), u, sp.exp(u) / (u ** 2 + 1)),
    Row("quotient-sqrt", (u - v) / sp.sqrt(v), v, (u - v) / sp.sqrt(v), domain="pos"),
    Row("softmax-entry", sp.exp(u) / (sp.exp(u) + sp.exp(v)), u,
        sp.exp(u) / (sp.exp(u) + sp.exp(v))),
    # ---- products
    Row("product", u * sp.exp(u) * sp.tanh(u), u, u * sp.exp(u) * sp.tanh(u)),
    Row("product-two-symbols", u * v * sp.log(u), u, u * v * sp.log(u), domain="pos"),
    Row("product-gate", sigma(u) * v + (1 - sigma(u)) * sp.tanh(u), u,
        _sig(u) * v + (1 - _sig(u)) * sp.tanh(u)),
    Row("constant", v ** 2 + 3, u, v ** 2 + 3),
    # ---- indicators (a comparison used as 0/1): derivative zero almost everywhere
    Row("indicator", comparison(">", u, 0) * u, u, sp.Heaviside(u) * u, exact=False),
    # ---- an undefined function L(u): its derivative is the undefined L'(u)
    Row("undefined", L(u), u, L(u)),
    Row("undefined-chain", L(u ** 2 + v), u, L(u ** 2 + v)),
]

ROW_IDS = [r.id for r in ROWS]


# --------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------


def _is_prime(e) -> bool:
    return isinstance(e, AppliedUndef) and e.func.__name__ == "L'"


def concrete(expr):
    """L -> sin and L' -> cos, so that undefined functions can be evaluated."""
    expr = expr.replace(_is_prime, lambda e: sp.cos(*e.args))
    expr = expr.replace(lambda e: isinstance(e, AppliedUndef) and e.func.__name__ == "L",
                        lambda e: sp.sin(*e.args))
    return expr.doit()


NUMPY_NAMES = {
    "sigma": lambda x: 1.0 / (1.0 + np.exp(-x)),
    "relu": lambda x: np.maximum(x, 0.0),
    "step": lambda x: (np.asarray(x) > 0).astype(float),
    "maxf": np.maximum,
    "minf": np.minimum,
    "ind": lambda b: np.asarray(b, dtype=float),
    "softplus": lambda x: np.logaddexp(0.0, x),
    "erf": np.vectorize(math.erf, otypes=[float]),
    "Phi": np.vectorize(lambda x: 0.5 * (1.0 + math.erf(x / math.sqrt(2.0))), otypes=[float]),
}


def as_function(expr):
    return sp.lambdify((u, v), concrete(expr), modules=[NUMPY_NAMES, "numpy"])


def sample(domain: str, rng) -> list:
    out = []
    while len(out) < N_POINTS:
        a, b = rng.uniform(0.3, 2.0, size=2) * rng.choice([-1.0, 1.0], size=2)
        if domain == "pos":
            a, b = abs(a) + 0.2, abs(b) + 0.2
        if domain == "apart" and abs(a - b) < 0.3:
            continue
        if domain == "apartsq" and abs(a * a - b) < 0.3:
            continue
        if domain == "apart2" and abs(a - 2 * b) < 0.3:
            continue
        if abs(a ** 3 - a) < 0.05:        # keep relu(u^3 - u) off its kinks
            continue
        out.append((a, b))
    return out


# --------------------------------------------------------------------------
# the table is covered
# --------------------------------------------------------------------------


def test_every_table_entry_has_a_row():
    covered = {r.func for r in ROWS}
    missing = [f.__name__ for f in list(DERIVATIVES) + list(PARTIALS) if f not in covered]
    assert not missing, f"rule-table entries without a test row: {missing}"


def test_every_table_entry_has_its_rule_text():
    missing = [f.__name__ for f in list(DERIVATIVES) + list(PARTIALS) if f not in RULE_TEXT]
    assert not missing


# --------------------------------------------------------------------------
# one row at a time
# --------------------------------------------------------------------------


@pytest.mark.parametrize("row", ROWS, ids=ROW_IDS)
def test_rule_matches_sympy_diff(row):
    ours = derivative(row.expr, row.wrt)
    ref = sp.diff(row.reference, row.wrt)
    if row.exact:
        diff = concrete(ours.replace(sigma, _sig)) - concrete(ref)
        assert sp.expand(diff) == 0 or sp.simplify(diff) == 0, (ours, ref)
        return
    # SymPy answers with Heaviside/DiracDelta: compare off the kinks
    ref = ref.replace(sp.DiracDelta, lambda *a: sp.S.Zero)
    rng = np.random.default_rng(sum(map(ord, row.id)))
    f_ours, f_ref = as_function(ours), as_function(ref)
    for a, b in sample(row.domain, rng):
        np.testing.assert_allclose(f_ours(a, b), f_ref(a, b), rtol=1e-12, atol=1e-12,
                                   err_msg=f"{row.id} at u={a}, v={b}: {ours} vs {ref}")


@pytest.mark.parametrize("row", ROWS, ids=ROW_IDS)
def test_rule_matches_central_differences(row):
    ours = derivative(row.expr, row.wrt)
    f, df = as_function(row.expr), as_function(ours)
    rng = np.random.default_rng(1 + sum(map(ord, row.id)))
    for a, b in sample(row.domain, rng):
        if row.wrt == u:
            numeric = (f(a + H, b) - f(a - H, b)) / (2 * H)
        else:
            numeric = (f(a, b + H) - f(a, b - H)) / (2 * H)
        analytic = df(a, b)
        np.testing.assert_allclose(analytic, numeric, rtol=row.rtol, atol=1e-7,
                                   err_msg=f"{row.id} at u={a}, v={b}: d/d{row.wrt} = {ours}")


@pytest.mark.parametrize("row", ROWS, ids=ROW_IDS)
def test_rule_stays_in_the_notation(row):
    ours = derivative(row.expr, row.wrt)
    assert not ours.has(*FORBIDDEN), ours
    # and so does the derivative of the derivative (rules compose)
    second = derivative(ours, row.wrt)
    assert not second.has(*FORBIDDEN), second


# --------------------------------------------------------------------------
# specific shapes of the course's answers
# --------------------------------------------------------------------------


@pytest.mark.parametrize("expr, expected", [
    (sp.exp(u), sp.exp(u)),
    (sp.log(u), 1 / u),
    (sp.tanh(u), 1 - sp.tanh(u) ** 2),
    (sigma(u), sigma(u) * (1 - sigma(u))),
    (relu(u), step(u)),
    (step(u), 0),
    (sp.sign(u), 0),
    (sp.Abs(u), sp.sign(u)),
    (L(u), sp.Function("L'")(u)),
], ids=["exp", "log", "tanh", "sigma", "relu", "step", "sign", "abs", "undefined"])
def test_rule_shape_in_the_course_vocabulary(expr, expected):
    """d f(u)/du is the table's own expression (not a rewritten equivalent)."""
    assert derivative(expr, u) == expected


def test_max_and_min_send_the_gradient_to_the_chosen_argument():
    assert derivative(maxf(u, v), u) == step(u - v)
    assert sp.simplify(derivative(maxf(u, v), v) - (1 - step(u - v))) == 0
    assert derivative(minf(u, v), u) == step(v - u)
    assert sp.simplify(derivative(minf(u, v), v) - (1 - step(v - u))) == 0


def test_undefined_function_chain_rule():
    """d L(g(u))/du = L'(g(u)) g'(u), with L' an undefined function named L'."""
    d = derivative(L(u ** 2), u)
    assert d == 2 * u * sp.Function("L'")(u ** 2)
    primes = [a for a in sp.preorder_traversal(d) if _is_prime(a)]
    assert primes and all(p.args == (u ** 2,) for p in primes)


def test_indicator_and_delta_have_zero_derivative():
    assert derivative(comparison(">", u, 0), u) == 0
    assert derivative(ind(sp.StrictGreaterThan(u, v, evaluate=False)), v) == 0
    assert derivative(sp.KroneckerDelta(u, v), u) == 0


def test_derivative_of_a_constant_and_of_the_variable():
    assert derivative(v * 3, u) == 0
    assert derivative(u, u) == 1


# --------------------------------------------------------------------------
# missing rules are reported, naming the function
# --------------------------------------------------------------------------


class softsign(sp.Function):
    """A function the notation does not know: no rule."""


@pytest.mark.parametrize("expr, name", [
    (sp.sin(u), "sin"),
    (sp.exp(sp.sin(u)), "sin"),                    # found inside a chain
    (sp.cos(u) * u, "cos"),                        # found inside a product
    (softsign(u), "softsign"),
    (sp.Max(u, v), "Max"),                         # SymPy's Max, not the notation's max
], ids=["sin", "sin-in-chain", "cos-in-product", "custom-function", "sympy-Max"])
def test_missing_rule_names_the_function(expr, name):
    with pytest.raises(DerivationError, match=name):
        derivative(expr, u)


def test_undefined_function_of_two_arguments_is_reported():
    L2 = sp.Function("L")
    with pytest.raises(DerivationError, match="L"):
        derivative(L2(u, v), u)
