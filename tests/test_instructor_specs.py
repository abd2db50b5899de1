"""The instructor specs in tests/instructor/, checked against independent answers.

Every spec in tests/instructor/*.yaml was written from the documentation only
(see tests/instructor/LOG.md).  Each part is derived and verified by derive,
then compared with tests/instructor/reference.py: hand-written NumPy forwards
with complex-step / central-difference gradients, closed forms backed by our
own Monte Carlo, and our own op counts.  Where derive is known to be wrong or
to refuse a natural spec, the test is xfail(strict=True): it flips when fixed.
"""

from __future__ import annotations

import functools
import importlib.util
import inspect
import math
import re
import types
from pathlib import Path

import numpy as np
import pytest
import sympy as sp
from click.testing import CliRunner

from derive.answers import solve_part
from derive.cli import cli
from derive.front.folder import resolve_problem
from derive.front.spec import load_spec

HERE = Path(__file__).parent / "instructor"
NATURAL = HERE / "natural"     # the versions first written, before any workaround


def _load_reference():
    spec = importlib.util.spec_from_file_location("instructor_reference", HERE / "reference.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


R = _load_reference()

SPEC_IDS = sorted(p.stem for p in HERE.glob("*.yaml"))


@functools.lru_cache(maxsize=None)
def spec_of(pid):
    return load_spec(resolve_problem(pid, str(HERE)))


@functools.lru_cache(maxsize=None)
def answer_of(pid, part):
    return solve_part(spec_of(pid), part)


def _parts():
    out = []
    for pid in SPEC_IDS:
        for part in spec_of(pid).parts:
            out.append((pid, part))
    return out


XFAIL_PARTS = {
    ("gelu", "b"): "this spec declares its own Phi (an arbitrary function), which has no "
                   "moments; natural/gelu_natural.yaml, with the built-in Phi, derives "
                   "E[z Phi(z)] = 1/(2 sqrt(pi))",
}
SLOW_PARTS = {("lstm", "a"), ("lstm", "b")}


def _part_params():
    params = []
    for pid, part in _parts():
        marks = []
        if (pid, part) in XFAIL_PARTS:
            marks.append(pytest.mark.xfail(strict=True, reason=XFAIL_PARTS[(pid, part)]))
        if (pid, part) in SLOW_PARTS:
            marks.append(pytest.mark.slow)
        params.append(pytest.param(pid, part, marks=marks, id=f"{pid}:{part}"))
    return params


# ----------------------------------------------------------------------------
# 1. every part of every spec is derived and passes derive's own verification


@pytest.mark.parametrize("pid, part", _part_params())
def test_part_derives_and_verifies(pid, part):
    answer = answer_of(pid, part)
    assert answer.status == "derived", answer.message
    if answer.kind == "numeric" and answer.verification is None:
        assert answer.values  # a forward-only worked example: executed, nothing to differentiate
    else:
        assert answer.verified, answer.verification


# ----------------------------------------------------------------------------
# 2. backprop answers: derive's exported backward() against our gradients


def _exported(pid, fix=None):
    result = CliRunner().invoke(cli, ["--problems", str(HERE), "code", pid, "--backward"])
    assert result.exit_code == 0, result.output
    text = result.output if fix is None else fix(result.output)
    module = types.ModuleType(f"exported_{pid}")
    exec(compile(text, f"<derive code {pid}>", "exec"), module.__dict__)
    return module


def _run_exported(module, pid, seed):
    a, seeds = R.draw_problem(pid, seed)
    env = dict(a)
    env.update(R.BACKPROP[pid]["sizes"])
    out = module.forward(**{k: env[k] for k in inspect.signature(module.forward).parameters})
    env.update(out)
    env.update({k + "_grad": v for k, v in seeds.items()})
    got = module.backward(**{k: env[k] for k in inspect.signature(module.backward).parameters})
    return a, seeds, out, got


def _compare_backprop(module, pid):
    for seed in (0, 1):
        a, seeds, out, got = _run_exported(module, pid, seed)
        ref_out = R.FORWARD[pid](a)
        for name in R.BACKPROP[pid]["from_"]:
            np.testing.assert_allclose(out[name], ref_out[name], rtol=1e-9, atol=1e-12,
                                       err_msg=f"{pid}: forward {name}")
        ref = R.reference_grads(pid, a, seeds)
        tol = 1e-6 if R.BACKPROP[pid]["kinks"] else 1e-9
        for name, expected in ref.items():
            assert name in got, f"{pid}: derive gives no gradient of {name}"
            np.testing.assert_allclose(np.asarray(got[name]), expected, rtol=tol, atol=tol,
                                       err_msg=f"{pid}: {name}.grad (seed {seed})")


XFAIL_BACKPROP = {
}


def _backprop_params():
    params = []
    for pid in sorted(R.BACKPROP):
        marks = []
        if pid in XFAIL_BACKPROP:
            marks.append(pytest.mark.xfail(strict=True, reason=XFAIL_BACKPROP[pid]))
        if pid == "lstm":
            marks.append(pytest.mark.slow)
        params.append(pytest.param(pid, marks=marks, id=pid))
    return params


@pytest.mark.parametrize("pid", _backprop_params())
def test_backprop_matches_reference(pid):
    if pid == "gelu":
        # the spec's stand-in for the undefined Phi is replaced by the normal CDF
        module = _exported(pid)
        module.Phi, module.Phi_prime = R.normal_cdf, R.normal_pdf
    else:
        module = _exported(pid)
    _compare_backprop(module, pid)


def test_exported_derivative_of_a_declared_function_is_python():
    """The loop derive gives for GELU, z.grad += (Phi(z) + Phi'(z) z) h.grad, exports
    Phi' as Phi_prime (it was `def Phi'(u):`, a SyntaxError), and is the right one with
    Phi = the normal CDF and Phi_prime = its density."""
    module = _exported("gelu")
    module.Phi, module.Phi_prime = R.normal_cdf, R.normal_pdf
    _compare_backprop(module, "gelu")
    a, seeds, _, got = _run_exported(module, "gelu", 3)
    np.testing.assert_allclose(got["z"], R.analytic_gelu(a, seeds["h"])["z"], rtol=1e-12)


def test_label_smoothing_simplifies_to_p_minus_target():
    module = _exported("label_smoothing")
    a, seeds, _, got = _run_exported(module, "label_smoothing", 5)
    expected = R.analytic_label_smoothing(a, seeds["Loss"])["s"]
    np.testing.assert_allclose(got["s"], expected, rtol=1e-10, atol=1e-12)


@pytest.mark.slow
def test_lstm_backward_finite_with_a_saturated_output_gate():
    module = _exported("lstm")
    a, seeds = R.draw_problem("lstm", 0)
    a["bo"] = a["bo"].copy()
    a["bo"][0] = -40.0
    env = dict(a)
    out = module.forward(**{k: env[k] for k in inspect.signature(module.forward).parameters})
    env.update(out)
    env["h_grad"] = seeds["h"]
    with np.errstate(all="ignore"):
        got = module.backward(**{k: env[k] for k in inspect.signature(module.backward).parameters})
    ref = R.reference_grads("lstm", a, seeds, wrt=["Wc", "bo"])
    for name in ref:
        assert np.all(np.isfinite(ref[name]))
        np.testing.assert_allclose(got[name], ref[name], rtol=1e-8, atol=1e-10)


# ----------------------------------------------------------------------------
# 3. numeric parts: the values against our hand computation


NUMERIC_PARTS = [("numeric_231", "forward"), ("numeric_231", "backward"),
                 ("adam_step", "a"), ("momentum_sgd", "a")]


@pytest.mark.parametrize("pid, part", NUMERIC_PARTS, ids=[f"{p}:{q}" for p, q in NUMERIC_PARTS])
def test_numeric_values(pid, part):
    answer = answer_of(pid, part)
    expected = R.NUMERIC[pid]()
    names = list(spec_of(pid).parts[part].args.get("show") or answer.values)
    assert names, "no values"
    for name in names:
        if name in expected:
            np.testing.assert_allclose(np.asarray(answer.values[name], dtype=float), expected[name],
                                       rtol=1e-10, atol=1e-12, err_msg=f"{pid}:{part} {name}")
    assert any(name in expected for name in names)


def test_adam_first_step_moves_by_eta_times_sign():
    w1 = R.numeric_adam()["w1"]
    np.testing.assert_allclose(w1, [0.5 + 0.001, -0.3 + 0.001], rtol=1e-6)


# ----------------------------------------------------------------------------
# 4. moments: derive's expressions against our closed forms (and our Monte Carlo)


def _value(pid, part, label):
    for result in answer_of(pid, part).results:
        if result.label == label:
            return result.value
    raise AssertionError(f"{pid}:{part}: no result {label!r} in {answer_of(pid, part).results}")


def _subs(expr, **values):
    names = {s.name: s for s in expr.free_symbols}
    return float(expr.subs({names[k]: v for k, v in values.items() if k in names}))


@pytest.mark.parametrize("part, mu", [("b", 0.0), ("c", 0.6)])
def test_dropout_variance(part, mu):
    expr = _value("dropout", part, "Var(y)")
    for q, v in [(0.3, 0.7), (0.8, 2.0), (0.55, 1.1)]:
        assert _subs(expr, q=q, v=v, mu=mu) == pytest.approx(R.dropout_variance(q, v, mu), rel=1e-12)
    # our closed form against our own Monte Carlo with a real 0/1 mask
    assert R.dropout_mc(0.3, 0.7, mu) == pytest.approx(R.dropout_variance(0.3, 0.7, mu), rel=0.02)


def test_he_variance_recurrence():
    closed = [r for r in answer_of("he_deep", "a").results if "(l)" in r.label and "+ 1" not in r.label]
    expr = closed[0].value if closed else answer_of("he_deep", "a").results[-1].value
    for l, n, sw, v in [(0, 5, 0.7, 0.45), (3, 5, 0.7, 0.45), (4, 8, 0.4, 1.3)]:
        assert _subs(expr, l=l, n=n, sigma_W=sw, v=v) == pytest.approx(R.he_variance(l, n, sw, v), rel=1e-12)
    assert R.he_mc(2, 5, 0.7, 0.45) == pytest.approx(R.he_variance(2, 5, 0.7, 0.45), rel=0.06)


def test_he_sigma_w_value():
    expr = _value("he_deep", "b", "sigma_W")
    for n, L in [(5, 1), (5, 3), (12, 7)]:
        assert _subs(expr, n=n, L=L) == pytest.approx(R.he_sigma_W(n), rel=1e-12)


def test_he_sigma_w_is_simplified():
    expr = _value("he_deep", "b", "sigma_W")
    n = sp.Symbol("n", positive=True, integer=True)
    assert "L" not in {s.name for s in expr.free_symbols}
    assert sp.count_ops(expr) <= sp.count_ops(sp.sqrt(2 / n)) + 1


def test_gelu_mean_reference_is_right():
    assert R.gelu_mean_mc() == pytest.approx(R.GELU_MEAN, abs=2e-3)


# ----------------------------------------------------------------------------
# 5. costs: the orders in T against our own counting


@pytest.mark.parametrize("key", [pytest.param(k, marks=[pytest.mark.slow] if k.startswith("lstm") else [], id=k)
                                 for k in sorted(R.COST)])
def test_cost_orders(key):
    pid, part = key.split(":")
    answer = answer_of(pid, part)
    notes = {r.label: r.note for r in answer.results}
    work, depth = R.COST[key]
    prefix = spec_of(pid).parts[part].args["of"]
    if work:
        assert notes[f"{prefix} work"] == work
    if depth:
        assert notes[f"{prefix} parallel depth"] == depth


def test_attention_counts_of_our_own():
    counts = {T: R.attention_forward_count(T, 4) for T in (4, 8, 16, 32, 64)}
    assert R.order_in({T: w for T, (w, _) in counts.items()}) == "O(T^2)"
    assert R.order_in({T: d for T, (_, d) in counts.items()}) == "O(log T)"
    assert R.order_in({T: R.lstm_backward_depth_count(T) for T in (4, 8, 16, 32)}) == "O(T)"


# ----------------------------------------------------------------------------
# 6. what an instructor writes and derive refuses or misreads


def _write(tmp_path, pid, body):
    (tmp_path / f"{pid}.yaml").write_text(body)
    return tmp_path


def test_size_in_subscript_is_refused_as_ambiguous_with_the_fix(tmp_path):
    # with index k: K, `h[K-1]` was read silently as the capital (sum_k h[k-1]), not the
    # last element; it is now an error that names both readings and the fix
    _write(tmp_path, "last", """\
id: last
title: The last element
source: instructor repro
index:
  k: K
tensors:
  h: {shape: [k], role: input}
program: |
  m = h[K-1]
sizes: {K: 4}
statement: m is the last entry of h.
parts:
  a: {ask: backprop, from: m, to: h, text: Give h.grad.}
""")
    result = CliRunner().invoke(cli, ["--problems", str(tmp_path), "code", "last", "--backward"])
    assert result.exit_code == 2, result.output
    assert "program:9:7" in result.output and "give the index another name" in result.output
    # the fix the message names: the size under an index of another name
    text = (tmp_path / "last.yaml").read_text()
    (tmp_path / "last.yaml").write_text(text.replace("  k: K\n", "  i: K\n")
                                        .replace("shape: [k]", "shape: [i]"))
    result = CliRunner().invoke(cli, ["--problems", str(tmp_path), "code", "last", "--backward"])
    assert result.exit_code == 0, result.output
    module = types.ModuleType("last")
    exec(result.output, module.__dict__)
    h = np.array([0.3, -1.2, 0.8, 2.0])
    assert float(module.forward(h=h)["m"]) == pytest.approx(2.0)


UNSUPPORTED_REASONS = {
}


@pytest.mark.parametrize(
    "name",
    [pytest.param(p.stem, id=p.stem,
                  marks=[pytest.mark.xfail(strict=True, reason=UNSUPPORTED_REASONS[p.stem])]
                  if p.stem in UNSUPPORTED_REASONS else [])
     for p in sorted(NATURAL.glob("*.yaml"))])
def test_natural_spec_is_derived_and_verified(name):
    spec = load_spec(NATURAL / f"{name}.yaml")
    for part in spec.parts:
        answer = solve_part(spec, part)
        assert answer.status == "derived" and answer.verified


def test_every_unsupported_reason_names_a_natural_spec():
    assert set(UNSUPPORTED_REASONS) <= {p.stem for p in NATURAL.glob("*.yaml")}


NOT_DERIVABLE = """
id: opaque
title: A declared function
source: derive tests
index: {j: J}
functions:
  f: {latex: 'f'}
tensors:
  z: {shape: [j], role: input}
program: |
  h[j] = f(z[j])
sizes: {J: 3}
assume:
  z: {distribution: normal, mean: 0, variance: 1}
statement: An arbitrary function.
parts:
  a: {ask: backprop, from: h, to: z, text: Give z.grad.}
  b: {ask: mean, of: h, text: What is the mean of h?}
"""


@pytest.mark.parametrize("command", ["verify", "solve"])
def test_verify_and_solve_exit_1_when_a_part_is_not_derived(tmp_path, command):
    # verify exited 0 when a part could not be derived (gelu:b, a mean of an undeclared
    # law), and solve stopped at the first part that failed
    (tmp_path / "opaque.yaml").write_text(NOT_DERIVABLE)
    result = CliRunner().invoke(cli, ["--problems", str(tmp_path), command, "opaque"])
    assert result.exit_code == 1, result.output
    assert "opaque:a" in result.output or "z.grad" in result.output   # the other part shown
    assert "opaque:b" in result.output and "not derived" in result.output.lower()


def test_check_cost_both_needs_both_quantities():
    result = CliRunner().invoke(cli, ["--problems", str(HERE), "check", "attention_cost:a", "O(T^2)"])
    assert result.exit_code != 0, result.output
