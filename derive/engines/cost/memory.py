"""A forward program and its backward program: memory kept, the pair analysed."""
from __future__ import annotations

from dataclasses import dataclass
import sympy as sp
from derive.engines.backward import derive_backward
from derive.core.records import Backward
from derive.core.program import (Program, grad_name, is_grad_name, ref_name)
from derive.engines.cost.analysis import Cost, analyse

# --------------------------------------------------------------------------
# a forward program and its backward program
# --------------------------------------------------------------------------


def final_outputs(program: Program) -> list:
    """The tensors nothing else is computed from: the last of each sink of the data flow."""
    written = program.written()
    deps = {x: set() for x in written}
    for st in program.statements():
        for r in st.reads():
            if ref_name(r) in deps:
                deps[ref_name(r)].add(st.target_name)
    # tensors reachable from x (x feeds them)
    reach = {}
    for x in written:
        seen, todo = set(), [x]
        while todo:
            y = todo.pop()
            for z in deps[y]:
                if z not in seen:
                    seen.add(z)
                    todo.append(z)
        reach[x] = seen
    sinks = [x for x in written if all(x in reach[z] for z in reach[x])]
    # one per strongly connected sink: the last written
    out = []
    for x in reversed(written):
        if x in sinks and not any(x in reach[o] and o in reach[x] for o in out):
            out.append(x)
    return list(reversed(out))


def backward_of(program: Program, sources=None, targets=None) -> Backward:
    """The backward program from the final outputs to every parameter and input."""
    sources = list(sources or final_outputs(program))
    if targets is None:
        from derive.engines.backward import relevant
        up, _ = relevant(program, sources, [])
        targets = [n for n, i in program.tensors.items()
                   if i.role in ("input", "parameter") and n in up]
    return derive_backward(program, sources, targets)


@dataclass
class Memory:
    tensors: list             # (name, role, size expr)
    total: sp.Expr


def memory_kept(forward: Program, bw: Program) -> Memory:
    """The forward tensors the backward program reads, and their total size."""
    fwd = set(forward.tensors)
    names = []
    for st in bw.statements():
        for r in st.reads():
            n = ref_name(r)
            if n in fwd and not is_grad_name(n) and n not in names \
                    and forward.tensors[n].role != "temporary":
                names.append(n)
    rows, total = [], sp.S.Zero
    for n in names:
        info = forward.tensors[n]
        size = sp.S.One
        for lo, hi in info.ranges:
            size *= sp.simplify(hi - lo + 1)
        rows.append((n, info.role, size))
        total += size
    return Memory(rows, sp.expand(total))


@dataclass
class CostReport:
    forward: Cost
    backward: Cost
    memory: Memory
    bw: Backward


def analyse_pair(forward: Program, bw: Backward) -> CostReport:
    seeded = [grad_name(s) for s in bw.sources]
    return CostReport(analyse(forward), analyse(bw.program, seeded),
                      memory_kept(forward, bw.program), bw)
