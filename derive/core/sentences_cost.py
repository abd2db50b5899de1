"""The sentences of the cost engine (derive.engines.cost), merged into
derive.core.sentences.SENTENCES.

Words only: the formulas of a step are its chain and the objects of its `{fields}`
(sizes, statements, tensor names), which the printers typeset."""
from __future__ import annotations

COST_SENTENCES: dict = {
    # ---- what is analysed
    "forward program": "the problem's forward program: {statements} statements",
    "forward program with loops": "the problem's forward program: {statements} statements; "
                                  "loops over steps: {loops}",
    "backward program": "the program analysed is its backward program, derived from "
                        "{sources} to the gradients of {targets}",
    "statement costs": "each statement: the times it runs, its operations (ops) per run "
                       "and the depth of one run, a sum of several terms counted as a "
                       "balanced tree",
    # ---- work
    "work": "the work, the runs times the operations, summed over the statements",
    "linear work": "no statement runs more than once per value of {index}: every one of "
                   "the {steps} steps does the same fixed work, so the work is linear in "
                   "{size} (not quadratic)",
    # ---- parallel depth
    "sum as a tree": "a sum of {n} terms into one element is added as a balanced tree, "
                     "not one term after the other: its depth is {depth}",
    "recurrence": "the loop over {index}, from {first} to {last}, is a recurrence: step "
                  "{index} reads {read}, written by step {writer}, so it cannot start "
                  "before that step has ended",
    "recurrence from an earlier step": "the loop over {index}, from {first} to {last}, is "
                                       "a recurrence: step {index} reads {read}, written "
                                       "by an earlier step, so it cannot start before "
                                       "that step has ended",
    "also reads": "step {index} also reads {read}, written by step {writer}",
    "also reads from an earlier step": "step {index} also reads {read}, written by an "
                                       "earlier step",
    "step to step": "the chain from one step to the next runs through {statements}",
    "steps in sequence": "each step adds {per_step} to the longest chain, and the {steps} "
                         "steps run one after another",
    "no recurrence": "no statement depends on an earlier iteration of its own loops: the "
                     "iterations of every loop run in parallel, and only the sums (trees) "
                     "and the order of the statements make the chain",
    "depth": "the parallel depth, the longest chain of runs that wait for each other",
    # ---- memory
    "memory": "the memory kept for the backward pass: the forward tensors it reads, "
              "{tensors}",
    "no memory": "the backward pass reads no forward tensor: it keeps no memory",
    # ---- orders of growth
    "order": "its order of growth",
    "order in one size": "its order of growth in {size}, the other sizes fixed",
}
