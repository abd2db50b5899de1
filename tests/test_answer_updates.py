"""Parameter updates as students write them (issue 15): `W ← W − η g`, `W := ...`,
`\\gets` are one simultaneous step; statements written with `=` are a program, run in
order (updating W2 before b1's step reads it is the classic mistake).

Truth, by hand, for mlp_ce_l2 (z = σ(W1 x + b1), ŷ = softmax(W2 z + b2), cross-entropy
plus (λ/2)(‖W1‖² + ‖W2‖²)):
    W2.grad = (ŷ − y) zᵀ + λ W2          b2.grad = ŷ − y
    b1.grad = (W2ᵀ(ŷ − y)) ⊙ z ⊙ (1 − z)  W1.grad = b1.grad xᵀ + λ W1
and one SGD step is P ← P − η P.grad for every P at once.
"""
from __future__ import annotations

import pytest

from derive.check.answer import check_answer
from derive.front.folder import resolve_problem
from derive.front.spec import load_spec

SPEC = load_spec(resolve_problem("mlp_ce_l2"))

W2_FIRST = ("W2 ← W2 − η((ŷ − y) zᵀ + λ W2)\nb2 ← b2 − η(ŷ − y)\n"
            "b1 ← b1 − η (W2ᵀ(ŷ − y)) ⊙ z ⊙ (1 − z)\n"
            "W1 ← W1 − η(((W2ᵀ(ŷ − y)) ⊙ z ⊙ (1 − z)) xᵀ + λ W1)")

ROWS = [
    (W2_FIRST, "correct"),
    (W2_FIRST.replace("←", ":="), "correct"),
    (W2_FIRST.replace("←", "="), "incorrect"),    # a program: b1's step reads the new W2
    ("W1 ← (1 − ηλ) W1 − η ((W2ᵀ(ŷ − y)) ⊙ z ⊙ (1 − z)) xᵀ\n"
     "b1 ← b1 − η (W2ᵀ(ŷ − y)) ⊙ z ⊙ (1 − z)\nW2 ← (1 − ηλ) W2 − η (ŷ − y) zᵀ\n"
     "b2 ← b2 − η (ŷ − y)", "correct"),
    ("W2 \\gets W2 - \\eta ((\\hat{y} - y) z^\\top + \\lambda W2)\n"
     "b2 \\leftarrow b2 - \\eta (\\hat y - y)\n"
     "b1 = b1 - eta * W2^T (yhat - y) * z * (1-z)\n"
     "W1 = W1 - eta * ((W2^T (yhat - y) * z * (1-z)) x^T + lam W1)", "correct"),
    # two lines for one parameter: the second starts from what the first left, and the
    # data term reads no W1, so the two lines make the one step
    ("W1 = W1 − η λ W1\nW1 = W1 − η ((W2ᵀ(ŷ − y)) ⊙ z ⊙ (1 − z)) xᵀ\n"
     "b1 ← b1 − η (W2ᵀ(ŷ − y)) ⊙ z ⊙ (1 − z)\nW2 ← W2 − η((ŷ − y) zᵀ + λ W2)\n"
     "b2 ← b2 − η(ŷ − y)", "correct"),       # (1 − ηλ) W1 − η (data term): the step
    (W2_FIRST.replace("b2 ← b2 − η(ŷ − y)", "b2 ← b2 + η(ŷ − y)"), "incorrect"),
    (W2_FIRST.replace("+ λ W1", ""), "incorrect"),
    (W2_FIRST.replace("W2ᵀ(ŷ − y)) ⊙ z ⊙ (1 − z)\n", "W2ᵀ(ŷ − y)) ⊙ z\n"), "incorrect"),
]


@pytest.mark.parametrize("text, want", ROWS, ids=[t[:40] for t, _ in ROWS])
def test_an_update_written_as_the_student_writes_it(text, want):
    v = check_answer(SPEC, "sgd", text)
    assert v.verdict == want, (v.verdict, v.message, v.read_as)


def test_an_update_reads_the_other_parameters_before_the_step():
    """Regression: with W2 updated on the first line, b1's update read the new W2 (the
    lines were run as a program), so the right simultaneous step `W2 ← …, b1 ← … W2ᵀ …`
    was judged 'not a gradient-descent step' for W1 and b1.  The same lines with `=` are
    a program, and there the order is the mistake it is in code."""
    assert check_answer(SPEC, "sgd", W2_FIRST).verdict == "correct"
    assert check_answer(SPEC, "sgd", W2_FIRST.replace("←", "=")).verdict == "incorrect"


def test_the_update_arrow_was_refused_as_an_unexpected_character():
    v = check_answer(SPEC, "sgd", W2_FIRST)
    assert v.verdict != "unusable" and "←" not in (v.message or "")
