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

from dataclasses import dataclass, replace

from sympy import Add, Indexed, IndexedBase, Mul, preorder_traversal

from derive.core.errors import DeriveError, TimeLimitError
from derive.core.program import Block, Program, format_expr, is_grad_name, ref_indices, ref_name

MAX_EDITS = 120    # programs tried, at most (each is one run of the answer)


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


@dataclass
class Local:
    """A local derivative of the forward program: Y[i] depends on X[i] (same indices)
    through one statement, with d Y / d X = `value`, or one of its factors."""
    y: str
    x: str
    value: object          # SymPy, in the forward statement's indices `idx`
    idx: tuple
    whole: bool            # the whole derivative, or one factor of it


def forward_facts(forward: Program | None):
    """What the forward program says about its tensors, for edits that name classroom
    mistakes: {activation: (pre-activation, local derivative)} for each elementwise
    statement Y[i] = f(X[i]); the local derivatives (and their factors) of every
    statement with respect to each read at the target's own indices, by the shape of X;
    and the forward tensors by shape."""
    from derive.engines.simplify import definitions, in_forward_terms
    from derive.core.rules import derivative
    if forward is None:
        return {}, {}, {}
    hit = _FACTS.get(id(forward))
    if hit is not None and hit[0] is forward:
        return hit[1]
    acts, locals_, by_shape = {}, {}, {}
    defs = definitions(forward)

    def shape_of(name):
        info = forward.tensors.get(name)
        return tuple(info.ranges) if info is not None else None
    for st in forward.statements():
        reads = st.reads()
        y = st.target_name
        if shape_of(y) is not None and y not in by_shape.setdefault(shape_of(y), []):
            by_shape[shape_of(y)].append(y)
        for x in reads:
            if ref_indices(x) != ref_indices(st.target) or ref_name(x) == y:
                continue
            try:
                raw = _local(st.rhs, x, derivative)
            except DeriveError:         # no derivative rule: no edit
                continue
            if st.op == "-=":
                raw = -raw
            mine = in_forward_terms(raw, defs)
            seen = []
            parts = []
            for e in (mine, raw):
                fs = [f for f in Mul.make_args(e) if not f.is_Number]
                parts += [(f, False) for f in fs]
                parts += [(a * b, False) for k, a in enumerate(fs) for b in fs[k + 1:]
                          if len(fs) > 2]           # two of three factors (a mask and 1/q)
            for value, whole in [(mine, True), (raw, True)] + parts:
                if value.is_Number or value in seen:
                    continue
                seen.append(value)
                locals_.setdefault(shape_of(ref_name(x)), []).append(
                    Local(y, ref_name(x), value, ref_indices(x), whole))
            same = [r for r in reads if ref_indices(r) == ref_indices(st.target)]
            if st.op == "=" and same == [x] and mine not in (0, 1):
                acts[y] = (ref_name(x), mine, ref_indices(x))      # y = f(x[i], bias[j])
    for name, info in forward.tensors.items():
        if info.role in ("input", "parameter"):
            if name not in by_shape.setdefault(tuple(info.ranges), []):
                by_shape[tuple(info.ranges)].append(name)
    if len(_FACTS) > 64:
        _FACTS.clear()
    _FACTS[id(forward)] = (forward, (acts, locals_, by_shape))    # kept: its id stays its
    return acts, locals_, by_shape


_FACTS: dict = {}      # id(forward program) -> (program, facts): a batch checks it often


def _local(expr, read, derivative):
    import sympy as sp
    x = sp.Dummy("x")
    return derivative(expr.xreplace({read: x}), x).xreplace({x: read})


CHEAP = 1.0     # edits up to this rank need nothing of the forward program: tried first


def candidate_edits(answer: Program, max_rank: float = 4, suspects=None, forward=None,
                    min_rank: float = float("-inf")):
    """(words, build) for single edits of the answer, most likely first; build() makes the
    edited program (only when it is tried).  `suspects`: the statements whose result is
    wrong (None: all); editing a statement whose result is already right cannot help.
    `forward` (the problem's program) adds the classroom mistakes that need it: the
    pre-activation for the activation or the reverse, a local derivative missing or
    applied twice, a tensor of the wrong layer."""
    out = []
    block_vars = set()
    acts, locals_, by_shape = forward_facts(forward if max_rank > CHEAP else None)
    own_temporaries = [n for n in answer.written() if not is_grad_name(n)
                       and (forward is None or n not in forward.tensors)]
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
        if isinstance(st.target, Indexed):
            tix = tuple(st.target.indices)
            for k, e in enumerate(tix):
                moving = e.free_symbols & loop_vars
                if not moving:
                    continue
                for d in (-1, 1):
                    shifted = IndexedBase(ref_name(st.target))[tix[:k] + (e + d,) + tix[k + 1:]]
                    out.append((2.2 if moving & block_vars else 4.05,
                                f"an index is off by one: {line} writes {st.target_name} at "
                                f"{_fmt(shifted)}, one step {'later' if d > 0 else 'earlier'} "
                                f"than it should ({_fmt(st.target)})",
                                lambda st=st, t=shifted: _replace_statement(
                                    answer, st, st.with_(target=t))))
        if st.op == "=" and _repeats(st, loop_vars):
            out.append((0.5, f"`=` where `+=` belongs: {line} overwrites "
                             f"{st.target_name} at every step instead of adding to it",
                        lambda st=st: _replace_statement(answer, st, st.with_(op="+="))))
        target_info = answer.tensors.get(st.target_name)
        tidx = tuple(st.target.indices) if isinstance(st.target, Indexed) else ()
        if target_info is not None:
            # the statement's value should (not) carry a local derivative of the forward
            # program at its own indices (a temporary such as d1[j] or dGt[b, x, y, j]);
            # a scalar's (relu'(z) for z = w.x) may be missing anywhere
            same = locals_.get(tuple(target_info.ranges), []) if tidx else []
            own = st.target_name[:-5] if is_grad_name(st.target_name) else None
            for loc in same + [l for l in locals_.get((), []) if l not in same]:
                here = loc.value.xreplace(dict(zip(loc.idx, tidx)))
                lead = 0.0 if loc.x == own else 0.05      # toward the target's own tensor
                for factor, words, rank in ((here, "is missing", 1.7 if loc.whole else 1.9),
                                            (1 / here, "is applied twice",
                                             1.8 if loc.whole else 2.0)):
                    out.append((rank + lead,
                                _local_words(words, line, st.target_name, here, loc),
                                lambda st=st, f=factor: _replace_statement(
                                    answer, st, st.with_(rhs=st.rhs * f))))
        for r in [a for a in preorder_traversal(st.rhs) if isinstance(a, Indexed)]:
            name = ref_name(r)
            base = name[:-5] if is_grad_name(name) else name
            if is_grad_name(name):
                # a local derivative toward the statement's own target first: for
                # x.grad = m*y.grad, 1/q is a factor of dy/dx (dy/dm has it too)
                own = st.target_name[:-5] if is_grad_name(st.target_name) else None
                for loc in [l for ls in locals_.values() for l in ls if l.y == base]:
                    here = loc.value.xreplace(dict(zip(loc.idx, r.indices)))
                    lead = 0.0 if loc.x == own else 0.05
                    for new, words, rank in ((r * here, "is missing", 1.5 if loc.whole else 1.9),
                                             (r / here, "is applied twice",
                                              1.6 if loc.whole else 2.0)):
                        out.append((rank + lead, _local_words(words, line, name, here, loc),
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
                same_shape = (by_shape.get(tuple(info.ranges), []) if info else []) + \
                    [n for n in own_temporaries if info is not None
                     and tuple(answer.tensors[n].ranges) == tuple(info.ranges)]
                for other in same_shape:
                    if other != name and other != pre_of.get(name) and other != act_of.get(name):
                        what = "the wrong quantity" if other in own_temporaries else \
                            "a tensor from the wrong layer"
                        out.append((3.8, f"{what}: in {line}, {name} is read where {other} "
                                         f"belongs",
                                    edit_read(st, r, IndexedBase(other)[tuple(r.indices)])))
                idx = tuple(r.indices)
                for which in (0, -1):       # u + dx: which of the two is the offset
                    flips = [(k, _flip(e, loop_vars, which)) for k, e in enumerate(idx)]
                    flips = [(k, f) for k, f in flips if f is not None]
                    for k, flipped in flips:
                        out.append((2.6, f"the kernel is not flipped: in {line}, {name} is "
                                         f"read at {_fmt(flipped)} where it reads "
                                         f"{_fmt(idx[k])}",
                                    edit_read(st, r, IndexedBase(name)[idx[:k] + (flipped,)
                                                                       + idx[k + 1:]])))
                    if len(flips) > 1:
                        both = list(idx)
                        for k, flipped in flips:
                            both[k] = flipped
                        new = IndexedBase(name)[tuple(both)]
                        out.append((2.55, f"the kernel is not flipped: in {line}, {name} is "
                                          f"read at {_fmt(new)} where it reads {_fmt(r)}",
                                    edit_read(st, r, new)))
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
                step = e.as_independent(*moving)[0]
                if step.is_Integer and step != 0:       # t-1 where t+1 belongs
                    new = IndexedBase(name)[idx[:k] + (e - 2 * step,) + idx[k + 1:]]
                    out.append((rank + 0.3, f"an index steps the wrong way: in {line}, {name} is "
                                            f"read at {_fmt(e)} where {_fmt(e - 2 * step)} "
                                            f"belongs", edit_read(st, r, new)))
            for k in range(len(idx)):
                for m in range(k + 1, len(idx)):
                    if info is not None and info.ranges[k] != info.ranges[m]:
                        continue
                    sw = list(idx)
                    sw[k], sw[m] = sw[m], sw[k]
                    out.append((2.5, f"indices transposed: in {line}, {name} is read with its "
                                     f"indices in the wrong order",
                                edit_read(st, r, IndexedBase(name)[tuple(sw)])))
        for which in (0, -1):
            everywhere = {}
            for r in reads:
                fl = [(k, _flip(e, loop_vars, which)) for k, e in enumerate(r.indices)]
                if any(f is not None for _, f in fl):
                    everywhere[r] = IndexedBase(ref_name(r))[tuple(
                        f if f is not None else e for (_, f), e in zip(fl, r.indices))]
            if len(everywhere) > 1:
                out.append((2.7, f"the kernel is not flipped: in {line}, every read at an "
                                 f"offset (x + dx) should be at the opposite offset (x - dx)",
                            lambda st=st, m=everywhere: _replace_statement(
                                answer, st, st.with_(rhs=st.rhs.xreplace(m)))))
        for a in preorder_traversal(st.rhs):
            if isinstance(a, Add):
                for term in a.args:
                    out.append((3.5, f"sign flipped in one term: in {line}, the term "
                                     f"{_fmt(term)} has the wrong sign",
                                lambda st=st, a=a, term=term: _replace_statement(
                                    answer, st, st.with_(rhs=st.rhs.xreplace({a: a - 2 * term})))))
                    out.append((3.2, f"an extra term: in {line}, the term {_fmt(term)} should "
                                     f"not be there",
                                lambda st=st, a=a, term=term: _replace_statement(
                                    answer, st, st.with_(rhs=st.rhs.xreplace({a: a - term})))))
    out = sorted((x for x in out if min_rank < x[0] <= max_rank), key=lambda x: x[0])
    return [(words, build) for _, words, build in out[:MAX_EDITS]]


def _local_words(words, line, name, here, loc) -> str:
    what = "the derivative" if loc.whole else "a factor of the derivative"
    verb = "be" if words == "is missing" else "not be"
    return (f"a local derivative {words}: in {line}, {name} should {verb} multiplied by "
            f"{_fmt(here)} ({what} of {loc.y} with respect to {loc.x})")


def _repeats(st, loop_vars) -> bool:
    """Does the statement write the same element more than once (a loop or an enclosing
    block over an index its target does not have)?"""
    tvars = set().union(*[i.free_symbols for i in st.target.indices]) \
        if isinstance(st.target, Indexed) else set()
    return bool(loop_vars - tvars) or bool({lp.var for lp in st.loops} - tvars)


def _flip(e, loop_vars, which: int = -1):
    """A convolution read with one offset's sign flipped (u + dx -> u - dx), or None;
    `which` picks the first or the last of the loop variables in the index."""
    terms = Add.make_args(e)
    moving = [t for t in terms if t.free_symbols & loop_vars]
    if len(moving) < 2:
        return None
    off = moving[which]
    return Add(*[t for t in terms if t is not off]) - off


def repair(answer: Program, right, max_rank: float = 4, suspects=None,
           forward=None) -> str | None:
    """The words of the first single edit for which right(program) holds, or None.
    `right` judges an edited program (True only if every asked value agrees);
    `max_rank` 3 tries only block directions, signs, time shifts and transposes."""
    # the cheap edits first (a block's direction, `=` for `+=`, an operator's sign): the
    # forward program's derivatives, which the others need, are worked out only if none fits
    tiers = [(float("-inf"), min(CHEAP, max_rank))] + \
        ([(CHEAP, max_rank)] if max_rank > CHEAP else [])
    for lo, hi in tiers:
        for words, build in candidate_edits(answer, hi, suspects, forward, lo):
            try:
                if right(build()):
                    return words
            except TimeLimitError:
                raise
            except (DeriveError, ArithmeticError, ValueError, TypeError, IndexError):
                continue        # the edit breaks the program: not this one
    return None
