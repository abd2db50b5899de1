"""Answers as JSON."""
from __future__ import annotations

import numpy as np

import sympy as sp

from derive.core.program import NotationPrinter
from derive.present.latex import printer_for, value_latex
from derive.present.steps import assumption_json, has_math, step_json


class JsonTextPrinter(NotationPrinter):
    """The course notation for other programs: `^` for powers, `max`, `ceil(log2(J))`,
    never Python's `**`, `Max` or `ceiling`."""

    def _print_Pow(self, expr, rational=False):
        text = super()._print_Pow(expr, rational)
        return text.replace("**", "^")

    def _print_Max(self, expr):
        return "max(%s)" % ", ".join(self._print(a) for a in expr.args)

    def _print_Min(self, expr):
        return "min(%s)" % ", ".join(self._print(a) for a in expr.args)

    def _print_ceiling(self, expr):
        return "ceil(%s)" % self._print(expr.args[0])

    def _print_clog2(self, expr):
        return "ceil(log2(%s))" % self._print(expr.args[0])

    def _print_floor(self, expr):
        return "floor(%s)" % self._print(expr.args[0])


_TEXT = JsonTextPrinter()


def value_tree(e):
    """An expression as a JSON tree: {"op": "Add", "args": [...]}, {"symbol": "n"},
    {"number": "1/2"}, {"tensor": "W", "indices": [...]}."""
    if isinstance(e, (int, float)):
        return {"number": str(e)}
    if isinstance(e, sp.Indexed):
        return {"tensor": str(e.base.label), "indices": [value_tree(i) for i in e.indices]}
    if isinstance(e, sp.Symbol):
        return {"symbol": e.name}
    if isinstance(e, sp.Number):
        return {"number": str(e)}
    if isinstance(e, sp.Basic) and e.args:
        return {"op": type(e).__name__, "args": [value_tree(a) for a in e.args]}
    return {"symbol": str(e)}


def value_json(value, printer) -> dict:
    """A result's value in the course notation, in LaTeX and as a tree."""
    if isinstance(value, str):
        return {"value": value}
    return {"value": _TEXT.doprint(value), "latex": value_latex(value, printer),
            "tree": value_tree(value)}

def answer_json(ans, spec, steps: bool = False) -> dict:
    """An answer as a JSON object; with `steps`, its derivation steps that are data."""
    from derive.core.program import format_items, format_statement
    idx = spec.program.indices
    out = {"problem": spec.id, "part": ans.part, "kind": ans.kind, "status": ans.status}
    if ans.program is not None:
        out["loops"] = format_items(ans.program.items, idx)
    if ans.compact:
        out["compact_form"] = [format_statement(s, idx) for s in ans.compact]
    if ans.closed:
        out["closed_form"] = [format_statement(s, idx) for s in ans.closed]
    if ans.results:
        p = printer_for(spec)
        out["results"] = [{"label": r.label, "relation": r.relation,
                           **value_json(r.value, p), "note": str(r.note or "")}
                          for r in ans.results]
    if ans.matrix:
        out["matrix_form"] = [form.text() if form is not None else None
                              for _, form, _ in ans.matrix]
    if ans.values:
        out["values"] = {k: np.asarray(v).tolist() for k, v in ans.values.items()}
    if ans.text:
        out["text"] = ans.text
    if ans.message:
        out["message"] = str(ans.message)
    if ans.assumptions:
        out["assumptions"] = [assumption_json(a) for a in ans.assumptions]
    if steps and ans.steps:
        out["steps"] = [step_json(st, idx) for st in ans.steps if has_math(st)]
    if getattr(ans, "cost", ""):
        out["cost"] = ans.cost
    if ans.verification is not None:
        v = ans.verification
        out["verification"] = {"method": str(v.method), "summary": str(v.summary()), "passed": v.passed,
                               "worst_relative_error": v.worst, "tolerance": v.tolerance,
                               "sizes": [c.sizes for c in v.checks]}
        if hasattr(v, "details"):
            out["verification"]["checks"] = v.details()
    return out
