"""The cost check's growth test (issue 13, item 3): an LSTM's depth in T counted 30, 62,
127, 256, exactly the derived formula, yet "depth grows by 2.02 from T=8 to T=16, not as
O(T)" withheld the part.  The counts are compared with the formula; the order comes from
the formula."""
from __future__ import annotations

import pytest
import sympy as sp

from derive.answers import solve_part
from derive.core.growth import clog2
from derive.front.spec import parse_spec
from derive.run.counting import order_mismatch

LSTM = """id: lstm
title: LSTM cost
source: a test
index: {t: 1..T, j: J, i: J, k: K}
tensors:
  x: {shape: [t, k], role: input}
""" + "".join(f"  {w}{g}: {{shape: [j, {'i' if w == 'W' else 'k'}], role: parameter}}\n"
              for g in "fioc" for w in "WU") + """program: |
  for t in 1..T:
      f[t, j] = sigma(Wf[j, I] * h[t-1, I] + Uf[j, K] * x[t, K])
      g[t, j] = sigma(Wi[j, I] * h[t-1, I] + Ui[j, K] * x[t, K])
      o[t, j] = sigma(Wo[j, I] * h[t-1, I] + Uo[j, K] * x[t, K])
      cc[t, j] = tanh(Wc[j, I] * h[t-1, I] + Uc[j, K] * x[t, K])
      c[t, j] = f[t, j] * c[t-1, j] + g[t, j] * cc[t, j]
      h[t, j] = o[t, j] * tanh(c[t, j])
  for j: Loss += h[T, j]
sizes: {T: 3, J: 2, K: 2}
parts:
  a: {ask: cost, of: backward, in: T, text: The backward pass's depth in T.}
  b: {ask: cost, of: forward, in: T, text: The forward pass's depth in T.}
"""


@pytest.mark.parametrize("label", ["a", "b"])
def test_lstm_depth_in_T_is_verified_as_O_T(label):
    ans = solve_part(parse_spec(LSTM, "lstm.yaml"), label)
    assert ans.verification.passed, ans.verification.summary()
    # a recurrence over T steps, each of bounded depth: linear in T, both work and depth
    assert "parallel depth O(T)" in ans.message and "work O(T)" in ans.message
    depth = next(r.value for r in ans.results if "depth" in r.label)
    Tsym = sp.Symbol("T", positive=True, integer=True)
    J_, K_ = (sp.Symbol(n, positive=True, integer=True) for n in "JK")
    per_step = [float(sp.sympify(depth).subs({Tsym: n, J_: 2, K_: 2})) / n
                for n in (8, 64, 1024, 2 ** 20)]
    # each step adds a bounded depth: depth / T stays within a constant band
    assert min(per_step) > 1 and max(per_step) < 2 * min(per_step)

T, J = sp.symbols("T J", positive=True, integer=True)


@pytest.mark.parametrize("formula, term, grow", [
    (31 * T - 4, T, T),                     # an LSTM-like depth: O(T)
    (T * (clog2(J) + 6), sp.log(J), J),     # a sum as a tree: O(log J)
    (J ** 2 + 5 * J + 1, J ** 2, J),
    (sp.Integer(7), sp.Integer(1), T),
])
def test_an_order_the_formula_has_is_confirmed(formula, term, grow):
    assert order_mismatch(formula, term, grow, {J: 3} if grow is T else {T: 3}) is None


@pytest.mark.parametrize("formula, term, grow", [
    (T * clog2(T), T, T),                   # T log T is not O(T)
    (31 * T - 4, sp.Integer(1), T),
    (clog2(J) + 1, sp.Integer(1), J),
    (J ** 2, J, J),
    (J + 1, J ** 2, J),                     # too large an order is wrong as well
])
def test_a_wrong_order_is_caught(formula, term, grow):
    assert order_mismatch(formula, term, grow, {J: 3} if grow is T else {T: 3})
