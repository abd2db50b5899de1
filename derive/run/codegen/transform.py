"""Program transformations for export: blocks that must run in sequence, fission of
a backward block."""
from __future__ import annotations

import sympy as sp
from derive.core.program import (affine, assigns, Block, Loop, Statement, ref_indices,
                                 ref_name)

# program transformations
# --------------------------------------------------------------------------


def sequential_blocks(items) -> list:
    """Self-recurrent statements become blocks over their recurrence loop."""
    from derive.engines.cost.count import with_blocks
    return with_blocks(items)


def _block_offset(e, var):
    d = sp.expand(e - var)
    return int(d) if d.is_Integer else None


def fission(block: Block) -> tuple[list, Block, list]:
    """(before, block, after): statements of a block moved out of its loop.

    A statement moves after the loop when nothing in the block reads what it
    writes and what it reads is final when it runs; before the loop when it
    reads nothing the block writes and nothing in the block reads its target
    before it (its `+=` commutes with the others).  Moved statements loop over
    the block's variable themselves and run for all steps at once."""
    if len(block.loops) != 1 or any(isinstance(it, Block) for it in block.body):
        return [], block, []
    lp = block.loops[0]
    t = lp.var
    step = -1 if lp.reverse else 1
    body = list(block.body)
    written = {}
    for k, st in enumerate(body):
        written.setdefault(st.target_name, []).append(k)

    def axis_offset(r):
        for e in ref_indices(r):
            if t in e.free_symbols:
                aff = affine(e, [t])
                if aff is None or aff[1].get(t) != 1:
                    return "bad"
                return _block_offset(e, t)
        return None

    def reads_of(name, skip):
        return [(k, r) for k, st in enumerate(body) if k != skip
                for r in st.reads() if ref_name(r) == name]

    after = []
    moved = set()
    for k in reversed(range(len(body))):
        st = body[k]
        name = st.target_name
        ok = st.op in ("+=", "-=") or len(written[name]) == 1
        ok = ok and not reads_of(name, None) and all(
            not assigns(body[j].op) for j in written[name] if j != k)
        if ok:
            for r in st.reads():
                x = ref_name(r)
                if x not in written:
                    continue
                o_r = axis_offset(r)
                for j in written[x]:
                    if j in moved:
                        continue
                    o_w = axis_offset(body[j].target)
                    if o_r is None or o_w is None or o_r == "bad" or o_w == "bad":
                        ok = False
                        break
                    # the write reaching this read: at step t + (o_r - o_w)
                    d = (o_r - o_w) * step
                    if d > 0 or (d == 0 and j > k):
                        ok = False
                        break
                if not ok:
                    break
        if ok and assigns(st.op) and not any(t in e.free_symbols for e in ref_indices(st.target)):
            ok = False                        # `=` in every step: only the last step counts
        if ok:
            moved.add(k)
            after.insert(0, st.with_(loops=_with_loop(st, lp)))
    before = []
    for k in range(len(body)):
        if k in moved:
            continue
        st = body[k]
        name = st.target_name
        if st.op not in ("+=", "-=") or any(ref_name(r) in written for r in st.reads()):
            continue
        if any(assigns(body[j].op) for j in written[name]):
            continue
        o_w = axis_offset(st.target)
        if o_w is None or o_w == "bad":
            continue
        early = False
        for j, r in reads_of(name, k):
            o_r = axis_offset(r)
            if o_r is None or o_r == "bad":
                early = True
                break
            d = (o_r - o_w) * step        # > 0: reads the slice before this step writes it
            if d > 0 or (d == 0 and j < k):
                early = True
                break
        if early:
            continue
        moved.add(k)
        before.append(st.with_(loops=_with_loop(st, lp)))
    rest = [st for k, st in enumerate(body) if k not in moved]
    return before, Block(block.loops, rest, block.line), after


def _with_loop(st: Statement, lp: Loop) -> tuple:
    """The statement's loops with the block's loop where its tensors have that axis."""
    lp = Loop(lp.var, lp.lo, lp.hi)           # a sum: the order of the steps is free
    own = [l.var for l in st.loops]
    for r in [st.target] + list(st.reads()):
        idx = ref_indices(r)
        for k, e in enumerate(idx):
            if lp.var in e.free_symbols:
                before = [v for e2 in idx[:k] for v in e2.free_symbols if v in own]
                pos = max((own.index(v) + 1 for v in before), default=0)
                loops = list(st.loops)
                loops.insert(pos, lp)
                return tuple(loops)
    return (lp,) + tuple(st.loops)


# --------------------------------------------------------------------------
# one function: forward(...) or backward(...)
# --------------------------------------------------------------------------
