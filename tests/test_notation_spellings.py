"""What students type (issue 15), table by table: each notation with correct and wrong
answers to the bundled problems.  The expected verdicts come from the mathematics of
each part, worked out by hand in the comments, not from derive's output.

he_init:a   Var(z1) = n sigma_W^2 v / 2       (relu halves the second moment)
he_init:b   sigma_W = sqrt(2/n)
he_init:d   E(h) = sqrt(v / (2 pi))
init_variance:a  sigma_W = 1/sqrt(d);  init_variance:b  E(u) = 1/2
dropout:c   Var(y) = v/q;  glorot_init:b  Var(x.grad) = m g sigma_W^2
relu_unit:a w.grad[i] = y.grad step(z) x[i]   (y = relu(z), z = w . x)
softmax:full  s.grad[b, j] = p[b, j] (p.grad[b, j] - sum_k p.grad[b, k] p[b, k])
mlp_ce_l2:grad  W2.grad = (yhat - y) z^T + lam W2, b2.grad = yhat - y, and back to W1
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


def verdict(problem_part: str, text: str):
    pid, part = problem_part.split(":")
    return check_answer(spec(pid), part, text)


def cases(rows):
    return pytest.mark.parametrize("where, text, want", rows,
                                   ids=[f"{w}:{t[:40]}" for w, t, _ in rows])


UNICODE = [
    ("he_init:a", "Var(z1) = n σ_W² v / 2", "correct"),
    ("he_init:a", "n·σ_W²·v/2", "correct"),
    ("he_init:a", "½ n σ_W² v", "correct"),
    ("he_init:a", "n × σ_W² × v ÷ 2".replace("÷", "/"), "correct"),
    ("he_init:b", "σ_W = √(2/n)", "correct"),
    ("he_init:b", "σ_W = √2/√n", "correct"),
    ("he_init:b", "σ_W² = 2/n", "correct"),
    ("he_init:d", "√(v/(2π))", "correct"),
    ("init_variance:a", "σ_W = 1/√d", "correct"),
    ("init_variance:b", "𝔼[u] = 1/2", "correct"),
    ("dropout:c", "Var(y) = v⋅q⁻¹", "correct"),
    ("relu_unit:a", "w.grad[i] = y.grad · 𝟙(z > 0) · x[i]", "correct"),
    ("he_init:a", "n σ_W² v", "incorrect"),                  # the relu's 1/2 missing
    ("he_init:b", "σ_W = √(1/n)", "incorrect"),
    ("he_init:d", "√(v/π)", "incorrect"),
    ("init_variance:a", "σ_W = 1/d", "incorrect"),
    ("dropout:c", "Var(y) = v·q", "incorrect"),
    ("relu_unit:a", "w.grad[i] = y.grad · 𝟙(z < 0) · x[i]", "incorrect"),
]

KEYBOARD = [
    ("relu_unit:a", "w.grad[i] = y.grad * relu'(z) * x[i]", "correct"),
    ("relu_unit:a", "w.grad[i] = y.grad * 1[z > 0] * x[i]", "correct"),
    ("relu_unit:a", "w.grad[i] = y.grad * np.heaviside(z) * x[i]", "correct"),
    ("relu_unit:a", "w.grad[i] = y.grad * (z > 0) * x[i]", "correct"),
    ("he_init:b", "sigma_W = np.sqrt(2/n)", "correct"),
    ("he_init:b", "sigma_W = torch.sqrt(2/n)", "correct"),
    ("he_init:b", "sigma_W = math.sqrt(2) / math.sqrt(n)", "correct"),
    ("he_init:d", "sqrt(v/2pi)", "correct"),                  # 2pi together: one factor
    ("he_init:a", "Var(z1) = 0.5 n sigma_W^2 v", "correct"),
    ("init_variance:b", "E(u) = 1/2", "correct"),
    ("init_variance:c", "smaller, because the slope of sigma is at most 1/4", "correct"),
    ("relu_unit:a", "w.grad[i] = y.grad * relu'(z) * w[i]", "incorrect"),
    ("relu_unit:a", "w.grad[i] = y.grad * relu(z) * x[i]", "incorrect"),
    ("he_init:b", "sigma_W = np.sqrt(1/n)", "incorrect"),
    ("he_init:d", "sqrt(v/pi)", "incorrect"),
    ("init_variance:c", "larger: the slope can exceed 1", "incorrect"),
]

LATEX = [
    ("he_init:a", r"\operatorname{Var}(z_{\ell+1}) = \frac{n \sigma_W^2 v}{2}", "correct"),
    ("he_init:a", r"\frac{1}{2} n \sigma_W^{2} v", "correct"),
    ("he_init:a", r"\mathrm{Var}[z1_j] = \frac{n\,\sigma_W^2\, v}{2}", "correct"),
    ("he_init:b", r"\sigma_W = \sqrt{\frac{2}{n}}", "correct"),
    ("he_init:b", r"\sigma_W = \frac{\sqrt{2}}{\sqrt{n}}", "correct"),
    ("he_init:b", r"\sigma_W^2 = 2/n", "correct"),
    ("he_init:b", r"\sigma_W = \left(\frac{2}{n}\right)^{1/2}", "correct"),
    ("he_init:d", r"\sqrt{\frac{v}{2\pi}}", "correct"),
    ("init_variance:a", r"\sigma_W = d^{-1/2}", "correct"),
    ("init_variance:b", r"\mathbb{E}[u] = \frac{1}{2}", "correct"),
    ("relu_unit:a", r"w.grad_i = y.grad \cdot \mathbb{1}[z > 0] \cdot x_i", "correct"),
    ("he_init:a", r"\frac{n \sigma_W^2 v}{4}", "incorrect"),
    ("he_init:b", r"\sigma_W = \sqrt{\frac{1}{n}}", "incorrect"),
    ("he_init:b", r"\sigma_W = \sqrt[3]{\frac{2}{n}}", "incorrect"),
    ("he_init:d", r"\sqrt{\frac{v}{\pi}}", "incorrect"),
    ("init_variance:a", r"\sigma_W = d^{-1}", "incorrect"),
]

LEIBNIZ = [
    ("relu_unit:a", "dL/dw_i = y.grad * (z > 0) * x_i", "correct"),
    ("relu_unit:a", "∂ℓ/∂w_i = y.grad · 1[z > 0] · x_i", "correct"),
    ("relu_unit:a", "∂ℓ/∂w[i] = y.grad * step(z) * x[i]", "correct"),
    ("relu_unit:a", r"\frac{\partial \ell}{\partial w_i} = y.grad \cdot \mathbb{1}[z > 0]\, x_i",
     "correct"),
    ("relu_unit:a", "dw_i = y.grad · 1[z > 0] · x_i", "correct"),
    ("relu_unit:a", "dw[i] = dy (z > 0) x[i]", "correct"),
    ("softmax:full", "for b, j: ∂L/∂s[b, j] = p[b, j] (∂L/∂p[b, j] − ∑_k ∂L/∂p[b, k] p[b, k])",
     "correct"),
    ("softmax:full", "for b, j: ds[b, j] = p[b, j] * (dp[b, j] - ∑_k dp[b, k] * p[b, k])",
     "correct"),
    ("softmax:full", "for b, j: ds_{bj} = p_{bj} (dp_{bj} - \\sum_{k} dp_{bk} p_{bk})", "correct"),
    ("glorot_init:b", "Var(dx) = m g σ_W²", "correct"),
    ("relu_unit:a", "dL/dw_i = y.grad * (z > 0) * w_i", "incorrect"),
    ("relu_unit:a", "dw_i = y.grad · 1[z < 0] · x_i", "incorrect"),
    ("softmax:full", "for b, j: ds[b, j] = p[b, j] * (dp[b, j] + ∑_k dp[b, k] * p[b, k])",
     "incorrect"),
    ("softmax:full", "for b, j: ∂L/∂s[b, j] = ∂L/∂p[b, j] − ∑_k ∂L/∂p[b, k] p[b, k]",
     "incorrect"),
    ("glorot_init:b", "Var(dx) = n g σ_W²", "incorrect"),
]

MATRIX = [
    ("mlp_ce_l2:grad", "W2.grad = (yhat - y) z^T + lam W2\nb2.grad = yhat - y\n"
     "W1.grad = ((W2ᵀ (yhat − y)) ⊙ z ⊙ (1 − z)) xᵀ + lam W1\n"
     "b1.grad = (W2ᵀ (yhat − y)) ⊙ z ⊙ (1 − z)", "correct"),
    ("mlp_ce_l2:grad", "dW2 = (ŷ − y) zᵀ + λ W2\ndb2 = ŷ − y\n"
     "dW1 = ((W2ᵀ (ŷ − y)) ⊙ z ⊙ (1 − z)) xᵀ + λ W1\ndb1 = (W2ᵀ (ŷ − y)) ⊙ z ⊙ (1 − z)",
     "correct"),
    ("mlp_ce_l2:grad", "dW2 = (ŷ − y) @ zᵀ + λ*W2\ndb2 = ŷ − y\n"
     "dW1 = ((W2ᵀ @ (ŷ − y)) * z * (1 − z)) @ xᵀ + λ*W1\ndb1 = (W2ᵀ @ (ŷ − y)) * z * (1 − z)",
     "correct"),
    ("mlp_ce_l2:grad", "dW2 = (y − ŷ) zᵀ + λ W2\ndb2 = y − ŷ\n"                   # sign
     "dW1 = ((W2ᵀ (y − ŷ)) ⊙ z ⊙ (1 − z)) xᵀ + λ W1\ndb1 = (W2ᵀ (y − ŷ)) ⊙ z ⊙ (1 − z)",
     "incorrect"),
    ("mlp_ce_l2:grad", "dW2 = (ŷ − y) zᵀ\ndb2 = ŷ − y\n"                          # no lam
     "dW1 = ((W2ᵀ (ŷ − y)) ⊙ z ⊙ (1 − z)) xᵀ\ndb1 = (W2ᵀ (ŷ − y)) ⊙ z ⊙ (1 − z)",
     "incorrect"),
    ("mlp_ce_l2:grad", "W2.grad = (yhat - y) @ z.T + lam * W2\nb2.grad = yhat - y\n"
     "b1.grad = W2.T @ (yhat - y) * z * (1 - z)\nW1.grad = b1.grad @ x.T + lam * W1",
     "correct"),
    ("mlp_ce_l2:grad", "dW2 = (ŷ − y)·zᵀ + λ·W2\ndb2 = ŷ − y\ndb1 = z ⊙ (1 − z) ⊙ "
     "(W2ᵀ(ŷ − y))\ndW1 = db1 xᵀ + λ W1", "correct"),
    ("mlp_ce_l2:grad", "dW2 = (ŷ − y) zᵀ + λ W2\ndb2 = ŷ − y\n"
     "e = W2ᵀ (ŷ − y)\ndb1 = e ⊙ z ⊙ (1 − z)\ndW1 = db1 xᵀ + λ W1", "correct"),
    ("mlp_ce_l2:grad", "W2.grad = lam W2 + (yhat - y) z^T\nb2.grad = yhat - y\n"
     "z.grad += W2^T (yhat - y)\nb1.grad = (1 - z) ∘ z ∘ z.grad\n"
     "W1.grad = lam W1 + ((1 - z) ∘ z ∘ z.grad) x^T", "correct"),
    ("mlp_regression:b", "dW2 = 2(ŷ − y) z2ᵀ\ndb2 = 2(ŷ − y)\n"
     "db1 = (2 W2ᵀ(ŷ − y)) ⊙ 1[z1 > 0]\ndW1 = db1 xᵀ", "correct"),
    ("mlp_regression:b", "dW2 = 2(ŷ − y) @ z2.T\ndb2 = 2(ŷ − y)\n"
     "dz1 = (2 W2.T @ (ŷ − y)) * (z1 > 0)\ndb1 = dz1\ndW1 = dz1 @ x.T", "correct"),
    ("he_backward:a", "dh = Wᵀ dy\ndx = dh ⊙ 1[x > 0]", "correct"),
    ("he_backward:a", "dh = W dy\ndx = dh ⊙ 1[x > 0]", "incorrect"),          # no transpose
    ("mlp_regression:b", "dW2 = 2(ŷ − y) z2ᵀ\ndb2 = 2(ŷ − y)\n"                  # relu' as relu
     "db1 = (2 W2ᵀ(ŷ − y)) ⊙ max(0, z1)\ndW1 = db1 xᵀ", "incorrect"),
    ("mlp_regression:b", "dW2 = 2(ŷ − y) z2ᵀ\ndb2 = 2(ŷ − y)\n"                  # x dz^T
     "db1 = (2 W2ᵀ(ŷ − y)) ⊙ 1[z1 > 0]\ndW1 = x db1ᵀ", "incorrect"),
    # outer(a, b) = a bᵀ, matmul(A, B) = dot(A, B) = A B (the NumPy spellings)
    ("mlp_regression:b", "dW2 = np.outer(2(ŷ − y), z2)\ndb2 = 2(ŷ − y)\n"
     "dz1 = (2 np.dot(W2.T, ŷ − y)) * (z1 > 0)\ndb1 = dz1\ndW1 = np.outer(dz1, x)", "correct"),
    ("mlp_regression:b", "dW2 = outer(2(ŷ − y), z2)\ndb2 = 2(ŷ − y)\n"
     "dz1 = (2 np.matmul(W2.T, ŷ − y)) * (z1 > 0)\ndb1 = dz1\ndW1 = outer(dz1, x)", "correct"),
    ("mlp_regression:b", "dW2 = np.outer(2(ŷ − y), z2)\ndb2 = 2(ŷ − y)\n"          # outer(x, dz)
     "dz1 = (2 np.dot(W2.T, ŷ − y)) * (z1 > 0)\ndb1 = dz1\ndW1 = np.outer(x, dz1)",
     "incorrect"),
    ("mlp_regression:b", "dW2 = np.outer(2(ŷ − y), z2)\ndb2 = 2(ŷ − y)\n"          # no transpose
     "dz1 = (2 np.dot(W2, ŷ − y)) * (z1 > 0)\ndb1 = dz1\ndW1 = np.outer(dz1, x)",
     "incorrect"),
]


@cases(UNICODE)
def test_unicode(where, text, want):
    assert verdict(where, text).verdict == want


@cases(KEYBOARD)
def test_keyboard_and_library_spellings(where, text, want):
    assert verdict(where, text).verdict == want


@cases(LATEX)
def test_latex_subset(where, text, want):
    assert verdict(where, text).verdict == want


@cases(LEIBNIZ)
def test_leibniz_and_gradient_names(where, text, want):
    assert verdict(where, text).verdict == want


@cases(MATRIX)
def test_matrix_and_vector_notation(where, text, want):
    assert verdict(where, text).verdict == want


def test_the_verdict_starts_with_how_the_answer_was_read():
    v = verdict("he_init:d", "sqrt(v/2pi)")
    assert v.read_as == "sqrt(v/(2*pi))"
    assert any("/(2*pi)" in note for note in v.reading)


def test_a_refusal_points_at_the_character_typed():
    """The column is the one in the answer as typed, not in its respelled form."""
    v = verdict("he_init:b", "σ_W = √(2/n) + \\foo")
    assert v.verdict == "unusable" and "answer:1:16:" in v.message and "\\foo" in v.message


def test_outer_of_two_vectors_was_refused_as_a_tensor_without_its_index():
    """Regression: `W.grad = np.outer(z.grad, x)` was refused ("'z.grad' has 1 index, not
    0"): outer( , ) was no matrix form. It is z.grad xᵀ, and a matrix is refused."""
    text = ("h.grad = (y - t) v\nv.grad = (y - t) h\nz.grad = step(z) * h.grad\n"
            "W.grad = np.outer(z.grad, x)")
    assert verdict("mlp_numeric:vectorized", text).verdict == "correct"
    bad = verdict("mlp_numeric:vectorized", "W.grad = outer(W, x)")
    assert bad.verdict in ("incorrect", "unusable")
    assert "two vectors" in bad.message + " ".join(bad.diagnosis)


def test_a_transposed_outer_product_is_not_silently_repaired():
    """x zᵀ has the shape of W2ᵀ: positions decide, so it is wrong, not re-indexed."""
    v = verdict("mlp_ce_l2:grad", "dW2 = z (ŷ − y)ᵀ + λ W2\ndb2 = ŷ − y\n"
                "dW1 = ((W2ᵀ (ŷ − y)) ⊙ z ⊙ (1 − z)) xᵀ + λ W1\n"
                "db1 = (W2ᵀ (ŷ − y)) ⊙ z ⊙ (1 − z)")
    assert v.verdict in ("incorrect", "unusable") and v.verdict != "correct"


def test_a_hedged_choice_is_not_judged():
    assert verdict("init_variance:c", "smaller or equal").verdict == "unusable"


JACOBIAN = [
    # mlp_classification:c asks for dz2/dz1 of z2 = sigma(z1): delta_jk sigma(z1_j)(1 - ...)
    ("mlp_classification:c", "∂z2_j/∂z1_k = δ_jk σ(z1_j)(1 − σ(z1_j))", "correct"),
    ("mlp_classification:c", "∂z2_j/∂z1_k = δ_{j,k} z2_k (1 − z2_k)", "correct"),
    ("mlp_classification:c", r"\frac{\partial z2_j}{\partial z1_k} = \delta_{jk}\,\sigma(z1_j)"
     r"(1-\sigma(z1_j))", "correct"),
    ("mlp_classification:c", "∂z2_j/∂z1_j = σ'(z1_j)", "correct"),
    ("mlp_regression:c", "∂z2_j/∂z1_k = δ_jk · 1[z1_k > 0]", "correct"),
    ("mlp_classification:c", "∂z2_j/∂z1_k = δ_jk σ'(z1_k)", "correct"),
    ("mlp_classification:c", "∂z2_k/∂z1_j = δ_jk σ(z1_j)(1 − σ(z1_j))", "correct"),
    ("mlp_regression:c", "∂z2_j/∂z1_k = δ_jk step(z1_j)", "correct"),
    ("mlp_regression:c", "∂z2_j/∂z1_k = δ_jk relu'(z1_k)", "correct"),
    ("mlp_regression:c", "∂z2_j/∂z1_k = δ_{jk} (z1_j > 0)", "correct"),
    ("mlp_regression:c", "∂z2_j/∂z1_k = δ_jk relu(z1_j)", "incorrect"),            # relu, not step
    ("mlp_regression:c", "∂z2_j/∂z1_k = (z1_k > 0)", "incorrect"),                 # no delta
    ("mlp_classification:c", "∂z2_j/∂z1_k = σ(z1_j)(1 − σ(z1_j)) if j = k, 0 otherwise",
     "correct"),
    ("mlp_classification:c", r"\frac{\partial z2_j}{\partial z1_k} = \begin{cases} "
     r"\sigma(z1_j)(1 - \sigma(z1_j)) & \text{if } j = k \\ 0 & \text{otherwise} "
     r"\end{cases}", "correct"),
    ("mlp_classification:c", "∂z2_j/∂z1_k = σ(z1_j) if j = k, 0 otherwise", "incorrect"),
    ("mlp_classification:c", "∂z2_j/∂z1_k = σ(z1_j)(1 − σ(z1_j))", "incorrect"),   # no delta
    ("mlp_classification:c", "∂z2_j/∂z1_k = δ_jk z1_j (1 − z1_j)", "incorrect"),
    ("mlp_regression:c", "∂z2_j/∂z1_k = δ_jk · 1[z1_k < 0]", "incorrect"),
]


@cases(JACOBIAN)
def test_jacobian_entries_are_judged_entry_by_entry(where, text, want):
    """Seed 004 asks for Jacobians element by element: the entry is read as the gradient
    it passes back (it was refused)."""
    assert verdict(where, text).verdict == want


def test_a_jacobian_of_another_module_is_refused_not_read_as_a_gradient():
    v = verdict("mlp_classification:c", "∂z3_k/∂z1_j = W2[k, j] σ'(z1_j)")
    assert v.verdict == "unusable" and "Jacobian" in v.message


def test_a_temporary_named_like_a_gradient_is_the_students_own():
    """dh assigned and read beside h.grad is the student's temporary, not h.grad."""
    text = ("for b, j: dh[b, j] = p.grad[b, j] * p[b, j]\n"
            "for b, j: s.grad[b, j] += dh[b, j] - p[b, j] * dh[b, J]")
    # softmax: s.grad = p (p.grad - sum p.grad p); dh is the student's product
    v = verdict("softmax:full", text)
    assert v.verdict == "correct" and v.read_as is None      # read exactly as typed


# rnn_unroll:b: the backward pass through T steps has parallel depth O(T) in T
COST = [
    # a size named after words (the depth L), a justification after `by`, `via`, `using`
    ("loss_heads:b", "linear in the depth L", "correct"),
    ("loss_heads:b", "linear in the number of layers L, one pass back", "correct"),
    ("loss_heads:b", "quadratic in the depth L", "incorrect"),
    ("rnn_unroll:b", "Θ(T) by a recurrence over the steps", "correct"),
    ("rnn_unroll:b", "Θ(log T) by a parallel reduction over the steps", "incorrect"),
    ("rnn_unroll:b", "O(T): one pass over the sequence", "correct"),
    ("rnn_unroll:b", "O(T) since the steps run one after another", "correct"),
    ("rnn_unroll:b", "linear in T", "correct"),
    ("rnn_unroll:b", "It grows linearly in T", "correct"),
    ("rnn_unroll:b", "Θ(T), because h_t needs h_{t-1}", "correct"),
    ("rnn_unroll:b", "O(T log J), because each step sums J terms as a tree", "correct"),
    ("rnn_unroll:b", "O(T). The steps are sequential.", "correct"),
    ("rnn_unroll:b", "O(T) — the chain of steps is sequential", "correct"),
    ("rnn_unroll:b", "linear in T, since each step needs the last one", "correct"),
    ("rnn_unroll:b", "O(T) as each step needs the previous state", "correct"),
    ("rnn_unroll:b", "constant: everything runs in parallel", "incorrect"),
    ("rnn_unroll:b", "quadratic in T", "incorrect"),
    ("rnn_unroll:b", "O(log T): a tree over the steps", "incorrect"),
    ("rnn_unroll:b", "O(1), since the hardware is parallel", "incorrect"),
    ("rnn_unroll:b", "O(T^2) because every step reads all earlier ones", "incorrect"),
]


@cases(COST)
def test_cost_answers_with_a_justification_or_in_words(where, text, want):
    v = verdict(where, text)
    assert v.verdict == want
    assert v.reading          # it says which part of the answer decided


def test_matrix_shapes_that_do_not_fit_are_a_wrong_answer_not_unreadable():
    """`dh = W dy` where Wᵀ dy is meant: he_backward's h.grad is wrong, and the rest of
    the answer is still judged (it was refused as unreadable)."""
    v = verdict("he_backward:a", "dh = W dy\ndx = dh ⊙ 1[x > 0]")
    assert v.verdict == "incorrect" and "shapes" in v.message
    assert any("sizes do not match" in d for d in v.diagnosis)


def test_latex_lambda_is_the_specs_lam():
    v = verdict("mlp_ce_l2:grad",
                r"\frac{\partial L}{\partial W^{(2)}_{jk}} = (\hat{y}_j - y_j) z_k + \lambda W^{(2)}_{jk}"
                "\n" r"\frac{\partial L}{\partial b^{(2)}_{j}} = \hat{y}_j - y_j" "\n"
                r"\frac{\partial L}{\partial b^{(1)}_{k}} = z_k (1 - z_k) \sum_{j} W^{(2)}_{jk} (\hat{y}_j - y_j)"
                "\n" r"\frac{\partial L}{\partial W^{(1)}_{ki}} = z_k (1 - z_k) x_i \sum_{j} W^{(2)}_{jk} (\hat{y}_j - y_j) + \lambda W^{(1)}_{ki}")
    assert v.verdict == "correct", (v.message, v.read_as)


def test_a_recurrence_written_as_an_equation_runs_from_the_end():
    """z.grad[t] reads z.grad[t+1]: its implied loop over t runs T..1 (it ran 1..T)."""
    v = verdict("vanilla_rnn_bptt:a",
                "z.grad[t, m] = (1 - h[t, m]^2) * (V[C, m] * (yhat[t, C] - y[t, C])"
                " + U[I, m] * z.grad[t+1, I])")
    assert v.verdict == "correct", v.message


def test_a_sum_over_time_with_a_shifted_index_becomes_a_loop():
    from derive.front.spelling import names_of, respell
    from derive.front.spec import answer_scope
    s = spec("vanilla_rnn_bptt")
    r = respell(r"\frac{\partial L}{\partial U_{mi}} = \sum_{t} \frac{\partial L}{\partial z_{t,m}} h_{t-1,i}",
                names_of(s, answer_scope(s)))
    assert r.text.startswith("for m, i, t: U.grad[m,i] +=") and "h[t-1,i]" in r.text


def test_a_specs_aliases_name_its_quantities(tmp_path):
    """`aliases: {delta: z.grad}`: δ_{t,m} is z.grad[t, m] (it was an unknown name)."""
    from derive.check.answer import check_answer as check
    text = (resolve_problem("vanilla_rnn_bptt").read_text()
            .replace("id: vanilla_rnn_bptt", "id: rnn_alias") + "aliases:\n  delta: z.grad\n")
    (tmp_path / "rnn_alias.yaml").write_text(text)
    s = load_spec(tmp_path / "rnn_alias.yaml")
    v = check(s, "a", "δ_{t,m} = (1 − h_{t,m}²) (V[C, m] (yhat[t, C] − y[t, C])"
                      " + U[I, m] δ_{t+1,I})")
    assert v.verdict == "correct" and any("alias" in n for n in v.reading)
    bad = text.replace("delta: z.grad", "delta: nosuch.grad")
    (tmp_path / "rnn_alias.yaml").write_text(bad)
    v = check(load_spec(tmp_path / "rnn_alias.yaml"), "a", "δ_{t,m} = 0")
    assert v.verdict == "unusable" and "alias" in v.message


def test_check_prints_the_reading_as_latex():
    from click.testing import CliRunner
    from derive.cli import cli
    r = CliRunner().invoke(cli, ["check", "he_init:a", "½ n σ_W² v", "--format", "latex"])
    assert r.exit_code == 0 and "read as (LaTeX):" in r.output
    assert r"\frac{n\,\sigma_W^{2}\,v}{2}" in r.output


def test_a_matrix_product_binds_tighter_than_an_elementwise_one():
    """(1 − h_t²) ⊙ Vᵀ(ŷ_t − y_t) is (1 − h_t²) ⊙ (Vᵀ(ŷ_t − y_t)); read left to right it
    was a column times a matrix, refused as a shape mismatch."""
    v = verdict("vanilla_rnn_bptt:a",
                "δ_t = (1 − h_t²) ⊙ (Vᵀ(ŷ_t − y_t) + Uᵀ δ_{t+1})")
    assert v.verdict == "correct", (v.message, v.read_as)


def test_a_sum_over_time_of_outer_products_is_read_as_a_loop():
    from derive.front.spelling import names_of, respell
    from derive.front.spec import answer_scope
    s = spec("vanilla_rnn_bptt")
    r = respell("∂L/∂U = Σ_t δ_t h_{t−1}ᵀ", names_of(s, answer_scope(s)))
    assert r.text == "for t, m, i: U.grad[m,i] += (z.grad[t,m]*h[t-1,i])"
