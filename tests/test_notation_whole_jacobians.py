"""A whole Jacobian in matrix notation (issue 15): `∂z2/∂z1 = diag(σ'(z1))`,
`∂p/∂s = diag(p) − p pᵀ`, `∂z/∂x = W`, read as the gradient it passes back
(z1.grad = Jᵀ z2.grad) and judged through it.  Truths, by hand:

mlp_classification:c  z2 = σ(z1): J = diag(σ(z1) ⊙ (1 − σ(z1))) = diag(z2 ⊙ (1 − z2))
mlp_classification:d  ŷ = σ(z3) (a sigmoid, not a softmax): J = diag(ŷ ⊙ (1 − ŷ))
jac:a                 p = softmax(s): J = diag(p) − p pᵀ (symmetric)
jac:b                 z = W x: J = W (J x K, numerator layout)
"""
from __future__ import annotations

import functools
from pathlib import Path

import pytest

from derive.check.answer import check_answer
from derive.front.folder import resolve_problem
from derive.front.spec import load_spec

HERE = Path(__file__).parent / "data" / "specs_notation"


@functools.lru_cache(maxsize=None)
def spec(pid):
    path = HERE / f"{pid}.yaml"
    return load_spec(path if path.exists() else resolve_problem(pid))


ROWS = [
    ("mlp_classification:c", "∂z2/∂z1 = diag(σ(z1) ⊙ (1 − σ(z1)))", "correct"),
    ("mlp_classification:c", "dz2/dz1 = diag(z2 ∘ (1 - z2))", "correct"),
    ("mlp_classification:c", "∂z2/∂z1 = diag(σ'(z1))", "correct"),
    ("mlp_classification:c", r"\frac{\partial z_2}{\partial z_1} = \operatorname{diag}"
     r"(\sigma(z_1)\odot(1-\sigma(z_1)))", "correct"),
    ("mlp_classification:d", "∂ŷ/∂z3 = diag(ŷ ⊙ (1 − ŷ))", "correct"),
    ("jac:a", "∂p/∂s = diag(p) − p pᵀ", "correct"),
    ("jac:a", "dp/ds = diag(p) - p p^T", "correct"),
    ("jac:a", r"\frac{\partial p}{\partial s} = \operatorname{diag}(p) - p p^\top", "correct"),
    ("jac:a", "∂p/∂s = diag(p) − p·pᵀ", "correct"),
    ("jac:b", "∂z/∂x = W", "correct"),
    ("jac:a", "dp/ds = np.diag(p) - np.outer(p, p)", "correct"),
    ("jac:a", "dp/ds = diag(p) - outer(p, p)", "correct"),
    ("jac:a", "dp/ds = diag(p) - outer(p, 2p)", "incorrect"),
    ("jac:b", "dz/dx = W", "correct"),
    ("mlp_classification:c", "∂z2/∂z1 = diag(z2)", "incorrect"),
    ("mlp_classification:c", "∂z2/∂z1 = diag(z1 ∘ (1 - z1))", "incorrect"),
    ("mlp_classification:d", "∂ŷ/∂z3 = diag(ŷ) − ŷ ŷᵀ", "incorrect"),   # a softmax's, not σ's
    ("jac:a", "∂p/∂s = diag(p)", "incorrect"),
    ("jac:a", "∂p/∂s = p pᵀ − diag(p)", "incorrect"),                      # the sign
    ("jac:b", "∂z/∂x = Wᵀ", "incorrect"),                                  # J x K, not K x J
    ("jac:b", "∂z/∂x = W x", "incorrect"),
]


@pytest.mark.parametrize("where, text, want", ROWS, ids=[f"{w}:{t[:30]}" for w, t, _ in ROWS])
def test_a_whole_jacobian_is_judged_through_the_gradient_it_passes_back(where, text, want):
    pid, part = where.split(":")
    v = check_answer(spec(pid), part, text)
    assert v.verdict == want, (v.verdict, v.message, v.read_as)


def test_a_vector_is_not_a_jacobian_and_the_refusal_says_to_write_diag():
    """Regression: `∂z2/∂z1 = diag(...)` was refused as unreadable; a bare vector on the
    right is refused too, but with the spelling that is read."""
    v = check_answer(spec("mlp_classification"), "c", "∂z2/∂z1 = z2 ∘ (1 - z2)")
    assert v.verdict == "unusable" and "diag(v)" in v.message
    assert check_answer(spec("mlp_classification"), "c",
                        "∂z2/∂z1 = diag(z2 ∘ (1 - z2))").verdict == "correct"


def test_the_reading_of_a_whole_jacobian_is_said():
    v = check_answer(spec("jac"), "a", "∂p/∂s = diag(p) − p pᵀ")
    assert any("Jacobian ∂p/∂s" in n for n in v.reading)
