"""Words with mathematics in them, kept apart: what an engine says in a note, a message
or a verification line (`backward work O(T^2) in T`, `at sizes B = 2, n_in = 5`).

A Phrase is its plain text (a `str`), with `parts` that keep words and formulas apart:
`str` parts are words; the others are SymPy objects (a size, `B = 2`) or a Math (a
SymPy object with its own plain form: an order of growth).  The words never hold a
formula, so no printer has to find formulas in text again: the LaTeX printer typesets
the formulas with the spec's display names; the terminal shows the plain text."""
from __future__ import annotations

import sympy as sp

from derive.core.program import format_expr


class Math(str):
    """A formula with its own plain-text form: an order of growth is the text `O(T^2)`
    on the terminal (derive.core.growth.order) and `expr`, BigO(T**2), typeset."""
    expr: sp.Basic

    def __new__(cls, expr: sp.Basic, plain: str):
        self = super().__new__(cls, plain)
        self.expr = expr
        return self


class Phrase(str):
    """Phrase("the backward pass takes ", order_math(...), " in ", T).

    It is the plain text (a `str`: `in`, `==`, f-strings and JSON see the words the
    terminal shows), and `parts` keeps the words and formulas apart for the typesetter."""
    parts: tuple

    def __new__(cls, *parts):
        flat: list = []
        for part in parts:
            for p in (part.parts if isinstance(part, Phrase) else (part,)):
                if isinstance(p, int) and not isinstance(p, bool):
                    p = sp.Integer(p)
                elif isinstance(p, float):
                    p = sp.Float(p)
                if not isinstance(p, (str, sp.Basic, Math)):
                    raise TypeError(f"a phrase holds words and SymPy objects, not {p!r}")
                words = isinstance(p, str) and not isinstance(p, Math)
                if words and flat and _words(flat[-1]):
                    flat[-1] += str(p)
                elif not (words and not p):
                    flat.append(str(p) if words else p)
        plain = "".join(format_expr(p) if isinstance(p, sp.Basic) else str(p) for p in flat)
        self = super().__new__(cls, plain)
        self.parts = tuple(flat)
        return self

    def __add__(self, other):
        return Phrase(self, other)

    def __radd__(self, other):
        return Phrase(other, self)

    def rstrip(self, chars: str | None = None) -> "Phrase":
        parts = list(self.parts)
        if parts and _words(parts[-1]):
            parts[-1] = parts[-1].rstrip(chars)
        return Phrase(*parts)


def _words(part) -> bool:
    return isinstance(part, str) and not isinstance(part, Math)


def join(parts, sep: str = ", ") -> Phrase:
    """Phrase parts joined by `sep`: join([Eq(B, 2), Eq(J, 3)]) -> `B = 2, J = 3`."""
    out: list = []
    for k, p in enumerate(parts):
        if k:
            out.append(sep)
        out.append(p)
    return Phrase(*out)


def sizes_phrase(sizes: dict) -> Phrase:
    """{'B': 2, 'n_in': 5} -> `B=2, n_in=5` on the terminal; typeset, each size is a
    symbol the printer names (n_{in} = 5)."""
    return join([Math(sp.Eq(sp.Symbol(str(k)), sp.Integer(int(v)), evaluate=False),
                      f"{k}={int(v)}") for k, v in sizes.items()])


