"""Size expressions of a spec (`U: 2*X + D`, `R: M/2`, an index `u: 2*X + D`): parsed
by the notation's expression parser and built from integers, size names, + - * / and
parentheses only."""
from __future__ import annotations

import re

import sympy as sp

from derive.core.errors import NotationError, SpecError
from derive.core.program import size_symbol
from derive.core.sizes import complete
from derive.front import notation as N
from derive.front.notation import number


def size_expression(text: str, path: str, key: str, known: dict, new_ok) -> sp.Expr:
    """The expression `text` over the sizes; a name not in `known` becomes a new size
    when `new_ok(name)`, else it is an error naming the key."""
    try:
        node = N.parse_expression(text, path, key)
    except NotationError as e:
        raise SpecError(f"bad size expression {text!r}: {e.message}", path, key) from None

    def build(n):
        if isinstance(n, N.Num):
            v = N.number(n.text)
            if not v.is_Integer:
                raise SpecError(f"a size expression has integers only, not {n.text}", path, key)
            return v
        if isinstance(n, N.Name):
            if n.id not in known:
                if not new_ok(n.id):
                    raise SpecError(f"unknown size {n.id!r} in {text!r} (sizes: "
                                    f"{', '.join(sorted(known)) or 'none'})", path, key)
                known[n.id] = size_symbol(n.id)
            return known[n.id]
        if isinstance(n, N.BinOp) and n.op in "+-*/":
            a, b = build(n.left), build(n.right)
            return {"+": a + b, "-": a - b, "*": a * b, "/": a / b}[n.op]
        if isinstance(n, N.Unary):
            v = build(n.operand)
            return -v if n.op == "-" else v
        raise SpecError(f"expected a size expression (integers and sizes with + - * / and "
                        f"parentheses), got {text!r}", path, key)

    return build(node)


def default_sizes(raw: dict, symbols: dict, relations: dict) -> dict | None:
    """The spec's sizes, else small distinct values, with the dependent ones computed
    (None when one is not a positive integer)."""
    fallback = iter([3, 4, 5, 2, 6, 7, 3, 4, 5, 2] * 4)
    given = {n: int(raw.get(n) or next(fallback)) for n in symbols if n not in relations}
    return complete(relations, symbols, given)


def _range(loader, value, key, sizes):
    """`B` -> (0, B-1); `1..T` -> (1, T); 3 -> (0, 2); `2*X + D` -> (0, 2X + D - 1)."""
    if isinstance(value, bool) or value is None:
        loader.fail("expected a size such as B, a number, or a range such as 1..T", key)
    if isinstance(value, int):
        if value < 1:
            loader.fail("a size must be positive", key)
        return (sp.Integer(0), sp.Integer(value - 1))
    text = str(value).strip()

    def bound(t):
        return size_expression(t.strip(), loader.path, key, sizes, lambda n: True)

    if ".." in text:
        lo, hi = text.split("..", 1)
        return (bound(lo), bound(hi))
    return (sp.Integer(0), bound(text) - 1)


def _symbol_range(L, key, value) -> tuple:
    """`(0, 1)`, `[0, 1)`, `(0, inf)` -> (lo, hi, lo open?, hi open?), lo < hi."""
    m = re.fullmatch(r"\s*([\[(])\s*([^,]+?)\s*,\s*([^,]+?)\s*([\])])\s*", str(value))
    if not m:
        L.fail("expected an interval such as '(0, 1)', '[0, 1)' or '(0, inf)'", key)

    def bound(t, side):
        t = t.strip().lower()
        if t in ("inf", "+inf", "oo", "infinity") and side == "hi":
            return sp.oo
        if t in ("-inf", "-oo", "-infinity") and side == "lo":
            return -sp.oo
        if not re.fullmatch(r"-?(\d+(\.\d*)?|\.\d+)(e-?\d+)?", t):
            L.fail(f"bad bound {t!r}: expected a number, or inf", key)
        return number(t)
    lo, hi = bound(m.group(2), "lo"), bound(m.group(3), "hi")
    if not lo < hi:
        L.fail("the lower bound must be below the upper bound", key)
    lo_open = m.group(1) == "(" or lo == -sp.oo
    hi_open = m.group(4) == ")" or hi == sp.oo
    return (lo, hi, lo_open, hi_open)
