"""The bundled problem batchnorm_stats (issue 14): batch statistics whose entries share
the batch mean, against references of our own.

The closed forms are derived by hand: Var(mean) = v/B; Var(x_b - mean) = v - 2v/B + v/B
= v(B-1)/B; (B-1) s / v is chi-squared with B-1 degrees of freedom, so E s = v and
Var s = 2 v^2/(B-1).  A NumPy Monte Carlo of the statement (not of derive's program)
checks the same numbers, and `derive check` judges students' answers, right and wrong.
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

SPEC = Path(__file__).resolve().parent.parent / "problems" / "batchnorm_stats.yaml"
B, v = sp.Symbol("B"), sp.Symbol("v")

HAND = {"a": ("Var(mu)", v / B), "b": ("Var(xc)", v * (B - 1) / B),
        "c": ("E(s)", v), "d": ("Var(s)", 2 * v ** 2 / (B - 1))}


@functools.lru_cache(maxsize=None)
def spec():
    return load_spec(SPEC)


@functools.lru_cache(maxsize=None)
def answer(label):
    ans = solve_part(spec(), label)
    assert ans.status == "derived" and ans.verified, ans.message
    return ans


@pytest.mark.parametrize("label", sorted(HAND))
def test_derived_moments_equal_the_hand_derivation(label):
    quantity, want = HAND[label]
    got = next(r for r in answer(label).results if r.label == quantity)
    assert got.relation == "="
    plain = got.value.xreplace({s: sp.Symbol(s.name) for s in got.value.free_symbols})
    assert sp.simplify(plain - want) == 0


def test_no_independence_is_assumed_for_the_centred_entries():
    ans = answer("b")
    assert not any(st.assumptions for st in ans.steps)
    assert any(st.why == "linear in independent entries" for st in ans.steps)


@pytest.mark.parametrize("batch", [2, 4, 7])
def test_hand_forms_against_a_numpy_monte_carlo(batch):
    vv, n = 0.6, 400_000
    x = np.random.default_rng(batch).normal(0.0, np.sqrt(vv), size=(n, batch))
    mu = x.mean(axis=1)
    xc = x - mu[:, None]
    s = (xc ** 2).sum(axis=1) / (batch - 1)
    at = {B: batch, v: vv}
    checks = [(mu.var(), HAND["a"][1]), (xc[:, 0].var(), HAND["b"][1]),
              (s.mean(), HAND["c"][1]), (s.var(), HAND["d"][1])]
    for est, want in checks:
        w = float(want.subs(at))
        assert abs(est - w) < 0.02 * max(w, 0.1) + 0.01, (est, w)


STUDENTS = [
    ("b", "v*(B-1)/B", "correct"),
    ("b", "v - v/B", "correct"),
    ("b", "Var(xc) = (1 - 1/B)*v", "correct"),
    ("b", "v*(1 + 1/B)", "incorrect"),       # x and its mean taken as uncorrelated
    ("b", "v", "incorrect"),
    ("a", "v/B", "correct"),
    ("a", "v/B^2", "incorrect"),
    ("c", "v", "correct"),
    ("c", "v*(B-1)/B", "incorrect"),        # the biased estimate's mean
    ("d", "2*v^2/(B-1)", "correct"),
    ("d", "2*v^2*(B-1)/(B-1)^2", "correct"),
    ("d", "2*v^2/B", "incorrect"),
    ("d", "v^2/(B-1)", "incorrect"),
]


@pytest.mark.parametrize("label, text, verdict", STUDENTS)
def test_student_answers(label, text, verdict):
    got = check_answer(spec(), label, text)
    assert got.verdict == verdict, got.message
