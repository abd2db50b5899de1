"""Answering cost parts; the cost line of a backprop part."""
from __future__ import annotations

import sympy as sp
from derive.core.records import Step
from derive.core.errors import SpecError
from derive.core.program import (as_expr, Block, Program, format_expr, format_statement, grad_name)
from derive.core.growth import order
from derive.engines.cost.analysis import Cost, analyse
from derive.core.errors import CostError
from derive.engines.cost.memory import analyse_pair, backward_of, memory_kept
from derive.run.counting import GROWTH_SIZES, _claimed_growth, check_by_counting

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
# the `cost` part
# --------------------------------------------------------------------------

MEASURES = ("work", "depth", "both")


def _statement_text(st, program) -> str:
    return f"`{format_statement(st, program.indices)}`"


def solve_cost_part(spec, part, ans, verify: bool = True):
    """Work, parallel depth and memory of the problem's program (or its backward)."""
    from derive.core.records import Result
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
        reads_ = "; ".join(f"{format_expr(c.read)} (written by step "
                           f"{'an earlier step' if c.writer is None else format_expr(c.writer)})"
                           for c in rec.carried)
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
