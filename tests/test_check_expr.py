"""derive check on expression parts: moments, solutions, bounds, recurrences, costs.

Each bundled problem with expression parts gets correct answers in several forms
(named or bare, rearranged algebra, the exact or the approximate root, the
recurrence or its solution) and typical wrong answers whose diagnosis is
asserted.  The correct values are the published ones (He et al. 2015: Var(z1) =
n sigma_W^2 v / 2 and sigma_W = sqrt(2/n); Glorot and Bengio 2010: sigma_W =
sqrt(2/(m+n)), a = sqrt(6/(m+n)); E relu(z) = sqrt(v/(2 pi)) for z ~ N(0, v)),
written by hand here, so the engine's derivation is checked against them too.
"""
from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from derive.check.answer import check_answer
from derive.check.compare import equivalent
from derive.check.lines import read_lines, split_relation, strip_order, Line
from derive.cli import cli
from derive.front.spec import load_spec
from derive.front.folder import resolve_problem

_SPECS: dict = {}


def spec_of(problem):
    if problem not in _SPECS:
        _SPECS[problem] = load_spec(resolve_problem(problem))
    return _SPECS[problem]


def row(target, text, verdict, fragment="", id=None):
    return pytest.param(target, text, verdict, fragment, id=f"{target}:{id or text[:30]}")


SIGN = "sign flipped"
FACTOR = "a constant factor is off"
SQUARE = "the square of the correct one"
ROOT = "the square root of the correct one"
OFF_BY_ONE = "off by one"
MISSING = "a term is missing"
FASTER = "grows faster than the derived cost"
SLOWER = "grows slower than the derived cost"

ROWS = [
    # ---- init_variance (seed 001, trainability problem 1) ----
    row("init_variance:a", "sigma_W = 1/sqrt(d)", "correct", id="named"),
    row("init_variance:a", "1/sqrt(d)", "correct", id="bare"),
    row("init_variance:a", "sigma_W = d^(-1/2)", "correct", id="power"),
    row("init_variance:a", "sigma_W^2 = 1/d\nE(y) = 0", "correct", id="squared_and_mean"),
    row("init_variance:a", "sigma_W = -1/sqrt(d)", "incorrect", SIGN, id="sign"),
    row("init_variance:a", "sigma_W = 1/sqrt(d) = d^(-1/2)", "correct", id="chain"),
    row("init_variance:a", "sigma_W = 1/sqrt(d) = 1/d", "incorrect", SQUARE, id="chain_wrong_link"),
    row("init_variance:a", "sigma_W = 2/sqrt(d)", "incorrect", FACTOR + ": the answer is 2 times",
        id="factor"),
    row("init_variance:a", "sigma_W = 1/d", "incorrect", SQUARE, id="variance_for_sd"),
    row("init_variance:a", "E(y) = 0", "incorrect", "sigma_W is missing", id="only_the_mean"),
    row("init_variance:a", "sigma_W = 1/sqrt(d)\nE(y) = 1", "incorrect", "line 2: E(y)",
        id="wrong_mean"),
    row("init_variance:b", "E(u) = 1/2", "correct", id="named"),
    row("init_variance:b", "0.5", "correct", id="decimal"),
    row("init_variance:b", "1/4", "incorrect", FACTOR + ": the answer is 1/2 times", id="quarter"),
    row("init_variance:b", "-1/2", "incorrect", SIGN, id="sign"),
    row("init_variance:b", "E[u] = 1", "incorrect", FACTOR + ": the answer is 2 times",
        id="brackets"),
    row("init_variance:c", "smaller", "correct", id="option"),
    row("init_variance:c", "Smaller", "correct", id="case"),
    row("init_variance:c", "larger", "incorrect", "not the right option", id="larger"),
    row("init_variance:c", "equal", "incorrect", "not the right option", id="equal"),
    row("init_variance:c", "bigger", "unusable", "expected one of the options", id="no_option"),
    row("init_variance:d", "1/4", "correct", id="bare"),
    row("init_variance:d", "Var(u) <= 1/4", "correct", id="bound"),
    row("init_variance:d", "max Var(u) = 0.25", "correct", id="max"),
    row("init_variance:d", "1/16", "incorrect", FACTOR, id="sixteenth"),
    row("init_variance:d", "1/2", "incorrect", FACTOR + ": the answer is 2 times",
        id="sd_for_variance"),
    row("init_variance:d", "-1/4", "incorrect", SIGN, id="sign"),
    # ---- he_init (He et al. 2015) ----
    row("he_init:a", "Var(z1) = n*sigma_W^2*v/2", "correct", id="named"),
    row("he_init:a", "(1/2) * n * v * sigma_W**2", "correct", id="rearranged"),
    row("he_init:a", "Var(z1) = n*sigma_W^2*v", "incorrect", FACTOR + ": the answer is 2 times",
        id="relu_half_forgotten"),
    row("he_init:a", "Var(z1) = m*sigma_W^2*v/2", "incorrect", "m where n belongs",
        id="fan_out"),
    row("he_init:a", "Var(z1) = n*sigma_W*v/2", "incorrect",
        "sigma_W where sigma_W^2 belongs", id="sigma_not_squared"),
    row("he_init:a", "Var(z1) = n^2*sigma_W^2*v/2", "incorrect", "a factor is off: the answer "
        "is n times", id="n_squared"),
    row("he_init:b", "sigma_W = sqrt(2/n)", "correct", id="named"),
    row("he_init:b", "sqrt(2)/sqrt(n)", "correct", id="bare"),
    row("he_init:b", "sigma_W^2 = 2/n", "correct", id="squared"),
    row("he_init:b", "sigma_W = sqrt(1/n)", "incorrect", FACTOR, id="glorot_like"),
    row("he_init:b", "sigma_W = sqrt(2/m)", "incorrect", "m where n belongs", id="fan_out"),
    row("he_init:b", "sigma_W = 2/n", "incorrect", SQUARE, id="variance_for_sd"),
    row("he_init:c", "E(z1) = 0", "correct", id="named"),
    row("he_init:c", "0", "correct", id="bare"),
    row("he_init:c", "E(z1) = sqrt(v/(2*pi))", "incorrect", "is not right", id="relu_mean"),
    row("he_init:c", "1/2", "incorrect", "is not right", id="half"),
    row("he_init:c", "E(z1) = sigma_W*sqrt(n*v)", "incorrect", "is not right", id="std"),
    row("he_init:c", "Var(z1) = 0", "unusable", "is not a quantity of this part: it asks for E(z1)",
        id="wrong_name"),
    row("he_init:d", "E(h) = sqrt(v/(2*pi))", "correct", id="named"),
    row("he_init:d", "sqrt(v) / sqrt(2*π)", "correct", id="unicode_pi"),
    row("he_init:d", "sqrt(v/pi)", "incorrect", FACTOR, id="no_half"),
    row("he_init:d", "v/(2*pi)", "incorrect", SQUARE, id="no_sqrt"),
    row("he_init:d", "-sqrt(v/(2*pi))", "incorrect", SIGN, id="sign"),
    row("he_init:e", "smaller", "correct", id="option"),
    row("he_init:e", "sm", "correct", id="prefix"),
    row("he_init:e", "equal", "incorrect", "not the right option", id="equal"),
    row("he_init:e", "larger", "incorrect", "not the right option", id="larger"),
    row("he_init:e", "same", "unusable", "expected one of the options", id="no_option"),
    # ---- glorot_init (Glorot and Bengio 2010) ----
    row("glorot_init:a", "Var(y) = n*v*sigma_W^2", "correct", id="named"),
    row("glorot_init:a", "sigma_W^2 * v * n", "correct", id="bare"),
    row("glorot_init:a", "Var(y) = m*v*sigma_W^2", "incorrect", "m where n belongs", id="fan"),
    row("glorot_init:a", "Var(y) = n*v*sigma_W^2/2", "incorrect", FACTOR, id="half"),
    row("glorot_init:a", "Var(y) = n*v*sigma_W", "incorrect", "sigma_W where sigma_W^2",
        id="unsquared"),
    row("glorot_init:b", "Var(x.grad) = g*m*sigma_W^2", "correct", id="named"),
    row("glorot_init:b", "m * g * sigma_W**2", "correct", id="bare"),
    row("glorot_init:b", "Var(x.grad) = g*n*sigma_W^2", "incorrect", "n where m belongs",
        id="fan_in_for_fan_out"),
    row("glorot_init:b", "Var(x.grad) = -g*m*sigma_W^2", "incorrect", SIGN, id="sign"),
    row("glorot_init:b", "Var(x.grad) = g*m^2*sigma_W^2", "incorrect", "m times", id="m2"),
    row("glorot_init:c", "sigma_W = 1/sqrt(n)", "correct", id="named"),
    row("glorot_init:c", "n^(-1/2)", "correct", id="bare"),
    row("glorot_init:c", "sigma_W = 1/sqrt(m)", "incorrect", "m where n belongs", id="fan"),
    row("glorot_init:c", "sigma_W = 1/n", "incorrect", SQUARE, id="variance"),
    row("glorot_init:c", "sigma_W = sqrt(2/n)", "incorrect", FACTOR, id="he"),
    row("glorot_init:e", "sigma_W = sqrt(2/(m+n))", "correct", id="named"),
    row("glorot_init:e", "sqrt(2)/sqrt(n + m)", "correct", id="bare"),
    row("glorot_init:e", "sigma_W = sqrt(1/(m+n))", "incorrect", FACTOR, id="no_two"),
    row("glorot_init:e", "sigma_W = 2/(m+n)", "incorrect", SQUARE, id="variance"),
    row("glorot_init:e", "sigma_W = sqrt(2/(m+n+1))", "incorrect", "is not right", id="plus1"),
    row("glorot_init:f", "a = sqrt(6/(m+n))", "correct", id="named"),
    row("glorot_init:f", "a^2 = 6/(m+n)", "correct", id="squared"),
    row("glorot_init:f", "a = sqrt(3/(m+n))", "incorrect", FACTOR, id="three"),
    row("glorot_init:f", "a = 6/(m+n)", "incorrect", SQUARE, id="variance"),
    row("glorot_init:f", "a = sqrt(6/(m+n))\nE(W) = 1", "incorrect", "line 2", id="mean"),
    # ---- resnet_variance (seed 001, trainability problem 3) ----
    row("resnet_variance:a", "sigma2(l + 1) = (1 + J*D^2*sigma_W^2) * sigma2(l)", "correct",
        id="recurrence"),
    row("resnet_variance:a", "sigma2(l) = (1 + J*D^2*sigma_W^2)^l", "correct", id="solution"),
    row("resnet_variance:a", "(D^2*J*sigma_W^2 + 1)^l", "correct", id="bare_solution"),
    row("resnet_variance:a", "sigma2(l+1) = J*D^2*sigma_W^2*sigma2(l)", "incorrect", MISSING,
        id="no_skip"),
    row("resnet_variance:a", "(1 + J*D^2*sigma_W^2)^(l+1)", "incorrect",
        OFF_BY_ONE + ": the answer is the correct one with l replaced by l + 1", id="off_by_one"),
    row("resnet_variance:a", "sigma2(l) = (1 + J*D^2*sigma_W^2)^(2*l)", "incorrect", SQUARE,
        id="doubled_exponent"),
    row("resnet_variance:b", "sigma_W = sqrt(2^(1/L) - 1)/(D*sqrt(J))", "correct", id="exact"),
    row("resnet_variance:b", "sigma_W ≈ sqrt(log(2)/(J*L))/D", "correct", id="approximate"),
    row("resnet_variance:b", "sigma_W = sqrt(log(2)/(J*L))/D^2", "incorrect", "a factor is off",
        id="D2"),
    row("resnet_variance:b", "sigma_W = sqrt(2^(1/L))/(D*sqrt(J))", "incorrect", "", id="no_minus1"),
    row("resnet_variance:b", "sigma_W = (2^(1/L) - 1)/(D^2*J)", "incorrect", SQUARE,
        id="variance"),
    row("resnet_variance:c", "sigma2_grad(l) = (1 + J*D^2*sigma_W^2)^(L - l)", "correct",
        id="solution"),
    row("resnet_variance:c", "sigma2_grad(l) = (1 + J*D^2*sigma_W^2) * sigma2_grad(l + 1)",
        "correct", id="recurrence"),
    row("resnet_variance:c", "(1 + J*D^2*sigma_W^2)^(L - l - 1)", "incorrect", OFF_BY_ONE,
        id="off_by_one"),
    row("resnet_variance:c", "(1 + J*D^2*sigma_W^2)^(l - L)", "incorrect", "L and l are swapped",
        id="reversed"),
    row("resnet_variance:c", "sigma2_grad(l) = J*D^2*sigma_W^2*sigma2_grad(l + 1)", "incorrect",
        MISSING, id="no_skip"),
    # ---- costs: judged by the order of growth in the size asked about ----
    row("rnn_unroll:b", "O(T)", "correct", id="order"),
    row("rnn_unroll:b", "depth = O(T*log(J))", "correct", id="with_log_of_fixed_size"),
    row("rnn_unroll:b", "Theta(T)", "correct", id="theta"),
    row("rnn_unroll:b", "O(T^2)", "incorrect", FASTER, id="quadratic"),
    row("rnn_unroll:b", "O(log(T))", "incorrect", SLOWER, id="log"),
    row("rnn_unroll:b", "O(1)", "incorrect", SLOWER, id="constant"),
    row("loss_heads:b", "O(L)", "correct", id="order"),
    row("loss_heads:b", "work = O(L*N^2)", "correct", id="named_with_width"),
    row("loss_heads:b", "O(L^2)", "incorrect", FASTER, id="quadratic"),
    row("loss_heads:b", "O(1)", "incorrect", SLOWER, id="constant"),
    row("loss_heads:b", "O(log(L))", "incorrect", SLOWER, id="log"),
    row("rnn_lm_cost:a", "O(T)", "correct", id="order"),
    row("rnn_lm_cost:a", "8*N^2*T + 8*N*T*V", "correct", id="formula"),
    row("rnn_lm_cost:a", "O(T^2)", "incorrect", FASTER, id="quadratic"),
    row("rnn_lm_cost:a", "O(T^3)", "incorrect", FASTER, id="cubic"),
    row("rnn_lm_cost:a", "O(log(T))", "incorrect", SLOWER, id="log"),
]


@pytest.mark.parametrize("target, text, verdict, fragment", ROWS)
def test_expression_answer_is_judged(target, text, verdict, fragment):
    problem, part = target.split(":")
    v = check_answer(spec_of(problem), part, text)
    said = "\n".join([v.message] + v.diagnosis)
    assert v.verdict == verdict, said
    assert fragment in said, said
    if verdict == "incorrect" and not fragment:
        assert v.diagnosis or v.counterexample, said


def test_every_expression_part_has_two_correct_and_three_wrong_rows():
    kinds = ("variance", "mean", "solve", "choice", "cost")
    for problem in ("init_variance", "he_init", "glorot_init", "resnet_variance", "rnn_unroll",
                    "loss_heads", "rnn_lm_cost"):
        spec = spec_of(problem)
        for label, part in spec.parts.items():
            if part.kind not in kinds:
                continue
            if problem == "glorot_init" and label == "d":
                continue        # the mirror of part c (fan-out): tested below
            mine = [r.values for r in ROWS if r.values[0] == f"{problem}:{label}"]
            assert sum(1 for r in mine if r[2] == "correct") >= 2, (problem, label)
            # a choice has as many wrong answers as wrong options: all of them
            wrong = len(part.args["options"]) - 1 if part.kind == "choice" else 3
            assert sum(1 for r in mine if r[2] == "incorrect") >= wrong, (problem, label)


@pytest.mark.parametrize("text, verdict", [("sigma_W = 1/sqrt(m)", "correct"),
                                           ("sigma_W = 1/sqrt(n)", "incorrect")])
def test_glorot_backward_condition_uses_the_fan_out(text, verdict):
    assert check_answer(spec_of("glorot_init"), "d", text).verdict == verdict


def test_a_wrong_expression_shows_a_point_but_never_the_answer():
    v = check_answer(spec_of("glorot_init"), "e", "sigma_W = sqrt(1/(m+n))")
    ce = v.counterexample
    assert set(ce) >= {"m", "n", "expected", "got"}
    m, n = int(ce["m"]), int(ce["n"])
    assert float(ce["expected"]) == pytest.approx((2 / (m + n)) ** 0.5, rel=1e-7)
    assert float(ce["got"]) == pytest.approx((1 / (m + n)) ** 0.5, rel=1e-7)
    assert v.reference is None
    said = " ".join(v.diagnosis + [v.message]).replace(" ", "")
    assert "sqrt(2)/sqrt(m+n)" not in said and "sqrt(2/(m+n))" not in said


def test_show_answer_gives_every_result_of_the_part_verified():
    v = check_answer(spec_of("he_init"), "a", "Var(z1) = 1", show_answer=True)
    assert "Var(z1) = " in v.reference and "E(z1) = 0" in v.reference
    assert v.reference_check.startswith("verified: Monte Carlo") and "passed" in v.reference_check


def test_show_answer_of_a_loop_part_carries_its_numeric_check():
    v = check_answer(load_spec(resolve_problem("softmax")), "a", "x", show_answer=True)
    assert "s.grad[b, j]" in v.reference
    # softmax is smooth: its gradients are checked by the complex step
    assert v.reference_check.startswith("verified: complex step")
    assert "passed" in v.reference_check


@pytest.mark.parametrize("text, message", [
    ("sigma_W = 1/sqrt(d", "answer:1:"),
    ("1/sqrt(d)\n2/sqrt(d)", "one quantity per line"),
    ("sigma_W = 1/sqrt(q)", "unknown name 'q'"),
    ("", "expected an expression"),
])
def test_unusable_expression_answers_exit_2_with_where(text, message):
    result = CliRunner().invoke(cli, ["check", "init_variance:a", text])
    assert result.exit_code == 2, result.output
    assert message in result.output


def test_a_parse_error_points_into_the_right_line_and_column():
    result = CliRunner().invoke(cli, ["check", "glorot_init:f", "a = sqrt(6/(m+n))\nE(W) = 0 +"])
    assert result.exit_code == 2
    assert "answer:2:11: expected an expression, found end of line" in result.output
    lines = result.output.splitlines()
    shown = next(i for i, l in enumerate(lines) if l.strip() == "E(W) = 0 +")
    # the caret sits just past the '+', in the student's own line (label included)
    assert lines[shown + 1].index("^") == lines[shown].index("+") + 1


def test_json_verdict_of_an_expression_answer():
    result = CliRunner().invoke(cli, ["check", "he_init:a", "Var(z1) = n*sigma_W^2*v", "--json"])
    assert result.exit_code == 1
    data = json.loads(result.output)
    assert data["verdict"] == "incorrect" and "2 times" in data["diagnosis"][0]


def test_reading_lines():
    assert split_relation("Var(y) = n*v") == ("Var(y)", "=", " n*v")
    assert split_relation("Var(u) <= 1/4")[:2] == ("Var(u)", "≤")
    assert split_relation("max(a, b)") == (None, "=", "max(a, b)")
    assert split_relation("f(x = 1)") == (None, "=", "f(x = 1)")
    lines = read_lines("sigma_W = 1/sqrt(d)   # the root\n\nE(y) = 0")
    assert [(l.number, l.label) for l in lines] == [(1, "sigma_W"), (3, "E(y)")]
    ln = Line(1, None, "=", "O(T log J)")
    assert strip_order(ln) and ln.text.strip() == "T log J"
    assert not strip_order(Line(1, None, "=", "O(T) + 1"))


def test_equivalence_is_decided_by_points_when_simplify_cannot():
    import sympy as sp
    x = sp.Symbol("x", positive=True)
    assert equivalent(sp.sqrt(x ** 2), x)[0] is True
    same, point = equivalent(x + 1, x)
    assert same is False and point["expected"] != point["got"]


def test_an_equality_for_a_bound_is_accepted_with_a_note():
    v = check_answer(spec_of("init_variance"), "d", "Var(u) = 1/4")
    assert v.verdict == "correct" and "a bound, Var(u) ≤ this value" in v.message


def test_juxtaposition_is_read_as_a_product_and_says_so():
    """Issue 15: `n sigma_W^2` is a product; the verdict shows how it was read."""
    v = check_answer(spec_of("he_init"), "a", "Var(z1) = n sigma_W^2*v/2")
    assert v.verdict == "correct"
    assert v.read_as == "Var(z1) = n*sigma_W^2*v/2"
    assert any("side by side" in note for note in v.reading)


def test_an_order_reads_as_textbooks_print_it():
    """`O(T log J)` is derive's own printed form of an order (cost parts only)."""
    assert check_answer(spec_of("rnn_unroll"), "b", "O(T log J)").verdict == "correct"
