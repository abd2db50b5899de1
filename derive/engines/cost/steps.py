"""The derivation of a cost as steps: the statements' costs in a table, then the work, the
parallel depth and the memory as formulas in the sizes, each with its order of growth.

Steps hold SymPy objects and the keys of derive.core.sentences_cost; the printers
(derive.present.steps) typeset them."""
from __future__ import annotations

import sympy as sp

from derive.core.growth import Measure, clog2, common_out_of_max, order_expr
from derive.core.program import Block, Program, as_expr, grad_name
from derive.core.records import Step, chain
from derive.engines.cost.analysis import Cost

COLUMNS = ("statement", "runs", "ops", "depth")


def program_step(prog: Program) -> Step:
    """The problem's forward program: how many statements, how many loops over steps."""
    n = sp.Integer(len(prog.statements()))
    blocks = sum(1 for it in prog.items if isinstance(it, Block))
    if blocks:
        return Step("cost", why="forward program with loops",
                    args={"statements": n, "loops": sp.Integer(blocks)})
    return Step("cost", why="forward program", args={"statements": n})


def backward_step(bw) -> Step:
    return Step("cost", why="backward program",
                args={"sources": [grad_name(x) for x in bw.sources],
                      "targets": list(bw.targets)})


def table_step(cost: Cost) -> Step:
    """One row per statement: the statement in its loops, runs, operations, depth."""
    rows = [(r.statement.with_(loops=tuple(r.loops)), r.iterations, sp.Integer(r.ops),
             r.depth + clog2(r.per_element)) for r in cost.statements]
    return Step("table", why="statement costs", args={"columns": list(COLUMNS), "rows": rows})


def order_step(kind: str, lhs, expr, prog: Program, only, rewrite=None) -> Step:
    """`W = O(T)`: the order of growth of a measure, in one size when `only` names it.
    `rewrite` puts the formula in terms of that size when it depends on others
    (U = 2*X + D: X eliminated); the order is taken of what it gives."""
    shown = rewrite(expr) if rewrite is not None else expr
    rhs = order_expr(shown, prog, only)
    if only:
        lead = (lhs, "=", shown, "=") if shown != expr else (lhs, "=")
        return Step(kind, why="order in one size", args={"size": prog.sizes[only[0]]},
                    chain=chain(*lead, rhs))
    return Step(kind, why="order", chain=chain(lhs, "=", rhs))


# --------------------------------------------------------------------------
# work
# --------------------------------------------------------------------------


def work_steps(cost: Cost, analysed: Program, prog: Program, only, what: str,
               rewrite=None) -> list:
    """W = the sum of runs times operations; its order; linear in a size when no
    statement runs more than once per step."""
    w = Measure(f"W_{what}")
    steps = [Step("work", why="work", chain=chain(w, "=", cost.work)),
             order_step("work", w, cost.work, prog, only, rewrite)]
    if only and _at_most_linear(cost, prog.sizes[only[0]]):
        size = prog.sizes[only[0]]
        steps.append(Step("work", why="linear work",
                          args={"index": _loop_index(analysed, size), "steps": size,
                                "size": size}))
    return steps


def _at_most_linear(cost: Cost, size) -> bool:
    degrees = []
    for r in cost.statements:
        it = sp.expand(r.iterations)
        degrees.append(sp.degree(it, size) if it.is_polynomial(size) else None)
    return bool(degrees) and all(d is not None and d <= 1 for d in degrees)


def _loop_index(program: Program, size) -> sp.Symbol:
    """The index that runs over `size` (t for T)."""
    for name, (lo, hi) in program.indices.items():
        if size in as_expr(hi).free_symbols:
            return sp.Symbol(name)
    return size


# --------------------------------------------------------------------------
# parallel depth
# --------------------------------------------------------------------------


def depth_steps(cost: Cost, prog: Program, only, what: str, rewrite=None) -> list:
    """Sums as trees, the recurrences and their chains, then D and its order."""
    steps = _tree_steps(cost)
    for rec in cost.recurrences:
        steps += _recurrence_steps(rec)
    if not cost.recurrences:
        steps.append(Step("depth", why="no recurrence"))
    d = Measure(f"D_{what}")
    tidy = common_out_of_max(cost.depth)          # the shared terms written once
    more = ("=", tidy) if tidy != cost.depth else ()
    steps += [Step("depth", why="depth", chain=chain(d, "=", cost.depth, *more)),
              order_step("depth", d, cost.depth, prog, only, rewrite)]
    return steps


def _tree_steps(cost: Cost) -> list:
    """One step per number of terms summed into an element (B, J, ...)."""
    seen, steps = [], []
    for r, depth in cost.reductions:
        if depth == 0 or r.per_element in seen:
            continue
        seen.append(r.per_element)
        steps.append(Step("depth", why="sum as a tree",
                          args={"n": r.per_element, "depth": depth}))
    return steps


def _recurrence_steps(rec) -> list:
    lp = rec.loop
    first, last = (lp.hi, lp.lo) if lp.reverse else (lp.lo, lp.hi)
    steps = []
    for k, c in enumerate(rec.carried):
        args = {"index": lp.var, "read": c.read}
        if k == 0:
            args.update(first=first, last=last)
        key = "recurrence" if k == 0 else "also reads"
        if c.writer is None:
            key += " from an earlier step"
        else:
            args["writer"] = c.writer
        steps.append(Step("depth", why=key, args=args))
    if rec.chain:
        steps.append(Step("depth", why="step to step", args={"statements": list(rec.chain)}))
    total = sp.expand(rec.steps * rec.per_step)
    product = sp.Mul(rec.steps, rec.per_step, evaluate=False)
    steps.append(Step("depth", why="steps in sequence",
                      args={"per_step": rec.per_step, "steps": rec.steps},
                      chain=chain(product, "=", total) if as_expr(rec.per_step).is_Add
                      else chain(total)))
    return steps


# --------------------------------------------------------------------------
# memory
# --------------------------------------------------------------------------


def memory_steps(mem, prog: Program, only, rewrite=None) -> list:
    m = Measure("M_kept")
    if not mem.tensors:
        return [Step("memory", why="no memory")]
    return [Step("memory", why="memory", args={"tensors": [n for n, _, _ in mem.tensors]},
                 chain=chain(m, "=", mem.total)),
            order_step("memory", m, mem.total, prog, only, rewrite)]
