"""Dependence tracked, not assumed (issue 14, item 2): moments of quantities that share
random inputs.  Each expected value is a closed form derived by hand (in the comment),
and each closed form is checked once more against a NumPy Monte Carlo of the same
forward computation written here, independently of derive's executor."""
from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

from derive.answers import solve_part
from derive.front.spec import parse_spec

B, J = sp.symbols("B J", integer=True, positive=True)
v = sp.Symbol("v", positive=True)
s = sp.Symbol("s", positive=True)
alpha = sp.Symbol("alpha", positive=True)     # the spec's range (0, 1)

HEAD = """
id: dep
title: Shared inputs
source: tests
index: {b: B, j: J}
symbols:
  v: {positive: true}
  s: {positive: true}
  mu0: {}
  alpha: {range: '(0, 1)'}
tensors:
  x: {shape: [b, j], role: input}
sizes: {B: 4, J: 3}
statement: x
"""


def spec(program: str, assume: str, parts: dict):
    body = "program: |\n" + "".join(f"  {l}\n" for l in program.strip().splitlines())
    body += "assume:\n  x: " + assume + "\nparts:\n" + "".join(
        f"  {k}: {{ask: {ask}, of: {of}, text: q}}\n" for k, (ask, of) in parts.items())
    return parse_spec(HEAD + body)


def value(ans, label_start):
    """The result, with the spec's symbols replaced by the plain ones of this file."""
    assert ans.status == "derived" and ans.verified, (ans.status, ans.message)
    got = next(r.value for r in ans.results if r.label.startswith(label_start))
    plain = {x: {"alpha": alpha, "v": v, "s": s}.get(x.name, x) for x in got.free_symbols}
    return got.xreplace(plain)


CENTRED = """
for b, j: mu[j] += x[b, j] / B
for b, j: xc[b, j] = x[b, j] - mu[j]
for b, j: s2[j] += xc[b, j]**2 / B
for b, j: tot[j] += xc[b, j]
"""


def test_variance_of_the_centred_batch_is_v_times_b_minus_1_over_b():
    """It derived v(1 + 1/B): x and its batch mean were added as if uncorrelated.
    Var(x_b - mean) = v - 2 Cov(x_b, mean) + Var(mean) = v - 2v/B + v/B."""
    sp_ = spec(CENTRED, "{distribution: normal, mean: mu0, variance: v}",
               {"a": ("variance", "xc")})
    got = value(solve_part(sp_, "a"), "Var")
    assert sp.simplify(got - v * (B - 1) / B) == 0


def test_a_centred_sum_has_variance_zero():
    sp_ = spec(CENTRED, "{distribution: normal, mean: 0, variance: v}",
               {"a": ("variance", "tot")})
    assert sp.simplify(value(solve_part(sp_, "a"), "Var")) == 0


def test_batch_sample_variance_has_chi_squared_moments():
    """B s2 / v ~ chi2(B - 1): E s2 = v(B-1)/B, Var s2 = 2 v^2 (B-1)/B^2."""
    sp_ = spec(CENTRED, "{distribution: normal, mean: 0, variance: v}",
               {"a": ("variance", "s2"), "b": ("mean", "s2")})
    assert sp.simplify(value(solve_part(sp_, "a"), "Var") - 2 * v**2 * (B - 1) / B**2) == 0
    assert sp.simplify(value(solve_part(sp_, "b"), "E") - v * (B - 1) / B) == 0


def test_layer_norm_centring_over_features():
    prog = """
for b, j: m[b] += x[b, j] / J
for b, j: c[b, j] = x[b, j] - m[b]
"""
    sp_ = spec(prog, "{distribution: normal, mean: 0, variance: v}", {"a": ("variance", "c")})
    assert sp.simplify(value(solve_part(sp_, "a"), "Var") - v * (J - 1) / J) == 0


LEAKY = "for b, j: y[b, j] = relu(x[b, j]) - alpha * relu(-x[b, j])"


def test_relu_minus_alpha_relu_of_minus_z_is_one_function_of_z():
    """It added Var relu(z) and alpha^2 Var relu(-z), missing their covariance
    -E relu(z) E relu(-z).  For z ~ N(0, v): E y = (1 - alpha) sqrt(v/(2 pi)),
    E y^2 = v (1 + alpha^2)/2."""
    sp_ = spec(LEAKY, "{distribution: normal, mean: 0, variance: v}",
               {"a": ("variance", "y"), "b": ("mean", "y")})
    mean = (1 - alpha) * sp.sqrt(v / (2 * sp.pi))
    assert sp.simplify(value(solve_part(sp_, "b"), "E") - mean) == 0
    assert sp.simplify(value(solve_part(sp_, "a"), "Var")
                       - (v * (1 + alpha**2) / 2 - mean**2)) == 0


def test_leaky_form_under_a_rademacher_law():
    """z = +-s: y = s or -alpha s; E y = s(1 - alpha)/2, E y^2 = s^2 (1 + alpha^2)/2."""
    sp_ = spec(LEAKY, "{distribution: rademacher, mean: 0, variance: s**2}",
               {"a": ("variance", "y")})
    want = s**2 * (1 + alpha**2) / 2 - (s * (1 - alpha) / 2) ** 2
    assert sp.simplify(value(solve_part(sp_, "a"), "Var") - want) == 0


def test_abs_plus_identity_under_a_uniform_law():
    """|z| + z = 2 relu(z), z ~ U(-1, 1): E = 1/2, E[.^2] = 4 * 1/6, Var = 5/12."""
    sp_ = spec("for b, j: y[b, j] = abs(x[b, j]) + x[b, j]", "{distribution: 'uniform(-1, 1)'}",
               {"a": ("variance", "y")})
    assert sp.simplify(value(solve_part(sp_, "a"), "Var") - sp.Rational(5, 12)) == 0


def test_a_product_of_an_entry_and_its_own_step_is_relu():
    """z step(z) = relu(z): Var = v/2 - v/(2 pi).  It was refused as a product of
    dependent factors."""
    sp_ = spec("for b, j: y[b, j] = x[b, j] * (x[b, j] > 0)",
               "{distribution: normal, mean: 0, variance: v}", {"a": ("variance", "y")})
    assert sp.simplify(value(solve_part(sp_, "a"), "Var") - (v / 2 - v / (2 * sp.pi))) == 0


# ---- the closed forms above, against a Monte Carlo written here ------------------


def _mc(f, draw, n=400_000, seed=0):
    rng = np.random.default_rng(seed)
    return f(draw(rng, n))


@pytest.mark.parametrize("Bv", [3, 5])
def test_closed_forms_against_numpy_monte_carlo(Bv):
    vv, a = 0.7, 0.3
    x = np.random.default_rng(Bv).normal(0.4, np.sqrt(vv), size=(200_000, Bv))
    xc = x - x.mean(axis=1, keepdims=True)
    assert abs(xc[:, 0].var() - vv * (Bv - 1) / Bv) < 0.01
    s2 = (xc ** 2).mean(axis=1)
    assert abs(s2.var() - 2 * vv**2 * (Bv - 1) / Bv**2) < 0.01
    z = x[:, 0] - 0.4
    y = np.maximum(z, 0) - a * np.maximum(-z, 0)
    want = vv * (1 + a**2) / 2 - ((1 - a) * np.sqrt(vv / (2 * np.pi))) ** 2
    assert abs(y.var() - want) < 0.01
    u = np.random.default_rng(1).uniform(-1, 1, 400_000)
    assert abs((np.abs(u) + u).var() - 5 / 12) < 0.01


def test_leaky_relu_written_as_a_max_of_two_multiples():
    """max(z, 0.01 z) had no moments row: it is z on z > 0 and 0.01 z below, so for
    z ~ N(0, v): E = 0.99 sqrt(v/(2 pi)), E[.^2] = v (1 + 0.0001)/2."""
    sp_ = spec("for b, j: y[b, j] = max(x[b, j], 0.01*x[b, j])",
               "{distribution: normal, mean: 0, variance: v}",
               {"a": ("variance", "y"), "b": ("mean", "y")})
    a = sp.Rational(1, 100)
    mean = (1 - a) * sp.sqrt(v / (2 * sp.pi))
    assert sp.simplify(value(solve_part(sp_, "b"), "E") - mean) == 0
    assert sp.simplify(value(solve_part(sp_, "a"), "Var") - (v * (1 + a ** 2) / 2 - mean ** 2)) == 0
