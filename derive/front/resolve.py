
"""From the syntax tree to the IR: names are looked up, never evaluated.

Every name in a program or answer must be a declared index, tensor, symbol or
function of the problem (answers may also introduce temporaries: a name
first written, then read).  Einstein sums over repeated capital indices are
desugared into `+=` loops, nested ones through a temporary tensor.
"""
from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

import sympy as sp

from derive.front import notation as N
from derive.core.errors import IndexRangeError, LimitError, NotationError
from derive.core.functions import VOCABULARY
from derive.core.sizes import in_independents
from derive.core.program import (Block, Loop, Program, make_loop, Statement, TensorInfo,
                                 base_of, grad_name, index_var, is_grad_name, reads, ref,
                                 ref_indices, ref_name)
from derive.front.statement import _StmtState
from derive.front.notation import number
from derive.core.naming import names_in_use, sum_temporary
from derive.front.reductions import (outermost_reduction, reads_tensor, reduction_parts,
                                     running_reduction_hint)
from derive.core.program import REDUCTIONS
from derive.front.sums import (_index_names, _mentions_capital, _nested_sum_argument,
                               _reads_name, _reads_tensor, _recurrence_block, _signed,
                               _strip_esum, _writer_counts)
from derive.core.program import as_expr



@dataclass
class Scope:
    """The names a program or answer may use."""
    indices: dict = field(default_factory=dict)     # name -> (lo, hi)
    tensors: dict = field(default_factory=dict)     # name -> TensorInfo
    symbols: dict = field(default_factory=dict)     # name -> Symbol (sizes, parameters)
    sizes: dict = field(default_factory=dict)       # size name -> Symbol
    functions: dict = field(default_factory=dict)   # undefined function name -> (Function, arity)
    relations: dict = field(default_factory=dict)   # dependent size name -> expression

    def copy(self) -> "Scope":
        return Scope(dict(self.indices), dict(self.tensors), dict(self.symbols),
                     dict(self.sizes), dict(self.functions), dict(self.relations))

    def in_independents(self, e) -> sp.Expr:
        """`e` with every dependent size replaced by its expression in independent ones."""
        if not self.relations:
            return e
        return as_expr(e).xreplace(in_independents(self.relations, self.sizes))


class Resolver:
    def __init__(self, scope: Scope, source: str, text: str, key: str | None = None,
                 line_offset: int = 0, answer: bool = False):
        self.scope = scope
        self.source = source
        self.text = text
        self.key = key
        self.line_offset = line_offset
        self.answer = answer
        self.written_before: set[str] = set()
        self.writers: dict[str, int] = {}     # tensor name -> statements writing it
        self.temp_count: dict[str, int] = {}
        self.last_written: dict = {}          # tensor -> {(axis, last step)} set by `=`

    # ---- errors ------------------------------------------------------------

    def err(self, node, message: str, limit: bool = False):
        padded = "\n".join([""] * self.line_offset + self.text.split("\n"))
        e = NotationError(message, self.source, node.line + self.line_offset, node.col,
                          padded, self.key)
        if limit:
            raise LimitError(e.format())
        raise e

    # ---- programs ----------------------------------------------------------

    def program(self, items) -> list:
        self.writers = _writer_counts(items)
        if self.answer:
            self.declare_temporaries(items)
        return self.items(items, ())

    def declare_temporaries(self, items):
        """An answer's new tensors, from the statements that write them, before any is
        resolved: one read before it is written (an order mistake) is then judged, as
        zeros, not refused as unknown.  Only targets indexed by declared indices."""
        def rec(items):
            for it in items:
                if isinstance(it, N.Block):
                    rec(it.body)
                    continue
                t = it.target
                base, idx = (t.base, t.indices) if isinstance(t, N.Index) else (t, [])
                if not isinstance(base, N.Name) or base.id in self.scope.tensors \
                        or base.id in self.scope.symbols or base.id in self.scope.sizes \
                        or base.id in VOCABULARY or base.id in self.scope.functions:
                    continue
                names = [n.id if isinstance(n, N.Name) else None for n in idx]
                if all(n is not None and n in self.scope.indices for n in names) and \
                        len(set(names)) == len(names):
                    self.scope.tensors[base.id] = TensorInfo(
                        base.id, tuple(names), tuple(self.scope.indices[n] for n in names),
                        "temporary")
        rec(items)

    def items(self, items, outer: tuple) -> list:
        out = []
        if self.answer:
            items = self.base_cases_first(items)
        for it in items:
            if isinstance(it, N.Block):
                loops = []
                bound = {lp.var.name for lp in outer}
                for lv in it.loops:
                    if lv.name in bound or any(l.var.name == lv.name for l in loops):
                        self.err(lv, f"loop index {lv.name!r} is already bound")
                    rng = self.loop_range(lv)
                    if rng is None:
                        self.err(lv, f"the range of loop index {lv.name!r} is unknown: "
                                     f"declare it under index: or write {lv.name} in lo..hi")
                    loops.append(make_loop(index_var(lv.name), *rng))
                body = self.items(it.body, outer + tuple(loops))
                out.append(Block(tuple(loops), body, it.line + self.line_offset))
            else:
                out.extend(self.statement(it, outer))
        return out

    def base_cases_first(self, items) -> list:
        """`delta_t = ... delta_{t+1}` and then `delta_T = ...`: a recurrence written before
        its base case is a definition, read as a grader reads it: the base case first
        (which the recurrence's implied loop then leaves out)."""
        items = list(items)
        for j in range(len(items)):
            it = items[j]
            if not _equation(it) or not self.last_steps(it.target):
                continue
            name = _assigned_name(it.target)
            for i in range(j):
                other = items[i]
                if _equation(other) and _assigned_name(other.target) == name and \
                        _reads_name(other.value, name) and not self.last_steps(other.target):
                    items.insert(i, items.pop(j))
                    break
                if isinstance(other, N.Stmt) and _assigned_name(other.target) == name:
                    break                           # written otherwise first: as written
        return items

    def loop_range(self, lv: N.LoopVar):
        if lv.lo is not None:
            return (self.size_expr(lv.lo), self.size_expr(lv.hi))
        return self.scope.indices.get(lv.name)

    def size_expr(self, node) -> sp.Expr:
        """A loop bound: integers and size symbols with + - *."""
        if isinstance(node, N.Num):
            v = self.num(node)
            if not v.is_integer:
                self.err(node, "a loop bound must be an integer")
            return v
        if isinstance(node, N.Name):
            if node.id in self.scope.sizes:
                return self.scope.sizes[node.id]
            if node.id in self.scope.symbols and self.scope.symbols[node.id].is_integer:
                return self.scope.symbols[node.id]
            self.err(node, f"unknown size {node.id!r} in a loop range "
                           f"(sizes: {', '.join(sorted(self.scope.sizes)) or 'none'})")
        if isinstance(node, N.BinOp) and node.op in "+-*":
            l, r = self.size_expr(node.left), self.size_expr(node.right)
            return {"+": l + r, "-": l - r, "*": l * r}[node.op]
        if isinstance(node, N.Unary):
            v = self.size_expr(node.operand)
            return -v if node.op == "-" else v
        self.err(node, "expected a loop bound: an integer or a size such as T")

    def num(self, node: N.Num) -> sp.Rational:
        try:
            return number(node.text)
        except ValueError:
            self.err(node, f"number {node.text!r} is too large", limit=True)

    # ---- statements --------------------------------------------------------

    def statement(self, s: N.Stmt, outer: tuple) -> list[Statement]:
        outer_names = {lp.var.name: lp for lp in outer}
        st = _StmtState(self, s, outer_names)
        # loops of the statement itself
        if s.has_for:
            for lv in s.loops:
                if lv.name in outer_names or lv.name in st.loop_nodes:
                    self.err(lv, f"loop index {lv.name!r} is already bound")
                if lv.name[0].isupper():
                    self.err(lv, f"loop index {lv.name!r} must be lower-case "
                                 "(capital indices are summed, not looped over)")
                st.loop_nodes[lv.name] = lv
                st.ranges[lv.name] = self.loop_range(lv)
        # the target; in an answer, a size that ends an index's range, alone in a target
        # slot (z.grad[T, m], from delta_T), is that last step in the whole statement
        st.literal = self.last_steps(s.target) | _STEPS.get().get(
            s.line + self.line_offset, set()) if self.answer else set()
        tname, idx_nodes = self.target_parts(s.target, st.literal)
        if not s.has_for:
            # the lower-case indices of the target, also inside index arithmetic
            # (h.grad[b, t-1, i], Y.grad[2*r, 2*c, d]) are looped over
            for n in (x for node in idx_nodes for x in _index_names(node)):
                if n.id[0].islower() and n.id not in outer_names \
                        and n.id not in st.loop_nodes and n.id not in self.scope.sizes:
                    st.loop_nodes[n.id] = n
                    st.ranges[n.id] = self.scope.indices.get(n.id)
            if self.answer and s.op in ("+=", "-=") and outer:
                # W.grad[j, i] += a[b, t, j] * h[b, t, i] in a `for t` block (whose body,
                # as the spec's own, leaves its indices implicit): an update accumulates
                # over the problem's indices its right side reads (b), as `for b, j, i:`
                # would say.  Outside a block the course's rule stands: write the loop.
                for n in _rhs_index_names(s.value):
                    if n.id[0].islower() and n.id in self.scope.indices and \
                            n.id not in outer_names and n.id not in st.loop_nodes and \
                            n.id not in self.scope.sizes and n.id not in self.scope.symbols:
                        st.loop_nodes[n.id] = n
                        st.ranges[n.id] = self.scope.indices.get(n.id)
        target_indices = [st.index_expr(n, tname, k, in_target=True)
                          for k, n in enumerate(idx_nodes)]
        self.recurrent_temporary(s, st, tname, idx_nodes, target_indices, outer)
        rhs, opened = st.expr(s.value)
        rhs = st.close(rhs, opened)
        info = self.scope.tensors.get(tname)
        # ranges of loop indices the answer did not declare
        st.infer_ranges(tname, info)
        loops = tuple(make_loop(index_var(n), *st.ranges[n]) for n in st.loop_nodes)
        if not s.has_for:
            # a recurrence written as an equation, z.grad[t] = ... z.grad[t+1] ...: its
            # implied loop runs in the order the recurrence needs (from the end)
            ahead = _reads_ahead(tname, target_indices, rhs)
            loops = tuple(Loop(lp.var, lp.lo, lp.hi, True) if lp.var in ahead else lp
                          for lp in loops)
            loops = self.other_steps(tname, target_indices, s.op, loops)
        if self.answer and s.op == "=":          # z.grad[T, m] = ...: one step, by name
            sizes = set(self.scope.sizes.values())
            self.last_written.setdefault(tname, set()).update(
                (k, i) for k, i in enumerate(target_indices) if i in sizes)
        used = {v.name for v in sp.Tuple(*target_indices, rhs).free_symbols}
        for name, node in st.loop_nodes.items():
            if name not in used:
                self.err(node, f"loop index {name!r} is never used in the statement")
        target_vars = {v.name for v in sp.Tuple(*target_indices).free_symbols}
        if s.op == "=" and not self.answer:
            # in an answer, `for b, j: Z[b] = ...` has its meaning (each j overwrites:
            # the last one stays), and is judged; a spec means `+=` there
            for name, node in st.loop_nodes.items():
                if name not in target_vars:
                    hint = running_reduction_hint(s, tname, name)
                    self.err(node, f"with '=', every loop index must appear in the target; "
                                   f"{name!r} does not" + (
                                       f". {hint}. To sum over {name}, use '+='" if hint else
                                       " (use '+=' to sum over it)"))
        # the target tensor
        if info is None:
            if is_grad_name(tname) and (base_of(tname) in self.scope.tensors
                                        or not self.answer):
                info = self.grad_info(s.target, tname)
            elif self.answer:       # a temporary, also one named like a gradient (Rin.grad)
                info = self.new_temporary(s.target, tname, target_indices,
                                          tuple(outer) + loops)   # block indices too
            else:
                self.err(s.target, f"unknown tensor {tname!r}: declare it under tensors:")
        if info.role in ("input", "parameter") and not is_grad_name(tname):
            article = "an" if info.role == "input" else "a"
            self.err(s.target, f"{tname!r} is {article} {info.role}: "
                               "a program may not assign into it")
        if len(target_indices) != info.rank:
            self.err(s.target, f"{tname!r} has {info.rank} "
                               f"{'index' if info.rank == 1 else 'indices'}, "
                               f"not {len(target_indices)}")
        self.check_write_ranges(s, idx_nodes, target_indices, info, loops, outer)
        if is_grad_name(tname) and not self.answer:
            self.err(s.target, "a forward program does not write gradients")
        target = ref(tname, target_indices)
        self._target_order = [i for i in target_indices if isinstance(i, sp.Symbol)]
        line = s.line + self.line_offset
        out = self.desugar(target, s.op, rhs, loops, line, tname, outer)
        self.written_before.add(tname)
        if len(out) > 1:
            out = _recurrence_block(out, target, rhs, loops, line)
        return out

    def recurrent_temporary(self, s, st, tname, idx_nodes, target_indices, outer):
        """An answer's new tensor defined by a recurrence reads itself in its first
        statement (`d[t, m] = ... d[t+1, M]`): declare it before the right-hand side,
        when every target index is a loop index of known range."""
        if not self.answer or tname in self.scope.tensors or is_grad_name(tname) \
                or not _reads_name(s.value, tname):
            return
        known = {lp.var.name: lp for lp in outer}
        for n in st.loop_nodes:
            if st.ranges.get(n) is None:
                return                      # a range only the right-hand side tells
            known[n] = make_loop(index_var(n), *st.ranges[n])
        if all(isinstance(i, sp.Symbol) and i.name in known for i in target_indices):
            self.new_temporary(s.target, tname, target_indices, tuple(known.values()))

    def check_write_ranges(self, s, idx_nodes, target_indices, info, loops, outer):
        """A plain loop index that may run past the axis it writes is a mistake."""
        by_var = {lp.var: lp for lp in tuple(outer) + tuple(loops)}
        for k, (ix, node) in enumerate(zip(target_indices, idx_nodes)):
            lp = by_var.get(ix)
            if lp is None:
                continue
            lo, hi = info.ranges[k]
            ind = self.scope.in_independents
            inside = sp.simplify(ind(lp.lo - lo)).is_nonnegative and \
                sp.simplify(ind(hi - lp.hi)).is_nonnegative
            if not inside:
                padded = "\n".join([""] * self.line_offset + self.text.split("\n"))
                err = IndexRangeError(f"index {ix.name!r} runs over {lp.lo}..{lp.hi}, but "
                                      f"axis {k + 1} of {info.name!r} runs over {lo}..{hi}",
                                      self.source, node.line + self.line_offset, node.col,
                                      padded, self.key)
                err.tensor = info.name
                raise err

    def other_steps(self, tname, target_indices, op, loops) -> tuple:
        """After `delta_T = ...`, an equation `delta_t = ...` gives the other steps (as
        cases do): its implied loop over t stops before T instead of overwriting it."""
        done = self.last_written.get(tname)
        if not done or op != "=":
            return loops
        out = []
        for lp in loops:
            axes = [k for k, i in enumerate(target_indices) if i == lp.var]
            if axes and (axes[0], lp.hi) in done:
                lp = Loop(lp.var, lp.lo, lp.hi - 1, lp.reverse)
            out.append(lp)
        return tuple(out)

    def last_steps(self, node) -> set:
        """The capitals of a target that name the last step of their index (`T` for
        t in 1..T): a target cannot be summed over, so there they are the size."""
        if not isinstance(node, N.Index):
            return set()
        info = self.scope.tensors.get(base_of(_assigned_name(node) or ""))
        axes = info.axes if info is not None and len(info.axes) == len(node.indices) else ()
        out = set()
        for k, n in enumerate(node.indices):
            if isinstance(n, N.Name) and n.id[0].isupper() and n.id in self.scope.sizes:
                # the index of the slot's axis (t in 1..S for z.grad[S, m]), else t for T
                axis = axes[k] if axes else n.id.lower()
                rng = self.scope.indices.get(axis) or self.scope.indices.get(n.id.lower())
                if rng is not None and rng[1] == self.scope.sizes[n.id]:
                    out.add(n.id)
        return out

    def target_parts(self, node, literal=frozenset()):
        if isinstance(node, N.Index):
            base = node.base
            name = base.id if isinstance(base, N.Name) else grad_name(base.base.id)
            for n in node.indices:
                if not (isinstance(n, N.Name) and n.id in literal) and \
                        _mentions_capital(n, self.scope):
                    self.err(n, "a target cannot be summed over: capital indices belong "
                                "on the right-hand side")
            return name, node.indices
        if isinstance(node, N.Name):
            return node.id, []
        if isinstance(node, N.Grad):
            return grad_name(node.base.id), []
        self.err(node, "expected a tensor to assign to, such as y or Z[b] or s.grad[b, j]")

    def grad_info(self, node, gname: str) -> TensorInfo:
        base = base_of(gname)
        info = self.scope.tensors.get(base)
        if info is None:
            self.err(node, f"unknown tensor {base!r} (in {gname!r})")
        g = TensorInfo(gname, info.axes, info.ranges, "gradient",
                       None if info.latex is None else info.latex)
        self.scope.tensors[gname] = g
        return g

    def new_temporary(self, node, name, indices, loops) -> TensorInfo:
        if name in self.scope.symbols or name in self.scope.sizes or name in VOCABULARY \
                or name in self.scope.functions:
            self.err(node, f"{name!r} is not a tensor and cannot be assigned to")
        ranges, axes = [], []
        by_name = {lp.var.name: lp for lp in loops}
        for ix in indices:
            if not (isinstance(ix, sp.Symbol) and ix.name in by_name):
                self.err(node, f"a new tensor {name!r} must be indexed by loop indices only")
            axes.append(ix.name)
            ranges.append(by_name[ix.name].bounds)
        info = TensorInfo(name, tuple(axes), tuple(ranges), "temporary")
        self.scope.tensors[name] = info
        return info

    # ---- Einstein desugaring -----------------------------------------------

    def desugar(self, target, op, rhs, loops, line, tname, outer=()) -> list[Statement]:
        """Top-level Einstein sums become `+=` loops; nested ones, temporaries.

        `=` keeps its meaning: the target element becomes the value of the whole
        right-hand side, sums included.  Its sums are added into the target after it is
        set to the other terms (or to 0), unless the statement is the only write of each
        element (then the tensor's zeros are the start and the terms are added); sums
        that read the target itself are computed into a temporary first."""
        pre: list[Statement] = []
        red = reduction_parts(rhs)
        if red is not None and op == "=" and not reads_tensor(rhs, tname):
            # m[b, j] = max(h[b, K, j]): for b, j, k: m[b, j] max= h[b, k, j]
            rop, body, over = red
            body = self.lift_nested(body, loops + over, line, tname, pre, outer)
            return pre + [Statement(target, rop, body, loops + over, line,
                                    note=f"line {line}: the {REDUCTIONS[rop]} over "
                                         f"{', '.join(lp.var.name for lp in over)}")]
        terms = sp.Add.make_args(rhs)
        summed = [t for t in terms if _strip_esum(t)[1] is not None]
        tvars = set().union(*[i.free_symbols for i in ref_indices(target)]) \
            if ref_indices(target) else set()
        if summed and op == "=" and (any(_reads_tensor(t, tname) for t in summed)
                                     or any(lp.var not in tvars for lp in loops)):
            summed = []            # lifted into temporaries below, read by one `=`
        if not summed:
            rhs = self.lift_nested(rhs, loops, line, tname, pre, outer)
            return pre + [Statement(target, op, rhs, loops, line)]
        # a tensor written once, element by element, from zeros: the terms are added (the
        # form the course writes); a tensor that may hold a value already (a parameter
        # an update answer changes) is set first
        info = self.scope.tensors.get(tname)
        zeros = info is None or info.role in ("computed", "gradient", "temporary")
        once = op == "=" and zeros and not _reads_tensor(rhs, tname) and \
            self.written_once(tname, target, tuple(outer) + tuple(loops))
        out, rest = [], []
        sign = -1 if op == "-=" else 1
        for t in terms:
            coeff, inner, sums = _strip_esum(t)
            if inner is None:
                rest.append(t)
                continue
            body = self.lift_nested(coeff * inner, loops + sums, line, tname, pre, outer)
            out.append(_signed(target, sign, body, loops + sums, line,
                               f"line {line}: the sum over "
                               f"{', '.join(s.var.name for s in sums)}"))
        if op == "=" and not once:
            r = self.lift_nested(sp.Add(*rest), loops, line, tname, pre, outer)
            return pre + [Statement(target, "=", r, loops, line)] + out
        if rest:
            r = self.lift_nested(sp.Add(*rest), loops, line, tname, pre, outer)
            out.append(_signed(target, sign, r, loops, line, None))
        return pre + out

    def written_once(self, tname, target, loops) -> bool:
        """Is this statement the only write of each element of its target?  (the tensor
        has no other writer, and every loop, the enclosing blocks' too, is a distinct
        plain index of the target)"""
        if tname in self.written_before or self.writers.get(tname, 0) > 1:
            return False
        indices = ref_indices(target)
        plain = [i for i in indices if isinstance(i, sp.Symbol)]
        if len(set(plain)) != len(plain):
            return False
        return all(lp.var in plain for lp in loops)

    def lift_nested(self, expr, loops, line, tname, pre: list, outer=()) -> sp.Expr:
        """Replace each nested Einstein sum (and first each max or min over an index) by
        a temporary tensor of its own."""
        inner = outermost_reduction(expr)
        if inner is None:
            inner = _nested_sum_argument(expr)
        if inner is None:
            return expr
        enclosing = tuple(outer) + tuple(loops)
        free = [lp for lp in enclosing if lp.var in inner.free_symbols]
        order = [i for i in getattr(self, "_target_order", ())]
        free.sort(key=lambda lp: order.index(lp.var) if lp.var in order else len(order))
        own_free = tuple(lp for lp in loops if lp.var in inner.free_symbols)
        base = base_of(tname)
        name, k = sum_temporary(base, self.temp_count.get(base, 0) + 1,
                                names_in_use(self.scope))
        self.temp_count[base] = k
        base_info = self.scope.tensors.get(base)
        shown = (base_info.latex if base_info and base_info.latex else base)
        latex = r"\tilde{%s}%s" % (shown, "" if k == 1 else f"_{{{k}}}")
        info = TensorInfo(name, tuple(lp.var.name for lp in free),
                          tuple(lp.bounds for lp in free), "temporary", latex)
        self.scope.tensors[name] = info
        tmp = ref(name, [lp.var for lp in free])
        pre.extend(self.desugar(tmp, "=", inner, own_free, line, name, outer))
        self.written_before.add(name)
        return self.lift_nested(expr.xreplace({inner: tmp}), loops, line, tname, pre, outer)


# line -> the capitals an answer's line wrote as a step (δ_T, h_{T-1}: the subscripts of a
# per-step vector, read by derive.front.spelling), for the answer being checked
_STEPS: ContextVar = ContextVar("answer_steps", default={})


@contextmanager
def named_steps(steps: dict):
    """Within: the capitals of these lines of an answer are steps, not sums."""
    token = _STEPS.set(dict(steps or {}))
    try:
        yield
    finally:
        _STEPS.reset(token)


def resolve_program(items, scope: Scope, source: str, text: str, key: str | None = None,
                    line_offset: int = 0, answer: bool = False) -> list:
    r = Resolver(scope, source, text, key, line_offset, answer)
    return r.program(items)


def build_program(text: str, scope: Scope, source: str = "answer", key: str | None = None,
                  line_offset: int = 0, answer: bool = False) -> Program:
    """Parse and resolve program text into a :class:`Program` (scope is copied)."""
    scope = scope.copy()
    items = N.parse_program(text, source, key, line_offset)
    resolved = resolve_program(items, scope, source, text, key, line_offset, answer)
    return Program(resolved, scope.tensors, scope.indices,
                   {**scope.sizes, **scope.symbols},
                   {k: v[0] for k, v in scope.functions.items()}, dict(scope.sizes),
                   relations=dict(scope.relations))


def _reads_ahead(name: str, target_indices, rhs) -> set:
    """The target's loop variables that the right side reads further on (t in
    z.grad[t+1, i] for the target z.grad[t, m])."""
    out = set()
    for r in reads(rhs):
        if ref_name(r) != name:
            continue
        for w, rd in zip(target_indices, ref_indices(r)):
            d = sp.expand(rd - w)
            if getattr(w, "is_Symbol", False) and d.is_Number and d > 0:
                out.add(w)
    return out


def _equation(item) -> bool:
    """An answer's `=` statement without a `for` (its loops implied by its target)."""
    return isinstance(item, N.Stmt) and not item.has_for and item.op == "="


def _assigned_name(node):
    """The tensor a statement's target names (None for a target that is no tensor)."""
    if isinstance(node, N.Index):
        node = node.base
    if isinstance(node, N.Name):
        return node.id
    if isinstance(node, N.Grad) and isinstance(node.base, N.Name):
        return grad_name(node.base.id)
    return None


def _rhs_index_names(node) -> list:
    """The names in the index positions of a right side (b, t, j in a[b, t-1, j])."""
    out = []
    if isinstance(node, N.Index):
        for i in node.indices:
            out += _index_names(i)
    for f in getattr(node, "__dataclass_fields__", ()):
        v = getattr(node, f)
        for x in (v if isinstance(v, list) else [v]):
            if isinstance(x, N.Node):
                out += _rhs_index_names(x)
    return out
