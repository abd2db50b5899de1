"""Readings found by the unseen corpus tests/notation_corpus5 and kept after it: a chain
whose middle step names a moment derive does not know, a value joined to another by `or`,
prose after a comma that holds a value of another quantity or a value inside a sentence,
a bare value with `(since ...)`, and `sqrt m` without brackets.

Truths, by hand:
  he_init:a          Var(z1) = n σ_W² v / 2          (E[relu(z)²] = v/2 for a symmetric z)
  he_init:b          σ_W = √(2/n)
  he_init:d          E[h] = √(v/(2π))                (E[relu(z)] = σ/√(2π))
  init_variance:a    σ_W = 1/√d
  dropout:b          E[y] = μ                         (inverted dropout keeps the mean)
  glorot_init:d      σ_W = 1/√m
  batchnorm_stats:d  Var(s) = 2v²/(B − 1)             (a χ² law with B − 1 degrees)
"""
from __future__ import annotations

import functools

import pytest

from derive.check.answer import check_answer
from derive.front.folder import resolve_problem
from derive.front.spec import load_spec


@functools.lru_cache(maxsize=None)
def spec(pid):
    return load_spec(resolve_problem(pid))


def verdict(where, text):
    pid, part = where.split(":")
    return check_answer(spec(pid), part, text)


@pytest.mark.parametrize("where, text, expected", [
    ("he_init:a", "Var[z1[j]] = n·σ_W²·E[h²] = n σ_W² v/2", "correct"),
    ("he_init:a", "Var[z1[j]] = n·σ_W²·E[h²] = n σ_W² v", "incorrect"),
    ("he_init:a", "Var(z1) = n σ_W² E[h²] = n σ_W² v/4", "incorrect"),
])
def test_a_chain_whose_middle_step_names_an_unknown_moment_is_judged_by_its_last_link(
        where, text, expected):
    v = verdict(where, text)
    assert v.verdict == expected, v.message
    if expected == "correct":
        assert "was not read" in v.message


def test_a_chain_whose_last_link_is_unreadable_is_still_refused():
    assert verdict("he_init:a", "Var(z1) = n σ_W² v/2 = n σ_W² E[h²]").verdict == "unusable"


@pytest.mark.parametrize("where, text, expected", [
    ("batchnorm_stats:d", "Var(s) = 2v²/(B−1) or 2v²/B", "incorrect"),
    ("batchnorm_stats:d", "Var(s) = 2v^2/B or 2v^2/(B-1)", "incorrect"),
    ("he_init:d", "E[h] = sqrt(v/(2π)) or maybe sqrt(v)/2", "incorrect"),
    ("he_init:b", "σ_W = sqrt(2/n) or equivalently √2/√n", "correct"),
    ("he_init:b", "sigma_W = sqrt(2/n) or sqrt(1/n)", "incorrect"),
])
def test_values_joined_by_or_are_each_an_answer(where, text, expected):
    v = verdict(where, text)
    assert v.verdict == expected, v.message


@pytest.mark.parametrize("where, text, expected", [
    # prose after a comma about another quantity: reasoning
    ("init_variance:a", "sigma_W = 1/sqrt(d), so that Var(y) = d σ_W² = 1", "correct"),
    ("init_variance:a", "sigma_W = 1/d, so that Var(y) = d σ_W² = 1", "incorrect"),
    # a value inside a sentence: reasoning
    ("dropout:b", "E[y] = μ, the 1/q undoes the keep probability", "correct"),
    ("dropout:b", "E[y] = μ/q, the 1/q undoes the keep probability", "incorrect"),
    # a bare value with its reason in brackets
    ("he_init:a", "n σ_W² v / 2   (since E[relu(z)²] = v/2 for a symmetric z)", "correct"),
    ("he_init:a", "n σ_W² v   (since E[relu(z)²] = v/2 for a symmetric z)", "incorrect"),
])
def test_prose_after_a_value_is_read_as_its_justification(where, text, expected):
    v = verdict(where, text)
    assert v.verdict == expected, v.message


@pytest.mark.parametrize("text", [
    # a second value for the same quantity, or one turned to, is never set aside
    "Var(s) = 2v²/(B−1) for large batches, and 2v²/B otherwise",
    "Var(s) = 2v²/(B−1), maybe 2v²/B",
    "Var(s) = 2v²/(B−1), or Var(s) = 2v²/B",
])
def test_a_second_value_after_the_answer_is_not_a_justification(text):
    assert verdict("batchnorm_stats:d", text).verdict != "correct"


@pytest.mark.parametrize("where, text, expected", [
    ("glorot_init:d", "sigma_W = 1/sqrt m", "correct"),
    ("init_variance:a", "sigma_W = 1 / sqrt d", "correct"),
    ("init_variance:a", "sigma_W = sqrt d", "incorrect"),
    ("he_init:b", "sigma_W = sqrt 2 / sqrt n", "correct"),
])
def test_sqrt_of_one_name_without_brackets(where, text, expected):
    v = verdict(where, text)
    assert v.verdict == expected, v.message
