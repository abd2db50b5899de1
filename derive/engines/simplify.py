"""The simplification passes of the backward program, into the course's answer shapes:
forward quantities (`p` for `exp(s)/Z`), merged statements, the sums the forward
program fixes, and rescaled intermediate gradients (the `e[b]` of the optimized
softmax).

Each pass is linear in the number of statements (times the size of the statements
it rewrites): a definition is tried only on an expression with its function heads, a
merge finds its partner from an index of (target, loops), and a gradient's writers and
readers come from an index of the statements by name.
"""
from __future__ import annotations

import bisect

import sympy as sp
from sympy.core.basic import _args_sortkey

from derive.core.naming import names_in_use, rescaled_gradient
from derive.core.program import (Block, Program, Statement, TensorInfo, TensorScalar, base_of,
                                 format_expr, is_grad_name, reads, ref, ref_indices, ref_name)
from derive.core.records import Step
from derive.engines.identities import apply_identities


# --------------------------------------------------------------------------
# simplification into the course's answer shapes
# --------------------------------------------------------------------------


def definitions(program: Program) -> list:
    """(Y pattern, g pattern) for each tensor the program defines exactly: Y = g."""
    writers: dict = {}
    for st in program.statements():
        writers.setdefault(st.target_name, []).append(st)
    out = []
    for name, sts in writers.items():
        if len(sts) != 1:
            continue
        st = sts[0]
        tvars = set().union(*[i.free_symbols for i in ref_indices(st.target)]) \
            if ref_indices(st.target) else set()
        if st.op == "-=" or any(lp.var not in tvars for lp in st.loops):
            continue
        if not all(i.is_Symbol for i in ref_indices(st.target)):
            continue
        wild = {v: sp.Wild(f"w_{v.name}") for v in tvars}
        y = st.target.xreplace(wild)
        g = st.rhs.xreplace(wild)
        if g.is_Atom or isinstance(g, sp.Indexed):
            continue
        out.append((y, g))
    return out


def _cost(e) -> int:
    return sp.count_ops(e, visual=False) + len(reads(e))


class Definitions(list):
    """The (Y pattern, g pattern) pairs of :func:`definitions`, prepared once for the
    many expressions rewritten with them: each definition's function heads, symbols
    (tensor names, sizes) and factors, and memos of the pure steps (an expression's
    node types and symbols, its cost, its expanded-and-factored form).  A definition
    can only be replaced into an expression that has its heads and all its symbols
    (the pattern's wilds stand for indices only), so the others are skipped without
    walking the expression: rewriting a statement costs its own size, not the program's
    (a deep MLP has a definition per layer and a statement per layer)."""

    def __init__(self, defs=()):
        super().__init__(defs)
        self.rows = []
        for y, g in self:
            factors = []
            for f in sp.Mul.make_args(g):
                if f.is_Atom or isinstance(f, sp.Indexed) or \
                        f.is_Pow and isinstance(f.base, sp.Indexed):
                    continue
                factors.append((f, f.func, _symbols(f), _divides_by_a_value(g / f)))
            self.rows.append((y, g, tuple(_heads(g)), _symbols(g), factors))
        # head class -> the definitions an expression with such a node may change
        self.by_head: dict = {}
        for k, (_, _, heads, _, factors) in enumerate(self.rows):
            for h in set(heads) | {f[1] for f in factors if not f[3]}:
                self.by_head.setdefault(h, []).append(k)
        self._shape: dict = {}
        self._costs: dict = {}
        self._normal: dict = {}
        self._flat: dict = {}       # a flat sum -> (common factors, its terms)

    def shape(self, e):
        """(the types of e's nodes, e's symbols)."""
        hit = self._shape.get(e)
        if hit is None:
            nodes = list(sp.preorder_traversal(e))
            hit = self._shape[e] = ({type(a) for a in nodes},
                                    {a for a in nodes if isinstance(a, sp.Symbol)})
        return hit

    def candidates(self, e, after: int = 0) -> list:
        """The definitions from number `after` on that may change e, in order: those
        with a head (or a factor's head) among the classes of e's nodes."""
        found = set()
        for t in self.shape(e)[0]:
            for h in t.__mro__:
                found.update(self.by_head.get(h, ()))
        return sorted(k for k in found if k >= after)

    def has(self, e, heads) -> bool:
        """e.has(*heads) for function classes, from e's node types."""
        types = self.shape(e)[0]
        return any(issubclass(t, h) for h in heads for t in types)

    def cost(self, e) -> int:
        c = self._costs.get(e)
        if c is None:
            c = self._costs[e] = _cost(e)
        return c

    def normal(self, e):
        """factor_terms(powsimp(expand(e)))."""
        n = self._normal.get(e)
        if n is None:
            n = self._normal[e] = sp.factor_terms(sp.powsimp(sp.expand(e)))
        return n


def _symbols(e) -> frozenset:
    return frozenset(a for a in sp.preorder_traversal(e)
                     if isinstance(a, sp.Symbol) and not isinstance(a, sp.Wild))


def in_forward_terms(expr, defs) -> sp.Expr:
    """Rewrite `expr` with forward quantities wherever that makes it simpler.

    The definitions are tried in order; one whose function heads `expr` lacks leaves
    it as it is, so only those whose heads it has are visited (looked up by head),
    again after each rewrite."""
    defs = defs if isinstance(defs, Definitions) else Definitions(defs)
    best = expr
    after = 0
    while True:
        start = best
        for k in defs.candidates(best, after):
            before = best
            best = _apply_definition(best, defs.rows[k], defs)
            if best is not before:
                after = k + 1
                break
        if best is start:
            return best


def _apply_definition(best, row, defs):
    y, g, heads, gsyms, factors = row
    if defs.has(best, heads) and gsyms <= defs.shape(best)[1]:
        cand = best.replace(g, y)
        if cand != best and defs.cost(cand) <= defs.cost(best):
            best = cand
    # a factor of the definition: exp(s) -> p*Z when p = exp(s)/Z
    for f, head, fsyms, divides in factors:
        if not defs.has(best, (head,)):
            continue
        if divides:
            continue        # tanh(c) -> h/go when h = go*tanh(c): NaN where go is 0
        # where f does not occur the replacement leaves best as it is
        sub = best.replace(f, y * f / g) if fsyms <= defs.shape(best)[1] else best
        sub = defs.normal(sub)
        if sub != best and defs.cost(sub) < defs.cost(best):
            best = sub
    return best


def _divides_by_a_value(cofactor) -> bool:
    """Whether replacing f by y/cofactor (from y = cofactor*f) divides by a tensor's
    value: the rewrite would then be 0/0 wherever that value is 0, though the
    gradient is finite there (an LSTM's saturated output gate)."""
    _, den = sp.fraction(sp.together(1 / cofactor))
    return not (den.is_number or den.is_positive)     # a size B is never 0


def _heads(g):
    return [a.func for a in sp.preorder_traversal(g) if isinstance(a, sp.Function)] or [g.func]


def simplify_backward(bw: Program, forward: Program, targets, sources, steps):
    defs = Definitions(definitions(forward))

    def each(items):
        for k, it in enumerate(items):
            if isinstance(it, Block):
                each(it.body)
            else:
                rhs = in_forward_terms(it.rhs, defs)
                rhs = sp.factor_terms(rhs)
                if rhs != it.rhs:
                    steps.append(Step("simplify",
                                      f"in forward quantities: {format_expr(it.rhs)} "
                                      f"= {format_expr(rhs)}", it, rhs))
                    items[k] = it.with_(rhs=rhs)
    each(bw.items)
    merge_statements(bw, defs, steps)
    # sums the forward program fixes (a softmax sums to 1, a centred tensor to 0)
    apply_identities(bw, forward, set(targets) | set(sources), steps)
    rescale_intermediates(bw, set(targets) | set(sources), steps)


def merge_statements(bw: Program, defs, steps):
    """Merge `+=` statements into the same target over the same loops.

    Each statement is looked at once, in order: its partner is the next `+=` into the
    same target over the same loops (found from an index of the positions of each
    (target, loops), not by scanning the rest of the program), if no block comes first;
    it moves there when nothing between reads or writes what it touches."""
    defs = defs if isinstance(defs, Definitions) else Definitions(defs)
    names = _ReadNames()

    def rec(items):
        n = len(items)
        following, block_after = [None] * n, [n] * n
        last: dict = {}
        nxt = n
        for p in range(n - 1, -1, -1):
            it = items[p]
            block_after[p] = nxt
            if isinstance(it, Block):
                nxt = p
                continue
            if it.op == "+=":
                key = (it.target, it.loops)
                following[p] = last.get(key)
                last[key] = p
        gone = [False] * n
        for p in range(n):
            a = items[p]
            if isinstance(a, Block):
                rec(a.body)
                continue
            m = following[p]
            if m is None or m > block_after[p]:
                continue
            b = items[m]
            if not _can_move(a, items[p + 1:m], names):
                continue
            rhs = _merged(a.rhs, b.rhs, defs)
            new = b.with_(rhs=rhs, note="merged")
            # what the merged statement reads, from its two parts: not walked again (a
            # shared weight's sum grows by a term at every step of an unrolled RNN)
            names[id(new)] = (new, names.of(a) | names.of(b))
            steps.append(MergeStep("merge", "", new, rhs))
            items[m] = new
            gone[p] = True
        items[:] = [it for p, it in enumerate(items) if not gone[p]]
    rec(bw.items)


class MergeStep(Step):
    """A merge step, its text (`merge the two updates of X: <the merged sum>`) written
    when it is first read: the sum grows by a term at every merge into one gradient (a
    shared weight's over the steps of an unrolled RNN), so the texts of all the merges
    grow as the square of the program, and only the plain-text and JSON presenters read
    them (the LaTeX key prints the statement)."""

    @property
    def text(self) -> str:
        t = self.__dict__.get("_text")
        if t is None:
            t = self.__dict__["_text"] = (f"merge the two updates of "
                                          f"{format_expr(self.statement.target)}: "
                                          f"{format_expr(self.expr)}")
        return t

    @text.setter
    def text(self, value):
        self.__dict__["_text"] = value or None


def _merged(a, b, defs: Definitions):
    """factor_terms(in_forward_terms(factor_terms(a + b))), with a shortcut for the sums
    a merge builds up term by term (a parameter's gradient summed over the steps of an
    unrolled recurrence): when a is a sum of plain products of tensors with no common
    factor, or one such product, and b another, factor_terms leaves a + b as it is (no
    content, no common factor, no denominators), so a + b is not factored again at
    each merge; its node types and symbols are those of a and b."""
    flat = _flat_sum(a, b, defs)
    if flat is None:
        return sp.factor_terms(in_forward_terms(sp.factor_terms(a + b), defs))
    rhs = in_forward_terms(flat, defs)
    return rhs if rhs is flat else sp.factor_terms(rhs)


def _plain_product(t) -> frozenset | None:
    """The factors of a product of tensor references (coefficient 1, no powers)."""
    args = sp.Mul.make_args(t)
    if all(isinstance(f, (sp.Indexed, TensorScalar)) for f in args):
        return frozenset(args)
    return None


def _flat_sum(a, b, defs: Definitions):
    fb = _plain_product(b)
    if fb is None:
        return None
    known = defs._flat.get(a)
    ours = known is not None            # a sum this pass built: its terms sorted
    if known is None:
        terms = sp.Add.make_args(a)
        sets = [_plain_product(t) for t in terms]
        if any(x is None for x in sets):
            return None
        known = (frozenset.intersection(*sets), frozenset(terms))
    common, terms = known
    if b in terms or common & fb:
        return None
    if ours and a.is_Add and b.is_commutative:
        # a + b: b among a's terms where Add's canonical sort puts it (no other term
        # changes: every coefficient is 1 and b is new), without sorting a's again
        args = list(a.args)
        args.insert(bisect.bisect_left(args, _args_sortkey(b), key=_args_sortkey), b)
        out = sp.Add._from_args(args, True)
    else:
        out = a + b
        if not out.is_Add or len(out.args) != len(terms) + 1:
            return None
    defs._flat[out] = (frozenset(), terms | {b})
    ta, sa = defs.shape(a)
    tb, sb = defs.shape(b)
    defs._shape.setdefault(out, (ta | tb | {type(out)}, sa | sb))
    return out


class _ReadNames(dict):
    """statement -> the names it reads, computed once (the statement kept, so that its
    id is not reused while the table lives)."""

    def of(self, st) -> set:
        hit = self.get(id(st))
        if hit is None or hit[0] is not st:
            hit = self[id(st)] = (st, {ref_name(r) for r in st.reads()})
        return hit[1]


def _can_move(a: Statement, between, names: _ReadNames | None = None) -> bool:
    names = names if names is not None else _ReadNames()
    a_reads = names.of(a)
    for s in between:
        if isinstance(s, Block):
            return False
        if a.target_name in names.of(s):
            return False
        if s.target_name in a_reads or s.target_name == a.target_name:
            return False
    return True


def rescale_intermediates(bw: Program, keep: set, steps):
    """An intermediate gradient only ever read as G[i]*c[i] becomes e[i] = c[i]*G[i].

    The writes and the readers of each gradient come from an index of the statements
    by the names they write and read (kept up to date as statements are replaced), so
    each gradient costs its own statements, not a pass over the program."""
    stmts = bw.statements()
    names = []
    for st in stmts:
        n = st.target_name
        if is_grad_name(n) and base_of(n) not in keep and n not in names:
            names.append(n)
    read_names = _ReadNames()
    writers: dict = {}
    readers: dict = {}

    def index(pos, st):
        writers.setdefault(st.target_name, set()).add(pos)
        for n in read_names.of(st):
            readers.setdefault(n, set()).add(pos)

    def unindex(pos, st):
        writers[st.target_name].discard(pos)
        for n in read_names.of(st):
            readers[n].discard(pos)

    for pos, st in enumerate(stmts):
        index(pos, st)
    for g in names:
        writes = [stmts[q] for q in sorted(writers.get(g, ()))]
        users = [stmts[q] for q in sorted(readers.get(g, ()))
                 if stmts[q].target_name != g]
        if not users or any(s.op != "+=" and s.op != "-=" for s in writes):
            continue
        factor = _common_factor(g, users)
        if factor is None:
            continue
        c, idx = factor
        new_name = rescaled_gradient(names_in_use(bw))
        info = bw.tensors[g]
        e_ref = ref(new_name, idx)
        old_cost = sum(_cost(s.rhs) for s in writes + users)
        new_writes = {}
        for s in writes:
            m = dict(zip(idx, ref_indices(s.target)))
            rhs = sp.factor_terms(sp.cancel(s.rhs * c.xreplace(m)))
            new_writes[id(s)] = s.with_(target=ref(new_name, ref_indices(s.target)), rhs=rhs)
        new_users = {}
        for s in users:
            rhs = s.rhs
            for r in [r for r in s.reads() if ref_name(r) == g]:
                m = dict(zip(idx, ref_indices(r)))
                rhs = rhs.xreplace({r: ref(new_name, ref_indices(r)) / c.xreplace(m)})
            rhs = sp.factor_terms(sp.cancel(rhs))
            new_users[id(s)] = s.with_(rhs=rhs)
        new_cost = sum(_cost(s.rhs) for s in list(new_writes.values()) + list(new_users.values()))
        if new_cost >= old_cost:
            continue
        # displayed by its own name: a fixed display name 'e' printed the softmax's
        # temporary e[q] inside loops over an index e (attention)
        bw.tensors[new_name] = TensorInfo(new_name, info.axes, info.ranges, "temporary")
        replaced = {**new_writes, **new_users}
        _replace_statements(bw.items, replaced)
        signs = {}
        for s in new_writes.values():
            if s.rhs.as_coeff_Mul()[0].is_negative:
                signs[id(s)] = s.with_(op="-=", rhs=-s.rhs)
        _replace_statements(bw.items, signs)
        steps.append(Step("rescale",
                          f"{g} is only used multiplied by {format_expr(c)}: "
                          f"keep {format_expr(e_ref)} = {format_expr(c)} "
                          f"{format_expr(ref(g, idx))} instead", None, c,
                          {"old": g, "new": new_name}))
        for pos, st in enumerate(stmts):
            if id(st) in replaced:
                new = replaced[id(st)]
                new = signs.get(id(new), new)
                unindex(pos, st)
                stmts[pos] = new
                index(pos, new)


def _common_factor(g, users):
    found = None
    for s in users:
        occs = [r for r in s.reads() if ref_name(r) == g]
        for r in occs:
            mul = _enclosing_mul(s.rhs, r)
            if mul is None:
                return None
            cands = [f for f in sp.Mul.make_args(mul)
                     if isinstance(f, sp.Indexed) and not is_grad_name(ref_name(f))
                     and ref_indices(f) == ref_indices(r)]
            if not cands:
                return None
            idx = ref_indices(r)
            c = cands[0]
            if found is None:
                found = (c, idx)
            elif ref_name(found[0]) != ref_name(c):
                return None
    if found is None:
        return None
    c, idx = found
    if not all(i.is_Symbol for i in idx):
        return None
    return c, idx


def _enclosing_mul(expr, r):
    for a in sp.preorder_traversal(expr):
        if a.is_Mul and r in a.args:
            return a
    return None


def _replace_statements(items, new_by_id):
    for k, it in enumerate(items):
        if isinstance(it, Block):
            _replace_statements(it.body, new_by_id)
        elif id(it) in new_by_id:
            items[k] = new_by_id[id(it)]
