"""The LaTeX printer: golden strings for statements, names, functions and brackets."""
from __future__ import annotations

import pytest
import sympy as sp

from derive.core.growth import BigO
from derive.core.phrase import Math, Phrase, sizes_phrase
from derive.core.functions import ind, relu, sigma, step
from derive.engines import matrix as M
from derive.present.latex import (NotationLatexPrinter,
                                  label_latex,
                                  form_latex,
                                  message_latex,
                                  plain_brackets,
                                  printer_for,
                                  program_latex,
                                  relation_latex,
                                  rule_latex,
                                  statement_latex)
from derive.core.program import Loop, Statement, index_var, ref, size_symbol
from derive.front.spec import parse_spec

SPEC = r"""
id: golden
title: Golden strings
source: tests
index: {b: B, j: J, i: J, t: 1..T}
functions:
  L: {latex: '\mathcal{L}'}
symbols:
  sigma_W: {positive: true, latex: '\sigma_W'}
tensors:
  s: {shape: [b, j]}
  Z: {shape: [b]}
  p: {shape: [b, j]}
  Whr: {shape: [j, i], role: parameter, latex: 'W^{h,R}'}
  G1: {shape: [b, t, j], latex: 'G_1'}
  h: {shape: [b, t, j]}
  yhat: {shape: []}
  l: {shape: [], latex: '\ell'}
program: |
  for b, j: Z[b] += exp(s[b, j])
  for b, j: p[b, j] += exp(s[b, j]) / Z[b]
  for t in 1..T:
      G1[b, t, j] = sigma(Whr[j, j] * h[b, t-1, j])
      h[b, t, j] = G1[b, t, j] * h[b, t-1, j] + 3/2
  yhat = p[0, 0] * sigma_W
  l = L(yhat)
parts:
  a: {ask: text, text: "?", answer: "!"}
"""


@pytest.fixture(scope="module")
def spec():
    return parse_spec(SPEC)


@pytest.fixture(scope="module")
def printer(spec):
    return printer_for(spec)


@pytest.fixture(scope="module")
def subscripted(spec):
    return printer_for(spec, subscripts=True)


def lines_of(spec, printer):
    return program_latex(spec.program, printer)


b, j, i, t = (index_var(n) for n in "bjit")
B, T = size_symbol("B"), size_symbol("T")


# ---- statements as the seeds typeset them ----------------------------------

def test_a_loop_statement_with_plus_equals_as_a_relation(spec, printer):
    assert lines_of(spec, printer)[0] == \
        r"\textbf{for}\ b, j\colon\ Z[b] \mathrel{+}= \exp(s[b,j])"


def test_a_quotient_is_a_fraction(spec, printer):
    assert lines_of(spec, printer)[1] == \
        r"\textbf{for}\ b, j\colon\ p[b,j] \mathrel{+}= \frac{\exp(s[b,j])}{Z[b]}"


def test_a_block_is_a_header_and_indented_lines(spec, printer):
    lines = lines_of(spec, printer)
    assert lines[2] == r"\textbf{for}\ t\colon"
    assert lines[3] == \
        r"\quad \textbf{for}\ b, j\colon\ G_1[b,t,j] = \sigma(W^{h,R}[j,j]\,h[{b,t - 1,j}])"


def test_exact_rationals(spec, printer):
    assert program_latex(spec.program, printer)[4] == \
        r"\quad \textbf{for}\ b, j\colon\ h[b,t,j] = G_1[b,t,j]\,h[{b,t - 1,j}] + \frac{3}{2}"


def test_symbols_and_undefined_functions_take_the_spec_display_names(spec, printer):
    lines = lines_of(spec, printer)
    assert lines[5] == r"\hat{y} = \sigma_W\,p[0,0]"
    assert lines[6] == r"\ell = \mathcal{L}(\hat{y})"


def test_minus_equals(printer):
    st = Statement(ref("Z.grad", [b]), "-=", ref("p", [b, j]), (Loop(b, 0, B - 1),
                                                               Loop(j, 0, B - 1)))
    assert statement_latex(st, {"b": (0, B - 1), "j": (0, B - 1)}, printer) == \
        r"\textbf{for}\ b, j\colon\ Z.\mathrm{grad}[b] \mathrel{-}= p[b,j]"


def test_a_reversed_time_loop(printer):
    st = Statement(ref("h.grad", [t]), "+=", ref("h.grad", [t + 1]), (Loop(t, 1, T, True),))
    assert statement_latex(st, {"t": (1, T)}, printer) == \
        r"\textbf{for}\ t = T,\dots,1\colon\ h.\mathrm{grad}[t] \mathrel{+}= h.\mathrm{grad}[{t + 1}]"


# ---- names ------------------------------------------------------------------

@pytest.mark.parametrize("expr, brackets, subscripts", [
    (ref("s", [b, j]), r"s[b,j]", r"s_{b,j}"),
    (ref("s.grad", [b, j]), r"s.\mathrm{grad}[b,j]", r"s.\mathrm{grad}_{b,j}"),
    (ref("Whr", [j, i]), r"W^{h,R}[j,i]", r"{W^{h,R}}_{j,i}"),
    (ref("Whr.grad", [j, i]), r"W^{h,R}.\mathrm{grad}[j,i]", r"{W^{h,R}.\mathrm{grad}}_{j,i}"),
    (ref("G1", [b, t, j]), r"G_1[b,t,j]", r"{G_1}_{b,t,j}"),
    (ref("h", [b, t - 1, j]), r"h[{b,t - 1,j}]", r"h_{b,t - 1,j}"),
    (ref("yhat"), r"\hat{y}", r"\hat{y}"),
    (ref("W2", [j]), r"W_{2}[j]", r"{W_{2}}_{j}"),
    (ref("R_in", [j]), r"R_{in}[j]", r"{R_{in}}_{j}"),
    (ref("Loss"), r"\mathrm{Loss}", r"\mathrm{Loss}"),
], ids=["tensor", "grad", "display-name", "display-grad", "subscripted-name", "shifted",
        "modifier", "letter-digit", "underscore", "word"])
def test_tensor_names(printer, subscripted, expr, brackets, subscripts):
    assert printer.doprint(expr) == brackets
    assert subscripted.doprint(expr) == subscripts


# ---- functions, indicators, brackets -----------------------------------------

z = ref("z", [i])


@pytest.mark.parametrize("expr, tex", [
    (sigma(z), r"\sigma(z[i])"),
    (relu(z), r"\operatorname{relu}(z[i])"),
    (step(z), r"\operatorname{step}(z[i])"),
    (sp.exp(z), r"\exp(z[i])"),
    (sp.log(z), r"\log(z[i])"),
    (sp.tanh(z) ** 2, r"\tanh^{2}(z[i])"),
    (sp.sqrt(z), r"\sqrt{z[i]}"),
    (ind(sp.StrictGreaterThan(z, 0, evaluate=False)), r"[z[i] > 0]"),
    (sp.KroneckerDelta(i, j), r"\delta_{i,j}"),
    (1 - z ** 2, r"1 - {z[i]}^{2}"),
    ((1 - z) * ref("h", [i]), r"(1 - z[i])\,h[i]"),
    (2 * ref("h", [i]) * (z - 1), r"2(z[i] - 1)\,h[i]"),
    (sp.Rational(3, 2) * z, r"\frac{3z[i]}{2}"),
    (-z / ref("K"), r"- \frac{z[i]}{K}"),
    ((ref("y", [i]) / z - 1) / ref("K"), r"\frac{1}{K}\, \left(\frac{y[i]}{z[i]} - 1\right)"),
    (sp.Function("L'")(ref("y")), r"\mathcal{L}'(y)"),
], ids=["sigma", "relu", "step", "exp", "log", "tanh-squared", "sqrt", "indicator", "delta",
        "positive-first", "plain-brackets", "integer-factor", "rational", "negative-fraction",
        "nested-fraction", "prime"])
def test_expressions(printer, expr, tex):
    assert printer.doprint(expr) == tex


def test_a_long_numerator_over_a_number_is_a_factor(printer):
    ys = [ref("Y", [2 * i + k]) for k in range(4)]
    expr = sp.Add(*ys) * ref("X.grad", [i]) * ref("w", [j]) / 4
    assert printer.doprint(expr) == (r"\frac{1}{4}\, (Y[{2i + 1}] + Y[{2i + 2}] + Y[{2i + 3}] "
                                     r"+ Y[{2i}])\,X.\mathrm{grad}[i]\,w[j]")


def test_brackets_around_a_fraction_grow_with_it():
    assert plain_brackets(r"\left(a + b\right) c") == "(a + b) c"
    assert plain_brackets(r"\left(\frac{a}{b} + 1\right)") == r"\left(\frac{a}{b} + 1\right)"
    assert plain_brackets(r"\left(\left(a\right) + \frac{1}{2}\right)") == \
        r"\left((a) + \frac{1}{2}\right)"


def test_no_dummy_names(printer):
    assert printer.doprint(sp.Dummy("x") + 1) == "x + 1"


# ---- rules, matrix forms, answers, messages ------------------------------------

@pytest.mark.parametrize("func, tex", [
    (sp.exp, r"\mathrm{d}\,\exp(u) = \exp(u)\,\mathrm{d} u"),
    (sp.tanh, r"\mathrm{d}\,\tanh(u) = (1 - \tanh^{2}(u))\,\mathrm{d} u"),
    (relu, r"\mathrm{d}\,\operatorname{relu}(u) = \operatorname{step}(u)\,\mathrm{d} u"),
    (step, r"\mathrm{d}\,\operatorname{step}(u) = 0"),
], ids=["exp", "tanh", "relu", "step"])
def test_rules_are_printed_from_the_derivative_table(func, tex):
    assert rule_latex(func) == tex


T_ = sp.Symbol("t", integer=True)


@pytest.mark.parametrize("form, tex, text", [
    (M.Form(M.Mat("W.grad"), "=", ((1, M.Prod((M.Mat("z.grad"), M.T(M.Mat("x"))))),)),
     r"W.\mathrm{grad} = z.\mathrm{grad}\,x^{\top}", "W.grad = z.grad x^T"),
    (M.Form(M.Mat("h.grad", (T_ - 1,)), "+=",
            ((1, M.Prod((M.T(M.Mat("Whr")), M.Mat("z.grad", (T_,))))),)),
     r"h.\mathrm{grad}_{t - 1} \mathrel{+}= {W^{h,R}}^{\top}\,z.\mathrm{grad}_{t}",
     "h.grad_{t - 1} += Whr^T z.grad_t"),
    (M.Form(M.Mat("G1", (T_,)), "=", ((1, M.Mat("s")),)), r"{G_1}_{t} = s", "G1_t = s"),
    (M.Form(M.Mat("Z.grad"), "+=", ((-1, M.Prod((M.Scalar(1 / size_symbol("B")),
                                                 M.SumAll(M.Mat("s"))))),)),
     r"Z.\mathrm{grad} \mathrel{+}= -\frac{1}{B}\,\operatorname{sum}(s)",
     "Z.grad += -1/B sum(s)"),
    (M.Form(M.Mat("p"), "=", ((1, M.Prod((M.Had((M.Mat("s"), M.Mat("Z"))), M.Ones()))),)),
     r"p = (s \circ Z)\,\mathbf{1}", "p = (s ∘ Z) 1"),
], ids=["outer", "transpose-of-a-display-name", "subscripted-name", "sum", "ones"])
def test_matrix_forms_are_printed_from_their_tree(printer, form, tex, text):
    assert form_latex(form, printer) == tex
    assert form.text() == text


def test_a_statement_becomes_its_matrix_form():
    j, i = index_var("j"), index_var("i")
    J = size_symbol("J")
    st = Statement(ref("Whr.grad", [j, i]), "+=", ref("p", [0, j]) * ref("s", [0, i]),
                   (Loop(j, 0, J - 1), Loop(i, 0, J - 1)))
    with pytest.raises(M.NoMatrixForm):
        M.matrix_form(st)
    b = index_var("b")
    st = Statement(ref("Z", [b]), "+=", ref("s", [b, j]), (Loop(b, 0, J - 1), Loop(j, 0, J - 1)))
    assert M.matrix_form(st).text() == "Z += s 1"


@pytest.mark.parametrize("label, tex", [
    ("sigma_W", r"\sigma_W"),
    ("Var(h)", r"\operatorname{Var}(h)"),
    ("E(yhat)", r"\mathbb{E}[\hat{y}]"),
    ("backward work", r"\text{backward work}"),
    ("Whr.grad", r"W^{h,R}.\mathrm{grad}"),
])
def test_answer_labels(printer, label, tex):
    assert label_latex(label, printer) == tex


def test_relations():
    assert [relation_latex(r) for r in ("=", "<=", "≈", "~")] == \
        ["=", r"\le", r"\approx", r"\approx"]


def test_messages_escape_text_and_set_code_in_typewriter():
    assert message_latex("the form `e[b] -= p_b` is 100% right") == \
        r"the form \texttt{e[b] \allowbreak -= \allowbreak p\_b} is 100\% right"


def test_formulas_in_a_phrase_are_typeset_not_reparsed_from_words():
    d, sw = sp.symbols("d sigma_W")
    phrase = Phrase("Var = ", d * sw**2, " ≤ 1/4")
    assert str(phrase) == "Var = d*sigma_W**2 ≤ 1/4"
    assert message_latex(phrase) == r"Var = \(d\,\sigma_{W}^{2}\) $\le$ 1/4"
    # words are words: a formula typed into them is escaped, never parsed back
    assert message_latex("d*sigma_W^2") == r"d*sigma\_W\textasciicircum{}2"


def test_an_order_of_growth_in_a_phrase_prints_plain_and_typeset():
    T = sp.Symbol("T")
    phrase = Phrase("backward work ", Math(BigO(T**2), "O(T^2)"), " in ", T)
    assert phrase == "backward work O(T^2) in T" and "work O(T^2)" in phrase
    assert message_latex(phrase) == r"backward work \(O(T^{2})\) in \(T\)"


def test_verification_sizes_use_the_printers_names():
    phrase = sizes_phrase({"B": 2, "n_in": 5})
    assert phrase == "B=2, n_in=5"
    assert message_latex(phrase) == r"\(B = 2\), \(n_{in} = 5\)"


def test_the_default_printer_needs_no_spec():
    assert NotationLatexPrinter().doprint(ref("Whr", [j, i])) == r"\mathrm{Whr}[j,i]"
