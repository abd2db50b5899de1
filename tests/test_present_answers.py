"""Printing answers (derive.present): what a moments answer assumes, the left sides of
expression answers, table steps, and sums in text, each compared with what a reader of
the text, the LaTeX or the JSON should see."""
from __future__ import annotations

import json

import pytest
import sympy as sp

from derive.answers import solve_part
from derive.core.program import (Loop, Statement, format_expr, index_var, ref,
                                 size_symbol)
from derive.core.records import Assumed, Step
from derive.front.folder import default_problems_dir
from derive.front.spec import load_spec
from derive.present.json import answer_json
from derive.present.latex import label_latex, printer_for, result_label_latex
from derive.present.latex_answer import answer_latex
from derive.present.steps import (assumption_json, assumption_latex, assumption_text,
                                  step_json, step_latex, step_text)
from derive.present.text import format_answer


def spec_named(problem: str):
    return load_spec(default_problems_dir() / f"{problem}.yaml")


@pytest.fixture(scope="module")
def answers():
    """A few bundled parts, derived without the numeric checks."""
    parts = [("resnet_variance", "a"), ("resnet_variance", "c"), ("he_init", "d"),
             ("he_init", "e"), ("glorot_init", "a"), ("glorot_init", "f"),
             ("mlp_ce_l2", "sgd"), ("rnn_lm_cost", "a")]
    return {(p, l): solve_part(spec_named(p), l, verify=False) for p, l in parts}


# ---- what a moments answer assumes ------------------------------------------------

def test_the_assumptions_are_records_of_the_spec(answers):
    ans = answers[("resnet_variance", "a")]
    sigma_W = sp.Symbol("sigma_W", positive=True)
    got = {a.tensor: a for a in ans.assumptions}
    assert list(got) == ["L0", "W", "Bias"]
    assert (got["L0"].mean, got["L0"].variance, got["L0"].layer) == (0, 1, 0)
    assert sp.simplify(got["W"].variance - sigma_W ** 2) == 0 and got["W"].layer is None
    assert got["Bias"].constant == 0
    assert not ans.message                       # no note in words beside them


def test_the_assumptions_in_latex_use_the_display_names(answers):
    ans = answers[("resnet_variance", "a")]
    p = printer_for(spec_named("resnet_variance"))
    assert [assumption_latex(a, p) for a in ans.assumptions] == [
        r"$L_{\ell}$ at layer $0$: mean $0$, variance $1$, independent entries",
        r"$W_{\ell+1}$: mean $0$, variance $\sigma_W^{2}$, independent entries",
        r"$B_{\ell+1}$: the constant $0$"]


def test_the_assumptions_in_text_use_the_course_notation(answers):
    assert [assumption_text(a) for a in answers[("resnet_variance", "c")].assumptions] == [
        "W: mean 0, variance sigma_W^2, independent entries",
        "L1.grad at layer L: mean 0, variance 1, independent entries"]
    text = format_answer(answers[("he_init", "d")], spec_named("he_init"))
    assert "  assumed: z0: normal, mean 0, variance v, independent entries" in text.split("\n")


def test_the_assumptions_in_json_are_objects(answers):
    ans = answers[("he_init", "d")]
    out = answer_json(ans, spec_named("he_init"))
    assert out["assumptions"] == [{
        "tensor": "z0", "mean": "0", "variance": "v", "distribution": "normal",
        "symmetric": True, "independent": True, "constant": None, "layer": None,
        "text": "z0: normal, mean 0, variance v, independent entries"}]
    json.dumps(out)


def test_an_assumption_of_dependent_symmetric_entries():
    a = Assumed("h", sp.Integer(1), sp.Symbol("s") ** 2, symmetric=True, independent=False)
    assert assumption_text(a) == ("h: mean 1, variance s^2, symmetric about its mean, entries "
                                  "that may depend on each other")
    assert assumption_json(a)["variance"] == "s**2"


def test_the_key_shows_the_assumptions_below_the_answer(answers):
    ans = answers[("glorot_init", "a")]
    tex = answer_latex(ans, spec_named("glorot_init"))
    assert tex.split("\n")[-1] == (r"\textit{Assumed:} $x$: mean $0$, variance $v$, independent "
                                   r"entries; $W$: mean $0$, variance $\sigma_W^{2}$, "
                                   r"independent entries.")


# ---- the left sides of expression answers -----------------------------------------

def test_moment_answers_are_labelled_by_their_entry(answers):
    p = printer_for(spec_named("glorot_init"))
    labels = [result_label_latex(r, p) for r in answers[("glorot_init", "a")].results]
    assert labels == [r"\operatorname{Var}(y[j])", r"\mathbb{E}[y[j]]"]
    p = printer_for(spec_named("resnet_variance"))
    labels = [result_label_latex(r, p) for r in answers[("resnet_variance", "a")].results]
    assert labels == [r"\sigma^2(\ell + 1)", r"\sigma^2(\ell)"]


def test_a_comparison_names_its_moments_in_the_display_names(answers):
    p = printer_for(spec_named("he_init"))
    first = answers[("he_init", "e")].results[0]
    assert result_label_latex(first, p) == (r"\operatorname{Var}(z_{\ell+1})\ \text{compared "
                                            r"with}\ \operatorname{Var}(z_{\ell})")


@pytest.mark.parametrize("label, tex", [
    ("backward work", r"\text{backward work}"),
    ("memory kept for the backward pass", r"\text{memory kept for the backward pass}"),
    ("max Var(z1)", r"\text{max}\ \operatorname{Var}(z_{\ell+1})"),
    ("sigma_W", r"\sigma_W"),
    ("z0", r"z_{\ell}"),
])
def test_labels_without_a_quantity(label, tex):
    assert label_latex(label, printer_for(spec_named("he_init"))) == tex


def test_an_update_is_typeset_as_a_statement(answers):
    ans = answers[("mlp_ce_l2", "sgd")]
    tex = answer_latex(ans, spec_named("mlp_ce_l2"))
    assert (r"\textbf{for}\ k, i\colon\ W^{(1)}[k,i] \mathrel{-}= "
            r"\eta\,W^{(1)}.\mathrm{grad}[k,i] \\") in tex.split("\n")
    assert "W1" not in tex and "eta" not in tex.replace(r"\eta", "")


# ---- table steps ------------------------------------------------------------------

T, J = size_symbol("T"), size_symbol("J")
t, j = index_var("t"), index_var("j")
ROWS = [(Statement(ref("h", [t]), "+=", ref("x", [t, j]), (Loop(t, 1, T), Loop(j, 0, J - 1))),
         T * J, sp.Integer(1), sp.Integer(1)),
        (Statement(ref("y", [t]), "=", ref("h", [t]) ** 2, (Loop(t, 1, T),)),
         T, sp.Integer(12), sp.Integer(2))]
TABLE = Step("table", why="statement costs",
             args={"columns": ["statement", "runs", "ops", "depth"], "rows": ROWS})
INDICES = {"t": (sp.Integer(1), T), "j": (sp.Integer(0), J - 1)}


def test_a_table_step_in_text_has_aligned_columns():
    lines = step_text(TABLE, INDICES).split("\n")
    assert lines[0].startswith("each statement: the times it runs") and lines[0].endswith(":")
    # a statement over its target's indices is written without `for` (the course's way)
    assert lines[1:] == ["statement" + " " * 18 + "runs  ops  depth",
                         "for t, j: h[t] += x[t, j]  J*T   1    1",
                         "y[t] = h[t]**2" + " " * 13 + "T     12   2"]


def test_a_table_step_in_json_is_a_list_of_rows():
    out = step_json(TABLE, INDICES)
    assert out["columns"] == ["statement", "runs", "ops", "depth"]
    assert out["rows"] == [
        {"statement": "for t, j: h[t] += x[t, j]", "runs": "J*T", "ops": 1, "depth": 1},
        {"statement": "y[t] = h[t]**2", "runs": "T", "ops": 12, "depth": 2}]
    assert out["sentence"].startswith("each statement: the times it runs")
    json.dumps(out)


def test_a_table_step_in_latex_wraps_its_statements_and_stays_with_its_lead():
    tex = step_latex(TABLE, printer_for(spec_named("rnn_lm_cost")), INDICES)
    lead, table = tex.split(r"\nobreak", 1)
    assert lead.startswith(r"{\interlinepenalty=10000 Each statement: the times it runs")
    assert r"p{0.6\linewidth}" in table and r"\raggedright" in table
    assert r"\textbf{for}\ t, j\colon\ h[t] \mathrel{+}= x[t,j]" in table


def test_the_cost_table_of_rnn_lm_cost_in_text(answers):
    ans = answers[("rnn_lm_cost", "a")]
    table = next(st for st in ans.steps if st.kind == "table")
    lines = step_text(table, spec_named("rnn_lm_cost").program.indices).split("\n")[1:]
    head = lines[0]
    assert head.split() == ["statement", "runs", "ops", "depth"]
    assert len(lines) == 1 + len(ans.backward.program.statements())
    assert lines[1].startswith("for t: Z.grad[t] += Loss.grad/Z[t]")
    column = head.index("runs")
    assert all(l[column - 2:column] == "  " and l[column] != " " for l in lines[1:])


def test_the_answer_text_has_one_answer_heading(answers):
    text = format_answer(answers[("rnn_lm_cost", "a")], spec_named("rnn_lm_cost"), steps=True)
    assert text.split("\n").count("  answer:") == 1


# ---- sums in text -----------------------------------------------------------------

def test_the_variance_of_a_sum_has_one_pair_of_brackets():
    i, n = sp.Symbol("i"), sp.Symbol("n")
    x = ref("x", [i])
    total = sp.Sum(x, (i, 0, n - 1))
    assert format_expr(sp.Function("Var")(total)) == "Var(sum over i of x[i])"
    assert format_expr(2 * total) == "2*(sum over i of x[i])"
    assert format_expr(sp.Function("Var")(total + 1)) == "Var((sum over i of x[i]) + 1)"


def test_no_doubled_brackets_in_the_moments_steps(answers):
    for key in [("resnet_variance", "a"), ("glorot_init", "a")]:
        spec = spec_named(key[0])
        text = " ".join(step_text(st, spec.program.indices) for st in answers[key].steps
                        if st.why)
        assert "Var(sum over" in text and "((sum" not in text
