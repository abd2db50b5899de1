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

from .errors import DeriveError, LimitError
from .functions import ind, maxf, minf, relu, sigma, step
from .program import Block, Program, Statement, TensorScalar, ref_indices, ref_name

MAX_GRID = 20_000_000          # elements of one statement's iteration grid


class ExecutionError(DeriveError):
    pass


def stand_in(u):
    """The concrete function an undefined function (a loss L) is run as."""
    return np.sin(u) + 0.5 * u * u


def stand_in_prime(u):
    return np.cos(u) + u


STAND_IN_TEXT = "sin(u) + u^2/2"


def concrete(expr, sizes: dict):
    """Substitute concrete sizes into a SymPy expression and return an int."""
    v = sp.Integer(expr) if isinstance(expr, int) else expr
    v = v.xreplace({sp.Symbol(k, integer=True, positive=True): sp.Integer(n) for k, n in sizes.items()})
    if not v.is_Integer:
        raise ExecutionError(f"cannot evaluate {v} for sizes {sizes}")
    return int(v)


def tensor_layout(info, sizes):
    """(shape, offsets) of a tensor for concrete sizes."""
    shape, offsets = [], []
    for lo, hi in info.ranges:
        a, b = concrete(lo, sizes), concrete(hi, sizes)
        shape.append(max(b - a + 1, 0))
        offsets.append(a)
    return tuple(shape), tuple(offsets)


class Executor:
    def __init__(self, program: Program, sizes: dict, symbol_values: dict | None = None,
                 max_grid: int = MAX_GRID):
        self.program = program
        self.sizes = {str(k): int(v) for k, v in sizes.items()}
        self.size_subs = {sp.Symbol(k, integer=True, positive=True): sp.Integer(v)
                          for k, v in self.sizes.items()}
        self.symbol_values = dict(symbol_values or {})
        self.layouts = {}
        self.max_grid = max_grid
        self.env: dict = {}

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
            self.env[name] = np.zeros(shape)
        return self.env[name]

    def int_of(self, e) -> int:
        v = (sp.Integer(e) if isinstance(e, int) else e).xreplace(self.size_subs)
        if not v.is_Integer:
            raise ExecutionError(f"cannot evaluate the bound {e} for sizes {self.sizes}")
        return int(v)

    # ---- running -----------------------------------------------------------

    def run(self, items=None, fixed=None):
        items = self.program.items if items is None else items
        fixed = dict(fixed or {})
        for it in items:
            if isinstance(it, Block):
                self.run_block(it, fixed)
            else:
                self.run_statement(it, fixed)
        return self.env

    def loop_values(self, loop):
        lo, hi = self.int_of(loop.lo), self.int_of(loop.hi)
        if hi - lo + 1 > self.max_grid:
            raise LimitError(f"the loop over {loop.var} runs {hi - lo + 1} times; "
                             f"the limit is {self.max_grid}")
        values = range(lo, hi + 1)
        return list(reversed(values)) if loop.reverse else list(values)

    def run_block(self, block: Block, fixed):
        def rec(k, fx):
            if k == len(block.loops):
                self.run(block.body, fx)
                return
            lp = block.loops[k]
            for v in self.loop_values(lp):
                rec(k + 1, {**fx, lp.var: v})
        rec(0, fixed)

    def run_statement(self, st: Statement, fixed):
        seq = self.sequential_loops(st)
        if seq:
            lp, values = seq
            rest = tuple(l for l in st.loops if l.var != lp.var)
            inner = st.with_(loops=rest)
            for v in values:
                self.run_statement(inner, {**fixed, lp.var: v})
            return
        self.execute(st, fixed)

    def sequential_loops(self, st: Statement):
        """A loop index along which the statement depends on itself, in run order."""
        tname = st.target_name
        tidx = ref_indices(st.target)
        own = {lp.var: lp for lp in st.loops}
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

    def execute(self, st: Statement, fixed):
        loops = st.loops
        grid = {}
        shape = []
        for k, lp in enumerate(loops):
            vals = np.array(self.loop_values(lp), dtype=np.int64)
            shape.append(len(vals))
            grid[lp.var] = vals.reshape([1] * k + [-1] + [1] * (len(loops) - k - 1))
        total = int(np.prod(shape)) if shape else 1
        if total > self.max_grid:
            raise LimitError(f"the loops of `{st.target} {st.op} ...` run {total} iterations; "
                             f"the limit is {self.max_grid}")
        if total == 0:
            return
        for var, v in fixed.items():
            grid[var] = v
        value = np.asarray(self.ev(st.rhs, grid), dtype=float)
        self.write(st, value, grid, loops, tuple(shape))

    def write(self, st, value, grid, loops, shape):
        name = st.target_name
        arr = self.array(name)
        tidx = ref_indices(st.target)
        sign = -1.0 if st.op == "-=" else 1.0
        if not tidx:
            # a broadcast value repeats along its size-1 axes
            total = value.sum() * (np.prod(shape) / value.size) if value.ndim else value
            if st.op == "=":
                arr[...] = total
            else:
                arr[...] += sign * total
            return
        nd = len(loops)
        value = value.reshape((1,) * (nd - value.ndim) + value.shape) if value.ndim < nd else value
        target_vars = set().union(*[i.free_symbols for i in tidx])
        if st.op != "=":
            for k, lp in enumerate(loops):
                if lp.var in target_vars:
                    continue
                if value.shape[k] == 1:
                    value = value * shape[k]
                else:
                    value = value.sum(axis=k, keepdims=True)
        _, offsets = self.layout(name)
        idx = []
        for e, off in zip(tidx, offsets):
            ie = np.asarray(self.ev(e, grid), dtype=np.int64) - off
            idx.append(ie)
        # broadcast index arrays and value over the reduced grid
        red_shape = tuple(1 if (st.op != "=" and lp.var not in target_vars) else shape[k]
                          for k, lp in enumerate(loops))
        idx = [np.broadcast_to(i.reshape((1,) * (nd - i.ndim) + i.shape) if i.ndim < nd else i,
                               red_shape) for i in idx]
        value = np.broadcast_to(value, red_shape)
        valid = np.ones(red_shape, dtype=bool)
        for i, n in zip(idx, arr.shape):
            valid &= (i >= 0) & (i < n)
        if not valid.all():
            idx = [i[valid] for i in idx]
            value = value[valid]
        if st.op == "=":
            arr[tuple(idx)] = value
        else:
            np.add.at(arr, tuple(idx), sign * value)

    # ---- expressions -------------------------------------------------------

    def ev(self, e, grid):
        if isinstance(e, Indexed):
            return self.gather(e, grid)
        if isinstance(e, TensorScalar):
            return self.array(e.name)[()]
        if e.is_Symbol:
            if e in grid:
                return grid[e]
            if e in self.size_subs:
                return self.size_subs[e]
            if e.name in self.symbol_values:
                return self.symbol_values[e.name]
            raise ExecutionError(f"no value for the symbol {e.name!r}")
        if e.is_Number:
            return float(e) if not e.is_Integer else int(e)
        if e.is_Add:
            out = 0
            for a in e.args:
                out = out + self.ev(a, grid)
            return out
        if e.is_Mul:
            out = 1
            for a in e.args:
                out = out * self.ev(a, grid)
            return out
        if e.is_Pow:
            base = np.asarray(self.ev(e.base, grid), dtype=float)
            ex = e.exp
            if ex == sp.S.Half:
                return np.sqrt(base)
            if ex.is_Integer:
                k = int(ex)
                return base ** k if k >= 0 else 1.0 / base ** (-k)
            return base ** np.asarray(self.ev(ex, grid), dtype=float)
        f = _FUNCS.get(type(e))
        if f is not None:
            return f(*[self.ev(a, grid) for a in e.args])
        if isinstance(e, ind):
            rel = e.args[0]
            a, b = self.ev(rel.lhs, grid), self.ev(rel.rhs, grid)
            return _RELS[rel.rel_op](a, b).astype(float)
        if isinstance(e, sp.KroneckerDelta):
            a, b = (self.ev(x, grid) for x in e.args)
            return (np.asarray(a) == np.asarray(b)).astype(float)
        if isinstance(e, sp.Derivative):
            f_ = e.expr
            if isinstance(f_, sp.core.function.AppliedUndef) and len(e.variables) == 1 \
                    and e.variables[0] in f_.args and len(f_.args) == 1:
                return stand_in_prime(np.asarray(self.ev(f_.args[0], grid), dtype=float))
        if isinstance(e, sp.core.function.AppliedUndef) and e.func.__name__.endswith("'"):
            return stand_in_prime(np.asarray(self.ev(e.args[0], grid), dtype=float))
        if isinstance(e, sp.core.function.AppliedUndef):
            total = 0
            for a in e.args:
                total = total + stand_in(np.asarray(self.ev(a, grid), dtype=float))
            return total
        raise ExecutionError(f"cannot run {type(e).__name__}: {e}")

    def gather(self, e: Indexed, grid):
        name = e.base.label.name
        arr = self.array(name)
        _, offsets = self.layout(name)
        idx = [np.asarray(self.ev(i, grid), dtype=np.int64) - off
               for i, off in zip(e.indices, offsets)]
        nd = max((i.ndim for i in idx), default=0)
        idx = [i.reshape((1,) * (nd - i.ndim) + i.shape) for i in idx]
        valid = None
        clipped = []
        for i, n in zip(idx, arr.shape):
            ok = (i >= 0) & (i < n)
            if not np.all(ok):
                valid = ok if valid is None else (valid & ok)
                i = np.clip(i, 0, max(n - 1, 0))
            clipped.append(i)
        if arr.size == 0:
            return np.zeros(np.broadcast_shapes(*[i.shape for i in idx]))
        vals = arr[tuple(clipped)]
        if valid is not None:
            vals = np.where(valid, vals, 0.0)
        return vals


def _sigma(x):
    return 0.5 * (1.0 + np.tanh(0.5 * np.asarray(x, dtype=float)))


_FUNCS = {
    sp.exp: np.exp, sp.log: np.log, sp.tanh: np.tanh, sp.Abs: np.abs,
    sp.sign: np.sign, sp.cosh: np.cosh, sp.sinh: np.sinh,
    sigma: _sigma,
    relu: lambda x: np.maximum(x, 0.0),
    step: lambda x: (np.asarray(x) > 0).astype(float),
    maxf: np.maximum, minf: np.minimum,
}

_RELS = {"<": np.less, ">": np.greater, "<=": np.less_equal, ">=": np.greater_equal,
         "==": np.equal, "!=": np.not_equal}


def random_inputs(program: Program, sizes: dict, seed: int = 0, names=None) -> dict:
    """Standard normal values for every input and parameter (or for `names`)."""
    rng = np.random.default_rng(seed)
    out = {}
    for name, info in program.tensors.items():
        if names is None and info.role not in ("input", "parameter"):
            continue
        if names is not None and name not in names:
            continue
        shape, _ = tensor_layout(info, sizes)
        out[name] = draw(rng, shape, getattr(info, "domain", "real"))
    return out


def draw(rng, shape, domain: str = "real"):
    """Random values of a domain: probability and onehot sum to 1 over the last axis."""
    z = rng.standard_normal(shape)
    if domain == "positive":
        return np.abs(z) + 0.1
    if domain == "probability" and len(shape):
        e = np.exp(z - z.max(axis=-1, keepdims=True))
        return e / e.sum(axis=-1, keepdims=True)
    if domain == "onehot" and len(shape):
        return (z == z.max(axis=-1, keepdims=True)).astype(float)
    return z


def random_symbols(program: Program, seed: int = 0) -> dict:
    """Values for non-size symbols: in [0.5, 1.5] (positive), integers 2..4."""
    rng = np.random.default_rng(seed + 7919)
    out = {}
    for name, sym in program.symbols.items():
        if name in program.sizes:
            continue
        if sym.is_integer:
            out[name] = int(rng.integers(2, 5))
        else:
            out[name] = float(rng.uniform(0.5, 1.5))
    return out


def run(program: Program, sizes: dict, inputs: dict | None = None, seed: int = 0,
        symbol_values: dict | None = None) -> dict:
    """Run `program` for concrete sizes; returns every tensor by name."""
    ex = Executor(program, sizes, {**random_symbols(program, seed), **(symbol_values or {})})
    given = dict(inputs) if inputs is not None else {}
    for name, value in random_inputs(program, sizes, seed).items():
        given.setdefault(name, value)
    for name, value in given.items():
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
    ex.run()
    for name in program.tensors:
        ex.array(name)
    return ex.env
