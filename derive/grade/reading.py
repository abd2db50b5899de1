"""How an answer was read, as LaTeX (`derive check --format latex`): the statements or
expressions of the reading, typeset with the spec's display names, so a student sees at
once whether `2^-1/2` was read as (2^-1)/2."""
from __future__ import annotations

from derive.check.lines import answer_scope as expression_scope
from derive.check.lines import parse_line, read_lines
from derive.front.resolve import build_program
from derive.front.spec import answer_scope
from derive.present.latex import printer_for, relation_latex, statement_latex

LOOP_KINDS = ("backprop", "gradient", "loops", "update")


def reading_latex(spec, label: str, text: str) -> str:
    """The reading `text` (course notation) of an answer to part `label`, in LaTeX: one
    line per statement or quantity."""
    part = spec.part(label)
    if part.kind in LOOP_KINDS:
        prog = build_program(text, answer_scope(spec), "answer", None, 0, answer=True)
        p = printer_for(spec, program=prog)
        return "\n".join(statement_latex(st, spec.program.indices, p)
                         for st in prog.statements())
    scope = expression_scope(spec, [])
    p = printer_for(spec)
    out = []
    for ln in read_lines(text):
        value = parse_line(spec, scope, ln, text)
        lead = f"{ln.label} {relation_latex(ln.relation)} " if ln.label else ""
        out.append(lead + p.doprint(value))
    return "\n".join(out)
