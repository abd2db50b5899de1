"""The symbolic cost analysis: work and parallel depth of a program, as formulas."""
from __future__ import annotations

from dataclasses import dataclass, field
import sympy as sp
from derive.core.program import Block, Loop, Program, Statement, ref_indices, ref_name
from derive.engines.cost.count import (_pattern, expr_depth, instance_work, iterations,
                                       per_element, single_loop_blocks, with_blocks)
from derive.core.errors import CostError
from derive.core.growth import clog2
from derive.engines.cost.depth import (Group, TensorState, Time, ZERO, _madd, _mscale,
                                       provably_nonneg, smax)

# --------------------------------------------------------------------------
# the symbolic analysis
# --------------------------------------------------------------------------


@dataclass
class StatementCost:
    statement: Statement
    loops: tuple              # enclosing block loops + the statement's loops
    iterations: sp.Expr
    ops: int                  # per instance
    per_element: sp.Expr      # contributions per target element (+=)
    depth: int                # of one instance

    @property
    def work(self) -> sp.Expr:
        return self.iterations * self.ops


@dataclass
class Recurrence:
    """A block whose steps depend on the step before: the chain it adds."""
    loop: Loop
    carried: list             # CarriedRead: what a step reads from the steps before
    per_step: sp.Expr         # depth one step adds to the chain
    chain: list               # statements on the per-step chain
    steps: sp.Expr            # number of steps


@dataclass
class Cost:
    program: Program
    statements: list          # StatementCost
    work: sp.Expr
    depth: sp.Expr
    recurrences: list
    reductions: list          # (StatementCost, depth of its tree)
    finals: dict              # tensor -> ready time (expr)


class _Analysis:
    def __init__(self, program: Program, present_at_start=()):
        self.program = program
        self.written = set(program.written())
        self.state: dict = {}
        for name in program.tensors:
            present = name not in self.written or name in present_at_start
            self.state[name] = TensorState(present, Time(ZERO))
        self.rows: list = []
        self.recurrences: list = []
        self.reductions: list = []
        self._seen_rows = set()
        self._carriers = 0
        self.dead = Time(ZERO)     # finish of instances whose writes fall out of range

    # ---- statements --------------------------------------------------------

    def row(self, st: Statement, outer) -> StatementCost:
        key = id(st)
        info = self.program.tensors[st.target_name]
        extents = [sp.simplify(hi - lo + 1) for lo, hi in info.ranges]
        r = StatementCost(st, tuple(outer) + tuple(st.loops),
                          iterations(tuple(outer) + tuple(st.loops)), instance_work(st),
                          per_element(st, extents) if st.op != "=" else sp.S.One,
                          expr_depth(st.rhs))
        if key not in self._seen_rows:
            self._seen_rows.add(key)
            self.rows.append(r)
        return r

    def statement(self, st: Statement, outer, scope) -> Time:
        r = self.row(st, outer)
        start = Time(ZERO)
        for ref in st.reads():
            start = start.join(scope.read(ref))
        finish = start.plus(r.depth)
        scope.write(st, finish, r.per_element)
        return finish

    def items(self, items, outer, scope):
        for it in items:
            if isinstance(it, Block):
                self.block(it, outer, scope)
            else:
                self.statement(it, outer, scope)

    # ---- blocks ------------------------------------------------------------

    def block(self, block: Block, outer, scope):
        """A block `for t:` analysed for its first step and for a generic later one,
        whose carrier c stands for the time the step before hands on."""
        lay = _layout(block.loops[0], block.body)
        lp, n = lay.loop, lay.loop.count()
        self._carriers += 1
        c = f"c{self._carriers}"
        pre = {x: scope.get(x).copy() for x in lay.written}
        inner = tuple(outer) + (lp,)
        first = _BlockScope(scope, lay, pre, None, None)
        self.items(block.body, inner, first)
        generic = _BlockScope(scope, lay, pre, c, first.written_counts)
        self.items(block.body, inner, generic)
        last, w = _carrier_at_last_step(_carried_out(lay, first), _carried_out(lay, generic),
                                        c, n)
        if w is not None:
            self.recurrences.append(Recurrence(lp, lay.carried, w, _step_chain(lay, generic), n))
        runs = (_StepRun("first", first, lay.first_value, sp.S.One, None, None),
                _StepRun("last", generic, lay.last_value, n - 1, c, last))
        for x in lay.written:
            scope.set(x, self._state_after(lay, x, pre[x], runs))

    def _state_after(self, lay, x, base, runs) -> TensorState:
        """The state of x after the block: the first step's and the last step's writes
        (its carrier substituted); slices of different steps are different elements."""
        sliced = lay.axes[x] is not None
        present = base.present
        ready = Time(base.ready) if present else Time(ZERO)
        # an accumulator keeps what it had; a sliced tensor's earlier contributions
        # were copied into the slices they reach
        pending = [] if sliced else list(base.pending)
        acc: dict = {}
        for run in runs:
            for (y, o), s in run.scope.slices.items():
                if y != x:
                    continue
                if _out_of_range(self.program, x, lay.axes[x], o, run.at):
                    self._drop(s, base, run)
                    continue
                if s.present:
                    present = True
                    ready = ready.join(run.time(s.ready))
                for g in s.pending:
                    if g.carried or (not sliced and _among(g, base.pending)):
                        continue
                    if sliced:
                        pending.append(Group((("slice", run.name, o), g.pattern[1]),
                                             g.n, run.time(g.ready), False, s.present))
                    else:                      # accumulated over the steps
                        cnt, fin = acc.get(g.pattern, (sp.S.Zero, None))
                        acc[g.pattern] = (cnt + g.n * run.weight,
                                          run.time(g.ready) if fin is None
                                          else fin.join(run.time(g.ready)))
        pending += [Group(p, cnt, fin) for p, (cnt, fin) in acc.items()]
        return TensorState(present, ready, pending)

    def _drop(self, s: TensorState, base: TensorState, run):
        """Writes to a slice out of range are dropped: their instances still ran."""
        for g in s.pending:
            if not g.carried and not _among(g, base.pending):
                self.dead = self.dead.join(run.time(g.last or g.ready))


@dataclass
class CarriedRead:
    """A read of what an earlier step of a block wrote: `h.grad[t, i]`, by step t + 1."""
    tensor: str
    offset: int | None        # the read index along the block axis, minus the variable
    read: sp.Expr             # the reference read
    writer: sp.Expr | None    # the step that wrote it (None: an earlier step)


@dataclass
class _Layout:
    """Where a block's tensors lie along its variable, and what a step reads from the
    steps before it."""
    loop: Loop
    written: set              # tensors the body writes
    axes: dict                # tensor -> its axis along the block variable (None: none)
    offsets: dict             # tensor -> {offset: [statements writing there]}
    carried: list = field(default_factory=list)       # CarriedRead
    carried_keys: set = field(default_factory=set)    # (tensor, offset) of the carried

    @property
    def var(self):
        return self.loop.var

    @property
    def step(self) -> int:
        return -1 if self.loop.reverse else 1

    @property
    def first_value(self):
        return self.loop.hi if self.loop.reverse else self.loop.lo

    @property
    def last_value(self):
        return self.loop.lo if self.loop.reverse else self.loop.hi

    @property
    def later(self) -> tuple:
        """The range of the steps after the first."""
        lp = self.loop
        return (lp.lo, lp.hi - 1) if lp.reverse else (lp.lo + 1, lp.hi)

    def offset(self, r):
        return _offset(r, self.axes[ref_name(r)], self.var)

    def carried_into(self, x, o) -> list:
        """Offsets whose writes in earlier steps reach slice o of x."""
        return [o2 for o2 in self.offsets[x]
                if o is None or o2 is None or _later(o2, o, self.step)]


def _layout(lp: Loop, body) -> _Layout:
    statements = [st for st, _ in _walk(body)]
    axes: dict = {}
    for st in statements:
        axes.setdefault(st.target_name, _block_axis(st.target, lp.var))
    offsets: dict = {}
    for st in statements:
        off = _offset(st.target, axes[st.target_name], lp.var)
        offsets.setdefault(st.target_name, {}).setdefault(off, []).append(st)
    lay = _Layout(lp, set(axes), axes, offsets)
    lay.carried = _carried_reads(lay, statements)
    lay.carried_keys = {(r.tensor, r.offset) for r in lay.carried}
    return lay


def _carried_reads(lay: _Layout, statements) -> list:
    """The reads of what earlier steps wrote, each with the nearest step that wrote it."""
    out: list = []
    for st in statements:
        for r in st.reads():
            x = ref_name(r)
            if x not in lay.written:
                continue
            o = lay.offset(r)
            sources = lay.carried_into(x, o)
            if sources and (x, o) not in [(c.tensor, c.offset) for c in out]:
                out.append(CarriedRead(x, o, r, _writer_step(lay.var, o, sources)))
    return out


def _writer_step(var, o, sources):
    near = min(sources, key=lambda o2: abs(o2 - o)
               if o is not None and o2 is not None else 0)
    return var + (o - near) if o is not None and near is not None else None


@dataclass
class _StepRun:
    """One analysed step of a block: the first, or a generic later one with its carrier."""
    name: str                 # first | last
    scope: "_BlockScope"
    at: sp.Expr               # the value of the block variable it ends the block at
    weight: sp.Expr           # the steps it stands for
    carrier: str | None
    last: Time | None         # the carrier at the start of the last step

    def time(self, t: Time) -> Time:
        return t.at(self.carrier, self.last) if self.carrier is not None else Time(t)


def _carried_out(lay: _Layout, bs) -> Time | None:
    """When a step has written everything the next step reads from it."""
    out = None
    for (x, o2), t in bs.write_finish.items():
        if any(o2 in lay.carried_into(x, o) for (y, o) in lay.carried_keys if y == x):
            out = t if out is None else out.join(t)
    return out


def _carrier_at_last_step(c1, nxt, c, n):
    """The carrier at the start of the last step, and the depth w a step adds to it
    (None: no recurrence).  c(k) = max(c(k-1) + w, b), c(2) = c1."""
    if c1 is None or nxt is None:
        return Time(ZERO), None
    w = nxt.get(c)
    b = Time({k: v for k, v in nxt.items() if k != c})
    if w is None:
        return b.join(c1), None
    if _never_overtakes(c1, w, b):
        return c1.plus(_mscale(w, n - 2)), w     # c(k) = c1 + (k-1) w
    return c1.plus(_mscale(w, n - 2)).join(b.plus(w * (n - 3))), w


def _never_overtakes(c1: Time, w, b: Time) -> bool:
    """Does the chain through the carrier always end after the rest b of a step?"""
    if any(isinstance(v, sp.Max) for v in b.values()):
        return False
    return all(k in c1 and provably_nonneg(_madd(c1[k], w) - v)
               for k, v in b.items())


def _step_chain(lay: _Layout, generic) -> list:
    """The statements on the way from what the step before wrote to what the next reads."""
    needed = {(x, o2) for (x, o) in lay.carried_keys for o2 in lay.carried_into(x, o)}
    chain: list = []
    for st in reversed(generic.chain):
        if (st.target_name, lay.offset(st.target)) in needed and st not in chain:
            chain.insert(0, st)
            for r in st.reads():
                if ref_name(r) in lay.written:
                    needed.add((ref_name(r), lay.offset(r)))
    return chain


def _among(g, groups) -> bool:
    return any(g is h for h in groups)


def _out_of_range(program, x, axis, offset, t_value) -> bool:
    """Is slice t_value + offset of x provably outside its range (writes there are dropped)?"""
    if axis is None or offset is None:
        return False
    lo, hi = program.tensors[x].ranges[axis]
    i = t_value + offset
    return bool(sp.expand(i - lo).is_negative) or bool(sp.expand(i - hi).is_positive)


def _walk(items):
    for it in items:
        if isinstance(it, Block):
            yield from _walk(it.body)
        else:
            yield it, None


def _block_axis(target, var):
    for k, e in enumerate(ref_indices(target)):
        if var in e.free_symbols:
            return k
    return None


def _offset(r, axis, var):
    """The read or write index along the block axis, minus the block variable."""
    if axis is None:
        return None
    idx = ref_indices(r)
    if axis >= len(idx):
        return None
    d = sp.expand(idx[axis] - var)
    return int(d) if d.is_Integer else None


def _later(o_write, o_read, step) -> bool:
    """Does a write at offset o_write in an earlier step reach a read at o_read?"""
    d = (o_write - o_read) * step
    return d > 0


class _TopScope:
    def __init__(self, analysis: _Analysis):
        self.a = analysis

    def get(self, x) -> TensorState:
        return self.a.state[x]

    def set(self, x, s: TensorState):
        self.a.state[x] = s

    def read(self, r) -> Time:
        return self.a.state[ref_name(r)].materialize()

    def write(self, st, finish: Time, count):
        s = self.a.state[st.target_name]
        if st.op == "=":
            s.present, s.ready, s.pending, s.where = True, finish, [], _pattern(st)[1]
        else:
            s.pending.append(Group(_pattern(st), sp.S.One, finish.plus(clog2(count))))


class _BlockScope:
    """The tensors' states during one step of a block (slices along the block axis)."""

    def __init__(self, outer, lay: _Layout, pre, carrier, counts):
        self.outer = outer
        self.lay = lay
        self.axes = lay.axes
        self.pre = pre
        self.carrier = carrier             # None: the first step
        self.counts = counts               # the first step's written_counts
        self.slices: dict = {}
        self.written_counts: dict = {}     # (x, offset) -> (partial sums per element, any '=')
        self.write_finish: dict = {}       # (x, offset) -> Time
        self.chain: list = []

    def get(self, x):
        if x in self.axes:
            raise CostError("nested blocks writing the same tensor are not analysed")
        return self.outer.get(x)

    def set(self, x, s):
        raise CostError("nested blocks are not analysed by the cost engine")

    def slice(self, x, o) -> TensorState:
        key = (x, o)
        if key not in self.slices:
            s = self.pre[x].copy()
            # what was written before the block at one fixed step reaches only that step
            a = self.axes[x]
            s.pending = [g for g in s.pending if self.reaches(g.pattern[1], a, o)]
            if s.present and s.where is not None and not self.reaches(s.where, a, o):
                s.present, s.ready, s.where = False, Time(ZERO), None
            if self.carrier is not None:
                srcs = [o2 for o2 in self.lay.carried_into(x, o) if (x, o2) in self.counts]
                if srcs:
                    if any(self.counts[(x, o2)][1] for o2 in srcs):
                        s = TensorState(True, Time({self.carrier: sp.S.Zero}), [])
                    else:
                        cnt = sum((self.counts[(x, o2)][0] for o2 in srcs), sp.S.Zero)
                        # the previous steps' partial sums: the carrier is when the
                        # last of them is ready
                        s.pending.append(Group((("slice", o), ()), cnt,
                                               Time({self.carrier: sp.S.Zero}), True))
            self.slices[key] = s
        return self.slices[key]

    def reaches(self, idx, axis, o) -> bool:
        """Can elements with pattern idx be slice o of this step?"""
        if axis is None or o is None or axis >= len(idx):
            return True
        e = idx[axis]
        if any(v.name.startswith("_") for v in e.free_symbols):
            return True                     # all along the block axis
        d = sp.expand(e - (self.lay.first_value + o))
        if self.carrier is None:            # the first step
            return not (d.is_Integer and d != 0)
        lo, hi = self.lay.later           # a later step t: is e = t + o possible?
        t = sp.expand(e - o)
        return not (sp.expand(t - lo).is_negative or sp.expand(t - hi).is_positive)

    def read(self, r) -> Time:
        x = ref_name(r)
        if x not in self.axes:
            return self.outer.read(r)
        return self.slice(x, self.lay.offset(r)).materialize()

    def write(self, st, finish: Time, count):
        x = st.target_name
        o = self.lay.offset(st.target)
        s = self.slice(x, o)
        cnt, eq = self.written_counts.get((x, o), (sp.S.Zero, False))
        if st.op == "=":
            s.present, s.ready, s.pending = True, finish, []
            self.written_counts[(x, o)] = (cnt, True)
        else:
            s.pending.append(Group(_pattern(st, ("slice", o)), sp.S.One,
                                   finish.plus(clog2(count)), last=finish))
            finish = finish.plus(clog2(count))
            self.written_counts[(x, o)] = (cnt + 1, eq)
        prev = self.write_finish.get((x, o))
        self.write_finish[(x, o)] = finish if prev is None else prev.join(finish)
        if self.carrier is not None and self.carrier in finish:
            self.chain.append(st)


def analyse(program: Program, present_at_start=()) -> Cost:
    """Work and parallel depth of `program`, symbolically in its sizes.

    Tensors the program does not write are inputs, ready at the start;
    `present_at_start` names written tensors that hold a value at the start
    (the seeded gradients of a backward program)."""
    items = single_loop_blocks(with_blocks(program.items))
    a = _Analysis(program, present_at_start)
    a.items(items, (), _TopScope(a))
    finals = {}
    depth = a.dead.expr()
    for name, s in a.state.items():
        t = s.materialize().expr()
        finals[name] = t
        depth = smax(depth, t)
    work = sp.expand(sum((r.work for r in a.rows), sp.S.Zero))
    reductions = [(r, clog2(r.per_element)) for r in a.rows
                  if r.statement.op != "=" and r.per_element != 1]
    return Cost(program, a.rows, work, sp.S.Zero if depth is None else depth,
                a.recurrences, reductions, finals)
