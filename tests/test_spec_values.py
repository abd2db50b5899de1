"""Values for symbols are honoured everywhere (issue 13, item 1): the Adam worked
example once printed W1 = 0.8444 instead of 0.99 while its check said "verified",
because `beta1 = 0.9` under values: was accepted and a random value used instead."""
from __future__ import annotations

import numpy as np
import pytest

from derive.answers import solve_part
from derive.check.answer import check_answer
from derive.core.errors import DeriveError, SpecError
from derive.front.spec import parse_spec
from derive.run.execute import random_symbols, run

ADAM = """id: adam
title: One Adam step
source: a test, after Kingma and Ba (2015)
index: {i: N}
symbols:
  alpha: {positive: true}
  beta1: {range: '(0, 1)'}
  eps: {positive: true}
tensors:
  W: {shape: [i], role: parameter}
  g: {shape: [i], role: input}
  m: {shape: [i], role: input}
  v: {shape: [i], role: input}
  mn: {shape: [i]}
  Wn: {shape: [i]}
  Loss: {shape: []}
program: |
  mn[i] = beta1 * m[i] + (1 - beta1) * g[i]
  Wn[i] = W[i] - alpha * mn[i] / (sqrt(v[i]) + eps)
  for i: Loss += Wn[i]^2
values: |
  W = [1, 2]
  g = [0.5, -1]
  m = [0.1, 0]
  v = [0.01, 0.04]
  alpha = 0.1
  beta1 = 0.9
  eps = 0.1
sizes: {N: 2}
parts:
  a: {ask: numeric, show: [mn, Wn], text: "Take one step."}
  b: {ask: backprop, from: Loss, to: [m, W], text: x}
"""


def test_symbol_values_are_used_by_the_worked_example():
    spec = parse_spec(ADAM)
    assert spec.program.fixed == {"alpha": 0.1, "beta1": 0.9, "eps": 0.1}
    ans = solve_part(spec, "a")
    mn = 0.9 * np.array([0.1, 0]) + 0.1 * np.array([0.5, -1])
    wn = np.array([1, 2]) - 0.1 * mn / (np.sqrt([0.01, 0.04]) + 0.1)
    assert np.allclose(ans.values["mn"], mn) and np.allclose(ans.values["Wn"], wn)
    assert ans.verification is None or ans.verification.passed


def test_symbol_values_are_used_by_every_run_and_check():
    spec = parse_spec(ADAM)
    for seed in range(5):
        assert random_symbols(spec.program, seed)["beta1"] == 0.9
    env = run(spec.program, {"N": 2}, spec.values)
    assert np.allclose(env["mn"], 0.9 * np.array([0.1, 0]) + 0.1 * np.array([0.5, -1]))
    v = check_answer(spec, "a", "mn = [0.14, -0.1]\nWn = [0.93, 2.0333333]")
    assert v.verdict == "correct", (v.message, v.diagnosis)


@pytest.mark.parametrize("edit, message", [
    (("  eps = 0.1\n", "  eps = 0.1\n  gamma = 2\n"), "unknown tensor 'gamma'"),
    (("  eps = 0.1\n", "  eps = 0.1\n  Wn = [0, 0]\n"), "Wn is computed by the program"),
    (("  W = [1, 2]\n", "  W = [1, 2, 3]\n"), "W has 3 value(s), but its shape ['i']"),
    (("  alpha = 0.1\n", ""), "a worked example needs a value for every input, parameter "
                               "and symbol the program reads; missing: alpha"),
    (("  g = [0.5, -1]\n", ""), "missing: g"),
    (("  alpha = 0.1\n", "  alpha = [0.1, 0.2]\n"), "alpha is a symbol: its value is one"),
], ids=["unknown", "computed", "shape", "missing_symbol", "missing_input", "symbol_list"])
def test_a_value_that_cannot_be_used_is_a_spec_error(edit, message):
    with pytest.raises(DeriveError) as info:
        parse_spec(ADAM.replace(*edit))
    assert message in str(info.value)


def test_a_symbol_value_nothing_reads_is_a_spec_error():
    text = ADAM.replace("  eps: {positive: true}\n", "  eps: {positive: true}\n  lam: {}\n") \
        .replace("  eps = 0.1\n", "  eps = 0.1\n  lam = 3\n")
    with pytest.raises(SpecError, match="lam has a value, but nothing reads lam"):
        parse_spec(text)
