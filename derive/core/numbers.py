"""How exact numbers and powers are written: the printers' shared choices.

The engines keep every number exact (a spec's `0.044715` is the Rational
8943/200000); only the printed spelling differs:

- a Rational whose (reduced) denominator divides a power of ten, holds a factor
  5 and is at least 1000 is written as its exact decimal: 8943/200000 prints
  `0.044715`, 1/1000 prints `0.001`.  Fractions of exact inputs stay fractions:
  3/2, 1/2, 1/16, 9/5 (a denominator that is a power of two, or below 1000);
- a power with a negative exponent is written as a fraction: `1/n**(L/2)`, not
  `n**(-L/2)`.
"""
from __future__ import annotations

import sympy as sp

DECIMAL_DENOMINATOR = 1000      # the least denominator printed as a decimal


def decimal_text(x) -> str | None:
    """The exact decimal spelling of a Rational that reads as a decimal, else None."""
    if not isinstance(x, sp.Rational) or x.is_Integer:
        return None
    q, b = int(x.q), 0
    while q % 5 == 0:
        q //= 5
        b += 1
    while q % 2 == 0:
        q //= 2
    if q != 1 or b == 0 or x.q < DECIMAL_DENOMINATOR:
        return None
    digits = 0
    while (x * 10 ** digits).q != 1:
        digits += 1
    sign = "-" if x < 0 else ""
    n = abs(int(x.p)) * 10 ** digits // int(x.q)
    whole, frac = divmod(n, 10 ** digits)
    return "%s%d.%s" % (sign, whole, str(frac).rjust(digits, "0"))


def negative_power(expr) -> bool:
    """A power whose exponent reads as negative (`n**(-L/2)`, `x**(-3/2)`), which is
    printed as 1 over the positive power."""
    return (expr.is_Pow and not expr.exp.is_Integer and expr.exp != -sp.S.Half
            and expr.exp.could_extract_minus_sign())
