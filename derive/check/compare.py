"""Comparing expressions: exact random points, then a symbolic proof; diagnoses."""
from __future__ import annotations

import random
import sympy as sp

# --------------------------------------------------------------------------
# comparing
# --------------------------------------------------------------------------


def _frozen(*exprs):
    """Undefined function applications (sigma2(l)) as plain symbols, the same in all."""
    apps = set()
    for e in exprs:
        apps |= e.atoms(sp.core.function.AppliedUndef)
    subs = {a: sp.Symbol(f"_{a.func.__name__}_{k}", positive=True)
            for k, a in enumerate(sorted(apps, key=str))}
    return [e.xreplace(subs) for e in exprs]


class Points:
    """Exact random rational points for the symbols of a check (sizes >= 2), each symbol
    inside its declared range."""

    def __init__(self, symbols, n: int = 6, seed: int = 0, ranges: dict | None = None):
        self.rng = random.Random(seed)
        self.symbols = sorted(symbols, key=lambda s: s.name)
        self.ranges = ranges or {}
        # first a small point, easy to follow as a counterexample (distinct values, so
        # that swapped sizes and a missing square show), then random ones
        small = {s: self._small(s, k) for k, s in enumerate(self.symbols)}
        self.points = [small] + [self.draw() for _ in range(n - 1)]

    def _small(self, s, k):
        rg = self.ranges.get(s.name)
        if rg is not None:
            return self._inside(rg, s.is_integer, (k + 1) / (len(self.symbols) + 1))
        return sp.Integer(2 + k) if s.is_integer else sp.Rational(3 + 2 * k, 2)

    def _inside(self, rg, integer: bool, frac: float):
        """A value at fraction `frac` of the way through a range (lo, hi, open, open)."""
        lo, hi = rg[0], rg[1]
        if lo == -sp.oo and hi == sp.oo:
            lo, hi = sp.Integer(-5), sp.Integer(5)
        elif hi == sp.oo:
            hi = lo + 10
        elif lo == -sp.oo:
            lo = hi - 10
        q = sp.Rational(round(frac * 40), 40)
        q = min(max(q, sp.Rational(1, 40)), sp.Rational(39, 40))
        v = lo + (hi - lo) * q
        if integer:
            v = sp.ceiling(v) if rg[2] else sp.floor(v) if v > lo else lo
            return sp.Integer(min(max(v, sp.ceiling(lo)), sp.floor(hi)))
        return v

    def draw(self) -> dict:
        rng = self.rng
        p = {}
        for s in self.symbols:
            rg = self.ranges.get(s.name)
            if rg is not None:
                p[s] = self._inside(rg, s.is_integer, rng.random())
            elif s.is_integer:
                p[s] = sp.Integer(rng.randint(2, 9))
            elif s.is_positive or s.is_nonnegative:
                p[s] = sp.Rational(rng.randint(1, 40), rng.randint(1, 9))
            else:
                p[s] = sp.Rational(rng.randint(-40, 40), rng.randint(1, 9))
        return p

    def values(self, e):
        """The value of `e` at each point: a complex number, NONFINITE where it is
        infinite or undefined (log(0), 0/0), or None where it cannot be evaluated."""
        return [value_at(e, p) for p in self.points]

    def defined(self, e, want: int = 4, tries: int = 40):
        """Points where `e` (the reference) is finite: more are drawn until there are
        `want` of them, or `tries` in all; the points kept are those."""
        vals = self.values(e)
        while sum(_finite(v) for v in vals) < want and len(self.points) < tries:
            p = self.draw()
            self.points.append(p)
            vals.append(value_at(e, p))
        return vals


NONFINITE = complex(float("nan"), float("nan"))


def _finite(v) -> bool:
    return v is not None and not (v != v)      # NaN != NaN


def value_at(e, p):
    try:
        v = e.xreplace(p)
        if v.has(sp.zoo, sp.nan, sp.oo, -sp.oo):
            return NONFINITE
        v = v.evalf(30)
        if not v.is_number:
            return None
        if v.has(sp.zoo, sp.nan, sp.oo, -sp.oo):
            return NONFINITE
        z = complex(v)
        return z if z == z and abs(z) != float("inf") else NONFINITE
    except (TypeError, ValueError, ZeroDivisionError, ArithmeticError):
        return None


def _agree(va, vb) -> bool | None:
    """Does `va` (the answer) agree with `vb` (the reference) at every point where the
    reference is finite?  An answer that is infinite or undefined where the reference is
    finite differs.  None if no point decides."""
    seen = False
    for a, b in zip(va, vb):
        if not _finite(b) or a is None:
            continue
        seen = True
        if not _finite(a) or abs(a - b) > 1e-20 * max(1.0, abs(b)):
            return False
    return True if seen else None


def equivalent(a, b, points: Points | None = None, ranges: dict | None = None):
    """(True | False | None, a point where they differ), for the answer `a` and the
    reference `b`.

    Exact random points first: a difference there (30 digits, far beyond rounding) is
    decisive, with the point as the counterexample, and spares simplifying a wrong
    answer.  Points where the reference is not finite are skipped (others drawn); an
    answer that is not finite where the reference is, differs.  If they agree
    everywhere, a zero simplified difference is the proof; if SymPy cannot simplify it to
    zero, the agreement at every point decides.  None if no point could be evaluated and
    nothing was proven."""
    a, b = _frozen(a, b)
    if a.has(sp.zoo, sp.nan, sp.oo, -sp.oo) and not b.has(sp.zoo, sp.nan, sp.oo, -sp.oo):
        return False, {"expected": "a finite value", "got": "not finite (" + _fmt(a) + ")"}
    if a == b:
        return True, None
    pts = points or Points(a.free_symbols | b.free_symbols, ranges=ranges)
    if not set(pts.symbols) >= (a.free_symbols | b.free_symbols):
        pts = Points(a.free_symbols | b.free_symbols, ranges=ranges)
    vb = pts.defined(b)
    va = pts.values(a)
    same = _agree(va, vb)
    if same is False:
        for p, x, y in zip(pts.points, va, vb):
            if x is not None and _finite(y) and (not _finite(x) or
                                                 abs(x - y) > 1e-20 * max(1.0, abs(y))):
                shown = {str(k): str(v) for k, v in p.items() if not str(k).startswith("_")}
                return False, shown | {"expected": _show(y), "got": _show(x)}
    d = a - b
    if sp.expand(d) == 0 or sp.simplify(d) == 0:
        return True, None
    return same, None


def _show(z: complex) -> str:
    if not _finite(z):
        return "not finite"
    return f"{z.real:.8g}" if abs(z.imag) < 1e-12 else f"{z:.6g}"


# --------------------------------------------------------------------------
# diagnosis
# --------------------------------------------------------------------------


def diagnose(got, want, spec) -> list:
    """The usual mistakes that turn `want` into `got`, in words (never showing `want`)."""
    got, want = _frozen(got, want)
    symbols = got.free_symbols | want.free_symbols
    pts = Points(symbols, n=4, seed=1, ranges=spec.program.ranges)
    target = pts.values(got)

    def is_(e) -> bool:
        return _agree(pts.values(e), target) is True

    if want != 0 and is_(-want):
        return ["sign flipped: the answer is the negative of the correct one"]
    ratio = sp.simplify(got / want) if want != 0 and got != 0 else None
    if ratio is not None and ratio.is_number:
        return [f"a constant factor is off: the answer is {_fmt(ratio)} times the "
                f"correct one"]
    if is_(want ** 2):
        return ["the answer is the square of the correct one (a variance where a standard "
                "deviation, or sigma^2 where sigma, is asked for?)"]
    if is_(sp.sqrt(want)) or is_(-sp.sqrt(want)):
        return ["the answer is the square root of the correct one (a standard deviation "
                "where a variance is asked for?)"]
    names = sorted((s for s in want.free_symbols if not s.name.startswith("_")),
                   key=lambda s: s.name)
    others = sorted((s for s in got.free_symbols if not s.name.startswith("_")),
                    key=lambda s: s.name)
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            if is_(want.xreplace({a: b, b: a})):
                return [f"{a} and {b} are swapped (e.g. fan-in for fan-out, or a layer "
                        f"index for the depth)"]
    for a in names:
        if a.is_integer:
            continue
        if is_(want.xreplace({a: sp.sqrt(a)})):
            return [f"{a} where {a}^2 belongs (a standard deviation where a variance goes?)"]
        if is_(want.xreplace({a: a ** 2})):
            return [f"{a}^2 where {a} belongs (a variance where a standard deviation goes?)"]
    for a in names:
        if a.is_integer:
            for d, word in ((1, "+ 1"), (-1, "- 1")):
                if is_(want.xreplace({a: a + d})):
                    return [f"off by one: the answer is the correct one with {a} replaced by "
                            f"{a} {word} (count the layers or steps again)"]
        for b in others:
            if b != a and b not in want.free_symbols and is_(want.xreplace({a: b})):
                return [f"{b} where {a} belongs: the answer uses the wrong quantity"]
    sizes = set(spec.program.sizes.values())
    if ratio is not None and ratio.free_symbols <= sizes and all(
            f.is_Symbol or (f.is_Pow and f.base.is_Symbol and f.exp.is_Rational)
            or f.is_Number for f in sp.Mul.make_args(ratio)):
        return [f"a factor is off: the answer is {_fmt(ratio)} times the correct one "
                f"(a size multiplied in or divided out)"]
    terms = sp.Add.make_args(sp.expand(want))
    if len(terms) > 1:
        for t in terms:
            if is_(want - t):
                return ["a term is missing: the answer lacks one of the terms of the "
                        "correct expression"]
            if is_(want + t):
                return ["a term is counted twice"]
    mine = sp.Add.make_args(sp.expand(got))
    for t in (mine if len(mine) > 1 else ()):
        if is_(want + t):
            return [f"an extra term: {_fmt(t)} should not be there"]
    return ["no common mistake recognized: recheck each step (which moments are zero, "
            "which quantities are independent)"]


def _fmt(e) -> str:
    from derive.core.program import format_expr
    try:
        return format_expr(e)
    except Exception:  # noqa: BLE001 - display only
        return str(e)
