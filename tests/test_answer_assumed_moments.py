"""A moments answer stated in terms of the assumed law of an input (issue 15): Var(z0),
E[z0], E[z0²] of a tensor under `assume:` are its assumed values.

Truths, by hand:
  he_init:a      z1 = W relu(z0), z0 ~ (0, v) symmetric, W ~ (0, σ_W²):
                 Var(z1) = n σ_W² E[relu(z0)²] = n σ_W² v / 2
  fixup_scaling:a (per block) Var(x1) = Var(x0) (1 + s⁴), with Var(x0) = 1
"""
from __future__ import annotations

import pytest

from derive.check.answer import check_answer
from derive.front.folder import resolve_problem
from derive.front.spec import load_spec

HE = load_spec(resolve_problem("he_init"))

ROWS = [
    ("Var(z1) = (n/2) σ_W^2 Var(z0)", "correct"),
    ("Var(z1) = n σ_W^2 E[z0^2]/2", "correct"),
    ("Var(z1) = n Var(W) Var(z0) / 2", "correct"),
    (r"Var(z_{l+1}) = \frac{n}{2} \operatorname{Var}(W) \operatorname{Var}(z_l)", "correct"),
    ("Var(z1) = n σ_W² (Var(z0) + E[z0]²) / 2", "correct"),
    ("Var(z1) = n σ_W^2 Var(z0)", "incorrect"),                 # the half of relu lost
    ("Var(z1) = n Var(W) E[z0]^2 / 2", "incorrect"),            # the mean, not the square
    ("Var(z1) = (n/2) σ_W^2 Var(z0)^2", "incorrect"),
]


@pytest.mark.parametrize("text, want", ROWS, ids=[t for t, _ in ROWS])
def test_a_moment_of_an_assumed_input_is_its_assumed_value(text, want):
    v = check_answer(HE, "a", text)
    assert v.verdict == want, (v.verdict, v.message, v.read_as)


def test_var_of_an_input_was_refused_as_a_tensor_without_its_index():
    """Regression: `Var(z1) = (n/2) σ_W² Var(z0)`, He's own form, was refused ("'z0' has
    1 index: write z0[...]")."""
    assert check_answer(HE, "a", "Var(z1) = (n/2) σ_W^2 Var(z0)").verdict == "correct"


def test_a_moment_of_a_computed_tensor_is_not_given_a_value():
    """h is computed: its moments are derived, not assumed, and stay unread."""
    v = check_answer(HE, "a", "Var(z1) = n σ_W^2 E[h^2]")
    assert v.verdict == "unusable"


MOMENTUM = load_spec(resolve_problem("momentum_variance"))
FIXUP = load_spec(resolve_problem("fixup_scaling"))

# momentum_variance:a, by hand: m_{t+1} = β m_t + (1 − β) g with g ~ (0, s²) independent of
# m_t:  Var(m_{t+1}) = β² Var(m_t) + (1 − β)² s²,  Var(m_0) = v, so
# Var(m_t) = β^{2t} v + (1 − β)² s² (1 − β^{2t}) / (1 − β²)
RECURRENCES = [
    (MOMENTUM, "Var(m_{t+1}) = β² Var(m_t) + (1 − β)² s²", "correct"),
    (MOMENTUM, "Var(m_{t+1}) = β^2 Var(m_t) + (1-β)^2 s^2\n"
               "Var(m_t) = β^(2t) v + (1-β)^2 s^2 (1 - β^(2t)) / (1 - β^2)", "correct"),
    (MOMENTUM, "Var(m_{t+1}) = β Var(m_t) + (1 − β) s²", "incorrect"),
    (MOMENTUM, "Var(m_{t+1}) = β² Var(m_t) + (1 − β)² s²\nVar(m_t) = β^t v", "incorrect"),
    (FIXUP, "Var(x_{ℓ+1}) = (1 + s^4) Var(x_ℓ)", "correct"),
    (FIXUP, "Var(x_{l+1}) = (1 + s^2) Var(x_l)", "incorrect"),
]


@pytest.mark.parametrize("spec, text, want", RECURRENCES,
                         ids=[t[:40] for _, t, _ in RECURRENCES])
def test_var_of_the_layer_before_in_a_recurrence_is_the_layer_variance(spec, text, want):
    """Regression: `Var(m_{t+1}) = β² Var(m_t) + …` read Var(m_t) as m0's assumed v (the
    variance at layer 0), so a right recurrence was judged incorrect; in a recurrence
    part Var(from) is sigma2(t) and Var(of) is sigma2(t + 1)."""
    v = check_answer(spec, "a", text)
    assert v.verdict == want, (v.verdict, v.message, v.read_as)


GLOROT = load_spec(resolve_problem("glorot_init"))

# glorot_init:a, by hand: y_j = Σ_i W_ji x_i, n terms, each of variance σ_W² v (independent,
# mean 0):  Var(y_j) = n σ_W² v
SUMS = [
    (r"\operatorname{Var}(y_j) = \sum_{i=1}^{n} \sigma_W^2 v", "correct"),
    ("Var(y_j) = Σ_i σ_W² v", "correct"),
    ("Var(y_j) = Σ_i Var(W_{ji}) Var(x_i)", "correct"),
    ("Var(y[j]) = Var(W[j,I]) Var(x[I])", "correct"),
    ("Var(y_j) = Σ_i n σ_W² v", "incorrect"),                   # n counted twice
    ("Var(y_j) = Σ_i Var(W_{ji})", "incorrect"),
    ("Var(y_j) = Σ_i Var(W_{ji}) Var(x_i) Var(x_i)", "incorrect"),
]


@pytest.mark.parametrize("text, want", SUMS, ids=[t[:40] for t, _ in SUMS])
def test_a_sum_of_a_term_without_its_index_counts_the_term(text, want):
    v = check_answer(GLOROT, "a", text)
    assert v.verdict == want, (v.verdict, v.message, v.read_as)


def test_a_sum_whose_term_lacks_its_index_was_dropped():
    """Regression (a false correct): `Var(y_j) = Σ_i n σ_W² v` was read as n σ_W² v, the
    sum over i of a term without i dropped instead of counted n times, so a wrong
    answer was judged correct and the right `\\sum_{i=1}^{n} \\sigma_W^2 v` wrong."""
    assert check_answer(GLOROT, "a", "Var(y_j) = Σ_i n σ_W² v").verdict == "incorrect"
    assert check_answer(GLOROT, "a", r"\operatorname{Var}(y_j) = \sum_{i=1}^{n} "
                                     r"\sigma_W^2 v").verdict == "correct"


HE_BACK = load_spec(resolve_problem("he_backward"))

# he_backward:b, by hand: x.grad_i = step(x_i) Σ_j W_ji y.grad_j, n_out terms; x normal with
# mean 0 (P(x > 0) = 1/2), y.grad ~ (0, g) given by the part:
# Var(x.grad) = n_out σ_W² g / 2
GIVEN = [
    ("Var(x.grad) = n_out · Var(W) · Var(y.grad) · E[1[x > 0]]", "correct"),
    ("Var(x.grad) = n_out · Var(W) · Var(y.grad) · P(x > 0)", "correct"),
    ("Var(x.grad) = n_out σ_W² Var(y.grad) / 2", "correct"),
    ("Var(x.grad) = n_out · Var(W) · Var(y.grad)", "incorrect"),
    ("Var(x.grad) = n_out · Var(W) · Var(y.grad) · P(x > 0)^2", "incorrect"),
]


@pytest.mark.parametrize("text, want", GIVEN, ids=[t[:40] for t, _ in GIVEN])
def test_a_moment_of_a_given_gradient_and_the_chance_of_a_sign(text, want):
    """Regression: `Var(y.grad)` (a gradient the part gives a law with `given:`) was
    refused ("'y.grad' has 1 index, not 0"), and E[1[x > 0]] unread."""
    v = check_answer(HE_BACK, "b", text)
    assert v.verdict == want, (v.verdict, v.message, v.read_as)


# fixup_scaling:a by hand: Var(x_{l+1}) = (1 + s⁴) Var(x_l), Var(x_0) = 1, so
# Var(x_l) = (1 + s⁴)^l
TWO_ON_A_LINE = [
    ("Var(x_{ℓ+1}) = (1 + s⁴) Var(x_ℓ), so Var(x_ℓ) = (1 + s⁴)^ℓ", "correct"),
    ("Var(x_{ℓ+1}) = (1 + s⁴) Var(x_ℓ); Var(x_ℓ) = (1 + s⁴)^ℓ", "correct"),
    ("Var(x_{ℓ+1}) = (1 + s⁴) Var(x_ℓ), so Var(x_ℓ) = (1 + s²)^ℓ", "incorrect"),
]


@pytest.mark.parametrize("text, want", TWO_ON_A_LINE, ids=[t[-20:] for t, _ in TWO_ON_A_LINE])
def test_two_results_on_one_line_are_two_lines(text, want):
    """Regression: `..., so Var(x_ℓ) = (1 + s⁴)^ℓ` was refused ("unexpected ','"); each
    result after `, so` or `;` is judged as a line of its own."""
    v = check_answer(FIXUP, "a", text)
    assert v.verdict == want, (v.verdict, v.message, v.read_as)


RESNET = load_spec(resolve_problem("resnet_variance"))

# resnet_variance:a by hand: each residual block adds J D² σ_W² times the variance:
# σ²_{l+1} = (1 + J D² σ_W²) σ²_l
LAYERS = [
    ("σ_{l+1}^2 = (1 + J D² σ_W²) σ_l^2", "correct"),
    ("σ²_{ℓ+1} = (1 + J D² σ_W²) σ²_ℓ", "correct"),
    ("sigma_{l+1}^2 = (1 + J D^2 sigma_W^2) sigma_l^2", "correct"),
    ("σ_{ℓ+1}² = (1 + JD²σ_W²) σ_ℓ²", "correct"),
    ("σ_{ℓ+1}² = (1 + DJσ_W²) σ_ℓ²", "incorrect"),
    ("σ_{ℓ+1}² = (1 + J D σ_W²) σ_ℓ²", "incorrect"),
]


@pytest.mark.parametrize("text, want", LAYERS, ids=[t[:30] for t, _ in LAYERS])
def test_the_layer_variance_in_unicode_and_keyboard_with_a_subscript(text, want):
    """Regression: `σ_{ℓ+1}² = ... σ_ℓ²` was refused ("sigma is not a tensor"), and so
    were sizes typed side by side (`JD²`, `DJσ_W²`): the layer variance of a recurrence
    part is sigma2(...), and capitals that are each a size are a product."""
    v = check_answer(RESNET, "a", text)
    assert v.verdict == want, (v.verdict, v.message, v.read_as)
