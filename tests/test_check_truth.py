"""A checker to trust on answers nobody here wrote: one regression test per class of
defect that once judged a wrong answer correct, crashed, or lost a result.

Each class has the example that exposed it and at least two more of its kind.  The
truth of every wrong answer below is plain from the course's semantics (stated in the
test's words); the autograd reference in test_check_autograd.py decides the rest.
"""
from __future__ import annotations

import csv
import json
import threading
import time

import numpy as np
import pytest
import sympy as sp
from click.testing import CliRunner

from derive.engines.backward import derive_backward
from derive.check.answer import check_answer
from derive.cli import cli
from derive.core.errors import DerivationError
from derive.run.execute import Executor, random_symbols, run
from derive.front.resolve import build_program
from derive.front.spec import load_spec, parse_spec
from derive.front.folder import resolve_problem

_SPECS: dict = {}


def spec_of(problem: str):
    if problem not in _SPECS:
        _SPECS[problem] = load_spec(resolve_problem(problem))
    return _SPECS[problem]


def check(problem, part, text, **kw):
    return check_answer(spec_of(problem), part, text, **kw)


def invoke(*args, input=None):
    return CliRunner().invoke(cli, list(args), input=input)


def lines(*statements) -> str:
    return "\n".join(statements)


RNN_B = lines(
    "for t in T..1:",
    "    h.grad[t, m] += V[C, m] * (yhat[t, C] - y[t, C])",
    "    h.grad[t, m] += U[I, m] * z.grad[t+1, I]",
    "    z.grad[t, m] = h.grad[t, m] * (1 - h[t, m]^2)",
    "    b.grad[m] += z.grad[t, m]",
    "    for m, k: W.grad[m, k] += z.grad[t, m] * x[t, k]",
    "    for m, i: U.grad[m, i] += z.grad[t, m] * h[t-1, i]")


def test_the_rnn_answer_used_below_is_correct():
    assert check("vanilla_rnn_bptt", "b", RNN_B).verdict == "correct"


# --------------------------------------------------------------------------
# 1. `=` assigns, also when its right-hand side sums a capital index
# --------------------------------------------------------------------------

@pytest.mark.parametrize("old, new", [
    # the probe: `=` with a summed capital inside the time block overwrote nothing
    ("b.grad[m] += z.grad[t, m]", "b.grad[m] = z.grad[t, m] + 0 * U[I, m]"),
    ("b.grad[m] += z.grad[t, m]", "b.grad[m] = z.grad[t, m]"),
    # a weight gradient summed over the capital K, assigned at every step
    ("for m, k: W.grad[m, k] += z.grad[t, m] * x[t, k]",
     "W.grad[m, k] = z.grad[t, m] * x[t, k] + 0 * W[m, K] * x[t, K]"),
    # h.grad[t, m] set from the sum over I, then the read-out term lost: `=` overwrites
    ("    h.grad[t, m] += U[I, m] * z.grad[t+1, I]",
     "    h.grad[t, m] = U[I, m] * z.grad[t+1, I]"),
], ids=["probe_zero_sum", "plain", "weight_with_sum", "overwrites_earlier_term"])
def test_assignment_with_a_summed_capital_overwrites_inside_a_time_block(old, new):
    text = RNN_B.replace(old, new)
    assert text != RNN_B
    v = check("vanilla_rnn_bptt", "b", text)
    assert v.verdict == "incorrect", v.message


def test_assignment_with_a_sum_is_named_as_such():
    v = check("vanilla_rnn_bptt", "b", RNN_B.replace("b.grad[m] += z.grad[t, m]",
                                                      "b.grad[m] = z.grad[t, m] + 0 * U[I, m]"))
    assert any("`=` where `+=` belongs: line 5" in d for d in v.diagnosis), v.diagnosis


def test_softmax_assignment_where_accumulation_belongs_is_incorrect():
    """s.grad written twice with `=`: the second overwrites the first."""
    text = lines("for b, j: s.grad[b, j] = p.grad[b, j] * p[b, j]",
                 "for b, j: s.grad[b, j] = -p[b, j] * p[b, K] * p.grad[b, K]")
    assert check("softmax", "full", text).verdict == "incorrect"
    once = "for b, j: s.grad[b, j] = p[b, j] * (p.grad[b, j] - p[b, K] * p.grad[b, K])"
    assert check("softmax", "full", once).verdict == "correct"


def _scope(spec_text):
    return parse_spec(spec_text).scope


BLOCK_SPEC = """id: t
title: t
source: a test
index: {t: 1..T, j: J, i: J}
tensors:
  x: {shape: [t, i], role: input}
  W: {shape: [j, i], role: parameter}
  y: {shape: [j]}
  h: {shape: [t, j]}
program: |
  for t in 1..T:
      y[j] = W[j, I] * x[t, I]
      h[t, j] = tanh(y[j])
sizes: {T: 3, J: 2}
parts:
  a: {ask: backprop, from: h, to: W, text: x}
"""


def test_assignment_with_a_sum_in_a_block_sets_the_target_first():
    """Inside a time block y[j] is written at every step: `=` sets it, then the sum."""
    spec = parse_spec(BLOCK_SPEC)
    (block,) = spec.program.items
    first, second = block.body[:2]
    assert (first.op, first.rhs) == ("=", 0)
    assert second.op == "+="
    env = run(spec.program, {"T": 3, "J": 2}, seed=0)
    want = np.tanh(np.einsum("ji,ti->tj", env["W"], env["x"]))
    assert np.allclose(env["h"], want)


def test_a_sum_that_reads_its_own_target_is_computed_before_it_is_overwritten():
    spec = parse_spec(BLOCK_SPEC.replace("      y[j] = W[j, I] * x[t, I]\n",
                                         "      y[j] = W[j, I] * x[t, I] + W[j, I] * y[I]\n"))
    env = run(spec.program, {"T": 3, "J": 2}, seed=1)
    W, x = env["W"], env["x"]
    y = np.zeros(2)
    for t in range(3):
        y = W @ x[t] + W @ y
        assert np.allclose(env["h"][t], np.tanh(y))


@pytest.mark.parametrize("text, want", [
    # each j overwrites Z.grad[b]: the last j stays
    ("for b, j: Z.grad[b] = p.grad[b, j]", lambda pg: pg[:, -1]),
    ("for b, j in J-1..0: Z.grad[b] = p.grad[b, j]", lambda pg: pg[:, 0]),
    # reading its own target, each step reads what the one before wrote: a sum
    ("for b, j: Z.grad[b] = Z.grad[b] + p.grad[b, j]", lambda pg: pg.sum(axis=1)),
], ids=["last_j", "descending", "reads_itself"])
def test_assignment_over_a_loop_its_target_lacks_keeps_the_last_write(text, want):
    spec = spec_of("softmax")
    from derive.front.spec import answer_scope
    prog = build_program(text, answer_scope(spec), answer=True)
    ex = Executor(prog, {"B": 3, "J": 4})
    pg = np.random.default_rng(0).standard_normal((3, 4))
    ex.env["p.grad"] = pg
    ex.run()
    assert np.allclose(ex.env["Z.grad"], want(pg))


def test_a_spec_may_not_assign_over_a_loop_its_target_lacks():
    from derive.core.errors import NotationError
    with pytest.raises(NotationError, match="every loop index must appear in the target"):
        parse_spec(BLOCK_SPEC.replace("h[t, j] = tanh(y[j])", "for j, i: h[t, j] = tanh(y[i])"))


def test_backward_refuses_an_overwritten_value_it_needs():
    """y is overwritten at every step and tanh'(y) needs each step's value: refuse, with
    the fix, instead of differentiating with the last step's values."""
    spec = parse_spec(BLOCK_SPEC.replace("h[t, j] = tanh(y[j])", "h[t, j] = tanh(y[j])")
                      .replace("      y[j] = W[j, I] * x[t, I]\n",
                               "      y[j] = tanh(W[j, I] * x[t, I])\n")
                      .replace("h[t, j] = tanh(y[j])", "h[t, j] = y[j] * y[j]"))
    with pytest.raises(DerivationError, match="give y an index per step"):
        derive_backward(spec.program, ["h"], ["W"])


def test_exported_code_of_an_assignment_with_a_sum_in_a_block_runs_like_the_executor():
    from derive.run.codegen import export
    spec = parse_spec(BLOCK_SPEC)
    module = {}
    code = export(spec, backward=False)
    exec(compile(code, "<exported>", "exec"), module)   # our own generated code
    env = run(spec.program, {"T": 3, "J": 2}, seed=2)
    out = module["forward"](x=env["x"], W=env["W"])
    h = out["h"] if isinstance(out, dict) else out
    assert np.allclose(h, env["h"])


# --------------------------------------------------------------------------
# 2. a non-finite value is never "correct"
# --------------------------------------------------------------------------

@pytest.mark.parametrize("target, text", [
    ("he_init:a", "Var(z1) = log(0)"),          # the examples
    ("he_init:a", "Var(z1) = 0*log(0)"),
    ("he_init:a", "Var(z1) = 1 + log(0)"),
    ("init_variance:a", "sigma_W = log(0)"),
    ("init_variance:a", "sigma_W = 1/sqrt(d) + log(0)"),
    ("glorot_init:c", "sigma_W = sqrt(1/n) * log(1 - 1)"),
], ids=["log0", "zero_log0", "one_plus_log0", "solve_log0", "solve_plus_log0", "solve_log1m1"])
def test_a_non_finite_expression_is_never_correct(target, text):
    problem, part = target.split(":")
    v = check(problem, part, text)
    assert v.verdict == "incorrect", v.message


@pytest.mark.parametrize("text", [
    "for b, j: s.grad[b, j] += p.grad[b, j] * p[b, j] + 0 * log(0)",
    "for b, j: s.grad[b, j] += p.grad[b, j] * p[b, j] * log(p[b, j] - p[b, j] + 1) / 0^1",
    "for b, j: s.grad[b, j] += p.grad[b, j] * p[b, j] + log(s[b, j] - s[b, j])",
], ids=["nan_term", "division", "log_zero_of_inputs"])
def test_a_non_finite_loop_answer_is_never_correct(text):
    v = check("softmax", "a", text)
    assert v.verdict in ("incorrect", "unusable"), v.message
    assert v.verdict != "correct"


ROOT_SPEC = """id: t
title: t
source: a test
index: {j: J}
tensors:
  x: {shape: [j], role: input}
  y: {shape: [j]}
program: |
  y[j] = sqrt(x[j] - {shift})
sizes: {J: 3}
parts:
  a: {ask: backprop, from: y, to: x, text: x}
"""


def test_points_where_the_reference_is_not_finite_are_redrawn():
    """x is read under a root: drawn positive (then in (0, 1)), so the correct answer is
    judged on points where the reference is defined."""
    spec = parse_spec(ROOT_SPEC.replace("{shift}", "0"))
    ok = check_answer(spec, "a", "x.grad[j] = y.grad[j] / (2 * y[j])")
    assert ok.verdict == "correct", ok.message
    assert check_answer(spec, "a", "x.grad[j] = y.grad[j] / y[j]").verdict == "incorrect"


def test_no_point_where_the_reference_is_finite_is_unusable_not_judged():
    spec = parse_spec(ROOT_SPEC.replace("{shift}", "100"))
    v = check_answer(spec, "a", "x.grad[j] = y.grad[j] / (2 * y[j])")
    assert v.verdict == "unusable" and v.exit_code == 2
    assert "cannot judge" in v.message


# --------------------------------------------------------------------------
# 3. sizes that tell answers apart
# --------------------------------------------------------------------------

@pytest.mark.parametrize("problem, part, text", [
    # mlp_numeric's spec sizes are square (H = D = 2): * D / H is 1 there
    ("mlp_numeric", "vectorized", lines("v.grad[i] = C.grad * (y - t) * h[i] * D / H",
                                        "h.grad[i] = C.grad * (y - t) * v[i]",
                                        "z.grad[i] = h.grad[i] * step(z[i])",
                                        "W.grad[i, j] = z.grad[i] * x[j]")),
    # ugcnn's spec has B = D = 2
    ("ugcnn", "a", None),
    # resnet-style: sizes X and Y tie nowhere, but F = P in lenet5's spec
    ("lenet5", "a", None),
], ids=["mlp_numeric_D_over_H", "ugcnn_B_over_D", "lenet5_F_over_P"])
def test_answers_agreeing_only_when_sizes_are_equal_are_incorrect(problem, part, text):
    spec = spec_of(problem)
    if text is None:
        from derive.check.loops import _reference
        ref = _reference(spec, spec.part(part), simplify=True).program
        pairs = {"ugcnn": ("B", "D"), "lenet5": ("F", "P")}[problem]
        assert spec.default_sizes()[pairs[0]] == spec.default_sizes()[pairs[1]]
        text = ref.text().replace("**", "^")
        first = text.split("\n")[-1]
        text = text[: -len(first)] + first + f" * {pairs[0]} / {pairs[1]}"
        assert check_answer(spec, part, ref.text()).verdict == "correct"
    v = check_answer(spec, part, text)
    assert v.verdict == "incorrect", v.message


def test_one_check_size_set_has_all_sizes_distinct_and_at_least_three():
    for problem in ("mlp_numeric", "ugcnn", "lenet5", "softmax", "gru", "vanilla_rnn_bptt"):
        spec = spec_of(problem)
        sizes = spec.check_sizes()
        # the independent sizes; a dependent one (lenet5's M = U - F + 1) follows them
        distinct = {k: v for k, v in sizes[-1].items() if k not in spec.program.relations}
        assert len(set(distinct.values())) == len(distinct), (problem, distinct)
        assert min(distinct.values()) >= 3, (problem, distinct)


# --------------------------------------------------------------------------
# 4. partial answers get a partial verdict, the same way in every part kind
# --------------------------------------------------------------------------

def test_a_numeric_answer_with_two_of_six_values_is_incorrect_and_says_which():
    v = check("mlp_numeric", "backward", "x.grad = [-6, 6]\nW.grad = [[6, 12], [0, 0]]")
    assert v.verdict == "incorrect"
    assert [q.verdict for q in v.quantities].count("missing") == 4
    assert v.score == pytest.approx(2 / 6, abs=1e-6)


def test_a_loop_answer_missing_one_gradient_judges_the_others():
    text = "\n".join(l for l in RNN_B.split("\n") if "U.grad" not in l)
    v = check("vanilla_rnn_bptt", "b", text)
    assert v.verdict == "incorrect"
    assert {q.name: q.verdict for q in v.quantities} == {
        "U.grad": "missing", "W.grad": "correct", "b.grad": "correct"}


def test_an_expression_answer_without_the_asked_quantity_is_incorrect():
    v = check("init_variance", "a", "E(y) = 0")
    assert v.verdict == "incorrect"
    assert {q.name: q.verdict for q in v.quantities} == {"sigma_W": "missing",
                                                         "E(y)": "correct"}


def test_quantities_are_listed_in_the_output_and_the_json():
    r = invoke("check", "mlp_numeric:backward", "x.grad = [-6, 6]")
    assert r.exit_code == 1
    assert "per quantity: y.grad missing" in r.output
    data = json.loads(invoke("check", "mlp_numeric:backward", "x.grad = [-6, 6]",
                             "--json").output)
    assert {q["name"]: q["verdict"] for q in data["quantities"]}["x.grad"] == "correct"
    assert data["max_score"] == 1 and 0 < data["score"] < 1


# --------------------------------------------------------------------------
# 5. no traceback from text a student types: a capital index under a sum of terms
# --------------------------------------------------------------------------

@pytest.mark.parametrize("text, verdict", [
    ("Z.grad[b] = -p.grad[b, J] * (p[b, J] + 0) / Z[b]", "correct"),     # the example
    ("Z.grad[b] = -p.grad[b, J] * (p[b, J] + 1) / Z[b]", "incorrect"),
    ("Z.grad[b] = -(p.grad[b, J] * p[b, J] + 0) / Z[b]", "correct"),
    ("Z.grad[b] = (0 - p.grad[b, J]) * (exp(s[b, J]) / Z[b] + 0) / Z[b]", "correct"),
    ("Z.grad[b] = -p.grad[b, J] * p[b, J] / Z[b] + (p[b, J] - p[b, J])", "correct"),
], ids=["plus_zero", "plus_one", "outer_parens", "both_factors", "term_without"])
def test_capital_index_inside_a_parenthesised_sum(text, verdict):
    v = check("softmax", "b", text)
    assert v.verdict == verdict, (v.message, v.diagnosis)


def test_a_term_without_the_capital_is_not_summed():
    """A[j] + sum_I W[j, I] x[I] + sum_I V[j, I] y[I]: A is added once, not J times."""
    spec = parse_spec("""id: t
title: t
source: a test
index: {j: J, i: J}
tensors:
  A: {shape: [j], role: input}
  x: {shape: [i], role: input}
  W: {shape: [j, i], role: parameter}
  V: {shape: [j, i], role: parameter}
  z: {shape: [j]}
program: |
  z[j] = A[j] + W[j, I] * x[I] + V[j, I] * x[I]
sizes: {J: 3}
parts:
  a: {ask: backprop, from: z, to: A, text: x}
""")
    env = run(spec.program, {"J": 3}, seed=0)
    assert np.allclose(env["z"], env["A"] + env["W"] @ env["x"] + env["V"] @ env["x"])


# --------------------------------------------------------------------------
# 6. exit codes mean one thing each
# --------------------------------------------------------------------------

def test_an_internal_error_exits_3_with_an_apology(monkeypatch):
    import derive.check.answer as C

    def broken(*a, **k):
        raise ZeroDivisionError("simulated")
    monkeypatch.setattr(C, "_check_loops", broken)
    r = invoke("check", "softmax:a", "for b, j: s.grad[b, j] += p.grad[b, j] * p[b, j]")
    assert r.exit_code == 3
    assert "INTERNAL ERROR" in r.output and "please report" in r.output
    data = json.loads(invoke("check", "softmax:a", "x", "--json").output)
    assert data["verdict"] == "error" and data["exit_code"] == 3


def test_an_interrupt_never_exits_1(monkeypatch):
    import derive.check.answer as C

    def interrupted(*a, **k):
        raise KeyboardInterrupt
    monkeypatch.setattr(C, "check_answer", interrupted)
    r = invoke("check", "softmax:a", "x")
    assert r.exit_code == 130
    assert "interrupted" in r.output


@pytest.mark.parametrize("target, text, asked", [
    ("he_init:b", "Var(W) = 2/n", "sigma_W"),        # the example
    ("init_variance:a", "Var(y) = 1", "sigma_W"),
    ("mlp_numeric:forward", "W.grad = [[6, 12], [0, 0]]", "z, h, y, C"),
], ids=["variance_for_sigma", "solve_other_moment", "numeric_other_tensor"])
def test_a_quantity_the_part_does_not_ask_for_is_unusable_with_a_hint(target, text, asked):
    r = invoke("check", target, text)
    assert r.exit_code == 2, r.output
    assert "asks for" in r.output and asked in r.output


@pytest.mark.parametrize("args", [
    ("check", "softmax:zz", "x", "--json"),
    ("check", "nosuchproblem:a", "x", "--json"),
    ("check", "softmax:a", "for b, j: s.grad[b, j] += (", "--json"),
    ("check", "--json"),
], ids=["unknown_part", "unknown_problem", "parse_error", "no_target"])
def test_json_is_printed_in_every_case(args):
    r = invoke(*args)
    data = json.loads(r.output)
    assert data["exit_code"] == r.exit_code == 2
    assert data["verdict"] == "unusable" and data["message"]


# --------------------------------------------------------------------------
# 7. the time limit works in any thread
# --------------------------------------------------------------------------

def _busy(*args, **kwargs):
    """A check that never ends by itself (pure Python, as SymPy is)."""
    x = 0
    while True:
        x += 1


@pytest.mark.parametrize("in_thread", [True, False], ids=["worker_thread", "main_thread"])
def test_the_time_limit_stops_a_check_in_any_thread(in_thread, monkeypatch):
    import derive.check.answer as C
    monkeypatch.setattr(C, "_check_loops", _busy)
    out = {}

    def work():
        t0 = time.perf_counter()
        out["v"] = check("softmax", "a", "x", time_limit_s=0.3)
        out["t"] = time.perf_counter() - t0
    if in_thread:
        th = threading.Thread(target=work)
        th.start()
        th.join(20)
        assert not th.is_alive()
    else:
        work()
    assert out["v"].verdict == "unusable" and out["v"].limited, out["v"].message
    assert out["v"].exit_code == 2
    assert "longer than 0.3 s" in out["v"].message
    assert out["t"] < 5


def test_checks_in_worker_threads_run_side_by_side():
    from concurrent.futures import ThreadPoolExecutor
    text = "for b, j: s.grad[b, j] += p.grad[b, j] * p[b, j]"
    with ThreadPoolExecutor(4) as pool:
        verdicts = list(pool.map(lambda _: check("softmax", "a", text).verdict, range(8)))
    assert verdicts == ["correct"] * 8


# --------------------------------------------------------------------------
# 8. inputs drawn where the answer is defined; symbols in their ranges
# --------------------------------------------------------------------------

ADAM = """id: adam_step
title: One Adam step
source: a test, after Kingma and Ba (2015)
index: {i: N}
symbols:
  alpha: {positive: true}
  eps: {positive: true}
tensors:
  W: {shape: [i], role: parameter}
  m: {shape: [i], role: input}
  v: {shape: [i], role: input}
  Wn: {shape: [i]}
  Loss: {shape: []}
program: |
  Wn[i] = W[i] - alpha * m[i] / (sqrt(v[i]) + eps)
  for i: Loss += Wn[i]^2
sizes: {N: 3}
parts:
  a: {ask: backprop, from: Loss, to: [m, v], text: x}
"""


def test_an_input_under_a_square_root_is_drawn_positive():
    spec = parse_spec(ADAM)
    assert spec.program.tensors["v"].domain == "positive"
    from derive.check.loops import _reference
    derived = _reference(spec, spec.part("a"), simplify=True).program.text()
    v = check_answer(spec, "a", derived)
    assert v.verdict == "correct", v.message


def test_a_log_of_one_minus_an_input_draws_it_in_the_unit_interval():
    spec = parse_spec("""id: t
title: t
source: a test
index: {j: J}
tensors:
  q: {shape: [j], role: input}
  y: {shape: [j]}
program: |
  y[j] = log(1 - q[j]) + log(q[j])
sizes: {J: 3}
parts:
  a: {ask: backprop, from: y, to: q, text: x}
""")
    env = run(spec.program, {"J": 3}, seed=0)
    assert np.all((env["q"] > 0) & (env["q"] < 1)) and np.all(np.isfinite(env["y"]))
    ok = "q.grad[j] = y.grad[j] * (1/q[j] - 1/(1 - q[j]))"
    assert check_answer(spec, "a", ok).verdict == "correct"
    assert check_answer(spec, "a", "q.grad[j] = y.grad[j] / q[j]").verdict == "incorrect"


RANGE_SPEC = """id: t
title: t
source: a test
index: {j: J}
symbols:
  q: {range: '(0, 1)'}
tensors:
  x: {shape: [j], role: input}
  y: {shape: [j]}
program: |
  y[j] = log(1 - q) * x[j] + log(q) * x[j]
sizes: {J: 3}
parts:
  a: {ask: backprop, from: y, to: x, text: x}
"""


def test_a_symbol_with_a_range_is_drawn_inside_it():
    spec = parse_spec(RANGE_SPEC)
    q = spec.symbols["q"]
    assert q.is_positive
    for seed in range(20):
        assert 0 < random_symbols(spec.program, seed)["q"] < 1
    ok = "x.grad[j] = y.grad[j] * (log(1 - q) + log(q))"
    assert check_answer(spec, "a", ok).verdict == "correct"
    from derive.check.compare import Points
    pts = Points({q}, n=30, seed=3, ranges=spec.program.ranges)
    assert all(0 < p[q] < 1 for p in pts.points)


@pytest.mark.parametrize("bad, message", [
    ("'(1, 0)'", "lower bound must be below"),
    ("'0..1'", "expected an interval"),
    ("'(0, x)'", "bad bound"),
])
def test_a_bad_symbol_range_is_a_spec_error(bad, message):
    from derive.core.errors import SpecError
    with pytest.raises(SpecError, match=message):
        parse_spec(RANGE_SPEC.replace("'(0, 1)'", bad))


def test_real_true_on_a_symbol_is_accepted_and_real_false_refused():
    from derive.core.errors import SpecError
    parse_spec(RANGE_SPEC.replace("{range: '(0, 1)'}", "{real: true, range: '(0, 1)'}"))
    with pytest.raises(SpecError, match="symbols are real numbers"):
        parse_spec(RANGE_SPEC.replace("{range: '(0, 1)'}", "{real: false}"))


# --------------------------------------------------------------------------
# 9. numbers at the precision derive itself displays
# --------------------------------------------------------------------------

NUMERIC_SIGMA = """id: t
title: t
source: a test
index: {i: N}
tensors:
  w: {shape: [i], role: parameter}
  x: {shape: [i], role: input}
  z: {shape: []}
  u: {shape: []}
program: |
  z = w[I] * x[I]
  u = sigma(z)
values: |
  w = [1, -2]
  x = [3, 4]
sizes: {N: 2}
parts:
  a: {ask: numeric, show: [z, u], text: x}
"""


@pytest.mark.parametrize("u, verdict", [
    ("0.0067", "correct"),        # sigma(-5) = 0.0066929: rounded to 2 significant digits
    ("0.006693", "correct"),
    ("0.00669", "correct"),
    ("6.7e-3", "correct"),
    ("0.0066", "incorrect"),      # truncated, not rounded
    ("0.007", "incorrect"),       # one significant digit
    ("0.0068", "incorrect"),
], ids=["2_digits", "4_digits", "3_digits", "scientific", "truncated", "1_digit", "off"])
def test_a_value_correctly_rounded_to_the_digits_written_is_accepted(u, verdict):
    spec = parse_spec(NUMERIC_SIGMA)
    v = check_answer(spec, "a", f"z = -5\nu = {u}")
    assert v.verdict == verdict, (v.message, v.diagnosis)


def test_derives_own_printed_value_is_accepted_back():
    spec = parse_spec(NUMERIC_SIGMA)
    from derive.answers import solve_part
    shown = np.round(solve_part(spec, "a").values["u"], 4)
    assert check_answer(spec, "a", f"z = -5\nu = {float(shown)}").verdict == "correct"


@pytest.mark.parametrize("target, text, verdict", [
    ("init_variance:d", "max Var(u) = 0.25", "correct"),
    ("init_variance:d", "max Var(u) = 0.26", "incorrect"),
    ("init_variance:b", "E(u) = 0.50", "correct"),
])
def test_a_rounded_number_for_an_expression(target, text, verdict):
    problem, part = target.split(":")
    assert check(problem, part, text).verdict == verdict


# --------------------------------------------------------------------------
# 10. batch mode keeps every result
# --------------------------------------------------------------------------

RIGHT = "for b, j: s.grad[b, j] += p.grad[b, j] * p[b, j]"
WRONG = "for b, j: s.grad[b, j] -= p.grad[b, j] * p[b, j]"


def _write_csv(path, rows, bom=False, crlf=False):
    with open(path, "w", newline="", encoding="utf-8-sig" if bom else "utf-8") as f:
        w = csv.writer(f, lineterminator="\r\n" if crlf else "\n")
        w.writerows(rows)


def _results(path):
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_batch_survives_a_ragged_row_an_unknown_problem_and_a_crash(tmp_path, monkeypatch):
    import derive.check.answer as C
    real = C.check_answer

    def flaky(spec, part, text, **kw):
        if "CRASH" in text:
            raise RuntimeError("simulated crash")
        return real(spec, part, text, **kw)
    monkeypatch.setattr(C, "check_answer", flaky)
    src = tmp_path / "in.csv"
    _write_csv(src, [["student", "problem", "part", "answer"],
                     ["ada", "softmax", "a", RIGHT],
                     ["bob", "softmax", "a"],                       # ragged
                     ["cy", "nosuch", "a", RIGHT],
                     ["dee", "softmax", "a", "CRASH"],
                     ["eve", "softmax", "a", WRONG]])
    out = tmp_path / "out.csv"
    r = invoke("check", "--batch", str(src), "-o", str(out))
    got = _results(out)
    assert [g["student"] for g in got] == ["ada", "bob", "cy", "dee", "eve"]
    assert [g["verdict"] for g in got] == ["correct", "unusable", "unusable", "error",
                                           "incorrect"]
    assert "3 fields, expected 4" in got[1]["message"]
    assert r.exit_code == 3                 # derive failed on one row


def test_batch_accepts_a_spreadsheet_csv_with_bom_and_crlf(tmp_path):
    src = tmp_path / "in.csv"
    _write_csv(src, [["Student", "Problem", "Part", "Answer"],
                     ["ada", "softmax", "a", RIGHT]], bom=True, crlf=True)
    out = tmp_path / "out.csv"
    r = invoke("check", "--batch", str(src), "-o", str(out))
    assert r.exit_code == 0, r.output
    row = _results(out)[0]
    assert row["verdict"] == "correct"
    assert row["score"] == "1.0" and row["max_score"] == "1.0"
    assert row["quantities"] == "s.grad: correct"


def test_batch_refuses_an_output_equal_to_its_input(tmp_path):
    src = tmp_path / "in.csv"
    _write_csv(src, [["student", "problem", "part", "answer"], ["ada", "softmax", "a", RIGHT]])
    before = src.read_text()
    r = invoke("check", "--batch", str(src), "-o", str(src))
    assert r.exit_code == 2 and "would overwrite the answers file" in r.output
    assert src.read_text() == before


def test_batch_reports_an_unwritable_output_before_any_check(tmp_path, monkeypatch):
    import derive.check.answer as C
    calls = []
    monkeypatch.setattr(C, "check_answer", lambda *a, **k: calls.append(1))
    src = tmp_path / "in.csv"
    _write_csv(src, [["student", "problem", "part", "answer"], ["ada", "softmax", "a", RIGHT]])
    r = invoke("check", "--batch", str(src), "-o", str(tmp_path / "no" / "such" / "out.csv"))
    assert r.exit_code == 2 and "does not exist" in r.output
    assert not calls


def test_batch_keeps_the_rows_judged_before_an_interrupt(tmp_path, monkeypatch):
    import derive.check.answer as C
    real = C.check_answer
    seen = []

    def interrupt_second(spec, part, text, **kw):
        seen.append(text)
        if len(seen) == 2:
            raise KeyboardInterrupt
        return real(spec, part, text, **kw)
    monkeypatch.setattr(C, "check_answer", interrupt_second)
    src = tmp_path / "in.csv"
    _write_csv(src, [["student", "problem", "part", "answer"],
                     ["ada", "softmax", "a", RIGHT], ["bob", "softmax", "a", RIGHT],
                     ["cy", "softmax", "a", RIGHT]])
    out = tmp_path / "out.csv"
    r = invoke("check", "--batch", str(src), "-o", str(out))
    assert r.exit_code == 130
    assert [g["student"] for g in _results(out)] == ["ada"]


def test_batch_time_out_is_that_rows_verdict_and_the_exit_is_not_zero(tmp_path, monkeypatch):
    import derive.check.answer as C
    real_loops, real_check = C._check_loops, C.check_answer

    def slow_for_ada(spec, part, text, verdict, show):
        if "SLOW" in text:
            _busy()
        return real_loops(spec, part, text.replace("SLOW", ""), verdict, show)
    monkeypatch.setattr(C, "_check_loops", slow_for_ada)
    monkeypatch.setattr(C, "check_answer",
                        lambda spec, part, text, **kw: real_check(spec, part, text,
                                                                  time_limit_s=0.3))
    src = tmp_path / "in.csv"
    _write_csv(src, [["student", "problem", "part", "answer"],
                     ["ada", "softmax", "a", "SLOW"], ["bob", "softmax", "a", RIGHT]])
    out = tmp_path / "out.csv"
    r = invoke("check", "--batch", str(src), "-o", str(out))
    got = _results(out)
    assert got[0]["verdict"] == "unusable" and "longer than" in got[0]["message"]
    assert got[1]["verdict"] == "correct"
    assert r.exit_code == 2


def test_batch_score_comes_from_the_parts_points(tmp_path):
    spec_dir = tmp_path / "problems"
    spec_dir.mkdir()
    text = (resolve_problem("mlp_numeric").read_text()
            .replace("    ask: numeric\n    show: [y.grad",
                     "    ask: numeric\n    points: 6\n    show: [y.grad"))
    (spec_dir / "mlp_numeric.yaml").write_text(text)
    src = tmp_path / "in.csv"
    _write_csv(src, [["student", "problem", "part", "answer"],
                     ["ada", "mlp_numeric", "backward", "x.grad = [-6, 6]\nv.grad = [2, 0]"]])
    out = tmp_path / "out.csv"
    r = invoke("--problems", str(spec_dir), "check", "--batch", str(src), "-o", str(out))
    assert r.exit_code == 0, r.output
    row = _results(out)[0]
    assert (row["verdict"], row["score"], row["max_score"]) == ("incorrect", "2.0", "6.0")
    assert "y.grad: missing" in row["quantities"]


# --------------------------------------------------------------------------
# 11. feedback that names the commonest classroom mistakes
# --------------------------------------------------------------------------

RNN_A = lines(
    "for t in T..1:",
    "    h.grad[t, m] += V[C, m] * (yhat[t, C] - y[t, C])",
    "    h.grad[t, m] += U[I, m] * z.grad[t+1, I]",
    "    z.grad[t, m] = h.grad[t, m] * (1 - h[t, m]^2)")

MLP_REG = "mlp_regression"


@pytest.mark.parametrize("problem, part, text, words", [
    ("vanilla_rnn_bptt", "a", RNN_A.replace("(1 - h[t, m]^2)", "(1 - z[t, m]^2)"),
     "the pre-activation where the activation belongs: in line 4, z is read where h belongs"),
    ("vanilla_rnn_bptt", "a", RNN_A.replace(" * (1 - h[t, m]^2)", ""),
     "a local derivative is missing: in line 4, h.grad"),
    ("vanilla_rnn_bptt", "a", RNN_A.replace("(1 - h[t, m]^2)", "(1 - h[t, m]^2)^2"),
     "a local derivative is applied twice: in line 4, h.grad"),
    ("vanilla_rnn_bptt", "b", RNN_B.replace("b.grad[m] += z.grad[t, m]",
                                            "b.grad[m] = z.grad[t, m]"),
     "`=` where `+=` belongs: line 5"),
    ("vanilla_rnn_bptt", "b", RNN_B.replace("z.grad[t, m] * h[t-1, i]",
                                            "z.grad[t, m] * h[t, i]"),
     "an index is off by one"),
], ids=["preactivation", "local_missing", "local_twice", "assign", "wrong_step"])
def test_the_classroom_mistake_is_named(problem, part, text, words):
    v = check(problem, part, text)
    assert v.verdict == "incorrect"
    assert any(words in d for d in v.diagnosis), v.diagnosis


def test_the_unflipped_kernel_is_named():
    spec = spec_of("lenet5")
    from derive.check.loops import _reference
    ref = _reference(spec, spec.part("a"), simplify=True).program.text()
    assert check_answer(spec, "a", ref).verdict == "correct"
    # the input gradient written as a full correlation with the offsets' sign flipped
    right = ("for m, n, d, dx, dy, p: X0.grad[m + dx, n + dy, p] += "
             "W[dx, dy, p, d] * Yt.grad[m, n, d]")
    if right in ref:
        wrong = ref.replace(right, "for m, n, d, dx, dy, p: X0.grad[m + dx, n + dy, p] += "
                                   "W[dx, dy, p, d] * Yt.grad[m + dx - dx, n, d]")
        v = check_answer(spec, "a", wrong)
        assert v.verdict == "incorrect"


def test_a_counterexample_avoids_sizes_where_the_true_gradient_is_zero():
    """Batch norm with the unbiased variance at B = 2 has x.grad identically zero: a
    counterexample there shows nothing."""
    wrong = lines("for b, j: s.grad[j] -= 1/2 * xp.grad[b, j] * (x[b, j] - mu[j]) * s[j]^(-3/2)",
                  "for b, j: x.grad[b, j] += xp.grad[b, j] / sqrt(s[j])",
                  "for b, j: mu.grad[j] -= xp.grad[b, j] / sqrt(s[j])",
                  "for b, j: x.grad[b, j] += 2/(B-1) * s.grad[j] * (x[b, j] - mu[j])",
                  "for b, j: x.grad[b, j] += 1/B * mu.grad[j] * 2")
    v = check("batchnorm", "a", wrong)
    assert v.verdict == "incorrect"
    ce = v.counterexample
    assert ce is not None and ce["sizes"]["B"] >= 3, ce


def test_an_order_mistake_in_one_gradient_leaves_the_others_judged_right():
    """x.grad reads mu.grad before it is complete; mu.grad and s.grad are right."""
    text = lines("for b, j: s.grad[j] -= 1/2 * xp.grad[b, j] * (x[b, j] - mu[j]) * s[j]^(-3/2)",
                 "for b, j: x.grad[b, j] += xp.grad[b, j] / sqrt(s[j]) + 2/(B-1) * s.grad[j] "
                 "* (x[b, j] - mu[j]) + mu.grad[j] / B",
                 "for b, j: mu.grad[j] -= xp.grad[b, j] / sqrt(s[j])",
                 "for b, j: mu.grad[j] -= 2/(B-1) * s.grad[j] * (x[b, j] - mu[j])")
    v = check("batchnorm", "a", text)
    assert v.verdict == "incorrect"
    assert {q.name: q.verdict for q in v.quantities} == {
        "x.grad": "incorrect", "mu.grad": "correct", "s.grad": "correct"}
    assert v.score == pytest.approx(2 / 3, abs=1e-6)
    assert any("wrong order of statements" in d for d in v.diagnosis)


def test_an_index_range_mistake_in_one_line_leaves_the_other_lines_judged():
    text = lines("for j: a2.grad[j] = yhat[j] - y[j]",
                 "for j, k: W2.grad[j, k] = a2.grad[j] * z[k] + lam * W2[j, k]",
                 "for k: b2.grad[k] = a2.grad[k]",
                 "for k: a1.grad[k] = a2.grad[J] * W2[J, k] * z[k] * (1 - z[k])",
                 "for k, i: W1.grad[k, i] = a1.grad[k] * x[i] + lam * W1[k, i]",
                 "for k: b1.grad[k] = a1.grad[k]")
    v = check("mlp_ce_l2", "grad", text)
    assert v.verdict == "incorrect"
    assert {q.name: q.verdict for q in v.quantities}["b2.grad"] == "incorrect"
    assert sum(q.verdict == "correct" for q in v.quantities) == 3
    assert "index 'k' runs over" in v.diagnosis[0]


DROPOUT = """id: t
title: t
source: a test
index: {i: N}
symbols:
  q: {range: '(0, 1)'}
tensors:
  x: {shape: [i], role: input}
  m: {shape: [i], role: input, domain: unit}
  h: {shape: [i]}
  y: {shape: [i]}
program: |
  h[i] = m[i] * tanh(x[i]) / q
  y[i] = h[i] * h[i]
sizes: {N: 4}
parts:
  a: {ask: backprop, from: y, to: x, text: x}
"""


@pytest.mark.parametrize("wrong, words", [
    ("x.grad[i] = 2 * h[i] * y.grad[i] * (1 - tanh(x[i])^2)", "a local derivative is missing"),
    ("x.grad[i] = 2 * h[i] * y.grad[i] * m[i] * (1 - tanh(x[i])^2)",
     "a local derivative is missing"),
], ids=["mask_and_scale_missing", "scale_missing"])
def test_a_missing_dropout_mask_or_scale_is_named(wrong, words):
    spec = parse_spec(DROPOUT)
    right = "x.grad[i] = 2 * h[i] * y.grad[i] * m[i] * (1 - tanh(x[i])^2) / q"
    assert check_answer(spec, "a", right).verdict == "correct"
    v = check_answer(spec, "a", wrong)
    assert v.verdict == "incorrect"
    assert any(words in d for d in v.diagnosis), v.diagnosis


# --------------------------------------------------------------------------
# found by the second corpus (tests/corpus2), written without sight of derive's code
# --------------------------------------------------------------------------

def test_an_update_answer_may_use_an_intermediate_gradient_as_its_temporary():
    text = lines("for j: a2.grad[j] = yhat[j] - y[j]",
                 "for k: z.grad[k] = a2.grad[J] * W2[J, k]",
                 "for k, i: W1[k, i] -= eta * (z.grad[k] * z[k] * (1 - z[k]) * x[i] "
                 "+ lam * W1[k, i])",
                 "for k: b1[k] -= eta * z.grad[k] * z[k] * (1 - z[k])",
                 "for j, k: W2[j, k] -= eta * (a2.grad[j] * z[k] + lam * W2[j, k])",
                 "for j: b2[j] -= eta * a2.grad[j]")
    assert check("mlp_ce_l2", "sgd", text).verdict == "correct"


def test_a_temporary_named_like_the_gradient_of_an_unknown_tensor():
    """Rin.grad is the student's name for the gradient of their own pre-activation."""
    text = RNN_A.replace("z.grad[t, m] = h.grad[t, m] * (1 - h[t, m]^2)",
                         "Rin.grad[t, m] = h.grad[t, m] * (1 - h[t, m]^2)\n"
                         "    z.grad[t, m] = Rin.grad[t, m]")
    assert check("vanilla_rnn_bptt", "a", text).verdict == "correct"


@pytest.mark.parametrize("problem, part, old, new", [
    ("vanilla_rnn_bptt", "b", "    for m, i: U.grad[m, i] += z.grad[t, m] * h[t-1, i]",
     "    U.grad[m, i] += z.grad[t, m] * h[t-1, i]"),
    ("softmax", "a", None, "s.grad[b, j + 0] = p.grad[b, j] * p[b, j]"),
    ("vanilla_rnn_bptt", "a", None,
     lines("for t in T..1:",
           "    h.grad[t, m] += V[C, m] * (yhat[t, C] - y[t, C])",
           "    h.grad[t-1, m] += 0 * U[I, m]",
           "    z.grad[t, m] = h.grad[t, m] * (1 - h[t, m]^2)",
           "    h.grad[t-1, i] += U[M, i] * z.grad[t, M]")),
], ids=["plain", "index_arithmetic", "shifted_target"])
def test_a_statement_without_for_loops_over_the_indices_inside_its_target(problem, part, old,
                                                                          new):
    text = RNN_B.replace(old, new) if old else new
    assert check(problem, part, text).verdict == "correct"


@pytest.mark.parametrize("target, text, verdict", [
    ("resnet_variance:b", "sigma_W = sqrt(0.693/(L*D^2*J))", "correct"),
    ("resnet_variance:b", "sigma_W = sqrt(0.6931/(L*D^2*J))", "correct"),
    ("resnet_variance:b", "sigma_W = sqrt(0.70/(L*D^2*J))", "incorrect"),
    ("he_init:d", "E(h) = 0.3989*sqrt(v)", "correct"),
    ("he_init:d", "E(h) = 0.4*sqrt(v)", "incorrect"),        # one significant digit
], ids=["inside_sqrt", "four_digits", "badly_rounded", "coefficient", "one_digit"])
def test_a_decimal_anywhere_in_an_expression_is_read_at_its_precision(target, text, verdict):
    problem, part = target.split(":")
    assert check(problem, part, text).verdict == verdict


@pytest.mark.parametrize("text, verdict", [
    ("O(log T)", "incorrect"),
    ("O(T log J)", "correct"),
    ("O(T log J + log K)", "correct"),       # derive's own printed form
    ("depth = T log J", "correct"),
], ids=["log_T", "T_log_J", "printed_form", "no_O"])
def test_an_order_written_as_textbooks_print_it(text, verdict):
    assert check("rnn_unroll", "b", text).verdict == verdict


def test_a_temporary_read_before_it_is_written_is_an_order_mistake():
    text = lines("for b, j: s.grad[b, j] += p[b, j] * (p.grad[b, j] + e[b])",
                 "for b, j: e[b] -= p[b, j] * p.grad[b, j]")
    v = check("softmax", "full", text)
    assert v.verdict == "incorrect"
    assert "statement 1 reads e before statement 2 writes it" in " ".join(v.diagnosis)
