"""The loop-program IR: statements over SymPy `Indexed` tensors inside loops.

A statement is `target op rhs` inside loops `for v in lo..hi` (inclusive),
`op` one of `=`, `+=`, `-=`.  Tensors are `IndexedBase(name)[indices]`;
a scalar tensor is a :class:`TensorScalar` symbol.  The gradient of tensor
`x` is the tensor named `x.grad`.  A :class:`Block` runs its body in order for
each value of its loop variables (the time loop of a recurrence).
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Iterator

import sympy as sp
from sympy import Indexed, IndexedBase, Symbol
from sympy.printing.precedence import PRECEDENCE
from sympy.printing.str import StrPrinter

from derive.core.functions import NOTATION_NAME
from derive.core.numbers import decimal_text, negative_power
from derive.core.naming import GRAD, base_of, grad_name, is_grad_name  # noqa: F401 (the IR's names)
from derive.core.errors import ExecutionError



class TensorScalar(Symbol):
    """A scalar tensor of the program (distinct from a size or parameter symbol)."""


def as_expr(x) -> sp.Basic:
    """A SymPy object from an engine value (a SymPy object, int or float), never from
    text: strings are refused (text from users is parsed by derive.front.notation)."""
    if isinstance(x, sp.Basic):
        return x
    if isinstance(x, bool):
        return sp.true if x else sp.false
    if isinstance(x, int):
        return sp.Integer(x)
    if isinstance(x, float):
        return sp.Float(x)
    raise TypeError(f"not an expression: {type(x).__name__}")


def index_var(name: str) -> Symbol:
    """The SymPy symbol of a loop index."""
    return Symbol(name, integer=True)


def size_symbol(name: str) -> Symbol:
    return Symbol(name, integer=True, positive=True)


def ref(name: str, indices=()) -> sp.Expr:
    """A read or write of tensor `name` at `indices` (scalar when empty)."""
    if indices:
        return IndexedBase(name)[tuple(indices)]
    return TensorScalar(name)


def ref_name(r) -> str:
    return r.base.label.name if isinstance(r, Indexed) else r.name


def ref_indices(r) -> tuple:
    return tuple(r.indices) if isinstance(r, Indexed) else ()


def is_ref(e) -> bool:
    return isinstance(e, (Indexed, TensorScalar))


def reads(expr) -> list:
    """The distinct tensor references read by `expr`, in a stable order."""
    found = [a for a in sp.preorder_traversal(expr) if is_ref(a)]
    out, seen = [], set()
    for a in found:
        if a not in seen:
            seen.add(a)
            out.append(a)
    return out


def affine(e, variables):
    """(constant, {var: integer coefficient}) of an affine index expression, or None."""
    e = sp.expand(e)
    coeffs, const = {}, e
    for v in variables:
        c = e.coeff(v)
        if c != 0:
            if c.free_symbols & set(variables) or not c.is_Integer:
                return None
            coeffs[v] = int(c)
            const = const - c * v
    const = sp.expand(const)
    if const.free_symbols & set(variables):
        return None
    return const, coeffs


def index_range(e, loops) -> tuple | None:
    """(smallest, largest) value of an affine index expression over `loops`, or None."""
    by_var = {lp.var: lp for lp in loops}
    aff = affine(e, list(by_var))
    if aff is None:
        return None
    lo = hi = aff[0]
    for v, c in aff[1].items():
        a, b = by_var[v].lo, by_var[v].hi
        lo, hi = (lo + c * a, hi + c * b) if c > 0 else (lo + c * b, hi + c * a)
    return sp.expand(lo), sp.expand(hi)


def may_overlap(a: "Statement", outer_a, b: "Statement", outer_b) -> bool:
    """Can two writes hit the same element?  False only when some axis provably differs."""
    if a.target_name != b.target_name:
        return False
    for ea, eb in zip(ref_indices(a.target), ref_indices(b.target)):
        ra = index_range(ea, tuple(outer_a) + tuple(a.loops))
        rb = index_range(eb, tuple(outer_b) + tuple(b.loops))
        if ra is None or rb is None:
            continue
        if (ra[1] - rb[0]).is_negative or (rb[1] - ra[0]).is_negative:
            return False
    return True


def overwriting(program: "Program") -> list:
    """The `=` statements that may overwrite a value already written: one an earlier
    statement wrote, or one the same statement wrote in an earlier step of an enclosing
    block (a block index that is not an index of the target)."""
    out, earlier = [], []
    for st, outer in program.walk():
        if assigns(st.op):
            tvars = set().union(*[i.free_symbols for i in ref_indices(st.target)]) \
                if ref_indices(st.target) else set()
            own = tuple(lp for lp in st.loops if lp not in reduced_loops(st)) \
                if st.op in REDUCTIONS else tuple(st.loops)     # max over k: one value
            again = any(lp.var not in tvars for lp in tuple(outer) + own)
            if again or any(may_overlap(st, outer, e, eo) for e, eo in earlier):
                out.append(st)
        earlier.append((st, outer))
    return out


@dataclass(frozen=True)
class Loop:
    """`for var in lo..hi` (inclusive, lo <= hi); `reverse` runs it from hi down to lo."""
    var: Symbol
    lo: sp.Expr
    hi: sp.Expr
    reverse: bool = False

    @property
    def descending(self) -> bool:
        return self.reverse

    @property
    def bounds(self):
        """(smallest, largest) value of the variable."""
        return (self.lo, self.hi)

    def count(self):
        return sp.simplify(self.hi - self.lo + 1)

    def reversed(self) -> "Loop":
        return Loop(self.var, self.lo, self.hi, not self.reverse)


def make_loop(var, first, last) -> Loop:
    """The loop `for var in first..last`: descending when first > last is provable."""
    d = sp.expand(first - last)     # bounds are linear: expand decides, simplify is slow
    if d.is_positive or (d.is_nonnegative and not d.is_zero):
        return Loop(var, last, first, True)
    return Loop(var, first, last)


@dataclass
class TensorInfo:
    name: str
    axes: tuple            # index names, for display
    ranges: tuple          # (lo, hi) per axis, SymPy, inclusive
    role: str = "computed"  # input | parameter | computed | temporary | gradient | updated
    latex: str | None = None
    domain: str = "real"    # real | positive | unit | probability | onehot (input values)
    domain_inferred: bool = False   # positive because it is read under a root or a log

    @property
    def rank(self) -> int:
        return len(self.axes)


# A reduction statement: `for b, k, j: m[b, j] max= h[b, k, j]` sets each element of
# the target to the maximum (minimum) of the right-hand side over the statement's loops
# that the target does not have (k), as `+=` sums over them; it is what the notation's
# one-argument `m[b, j] = max(h[b, K, j])` means.  It overwrites, like `=`, and prints
# `m[b, j] = max_k h[b, k, j]`.
REDUCTIONS = {"max=": "max", "min=": "min"}


def target_vars(st) -> set:
    """The loop variables the statement's target indices use."""
    idx = ref_indices(st.target)
    return set().union(*[i.free_symbols for i in idx]) if idx else set()


def reduced_loops(st) -> tuple:
    """The loops a statement reduces over (sums over, or takes the max over): the loops
    its target does not have."""
    tv = target_vars(st)
    return tuple(lp for lp in st.loops if lp.var not in tv)


def assigns(op: str) -> bool:
    """Does the operator set the target element (`=`, `max=`, `min=`), not add into it?"""
    return op == "=" or op in REDUCTIONS


@dataclass
class Statement:
    target: sp.Expr
    op: str
    rhs: sp.Expr
    loops: tuple = ()
    line: int | None = None
    note: str | None = None      # e.g. "from line 3 (sum over i)"

    @property
    def target_name(self) -> str:
        return ref_name(self.target)

    def reads(self) -> list:
        return reads(self.rhs)

    def with_(self, **kw) -> "Statement":
        return replace(self, **kw)


@dataclass
class Block:
    loops: tuple
    body: list
    line: int | None = None


def kept(items, keep) -> list:
    """The statements `keep(statement)` accepts, inside their blocks (for t in ...);
    a block left empty is dropped."""
    out = []
    for it in items:
        if isinstance(it, Block):
            body = kept(it.body, keep)
            if body:
                out.append(Block(it.loops, body, it.line))
        elif keep(it):
            out.append(it)
    return out


@dataclass
class Program:
    items: list
    tensors: dict = field(default_factory=dict)     # name -> TensorInfo
    indices: dict = field(default_factory=dict)     # name -> (lo, hi)
    symbols: dict = field(default_factory=dict)     # name -> Symbol (sizes too)
    functions: dict = field(default_factory=dict)   # name -> undefined Function
    sizes: dict = field(default_factory=dict)       # size name -> Symbol
    # symbol name -> (lo, hi, lo open?, hi open?): where random values are drawn
    ranges: dict = field(default_factory=dict)
    # symbol name -> its value, when the spec gives one (values: beta1 = 0.9)
    fixed: dict = field(default_factory=dict)
    # dependent size name -> its expression in other sizes (sizes: U: 2*X + D)
    relations: dict = field(default_factory=dict)

    def walk(self) -> Iterator[tuple[Statement, tuple]]:
        """Every statement with the loops of its enclosing blocks."""
        def rec(items, outer):
            for it in items:
                if isinstance(it, Block):
                    yield from rec(it.body, outer + tuple(it.loops))
                else:
                    yield it, outer
        yield from rec(self.items, ())

    def statements(self) -> list[Statement]:
        return [s for s, _ in self.walk()]

    def written(self) -> list[str]:
        out = []
        for s in self.statements():
            if s.target_name not in out:
                out.append(s.target_name)
        return out

    def text(self) -> str:
        return format_program(self)

    def map(self, fn, tensors: dict | None = None) -> "Program":
        """A new program with each statement replaced by fn(statement) (None drops it;
        blocks left empty are dropped)."""
        def rec(items):
            out = []
            for it in items:
                if isinstance(it, Block):
                    body = rec(it.body)
                    if body:
                        out.append(Block(it.loops, body, it.line))
                else:
                    new = fn(it)
                    if new is not None:
                        out.append(new)
            return out
        # every other field kept as it is (its ranges, fixed values, size relations)
        return replace(self, items=rec(self.items),
                       tensors=self.tensors if tensors is None else tensors)


# --------------------------------------------------------------------------
# Printing in the course notation
# --------------------------------------------------------------------------


def flat_args(expr) -> list:
    """The arguments of nested calls of the same function: max(max(a, b), c) -> a, b, c."""
    out = []
    for a in expr.args:
        out += flat_args(a) if a.func is expr.func else [a]
    return out


class NotationPrinter(StrPrinter):
    """Writes SymPy expressions back in the course notation."""

    def _print_Indexed(self, expr):
        return "%s[%s]" % (expr.base.label.name,
                           ", ".join(self._print(i) for i in expr.indices))

    def _print_TensorScalar(self, expr):
        return expr.name

    def _print_Function(self, expr):
        """`exp(x)`; a sum as an argument keeps only the call's brackets:
        `Var(sum over i of x[i])`, not `Var((sum over i of x[i]))`."""
        name = NOTATION_NAME.get(expr.func, expr.func.__name__)
        args = [self._print(a)[1:-1] if isinstance(a, sp.Sum) else self._print(a)
                for a in expr.args]
        return "%s(%s)" % (name, ", ".join(args))

    def _print_maxf(self, expr):
        """max(max(a, b), c) as max(a, b, c): the n-argument max the notation writes."""
        return "%s(%s)" % (NOTATION_NAME[expr.func],
                           ", ".join(self._print(a) for a in flat_args(expr)))

    _print_minf = _print_maxf

    def _print_Exp1(self, expr):
        return "e"

    def _print_ind(self, expr):
        rel = expr.args[0]
        return "(%s %s %s)" % (self._print(rel.lhs), rel.rel_op, self._print(rel.rhs))

    def _print_KroneckerDelta(self, expr):
        return "delta(%s, %s)" % tuple(self._print(a) for a in expr.args)

    def _print_Derivative(self, expr):
        f = expr.expr
        if isinstance(f, sp.core.function.AppliedUndef) and len(expr.variables) == 1:
            return "%s'(%s)" % (f.func.__name__, ", ".join(self._print(a) for a in f.args))
        return super()._print_Derivative(expr)

    def _print_Add(self, expr, order=None):
        terms = list(self._as_ordered_terms(expr, order=order))
        positive = [t for t in terms if not _negative(t)]
        terms = positive + [t for t in terms if _negative(t)]
        out = []
        for k, t in enumerate(terms):
            if _negative(t):
                text = self._print(-t)
                if (-t).is_Add:
                    text = "(%s)" % text
                out.append(("-" if k == 0 else " - ") + text)
            else:
                text = self._print(t)
                out.append(text if k == 0 else " + " + text)
        return "".join(out)

    def _print_Equality(self, expr):
        """`a = b` (a relation a derivation step names), not SymPy's `Eq(a, b)`."""
        return "%s = %s" % (self._print(expr.lhs), self._print(expr.rhs))

    def _print_Sum(self, expr):
        """A sum over loop indices, in words: `(sum over dx, dy of W[dx, dy]*x[dx, dy])`."""
        over = ", ".join(self._print(v) for v, _, _ in expr.limits)
        return "(sum over %s of %s)" % (over, self._print(expr.function))

    def _print_Pow(self, expr, rational=False):
        if expr.exp == sp.S.Half:
            return "sqrt(%s)" % self._print(expr.base)
        if expr.exp == -sp.S.Half:
            return "1/sqrt(%s)" % self._print(expr.base)
        if negative_power(expr):        # 1/n**(L/2), not n**(-L/2)
            return "1/%s" % self.parenthesize(sp.Pow(expr.base, -expr.exp),
                                              PRECEDENCE["Mul"], strict=True)
        return super()._print_Pow(expr, rational)

    def _print_Rational(self, expr):
        """0.044715, not 8943/200000 (derive.core.numbers.decimal_text); 3/2 stays 3/2."""
        return decimal_text(expr) or super()._print_Rational(expr)

    def _print_Mul(self, expr):
        c, rest = expr.as_coeff_Mul()
        shown = decimal_text(abs(c)) if c.is_Rational else None
        if shown is None or rest == 1:
            return super()._print_Mul(expr)
        return "%s%s*%s" % ("-" if c < 0 else "", shown,
                            self.parenthesize(rest, PRECEDENCE["Mul"], strict=True))


def _negative(term) -> bool:
    c, _ = term.as_coeff_Mul()
    return bool(c.is_negative)


_printer = NotationPrinter()


def format_expr(expr) -> str:
    return _printer.doprint(expr)


def format_loops(loops, indices: dict | None = None) -> str:
    parts = []
    for lp in loops:
        name = lp.var.name
        declared = (indices or {}).get(name)
        if not lp.reverse and declared is not None and (
                sp.simplify(declared[0] - lp.lo) == 0 and sp.simplify(declared[1] - lp.hi) == 0):
            parts.append(name)
        elif lp.reverse:
            parts.append(f"{name} in {format_expr(lp.hi)}..{format_expr(lp.lo)}")
        else:
            parts.append(f"{name} in {format_expr(lp.lo)}..{format_expr(lp.hi)}")
    return ", ".join(parts)


def implicit_loops(st: Statement, indices: dict | None) -> bool:
    """Can the `for` be left out?  (`=` over exactly the target's declared indices)"""
    if st.op != "=" or not st.loops or indices is None:
        return False
    targets = [i for i in ref_indices(st.target)]
    if len(targets) != len(st.loops) or any(not i.is_Symbol for i in targets):
        return False
    for lp in st.loops:
        declared = indices.get(lp.var.name)
        if lp.var not in targets or declared is None or declared[0] != lp.lo \
                or declared[1] != lp.hi:
            return False
    return True


def reduction_text(st: Statement, indices: dict | None = None) -> tuple:
    """(the statement as `=` over its kept loops, the right-hand side as text): a max over
    k is written `max_k h[b, k, j]`, over several indices `max_{i, j} x[i, j]`, over a
    range other than the declared one `max_{k in 1..3} ...`."""
    red = reduced_loops(st)
    over = format_loops(red, indices)
    over = over if len(red) == 1 and " " not in over else "{%s}" % over
    body = format_expr(st.rhs)
    if st.rhs.is_Add or (st.rhs.is_Mul and _negative(st.rhs)):
        body = f"({body})"
    kept = st.with_(op="=", loops=tuple(lp for lp in st.loops if lp not in red))
    return kept, f"{REDUCTIONS[st.op]}_{over} {body}"


def format_statement(st: Statement, indices: dict | None = None) -> str:
    if st.op in REDUCTIONS:
        st, rhs = reduction_text(st, indices)
        body = f"{format_expr(st.target)} = {rhs}"
    else:
        body = f"{format_expr(st.target)} {st.op} {format_expr(st.rhs)}"
    if st.loops and not implicit_loops(st, indices):
        return f"for {format_loops(st.loops, indices)}: {body}"
    return body


def format_items(items, indices=None, indent: int = 0) -> list[str]:
    lines = []
    pad = " " * indent
    for it in items:
        if isinstance(it, Block):
            lines.append(f"{pad}for {format_loops(it.loops, indices)}:")
            lines.extend(format_items(it.body, indices, indent + 4))
        else:
            lines.append(pad + format_statement(it, indices))
    return lines


def format_program(prog: Program) -> str:
    return "\n".join(format_items(prog.items, prog.indices))


def under_roots(program: Program) -> list:
    """The inputs and parameters read inside a log, a square root or a fractional power:
    where real values need positive arguments."""
    hit = program.__dict__.get("_under_roots")
    if hit is not None:
        return hit
    found = program.__dict__["_under_roots"] = []
    for st in program.statements():
        for a in sp.preorder_traversal(st.rhs):
            if isinstance(a, sp.log) or (a.is_Pow and not a.exp.is_Integer):
                arg = a.args[0]
                for r in (x for x in sp.preorder_traversal(arg)
                          if isinstance(x, (Indexed, TensorScalar))):
                    name = ref_name(r)
                    info = program.tensors.get(name)
                    if info is not None and info.role in ("input", "parameter") \
                            and name not in found:
                        found.append(name)
    return found


def concrete(expr, sizes: dict):
    """Substitute concrete sizes into a SymPy expression and return an int."""
    v = sp.Integer(expr) if isinstance(expr, int) else expr
    v = v.xreplace({sp.Symbol(k, integer=True, positive=True): sp.Integer(n)
                    for k, n in sizes.items()})
    if not v.is_Integer:
        raise ExecutionError(f"cannot evaluate {v} for sizes {sizes}")
    return int(v)


def tensor_layout(info, sizes):
    """(shape, offsets) of a tensor for concrete sizes."""
    key = (tuple(info.ranges), tuple(sorted(sizes.items())))
    hit = _LAYOUTS.get(key)
    if hit is None:
        shape, offsets = [], []
        for lo, hi in info.ranges:
            a, b = concrete(lo, sizes), concrete(hi, sizes)
            shape.append(max(b - a + 1, 0))
            offsets.append(a)
        hit = (tuple(shape), tuple(offsets))
        if len(_LAYOUTS) > 4096:
            _LAYOUTS.clear()
        _LAYOUTS[key] = hit
    return hit


_LAYOUTS: dict = {}
