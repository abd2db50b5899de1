"""Answers that include their forward equations (issue 15, item 7): a design part (gru,
ugcnn, two_gate_rnn: write the equations, then the backprop) is answered so, and any
backprop part accepts it.

- Where the student's forward computes the same function as the reference (its output
  agrees on random inputs), the backward loops are judged as usual.
- Where it differs, in a part with `open: true` (several designs acceptable), the
  student's backward loops are judged against the chain rule applied to the student's
  own forward, and the verdict says both things: "your design differs from the reference
  (not the same function); your backpropagation of your design is correct".  In any
  other part a different forward is a wrong answer, and the verdict says why.
"""
from __future__ import annotations

import re
from dataclasses import replace

import numpy as np

from derive.check.verdict import Verdict
from derive.core.errors import DeriveError, NotationError
from derive.core.program import Program, is_grad_name, kept, ref_name
from derive.front.resolve import build_program
from derive.front.spec import Spec, answer_scope
from derive.run.agree import check_sizes, close
from derive.run.execute import run


def split_design(spec: Spec, text: str):
    """(student's forward Program or None, the backward part of the answer as text)."""
    scope = answer_scope(spec).copy()
    for name, info in spec.program.tensors.items():          # the answer may write them
        if info.role == "computed" and not is_grad_name(name):
            scope.tensors[name] = replace(info, role="computed")
    prog = build_program(text, scope, "answer", None, 0, answer=True)

    # forward: what writes the problem's own forward tensors, and the answer's temporaries
    # those read that read no gradient; the rest (gradients, their temporaries) is backward
    computed = {n for n in spec.program.written() if not is_grad_name(n)}
    stmts = list(prog.statements())
    forward_names = set(computed)
    while True:
        read_by_forward = {ref_name(r) for st in stmts if st.target_name in forward_names
                           for r in st.reads()}
        more = {st.target_name for st in stmts if st.target_name in read_by_forward
                and not is_grad_name(st.target_name)
                and not any(is_grad_name(ref_name(r)) for r in st.reads())}
        if more <= forward_names:
            break
        forward_names |= more

    def keep(items, forward: bool):
        return kept(items, lambda st: (st.target_name in forward_names) == forward)
    fwd_items = keep(prog.items, True)
    if not fwd_items:
        return None, text
    forward = replace(spec.program, items=fwd_items,
                      tensors={**spec.program.tensors, **{
                          n: i for n, i in prog.tensors.items()
                          if not is_grad_name(n) and n in forward_names}})
    backward = replace(prog, items=keep(prog.items, False))
    return forward, backward.text()


def same_function(spec: Spec, forward: Program, output: str) -> bool:
    """Does the student's forward give the reference's `output` on random inputs?"""
    for sizes in check_sizes(spec):
        for seed in (0, 1):
            want = run(spec.program, sizes, None, seed=seed)
            given = {n: v for n, v in want.items()
                     if n in spec.program.tensors and
                     spec.program.tensors[n].role in ("input", "parameter")}
            got = run(forward, sizes, given, seed=seed)
            if output not in got or not close(np.asarray(want[output]),
                                              np.asarray(got[output])):
                return False
    return True


def check_design(spec: Spec, part, text: str, verdict: Verdict, show_answer: bool,
                 check_loops) -> bool:
    """Judge an open design answer; False when the answer has no forward of its own (it
    is then judged as usual)."""
    if not _writes_forward(spec, text):
        return False            # no line assigns a forward tensor: nothing to split
    try:
        forward, backward_text = split_design(spec, text)
    except NotationError:
        return False            # not readable as a program: the usual check says where
    if forward is None:
        return False
    output = part.args["from"] if isinstance(part.args["from"], str) else part.args["from"][0]
    if output not in forward.written():
        raise NotationError(f"the answer's forward equations do not compute {output}, which "
                            f"the backpropagation starts from", "answer", 1, 1)
    if not backward_text.strip():
        raise NotationError("the answer gives forward equations but no backward loops "
                            "(statements writing name.grad)", "answer", 1, 1)
    try:
        same = same_function(spec, forward, output)
    except DeriveError as e:
        raise NotationError(f"the answer's forward equations do not run: {e}", "answer",
                            1, 1) from None
    if same:
        # the backward as usual, after the answer's own forward temporaries (A = W h − B)
        # it reads: they are computed first, from the problem's forward values
        temps = {n for n in forward.written() if n not in spec.program.tensors}
        own = kept(forward.items, lambda st: st.target_name in temps)
        if own:
            backward_text = replace(forward, items=own).text() + "\n" + backward_text
        check_loops(spec, part, backward_text, verdict, show_answer)
        verdict.message = "your design computes the reference's function; " + verdict.message
        return True
    if not part.args.get("open"):
        verdict.verdict = "incorrect"
        verdict.message = (f"your forward equations differ from the problem's (they do not "
                           f"compute the same {output}); this part asks for the "
                           f"backpropagation of the problem's program, and only a part "
                           f"with several acceptable designs judges your own")
        verdict.diagnosis = [f"compare your equations for {output} with the problem's"]
        return True
    own = replace(spec, program=forward, program_text=forward.text())
    check_loops(own, part, backward_text, verdict, False)
    judged = "correct" if verdict.verdict == "correct" else "not correct"
    verdict.message = (f"your design differs from the reference (it is not the same "
                       f"function); your backpropagation of your design is {judged}: "
                       + verdict.message)
    return True


_TARGET = re.compile(r"(?m)^\s*(?:for\b[^:]*:)?\s*([A-Za-z_]\w*)\s*(?:\[[^\]]*\])?\s*(?:=|\+=|-=)")


def _writes_forward(spec: Spec, text: str) -> bool:
    """Does a line of the answer assign one of the program's computed tensors?  (A look
    at the targets only, so that an answer of gradients alone is parsed once.)"""
    computed = {n for n in spec.program.written() if not is_grad_name(n)}
    return any(m.group(1) in computed for m in _TARGET.finditer(text))
