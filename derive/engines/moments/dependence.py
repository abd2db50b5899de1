"""Dependence tracked, not assumed: exact moments of quantities that share random inputs.

The propagator (derive.engines.moments.propagate) keeps one entry's mean and variance
per tensor, which is enough while the terms it adds or multiplies are independent or
uncorrelated.  Where they share an input, this module represents each quantity as a
function of the independent draws and computes the moments exactly:

- **linear forms.**  An entry that is a linear combination, with constant coefficients,
  of entries of input tensors whose entries are independent (`x[b, j] - mu[j]`, with
  `mu[j] = sum_b x[b, j] / B`) is kept as its terms `c * x[idx]`, each summed over its
  own dummy indices.  Cov(x[idx1], x[idx2]) = Var(x) when the indices agree and 0
  otherwise, so the covariance of two forms is the number of index assignments that
  agree, counted exactly by matching the index positions: Var(x - mean_b x) = v(B-1)/B.
- **sums of correlated, exchangeable terms.**  Var(sum_b T_b) = n Var(T) + n(n-1)
  Cov(T_b, T_b') for terms that only differ by which entries b they read; a square of a
  zero-mean Gaussian linear form has Cov(L_b^2, L_b'^2) = 2 Cov(L_b, L_b')^2
  (Isserlis), so the sample variance of a batch gets its chi-squared moments.
- **functions of one shared entry.**  relu(z) - alpha relu(-z), z step(z), abs(z) + z:
  every random part a function of the same entry u with a known law (normal with mean
  0, uniform, rademacher).  The function is polynomial on each side of 0, so its
  moments are exact sums of the law's half-line moments.

Each function returns None when its pattern does not apply; the caller then says which
pairs it assumes uncorrelated, and the Monte Carlo check stays the last guard.
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass

import sympy as sp
from sympy import Indexed

from derive.core.functions import ind, maxf, minf, relu, step
from derive.core.program import reads, ref_indices, ref_name
from derive.engines.moments.algebra import E, RV, Var, _simp, law_words, said

# ---------------------------------------------------------------------------
# linear forms over independent entries
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Term:
    """coef * tensor[idx], summed over `dummies` ((var, lo, hi), ...)."""
    coef: sp.Expr
    tensor: str
    idx: tuple
    dummies: tuple = ()

    def count(self) -> sp.Expr:
        return sp.Mul(*[hi - lo + 1 for _, lo, hi in self.dummies])

    def renamed(self, tag: str) -> "Term":
        """The same term with fresh dummies (for the second factor of a covariance)."""
        sub = {v: sp.Dummy(f"{v.name}{tag}", integer=True) for v, _, _ in self.dummies}
        return Term(self.coef, self.tensor, tuple(i.xreplace(sub) for i in self.idx),
                    tuple((sub[v], lo, hi) for v, lo, hi in self.dummies))

    def at(self, sub: dict) -> "Term":
        return Term(self.coef, self.tensor, tuple(i.xreplace(sub) for i in self.idx),
                    self.dummies)


@dataclass(frozen=True)
class LinearForm:
    terms: tuple = ()
    const: sp.Expr = sp.S.Zero

    def scaled(self, c) -> "LinearForm":
        return LinearForm(tuple(Term(c * t.coef, t.tensor, t.idx, t.dummies)
                                for t in self.terms), c * self.const)

    def __add__(self, other: "LinearForm") -> "LinearForm":
        return LinearForm(self.terms + other.terms, self.const + other.const)

    def summed(self, loops) -> "LinearForm":
        """The form summed over `loops` (each term gains the loop's index as a dummy)."""
        out = []
        for t in self.terms:
            sub = {lp.var: sp.Dummy(lp.var.name, integer=True) for lp in loops}
            out.append(Term(t.coef, t.tensor, tuple(i.xreplace(sub) for i in t.idx),
                            t.dummies + tuple((sub[lp.var], lp.lo, lp.hi) for lp in loops)))
        n = sp.Mul(*[lp.count() for lp in loops])
        return LinearForm(tuple(out), n * self.const)

    def at(self, sub: dict) -> "LinearForm":
        return LinearForm(tuple(t.at(sub) for t in self.terms), self.const)


class Forms:
    """The linear forms of the tensors written so far, and the inputs they are over."""

    def __init__(self, inputs: dict, index_ranges: dict):
        self.inputs = inputs            # tensor -> Assumption (independent entries)
        self.ranges = index_ranges      # index symbol -> (lo, hi), the declared ranges
        self.tensors: dict = {}         # tensor -> (target indices, LinearForm)
        self.broken: set = set()        # tensors written by a statement that is not linear

    def of(self, e) -> LinearForm | None:
        """The linear form of an expression at one entry, or None."""
        if not reads(e):
            return LinearForm((), e)
        if isinstance(e, Indexed):
            name = ref_name(e)
            if name in self.tensors:
                idx, form = self.tensors[name]
                return form.at(dict(zip(idx, ref_indices(e))))
            a = self.inputs.get(name)
            if a is not None and a.independent and a.constant is None and \
                    name not in self.broken:
                return LinearForm((Term(sp.S.One, name, tuple(ref_indices(e))),))
            return None
        if e.is_Add:
            out = LinearForm()
            for a in e.args:
                f = self.of(a)
                if f is None:
                    return None
                out = out + f
            return out
        if e.is_Mul:
            rand = [a for a in e.args if reads(a)]
            if len(rand) != 1:
                return None
            f = self.of(rand[0])
            c = sp.Mul(*[a for a in e.args if not reads(a)])
            return None if f is None else f.scaled(c)
        return None

    def record(self, st, summed) -> None:
        """After a statement: the target's form (or that it has none)."""
        name = st.target_name
        idx = tuple(ref_indices(st.target))
        if name in self.broken or not all(getattr(i, "is_Symbol", False) for i in idx):
            self.broken.add(name)
            self.tensors.pop(name, None)
            return
        f = self.of(st.rhs)
        if f is None:
            self.broken.add(name)
            self.tensors.pop(name, None)
            return
        if st.op == "-=":
            f = f.scaled(-1)
        if summed and st.op != "=":
            f = f.summed(summed)
        if st.op != "=" and name in self.tensors:
            old_idx, old = self.tensors[name]
            f = old.at(dict(zip(old_idx, idx))) + f
        self.tensors[name] = (idx, f)

    # ---- moments ----------------------------------------------------------

    def mean(self, f: LinearForm) -> sp.Expr:
        return sp.expand(f.const + sp.Add(*[t.coef * self.inputs[t.tensor].mean * t.count()
                                            for t in f.terms]))

    def cov(self, f: LinearForm, g: LinearForm, distinct=()) -> sp.Expr | None:
        """Cov(f, g); `distinct` pairs of index symbols are known to differ."""
        out = sp.S.Zero
        g = LinearForm(tuple(t.renamed("'") for t in g.terms), g.const)
        for p in f.terms:
            for q in g.terms:
                if p.tensor != q.tensor:
                    continue
                n = self.matches(p, q, distinct)
                if n is None:
                    return None
                out += p.coef * q.coef * self.inputs[p.tensor].variance * n
        return sp.factor_terms(sp.simplify(out))

    def matches(self, p: Term, q: Term, distinct=()) -> sp.Expr | None:
        """How many assignments of both terms' dummies make their indices agree."""
        if len(p.idx) != len(q.idx):
            return None
        ranges = {v: (lo, hi) for v, lo, hi in p.dummies + q.dummies}
        parent: dict = {}

        def find(x):
            while parent.get(x, x) != x:
                x = parent[x]
            return x
        for a, b in zip(p.idx, q.idx):
            for x in (a, b):
                if not (x.is_Symbol or x.is_Integer):
                    return None
            ra, rb = find(a), find(b)
            if ra != rb:
                parent[ra] = rb
        classes: dict = {}
        for x in set(p.idx) | set(q.idx) | set(ranges):
            classes.setdefault(find(x), set()).add(x)
        count = sp.S.One
        for members in classes.values():
            fixed = [x for x in members if x not in ranges]
            dums = [x for x in members if x in ranges]
            if len({x for x in fixed}) > 1:
                if any(x.is_Integer for x in fixed) and len(set(fixed)) == len(
                        [x for x in fixed if x.is_Integer]):
                    return sp.S.Zero            # two different integer positions
                if any({a, b} <= set(fixed) for a, b in distinct):
                    return sp.S.Zero
                return None                    # two entries that may or may not agree
            own = {ranges[d] for d in dums}
            if fixed:
                x = fixed[0]
                declared = self.ranges.get(x)
                if any(r != declared for r in own) and not x.is_Integer:
                    return None
                continue                       # every dummy here is pinned to x
            if len(own) > 1:
                return None
            if own:
                lo, hi = next(iter(own))
                count *= hi - lo + 1
        return count


def linear_variance(forms: Forms, e):
    """(mean, variance, form) of an expression linear in independent entries, or None."""
    f = forms.of(e)
    if f is None or not f.terms:
        return None
    var = forms.cov(f, f)
    if var is None:
        return None
    return forms.mean(f), var, f


def exchangeable_sum(forms: Forms, body, summed):
    """(mean, variance) of sum over `summed` of `body` (a linear form L, or L**2 for
    Gaussian inputs) whose terms are correlated: n Var(T) + sum over the ways the copies'
    summed indices agree or differ of the count times Cov(T_b, T_b')."""
    scale = sp.S.One
    if body.is_Mul:                         # a constant factor: c * L**2
        scale = sp.Mul(*[a for a in body.args if not reads(a)])
        body = sp.Mul(*[a for a in body.args if reads(a)])
    square = body.is_Pow and body.exp == 2
    f = forms.of(body.base if square else body)
    if f is None or not f.terms:
        return None
    if square and not all(forms.inputs[t.tensor].normal for t in f.terms):
        return None                 # Isserlis' theorem needs jointly normal entries
    svars = [lp.var for lp in summed]
    if any(lp.lo != forms.ranges.get(lp.var, (lp.lo, lp.hi))[0] or
           lp.hi != forms.ranges.get(lp.var, (lp.lo, lp.hi))[1] for lp in summed):
        return None
    m = forms.mean(f)
    var_t = forms.cov(f, f)
    if var_t is None:
        return None
    mean = (var_t + m ** 2) if square else m
    total_mean = sp.Mul(*[lp.count() for lp in summed]) * mean
    total_var = sp.S.Zero
    for same in itertools.product((True, False), repeat=len(svars)):
        sub, count, distinct = {}, sp.S.One, []
        for v, lp, eq in zip(svars, summed, same):
            n = lp.count()
            if eq:
                count *= n
            else:
                w = sp.Symbol(v.name + "_other", integer=True)
                sub[v] = w
                forms.ranges.setdefault(w, (lp.lo, lp.hi))
                distinct.append((v, w))
                count *= n * (n - 1)
        c = forms.cov(f, f.at(sub), distinct)
        if c is None:
            return None
        if square:     # Isserlis: Cov(X^2, Y^2) = 2 C^2 + 4 mX mY C, jointly Gaussian
            c = 2 * c ** 2 + 4 * m * forms.mean(f.at(sub)) * c
        total_var += count * c
    return (sp.factor_terms(sp.simplify(scale * total_mean)),
            sp.factor(sp.simplify(scale ** 2 * total_var)))


# ---------------------------------------------------------------------------
# functions of one shared entry
# ---------------------------------------------------------------------------

U = sp.Symbol("u", real=True)
_KINKED = (relu, step, ind, sp.Abs, sp.sign, sp.Max, sp.Min, maxf, minf)
_ABOVE = (sp.StrictGreaterThan, sp.GreaterThan)
_BELOW = (sp.StrictLessThan, sp.LessThan)


def _branch(h, side: int):
    """h(u) on u > 0 (side 1) or u < 0 (side -1), its kinked functions resolved; None if
    a kink is not at u = 0."""
    def sign_of(arg):
        c = sp.simplify(arg / U)
        if c.free_symbols - {s for s in c.free_symbols if s.is_positive or s.is_negative}:
            return None
        if c.has(U) or c.is_zero or c.is_positive is None:
            return None
        return side if c.is_positive else -side
    bad = []

    def resolve(e):
        if isinstance(e, (sp.Max, sp.Min, maxf, minf)) and len(e.args) == 2 and \
                all(a != 0 for a in e.args):
            # max(z, 0.01 z): both sides multiples of u, compared on this side of 0
            cs = [sp.simplify(a / U) for a in e.args]
            if any(c.has(U) or not c.is_number for c in cs):
                bad.append(e)
                return e
            vals = [c * side for c in cs]
            pick = max if isinstance(e, (sp.Max, maxf)) else min
            return e.args[vals.index(pick(vals, key=float))]
        if isinstance(e, (sp.Max, sp.Min, maxf, minf)):
            args = [a for a in e.args if a != 0]
            if len(args) != 1 or len(e.args) != 2:
                bad.append(e)
                return e
            s = sign_of(args[0])
            if s is None:
                bad.append(e)
                return e
            big = args[0] if s > 0 else sp.S.Zero
            small = sp.S.Zero if s > 0 else args[0]
            return big if isinstance(e, (sp.Max, maxf)) else small
        (arg,) = e.args
        if isinstance(e, ind):                # (a > b) is step(a - b) off a - b = 0
            if not isinstance(arg, _ABOVE + _BELOW):
                bad.append(e)
                return e
            arg = arg.lhs - arg.rhs if isinstance(arg, _ABOVE) else arg.rhs - arg.lhs
        s = sign_of(arg)
        if s is None:
            bad.append(e)
            return e
        if isinstance(e, (step, ind)):
            return sp.S.One if s > 0 else sp.S.Zero
        if isinstance(e, relu):
            return arg if s > 0 else sp.S.Zero
        if isinstance(e, sp.Abs):
            return arg if s > 0 else -arg
        return sp.Integer(s)
    out = h.replace(lambda e: isinstance(e, _KINKED), resolve)
    return None if bad else sp.expand(out)


def _half_moment(law, k: int, side: int):
    """E[u^k ; side * u > 0] under `law` = (kind, params)."""
    kind, p = law
    if kind == "normal":               # mean 0, variance v
        v = p
        return side ** k * v ** sp.Rational(k, 2) * 2 ** sp.Rational(k, 2) * \
            sp.gamma(sp.Rational(k + 1, 2)) / (2 * sp.sqrt(sp.pi))
    if kind == "uniform":              # on (lo, hi), lo < 0 < hi
        lo, hi = p
        a, b = (sp.S.Zero, hi) if side > 0 else (lo, sp.S.Zero)
        return (b ** (k + 1) - a ** (k + 1)) / ((k + 1) * (hi - lo))
    if kind == "rademacher":           # +-s with probability 1/2
        s = p
        return (side * s) ** k / 2
    raise ValueError(kind)


def function_moments(h, law):
    """(E h(u), E h(u)^2) for h polynomial on each side of 0, or None."""
    sides = [_branch(h, s) for s in (1, -1)]
    if any(b is None or not b.is_polynomial(U) for b in sides):
        return None
    out = []
    for power in (1, 2):
        total = sp.S.Zero
        for side, b in zip((1, -1), sides):
            poly = sp.Poly(sp.expand(b ** power), U)
            for (k,), c in poly.terms():
                total += c * _half_moment(law, k, side)
        out.append(sp.simplify(total))
    return tuple(out)


def law_of(rv, assumption=None):
    """The (kind, params) a shared entry is integrated under, or None."""
    if rv.bound or sp.simplify(rv.mean) != 0 and rv.family != "uniform":
        return None
    if rv.family == "normal":
        return ("normal", rv.var)
    if rv.family == "rademacher":
        return ("rademacher", sp.sqrt(rv.var))
    if rv.family == "uniform" and rv.support is not None:
        lo, hi = rv.support
        if (lo < 0) is sp.true and (hi > 0) is sp.true:
            return ("uniform", (lo, hi))
    return None


def shared_entry(e, rv_of):
    """The one entry every random part of `e` reads, with its law, or None:
    (entry, law) for relu(z[i]) - alpha*relu(-z[i])."""
    rs = {r for r in reads(e) if rv_of(r).random}
    if len(rs) != 1:
        return None
    (r,) = rs
    law = law_of(rv_of(r))
    return None if law is None else (r, law)


# ---------------------------------------------------------------------------
# the propagator's steps (self: a derive.engines.moments.propagate.Propagator)
# ---------------------------------------------------------------------------


def dependent_moments(self, e, st, terms):
    """Exact moments of `e`, whose random parts share inputs, or None."""
    lin = linear_variance(self.forms, e)
    if lin is not None:
        mean, var, form = lin
        tensors = sorted({t.tensor for t in form.terms})
        normal = all(self.forms.inputs[t].normal for t in tensors)
        odd = frozenset(tensors) if all(self.forms.inputs[t].symmetric or
                                        self.forms.inputs[t].normal
                                        for t in tensors) else frozenset()
        self.step("rule", st, var, why="linear in independent entries",
                  args={"terms": terms, "shared": tensors},
                  chain=said(Var(e), "=", var), rule="linear")
        return RV(_simp(mean), _simp(var), False, frozenset(tensors), frozenset(), odd,
                  normal, None, atomless=normal and not sp.simplify(var).is_zero)
    shared = shared_entry(e, lambda r: self.rv_of_tensor(ref_name(r)))
    if shared is None:
        return None
    r, law = shared
    got = function_moments(e.xreplace({r: U}), law)
    if got is None:
        return None
    mean, second = got
    var = _simp(second - mean ** 2)
    u = self.rv_of_tensor(ref_name(r))
    self.step("rule", st, var, why="function of one entry",
              args={"expression": e, "entry": r, "law": law_words(u)},
              chain=said(Var(e), "=", E(e ** 2) - E(e) ** 2, "=", var),
              rule="function")
    return RV(_simp(mean), var, False, u.sources, frozenset(), frozenset(), False, None,
              atomless=False)


def correlated_sum(self, st, summed, body, total, n, over):
    """A sum over loop indices whose terms share random entries, exactly."""
    tensors = {ref_name(r) for r in reads(body)}
    got = exchangeable_sum(self.forms, body, summed)
    if got is None:
        return None
    mean, var = got
    square = any(a.is_Pow and a.exp == 2 for a in sp.Mul.make_args(body))
    self.step("rule", st, var, why="sum of correlated squares" if square
              else "sum of correlated terms", args={"over": over, "n": n},
              chain=said(Var(total), "=", var), rule="sum", count=n, assumption="exact")
    return RV(_simp(mean), _simp(var), False,
              frozenset().union(*[self.rv_of_tensor(t).sources for t in tensors]),
              frozenset(), frozenset(), False, None)
