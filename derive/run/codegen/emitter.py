
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

The calls NumPy and torch spell differently come from the target's dialect
(dialect.py).  Nothing here evaluates text: the module is printed from the SymPy IR, and it
is only imported by tests and benchmarks.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import sympy as sp
from sympy import Indexed
from sympy.printing.str import StrPrinter

from derive.core.errors import DeriveError
from derive.core.functions import ind
from derive.core.program import REDUCTIONS
from derive.core.program import (affine, Statement, TensorScalar, format_statement, ref_indices,
                                 ref_name)
from derive.core.functions import NUMPY
from derive.run.codegen.helpers import HELPERS, _stand_in  # noqa: F401 (re-exported)
from derive.run.codegen.dialect import TARGETS  # noqa: F401 (re-exported)


class CodegenError(DeriveError):
    pass


NP_CODE = {f: code for f, (_, code) in NUMPY.items()}     # function -> NumPy code
NP_CONSTANTS = {sp.pi: "np.pi", sp.E: "np.e"}             # constants -> NumPy code

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

    def __init__(self, gen):
        self.g = gen
        self.pre: list = []       # lines a statement needs first (copies made once)

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
        return Arr(self.g.d.transpose(arr.code, perm), order, ATOM, arr.fresh)

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
        if e.is_NumberSymbol:
            return Arr(self.g.d.constant(NP_CONSTANTS.get(e, repr(float(e)))), (), ATOM)
        if e.is_Symbol:
            return self.symbol(e, ctx)
        if e.is_Add:
            return self.add(list(e.args), ctx)
        if e.is_Mul:
            return self.mul(list(e.args), ctx)
        if e.is_Pow:
            return self.power(e, ctx)
        fn = NP_CODE.get(type(e))
        if fn is not None:
            fn = self.g.d.function(fn)
            if fn in self.g.d.helpers:
                self.g.use(fn)
            args = [self.expr(a, ctx) for a in e.args]
            lay = self.layout_of(set().union(*[set(a.axes) for a in args]), ctx)
            if len(args) == 1:
                return Arr(self.g.d.call(fn, args[0].code, not lay), lay, ATOM)
            text = ", ".join(self.opnd(a, lay, 0) for a in args)
            return Arr(f"{fn}({text})", lay, ATOM)
        if isinstance(e, ind):
            rel = e.args[0]
            a, b = self.expr(rel.lhs, ctx), self.expr(rel.rhs, ctx)
            lay = self.layout_of(set(a.axes) | set(b.axes), ctx)
            return Arr(self.g.d.indicator(
                f"{self.opnd(a, lay, ADD)} {rel.rel_op} {self.opnd(b, lay, ADD)}"), lay, MUL)
        if isinstance(e, sp.KroneckerDelta):
            a, b = self.expr(e.args[0], ctx), self.expr(e.args[1], ctx)
            lay = self.layout_of(set(a.axes) | set(b.axes), ctx)
            return Arr(self.g.d.indicator(f"{self.opnd(a, lay, ADD)} == {self.opnd(b, lay, ADD)}"),
                       lay, MUL)
        if isinstance(e, sp.Derivative):
            f = e.expr
            if isinstance(f, sp.core.function.AppliedUndef) and len(f.args) == 1:
                self.g.use_stand_in(f.func.__name__)
                a = self.expr(f.args[0], ctx)
                return Arr(f"{self.g.function_name(f.func.__name__)}_prime({a.code})", a.axes,
                           ATOM)
        if isinstance(e, sp.core.function.AppliedUndef) and e.func.__name__.endswith("'"):
            # f'(u), the chain rule's name for a declared function's derivative: the
            # stand-in's derivative, as the executor runs it (a prime is no Python name)
            base = e.func.__name__[:-1]
            if base.endswith("'") or len(e.args) != 1:
                raise CodegenError(f"no NumPy form for {e.func.__name__}: only a first "
                                   "derivative of a declared function of one argument")
            self.g.use_stand_in(base)
            a = self.expr(e.args[0], ctx)
            return Arr(f"{self.g.function_name(base)}_prime({a.code})", a.axes, ATOM)
        if isinstance(e, sp.core.function.AppliedUndef):
            self.g.use_stand_in(e.func.__name__)
            args = [self.expr(a, ctx) for a in e.args]
            lay = self.layout_of(set().union(*[set(a.axes) for a in args]), ctx)
            name = self.g.function_name(e.func.__name__)
            terms = " + ".join(f"{name}({self.opnd(a, lay, 0)})" for a in args)
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
            return Arr(self.g.d.call(self.g.d.function("np.sqrt"), b.code, not b.axes),
                       b.axes, ATOM)
        if ex == -sp.S.Half:
            root = self.g.d.call(self.g.d.function("np.sqrt"), b.code, not b.axes)
            return Arr(f"1 / {root}", b.axes, MUL)
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
        return Arr(self.g.d.einsum(spec, ', '.join(a.code for a in arrs)), out_axes, ATOM)

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
            # `@` binds like `*`: as ADD, a factor y * (w @ m.T) keeps its brackets
            return Arr(f"{pa.wrap(MUL + 1)} @ {pb.wrap(MUL + 1)}", tuple(fa + fb), ADD)
        n = len(S)
        if len(fa) == len(fb) == 1 and tuple(A.axes[:n]) == tuple(B.axes[:n]):
            # summed over the leading axes of both (a weight gradient over b and t):
            # one matrix product of the arrays flattened to (b t) rows
            rows = self.int_code(self.count_code(S, ctx), ctx)
            ca = self.int_code(self.count_code(fa, ctx), ctx)
            cb = self.int_code(self.count_code(fb, ctx), ctx)
            return Arr(f"{self.rows(A, rows, ca, ctx)}.T @ {self.rows(B, rows, cb, ctx)}",
                       (fa[0], fb[0]), ADD)
        ia = ", ".join(str(A.axes.index(v)) for v in S)
        ib = ", ".join(str(B.axes.index(v)) for v in S)
        return Arr(self.g.d.tensordot(A.code, B.code, ia, ib),
                   tuple(fa + fb), ATOM)

    # ---- statements --------------------------------------------------------

    def statement(self, st: Statement, ctx: Ctx, op: str, rebind: bool = False) -> list:
        """Lines for one statement (after the copies it makes once, see `rows`)."""
        self.pre = []
        lines = self._statement(st, ctx, op, rebind)
        lay = self.g.layouts.get(st.target_name)
        name = lay.name if lay is not None else self.g.pyname(st.target_name)
        for code in [c for c, (_, base) in self.g.hoisted.items() if base == name]:
            del self.g.hoisted[code]          # written: the copy is stale
        return self.pre + lines

    def rows(self, arr: Arr, rows: str, cols: str, ctx: Ctx) -> str:
        """arr flattened to `rows` rows.  Flattening a strided view copies it: outside
        a Python loop the copy is made once and kept for every product that reads it
        (until the tensor is written)."""
        code = f"{arr.wrap(POSTFIX)}.reshape({rows}, {cols})"
        base = arr.code.split("[", 1)[0]
        if ctx.fixed or arr.fresh or "[" not in arr.code or not base.isidentifier():
            return code
        if code not in self.g.hoisted:
            self.g.hoisted[code] = (self.g.fresh_name(base + "_rows"), base)
            self.pre.append(f"{self.g.hoisted[code][0]} = {code}")
        return self.g.hoisted[code][0]

    def _statement(self, st: Statement, ctx: Ctx, op: str, rebind: bool = False) -> list:
        """Lines for one statement, vectorized over ctx.grid.

        op is the statement's `=`, `+=`, `-=`, or `=-` (a `-=` into zeros);
        `rebind` binds the target's name to the value (its only, full write)."""
        name = st.target_name
        tidx = ref_indices(st.target)
        target_vars = set().union(*[e.free_symbols for e in tidx]) if tidx else set()
        V = {v for v in ctx.grid if v not in target_vars}
        if st.op == "=" and V:
            raise CodegenError(f"`{format_statement(st)}` sums with `=`")
        value = self.reduce(st.rhs, V, ctx) if V and st.op not in REDUCTIONS else \
            self.expr(st.rhs, ctx)
        pos = [k for k, v in enumerate(value.axes) if v in V]
        if st.op in REDUCTIONS and pos:      # m[b, j] = max_k h[b, k, j]: np.max over k
            value = Arr(self.g.d.reduction(REDUCTIONS[st.op], value.code, tuple(pos)),
                        tuple(v for v in value.axes if v not in V), ATOM)
        op = "=" if st.op in REDUCTIONS else op
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
            if not V and st.rhs.is_Add and st.op not in REDUCTIONS else None
        if split:
            lines = split
        elif rebind and set(value.axes) == set(order):
            line = f"{code} = {vcode}" + ("" if (val.fresh or negate) else self.g.d.copy)
        elif rebind:
            drop = ctx.slices[name][0] if name in ctx.slices else None
            line = f"{code} = " + self.g.d.broadcast_copy(
                vcode, self.g.shape_code(lay, ctx, drop=drop))
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
        if self.g.d.name == "torch":
            self.g.use("_add_at")
        return [self.g.d.add_at(lay.name, ', '.join(idx_codes), vcode)]


def _negative(t) -> bool:
    c, _ = t.as_coeff_Mul()
    return bool(c.is_negative)


# --------------------------------------------------------------------------
