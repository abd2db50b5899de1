"""Numbers in students' answers, judged at the precision they were written with.

A decimal a student writes is taken to be a value rounded to its last written digit:
`0.0087` stands for anything in [0.00865, 0.00875].  It is right when the true value
rounds to it and it has at least two significant digits (`0.3` for 1/3 is too coarse to
tell a right answer from a wrong one; `0.33` is accepted).  Integers, fractions
(`1/3`) and numbers with many digits must agree to within floating-point rounding.
"""
from __future__ import annotations

import numpy as np

from . import notation as N
from .resolve import Resolver

MIN_DIGITS = 2          # significant digits a rounded number needs
EXACT = 1e-9            # relative agreement of an exact number


def significant(text: str) -> tuple[int, float]:
    """(significant digits, half a unit in the last place) of a decimal literal."""
    mant, _, expo = text.lower().partition("e")
    scale = 10.0 ** int(expo) if expo else 1.0
    if "." in mant:
        whole, frac = mant.split(".", 1)
        digits = (whole + frac).lstrip("0")
        return len(digits), 0.5 * 10.0 ** -len(frac) * scale
    digits = mant.lstrip("0")
    trailing = len(digits) - len(digits.rstrip("0"))
    return len(digits) - trailing, 0.5 * 10.0 ** trailing * scale


def read_values(text: str, scope, source: str = "answer") -> list:
    """`name = value` lines -> [(name, values, half-ulps, line, node)]; half-ulp 0 marks an
    exact number (an integer, a fraction, or a decimal with too few digits to be read as
    rounded)."""
    out = []
    for target, value in N.parse_values(text, source, None, 0):
        r = Resolver(scope, source, text, None, 0)
        if isinstance(target, N.Name):
            name = target.id
        elif isinstance(target, N.Grad):
            name = target.base.id + ".grad"
        else:
            r.err(target, "expected a tensor name on the left of a value line")
        base = name[:-5] if name.endswith(".grad") else name
        if base not in scope.tensors and base not in scope.symbols:
            r.err(target, f"unknown tensor {base!r}")
        vals, ulps = _literal(r, value)
        out.append((name, np.asarray(vals, dtype=float), np.asarray(ulps, dtype=float),
                    target.line, target))
    return out


def _literal(r, node):
    if isinstance(node, N.ListLit):
        items = [_literal(r, x) for x in node.items]
        shapes = {np.shape(v) for v, _ in items}
        if len(shapes) > 1:
            r.err(node, "the rows of this list have different lengths")
        return [v for v, _ in items], [u for _, u in items]
    if isinstance(node, N.Num):
        value = float(r.num(node))
        digits, half = significant(node.text)
        rounded = ("." in node.text or "e" in node.text.lower()) and digits >= MIN_DIGITS
        return value, half if rounded else 0.0
    if isinstance(node, N.Unary):
        v, u = _literal(r, node.operand)
        if isinstance(v, list):
            r.err(node, "a sign applies to a number, not a list")
        return (-v if node.op == "-" else v), u
    if isinstance(node, N.BinOp) and node.op == "/" and isinstance(node.left, (N.Num, N.Unary)):
        (a, _), (b, _) = _literal(r, node.left), _literal(r, node.right)
        if isinstance(a, list) or isinstance(b, list) or b == 0:
            r.err(node, "expected a number")
        return a / b, 0.0
    r.err(node, "expected a number or a [list] of numbers")


def agree(got, ulps, want) -> np.ndarray:
    """Elementwise: is `got` (written to half-ulps `ulps`) the value `want`?"""
    got, ulps, want = (np.asarray(x, dtype=float) for x in (got, ulps, want))
    close = np.abs(got - want) <= EXACT * np.maximum(1.0, np.abs(want))
    rounded = np.abs(got - want) <= ulps * (1 + 1e-9) + 1e-15 * np.abs(want)
    return np.isfinite(got) & (close | ((ulps > 0) & rounded))
