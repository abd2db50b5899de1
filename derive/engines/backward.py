"""The chain-rule engine: forward loop program -> backward loop program.

Walk the statements in reverse; for each statement `Y[iy] op= f(...)` and each
tensor read `X[ix]` in f, emit `X.grad[ix] += Y.grad[iy] * df/dX[ix]` inside
the same loops (blocks run backwards).  Then simplify into the course's
answer shapes: forward quantities (`p` for `exp(s)/Z`), merged statements,
rescaled intermediate gradients (the `e[b]` of the optimized softmax), and
shifted writes re-indexed so each statement writes a plain index.
"""
from __future__ import annotations


import sympy as sp

from derive.core.errors import DerivationError
from derive.core.naming import held_gradient
from derive.core.program import REDUCTIONS
from derive.core.program import (Block, Loop, Program, Statement, TensorInfo, format_expr,
                                 format_statement, grad_name, is_grad_name, overwriting,
                                 reads, ref, ref_indices, ref_name)
from derive.core.functions import RULE_TEXT, comparison
from derive.core.rules import derivative, rule_for
from derive.core.records import Backward, Step
from derive.engines.forms import reader_form
from derive.engines.simplify import simplify_backward






# --------------------------------------------------------------------------
# selecting the statements
# --------------------------------------------------------------------------


def source_lines(program: Program) -> list:
    """Distinct source lines of the statements, in program order (statement numbers)."""
    out = []
    for st in program.statements():
        if st.line not in out:
            out.append(st.line)
    return out


def restrict(program: Program, through) -> Program:
    """The sub-program of the statements numbered `through` (1-based, by source line)."""
    if not through:
        return program
    lines = source_lines(program)
    keep = {lines[k - 1] for k in through if 1 <= k <= len(lines)}
    return program.map(lambda st: st if st.line in keep else None)


def expand_targets(program: Program, targets) -> list:
    out = []
    for t in targets:
        if t == "params":
            out.extend(n for n, i in program.tensors.items() if i.role == "parameter")
        elif t not in out:
            out.append(t)
    return out


def relevant(program: Program, sources, targets):
    """(tensors carrying gradient from the sources, tensors leading to the targets)."""
    stmts = program.statements()
    down = set(targets)              # depends on a target
    changed = True
    while changed:
        changed = False
        for st in stmts:
            if st.target_name not in down and any(ref_name(r) in down for r in st.reads()):
                down.add(st.target_name)
                changed = True
    up = set(sources)                # a source depends on it
    changed = True
    while changed:
        changed = False
        for st in reversed(stmts):
            if st.target_name in up:
                for r in st.reads():
                    if ref_name(r) not in up:
                        up.add(ref_name(r))
                        changed = True
    return up, down


# --------------------------------------------------------------------------
# the engine
# --------------------------------------------------------------------------


def derive_backward(program: Program, sources, targets, through=None,
                    average_over: str | None = None, simplify: bool = True) -> Backward:
    """The backward program from `sources`' gradients to `targets`' gradients."""
    sub = restrict(program, through)
    targets = expand_targets(program, targets)
    for name in list(sources) + list(targets):
        if name not in program.tensors:
            raise DerivationError(f"unknown tensor {name!r}")
    up, down = relevant(sub, sources, targets)
    tensors = dict(program.tensors)
    steps: list[Step] = []

    def grad_tensor(name):
        g = grad_name(name)
        if g not in tensors:
            info = tensors[name]
            tensors[g] = TensorInfo(g, info.axes, info.ranges, "gradient", info.latex)
        return g

    for name in list(sources) + list(targets):
        grad_tensor(name)

    def visit(items, outer=()):
        out = []
        for it in reversed(items):
            if isinstance(it, Block):
                body = visit(it.body, outer + tuple(it.loops))
                if body:
                    loops = tuple(lp.reversed() for lp in it.loops)
                    out.append(Block(loops, body, it.line))
            else:
                out.extend(adjoints(it, outer))
        return out

    overwrites = {id(s) for s in overwriting(sub)}

    def adjoints(st: Statement, outer=()) -> list:
        y = st.target_name
        if y not in up:
            return []
        wanted = [r for r in st.reads() if ref_name(r) in down and ref_name(r) in up]
        # a recurrence's own gradient first: it must be complete before others read it
        wanted.sort(key=lambda r: ref_name(r) != y)
        ygrad = ref(grad_tensor(y), ref_indices(st.target))
        out, kill = [], []
        if id(st) in overwrites:
            # `=` overwrote the element: what was there before no longer reaches the
            # sources, so its gradient starts again from zero (kept first, when the new
            # value was computed from the old one: y = 2*y)
            kill = [Statement(ygrad, "=", sp.S.Zero, st.loops, st.line)]
            if any(ref_name(r) == y for r in wanted):
                hold = ref(_held_gradient(tensors, y), ref_indices(st.target))
                out = [Statement(hold, "=", ygrad, st.loops, st.line)] + kill
                ygrad, kill = hold, []
        if not wanted:
            return out + kill
        steps.append(Step("visit", f"statement `{format_statement(st, program.indices)}`",
                          st))
        for occ in wanted:
            x = sp.Dummy("x")
            local = derivative(st.rhs.xreplace({occ: x}), x).xreplace({x: occ})
            if st.op == "-=":
                local = -local
            if st.op in REDUCTIONS:
                # max over k: the gradient goes to the arg-max, the candidate equal to
                # the max (ties, of probability zero at random points, split nothing:
                # every tied candidate gets all of it, as the indicator says)
                local = local * comparison("==", st.rhs, st.target)
            # the rules of the derivative table used here (the functions themselves)
            rules = sorted({type(a) for a in sp.preorder_traversal(st.rhs)
                            if occ in getattr(a, "args", ()) and rule_for(a)},
                           key=lambda f: RULE_TEXT[f])
            steps.append(Step("local", f"d/d {format_expr(occ)} = {format_expr(local)}",
                              st, local, {"read": occ, "rules": rules}))
            if local == 0:
                continue
            contrib = ygrad * local
            xname = ref_name(occ)
            if average_over and tensors[xname].role == "parameter":
                size = _average_size(tuple(outer) + tuple(st.loops), program, average_over)
                if size is not None:
                    contrib = contrib / size
            new = Statement(ref(grad_tensor(xname), ref_indices(occ)), "+=", contrib,
                            st.loops, st.line)
            new = reindex(new, tensors)
            steps.append(Step("emit", format_statement(new, program.indices), new))
            out.append(new)
        return out + kill

    items = visit(sub.items)
    _refuse_overwritten_reads(items, sub, overwrites, program)
    result = Program(items, tensors, program.indices, program.symbols, program.functions,
                     program.sizes)
    if simplify:
        simplify_backward(result, program, targets, sources, steps)
    tidy(result)
    return Backward(result, sub, list(sources), targets, steps, average_over)


def _held_gradient(tensors: dict, y: str) -> str:
    """A temporary that holds y.grad while an in-place update of y is differentiated."""
    info = tensors[y]
    name = held_gradient(y, set(tensors))
    tensors[name] = TensorInfo(name, info.axes, info.ranges, "temporary", None)
    return name


def _refuse_overwritten_reads(items, sub: Program, overwrites: set, program: Program):
    """The backward program reads forward values as they are at the end of the forward
    pass: a tensor the forward program overwrites has lost its earlier values."""
    lost = {s.target_name for s in sub.statements() if id(s) in overwrites}
    if not lost:
        return
    probe = Program(items, program.tensors)
    for st in probe.statements():
        for r in st.reads():
            if ref_name(r) in lost:
                raise DerivationError(
                    f"the forward program overwrites {ref_name(r)} (an `=` into a value "
                    f"already written), and backpropagation needs its earlier values: give "
                    f"{ref_name(r)} an index per step (e.g. {ref_name(r)}[t, ...]) so that "
                    f"every value is kept")


def _average_size(loops, program, index_name):
    rng = program.indices.get(index_name)
    for lp in loops:
        if lp.var.name == index_name or (rng is not None and (lp.lo, lp.hi) == tuple(rng)
                                         and lp.var.name.startswith(index_name)):
            return lp.count()
    return None


# --------------------------------------------------------------------------
# re-indexing shifted writes:  x.grad[t-1] += ...  ->  x.grad[t] += ...[t+1]
# --------------------------------------------------------------------------


def reindex(st: Statement, tensors) -> Statement:
    own = {lp.var: lp for lp in st.loops}
    info = tensors[st.target_name]
    for k, e in enumerate(ref_indices(st.target)):
        if e.is_Symbol:
            continue
        # try the loop indices in a fixed order (never set order: results must not
        # depend on Python's hash seed); the first that can be re-indexed wins
        cands = sorted((v for v in e.free_symbols if v in own and e.coeff(v) == 1),
                       key=lambda s: s.name)
        for v in cands:
            done = _reindex_on(st, k, e, v, own, info, tensors)
            if done is not None:
                return reindex(done, tensors)
    return st


def _reindex_on(st: Statement, k: int, e, v, own, info, tensors):
    """The statement with index v shifted so target index k is plain, or None."""
    rest = sp.expand(e - v)
    if rest.has(v):
        return None
    lp = own[v]
    axis_lo, axis_hi = info.ranges[k]
    if rest.free_symbols & set(own):
        # x + dx: v now runs over the whole axis; valid only if the
        # upstream gradient read enforces the old range of v by reading zero
        shifted = st.rhs.xreplace({v: v - rest})
        if not _enforced(shifted, v - rest, lp, tensors):
            return None
        new_loop = Loop(v, axis_lo, axis_hi, lp.reverse)
    else:
        lo, hi = sp.Max(lp.lo + rest, axis_lo), sp.Min(lp.hi + rest, axis_hi)
        if lo.has(sp.Max) or hi.has(sp.Min):
            return None
        new_loop = Loop(v, lo, hi, lp.reverse)
    target = st.target.xreplace({v: v - rest})
    target = ref(ref_name(target), [sp.expand(i) for i in ref_indices(target)])
    rhs = st.rhs.xreplace({v: v - rest})
    loops = tuple(new_loop if l.var == v else l for l in st.loops)
    return st.with_(target=target, rhs=rhs, loops=loops)


def _enforced(rhs, expr, lp: Loop, tensors) -> bool:
    """Does a gradient factor of rhs read `expr` on an axis with exactly lp's range?"""
    for r in reads(rhs):
        if not is_grad_name(ref_name(r)):
            continue
        info = tensors.get(ref_name(r))
        if info is None:
            continue
        for k, i in enumerate(ref_indices(r)):
            if sp.expand(i - expr) == 0 and tuple(info.ranges[k]) == (lp.lo, lp.hi):
                c, _ = rhs.as_independent(r, as_Add=False)
                return sp.expand(rhs / r).has(r) is False
    return False


def tidy_statement(st: Statement) -> Statement:
    """Signs into the operator: `x += -y` is written `x -= y`; the forms a reader knows
    (derive.engines.forms): sigma(z) for exp(z)/(1 + exp(z))."""
    shown = reader_form(st.rhs, roots=False)
    if shown is not st.rhs:
        st = st.with_(rhs=shown)
    c, _ = st.rhs.as_coeff_Mul()
    if st.op in ("+=", "-=") and c.is_negative:
        return st.with_(op="-=" if st.op == "+=" else "+=", rhs=-st.rhs)
    return st


def tidy(program: Program) -> Program:
    """Signs into the operators of every statement."""
    program.items = program.map(tidy_statement).items
    return program
