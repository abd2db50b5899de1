"""Laws with parameters (issue 14, item 4): `uniform(a, b)` on an interval and Student's
`t(nu)` with heavy tails, mixed with moment-only assumptions.

- parsing: the keyed form `{distribution: uniform, low: -1, high: 3}` and the call form
  `distribution: 'uniform(-1, 3)'` (read by the notation parser) are the same law;
- the implied mean and variance, and the powers' moments, against closed forms computed
  here (SymPy integration against the uniform density; the t law's even moments by the
  Gamma function), and against a NumPy Monte Carlo of our own;
- a variance part derived end to end and verified by the engine's Monte Carlo;
- the errors: bad parameters, an inconsistent given moment, a moment that does not exist.
"""
from __future__ import annotations

import math

import numpy as np
import pytest
import sympy as sp

from derive.answers import solve_part
from derive.core.errors import DerivationError, SpecError
from derive.engines.moments.algebra import Assumption, as_assumptions
from derive.engines.moments.propagate import propagate
from derive.front.resolve import build_program
from derive.front.spec import parse_spec

N = 400_000
Z = 4.5
z = sp.Symbol("z", real=True)

SPEC = """
id: dist_mix
title: A layer with uniform weights and heavy-tailed inputs
source: a test of issue 14
index: {i: n, j: m}
symbols:
  a: {positive: true}
  nu: {range: '(4, inf)'}
tensors:
  x: {shape: [i], role: input}
  W: {shape: [j, i], role: parameter}
  B: {shape: [j], role: parameter}
  z: {shape: [j]}
  y: {shape: [j]}
program: |
  z[j] = W[j, I] * x[I] + B[j]
  y[j] = W[j, I] * x[I]
sizes: {n: 5, m: 3}
assume:
  ASSUME
parts:
  a: {ask: variance, of: z, text: "The variance of z."}
  b: {ask: variance, of: y, text: "The variance of y."}
"""

BASE = ("x: {distribution: t, nu: 5}\n  W: {distribution: uniform, low: '-a', high: a}\n"
        "  B: {mean: 0, variance: 1}")


def spec_with(assume=BASE):
    return parse_spec(SPEC.replace("ASSUME", assume), "dist_mix.yaml")


def program(make_scope, text, inputs=("u",), computed=("y",)):
    tensors = {n: ("", "input") for n in inputs}
    tensors.update({n: ("", "computed") for n in computed})
    return build_program(text, make_scope({}, tensors))


def derived(make_scope, text, assume):
    return propagate(program(make_scope, text), as_assumptions(assume)).rv("y")


def law(dist, **params):
    """An Assumption as the spec reader normalizes it (the implied moments filled in)."""
    if dist == "uniform":
        lo, hi = sp.sympify(params["low"]), sp.sympify(params["high"])
        return Assumption((lo + hi) / 2, (hi - lo) ** 2 / 12, True, True, "uniform",
                          low=lo, high=hi)
    nu = sp.sympify(params["nu"])
    return Assumption(sp.S.Zero, nu / (nu - 2), True, True, "t", nu=nu, nu_low=(nu, False))


def uniform_moment(f, lo, hi):
    return sp.integrate(f(z), (z, lo, hi)) / (hi - lo)


def t_even_moment(nu, k):
    """E[T^k] of Student's t by the Gamma function: nu^(k/2) G((k+1)/2) G((nu-k)/2) /
    (sqrt(pi) G(nu/2)); 0 for odd k."""
    if k % 2:
        return sp.S.Zero
    return sp.simplify(nu ** sp.Rational(k, 2) * sp.gamma(sp.Rational(k + 1, 2))
                       * sp.gamma((nu - k) / sp.Integer(2)) / (sp.sqrt(sp.pi)
                                                              * sp.gamma(nu / sp.Integer(2))))


def monte_carlo(y, mean, var, z_=Z):
    n = len(y)
    assert abs(y.mean() - float(sp.N(mean))) <= z_ * y.std() / math.sqrt(n) + 1e-12
    c = (y - y.mean()) ** 2
    assert abs(c.mean() - float(sp.N(var))) <= z_ * c.std() / math.sqrt(n) + 1e-12


# ---- parsing ------------------------------------------------------------------------


def test_the_keyed_and_the_call_forms_are_the_same_law():
    keyed = spec_with("x: {distribution: t, nu: 5}\n  W: {distribution: uniform, low: -1, "
                      "high: 3}\n  B: {distribution: bernoulli, mean: '1/4'}").assume
    call = spec_with("x: {distribution: 't(5)'}\n  W: {distribution: 'uniform(-1, 3)'}\n"
                     "  B: {distribution: 'bernoulli(1/4)'}").assume
    assert keyed == call
    assert call["W"] == {"mean": 1, "variance": sp.Rational(4, 3), "symmetric": True,
                         "independent": True, "distribution": "uniform", "low": -1, "high": 3}
    assert call["x"]["variance"] == sp.Rational(5, 3) and call["x"]["mean"] == 0
    assert call["x"]["symmetric"] and call["x"]["nu"] == 5
    assert call["B"]["variance"] == sp.Rational(3, 16) and not call["B"]["symmetric"]


def test_symbolic_parameters():
    s = spec_with("x: {distribution: 't(nu)'}\n  W: {distribution: 'uniform(-a, 2*a)'}\n"
                  "  B: {mean: 0, variance: 1}")
    a, nu = s.symbols["a"], s.symbols["nu"]
    assert sp.simplify(s.assume["W"]["mean"] - a / 2) == 0
    assert sp.simplify(s.assume["W"]["variance"] - 3 * a ** 2 / 4) == 0
    assert sp.simplify(s.assume["x"]["variance"] - nu / (nu - 2)) == 0
    assert s.assume["x"]["nu_low"] == (4, True)


def test_a_consistent_given_moment_is_accepted():
    s = spec_with("x: {distribution: t, nu: 6, variance: '3/2', mean: 0}\n"
                  "  W: {distribution: uniform, low: 0, high: 6, mean: 3, variance: 3}\n"
                  "  B: {mean: 0, variance: 1}")
    assert s.assume["x"]["variance"] == sp.Rational(3, 2) and s.assume["W"]["variance"] == 3


def test_the_uniform_law_by_its_moments_still_works():
    s = spec_with("x: {distribution: uniform, mean: 0, variance: 1}\n"
                  "  W: {mean: 0, variance: 1}\n  B: {constant: 0}")
    assert s.assume["x"]["distribution"] == "uniform" and "low" not in s.assume["x"]


@pytest.mark.parametrize("assume, key, message", [
    ("x: {distribution: t, nu: 2}", "assume.x.nu", r"t\(2\) has no finite variance"),
    ("x: {distribution: 't(3/2)'}", "assume.x.distribution", r"t\(3/2\) has no finite "
                                                              r"variance"),
    ("x: {distribution: t, nu: 0}", "assume.x.nu", r"must be positive"),
    ("x: {distribution: t}", "assume.x.nu", r"missing required key"),
    ("x: {distribution: 't(a)'}", "assume.x.distribution",
     r"finite variance only for nu > 2.*range of a"),
    ("x: {distribution: t, nu: 5, variance: 1}", "assume.x.variance",
     r"t\(5\) has variance 5/3 \(leave variance out\)"),
    ("x: {distribution: t, nu: 5, mean: 1}", "assume.x.mean", r"t\(5\) has mean 0"),
    ("x: {distribution: uniform, low: 3, high: 3}", "assume.x.high",
     r"low must be below high"),
    ("x: {distribution: 'uniform(1, -1)'}", "assume.x.distribution",
     r"low must be below high"),
    ("x: {distribution: uniform, low: 'a', high: 'nu'}", "assume.x.high",
     r"cannot tell that low is below high"),
    ("x: {distribution: uniform, low: -1}", "assume.x.high", r"missing required key"),
    ("x: {distribution: uniform, low: -1, high: 1, variance: 1}", "assume.x.variance",
     r"uniform\(-1, 1\) has variance 1/3"),
    ("x: {distribution: 'uniform(1)'}", "assume.x.distribution", r"uniform takes 2 "
                                                                r"parameters"),
    ("x: {distribution: 'gamma(2)'}", "assume.x.distribution", r"expected a law such as"),
    ("x: {distribution: 't(5)', nu: 5}", "assume.x.nu", r"nu is given twice"),
    ("x: {distribution: normal, nu: 5, variance: 1}", "assume.x.nu",
     r"nu is a parameter of a t law"),
    ("x: {distribution: t, nu: 5, symmetric: false}", "assume.x.symmetric",
     r"a t distribution is symmetric"),
])
def test_bad_parameters_are_errors_naming_the_key(assume, key, message):
    with pytest.raises(SpecError, match=message) as e:
        spec_with(assume + "\n  W: {mean: 0, variance: 1}\n  B: {constant: 0}")
    assert key in str(e.value)


# ---- implied moments and rows against closed forms -------------------------------------


@pytest.mark.parametrize("lo, hi", [(-1, 3), (0, 1), (sp.Rational(-1, 2), 2)])
def test_uniform_powers_and_exp_against_the_density(make_scope, lo, hi):
    lo, hi = sp.sympify(lo), sp.sympify(hi)
    a = law("uniform", low=lo, high=hi)
    assert sp.simplify(a.mean - uniform_moment(lambda x: x, lo, hi)) == 0
    assert sp.simplify(a.variance - uniform_moment(lambda x: (x - a.mean) ** 2, lo, hi)) == 0
    for p in (2, 3, 4):
        r = derived(make_scope, f"y = u**{p}", {"u": a})
        mean = uniform_moment(lambda x: x ** p, lo, hi)
        top = uniform_moment(lambda x: x ** (2 * p), lo, hi)
        assert sp.simplify(r.mean - mean) == 0 and sp.simplify(r.var - (top - mean ** 2)) == 0
    r = derived(make_scope, "y = exp(u)", {"u": a})
    m1, m2 = (uniform_moment(lambda x, k=k: sp.exp(k * x), lo, hi) for k in (1, 2))
    assert abs(float(sp.N(r.mean - m1))) < 1e-9 and abs(float(sp.N(r.var - (m2 - m1 ** 2)))) \
        < 1e-9
    u = np.random.default_rng(5).uniform(float(lo), float(hi), N)
    monte_carlo(u ** 2, derived(make_scope, "y = u**2", {"u": a}).mean,
                derived(make_scope, "y = u**2", {"u": a}).var)


@pytest.mark.parametrize("nu", [3, 5, 7, sp.Rational(9, 2), 10])
def test_t_moments_against_the_gamma_function(make_scope, nu):
    nu = sp.sympify(nu)
    a = law("t", nu=nu)
    assert sp.simplify(a.variance - t_even_moment(nu, 2)) == 0
    r = derived(make_scope, "y = u", {"u": a})
    assert r.mean == 0 and sp.simplify(r.var - nu / (nu - 2)) == 0
    if nu > 4:
        r = derived(make_scope, "y = u**2", {"u": a})
        assert sp.simplify(r.mean - nu / (nu - 2)) == 0
        assert sp.simplify(r.var + r.mean ** 2 - 3 * nu ** 2 / ((nu - 2) * (nu - 4))) == 0
        assert sp.simplify(r.var + r.mean ** 2 - t_even_moment(nu, 4)) == 0
    else:
        with pytest.raises(DerivationError, match=rf"t\({nu}\) has no finite fourth moment"):
            derived(make_scope, "y = u**2", {"u": a})


def test_a_scaled_and_shifted_t_keeps_its_law(make_scope):
    """3 u + 1 for u ~ t(10): a t law of mean 1 and variance 9 * 10/8; the fourth central
    moment scales by 3^4."""
    a = law("t", nu=10)
    r = derived(make_scope, "y = (3*u + 1)**2", {"u": a})
    m2 = 9 * t_even_moment(10, 2) + 1
    m4 = 81 * t_even_moment(10, 4) + 6 * 9 * t_even_moment(10, 2) + 1
    assert sp.simplify(r.mean - m2) == 0 and sp.simplify(r.var - (m4 - m2 ** 2)) == 0
    u = 3 * np.random.default_rng(6).standard_t(10, N) + 1
    monte_carlo(u, 1, sp.Rational(90, 8))


def test_t4_has_no_finite_fourth_moment(make_scope):
    with pytest.raises(DerivationError, match=r"t\(4\) has no finite fourth moment, so "
                                              r"E\[u\*\*4\] is infinite"):
        derived(make_scope, "y = u**2", {"u": law("t", nu=4)})
    with pytest.raises(DerivationError, match=r"t\(5\) has no finite sixth moment"):
        derived(make_scope, "y = u**3", {"u": law("t", nu=5)})


def test_exp_of_a_t_entry_has_no_mean(make_scope):
    with pytest.raises(DerivationError, match=r"no moment generating function"):
        derived(make_scope, "y = exp(u)", {"u": law("t", nu=30)})


def test_step_and_relu_of_a_t_entry(make_scope):
    r = derived(make_scope, "y = step(u)", {"u": law("t", nu=3)})
    assert r.mean == sp.Rational(1, 2) and r.var == sp.Rational(1, 4) and not r.bound
    r = derived(make_scope, "y = relu(u)", {"u": law("t", nu=5)})
    assert sp.simplify(r.var + r.mean ** 2 - sp.Rational(5, 6)) == 0


# ---- end to end: a variance part, derived and verified ---------------------------------


def test_var_of_uniform_weights_times_t_inputs_end_to_end():
    spec = spec_with()
    n, a = spec.program.symbols["n"], spec.symbols["a"]
    ans = solve_part(spec, "b", verify=True)
    var = {r.label: r.value for r in ans.results}["Var(y)"]
    want = n * (a ** 2 / 3) * sp.Rational(5, 3)      # n E[W^2] E[x^2]
    assert sp.simplify(var - want) == 0
    assert ans.verification.passed
    drawn = ans.verification.details()[-1]
    assert "Student's t with 5 degrees of freedom" in drawn and "uniform on [" in drawn
    # our own Monte Carlo: n = 5, a = 0.5
    rng = np.random.default_rng(7)
    W = rng.uniform(-0.5, 0.5, (N // 10, 5))
    x = rng.standard_t(5, (N // 10, 5))
    y = (W * x).sum(axis=1)
    monte_carlo(y, 0, want.subs({n: 5, a: sp.Rational(1, 2)}))


def test_mixed_with_a_moment_only_bias_and_a_symbolic_nu():
    spec = spec_with("x: {distribution: 't(nu)'}\n  W: {distribution: 'uniform(-a, a)'}\n"
                     "  B: {mean: 0, variance: 1}")
    n, a, nu = spec.program.symbols["n"], spec.symbols["a"], spec.symbols["nu"]
    ans = solve_part(spec, "a", verify=True)
    var = {r.label: r.value for r in ans.results}["Var(z)"]
    assert sp.simplify(var - (n * a ** 2 / 3 * nu / (nu - 2) + 1)) == 0
    assert ans.verification.passed
    # nu took values inside its range (4, inf)
    assert "nu=5" in " ".join(ans.verification.details())


def test_the_assumptions_are_printed_with_the_laws_parameters():
    from derive.present.steps import assumption_text
    ans = solve_part(spec_with(), "b", verify=False)
    texts = [assumption_text(a) for a in ans.assumptions]
    assert any(t.startswith("x: t(5), mean 0, variance 5/3") for t in texts)
    assert any(t.startswith("W: uniform(-a, a), mean 0, variance a^2/3") for t in texts)
