"""The bundled problem momentum_variance (issue 14): the variance of a moving average of
noisy gradients, against our own closed form and a NumPy Monte Carlo of the statement.

By hand: V(t+1) = beta^2 V(t) + (1 - beta)^2 s^2, so
V(t) = beta^(2t) v + s^2 (1 - beta)^2 (1 - beta^(2t)) / (1 - beta^2)
     = beta^(2t) v + s^2 (1 - beta)(1 - beta^(2t)) / (1 + beta),
whose limit s^2 (1 - beta)/(1 + beta) equals v for s = sqrt(v (1 + beta)/(1 - beta)).
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

SPEC = Path(__file__).resolve().parent.parent / "problems" / "momentum_variance.yaml"
beta, s, v, t = sp.symbols("beta s v t")
CLOSED = beta ** (2 * t) * v + s ** 2 * (1 - beta) * (1 - beta ** (2 * t)) / (1 + beta)
NOISE = sp.sqrt(v * (1 + beta) / (1 - beta))


@functools.lru_cache(maxsize=None)
def spec():
    return load_spec(SPEC)


def plain(e):
    return e.xreplace({x: sp.Symbol(x.name) for x in e.free_symbols})


def test_closed_form_is_the_hand_derivation():
    ans = solve_part(spec(), "a")
    assert ans.verified
    closed = next(r for r in ans.results if "closed form" in r.note)
    assert sp.simplify(plain(closed.value) - CLOSED) == 0


def test_noise_level_for_a_steady_variance():
    ans = solve_part(spec(), "b")
    assert ans.verified and len(ans.results) == 1
    assert sp.simplify(plain(ans.results[0].value) - NOISE) == 0
    assert str(ans.results[0].value) == "sqrt(v*(beta + 1)/(1 - beta))"   # one root


@pytest.mark.parametrize("steps", [1, 3, 8])
def test_hand_closed_form_against_numpy(steps):
    rng = np.random.default_rng(steps)
    b, sv, vv, n = 0.7, 0.9, 0.4, 400_000
    m = rng.normal(0, np.sqrt(vv), n)
    for _ in range(steps):
        m = b * m + (1 - b) * rng.normal(0, sv, n)
    want = float(CLOSED.subs({beta: b, s: sv, v: vv, t: steps}))
    assert abs(m.var() - want) < 0.02 * want + 1e-3


STUDENTS = [
    ("a", "sigma2(t) = β^(2t) v + s² (1 − β)(1 − β^(2t))/(1 + β)", "correct"),
    ("a", "sigma2(t) = beta^(2*t)*v + s^2*(1-beta)^2*(1-beta^(2*t))/(1-beta^2)", "correct"),
    ("a", "sigma2(t) = beta^(2*t)*v + s^2*(1-beta^(2*t))", "incorrect"),
    ("a", "sigma2(t) = beta^t*v + s^2*(1-beta)*(1-beta^t)/(1+beta)", "incorrect"),
    ("b", "s = √(v(1 + β)/(1 − β))", "correct"),
    ("b", r"s = \sqrt{\frac{v (1+\beta)}{1-\beta}}", "correct"),
    ("b", "s = sqrt(v*(1 - beta)/(1 + beta))", "incorrect"),
    ("b", "s = sqrt(v)", "incorrect"),
]


@pytest.mark.parametrize("label, text, want", STUDENTS)
def test_student_answers(label, text, want):
    got = check_answer(spec(), label, text)
    assert got.verdict == want, (got.message, got.read_as)
