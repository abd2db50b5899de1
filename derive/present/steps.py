"""Derivation steps, typeset: one printer per format (text, LaTeX, JSON).

A step (derive.core.records.Step) holds a relation chain of SymPy objects, the key of
its sentence (derive.core.sentences) with the objects the sentence names, and its
assumptions.  These functions are the only place where a step becomes words and
symbols; every engine's steps are printed the same way, with the spec's display names.
"""
from __future__ import annotations

import string

from derive.core.program import Statement, format_expr, format_statement
from derive.core.sentences import SENTENCES
from derive.present.latex import escape_text, statement_latex

RELATION_LATEX = {"=": "=", "≤": r"\le", "≥": r"\ge", "<": "<", ">": ">", "≈": r"\approx",
                  "∝": r"\propto", "<=": r"\le", ">=": r"\ge", "~=": r"\approx"}


def has_math(step) -> bool:
    """Is the step written as data (a chain or a sentence) rather than as prose?"""
    return bool(step.chain) or step.why is not None


def _fields(template: str) -> list:
    return [f for _, f, _, _ in string.Formatter().parse(template) if f]


def sentence(key: str, args: dict, show) -> str:
    """The sentence `key` with its fields filled by show(value)."""
    template = SENTENCES.get(key)
    if template is None:
        raise KeyError(f"no sentence {key!r} in derive.core.sentences")
    missing = [f for f in _fields(template) if f not in args]
    if missing:
        raise KeyError(f"the sentence {key!r} needs {', '.join(missing)}")
    return template.format(**{k: show(v) for k, v in args.items()})


# --------------------------------------------------------------------------
# text
# --------------------------------------------------------------------------


def text_of(value, indices=None) -> str:
    if isinstance(value, Statement):
        return f"`{format_statement(value, indices)}`"
    if isinstance(value, str):
        return value
    if isinstance(value, (list, tuple)):
        return ", ".join(text_of(v, indices) for v in value)
    return format_expr(value).replace("**", "^")


def chain_text(chain, indices=None) -> str:
    return " ".join(x if isinstance(x, str) and _is_relation(x) else text_of(x, indices)
                    for x in chain)


def step_text(step, indices=None) -> str:
    """The step in one line of plain text (the course notation for formulas)."""
    parts = []
    if step.why:
        parts.append(sentence(step.why, step.args, lambda v: text_of(v, indices)))
    if step.chain:
        parts.append(chain_text(step.chain, indices))
    out = ": ".join(parts) if parts else step.text
    for key, args in step.assumptions:
        out += f" [assumed: {sentence(key, args, lambda v: text_of(v, indices))}]"
    return out


# --------------------------------------------------------------------------
# LaTeX
# --------------------------------------------------------------------------


def latex_of(value, p, indices=None) -> str:
    """Inline math for a value: an expression, a statement, or a tensor/symbol name."""
    if isinstance(value, Statement):
        return "$%s$" % statement_latex(value, indices, p)
    if isinstance(value, str):
        return "$%s$" % p.tensor_name(value)
    if isinstance(value, (list, tuple)):
        return ", ".join(latex_of(v, p, indices) for v in value)
    return "$%s$" % p.doprint(value)


def chain_latex(chain, p) -> str:
    """The chain as display-ready math (no $): `a = b \\le c`."""
    out = []
    for x in chain:
        if isinstance(x, str) and _is_relation(x):
            out.append(RELATION_LATEX[x])
        else:
            out.append(p.doprint(x))
    return " ".join(out)


def table_latex(step, p, indices=None) -> str:
    """A step of kind "table": args["columns"] (headings) and args["rows"] (cells:
    expressions, statements or words) as a small booktabs table."""
    cols = step.args.get("columns", [])
    rows = step.args.get("rows", [])

    def cell(v):
        if isinstance(v, str) and not v.isidentifier():
            return escape_text(v)           # words
        return latex_of(v, p, indices)
    head = " & ".join(r"\textit{%s}" % escape_text(c) for c in cols) + r"\\ \midrule"
    body = "\n".join(" & ".join(cell(v) for v in r) + r"\\" for r in rows)
    spec = "@{}" + "l" * len(cols) + "@{}"
    title = sentence(step.why, {k: v for k, v in step.args.items()
                                if k not in ("columns", "rows")},
                     lambda v: latex_of(v, p, indices)) if step.why else ""
    lead = f"{title[:1].upper() + title[1:]}:" if title else ""
    return lead + "\n".join([r"\par{\small\begin{tabular}{%s}\toprule" % spec, head, body,
                             r"\bottomrule", r"\end{tabular}}\par"])


def step_latex(step, p, indices=None) -> str:
    """The step as a line of LaTeX text: its sentence in words, then its chain as math,
    and its assumptions, small."""
    if step.kind == "table":
        return table_latex(step, p, indices)
    words = sentence(step.why, step.args, lambda v: latex_of(v, p, indices)) \
        if step.why else ""
    tex = words[:1].upper() + words[1:] if words else ""
    if step.chain:
        math = r"\dm{%s}" % chain_latex(step.chain, p)
        tex = f"{tex}:\\\\ {math}" if tex else math
    if step.statement is not None and not step.chain and not step.why:
        tex = r"\dm{%s}" % statement_latex(step.statement, indices, p)
    for key, args in step.assumptions:
        tex += r"\newline{\footnotesize\textit{assumed:} %s}" % sentence(
            key, args, lambda v: latex_of(v, p, indices))
    return tex or escape_text(step.text)


# --------------------------------------------------------------------------
# JSON
# --------------------------------------------------------------------------


def step_json(step, indices=None, p=None) -> dict:
    out = {"kind": step.kind}
    if step.why:
        out["why"] = step.why
        out["sentence"] = sentence(step.why, step.args, lambda v: text_of(v, indices))
    if step.chain:
        out["chain"] = [x if isinstance(x, str) and _is_relation(x) else text_of(x, indices)
                        for x in step.chain]
        if p is not None:
            out["latex"] = chain_latex(step.chain, p)
    if step.statement is not None:
        out["statement"] = format_statement(step.statement, indices)
    if step.assumptions:
        out["assumptions"] = [sentence(k, a, lambda v: text_of(v, indices))
                              for k, a in step.assumptions]
    if not has_math(step) and step.text:
        out["text"] = step.text
    return out


def _is_relation(x) -> bool:
    return isinstance(x, str) and x in RELATION_LATEX
