"""Affine layer recurrences s(t+1) = a s(t) + b: momentum (an exponential moving
average) under gradient noise, solved in closed form, its limit over many steps, and
student answers, against our own closed form and our own NumPy Monte Carlo."""
from __future__ import annotations

import numpy as np
import sympy as sp

from derive.answers import solve_part
from derive.check.answer import check_answer
from derive.engines.moments.algebra import spec_assumptions
from derive.engines.moments.recurrences import (check_recurrence, layer_recurrence,
                                                solve_recurrence)
from derive.front.spec import parse_spec

EMA = """
id: ema_noise
title: Variance of momentum under gradient noise
source: an exponential moving average of noisy gradients, in our own words
course: test
index:
  j: J
symbols:
  beta: {positive: true, latex: '\\\\beta'}
  s: {positive: true}
  v: {positive: true}
  t: {nonnegative: true, integer: true}
tensors:
  m0: {shape: [j], role: input, latex: 'm_t'}
  g: {shape: [j], role: input, latex: 'g_{t+1}'}
  m1: {latex: 'm_{t+1}'}
program: |
  for j: m1[j] = beta*m0[j] + (1 - beta)*g[j]
sizes: {J: 3}
assume:
  m0: {mean: 0, variance: v}
  g: {mean: 0, variance: 's^2'}
statement: |
  Momentum keeps a running average of noisy gradients,
  $m_{t+1} = \\\\beta m_t + (1 - \\\\beta) g_{t+1}$, where each $g_t$ is independent of
  $m_0$ and of the other steps, with mean 0 and variance $s^2$; $m_0$ has mean 0
  and variance $v$.
parts:
  a:
    ask: variance
    of: m1
    recurrence: {from: m0, layer: t, at: 0}
    text: Express the variance of an entry of $m_t$ through $t$, $\\\\beta$, $s$ and $v$.
  b:
    ask: solve
    for: s
    condition: {part: a, layer: oo, equals: 'beta/4'}
    text: Which noise level $s$ gives a long-run variance of $\\\\beta/4$?
"""

beta, s, v = sp.symbols("beta s v", positive=True)
t = sp.Symbol("t", integer=True, nonnegative=True)
a, b = beta ** 2, (1 - beta) ** 2 * s ** 2
# our closed form: a^t v + b (1 - a^t)/(1 - a)
MINE = a ** t * v + b * (1 - a ** t) / (1 - a)


def ema_spec():
    return parse_spec(EMA, "ema_noise.yaml")


def ema_monte_carlo(beta_v, s_v, v_v, steps, n=200_000, seed=5):
    """Var(m_t) for t = 1..steps by plain NumPy (normal draws)."""
    rng = np.random.default_rng(seed)
    m = rng.normal(0, np.sqrt(v_v), n)
    out = []
    for _ in range(steps):
        m = beta_v * m + (1 - beta_v) * rng.normal(0, s_v, n)
        out.append(m.var())
    return out, n


def test_closed_form_satisfies_the_affine_recurrence():
    assert sp.simplify(MINE.subs(t, t + 1) - a * MINE - b) == 0
    assert sp.simplify(MINE.subs(t, 0) - v) == 0


def test_engine_derives_the_ema_recurrence_and_its_closed_form():
    spec = ema_spec()
    part = spec.part("a")
    rc = part.args["recurrence"]
    rec = layer_recurrence(spec.program, spec_assumptions(spec, part), "m1", rc["from"],
                           rc["layer"], rc["at"])
    S = {x.name: x for x in rec.closed.free_symbols}
    mine = MINE.xreplace({beta: S["beta"], s: S["s"], v: S["v"], t: S["t"]})
    assert sp.simplify(rec.coefficient - S["beta"] ** 2) == 0
    assert sp.simplify(rec.offset - (1 - S["beta"]) ** 2 * S["s"] ** 2) == 0
    assert sp.simplify(rec.closed - mine) == 0
    assert not isinstance(rec.closed, sp.Piecewise)     # beta = 1 is covered: b = 0 there
    assert check_recurrence(rec)
    # the engine's closed form against our own Monte Carlo
    point = {S["beta"]: 0.6, S["s"]: 0.8, S["v"]: 0.5}
    mc, n = ema_monte_carlo(0.6, 0.8, 0.5, 4)
    for k, est in enumerate(mc, start=1):
        exact = float(rec.closed.xreplace({**point, S["t"]: k}))
        assert abs(est - exact) < 5 * exact * np.sqrt(2 / n), (k, est, exact)
    lim, cond = rec.limit()
    assert sp.simplify(lim - S["s"] ** 2 * (1 - S["beta"]) / (1 + S["beta"])) == 0
    assert cond == (S["beta"] ** 2 < 1)


def test_the_part_is_verified_by_the_engines_monte_carlo():
    ans = solve_part(ema_spec(), "a")
    assert ans.status == "derived", ans
    assert ans.verification.passed
    assert any(getattr(c, "layers", 0) > 1 for c in ans.verification.checks)   # stacked
    assert "first-order formula" in [st.why for st in ans.steps][-1]


def test_the_limit_over_many_steps_as_a_solve_part():
    ans = solve_part(ema_spec(), "b")
    assert ans.status == "derived", ans
    root = ans.results[0].value
    S = {x.name: x for x in root.free_symbols}
    bb = S["beta"]
    assert sp.simplify(root ** 2 - bb * (1 + bb) / (4 * (1 - bb))) == 0
    assert any(st.why == "over many layers" for st in ans.steps)


def test_random_walk_keeps_the_case_a_equals_one():
    x = sp.Symbol("x", positive=True)
    closed, _ = solve_recurrence(x ** 2, s ** 2, v, t, 0, True)
    assert isinstance(closed, sp.Piecewise)
    assert sp.simplify(closed.subs(x, 1) - (v + t * s ** 2)) == 0
    assert sp.simplify(closed.subs(x, sp.Rational(1, 2))
                       - (v / 4 ** t + s ** 2 * (1 - 4 ** -t) * sp.Rational(4, 3))) == 0
    # a provably below one: the formula alone
    closed, _ = solve_recurrence(sp.Rational(1, 4), 1, 0, t, 0, True)
    assert not isinstance(closed, sp.Piecewise)
    for k in range(5):
        assert closed.subs(t, k) == sp.Rational(4, 3) * (1 - sp.Rational(1, 4) ** k)


def test_student_closed_forms():
    spec = ema_spec()
    right = ["sigma2(t) = beta^(2*t)*v + s^2*(1 - beta)*(1 - beta^(2*t))/(1 + beta)",
             "sigma2(t) = (1-beta)^2*s^2*(1 - beta^(2*t))/(1 - beta^2) + v*beta^(2*t)",
             "sigma2(t+1) = beta^2*sigma2(t) + (1-beta)^2*s^2"]
    wrong = ["sigma2(t) = beta^(2*t)*v + s^2*(1 - beta^(2*t))/(1 - beta^2)",
             "sigma2(t+1) = beta^2*sigma2(t) + s^2",
             "sigma2(t) = beta^(2*t)*v + s^2*(1 - beta)*(1 - beta^t)/(1 + beta)"]
    for text in right:
        verdict = check_answer(spec, "a", text)
        assert verdict.verdict == "correct", (text, verdict.message)
    for text in wrong:
        verdict = check_answer(spec, "a", text)
        assert verdict.verdict == "incorrect", (text, verdict.message)
