"""Orders of growth: O(BJ), O(T log J + log V) (from the cost engine's formulas)."""
from __future__ import annotations

import sympy as sp
from derive.core.program import (as_expr, Program)
from derive.core.errors import CostError
from derive.core.phrase import Math

# --------------------------------------------------------------------------
# orders of growth: O(BJ), O(T log J + log V)
# --------------------------------------------------------------------------


def _log_order(arg, sizes):
    """log(arg) up to a constant factor, as a sum of logs of sizes."""
    terms = _dominant_terms(arg, sizes)
    out = sp.S.Zero
    vs = set()
    for key in terms:
        for v, (p, _) in key.items():
            if p > 0:
                vs.add(v)
    for v in sorted(vs, key=lambda s: str(s)):
        out += sp.log(v)
    return out


def _asymptotic(e, sizes):
    """Replace ceilings, maxima and logs by expressions of the same order."""
    if e.is_Atom:
        return e
    if isinstance(e, clog2) or isinstance(e, sp.log):
        return _log_order(_asymptotic(e.args[0], sizes), sizes)
    if isinstance(e, sp.ceiling) or isinstance(e, sp.floor):
        return _asymptotic(e.args[0], sizes)
    if isinstance(e, sp.Max):
        return sp.Add(*[_asymptotic(a, sizes) for a in e.args])
    if isinstance(e, sp.Min):
        return e
    return e.func(*[_asymptotic(a, sizes) for a in e.args])


def _term_key(term, sizes) -> dict:
    """{size or Min(..): (power, log power)} of one product term."""
    key: dict = {}
    for f in sp.Mul.make_args(term):
        if f.is_Number:
            continue
        base, ex = f.as_base_exp()
        if not ex.is_Number:
            raise CostError(f"cannot take the order of {term}")
        ex = sp.nsimplify(ex)
        if base in sizes or isinstance(base, sp.Min):
            p, l = key.get(base, (0, 0))
            key[base] = (p + ex, l)
        elif isinstance(base, sp.log) and (base.args[0] in sizes
                                           or isinstance(base.args[0], sp.Min)):
            v = base.args[0]
            p, l = key.get(v, (0, 0))
            key[v] = (p, l + ex)
        elif not (base.free_symbols & set(sizes)):
            continue                       # a constant (another symbol)
        else:
            raise CostError(f"cannot take the order of {term}")
    return {v: pl for v, pl in key.items() if pl != (0, 0)}


def _dominant_terms(e, sizes, only=None) -> list:
    e = sp.expand(_asymptotic(as_expr(e), sizes))
    keys = []
    for term in sp.Add.make_args(e):
        if term == 0:
            continue
        k = _term_key(term, sizes)
        if only is not None:
            k = {v: pl for v, pl in k.items() if v in only}
        if k not in keys:
            keys.append(k)

    def covers(a, v, pl):
        if a.get(v, (0, 0)) >= pl:
            return True                 # min(F, M) <= M: dominated by what M dominates
        return isinstance(v, sp.Min) and any(a.get(x, (0, 0)) >= pl for x in v.args)

    def dominates(a, b):
        return all(covers(a, v, pl) for v, pl in b.items())

    out = []
    for k in keys:
        if any(o != k and dominates(o, k) for o in keys):
            continue
        out.append(k)
    return out or [{}]


def _format_term(key, order_of) -> str:
    if not key:
        return "1"
    vs = sorted(key, key=order_of)
    plain, logs = [], []
    for v in vs:
        p, l = key[v]
        name = f"min({', '.join(str(a) for a in v.args)})" if isinstance(v, sp.Min) else str(v)
        if p:
            plain.append(name if p == 1 else f"{name}^{p}")
        if l:
            logs.append(f"log {name}" if l == 1 else f"log^{l} {name}")
    single = all(len(str(v)) == 1 for v in vs if key[v][0])
    head = ("".join(plain) if single else "·".join(plain))
    return " ".join(x for x in [head] + logs if x)


def _order_terms(expr, program: Program, only=None):
    """The dominant terms of a size expression, largest first, and the key that orders
    a term's sizes as the program declares them."""
    sizes = list(program.sizes.values())
    keep = None if only is None else {program.sizes[n] for n in only if n in program.sizes}
    names = [str(s) for s in sizes]

    def order_of(v):
        return names.index(str(v)) if str(v) in names else len(names)
    terms = _dominant_terms(expr, sizes, keep)
    terms.sort(key=lambda k: (-sum(p for p, _ in k.values()), [order_of(v) for v in k]))
    return terms, order_of


def order(expr, program: Program, only=None) -> str:
    """The order of growth of a size expression: `O(BJ)`, `O(T log J)`, `O(1)`.

    With `only` (size names), the other sizes count as constants."""
    terms, order_of = _order_terms(expr, program, only)
    return "O(" + " + ".join(_format_term(k, order_of) for k in terms) + ")"


class BigO(sp.Function):
    """O(f): an order of growth as a SymPy object, for derivation steps (O(T log J))."""
    nargs = 1

    def _sympystr(self, printer):
        return "O(%s)" % printer._print(self.args[0])


def _term_expr(key) -> sp.Expr:
    out = sp.S.One
    for v, (p, l) in key.items():
        out *= v ** p * sp.log(v) ** l
    return out


def order_expr(expr, program: Program, only=None) -> sp.Expr:
    """The order of `order` as a SymPy object, BigO(T*log(J)), that printers typeset."""
    terms, _ = _order_terms(expr, program, only)
    return BigO(sp.Add(*[_term_expr(k) for k in terms]))


class Measure(sp.Symbol):
    """A measure of a cost named in a derivation: `Measure("W_backward")`, the work of
    the backward pass (W work, D parallel depth, M memory; after the `_`, whose)."""

    @property
    def letter(self) -> str:
        return self.name.split("_", 1)[0]

    @property
    def whose(self) -> str:
        return self.name.split("_", 1)[1] if "_" in self.name else ""


class clog2(sp.Function):
    """ceil(log2 n) for a positive integer n (0 for n = 1)."""
    is_integer = True
    is_nonnegative = True

    @classmethod
    def eval(cls, n):
        if n.is_Integer and n > 0:
            return sp.Integer((int(n) - 1).bit_length())
        if n.is_Rational and n > 0:        # a size in terms of another (O = (S - K + 3)/3)
            p, q = int(n.p), int(n.q)      # at a point where it is not whole: still a number
            k = max(p // q - 1, 0).bit_length()
            while (q << k) < p:
                k += 1
            while k > 0 and (q << (k - 1)) >= p:
                k -= 1
            return sp.Integer(k)
        if n.is_number and n.is_positive:
            return sp.ceiling(sp.log(n, 2))
        return None

    def _sympystr(self, printer):
        return f"ceil(log2({printer._print(self.args[0])}))"

    def _latex(self, printer):
        n = self.args[0]
        shown = printer._print(n)
        return r"\lceil \log_2 %s \rceil" % ("(%s)" % shown if n.is_Add or n.is_Mul else shown)


def order_math(expr, program: Program, only=None):
    """The order of growth for a phrase (derive.core.phrase): `O(T^2)` on the terminal,
    BigO(T**2) typeset."""
    terms, order_of = _order_terms(expr, program, only)      # once, for both forms
    plain = "O(" + " + ".join(_format_term(k, order_of) for k in terms) + ")"
    return Math(BigO(sp.Add(*[_term_expr(k) for k in terms])), plain)


def common_out_of_max(expr):
    """Max(T log N + 6T + a, T log N + 6T + b) -> T log N + 6T + Max(a, b): the terms that
    every argument of a Max (or Min) shares, with the least shared constant, written once
    outside it.  The value is the same; the answer key's depth formulas get shorter."""
    expr = as_expr(expr)
    if not isinstance(expr, sp.Basic) or not expr.has(sp.Max, sp.Min):
        return expr

    def pull(e):
        if not isinstance(e, (sp.Max, sp.Min)):
            return e
        args = [sp.expand(a) for a in e.args]
        terms = [a.as_coefficients_dict() for a in args]
        shared = sp.Add(*[c * t for t, c in terms[0].items() if t != 1 and
                          all(d.get(t) == c for d in terms[1:])])
        consts = [d.get(sp.S.One, sp.S.Zero) for d in terms]
        if all(c.is_number for c in consts):
            shared += min(consts)
        if shared == 0:
            return e
        return shared + e.func(*[a - shared for a in args])
    return expr.replace(lambda e: isinstance(e, (sp.Max, sp.Min)), pull)
