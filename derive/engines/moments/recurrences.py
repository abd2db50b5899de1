"""Layer recurrences of variances, and their solutions."""
from __future__ import annotations

from dataclasses import dataclass, replace
import sympy as sp
from derive.core.records import Step
from derive.core.errors import DerivationError, VerificationError
from derive.core.program import (Program, is_grad_name)
from derive.engines.moments.algebra import BOUND, E, Var, _simp, as_assumptions, entry, fx, said
from derive.engines.moments.propagate import Analysis
from derive.engines.forms import factored_affine

# --------------------------------------------------------------------------
# layer recurrences
# --------------------------------------------------------------------------


@dataclass
class Recurrence:
    """sigma2(l) of a layer family: one-layer map, closed form, condition, steps."""
    function: sp.Function          # sigma2 (forward) or sigma2_grad (backward)
    layer: sp.Symbol               # l
    at: sp.Expr                    # the layer where `from` has its assumed moments
    start: sp.Expr                 # the assumed variance there
    forward: bool                  # of is the next layer (True) or the previous (gradients)
    coefficient: sp.Expr           # c in s(next) = c s(this) + d
    offset: sp.Expr                # d
    closed: sp.Expr                # s(l) in closed form
    relation: str                  # "=" or BOUND
    mean: sp.Expr
    steps: list
    frm: str = ""
    of: str = ""

    @property
    def recurrence_term(self):
        """The variance the one-layer map starts from: sigma2(l), or sigma2_grad(l + 1)."""
        s, l = self.function, self.layer
        return s(l) if self.forward else s(l + 1)

    @property
    def equation(self):
        """(lhs, rhs) of the one-layer recurrence, the right side collected by the
        variance it starts from and each coefficient factored:
        (1 - beta)**2*s**2 + beta**2*sigma2(l), not its expansion."""
        s, l = self.function, self.layer
        term = self.recurrence_term
        rhs = factored_affine(self.coefficient * term + self.offset, term)
        return (s(l + 1) if self.forward else s(l)), rhs

    def at_layer(self, value):
        if value == sp.oo:
            return self.limit()[0]
        return _simp(self.closed.xreplace({self.layer: value}))

    def limit(self):
        """(value, condition) of s(l) as the layers counted from `at` grow without bound:
        the fixed point d/(1 - c) where |c| < 1 (c^k -> 0), the condition as an inequality
        of the symbols unless it always holds."""
        cond = limit_condition(self.coefficient)
        if cond == sp.false:
            raise DerivationError(f"{fx(self.function(self.layer))} has no finite limit "
                                  f"over many layers: the factor {fx(self.coefficient)} per "
                                  "layer is not below 1 in size")
        if self.offset == 0:
            return sp.S.Zero, cond
        return fixed_point(self.coefficient, self.offset), cond


def solve_recurrence(coefficient, offset, start, layer, at, forward: bool = True,
                     function=None) -> tuple[sp.Expr, list]:
    """Closed form of s(l+1) = c s(l) + d (forward) or s(l) = c s(l+1) + d (backward),
    given s(at) = start, where `at` may be symbolic (a terminal condition s(L) = 1).

    The layers are counted from `at`: k = l - at (forward) or k = at - l (backward),
    and t(k) = s(at +- k) solves t(k+1) = c t(k) + d with t(0) = start: by the
    first-order formula t(k) = c^k t(0) + d (c^k - 1)/(c - 1) when c and d do not
    depend on k (c != 1 provable, or c = 1), else by SymPy's rsolve (which takes
    conditions at numbered terms only).  check_recurrence verifies either."""
    s = function or sp.Function("sigma2")
    k = sp.Symbol("k", integer=True, nonnegative=True)
    t = sp.Function("t")
    steps = []
    sol, how = _first_order(coefficient, offset, start, k), FIRST_ORDER
    if sol is None:
        sol, how = sp.rsolve(t(k + 1) - coefficient * t(k) - offset, t(k), {t(0): start}), \
            "rsolve"
    if sol is None:
        raise DerivationError(f"rsolve found no closed form for t(k+1) = "
                              f"{fx(coefficient)} t(k) + {fx(offset)}")
    shift = layer - at if forward else at - layer
    closed = _simp(sp.powsimp(sol.xreplace({k: shift}), force=True))
    condition = sp.Eq(s(at), start)
    if forward and at == 0:
        steps.append(Step("recurrence", expr=closed, chain=said(s(layer), "=", closed),
                          why="solve with the first-order formula" if how == FIRST_ORDER
                          else "solve with rsolve", args={"condition": condition}))
    else:
        count = sp.Eq(k, shift)
        steps += [
            Step("recurrence", why="count layers from the condition",
                 args={"condition": condition, "layer": at, "count": count,
                       "term": sp.Eq(t(k), s(at + (k if forward else -k))),
                       "start": sp.Eq(t(0), start)},
                 chain=said(t(k + 1), "=", coefficient * t(k) + offset)),
            Step("recurrence", why="first-order formula" if how == FIRST_ORDER else "rsolve",
                 chain=said(t(k), "=", sol)),
            Step("recurrence", expr=closed, why="back to layers", args={"count": count},
                 chain=said(s(layer), "=", closed))]
    return closed, steps


FIRST_ORDER = "first-order formula"


def _first_order(c, d, start, k):
    """t(k) of t(k+1) = c t(k) + d, t(0) = start, for c, d free of k: start c^k +
    q (1 - c^k) with q = d/(1 - c), the fixed point; start + k d when c = 1.  When c = 1
    can be neither proven nor ruled out, the values of the symbols where c = 1 are
    found: where q stays finite there the formula covers them (its value is start), else
    the case c = 1 is kept as a piece of its own.  None when that cannot be decided."""
    if k in getattr(c, "free_symbols", set()) | getattr(d, "free_symbols", set()):
        return None
    ck = c ** k
    if d == 0:
        return ck * start
    if (c - 1).is_zero:
        return start + k * d
    general = start * ck + fixed_point(c, d) * (1 - ck)
    if (c - 1).is_zero is False:
        return general
    points = _where_one(c)
    if points is None:
        return None
    q, uncovered = sp.cancel(d / (1 - c)), []
    for point in points:
        value = q.xreplace(point)
        if not value.is_finite or sp.simplify(d.xreplace(point)) != 0:
            uncovered.append(point)
    if not uncovered:
        return general
    case = sp.Or(*[sp.And(*[sp.Eq(x, v) for x, v in pt.items()]) for pt in uncovered])
    return sp.Piecewise((start + k * d, case), (general, True))


def _where_one(c):
    """The values of one free symbol of c at which c = 1 ([{x: v}], [] if none fits the
    symbols' assumptions); None if SymPy cannot solve for any."""
    for x in sorted(c.free_symbols, key=lambda s: s.name):
        try:
            sols = sp.solve(sp.Eq(c, 1), x, dict=True)
        except (NotImplementedError, ValueError):
            continue
        return [s for s in sols if all(v.is_real is not False for v in s.values())]
    return [] if not c.free_symbols else None


def _lead_positive(e):
    """-s**2*(beta - 1)/(beta + 1) as s**2*(1 - beta)/(beta + 1): the sign taken into a
    factor whose constant term is negative."""
    if not (e.is_Mul and e.could_extract_minus_sign()):
        return e
    args = list(e.args)
    for i, f in enumerate(args):
        base, exp = (f.base, f.exp) if f.is_Pow else (f, sp.S.One)
        if base.is_Add and base.as_coeff_Add()[0].is_negative and exp.is_Integer \
                and exp % 2 == 1:
            rest = sp.Mul(*args[:i], *args[i + 1:])
            return sp.Mul(-rest, sp.Pow(sp.expand(-base), exp))
    return e


def fixed_point(c, d):
    """d/(1 - c), factored: the variance a layer maps to itself (for |c| < 1 the limit
    over many layers)."""
    return _lead_positive(sp.factor(sp.cancel(d / (1 - c))))


def limit_condition(c):
    """When c^k -> 0 as k -> oo (|c| < 1): True, False, or the inequality."""
    cond = sp.Abs(c) < 1
    return cond if cond in (sp.true, sp.false) else sp.simplify(cond)


def check_recurrence(rec: Recurrence) -> list:
    """Symbolic checks: the closed form satisfies the recurrence and its condition."""
    s, l = rec.function, rec.layer
    lhs, rhs = rec.equation
    ok = True
    for closed, point in _pieces(rec.closed):     # each piece where it holds
        value = {s(l): closed, s(l + 1): closed.xreplace({l: l + 1})}
        residual = sp.simplify(sp.powsimp(sp.expand_power_base(
            (lhs - rhs).xreplace(value).xreplace(point), force=True), force=True))
        if residual != 0:
            residual = sp.simplify(sp.expand(residual))
        at_value = sp.simplify((closed.xreplace({l: rec.at}) - rec.start).xreplace(point))
        ok = ok and residual == 0 and at_value == 0
    if not ok:
        raise VerificationError(f"the closed form {fx(rec.closed)} does not satisfy "
                                f"{fx(lhs)} = {fx(rhs)} with {fx(s(rec.at))} = {fx(rec.start)}")
    return [f"the closed form satisfies {fx(lhs)} = {fx(rhs)} and {fx(s(rec.at))} = "
            f"{fx(rec.start)} (symbolic check)"]


def _pieces(closed) -> list:
    """[(expression, {symbol: value})]: a Piecewise closed form as its pieces, each with
    the values of its condition (a == 1), the last (True) with none."""
    if not isinstance(closed, sp.Piecewise):
        return [(closed, {})]
    out = []
    for expr, cond in closed.args:
        alternatives = [] if cond == sp.true else (cond.args if isinstance(cond, sp.Or)
                                                   else (cond,))
        for alt in alternatives:
            eqs = alt.args if isinstance(alt, sp.And) else (alt,)
            out.append((expr, {e.lhs: e.rhs for e in eqs}))
        if cond == sp.true:
            out.append((expr, {}))
    return out


def layer_recurrence(program: Program, assumptions: dict, of: str, frm: str, layer,
                     at) -> Recurrence:
    """From a one-layer program (frm at one layer, of at the next, or for gradients the
    previous), the recurrence of the variance and its closed form."""
    assumptions = as_assumptions(assumptions)
    if frm not in assumptions or assumptions[frm].constant is not None:
        raise DerivationError(f"the recurrence starts from the assumed moments of {frm}: "
                              f"declare its mean and variance (assume: or given:)")
    base = assumptions[frm]
    grad = is_grad_name(of)
    s = sp.Function("sigma2_grad" if grad else "sigma2")
    forward = not grad
    here = s(layer + 1) if grad else s(layer)        # the layer of `from`
    there = s(layer) if grad else s(layer + 1)       # the layer of `of`
    first = Analysis(program, {**assumptions, frm: replace(base, variance=here)})
    r1 = first.rv(of)
    # the induction: at a later layer, `from` has only what `of` was shown to have
    hyp = replace(base, variance=here, symmetric=base.symmetric and r1.symmetric,
                  distribution=base.distribution if r1.normal else None, independent=False)
    analysis = Analysis(program, {**assumptions, frm: hyp})
    r = analysis.rv(of)
    hypothesis = "induction hypothesis, symmetric" if hyp.symmetric else "induction hypothesis"
    steps = [Step("recurrence", expr=here, why="one layer",
                  args={"tensor": frm, "of": of, "layer": layer + 1 if grad else layer,
                        "next": layer if grad else layer + 1},
                  chain=said(here, "=", Var(entry(program, frm))),
                  assumptions=((hypothesis, {"tensor": frm, "of": of, "mean": base.mean}),))]
    steps += analysis.steps(of)
    if sp.simplify(r.mean - base.mean) != 0:
        raise DerivationError(f"the mean changes from layer to layer (E[{frm}] = "
                              f"{fx(base.mean)}, E[{of}] = {fx(r.mean)}): only layers that "
                              "keep the mean are supported")
    steps.append(Step("recurrence", why="by induction", args={"mean": base.mean},
                      chain=said(E(entry(program, of)), "=", r.mean, "=",
                                 E(entry(program, frm)))))
    f = sp.expand(r.var)
    c = _simp(sp.diff(f, here))
    d = _simp(f - c * here)
    if c.has(here) or d.has(here) or c.has(there):
        raise DerivationError(f"Var({of}) = {fx(r.var)} is not affine in {fx(here)}: "
                              "no linear recurrence")
    rel = BOUND if r.bound else "="
    rhs = c * here + d
    steps.append(Step("recurrence", expr=rhs, why="the recurrence",
                      chain=said(there, rel, factored_affine(_simp(rhs), here))))
    closed, solve_steps = solve_recurrence(c, d, base.variance, layer, at, forward, s)
    steps += solve_steps
    return Recurrence(s, layer, at, base.variance, forward, c, d, closed, rel, base.mean,
                      steps, frm, of)
