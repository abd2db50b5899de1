"""The loss written with its argument in a Leibniz prefix (issue 15): dL(y)/dy,
∂ℓ(y)/∂y and LaTeX's \\frac{d\\mathcal{L}(y)}{dy} all name y.grad; an entry whose right
side holds whole vectors only inside an inner product (wᵀx) is read in index form.

Truth, by hand, for relu_unit:a (z = wᵀx, y = relu(z), ℓ = L(y)):
    ∂ℓ/∂w_i = L'(y) · 1[z > 0] · x_i
"""
from __future__ import annotations

import pytest

from derive.check.answer import check_answer
from derive.front.folder import resolve_problem
from derive.front.spec import load_spec

SPEC = load_spec(resolve_problem("relu_unit"))

ROWS = [
    ("dL/dw_i = dL(y)/dy * d relu(z)/dz * x_i", "correct"),
    ("dL/dw_i = dL(y)/dy * drelu(z)/dz * x_i", "correct"),
    ("∂ℓ/∂w_i = ∂L(y)/∂y · 𝟙[wᵀx > 0] · x_i", "correct"),
    ("dL/dw_i = dL(y)/dy * 1[w^T x > 0] * x_i", "correct"),
    (r"\frac{\partial \ell}{\partial w_i} = \frac{d\mathcal{L}(y)}{dy} \cdot "
     r"\mathbb{1}[w^\top x > 0] \, x_i", "correct"),
    (r"\frac{\partial \ell}{\partial w_i} = \frac{d\mathcal{L}}{dy} \cdot "
     r"\mathbb{1}[w^\top x > 0] \, x_i", "correct"),
    ("w.grad[i] = d L(y)/dy * 1[w^T x > 0] x_i", "correct"),
    ("w.grad[i] = y.grad 1[wᵀx > 0] x_i", "correct"),
    # wrong ones: the indicator left out, the wrong factor, the sign
    ("dL/dw_i = dL(y)/dy * x_i", "incorrect"),
    (r"\frac{\partial \ell}{\partial w_i} = \frac{d\mathcal{L}(y)}{dy} \cdot "
     r"\mathbb{1}[w^\top x > 0] \, w_i", "incorrect"),
    ("∂ℓ/∂w_i = −∂L(y)/∂y · 𝟙[wᵀx > 0] · x_i", "incorrect"),
    ("w.grad[i] = y.grad 1[wᵀx < 0] x_i", "incorrect"),
]


@pytest.mark.parametrize("text, want", ROWS, ids=[t[:40] for t, _ in ROWS])
def test_the_loss_written_with_its_argument_names_the_upstream_gradient(text, want):
    v = check_answer(SPEC, "a", text)
    assert v.verdict == want, (v.verdict, v.message, v.read_as)


def test_latex_frac_of_the_loss_with_its_argument_is_not_a_product_of_d_and_L():
    """Regression: \\frac{d\\mathcal{L}(y)}{dy} was read as d*L(y)/y.grad (a false
    'incorrect' for a right answer)."""
    v = check_answer(SPEC, "a", r"\frac{\partial \ell}{\partial w_i} = "
                     r"\frac{d\mathcal{L}(y)}{dy} \cdot \mathbb{1}[w^\top x > 0] \, x_i")
    assert v.verdict == "correct", (v.message, v.read_as)
    assert "L(y)" not in v.read_as and "= d*" not in v.read_as.replace(" ", "")


def test_an_entry_with_an_inner_product_in_vector_notation_is_read_as_a_sum():
    """Regression: `w.grad[i] = y.grad 1[wᵀx > 0] x_i` mixed an entry on the left with
    whole vectors on the right and was refused as a shape mismatch."""
    v = check_answer(SPEC, "a", "w.grad[i] = y.grad 1[wᵀx > 0] x_i")
    assert v.verdict == "correct", (v.message, v.read_as)
    assert any("inner products" in n for n in v.reading)


def test_a_function_of_the_vocabulary_differentiated_by_its_argument_is_its_prime():
    """Regression: `d relu(z)/dz` was read as d*relu(z)/z.grad (a right answer judged
    incorrect, with -inf in its counterexample); it is relu'(z), the step."""
    v = check_answer(SPEC, "a", "dL/dw_i = dL(y)/dy * d relu(z)/dz * x_i")
    assert v.verdict == "correct", (v.message, v.read_as)
    assert "step" in v.read_as and any("relu'" in n for n in v.reading)
    wrong = check_answer(SPEC, "a", "dL/dw_i = dL(y)/dy * d relu(z)/dz * w_i")
    assert wrong.verdict == "incorrect"
