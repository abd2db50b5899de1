"""Answering cost parts; the cost line of a backprop part."""
from __future__ import annotations

import sympy as sp

from derive.core.errors import CostError, SpecError
from derive.core.growth import common_out_of_max, order, order_expr, order_math
from derive.core.phrase import Phrase, join, sizes_phrase
from derive.core.program import Program, grad_name
from derive.core.records import Result
from derive.core.sizes import eliminated_for, in_terms_of, vary
from derive.engines.cost import steps as cost_steps
from derive.engines.cost.analysis import analyse
from derive.engines.cost.memory import analyse_pair, backward_of, memory_kept
from derive.run.counting import GROWTH_SIZES, check_by_counting, order_mismatch

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
        sizes = [s for s in (_uniform(forward_program, k) for k in (2, 3)) if s]
        seeded = [grad_name(x) for x in backward.sources]
        ok = check_by_counting(forward_program, rep.forward, sizes).passed and \
            check_by_counting(backward.program, rep.backward, sizes, seeded).passed
        if not ok:
            line += " (the formulas were not confirmed by counting)"
    return line


def _uniform(prog: Program, k: int, grow: str | None = None, value: int | None = None):
    """Every independent size k (or k+1 where a tie needs it), `grow` at `value`, the
    dependent sizes computed; None if no such sizes exist."""
    free = [n for n in prog.sizes if n not in prog.relations]
    bits = {n: i for i, n in enumerate(free)}
    return vary(prog.relations, prog.sizes,
                lambda n, a: value if n == grow else k + ((a >> bits[n]) & 1), tries=64)


# --------------------------------------------------------------------------
# the `cost` part
# --------------------------------------------------------------------------

MEASURES = ("work", "depth", "both")


def solve_cost_part(spec, part, ans, verify: bool = True):
    """Work, parallel depth and memory of the problem's program (or its backward)."""
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
    steps: list = [cost_steps.program_step(prog)]
    if of == "backward":
        bw = backward_of(prog)
        ans.backward = bw
        seeded = [grad_name(x) for x in bw.sources]
        cost = analyse(bw.program, seeded)
        mem = memory_kept(prog, bw.program)
        steps.append(cost_steps.backward_step(bw))
        analysed, present = bw.program, seeded
    else:
        cost, mem, analysed, present = fwd, None, prog, ()
    what = "backward" if of == "backward" else "forward"
    steps.append(cost_steps.table_step(cost))
    # asked in a dependent size (U = 2*X + D): the formulas in U, the size that grows
    # with it (X) eliminated, the others fixed
    elim = eliminated_for(grow, prog.relations, prog.sizes) if grow else None

    def shown(e):
        e = in_terms_of(e, grow, prog.relations, prog.sizes) if grow and prog.relations else e
        return common_out_of_max(e)
    steps += cost_steps.work_steps(cost, analysed, prog, only, what, shown)
    steps += cost_steps.depth_steps(cost, prog, only, what, shown)
    w_math, d_math = order_math(shown(cost.work), prog, only), \
        order_math(shown(cost.depth), prog, only)
    ans.results = [Result(f"{what} work", shown(cost.work), "=", w_math),
                   Result(f"{what} parallel depth", shown(cost.depth), "=", d_math)]
    if mem is not None:
        steps += cost_steps.memory_steps(mem, prog, only, shown)
        ans.results.append(Result("memory kept for the backward pass", shown(mem.total), "=",
                                  order_math(shown(mem.total), prog, only)))
        ans.results.append(Result("forward work", shown(fwd.work), "=",
                                  order_math(shown(fwd.work), prog, only)))
    fixed = Phrase(" in ", prog.sizes[grow], " (the other sizes fixed)") if grow else Phrase()
    if elim:
        fixed = Phrase(" in ", sp.Eq(prog.sizes[grow], prog.relations[grow], evaluate=False),
                       " (", sp.Eq(elim[0], elim[1], evaluate=False),
                       " grows with it, the other sizes fixed)")
    ans.message = {
        "work": Phrase(f"the {what} pass takes time ", w_math, fixed, ": its work"),
        "depth": Phrase(f"with unlimited parallelism the {what} pass takes time ", d_math,
                        fixed, ": its parallel depth"),
        "both": Phrase(f"{what} work ", w_math, ", parallel depth ", d_math, fixed)}[measure]
    ans.steps = steps
    if verify:
        base = _uniform(prog, 2)
        mover = str(elim[0]) if elim else grow        # the independent size that grows
        sizes = [_uniform(prog, 2, mover, v) for v in GROWTH_SIZES] if grow else \
            [base, _uniform(prog, 3)]
        sizes = [s for s in sizes if s]
        v = check_by_counting(analysed, cost, sizes, present)
        if grow:
            others = {k: x for k, x in base.items()
                      if k not in (grow, mover) and k not in prog.relations}
            v.method = Phrase("counted by unrolling at ", prog.sizes[grow], " = ",
                              join([sp.Integer(s[grow]) for s in sizes]),
                              Phrase(" (", sizes_phrase(others), ")") if others else "")
            sym = prog.sizes[grow]
            still = {n for n in prog.sizes if n not in prog.relations and n != mover}
            fixed = {s: sp.Integer(base[n]) for n, s in prog.sizes.items() if n in still}
            bad = [f"{name}: {why}" for name, formula in (("work", shown(cost.work)),
                                                           ("depth", shown(cost.depth)))
                   if (why := order_mismatch(formula, order_expr(formula, prog, only).args[0],
                                             sym, fixed))]
            if bad:
                v.passed, v.detail = False, "; ".join(bad)
            else:
                v.detail = Phrase("the orders ", w_math, " (work) and ", d_math,
                                  " (depth) are the formulas' own")
        else:
            v.method = Phrase("counted by unrolling at sizes ",
                              join([sizes_phrase(s) for s in sizes], "; "))
        ans.verification = v
    return ans
