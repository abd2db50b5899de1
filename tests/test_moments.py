"""The moments engine: table rows by sampling, rules, recurrences, solving, Monte Carlo.

Tables, as in the rest of the suite: one row per moments-table function (each
checked against plain NumPy sampling, independent of the engine's own Monte
Carlo), one row per bundled moments part with its expected answer, one row per
spec mistake in the moments keys.
"""
from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pytest
import sympy as sp
from click.testing import CliRunner

from derive.cli import cli
from derive.core.errors import DerivationError, NotationError, SpecError, VerificationError
from derive.engines.moments.solve import APPROXIMATIONS, log1p_to_eps, power_to_exp
from derive.engines.moments.algebra import BOUND, Assumption, spec_assumptions
from derive.engines.moments.table import MOMENTS
from derive.core.functions import NOTATION_NAME
from derive.run.montecarlo import Claim, completeness, settings_for, verify_claims
from derive.engines.moments.recurrences import (check_recurrence,
                                                layer_recurrence,
                                                solve_recurrence)
from derive.engines.moments.propagate import derive_mean, derive_variance, propagate
from derive.front.resolve import build_program
from derive.answers import solve_part
from derive.front.moment_keys import APPROXIMATION_NAMES
from derive.front.spec import load_spec, parse_spec
from derive.front.folder import default_problems_dir

PROBLEMS = default_problems_dir()
N_SAMPLES = 400_000
Z = 4.0


def spec(name):
    return load_spec(PROBLEMS / f"{name}.yaml")


def scalar_program(make_scope, text, inputs=("u",), computed=("y",)):
    """`y = f(u)` style programs over scalar tensors."""
    tensors = {n: ("", "input") for n in inputs}
    tensors.update({n: ("", "computed") for n in computed})
    scope = make_scope({}, tensors)
    return build_program(text, scope)


# --------------------------------------------------------------------------
# the moments table, row by row, against NumPy sampling
# --------------------------------------------------------------------------

LAWS = {
    "normal": lambda rng, n: rng.standard_normal(n),
    "uniform": lambda rng, n: rng.uniform(-math.sqrt(3), math.sqrt(3), n),
    "laplace": lambda rng, n: rng.laplace(0, 1 / math.sqrt(2), n),
}
NUMPY = {"linear": lambda u: 3 * u + 2, "relu": lambda u: np.maximum(u, 0),
         "sigma": lambda u: 1 / (1 + np.exp(-u)), "tanh": np.tanh,
         "Phi": np.vectorize(lambda u: 0.5 * (1 + math.erf(u / math.sqrt(2)))),
         "step": lambda u: (u > 0).astype(float), "abs": np.abs, "exp": np.exp}

# (id, program, law of u, Var(u), derived mean, derived variance, relation)
#   relation "=": the sample moments match; BOUND: the sample variance is below the bound
ROWS = [
    ("linear", "y = 3*u + 2", "laplace", 0.8, 2, sp.Rational(36, 5), "="),
    ("relu_symmetric", "y = relu(u)", "uniform", 0.8, None, None, "second"),
    ("relu_normal", "y = relu(u)", "normal", 0.8, sp.sqrt(sp.Rational(2, 5) / sp.pi),
     sp.Rational(2, 5) - sp.Rational(2, 5) / sp.pi, "="),
    ("sigma", "y = sigma(u)", "laplace", 0.8, sp.Rational(1, 2), sp.Rational(1, 20), BOUND),
    ("sigma_wide", "y = sigma(u)", "uniform", 40.0, sp.Rational(1, 2), sp.Rational(5, 2),
     BOUND),
    ("tanh", "y = tanh(u)", "normal", 0.8, 0, sp.Rational(4, 5), BOUND),
    ("Phi_normal", "y = Phi(u)", "normal", 0.8, sp.Rational(1, 2),
     sp.asin(sp.Rational(4, 9)) / (2 * sp.pi), "="),
    ("Phi", "y = Phi(u)", "laplace", 0.8, sp.Rational(1, 2), 2 / (5 * sp.pi), BOUND),
    # more rows (with closed forms of their own in test_moments_rows.py)
    ("step_normal", "y = step(u)", "normal", 0.8, sp.Rational(1, 2), sp.Rational(1, 4), "="),
    ("abs_normal", "y = abs(u)", "normal", 0.8, sp.sqrt(sp.Rational(8, 5) / sp.pi),
     sp.Rational(4, 5) - sp.Rational(8, 5) / sp.pi, "="),
    ("exp_normal", "y = exp(u)", "normal", 0.8, sp.exp(sp.Rational(2, 5)),
     (sp.exp(sp.Rational(4, 5)) - 1) * sp.exp(sp.Rational(4, 5)), "="),
]


@pytest.mark.parametrize("text, law, var, mean, variance, relation",
                         [r[1:] for r in ROWS], ids=[r[0] for r in ROWS])
def test_moments_table_row_matches_sampling(make_scope, text, law, var, mean, variance,
                                            relation):
    prog = scalar_program(make_scope, text)
    dist = "normal" if law == "normal" else ("uniform" if law == "uniform" else None)
    assume = {"u": Assumption(0, sp.nsimplify(var), True, True, dist)}
    der = propagate(prog, assume)
    r = der.rv("y")
    rng = np.random.default_rng(7)
    u = math.sqrt(var) * LAWS[law](rng, N_SAMPLES)
    y = NUMPY[text.split("(")[0].split()[-1] if "(" in text else "linear"](u)
    if relation == "second":            # He's fact: E[relu(u)^2] = Var(u)/2, mean unknown
        assert sp.simplify(r.second - sp.nsimplify(var) / 2) == 0
        se = (y ** 2).std() / math.sqrt(N_SAMPLES)
        assert abs((y ** 2).mean() - var / 2) < Z * se
        return
    assert sp.simplify(r.mean - mean) == 0
    assert sp.simplify(r.var - variance) == 0
    assert der.relation("y") == relation
    se_mean = y.std() / math.sqrt(N_SAMPLES)
    assert abs(y.mean() - float(mean)) < Z * se_mean
    centred = (y - y.mean()) ** 2
    se_var = centred.std() / math.sqrt(N_SAMPLES)
    if relation == "=":
        assert abs(y.var() - float(variance)) < Z * se_var
    else:
        assert y.var() < float(variance) + Z * se_var
        if r.support is not None:         # the range gives a second bound: 1/4 for sigma
            lo, hi = (float(x) for x in r.support)
            assert y.var() <= (hi - lo) ** 2 / 4 and lo <= y.min() and y.max() <= hi


def test_every_function_of_the_table_has_a_row_test():
    tested = {r[1].split("(")[0].split()[-1] for r in ROWS if "(" in r[1]}
    assert tested == {NOTATION_NAME.get(f, f.__name__) for f in MOMENTS}


def test_relu_needs_a_symmetric_argument(make_scope):
    prog = scalar_program(make_scope, "y = relu(u)")
    with pytest.raises(DerivationError, match="argument of relu.*symmetric about 0"):
        propagate(prog, {"u": Assumption(0, sp.Integer(1))})


def test_a_function_without_a_row_is_named(make_scope):
    prog = scalar_program(make_scope, "y = log(u)")
    with pytest.raises(DerivationError, match="no closed form for the moments of log.*no row "
                                              "for the function 'log'"):
        propagate(prog, {"u": Assumption(0, sp.Integer(1), True)})


def test_sigma_of_an_asymmetric_argument_keeps_its_mean_unknown(make_scope):
    prog = scalar_program(make_scope, "y = sigma(u)")
    r = propagate(prog, {"u": Assumption(sp.Integer(1), sp.Integer(1), True)}).rv("y")
    assert str(r.mean).startswith("E(sigma(")
    assert r.var == sp.Rational(1, 16) and r.bound


# --------------------------------------------------------------------------
# rules over statements
# --------------------------------------------------------------------------


def test_product_of_independent_factors_with_nonzero_means(make_scope):
    # Var(XY) = E[X^2] E[Y^2] - E[X]^2 E[Y]^2 = (2 + 1)(4 + 9) - 1 * 9 = 30
    prog = scalar_program(make_scope, "y = u*w", ("u", "w"))
    der = propagate(prog, {"u": Assumption(sp.Integer(1), sp.Integer(2)),
                           "w": Assumption(sp.Integer(3), sp.Integer(4))})
    assert der.mean("y") == 3 and der.variance("y") == 30
    assert any(st.extra.get("rule") == "product" for st in der.steps)


def test_dependent_factors_are_refused(make_scope):
    prog = scalar_program(make_scope, "t = u*w\ny = t*u", ("u", "w"), ("t", "y"))
    with pytest.raises(DerivationError, match="not independent"):
        propagate(prog, {"u": Assumption(0, sp.Integer(1)), "w": Assumption(0, sp.Integer(1))})


def test_a_convolution_sums_d2j_terms_and_the_residual_adds_variances():
    s = spec("resnet_variance")
    der = propagate(s.program, spec_assumptions(s))
    D, J, sw = (s.size_symbols["D"], s.size_symbols["J"], s.symbols["sigma_W"])
    assert sp.simplify(der.variance("R") - D ** 2 * J * sw ** 2) == 0
    assert sp.simplify(der.variance("L1") - (1 + D ** 2 * J * sw ** 2)) == 0
    counts = [st.extra.get("count") for st in der.steps if st.extra.get("rule") == "sum"]
    assert counts == [D ** 2 * J]
    branch = [st for st in der.steps if st.extra.get("rule") == "branches"][-1]
    assert branch.why == "sum of uncorrelated terms" and branch.args["factor"] == "W"
    assert branch.extra["assumption"] == "exact" and not branch.assumptions
    assert not der.assumed


def test_a_sum_over_a_computed_tensor_states_its_assumption(make_scope):
    scope = make_scope({"i": "n"}, {"z": ("i", "input"), "h": ("i", "computed"),
                                    "y": ("", "computed")})
    prog = build_program("h[i] = relu(z[i])\ny = h[I]", scope)
    assume = {"z": Assumption(0, sp.Integer(2), True, True, "normal")}
    der = propagate(prog, assume)
    assert der.assumed and "uncorrelated" in der.assumed[0]
    # ... and says so where it is assumed: an assumption of the step of that sum
    (summed,) = [st for st in der.steps if st.extra.get("rule") == "sum"]
    assert [key for key, _ in summed.assumptions] == ["terms uncorrelated"]
    n = scope.sizes["n"]
    assert sp.simplify(der.variance("y") - n * (1 - 1 / sp.pi)) == 0
    # here the assumption holds (h[i] depends on z[i] alone): Monte Carlo agrees
    v = verify_claims(prog, assume, [Claim("Var(y)", "y", "variance", der.variance("y"))],
                      settings_for({"n": 4}, {}))
    assert v.passed


def test_derive_variance_and_mean_of_a_gradient():
    s = spec("glorot_init")
    assume = {**spec_assumptions(s), "y.grad": Assumption(0, s.symbols["g"])}
    var = derive_variance(s.program, assume, "x.grad")
    mean = derive_mean(s.program, assume, "x.grad")
    m, sw, g = s.size_symbols["m"], s.symbols["sigma_W"], s.symbols["g"]
    assert sp.simplify(var.value - m * sw ** 2 * g) == 0 and var.relation == "="
    assert mean.value == 0
    assert var.steps[0].kind == "backward"


def test_interior_entries_of_a_convolution():
    s = spec("resnet_variance")
    sizes = {"B": 1, "X": 5, "Y": 4, "J": 2, "D": 2}
    full = completeness(s.program, sizes, {})
    # interior: x + dx and y + dy in range for every dx, dy < D
    assert full["L1"].sum() == 1 * (5 - 1) * (4 - 1) * 2
    assert full["L1"][0, :4, :3, :].all() and not full["L1"][0, 4, :, :].any()


def test_tanh_of_an_asymmetric_argument_bounds_the_next_layer(make_scope):
    # E[tanh(z)] is unknown, but |tanh(z)| <= |z| caps E[tanh(z)^2] by E[z^2] = 1 + 1/4
    scope = make_scope({"i": "n"}, {"z": ("i", "input"), "w": ("i", "parameter"),
                                    "h": ("i", "computed"), "y": ("", "computed")})
    prog = build_program("h[i] = tanh(z[i])\ny = w[I] * h[I]", scope)
    assume = {"z": Assumption(sp.Rational(1, 2), sp.Integer(1), True),
              "w": Assumption(0, sp.Integer(1))}
    der = propagate(prog, assume)
    n = scope.sizes["n"]
    assert der.relation("y") == BOUND
    assert sp.simplify(der.variance("y") - n * sp.Rational(5, 4)) == 0
    v = verify_claims(prog, assume, [Claim("Var(y)", "y", "variance", der.variance("y"),
                                           BOUND)], settings_for({"n": 3}, {}))
    assert v.passed


def test_the_sample_axis_runs_the_same_program():
    from derive.run.execute import Executor, random_inputs
    from derive.run.montecarlo import MC_SIZE, with_samples
    from derive.engines.moments.propagate import backward_program
    s = spec("resnet_variance")
    bw = backward_program(s.program, {"L1.grad": Assumption(0, sp.Integer(1))}, ["L0"])
    sizes = {"B": 1, "X": 5, "Y": 4, "J": 2, "D": 2}
    inputs = random_inputs(bw.program, sizes, seed=3, names=["W", "L1.grad"])
    plain = Executor(bw.program, sizes)
    plain.env = {k: v.copy() for k, v in inputs.items()}
    plain.run()
    lifted = Executor(with_samples(bw.program), {**sizes, MC_SIZE: 1})
    lifted.env = {k: v[None].copy() for k, v in inputs.items()}
    lifted.run()
    np.testing.assert_allclose(lifted.array("L0.grad")[0], plain.array("L0.grad"))


# --------------------------------------------------------------------------
# recurrences
# --------------------------------------------------------------------------

l = sp.Symbol("l", integer=True, nonnegative=True)
L = sp.Symbol("L", integer=True, positive=True)
c = sp.Symbol("c", positive=True)
d = sp.Symbol("d", positive=True)

# (id, coefficient, offset, start, at, forward, expected closed form)
RECURRENCES = [
    ("initial", c, 0, 1, 0, True, c ** l),
    ("initial_with_offset", c, d, 1, 0, True, c ** l + d * (c ** l - 1) / (c - 1)),
    ("terminal_symbolic", c, 0, 1, L, False, c ** (L - l)),
    ("terminal_with_offset", c, d, 2, L, False, 2 * c ** (L - l) + d * (c ** (L - l) - 1)
     / (c - 1)),
]


@pytest.mark.parametrize("coefficient, offset, start, at, forward, expected",
                         [r[1:] for r in RECURRENCES], ids=[r[0] for r in RECURRENCES])
def test_recurrence_solver(coefficient, offset, start, at, forward, expected):
    closed, steps = solve_recurrence(coefficient, offset, start, l, at, forward)
    if isinstance(closed, sp.Piecewise):        # c = 1 not ruled out: its own piece
        (one, case), (closed, _) = closed.args
        assert case == sp.Eq(c, 1)
        assert sp.simplify(one - (start + offset * (l - at if forward else at - l))) == 0
    assert sp.simplify(closed - expected) == 0
    # the closed form satisfies the recurrence and its condition
    nxt, this = (closed.subs(l, l + 1), closed) if forward else (closed, closed.subs(l, l + 1))
    assert sp.simplify(sp.expand(nxt - coefficient * this - offset)) == 0
    assert sp.simplify(closed.subs(l, at) - start) == 0
    if not at == 0:
        assert steps[0].why == "count layers from the condition"


def test_layer_recurrence_of_the_residual_network_backwards():
    s = spec("resnet_variance")
    part = s.part("c")
    rc = part.args["recurrence"]
    rec = layer_recurrence(s.program, spec_assumptions(s, part), "L0.grad", rc["from"],
                           rc["layer"], rc["at"])
    D, J, sw = (s.size_symbols["D"], s.size_symbols["J"], s.symbols["sigma_W"])
    Lsym, lsym = s.symbols["L"], s.symbols["l"]
    assert sp.simplify(rec.closed - (1 + D ** 2 * J * sw ** 2) ** (Lsym - lsym)) == 0
    assert not rec.forward and rec.relation == "="
    assert check_recurrence(rec)


# --------------------------------------------------------------------------
# approximations
# --------------------------------------------------------------------------


def test_approximation_names_match_the_spec_validation():
    assert set(APPROXIMATIONS) == set(APPROXIMATION_NAMES)


def test_power_to_exp_replaces_one_plus_eps_to_the_n():
    eps, N = sp.symbols("eps N", positive=True)
    found, new = power_to_exp(3 * (1 + eps) ** N - 2)
    assert new == 3 * sp.exp(eps * N) - 2
    assert found[0][2] == {"eps": eps, "N": N}
    assert power_to_exp((1 + eps) ** 2)[0] == []       # a fixed power is left alone


def test_log1p_replaces_log_of_one_plus_eps():
    eps = sp.Symbol("eps", positive=True)
    assert log1p_to_eps(2 * sp.log(1 + eps))[1] == 2 * eps


def test_approximate_solution_is_stated_as_a_named_step():
    s = spec("resnet_variance")
    ans = solve_part(s, "b", verify=False)
    steps = [st for st in ans.steps if st.kind == "approximate"]
    assert steps and steps[0].why == "approximate a power by an exponential"
    assert steps[0].chain[1] == "≈" and steps[0].chain[2].func == sp.exp
    D, J = s.size_symbols["D"], s.size_symbols["J"]
    Lsym = s.symbols["L"]
    exact = [r for r in ans.results if r.relation == "="]
    approx = [r for r in ans.results if r.relation == "≈"]
    assert sp.simplify(exact[0].value - sp.sqrt((2 ** (1 / Lsym) - 1) / (D ** 2 * J))) == 0
    assert sp.simplify(approx[0].value - sp.sqrt(sp.log(2) / (Lsym * D ** 2 * J))) == 0


# --------------------------------------------------------------------------
# Monte Carlo catches wrong answers
# --------------------------------------------------------------------------

WRONG = [("init_variance", "y"), ("glorot_init", "y"), ("resnet_variance", "L1")]


@pytest.mark.parametrize("problem, tensor", WRONG, ids=[r[0] for r in WRONG])
def test_an_extra_factor_of_two_is_caught(problem, tensor):
    s = spec(problem)
    assume = spec_assumptions(s)
    right = derive_variance(s.program, assume, tensor).value
    settings = settings_for(s.default_sizes(), s.symbols)
    ok = verify_claims(s.program, assume, [Claim(f"Var({tensor})", tensor, "variance", right)],
                       settings)
    assert ok.passed and ok.worst <= 4
    with pytest.raises(VerificationError, match="fails its Monte Carlo check"):
        verify_claims(s.program, assume,
                      [Claim(f"Var({tensor})", tensor, "variance", 2 * right)], settings)


def test_a_bound_that_is_too_small_is_caught():
    s = spec("init_variance")
    v = verify_claims(s.program, spec_assumptions(s),
                      [Claim("Var(u)", "u", "variance", sp.Rational(1, 1000), BOUND)],
                      settings_for(s.default_sizes(), s.symbols), raise_on_failure=False)
    assert not v.passed and "FAILED" in v.summary()


# --------------------------------------------------------------------------
# every moments part of the bundled problems: derived, verified, as expected
# --------------------------------------------------------------------------


def names(problem):
    """The problem's sizes and symbols by name: the expected answers are built from them."""
    s = spec(problem)
    return SimpleNamespace(**s.size_symbols, **s.symbols)


# (problem, part, [(result label, relation, expected value: text, or built from the
#  problem's symbols)], layers stacked by the checks)
ONE_PASS = {0}
EXPECTED = [
    ("init_variance", "a", [("sigma_W", "=", lambda n: 1 / sp.sqrt(n.d)), ("E(y)", "=", lambda n: 0)], ONE_PASS),
    ("init_variance", "b", [("E(u)", "=", lambda n: sp.Rational(1, 2))], ONE_PASS),
    ("init_variance", "c", [("Var(u) compared with Var(y)", "=", "smaller")], ONE_PASS),
    ("init_variance", "d", [("max Var(u)", "=", lambda n: sp.Rational(1, 4))], ONE_PASS),
    ("resnet_variance", "a", [("sigma2(l)", "=", lambda n: (1 + n.D ** 2 * n.J * n.sigma_W ** 2) ** n.l)], {1, 2, 3}),
    ("resnet_variance", "b", [("sigma_W", "≈", lambda n: sp.sqrt(sp.log(2) / (n.L * n.D ** 2 * n.J))),
                              ("sigma_W", "=", lambda n: sp.sqrt((2 ** (1 / n.L) - 1) / (n.D ** 2 * n.J)))], {2, 3}),
    ("resnet_variance", "c", [("sigma2_grad(l)", "=",
                              lambda n: (1 + n.D ** 2 * n.J * n.sigma_W ** 2) ** (n.L - n.l))],
     {1, 2, 3}),
    ("he_init", "a", [("Var(z1)", "=", lambda n: n.n * n.sigma_W ** 2 * n.v / 2)], ONE_PASS),
    ("he_init", "b", [("sigma_W", "=", lambda n: sp.sqrt(2 / n.n))], ONE_PASS),
    ("he_init", "c", [("E(z1)", "=", lambda n: 0), ("z1", "is", "symmetric about 0")], ONE_PASS),
    ("he_init", "d", [("E(h)", "=", lambda n: sp.sqrt(n.v / (2 * sp.pi)))], ONE_PASS),
    ("he_init", "e", [("Var(z1) compared with Var(z0)", "=", "smaller")], ONE_PASS),
    ("glorot_init", "a", [("Var(y)", "=", lambda n: n.n * n.sigma_W ** 2 * n.v)], ONE_PASS),
    ("glorot_init", "b", [("Var(x.grad)", "=", lambda n: n.m * n.sigma_W ** 2 * n.g)], ONE_PASS),
    ("glorot_init", "c", [("sigma_W", "=", lambda n: 1 / sp.sqrt(n.n))], ONE_PASS),
    ("glorot_init", "d", [("sigma_W", "=", lambda n: 1 / sp.sqrt(n.m))], ONE_PASS),
    ("glorot_init", "e", [("sigma_W", "=", lambda n: sp.sqrt(2 / (n.n + n.m)))], ONE_PASS),
    ("glorot_init", "f", [("a", "=", lambda n: sp.sqrt(6 / (n.n + n.m)))], ONE_PASS),
]
MOMENT_PARTS = [(p, lab) for p in ("init_variance", "resnet_variance", "he_init",
                                   "glorot_init")
                for lab, part in spec(p).parts.items()
                if part.kind in ("variance", "mean", "solve", "choice")]


def test_every_moments_part_has_an_expected_answer():
    assert sorted((p, lab) for p, lab, *_ in EXPECTED) == sorted(MOMENT_PARTS)


@pytest.mark.parametrize("problem, label, expected, layers", EXPECTED,
                         ids=[f"{r[0]}:{r[1]}" for r in EXPECTED])
def test_moments_part_is_derived_and_verified(problem, label, expected, layers):
    s = spec(problem)
    ans = solve_part(s, label)
    assert ans.status == "derived" and ans.verified
    assert ans.steps and ans.assumptions     # what it assumes, as records
    v = ans.verification
    assert v.method.startswith("Monte Carlo") and v.worst <= 4
    # two sizes; recurrences by stacking layers (the attainment check of a bound has none)
    assert len({tuple(sorted(c.sizes.items())) for c in v.checks if c.sizes}) == 2
    assert {c.layers for c in v.checks} == layers
    if layers != ONE_PASS:      # a recurrence: its closed form is also checked symbolically
        assert any("satisfies" in line and "symbolic check" in line for line in v.details())
    for result, relation, value in expected:
        # the last result with this label: a backward recurrence comes before its closed
        # form, which has the same label
        found = [r for r in ans.results if r.label == result and r.relation == relation]
        assert found, [(r.label, r.relation, r.value) for r in ans.results]
        if isinstance(value, str):
            assert found[-1].value == value
        else:
            assert sp.simplify(found[-1].value - value(names(problem))) == 0


def test_choice_argument_uses_the_slope_of_the_sigmoid():
    ans = solve_part(spec("init_variance"), "c", verify=False)
    (slope,) = [st for st in ans.steps if st.why == "slope at most"]
    assert slope.args["top"] == sp.Rational(1, 4)
    argument = slope.chain[0].args[0].args[0]             # Var(sigma(y - B)) -> y - B
    assert slope.chain[-4:-2] == ("≤", sp.Function("Var")(argument) / 16)
    assert ans.steps[-1].kind == "choice" and ans.steps[-1].extra["option"] == "smaller"


# --------------------------------------------------------------------------
# the spec keys of moments parts: every mistake names its key path
# --------------------------------------------------------------------------

INIT = (PROBLEMS / "init_variance.yaml").read_text()
RESNET = (PROBLEMS / "resnet_variance.yaml").read_text()

# (id, spec text, old, new, key path, message fragment)
MISTAKES = [
    ("assume_unknown_key", INIT, "W: {mean: 0,", "W: {colour: red, mean: 0,",
     "assume.W.colour", "unknown key"),
    ("assume_without_variance", INIT, "x: {mean: 0, variance: 1}", "x: {mean: 0}",
     "assume.x.variance", "missing required key"),
    ("assume_unknown_distribution", INIT, "x: {mean: 0, variance: 1}",
     "x: {mean: 0, variance: 1, distribution: cauchy}", "assume.x.distribution",
     "unknown distribution 'cauchy'"),
    ("assume_constant_with_a_mean", INIT, "B: {constant: 0}", "B: {constant: 0, mean: 1}",
     "assume.B.mean", "a constant tensor has no mean"),
    ("assume_a_symbol", INIT, "B: {constant: 0}", "sigma_W: {constant: 0}",
     "assume.sigma_W", "a symbol"),
    ("assume_a_computed_tensor", INIT, "B: {constant: 0}", "y: {constant: 0}", "assume.y",
     "its moments are derived, not assumed"),
    ("assume_negative_variance", INIT, "x: {mean: 0, variance: 1}",
     "x: {mean: 0, variance: -1}", "assume.x.variance", "cannot be negative"),
    ("solve_for_unknown_symbol", INIT, "for: sigma_W", "for: tau", "parts.a.for",
     "expected a symbol"),
    ("condition_without_moment", INIT, "{of: 'Var(y)', equals: 1}",
     "{of: 'sigma_W', equals: 1}", "parts.a.condition.of", "names no moment"),
    ("choice_unknown_option", INIT, "[smaller, equal, larger]", "[smaller, maybe, larger]",
     "parts.c.options[1]", "unknown option 'maybe'"),
    ("choice_compare_unknown_tensor", INIT, "{of: u, with: y,", "{of: u, with: q,",
     "parts.c.compare.with", "unknown tensor 'q'"),
    ("bound_not_max", INIT, "bound: max", "bound: min", "parts.d.bound", "expected max"),
    ("approximation_unknown", RESNET, "approximate: power_to_exp", "approximate: taylor",
     "parts.b.approximate", "unknown approximation 'taylor'"),
    ("condition_part_without_recurrence", RESNET, "condition: {part: a,",
     "condition: {part: c2,", "parts.b.condition.part", "earlier variance part"),
    ("recurrence_without_at", RESNET, "{from: L0, layer: l, at: 0}", "{from: L0, layer: l}",
     "parts.a.recurrence.at", "missing required key"),
    ("recurrence_from_a_gradient_to_an_activation", RESNET, "{from: L0, layer: l, at: 0}",
     "{from: L1.grad, layer: l, at: 0}", "parts.a.recurrence.from", "both activations or"),
    ("recurrence_layer_not_integer", RESNET, "{from: L0, layer: l, at: 0}",
     "{from: L0, layer: sigma_W, at: 0}", "parts.a.recurrence.layer", "integer: true"),
    ("given_unknown_tensor", RESNET, "L1.grad: {mean: 0, variance: 1}",
     "Q.grad: {mean: 0, variance: 1}", "parts.c.given.Q.grad", "unknown tensor or symbol"),
]


@pytest.mark.parametrize("text, old, new, key, fragment", [r[1:] for r in MISTAKES],
                         ids=[r[0] for r in MISTAKES])
def test_moments_spec_mistake_names_its_key(text, old, new, key, fragment):
    assert text.count(old) == 1, old
    path = "problems/init_variance.yaml" if text is INIT else "problems/resnet_variance.yaml"
    with pytest.raises(SpecError) as info:
        parse_spec(text.replace(old, new), path)
    assert info.value.key == key
    assert fragment in info.value.message


def test_bad_expression_in_an_assumption_names_the_key_and_column():
    text = INIT.replace("variance: 'sigma_W^2'", "variance: 'sigma_W^2 + tau'")
    with pytest.raises(NotationError) as info:
        parse_spec(text, "problems/init_variance.yaml")
    err = info.value
    assert err.key == "assume.W.variance" and err.column == 13
    assert "unknown name 'tau'" in err.message


def test_assumption_values_are_parsed_exactly_not_evaluated():
    s = spec("glorot_init")
    w = s.part("f").args["given"]["W"]
    a = s.symbols["a"]
    assert w["variance"] == a ** 2 / 3 and w["distribution"] == "uniform" and w["symmetric"]


# --------------------------------------------------------------------------
# the command line
# --------------------------------------------------------------------------


def test_cli_solve_prints_the_resnet_answers_and_their_checks():
    result = CliRunner().invoke(cli, ["solve", "resnet_variance"])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "sigma2(l + 1) = (D**2*J*sigma_W**2 + 1)*sigma2(l)" in out
    assert "sigma2(l) = (D**2*J*sigma_W**2 + 1)**l" in out
    assert "sigma_W = sqrt(2**(1/L) - 1)/(D*sqrt(J))" in out
    assert "sigma_W ≈ sqrt(log(2)/(D**2*J*L))" in out
    assert "sigma2_grad(l) = (D**2*J*sigma_W**2 + 1)**(L - l)" in out
    assert out.count("Monte Carlo") >= 3 and "FAILED" not in out
    assert "L0.grad[b, x, y, j] += L1.grad[b, x, y, j]" in out


def test_cli_verify_reports_monte_carlo_checks():
    result = CliRunner().invoke(cli, ["verify", "init_variance", "he_init"])
    assert result.exit_code == 0, result.output
    lines = [l for l in result.output.splitlines() if l.startswith(("init_variance:",
                                                                    "he_init:"))]
    assert len(lines) == 9
    assert all("Monte Carlo" in l and l.rstrip().endswith("ok") for l in lines)


def test_cli_reports_an_underivable_moment_with_exit_1_and_the_reason(tmp_path):
    text = INIT.replace("W: {mean: 0, variance: 'sigma_W^2', symmetric: true}",
                        "W: {mean: 0, variance: 'sigma_W^2'}")
    text = text.replace("u = sigma(y - B)", "u = relu(y - B)")
    path = tmp_path / "init_variance.yaml"
    path.write_text(text)
    result = CliRunner().invoke(cli, ["solve", f"{path}:d"])
    assert result.exit_code == 1            # the part is not answered (as in verify)
    assert "symmetric about 0" in result.output and "Traceback" not in result.output


def test_cli_solve_json_has_results_and_checks():
    import json
    result = CliRunner().invoke(cli, ["solve", "glorot_init:e", "--format", "json"])
    assert result.exit_code == 0, result.output
    (ans,) = json.loads(result.output)
    got = [{k: r[k] for k in ("label", "relation", "value", "note")} for r in ans["results"]]
    assert {"label": "sigma_W", "relation": "=", "value": "sqrt(2/(m + n))",
            "note": "exact"} in got
    assert all("latex" in r and "tree" in r for r in ans["results"])
    assert ans["verification"]["passed"] and ans["verification"]["checks"]
