"""The NumPy executor: runs any loop program for concrete sizes, vectorized.

Each statement is evaluated over the grid of its loop indices at once
(broadcasting, gathers with masks for shifted reads, sums over the indices
the target does not have, `np.add.at` for shifted writes).  Only a real
dependence is run in a Python loop: a block (`for t in 1..T:`) runs its body
for each t in order, and a statement that reads its own target at a shifted
index (a recurrence) runs along that index.
"""
from __future__ import annotations

import numpy as np
import sympy as sp
from sympy import Indexed

from derive.core.errors import LimitError
from derive.core.limits import preflight
from derive.core.limits import allocate
from derive.core.functions import NUMPY, ind
from derive.core.program import Block, Program, Statement, TensorScalar, ref_indices, ref_name
from derive.core.program import REDUCTIONS, assigns, under_roots
from derive.core.errors import ExecutionError
from derive.core.program import tensor_layout

MAX_GRID = 20_000_000          # elements of one statement's iteration grid


def stand_in(u):
    """The concrete function an undefined function (a loss L) is run as."""
    return np.sin(u) + 0.5 * u * u


def stand_in_prime(u):
    return np.cos(u) + u










class Executor:
    def __init__(self, program: Program, sizes: dict, symbol_values: dict | None = None,
                 max_grid: int = MAX_GRID, dtype=float):
        self.program = program
        self.sizes = {str(k): int(v) for k, v in sizes.items()}
        self.size_subs = {sp.Symbol(k, integer=True, positive=True): sp.Integer(v)
                          for k, v in self.sizes.items()}
        self.symbol_values = dict(symbol_values or {})
        self.layouts = {}
        self.max_grid = max_grid
        self.env: dict = {}
        # Statements are planned and expressions compiled once per sizes and symbol
        # values, shared by every executor with the same: a check runs the same
        # statements in many programs (the reference, the answer, their variants).
        self.dtype = dtype              # complex for a complex-step derivative
        self._key = (dtype, tuple(sorted(self.sizes.items())),
                     tuple(sorted(self.symbol_values.items())), max_grid)
        try:
            hash(self._key)
        except TypeError:               # array-valued symbols: this executor's own
            self._key = ("own", id(self))
        if self._key not in _CONTEXTS:
            if len(_CONTEXTS) >= 32:
                _CONTEXTS.pop(next(iter(_CONTEXTS)))
            _CONTEXTS[self._key] = {}
        self._compiled = _CONTEXTS[self._key]   # SymPy expression -> f(executor, grid)

    # ---- tensors -----------------------------------------------------------

    def layout(self, name):
        if name not in self.layouts:
            info = self.program.tensors.get(name)
            if info is None:
                raise ExecutionError(f"unknown tensor {name!r}")
            self.layouts[name] = tensor_layout(info, self.sizes)
        return self.layouts[name]

    def array(self, name):
        if name not in self.env:
            shape, _ = self.layout(name)
            if int(np.prod(shape, dtype=object)) > self.max_grid:
                raise LimitError(f"{name} would have {'x'.join(map(str, shape))} elements; "
                                 f"the limit is {self.max_grid}")
            allocate(8 * int(np.prod(shape, dtype=np.int64)), name)
            self.env[name] = np.zeros(shape, dtype=self.dtype)
        return self.env[name]

    def int_of(self, e) -> int:
        v = (sp.Integer(e) if isinstance(e, int) else e).xreplace(self.size_subs)
        if not v.is_Integer:
            raise ExecutionError(f"cannot evaluate the bound {e} for sizes {self.sizes}")
        return int(v)

    # ---- running -----------------------------------------------------------
    #
    # Each statement is planned once per sizes and symbol values (its loop grids, its
    # sequential loop, its right-hand side compiled to a closure over NumPy), shared by
    # every executor: a block runs the same statements for every t, and walking SymPy
    # trees again each time would cost more than the arithmetic.

    def run(self, items=None, fixed=None):
        whole = items is None
        items = self.program.items if items is None else items
        fixed = dict(fixed or {})
        for it in items:
            if isinstance(it, Block):
                self.run_block(it, fixed)
            else:
                self.run_statement(it, fixed)
        if whole:       # a tensor only empty loops write (for t in 2..T at T = 1) is zero
            for name in self.program.written():
                self.array(name)
        return self.env

    def loop_values(self, loop):
        lo, hi = self.int_of(loop.lo), self.int_of(loop.hi)
        if hi - lo + 1 > self.max_grid:
            raise LimitError(f"the loop over {loop.var} runs {hi - lo + 1} times; "
                             f"the limit is {self.max_grid}")
        values = range(lo, hi + 1)
        return list(reversed(values)) if loop.reverse else list(values)

    def run_block(self, block: Block, fixed):
        values = [(lp.var, self.loop_values(lp)) for lp in block.loops]

        def rec(k, fx):
            if k == len(values):
                self.run(block.body, fx)
                return
            var, vals = values[k]
            for v in vals:
                rec(k + 1, {**fx, var: v})
        rec(0, fixed)

    def run_statement(self, st: Statement, fixed):
        plan = self._plan(st)
        if plan.sequential is not None:
            var, values, inner = plan.sequential
            for v in values:
                self.run_statement(inner, {**fixed, var: v})
            return
        self._execute(plan, fixed)

    def _plan(self, st: Statement) -> "_Plan":
        # kept on the statement (statements are never changed in place, only replaced)
        plans = st.__dict__.setdefault("_plans", {})
        plan = plans.get(self._key)
        if plan is None:
            if len(plans) >= 8:
                plans.clear()
            plan = plans[self._key] = _Plan(st, self)
        return plan

    def sequential_loops(self, st: Statement):
        """A loop index along which the statement depends on itself, in run order: one
        that shifts a read of its own target, or, for `=`, one its target does not have
        while it reads its target (each step reads what the one before wrote)."""
        tname = st.target_name
        tidx = ref_indices(st.target)
        own = {lp.var: lp for lp in st.loops}
        if st.op == "=" and any(ref_name(r) == tname for r in st.reads()):
            tvars = set().union(*[i.free_symbols for i in tidx]) if tidx else set()
            for lp in st.loops:
                if lp.var not in tvars:
                    return lp, self.loop_values(lp)
        for r in st.reads():
            if ref_name(r) != tname or ref_indices(r) == tidx:
                continue
            for w, rd in zip(tidx, ref_indices(r)):
                if w == rd:
                    continue
                for var in (w.free_symbols & set(own)):
                    lp = own[var]
                    values = self.loop_values(lp)
                    delta = sp.simplify(rd - w)
                    if delta.is_Number:
                        values = sorted(values, reverse=bool(delta > 0))
                    return lp, values
        return None

    def _execute(self, plan: "_Plan", fixed):
        if plan.total == 0:
            return
        grid = dict(plan.grid)
        grid.update(fixed)
        value = np.asarray(plan.rhs(self, grid), dtype=self.dtype)
        self._write(plan, value, grid)

    def _write(self, plan: "_Plan", value, grid):
        arr = self.array(plan.name)
        op, shape = plan.op, plan.shape
        if op in REDUCTIONS:
            value, op = self._reduced(plan, value), "="
        if not plan.tidx:
            if op == "=":           # the last write stays
                arr[...] = np.broadcast_to(value, shape).reshape(-1)[-1] if value.ndim \
                    else value
                return
            # a broadcast value repeats along its size-1 axes
            total = value.sum() * (plan.total / value.size) if value.ndim else value
            arr[...] += plan.sign * total
            return
        nd = len(shape)
        value = value.reshape((1,) * (nd - value.ndim) + value.shape) if value.ndim < nd else value
        if op != "=" and plan.op not in REDUCTIONS:
            for k in plan.summed:
                if value.shape[k] == 1:
                    value = value * shape[k]
                else:
                    value = value.sum(axis=k, keepdims=True)
        layout = self.layout(plan.name)
        if plan.direct is not None and self._write_direct(plan, arr, value, grid, layout):
            return
        red_shape = plan.red_shape
        key, refs = _grid_key(plan.index_vars, grid, layout)
        hit = plan.positions.get(key) if key is not None else None
        if hit is None:
            idx = []
            for f, off in zip(plan.tidx, layout[1]):
                i = np.asarray(f(self, grid), dtype=np.int64) - off
                i = i.reshape((1,) * (nd - i.ndim) + i.shape) if i.ndim < nd else i
                idx.append(np.broadcast_to(i, red_shape))
            valid = None
            for i, n in zip(idx, arr.shape):
                ok = (i >= 0) & (i < n)
                if not ok.all():
                    valid = ok if valid is None else valid & ok
            if valid is not None:
                if plan.strict:
                    self._outside(plan, [np.asarray(i)[~valid].ravel()[0] + off
                                         for i, off in zip(idx, layout[1])], layout)
                idx = [i[valid] for i in idx]
            idx = tuple(idx)
            flat = np.ravel_multi_index(idx, arr.shape) if arr.size else np.zeros(0, int)
            flat = np.sort(flat, axis=None)
            unique = not np.any(flat[1:] == flat[:-1])     # then += needs no np.add.at
            hit = (idx, valid, unique, refs)
            if key is not None:
                if len(plan.positions) > 256:
                    plan.positions.clear()
                plan.positions[key] = hit
        idx, valid, unique, _ = hit
        value = np.broadcast_to(value, red_shape)
        if valid is not None:
            value = value[valid]
        if op == "=":
            arr[idx] = value
        elif unique:
            arr[idx] += plan.sign * value
        else:
            np.add.at(arr, idx, plan.sign * value)

    def _outside(self, plan: "_Plan", at: list, layout):
        info = self.program.tensors[plan.name]
        ranges = ", ".join(f"{info.axes[k]} in {off}..{off + n - 1}"
                           for k, (off, n) in enumerate(zip(layout[1], layout[0])))
        where = f"line {plan.line}: " if plan.line else ""
        raise ExecutionError(f"{where}the program writes {plan.name}"
                             f"[{', '.join(str(int(v)) for v in at)}], outside its shape "
                             f"({ranges}) at the sizes "
                             f"{', '.join(f'{k}={v}' for k, v in self.sizes.items())}")

    def _write_direct(self, plan: "_Plan", arr, value, grid, layout) -> bool:
        """The write as a slice assignment, when every target index is a loop variable
        (each once) or a value fixed by an enclosing block: no index arrays, no masks.
        False when a loop runs past the axis (the general path masks it)."""
        idx = []
        for d, off, n in zip(plan.direct, layout[1], arr.shape):
            if d[0] == "loop":
                a, b = d[2] - off, d[3] - off
                if a < 0 or b >= n:
                    return False
                idx.append(slice(b, a - 1 if a > 0 else None, -1) if d[4] else slice(a, b + 1))
            else:
                i = int(d[1](self, grid)) - off
                if i < 0 or i >= n:
                    if plan.strict:
                        return False        # the general path names the element
                    return True             # written outside the tensor: nothing to write
                idx.append(i)
        v = value.reshape([value.shape[k] for k in plan.kept]).transpose(plan.perm)
        if assigns(plan.op):
            arr[tuple(idx)] = v
        else:
            arr[tuple(idx)] += plan.sign * v
        return True

    def _reduced(self, plan: "_Plan", value):
        """The max (min) of a reduction statement's values over the loops its target
        lacks (np.max over those axes, kept as axes of length 1).  A value that does not
        vary along such an axis is its own max.  Out-of-range reads are zeros among the
        candidates, as they are in a sum."""
        nd = len(plan.shape)
        value = value.reshape((1,) * (nd - value.ndim) + value.shape) if value.ndim < nd \
            else value
        axes = tuple(k for k in plan.summed if value.shape[k] > 1)
        if not axes:
            return value
        fn = np.max if REDUCTIONS[plan.op] == "max" else np.min
        return fn(value, axis=axes, keepdims=True)

    # ---- expressions -------------------------------------------------------

    def compile(self, e):
        """`e` as a function f(executor, grid) of the grid (loop variable -> int or
        index array); the executor gives the tensors."""
        f = self._compiled.get(e)
        if f is None:
            f = self._compiled[e] = self._compile(e)
        return f

    def _compile(self, e):
        if isinstance(e, Indexed):
            return self._gather(e)
        if isinstance(e, TensorScalar):
            name = e.name
            return lambda ex, grid: ex.array(name)[()]
        if e.is_Symbol:
            if e in self.size_subs:
                const = int(self.size_subs[e])
            elif e.name in self.symbol_values:
                const = self.symbol_values[e.name]
            else:
                def missing(ex, grid):
                    if e in grid:
                        return grid[e]
                    raise ExecutionError(f"no value for the symbol {e.name!r}")
                return missing
            return lambda ex, grid: grid[e] if e in grid else const
        if e.is_Number or e.is_NumberSymbol:          # 3, 3/2, pi, e
            const = int(e) if e.is_Integer else float(e)
            return lambda ex, grid: const
        if e.is_Add or e.is_Mul:
            fs = [self.compile(a) for a in e.args]
            first, rest = fs[0], fs[1:]
            if e.is_Add:
                def add(ex, grid):
                    out = first(ex, grid)
                    for f in rest:
                        out = out + f(ex, grid)
                    return out
                return add

            def mul(ex, grid):
                out = first(ex, grid)
                for f in rest:
                    out = out * f(ex, grid)
                return out
            return mul
        if e.is_Pow:
            base = self.compile(e.base)
            p = e.exp
            if p == sp.S.Half:
                return lambda ex, grid: np.sqrt(np.asarray(base(ex, grid), dtype=ex.dtype))
            if p.is_Integer:
                k = int(p)
                if k >= 0:
                    return lambda ex, grid: np.asarray(base(ex, grid), dtype=ex.dtype) ** k
                return lambda ex, grid: 1.0 / np.asarray(base(ex, grid), dtype=ex.dtype) ** (-k)
            power = self.compile(p)
            return lambda ex, grid: (np.asarray(base(ex, grid), dtype=ex.dtype)
                                 ** np.asarray(power(ex, grid), dtype=ex.dtype))
        fn = NUMPY.get(type(e), (None,))[0]
        if fn is not None:
            fs = [self.compile(a) for a in e.args]
            return lambda ex, grid: fn(*[f(ex, grid) for f in fs])
        if isinstance(e, ind):
            rel = e.args[0]
            lhs, rhs, cmp = self.compile(rel.lhs), self.compile(rel.rhs), _RELS[rel.rel_op]
            return lambda ex, grid: np.asarray(cmp(lhs(ex, grid), rhs(ex, grid))).astype(float)
        if isinstance(e, sp.KroneckerDelta):
            a, b = (self.compile(x) for x in e.args)
            return lambda ex, grid: (np.asarray(a(ex, grid))
                                     == np.asarray(b(ex, grid))).astype(float)
        if isinstance(e, sp.Derivative):
            f_ = e.expr
            if isinstance(f_, sp.core.function.AppliedUndef) and len(e.variables) == 1 \
                    and e.variables[0] in f_.args and len(f_.args) == 1:
                arg = self.compile(f_.args[0])
                return lambda ex, grid: stand_in_prime(np.asarray(arg(ex, grid), dtype=ex.dtype))
        if isinstance(e, sp.core.function.AppliedUndef) and e.func.__name__.endswith("'"):
            if e.func.__name__.endswith("''") or len(e.args) != 1:
                raise ExecutionError(f"no value for {e.func.__name__}: only a first derivative "
                                     "of a declared function of one argument runs")
            arg = self.compile(e.args[0])
            return lambda ex, grid: stand_in_prime(np.asarray(arg(ex, grid), dtype=ex.dtype))
        if isinstance(e, sp.core.function.AppliedUndef):
            fs = [self.compile(a) for a in e.args]

            def undefined(ex, grid):
                total = 0
                for f in fs:
                    total = total + stand_in(np.asarray(f(ex, grid), dtype=ex.dtype))
                return total
            return undefined
        raise ExecutionError(f"cannot run {type(e).__name__}: {e}")

    def _gather(self, e: Indexed):
        name = e.base.label.name
        index_fns = [self.compile(i) for i in e.indices]
        index_vars = self._grid_vars(e.indices)
        positions: dict = {}    # (layout, grid values) -> where to read, which are valid

        def where(ex, grid, arr, layout):
            idx = [np.asarray(f(ex, grid), dtype=np.int64) - off
                   for f, off in zip(index_fns, layout[1])]
            nd = max((i.ndim for i in idx), default=0)
            idx = [i.reshape((1,) * (nd - i.ndim) + i.shape) for i in idx]
            valid = None
            clipped = []
            for i, n in zip(idx, arr.shape):
                ok = (i >= 0) & (i < n)
                if not ok.all():
                    valid = ok if valid is None else (valid & ok)
                    i = np.clip(i, 0, max(n - 1, 0))
                clipped.append(i)
            empty = np.broadcast_shapes(*[i.shape for i in idx]) if arr.size == 0 else None
            return tuple(clipped), valid, empty

        def gather(ex, grid):
            arr = ex.array(name)
            layout = ex.layout(name)
            key, refs = _grid_key(index_vars, grid, layout)
            hit = positions.get(key) if key is not None else None
            if hit is None:
                hit = where(ex, grid, arr, layout) + (refs,)
                if key is not None:
                    if len(positions) > 256:
                        positions.clear()
                    positions[key] = hit
            clipped, valid, empty, _ = hit
            if empty is not None:
                return np.zeros(empty, dtype=ex.dtype)
            vals = arr[clipped]
            if valid is not None:
                vals = np.where(valid, vals, 0.0)
            return vals
        return gather

    def _grid_vars(self, exprs) -> tuple:
        """The symbols of index expressions whose values come from the grid."""
        free = set().union(*[getattr(x, "free_symbols", set()) for x in exprs]) if exprs else set()
        return tuple(sorted((v for v in free if v not in self.size_subs
                             and v.name not in self.symbol_values), key=str))


def _grid_key(variables, grid, layout):
    """A cache key for index positions: the layout and the grid values of `variables`
    (ints, or the plan's index arrays by identity, kept alive in the cache entry so that
    their ids stay theirs).  (None, None) when a variable has no value."""
    refs = []
    for v in variables:
        x = grid.get(v)
        if x is None:
            return None, None
        refs.append(x)
    return (layout, tuple(id(x) if isinstance(x, np.ndarray) else x for x in refs)), refs


class _Plan:
    """One statement prepared for an executor's sizes: grids, compiled parts."""

    def __init__(self, st: Statement, ex: Executor):
        seq = ex.sequential_loops(st)
        if seq is not None:
            lp, values = seq
            inner = st.with_(loops=tuple(l for l in st.loops if l.var != lp.var))
            self.sequential = (lp.var, values, inner)
            return
        self.sequential = None
        loops = st.loops
        self.grid, shape = {}, []
        for k, lp in enumerate(loops):
            vals = np.array(ex.loop_values(lp), dtype=np.int64)
            shape.append(len(vals))
            self.grid[lp.var] = vals.reshape([1] * k + [-1] + [1] * (len(loops) - k - 1))
        self.shape = tuple(shape)
        self.total = int(np.prod(shape)) if shape else 1
        if self.total > ex.max_grid:
            op = '=' if st.op in REDUCTIONS else st.op
            raise LimitError(f"the loops of `{st.target} {op} ...` run {self.total} "
                             f"iterations; the limit is {ex.max_grid}")
        self.rhs = ex.compile(st.rhs)
        self.name, self.op = st.target_name, st.op
        self.sign = -1.0 if st.op == "-=" else 1.0
        tidx = ref_indices(st.target)
        self.tidx = [ex.compile(i) for i in tidx]
        self.index_vars = ex._grid_vars(tidx)
        self.positions: dict = {}     # (layout, grid values) -> where to write
        target_vars = set().union(*[i.free_symbols for i in tidx]) if tidx else set()
        self.summed = [k for k, lp in enumerate(loops) if lp.var not in target_vars]
        self.red_shape = tuple(1 if (st.op != "=" and lp.var not in target_vars) else shape[k]
                               for k, lp in enumerate(loops))
        # a direct write: each target index a loop variable (once) or free of loop variables
        pos = {lp.var: k for k, lp in enumerate(loops)}
        direct, axes = [], []
        for e in tidx:
            if e in pos and pos[e] not in axes:
                k = pos[e]
                vals = self.grid[e].ravel()
                direct.append(("loop", k, int(vals.min()), int(vals.max()), loops[k].reverse))
                axes.append(k)
            elif not (getattr(e, "free_symbols", set()) & set(pos)):
                direct.append(("fixed", ex.compile(e)))
            else:
                direct = None
                break
        if direct is not None and st.op == "=" and self.summed:
            direct = None                   # '=' over a loop its target lacks: last wins
        self.direct = direct
        # a forward tensor's write outside its shape is an error (a gradient's is dropped:
        # it is the adjoint of a read outside the forward tensor, which reads zero)
        info = ex.program.tensors.get(self.name)
        self.strict = info is not None and info.role == "computed"
        self.line = st.line
        if direct is not None:
            self.kept = [k for k in range(len(loops)) if k not in self.summed]   # '=': all
            self.perm = [self.kept.index(k) for k in axes]


_CONTEXTS: dict = {}   # (sizes, symbol values, max_grid) -> compiled expressions

_RELS = {"<": np.less, ">": np.greater, "<=": np.less_equal, ">=": np.greater_equal,
         "==": np.equal, "!=": np.not_equal}


def random_inputs(program: Program, sizes: dict, seed: int = 0, names=None,
                  domains: dict | None = None) -> dict:
    """Random values for every input and parameter (or for `names`), drawn from each
    tensor's domain (`domains` overrides it by name)."""
    rng = np.random.default_rng(seed)
    out = {}
    for name, info in program.tensors.items():
        if names is None and info.role not in ("input", "parameter"):
            continue
        if names is not None and name not in names:
            continue
        shape, _ = tensor_layout(info, sizes)
        out[name] = draw(rng, shape, (domains or {}).get(name, info.domain))
    return out


def draw(rng, shape, domain: str = "real"):
    """Random values of a domain: positive, unit (in (0, 1)), probability and onehot
    (summing to 1 over the last axis), else standard normal."""
    z = rng.standard_normal(shape)
    if domain == "positive":
        return np.abs(z) + 0.1
    if domain == "unit":
        return 0.05 + 0.9 * (0.5 * (1.0 + np.tanh(z)))
    if domain == "probability" and len(shape):
        e = np.exp(z - z.max(axis=-1, keepdims=True))
        return e / e.sum(axis=-1, keepdims=True)
    if domain == "onehot" and len(shape):
        return (z == z.max(axis=-1, keepdims=True)).astype(float)
    return z




# the domains tried, in order, for the inputs read under a root or a log whose domain the
# spec leaves real, until the forward values are finite
_ESCALATION = ("positive", "unit")


def random_symbols(program: Program, seed: int = 0) -> dict:
    """Values for non-size symbols: in their declared range, else in [0.5, 1.5]
    (integers 2..4)."""
    rng = np.random.default_rng(seed + 7919)
    out = {}
    ranges = getattr(program, "ranges", None) or {}
    fixed = getattr(program, "fixed", None) or {}
    for name, sym in program.symbols.items():
        if name in program.sizes:
            continue
        if name in fixed:               # the spec's value: every run uses it
            out[name] = fixed[name]
            continue
        rg = ranges.get(name)
        if sym.is_integer:
            lo, hi = (2, 4) if rg is None else _integer_span(rg)
            out[name] = int(rng.integers(lo, hi + 1))
        elif rg is not None:
            out[name] = float(rng.uniform(*_real_span(rg)))
        else:
            out[name] = float(rng.uniform(0.5, 1.5))
    return out


def _real_span(rg) -> tuple:
    """A finite interval strictly inside a declared range (lo, hi, lo_open, hi_open)."""
    lo, hi = float(rg[0]), float(rg[1])
    if np.isinf(lo) and np.isinf(hi):
        return (0.5, 1.5)
    if np.isinf(hi):
        return (lo + 0.5, lo + 1.5) if lo >= 0 or lo > -1 else (0.5, 1.5)
    if np.isinf(lo):
        return (hi - 1.5, hi - 0.5)
    width = hi - lo
    return (lo + 0.1 * width, hi - 0.1 * width)


def _integer_span(rg) -> tuple:
    lo = 2 if np.isinf(float(rg[0])) else int(np.floor(float(rg[0]))) + (1 if rg[2] else 0)
    hi = lo + 2 if np.isinf(float(rg[1])) else int(np.ceil(float(rg[1]))) - (1 if rg[3] else 0)
    return (lo, max(lo, hi))


def run(program: Program, sizes: dict, inputs: dict | None = None, seed: int = 0,
        symbol_values: dict | None = None) -> dict:
    """Run `program` for concrete sizes; returns every tensor by name.

    Inputs not given are drawn at random from their domains; where the forward values
    come out infinite or NaN, the inputs read under a root or a log are drawn again,
    positive, then in (0, 1), before the values are returned as they are."""
    preflight(program, sizes)
    given = dict(inputs) if inputs is not None else {}
    drawn = [n for n, i in program.tensors.items()
             if i.role in ("input", "parameter") and n not in given]
    free = [n for n in under_roots(program) if n in drawn and (
        program.tensors[n].domain == "real" or program.tensors[n].domain_inferred)] \
        if drawn else []
    env = None
    for domain in (None,) + (_ESCALATION if free else ()):
        domains = {n: domain for n in free} if domain else None
        env = _run_once(program, sizes, given, seed, symbol_values, domains)
        if _finite(env, program):
            break
    return env


def _finite(env: dict, program: Program) -> bool:
    return all(np.all(np.isfinite(v)) for n, v in env.items()
               if n in program.tensors and program.tensors[n].role in ("computed", "temporary"))


def _run_once(program, sizes, given, seed, symbol_values, domains) -> dict:
    ex = Executor(program, sizes, {**random_symbols(program, seed), **(symbol_values or {})})
    values = dict(given)
    for name, value in random_inputs(program, sizes, seed, domains=domains).items():
        values.setdefault(name, value)
    for name, value in values.items():
        if name not in program.tensors:
            continue
        shape, _ = ex.layout(name)
        arr = np.array(value, dtype=float)
        if arr.shape != shape:
            if arr.size == int(np.prod(shape)):
                arr = arr.reshape(shape)
            else:
                raise ExecutionError(f"{name} has shape {arr.shape}, expected {shape}")
        ex.env[name] = arr
    with np.errstate(all="ignore"):
        ex.run()
    for name in program.tensors:
        ex.array(name)
    return ex.env
