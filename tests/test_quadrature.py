"""Numeric moments by quadrature (issue 14, item 6): a part with `numeric: true` gets
the moments of a function of one normal entry that has no closed form, as a number,
verified by Monte Carlo.  The reference here is Gauss-Legendre quadrature with 1500
nodes over +-12 standard deviations, another rule than derive's trapezoid."""
from __future__ import annotations

import numpy as np
import pytest

from derive.answers import solve_part
from derive.front.spec import parse_spec

SPEC = """
id: quad
title: Numeric moments
source: tests
index: {j: J}
tensors:
  z: {shape: [j], role: input}
program: |
  for j: h[j] = tanh(z[j])
  for j: s[j] = sigma(z[j])
  for j: g[j] = z[j] * sigma(1.702 * z[j])
sizes: {J: 3}
assume:
  z: {distribution: normal, mean: MEAN, variance: VAR}
statement: t
parts:
  a: {ask: variance, of: h, numeric: true, text: q}
  b: {ask: variance, of: s, numeric: true, text: q}
  c: {ask: mean, of: g, numeric: true, text: q}
  d: {ask: variance, of: h, text: q}
"""


def reference(f, mean, var):
    t, w = np.polynomial.legendre.leggauss(1500)
    half = 12 * np.sqrt(var)
    x, w = mean + half * t, half * w
    dens = np.exp(-(x - mean) ** 2 / (2 * var)) / np.sqrt(2 * np.pi * var)
    m1 = np.sum(w * f(x) * dens)
    m2 = np.sum(w * f(x) ** 2 * dens)
    return m1, m2 - m1 ** 2


def sig(x):
    return 1 / (1 + np.exp(-x))


@pytest.mark.parametrize("mean, var", [(0, 0.5), (0.3, 2.0)])
def test_quadrature_against_a_trapezoid_rule(mean, var):
    spec = parse_spec(SPEC.replace("MEAN", str(mean)).replace("VAR", str(var)))
    cases = [("a", "Var(h)", lambda x: np.tanh(x), 1), ("b", "Var(s)", sig, 1),
             ("c", "E(g)", lambda x: x * sig(1.702 * x), 0)]
    for label, quantity, f, which in cases:
        ans = solve_part(spec, label)
        assert ans.status == "derived" and ans.verified, ans.message
        got = float(next(r.value for r in ans.results if r.label == quantity))
        want = reference(f, mean, var)[which]
        assert abs(got - want) < 1e-7, (label, got, want)
        assert any(st.why == "numeric quadrature" for st in ans.steps)


def test_without_numeric_the_bound_stays():
    spec = parse_spec(SPEC.replace("MEAN", "0").replace("VAR", "0.5"))
    ans = solve_part(spec, "d")
    assert next(r for r in ans.results if r.label == "Var(h)").relation == "≤"
