"""Readings found by an unseen corpus of student answers (tests/notation_corpus3): values
by cases, the identity Jacobian, d-names with brackets, a display name with a prime or a
superscript, values as tuples and matrices, moments with their justification, and sums
whose dummy index appears in a Kronecker delta or behind a constant factor.

Truths, by hand:
  relu_unit:a        ∂ℓ/∂w_i = L'(y) 1[z > 0] x_i                      (z = wᵀx)
  mlp_regression:c   ∂z2_j/∂z1_k = δ_jk 1[z1_k > 0]                    (z2 = relu(z1))
  mlp_regression:d   ∂ŷ/∂z3 = I                                         (ŷ = z3)
  mlp_numeric        z = [1, −3], h = [1, 0], y = 3, C = 2;  W.grad = [[6, 12], [0, 0]]
  init_variance:d    Var(σ(z)) ≤ 1/4 (σ ∈ [0, 1])
  softmax:full       s.grad[b,j] = Σ_k p.grad[b,k] p[b,k] (δ_jk − p[b,j])
  batchnorm:a        s.grad = −½ s^{−3/2} Σ_b xp.grad (x − μ); μ.grad = −Σ_b xp.grad/√s;
                     x.grad = xp.grad/√s + 2(x − μ) s.grad/(B − 1) + μ.grad/B
  ugrnn:b            Whr.grad = (1/B) Σ_b Σ_t Rt.grad[b,t] h[b,t−1]ᵀ, BR.grad = −(1/B) Σ Rt.grad
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


BN = ("\\frac{\\partial L}{\\partial s_j} = -\\frac{1}{2} s_j^{-3/2} \\sum_b "
      "\\frac{\\partial L}{\\partial x'_{b,j}} (x_{b,j} - \\mu_j)\n"
      "\\frac{\\partial L}{\\partial \\mu_j} = -\\frac{1}{\\sqrt{s_j}} \\sum_b "
      "\\frac{\\partial L}{\\partial x'_{b,j}}\n"
      "\\frac{\\partial L}{\\partial x_{b,j}} = \\frac{1}{\\sqrt{s_j}} \\frac{\\partial L}"
      "{\\partial x'_{b,j}} + \\frac{2 (x_{b,j} - \\mu_j)}{B-1} \\frac{\\partial L}"
      "{\\partial s_j} + \\frac{1}{B} \\frac{\\partial L}{\\partial \\mu_j}")
UG_PARTIAL = "dBR_j = -1/B Σ_b Σ_t dRt_{b,t,j}"

ROWS = [
    # values by cases
    ("relu_unit:a", "∂ℓ/∂w_i = y.grad · x_i if z > 0, 0 otherwise", "correct"),
    ("relu_unit:a", "w.grad[i] = y.grad * x[i] if z > 0 else 0", "correct"),
    ("relu_unit:a", "dL/dw_i = 0 if z <= 0, y.grad x_i otherwise", "correct"),
    ("relu_unit:a", "dL/dw_i = y.grad x_i if z < 0, 0 otherwise", "incorrect"),
    ("relu_unit:a", "dL/dw_i = y.grad x_i if z > 0, x_i otherwise", "incorrect"),
    ("mlp_regression:c", "\\frac{\\partial z_2[j]}{\\partial z_1[k]} = \\begin{cases} 1 & j = k "
     "\\text{ and } z_1[k] > 0 \\\\ 0 & \\text{otherwise} \\end{cases}", "correct"),
    ("mlp_regression:c", "\\frac{\\partial z_2[j]}{\\partial z_1[k]} = \\begin{cases} 1 & j = k "
     "\\text{ and } z_1[k] < 0 \\\\ 0 & \\text{otherwise} \\end{cases}", "incorrect"),
    ("mlp_regression:c", "dz2_j/dz1_k = 1 if j = k and z1_k > 0, 0 otherwise", "correct"),
    ("mlp_regression:c", "dz2[j]/dz1[k] = δ_jk 1[z1_k > 0]", "correct"),
    ("mlp_regression:c", "dz2[j]/dz1[k] = 1[z1_k > 0]", "incorrect"),
    # the identity Jacobian
    ("mlp_regression:d", "\\frac{\\partial \\hat{y}}{\\partial z_3} = I_K", "correct"),
    ("mlp_regression:d", "∂ŷ/∂z3 = I", "correct"),
    ("mlp_regression:d", "∂ŷ/∂z3 = diag(z3)", "incorrect"),
    # values as tuples and matrices
    ("mlp_numeric:forward", "z = (1, −3)\nh = (1, 0)\ny = 3\nC = 2.0", "correct"),
    ("mlp_numeric:forward", "z = (1, 3)\nh = (1, 0)\ny = 3\nC = 2.0", "incorrect"),
    ("mlp_numeric:backward", "\\frac{\\partial C}{\\partial y} = 2\n\\frac{\\partial C}"
     "{\\partial h} = (6, -2)\n\\frac{\\partial C}{\\partial z} = \\begin{pmatrix} 6 \\\\ 0 "
     "\\end{pmatrix}\n\\frac{\\partial C}{\\partial x} = (-6, 6)\n\\frac{\\partial C}"
     "{\\partial v} = (2, 0)\n\\frac{\\partial C}{\\partial W} = \\begin{pmatrix} 6 & 12 "
     "\\\\ 0 & 0 \\end{pmatrix}", "correct"),
    ("mlp_numeric:backward", "y.grad = 2\nh.grad = (6, -2)\nz.grad = (6, 0)\n"
     "x.grad = (-6, 6)\nv.grad = (2, 0)\nW.grad = ((6, 0), (12, 0))", "incorrect"),
    # a moment with its justification
    ("init_variance:d", "Var(u) ≤ ¼ (reached in the limit where y = ±∞ with probability ½ "
     "each)", "correct"),
    ("init_variance:d", "Var(u) ≤ 1/4, since u is in [0, 1]", "correct"),
    ("init_variance:d", "Var(u) ≤ 1/2, since u is in [0, 1]", "incorrect"),
    # a Kronecker delta holding a sum's dummy index
    ("softmax:full", "∂L/∂s_{bj} = Σ_k ∂L/∂p_{bk} p_{bk} (δ_{jk} − p_{bj})", "correct"),
    ("softmax:full", "∂L/∂s_{bj} = Σ_k ∂L/∂p_{bk} p_{bk} (δ_{jk} − p_{bk})", "incorrect"),
    # a display name with a prime (x' for xp)
    ("batchnorm:a", BN, "correct"),
    ("batchnorm:a", BN.replace("{B-1}", "{B}"), "incorrect"),
]


@pytest.mark.parametrize("where, text, want", ROWS, ids=[f"{w}:{t[:30]}" for w, t, _ in ROWS])
def test_unseen_corpus_readings(where, text, want):
    v = verdict(where, text)
    assert v.verdict == want, (v.verdict, v.message, v.read_as)


def test_a_superscripted_display_name_with_a_comma_and_a_constant_before_a_loop_sum():
    """Regression: `W^{h,R}_{j,i}` (ugrnn's display name of Whr) was refused ("a subscript
    is read only after a tensor name"), and `(1/B) Σ_b Σ_t ... h_{b,t-1}` refused ("a sum
    over t that reads a shifted index is read only as the whole right side")."""
    v = verdict("ugrnn:b", "\\frac{\\partial L}{\\partial W^{h,R}_{j,i}} = \\frac{1}{B} "
                           "\\sum_{b} \\sum_{t} \\frac{\\partial L}{\\partial \\tilde{R}_{b,t,j}}"
                           " h_{b,t-1,i}")
    assert v.verdict == "incorrect"          # a partial answer: the others are missing
    assert any(q.name == "Whr.grad" and q.verdict == "correct" for q in v.quantities)
    v = verdict("ugrnn:b", UG_PARTIAL)
    assert any(q.name == "BR.grad" and q.verdict == "correct" for q in v.quantities)


def test_a_sgd_arrow_case_tuple_and_prose_each_say_how_they_were_read():
    assert any("condition" in n for n in verdict(*ROWS[0][:2]).reading)
    assert any("list" in n for n in verdict(*ROWS[13][:2]).reading)
    assert any("justification" in n for n in verdict(*ROWS[17][:2]).reading)


LOSS_HEADS = ("yhat.grad = 2(ŷ − y)\nfor j: Wy.grad[j] += yhat.grad * h[L, j]\n"
              "By.grad -= yhat.grad\nfor j: h.grad[L, j] += yhat.grad * Wy[j]\n"
              "for k in L..1:\n    h.grad[k-1, i] += h.grad[k, i]\n"
              "    a[k, i] = h.grad[k, i] * σ'(W[k, i, J] * h[k-1, J] - Bh[k, i])\n"
              "    W.grad[k, i, j] += a[k, i] * h[k-1, j]\n    Bh.grad[k, i] -= a[k, i]\n"
              "    h.grad[k-1, j] += a[k, i] * W[k, i, j]")


def test_the_derivative_of_a_sum_keeps_its_sum_inside():
    """Regression (a false incorrect): σ'(W[k, i, J] h[k-1, J] − Bh) was written out as
    σ(u)(1 − σ(u)) with u twice, and the capital J of the two copies made one sum over the
    product, about twice the derivative; loss_heads:c's right answer was judged wrong.
    The derivative is now taken at u, its sum closed inside it.  (The last line also
    accumulates over i, read from its right side inside the `for k` block.)"""
    v = verdict("loss_heads:c", LOSS_HEADS)
    assert v.verdict == "correct", (v.message, v.read_as)
    wrong = verdict("loss_heads:c", LOSS_HEADS.replace("σ'(", "σ("))
    assert wrong.verdict == "incorrect"


def test_an_update_in_a_block_accumulates_over_the_indices_its_right_side_reads():
    """Regression: `W.grad[j, i] += a[b, t, j] * h[b, t, i]` inside `for t in T..1:` was
    refused ("index 'b' is not an index of the target"); a += sums over b, as
    `for b, j, i:` says."""
    v = verdict("loss_heads:c", LOSS_HEADS.replace("h.grad[k-1, j] += a[k, i]",
                                                   "h.grad[k-1, j] += a[k, i]"))
    assert v.verdict == "correct"


# mlp_classification:b, by hand (sigmoid outputs, mean binary cross-entropy over K):
# g3 = (ŷ − y)/K, W2.grad = g3 z2ᵀ, b2.grad = g3, g1 = (W2ᵀ g3) ⊙ z2 ⊙ (1 − z2),
# W1.grad = g1 xᵀ, b1.grad = g1
OWN = "g3 = (ŷ − y)/K\ng1 = (W2ᵀ g3) ⊙ z2 ⊙ (1 − z2)\ndW2 = g3 z2ᵀ\ndb2 = g3\ndW1 = g1 xᵀ\ndb1 = g1"

DISPLAY = [
    ("mlp_classification:b", OWN, "correct"),
    ("mlp_classification:b", OWN.replace("(W2ᵀ g3)", "(W2 g3)"), "unusable"),   # shapes
    ("mlp_classification:b", OWN.replace("⊙ (1 − z2)", ""), "incorrect"),
    ("mlp_classification:b", "\\frac{\\partial \\ell}{\\partial \\mathbf{b}^{(2)}} = \\frac{1}{K}"
     " \\left(\\hat{\\mathbf{y}} - \\mathbf{y}\\right)", "incorrect"),       # b2 only: partial
    ("mlp_classification:c", "\\frac{\\partial z_{2,j}}{\\partial z_{1,k}} = \\delta_{jk} \\,"
     " \\sigma(z_{1,k}) \\left(1 - \\sigma(z_{1,k})\\right)", "correct"),
    ("mlp_classification:c", "\\frac{\\partial z_{2,j}}{\\partial z_{1,k}} = \\delta_{jk} \\,"
     " \\sigma(z_{1,k})", "incorrect"),
    ("layernorm:b", "\\frac{\\partial L}{\\partial x_{b,j}} = \\frac{1}{\\sqrt{\\sigma^2_{b} + "
     "\\epsilon}} \\left( \\frac{\\partial L}{\\partial \\hat{x}_{b,j}} - \\frac{1}{J} "
     "\\sum_{k=1}^{J} \\frac{\\partial L}{\\partial \\hat{x}_{b,k}} - \\frac{\\hat{x}_{b,j}}{J} "
     "\\sum_{k=1}^{J} \\frac{\\partial L}{\\partial \\hat{x}_{b,k}} \\hat{x}_{b,k} \\right)",
     "correct"),
    ("layernorm:b", "∂L/∂x_{b,j} = (x̂.grad_{b,j} − (1/J) Σ_k x̂.grad_{b,k} + x̂_{b,j} (1/J) "
     "Σ_k x̂.grad_{b,k} x̂_{b,k}) / √(σ²_b + ε)", "incorrect"),              # the sign
]


@pytest.mark.parametrize("where, text, want", DISPLAY,
                         ids=[f"{w}:{t[:30]}" for w, t, _ in DISPLAY])
def test_own_temporaries_and_display_names_with_superscripts(where, text, want):
    """Regressions: the answer's own vector g3 = (ŷ − y)/K had no shape (only a name `e`
    had), so `W2ᵀ g3` was refused; `\\hat{\\mathbf{y}}` was read as y (a false incorrect);
    `\\sigma^2_{b}` (layer norm's v) and `z_{2,j}` (z2's entry j) were refused."""
    v = verdict(where, text)
    assert v.verdict == want, (v.verdict, v.message, v.read_as)


def _corpus4(problem, fragment):
    import yaml
    from pathlib import Path
    entries = yaml.safe_load((Path(__file__).parent / "notation_corpus4" /
                              "answers.yaml").read_text())
    hits = [e for e in entries if e["problem"] == problem and fragment in e["answer"]]
    assert hits, (problem, fragment)
    return hits


@pytest.mark.parametrize("problem, fragment", [
    ("two_gate_rnn", "A[b, t, j] = Whr[j, I] * h[b, t-1, I] - Bhr[j]"),   # own names A, C
    ("gru", "G1[b, t, j] ="),                                              # not an open part
    ("ugcnn", "Rt["),
])
def test_an_answer_with_its_forward_equations_is_judged(problem, fragment):
    """Regressions (labels by the corpus's NumPy references): a design answer whose
    forward names its own intermediates (A = W h − B) was refused ("unknown tensor 'A'")
    or judged with A = 0; a part without `open:` refused forward equations at all ("the
    answer assigns to the forward tensor"), though the question asks for them."""
    for e in _corpus4(problem, fragment):
        v = check_answer(spec(e["problem"]), str(e["part"]), e["answer"])
        assert v.verdict == e["expected"], (e["why"], v.verdict, v.message)


def test_a_different_forward_in_a_part_with_one_design_is_wrong_and_says_why():
    e = _corpus4("gru", "G1[b, t, j] =")[0]
    changed = e["answer"].replace("(1 - G2[b, t, j])", "(1 + G2[b, t, j])", 1)
    v = check_answer(spec("gru"), "a", changed)
    assert v.verdict in ("incorrect", "unusable")


def test_a_d_name_assigned_once_and_read_after_is_the_gradient():
    """Regression: `db1 = (W2ᵀ(ŷ − y)) ⊙ z2 ⊙ (1 − z2)/K`, then `dW1 = db1 xᵀ`, beside
    lines in .grad notation, read db1 as a temporary (b1.grad 'missing')."""
    e = _corpus4("mlp_classification", "dW1 = db1 xᵀ\n")[0]
    v = check_answer(spec("mlp_classification"), "b", e["answer"])
    assert v.verdict == e["expected"] == "correct", (v.verdict, v.message)


SECOND_VALUES = [
    # a second value after the first is no justification (corpus5: two false corrects)
    ("batchnorm_stats:d", "Var(s) = 2v²/(B − 1) for large batches, and 2v²/B otherwise",
     ("unusable", "incorrect")),
    ("rnn_lm_cost:a", "O(T) for the forward pass and O(T^2) for the backward pass",
     ("unusable", "incorrect")),
    ("he_init:b", "sigma_W = 1/sqrt(n) for a linear layer, but sqrt(2/n) with the ReLU",
     ("unusable", "correct")),
    ("dropout:c", "Var(y) = v/q when x is centred, otherwise v/q^2", ("unusable", "incorrect")),
    # reasoning about other quantities is still a justification
    ("batchnorm_stats:d", "Var(s) = 2v²/(B − 1), since the batch variance is unbiased",
     ("correct",)),
    ("he_init:a", "Var(z1) = n σ_W² v / 2 (since E[relu(z)²] = v/2 for a symmetric z)",
     ("correct",)),
    ("init_variance:d", "Var(u) ≤ ¼ (reached in the limit where y = ±∞ with probability ½ "
     "each)", ("correct",)),
]


@pytest.mark.parametrize("where, text, allowed", SECOND_VALUES,
                         ids=[f"{w}:{t[:30]}" for w, t, _ in SECOND_VALUES])
def test_a_second_value_after_the_answer_is_not_set_aside_as_prose(where, text, allowed):
    """Regression (false corrects): `Var(s) = 2v²/(B − 1) for large batches, and 2v²/B
    otherwise` was judged by its first formula alone, the rest read as a justification.
    A rest that holds a value of its own (a bare expression, an order, or a relation for
    the same quantity) is not prose; a relation about another quantity is reasoning."""
    v = verdict(where, text)
    assert v.verdict in allowed, (v.verdict, v.message, v.read_as)


def test_a_prime_of_a_function_the_spec_declares_is_that_functions_derivative():
    """Regression (a false incorrect): gelu declares Phi under functions: (an unknown
    function), and derive's reference differentiates that; `Φ'(z[j])` was read as the
    notation's Phi' (the normal density), so the reference's own form was judged wrong.
    The lint now says that the declaration shadows the notation's Phi."""
    from pathlib import Path
    from derive.front.lint import lint_spec
    path = Path(__file__).parent / "instructor" / "gelu.yaml"
    gelu = load_spec(path)
    v = check_answer(gelu, "a", "for j: z.grad[j] += h.grad[j] (Φ(z[j]) + z[j] Φ'(z[j]))")
    assert v.verdict == "correct", (v.message, v.read_as)
    assert check_answer(gelu, "a", "for j: z.grad[j] += h.grad[j] Φ'(z[j])").verdict == \
        "incorrect"
    assert any("function of the notation already" in str(f) for f in lint_spec(path).findings)


NUMBERS = [
    ("mlp_numeric:forward", "z = (1, −3)ᵀ\nh = (1, 0)ᵀ\ny = 3\nC = 2", "correct"),
    ("mlp_numeric:forward", "z = [1, -3]^T\nh = [1, 0]^T\ny = 3\nC = 2", "correct"),
    ("mlp_numeric:forward", "z = [1, 3]^T\nh = [1, 0]^T\ny = 3\nC = 2", "incorrect"),
    ("mlp_numeric:forward", "z = [1, -3]\nh = [1, 0]\ny = 3\nC = 2·10^0", "correct"),
    ("mlp_numeric:forward", "z = [1, -3]\nh = [1, 0]\ny = 0.3*10^1\nC = 2", "correct"),
    ("mlp_numeric:forward", "z = [1, -3]\nh = [1, 0]\ny = 3*10^-1\nC = 2", "incorrect"),
]


@pytest.mark.parametrize("where, text, want", NUMBERS, ids=[t[:30] for _, t, _ in NUMBERS])
def test_values_as_columns_and_in_scientific_notation(where, text, want):
    """Regressions: `(1, −3)ᵀ` was refused ("a transpose is read in matrix notation
    only"), and `4.84·10⁻³` ("expected a number"): a column of values is its list, and a
    number times a power of ten is that number (mlp_numeric by hand: z = [1, −3], h = [1,
    0], y = 3, C = 2)."""
    v = verdict(where, text)
    assert v.verdict == want, (v.verdict, v.message, v.read_as)
