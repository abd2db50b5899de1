"""Readings found on the Huber loss (tests/instructor/huber_loss.yaml): a bar after a
word (`r if |r| <= δ else ...`) opens |x|, and a spec's symbol shadows a built-in of
the same name (δ the Huber threshold is a number, so `δ r[k]` is a product, not
Kronecker's delta waiting for its arguments).

Truth, by hand: H(r) = r²/2 for |r| <= δ and δ(|r| − δ/2) otherwise, so
H'(r) = r for |r| <= δ and δ·sign(r) = δ r/|r| otherwise; W.grad[k, i] = r.grad[k] x[i].
"""
from __future__ import annotations

import functools

import pytest

from derive.check.answer import check_answer
from derive.front.folder import resolve_problem
from derive.front.spec import load_spec

HUBER = "tests/instructor/huber_loss.yaml"
W = "\nfor k, i: W.grad[k, i] += r.grad[k] x[i]"


@functools.lru_cache(maxsize=None)
def spec(pid):
    return load_spec(resolve_problem(pid))


@pytest.mark.parametrize("text, expected", [
    ("for k: r.grad[k] += r[k] if |r[k]| ≤ δ else δ r[k]/|r[k]|" + W, "correct"),
    ("for k: r.grad[k] += r[k] if |r[k]| <= delta else delta sign(r[k])" + W, "correct"),
    ("for k: r.grad[k] += r[k] if |r[k]| ≤ δ else δ" + W, "incorrect"),
    ("for k: r.grad[k] += r[k] if |r[k]| ≤ δ else δ r[k]" + W, "incorrect"),
    ("for k: r.grad[k] += r[k] when |r[k]| ≤ δ, otherwise δ r[k]/|r[k]|" + W, "correct"),
])
def test_bar_after_a_word_opens_abs_and_a_spec_symbol_shadows_delta(text, expected):
    assert check_answer(spec(HUBER), "a", text).verdict == expected


def test_spec_symbol_delta_is_a_factor_not_kronecker():
    v = check_answer(spec(HUBER), "a", "for k: r.grad[k] += δ r[k]/|r[k]|" + W)
    assert v.verdict == "incorrect"          # read, and wrong inside the threshold
