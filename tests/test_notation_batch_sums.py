"""Batch sums written with a vector of ones, and a step named by the size that ends its
range (issue 15).  The truths are worked by hand:

blin:a      z[b, j] = W[j, K] x[b, K] + c[j], h = tanh(z), L = sum h^2 / 2, so
            z.grad = (1 - h^2) h, c.grad[j] = sum_b z.grad[b, j] (= 1ᵀ z.grad, z.gradᵀ 1),
            W.grad = z.gradᵀ x (J x K).
lastloss:a  the loss reads only h[S]: delta_S = h_S (1 - h_S^2), and for t < S
            delta_t = (Uᵀ delta_{t+1}) (1 - h_t^2), with no loss term of its own.
vanilla_rnn_bptt:a  delta_T = Vᵀ(ŷ_T − y_T) ∘ (1 − h_T²), and for t < T
            delta_t = (Uᵀ delta_{t+1} + Vᵀ(ŷ_t − y_t)) ∘ (1 − h_t²).
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


def verdict(where: str, text: str):
    pid, part = where.split(":")
    return check_answer(spec(pid), part, text)


def blin(c_grad: str, w_grad: str = "z.grad^T x") -> str:
    return f"z.grad = (1 - h^2) ∘ h\nc.grad = {c_grad}\nW.grad = {w_grad}"


ONES = [
    (blin("1^T z.grad"), "correct"),          # the form derive prints itself
    (blin("z.grad^T 1"), "correct"),
    (blin("1ᵀ z.grad"), "correct"),
    (blin("𝟏ᵀ z.grad"), "correct"),
    (blin("𝟙^T z.grad"), "correct"),
    (blin("\\mathbf{1}^\\top z.grad"), "correct"),
    (blin("sum_b z.grad_b"), "correct"),
    (blin("sum_b z.grad[b]"), "correct"),
    (blin("Σ_b z.grad[b]"), "correct"),
    (blin("\\sum_{b=1}^{B} z.grad_b"), "correct"),
    (blin("z.grad.T 1"), "correct"),
    (blin("1^T z.grad", "z.grad x^T"), "incorrect"),   # W.grad: the shapes do not fit
    (blin("1^T x"), "incorrect"),                       # sums the input, not the gradient
    (blin("1^T W"), "incorrect"),
    (blin("z.grad 1"), "incorrect"),                    # sums over j: a column over b
    (blin("1^T z.grad^T"), "incorrect"),
    (blin("1^T h"), "incorrect"),
]


@pytest.mark.parametrize("text, want", ONES, ids=[t.split("\n")[1] for t, _ in ONES])
def test_a_batch_sum_with_a_vector_of_ones(text, want):
    v = verdict("blin:a", text)
    assert v.verdict == want, (v.verdict, v.message, v.read_as)


def test_the_ones_form_derive_prints_was_judged_a_shape_mismatch():
    """Regression: `c.grad += 1^T z.grad`, printed by derive's own matrix form, was read
    as the scalar 1 times a B x J matrix and judged wrong for the column c.grad."""
    v = verdict("blin:a", blin("1^T z.grad"))
    assert v.verdict == "correct"
    assert all(q.verdict == "correct" for q in v.quantities)


LAST = [
    ("lastloss:a", "z.grad[S,m] = h[S,m] (1-h[S,m]^2)\n"
                   "z.grad[t,m] = U[M,m] z.grad[t+1,M] (1-h[t,m]^2)", "correct"),
    ("lastloss:a", "z.grad[S,m] = 2 h[S,m] (1-h[S,m]^2)\n"
                   "z.grad[t,m] = U[M,m] z.grad[t+1,M] (1-h[t,m]^2)", "incorrect"),
    ("lastloss:a", "z.grad[S,m] = h[S,m] (1-h[S,m]^2)\n"
                   "z.grad[t,m] = U[M,m] z.grad[t+1,M] (1-h[t,m]^2) + h[t,m](1-h[t,m]^2)",
     "incorrect"),
    ("vanilla_rnn_bptt:a", "delta_T = V^T (yhat_T - y_T) ∘ (1 - h_T^2)\n"
                           "delta_t = (U^T delta_{t+1} + V^T (yhat_t - y_t)) ∘ (1 - h_t^2)",
     "correct"),
    ("vanilla_rnn_bptt:a", "δ_T = (Vᵀ (ŷ_T − y_T)) ⊙ (1 − h_T²)\n"
                           "δ_t = (Uᵀ δ_{t+1} + Vᵀ(ŷ_t − y_t)) ⊙ (1 − h_t²)", "correct"),
    ("vanilla_rnn_bptt:a", "\\delta_T = V^\\top (\\hat{y}_T - y_T) \\odot (1 - h_T^2)\n"
                           "\\delta_t = (U^\\top \\delta_{t+1} + V^\\top (\\hat{y}_t - y_t))"
                           " \\odot (1 - h_t^2)", "correct"),
    ("vanilla_rnn_bptt:a", "delta_T = V^T (yhat_T - y_T) ∘ (1 - h_T^2)\n"
                           "delta_t = U^T delta_{t+1} ∘ (1 - h_t^2)", "incorrect"),
    ("vanilla_rnn_bptt:a", "delta_T = 2 V^T (yhat_T - y_T) ∘ (1 - h_T^2)\n"
                           "delta_t = (U^T delta_{t+1} + V^T (yhat_t - y_t)) ∘ h_t",
     "incorrect"),
]


@pytest.mark.parametrize("where, text, want", LAST, ids=[f"{w}:{t[:30]}" for w, t, _ in LAST])
def test_a_step_named_by_the_size_that_ends_its_range(where, text, want):
    v = verdict(where, text)
    assert v.verdict == want, (v.verdict, v.message, v.read_as)


def test_delta_T_was_refused_as_a_sum_over_the_target():
    """Regression: `delta_T = ...` was refused ("a target cannot be summed over"): the
    capital T of t in 1..T read as a sum.  In a target it is the last step, and the
    verdict says so."""
    v = verdict("vanilla_rnn_bptt:a", LAST[3][1])
    assert v.verdict == "correct"
    assert any("last step t = T" in n for n in v.reading)


def test_an_equation_after_the_last_step_gives_the_other_steps():
    """With `z.grad[S] = ...` first, `z.grad[t] = ...` runs over t < S: had it overwritten
    step S, the right answer of lastloss (no loss term before S) would be judged wrong."""
    assert verdict(*LAST[0][:2]).verdict == "correct"


def test_a_capital_on_the_right_of_an_ordinary_statement_is_still_a_sum():
    v = verdict("vanilla_rnn_bptt:a", "z.grad[t,m] = (1 - h[t,m]^2) * (U[M,m] z.grad[t+1,M]"
                                      " + V[C,m] (yhat[t,C] - y[t,C]))")
    assert v.verdict == "correct"


# vanilla_rnn_bptt:b says "using the delta_t" and declares `uses: z`: U.grad =
# sum_t delta_t h_{t-1}ᵀ, W.grad = sum_t delta_t x_tᵀ, b.grad = sum_t delta_t.
USES = [
    ("dL/dU = sum_t delta_t h_{t-1}^T\ndL/dW = sum_t delta_t x_t^T\ndL/db = sum_t delta_t",
     "correct"),
    ("∂L/∂U = Σ_t δ_t h_{t−1}ᵀ\n∂L/∂W = Σ_t δ_t x_tᵀ\n∂L/∂b = Σ_t δ_t", "correct"),
    ("for t: U.grad += z.grad_t h_{t-1}^T\nfor t: W.grad += z.grad_t x_t^T\n"
     "for t: b.grad += z.grad_t", "correct"),
    ("dL/dU = sum_t delta_t h_t^T\ndL/dW = sum_t delta_t x_t^T\ndL/db = sum_t delta_t",
     "incorrect"),                                  # h_t: one step late
    ("dL/dU = sum_t delta_t h_{t-1}^T\ndL/dW = sum_t x_t delta_t^T\ndL/db = sum_t delta_t",
     "incorrect"),                                  # W.grad transposed
    ("dL/dU = sum_t delta_t h_{t-1}^T", "incorrect"),  # W.grad and b.grad missing
]


@pytest.mark.parametrize("text, want", USES, ids=[t[:40] for t, _ in USES])
def test_a_part_that_uses_an_earlier_parts_gradient(text, want):
    v = verdict("vanilla_rnn_bptt:b", text)
    assert v.verdict == want, (v.verdict, v.message, v.read_as)


def test_sums_over_delta_t_were_judged_without_the_delta_t_of_part_a():
    """Regression: vanilla_rnn_bptt:b ("using the delta_t, give dL/dU ...") judged
    `dL/dU = sum_t delta_t h_{t-1}^T` against an answer with no delta_t computed (zeros).
    With `uses: z` the derived z.grad is taken, and the verdict says so."""
    v = verdict("vanilla_rnn_bptt:b", USES[0][0])
    assert v.verdict == "correct"
    assert any("took z.grad as derived" in n for n in v.reading)


def test_an_answer_that_writes_the_used_gradient_itself_is_judged_as_written():
    """Writing delta_t wrongly (no loss term) is wrong, though the part uses z.grad."""
    text = ("delta_t = U^T delta_{t+1} ∘ (1 - h_t^2)\n" + USES[0][0])
    assert verdict("vanilla_rnn_bptt:b", text).verdict == "incorrect"


def test_a_gradient_not_declared_used_is_not_supplied():
    """relu_unit:a declares no uses: an answer reading z.grad it never computes is wrong,
    never completed from the reference."""
    v = verdict("relu_unit:a", "w.grad[i] = z.grad * x[i]")
    assert v.verdict != "correct"


def test_a_loops_part_refuses_a_summation_sign_and_points_at_it():
    """ugrnn:a asks for loops with no summation sign left: `sum_i` is refused with its
    column, and the message says how to write it."""
    text = ("for b, t, j: Rt[b, t, j] += sum_i Whr[j, i] * h[b, t-1, i] + sum_k Wxr[j, k]"
            " * x[b, t, k] - BR[j]")
    v = verdict("ugrnn:a", text)
    assert v.verdict == "unusable"
    assert "no summation sign" in v.message and "1:29" in v.message


BASE_AFTER = [
    ("lastloss:a", "z.grad[t,m] = U[M,m] z.grad[t+1,M] (1-h[t,m]^2)\n"
                   "z.grad[S,m] = h[S,m] (1-h[S,m]^2)", "correct"),
    ("lastloss:a", "z.grad[t,m] = U[M,m] z.grad[t+1,M] (1-h[t,m]^2)\n"
                   "z.grad[S,m] = 2 h[S,m] (1-h[S,m]^2)", "incorrect"),
    ("lastloss:a", "z.grad[t,m] = U[M,m] z.grad[t+1,M] (1-h[t,m]^2) + h[t,m](1-h[t,m]^2)\n"
                   "z.grad[S,m] = h[S,m] (1-h[S,m]^2)", "incorrect"),
    ("vanilla_rnn_bptt:a", "δ_t = (Uᵀ δ_{t+1} + Vᵀ(ŷ_t − y_t)) ⊙ (1 − h_t²)\n"
                           "δ_T = (Vᵀ (ŷ_T − y_T)) ⊙ (1 − h_T²)", "correct"),
    ("vanilla_rnn_bptt:a", "delta_t = U^T delta_{t+1} ∘ (1 - h_t^2)\n"
                           "delta_T = V^T (yhat_T - y_T) ∘ (1 - h_T^2)", "incorrect"),
]


@pytest.mark.parametrize("where, text, want", BASE_AFTER,
                         ids=[f"{w}:{t[:30]}" for w, t, _ in BASE_AFTER])
def test_a_recurrence_written_before_its_base_case(where, text, want):
    v = verdict(where, text)
    assert v.verdict == want, (v.verdict, v.message, v.read_as)


def test_a_base_case_written_after_its_recurrence_is_read_first():
    """Regression: `z.grad[t] = ... z.grad[t+1]` then `z.grad[S] = ...` ran in the order
    written, so every step before S read a zero z.grad[S] and a right answer (a loss only
    at the last step S of t in 1..S) was judged incorrect.  The slot's capital S is the
    last step of t, the index of that axis, though S is not t's capital."""
    assert verdict(*BASE_AFTER[0][:2]).verdict == "correct"


# vanilla_rnn_bptt:b, by hand: U.grad = Σ_t δ_t h_{t−1}ᵀ, W.grad = Σ_t δ_t x_tᵀ, b.grad = Σ_t δ_t
STEPS = [
    ("vanilla_rnn_bptt:b", "dU = Σ_t δ_t h_{t−1}ᵀ\ndW = Σ_t δ_t x_tᵀ\ndb = Σ_t δ_t", "correct"),
    ("vanilla_rnn_bptt:b", "dU = Σ_t δ_t h_{t−1}ᵀ\ndW = Σ_t δ_t x_tᵀ\ndb = δ_T", "incorrect"),
    ("vanilla_rnn_bptt:b", "dU = δ_T h_{T−1}ᵀ\ndW = δ_T x_Tᵀ\ndb = δ_T", "incorrect"),
    ("vanilla_rnn_bptt:b", "U.grad[m,i] = z.grad[T,m] h[T-1,i]\nW.grad[m,k] = z.grad[T,m] x[T,k]\n"
                           "b.grad[m] = z.grad[T,m]", "correct"),      # course capitals: sums
]


@pytest.mark.parametrize("where, text, want", STEPS, ids=[f"{w}:{t[:30]}" for w, t, _ in STEPS])
def test_a_capital_written_as_a_subscript_names_a_step(where, text, want):
    v = verdict(where, text)
    assert v.verdict == want, (v.verdict, v.message, v.read_as)


def test_delta_T_on_the_right_was_read_as_a_sum_over_every_step():
    """Regression (a false correct): `db = δ_T`, the last step only, was read as
    b.grad[m] = z.grad[T, m], the course's capital for the sum over t, so a wrong b.grad
    (and `dU = δ_T h_{T−1}ᵀ`, every gradient wrong) was judged correct.  A subscript
    names a step; a capital in brackets is still the sum."""
    v = verdict(*STEPS[2][:2])
    assert v.verdict == "incorrect"
    assert any("as the step t = T" in n for n in v.reading)
