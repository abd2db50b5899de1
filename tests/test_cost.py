"""The cost engine: work, memory and parallel depth, checked by unrolling.

Rows of the operation and depth tables, orders of growth, every bundled
problem's forward and backward programs counted element by element against
the symbolic formulas, and the `cost` parts of the bundled problems.
"""
from __future__ import annotations

import functools

import pytest
import sympy as sp
from click.testing import CliRunner

from derive.engines.backward import derive_backward
from derive.cli import cli
from derive.engines.cost.analysis import analyse
from derive.engines.cost.memory import backward_of
from derive.run.counting import check_by_counting, count
from derive.engines.cost.count import expr_depth, expr_ops
from derive.core.growth import clog2
from derive.answers.cost import cost_line
from derive.core.growth import order
from derive.engines.cost.depth import provably_nonneg
from derive.core.errors import SpecError
from derive.core.program import grad_name
from derive.front.resolve import build_program
from derive.answers import solve_part
from derive.engines.backward import tidy
from derive.present.steps import step_text
from derive.front.spec import load_spec, parse_spec
from derive.front.folder import default_problems_dir, find_problems

BUNDLED = [p.stem for p in find_problems(default_problems_dir())]


@functools.lru_cache(maxsize=None)
def spec_of(problem):
    return load_spec(default_problems_dir() / f"{problem}.yaml")


def sym(name):
    return sp.Symbol(name, integer=True, positive=True)


B, J, T, L = sym("B"), sym("J"), sym("T"), sym("L")
x, y, z = sp.symbols("x y z")

# ---- one right-hand side: (expression, operations, depth) ------------------
EXPRESSIONS = [
    (x, 0, 0),
    (x + y, 1, 1),
    (x + y + z, 2, 2),                     # a tree of three terms: depth 2
    (y * z * x ** 3, 3, 3),                # two products in a tree, after the power
    (sp.exp(x) / y, 3, 2),                 # exp, 1/y, the product
    (sp.tanh(x * y + z), 3, 3),
    (sp.sqrt(x), 1, 1),
]


@pytest.mark.parametrize("expr, ops, depth", EXPRESSIONS, ids=[str(e[0]) for e in EXPRESSIONS])
def test_operations_and_depth_of_an_expression(expr, ops, depth):
    assert expr_ops(expr) == ops
    assert expr_depth(expr) == depth


@pytest.mark.parametrize("n, d", [(1, 0), (2, 1), (3, 2), (4, 2), (5, 3), (16, 4), (17, 5)])
def test_ceil_log2_is_the_depth_of_a_balanced_tree(n, d):
    assert clog2(n) == d


# ---- orders of growth --------------------------------------------------------
ORDERS = [
    (6 * B * J, None, "O(BJ)"),
    (clog2(J) + 3, None, "O(log J)"),
    (T * clog2(J) + 6 * T + clog2(B * T), None, "O(T log J + log B)"),
    (T * clog2(J) + 6 * T + clog2(B * T), ["T"], "O(T)"),
    (4 * B * J ** 2 * T + 7 * B * J * T, None, "O(BTJ^2)"),
    (sp.Integer(5), None, "O(1)"),
    (L * clog2(J + 1) + 5 * L, ["L"], "O(L)"),
]


class _Sizes:
    sizes = {"B": B, "T": T, "J": J, "L": L}


@pytest.mark.parametrize("expr, only, text", ORDERS, ids=[r[2] + str(r[1]) for r in ORDERS])
def test_order_of_growth(expr, only, text):
    assert order(expr, _Sizes, only) == text


@pytest.mark.parametrize("d, provable", [
    (T - 1, True),
    (T * clog2(J) - clog2(J), True),
    (clog2(2 * J + 3) - clog2(J), True),         # ceil(log2) grows with its argument
    (clog2(J) - clog2(B), False),
    (T - 3, False),
])
def test_provably_nonnegative_for_sizes_of_at_least_2(d, provable):
    assert provably_nonneg(d) is provable


# ---- every bundled problem: formulas equal the counts ------------------------

def backprop_parts(problem):
    spec = spec_of(problem)
    return [lab for lab, p in spec.parts.items() if p.kind in ("backprop", "gradient")]


PAIRS = [(p, lab) for p in BUNDLED for lab in backprop_parts(p)]


@functools.lru_cache(maxsize=None)
def part_backward(problem, label):
    spec = spec_of(problem)
    a = spec.part(label).args
    bw = derive_backward(spec.program, a["from"], a["to"], a.get("through"),
                         a.get("average_over"))
    tidy(bw.program)
    return bw


def small_sizes(spec):
    base = {n: 2 for n in spec.program.sizes}
    return [base, {n: 3 for n in spec.program.sizes}]


@pytest.mark.parametrize("problem", BUNDLED, ids=BUNDLED)
def test_forward_formulas_equal_the_counts(problem):
    spec = spec_of(problem)
    cost = analyse(spec.program)
    v = check_by_counting(spec.program, cost, small_sizes(spec))
    assert v.passed, v.summary()


@pytest.mark.parametrize("problem, label", PAIRS, ids=[f"{p}:{l}" for p, l in PAIRS])
def test_backward_formulas_equal_the_counts(problem, label):
    spec = spec_of(problem)
    bw = part_backward(problem, label)
    seeded = [grad_name(s) for s in bw.sources]
    v = check_by_counting(bw.program, analyse(bw.program, seeded), small_sizes(spec), seeded)
    assert v.passed, v.summary()


# the cost line of every bundled backprop problem (its first backprop/gradient part)
COST_LINES = {
    "batchnorm":  # part a
        "forward work O(BJ), backward work O(BJ), parallel depth O(log B), "
        "memory kept O(BJ)",
    "gru":  # part a
        "forward work O(BTJ^2 + BTJK), backward work O(BTJ^2 + BTJK), "
        "parallel depth O(T log J + log K) forward, "
        "O(T log J + log B) backward, memory kept O(BTJ + BTK + J^2)",
    "lenet5":  # part a
        "forward work O(PFGMND + DRC), backward work O(DRC), "
        "parallel depth O(log P + log F + log G) forward, "
        "O(log R + log C) backward, memory kept O(MND + DRC)",
    "loss_heads":  # part c
        "forward work O(LN^2), backward work O(LN^2), "
        "parallel depth O(L log N), memory kept O(LN^2)",
    "mlp_ce_l2":  # part grad
        "forward work O(NM + MC), backward work O(NM + MC), "
        "parallel depth O(log N + log M + log C) forward, O(log C) backward, "
        "memory kept O(NM + MC)",
    "mlp_classification":  # part b
        "forward work O(NH + HK), backward work O(NH + HK), "
        "parallel depth O(log N + log H + log K) forward, O(log K) backward, "
        "memory kept O(HK + N)",
    "mlp_numeric":  # part vectorized
        "forward work O(HD), backward work O(HD), "
        "parallel depth O(log H + log D) forward, O(1) backward, "
        "memory kept O(H + D)",
    "mlp_regression":  # part b
        "forward work O(NH + HK), backward work O(NH + HK), "
        "parallel depth O(log N + log H + log K) forward, O(log K) backward, "
        "memory kept O(HK + N)",
    "relu_unit":  # part a
        "forward work O(d), backward work O(d), "
        "parallel depth O(log d) forward, O(1) backward, memory kept O(d)",
    "softmax":  # part a
        "forward work O(BJ), backward work O(BJ), "
        "parallel depth O(log J) forward, O(1) backward, memory kept O(BJ)",
    "two_gate_rnn":  # part a
        "forward work O(BTJ^2 + BTJK), backward work O(BTJ^2 + BTJK), "
        "parallel depth O(T log J + log K) forward, "
        "O(T log J + log B) backward, memory kept O(BTJ + BTK + J^2)",
    "ugcnn":  # part a
        "forward work O(BXYJ^2D^2), backward work O(BXYJ^2D^2), "
        "parallel depth O(log J + log D) forward, "
        "O(log B + log X + log Y + log J + log D) backward, "
        "memory kept O(BXYJ + J^2D^2)",
    "ugrnn":  # part b
        "forward work O(BTJ^2 + BTJK), backward work O(BTJ^2 + BTJK), "
        "parallel depth O(T log J + log K) forward, "
        "O(log B + log T + log J) backward, memory kept O(BTJ + BTK + J^2 + JK)",
    "vanilla_rnn_bptt":  # part a
        "forward work O(TM^2 + TMN + TMC), backward work O(TM^2 + TMC), "
        "parallel depth O(T log M + log N + log C) forward, "
        "O(T log M + log C) backward, memory kept O(M^2 + TM + TC + MC)",
}


@pytest.mark.parametrize("problem", list(COST_LINES), ids=list(COST_LINES))
def test_cost_line_of_a_backprop_problem(problem):
    spec = spec_of(problem)
    label = backprop_parts(problem)[0]
    assert cost_line(spec.program, part_backward(problem, label)) == COST_LINES[problem]


def test_softmax_depth_is_3_plus_ceil_log2_J():
    spec = spec_of("softmax")
    cost = analyse(spec.program)
    J_ = spec.program.sizes["J"]
    assert sp.simplify(cost.depth - (3 + clog2(J_))) == 0
    assert sp.expand(cost.work - 6 * spec.program.sizes["B"] * J_) == 0
    for j in (2, 4, 8, 16):
        assert count(spec.program, {"B": 2, "J": j}).depth == 3 + (j - 1).bit_length()


def test_a_statement_reading_its_own_target_shifted_is_a_chain(make_scope):
    scope = make_scope({"t": "1..T", "j": "J"},
                       {"a": ("t j", "input"), "c": ("t j", "computed")})
    prog = build_program("for t, j: c[t, j] = a[t, j] * c[t - 1, j] + a[t, j]", scope)
    cost = analyse(prog)
    assert order(cost.depth, prog) == "O(T)"
    assert len(cost.recurrences) == 1
    assert check_by_counting(prog, cost, [{"T": t, "J": 3} for t in (2, 4, 8)]).passed


def test_a_sum_over_j_is_a_tree_not_a_chain(make_scope):
    scope = make_scope({"t": "1..T", "j": "J"},
                       {"a": ("t j", "input"), "c": ("t", "computed")})
    prog = build_program("for t, j: c[t] += a[t, j]", scope)
    cost = analyse(prog)
    assert order(cost.depth, prog) == "O(log J)"
    assert not cost.recurrences


def test_memory_kept_is_what_the_backward_reads():
    from derive.engines.cost.memory import memory_kept
    spec = spec_of("softmax")
    mem = memory_kept(spec.program, part_backward("softmax", "full").program)
    assert [n for n, _, _ in mem.tensors] == ["p"]


# ---- the cost parts -----------------------------------------------------------
COST_PARTS = [("rnn_unroll", "b", "backward parallel depth", "O(T)", "T = 2, 4, 8, 16"),
              ("loss_heads", "b", "backward work", "O(L)", "L = 2, 4, 8, 16"),
              ("rnn_lm_cost", "a", "backward work", "O(T)", "T = 2, 4, 8, 16")]


@pytest.mark.parametrize("problem, label, result, growth, counted", COST_PARTS,
                         ids=[f"{p}:{l}" for p, l, *_ in COST_PARTS])
def test_cost_part(problem, label, result, growth, counted):
    ans = solve_part(spec_of(problem), label)
    by_label = {r.label: r for r in ans.results}
    assert by_label[result].note == growth
    assert ans.verified, ans.verification.summary()
    assert counted in ans.verification.summary()
    assert growth in ans.message
    texts = " ".join(step_text(s) for s in ans.steps)
    assert "recurrence" in texts and "tree" in texts


def test_rnn_lm_cost_is_linear_not_quadratic_in_T():
    ans = solve_part(spec_of("rnn_lm_cost"), "a")
    texts = " ".join(step_text(s) for s in ans.steps)
    assert "linear in T (not quadratic)" in texts
    assert "step t reads h.grad[t, i], written by step t + 1" in texts


def test_solve_prints_the_orders_and_the_count_check():
    result = CliRunner().invoke(cli, ["solve", "rnn_unroll:b", "--steps"])
    assert result.exit_code == 0, result.output
    assert "backward parallel depth" in result.output
    assert "(O(T))" in result.output
    assert "counted by unrolling at T = 2, 4, 8, 16 (B=2, J=2, K=2): passed" in result.output
    assert "T=16, J=2, K=2: work" in result.output


def test_backprop_answers_carry_a_cost_line():
    ans = solve_part(spec_of("softmax"), "full")
    assert ans.cost == ("forward work O(BJ), backward work O(BJ), parallel depth O(log J), "
                        "memory kept O(BJ)")
    result = CliRunner().invoke(cli, ["solve", "softmax:full"])
    assert "cost: forward work O(BJ)" in result.output


SPEC = """
id: tiny
title: t
source: s
index: {b: B, j: J}
tensors:
  s: {shape: [b, j], role: input}
  Z: {shape: [b]}
program: |
  for b, j: Z[b] += exp(s[b, j])
parts:
  a: {ask: cost, of: backward, in: %s, measure: %s, text: q}
"""


@pytest.mark.parametrize("grow, measure, key", [("J", "speed", "parts.a.measure"),
                                                 ("Q", "work", "parts.a.in")])
def test_a_bad_cost_part_names_its_key(grow, measure, key):
    spec = parse_spec(SPEC % (grow, measure), "tiny.yaml")
    with pytest.raises(SpecError) as e:
        solve_part(spec, "a")
    assert key in str(e.value)


def test_final_outputs_and_the_default_backward():
    bw = backward_of(spec_of("rnn_unroll").program)
    assert bw.sources == ["h"]
    assert set(bw.targets) == {"x", "Whh", "Wxh", "Bh"}
