"""Symbolic times: max(c + w_c, ..., b) over the carriers c of enclosing blocks."""
from __future__ import annotations

from dataclasses import dataclass, field
import sympy as sp
from derive.core.program import (as_expr)
from derive.engines.cost.count import _disjoint
from derive.core.errors import CostError
from derive.core.growth import clog2

# --------------------------------------------------------------------------
# symbolic times: max(c + w_c, ..., b) over the carriers c of enclosing blocks
# --------------------------------------------------------------------------


SMALLEST_SIZE = 2      # the formulas hold for every size of at least 2


def _nonneg_poly(e) -> bool:
    """Every coefficient of a polynomial in non-negative symbols is >= 0."""
    for t in sp.Add.make_args(sp.expand(e)):
        c, _ = t.as_coeff_Mul()
        if c.is_negative:
            return False
        if any(not (f.is_Symbol or (f.is_Pow and f.base.is_Symbol and f.exp.is_Integer
                                    and f.exp > 0) or f.is_Number)
               for f in sp.Mul.make_args(t)):
            return False
    return True


_NONNEG: dict = {}      # expression -> provably_nonneg (a pure function of it)


def provably_nonneg(d) -> bool:
    """Is d >= 0 for every size >= SMALLEST_SIZE?  (sound, not complete)

    Remembered by expression: the analysis of a long program compares the same ready
    times again and again (each statement's against the latest so far)."""
    d = as_expr(d)
    hit = _NONNEG.get(d)
    if hit is None:
        if len(_NONNEG) > 50_000:
            _NONNEG.clear()
        hit = _NONNEG[d] = _provably_nonneg(d)
    return hit


def _provably_nonneg(d) -> bool:
    """provably_nonneg, computed.

    Sizes become s + 2 with s >= 0; a negative ceil(log2 u) term is cancelled by a
    positive one with a larger argument and coefficient, or bounded by u - 1; what
    is left must be a polynomial with non-negative coefficients."""
    d = sp.expand(as_expr(d))
    if d.is_Number:
        return bool(d >= 0)
    if d.has(sp.Max, sp.Min):
        return False
    sizes = [v for v in d.free_symbols if v.is_integer and v.is_positive]
    if len(sizes) != len(d.free_symbols):
        return False
    d = sp.expand(d.xreplace({v: v + SMALLEST_SIZE for v in sizes}))
    poly = sp.S.Zero
    pos, neg = [], []
    for t in sp.Add.make_args(d):
        logs = [f for f in sp.Mul.make_args(t) if isinstance(f, clog2)]
        if not logs:
            poly += t
            continue
        if len(logs) > 1:
            return False
        c = sp.expand(t / logs[0])
        u = sp.expand(logs[0].args[0])
        if c.as_coeff_Mul()[0].is_negative:
            neg.append([-c, u])
        else:
            pos.append([c, u])
    for item in neg:
        c, u = item
        for p in pos:
            if _nonneg_poly(p[0] - c) and _nonneg_poly(p[1] - u):
                p[0] = sp.expand(p[0] - c)
                break
        else:
            poly -= c * (u - 1)                  # ceil(log2 u) <= u - 1
    for c, u in pos:
        poly += c * (1 if _nonneg_poly(u - 2) else 0)
    return _nonneg_poly(poly)


def smax(a, b):
    """max(a, b), decided where it provably can be (sizes >= SMALLEST_SIZE)."""
    if a is None:
        return b
    if b is None:
        return a
    args = []
    for x in list(sp.Max.make_args(a)) + list(sp.Max.make_args(b)) \
            if (isinstance(a, sp.Max) or isinstance(b, sp.Max)) else (a, b):
        if any(provably_nonneg(y - x) for y in args):
            continue
        args = [y for y in args if not provably_nonneg(x - y)] + [x]
    return args[0] if len(args) == 1 else sp.Max(*args, evaluate=False)


def _madd(x, y):
    """x + y with maxima kept outermost: max(a, b) + c = max(a + c, b + c)."""
    xs, ys = sp.Max.make_args(as_expr(x)), sp.Max.make_args(as_expr(y))
    out = None
    for a in xs:
        for b in ys:
            out = smax(out, sp.expand(a + b))
    return out


def _mscale(x, k):
    """k x for k >= 0, maxima kept outermost."""
    out = None
    for a in sp.Max.make_args(as_expr(x)):
        out = smax(out, sp.expand(a * k))
    return out


class Time(dict):
    """A ready time: {None: b, 'c1': w1, ...} stands for max(b, c1 + w1, ...)."""

    @staticmethod
    def const(x) -> "Time":
        return Time({None: as_expr(x)})

    def plus(self, d) -> "Time":
        return Time({k: _madd(v, d) for k, v in self.items()})

    def join(self, other: "Time") -> "Time":
        out = Time(self)
        for k, v in other.items():
            out[k] = smax(out.get(k), v)
        return out

    def at(self, key, value: "Time") -> "Time":
        """Substitute the carrier `key` by the time `value`."""
        if key not in self:
            return Time(self)
        w = self[key]
        rest = Time({k: v for k, v in self.items() if k != key})
        return rest.join(value.plus(w))

    def expr(self) -> sp.Expr:
        out = None
        for k, v in self.items():
            if k is not None:
                raise CostError("a carrier is left in a time")
            out = smax(out, v)
        return sp.S.Zero if out is None else out


ZERO = Time.const(0)


@dataclass
class Group:
    """Partial sums of `+=` statements waiting to be added into a tensor's elements.

    One run of a `+=` statement adds its contributions to an element as a tree
    (ready ceil(log2 m) steps after the last of its m contributions); the
    partial sums of the runs and the value already there are added as a tree
    when the element is read."""
    pattern: tuple
    n: sp.Expr               # partial sums per element
    ready: Time              # when the last of them is ready
    carried: bool = False    # made by earlier steps of the enclosing block
    present: bool | None = None   # its elements hold a value already (None: the tensor's flag)
    last: Time | None = None      # when the last contribution itself is ready


@dataclass
class TensorState:
    present: bool            # holds a value (input, seeded, written with `=`, added up)
    ready: Time
    pending: list = field(default_factory=list)
    where: tuple | None = None   # the index pattern of the `=` write that made it present

    def copy(self) -> "TensorState":
        return TensorState(self.present, Time(self.ready), list(self.pending), self.where)

    def materialize(self) -> Time:
        """Add the pending contributions (a balanced tree): the time the value is ready."""
        if not self.pending:
            return Time(self.ready) if self.present else Time(ZERO)
        m = None
        for g in self.pending:
            total = sum((h.n for h in self.pending if not _disjoint(g.pattern, h.pattern)),
                        sp.S.Zero)
            there = self.present if g.present is None else g.present
            m = smax(m, total + (1 if there else 0))
        finish = Time(self.ready) if self.present else Time()
        for g in self.pending:
            finish = finish.join(g.ready)
        self.ready = finish.plus(clog2(m))
        self.present = True
        self.where = None
        self.pending = []
        return Time(self.ready)
