"""Regressions from a first-time instructor's specs (tests/instructor/LOG.md), each
named after what broke; the truth comes from a closed form worked by hand."""
from __future__ import annotations

import sympy as sp

from derive.engines.moments.solve import solve_for


def test_solved_sigma_w_is_denested_not_a_power_of_a_power():
    # (n sigma_W^2 / 2)^L = 1 was answered sigma_W = (2**(L/2)/n**(L/2))**(1/L)
    n, L, s = sp.Symbol("n", positive=True), sp.Symbol("L", positive=True), \
        sp.Symbol("sigma_W", positive=True)
    (root,) = solve_for((n * s ** 2 / 2) ** L, sp.Integer(1), s)
    assert sp.simplify(root - sp.sqrt(2 / n)) == 0
    assert not any(isinstance(a, sp.Pow) and a.exp.has(L) for a in sp.preorder_traversal(root))



def test_verification_line_of_a_problem_without_sizes_reads_as_english():
    # it read "at sizes fixed sizes, 1 seeds each"
    from derive.core.records import Check, Verification
    one = Verification("complex step", [Check({}, 0, {"W": 1e-16})], 1e-6, True)
    assert one.summary().endswith("at the problem's own sizes, 1 random draw")
    two = Verification("complex step", [Check({"B": 2}, s, {"W": 0.0}) for s in (0, 1)]
                       + [Check({"B": 3}, s, {"W": 0.0}) for s in (0, 1)], 1e-6, True)
    assert two.summary().endswith("at sizes B=2; B=3, 2 random draws each")


DROPOUT = """
id: drop
title: Dropout
source: derive tests
index: {j: J}
symbols:
  q: {range: '(0, 1)'}
  v: {positive: true}
tensors:
  x: {shape: [j], role: input}
  m: {shape: [j], role: input}
program: |
  y[j] = m[j] * x[j] / q
sizes: {J: 4}
assume:
  x: {mean: 0, variance: v}
  m: MASK
statement: Dropout.
parts:
  a: {ask: variance, of: y, text: Var(y)?}
"""


def test_bernoulli_mask_is_a_distribution_with_its_implied_variance():
    # 'bernoulli' was an unknown distribution: the variance q(1 - q) had to be written,
    # and Monte Carlo drew the mask from a skewed continuous law
    import pytest
    from derive.answers import solve_part
    from derive.core.errors import SpecError
    from derive.front.spec import parse_spec
    spec = parse_spec(DROPOUT.replace("MASK", "{distribution: bernoulli, mean: q}"))
    ans = solve_part(spec, "a")
    (var,) = [r.value for r in ans.results if r.label.startswith("Var")]
    at = {x: {"q": 0.3, "v": 1.7}[x.name] for x in var.free_symbols}
    assert abs(float(var.subs(at)) - 1.7 / 0.3) < 1e-12       # E[m^2] E[x^2] / q^2 = v / q
    assert ans.verified
    assert any("bernoulli" in line for line in ans.verification.detail.splitlines()) \
        or "bernoulli" in str(ans.verification)
    with pytest.raises(SpecError, match=r"variance q\*\(1 - q\)|has variance"):
        parse_spec(DROPOUT.replace("MASK", "{distribution: bernoulli, mean: q, variance: q}"))
    with pytest.raises(SpecError, match="not symmetric"):
        parse_spec(DROPOUT.replace("MASK", "{distribution: bernoulli, mean: q, symmetric: true}"))


NUMERIC = """
id: num
title: Numeric
source: derive tests
tensors:
  x: {shape: [], role: input}
values: |
  x = 2
program: |
  y = x * x
  PROGRAM
statement: A worked example.
parts:
  a: {ask: numeric, PART, text: Compute it.}
"""


def test_numeric_part_gradients_of_several_outputs_need_from():
    # to: x with two scalar outputs and no from: printed no gradient at all, and "ok"
    import pytest
    from derive.core.errors import SpecError
    from derive.front.spec import parse_spec
    text = NUMERIC.replace("PROGRAM", "z = 3 * x").replace("PART", "to: x")
    with pytest.raises(SpecError, match=r"2 scalar outputs \(y, z\).*from: z"):
        parse_spec(text)
    spec = parse_spec(NUMERIC.replace("PROGRAM", "").replace("PART", "to: x, show: [y, x.grad]"))
    from derive.answers import solve_part
    ans = solve_part(spec, "a")
    assert float(ans.values["x.grad"]) == 4.0 and float(ans.values["y"]) == 4.0


def test_numeric_part_show_of_an_unknown_name_is_an_error():
    # show: [w.grad] was silently dropped from the worked example
    import pytest
    from derive.core.errors import SpecError
    from derive.front.spec import parse_spec
    with pytest.raises(SpecError, match=r"show\[1\].*unknown tensor 'w.grad'"):
        parse_spec(NUMERIC.replace("PROGRAM", "").replace("PART", "to: x, show: [y, w.grad]"))


def test_a_real_symbol_is_accepted():
    # symbols: {a: {real: true}} crashed with a traceback
    from derive.answers import solve_part
    from derive.front.spec import parse_spec
    spec = parse_spec("""
id: realsym
title: A real symbol
source: derive tests
index: {j: J}
symbols:
  a: {real: true}
tensors:
  x: {shape: [j], role: input}
program: |
  y[j] = a * x[j]
sizes: {J: 3}
statement: Scale.
parts:
  a: {ask: backprop, from: y, to: x, text: Give x.grad.}
""")
    assert solve_part(spec, "a").verified


def test_fresh_temporary_avoids_a_spec_index_named_e():
    # attention with an index e: the softmax's per-row temporary is named e[...] by default
    import numpy as np
    from derive.answers import solve_part
    from derive.core.program import ref_name
    from derive.front.spec import parse_spec
    spec = parse_spec("""
id: att
title: Softmax over keys e
source: derive tests
index: {q: Q, e: E}
tensors:
  s: {shape: [q, e], role: input}
program: |
  for q, e: Z[q] += exp(s[q, e])
  p[q, e] = exp(s[q, e]) / Z[q]
sizes: {Q: 2, E: 3}
statement: Attention weights.
parts:
  a: {ask: backprop, from: p, to: s, text: Give s.grad.}
""")
    ans = solve_part(spec, "a")
    assert ans.verified
    written = {st.target_name for st in ans.program.statements()}
    assert "e" not in written and "e" in spec.program.indices
    temps = written - {"s.grad", "p.grad", "Z.grad"}
    assert temps, written            # the rescaled-gradient temporary is there, renamed
    # and the loops are the same program: s.grad = p * (p.grad - sum_e p p.grad)
    s = np.array([[0.1, -0.4, 0.7], [1.2, 0.0, -0.3]])
    p = np.exp(s) / np.exp(s).sum(1, keepdims=True)
    g = np.array([[0.5, -1.0, 2.0], [0.3, 0.3, -0.7]])
    want = p * (g - (p * g).sum(1, keepdims=True))
    from derive.run.execute import Executor, run
    env = run(spec.program, {"Q": 2, "E": 3}, {"s": s})
    ex = Executor(ans.program, {"Q": 2, "E": 3})
    ex.env = {k: np.array(v, dtype=float) for k, v in env.items()}
    ex.env["p.grad"] = g
    ex.run()
    np.testing.assert_allclose(ex.env["s.grad"], want, rtol=1e-12)


def test_moments_of_a_declared_function_say_it_is_declared_not_missing_a_row():
    # gelu declared its own Phi: "no row for the function 'Phi' in the moments table
    # (rows: relu, sigma, tanh, Phi)" named a row that was there
    from derive.answers import solve_guarded
    from derive.front.spec import parse_spec
    spec = parse_spec("""
id: g
title: GELU
source: derive tests
index: {j: J}
functions:
  Phi: {latex: '\\\\Phi'}
tensors:
  z: {shape: [j], role: input}
program: |
  h[j] = z[j] * Phi(z[j])
sizes: {J: 3}
assume:
  z: {distribution: normal, mean: 0, variance: 1}
statement: GELU.
parts:
  b: {ask: mean, of: h, text: E(h)?}
""")
    ans = solve_guarded(spec, "b")
    assert ans.status == "not-derived"
    assert "declared under functions:" in ans.message and "remove Phi" in ans.message


def test_an_update_part_takes_momentum():
    # momentum: mu was an unknown key for an update part
    import numpy as np
    from derive.answers import solve_part
    from derive.answers.backprop import run_updates
    from derive.check.answer import check_answer
    from derive.front.folder import resolve_problem
    from derive.front.spec import load_spec
    from pathlib import Path
    path = Path(__file__).parent / "instructor" / "natural" / "momentum_sgd_update.yaml"
    spec = load_spec(path)
    ans = solve_part(spec, "a")
    assert ans.verified
    updates = [r.statement for r in ans.results]
    assert [u.target_name for u in updates] == ["V_W", "W", "V_b", "b"]
    rng = np.random.default_rng(0)
    env = {n: rng.standard_normal(s) for n, s in
           {"W": (2, 3), "b": (2,), "W.grad": (2, 3), "b.grad": (2,), "V_W": (2, 3),
            "V_b": (2,), "x": (3,), "y": (2,)}.items()}
    tensors = {**ans.backward.program.tensors}
    from derive.core.program import TensorInfo
    for v, p in (("V_W", "W"), ("V_b", "b")):
        info = spec.program.tensors[p]
        tensors[v] = TensorInfo(v, info.axes, info.ranges, "updated")
    out = run_updates(spec, updates, tensors, env, {"N": 3, "K": 2}, {"eta": 0.1, "mu": 0.9})
    for p in ("W", "b"):                       # by hand: V = mu V + g; p = p - eta V
        v = 0.9 * env[f"V_{p}"] + env[f"{p}.grad"]
        np.testing.assert_allclose(out[f"V_{p}"], v, rtol=1e-12)
        np.testing.assert_allclose(out[p], env[p] - 0.1 * v, rtol=1e-12)
    right = ("V_W[k, i] = mu*V_W[k, i] + W.grad[k, i]\nW[k, i] -= eta*V_W[k, i]\n"
             "V_b[k] = mu*V_b[k] + b.grad[k]\nb[k] -= eta*V_b[k]")
    assert check_answer(spec, "a", right).verdict == "correct"
    plain = "W[k, i] -= eta*W.grad[k, i]\nb[k] -= eta*b.grad[k]"
    assert check_answer(spec, "a", plain).verdict == "incorrect"
