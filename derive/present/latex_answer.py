"""An answer as LaTeX lines (derive solve --format latex)."""
from __future__ import annotations

import numpy as np

from derive.present.latex import (printer_for, program_latex, relation_latex,
                                  result_label_latex, statement_latex, value_latex)
from derive.present.steps import assumptions_latex


def answer_latex(ans, spec) -> str:
    """The answer's loops, closed forms and expression answers, one LaTeX line each, with
    the spec's display names; then what it assumes."""
    p = printer_for(spec, program=ans.program)
    idx = spec.program.indices
    lines = [f"% {spec.id}:{ans.part} ({ans.kind})"]
    if ans.compact:
        lines += [statement_latex(s, idx, p) + r" \\" for s in ans.compact]
    elif ans.closed:
        lines += [statement_latex(s, idx, p) + r" \\" for s in ans.closed]
    elif ans.program is not None:
        lines += [l + r" \\" for l in program_latex(ans.program, p)]
    for r in ans.results:     # expression answers (moments, solutions, choices, updates)
        if r.statement is not None:
            lines.append(statement_latex(r.statement, idx, p) + r" \\")
        else:
            lines.append(f"{result_label_latex(r, p)} {relation_latex(r.relation)} "
                         f"{value_latex(r.value, p)}" + r" \\")
    if ans.assumptions:
        lines.append(r"\textit{Assumed:} %s." % assumptions_latex(ans.assumptions, p))
    if ans.values:
        for name, value in ans.values.items():
            lines.append(f"% {name} = {np.asarray(value).tolist()}")
    if ans.status != "derived":
        lines.append(f"% {ans.message or 'instructor text'}")
    return "\n".join(lines)
