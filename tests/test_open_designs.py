"""Design parts with open answers (issue 15, item 7), on the GRU of the bundled problem
made open: the answer includes its forward equations.  The backward of the variant
design (h = G2 h_prev + (1 - G2) R, the gate on the other term) is derived by hand in
the comment of BWD_VAR; the reference's is the bundled answer."""
from __future__ import annotations

import functools

import pytest

from derive.check.answer import check_answer
from derive.front.folder import resolve_problem
from derive.front.spec import parse_spec

FWD_REF = """for t in 1..T:
    G1[b, t, j] = sigma(Whg1[j, I] * h[b, t-1, I] + Wxg1[j, K] * x[b, t, K] - BG1[j])
    hp[b, t, j] = G1[b, t, j] * h[b, t-1, j]
    G2[b, t, j] = sigma(Whg2[j, I] * h[b, t-1, I] + Wxg2[j, K] * x[b, t, K] - BG2[j])
    R[b, t, j] = tanh(Whr[j, I] * hp[b, t, I] + Wxr[j, K] * x[b, t, K] - BR[j])
    h[b, t, j] = (1 - G2[b, t, j]) * h[b, t-1, j] + G2[b, t, j] * R[b, t, j]
"""
FWD_VAR = FWD_REF.replace(
    "h[b, t, j] = (1 - G2[b, t, j]) * h[b, t-1, j] + G2[b, t, j] * R[b, t, j]",
    "h[b, t, j] = G2[b, t, j] * h[b, t-1, j] + (1 - G2[b, t, j]) * R[b, t, j]")
REST = """    for b, j: R_in.grad[b, t, j] += (1 - R[b, t, j]**2)*R.grad[b, t, j]
    for b, j: BR.grad[j] -= R_in.grad[b, t, j]
    for b, j, k: Wxr.grad[j, k] += R_in.grad[b, t, j]*x[b, t, k]
    for b, j, i: Whr.grad[j, i] += R_in.grad[b, t, j]*hp[b, t, i]
    for b, j, i: hp.grad[b, t, i] += R_in.grad[b, t, j]*Whr[j, i]
    for b, j: G2_in.grad[b, t, j] += (1 - G2[b, t, j])*G2.grad[b, t, j]*G2[b, t, j]
    for b, j: BG2.grad[j] -= G2_in.grad[b, t, j]
    for b, j, k: Wxg2.grad[j, k] += G2_in.grad[b, t, j]*x[b, t, k]
    for b, j, i: Whg2.grad[j, i] += G2_in.grad[b, t, j]*h[b, t - 1, i]
    for b, j, i: h.grad[b, t - 1, i] += G2_in.grad[b, t, j]*Whg2[j, i]
    for b, j: G1.grad[b, t, j] += h[b, t - 1, j]*hp.grad[b, t, j]
    for b, j: h.grad[b, t - 1, j] += G1[b, t, j]*hp.grad[b, t, j]
    for b, j: G1_in.grad[b, t, j] += (1 - G1[b, t, j])*G1.grad[b, t, j]*G1[b, t, j]
    for b, j: BG1.grad[j] -= G1_in.grad[b, t, j]
    for b, j, k: Wxg1.grad[j, k] += G1_in.grad[b, t, j]*x[b, t, k]
    for b, j, i: Whg1.grad[j, i] += G1_in.grad[b, t, j]*h[b, t - 1, i]
    for b, j, i: h.grad[b, t - 1, i] += G1_in.grad[b, t, j]*Whg1[j, i]
"""
# h = (1 - G2) h_prev + G2 R: dh_prev += (1 - G2) dh, dG2 += (R - h_prev) dh, dR += G2 dh
BWD_REF = """for t in T..1:
    for b, j: h.grad[b, t - 1, j] += (1 - G2[b, t, j])*h.grad[b, t, j]
    for b, j: G2.grad[b, t, j] += (R[b, t, j] - h[b, t - 1, j])*h.grad[b, t, j]
    for b, j: R.grad[b, t, j] += G2[b, t, j]*h.grad[b, t, j]
""" + REST
# h = G2 h_prev + (1 - G2) R: dh_prev += G2 dh, dG2 += (h_prev - R) dh, dR += (1 - G2) dh
BWD_VAR = """for t in T..1:
    for b, j: h.grad[b, t - 1, j] += G2[b, t, j]*h.grad[b, t, j]
    for b, j: G2.grad[b, t, j] += (h[b, t - 1, j] - R[b, t, j])*h.grad[b, t, j]
    for b, j: R.grad[b, t, j] += (1 - G2[b, t, j])*h.grad[b, t, j]
""" + REST


@functools.lru_cache(maxsize=None)
def spec(open_: bool):
    text = resolve_problem("gru").read_text().replace("id: gru\n", "id: gru_open\n")
    if open_:
        text = text.replace("    to: params\n", "    to: params\n    open: true\n", 1)
    return parse_spec(text)


@pytest.mark.parametrize("text, verdict, says", [
    (FWD_REF + BWD_REF, "correct", "computes the reference's function"),
    (FWD_VAR + BWD_VAR, "correct", "your backpropagation of your design is correct"),
    (FWD_VAR + BWD_REF, "incorrect", "your backpropagation of your design is not correct"),
    (FWD_REF + BWD_VAR, "incorrect", "computes the reference's function"),
    (BWD_REF, "correct", "agree with the derived answer"),
])
def test_an_open_design_is_judged_on_its_own_forward(text, verdict, says):
    v = check_answer(spec(True), "a", text)
    assert v.verdict == verdict and says in v.message, v.message


def test_a_closed_part_takes_forward_equations_of_the_problems_function():
    """A part without `open:` (gru:a asks for the equations, then the backprop) judges an
    answer with the reference's forward as usual; another design is a wrong answer there,
    with the reason (it was refused as unusable: 'assigns to the forward tensor')."""
    v = check_answer(spec(False), "a", FWD_REF + BWD_REF)
    assert v.verdict == "correct", v.message
    v = check_answer(spec(False), "a", FWD_VAR + BWD_VAR)
    assert v.verdict == "incorrect" and "differ from the problem's" in v.message


def test_forward_equations_without_backward_are_unusable():
    v = check_answer(spec(True), "a", FWD_VAR)
    assert v.verdict == "unusable" and "no backward loops" in v.message
