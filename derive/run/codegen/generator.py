"""One function of the exported module: forward(...) or backward(...)."""
from __future__ import annotations

import keyword
from dataclasses import dataclass
import sympy as sp
from sympy import Indexed
from derive.core.program import (affine, Block, Program, reads, ref_indices, ref_name)
from derive.run.codegen.dialect import DIALECTS
from derive.run.codegen.emitter import (CodegenError, Ctx, Layout, _IntPrinter, _extreme,
                                        _is_zero, _nonneg)

class Generator:
    def __init__(self, program: Program, helpers: set, stand_ins: set, dialect=None):
        self.program = program
        self.d = dialect or DIALECTS["numpy"]      # NumPy or torch spellings
        self.helpers = helpers
        self.stand_ins = stand_ins
        self.layouts: dict = {}
        self.size_names = {sym: self.safe(name) for name, sym in program.sizes.items()}
        self.symbols = {name: sym for name, sym in program.symbols.items()
                        if name not in program.sizes}
        self.hoisted: dict = {}      # code of a copy made once -> (its name, the array's)

    def fresh_name(self, base: str) -> str:
        """A Python name no tensor, size or earlier copy of the function has."""
        taken = {self.pyname(n) for n in self.program.tensors} | set(self.size_names.values()) \
            | {v[0] for v in self.hoisted.values()} | self.RESERVED
        while base in taken:
            base += "_"
        return base

    # ---- names -------------------------------------------------------------

    RESERVED = {"np", "math", "sigma", "softplus", "sech", "erf", "Phi", "relu", "step",
                "forward", "backward", "cell", "_pad", "_view", "_index", "grads", "out",
                "torch", "_t", "_maximum", "_minimum", "_add_at"}

    # helpers named as vocabulary functions: a problem's own function of that name
    # replaces the vocabulary's, so its stand-in may keep the name
    FUNCTION_HELPERS = {"sigma", "softplus", "sech", "erf", "Phi", "relu", "step"}

    @classmethod
    def function_name(cls, name: str) -> str:
        """The Python name of a declared function's stand-in (`Phi`, `L`)."""
        if keyword.iskeyword(name) or name in cls.RESERVED - cls.FUNCTION_HELPERS:
            return name + "_"
        return name

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
