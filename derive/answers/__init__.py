"""Answers to a problem's parts: the part's kind picks the engine (a plain table), and
every answer is derived and verified numerically before anyone sees it."""
from __future__ import annotations

from derive.answers.backprop import (answer_backprop, answer_loops, answer_numeric,
                                     answer_text, answer_update)
from derive.answers.cost import solve_cost_part
from derive.answers.moments import solve_moment_part
from derive.core.records import Answer

# part kind -> the function that answers it: (spec, part, answer, verify) -> answer
ANSWER = {
    "backprop": answer_backprop,
    "gradient": answer_backprop,
    "loops": answer_loops,
    "numeric": answer_numeric,
    "update": answer_update,
    "text": answer_text,
    "variance": solve_moment_part,
    "mean": solve_moment_part,
    "solve": solve_moment_part,
    "choice": solve_moment_part,
    "cost": solve_cost_part,
}


def solve_part(spec, label: str, verify: bool = True) -> Answer:
    """The answer of one part, derived (and verified unless verify is False)."""
    part = spec.part(label)
    return ANSWER[part.kind](spec, part, Answer(spec.id, label, part.kind, "derived"), verify)


def solve(spec, labels=None, verify: bool = True) -> list[Answer]:
    """The answers of a problem's parts (all by default), in order."""
    return [solve_part(spec, lab, verify) for lab in (labels or list(spec.parts))]
