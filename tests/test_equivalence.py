"""Symbolic equivalence of backward programs (derive.engines.equivalence)."""
import pytest

from derive.engines.backward import derive_backward
from derive.front.spec import answer_scope
from derive.engines.equivalence import equivalent_programs
from derive.front.resolve import build_program
from derive.front.spec import load_spec

SEED_SOFTMAX = """
for b, j: e[b] -= p[b, j] * p.grad[b, j]
for b, j: s.grad[b, j] += p[b, j] * (p.grad[b, j] + e[b])
"""

ROWS = [
    # (problem, sources, targets, answer text, expected)
    ("softmax", ["p"], ["s"], SEED_SOFTMAX, True),
    ("softmax", ["p"], ["s"], "for b, j: s.grad[b, j] += p[b, j] * p.grad[b, j]", False),
    ("softmax", ["p"], ["s"], "for b, j: s.grad[b, j] -= p[b, j] * (p.grad[b, j] - "
                              "p.grad[b, j])", False),
    ("softmax", ["p"], ["s"], """
for b, k: e[b] += p[b, k] * p.grad[b, k]
for b, j: s.grad[b, j] += exp(s[b, j]) / Z[b] * (p.grad[b, j] - e[b])
""", True),
]


@pytest.mark.parametrize("problem, sources, targets, text, expected", ROWS,
                         ids=[f"{r[0]}-{k}" for k, r in enumerate(ROWS)])
def test_answer_against_unsimplified_chain_rule(problem, sources, targets, text, expected):
    spec = load_spec(f"problems/{problem}.yaml")
    raw = derive_backward(spec.program, sources, targets, simplify=False)
    answer = build_program(text, answer_scope(spec), answer=True)
    assert equivalent_programs(spec.program, raw.program, answer, targets) is expected


@pytest.mark.parametrize("problem, part", [("softmax", "full"), ("batchnorm", "a"),
                                           ("relu_unit", "a"), ("mlp_numeric", "vectorized")])
def test_simplification_is_an_identity(problem, part):
    spec = load_spec(f"problems/{problem}.yaml")
    a = spec.parts[part].args
    raw = derive_backward(spec.program, a["from"], a["to"], a.get("through"), simplify=False)
    simple = derive_backward(spec.program, a["from"], a["to"], a.get("through"))
    assert equivalent_programs(spec.program, raw.program, simple.program, simple.targets)


def test_time_blocks_are_outside_the_method():
    spec = load_spec("problems/gru.yaml")
    bw = derive_backward(spec.program, ["h"], ["params"])
    assert equivalent_programs(spec.program, bw.program, bw.program, bw.targets) is None
