
"""Problem sheets and answer keys: pylatex documents -> .tex -> PDF (latexmk).

`build_key(paths, out_dir)` loads the specs, derives and verifies every part
(`derive.answers.solve_guarded`), renders a problem sheet and an answer key, compiles both
with `latexmk -pdf` in a temporary folder and only then moves the files into
`out_dir` (os.replace): a failed build leaves `out_dir` as it was.

The renderer only presents: derivation steps, answers, matrix forms, numeric
tables and verification notes come from the engines (`derive.core.records.Answer`).
"""
from __future__ import annotations

import datetime as _dt
import os
import re
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from pylatex import Document, NoEscape, Package

from derive.present.latex import (escape_text, form_latex, message_latex, printer_for,
                                  program_lines, relation_latex, result_label_latex,
                                  rule_latex, statement_latex, value_latex)
from derive.core.program import Program, grad_name, is_grad_name, ref, ref_indices
from derive.front.spec import Spec, load_spec
from derive.answers import solve_guarded
from derive.engines.backward import tidy_statement
from derive.core.phrase import Math
from derive.core.records import Answer
from derive.present.steps import assumptions_latex, has_math, step_latex
from derive.present.written import written_lines
from derive.present.text import number_text
from derive.core.stopwatch import stopwatch
from derive.present.tex import check_tex, compile_tex, overfull_lines


# data fields of other engines' steps that their text already states
QUIET_EXTRAS = {"rule", "rules", "relation", "tensor", "old", "new", "read", "count", "mean",
                "variance"}

SHEET = "problems"
KEY = "answer_key"
DEFAULT_TITLE = "Backpropagation and trainability"

PREAMBLE = r"""
\setlength{\parindent}{0pt}
\setlength{\parskip}{4pt plus 2pt}
\tcbuselibrary{breakable}
\newtcolorbox{answerbox}{breakable, colback=white, colframe=black!55,
  boxrule=0.6pt, arc=1pt, left=6pt, right=6pt, top=3pt, bottom=3pt,
  title={Answer}, fonttitle=\small\bfseries, coltitle=black, colbacktitle=black!7,
  toptitle=1pt, bottomtitle=1pt, before skip=6pt, after skip=4pt}
% programs in the course notation: one statement per line, long lines wrap with
% a hanging indent; blocks indent by \progindent
\newlength{\progindent}\setlength{\progindent}{1.5em}
\newenvironment{program}{\par\smallskip\begingroup\small\raggedright
  \setlength{\parskip}{1.5pt}}{\par\endgroup\smallskip}
\newcommand{\progline}[2]{\par\noindent\hangindent=\dimexpr#1\progindent+3em\relax
  \hangafter=1\hspace*{#1\progindent}$\displaystyle #2$\par}
\newcommand{\proglinenote}[3]{\par\noindent\hangindent=\dimexpr#1\progindent+3em\relax
  \hangafter=1\hspace*{#1\progindent}$\displaystyle #2$\quad{\footnotesize(#3)}\par}
\newcommand{\dm}[1]{$\displaystyle #1$}
\newcommand{\solutionhead}[1]{\par\smallskip\textsc{#1}\par}
\newcommand{\partlabel}[1]{\par\medskip\textbf{(#1)}\enspace}
\setlist{nosep}
\setlist[itemize]{leftmargin=1.4em}
\allowdisplaybreaks
\emergencystretch=2em
"""




# ---------------------------------------------------------------------------
# one problem
# ---------------------------------------------------------------------------


@dataclass
class Timings:
    derive: float = 0.0
    verify: float = 0.0
    render: float = 0.0
    tex: float = 0.0

    def line(self) -> str:
        total = self.derive + self.verify + self.render + self.tex
        return (f"derive {self.derive:.1f} s, verify {self.verify:.1f} s, render "
                f"{self.render:.1f} s, TeX {self.tex:.1f} s (total {total:.1f} s)")


@dataclass
class Rendered:
    """A problem's section of the problem sheet and of the answer key."""
    spec: object
    answers: list
    sheet: str
    key: str


def solve_timed(spec, timings: Timings | None = None) -> list[Answer]:
    """Every part's answer, verified, each on its own (a failing part is an answer with
    the status withheld, not-derived or error, and does not stop the others).  With
    `timings`, one run is timed: the numeric checks (the run/ functions marked
    @timed("verify")) apart from the rest, the derivation."""
    answers = []
    for label in spec.parts:
        if timings is None:
            answers.append(solve_guarded(spec, label))
            continue
        with stopwatch() as spent:
            t0 = time.perf_counter()
            answers.append(solve_guarded(spec, label))
            total = time.perf_counter() - t0
        check = spent.get("verify", 0.0)
        timings.verify += check
        timings.derive += max(0.0, total - check)
    return answers


class ProblemRenderer:
    """The LaTeX of one problem: statement, parts and (for the key) worked solutions."""

    def __init__(self, spec, answers, subscripts: bool = False):
        self.spec = spec
        self.answers = {a.part: a for a in answers}
        self.subscripts = subscripts
        self.p = printer_for(spec, subscripts)
        self.indices = spec.program.indices

    def marker(self, where: str) -> str:
        """A comment that lets a TeX error be traced back to the spec."""
        return f"% derive: problem {self.spec.id} ({self.spec.path}), {where}"

    # ---- the problem, as on the sheet -----------------------------------

    def section(self, solutions: bool) -> str:
        s = self.spec
        out = [self.marker("title"),
               r"\section{%s}\label{problem:%s}" % (escape_text(s.title), s.id),
               r"{\small\textit{Source:} %s}\par" % escape_text(s.source)]
        if s.statement.strip():
            out += [self.marker("statement"), spec_text(s.statement), ""]
        if s.show_program:
            out += [self.marker("program"),
                    r"\textit{The forward program, in the course notation:}",
                    self.written_block()]
        shown_forward = s.show_program
        for label, part in s.parts.items():
            out += [self.marker(f"parts.{label}.text"),
                    r"\partlabel{%s}%s" % (escape_text(label), spec_text(part.text)), ""]
            if solutions:
                ans = self.answers[label]
                out += [self.marker(f"solution of part {label}"),
                        self.solution(ans, show_forward=not shown_forward)]
                if ans.status == "derived" and ans.kind in ("backprop", "gradient", "loops"):
                    shown_forward = True
        return "\n".join(out) + "\n"

    # ---- building blocks -----------------------------------------------

    def printer(self, ans: Answer | None = None):
        if ans is not None and ans.program is not None:
            return printer_for(self.spec, self.subscripts, ans.program)
        return self.p

    def written_block(self) -> str:
        """The spec's program as the instructor wrote it (Einstein sums and all)."""
        lines = [r"\progline{%d}{%s}" % (d, text) for d, text in written_lines(self.spec, self.p)]
        return "\\begin{program}\n%s\n\\end{program}" % "\n".join(lines)

    def program_block(self, prog: Program, items=None, printer=None) -> str:
        p = printer or self.printer()
        lines = [r"\progline{%d}{%s}" % (d, text)
                 for d, text in program_lines(prog, p, items)]
        return "\\begin{program}\n%s\n\\end{program}" % "\n".join(lines)

    def statements_block(self, statements, printer=None) -> str:
        p = printer or self.p
        lines = [r"\progline{0}{%s}" % statement_latex(st, self.indices, p)
                 for st in statements]
        return "\\begin{program}\n%s\n\\end{program}" % "\n".join(lines)

    # ---- a worked solution ---------------------------------------------

    def solution(self, ans: Answer, show_forward: bool = False) -> str:
        if ans.status == "not-derived":
            return (r"\par\textit{Not derived yet:} %s. The answer key has no answer for "
                    r"this part." % message_latex(ans.message.rstrip("."), self.p))
        if ans.status == "given":
            return "\n".join([
                r"\begin{answerbox}",
                r"\textit{\small The instructor's answer, as given (not derived by "
                r"the engine):}\par",
                spec_text(ans.text or ""),
                r"\end{answerbox}"])
        if ans.status == "withheld":
            return (r"\par\textit{Withheld:} %s. The key does not show an answer that "
                    r"failed its check.\par" % message_latex(ans.message.rstrip("."), self.p))
        if ans.status == "error":
            return (r"\par\textit{Not answered:} %s.\par"
                    % message_latex(ans.message.rstrip("."), self.p))
        p = self.printer(ans)
        out = []
        steps = self.steps(ans, p)
        if steps:
            out += [r"\solutionhead{Derivation}", steps]
        if ans.compact and ans.program is not None:
            out += [r"\textit{The backward loops, node by node, before the intermediate "
                    r"gradients are substituted into the compact form below:}",
                    self.program_block(ans.program, printer=p)]
        elif ans.kind == "gradient" and ans.closed and ans.program is not None:
            out += [r"\textit{The backward loops, before the intermediate gradients are "
                    r"substituted:}", self.program_block(ans.program, printer=p)]
        box = []
        if show_forward and ans.kind in ("backprop", "gradient"):
            box += [r"\textit{The forward program (the equations of the network):}",
                    self.program_block(self.spec.program, printer=p),
                    r"\textit{Its backpropagation loops:}"]
        box += self.answer_body(ans, p)
        if box:
            out += [r"\begin{answerbox}", *box, r"\end{answerbox}"]
        if ans.message:
            out.append(r"{\small\textit{Note:} %s}\par" % message_latex(ans.message, p))
        if ans.assumptions:
            out.append(r"{\small\textit{Assumed:} %s.}\par"
                       % assumptions_latex(ans.assumptions, p))
        if ans.verification is not None:
            out.append(r"{\footnotesize\textit{Verified numerically:} %s.}\par"
                       % message_latex(ans.verification.summary(), p))
        return "\n".join(out)

    def answer_body(self, ans: Answer, p) -> list[str]:
        body = []
        if ans.kind == "numeric" and ans.values:
            body.append(self.numeric_table(ans, p))
        elif ans.compact:
            body += [r"\textit{In compact form:}", self.statements_block(ans.compact, p)]
        elif ans.closed:
            body.append(self.statements_block(ans.closed, p))
        elif ans.program is not None:
            body.append(self.program_block(ans.program, printer=p))
        if ans.matrix:
            body += [r"\textit{In matrix and vector form:}", self.matrix_block(ans, p)]
        for res in ans.results:
            body.append(self.result(res, p))
        return body

    def result(self, res, p) -> str:
        """`label relation value`, wrapped like a program line; an order note `O(L)`
        is appended as `= O(L)`, any other note follows in words."""
        tex = r"%s %s %s" % (result_label_latex(res, p), relation_latex(res.relation),
                             value_latex(res.value, p)) if res.statement is None \
            else self.stmt(res.statement, p)
        note = res.note
        if isinstance(note, Math):          # an order of growth: `= O(L)`
            tex += r" = %s" % p.doprint(note.expr)
            note = ""
        line = r"\proglinenote{0}{%s}{%s}" % (tex, message_latex(note, p)) if note \
            else r"\progline{0}{%s}" % tex
        return "\n".join([r"\begin{program}", line, r"\end{program}"])

    def matrix_block(self, ans: Answer, p) -> str:
        lines = []
        for st, form, why in ans.matrix:
            if form is not None:
                lines.append(r"\progline{0}{%s}" % form_latex(form, p))
            else:
                lines.append(r"\proglinenote{0}{%s}{no matrix form: %s}"
                             % (statement_latex(st, self.indices, p), escape_text(why)))
        return "\\begin{program}\n%s\n\\end{program}" % "\n".join(lines)

    # ---- derivation steps ----------------------------------------------

    def steps(self, ans: Answer, p) -> str:
        """The derivation record as a list: each statement visited with its local
        derivatives and emitted loops, then the simplifications; steps of other
        engines are printed generically (their text, statement and expression)."""
        items: list[str] = []
        sub: list[str] | None = None
        visited = None
        for st in ans.steps:
            if st.kind == "visit":
                visited = st.statement
                sub = []
                items.append([r"Statement \dm{%s}:" % self.stmt(st.statement, p), sub])
            elif st.kind == "local" and sub is not None:
                sub.append(self.local_step(st, visited, p))
            elif st.kind == "emit" and sub is not None:
                emitted = self.stmt(tidy_statement(st.statement), p)
                if sub:
                    sub[-1] += r"\\ $\Rightarrow$\enspace\dm{%s}" % emitted
                else:
                    sub.append(r"$\Rightarrow$ \dm{%s}" % emitted)
            else:
                sub = None
                items.append(self.other_step(st, p))
        if not items:
            return ""
        out = [r"\begin{itemize}\small\raggedright"]
        for it in items:
            if isinstance(it, list):
                head, subs = it
                out.append(r"\item " + head)
                if subs:
                    out += [r"\begin{itemize}"] + [r"\item " + s for s in subs] + \
                           [r"\end{itemize}"]
            else:
                out.append(r"\item " + it)
        out.append(r"\end{itemize}")
        return "\n".join(out)

    def stmt(self, st, p) -> str:
        return statement_latex(st, self.indices, p)

    def local_step(self, st, visited, p) -> str:
        read = st.extra.get("read") if st.extra else None
        target = visited.target if visited is not None else None
        if read is not None and target is not None:
            lhs = r"\frac{\partial\, %s}{\partial\, %s}" % (p.doprint(target), p.doprint(read))
        else:
            lhs = r"\text{local derivative}"
        tex = r"\dm{%s = %s}" % (lhs, p.doprint(st.expr) if st.expr is not None else "?")
        rules = (st.extra or {}).get("rules") or []
        if rules:
            tex += r" \quad{\footnotesize(%s)}" % "; ".join(
                r"$%s$" % rule_latex(r, p) for r in rules)
        if st.expr is not None and st.expr == 0:
            tex += r" \quad (no contribution)"
        return tex

    def other_step(self, st, p) -> str:
        kind = st.kind
        if has_math(st):
            return step_latex(st, p, self.indices)
        if kind == "simplify" and st.statement is not None and st.expr is not None:
            return (r"In forward quantities: \dm{%s}\\ \dm{{}= %s}" %
                    (p.doprint(st.statement.rhs), p.doprint(st.expr)))
        if kind == "merge" and st.statement is not None:
            return r"Merge the two updates of \dm{%s}:\\ \dm{%s}" % (
                p.doprint(st.statement.target), self.stmt(st.statement, p))
        if kind == "rescale" and st.expr is not None and st.extra.get("new"):
            idx = ref_indices(st.expr) if hasattr(st.expr, "indices") else ()
            old, new = ref(st.extra["old"], idx), ref(st.extra["new"], idx)
            return (r"\dm{%s} is only used multiplied by \dm{%s}: keep \dm{%s = %s\,%s} "
                    r"instead" % (p.tensor_name(st.extra["old"]), p.doprint(st.expr),
                                  p.doprint(new), p.doprint(st.expr), p.doprint(old)))
        if kind == "desugar" and st.statement is not None:
            return r"\dm{%s} \quad{\footnotesize(%s)}" % (self.stmt(st.statement, p),
                                                           message_latex(st.text, p))
        # any other engine's step: its kind and its text (which states its formulas),
        # with what it assumes; the statement only when there is no text
        tex = r"\textit{%s:} %s" % (escape_text(kind.replace("_", " ")), message_latex(st.text, p))
        if not st.text.strip() and st.statement is not None:
            tex += r" \dm{%s}" % self.stmt(st.statement, p)
        if not st.text.strip() and st.expr is not None:
            tex += r" \dm{%s}" % p.doprint(st.expr)
        for name, value in (st.extra or {}).items():
            if isinstance(value, str) and name not in QUIET_EXTRAS:
                tex += r"\newline{\footnotesize %s: %s}" % (escape_text(name),
                                                             message_latex(value, p))
        return tex

    # ---- the numeric worked example -------------------------------------

    def numeric_table(self, ans: Answer, p) -> str:
        """Seed 003's layout: each quantity, how it is computed, its value."""
        forward = [n for n in ans.values if not is_grad_name(n)]
        backward = [n for n in ans.values if is_grad_name(n)]
        rows = []
        if forward:
            rows.append(r"\multicolumn{3}{@{}l}{\textit{Forward pass}}\\")
            for name in forward:
                sts = [s for s in self.spec.program.statements() if s.target_name == name]
                rows.append(self.numeric_row(name, sts, ans.values[name], p))
        if backward:
            if forward:
                rows.append(r"\addlinespace")
            sources = ans.backward.sources if ans.backward is not None else []
            seed = ", ".join(r"$%s = 1$" % p.tensor_name(grad_name(s)) for s in sources)
            rows.append(r"\multicolumn{3}{@{}l}{\textit{Backward pass}%s}\\"
                        % (f" (from {seed})" if seed else ""))
            prog_sts = ans.program.statements() if ans.program is not None else []
            for name in backward:
                sts = [s for s in prog_sts if s.target_name == name]
                rows.append(self.numeric_row(name, sts, ans.values[name], p))
        return "\n".join([
            r"\begin{center}\small",
            r"\begin{tabular}{@{}l>{\raggedright\arraybackslash}p{0.52\linewidth}l@{}}",
            r"\toprule quantity & computed by & value\\ \midrule",
            *rows,
            r"\bottomrule", r"\end{tabular}", r"\end{center}"])

    def numeric_row(self, name, statements, value, p) -> str:
        how = r"\newline ".join(r"$%s$" % self.stmt(s, p) for s in statements) or "given"
        return r"$%s$ & %s & $%s$\\" % (p.tensor_name(name), how, array_latex(value))


_MATH = re.compile(r"(?<!\\)\$\$.*?(?<!\\)\$\$|(?<!\\)\$.*?(?<!\\)\$|\\\[.*?\\\]|\\\(.*?\\\)"
                   r"|\\begin\{(equation|align|gather|multline|flalign|displaymath|math)"
                   r"(\*?)\}.*?\\end\{\1\2\}", re.S)


def spec_text(text: str) -> str:
    """An instructor's LaTeX text (statement, part, given answer) made safe in text
    mode.  A paragraph with indented lines and no LaTeX (`$`, `\\`) is code and is
    set verbatim; elsewhere, outside math, `code` spans become typewriter type and a
    bare `_`, `^`, `%` or `#` (`Linear_1`, `50%`) is escaped.  Everything else is
    passed to LaTeX as written."""
    out = []
    for para in re.split(r"\n[ \t]*\n", text.strip("\n")):
        lines = para.split("\n")
        if any(l[:1] in (" ", "\t") for l in lines) and not re.search(r"[$\\]", para):
            out.append("\\begin{small}\n\\begin{verbatim}\n%s\n\\end{verbatim}\n\\end{small}"
                       % para.rstrip())
        else:
            out.append(_text_paragraph(para))
    return "\n\n".join(out).strip()


def _text_paragraph(text: str) -> str:
    out, last = [], 0
    for m in _MATH.finditer(text):
        out.append(_escape_bare(text[last:m.start()]))
        out.append(m.group(0))
        last = m.end()
    out.append(_escape_bare(text[last:]))
    return "".join(out)


def _escape_bare(text: str) -> str:
    parts = re.split(r"`([^`\n]+)`", text)
    out = []
    for k, part in enumerate(parts):
        if k % 2:
            out.append(r"\texttt{%s}" % escape_text(part))
        else:
            part = re.sub(r"(?<!\\)([_%#])", r"\\\1", part)
            part = re.sub(r'"([^"\n]+)"', r"``\1''", part)
            out.append(re.sub(r"(?<!\\)\^", r"\\textasciicircum{}", part))
    return "".join(out)


def number_latex(x: float) -> str:
    r"""4 significant digits; 4e-05 as 4 \times 10^{-5} (never raw e-notation)."""
    text = number_text(x)
    if "e" in text:
        mant, _, exp = text.partition("e")
        return r"%s \times 10^{%d}" % (mant, int(exp))
    return text


def array_latex(value, limit: int = 8) -> str:
    """A scalar, a vector `(1, -3)` or a matrix (pmatrix); long axes elided."""
    a = np.asarray(value, dtype=float)
    if a.ndim == 0:
        return number_latex(a)

    def row(v):
        items = [number_latex(x) for x in v[:limit]]
        return items + ([r"\dots"] if len(v) > limit else [])
    if a.ndim == 1:
        return "(%s)" % ",\\ ".join(row(a))
    if a.ndim == 2:
        rows = [" & ".join(row(r)) for r in a[:limit]]
        if a.shape[0] > limit:
            rows.append(r"\vdots")
        return r"\begin{pmatrix}%s\end{pmatrix}" % r" \\ ".join(rows)
    return r"\text{(%s array)}" % r"$\times$".join(str(n) for n in a.shape)


# ---------------------------------------------------------------------------
# the documents
# ---------------------------------------------------------------------------


def new_document(title: str, course: str, kind: str, date: str) -> Document:
    doc = Document(documentclass="article", document_options=["11pt", "a4paper"],
                   geometry_options={"margin": "2.2cm"}, lmodern=True, textcomp=True,
                   microtype=True, page_numbers=True)
    for name, options in (("amsmath", None), ("amssymb", None), ("booktabs", None),
                          ("array", None), ("enumitem", None), ("tcolorbox", None),
                          ("hyperref", "hidelinks")):
        doc.packages.append(Package(name, options=options))
    doc.preamble.append(NoEscape(PREAMBLE))
    doc.append(NoEscape("\n".join([
        r"\begin{center}",
        r"{\large %s}\\[3pt]" % escape_text(course),
        r"{\LARGE\bfseries %s}\\[5pt]" % escape_text(title),
        r"{\large %s}\quad\textperiodcentered\quad %s" % (kind, escape_text(date)),
        r"\end{center}", ""])))
    return doc


def document_tex(rendered: list[Rendered], solutions: bool, title: str, course: str,
                 date: str) -> str:
    kind = "Answer key" if solutions else "Problem sheet"
    doc = new_document(title, course, kind, date)
    if solutions:
        doc.append(NoEscape(
            r"\noindent{\small Every answer below was derived by \texttt{derive} and checked "
            r"numerically (central differences along random directions, or the check named "
            r"under the answer). Parts that the engines cannot derive yet say so; "
            r"instructor-written answers are marked as given.}" + "\n"))
    for r in rendered:
        # a marker in the log: a TeX run that hangs is traced to the problem it was on
        doc.append(NoEscape(r"\typeout{derive: problem %s}" % r.spec.id + "\n"))
        doc.append(NoEscape(r.key if solutions else r.sheet))
    return doc.dumps()


def default_course(specs) -> str:
    courses = sorted({s.course for s in specs if s.course})
    if len(courses) == 1:
        return courses[0]
    return "Deep learning"


# ---------------------------------------------------------------------------
# the build
# ---------------------------------------------------------------------------


@dataclass
class BuildResult:
    written: list = field(default_factory=list)     # paths in the output folder
    removed: list = field(default_factory=list)     # stale files of an earlier build
    timings: Timings = field(default_factory=Timings)
    counts: dict = field(default_factory=dict)      # status -> number of parts
    answers: dict = field(default_factory=dict)     # (problem id, part) -> Answer
    overfull: list = field(default_factory=list)    # lines that run into the margin
    incomplete: list = field(default_factory=list)  # (problem id, part, why) not in the key


def build_key(paths, out_dir, *, solutions: bool = True, tex_only: bool = False,
              subscripts: bool = False, timings: bool = False, title: str | None = None,
              course: str | None = None, date: str | None = None,
              progress=None, keep_going: bool = False,
              tex_timeout: float | None = None) -> BuildResult:
    """Build DIR/problems.pdf and DIR/answer_key.pdf (and their .tex) for the specs.

    `solutions=False` builds only the problem sheet; `tex_only` writes the .tex
    files without running TeX; `progress(text)` receives one line per stage.  A part
    without a verified answer (withheld, not derived, not answerable) is listed in
    `incomplete`; unless `keep_going`, nothing is then compiled or written."""
    say = progress or (lambda text: None)
    if not tex_only:
        check_tex()
    # every spec error before any work (specs the caller has loaded are not read again)
    specs = [p if isinstance(p, Spec) else load_spec(p) for p in paths]
    result = BuildResult()
    t = result.timings
    rendered = []
    width = max((len(s.id) for s in specs), default=0)
    for n, spec in enumerate(specs, 1):
        t0 = time.perf_counter()
        before = (t.derive, t.verify)
        answers = solve_timed(spec, t if timings else None)
        t1 = time.perf_counter()
        if not timings:
            t.derive += t1 - t0
        r = ProblemRenderer(spec, answers, subscripts)
        rendered.append(Rendered(spec, answers, r.section(False),
                                 r.section(True) if solutions else ""))
        t2 = time.perf_counter()
        t.render += t2 - t1
        for a in answers:
            result.answers[(spec.id, a.part)] = a
            result.counts[a.status] = result.counts.get(a.status, 0) + 1
            if a.status in ("withheld", "not-derived", "error"):
                result.incomplete.append((spec.id, a.part, a.status))
                say(f"warning: {spec.id}:{a.part}: {a.status}: {a.message}")
        if timings:
            stages = (f"derive {t.derive - before[0]:.1f} s, verify "
                      f"{t.verify - before[1]:.1f} s")
        else:
            stages = f"derive + verify {t1 - t0:.1f} s"
        say(f"[{n:>2}/{len(specs)}] {spec.id:<{width}}  {len(answers)} parts: {stages}, "
            f"render {t2 - t1:.2f} s")
    if result.incomplete and not keep_going:
        return result
    title = title or DEFAULT_TITLE
    course = course or default_course(specs)
    date = date or build_date()
    names = [SHEET, KEY] if solutions else [SHEET]
    build = Path(tempfile.mkdtemp(prefix="derive-key-"))
    try:
        outputs = []
        for name in names:
            t0 = time.perf_counter()
            tex = build / f"{name}.tex"
            tex.write_text(document_tex(rendered, name == KEY, title, course, date),
                           encoding="utf-8")
            t.render += time.perf_counter() - t0
            outputs.append(tex)
            if not tex_only:
                say(f"compile {name}.pdf (latexmk -pdf) ...")
                t0 = time.perf_counter()
                outputs.append(compile_tex(tex, tex_timeout, say))
                t.tex += time.perf_counter() - t0
                say(f"compiled {name}.pdf in {time.perf_counter() - t0:.1f} s")
                for where in overfull_lines(tex):
                    result.overfull.append(where)
                    say(f"warning: {name}.pdf: {where}")
        result.written = install(outputs, Path(out_dir))
        if not solutions:                 # an earlier build's key no longer matches
            for suffix in (".pdf", ".tex"):
                stale = Path(out_dir) / f"{KEY}{suffix}"
                if stale.exists():
                    stale.unlink()
                    result.removed.append(stale)
    except BaseException as e:
        # keep the build folder (and its log) for a TeX error; drop it otherwise (Ctrl-C
        # and time-outs included: nothing of an interrupted build is left behind)
        if isinstance(e, (KeyboardInterrupt, SystemExit)) or not any(build.glob("*.log")) \
                or "did not finish" in str(e):
            shutil.rmtree(build, ignore_errors=True)
        raise
    shutil.rmtree(build, ignore_errors=True)
    return result


def build_date() -> str:
    """The sheets' date: $SOURCE_DATE_EPOCH (reproducible builds), else today."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch.isdigit():
        day = _dt.datetime.fromtimestamp(int(epoch), _dt.timezone.utc).date()
    else:
        day = _dt.date.today()
    return day.strftime("%B %-d, %Y")


def install(files, out_dir: Path) -> list[Path]:
    """Copy finished files into out_dir, each by an atomic os.replace."""
    out_dir.mkdir(parents=True, exist_ok=True)
    umask = os.umask(0)
    os.umask(umask)
    written = []
    for f in files:
        fd, tmp = tempfile.mkstemp(prefix=f".{f.name}.", suffix=".part", dir=out_dir)
        try:
            os.chmod(tmp, 0o666 & ~umask)
            with os.fdopen(fd, "wb") as dst, open(f, "rb") as src:
                shutil.copyfileobj(src, dst)
                dst.flush()
                os.fsync(dst.fileno())
            os.replace(tmp, out_dir / f.name)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        written.append(out_dir / f.name)
    return written
