"""Round trip (issue 15): every answer derive prints, in the course notation, as LaTeX
and in matrix form, is judged correct when typed back to `derive check`, for every
bundled part that has one."""
from __future__ import annotations

import functools
from pathlib import Path

import pytest

from derive.answers import solve_part
from derive.core.errors import DeriveError
from derive.check.answer import check_answer
from derive.core.program import Block, format_expr
from derive.front.folder import default_problems_dir, find_problems
from derive.front.spec import load_spec
from derive.present.latex import printer_for, result_label_latex, value_latex

HERE = Path(__file__).parent
# the bundled problems, and specs nobody on the team tuned the notation to: an
# instructor's (tests/instructor) and the notation tests' own (batch sums, Jacobians)
SPECS = {p.stem: load_spec(p) for p in find_problems(default_problems_dir())}
SPECS.update({f"{d}/{p.stem}": load_spec(p) for d in ("instructor", "data/specs_notation")
              for p in sorted((HERE / d).glob("*.yaml"))})
EXPRESSION_KINDS = ("variance", "mean", "solve")
EXPRESSIONS = [(pid, label) for pid, spec in SPECS.items() for label, part in spec.parts.items()
               if part.kind in EXPRESSION_KINDS]
MATRIX = [(pid, label) for pid, spec in SPECS.items() for label, part in spec.parts.items()
          if part.kind == "gradient"]


@functools.lru_cache(maxsize=None)
def _solved(pid, label):
    try:
        return solve_part(SPECS[pid], label, verify=False)
    except DeriveError as e:            # a spec the engines refuse (said in its LOG)
        return e


def answer(pid, label):
    got = _solved(pid, label)
    if isinstance(got, DeriveError):
        pytest.skip(f"not derived: {got}")
    return got


def _latex_lines(pid, label):
    spec, ans = SPECS[pid], answer(pid, label)
    p = printer_for(spec)
    rel = {"=": "=", "≤": r"\le", "≈": r"\approx", "≥": r"\ge"}
    return [f"{result_label_latex(r, p)} {rel[r.relation]} {value_latex(r.value, p)}"
            for r in ans.results if not isinstance(r.value, str) and r.relation in rel]


@pytest.mark.parametrize("pid, label", EXPRESSIONS, ids=[f"{p}:{q}" for p, q in EXPRESSIONS])
def test_the_printed_latex_of_an_expression_answer_is_correct(pid, label):
    lines = _latex_lines(pid, label)
    if not lines:
        pytest.skip("no expression result to print")
    v = check_answer(SPECS[pid], label, "\n".join(lines))
    assert v.verdict == "correct", (lines, v.message)


@pytest.mark.parametrize("pid, label", MATRIX, ids=[f"{p}:{q}" for p, q in MATRIX])
def test_the_printed_matrix_form_is_correct(pid, label):
    ans = answer(pid, label)
    forms = [form.text() for _, form, _ in ans.matrix if form is not None]
    if not forms or len(forms) != len(ans.matrix):
        pytest.skip("no matrix form for every statement")
    blocks = [it for it in ans.program.items if isinstance(it, Block)] if ans.program else []
    if blocks:        # forms per time step: typed inside the loop that runs them
        lp = blocks[0].loops[0]
        ends = (lp.hi, lp.lo) if lp.reverse else (lp.lo, lp.hi)
        forms = [f"for {lp.var} in {format_expr(ends[0])}..{format_expr(ends[1])}:"] + \
            ["    " + f for f in forms]
    v = check_answer(SPECS[pid], label, "\n".join(forms))
    assert v.verdict == "correct", (forms, v.message, v.read_as)


JSON_PARTS = EXPRESSIONS + [(pid, label) for pid, spec in SPECS.items()
                            for label, part in spec.parts.items() if part.kind == "cost"]


@pytest.mark.parametrize("pid, label", JSON_PARTS, ids=[f"{p}:{q}" for p, q in JSON_PARTS])
def test_solve_json_gives_course_notation_latex_and_a_tree(pid, label):
    """Issue 16: no Python syntax (`**`, `Max`, `ceiling`) in the JSON values; each has its
    LaTeX and a tree, and an expression answer's value checks as correct."""
    from derive.present.json import answer_json
    out = answer_json(answer(pid, label), SPECS[pid])
    values = [r for r in out.get("results", []) if "tree" in r]
    for r in values:
        assert "**" not in r["value"] and "Max(" not in r["value"] and "ceiling" not in r["value"]
        assert r["latex"] and isinstance(r["tree"], dict)
    if SPECS[pid].part(label).kind in EXPRESSION_KINDS and values:
        text = "\n".join(f"{r['label']} {r['relation'].replace('≤', '<=')} {r['value']}"
                         for r in values if r["relation"] in ("=", "≤", "≈"))
        v = check_answer(SPECS[pid], label, text)
        assert v.verdict == "correct", (text, v.message)


LOOPS = [(pid, label) for pid, spec in SPECS.items() for label, part in spec.parts.items()
         if part.kind in ("backprop", "gradient")]


@functools.lru_cache(maxsize=None)
def _verified(pid, label):
    try:
        return solve_part(SPECS[pid], label, verify=True)
    except DeriveError as e:
        return e


@pytest.mark.parametrize("pid, label", LOOPS, ids=[f"{p}:{q}" for p, q in LOOPS])
def test_the_printed_compact_form_is_correct(pid, label):
    """The compact form (batch norm's one line for x.grad) as the key and `derive solve`
    print it, with its sums in words (`sum over b' of ...`), checks as correct."""
    from derive.core.program import format_statement
    ans = _verified(pid, label)
    if isinstance(ans, DeriveError) or not getattr(ans, "compact", None):
        pytest.skip("no compact form")
    idx = SPECS[pid].program.indices
    text = "\n".join(format_statement(s, idx) for s in ans.compact)
    v = check_answer(SPECS[pid], label, text)
    assert v.verdict == "correct", (text, v.message, v.read_as)
