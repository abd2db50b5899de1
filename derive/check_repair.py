"""The smallest repair: one edit of the student's own program that makes it right.

When comparing with the reference does not name the mistake (or names it only
by its effect, "a term is missing" when a shifted read reads zeros), the
checker edits the *answer*, one place at a time, and reruns it: a time index
shifted by one, two indices of a read swapped (a transposed weight inside a
sum), a backward block run in the other direction, the sign of one term, the
operator of one statement.  An edit that makes every asked gradient right, at
two seeds, is the diagnosis: it points at the student's line and says what is
wrong there, without showing the reference.
"""
from __future__ import annotations

from dataclasses import replace

from sympy import Add, Indexed, IndexedBase, preorder_traversal

from .errors import DeriveError, TimeLimitError
from .program import Block, Program, format_expr, is_grad_name, ref_indices, ref_name

MAX_EDITS = 60     # programs tried, at most (each is one run of the answer)


def _fmt(e) -> str:
    return f"`{format_expr(e)}`"


def _replace_statement(program: Program, st, new) -> Program:
    return program.map(lambda s: new if s is st else s)


def _reverse_block(program: Program, block: Block) -> Program:
    def rec(items):
        return [Block(tuple(lp.reversed() for lp in it.loops), it.body, it.line) if it is block
                else Block(it.loops, rec(it.body), it.line) if isinstance(it, Block) else it
                for it in items]
    return replace(program, items=rec(program.items))


def _blocks(items):
    for it in items:
        if isinstance(it, Block):
            yield it
            yield from _blocks(it.body)


def forward_facts(forward: Program | None):
    """What the forward program says about its tensors, for edits that name classroom
    mistakes: {activation: (pre-activation, local derivative in forward terms)} for each
    elementwise statement Y[i] = f(X[i]), and the forward tensors by shape."""
    from .backward import definitions, in_forward_terms
    from .rules import derivative
    if forward is None:
        return {}, {}
    acts, by_shape = {}, {}
    defs = definitions(forward)
    for st in forward.statements():
        reads = st.reads()
        y = st.target_name
        info = forward.tensors.get(y)
        if info is not None:
            by_shape.setdefault(tuple(info.ranges), [])
            if y not in by_shape[tuple(info.ranges)]:
                by_shape[tuple(info.ranges)].append(y)
        if st.op != "=" or len(reads) != 1 or ref_indices(reads[0]) != ref_indices(st.target):
            continue
        (x,) = reads
        try:
            local = in_forward_terms(_local(st.rhs, x, derivative), defs)
        except DeriveError:         # no derivative rule: no edit
            continue
        if local != 0 and local != 1:
            acts[y] = (ref_name(x), local, ref_indices(x))
    for name, info in forward.tensors.items():
        if info.role in ("input", "parameter"):
            by_shape.setdefault(tuple(info.ranges), [])
            if name not in by_shape[tuple(info.ranges)]:
                by_shape[tuple(info.ranges)].append(name)
    return acts, by_shape


def _local(expr, read, derivative):
    import sympy as sp
    x = sp.Dummy("x")
    return derivative(expr.xreplace({read: x}), x).xreplace({x: read})


def candidate_edits(answer: Program, max_rank: float = 4, suspects=None, forward=None):
    """(words, build) for single edits of the answer, most likely first; build() makes the
    edited program (only when it is tried).  `suspects`: the statements whose result is
    wrong (None: all); editing a statement whose result is already right cannot help.
    `forward` (the problem's program) adds the classroom mistakes that need it: the
    pre-activation for the activation or the reverse, a local derivative missing or
    applied twice, a tensor of the wrong layer."""
    out = []
    block_vars = set()
    acts, by_shape = forward_facts(forward)
    pre_of = {y: x for y, (x, _, _) in acts.items()}
    act_of = {x: y for y, x in pre_of.items()}

    def edit_read(st, r, new):
        return lambda: _replace_statement(answer, st, st.with_(rhs=st.rhs.xreplace({r: new})))

    for b in _blocks(answer.items):
        block_vars |= {lp.var for lp in b.loops}
        first = b.loops[0]
        out.append((0, f"wrong order of statements: the loop over {first.var} (line {b.line}) "
                       f"runs in the wrong direction (a backward pass runs from the last step "
                       f"to the first, a forward pass from the first to the last)",
                    lambda b=b: _reverse_block(answer, b)))
    for st in answer.statements():
        if suspects is not None and not any(st is x for x in suspects):
            continue
        loop_vars = {lp.var for lp in st.loops} | block_vars
        line = f"line {st.line}" if st.line else "a statement"
        if st.op in ("+=", "-="):
            other = "-=" if st.op == "+=" else "+="
            out.append((1, f"sign flipped: {line} should {'subtract' if other == '-=' else 'add'}"
                           f" (`{other}`, not `{st.op}`)",
                        lambda st=st, other=other: _replace_statement(answer, st,
                                                                      st.with_(op=other))))
        if st.op == "=" and _repeats(st, loop_vars):
            out.append((0.5, f"`=` where `+=` belongs: {line} overwrites "
                             f"{st.target_name} at every step instead of adding to it",
                        lambda st=st: _replace_statement(answer, st, st.with_(op="+="))))
        for r in [a for a in preorder_traversal(st.rhs) if isinstance(a, Indexed)]:
            name = ref_name(r)
            base = name[:-5] if is_grad_name(name) else name
            if is_grad_name(name) and base in acts:
                x, local, xidx = acts[base]
                local_here = local.xreplace(dict(zip(xidx, r.indices)))
                for new, words, rank in ((r * local_here, "is missing", 1.5),
                                         (r / local_here, "is applied twice", 1.6)):
                    out.append((rank, f"a local derivative {words}: in {line}, {name} should "
                                      f"{'be' if words == 'is missing' else 'not be'} "
                                      f"multiplied by {_fmt(local_here)}, the derivative of "
                                      f"{base} with respect to {x}",
                                edit_read(st, r, new)))
            if not is_grad_name(name):
                swap = pre_of.get(name) or act_of.get(name)
                if swap is not None:
                    which = ("the pre-activation", "the activation") if name in act_of else \
                        ("the activation", "the pre-activation")
                    out.append((1.4, f"{which[0]} where {which[1]} belongs: in {line}, {name} "
                                     f"is read where {swap} belongs",
                                edit_read(st, r, IndexedBase(swap)[tuple(r.indices)])))
                info = answer.tensors.get(name)
                for other in (by_shape.get(tuple(info.ranges), []) if info else []):
                    if other != name and other != pre_of.get(name) and other != act_of.get(name):
                        out.append((3.8, f"a tensor from the wrong layer: in {line}, {name} is "
                                         f"read where {other} belongs",
                                    edit_read(st, r, IndexedBase(other)[tuple(r.indices)])))
                for k, e in enumerate(r.indices):
                    flipped = _flip(e, loop_vars, info.ranges[k] if info else None)
                    if flipped is not None:
                        idx = tuple(r.indices)
                        out.append((2.6, f"the kernel is not flipped: in {line}, {name} is read "
                                         f"at {_fmt(flipped)} where it reads {_fmt(e)}",
                                    edit_read(st, r, IndexedBase(name)[idx[:k] + (flipped,)
                                                                       + idx[k + 1:]])))
        reads = []
        for a in preorder_traversal(st.rhs):
            if isinstance(a, Indexed) and a not in reads:
                reads.append(a)
        for r in reads:
            idx = tuple(r.indices)
            name = ref_name(r)
            info = answer.tensors.get(name)
            for k, e in enumerate(idx):
                moving = e.free_symbols & loop_vars
                if not moving:
                    continue
                # time shifts first, and among them reads of forward values: in a sum
                # over t, h[t] * g[t+1] and h[t-1] * g[t] are the same repair
                rank = (2 if moving & block_vars else 4) + (1 if is_grad_name(name) else 0)
                for d in (-1, 1):
                    new = IndexedBase(name)[idx[:k] + (e + d,) + idx[k + 1:]]
                    when = "one step too late" if d < 0 else "one step too early"
                    var = sorted(moving, key=str)[0]
                    out.append((rank, f"an index is off by one: in {line}, {name} is read "
                                      f"{when} (its index {var} is off by one)",
                                edit_read(st, r, new)))
            for k in range(len(idx)):
                for m in range(k + 1, len(idx)):
                    if info is not None and info.ranges[k] != info.ranges[m]:
                        continue
                    sw = list(idx)
                    sw[k], sw[m] = sw[m], sw[k]
                    out.append((2.5, f"indices transposed: in {line}, {name} is read with its "
                                     f"indices in the wrong order",
                                edit_read(st, r, IndexedBase(name)[tuple(sw)])))
        for a in preorder_traversal(st.rhs):
            if isinstance(a, Add):
                for term in a.args:
                    out.append((3.5, f"sign flipped in one term: in {line}, the term "
                                     f"{_fmt(term)} has the wrong sign",
                                lambda st=st, a=a, term=term: _replace_statement(
                                    answer, st, st.with_(rhs=st.rhs.xreplace({a: a - 2 * term})))))
    out = sorted((x for x in out if x[0] <= max_rank), key=lambda x: x[0])
    return [(words, build) for _, words, build in out[:MAX_EDITS]]


def _repeats(st, loop_vars) -> bool:
    """Does the statement write the same element more than once (a loop or an enclosing
    block over an index its target does not have)?"""
    tvars = set().union(*[i.free_symbols for i in st.target.indices]) \
        if isinstance(st.target, Indexed) else set()
    return bool(loop_vars - tvars) or bool({lp.var for lp in st.loops} - tvars)


def _flip(e, loop_vars, axis_range):
    """A convolution read with its offset's sign flipped (u + dx <-> u - dx), or None."""
    terms = Add.make_args(e)
    moving = [t for t in terms if t.free_symbols & loop_vars]
    if len(moving) < 2:
        return None
    last = moving[-1]
    return Add(*[t for t in terms if t is not last]) - last


def repair(answer: Program, right, max_rank: float = 4, suspects=None,
           forward=None) -> str | None:
    """The words of the first single edit for which right(program) holds, or None.
    `right` judges an edited program (True only if every asked value agrees);
    `max_rank` 3 tries only block directions, signs, time shifts and transposes."""
    for words, build in candidate_edits(answer, max_rank, suspects, forward):
        try:
            if right(build()):
                return words
        except TimeLimitError:
            raise
        except (DeriveError, ArithmeticError, ValueError, TypeError, IndexError):
            continue        # the edit breaks the program: not this one
    return None
