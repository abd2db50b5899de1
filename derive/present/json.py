"""Answers as JSON."""
from __future__ import annotations

import numpy as np

from derive.present.steps import assumption_json, has_math, step_json

def answer_json(ans, spec, steps: bool = False) -> dict:
    """An answer as a JSON object; with `steps`, its derivation steps that are data."""
    from derive.core.program import format_items, format_statement
    idx = spec.program.indices
    out = {"problem": spec.id, "part": ans.part, "kind": ans.kind, "status": ans.status}
    if ans.program is not None:
        out["loops"] = format_items(ans.program.items, idx)
    if ans.closed:
        out["closed_form"] = [format_statement(s, idx) for s in ans.closed]
    if ans.results:
        from derive.core.program import format_expr
        out["results"] = [{"label": r.label, "relation": r.relation,
                           "value": r.value if isinstance(r.value, str) else format_expr(r.value),
                           "note": str(r.note or "")} for r in ans.results]
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
