"""An answer as LaTeX lines (derive solve --format latex)."""
from __future__ import annotations

import numpy as np

def answer_latex(ans, spec) -> str:
    from derive.present.latex import NotationLatexPrinter, program_latex, statement_latex
    p = NotationLatexPrinter({n: i.latex for n, i in spec.program.tensors.items() if i.latex})
    lines = [f"% {spec.id}:{ans.part} ({ans.kind})"]
    if ans.closed:
        lines += [statement_latex(s, spec.program.indices, p) + r" \\" for s in ans.closed]
    elif ans.program is not None:
        lines += [l + r" \\" for l in program_latex(ans.program, p)]
    if ans.results:     # expression answers (moments, solutions, choices)
        from derive.present.latex import label_latex, relation_latex, value_latex
        lines += [f"{label_latex(r.label, p)} {relation_latex(r.relation)} "
                  f"{value_latex(r.value, p)}" + r" \\" for r in ans.results]
    if ans.values:
        for name, value in ans.values.items():
            lines.append(f"% {name} = {np.asarray(value).tolist()}")
    if ans.status != "derived":
        lines.append(f"% {ans.message or 'instructor text'}")
    return "\n".join(lines)
