"""Answers to a problem's parts: the part's kind picks the engine (a plain table), and
every answer is derived and verified numerically before anyone sees it."""
from __future__ import annotations

from derive.answers.backprop import (answer_backprop, answer_loops, answer_numeric,
                                     answer_text, answer_update)
from derive.answers.cost import solve_cost_part
from derive.answers.moments import solve_moment_part
from derive.core.errors import DerivationError, DeriveError, LimitError, VerificationError
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
    """The answer of one part, derived (and verified unless verify is False).  An error
    raised while answering names the part ("problem:part: ...")."""
    part = spec.part(label)
    try:
        return ANSWER[part.kind](spec, part, Answer(spec.id, label, part.kind, "derived"),
                                 verify)
    except DeriveError as e:
        if e.part is None:
            e.part = f"{spec.id}:{label}"
        raise


def solve_guarded(spec, label: str, verify: bool = True) -> Answer:
    """One part's answer, never an exception for the part's own failure, so one failing
    part does not stop the others (verify, key).  The status says what happened:
    derived, given (instructor text), not-derived (the engines cannot derive it yet),
    withheld (the derived answer failed its numeric check; never shown), or error (the
    spec cannot be answered as written: the message says why)."""
    part = spec.part(label)
    try:
        ans = solve_part(spec, label, verify)
    except VerificationError as e:
        return Answer(spec.id, label, part.kind, "withheld",
                      message=f"the derived answer failed its numeric check: {e.reason}")
    except (DerivationError, LimitError) as e:
        return Answer(spec.id, label, part.kind, "not-derived",
                      message=f"the engine could not derive it: {e.reason}")
    except DeriveError as e:
        return Answer(spec.id, label, part.kind, "error", message=e.reason)
    if ans.verification is not None and not ans.verification.passed:
        ans.status = "withheld"
        ans.message = f"the derived answer failed its numeric check: " \
                      f"{ans.verification.summary()}"
    return ans


def solve(spec, labels=None, verify: bool = True) -> list[Answer]:
    """The answers of a problem's parts (all by default), in order."""
    return [solve_part(spec, lab, verify) for lab in (labels or list(spec.parts))]
