"""The checker is safe on anything a student can type.

Hypothesis feeds check_answer random text and random mutations of correct
answers (characters inserted, deleted or replaced; tokens swapped): it always
returns a Verdict (never raises), within its time limit, with a JSON-ready
verdict.  Then one row per resource limit: each gives `unusable` (exit code 2)
with a message that says which limit was hit.
"""
from __future__ import annotations

import json
import re
import time

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from derive.check.verdict import Verdict
from derive.check.answer import check_answer
from derive.cli import cli
from derive.front.spec import load_spec
from derive.front.folder import resolve_problem

LIMIT_S = 2.0          # the time limit given to every fuzzed check
WALL_S = 3.0           # what a check may take, all included

_SPECS: dict = {}


def spec_of(problem: str):
    if problem not in _SPECS:
        _SPECS[problem] = load_spec(resolve_problem(problem))
    return _SPECS[problem]


CORRECT = [
    ("softmax", "a", "for b, j: s.grad[b, j] += p.grad[b, j] * p[b, j]"),
    ("softmax", "full", "for b, j: e[b] -= p[b, j] * p.grad[b, j]\n"
                        "for b, j: s.grad[b, j] += p[b, j] * (p.grad[b, j] + e[b])"),
    ("relu_unit", "a", "w.grad[i] = y.grad * step(z) * x[i]"),
    ("mlp_regression", "e", "yhat.grad[k] = 2 * (yhat[k] - y[k])"),
    ("mlp_numeric", "backward", "y.grad = 2\nh.grad = [6, -2]\nz.grad = [6, 0]\n"
                                "x.grad = [-6, 6]\nv.grad = [2, 0]\nW.grad = [[6, 12], [0, 0]]"),
    ("ugrnn", "a", "for t in 1..T, b, j, i: Rt[b, t, j] += Whr[j, i] * h[b, t-1, i]\n"
                   "for t in 1..T, b, j, k: Rt[b, t, j] += Wxr[j, k] * x[b, t, k]\n"
                   "for t in 1..T, b, j: Rt[b, t, j] -= BR[j]"),
    ("init_variance", "a", "sigma_W = 1/sqrt(d)\nE(y) = 0"),
    ("resnet_variance", "a", "sigma2(l + 1) = (1 + J*D^2*sigma_W^2) * sigma2(l)"),
    ("resnet_variance", "b", "sigma_W ≈ sqrt(log(2)/(J*L))/D"),
    ("rnn_unroll", "b", "depth = O(T*log(J))"),
    ("mlp_ce_l2", "sgd", "for k, i: W1[k, i] -= eta*W1.grad[k, i]\nfor k: b1[k] -= eta*b1.grad[k]\n"
                         "for j, k: W2[j, k] -= eta*W2.grad[j, k]\nfor j: b2[j] -= eta*b2.grad[j]"),
]

# characters of the notation, weighted towards what breaks parsers and executors
NOTATION = list("forbjkistepZ.grad[](),:+-*/^=<> 0123456789\n\t#_") + [
    "for ", "for b, j: ", "s.grad", "p.grad", "exp(", "log(", "sqrt(", "sigma(", "relu(",
    "step(", "delta(", "max(", "**", "1..", "..", "T..1", "e[b]", "[b, j]", "    ", "1/0",
    "1e308", "10**", "(z > 0)", "J", "B", "I", "-",
    "sigma_W", "Var(y)", "E(", "O(", "Theta(", "<=", "≈", "pi", "π", "^(1/L)", "sigma2(l", "d",
    "log(0)", "0^-1", "^1000", "L", "l",
    # what the unseen corpora taught the reader: cases, arrows, sums in words, primes
    " if ", ", 0 otherwise", " else ", " and ", "←", ":=", "sum over b of ", "b'", "sigma'(",
    "outer(", "np.dot(", "(1, -3)", "δ_T", "Var(z0)", "P(x > 0)", ", since ", "I_K"]


def safe_check(problem: str, part: str, text: str) -> Verdict:
    start = time.perf_counter()
    v = check_answer(spec_of(problem), part, text, time_limit_s=LIMIT_S)
    took = time.perf_counter() - start
    assert isinstance(v, Verdict)
    assert v.verdict in ("correct", "incorrect", "unusable")
    assert isinstance(v.message, str) and v.message
    assert all(isinstance(d, str) for d in v.diagnosis)
    json.dumps(v.as_dict())                       # the --json output never fails
    assert took < WALL_S, f"{took:.2f} s for {text!r}"
    return v


FUZZ = settings(max_examples=150, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(target=st.sampled_from([(p, part) for p, part, _ in CORRECT]),
       text=st.one_of(st.text(max_size=120),
                      st.lists(st.sampled_from(NOTATION), max_size=40).map("".join)))
def test_random_text_never_raises(target, text):
    safe_check(*target, text)


# issue 15: each notation's alphabet, fuzzed the same way
LATEX = ["\\frac{", "\\sqrt{", "\\sqrt[", "}", "{", "^{", "_{", "\\sum_{j}", "\\sum_{k=1}^{K}",
         "\\left(", "\\right)", "\\sigma", "\\sigma_W", "\\cdot", "\\odot", "\\partial",
         "\\mathbb{E}", "\\operatorname{Var}", "\\hat{y}", "\\top", "\\ell", "\\exp", "\\log",
         "\\,", "\\mathbb{1}[", "\\mathbf{x}", "\\unknown", "x_{b,j}", "W^{(2)}_{jk}", " ",
         "\\begin{cases}", "\\end{cases}", "\\begin{pmatrix}", "\\end{pmatrix}", " & ",
         "\\\\", "\\text{ and }", "\\text{otherwise}", "\\gets", "\\hat{\\mathbf{y}}",
         "\\sigma^2_{b}", "z_{2,j}", "x'_{b,j}"]
UNICODE = list("σ√²³·×∘⊙−≤≥≈ℓηαβ𝟙∑Σ∂∇ᵀ⁻¹½ŷx̂|'") + ["σ_W", "σ'(", "relu'(", "1[", "np.",
                                                      "torch.", "max(0, ", "dW", "dL/d", "∂L/∂"]
MATRIX = ["W2ᵀ", "(ŷ − y)", "zᵀ", "xᵀ", " @ ", " ⊙ ", " ", "dW2 = ", "dW1 = ", "λ W1", "z",
          "(1 − z)", "W.grad = ", "z.grad x^T", "(", ")", "\n", "outer(", ", ", "g3 = ",
          "diag(", "I", "np.matmul("]


@FUZZ
@given(target=st.sampled_from([(p, part) for p, part, _ in CORRECT]),
       text=st.one_of(st.lists(st.sampled_from(LATEX + NOTATION[:40]), max_size=40)
                      .map("".join),
                      st.lists(st.sampled_from(UNICODE + NOTATION[:40]), max_size=40)
                      .map("".join)))
def test_random_latex_and_unicode_never_raise(target, text):
    safe_check(*target, text)


@FUZZ
@given(text=st.lists(st.sampled_from(MATRIX), max_size=30).map("".join))
def test_random_matrix_expressions_never_raise(text):
    safe_check("mlp_ce_l2", "grad", text.replace("\\n", "\n"))


TOKEN = re.compile(r"\w+|\.\.|\*\*|[+\-*/]=|\S")


def mutate(text: str, ops: list) -> str:
    """Apply (kind, position, character) edits; positions wrap around the text."""
    for kind, pos, ch in ops:
        if kind == "insert":
            k = pos % (len(text) + 1)
            text = text[:k] + ch + text[k:]
        elif kind == "delete" and text:
            k = pos % len(text)
            text = text[:k] + text[k + 1:]
        elif kind == "replace" and text:
            k = pos % len(text)
            text = text[:k] + ch + text[k + 1:]
        elif kind == "swap":
            spans = [m.span() for m in TOKEN.finditer(text)]
            if len(spans) >= 2:
                n = len(spans)
                a, b = sorted((pos % n, (pos % n + 1 + (pos // n) % (n - 1)) % n))
                (a0, a1), (b0, b1) = spans[a], spans[b]
                text = text[:a0] + text[b0:b1] + text[a1:b0] + text[a0:a1] + text[b1:]
    return text


OPS = st.lists(st.tuples(st.sampled_from(["insert", "delete", "replace", "swap"]),
                         st.integers(0, 10_000),
                         st.sampled_from(NOTATION[:48] + ["\x00", "é", "∑", "'", '"', "\\"])),
               min_size=1, max_size=6)


@FUZZ
@given(index=st.integers(0, len(CORRECT) - 1), ops=OPS)
def test_mutated_correct_answers_never_raise(index, ops):
    problem, part, text = CORRECT[index]
    safe_check(problem, part, mutate(text, ops))


@pytest.mark.parametrize("problem, part, text", CORRECT, ids=[f"{p}:{q}" for p, q, _ in CORRECT])
def test_the_unmutated_answers_are_correct(problem, part, text):
    assert safe_check(problem, part, text).verdict == "correct"


def test_mutate_swaps_tokens():
    assert mutate("a + b", [("swap", 3, "")]) == "b + a"
    assert mutate("a + b", [("swap", 0, "")]) == "+ a b"


# --------------------------------------------------------------------------
# resource limits: each gives `unusable` and names the limit
# --------------------------------------------------------------------------

GOOD = "for b, j: s.grad[b, j] += p.grad[b, j] * p[b, j]"

LIMITS = [
    pytest.param("x" * 20_001, 10, "20001 characters long; the limit is 20000", id="text_too_long"),
    pytest.param(GOOD + " + " + "(" * 80 + "p[b, j]" + ")" * 80, 10,
                 "nested more than 60 levels deep", id="nesting_too_deep"),
    pytest.param("for b, j: s.grad[b, j] += p[b, j] ** 100000000", 10,
                 "exponent 100000000 is too large", id="huge_exponent"),
    pytest.param("for b, j: s.grad[b, j] += p.grad[b, j] * p[b, j] ** (10 ** 10)", 10,
                 "exponent 10000000000 is too large", id="huge_exponent_by_arithmetic"),
    pytest.param("for t in 1..100000000: e[t] = 1\n" + GOOD, 10,
                 "the loop over t runs 100000000 times; the limit is 2000000",
                 id="iteration_space_too_large"),
    pytest.param("for t in 1..5000000: e[t] = 1\n" + GOOD, 1,
                 "the loop over t runs 5000000 times", id="five_million_is_over_the_grid"),
    pytest.param("for t in 1..1900000:\n    e[t] = 1\n" + GOOD, 1,
                 "the check took longer than 1 s and was stopped", id="slow_hits_time_limit"),
    pytest.param("\n".join([GOOD] * 401), 10, "401 lines; the limit is 400", id="too_many_lines"),
    pytest.param("for b, j: s.grad[b, j] += " + " + ".join(["p[b, j]"] * 202), 10,
                 "more than 200 operators on one line", id="too_many_operators"),
]


@pytest.mark.parametrize("text, limit_s, message", LIMITS)
def test_resource_limit_is_unusable_with_a_message(text, limit_s, message):
    start = time.perf_counter()
    v = check_answer(spec_of("softmax"), "a", text, time_limit_s=limit_s)
    assert time.perf_counter() - start < limit_s + 1.0
    assert v.verdict == "unusable" and v.exit_code == 2
    assert message in v.message, v.message


def test_a_huge_loop_alone_is_incorrect_before_anything_runs():
    """Without any statement for s.grad the answer is simply incorrect (nothing is run)."""
    v = check_answer(spec_of("softmax"), "a", "for t in 1..100000000: e[t] = 1")
    assert v.verdict == "incorrect"
    assert v.diagnosis == ["no statement writes s.grad"]


@pytest.mark.parametrize("text, message", [
    ("x" * 20_001, "the limit is 20000"),
    ("for t in 1..100000000: e[t] = 1\n" + GOOD, "the limit is 2000000"),
    ("for b, j: s.grad[b, j] += p[b, j] ** 100000000", "is too large"),
], ids=["text", "iterations", "exponent"])
def test_resource_limits_exit_2_on_the_command_line(text, message):
    result = CliRunner().invoke(cli, ["check", "softmax:a", "-"], input=text)
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output
