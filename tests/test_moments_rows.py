"""The moments engine beyond relu, sigma and tanh (issue 14, items 1, 3 and 6).

- only the statements a part needs are analysed: a log loss after the layer asked
  about no longer stops its variance part;
- more rows of the moments table (step and the comparison (u > 0), abs, exp, integer
  powers of normal, uniform, rademacher and bernoulli entries, a bernoulli mask times
  a value), each checked against a closed form computed here, independently of the
  engine (SymPy integration against the density, or a sum over the two values of a
  two-point law), and against a NumPy Monte Carlo of its own;
- where the table has no closed form, the message names the part and the term.
"""
from __future__ import annotations

import math

import numpy as np
import pytest
import sympy as sp

from derive.answers import solve_part
from derive.core.errors import DerivationError
from derive.engines.moments.algebra import BOUND, Assumption
from derive.engines.moments.propagate import propagate
from derive.front.resolve import build_program
from derive.front.spec import parse_spec

N = 400_000
Z = 4.5
z = sp.Symbol("z", real=True)


def program(make_scope, text, inputs=("u", "g"), computed=("y",)):
    tensors = {n: ("", "input") for n in inputs}
    tensors.update({n: ("", "computed") for n in computed})
    return build_program(text, make_scope({}, tensors))


def derived(make_scope, text, assume):
    return propagate(program(make_scope, text), assume).rv("y")


# ---- independent closed forms: E[f(u)] against the density of the law ------------


def normal_mean(f, m, v):
    dens = sp.exp(-(z - m) ** 2 / (2 * v)) / sp.sqrt(2 * sp.pi * v)
    return sp.integrate(f(z) * dens, (z, -sp.oo, sp.oo))


def uniform_mean(f, m, v):
    h = sp.sqrt(3 * v)
    return sp.integrate(f(z), (z, m - h, m + h)) / (2 * h)


def two_point_mean(f, m, v):
    return (f(m - sp.sqrt(v)) + f(m + sp.sqrt(v))) / 2


CLOSED = {"normal": normal_mean, "uniform": uniform_mean, "rademacher": two_point_mean}
DRAW = {"normal": lambda rng, n: rng.standard_normal(n),
        "uniform": lambda rng, n: rng.uniform(-math.sqrt(3), math.sqrt(3), n),
        "rademacher": lambda rng, n: rng.integers(0, 2, n) * 2.0 - 1.0}


def close(a, b, tol=1e-9):
    return abs(float(sp.N(a)) - float(sp.N(b))) <= tol * max(1.0, abs(float(sp.N(b))))


def monte_carlo(y, mean, var):
    """The sample mean and variance of y agree with (mean, var) within Z errors."""
    n = len(y)
    assert abs(y.mean() - float(sp.N(mean))) <= Z * y.std() / math.sqrt(n) + 1e-12
    c = (y - y.mean()) ** 2
    assert abs(c.mean() - float(sp.N(var))) <= Z * c.std() / math.sqrt(n) + 1e-12


# ---- 1. only what the part needs ---------------------------------------------------

LOSS_SPEC = """
id: loss_log
title: A ReLU layer and a log loss
source: a test of issue 14
index: {i: n, j: m}
symbols:
  sigma_W: {positive: true}
  v: {positive: true}
tensors:
  x: {shape: [i], role: input}
  W: {shape: [j, i], role: parameter}
  z: {shape: [j]}
  h: {shape: [j]}
  t: {shape: [j], role: input}
  Loss: {latex: 'L'}
program: |
  z[j] = W[j, I] * x[I]
  h[j] = relu(z[j])
  Loss = -t[J] * log(sqrt(h[J]) + 1)
sizes: {n: 5, m: 3}
assume:
  x: {distribution: normal, mean: 0, variance: v}
  W: {mean: 0, variance: 'sigma_W^2', symmetric: true}
parts:
  a: {ask: variance, of: z, text: "The variance of z."}
  b: {ask: variance, of: x.grad, given: {z.grad: {mean: 0, variance: 1}},
      text: "The variance of x.grad."}
  c: {ask: mean, of: h, text: "The mean of h."}
"""


@pytest.fixture(scope="module")
def loss_spec():
    return parse_spec(LOSS_SPEC, "loss_log.yaml")


def test_a_log_loss_after_the_layer_does_not_stop_its_variance(loss_spec):
    from derive.engines.moments.algebra import spec_assumptions
    # the whole program cannot be analysed (no row for log, no assumption for t) ...
    with pytest.raises(DerivationError):
        propagate(loss_spec.program, spec_assumptions(loss_spec))
    # ... but the part needs only the first statement: derived and verified
    ans = solve_part(loss_spec, "a", verify=True)
    var = {r.label: r.value for r in ans.results}["Var(z)"]
    n, s, v = (loss_spec.program.symbols[k] for k in ("n", "sigma_W", "v"))
    assert sp.simplify(var - n * s ** 2 * v) == 0
    assert ans.verification.passed
    assert all(st.statement is None or st.statement.target_name == "z" for st in ans.steps)


def test_a_gradient_part_needs_only_the_statements_back_to_its_source(loss_spec):
    ans = solve_part(loss_spec, "b", verify=True)
    var = {r.label: r.value for r in ans.results}["Var(x.grad)"]
    m, s = loss_spec.program.symbols["m"], loss_spec.program.symbols["sigma_W"]
    assert sp.simplify(var - m * s ** 2) == 0 and ans.verification.passed


def test_the_message_names_the_part_and_the_term(loss_spec):
    with pytest.raises(DerivationError, match=r"loss_log:c.*no closed form for "
                                              r"E\(relu\(z\[j\]\)\)"):
        solve_part(loss_spec, "c", verify=False)


# ---- 3. step and the comparison indicator ------------------------------------------


@pytest.mark.parametrize("m, v", [(0, 2), (sp.Rational(1, 2), 2), (-1, sp.Rational(1, 3))])
def test_step_of_a_normal_argument(make_scope, m, v):
    r = derived(make_scope, "y = step(u)", {"u": Assumption(sp.sympify(m), sp.sympify(v),
                                                            m == 0, True, "normal")})
    p = normal_mean(lambda x: sp.Piecewise((1, x > 0), (0, True)), m, v)
    assert close(r.mean, p) and close(r.var, p * (1 - p))
    u = float(m) + math.sqrt(float(v)) * np.random.default_rng(1).standard_normal(N)
    monte_carlo((u > 0).astype(float), r.mean, r.var)


def test_hes_backward_condition_through_a_relu(make_scope):
    """Var(step(u) g) = E[step(u)] E[g^2] - E[step(u)]^2 E[g]^2 for g independent of a
    symmetric u with no atom at 0: E[g^2]/2 when g has mean 0 (He's backward fact)."""
    w, mu = sp.Rational(3, 2), sp.Rational(1, 2)
    for law in ("uniform", "normal"):
        for mean in (0, mu):
            r = derived(make_scope, "y = step(u) * g",
                        {"u": Assumption(0, sp.Integer(2), True, True, law),
                         "g": Assumption(sp.sympify(mean), w)})
            want = (w + mean ** 2) / 2 - mean ** 2 / 4
            assert sp.simplify(r.var - want) == 0 and not r.bound
            rng = np.random.default_rng(2)
            u = math.sqrt(2) * DRAW[law](rng, N)
            g = float(mean) + math.sqrt(float(w)) * (rng.exponential(1.0, N) - 1.0)
            monte_carlo((u > 0) * g, r.mean, r.var)


def test_step_of_a_symmetric_argument_that_may_be_0_is_only_bounded(make_scope):
    """A symmetric law known only by its moments may put mass at 0 (a product with a
    mask): P(u > 0) <= 1/2, so the backward variance is an upper bound."""
    r = derived(make_scope, "y = step(u) * g",
                {"u": Assumption(0, sp.Integer(2), True), "g": Assumption(0, sp.Integer(3))})
    assert r.bound and r.var == sp.Rational(3, 2)
    rng = np.random.default_rng(3)
    u = rng.laplace(0, 1, N) * (rng.random(N) < 0.5)        # symmetric, an atom at 0
    y = (u > 0) * math.sqrt(3) * rng.standard_normal(N)
    assert y.var() < 1.5


@pytest.mark.parametrize("text", ["y = (u > 0)", "y = (0 < u)", "y = (u >= 0)"])
def test_a_comparison_is_the_step(make_scope, text):
    r = derived(make_scope, text, {"u": Assumption(0, sp.Integer(1), True, True, "normal")})
    assert r.mean == sp.Rational(1, 2) and r.var == sp.Rational(1, 4)


def test_a_comparison_with_an_atom_at_0_is_refused_by_name(make_scope):
    with pytest.raises(DerivationError, match=r"no closed form for E\[\(u >= 0\)\].*may "
                                              r"be 0"):
        derived(make_scope, "y = (u >= 0)",
                {"u": Assumption(0, sp.Integer(1), True, True, "rademacher")})
    r = derived(make_scope, "y = (u > 0)",
                {"u": Assumption(0, sp.Integer(1), True, True, "rademacher")})
    assert r.mean == sp.Rational(1, 2)          # the two values -1, 1: no mass at 0


# ---- abs and exp ---------------------------------------------------------------------


@pytest.mark.parametrize("m, v", [(0, sp.Rational(4, 5)), (1, 2)])
def test_abs_of_a_normal_argument(make_scope, m, v):
    r = derived(make_scope, "y = abs(u)", {"u": Assumption(sp.sympify(m), sp.sympify(v),
                                                           m == 0, True, "normal")})
    mean = normal_mean(sp.Abs, m, v)
    second = normal_mean(lambda x: x ** 2, m, v)
    assert close(r.mean, mean) and close(r.var, second - mean ** 2)
    if m == 0:      # E|u| = sqrt(2 v / pi), E[u^2] = v
        assert sp.simplify(r.mean - sp.sqrt(2 * v / sp.pi)) == 0
        assert sp.simplify(r.var - v * (1 - 2 / sp.pi)) == 0
    u = float(m) + math.sqrt(float(v)) * np.random.default_rng(4).standard_normal(N)
    monte_carlo(np.abs(u), r.mean, r.var)


def test_abs_keeps_the_second_moment_under_any_law(make_scope):
    r = derived(make_scope, "y = abs(u) * g", {"u": Assumption(sp.Integer(1), sp.Integer(2)),
                                               "g": Assumption(0, sp.Integer(5))})
    assert r.var == 15 and not r.bound                  # E[u^2] E[g^2] = 3 * 5


@pytest.mark.parametrize("law", ["normal", "uniform", "rademacher"])
def test_exp_by_the_laws_moment_generating_function(make_scope, law):
    m, v = sp.Rational(1, 3), sp.Rational(1, 2)
    r = derived(make_scope, "y = exp(u)", {"u": Assumption(m, v, True, True, law)})
    mean = CLOSED[law](sp.exp, m, v)
    second = CLOSED[law](lambda x: sp.exp(2 * x), m, v)
    assert close(r.mean, mean) and close(r.var, second - mean ** 2)
    if law == "normal":     # log-normal: exp(m + v/2), (exp(v) - 1) exp(2m + v)
        assert sp.simplify(r.mean - sp.exp(m + v / 2)) == 0
        assert sp.simplify(r.var - (sp.exp(v) - 1) * sp.exp(2 * m + v)) == 0
    u = float(m) + math.sqrt(float(v)) * DRAW[law](np.random.default_rng(5), N)
    monte_carlo(np.exp(u), r.mean, r.var)


def test_exp_without_a_law_names_the_missing_moments(make_scope):
    with pytest.raises(DerivationError, match=r"no closed form for E\[exp\(u\)\] and "
                                              r"E\[exp\(u\)\^2\].*declare"):
        derived(make_scope, "y = exp(u)", {"u": Assumption(0, sp.Integer(1), True)})


# ---- powers --------------------------------------------------------------------------

FOURTH = {"normal": 3, "uniform": sp.Rational(9, 5), "rademacher": 1}      # E[u^4] / v^2
EIGHTH = {"normal": 105, "uniform": 9, "rademacher": 1}                     # E[u^8] / v^4


@pytest.mark.parametrize("law", ["normal", "uniform", "rademacher"])
@pytest.mark.parametrize("p", [2, 4])
def test_powers_of_an_entry(make_scope, law, p):
    v = sp.Symbol("v", positive=True)
    r = derived(make_scope, f"y = u**{p}", {"u": Assumption(0, v, True, True, law)})
    if p == 2:
        assert sp.simplify(r.mean - v) == 0
        assert sp.simplify(r.var - (FOURTH[law] - 1) * v ** 2) == 0
    else:
        assert sp.simplify(r.mean - FOURTH[law] * v ** 2) == 0
        assert sp.simplify(r.var - (EIGHTH[law] - FOURTH[law] ** 2) * v ** 4) == 0
    # the closed forms above, from the density, at v = 2/3 and a mean of 1/2 as well
    for m in (0, sp.Rational(1, 2)):
        value = sp.Rational(2, 3)
        r = derived(make_scope, f"y = u**{p}", {"u": Assumption(m, value, True, True, law)})
        mean = CLOSED[law](lambda x: x ** p, m, value)
        top = CLOSED[law](lambda x: x ** (2 * p), m, value)
        assert sp.simplify(r.mean - mean) == 0 and sp.simplify(r.var - (top - mean ** 2)) == 0
        u = float(m) + math.sqrt(float(value)) * DRAW[law](np.random.default_rng(6), N)
        monte_carlo(u ** p, r.mean, r.var)


def test_a_square_without_a_law_has_its_mean_and_names_the_fourth_moment(make_scope):
    r = derived(make_scope, "y = u**2", {"u": Assumption(sp.Integer(1), sp.Integer(2))})
    assert r.mean == 3
    assert "E(u**4)" in str(r.var)


def test_a_root_is_refused_by_name(make_scope):
    with pytest.raises(DerivationError, match=r"no closed form for the moments of "
                                              r"sqrt\(u\)"):
        derived(make_scope, "y = sqrt(u)", {"u": Assumption(sp.Integer(1), sp.Integer(2))})


# ---- a bernoulli mask times a value (dropout) ----------------------------------------


@pytest.mark.parametrize("mu", [0, sp.Rational(1, 2)])
def test_inverted_dropout(make_scope, mu):
    """Var(m x / q) = E[m^2] E[x^2] / q^2 - (E[m] E[x] / q)^2 = (v + mu^2)/q - mu^2."""
    q, v = sp.Rational(4, 5), sp.Rational(3, 2)
    mask = Assumption(q, q * (1 - q), False, True, "bernoulli")
    r = derived(make_scope, f"y = u * g / ({q})",
                {"u": mask, "g": Assumption(sp.sympify(mu), v)})
    # E[m^2] by the two values of the mask: 0 with probability 1 - q, 1 with q
    second_mask = q * 1 ** 2 + (1 - q) * 0 ** 2
    assert sp.simplify(r.mean - mu) == 0
    assert sp.simplify(r.var - (second_mask * (v + mu ** 2) / q ** 2 - mu ** 2)) == 0
    rng = np.random.default_rng(7)
    m = (rng.random(N) < float(q)).astype(float)
    g = float(mu) + math.sqrt(float(v)) * rng.standard_normal(N)
    monte_carlo(m * g / float(q), r.mean, r.var)


def test_a_mask_squared_is_itself(make_scope):
    q = sp.Symbol("q", positive=True)
    r = derived(make_scope, "y = u**2", {"u": Assumption(q, q * (1 - q), False, True,
                                                         "bernoulli")})
    assert r.mean == q and sp.simplify(r.var - q * (1 - q)) == 0


def test_the_new_rows_verify_inside_a_spec():
    """He's backward condition, dropout, abs, a comparison, z^4 and exp in one spec:
    every part derived and checked by the engine's own Monte Carlo."""
    text = """
id: rows
title: More rows
source: a test of issue 14
index: {i: n, j: m}
symbols:
  sigma_W: {positive: true}
  v: {positive: true}
  q: {range: '(0, 1)'}
tensors:
  z0: {shape: [i], role: input}
  h: {shape: [i]}
  W: {shape: [j, i], role: parameter}
  z1: {shape: [j]}
  mk: {shape: [j], role: input}
  d: {shape: [j]}
  a: {shape: [i]}
  s: {shape: [i]}
  g: {shape: [i]}
program: |
  h[i] = relu(z0[i])
  z1[j] = W[j, I] * h[I]
  d[j] = mk[j] * z1[j] / q
  a[i] = abs(z0[i]) + (z0[i] > 0)
  s[i] = z0[i]**4
  g[i] = exp(z0[i])
sizes: {n: 5, m: 3}
assume:
  z0: {distribution: normal, mean: 0, variance: v}
  W: {mean: 0, variance: 'sigma_W^2', symmetric: true}
  mk: {distribution: bernoulli, mean: q}
parts:
  a: {ask: variance, of: z0.grad, given: {z1.grad: {mean: 0, variance: 1}}, text: "."}
  b: {ask: variance, of: d, text: "."}
  c: {ask: mean, of: a, text: "."}
  e: {ask: variance, of: s, text: "."}
  f: {ask: variance, of: g, text: "."}
"""
    spec = parse_spec(text, "rows.yaml")
    P = spec.program.symbols
    n, m, s, v, q = (P[k] for k in ("n", "m", "sigma_W", "v", "q"))
    want = {"a": ("Var(z0.grad)", m * s ** 2 / 2), "b": ("Var(d)", n * s ** 2 * v / (2 * q)),
            "c": ("E(a)", sp.sqrt(2 * v / sp.pi) + sp.Rational(1, 2)),
            "e": ("Var(s)", 96 * v ** 4), "f": ("Var(g)", (sp.exp(v) - 1) * sp.exp(v))}
    for label, (quantity, value) in want.items():
        ans = solve_part(spec, label, verify=True)
        got = {r.label: r for r in ans.results}[quantity]
        assert sp.simplify(got.value - value) == 0 and got.relation == "=", (label, got)
        assert ans.verification.passed, label
    assert BOUND not in [r.relation for r in solve_part(spec, "a", verify=False).results]


# ---- the new rows' steps are data, and print ------------------------------------------

STEPS = [
    ("step_normal", "y = step(u) * g", Assumption(sp.Integer(1), sp.Integer(2), False, True,
                                                  "normal")),
    ("step_symmetric", "y = step(u) * g", Assumption(0, sp.Integer(2), True, True, "uniform")),
    ("step_maybe_0", "y = step(u) * g", Assumption(0, sp.Integer(2), True)),
    ("step_unknown", "y = step(u)", Assumption(sp.Integer(1), sp.Integer(2))),
    ("step_two_point", "y = (u > 0)", Assumption(0, sp.Integer(2), True, True, "rademacher")),
    ("comparison", "y = (u >= 0)", Assumption(0, sp.Integer(2), True, True, "normal")),
    ("abs_normal", "y = abs(u)", Assumption(sp.Integer(1), sp.Integer(2), False, True,
                                            "normal")),
    ("abs_any", "y = abs(u)", Assumption(sp.Integer(1), sp.Integer(2))),
    ("exp_normal", "y = exp(u)", Assumption(sp.Integer(1), sp.Integer(2), True, True, "normal")),
    ("exp_uniform", "y = exp(u)", Assumption(0, sp.Integer(2), True, True, "uniform")),
    ("fourth_uniform", "y = u**4", Assumption(0, sp.Integer(2), True, True, "uniform")),
    ("square_any", "y = u**2", Assumption(sp.Integer(1), sp.Integer(2))),
    ("mask", "y = u**2 * g", Assumption(sp.Rational(1, 3), sp.Rational(2, 9), False, True,
                                        "bernoulli")),
]


@pytest.mark.parametrize("text, assumption", [r[1:] for r in STEPS], ids=[r[0] for r in STEPS])
def test_the_new_rows_steps_are_data_and_print(make_scope, text, assumption):
    from derive.present.latex import printer_for
    from derive.present.steps import step_latex, step_text
    from tests.test_moments_steps import check_step
    prog = program(make_scope, text)
    der = propagate(prog, {"u": assumption, "g": Assumption(0, sp.Integer(3))})
    spec = type("S", (), {"program": prog, "raw": {}})()
    assert any(st.kind == "fact" for st in der.steps)
    for st in der.steps:
        check_step(st, spec)
        assert step_latex(st, printer_for(spec), prog.indices)
        assert step_text(st, prog.indices)
