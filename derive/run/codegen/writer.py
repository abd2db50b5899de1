"""Writing a function of the exported module, line by line."""
from __future__ import annotations

from dataclasses import dataclass, field

import sympy as sp
from derive.core.program import (as_expr, affine, Block, Program, TensorScalar,
                                 format_statement, ref_indices, ref_name)
from derive.run.codegen.emitter import Ctx, Emitter, _is_zero
from derive.run.codegen.generator import FunctionPlan, Generator
from derive.run.codegen.transform import fission, sequential_blocks

class ModuleWriter:
    def __init__(self, program: Program, dialect=None):
        self.program = program
        self.dialect = dialect
        self.helpers: set = set()
        self.stand_ins: set = set()
        self.cells: list = []       # code of cell functions
        self.step_locals: dict = {}

    def write_function(self, plan: FunctionPlan) -> str:
        g = Generator(self.program, self.helpers, self.stand_ins, self.dialect)
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
                lines.append(f"    {lay.name} = {g.d.float_copy(lay.name)}"
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
                lines.append(f"    {lay.name} = {g.d.zeros(g.shape_code(lay))}")
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
        g.hoisted.clear()           # a block (or its cell) may write what was copied
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
        """The block's body as `cell(...)`: the step function of the recurrence; (the
        call, the function's code), or None when the block is not one step function."""
        c = _Cell(block.loops[0].var, ctx.fixed[block.loops[0].var], block.body)
        if any(isinstance(it, Block) for it in c.body) or not self._cell_axes(c) \
                or not self._cell_arguments(c, g, ctx):
            return None
        body_lines, alloc = self._cell_body(c, em, g)
        sizes, syms = self._cell_sizes_and_symbols(c, g, body_lines, alloc)
        params = self._cell_signature(c, g) + sizes + syms
        cl = [f"def cell({', '.join(params)}):", _indent(_docstring(self._cell_doc(c, g)), 1)]
        for x in alloc:
            nm = c.slices[x][1][0]
            if len(self.program.tensors[x].axes) == 1:
                cl.append(f"    {nm} = 0.0")
            else:
                shape = g.shape_code(g.layouts[x], c.ctx, drop=c.slices[x][0])
                cl.append(f"    {nm} = {g.d.zeros(shape)}")
        cl += ["    " + line for line in body_lines]
        cl.append("    return " + ", ".join(c.slices[x][1][0] for x in c.written))
        return self._cell_call(c, g, ctx, sizes + syms), "\n".join(cl)

    def _cell_axes(self, c) -> bool:
        """Every written tensor is written at step t along one axis, and read at this
        step only after it is written."""
        for st in c.body:
            a = c.axis(st.target)
            if a is None or a[1] != 0 or c.w_axis.setdefault(st.target_name, a[0]) != a[0]:
                return False
            if st.target_name not in c.written:
                c.written.append(st.target_name)
        seen = set()
        for st in c.body:
            for r in st.reads():
                x = ref_name(r)
                if x in c.w_axis and x not in seen:
                    a = c.axis(r)
                    if a is None or a[1] == 0:
                        return False           # read before written at this step
            seen.add(st.target_name)
        return True

    def _cell_arguments(self, c, g, ctx) -> bool:
        """The cell's arguments: slices read at other steps, tensors read at this step,
        and the tensors read whole."""
        def local(x, off):
            base = g.pyname(x)
            return {0: f"{base}_{c.tname}", -1: f"{base}_prev", 1: f"{base}_next"}.get(
                off, f"{base}_{c.tname}{off:+d}".replace("+", "p").replace("-", "m"))
        for st in c.body:
            for r in st.reads():
                x = ref_name(r)
                if isinstance(r, TensorScalar):
                    if x not in c.args:
                        c.args.append(x)
                    continue
                a = c.axis(r)
                if a is None:
                    if (x, None) not in c.args:
                        c.args.append((x, None))
                    continue
                k, off = a
                c.slices.setdefault(x, (k, {}))
                if c.slices[x][0] != k:
                    return False
                if off not in c.slices[x][1]:
                    c.slices[x][1][off] = local(x, off)
                    if not (x in c.w_axis and off == 0):
                        c.args.append((x, off))
        for x in c.written:
            c.slices.setdefault(x, (c.w_axis[x], {}))
            c.slices[x][1].setdefault(0, local(x, 0))
        c.ctx = Ctx((), ctx.ranges, ctx.fixed, c.slices)
        # the state carried in first, then this step's inputs, then whole tensors
        c.args.sort(key=lambda a: 2 if isinstance(a, str) or a[1] is None else
                    (0 if a[1] != 0 else 1))
        return True

    def _cell_signature(self, c, g) -> list:
        return [g.pyname(a) if isinstance(a, str) else g.pyname(a[0]) if a[1] is None
                else c.slices[a[0]][1][a[1]] for a in c.args]

    def _cell_body(self, c, em, g) -> tuple[list, list]:
        """The cell's lines (a local array per written tensor, bound by its first full
        write), and the tensors that need an array first."""
        body_lines, bound, alloc = [], set(), []
        for st in c.body:
            body_lines.append("# " + format_statement(st, self.program.indices))
            x = st.target_name
            info = self.program.tensors[x]
            k = c.slices[x][0]
            loops = {lp.var: lp for lp in st.loops}
            full = all(e in loops and (loops[e].lo, loops[e].hi) == tuple(info.ranges[j])
                       for j, e in enumerate(ref_indices(st.target)) if j != k) and \
                all(_is_zero(a) and _is_zero(b) for j, (a, b) in
                    enumerate(g.layouts[x].pads) if j != k)
            sub = Ctx(tuple(lp.var for lp in st.loops),
                      {**c.ctx.ranges, **{lp.var: (lp.lo, lp.hi) for lp in st.loops}},
                      c.ctx.fixed, c.slices)
            same_step = any(ref_name(r) == x and c.axis(r) == (k, 0) for r in st.reads())
            rebind = x not in bound and full and not same_step
            if x not in bound and not rebind:
                alloc.append(x)
            bound.add(x)
            body_lines += em.statement(st, sub, st.op if not rebind or st.op != "+=" else "=",
                                       rebind)
        return body_lines, alloc

    def _cell_sizes_and_symbols(self, c, g, body_lines, alloc) -> tuple[list, list]:
        used = set()
        for line in body_lines:
            used |= {n for n in g.size_names.values() if _mentions(line, n)}
        for x in alloc:
            shape = g.shape_code(g.layouts[x], c.ctx, drop=c.slices[x][0])
            used |= {n for n in g.size_names.values() if _mentions(shape, n)}
        sizes = [n for n in g.size_names.values() if n in used]
        syms = sorted({g.symbol_name(s) for st in c.body for s in st.rhs.free_symbols
                       if s.name in g.symbols and not isinstance(s, TensorScalar)})
        return sizes, syms

    def _cell_doc(self, c, g) -> str:
        doc = [f"One step {c.tname} of the recurrence: the body of the loop over {c.t}.", ""]
        for a in c.args:
            if isinstance(a, str) or a[1] is None:
                nm = a if isinstance(a, str) else a[0]
                doc.append(f"{g.pyname(nm)}: {_shape_text(self.program.tensors[nm])}")
            else:
                nm, off = a
                doc.append(f"{c.slices[nm][1][off]}: {nm} at step "
                           f"{format_statement_index(c.t, off)}, "
                           f"{_shape_text(self.program.tensors[nm], drop=c.slices[nm][0])}")
        doc.append("returns this step's " + ", ".join(c.written))
        return "\n".join(doc)

    def _cell_call(self, c, g, ctx, extra) -> list:
        """`h[:, t] = cell(...)`: the call, once per step."""
        call_args = []
        for a in c.args:
            if isinstance(a, str):
                call_args.append(g.pyname(a))
            elif a[1] is None:
                call_args.append(g.pyname(a[0]))
            else:
                x, off = a
                call_args.append(self._slice_code(g, x, c.slices[x][0], c.t + off, ctx))
        targets = [self._slice_code(g, x, c.slices[x][0], c.t, ctx) for x in c.written]
        return _wrap_call(targets, "cell", call_args + extra)

    def _slice_code(self, g, x, axis, e, ctx) -> str:
        lay = g.layouts[x]
        parts = [":"] * len(lay.ranges)
        parts[axis] = g.int_code(lay.pos(axis, e), ctx)
        return f"{lay.name}[{', '.join(parts)}]"


@dataclass
class _Cell:
    """What the step function of a block is made from, as it is worked out."""
    t: object                     # the block's loop variable
    tname: str                    # its name in the generated code
    body: list
    written: list = field(default_factory=list)     # tensors the step writes, in order
    w_axis: dict = field(default_factory=dict)      # tensor -> the axis of its step
    args: list = field(default_factory=list)        # name, or (name, offset or None)
    slices: dict = field(default_factory=dict)      # tensor -> (axis, {offset: local name})
    ctx: object = None

    def axis(self, r):
        """(axis, offset) where a read or write moves with t (t + offset), else None."""
        for k, e in enumerate(ref_indices(r)):
            if self.t in e.free_symbols:
                aff = affine(e, [self.t])
                if aff is None or aff[1].get(self.t) != 1:
                    return None
                return k, int(sp.expand(e - self.t))
        return None


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
