"""The cost engine's derivation steps are data: relation chains of SymPy objects and
sentence keys with their objects, and a table of the statements' costs.

Every cost part of every bundled problem (and a few small specs: a forward part, a
program without a recurrence, one without a size to grow) is derived; each of its
steps names a sentence of the table with every field given, prints as LaTeX and as
text, and shows no code (`**`, `*`, `ceil(`, `log2(`, `Max(`, internal names)."""
from __future__ import annotations

import functools
import re
import string

import pytest
import sympy as sp

from derive.answers import solve_part
from derive.core.growth import BigO, Measure, clog2, order, order_expr
from derive.core.sentences import SENTENCES
from derive.core.sentences_cost import COST_SENTENCES
from derive.front.spec import load_spec, parse_spec
from derive.front.folder import default_problems_dir, find_problems
from derive.present.latex import NotationLatexPrinter, printer_for
from derive.present.steps import has_math, step_latex, step_text

PATHS = find_problems(default_problems_dir())

TINY = """
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
  back: {ask: cost, of: backward, text: q}
  fwd: {ask: cost, of: forward, in: J, measure: depth, text: q}
"""

SMALL = {"tiny": TINY}


@functools.lru_cache(maxsize=None)
def spec_named(name):
    if name in SMALL:
        return parse_spec(SMALL[name], f"{name}.yaml")
    return load_spec(next(p for p in PATHS if p.stem == name))


COST_PARTS = [(p.stem, label) for p in PATHS
              for label, part in load_spec(p).parts.items() if part.kind == "cost"] + \
    [("tiny", "back"), ("tiny", "fwd")]


@functools.lru_cache(maxsize=None)
def answer(problem, label):
    return solve_part(spec_named(problem), label)


def fields(template: str) -> set:
    return {f for _, f, _, _ in string.Formatter().parse(template) if f}


# code as an engine would have written it: powers, products, SymPy's and the engine's
# own function names, the pattern symbols (_0) and carriers (c1) of the analysis
CODE = re.compile(r"\*\*|(?<=[\w\])])\s*\*\s*(?=[\w(])|ceil\(|log2\(|Max\(|Min\(|"
                  r"clog2|\bMeasure\b|\bBigO\b|\b_\d|\bc\d\b|`")


def test_the_bundled_problems_have_cost_parts():
    assert {p for p, _ in COST_PARTS} >= {"rnn_lm_cost", "rnn_unroll", "loss_heads"}


@pytest.mark.parametrize("problem, label", COST_PARTS, ids=[f"{p}:{l}" for p, l in COST_PARTS])
def test_every_cost_step_is_data(problem, label):
    ans = answer(problem, label)
    assert ans.status == "derived" and ans.verified, ans.verification.summary()
    assert ans.steps
    for st in ans.steps:
        assert has_math(st), st
        assert not st.text, st.text              # no prose beside the data
        assert st.why in COST_SENTENCES, st.why
        given = set(st.args) - {"columns", "rows"}
        assert fields(SENTENCES[st.why]) <= given, (st.why, given)


@pytest.mark.parametrize("problem, label", COST_PARTS, ids=[f"{p}:{l}" for p, l in COST_PARTS])
def test_every_cost_step_prints_without_code(problem, label):
    ans = answer(problem, label)
    spec = spec_named(problem)
    p = printer_for(spec, program=ans.backward.program if ans.backward else None)
    idx = spec.program.indices
    for st in ans.steps:
        tex = step_latex(st, p, idx)
        text = step_text(st, idx)
        assert tex and text
        assert not CODE.search(tex), (st.why, tex)
        # the words of the text, its formulas left out
        words = SENTENCES[st.why]
        assert not CODE.search(words), words
        if st.chain:
            assert all(isinstance(x, (sp.Basic, str)) for x in st.chain)


@pytest.mark.parametrize("problem, label", COST_PARTS, ids=[f"{p}:{l}" for p, l in COST_PARTS])
def test_one_table_with_a_row_per_statement(problem, label):
    ans = answer(problem, label)
    tables = [st for st in ans.steps if st.kind == "table"]
    assert len(tables) == 1
    table = tables[0]
    analysed = ans.backward.program if ans.backward else spec_named(problem).program
    rows = table.args["rows"]
    assert len(rows) == len(analysed.statements())
    assert all(len(r) == len(table.args["columns"]) for r in rows)
    targets = [r[0].target_name for r in rows]
    assert targets == [s.target_name for s in analysed.statements()]


@pytest.mark.parametrize("problem, label", COST_PARTS, ids=[f"{p}:{l}" for p, l in COST_PARTS])
def test_the_chains_end_in_the_results_and_their_orders(problem, label):
    ans = answer(problem, label)
    ends = {st.chain[0].name: st.chain[-1] for st in ans.steps
            if st.chain and isinstance(st.chain[0], Measure)}
    what = "backward" if ans.backward else "forward"
    by_label = {r.label: r for r in ans.results}
    work = [st.chain for st in ans.steps if st.why == "work"][0]
    assert sp.expand(work[-1] - by_label[f"{what} work"].value) == 0
    depth = [st.chain for st in ans.steps if st.why == "depth"][0]
    assert depth[-1] == by_label[f"{what} parallel depth"].value
    # the order steps: O(...) objects whose text is the results' notes
    assert isinstance(ends[f"W_{what}"], BigO) and isinstance(ends[f"D_{what}"], BigO)
    assert squeeze(str(ends[f"W_{what}"])) == squeeze(by_label[f"{what} work"].note)


def test_rnn_lm_cost_says_why_the_depth_is_linear():
    ans = answer("rnn_lm_cost", "a")
    whys = [st.why for st in ans.steps]
    assert "recurrence" in whys and "steps in sequence" in whys and "sum as a tree" in whys
    rec = ans.steps[whys.index("recurrence")]
    assert str(rec.args["read"]) == "h.grad[t, i]" and str(rec.args["writer"]) == "t + 1"
    seq = ans.steps[whys.index("steps in sequence")]
    assert "T" in str(seq.chain[-1])


def test_a_program_without_a_recurrence_says_so():
    whys = [st.why for st in answer("tiny", "back").steps]
    assert "no recurrence" in whys and "recurrence" not in whys


def squeeze(text: str) -> str:
    """An order's text without its spacing and products: `O(T log J)` ~ `O(T*log(J))`."""
    return re.sub(r"[\s*()]", "", str(text))


# ---- orders of growth and measures as SymPy objects ----------------------------
T, N, V = (sp.Symbol(n, integer=True, positive=True) for n in ("T", "N", "V"))
ORDERS = [  # expression, only, the order as text, as LaTeX
    (8 * N**2 * T + 3 * T, None, "O(TN^2)", "O(N^{2}\\,T)"),
    (8 * N**2 * T + 3 * T, ["T"], "O(T)", "O(T)"),
    (T * clog2(N) + 6 * T + clog2(V), None, "O(T log N + log V)", "O(T\\, \\log N + \\log V)"),
    (sp.Integer(5), None, "O(1)", "O(1)"),
    (sp.Max(T * clog2(N) + 6 * T, T * clog2(N) + 6 * T + clog2(2 * T)), ["T"], "O(T)", "O(T)"),
]


@pytest.mark.parametrize("expr, only, text, tex", ORDERS, ids=[t for _, _, t, _ in ORDERS])
def test_order_expr_is_the_order_as_an_object(expr, only, text, tex):
    prog = spec_named("rnn_lm_cost").program
    sizes = {str(s): s for s in prog.sizes.values()}
    expr = expr.xreplace({T: sizes["T"], N: sizes["N"], V: sizes["V"]})
    o = order_expr(expr, prog, only)
    assert isinstance(o, BigO)
    assert order(expr, prog, only) == text
    assert NotationLatexPrinter().doprint(o) == tex


def test_measures_and_ceilings_typeset():
    p = NotationLatexPrinter()
    assert p.doprint(Measure("W_backward")) == r"W_{\mathrm{backward}}"
    assert p.doprint(clog2(T)) == r"\lceil \log_2 T \rceil"
    assert p.doprint(clog2(2 * T)) == r"\lceil \log_2 (2T) \rceil"
