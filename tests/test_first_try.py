"""Regressions from a first-time instructor's specs (tests/instructor/LOG.md), each
named after what broke; the truth comes from a closed form worked by hand."""
from __future__ import annotations

import pytest
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
    from derive.present.latex_answer import answer_latex
    tex = answer_latex(ans, spec)    # and the key prints it by its name, not as e[q]
    assert "e[q]" not in tex.replace(" ", "") and "e_{1}[q]" in tex.replace(" ", ""), tex
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


def test_worked_example_values_keep_their_significant_digits():
    # v1 = [4e-05, 1e-05] printed as "v1 = [0. 0.]" (4 fixed decimals), and as raw
    # "(4e-05,\ 1e-05)" in the key's math
    import numpy as np
    from derive.core.records import Answer
    from derive.present.render import array_latex
    from derive.present.text import format_answer
    from derive.front.spec import parse_spec
    spec = parse_spec(NUMERIC.replace("PROGRAM", "").replace("PART", "show: [y]"))
    ans = Answer("num", "a", "numeric", "derived")
    ans.values = {"v1": np.array([4e-05, 1e-05]), "n": np.array(3.0)}
    text = format_answer(ans, spec, False)
    assert "v1 = [4e-05 1e-05]" in text and "n = 3" in text
    assert array_latex([4e-05, 1e-05]) == r"(4 \times 10^{-5},\ 1 \times 10^{-5})"


STRIDE3 = """
id: s3
title: Stride 3
source: derive tests
index: {b: B, o: O, k: K, s: S}
tensors:
  sig: {shape: [b, s], role: input}
  ker: {shape: [k], role: parameter}
program: |
  for b, o, k: out[b, o] += ker[k] * sig[b, 3*o + k]
sizes: {B: 2, O: 4, K: 3, S: 3*O + K - 3}
statement: A strided convolution.
parts:
  b: {ask: cost, of: backward, in: S, measure: work, text: Growth in S?}
"""


def test_cost_in_a_dependent_size_that_is_not_whole_at_the_growth_points():
    # S = 3*O + K - 3 crashed (exit 3: "ceil(log2(2097154/3)) + 1 is not comparable"):
    # the order check evaluates at S = 2^20, where O = (S - K + 3)/3 is a fraction; and
    # the derivation's order step said W_backward = O(1) in S (the formula still in O)
    from derive.answers import solve_part
    from derive.front.spec import parse_spec
    spec = parse_spec(STRIDE3)
    ans = solve_part(spec, "b")
    assert ans.verification.passed, ans.verification.summary()
    S, B, K = (sp.Symbol(n, integer=True, positive=True) for n in "SBK")
    work = next(r for r in ans.results if r.label == "backward work")
    # by hand: ker.grad and sig.grad each take B*O*K multiply-adds (2 ops), O = (S-K+3)/3
    assert sp.expand(work.value - 4 * B * K * (S - K + 3) / 3) == 0
    assert "O(S)" in work.note
    orders = [st for st in ans.steps if st.why == "order in one size"]
    assert orders and all("O(1)" not in str(st.chain[-1]) for st in orders
                          if st.kind in ("work", "memory"))


@pytest.mark.parametrize("stride, window", [(1, 3), (2, 2), (2, 3), (3, 2), (3, 7)])
def test_terms_per_element_of_a_strided_scatter(stride, window):
    # a 2x2 max-pool with stride 2 writes each A.grad element once, but the depth formula
    # assumed min(2, R) terms per element (overlapping windows): the backward cost part
    # was withheld as "the depth formula gives 4 but 2 was counted"
    from derive.engines.cost.count import per_element
    from derive.front.resolve import build_program
    from derive.front.spec import parse_spec
    spec = parse_spec(f"""
id: st
title: strided
source: derive tests
index: {{r: R, p: {window}, u: U}}
sizes: {{R: 5, U: {stride}*R + {window}}}
tensors:
  g: {{shape: [r], role: input}}
program: |
  for r, p: a[{stride}*r + p] += g[r]
parts:
  a: {{ask: backprop, from: a, to: g, text: x}}
""")
    (st,) = spec.program.statements()
    for R in (1, 2, 5, 9):
        got = per_element(st).subs(sp.Symbol("R", integer=True, positive=True), R)
        hits: dict = {}
        for r in range(R):                  # by brute force
            for p in range(window):
                hits[stride * r + p] = hits.get(stride * r + p, 0) + 1
        assert int(got) == max(hits.values()), (R, got)


def test_counterexample_shows_the_symbols_the_program_reads():
    # the counterexample of a dropout answer had no value for the keep probability, so a
    # student could not reproduce the expected number
    from derive.check.answer import check_answer
    from derive.front.spec import parse_spec
    spec = parse_spec(DROPOUT.replace("MASK", "{distribution: bernoulli, mean: q}").replace(
        "  a: {ask: variance, of: y, text: Var(y)?}",
        "  a: {ask: backprop, from: y, to: x, text: x.grad?}"))
    v = check_answer(spec, "a", "for j: x.grad[j] += y.grad[j] * m[j]")
    assert v.verdict == "incorrect"
    ce = v.counterexample
    q = ce["inputs"]["q"]
    m, yg = ce["inputs"]["m"][0], ce["inputs"]["y.grad"][0]
    assert 0 < q < 1
    assert abs(ce["expected"] - yg * m / q) < 1e-3      # reproducible from what is shown


def test_yaml_colon_in_a_value_says_to_quote_it():
    # source: Srivastava et al., "Dropout: A Simple Way ..." gave only PyYAML's
    # "mapping values are not allowed in this context"
    from derive.core.errors import SpecError
    from derive.front.spec import parse_spec
    with pytest.raises(SpecError, match=r"line 2, column \d+: .*must be quoted"):
        parse_spec('id: x\nsource: Srivastava et al., "Dropout: A Simple Way" (2014)\n')


def test_lint_reports_a_sum_inside_abs_that_an_l1_loss_did_not_mean(tmp_path):
    # Loss = abs(yhat[K] - y[K]) was accepted and verified as |sum_k (yhat - y)|, silently
    from derive.front.lint import lint_spec
    (tmp_path / "l1.yaml").write_text("""id: l1
title: L1
source: derive tests
index: {k: K, j: J, i: I}
tensors:
  yhat: {shape: [k], role: input}
  y: {shape: [k], role: input}
  W: {shape: [j, i], role: parameter, latex: W}
  x: {shape: [i], role: input}
  Loss: {latex: L}
program: |
  Loss = abs(yhat[K] - y[K])
  h[j] = tanh(W[j, I] * x[I])
  n = sqrt(x[I]^2)
sizes: {K: 3, J: 2, I: 2}
statement: L1.
parts:
  a: {ask: backprop, from: Loss, to: yhat, text: x}
""")
    report = lint_spec(tmp_path / "l1.yaml")
    found = [f for f in report.findings if "outside any product" in f.message]
    assert len(found) == 1 and "abs" in found[0].message and found[0].line == 12


def test_a_missing_local_factor_is_named_with_respect_to_the_targets_own_tensor():
    # "x.grad should be multiplied by 1/q (a factor of the derivative of y with respect
    # to m)": 1/q is in dy/dm too, but x.grad needs dy/dx
    from derive.check.answer import check_answer
    from derive.front.folder import resolve_problem
    from derive.front.spec import load_spec
    spec = load_spec(resolve_problem("dropout"))
    v = check_answer(spec, "a", "x.grad[i] = m[i]*y.grad[i]")
    assert v.verdict == "incorrect"
    assert any("`1/q`" in d and "with respect to x)" in d for d in v.diagnosis), v.diagnosis
