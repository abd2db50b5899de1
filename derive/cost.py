"""Cost analysis: work, memory and parallel depth of loop programs, as functions of sizes.

The cost model (a PRAM with unit-cost scalar operations, as in the course):

- **work**: a statement runs once per point of its iteration space (the
  product of its loop counts, enclosing blocks included); one run costs the
  scalar operations of its right-hand side, plus one for the addition of a
  `+=` / `-=` (a plain copy costs one).
- **parallel depth**: a statement instance starts when every element it reads
  is ready and takes as many steps as its right-hand side is deep (sums and
  products of several terms as balanced trees).  A sum is a tree, not a
  chain: the m contributions one run of a `+=` statement makes to an element
  are added as a balanced tree, ready ceil(log2 m) steps after the last of
  them; when the element is next read (or at the end) the partial sums of
  the runs and the value already there are added as a balanced tree too.
  Instances that do not depend on each other run at the same time, so the
  depth is the longest chain of dependent instances.  The formulas hold for
  every size of at least 2.
- **memory kept for the backward pass**: the forward tensors (activations,
  inputs, parameters) the backward program reads.

`analyse` derives all three symbolically, per statement and per tensor: a
block `for t:` whose steps read what the step before wrote (a recurrence) is
analysed once for a generic step, giving the depth a step adds to the chain
and hence a depth linear in the number of steps.  `count` is the independent
check: it unrolls the program at concrete sizes, element by element, and
finds the work and the longest chain of the instance graph.
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from math import gcd

import sympy as sp
from sympy import Indexed

from .backward import Backward, Step, derive_backward
from .errors import DeriveError, SpecError
from .execute import concrete
from .program import (as_expr, affine, Block, Loop, Program, Statement, TensorScalar, format_expr,
                      format_statement, grad_name, is_grad_name, ref_indices,
                      ref_name)
from .verify import Check, Verification


class CostError(DeriveError):
    pass


# --------------------------------------------------------------------------
# ceil(log2 n): the depth of a balanced tree over n values
# --------------------------------------------------------------------------


class clog2(sp.Function):
    """ceil(log2 n) for a positive integer n (0 for n = 1)."""
    is_integer = True
    is_nonnegative = True

    @classmethod
    def eval(cls, n):
        if n.is_Integer and n > 0:
            return sp.Integer((int(n) - 1).bit_length())
        return None

    def _sympystr(self, printer):
        return f"ceil(log2({printer._print(self.args[0])}))"

    def _latex(self, printer):
        return r"\lceil \log_2 %s \rceil" % printer._print(self.args[0])


def tree_depth(m: int) -> int:
    return (m - 1).bit_length() if m > 1 else 0


# --------------------------------------------------------------------------
# operations and depth of one right-hand side (one line per node type)
# --------------------------------------------------------------------------


def _leaf(e) -> bool:
    return isinstance(e, (Indexed, TensorScalar)) or e.is_Symbol or e.is_Number


def expr_ops(e) -> int:
    """Scalar operations to evaluate `e` once."""
    if _leaf(e):
        return 0
    if e.is_Add or e.is_Mul:                       # n - 1 binary operations
        return len(e.args) - 1 + sum(expr_ops(a) for a in e.args)
    if e.is_Pow:                                    # x**2, 1/x, sqrt(x): one each
        return 1 + expr_ops(e.base) + expr_ops(e.exp)
    if isinstance(e, sp.Derivative):               # L'(y) of an undefined loss
        return 1 + sum(expr_ops(a) for a in e.expr.args)
    if isinstance(e, (sp.Function, sp.KroneckerDelta)):
        return 1 + sum(expr_ops(a) for a in e.args if isinstance(a, sp.Expr))
    if isinstance(e, sp.core.relational.Relational):
        return expr_ops(e.lhs) + expr_ops(e.rhs)
    raise CostError(f"no operation count for {type(e).__name__}: {e}")


def expr_depth(e) -> int:
    """Steps to evaluate `e` with unlimited parallelism (sums, products as trees)."""
    if _leaf(e):
        return 0
    if e.is_Add or e.is_Mul:
        return tree_depth(len(e.args)) + max(expr_depth(a) for a in e.args)
    if e.is_Pow:
        return 1 + max(expr_depth(e.base), expr_depth(e.exp))
    if isinstance(e, sp.Derivative):
        return 1 + max((expr_depth(a) for a in e.expr.args), default=0)
    if isinstance(e, (sp.Function, sp.KroneckerDelta)):
        return 1 + max((expr_depth(a) for a in e.args if isinstance(a, sp.Expr)), default=0)
    if isinstance(e, sp.core.relational.Relational):
        return max(expr_depth(e.lhs), expr_depth(e.rhs))
    raise CostError(f"no depth for {type(e).__name__}: {e}")


def instance_work(st: Statement) -> int:
    """Operations of one run of a statement (one for a plain copy)."""
    return max(1, expr_ops(st.rhs) + (1 if st.op in ("+=", "-=") else 0))


# --------------------------------------------------------------------------
# recurrences written as one statement become blocks
# --------------------------------------------------------------------------


def recurrence_loop(st: Statement):
    """The loop along which a statement reads its own target shifted, run in order."""
    tidx = ref_indices(st.target)
    own = {lp.var: lp for lp in st.loops}
    for r in st.reads():
        if ref_name(r) != st.target_name or ref_indices(r) == tidx:
            continue
        for w, rd in zip(tidx, ref_indices(r)):
            if w == rd:
                continue
            for var in w.free_symbols & set(own):
                lp = own[var]
                delta = sp.simplify(rd - w)
                if delta.is_Number:
                    lp = Loop(lp.var, lp.lo, lp.hi, bool(delta > 0))
                return lp
    return None


def with_blocks(items) -> list:
    """The program's items, a self-recurrent statement turned into a block."""
    out = []
    for it in items:
        if isinstance(it, Block):
            out.append(Block(it.loops, with_blocks(it.body), it.line))
            continue
        lp = recurrence_loop(it)
        if lp is None:
            out.append(it)
        else:
            rest = tuple(l for l in it.loops if l.var != lp.var)
            out.append(Block((lp,), [it.with_(loops=rest)], it.line))
    return out


def single_loop_blocks(items) -> list:
    """Blocks over several loops become nested blocks over one loop each."""
    out = []
    for it in items:
        if isinstance(it, Block):
            body = single_loop_blocks(it.body)
            for lp in reversed(it.loops[1:]):
                body = [Block((lp,), body, it.line)]
            out.append(Block((it.loops[0],), body, it.line))
        else:
            out.append(it)
    return out


# --------------------------------------------------------------------------
# counts of a statement
# --------------------------------------------------------------------------


def iterations(loops) -> sp.Expr:
    out = sp.S.One
    for lp in loops:
        out *= lp.count()
    return out




def per_element(st: Statement, extents=None) -> sp.Expr:
    """The most instances of a statement that write one element of its target.

    `extents` (the target's axis lengths) bound a sum index like x + dx: element
    i gets at most min(n_x, n_dx, i + 1) contributions."""
    own = {lp.var: lp for lp in st.loops}
    count = sp.S.One
    determined = set()
    pending = []
    for k, e in enumerate(ref_indices(st.target)):
        aff = affine(e, list(own))
        if aff is None:
            pending.append((set(e.free_symbols) & set(own), None))
            continue
        _, coeffs = aff
        if len(coeffs) == 1:
            determined |= set(coeffs)
        elif coeffs:
            pending.append((set(coeffs), extents[k] if extents else None))
    changed = True
    while changed:
        changed = False
        for vs, _ in pending:
            rest = vs - determined
            if len(rest) == 1:
                determined |= rest
                changed = True
    for vs, extent in pending:
        rest = sorted(vs - determined, key=lambda v: v.name)
        if not rest:
            continue
        # v1 + v2 = i has at most min(n1, n2, i + 1) solutions; more variables: a bound
        if len(rest) == 2:
            bound = [own[rest[0]].count(), own[rest[1]].count()]
            if extent is not None:
                bound.append(extent)
            count *= sp.Min(*bound)
        else:
            for v in rest[1:]:
                count *= own[v].count()
        determined |= set(rest)
    for v, lp in own.items():
        if v not in determined:
            count *= lp.count()
    return count


def _pattern(st: Statement, slice_tag=None) -> tuple:
    """The target's index pattern, statement loop variables renamed in order."""
    names = {}
    for e in ref_indices(st.target):
        for v in sorted(e.free_symbols, key=lambda s: s.name):
            if v in {lp.var for lp in st.loops} and v not in names:
                names[v] = sp.Symbol(f"_{len(names)}", integer=True)
    return (slice_tag, tuple(sp.expand(e.xreplace(names)) for e in ref_indices(st.target)))


def _collapsed(tag) -> bool:
    """The tag of one step's slice after its block (different steps: different elements)."""
    return isinstance(tag, tuple) and len(tag) == 3 and tag[0] == "slice"


def _disjoint(p1, p2) -> bool:
    """Are two target patterns provably different elements (2r vs 2r+1)?"""
    if p1[0] != p2[0] and _collapsed(p1[0]) and _collapsed(p2[0]):
        return True
    for e1, e2 in zip(p1[1], p2[1]):
        d = sp.expand(e1 - e2)
        if d.is_Integer and d != 0:
            cs = [int(c) for v, c in sp.expand(e1).as_coefficients_dict().items()
                  if v != 1 and c.is_Integer]
            g = 0
            for c in cs:
                g = gcd(g, abs(c))
            if g == 0 or int(d) % g != 0:
                return True
    return False


# --------------------------------------------------------------------------
# symbolic times: max(c + w_c, ..., b) over the carriers c of enclosing blocks
# --------------------------------------------------------------------------


SMALLEST_SIZE = 2      # the formulas hold for every size of at least 2


def _nonneg_poly(e) -> bool:
    """Every coefficient of a polynomial in non-negative symbols is >= 0."""
    for t in sp.Add.make_args(sp.expand(e)):
        c, _ = t.as_coeff_Mul()
        if c.is_negative:
            return False
        if any(not (f.is_Symbol or (f.is_Pow and f.base.is_Symbol and f.exp.is_Integer
                                    and f.exp > 0) or f.is_Number)
               for f in sp.Mul.make_args(t)):
            return False
    return True


def provably_nonneg(d) -> bool:
    """Is d >= 0 for every size >= SMALLEST_SIZE?  (sound, not complete)

    Sizes become s + 2 with s >= 0; a negative ceil(log2 u) term is cancelled by a
    positive one with a larger argument and coefficient, or bounded by u - 1; what
    is left must be a polynomial with non-negative coefficients."""
    d = sp.expand(as_expr(d))
    if d.is_Number:
        return bool(d >= 0)
    if d.has(sp.Max, sp.Min):
        return False
    sizes = [v for v in d.free_symbols if v.is_integer and v.is_positive]
    if len(sizes) != len(d.free_symbols):
        return False
    d = sp.expand(d.xreplace({v: v + SMALLEST_SIZE for v in sizes}))
    poly = sp.S.Zero
    pos, neg = [], []
    for t in sp.Add.make_args(d):
        logs = [f for f in sp.Mul.make_args(t) if isinstance(f, clog2)]
        if not logs:
            poly += t
            continue
        if len(logs) > 1:
            return False
        c = sp.expand(t / logs[0])
        u = sp.expand(logs[0].args[0])
        if c.as_coeff_Mul()[0].is_negative:
            neg.append([-c, u])
        else:
            pos.append([c, u])
    for item in neg:
        c, u = item
        for p in pos:
            if _nonneg_poly(p[0] - c) and _nonneg_poly(p[1] - u):
                p[0] = sp.expand(p[0] - c)
                break
        else:
            poly -= c * (u - 1)                  # ceil(log2 u) <= u - 1
    for c, u in pos:
        poly += c * (1 if _nonneg_poly(u - 2) else 0)
    return _nonneg_poly(poly)


def smax(a, b):
    """max(a, b), decided where it provably can be (sizes >= SMALLEST_SIZE)."""
    if a is None:
        return b
    if b is None:
        return a
    args = []
    for x in list(sp.Max.make_args(a)) + list(sp.Max.make_args(b)) \
            if (isinstance(a, sp.Max) or isinstance(b, sp.Max)) else (a, b):
        if any(provably_nonneg(y - x) for y in args):
            continue
        args = [y for y in args if not provably_nonneg(x - y)] + [x]
    return args[0] if len(args) == 1 else sp.Max(*args, evaluate=False)


def _madd(x, y):
    """x + y with maxima kept outermost: max(a, b) + c = max(a + c, b + c)."""
    xs, ys = sp.Max.make_args(as_expr(x)), sp.Max.make_args(as_expr(y))
    out = None
    for a in xs:
        for b in ys:
            out = smax(out, sp.expand(a + b))
    return out


def _mscale(x, k):
    """k x for k >= 0, maxima kept outermost."""
    out = None
    for a in sp.Max.make_args(as_expr(x)):
        out = smax(out, sp.expand(a * k))
    return out


class Time(dict):
    """A ready time: {None: b, 'c1': w1, ...} stands for max(b, c1 + w1, ...)."""

    @staticmethod
    def const(x) -> "Time":
        return Time({None: as_expr(x)})

    def plus(self, d) -> "Time":
        return Time({k: _madd(v, d) for k, v in self.items()})

    def join(self, other: "Time") -> "Time":
        out = Time(self)
        for k, v in other.items():
            out[k] = smax(out.get(k), v)
        return out

    def at(self, key, value: "Time") -> "Time":
        """Substitute the carrier `key` by the time `value`."""
        if key not in self:
            return Time(self)
        w = self[key]
        rest = Time({k: v for k, v in self.items() if k != key})
        return rest.join(value.plus(w))

    def expr(self) -> sp.Expr:
        out = None
        for k, v in self.items():
            if k is not None:
                raise CostError("a carrier is left in a time")
            out = smax(out, v)
        return sp.S.Zero if out is None else out


ZERO = Time.const(0)


@dataclass
class Group:
    """Partial sums of `+=` statements waiting to be added into a tensor's elements.

    One run of a `+=` statement adds its contributions to an element as a tree
    (ready ceil(log2 m) steps after the last of its m contributions); the
    partial sums of the runs and the value already there are added as a tree
    when the element is read."""
    pattern: tuple
    n: sp.Expr               # partial sums per element
    ready: Time              # when the last of them is ready
    carried: bool = False    # made by earlier steps of the enclosing block
    present: bool | None = None   # its elements hold a value already (None: the tensor's flag)
    last: Time | None = None      # when the last contribution itself is ready


@dataclass
class TensorState:
    present: bool            # holds a value (input, seeded, written with `=`, added up)
    ready: Time
    pending: list = field(default_factory=list)
    where: tuple | None = None   # the index pattern of the `=` write that made it present

    def copy(self) -> "TensorState":
        return TensorState(self.present, Time(self.ready), list(self.pending), self.where)

    def materialize(self) -> Time:
        """Add the pending contributions (a balanced tree): the time the value is ready."""
        if not self.pending:
            return Time(self.ready) if self.present else Time(ZERO)
        m = None
        for g in self.pending:
            total = sum((h.n for h in self.pending if not _disjoint(g.pattern, h.pattern)),
                        sp.S.Zero)
            there = self.present if g.present is None else g.present
            m = smax(m, total + (1 if there else 0))
        finish = Time(self.ready) if self.present else Time()
        for g in self.pending:
            finish = finish.join(g.ready)
        self.ready = finish.plus(clog2(m))
        self.present = True
        self.where = None
        self.pending = []
        return Time(self.ready)


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
    carried: list             # (tensor, read index text) read from the step before
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
        lp = block.loops[0]
        n = lp.count()
        step = -1 if lp.reverse else 1
        body_written = {st.target_name for st, _ in _walk(block.body)}
        axes = {}
        for st, _ in _walk(block.body):
            axes.setdefault(st.target_name, _block_axis(st.target, lp.var))
        offsets = {}               # tensor -> {offset: [statements]}
        for st, _ in _walk(block.body):
            k = axes[st.target_name]
            off = _offset(st.target, k, lp.var)
            offsets.setdefault(st.target_name, {}).setdefault(off, []).append(st)
        carried_reads = []
        for st, _ in _walk(block.body):
            for r in st.reads():
                x = ref_name(r)
                if x not in body_written:
                    continue
                o = _offset(r, axes[x], lp.var)
                sources = [o2 for o2 in offsets[x]
                           if o is None or o2 is None or _later(o2, o, step)]
                if sources and (x, o) not in [(a, b) for a, b, _ in carried_reads]:
                    near = min(sources, key=lambda o2: abs(o2 - o)
                               if o is not None and o2 is not None else 0)
                    writer = (format_expr(lp.var + (o - near))
                              if o is not None and near is not None else "an earlier step")
                    carried_reads.append((x, o, (format_expr(r), writer)))
        carried_keys = {(x, o) for x, o, _ in carried_reads}

        def carried_into(x, o):
            """Offsets whose writes in earlier steps reach slice o of x."""
            return [o2 for o2 in offsets[x] if o is None or o2 is None or _later(o2, o, step)]

        self._carriers += 1
        c = f"c{self._carriers}"
        pre = {x: scope.get(x).copy() for x in body_written}

        # pass A: the first step (nothing carried in); pass B: a step after others
        t_first = lp.hi if lp.reverse else lp.lo
        later = (lp.lo, lp.hi - 1) if lp.reverse else (lp.lo + 1, lp.hi)
        first = _BlockScope(scope, lp.var, axes, pre, None, None, carried_keys, carried_into,
                            t_first, later)
        self.items(block.body, tuple(outer) + (lp,), first)
        counts = first.written_counts
        generic = _BlockScope(scope, lp.var, axes, pre, c, counts, carried_keys, carried_into,
                              t_first, later)
        self.items(block.body, tuple(outer) + (lp,), generic)

        def carried_out(bs):
            out = None
            for (x, o2), t in bs.write_finish.items():
                if any(o2 in carried_into(x, o) for (y, o) in carried_keys if y == x):
                    out = t if out is None else out.join(t)
            return out

        c1 = carried_out(first)
        nxt = carried_out(generic)
        if c1 is None or nxt is None:
            last = Time(ZERO)
            w = None
        else:
            w = nxt.get(c)
            b = Time({k: v for k, v in nxt.items() if k != c})
            if w is None:
                last = b.join(c1)
            else:
                # c(k) = max(c(k-1) + w, b): the carrier at the start of the last step
                if all(k in c1 and provably_nonneg(_madd(c1[k], w) - v)
                       for k, v in b.items() if not isinstance(v, sp.Max)) \
                        and not any(isinstance(v, sp.Max) for v in b.values()):
                    last = c1.plus(_mscale(w, n - 2))    # b never overtakes: c(k) = c1 + (k-1)w
                else:
                    last = c1.plus(_mscale(w, n - 2)).join(b.plus(w * (n - 3)))
        # the statements on the way from what the step before wrote to what the next reads
        needed = {(x, o2) for (x, o) in carried_keys for o2 in carried_into(x, o)}
        chain = []
        for st in reversed(generic.chain):
            key = (st.target_name, _offset(st.target, axes[st.target_name], lp.var))
            if key in needed and st not in chain:
                chain.insert(0, st)
                for r in st.reads():
                    if ref_name(r) in body_written:
                        needed.add((ref_name(r), _offset(r, axes[ref_name(r)], lp.var)))
        if w is not None:
            self.recurrences.append(Recurrence(lp, carried_reads, w, chain, n))

        # the states after the block: the first step's and the last step's (its
        # carrier substituted); slices of different steps are different elements
        for x in body_written:
            base = pre[x]
            present = base.present
            ready = Time(base.ready) if present else Time(ZERO)
            # an accumulator keeps what it had; a sliced tensor's earlier contributions
            # were copied into the slices they reach
            pending = list(base.pending) if axes[x] is None else []
            acc: dict = {}
            for name, bs in (("first", first), ("last", generic)):
                def conv(t, bs=bs):
                    return t.at(c, last) if bs is generic else Time(t)
                t_at = (lp.hi if lp.reverse else lp.lo) if bs is first else \
                    (lp.lo if lp.reverse else lp.hi)
                for (y, o), s in bs.slices.items():
                    if y != x:
                        continue
                    if _out_of_range(self.program, x, axes[x], o, t_at):
                        # writes there are dropped: their instances still ran
                        for g in s.pending:
                            if not g.carried and not any(g is h for h in base.pending):
                                self.dead = self.dead.join(conv(g.last or g.ready))
                        continue
                    if s.present:
                        present = True
                        ready = ready.join(conv(s.ready))
                    for g in s.pending:
                        if g.carried or (axes[x] is None and any(g is h for h in base.pending)):
                            continue
                        if axes[x] is None:       # accumulated over the steps
                            weight = 1 if bs is first else n - 1
                            cnt, fin = acc.get(g.pattern, (sp.S.Zero, None))
                            acc[g.pattern] = (cnt + g.n * weight,
                                              conv(g.ready) if fin is None
                                              else fin.join(conv(g.ready)))
                        else:
                            pending.append(Group((("slice", name, o), g.pattern[1]),
                                                 g.n, conv(g.ready), False, s.present))
            pending += [Group(p, cnt, fin) for p, (cnt, fin) in acc.items()]
            scope.set(x, TensorState(present, ready, pending))


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

    def __init__(self, outer, var, axes, pre, carrier, counts, carried_keys, carried_into,
                 t_first, later):
        self.t_first = t_first
        self.later = later
        self.outer = outer
        self.var = var
        self.axes = axes
        self.pre = pre
        self.carrier = carrier
        self.counts = counts
        self.carried_keys = carried_keys
        self.carried_into = carried_into
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
                srcs = [o2 for o2 in self.carried_into(x, o) if (x, o2) in self.counts]
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
        d = sp.expand(e - (self.t_first + o))
        if self.carrier is None:            # the first step
            return not (d.is_Integer and d != 0)
        lo, hi = self.later                 # a later step t: is e = t + o possible?
        t = sp.expand(e - o)
        return not (sp.expand(t - lo).is_negative or sp.expand(t - hi).is_positive)

    def read(self, r) -> Time:
        x = ref_name(r)
        if x not in self.axes:
            return self.outer.read(r)
        return self.slice(x, _offset(r, self.axes[x], self.var)).materialize()

    def write(self, st, finish: Time, count):
        x = st.target_name
        o = _offset(st.target, self.axes[x], self.var)
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


# --------------------------------------------------------------------------
# the independent count: unroll at concrete sizes, element by element
# --------------------------------------------------------------------------


@dataclass
class Counted:
    sizes: dict
    work: int
    depth: int
    instances: int
    tensors: dict = field(default_factory=dict)    # tensor -> latest ready element


def _compile_index(e, variables, size_subs):
    e = sp.expand(as_expr(e).xreplace(size_subs))
    if e.is_Integer:
        return (int(e), ())
    aff = affine(e, variables)
    if aff is None or not aff[0].is_Integer:
        raise CostError(f"the index {e} is not affine in the loop variables")
    const, coeffs = aff
    return (int(const), tuple((v, c) for v, c in coeffs.items()))


def count(program: Program, sizes: dict, present_at_start=()) -> Counted:
    """Work and longest chain of the instance graph, counted by unrolling."""
    size_subs = {sym: sp.Integer(sizes[name]) for name, sym in program.sizes.items()
                 if name in sizes}
    ranges = {}
    for name, info in program.tensors.items():
        ranges[name] = tuple((concrete(lo, sizes), concrete(hi, sizes)) for lo, hi in info.ranges)
    written = set(program.written())
    present0 = {n for n in program.tensors if n not in written} | set(present_at_start)
    # element -> [ready, present, {run of a statement: [contributions, last finish]}]
    elems: dict = {}
    totals = {"work": 0, "depth": 0, "instances": 0}

    def in_range(name, idx):
        return all(lo <= i <= hi for i, (lo, hi) in zip(idx, ranges[name]))

    def materialize(key):
        e = elems.get(key)
        if e is None:
            return 0
        ready, present, runs = e
        if runs:
            sums = [last + tree_depth(cnt) for cnt, last in runs.values()]
            fin = max(sums + ([ready] if present else []))
            ready = fin + tree_depth(len(runs) + (1 if present else 0))
            elems[key] = [ready, True, {}]
        return ready

    def run_statement(st, fixed, enclosing):
        loops = list(st.loops)
        lp = recurrence_loop(st)
        if lp is not None:
            loops = [lp] + [l for l in loops if l.var != lp.var]
        variables = [l.var for l in loops] + list(fixed)
        target = _compile_index_tuple(st.target, variables, size_subs)
        refs = [(ref_name(r), _compile_index_tuple(r, variables, size_subs)) for r in st.reads()]
        work = instance_work(st)
        depth = expr_depth(st.rhs)
        tname = st.target_name
        values = []
        for l in loops:
            lo, hi = concrete(l.lo, sizes), concrete(l.hi, sizes)
            vals = list(range(lo, hi + 1))
            values.append(vals[::-1] if l.reverse else vals)
        names = [l.var for l in loops]
        run_key = (id(st),) + tuple(sorted((str(k), v) for k, v in fixed.items()))
        for point in itertools.product(*values):
            env = dict(fixed)
            env.update(zip(names, point))
            start = 0
            for name, comp in refs:
                idx = _eval_index(comp, env)
                if in_range(name, idx):
                    key = (name, idx)
                    if key in elems:
                        start = max(start, materialize(key))
            finish = start + depth
            totals["work"] += work
            totals["instances"] += 1
            totals["depth"] = max(totals["depth"], finish)
            idx = _eval_index(target, env)
            if not in_range(tname, idx):
                continue
            key = (tname, idx)
            e = elems.get(key)
            if e is None:
                e = elems[key] = [0, tname in present0, {}]
            if st.op == "=":
                elems[key] = [finish, True, {}]
            else:
                rk = run_key + ((point[0],) if lp is not None else ())
                cnt, last = e[2].get(rk, (0, 0))
                e[2][rk] = (cnt + 1, max(last, finish))

    def run(items, fixed):
        for it in items:
            if isinstance(it, Block):
                def rec(k, fx):
                    if k == len(it.loops):
                        run(it.body, fx)
                        return
                    l = it.loops[k]
                    lo, hi = concrete(l.lo, sizes), concrete(l.hi, sizes)
                    vals = range(hi, lo - 1, -1) if l.reverse else range(lo, hi + 1)
                    for v in vals:
                        rec(k + 1, {**fx, l.var: v})
                rec(0, fixed)
            else:
                run_statement(it, fixed, None)

    run(program.items, {})
    latest: dict = {}
    for key in list(elems):
        r = materialize(key)
        latest[key[0]] = max(latest.get(key[0], 0), r)
        totals["depth"] = max(totals["depth"], r)
    return Counted(dict(sizes), totals["work"], totals["depth"], totals["instances"], latest)


def _compile_index_tuple(r, variables, size_subs):
    return tuple(_compile_index(e, variables, size_subs) for e in ref_indices(r))


def _eval_index(comp, env):
    return tuple(c + sum(k * env[v] for v, k in terms) for c, terms in comp)


# --------------------------------------------------------------------------
# orders of growth: O(BJ), O(T log J + log V)
# --------------------------------------------------------------------------


def _log_order(arg, sizes):
    """log(arg) up to a constant factor, as a sum of logs of sizes."""
    terms = _dominant_terms(arg, sizes)
    out = sp.S.Zero
    vs = set()
    for key in terms:
        for v, (p, _) in key.items():
            if p > 0:
                vs.add(v)
    for v in sorted(vs, key=lambda s: str(s)):
        out += sp.log(v)
    return out


def _asymptotic(e, sizes):
    """Replace ceilings, maxima and logs by expressions of the same order."""
    if e.is_Atom:
        return e
    if isinstance(e, clog2) or isinstance(e, sp.log):
        return _log_order(_asymptotic(e.args[0], sizes), sizes)
    if isinstance(e, sp.ceiling) or isinstance(e, sp.floor):
        return _asymptotic(e.args[0], sizes)
    if isinstance(e, sp.Max):
        return sp.Add(*[_asymptotic(a, sizes) for a in e.args])
    if isinstance(e, sp.Min):
        return e
    return e.func(*[_asymptotic(a, sizes) for a in e.args])


def _term_key(term, sizes) -> dict:
    """{size or Min(..): (power, log power)} of one product term."""
    key: dict = {}
    for f in sp.Mul.make_args(term):
        if f.is_Number:
            continue
        base, ex = f.as_base_exp()
        if not ex.is_Number:
            raise CostError(f"cannot take the order of {term}")
        ex = sp.nsimplify(ex)
        if base in sizes or isinstance(base, sp.Min):
            p, l = key.get(base, (0, 0))
            key[base] = (p + ex, l)
        elif isinstance(base, sp.log) and (base.args[0] in sizes
                                           or isinstance(base.args[0], sp.Min)):
            v = base.args[0]
            p, l = key.get(v, (0, 0))
            key[v] = (p, l + ex)
        elif not (base.free_symbols & set(sizes)):
            continue                       # a constant (another symbol)
        else:
            raise CostError(f"cannot take the order of {term}")
    return {v: pl for v, pl in key.items() if pl != (0, 0)}


def _dominant_terms(e, sizes, only=None) -> list:
    e = sp.expand(_asymptotic(as_expr(e), sizes))
    keys = []
    for term in sp.Add.make_args(e):
        if term == 0:
            continue
        k = _term_key(term, sizes)
        if only is not None:
            k = {v: pl for v, pl in k.items() if v in only}
        if k not in keys:
            keys.append(k)

    def covers(a, v, pl):
        if a.get(v, (0, 0)) >= pl:
            return True                 # min(F, M) <= M: dominated by what M dominates
        return isinstance(v, sp.Min) and any(a.get(x, (0, 0)) >= pl for x in v.args)

    def dominates(a, b):
        return all(covers(a, v, pl) for v, pl in b.items())

    out = []
    for k in keys:
        if any(o != k and dominates(o, k) for o in keys):
            continue
        out.append(k)
    return out or [{}]


def _format_term(key, order_of) -> str:
    if not key:
        return "1"
    vs = sorted(key, key=order_of)
    plain, logs = [], []
    for v in vs:
        p, l = key[v]
        name = f"min({', '.join(str(a) for a in v.args)})" if isinstance(v, sp.Min) else str(v)
        if p:
            plain.append(name if p == 1 else f"{name}^{p}")
        if l:
            logs.append(f"log {name}" if l == 1 else f"log^{l} {name}")
    single = all(len(str(v)) == 1 for v in vs if key[v][0])
    head = ("".join(plain) if single else "·".join(plain))
    return " ".join(x for x in [head] + logs if x)


def order(expr, program: Program, only=None) -> str:
    """The order of growth of a size expression: `O(BJ)`, `O(T log J)`, `O(1)`.

    With `only` (size names), the other sizes count as constants."""
    sizes = list(program.sizes.values())
    keep = None if only is None else {program.sizes[n] for n in only if n in program.sizes}
    names = [str(s) for s in sizes]

    def order_of(v):
        return names.index(str(v)) if str(v) in names else len(names)
    terms = _dominant_terms(expr, sizes, keep)
    terms.sort(key=lambda k: (-sum(p for p, _ in k.values()), [order_of(v) for v in k]))
    return "O(" + " + ".join(_format_term(k, order_of) for k in terms) + ")"


# --------------------------------------------------------------------------
# a forward program and its backward program
# --------------------------------------------------------------------------


def final_outputs(program: Program) -> list:
    """The tensors nothing else is computed from: the last of each sink of the data flow."""
    written = program.written()
    deps = {x: set() for x in written}
    for st in program.statements():
        for r in st.reads():
            if ref_name(r) in deps:
                deps[ref_name(r)].add(st.target_name)
    # tensors reachable from x (x feeds them)
    reach = {}
    for x in written:
        seen, todo = set(), [x]
        while todo:
            y = todo.pop()
            for z in deps[y]:
                if z not in seen:
                    seen.add(z)
                    todo.append(z)
        reach[x] = seen
    sinks = [x for x in written if all(x in reach[z] for z in reach[x])]
    # one per strongly connected sink: the last written
    out = []
    for x in reversed(written):
        if x in sinks and not any(x in reach[o] and o in reach[x] for o in out):
            out.append(x)
    return list(reversed(out))


def backward_of(program: Program, sources=None, targets=None) -> Backward:
    """The backward program from the final outputs to every parameter and input."""
    sources = list(sources or final_outputs(program))
    if targets is None:
        from .backward import relevant
        up, _ = relevant(program, sources, [])
        targets = [n for n, i in program.tensors.items()
                   if i.role in ("input", "parameter") and n in up]
    return derive_backward(program, sources, targets)


@dataclass
class Memory:
    tensors: list             # (name, role, size expr)
    total: sp.Expr


def memory_kept(forward: Program, bw: Program) -> Memory:
    """The forward tensors the backward program reads, and their total size."""
    fwd = set(forward.tensors)
    names = []
    for st in bw.statements():
        for r in st.reads():
            n = ref_name(r)
            if n in fwd and not is_grad_name(n) and n not in names \
                    and forward.tensors[n].role != "temporary":
                names.append(n)
    rows, total = [], sp.S.Zero
    for n in names:
        info = forward.tensors[n]
        size = sp.S.One
        for lo, hi in info.ranges:
            size *= sp.simplify(hi - lo + 1)
        rows.append((n, info.role, size))
        total += size
    return Memory(rows, sp.expand(total))


@dataclass
class CostReport:
    forward: Cost
    backward: Cost
    memory: Memory
    bw: Backward


def analyse_pair(forward: Program, bw: Backward) -> CostReport:
    seeded = [grad_name(s) for s in bw.sources]
    return CostReport(analyse(forward), analyse(bw.program, seeded),
                      memory_kept(forward, bw.program), bw)


def cost_line(forward_program: Program, backward, verify: bool = False) -> str:
    """`forward work O(BJ), backward work O(BJ), parallel depth O(log J), memory kept O(BJ)`.

    With `verify`, the formulas behind the orders are counted by unrolling at two
    small sizes; a disagreement is said in the line.  A program the engine cannot
    analyse (nested recurrences) gets a line saying so."""
    try:
        rep = analyse_pair(forward_program, backward)
    except CostError as e:
        return f"not analysed ({e})"
    fw = order(rep.forward.work, forward_program)
    bwk = order(rep.backward.work, forward_program)
    fd = order(rep.forward.depth, forward_program)
    bd = order(rep.backward.depth, forward_program)
    depth = f"parallel depth {bd}" if fd == bd else \
        f"parallel depth {fd} forward, {bd} backward"
    mem = order(rep.memory.total, forward_program) if rep.memory.tensors else "O(1)"
    line = f"forward work {fw}, backward work {bwk}, {depth}, memory kept {mem}"
    if verify:
        sizes = [{n: k for n in forward_program.sizes} for k in (2, 3)]
        seeded = [grad_name(x) for x in backward.sources]
        ok = check_by_counting(forward_program, rep.forward, sizes).passed and \
            check_by_counting(backward.program, rep.backward, sizes, seeded).passed
        if not ok:
            line += " (the formulas were not confirmed by counting)"
    return line


# --------------------------------------------------------------------------
# checking the formulas by counting
# --------------------------------------------------------------------------


@dataclass
class CountVerification(Verification):
    """Formulas checked against counts of the unrolled program."""
    rows: list = field(default_factory=list)       # (sizes, name, formula value, counted)

    def summary(self) -> str:
        status = "passed" if self.passed else "FAILED"
        n = len(self.checks)
        if self.passed:
            return (f"{self.method}: {status}, the work and depth formulas equal the counts "
                    f"at all {n} sizes" + (f"; {self.detail}" if self.detail else ""))
        bad = [r for r in self.rows if r[2] != r[3]]
        if not bad:
            return f"{self.method}: {status}, {self.detail}"
        sz, name, f, c = bad[0]
        at = ", ".join(f"{k}={v}" for k, v in sz.items())
        return f"{self.method}: {status}, the {name} formula gives {f} but {c} was counted at {at}"

    def brief(self) -> str:
        """A few words for `derive verify`'s table."""
        n = len(self.checks)
        return f"counted by unrolling, {n} sizes: " + ("exact" if self.passed else "mismatch")

    def details(self) -> list:
        out = []
        for c in self.checks:
            at = ", ".join(f"{k}={v}" for k, v in c.sizes.items())
            vals = [(r[1], r[2], r[3]) for r in self.rows if r[0] == c.sizes]
            out.append(f"{at}: " + ", ".join(
                f"{name} {f}" + (" (counted the same)" if f == cnt else f" but counted {cnt}")
                for name, f, cnt in vals))
        return out


def check_by_counting(program: Program, cost: Cost, size_list, present_at_start=(),
                      label: str = "") -> CountVerification:
    """The work and depth formulas against counts of the unrolled program."""
    rows, checks = [], []
    for sizes in size_list:
        subs = {sym: sp.Integer(sizes[n]) for n, sym in program.sizes.items()}
        c = count(program, sizes, present_at_start)
        errs = {}
        for name, formula, counted in ((f"{label}work", cost.work, c.work),
                                       (f"{label}depth", cost.depth, c.depth)):
            v = as_expr(formula).xreplace(subs)
            v = int(v) if v.is_Integer else float(v)
            rows.append((dict(sizes), name, v, counted))
            errs[name] = abs(v - counted) / max(abs(counted), 1)
        checks.append(Check(dict(sizes), 0, errs))
    passed = all(r[2] == r[3] for r in rows)
    return CountVerification("counted by unrolling", checks, 0.0, passed, rows=rows)


GROWTH_SIZES = (2, 4, 8, 16)


def _growth_ratio(order_text: str, grow: str):
    """Bounds on count(16) / count(8) for an order in one size (None: not checked)."""
    inner = order_text[2:-1]
    return {"1": (1.0, 1.0), grow: (1.5, 2.0), f"{grow}^2": (3.0, 4.0),
            f"log {grow}": (1.0, 1.5)}.get(inner)


def _claimed_growth(v: CountVerification, claims: dict, grow: str) -> list:
    """Claims {'work': 'O(T)', ...} that the counts at 8 and 16 contradict."""
    bad = []
    for name, claim in claims.items():
        at = {r[0][grow]: r[3] for r in v.rows if r[1] == name}
        bounds = _growth_ratio(claim, grow)
        if bounds is None or 8 not in at or 16 not in at:
            continue
        ratio = at[16] / max(at[8], 1)
        if not bounds[0] <= ratio <= bounds[1]:
            bad.append(f"{name} grows by {ratio:.2f} from {grow}=8 to {grow}=16, "
                       f"not as {claim}")
    return bad


# --------------------------------------------------------------------------
# the `cost` part
# --------------------------------------------------------------------------

MEASURES = ("work", "depth", "both")


def _statement_text(st, program) -> str:
    return f"`{format_statement(st, program.indices)}`"


def solve_cost_part(spec, part, ans, verify: bool = True):
    """Work, parallel depth and memory of the problem's program (or its backward)."""
    from .solve import Result, tidy
    args = part.args
    key = f"parts.{part.label}"
    of = str(args.get("of", "backward"))
    if of not in ("backward", "forward"):
        raise SpecError(f"expected backward or forward, got {of!r}", spec.path, f"{key}.of")
    prog = spec.program
    grow = args.get("in")
    if grow is not None and str(grow) not in prog.sizes:
        raise SpecError(f"unknown size {grow!r} (sizes: {', '.join(prog.sizes) or 'none'})",
                        spec.path, f"{key}.in")
    grow = None if grow is None else str(grow)
    measure = str(args.get("measure", "both"))
    if measure not in MEASURES:
        raise SpecError(f"expected one of {', '.join(MEASURES)}, got {measure!r}", spec.path,
                        f"{key}.measure")
    only = None if grow is None else [grow]
    fwd = analyse(prog)
    n_blocks = sum(1 for it in prog.items if isinstance(it, Block))
    loops = f" ({n_blocks} loop{'s' if n_blocks > 1 else ''} over steps)" if n_blocks else ""
    steps: list = [Step("cost", f"the program analysed: the problem's forward program, "
                                f"{len(prog.statements())} statements{loops}")]
    if of == "backward":
        bw = backward_of(prog)
        tidy(bw.program)
        ans.backward = bw
        seeded = [grad_name(x) for x in bw.sources]
        cost = analyse(bw.program, seeded)
        mem = memory_kept(prog, bw.program)
        steps.append(Step("cost", f"the backward program, derived from "
                                  f"{', '.join(grad_name(x) for x in bw.sources)} to the "
                                  f"gradients of {', '.join(bw.targets)}:"))
        steps += [Step("program", line) for line in bw.program.text().split("\n")]
        analysed, present = bw.program, seeded
    else:
        cost, mem, analysed, present = fwd, None, prog, ()
    what = "backward" if of == "backward" else "forward"
    steps += _work_steps(cost, analysed, prog, only, what)
    steps += _depth_steps(cost, analysed, prog, only, what)
    w_order = order(cost.work, prog, only)
    d_order = order(cost.depth, prog, only)
    ans.results = [Result(f"{what} work", cost.work, "=", w_order),
                   Result(f"{what} parallel depth", cost.depth, "=", d_order)]
    if mem is not None:
        kept = ", ".join(f"{n} ({role}, {format_expr(size)})" for n, role, size in mem.tensors)
        steps.append(Step("memory", f"memory kept for the backward pass, the forward tensors "
                                    f"it reads: {kept}; in all {format_expr(mem.total)} = "
                                    f"{order(mem.total, prog, only)}"))
        ans.results.append(Result("memory kept for the backward pass", mem.total, "=",
                                  order(mem.total, prog, only)))
        ans.results.append(Result("forward work", fwd.work, "=", order(fwd.work, prog, only)))
    fixed = f" in {grow} (the other sizes fixed)" if grow else ""
    ans.message = {
        "work": f"the {what} pass takes time {w_order}{fixed}: its work",
        "depth": f"with unlimited parallelism the {what} pass takes time {d_order}{fixed}: "
                 f"its parallel depth",
        "both": f"{what} work {w_order}, parallel depth {d_order}{fixed}"}[measure]
    ans.steps = steps
    if verify:
        base = {n: 2 for n in prog.sizes}
        sizes = [{**base, grow: v} for v in GROWTH_SIZES] if grow else \
            [base, {n: 3 for n in prog.sizes}]
        v = check_by_counting(analysed, cost, sizes, present)
        if grow:
            others = ", ".join(f"{k}={x}" for k, x in base.items() if k != grow)
            v.method = (f"counted by unrolling at {grow} = "
                        f"{', '.join(str(s[grow]) for s in sizes)}"
                        + (f" ({others})" if others else ""))
            bad = _claimed_growth(v, {"work": w_order, "depth": d_order}, grow)
            if bad:
                v.passed, v.detail = False, "; ".join(bad)
            else:
                v.detail = f"the counts grow as {w_order} (work) and {d_order} (depth)"
        else:
            v.method = "counted by unrolling at sizes " + "; ".join(
                ", ".join(f"{k}={x}" for k, x in s.items()) for s in sizes)
        ans.verification = v
    return ans


def _work_steps(cost: Cost, analysed: Program, prog: Program, only, what) -> list:
    steps = [Step("work", f"work of the {what} program, statement by statement "
                          f"(runs x operations per run):")]
    for r in cost.statements:
        steps.append(Step("work", f"  {_statement_text(r.statement, analysed)}: "
                                  f"{format_expr(r.iterations)} runs x {r.ops}"))
    top = order(cost.work, prog, only)
    steps.append(Step("work", f"{what} work = {format_expr(cost.work)} = {top}"
                      + (" with the other sizes fixed" if only else "")))
    if only:
        g = prog.sizes[only[0]]
        degs = []
        for r in cost.statements:
            it = sp.expand(r.iterations)
            degs.append(sp.degree(it, g) if it.is_polynomial(g) else None)
        if degs and all(d is not None and d <= 1 for d in degs):
            steps.append(Step("work", f"no statement runs more than once per value of "
                                      f"{_loop_name(analysed, g)}: every one of the {only[0]} "
                                      f"steps does the same fixed work, so the work is linear "
                                      f"in {only[0]} (not quadratic)"))
    return steps


def _loop_name(program: Program, size) -> str:
    for name, (lo, hi) in program.indices.items():
        if size in as_expr(hi).free_symbols:
            return name
    return str(size)


def _depth_steps(cost: Cost, analysed: Program, prog: Program, only, what) -> list:
    steps = []
    for r, d in cost.reductions:
        if d == 0:
            continue
        steps.append(Step("depth", f"{_statement_text(r.statement, analysed)} adds "
                                   f"{format_expr(r.per_element)} terms into each element: "
                                   f"they are summed as a tree of depth {format_expr(d)}, "
                                   f"not one after the other"))
    for rec in cost.recurrences:
        lp = rec.loop
        reads_ = "; ".join(f"{text} (written by step {writer})"
                           for _, _, (text, writer) in rec.carried)
        order_word = "from last to first" if lp.reverse else "from first to last"
        steps.append(Step("depth", f"the loop over {lp.var} ({order_word}) is a recurrence: "
                                   f"step {lp.var} reads {reads_}, so it cannot start before "
                                   f"that step has ended"))
        if rec.chain:
            steps.append(Step("depth", "the chain from one step to the next: " + "; ".join(
                _statement_text(x, analysed) for x in rec.chain)))
        steps.append(Step("depth", f"each step adds {format_expr(rec.per_step)} to the longest "
                                   f"chain; {format_expr(rec.steps)} steps in sequence add "
                                   f"{format_expr(sp.expand(rec.steps * rec.per_step))}"))
    if not cost.recurrences:
        steps.append(Step("depth", "no statement depends on an earlier iteration of its own "
                                   "loops: the iterations of every loop run in parallel, and "
                                   "only the sums (trees) and the order of the statements "
                                   "make the chain"))
    top = order(cost.depth, prog, only)
    steps.append(Step("depth", f"{what} parallel depth = {format_expr(cost.depth)} = {top}"
                      + (" with the other sizes fixed" if only else "")))
    return steps
