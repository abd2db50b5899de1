"""From the syntax tree to the IR: names are looked up, never evaluated.

Every name in a program or answer must be a declared index, tensor, symbol or
function of the problem (answers may also introduce temporaries: a name
first written, then read).  Einstein sums over repeated capital indices are
desugared into `+=` loops, nested ones through a temporary tensor.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import sympy as sp
from sympy import Function

from . import notation as N
from .errors import IndexRangeError, LimitError, NotationError
from .functions import VOCABULARY, comparison
from .program import (Block, Loop, Program, make_loop, Statement, TensorInfo, base_of, grad_name,
                      index_var, is_grad_name, reads, ref, ref_indices, ref_name)

MAX_EXPONENT = 100
MAX_INT_DIGITS = 100
MAX_NUMBER_DIGITS = 1000   # digits of an exact number built by products


class esum(Function):
    """Internal marker of an Einstein sum (desugared before anyone sees it)."""
    nargs = 2


@dataclass
class Scope:
    """The names a program or answer may use."""
    indices: dict = field(default_factory=dict)     # name -> (lo, hi)
    tensors: dict = field(default_factory=dict)     # name -> TensorInfo
    symbols: dict = field(default_factory=dict)     # name -> Symbol (sizes, parameters)
    sizes: dict = field(default_factory=dict)       # size name -> Symbol
    functions: dict = field(default_factory=dict)   # undefined function name -> (Function, arity)

    def copy(self) -> "Scope":
        return Scope(dict(self.indices), dict(self.tensors), dict(self.symbols),
                     dict(self.sizes), dict(self.functions))


def number(text: str) -> sp.Rational:
    """An exact rational from a numeric literal (`3`, `0.25`, `1e-3`)."""
    mant, _, expo = text.lower().partition("e")
    if "." in mant:
        whole, frac = mant.split(".", 1)
        value = sp.Rational(int((whole or "0") + frac), 10 ** len(frac))
    else:
        value = sp.Integer(int(mant))
    if expo:
        e = int(expo)
        if abs(e) > MAX_INT_DIGITS:
            raise ValueError("exponent too large")
        value = value * sp.Rational(10) ** e
    return value


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
        # the target
        tname, idx_nodes = self.target_parts(s.target)
        if not s.has_for:
            # the lower-case indices of the target, also inside index arithmetic
            # (h.grad[b, t-1, i], Y.grad[2*r, 2*c, d]) are looped over
            for n in (x for node in idx_nodes for x in _index_names(node)):
                if n.id[0].islower() and n.id not in outer_names \
                        and n.id not in st.loop_nodes and n.id not in self.scope.sizes:
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
                    self.err(node, f"with '=', every loop index must appear in the target; "
                                   f"{name!r} does not (use '+=' to sum over it)")
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
            inside = sp.simplify(lp.lo - lo).is_nonnegative and \
                sp.simplify(hi - lp.hi).is_nonnegative
            if not inside:
                padded = "\n".join([""] * self.line_offset + self.text.split("\n"))
                err = IndexRangeError(f"index {ix.name!r} runs over {lp.lo}..{lp.hi}, but "
                                      f"axis {k + 1} of {info.name!r} runs over {lo}..{hi}",
                                      self.source, node.line + self.line_offset, node.col,
                                      padded, self.key)
                err.tensor = info.name
                raise err

    def target_parts(self, node):
        if isinstance(node, N.Index):
            base = node.base
            name = base.id if isinstance(base, N.Name) else grad_name(base.base.id)
            for n in node.indices:
                if _mentions_capital(n, self.scope):
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
        """Replace each nested Einstein sum by a temporary tensor of its own."""
        inner = _nested_sum_argument(expr)
        if inner is None:
            return expr
        enclosing = tuple(outer) + tuple(loops)
        free = [lp for lp in enclosing if lp.var in inner.free_symbols]
        order = [i for i in getattr(self, "_target_order", ())]
        free.sort(key=lambda lp: order.index(lp.var) if lp.var in order else len(order))
        own_free = tuple(lp for lp in loops if lp.var in inner.free_symbols)
        base = base_of(tname)
        k = self.temp_count.get(base, 0) + 1
        name = f"{base}_in" if k == 1 else f"{base}_in{k}"
        while name in self.scope.tensors:
            k += 1
            name = f"{base}_in{k}"
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


def _recurrence_block(stmts, target, rhs, loops, line) -> list:
    """A statement that reads its own target one step away (`z.grad[t, m] = ... +
    z.grad[t+1, M] ...` over `for t in T..1, m`) is a recurrence along that loop: when
    desugaring split it into several statements (temporaries for its sums), they run
    together at each step, in a block over the loop, as the one statement did."""
    own = {lp.var: lp for lp in loops}
    name, tidx = ref_name(target), ref_indices(target)
    for r in reads(rhs):
        if ref_name(r) != name or ref_indices(r) == tidx:
            continue
        for w, rd in zip(tidx, ref_indices(r)):
            if w == rd or not sp.expand(rd - w).is_Number:     # a step away: t+1 for t
                continue
            for v in sorted(w.free_symbols & set(own), key=lambda x: x.name):
                inner = [st.with_(loops=tuple(lp for lp in st.loops if lp.var != v))
                         for st in stmts]
                return [Block((own[v],), inner, line)]
    return stmts


def _signed(target, sign, body, loops, line, note):
    c, _ = body.as_coeff_Mul()
    neg = bool(c.is_negative)
    eff = sign * (-1 if neg else 1)
    return Statement(target, "+=" if eff > 0 else "-=", -body if neg else body, loops, line,
                     note=note)


def _nested_sum_argument(expr):
    """The outermost argument (of a function, product or power) holding an Einstein sum."""
    if not any(isinstance(a, esum) for a in sp.preorder_traversal(expr)):
        return None
    if isinstance(expr, esum):
        return expr
    for a in expr.args:
        if any(isinstance(x, esum) for x in sp.preorder_traversal(a)):
            if expr.is_Add or not isinstance(a, sp.Expr) or isinstance(expr, sp.Rel):
                # a comparison's sides are the arguments, not the comparison
                return _nested_sum_argument(a)
            return a
    return None


def _strip_esum(term):
    """coeff * esum(esum(f, i), k) -> (coeff, f, (Loop i, Loop k)); else (.., None, ())."""
    if not isinstance(term, sp.Expr):
        return sp.S.One, None, ()
    coeff, rest = term.as_coeff_Mul() if not isinstance(term, esum) else (sp.S.One, term)
    if not isinstance(rest, esum):
        return coeff, None, ()
    loops = []
    while isinstance(rest, esum):
        body, marker = rest.args
        loops.append(marker)
        rest = body
    return coeff, rest, tuple(_marker_loop(m) for m in loops)


_MARKERS: dict = {}


def _marker(loop: Loop) -> sp.Symbol:
    m = sp.Dummy(f"sum_{loop.var.name}")
    _MARKERS[m] = loop
    return m


def _marker_loop(m) -> Loop:
    return _MARKERS[m]


def _capital_count(node, name: str) -> int:
    """How many times the capital index `name` occurs inside index brackets of `node`."""
    if isinstance(node, N.Index):
        return sum(_count_name(i, name) for i in node.indices)
    if isinstance(node, N.Call) and node.func.id == "delta":
        return sum(_count_name(a, name) for a in node.args)
    total = 0
    for attr in ("left", "right", "operand"):
        if hasattr(node, attr):
            total += _capital_count(getattr(node, attr), name)
    for a in getattr(node, "args", []) or []:
        total += _capital_count(a, name)
    for a in getattr(node, "items", []) or []:
        total += _capital_count(a, name)
    return total


def _count_name(node, name: str) -> int:
    if isinstance(node, N.Name):
        return int(node.id == name)
    total = 0
    for attr in ("left", "right", "operand"):
        if hasattr(node, attr):
            total += _count_name(getattr(node, attr), name)
    return total


def _index_names(node) -> list:
    """The names in an index expression (t in t-1, r in 2*r+1), in order."""
    if isinstance(node, N.Name):
        return [node]
    if isinstance(node, N.BinOp):
        return _index_names(node.left) + _index_names(node.right)
    if isinstance(node, N.Unary):
        return _index_names(node.operand)
    return []


def _writer_counts(items) -> dict:
    """How many statements of a syntax tree write each tensor name."""
    counts: dict = {}

    def rec(items):
        for it in items:
            if isinstance(it, N.Block):
                rec(it.body)
                continue
            t = it.target.base if isinstance(it.target, N.Index) else it.target
            if isinstance(t, N.Grad):
                name = grad_name(t.base.id)
            elif isinstance(t, N.Name):
                name = t.id
            else:
                continue
            counts[name] = counts.get(name, 0) + 1
    rec(items)
    return counts


def _reads_tensor(expr, name: str) -> bool:
    return any(ref_name(r) == name for r in reads(expr))


def _reads_name(node, name: str) -> bool:
    """Whether the syntax tree reads tensor `name` (x or x[...])."""
    if isinstance(node, N.Name):
        return node.id == name
    if isinstance(node, N.Index):
        return (isinstance(node.base, N.Name) and node.base.id == name) or \
            any(_reads_name(i, name) for i in node.indices)
    for attr in ("left", "right", "operand"):
        if hasattr(node, attr) and _reads_name(getattr(node, attr), name):
            return True
    return any(_reads_name(a, name) for a in getattr(node, "args", []) or [])


def _mentions_capital(node, scope) -> bool:
    if isinstance(node, N.Name):    # a size such as L (h.grad[L, j]) is not summed
        return node.id[0].isupper() and (node.id.lower() in scope.indices
                                          or node.id not in scope.sizes)
    if isinstance(node, N.BinOp):
        return _mentions_capital(node.left, scope) or _mentions_capital(node.right, scope)
    if isinstance(node, N.Unary):
        return _mentions_capital(node.operand, scope)
    return False


class _StmtState:
    """Resolution of one statement: loop indices, capitals, occurrences."""

    def __init__(self, r: Resolver, s: N.Stmt, outer: dict):
        self.r = r
        self.s = s
        self.outer = outer
        self.loop_nodes: dict = {}    # own loop index name -> node
        self.ranges: dict = {}        # own loop index name -> (lo, hi) or None
        self.capitals: dict = {}      # capital name -> Symbol
        self.cap_ranges: dict = {}    # capital name -> (lo, hi) or None
        self.cap_nodes: dict = {}
        self.plain: list = []         # (index name, tensor name, axis, node)

    # ---- index expressions -------------------------------------------------

    def index_expr(self, node, tname, axis, in_target=False):
        if isinstance(node, N.Name):
            self.plain.append((node.id, tname, axis, node))
        return self._index(node, in_target)

    def _index(self, node, in_target):
        r = self.r
        if isinstance(node, N.Num):
            v = r.num(node)
            if not v.is_integer:
                r.err(node, "an index must be an integer expression")
            return v
        if isinstance(node, N.Name):
            name = node.id
            if name in self.outer or name in self.loop_nodes:
                return index_var(name)
            if name[0].isupper():
                lower = name.lower()
                if lower in r.scope.indices or name not in r.scope.sizes:
                    return self.capital(node)
                return r.scope.sizes[name]
            if name in r.scope.sizes:
                return r.scope.sizes[name]
            if self.s.has_for:
                r.err(node, f"index {name!r} is not bound: add it to the for, "
                            f"or write {name.upper()} to sum over it")
            r.err(node, f"index {name!r} is not an index of the target: add a for, "
                        f"or write {name.upper()} to sum over it")
        if isinstance(node, N.BinOp) and node.op in "+-*":
            a, b = self._index(node.left, in_target), self._index(node.right, in_target)
            if node.op == "*":
                if not (a.is_Number or b.is_Number):
                    r.err(node, "an index may only be multiplied by an integer")
                return a * b
            return a + b if node.op == "+" else a - b
        if isinstance(node, N.Unary):
            v = self._index(node.operand, in_target)
            return -v if node.op == "-" else v
        r.err(node, "expected an index: a loop index, a summed capital index, an integer, "
                    "or sums of these such as t-1 or x+dx")

    def capital_total(self, name: str) -> int:
        if not hasattr(self, "_cap_totals"):
            self._cap_totals = {}
        if name not in self._cap_totals:
            self._cap_totals[name] = _capital_count(self.s.value, name)
        return self._cap_totals[name]

    def holds_all(self, node, name: str) -> bool:
        """Does the syntax tree `node` hold every occurrence of the capital `name`?"""
        return _capital_count(node, name) == self.capital_total(name)

    def capital(self, node):
        name = node.id
        if name not in self.capitals:
            used = set(self.outer) | set(self.loop_nodes) | {
                c.name for c in self.capitals.values()}
            lower = name.lower()
            cand, k = lower, 1
            while cand in used or cand in self.r.scope.tensors or cand in self.r.scope.sizes:
                k += 1
                cand = f"{lower}{k}"
            self.capitals[name] = index_var(cand)
            self.cap_ranges[name] = self.r.scope.indices.get(lower)
            self.cap_nodes[name] = node
        return self.capitals[name]

    # ---- expressions -------------------------------------------------------

    def expr(self, node):
        """(SymPy expression, set of capital names still open)."""
        r = self.r
        if isinstance(node, N.Num):
            return r.num(node), set()
        if isinstance(node, N.Name):
            return self.name_value(node), set()
        if isinstance(node, (N.Index, N.Grad)):
            return self.tensor_read(node)
        if isinstance(node, N.Unary):
            v, o = self.expr(node.operand)
            return (-v if node.op == "-" else v), o
        if isinstance(node, N.BinOp):
            if node.op in "+-":
                return self.terms(node)
            (a, oa), (b, ob) = self.expr(node.left), self.expr(node.right)
            if node.op in "*/" and _digits(a) + _digits(b) > MAX_NUMBER_DIGITS:
                r.err(node, "the numbers in this product are too large", limit=True)
            if node.op == "*":
                return a * b, oa | ob
            if node.op == "/":
                if b == 0:
                    r.err(node, "division by zero")
                return a / b, oa | ob
            return self.power(node, a, b), oa | ob
        if isinstance(node, N.Compare):
            # like a function's argument: a side that holds all of a capital's
            # occurrences sums over it, `(w[I] * x[I] > 0)` compares the sum
            sides = []
            opened = set()
            for n in (node.left, node.right):
                v, o = self.expr(n)
                inside = {c for c in o if self.holds_all(n, c)}
                sides.append(self.close(v, inside))
                opened |= o - inside
            return comparison(node.op, *sides), opened
        if isinstance(node, N.Call):
            return self.call(node)
        if isinstance(node, N.ListLit):
            r.err(node, "a list is not an expression (lists are for numeric values)")
        r.err(node, "unexpected expression")

    def terms(self, node):
        """A sum of terms (`a + b - c`, flattened through parentheses and signs).

        The rule for capital indices: a capital index is summed over the smallest part
        of the statement that holds all its occurrences.  When that part is this sum,
        each term that holds the index carries its own sum and the other terms are not
        summed (`A[j] + W[j, I]*x[I] + V[j, I]*y[I]`); when the sum holds only some of
        the occurrences, the index is summed over the product around it, this whole
        sum included (`p.grad[b, J] * (p[b, J] + 1)` is the sum over j of the product)."""
        flat = []                           # (sign, syntax node)

        def rec(n, sign):
            if isinstance(n, N.BinOp) and n.op in "+-":
                rec(n.left, sign)
                rec(n.right, sign if n.op == "+" else -sign)
            elif isinstance(n, N.Unary):
                rec(n.operand, sign if n.op == "+" else -sign)
            else:
                flat.append((sign, n))
        rec(node, 1)
        values = [(sign, n) + self.expr(n) for sign, n in flat]
        opened = set().union(*[o for _, _, _, o in values])
        here = {c for c in opened
                if sum(_capital_count(n, c) for _, n, _, _ in values) == self.capital_total(c)}
        held = [o & here for _, _, _, o in values]
        kinds = {frozenset(h) for h in held if h}
        if len(kinds) == 1:
            # the terms that hold the indices all hold the same ones: one sum over them
            # (the same value as a sum per term, in one loop)
            inside = sp.Add(*[sign * v for (sign, _, v, _), h in zip(values, held) if h])
            outside = sp.Add(*[sign * v for (sign, _, v, _), h in zip(values, held) if not h])
            return self.close(inside, here) + outside, opened - here
        total = sp.Add(*[sign * self.close(v, h) for (sign, _, v, _), h in zip(values, held)])
        return total, opened - here

    def power(self, node, a, b):
        if b.is_Number:
            if abs(b) > MAX_EXPONENT:
                self.r.err(node, f"exponent {b} is too large (at most {MAX_EXPONENT})",
                           limit=True)
            if float(abs(b)) * _digits(a) > MAX_INT_DIGITS:
                self.r.err(node, "the power is too large", limit=True)
        elif b.free_symbols and any(_is_numberlike_huge(x) for x in [a]):
            pass
        if b.is_Number is False and a.is_Number and abs(a) > 10 ** 6:
            self.r.err(node, "the base of this power is too large", limit=True)
        return sp.Pow(a, b)

    def name_value(self, node):
        r = self.r
        name = node.id
        sc = r.scope
        if name in self.outer or name in self.loop_nodes or (
                name in sc.indices and name not in sc.tensors):
            r.err(node, f"index {name!r} used as a value; indices go inside [ ]")
        if name in sc.tensors:
            info = sc.tensors[name]
            if info.rank:
                r.err(node, f"{name!r} has {info.rank} "
                            f"{'index' if info.rank == 1 else 'indices'}: write {name}[...]")
            return ref(name)
        if name in sc.symbols:
            return sc.symbols[name]
        if name in sc.sizes:
            return sc.sizes[name]
        if name in VOCABULARY or name in sc.functions:
            r.err(node, f"{name!r} is a function: call it as {name}(...)")
        r.err(node, f"unknown name {name!r}" + self.known_hint())

    def known_hint(self) -> str:
        sc = self.r.scope
        names = [n for n in sc.tensors if not n.endswith(".grad")] + list(sc.symbols)
        names = sorted(set(names))[:20]
        return f" (known: {', '.join(names)})" if names else ""

    def tensor_read(self, node):
        r = self.r
        if isinstance(node, N.Grad):
            name, idx_nodes = grad_name(node.base.id), []
        else:
            base = node.base
            name = base.id if isinstance(base, N.Name) else grad_name(base.base.id)
            idx_nodes = node.indices
        sc = r.scope
        info = sc.tensors.get(name)
        if info is None:
            if is_grad_name(name) and base_of(name) in sc.tensors:
                info = r.grad_info(node, name)
            elif base_of(name) in sc.symbols or base_of(name) in sc.sizes:
                r.err(node, f"{base_of(name)!r} is a symbol, not a tensor")
            else:
                r.err(node, f"unknown tensor {base_of(name)!r}" + self.known_hint())
        if len(idx_nodes) != info.rank:
            r.err(node, f"{name!r} has {info.rank} "
                        f"{'index' if info.rank == 1 else 'indices'}, not {len(idx_nodes)}")
        idx = [self.index_expr(n, name, k) for k, n in enumerate(idx_nodes)]
        opened = {c for c, sym in self.capitals.items()
                  if any(sym in i.free_symbols for i in idx)}
        return ref(name, idx), opened

    def call(self, node):
        r = self.r
        fname = node.func.id
        if fname == "delta" and fname not in r.scope.functions:
            return self.delta(node)
        # tanh(W[j, I] * h[I]) is tanh of the sum: a sum closes at the argument that
        # holds all its occurrences; t[N] * log(y[N]) sums the whole product
        values, opened = [], set()
        for a in node.args:
            v, o = self.expr(a)
            inside = {c for c in o if self.holds_all(a, c)}
            values.append(self.close(v, inside))
            opened |= o - inside
        if fname in VOCABULARY:
            arity, fn = VOCABULARY[fname]
            if len(values) != arity:
                r.err(node, f"{fname} takes {arity} argument{'s' if arity > 1 else ''}, "
                            f"not {len(values)}")
            return fn(*values), opened
        if fname in r.scope.functions:
            fn, arity = r.scope.functions[fname]
            if len(values) != arity:
                r.err(node, f"{fname} takes {arity} argument(s), not {len(values)}")
            return fn(*values), opened
        if fname in r.scope.tensors:
            r.err(node, f"{fname!r} is a tensor: index it with [ ], not ( )")
        known = sorted(set(VOCABULARY) | set(r.scope.functions))
        r.err(node.func, f"unknown function {fname!r} (known: {', '.join(known)})")

    def delta(self, node):
        """`delta(j, k)`: the Kronecker delta of two index expressions."""
        if len(node.args) != 2:
            self.r.err(node, f"delta takes 2 arguments, not {len(node.args)}")
        idx = [self._index(a, False) for a in node.args]
        opened = {c for c, sym in self.capitals.items()
                  if any(sym in i.free_symbols for i in idx)}
        return sp.KroneckerDelta(*idx), opened

    def close(self, expr, names):
        for c in sorted(names):
            sym = self.capitals[c]
            rng = self.cap_range(c)
            expr = esum(expr, _marker(Loop(sym, *rng)))
        return expr

    def cap_range(self, c):
        if self.cap_ranges.get(c) is None:
            self.cap_ranges[c] = self.inferred(c, self.capitals[c].name, self.cap_nodes[c])
        return self.cap_ranges[c]

    # ---- ranges from usage -------------------------------------------------

    def inferred(self, written: str, var: str, node):
        """The range of an index from the tensor axes it indexes plainly."""
        found = {}
        for name, tname, axis, n in self.plain:
            if name != written:
                continue
            info = self.r.scope.tensors.get(tname)
            if info is None and is_grad_name(tname):
                info = self.r.scope.tensors.get(base_of(tname))
            if info is None or axis >= info.rank:
                continue
            found.setdefault(tuple(info.ranges[axis]), (tname, axis))
        if not found:
            self.r.err(node, f"the range of index {written!r} is unknown: "
                             f"write {written} in lo..hi")
        if len(found) > 1:
            descr = "; ".join(f"{t} axis {a + 1}" for t, a in found.values())
            self.r.err(node, f"index {written!r} indexes axes of different ranges ({descr})")
        return next(iter(found))

    def infer_ranges(self, tname, info):
        for name, node in self.loop_nodes.items():
            if self.ranges.get(name) is None:
                self.ranges[name] = self.inferred(name, name, node)


def _digits(x) -> float:
    """Decimal digits of the largest numerator or denominator among the numbers in x."""
    return max((math.log10(max(abs(q.p), q.q)) for q in x.atoms(sp.Rational)), default=0.0)


def _is_numberlike_huge(x) -> bool:
    return x.is_Number and abs(x) > 10 ** 6


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
                   {k: v[0] for k, v in scope.functions.items()}, dict(scope.sizes))
