"""Sizes that depend on others (issue 13, item 7): `U: 2*X + D`, `R: M/2`.  Before, every
size was independent, so a check at "distinct sizes" broke the ties a spec states
(LeNet-5's M = U - F + 1) and a strided convolution could not be written at all."""
from __future__ import annotations

import numpy as np
import pytest
from click.testing import CliRunner

from derive.answers import solve_part
from derive.check.answer import check_answer
from derive.cli import cli
from derive.core.errors import SpecError
from derive.front.folder import resolve_problem
from derive.front.spec import load_spec, parse_spec
from derive.run.verify import run_backward

STRIDED = """id: strided
title: A strided convolution
source: a test
index: {b: B, x: X, dx: D, u: U}
sizes: {B: 2, X: 3, D: 2, U: 2*X + D}
tensors:
  inp: {shape: [b, u], role: input}
  w: {shape: [dx], role: parameter}
program: |
  for b, x, dx: y[b, x] += w[dx] * inp[b, 2*x + dx]
  for b, x: Loss += y[b, x]^2
parts:
  a: {ask: backprop, from: Loss, to: [w, inp], text: Give the gradients.}
  b: {ask: cost, of: forward, in: U, text: How does the forward work grow with U?}
"""


def _strided():
    return parse_spec(STRIDED, "strided.yaml")


def test_a_dependent_size_is_computed_in_every_run():
    spec = _strided()
    assert spec.default_sizes() == {"B": 2, "X": 3, "D": 2, "U": 8}
    for sizes in spec.check_sizes():
        assert sizes["U"] == 2 * sizes["X"] + sizes["D"]
    v = solve_part(spec, "a").verification
    assert v.passed and len(v.checks) >= 2
    for c in v.checks:
        assert c.sizes["U"] == 2 * c.sizes["X"] + c.sizes["D"]


def test_strided_gradients_match_a_hand_derivation():
    spec = _strided()
    ans = solve_part(spec, "a")
    rng = np.random.default_rng(1)
    B, X, D = 2, 3, 2
    U = 2 * X + D
    inp, w = rng.standard_normal((B, U)), rng.standard_normal(D)
    env = run_backward(spec.program, ans.program, ["Loss"], spec.default_sizes(), 0,
                       inputs={"inp": inp, "w": w}, unit=True)
    y = np.array([[sum(w[d] * inp[b, 2 * x + d] for d in range(D)) for x in range(X)]
                  for b in range(B)])
    gw = np.array([sum(2 * y[b, x] * inp[b, 2 * x + d] for b in range(B) for x in range(X))
                   for d in range(D)])
    ginp = np.zeros((B, U))
    for b in range(B):
        for x in range(X):
            for d in range(D):
                ginp[b, 2 * x + d] += 2 * y[b, x] * w[d]
    assert np.allclose(env["w.grad"], gw) and np.allclose(env["inp.grad"], ginp)


def test_cost_asked_in_a_dependent_size():
    spec = _strided()
    ans = solve_part(spec, "b")
    assert ans.verification.passed, ans.verification.summary()
    # forward work B*X*D multiply-adds with X = (U - D)/2: linear in U
    assert "work O(U)" in ans.message
    assert check_answer(spec, "b", "O(U)").verdict == "correct"
    assert check_answer(spec, "b", "O(U^2)").verdict == "incorrect"


def test_lenet5_ties_hold_at_every_check_size():
    spec = load_spec(resolve_problem("lenet5"))
    for s in spec.check_sizes() + [c.sizes for c in solve_part(spec, "a").verification.checks]:
        assert s["M"] == s["U"] - s["F"] + 1 and s["N"] == s["V"] - s["G"] + 1
        assert 2 * s["R"] == s["M"] and 2 * s["C"] == s["N"]


def test_an_index_range_can_be_a_size_expression():
    spec = parse_spec(STRIDED.replace("u: U}", "u: 2*X + D}").replace(", U: 2*X + D}", "}"),
                      "strided.yaml")
    assert spec.program.tensors["inp"].ranges[1][1] == \
        2 * spec.program.sizes["X"] + spec.program.sizes["D"] - 1
    assert solve_part(spec, "a").verification.passed


@pytest.mark.parametrize("sizes, fragment, key", [
    ("{B: 2, X: 3, D: 2, U: 2*X + Q}", "unknown size 'Q'", "sizes.U"),
    ("{B: 2, X: U - 1, D: 2, U: 2*X + D}", "depends on itself", "sizes."),
    ("{B: 2, X: 3, D: 3, U: (2*X + D)/2}", "not a positive integer", "sizes"),
    ("{B: 2, X: 3, D: 2, U: 2*X + 0.5}", "integers only", "sizes.U"),
    ("{B: 2, X: 3, D: 2, U: exp(X)}", "expected a size expression", "sizes.U"),
])
def test_bad_size_expressions_are_named(sizes, fragment, key):
    with pytest.raises(SpecError) as e:
        parse_spec(STRIDED.replace("{B: 2, X: 3, D: 2, U: 2*X + D}", sizes), "strided.yaml")
    assert fragment in str(e.value) and key in str(e.value)


def test_run_sets_independent_sizes_and_refuses_dependent_ones(tmp_path):
    d = tmp_path / "p"
    d.mkdir()
    (d / "strided.yaml").write_text(STRIDED)
    r = CliRunner().invoke(cli, ["--problems", str(d), "run", "strided", "--size", "X=4"])
    assert r.exit_code == 0 and "U=10" in r.output, r.output
    r = CliRunner().invoke(cli, ["--problems", str(d), "run", "strided", "--size", "U=5"])
    assert r.exit_code == 2 and "computed from the other sizes" in r.output
