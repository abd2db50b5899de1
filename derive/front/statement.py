"""Resolution of one statement's expressions: indices, capitals, reads, calls."""
from __future__ import annotations

import math
import sympy as sp
from derive.front import notation as N
from derive.core.functions import (CONSTANTS, DERIVATIVES, VARIADIC, VOCABULARY, comparison,
                                   fold)
from derive.core.program import (Loop, base_of, grad_name, index_var, is_grad_name, ref)
from derive.front.notation import MAX_EXPONENT, MAX_INT_DIGITS, MAX_NUMBER_DIGITS
from derive.front.sums import _capital_count, _marker, esum
from derive.front.reductions import is_reduction_call, reduction_call

class _StmtState:
    """Resolution of one statement: loop indices, capitals, occurrences."""

    def __init__(self, r, s: N.Stmt, outer: dict):
        self.r = r
        self.s = s
        self.outer = outer
        self.loop_nodes: dict = {}    # own loop index name -> node
        self.ranges: dict = {}        # own loop index name -> (lo, hi) or None
        self.capitals: dict = {}      # capital name -> Symbol
        self.cap_ranges: dict = {}    # capital name -> (lo, hi) or None
        self.cap_nodes: dict = {}
        self.plain: list = []         # (index name, tensor name, axis, node)
        self.literal: set = set()     # capitals read as the last step (z.grad[T, m])

    # ---- index expressions -------------------------------------------------

    def index_expr(self, node, tname, axis, in_target=False):
        if isinstance(node, N.Name):
            self.plain.append((node.id, tname, axis, node))
        return self._index(node, in_target)

    def _index(self, node, in_target, whole=True):
        """An index expression.  A capital that is also a size (index k over K) is the
        summed index (`h[K]`, `Y[2*R+1, C]`), except inside arithmetic in a target, which
        cannot be summed (`c[X + x]`: the size).  In a spec's program, such a capital in
        arithmetic on the right (`h[K-1]`) is ambiguous, and an error saying so."""
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
            if name in self.literal:                # the last step, named in the target
                return r.scope.sizes[name]
            if name[0].isupper():
                lower = name.lower()
                both = lower in r.scope.indices and name in r.scope.sizes
                if both and not whole and in_target:
                    return r.scope.sizes[name]
                if both and not whole and not r.answer:
                    r.err(node, f"{name} is both the size of index {lower} and its capital "
                                f"(a sum over {lower}); inside an index expression it reads "
                                f"as the sum. For the size, give the index another name "
                                f"(index: {{i: {name}}}); for the sum, write the loop "
                                f"(for {lower}: ...)")
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
            a = self._index(node.left, in_target, False)
            b = self._index(node.right, in_target, False)
            if node.op == "*":
                if not (a.is_Number or b.is_Number):
                    r.err(node, "an index may only be multiplied by an integer")
                return a * b
            return a + b if node.op == "+" else a - b
        if isinstance(node, N.Unary):
            v = self._index(node.operand, in_target, False)
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

    def terms(self, node, keep_open: bool = False):
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
        if keep_open:                       # the argument of a max over its capitals
            return sp.Add(*[sign * v for sign, _, v, _ in values]), opened
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
        if name in CONSTANTS and name not in sc.functions:
            return CONSTANTS[name]           # pi, e: unless the problem has its own
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
        if is_reduction_call(node, r.scope):       # max(h[b, K, j]): the max over k
            return reduction_call(self, node)
        # tanh(W[j, I] * h[I]) is tanh of the sum: a sum closes at the argument that
        # holds all its occurrences; t[N] * log(y[N]) sums the whole product
        values, opened = [], set()
        for a in node.args:
            v, o = self.expr(a)
            inside = {c for c in o if self.holds_all(a, c)}
            values.append(self.close(v, inside))
            opened |= o - inside
        if fname in r.scope.functions:           # a problem's own function wins
            fn, arity = r.scope.functions[fname]
            if len(values) != arity:
                r.err(node, f"{fname} takes {arity} argument(s), not {len(values)}")
            return fn(*values), opened
        if fname.endswith("'") and fname[:-1] in r.scope.functions and len(values) == 1 and \
                r.scope.functions[fname[:-1]][1] == 1:
            at = sp.Dummy("u")                 # L'(y): a problem's own function's derivative
            fn = r.scope.functions[fname[:-1]][0]
            return sp.diff(fn(at), at).subs(at, values[0]), opened
        if fname.endswith("'") and fname[:-1] in VOCABULARY and \
                VOCABULARY[fname[:-1]][0] == 1 and len(values) == 1:
            # sigma'(W[j, I] * h[I]): the derivative at the argument, its sums closed
            # inside it (written out, sigma(u)*(1 - sigma(u)) would sum over both copies)
            at = sp.Dummy("u")
            rule = DERIVATIVES.get(type(VOCABULARY[fname[:-1]][1](at)))
            if rule is not None:
                return rule(at).xreplace({at: values[0]}), opened
        if fname in VOCABULARY:
            arity, fn = VOCABULARY[fname]
            if fname in VARIADIC:
                if len(values) < arity:
                    r.err(node, f"{fname} takes {arity} or more arguments, not {len(values)}")
                return fold(fn, values), opened
            if len(values) != arity:
                r.err(node, f"{fname} takes {arity} argument{'s' if arity > 1 else ''}, "
                            f"not {len(values)}")
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
