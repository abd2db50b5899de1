"""Derivation steps, typeset: one printer per format (text, LaTeX, JSON).

A step (derive.core.records.Step) holds a relation chain of SymPy objects, the key of
its sentence (derive.core.sentences) with the objects the sentence names, and its
assumptions.  These functions are the only place where a step becomes words and
symbols; every engine's steps are printed the same way, with the spec's display names.
"""
from __future__ import annotations

import string

import sympy as sp

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


def table_text(step, indices=None) -> list:
    """A table step's rows as lines of aligned columns, its headings first."""
    cols = [str(c) for c in step.args.get("columns", [])]
    rows = [[_cell_text(v, indices) for v in r] for r in step.args.get("rows", [])]
    widths = [max(len(r[k]) for r in [cols] + rows) for k in range(len(cols))]
    return ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip()
            for r in [cols] + rows]


def _cell_text(value, indices=None) -> str:
    if isinstance(value, Statement):
        return format_statement(value, indices)
    return text_of(value, indices)


def step_text(step, indices=None) -> str:
    """The step in one line of plain text (the course notation for formulas); a table
    step is its sentence, then its rows on lines of their own."""
    if step.kind == "table":
        title = sentence(step.why, _table_args(step), lambda v: text_of(v, indices)) \
            if step.why else ""
        return "\n".join([f"{title}:" if title else ""] + table_text(step, indices)).lstrip("\n")
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
    expressions, statements or words) as a small booktabs table, kept on the page of
    its lead sentence.  The first column (the statements) wraps within its width."""
    cols = step.args.get("columns", [])
    rows = step.args.get("rows", [])

    def cell(v):
        if isinstance(v, str) and not v.isidentifier():
            return escape_text(v)           # words
        return latex_of(v, p, indices)
    head = " & ".join(r"\textit{%s}" % escape_text(c) for c in cols) + r"\\ \midrule"
    body = "\n".join(" & ".join(cell(v) for v in r) + r"\\" for r in rows)
    spec = "@{}" + TABLE_FIRST_COLUMN + "l" * (len(cols) - 1) + "@{}"
    title = sentence(step.why, _table_args(step), lambda v: latex_of(v, p, indices)) \
        if step.why else ""
    # the lead sentence does not break over a page, nor away from its table
    lead = r"{\interlinepenalty=10000 %s:\par}\nobreak" % (title[:1].upper() + title[1:]) \
        if title else ""
    return lead + "\n".join([r"{\small\begin{tabular}{%s}\toprule" % spec, head,
                             body, r"\bottomrule", r"\end{tabular}}\par"])


# the statement column of a table: a paragraph of its own width, wrapped lines indented
TABLE_FIRST_COLUMN = (r">{\raggedright\arraybackslash\hangindent=1.5em\hangafter=1}"
                      r"p{0.6\linewidth}")


def _table_args(step) -> dict:
    """The fields of a table step's sentence (its columns and rows are the table)."""
    return {k: v for k, v in step.args.items() if k not in ("columns", "rows")}


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
    if step.why and step.kind != "table":
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
    if step.kind == "table":
        cols = [str(c) for c in step.args.get("columns", [])]
        out["sentence"] = sentence(step.why, _table_args(step),
                                   lambda v: text_of(v, indices)) if step.why else ""
        out["columns"] = cols
        out["rows"] = [dict(zip(cols, (_cell_json(v, indices) for v in r)))
                       for r in step.args.get("rows", [])]
    if not has_math(step) and step.text:
        out["text"] = step.text
    return out


def _cell_json(value, indices=None):
    """A table cell for JSON: a whole number as a number, anything else as text."""
    if isinstance(value, int) or (isinstance(value, sp.Integer)):
        return int(value)
    return _cell_text(value, indices)


# --------------------------------------------------------------------------
# assumptions (derive.core.records.Assumed)
# --------------------------------------------------------------------------


def assumed_words(a, show) -> list:
    """What is assumed of a tensor's entries, in words, its objects shown by show():
    `["mean 0", "variance σ_W^2", "independent entries"]`."""
    if a.constant is not None:
        return ["the constant " + show(a.constant)]
    words = [f"mean {show(a.mean)}"]
    if a.variance is not None:
        words.append(f"variance {show(a.variance)}")
    if a.distribution:
        words.insert(0, a.distribution)
    elif a.symmetric:
        words.append("symmetric about its mean")
    words.append("independent entries" if a.independent
                 else "entries that may depend on each other")
    return words


def assumption_text(a) -> str:
    """`L0 at layer 0: mean 0, variance 1, independent entries` (the course notation)."""
    where = f" at layer {text_of(a.layer)}" if a.layer is not None else ""
    return f"{a.tensor}{where}: " + ", ".join(assumed_words(a, text_of))


def assumption_latex(a, p) -> str:
    """The same in LaTeX text, with the spec's display names:
    `$L_{\\ell}$ at layer $0$: mean $0$, variance $1$, independent entries`."""
    def show(v):
        return "$%s$" % p.doprint(v)
    where = f" at layer {show(a.layer)}" if a.layer is not None else ""
    return "$%s$%s: " % (p.tensor_name(a.tensor), where) + \
        ", ".join(escape_text(w) if k == 0 and a.distribution else w
                  for k, w in enumerate(assumed_words(a, show)))


def assumptions_latex(assumptions, p) -> str:
    return "; ".join(assumption_latex(a, p) for a in assumptions)


def assumption_json(a) -> dict:
    def show(v):
        return None if v is None else format_expr(v)
    return {"tensor": a.tensor, "mean": show(a.mean), "variance": show(a.variance),
            "distribution": a.distribution, "symmetric": a.symmetric,
            "independent": a.independent, "constant": show(a.constant),
            "layer": show(a.layer), "text": assumption_text(a)}


def _is_relation(x) -> bool:
    return isinstance(x, str) and x in RELATION_LATEX
