"""Code export: a loop program (and its backward program) as a NumPy module.

`export(spec)` writes a readable, self-contained Python module with a
`forward(...)` function and, with `backward=True`, a `backward(...)` function.
Every statement becomes one vectorized NumPy line under a comment giving the
statement in the course notation:

- a product summed over indices is an `np.einsum`, or a matrix product
  (`@`, `np.tensordot`) when it is one; factors that do not depend on the
  summed indices are taken out of the sum, sums of terms are summed term by
  term;
- everything else is elementwise with broadcasting, then summed over the
  axes the target does not have;
- a shifted read (`t-1`, `x+dx`, `2*r+1`) is a slice of an array padded with
  zeros (out-of-range reads are zero); a write that may fall out of range at
  a step of a Python loop is guarded by an `if`;
- only a real dependence is a Python loop: a block `for t in 1..T:` and a
  statement that reads its own target shifted (a recurrence).  A forward
  block becomes a `cell` function called once per step, as a framework
  unrolls a recurrent network; in a backward block, statements nothing in
  the block reads (parameter gradients) are moved after the loop and done
  for all steps at once.

Nothing here evaluates text: the module is printed from the SymPy IR, and it
is only imported by tests and benchmarks.
"""
from __future__ import annotations

import keyword
from dataclasses import dataclass, field

import sympy as sp
from sympy import Indexed
from sympy.printing.str import StrPrinter

from .backward import Backward, derive_backward
from .errors import DeriveError
from .functions import ind, maxf, minf, relu, sigma, step
from .program import (as_expr, affine, Block, Loop, Program, Statement, TensorScalar, format_items,
                      format_statement, grad_name, is_grad_name, reads, ref_indices,
                      ref_name)


class CodegenError(DeriveError):
    pass


TARGETS = ("numpy",)

# --------------------------------------------------------------------------
# functions of the notation -> NumPy (one line each)
# --------------------------------------------------------------------------

NP_FUNCTIONS = {
    sp.exp: "np.exp", sp.log: "np.log", sp.tanh: "np.tanh", sp.Abs: "np.abs",
    sp.sign: "np.sign", sp.cosh: "np.cosh", sp.sinh: "np.sinh",
    sigma: "sigma", relu: "relu", step: "step",
    maxf: "np.maximum", minf: "np.minimum",
}

HELPERS = {
    "sigma": '''def sigma(x):
    """The logistic sigmoid 1/(1 + exp(-x)), computed without overflow."""
    return 0.5 * (1.0 + np.tanh(0.5 * x))''',
    "relu": '''def relu(x):
    """max(x, 0)."""
    return np.maximum(x, 0.0)''',
    "step": '''def step(x):
    """1 where x > 0, else 0 (the derivative of relu)."""
    return (x > 0) * 1.0''',
    "_pad": '''def _pad(a, pads):
    """`a` with zeros added before and after each axis (out-of-range reads are zero)."""
    a = np.asarray(a, dtype=float)
    if not any(lo or hi for lo, hi in pads):
        return a
    out = np.zeros(tuple(n + lo + hi for n, (lo, hi) in zip(a.shape, pads)))
    out[tuple(slice(lo, lo + n) for n, (lo, _) in zip(a.shape, pads))] = a
    return out''',
    "_view": '''def _view(a, start, steps, shape):
    """The strided view v[g0, g1, ...] = a[start + g0 * steps[0] + g1 * steps[1] + ...].

    start and each steps[k] have one entry per axis of `a`; the view reads a[...]
    at affine indices such as x + dx without copying."""
    base = a[tuple(slice(s, None) for s in start)]
    strides = tuple(sum(k * st for k, st in zip(ks, a.strides)) for ks in steps)
    return np.lib.stride_tricks.as_strided(base, shape, strides, writeable=False)''',
    "_index": '''def _index(lo, hi, axis, ndim):
    """lo..hi as an integer array along `axis` of `ndim` axes (for index arithmetic)."""
    shape = [1] * ndim
    shape[axis] = hi - lo + 1
    return np.arange(lo, hi + 1).reshape(shape)''',
}


def _stand_in(name: str) -> str:
    return f'''def {name}(u):
    """The problem leaves {name} arbitrary: run here as sin(u) + u^2/2 (as derive's executor)."""
    return np.sin(u) + 0.5 * u * u


def {name}_prime(u):
    """The derivative of the stand-in {name}."""
    return np.cos(u) + u'''


# --------------------------------------------------------------------------
# integer expressions (positions, sizes) as Python
# --------------------------------------------------------------------------


class _IntPrinter(StrPrinter):
    def __init__(self, names):
        super().__init__()
        self.names = names

    def _print_Symbol(self, expr):
        return self.names.get(expr, expr.name)

    def _print_Max(self, expr):
        return "max(%s)" % ", ".join(self._print(a) for a in expr.args)

    def _print_Min(self, expr):
        return "min(%s)" % ", ".join(self._print(a) for a in expr.args)


def _is_zero(e) -> bool:
    return sp.simplify(e) == 0


def _nonneg(e) -> bool:
    """Provably >= 0 for positive integer sizes."""
    e = sp.expand(e)
    if e.is_nonnegative:
        return True
    subs = {v: v + 1 for v in e.free_symbols if v.is_integer and v.is_positive}
    d = sp.expand(e.xreplace(subs))
    return bool(d.is_nonnegative) or all(
        t.as_coeff_Mul()[0] >= 0 for t in sp.Add.make_args(d)) and not d.has(sp.Max, sp.Min)




def _extreme(e, ranges, low: bool):
    """The smallest (largest) value of an affine e over the box of `ranges`."""
    aff = affine(e, list(ranges))
    if aff is None:
        raise CodegenError(f"the index {e} is not affine in the loop indices")
    const, coeffs = aff
    out = const
    for v, c in coeffs.items():
        lo, hi = ranges[v]
        out += c * (lo if (c > 0) == low else hi)
    return sp.expand(out)


# --------------------------------------------------------------------------
# array expressions
# --------------------------------------------------------------------------

ATOM, POSTFIX, POWER, UNARY, MUL, ADD = 6, 5, 4, 3, 2, 1


@dataclass
class Arr:
    code: str
    axes: tuple          # loop variables of its axes, in order
    prec: int = ATOM
    fresh: bool = True   # a new array (not a view of a tensor)

    def wrap(self, prec: int) -> str:
        return self.code if self.prec >= prec else f"({self.code})"


def _num(c) -> str:
    if c.is_Integer:
        return str(int(c))
    if c.is_Rational:
        return f"{c.p}/{c.q}"
    return repr(float(c))


@dataclass
class Layout:
    """How a tensor is stored: zero padding before/after each axis."""
    name: str                    # Python name
    ranges: tuple                # (lo, hi) per axis
    pads: list                   # [lo_pad, hi_pad] per axis (SymPy, >= 0)

    def pos(self, k, e):
        return sp.expand(e - self.ranges[k][0] + self.pads[k][0])

    def extent(self, k):
        lo, hi = self.ranges[k]
        return sp.expand(hi - lo + 1 + self.pads[k][0] + self.pads[k][1])

    @property
    def padded(self) -> bool:
        return any(not _is_zero(p) for pr in self.pads for p in pr)


@dataclass
class Ctx:
    grid: tuple                  # vectorized loop variables, in order
    ranges: dict                 # var -> (lo, hi) for grid and fixed variables
    fixed: dict                  # var -> Python name (loop variables of Python loops)
    slices: dict = field(default_factory=dict)   # tensor -> (axis, {offset: local name})


class Emitter:
    """Prints statements of one function."""

    def __init__(self, gen: "Generator"):
        self.g = gen

    # ---- names and integers ------------------------------------------------

    def int_code(self, e, ctx: Ctx) -> str:
        return self.g.int_code(e, ctx)

    # ---- reads -------------------------------------------------------------

    def local_view(self, name, lay, indices, ctx: Ctx):
        """(array code, axis numbers, index expressions) of a tensor; inside a time loop a
        tensor kept per step is its local array for that step, without the time axis."""
        idx = list(indices)
        axes_k = list(range(len(idx)))
        code = lay.name
        if name in ctx.slices:
            a, local = ctx.slices[name]
            off = sp.expand(idx[a] - self.g.block_var(ctx, idx[a]))
            code = local[int(off)]
            axes_k.pop(a)
            idx.pop(a)
        return code, axes_k, idx

    def read(self, r, ctx: Ctx) -> Arr:
        if isinstance(r, TensorScalar):
            return Arr(self.g.pyname(r.name), (), ATOM, False)
        name = ref_name(r)
        lay = self.g.layouts[name]
        code, axes_k, idx = self.local_view(name, lay, ref_indices(r), ctx)
        grid = set(ctx.grid)
        parts, out_axes, general = [], [], False
        for k, e in zip(axes_k, idx):
            gv = [v for v in e.free_symbols if v in grid]
            if not gv:
                parts.append(self.int_code(lay.pos(k, e), ctx))
                continue
            aff = affine(e, gv)
            if len(gv) != 1 or aff is None or aff[1][gv[0]] <= 0 or gv[0] in out_axes:
                general = True
                break
            v = gv[0]
            a = aff[1][v]
            lo, hi = ctx.ranges[v]
            start = lay.pos(k, e.xreplace({v: lo}))
            stop = sp.expand(lay.pos(k, e.xreplace({v: hi})) + 1)
            if a == 1 and _is_zero(start) and _is_zero(stop - lay.extent(k)):
                parts.append(":")
            else:
                text = f"{self.int_code(start, ctx)}:{self.int_code(stop, ctx)}"
                parts.append(text + (f":{a}" if a != 1 else ""))
            out_axes.append(v)
        if general:
            return self.strided(r, lay, code, axes_k, idx, ctx)
        if parts and not all(p == ":" for p in parts):
            code = f"{code}[{', '.join(parts)}]"
        arr = Arr(code, tuple(out_axes), POSTFIX if "[" in code else ATOM, False)
        return self.to_grid_order(arr, ctx)

    def strided(self, r, lay, code, axes_k, idx, ctx) -> Arr:
        """A read at affine indices of several loop variables: a strided view."""
        self.g.use("_view")
        grid_vars = [v for v in ctx.grid if any(v in e.free_symbols for e in idx)]
        start, steps = [], {v: [] for v in grid_vars}
        for k, e in zip(axes_k, idx):
            aff = affine(e, grid_vars)
            if aff is None:
                raise CodegenError(f"cannot vectorize the index {e}")
            const, coeffs = aff
            lo_point = e.xreplace({v: ctx.ranges[v][0] for v in grid_vars})
            start.append(self.int_code(lay.pos(k, lo_point), ctx))
            for v in grid_vars:
                steps[v].append(str(coeffs.get(v, 0)))
        shape = [self.int_code(ctx.ranges[v][1] - ctx.ranges[v][0] + 1, ctx) for v in grid_vars]
        tup = lambda xs: "(" + ", ".join(xs) + ("," if len(xs) == 1 else "") + ")"
        text = (f"_view({code}, {tup(start)}, {tup([tup(steps[v]) for v in grid_vars])}, "
                f"{tup(shape)})")
        return Arr(text, tuple(grid_vars), ATOM, False)

    def to_grid_order(self, arr: Arr, ctx: Ctx) -> Arr:
        order = [v for v in ctx.grid if v in arr.axes]
        return self.transpose(arr, tuple(order))

    def transpose(self, arr: Arr, order: tuple) -> Arr:
        if tuple(arr.axes) == tuple(order):
            return arr
        if len(order) == 2:
            return Arr(f"{arr.wrap(POSTFIX)}.T", order, POSTFIX, arr.fresh)
        perm = ", ".join(str(arr.axes.index(v)) for v in order)
        return Arr(f"np.transpose({arr.code}, ({perm}))", order, ATOM, arr.fresh)

    def bcast(self, arr: Arr, layout: tuple) -> Arr:
        """arr, broadcastable against arrays with axes `layout` (grid order)."""
        arr = self.transpose(arr, tuple(v for v in layout if v in arr.axes))
        if not arr.axes:
            return arr
        tail = layout[layout.index(arr.axes[0]):]
        if len(tail) == len(arr.axes):
            return arr
        idx = ", ".join(":" if v in arr.axes else "None" for v in tail)
        return Arr(f"{arr.wrap(POSTFIX)}[{idx}]", arr.axes, POSTFIX, arr.fresh)

    def opnd(self, arr: Arr, layout: tuple, prec: int) -> str:
        """Code of arr as an operand needing precedence `prec`."""
        return self.bcast(arr, layout).wrap(prec)

    # ---- elementwise expressions -------------------------------------------

    def deps(self, e, ctx) -> set:
        return {v for v in e.free_symbols if v in set(ctx.grid)}

    def layout_of(self, vars_, ctx) -> tuple:
        return tuple(v for v in ctx.grid if v in vars_)

    def expr(self, e, ctx: Ctx) -> Arr:
        if isinstance(e, (Indexed, TensorScalar)):
            return self.read(e, ctx)
        if e.is_Number:
            c = _num(e)
            return Arr(c, (), ATOM if not c.startswith("-") and "/" not in c else UNARY)
        if e.is_Symbol:
            return self.symbol(e, ctx)
        if e.is_Add:
            return self.add(list(e.args), ctx)
        if e.is_Mul:
            return self.mul(list(e.args), ctx)
        if e.is_Pow:
            return self.power(e, ctx)
        fn = NP_FUNCTIONS.get(type(e))
        if fn is not None:
            if fn in HELPERS:
                self.g.use(fn)
            args = [self.expr(a, ctx) for a in e.args]
            lay = self.layout_of(set().union(*[set(a.axes) for a in args]), ctx)
            text = ", ".join(self.opnd(a, lay, 0) if len(args) > 1 else a.code for a in args)
            return Arr(f"{fn}({text})", lay, ATOM)
        if isinstance(e, ind):
            rel = e.args[0]
            a, b = self.expr(rel.lhs, ctx), self.expr(rel.rhs, ctx)
            lay = self.layout_of(set(a.axes) | set(b.axes), ctx)
            return Arr(f"({self.opnd(a, lay, ADD)} {rel.rel_op} {self.opnd(b, lay, ADD)}) * 1.0",
                       lay, MUL)
        if isinstance(e, sp.KroneckerDelta):
            a, b = self.expr(e.args[0], ctx), self.expr(e.args[1], ctx)
            lay = self.layout_of(set(a.axes) | set(b.axes), ctx)
            return Arr(f"({self.opnd(a, lay, ADD)} == {self.opnd(b, lay, ADD)}) * 1.0", lay, MUL)
        if isinstance(e, sp.Derivative):
            f = e.expr
            if isinstance(f, sp.core.function.AppliedUndef) and len(f.args) == 1:
                self.g.use_stand_in(f.func.__name__)
                a = self.expr(f.args[0], ctx)
                return Arr(f"{self.g.pyname(f.func.__name__)}_prime({a.code})", a.axes, ATOM)
        if isinstance(e, sp.core.function.AppliedUndef):
            self.g.use_stand_in(e.func.__name__)
            args = [self.expr(a, ctx) for a in e.args]
            lay = self.layout_of(set().union(*[set(a.axes) for a in args]), ctx)
            terms = " + ".join(f"{self.g.pyname(e.func.__name__)}({self.opnd(a, lay, 0)})"
                               for a in args)
            return Arr(terms, lay, ADD if len(args) > 1 else ATOM)
        raise CodegenError(f"no NumPy form for {type(e).__name__}: {e}")

    def symbol(self, e, ctx) -> Arr:
        if e in ctx.fixed:
            return Arr(ctx.fixed[e], (), ATOM)
        if e in set(ctx.grid):
            self.g.use("_index")
            lo, hi = ctx.ranges[e]
            k = ctx.grid.index(e)
            return Arr(f"_index({self.int_code(lo, ctx)}, {self.int_code(hi, ctx)}, {k}, "
                       f"{len(ctx.grid)})", tuple(ctx.grid), ATOM)
        return Arr(self.g.symbol_name(e), (), ATOM, False)

    def add(self, terms, ctx) -> Arr:
        signs = [_negative(t) for t in terms]
        parts = [self.expr(-t if sg else t, ctx) for t, sg in zip(terms, signs)]
        return self.join_terms(parts, signs, ctx)

    def join_terms(self, parts, signs, ctx) -> Arr:
        """a + b - c: positive terms first."""
        lay = self.layout_of(set().union(*[set(p.axes) for p in parts]), ctx)
        order = sorted(range(len(parts)), key=lambda k: signs[k])
        out = ""
        for n, k in enumerate(order):
            if n == 0:
                out = ("-" + self.opnd(parts[k], lay, MUL)) if signs[k] \
                    else self.opnd(parts[k], lay, ADD)
            elif signs[k]:
                out += " - " + self.opnd(parts[k], lay, MUL)
            else:
                out += " + " + self.opnd(parts[k], lay, ADD)
        return Arr(out, lay, ADD if len(parts) > 1 else (UNARY if signs[0] else parts[0].prec))

    def mul(self, factors, ctx, extra: Arr | None = None) -> Arr:
        """A product; `extra` is an already printed factor (a sum, for instance)."""
        coeff = sp.S.One
        num, den = [], []
        for f in factors:
            if f.is_Number:
                coeff *= f
            elif f.is_Pow and f.exp.is_Number and f.exp < 0:
                den.append(f.base ** (-f.exp))
            else:
                num.append(f)
        negative = bool(coeff.is_negative)
        coeff = abs(coeff)
        if coeff.is_Rational and not coeff.is_Integer:
            if coeff.p != 1:
                num.insert(0, sp.Integer(coeff.p))
            den.insert(0, sp.Integer(coeff.q))
        elif coeff != 1:
            num.insert(0, coeff)
        nums = [self.expr(f, ctx) for f in num] + ([extra] if extra is not None else [])
        dens = [self.expr(f, ctx) for f in den]
        lay = self.layout_of(set().union(*[set(a.axes) for a in nums + dens]), ctx)
        # small factors first: they combine before they meet the large ones
        nums.sort(key=lambda a: len(a.axes))
        dens.sort(key=lambda a: len(a.axes))
        if len(nums) == 1 and not dens and not negative:
            return nums[0] if nums[0].axes == lay else self.bcast(nums[0], lay)
        big = len(lay)
        small_n = [a for a in nums if len(a.axes) < big]
        small_d = [a for a in dens if len(a.axes) < big] if small_n else []
        ops = [("*", a) for a in small_n] + [("/", a) for a in small_d] + \
            [("*", a) for a in nums if a not in small_n] + \
            [("/", a) for a in dens if not any(a is b for b in small_d)]
        if not ops or ops[0][0] == "/":
            ops.insert(0, ("*", Arr("1.0", ())))
        code = self.opnd(ops[0][1], lay, MUL)
        k = 1
        while k < len(ops):
            o, a = ops[k]
            run = [a]
            while o == "/" and k + len(run) < len(ops) and ops[k + len(run)][0] == "/":
                run.append(ops[k + len(run)][1])
            if len(run) > 1:              # a / (b * c)
                code += " / (" + " * ".join(self.opnd(x, lay, MUL) for x in run) + ")"
            else:
                code += f" {o} " + self.opnd(a, lay, MUL if o == "*" else POWER)
            k += len(run)
        if negative:
            return Arr("-" + code, lay, UNARY)
        return Arr(code, lay, MUL)

    def power(self, e, ctx) -> Arr:
        base, ex = e.base, e.exp
        b = self.expr(base, ctx)
        if ex == sp.S.Half:
            return Arr(f"np.sqrt({b.code})", b.axes, ATOM)
        if ex == -sp.S.Half:
            return Arr(f"1 / np.sqrt({b.code})", b.axes, MUL)
        if ex.is_Integer and ex < 0:
            inner = b.wrap(POWER + 1) if ex == -1 else f"{b.wrap(POWER + 1)}**{-int(ex)}"
            return Arr(f"1 / {inner}", b.axes, MUL)
        if ex.is_Number:
            power = _num(ex) if ex.is_Integer else f"({_num(ex)})"
            return Arr(f"{b.wrap(POWER + 1)}**{power}", b.axes, POWER)
        x = self.expr(ex, ctx)
        lay = self.layout_of(set(b.axes) | set(x.axes), ctx)
        return Arr(f"{self.opnd(b, lay, POWER + 1)}**{self.opnd(x, lay, POWER + 1)}",
                   lay, POWER)

    # ---- sums over loop indices --------------------------------------------

    def count_code(self, vars_, ctx) -> sp.Expr:
        out = sp.S.One
        for v in vars_:
            lo, hi = ctx.ranges[v]
            out *= (hi - lo + 1)
        return sp.expand(out)

    def reduce(self, e, V: set, ctx: Ctx) -> Arr:
        """sum over the loop variables V of e (V's axes removed)."""
        d = self.deps(e, ctx)
        missing = [v for v in ctx.grid if v in V and v not in d]
        inner_V = V & d
        if not inner_V:
            arr = self.expr(e, ctx)
        elif e.is_Add:
            terms = sp.Add.make_args(e)
            signs = [_negative(t) for t in terms]
            parts = [self.reduce(-t if sg else t, inner_V, ctx) for t, sg in zip(terms, signs)]
            arr = self.join_terms(parts, signs, ctx)
        elif e.is_Mul:
            arr = self.reduce_product(list(e.args), inner_V, ctx)
        else:
            arr = self.sum_axes(self.expr(e, ctx), inner_V)
        if missing:
            n = self.count_code(missing, ctx)
            count = self.int_code(n, ctx)
            if not (n.is_Symbol or n.is_Integer):
                count = f"({count})"
            arr = Arr(f"{count} * {arr.wrap(MUL)}", arr.axes, MUL)
        return arr

    def sum_axes(self, arr: Arr, V) -> Arr:
        pos = [k for k, v in enumerate(arr.axes) if v in V]
        rest = tuple(v for v in arr.axes if v not in V)
        if not pos:
            return arr
        if not rest:
            return Arr(f"{arr.wrap(POSTFIX)}.sum()", (), POSTFIX)
        ax = str(pos[0]) if len(pos) == 1 else "(" + ", ".join(map(str, pos)) + ")"
        return Arr(f"{arr.wrap(POSTFIX)}.sum(axis={ax})", rest, POSTFIX)

    def reduce_product(self, factors, V, ctx) -> Arr:
        coeff = sp.Mul(*[f for f in factors if f.is_Number])
        rest = [f for f in factors if not f.is_Number]
        outside = [f for f in rest if not (self.deps(f, ctx) & V)]
        inside = [f for f in rest if self.deps(f, ctx) & V]
        if len(inside) == 1 and inside[0].is_Add:
            summed = self.reduce(inside[0], V, ctx)
        elif len(inside) == 1:
            summed = self.sum_axes(self.expr(inside[0], ctx), V)
        else:
            summed = self.contract([self.expr(f, ctx) for f in inside], V, ctx)
        if coeff == 1 and not outside:
            return summed
        # the factors outside the sum, times the sum
        return self.mul([coeff] + outside, ctx, extra=summed)

    def contract(self, arrs, V, ctx) -> Arr:
        """sum over V of the product of arrays: a matrix product or an einsum."""
        out_axes = self.layout_of(set().union(*[set(a.axes) for a in arrs]) - V, ctx)
        if len(arrs) == 2:
            a, b = arrs
            fa = [ctx.grid.index(v) for v in a.axes if v not in V]
            fb = [ctx.grid.index(v) for v in b.axes if v not in V]
            if fa and fb and min(fb) < min(fa):
                a, b = b, a                   # the result's axes in the grid's order
            mm = self.matmul(a, b, V, ctx)
            if mm is not None:
                return mm
        names = [v.name for v in ctx.grid]
        if all(len(n) == 1 and n.isalpha() for n in names) and len(set(names)) == len(names):
            letters = {v: v.name for v in ctx.grid}
        else:
            letters = {v: "abcdefghijklmnopqrstuvwxyz"[k] for k, v in enumerate(ctx.grid)}
        subs = ",".join("".join(letters[v] for v in a.axes) for a in arrs)
        spec = f"{subs}->{''.join(letters[v] for v in out_axes)}"
        return Arr(f"np.einsum('{spec}', {', '.join(a.code for a in arrs)})", out_axes, ATOM)

    def matmul(self, A: Arr, B: Arr, V, ctx: Ctx) -> Arr | None:
        S = [v for v in A.axes if v in V]
        if not S or set(S) != set(v for v in B.axes if v in V) or set(S) != set(V) & (
                set(A.axes) | set(B.axes)):
            return None
        fa = [v for v in A.axes if v not in V]
        fb = [v for v in B.axes if v not in V]
        if set(fa) & set(fb):
            return None                       # a batch index: not one matrix product
        if len(S) == 1 and len(A.axes) <= 2 and len(B.axes) <= 2:
            s = S[0]
            a = A.code if (len(A.axes) == 1 or A.axes[-1] == s) else f"{A.wrap(POSTFIX)}.T"
            b = B.code if (len(B.axes) == 1 or B.axes[0] == s) else f"{B.wrap(POSTFIX)}.T"
            pa = A if a == A.code else Arr(a, (), POSTFIX)
            pb = B if b == B.code else Arr(b, (), POSTFIX)
            return Arr(f"{pa.wrap(MUL + 1)} @ {pb.wrap(MUL + 1)}", tuple(fa + fb), MUL)
        n = len(S)
        if len(fa) == len(fb) == 1 and tuple(A.axes[:n]) == tuple(B.axes[:n]):
            # summed over the leading axes of both (a weight gradient over b and t):
            # one matrix product of the arrays flattened to (b t) rows
            rows = self.int_code(self.count_code(S, ctx), ctx)
            ca = self.int_code(self.count_code(fa, ctx), ctx)
            cb = self.int_code(self.count_code(fb, ctx), ctx)
            return Arr(f"{A.wrap(POSTFIX)}.reshape({rows}, {ca}).T @ "
                       f"{B.wrap(POSTFIX)}.reshape({rows}, {cb})", (fa[0], fb[0]), MUL)
        ia = ", ".join(str(A.axes.index(v)) for v in S)
        ib = ", ".join(str(B.axes.index(v)) for v in S)
        return Arr(f"np.tensordot({A.code}, {B.code}, axes=([{ia}], [{ib}]))",
                   tuple(fa + fb), ATOM)

    # ---- statements --------------------------------------------------------

    def statement(self, st: Statement, ctx: Ctx, op: str, rebind: bool = False) -> list:
        """Lines for one statement, vectorized over ctx.grid.

        op is the statement's `=`, `+=`, `-=`, or `=-` (a `-=` into zeros);
        `rebind` binds the target's name to the value (its only, full write)."""
        name = st.target_name
        tidx = ref_indices(st.target)
        target_vars = set().union(*[e.free_symbols for e in tidx]) if tidx else set()
        V = {v for v in ctx.grid if v not in target_vars}
        if st.op == "=" and V:
            raise CodegenError(f"`{format_statement(st)}` sums with `=`")
        value = self.reduce(st.rhs, V, ctx) if V else self.expr(st.rhs, ctx)
        negate = op == "=-" or (rebind and op == "-=")
        if negate:
            op = "="
        if isinstance(st.target, TensorScalar):
            tname = self.g.pyname(name)
            if op == "=":
                return [f"{tname} = " + ("-" + value.wrap(MUL) if negate else value.code)]
            return [f"{tname} {op} {value.code}"]
        lay = self.g.layouts[name]
        conds, parts, out_axes = [], [], []
        code, axes_k, idx = self.local_view(name, lay, tidx, ctx)
        for k, e in zip(axes_k, idx):
            gv = [v for v in e.free_symbols if v in set(ctx.grid)]
            if not gv:
                parts.append(self.int_code(lay.pos(k, e), ctx))
                conds += self.g.range_conditions(e, lay, k, ctx)
                continue
            aff = affine(e, gv)
            if len(gv) != 1 or aff is None or aff[1][gv[0]] <= 0 or gv[0] in out_axes:
                return self.scatter(st, value, ctx, op, negate)
            v = gv[0]
            a = aff[1][v]
            lo, hi = ctx.ranges[v]
            start = lay.pos(k, e.xreplace({v: lo}))
            stop = sp.expand(lay.pos(k, e.xreplace({v: hi})) + 1)
            if a == 1 and _is_zero(start) and _is_zero(stop - lay.extent(k)):
                parts.append(":")
            else:
                parts.append(f"{self.int_code(start, ctx)}:{self.int_code(stop, ctx)}"
                             + (f":{a}" if a != 1 else ""))
            out_axes.append(v)
        order = tuple(out_axes)
        val = self.bcast(value, order)
        vcode = ("-" + val.wrap(MUL)) if negate else val.code
        whole = all(p == ":" for p in parts)
        view = code if whole else f"{code}[{', '.join(parts)}]"
        split = self.accumulate(st, ctx, order, op, negate, rebind, code, view, whole) \
            if not V and st.rhs.is_Add else None
        if split:
            lines = split
        elif rebind and set(value.axes) == set(order):
            line = f"{code} = {vcode}" + ("" if (val.fresh or negate) else ".copy()")
        elif rebind:
            drop = ctx.slices[name][0] if name in ctx.slices else None
            line = (f"{code} = np.broadcast_to({vcode}, "
                    f"{self.g.shape_code(lay, ctx, drop=drop)}).copy()")
        elif op == "=":
            line = f"{view}{'[...]' if whole else ''} = {vcode}"
        else:
            line = f"{view} {op} {vcode}"
        if not split:
            lines = [line]
        if conds:
            return [f"if {' and '.join(conds)}:"] + ["    " + l for l in lines]
        return lines

    def accumulate(self, st, ctx, order, op, negate, rebind, code, view, whole):
        """A sum of terms, added into the target one term at a time.

        NumPy makes a new array for every operation; adding term by term into the
        target keeps one array of the grid's size alive instead of several."""
        terms = list(sp.Add.make_args(st.rhs))
        signs = [_negative(t) != (negate or op == "-=") for t in terms]
        parts = [self.expr(-t if _negative(t) else t, ctx) for t in terms]
        full = [k for k, p in enumerate(parts) if set(p.axes) == set(order) and p.fresh]
        if len(terms) < 2 or not full or not order:
            return None
        # the target's first value: the most involved term of the target's shape (it
        # makes its temporaries while no other large array is alive); small terms last
        first = max(full, key=lambda k: (sp.count_ops(terms[k]), not signs[k]))
        rest = [k for k in range(len(terms)) if k != first]
        rest.sort(key=lambda k: -len(parts[k].axes))
        head = self.bcast(parts[first], order)
        head_code = ("-" + head.wrap(MUL)) if signs[first] else head.code
        if rebind:
            lines = [f"{code} = {head_code}"]
            target = code
        elif op in ("=", "=-"):
            target = view
            lines = [f"{view}{'[...]' if whole else ''} = {head_code}"]
        else:
            target = view
            lines = [f"{view} {'-=' if signs[first] else '+='} {head.code}"]
        for k in rest:
            lines.append(f"{target} {'-=' if signs[k] else '+='} "
                         f"{self.bcast(parts[k], order).code}")
        return lines

    def scatter(self, st, value: Arr, ctx: Ctx, op, negate=False) -> list:
        """A write at indices such as x + dx (several steps hit one element): np.add.at."""
        if op not in ("+=", "-="):
            raise CodegenError(f"`{format_statement(st)}` writes an element more than once "
                               "with `=`")
        self.g.use("_index")
        name = st.target_name
        lay = self.g.layouts[name]
        tidx = ref_indices(st.target)
        rest = tuple(v for v in ctx.grid if any(v in e.free_symbols for e in tidx))
        sub = Ctx(rest, ctx.ranges, ctx.fixed, ctx.slices)
        idx_codes = []
        for k, e in enumerate(tidx):
            pos = lay.pos(k, e)
            idx_codes.append(self.expr(pos, sub).code if self.deps(e, sub)
                             else self.int_code(pos, ctx))
        val = self.bcast(value, rest)
        vcode = ("-" + val.wrap(MUL)) if op == "-=" else val.code
        return [f"np.add.at({lay.name}, ({', '.join(idx_codes)},), {vcode})"]


def _negative(t) -> bool:
    c, _ = t.as_coeff_Mul()
    return bool(c.is_negative)


# --------------------------------------------------------------------------
# program transformations
# --------------------------------------------------------------------------


def sequential_blocks(items) -> list:
    """Self-recurrent statements become blocks over their recurrence loop."""
    from .cost import with_blocks
    return with_blocks(items)


def _block_offset(e, var):
    d = sp.expand(e - var)
    return int(d) if d.is_Integer else None


def fission(block: Block) -> tuple[list, Block, list]:
    """(before, block, after): statements of a block moved out of its loop.

    A statement moves after the loop when nothing in the block reads what it
    writes and what it reads is final when it runs; before the loop when it
    reads nothing the block writes and nothing in the block reads its target
    before it (its `+=` commutes with the others).  Moved statements loop over
    the block's variable themselves and run for all steps at once."""
    if len(block.loops) != 1 or any(isinstance(it, Block) for it in block.body):
        return [], block, []
    lp = block.loops[0]
    t = lp.var
    step = -1 if lp.reverse else 1
    body = list(block.body)
    written = {}
    for k, st in enumerate(body):
        written.setdefault(st.target_name, []).append(k)

    def axis_offset(r):
        for e in ref_indices(r):
            if t in e.free_symbols:
                aff = affine(e, [t])
                if aff is None or aff[1].get(t) != 1:
                    return "bad"
                return _block_offset(e, t)
        return None

    def reads_of(name, skip):
        return [(k, r) for k, st in enumerate(body) if k != skip
                for r in st.reads() if ref_name(r) == name]

    after = []
    moved = set()
    for k in reversed(range(len(body))):
        st = body[k]
        name = st.target_name
        ok = st.op in ("+=", "-=") or len(written[name]) == 1
        ok = ok and not reads_of(name, None) and all(
            body[j].op != "=" for j in written[name] if j != k)
        if ok:
            for r in st.reads():
                x = ref_name(r)
                if x not in written:
                    continue
                o_r = axis_offset(r)
                for j in written[x]:
                    if j in moved:
                        continue
                    o_w = axis_offset(body[j].target)
                    if o_r is None or o_w is None or o_r == "bad" or o_w == "bad":
                        ok = False
                        break
                    # the write reaching this read: at step t + (o_r - o_w)
                    d = (o_r - o_w) * step
                    if d > 0 or (d == 0 and j > k):
                        ok = False
                        break
                if not ok:
                    break
        if ok and st.op == "=" and not any(t in e.free_symbols for e in ref_indices(st.target)):
            ok = False                        # `=` in every step: only the last step counts
        if ok:
            moved.add(k)
            after.insert(0, st.with_(loops=_with_loop(st, lp)))
    before = []
    for k in range(len(body)):
        if k in moved:
            continue
        st = body[k]
        name = st.target_name
        if st.op not in ("+=", "-=") or any(ref_name(r) in written for r in st.reads()):
            continue
        if any(body[j].op == "=" for j in written[name]):
            continue
        o_w = axis_offset(st.target)
        if o_w is None or o_w == "bad":
            continue
        early = False
        for j, r in reads_of(name, k):
            o_r = axis_offset(r)
            if o_r is None or o_r == "bad":
                early = True
                break
            d = (o_r - o_w) * step        # > 0: reads the slice before this step writes it
            if d > 0 or (d == 0 and j < k):
                early = True
                break
        if early:
            continue
        moved.add(k)
        before.append(st.with_(loops=_with_loop(st, lp)))
    rest = [st for k, st in enumerate(body) if k not in moved]
    return before, Block(block.loops, rest, block.line), after


def _with_loop(st: Statement, lp: Loop) -> tuple:
    """The statement's loops with the block's loop where its tensors have that axis."""
    lp = Loop(lp.var, lp.lo, lp.hi)           # a sum: the order of the steps is free
    own = [l.var for l in st.loops]
    for r in [st.target] + list(st.reads()):
        idx = ref_indices(r)
        for k, e in enumerate(idx):
            if lp.var in e.free_symbols:
                before = [v for e2 in idx[:k] for v in e2.free_symbols if v in own]
                pos = max((own.index(v) + 1 for v in before), default=0)
                loops = list(st.loops)
                loops.insert(pos, lp)
                return tuple(loops)
    return (lp,) + tuple(st.loops)


# --------------------------------------------------------------------------
# one function: forward(...) or backward(...)
# --------------------------------------------------------------------------


class Generator:
    def __init__(self, program: Program, helpers: set, stand_ins: set):
        self.program = program
        self.helpers = helpers
        self.stand_ins = stand_ins
        self.layouts: dict = {}
        self.size_names = {sym: self.safe(name) for name, sym in program.sizes.items()}
        self.symbols = {name: sym for name, sym in program.symbols.items()
                        if name not in program.sizes}

    # ---- names -------------------------------------------------------------

    RESERVED = {"np", "sigma", "relu", "step", "forward", "backward", "cell", "_pad", "_view",
                "_index", "grads", "out"}

    def safe(self, name: str) -> str:
        name = name.replace(".", "_")
        if keyword.iskeyword(name) or name in self.RESERVED:
            name += "_"
        return name

    def pyname(self, tensor: str) -> str:
        name = self.safe(tensor)
        if name in {self.size_names[s] for s in self.size_names} or name in self.symbols:
            name += "_t"
        return name

    def symbol_name(self, sym) -> str:
        if sym in self.size_names:
            return self.size_names[sym]
        return self.safe(sym.name)

    def use(self, helper: str):
        self.helpers.add(helper)

    def use_stand_in(self, name: str):
        self.stand_ins.add(name)

    def block_var(self, ctx, e):
        for v in ctx.fixed:
            if v in e.free_symbols:
                return v
        raise CodegenError(f"no loop variable in {e}")

    # ---- layouts -----------------------------------------------------------

    def plan_layouts(self, items, names):
        """Zero padding for every out-of-range read (and vectorized write)."""
        accesses = {n: [] for n in names}

        def visit(items, fixed_ranges):
            for it in items:
                if isinstance(it, Block):
                    fr = dict(fixed_ranges)
                    for lp in it.loops:
                        fr[lp.var] = (lp.lo, lp.hi)
                    visit(it.body, fr)
                    continue
                ranges = dict(fixed_ranges)
                for lp in it.loops:
                    ranges[lp.var] = (lp.lo, lp.hi)
                grid = {lp.var for lp in it.loops}
                for r in reads(it.rhs):
                    if isinstance(r, Indexed) and ref_name(r) in accesses:
                        accesses[ref_name(r)].append((ref_indices(r), ranges, True))
                if isinstance(it.target, Indexed) and it.target_name in accesses:
                    # writes at a Python loop step are guarded, not padded
                    vec = [i for i in ref_indices(it.target)]
                    accesses[it.target_name].append((tuple(vec), ranges, grid))
        visit(items, {})
        for n in names:
            info = self.program.tensors[n]
            pads = [[sp.S.Zero, sp.S.Zero] for _ in info.ranges]
            for idx, ranges, kind in accesses[n]:
                for k, e in enumerate(idx):
                    if kind is not True and not (e.free_symbols & kind):
                        continue               # a write at a fixed step: guarded
                    lo, hi = info.ranges[k]
                    mn = _extreme(e, {v: r for v, r in ranges.items() if v in e.free_symbols},
                                  True)
                    mx = _extreme(e, {v: r for v, r in ranges.items() if v in e.free_symbols},
                                  False)
                    need_lo, need_hi = sp.expand(lo - mn), sp.expand(mx - hi)
                    pads[k][0] = _pmax(pads[k][0], need_lo)
                    pads[k][1] = _pmax(pads[k][1], need_hi)
            self.layouts[n] = Layout(self.pyname(n), tuple(info.ranges), pads)

    def range_conditions(self, e, lay: Layout, k, ctx) -> list:
        """Conditions for a write at a Python-loop step to be in range."""
        rng = {v: ctx.ranges[v] for v in e.free_symbols if v in ctx.ranges}
        lo, hi = lay.ranges[k]
        out = []
        aff = affine(e, list(rng))
        if aff is not None and len(aff[1]) == 1 and list(aff[1].values())[0] == 1:
            v = list(aff[1])[0]          # t + c >= lo  <=>  t >= lo - c
            left, shift = v, aff[0]
        else:
            left, shift = e, 0
        if not _nonneg(_extreme(e, rng, True) - lo):
            out.append(f"{self.int_code(left, ctx)} >= {self.int_code(lo - shift, ctx)}")
        if not _nonneg(hi - _extreme(e, rng, False)):
            out.append(f"{self.int_code(left, ctx)} <= {self.int_code(hi - shift, ctx)}")
        return out

    def int_code(self, e, ctx) -> str:
        names = dict(self.size_names)
        names.update(ctx.fixed)
        return _IntPrinter(names).doprint(sp.expand(e))

    def shape_code(self, lay: Layout, ctx=None, drop=None) -> str:
        ctx = ctx or Ctx((), {}, {})
        dims = [self.int_code(lay.extent(k), ctx) for k in range(len(lay.ranges)) if k != drop]
        return "(" + ", ".join(dims) + ("," if len(dims) == 1 else "") + ")"

    def interior(self, lay: Layout) -> str:
        """The unpadded part of a padded array."""
        ctx = Ctx((), {}, {})
        parts = []
        for k in range(len(lay.ranges)):
            lo, hi = lay.pads[k]
            if _is_zero(lo) and _is_zero(hi):
                parts.append(":")
            else:
                stop = sp.expand(lay.extent(k) - hi)
                parts.append(f"{self.int_code(lo, ctx) if not _is_zero(lo) else ''}:"
                             f"{self.int_code(stop, ctx)}")
        if all(p == ":" for p in parts):
            return lay.name
        return f"{lay.name}[{', '.join(parts)}]"


def _pmax(a, b):
    b = sp.expand(b)
    if b.is_Number and b <= 0:
        return a
    if _nonneg(-b):
        return a
    if a == 0 and (b.is_Number or _nonneg(b)):
        return b
    return sp.Max(a, b)


# --------------------------------------------------------------------------
# writing a function
# --------------------------------------------------------------------------


@dataclass
class FunctionPlan:
    name: str
    doc: str
    items: list
    inputs: list          # tensor names passed in (read, not computed here)
    outputs: list         # (returned key, tensor name)
    present: set          # tensors holding values on entry (inputs, seeded gradients)
    cell: bool = False    # forward blocks as a cell function


class ModuleWriter:
    def __init__(self, program: Program):
        self.program = program
        self.helpers: set = set()
        self.stand_ins: set = set()
        self.cells: list = []       # code of cell functions
        self.step_locals: dict = {}

    def write_function(self, plan: FunctionPlan) -> str:
        g = Generator(self.program, self.helpers, self.stand_ins)
        em = Emitter(g)
        items = sequential_blocks(plan.items)
        if not plan.cell:
            items = self._fission(items)
        names = self._tensor_names(items, plan)
        g.plan_layouts(items, names)
        writers = self._writers(items)
        lines = []
        # sizes from the arguments' shapes
        args = [g.pyname(n) for n in plan.inputs]
        size_lines, size_args = self._sizes(g, plan, items)
        sym_args = sorted({g.symbol_name(s) for s in self._free_symbols(items, g)})
        params = ", ".join(args + size_args + sym_args)
        lines.append(f"def {plan.name}({params}):")
        lines.append(_indent(_docstring(plan.doc), 1))
        lines += ["    " + l for l in size_lines]
        # inputs: padded copies where shifted reads need zeros; copies where written
        for n in plan.inputs:
            lay = g.layouts[n]
            info = self.program.tensors[n]
            if not info.axes:
                continue
            if lay.padded:
                g.use("_pad")
                pads = ", ".join(f"({g.int_code(a, Ctx((), {}, {}))}, "
                                 f"{g.int_code(b, Ctx((), {}, {}))})" for a, b in lay.pads)
                lines.append(f"    {lay.name} = _pad({lay.name}, [{pads}])")
            elif n in writers:
                lines.append(f"    {lay.name} = np.array({lay.name}, dtype=float)"
                             f"   # a copy: updated below")
        # allocation of computed tensors (unless bound by their only statement)
        rebind = self._rebinds(items, writers, plan, g)
        self.step_locals = self._step_locals(items, plan, g)
        local_names = {n for loc in self.step_locals.values() for n in loc}
        for n in names:
            if n in plan.inputs or n in rebind or n in local_names:
                continue
            info = self.program.tensors[n]
            lay = g.layouts[n]
            if not info.axes:
                lines.append(f"    {lay.name} = 0.0")
            else:
                lines.append(f"    {lay.name} = np.zeros({g.shape_code(lay)})")
        once = self._written_once(items, writers, plan)
        body = self._items(em, g, items, Ctx((), {}, {}), once, rebind, plan, 1)
        lines += body
        outs = []
        for key, n in plan.outputs:
            lay = g.layouts.get(n)
            code = g.interior(lay) if lay is not None else g.pyname(n)
            outs.append(f"{key!r}: {code}")
        lines.append("    return {" + ", ".join(outs) + "}")
        return "\n".join(lines)

    # ---- analysis of the function's statements ----------------------------

    def _fission(self, items):
        out = []
        for it in items:
            if isinstance(it, Block):
                before, blk, after = fission(it)
                out += before
                if blk.body:
                    out.append(blk)
                out += after
            else:
                out.append(it)
        return out

    def _tensor_names(self, items, plan):
        names = []

        def add(n):
            if n not in names and n in self.program.tensors:
                names.append(n)
        for n in plan.inputs:
            add(n)
        for st in _statements(items):
            add(st.target_name)
            for r in st.reads():
                add(ref_name(r))
        return names

    def _writers(self, items):
        out = {}
        for st, outer in _walk(items):
            out.setdefault(st.target_name, []).append((st, outer))
        return out

    def _free_symbols(self, items, g):
        syms = set()
        for st in _statements(items):
            for e in [st.rhs] + [lp.lo for lp in st.loops] + [lp.hi for lp in st.loops]:
                for s in as_expr(e).free_symbols:
                    if s.name in g.symbols and not isinstance(s, TensorScalar):
                        syms.add(s)
        return syms

    def _sizes(self, g, plan, items):
        needed = set(self.program.sizes.values())
        lines, known = [], set()
        for n in plan.inputs:
            info = self.program.tensors[n]
            if not info.axes:
                continue
            targets = []
            for k, (lo, hi) in enumerate(info.ranges):
                ext = sp.expand(hi - lo + 1)
                syms = [s for s in ext.free_symbols if s in needed]
                if len(syms) == 1 and syms[0] not in known and ext.coeff(syms[0]) == 1:
                    s = syms[0]
                    c = sp.expand(ext - s)
                    if c.free_symbols:
                        targets.append(None)
                        continue
                    targets.append((s, c))
                else:
                    targets.append(None)
            if not any(targets):
                continue
            name = g.pyname(n)
            if all(t is not None and t[1] == 0 for t in targets) and \
                    len({t[0] for t in targets}) == len(targets):
                lines.append(f"{', '.join(g.size_names[t[0]] for t in targets)}"
                             f"{',' if len(targets) == 1 else ''} = {name}.shape")
                known |= {t[0] for t in targets}
                continue
            for k, t in enumerate(targets):
                if t is None or t[0] in known:
                    continue
                s, c = t
                tail = f" - {int(c)}" if c > 0 else (f" + {int(-c)}" if c < 0 else "")
                lines.append(f"{g.size_names[s]} = {name}.shape[{k}]{tail}")
                known.add(s)
        used = set()
        for st, outer in _walk(items):
            for lp in tuple(outer) + tuple(st.loops):
                used |= as_expr(lp.lo).free_symbols | as_expr(lp.hi).free_symbols
            used |= st.rhs.free_symbols
            for e in ref_indices(st.target):
                used |= e.free_symbols
        for n in self._tensor_names(items, plan):
            for lo, hi in self.program.tensors[n].ranges:
                used |= as_expr(lo).free_symbols | as_expr(hi).free_symbols
        missing = [s for s in self.program.sizes.values() if s in used and s not in known]
        return lines, [g.size_names[s] for s in missing]

    def _rebinds(self, items, writers, plan, g) -> set:
        """Tensors bound by their only statement, at the top, over their whole range."""
        out = set()
        for it in items:
            if isinstance(it, Block):
                continue
            n = it.target_name
            if n in plan.present or n in plan.inputs or len(writers.get(n, [])) != 1:
                continue
            if any(ref_name(r) == n for r in it.reads()):
                continue
            info = self.program.tensors[n]
            if not info.axes:
                out.add(n)
                continue
            lay = g.layouts[n]
            if lay.padded:
                continue
            idx = ref_indices(it.target)
            loops = {lp.var: lp for lp in it.loops}
            if all(e in loops and (loops[e].lo, loops[e].hi) == tuple(r)
                   for e, r in zip(idx, info.ranges)) and len(set(idx)) == len(idx):
                out.add(n)
        return out

    def _step_locals(self, items, plan, g) -> dict:
        """{id(block): {tensor: (axis, id of its first write)}}: tensors of a block used
        only within one step (same slice, written in full before they are read)."""
        outside = set(plan.inputs) | {n for _, n in plan.outputs}
        for it in items:
            if not isinstance(it, Block):
                outside.add(it.target_name)
                outside |= {ref_name(r) for r in it.reads()}
        out = {}
        for it in items:
            if not isinstance(it, Block) or len(it.loops) != 1 or \
                    any(isinstance(x, Block) for x in it.body):
                continue
            t = it.loops[0].var
            found, bad = {}, set(outside)
            for st in it.body:
                refs = [(r, False) for r in st.reads()] + [(st.target, True)]
                for r, is_write in refs:
                    n = ref_name(r)
                    if n in bad or isinstance(r, TensorScalar):
                        bad.add(n)
                        continue
                    idx = ref_indices(r)
                    axes = [k for k, e in enumerate(idx) if t in e.free_symbols]
                    if len(axes) != 1 or sp.expand(idx[axes[0]] - t) != 0:
                        bad.add(n)
                        continue
                    if n not in found:
                        info = self.program.tensors[n]
                        loops = {lp.var: lp for lp in st.loops}
                        full = is_write and st.op in ("=", "+=", "-=") and all(
                            e in loops and (loops[e].lo, loops[e].hi) == tuple(info.ranges[k])
                            for k, e in enumerate(idx) if k != axes[0]) and \
                            not any(ref_name(x) == n for x in st.reads()) and \
                            all(_is_zero(a) and _is_zero(b) for k, (a, b) in
                                enumerate(g.layouts[n].pads) if k != axes[0])
                        if not full:
                            bad.add(n)
                            continue
                        found[n] = (axes[0], id(st))
                    elif found[n][0] != axes[0]:
                        bad.add(n)
            local = {n: v for n, v in found.items() if n not in bad}
            if local:
                out[id(it)] = local
        return out

    def _written_once(self, items, writers, plan) -> set:
        """Statements that write each element of their target once: `+=` is `=`."""
        out = set()
        for n, ws in writers.items():
            if n in plan.present or n in plan.inputs or len(ws) != 1:
                continue
            st, outer = ws[0]
            if any(ref_name(r) == n for r in st.reads()):
                continue
            idx = ref_indices(st.target)
            loops = [lp.var for lp in outer] + [lp.var for lp in st.loops]
            # every index one loop variable (each step and point: a new element)
            alone, simple = [], True
            for e in idx:
                aff = affine(e, loops)
                if aff is None or len(aff[1]) > 1:
                    simple = False
                elif aff[1]:
                    alone += list(aff[1])
            if simple and len(alone) == len(set(alone)) and \
                    all(v in alone for v in [lp.var for lp in outer]):
                out.add(id(st))
        return out

    # ---- statements and blocks ---------------------------------------------

    def _items(self, em, g, items, ctx, once, rebind_set, plan, depth) -> list:
        lines = []
        pad = "    " * depth
        for it in items:
            if isinstance(it, Block):
                lines += self._block(em, g, it, ctx, once, rebind_set, plan, depth)
                continue
            lines.append(pad + "# " + format_statement(it, self.program.indices))
            op = it.op
            if id(it) in once and op in ("+=", "-="):
                op = "=" if op == "+=" else "=-"
            rebind = (it.target_name in rebind_set and not ctx.fixed) or id(it) in rebind_set
            sub = Ctx(tuple(lp.var for lp in it.loops), {**ctx.ranges,
                      **{lp.var: (lp.lo, lp.hi) for lp in it.loops}}, ctx.fixed, ctx.slices)
            body = em.statement(it, sub, op, rebind)
            lines += [pad + l for l in body]
        return lines

    def _block(self, em, g, block, ctx, once, rebind, plan, depth) -> list:
        pad = "    " * depth
        lines = []
        fixed = dict(ctx.fixed)
        ranges = dict(ctx.ranges)
        heads = []
        for lp in block.loops:
            name = g.safe(lp.var.name)
            while name in {g.pyname(n) for n in self.program.tensors} or \
                    name in g.size_names.values():
                name += "_"
            fixed[lp.var] = name
            ranges[lp.var] = (lp.lo, lp.hi)
            lo = g.int_code(lp.lo, ctx)
            hi = g.int_code(lp.hi, ctx)
            if lp.reverse:
                heads.append(f"for {name} in range({hi}, {g.int_code(lp.lo - 1, ctx)}, -1):")
            else:
                heads.append(f"for {name} in range({lo}, {g.int_code(lp.hi + 1, ctx)}):")
        inner = Ctx((), ranges, fixed, dict(ctx.slices))
        local = self.step_locals.get(id(block), {}) if not plan.cell else {}
        if local:
            # tensors used only within one step: a local array per step
            rebind = set(rebind)
            for n, (axis, first) in local.items():
                inner.slices[n] = (axis, {0: f"{g.pyname(n)}_{fixed[block.loops[0].var]}"})
                rebind.add(first)
        if plan.cell and len(block.loops) == 1 and not ctx.fixed:
            cell = self._cell(em, g, block, inner, once, plan)
            if cell is not None:
                call, cell_code = cell
                self.cells.append(cell_code)
                lines.append(pad + f"# the recurrence, one step at a time: "
                                   f"for {block.loops[0].var} in "
                                   f"{g.int_code(block.loops[0].lo, ctx)}.."
                                   f"{g.int_code(block.loops[0].hi, ctx)}")
                lines.append(pad + heads[0])
                lines += [pad + "    " + l for l in call]
                return lines
        for k, h in enumerate(heads):
            lines.append(pad + "    " * k + h)
        lines += self._items(em, g, block.body, inner, once, rebind, plan,
                             depth + len(heads))
        return lines

    def _cell(self, em, g, block, ctx, once, plan):
        """The block's body as `cell(...)`: the step function of the recurrence."""
        t = block.loops[0].var
        tname = ctx.fixed[t]
        body = block.body
        if any(isinstance(it, Block) for it in body):
            return None
        written = []
        for st in body:
            if st.target_name not in written:
                written.append(st.target_name)

        def axis(name, r):
            for k, e in enumerate(ref_indices(r)):
                if t in e.free_symbols:
                    aff = affine(e, [t])
                    if aff is None or aff[1].get(t) != 1:
                        return None
                    return k, int(sp.expand(e - t))
            return None
        # every written tensor: written at step t along one axis, with `=` first
        w_axis = {}
        for st in body:
            a = axis(st.target_name, st.target)
            if a is None or a[1] != 0:
                return None
            if w_axis.setdefault(st.target_name, a[0]) != a[0]:
                return None
        seen = set()
        for st in body:
            for r in st.reads():
                x = ref_name(r)
                if x in w_axis and x not in seen:
                    a = axis(x, r)
                    if a is None or a[1] == 0:
                        return None           # read before written at this step
            if st.op != "=" and st.target_name not in seen:
                pass
            seen.add(st.target_name)
        # arguments: slices read at other steps, tensors read at this step, the rest
        args, slices = [], {}

        def local(x, off):
            base = g.pyname(x)
            return {0: f"{base}_{tname}", -1: f"{base}_prev", 1: f"{base}_next"}.get(
                off, f"{base}_{tname}{off:+d}".replace("+", "p").replace("-", "m"))
        for st in body:
            for r in st.reads():
                x = ref_name(r)
                if isinstance(r, TensorScalar):
                    if x not in args:
                        args.append(x)
                    continue
                a = axis(x, r)
                if a is None:
                    if (x, None) not in args:
                        args.append((x, None))
                    continue
                k, off = a
                slices.setdefault(x, (k, {}))
                if slices[x][0] != k:
                    return None
                if off not in slices[x][1]:
                    slices[x][1][off] = local(x, off)
                    if not (x in w_axis and off == 0):
                        args.append((x, off))
        for x in written:
            slices.setdefault(x, (w_axis[x], {}))
            slices[x][1].setdefault(0, local(x, 0))
        cctx = Ctx((), ctx.ranges, ctx.fixed, slices)

        def rank(a):                 # the state carried in first, then this step's inputs
            if isinstance(a, str) or a[1] is None:
                return 2
            return 0 if a[1] != 0 else 1
        args.sort(key=rank)
        sig = []
        for a in args:
            if isinstance(a, str):
                sig.append(g.pyname(a))
            elif a[1] is None:
                sig.append(g.pyname(a[0]))
            else:
                sig.append(slices[a[0]][1][a[1]])
        # cell body: a local array per written tensor, bound by its first full write
        body_lines, bound, alloc = [], set(), []
        for st in body:
            body_lines.append("# " + format_statement(st, self.program.indices))
            x = st.target_name
            info = self.program.tensors[x]
            k = slices[x][0]
            loops = {lp.var: lp for lp in st.loops}
            full = all(e in loops and (loops[e].lo, loops[e].hi) == tuple(info.ranges[j])
                       for j, e in enumerate(ref_indices(st.target)) if j != k) and \
                all(_is_zero(a) and _is_zero(b) for j, (a, b) in
                    enumerate(g.layouts[x].pads) if j != k)
            sub = Ctx(tuple(lp.var for lp in st.loops),
                      {**cctx.ranges, **{lp.var: (lp.lo, lp.hi) for lp in st.loops}},
                      cctx.fixed, slices)
            same_step = any(ref_name(r) == x and axis(x, r) == (k, 0) for r in st.reads())
            rebind = x not in bound and full and not same_step
            if x not in bound and not rebind:
                alloc.append(x)
            bound.add(x)
            body_lines += em.statement(st, sub, st.op if not rebind or st.op != "+=" else "=",
                                       rebind)
        used = set()
        for l in body_lines:
            used |= {n for n in g.size_names.values() if _mentions(l, n)}
        for x in alloc:
            info = self.program.tensors[x]
            shape = g.shape_code(g.layouts[x], cctx, drop=slices[x][0])
            used |= {n for n in g.size_names.values() if _mentions(shape, n)}
        sizes = [n for n in g.size_names.values() if n in used]
        syms = sorted({g.symbol_name(s) for st in body for s in st.rhs.free_symbols
                       if s.name in g.symbols and not isinstance(s, TensorScalar)})
        params = sig + sizes + syms
        doc = [f"One step {tname} of the recurrence: the body of the loop over {t}.", ""]
        for a in args:
            if isinstance(a, str) or a[1] is None:
                nm = a if isinstance(a, str) else a[0]
                doc.append(f"{g.pyname(nm)}: {_shape_text(self.program.tensors[nm])}")
            else:
                nm, off = a
                info = self.program.tensors[nm]
                doc.append(f"{slices[nm][1][off]}: {nm} at step "
                           f"{format_statement_index(t, off)}, "
                           f"{_shape_text(info, drop=slices[nm][0])}")
        doc.append("returns this step's " + ", ".join(written))
        cl = [f"def cell({', '.join(params)}):", _indent(_docstring("\n".join(doc)), 1)]
        for x in alloc:
            info = self.program.tensors[x]
            nm = slices[x][1][0]
            if len(info.axes) == 1:
                cl.append(f"    {nm} = 0.0")
            else:
                cl.append(f"    {nm} = np.zeros("
                          f"{g.shape_code(g.layouts[x], cctx, drop=slices[x][0])})")
        cl += ["    " + l for l in body_lines]
        cl.append("    return " + ", ".join(slices[x][1][0] for x in written))
        # the call, once per step
        call_args = []
        for a in args:
            if isinstance(a, str):
                call_args.append(g.pyname(a))
            elif a[1] is None:
                call_args.append(g.pyname(a[0]))
            else:
                x, off = a
                call_args.append(self._slice_code(g, x, slices[x][0], t + off, ctx))
        call_args += sizes + syms
        targets = [self._slice_code(g, x, slices[x][0], t, ctx) for x in written]
        call = _wrap_call(targets, "cell", call_args)
        return call, "\n".join(cl)

    def _slice_code(self, g, x, axis, e, ctx) -> str:
        lay = g.layouts[x]
        parts = [":"] * len(lay.ranges)
        parts[axis] = g.int_code(lay.pos(axis, e), ctx)
        return f"{lay.name}[{', '.join(parts)}]"


def _mentions(code: str, name: str) -> bool:
    import re
    return re.search(rf"(?<![\w.]){re.escape(name)}(?!\w)", code) is not None


def _wrap_call(targets, fn, args, width=88) -> list:
    """`a, b = fn(x, y)`, wrapped to lines of about `width` characters."""
    one = f"{', '.join(targets)} = {fn}({', '.join(args)})"
    if len(one) + 8 <= width:
        return [one]
    lines, cur = [], "("
    for k, t in enumerate(targets):
        piece = t + (", " if k < len(targets) - 1 else f") = {fn}(")
        if len(cur) + len(piece) > width - 8 and cur.strip("( "):
            lines.append(cur.rstrip())
            cur = " "
        cur += piece
    for k, a in enumerate(args):
        piece = a + (", " if k < len(args) - 1 else ")")
        if len(cur) + len(piece) > width - 8:
            lines.append(cur.rstrip())
            cur = "        "
        cur += piece
    lines.append(cur)
    return lines


def format_statement_index(t, off) -> str:
    return str(t) if off == 0 else f"{t}{off:+d}".replace("+", " + ").replace("-", " - ")


def _indent(text: str, n: int) -> str:
    return "\n".join(("    " * n + l) if l else l for l in text.split("\n"))


def _docstring(text: str) -> str:
    text = text.replace('"""', "'''").replace("\\", "\\\\")
    lines = text.strip("\n").split("\n")
    if len(lines) == 1:
        return f'"""{lines[0]}"""'
    return '"""' + lines[0] + "\n" + "\n".join(lines[1:]) + '\n"""'


def _statements(items):
    return [st for st, _ in _walk(items)]


def _walk(items, outer=()):
    for it in items:
        if isinstance(it, Block):
            yield from _walk(it.body, tuple(outer) + tuple(it.loops))
        else:
            yield it, tuple(outer)


def _shape_text(info, drop=None) -> str:
    if not info.axes:
        return "a scalar"
    dims = []
    for k, (lo, hi) in enumerate(info.ranges):
        if k == drop:
            continue
        dims.append(str(sp.expand(hi - lo + 1)))
    return f"array of shape ({', '.join(dims)}{',' if len(dims) == 1 else ''})"


# --------------------------------------------------------------------------
# the module
# --------------------------------------------------------------------------


def _forward_inputs(program: Program) -> list:
    written = set(program.written())
    out = []
    for st in program.statements():
        for r in st.reads():
            n = ref_name(r)
            if n not in written and n not in out:
                out.append(n)
    return [n for n in program.tensors if n in out]


def choose_backward(spec) -> tuple[Backward, str]:
    """The backward program of the first backprop/gradient part over the whole program
    (else the first such part, else from the final outputs to every parameter and input)."""
    from .solve import tidy
    parts = [p for p in spec.parts.values() if p.kind in ("backprop", "gradient")]
    whole = [p for p in parts if not p.args.get("through")]
    if whole:
        p = whole[0]
        bw = derive_backward(spec.program, p.args["from"], p.args["to"], None,
                             p.args.get("average_over"))
        label = f"part {p.label}"
    else:
        from .cost import backward_of
        bw = backward_of(spec.program)
        label = "from the final outputs to every parameter and input"
    tidy(bw.program)
    return bw, label


def export(spec, backward: bool = True, target: str = "numpy", bw: Backward | None = None) -> str:
    """The NumPy module of a problem's program (and its backward program)."""
    if target not in TARGETS:
        raise CodegenError(f"unknown target {target!r} (targets: {', '.join(TARGETS)})")
    prog = spec.program
    label = ""
    if backward and bw is None:
        bw, label = choose_backward(spec)
    return export_program(prog, bw if backward else None, spec.id, spec.title,
                          getattr(spec, "source", ""), label)


def export_program(prog: Program, bw: Backward | None = None, ident: str = "program",
                   title: str = "", source: str = "", label: str = "") -> str:
    tensors = prog.tensors
    writer = ModuleWriter(bw.program if bw is not None else prog)
    fin = _forward_inputs(prog)
    computed = [n for n in prog.written()]
    fplan = FunctionPlan("forward", "", list(prog.items), fin,
                         [(n, n) for n in computed], set(fin), cell=True)
    fdoc = ["Run the forward program.", ""]
    for n in fin:
        fdoc.append(f"{writer.program.tensors[n].name}: {_shape_text(tensors[n])} "
                    f"({tensors[n].role}){_axis_note(tensors[n])}")
    fdoc.append("returns {name: array} for " + ", ".join(computed))
    fplan.doc = "\n".join(fdoc)
    functions = [writer.write_function(fplan)]
    if bw is not None:
        bprog = bw.program
        sources = [grad_name(s) for s in bw.sources]
        bin_ = []
        for st in bprog.statements():
            for r in st.reads():
                n = ref_name(r)
                written = set(bprog.written())
                if n not in bin_ and (n not in written or n in sources):
                    bin_.append(n)
        bin_ = [n for n in bin_ if not is_grad_name(n)] + [n for n in sources if n in bin_] + \
            [n for n in sources if n not in bin_]
        outputs = [(t, grad_name(t)) for t in bw.targets]
        bplan = FunctionPlan("backward", "", list(bprog.items), bin_, outputs, set(bin_))
        bdoc = ["Run the backward program: the gradients of "
                + ", ".join(bw.targets) + f" from {', '.join(sources)}.", ""]
        for n in bin_:
            info = bprog.tensors[n]
            what = "given gradient" if is_grad_name(n) else info.role
            bdoc.append(f"{writer_name(n)}: {_shape_text(info)} ({what}){_axis_note(info)}")
        bdoc.append("returns {name: gradient} for " + ", ".join(bw.targets))
        bplan.doc = "\n".join(bdoc)
        functions.append(writer.write_function(bplan))
    head = [f"{ident}: {title}".rstrip(": "), "",
            "NumPy code exported by derive (`derive code "
            f"{ident}{' --backward' if bw is not None else ''}`)."]
    if source:
        head.append(f"Source: {source}")
    head += ["", "Index ranges: " + ", ".join(f"{n} in {sp.sstr(lo)}..{sp.sstr(hi)}"
                                             for n, (lo, hi) in prog.indices.items()), "",
             "The forward program:"]
    head += ["    " + l for l in format_items(prog.items, prog.indices)]
    if bw is not None:
        head += ["", f"The backward program (derived by derive{', ' + label if label else ''}):"]
        head += ["    " + l for l in format_items(bw.program.items, prog.indices)]
    head += ["", "Arrays are float64 NumPy arrays; an index range lo..hi is stored at "
                 "positions 0..hi-lo.", "Out-of-range reads are zero."]
    parts = [_docstring("\n".join(head)), "", "import numpy as np", ""]
    for name in ("sigma", "relu", "step", "_pad", "_view", "_index"):
        if name in writer.helpers:
            parts += ["", HELPERS[name], ""]
    for name in sorted(writer.stand_ins):
        parts += ["", _stand_in(name), ""]
    for c in writer.cells:
        parts += ["", c, ""]
    for f in functions:
        parts += ["", f, ""]
    return "\n".join(parts).rstrip() + "\n"


def python_name(program: Program, tensor: str) -> str:
    """The Python name an exported module gives a tensor (`x.grad` -> `x_grad`)."""
    return Generator(program, set(), set()).pyname(tensor)


def writer_name(n: str) -> str:
    return n.replace(".", "_")


def _axis_note(info) -> str:
    if not info.axes:
        return ""
    notes = []
    for a, (lo, hi) in zip(info.axes, info.ranges):
        if lo != 0:
            notes.append(f"{a} = {sp.sstr(lo)}..{sp.sstr(hi)} at positions 0..{sp.sstr(hi - lo)}")
    return ", indexed [" + ", ".join(info.axes) + "]" + (
        "; " + "; ".join(notes) if notes else "")
