"""Answers in the forms a reader knows (issue 14, items 7, 9, 11): each form exactly,
and an independent numeric check that the new form equals the old one."""
import random

import numpy as np
import sympy as sp

from derive.core.functions import sigma
from derive.core.numbers import decimal_text
from derive.core.program import format_expr
from derive.engines.forms import (factored_affine, logistic, merged_roots, reader_form,
                                  spread_decimals)
from derive.engines.moments.algebra import _simp
from derive.front.notation import number
from derive.present.latex import NotationLatexPrinter

z, a, mu, beta, s = sp.symbols("z a mu beta s", real=True)
n, v, m, D, J, L = sp.symbols("n v m D J L", positive=True)


def _values(expr, k):
    """expr at random points, by NumPy (sigma as 1/(1 + exp(-x))), not by SymPy."""
    f = sp.lambdify(sorted(expr.free_symbols, key=str), expr,
                    modules=[{"sigma": lambda x: 1 / (1 + np.exp(-x))}, "numpy"])
    rng = random.Random(k)
    syms = sorted(expr.free_symbols, key=str)
    return [f(*[rng.uniform(0.2, 2.0) for _ in syms]) for _ in range(5)]


def same(old, new):
    for k in range(3):
        assert np.allclose(_values(old, k), _values(new, k), rtol=1e-12, atol=0)


def test_sigmoid_recognised():
    cases = [
        (sp.exp(z) / (1 + sp.exp(z)), sigma(z)),
        (1 / (1 + sp.exp(-z)), sigma(z)),
        (3 / (1 + sp.exp(z)), 3 * sigma(-z)),
        (a * sp.exp(-a * mu) / (1 + sp.exp(-a * mu)), a * sigma(-a * mu)),
        (sp.exp(z) / (1 + sp.exp(z)) ** 2, sigma(z) * sigma(-z)),
    ]
    for old, new in cases:
        assert logistic(old) == new
        assert reader_form(old) == new
        same(old, new)
    assert format_expr(reader_form(sp.exp(z) / (sp.exp(z) + 1))) == "sigma(z)"


def test_roots_under_one_root():
    old = sp.sqrt(2) * sp.sqrt(v) / (2 * sp.sqrt(sp.pi))
    new = merged_roots(old)
    assert format_expr(new) == "sqrt(v/(2*pi))"
    assert new == sp.Pow(v / (2 * sp.pi), sp.S.Half, evaluate=False)
    same(old, new)
    for old, text in [(sp.sqrt(2) / sp.sqrt(n), "sqrt(2/n)"),
                      (sp.sqrt(6) / sp.sqrt(m + n), "sqrt(6/(m + n))"),
                      (sp.sqrt(sp.log(2)) / (D * sp.sqrt(J) * sp.sqrt(L)),
                       "sqrt(log(2)/(D**2*J*L))")]:
        new = reader_form(old)
        assert format_expr(new) == text
        same(old, new)
    # one root alone, and roots of quantities of unknown sign, are left as they are
    assert reader_form(1 / sp.sqrt(n)) == 1 / sp.sqrt(n)
    assert reader_form(sp.sqrt(2) * sp.sqrt(z)) == sp.sqrt(2) * sp.sqrt(z)
    old = sp.sqrt(2) * sp.sqrt(v) / (2 * sp.sqrt(sp.pi))
    tex = NotationLatexPrinter().doprint(merged_roots(old))
    assert tex == r"\sqrt{\frac{v}{2\pi}}"


def test_positive_powers():
    assert format_expr(n ** (-L / 2)) == "1/n**(L/2)"
    assert format_expr(n ** sp.Rational(-3, 2)) == "1/n**(3/2)"
    assert format_expr(sp.Pow(2, -L)) == "1/2**L"
    p = NotationLatexPrinter()
    assert p.doprint(n ** (-L / 2)) == r"\frac{1}{n^{\frac{L}{2}}}"
    assert p.doprint(2 ** (L / 2) * n ** (-L / 2)) == r"\frac{2^{\frac{L}{2}}}{n^{\frac{L}{2}}}"
    assert "-" not in p.doprint(3 * v * n ** (-L) / (v + 1))


def test_decimals_stay_decimals():
    c = number("0.044715")
    assert c == sp.Rational(8943, 200000)            # exact in the engines
    assert decimal_text(c) == "0.044715"
    assert format_expr(c * z ** 3) == "0.044715*z**3"
    assert format_expr(-c * z ** 3 * (z + 1)) == "-0.044715*z**3*(z + 1)"
    assert format_expr(number("0.7978845608")) == "0.7978845608"
    assert format_expr(number("1e-3")) == "0.001"
    assert NotationLatexPrinter().doprint(c * z ** 3) == r"0.044715\, z^{3}"
    # exact inputs keep exact rationals
    for r, text in [(sp.Rational(3, 2), "3/2"), (sp.Rational(1, 2), "1/2"),
                    (sp.Rational(1, 16), "1/16"), (sp.Rational(9, 5), "9/5")]:
        assert decimal_text(r) is None and format_expr(r) == text
    assert format_expr(v / 16) == "v/16"


def test_gelu_tanh_derivative_keeps_decimals():
    u = number("0.7978845608") * (z + number("0.044715") * z ** 3)
    d = sp.diff(number("0.5") * z * (1 + sp.tanh(u)), z)
    cleared = sp.factor_terms(d)           # what the engine's tidying makes of it
    assert "200000" in format_expr(cleared)
    new = spread_decimals(cleared)
    text = format_expr(new)
    assert "200000" not in text and "0.7978845608" in text and "0.035677408136172" in text
    assert sp.expand(new - d) == 0
    same(cleared, new)


def test_recurrence_factored():
    s2 = sp.Function("sigma2")
    l = sp.Symbol("l", integer=True, nonnegative=True)
    term = s2(l)
    old = _simp(sp.expand((1 - beta) ** 2 * s ** 2 + beta ** 2 * term))
    new = factored_affine(old, term)
    assert new == beta ** 2 * term + s ** 2 * (1 - beta) ** 2
    assert format_expr(new) == "beta**2*sigma2(l) + s**2*(1 - beta)**2"
    assert sp.expand(new - old) == 0
    x = sp.Symbol("x")
    same(old.xreplace({term: x}), new.xreplace({term: x}))
    g = factored_affine(sp.expand((D ** 2 * J * v + 1) * term), term)
    assert g == (D ** 2 * J * v + 1) * term


def test_bundled_answers_in_reader_forms():
    from derive.answers import solve_part
    from derive.front.spec import load_spec
    import pathlib
    root = pathlib.Path(__file__).parent.parent / "problems"
    spec = load_spec(root / "he_init.yaml")
    texts = []
    for label in spec.parts:
        ans = solve_part(spec, label, verify=False)
        texts += [format_expr(r.value) for r in ans.results if not isinstance(r.value, str)]
    assert "sqrt(2/n)" in texts and "sqrt(v/(2*pi))" in texts
