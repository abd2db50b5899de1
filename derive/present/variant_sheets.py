"""The documents of a class with variants: one problem sheet per student (their name
and variants in the header) and one answer key for staff with every variant's worked
solution.  Only presentation: the variants come derived and verified
(derive.answers.variants), and each section is the ordinary one (ProblemRenderer)."""
from __future__ import annotations

from dataclasses import replace

from pylatex import NoEscape

from derive.present.latex import escape_text
from derive.present.render import ProblemRenderer, new_document


def titled(spec):
    """The spec as its sections show it: a variant's title says which one, and its
    labels stay apart from the other variants' (softmax-v17)."""
    v = spec.variant
    if v is None:
        return spec
    return replace(spec, id=f"{spec.id}-v{v.k}", title=f"{spec.title} (variant {v.k})")


def section(spec, answers, solutions: bool, subscripts: bool = False) -> str:
    return ProblemRenderer(titled(spec), answers, subscripts).section(solutions)


def sheet_tex(student: str, variants: list, sections: list, title: str, course: str,
              date: str) -> str:
    """A student's problem sheet: the header names the student and their variants."""
    doc = new_document(title, course, "Problem sheet for " + escape_text(student), date)
    if variants:
        doc.append(NoEscape(r"\noindent{\small Your variants: \texttt{%s}. Write them in "
                            r"the header of your answers (\texttt{variants: %s}).}\par"
                            % (escape_text(", ".join(variants)),
                               escape_text(", ".join(variants))) + "\n"))
    for text in sections:
        doc.append(NoEscape(text))
    return doc.dumps()


def key_tex(entries: list, title: str, course: str, date: str) -> str:
    """The staff's key: for each (section, variant name, choices, students) entry, who
    has the variant and what it chose, then its worked solution."""
    doc = new_document(title, course, "Answer key of the variants", date)
    doc.append(NoEscape(
        r"\noindent{\small Every variant below was derived by \texttt{derive} and checked "
        r"numerically before it was given to anyone; each lists what it chose and the "
        r"students who have it.}" + "\n"))
    for text, name, choices, students in entries:
        doc.append(NoEscape(text))
        if name:
            doc.append(NoEscape(
                r"\par\smallskip{\footnotesize\textit{Variant} \texttt{%s}: %s.%s}\par"
                % (escape_text(name), escape_text(choices),
                   (r" \textit{Given to:} " + escape_text(", ".join(students)))
                   if students else "") + "\n"))
    return doc.dumps()
