"""The bundled problem fixup_scaling (issue 14): residual branches of m = 2 linear
layers, and the depth scaling of their weights, against our own derivation and a NumPy
Monte Carlo of the statement.

By hand: the branch r2 = W2 W1 x has zero-mean weights independent of x, so it is
uncorrelated with x, and each layer multiplies the variance by n * s^2/n = s^2:
Var(x_{l+1}) = (1 + s^4) Var(x_l), Var(x_l) = (1 + s^4)^l.  Var(x_L) = 2 gives
s = (2^(1/L) - 1)^(1/4) exactly, and (log 2 / L)^(1/4) with (1 + e)^N ~ exp(e N): the
branch weights shrink as L^(-1/(2m)) with m = 2.
"""
from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
import pytest
import sympy as sp

from derive.answers import solve_part
from derive.check.answer import check_answer
from derive.front.spec import load_spec

SPEC = Path(__file__).resolve().parent.parent / "problems" / "fixup_scaling.yaml"
s, l, L = sp.symbols("s l L", positive=True)


@functools.lru_cache(maxsize=None)
def spec():
    return load_spec(SPEC)


def plain(e):
    return e.xreplace({x: sp.Symbol(x.name, positive=True) for x in e.free_symbols})


def test_recurrence_and_closed_form():
    ans = solve_part(spec(), "a")
    assert ans.verified
    closed = next(r for r in ans.results if "closed form" in r.note)
    assert sp.simplify(plain(closed.value) - (1 + s ** 4) ** l) == 0


def test_depth_scaling_exact_and_approximate():
    ans = solve_part(spec(), "b")
    assert ans.verified
    exact = next(r for r in ans.results if r.relation == "=")
    approx = next(r for r in ans.results if r.relation == "≈")
    assert sp.simplify(plain(exact.value) - (2 ** (1 / L) - 1) ** sp.Rational(1, 4)) == 0
    assert sp.simplify(plain(approx.value) - (sp.log(2) / L) ** sp.Rational(1, 4)) == 0


@pytest.mark.parametrize("blocks", [1, 3])
def test_hand_closed_form_against_numpy(blocks):
    rng = np.random.default_rng(blocks)
    n, sv, samples = 6, 0.6, 20_000
    x = rng.normal(0, 1, (samples, n))
    for _ in range(blocks):
        w1 = rng.normal(0, sv / np.sqrt(n), (samples, n, n))
        w2 = rng.normal(0, sv / np.sqrt(n), (samples, n, n))
        x = x + np.einsum("sij,sj->si", w2, np.einsum("sij,sj->si", w1, x))
    want = (1 + sv ** 4) ** blocks
    assert abs(x.var() - want) < 0.03 * want


STUDENTS = [
    ("a", "sigma2(l) = (1 + s^4)^l", "correct"),
    ("a", "σ_ℓ² = (1 + s⁴)^ℓ", "correct"),
    ("a", "sigma2(l) = (1 + s^2)^l", "incorrect"),          # one layer's factor only
    ("a", "sigma2(l) = (1 + 2*s^2)^l", "incorrect"),
    ("b", "s ≈ (ln 2 / L)^(1/4)", "correct"),
    ("b", r"s \approx \left(\frac{\log 2}{L}\right)^{1/4}", "correct"),
    ("b", "s = (2^(1/L) - 1)^(1/4)", "correct"),
    ("b", "s ≈ (ln 2 / L)^(1/2)", "incorrect"),              # the m = 1 scaling
]


@pytest.mark.parametrize("label, text, want", STUDENTS)
def test_student_answers(label, text, want):
    got = check_answer(spec(), label, text)
    assert got.verdict == want, (got.message, got.read_as)
