"""The moments engine's steps are data: a relation chain of SymPy objects, a sentence
key of derive.core.sentences with the objects it names, and assumptions, so that the
printers (derive.present.steps) typeset them like the backprop derivations.

One row per moments part of every bundled problem, plus small programs for the rows of
the moments table that no bundled problem reaches."""
from __future__ import annotations

import re
import string

import pytest
import sympy as sp

from derive.answers import solve_part
from derive.core.program import Statement, format_expr
from derive.core.records import RELATIONS, chain
from derive.core.sentences import SENTENCES
from derive.core.sentences_moments import MOMENT_SENTENCES
from derive.engines.moments.algebra import Assumption
from derive.engines.moments.propagate import propagate
from derive.front.resolve import build_program
from derive.front.spec import load_spec
from derive.front.folder import default_problems_dir, find_problems
from derive.present.latex import printer_for
from derive.present.steps import has_math, step_json, step_latex, step_text

SPECS = [load_spec(p) for p in find_problems(default_problems_dir())]
MOMENT_KINDS = ("variance", "mean", "solve", "choice")
PARTS = [(s, label) for s in SPECS for label, part in s.parts.items()
         if part.kind in MOMENT_KINDS]
IDS = [f"{s.id}:{label}" for s, label in PARTS]

# what the text of a step would show if it held a formula in prose
CODE = re.compile(r"\*\*|\*|sqrt\(|\^|\bfx\(|\[|=|\bE\(|\bVar\(")


@pytest.fixture(scope="module")
def answers():
    return {(s.id, label): solve_part(s, label, verify=False) for s, label in PARTS}


def fields(template: str) -> set:
    return {f for _, f, _, _ in string.Formatter().parse(template) if f}


def internal_names(spec) -> list:
    """Tensor names the key must not show raw: those with a display name of their own."""
    return [n for n, info in spec.program.tensors.items()
            if info.latex and info.latex != n and len(n) > 1]


def check_step(step, spec):
    """Everything a printer relies on, for one step."""
    assert has_math(step), step
    assert not step.text or not CODE.search(step.text), step.text
    assert step.why in MOMENT_SENTENCES and step.why in SENTENCES, step.why
    assert fields(SENTENCES[step.why]) == set(step.args), (step.why, set(step.args))
    for key, args in step.assumptions:
        assert key in MOMENT_SENTENCES, key
        assert fields(SENTENCES[key]) == set(args), (key, set(args))
    if step.chain:
        assert chain(*step.chain) == tuple(step.chain)
        assert all(r in RELATIONS for r in step.chain[1::2])
    names = set(spec.program.tensors) | {n + ".grad" for n in spec.program.tensors}
    for args in [step.args] + [a for _, a in step.assumptions]:
        for value in args.values():
            for v in value if isinstance(value, (list, tuple)) else [value]:
                if isinstance(v, str):          # a string is a tensor's name, never words
                    assert v in names, (step.why, v)
                else:
                    assert isinstance(v, (sp.Basic, Statement)), (step.why, v)


def check_printed(step, spec):
    p = printer_for(spec)
    idx = spec.program.indices
    tex = step_latex(step, p, idx)
    text = step_text(step, idx)
    js = step_json(step, idx, p)
    assert tex and text and js["why"] == step.why
    for shown in (tex, re.sub(r"`[^`]*`", "", text)):      # statements as written
        assert "**" not in shown and "Eq(" not in shown and "Sum(" not in shown, shown
    assert "sqrt(" not in tex and "fx(" not in tex, tex
    for name in internal_names(spec):
        assert not re.search(r"(?<![\\\w.])%s(?![\w])" % re.escape(name), tex), (name, tex)


@pytest.mark.parametrize("spec, label", PARTS, ids=IDS)
def test_every_step_is_data_with_its_sentence_and_objects(answers, spec, label):
    ans = answers[(spec.id, label)]
    assert ans.steps
    for step in ans.steps:
        check_step(step, spec)


@pytest.mark.parametrize("spec, label", PARTS, ids=IDS)
def test_every_step_prints_as_latex_text_and_json(answers, spec, label):
    for step in answers[(spec.id, label)].steps:
        check_printed(step, spec)


@pytest.mark.parametrize("spec, label", PARTS, ids=IDS)
def test_results_name_their_quantity_as_a_sympy_object(answers, spec, label):
    """A result labelled by a moment (`Var(z1)`) or a recurrence function
    (`sigma2(l + 1)`) carries it as `lhs`, the same quantity as its label."""
    for res in answers[(spec.id, label)].results:
        m = re.fullmatch(r"(Var|E)\(([\w.]+)\)", res.label)
        if m:
            assert res.lhs is not None and res.lhs.func.__name__ == m.group(1), res
            (entry,) = res.lhs.args
            name = entry.base.label.name if hasattr(entry, "base") else entry.name
            assert name == m.group(2), (name, res.label)       # x.grad: the entry x.grad[i]
        elif res.label.startswith("sigma2"):
            assert res.lhs is not None and format_expr(res.lhs) == res.label


def test_the_sentences_are_words():
    """Formulas belong in chains and args: no sentence writes one itself."""
    for key, template in MOMENT_SENTENCES.items():
        words = re.sub(r"\{\w+\}", "", template)
        assert not re.search(r"[=*^<>≤≈\[\]]|sqrt|\bVar\b|\bE\[", words), (key, template)


def test_independence_is_assumed_only_where_the_spec_leaves_it_open():
    """No bundled derivation assumes uncorrelated terms beyond the spec's assumptions,
    and a step that does says so among its assumptions (test_moments has the case)."""
    for (s, label) in PARTS:
        ans = solve_part(s, label, verify=False)
        keys = [k for st in ans.steps for k, _ in st.assumptions]
        assert set(keys) <= {"induction hypothesis", "induction hypothesis, symmetric"}, keys
        assert "independence assumed" not in ans.message


# ---- rows of the moments table that the bundled problems do not reach -------------

SCALAR = [
    ("tanh_symmetric", "y = tanh(u)", Assumption(0, sp.Integer(2), True)),
    ("tanh_not_symmetric", "y = tanh(u)", Assumption(sp.Integer(1), sp.Integer(2))),
    ("sigma_not_symmetric", "y = sigma(u)", Assumption(sp.Integer(1), sp.Integer(2))),
    ("relu_normal", "y = relu(u)", Assumption(0, sp.Integer(2), True, True, "normal")),
    ("square_of_a_normal", "y = u**2", Assumption(sp.Integer(1), sp.Integer(2), True, True,
                                                 "normal")),
    ("linear", "y = 3*u + 2", Assumption(sp.Integer(1), sp.Integer(2))),
    ("product_nonzero_means", "y = u*w", Assumption(sp.Integer(1), sp.Integer(2))),
]


@pytest.mark.parametrize("text, assumption", [r[1:] for r in SCALAR],
                         ids=[r[0] for r in SCALAR])
def test_table_rows_are_data(make_scope, text, assumption):
    scope = make_scope({}, {"u": ("", "input"), "w": ("", "input"), "y": ("", "computed")})
    prog = build_program(text, scope)
    assume = {"u": assumption, "w": Assumption(sp.Integer(3), sp.Integer(4))}
    der = propagate(prog, assume)
    spec = type("S", (), {"program": prog, "raw": {}})()
    for step in der.steps:
        check_step(step, spec)
        assert step_latex(step, printer_for(spec), prog.indices)
        said = re.sub(r"`[^`]*`", "", step_text(step, prog.indices))   # statements as written
        assert "**" not in said, said


def test_a_sum_over_computed_entries_states_its_assumption(make_scope):
    scope = make_scope({"i": "n"}, {"z": ("i", "input"), "h": ("i", "computed"),
                                    "y": ("", "computed")})
    prog = build_program("h[i] = relu(z[i])\ny = h[I]", scope)
    der = propagate(prog, {"z": Assumption(0, sp.Integer(2), True, True, "normal")})
    (summed,) = [st for st in der.steps if st.why == "sum of n terms"]
    (key, args), = summed.assumptions
    assert key == "terms uncorrelated" and args["n"] == scope.sizes["n"]
    assert "[assumed: the n terms of the sum over i are uncorrelated" in step_text(summed)
