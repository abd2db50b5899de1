"""Numeric moments by quadrature (issue 14, item 6), for a part that asks for them with
`numeric: true`: a function of one normal entry whose mean and variance are numbers
(E[tanh(z)^2] for z ~ N(0, 1/2)), which has no closed form, integrated numerically: the
trapezoid rule on QUAD_NODES points over 12 standard deviations each side, which for a
smooth integrand against the normal density converges faster than any power of the
step.  The answer is a decimal, marked numeric, and the Monte Carlo check verifies it
like any other."""
from __future__ import annotations

import numpy as np
import sympy as sp

from derive.core.functions import NUMPY, ind, maxf, minf
from derive.core.program import reads, ref_name
from derive.engines.moments.algebra import E, RV, Var, said
from derive.engines.moments.dependence import U

QUAD_NODES = 20_001
WIDTH = 12.0           # standard deviations on each side


def quadrature(prop, e, st):
    """The RV of `e` by quadrature, or None when `e` is not a non-polynomial function of
    one normal entry with numeric moments."""
    rs = {r for r in reads(e) if prop.rv_of_tensor(ref_name(r)).random}
    if len(rs) != 1 or not e.has(sp.Function):
        return None
    (r,) = rs
    u = prop.rv_of_tensor(ref_name(r))
    if not (u.normal and not u.bound and u.mean.is_number and u.var.is_number):
        return None
    h = e.xreplace({r: U})
    if h.free_symbols - {U}:
        return None
    m, v = float(u.mean), float(u.var)
    sd = np.sqrt(v)
    x = np.linspace(m - WIDTH * sd, m + WIDTH * sd, QUAD_NODES)
    vals = numeric(h, x)
    if vals is None or not np.all(np.isfinite(vals)):
        return None
    dens = np.exp(-(x - m) ** 2 / (2 * v)) / np.sqrt(2 * np.pi * v)
    mean = float(np.trapezoid(vals * dens, x))
    second = float(np.trapezoid(vals ** 2 * dens, x))
    var = max(second - mean ** 2, 0.0)
    mean_e, var_e = sp.Float(mean, 10), sp.Float(var, 10)
    prop.step("rule", st, var_e, why="numeric quadrature",
              args={"expression": e, "entry": r, "nodes": QUAD_NODES, "width": WIDTH},
              chain=said(Var(e), "≈", var_e), rule="quadrature")
    prop.step("rule", st, mean_e, why="numeric quadrature, mean",
              args={"expression": e}, chain=said(E(e), "≈", mean_e), rule="quadrature")
    return RV(mean_e, var_e, False, u.sources, frozenset(), frozenset(), False, None,
              atomless=False)


def numeric(h, x):
    """h(U) at the points x, with the vocabulary's NumPy functions; None for anything
    else (nothing is compiled or evaluated as text)."""
    if h == U:
        return x
    if h.is_Number:
        return np.full_like(x, float(h))
    if h.is_Add or h.is_Mul:
        parts = [numeric(a, x) for a in h.args]
        if any(p is None for p in parts):
            return None
        out = parts[0]
        for p in parts[1:]:
            out = out + p if h.is_Add else out * p
        return out
    if h.is_Pow:
        base, ex = numeric(h.args[0], x), numeric(h.args[1], x)
        return None if base is None or ex is None else np.power(base, ex)
    if isinstance(h, (maxf, minf, sp.Max, sp.Min)):
        parts = [numeric(a, x) for a in h.args]
        if any(p is None for p in parts):
            return None
        pick = np.maximum if isinstance(h, (maxf, sp.Max)) else np.minimum
        out = parts[0]
        for p in parts[1:]:
            out = pick(out, p)
        return out
    if isinstance(h, ind):
        rel = h.args[0]
        a, b = numeric(rel.lhs, x), numeric(rel.rhs, x)
        if a is None or b is None:
            return None
        ops = {">": np.greater, "<": np.less, ">=": np.greater_equal, "<=": np.less_equal}
        op = ops.get(rel.rel_op)
        return None if op is None else op(a, b).astype(float)
    if type(h) in NUMPY and len(h.args) == 1:
        arg = numeric(h.args[0], x)
        return None if arg is None else np.asarray(NUMPY[type(h)][0](arg), dtype=float)
    return None
