
"""Checking a student's answer: judged by meaning, explained when wrong.

Loop answers are run, in the order written, against the derived reference on
the same random inputs (several seeds, two sizes, non-square, batch > 1).
Numeric answers are compared per quantity; expression answers by symbolic
simplification backed by exact evaluation at random rational points; choice
answers by the option.  A wrong answer gets the smallest counterexample found
and a diagnosis of the usual mistakes; the reference answer is never shown
unless asked for.
"""
from __future__ import annotations


import numpy as np

from derive.core.errors import (DeriveError, IndexRangeError, LimitError, NotationError,
                                ShapeError, TimeLimitError)
from derive.core.limits import MEMORY_BUDGET, memory_budget, time_limit
from derive.core.program import (grad_name, is_grad_name)
from derive.check.designs import check_design
from derive.check.expressions import check_expression_part
from derive.front.spec import Spec, answer_scope
from derive.front.resolve import named_steps
from derive.front.spelling import Reading, names_of, respell
from derive.check.loops import _check_loops, _wanted
from derive.run.agree import MEMO
from derive.check.numeric import _check_numeric
from derive.check.orders import expression_with_reason, order_in_words
from derive.check.lines import hedges_as_links
from derive.check.programs import _check_forward_loops, _check_update
from derive.check.verdict import REPORT, TIME_LIMIT, Verdict


def check_answer(spec: Spec, label: str, text: str, show_answer: bool = False,
                 time_limit_s: float = TIME_LIMIT,
                 memory_bytes: int = MEMORY_BUDGET) -> Verdict:
    """Judge `text` as the answer to `spec`'s part `label`, within a time limit (in any
    thread) and a memory budget.  Never raises for anything in the text: a mistake of
    derive's own comes back as the verdict "error" (exit code 3)."""
    part = spec.part(label)
    verdict = Verdict(spec.id, label, "unusable", max_score=spec.points(label),
                      all_or_nothing=bool(part.args.get("all_or_nothing", False)))
    MEMO.clear()
    reading = None
    try:
        with time_limit(time_limit_s), memory_budget(memory_bytes), \
                np.errstate(all="ignore"):
            said = None
            if part.kind == "cost":        # O(T): one pass over it; linear in T
                text, said = order_in_words(text, part.args.get("in"), spec.program.sizes)
            elif part.kind in ("variance", "mean", "solve"):   # Var(u) ≤ 1/4, since ...
                text, said = expression_with_reason(text, _problem_words(spec))
            if part.kind in ("cost", "variance", "mean", "solve"):   # a = x or y
                text, hedged = hedges_as_links(text)
                said = "; ".join(x for x in (said, hedged) if x) or None
            # a choice is a word, maybe with prose after it: read as typed
            names = names_of(spec, answer_scope(spec))
            if part.args.get("recurrence"):          # sigma^2(l) is the layer variance
                names.functions |= {"sigma2", "sigma2_grad"}
            ends = tuple(x[0] if isinstance(x, (list, tuple)) and len(x) == 1 else x
                         for x in (part.args.get("from"), part.args.get("to")))
            if part.kind in ("gradient", "backprop") and all(isinstance(x, str) for x in ends):
                names.jacobian = ends              # ∂z2_j/∂z1_k = ... for this module
            reading = respell(text, names) if part.kind != "choice" else None
            reading = reading or Reading(text, [], [], text)
            if said:
                reading.notes.insert(0, said)
            verdict.read_as = reading.text.strip() if reading.text != text else None
            verdict.reading = reading.notes
            if getattr(reading, "shape_errors", None):
                raise reading.shape_errors[0]
            if part.kind == "loops" and reading.sums:
                line, col = reading.sums[0]
                _unusable(verdict, NotationError(
                    "this part asks for loops of += updates with no summation sign: give "
                    "the sum's index its own loop (for ..., i: X[...] += ...)", "answer",
                    line, col, reading.original).format())
                return verdict
            with named_steps(reading.steps):      # δ_T: the step T, not a sum
                _dispatch(spec, part, reading.text, verdict, show_answer,
                          simultaneous=getattr(reading, "arrows", False))
    except LimitError as e:
        _unusable(verdict, str(e))
        verdict.limited = isinstance(e, TimeLimitError) or "memory" in str(e)
    except IndexRangeError as e:
        _range_error(spec, part, reading.text if reading else text, verdict, e,
                     time_limit_s, memory_bytes)
    except NotationError as e:
        _unusable(verdict, (reading.error(e) if reading else e).format())
    except DeriveError as e:
        _unusable(verdict, str(e))
    except MemoryError:
        _unusable(verdict, "the check ran out of memory and was stopped")
        verdict.limited = True
    except RecursionError:
        _unusable(verdict, "the answer is nested too deeply to check")
    except Exception as e:  # noqa: BLE001 - derive's own mistake: never a traceback
        verdict.verdict = "error"
        verdict.message = (f"internal error while checking ({type(e).__name__}: {e}); "
                           f"{REPORT}")
        verdict.diagnosis, verdict.counterexample = [], None
    finally:
        MEMO.clear()
    if show_answer and verdict.reference is not None:
        _verify_reference(spec, label, verdict)
    return verdict


def _range_error(spec: Spec, part, text: str, verdict: Verdict, e, time_limit_s,
                 memory_bytes):
    """An index that runs past its axis: incorrect.  The other quantities are still
    judged, on the answer without that line (when it still reads as a program)."""
    verdict.verdict = "incorrect"
    shapes = isinstance(e, ShapeError)
    verdict.message = "the shapes do not fit" if shapes else "an index runs over the wrong range"
    verdict.diagnosis = [f"{e.message} (line {e.line})" if shapes else
                         f"{e.message} (line {e.line}): indices transposed or the wrong "
                         "index for this tensor"]
    wanted = [grad_name(t) for t in _wanted(spec, part)]
    tensor = getattr(e, "tensor", None)
    if wanted and tensor and is_grad_name(tensor) and tensor not in wanted:
        verdict.diagnosis.insert(0, f"gradient with respect to the wrong tensor: the "
                                    f"answer computes {tensor}, the part asks for "
                                    f"{', '.join(wanted)}")
    rest = Verdict(spec.id, part.label, "unusable")
    lines = text.split("\n")
    if part.kind in ("backprop", "gradient") and 1 <= e.line <= len(lines):
        without = "\n".join(lines[:e.line - 1] + [""] + lines[e.line:])
        try:
            with time_limit(time_limit_s), memory_budget(memory_bytes), \
                    np.errstate(all="ignore"):
                _check_loops(spec, part, without, rest, False)
        except (DeriveError, ArithmeticError, ValueError):
            rest.quantities = []
    judged = {q.name: q for q in rest.quantities}
    for g in wanted:
        q = judged.get(g)
        if g == tensor or q is None or q.verdict == "missing":
            verdict.judge(g, "incorrect", verdict.message
                          if g == tensor else "not judged: the answer does not run as written")
        else:
            verdict.judge(g, q.verdict, q.message)


def _problem_words(spec: Spec) -> set:
    """The names of the problem (and of its notation's functions), which are not prose."""
    words = set(spec.program.tensors) | set(spec.program.sizes) | set(spec.symbols) | \
        set(spec.program.functions) | set(spec.program.indices)
    return words | {"Var", "Std", "Cov", "sqrt", "exp", "log", "sigma", "tanh", "relu", "pi"}


def _dispatch(spec: Spec, part, text: str, verdict: Verdict, show_answer: bool,
              simultaneous: bool = False):
    if part.kind in ("backprop", "gradient"):
        # an answer may begin with its forward equations (a design part asks for them)
        if not check_design(spec, part, text, verdict, show_answer, _check_loops):
            _check_loops(spec, part, text, verdict, show_answer)
    elif part.kind == "numeric":
        _check_numeric(spec, part, text, verdict, show_answer)
    elif part.kind in ("variance", "mean", "solve", "choice", "cost"):
        check_expression_part(spec, part, text, verdict, show_answer)
    elif part.kind == "loops":
        _check_forward_loops(spec, part, text, verdict, show_answer)
    elif part.kind == "update":
        _check_update(spec, part, text, verdict, show_answer, simultaneous)
    else:
        verdict.message = (f"part {part.label} is a {part.kind} part: it is read by the "
                           "instructor and cannot be checked automatically")


def _unusable(verdict: Verdict, message: str):
    """Unusable input: nothing is judged (a time or memory limit included)."""
    verdict.verdict = "unusable"
    verdict.message = message
    verdict.diagnosis, verdict.counterexample = [], None
    verdict.quantities = []


def _verify_reference(spec: Spec, label: str, verdict: Verdict):
    """A derived answer is never shown unchecked: the reference gets its numeric check, or
    is withheld (the check itself judges with the unverified derivation and shows
    nothing of it)."""
    from derive.answers import solve_part
    try:
        v = solve_part(spec, label, verify=True).verification
    except DeriveError as e:
        verdict.reference = None
        verdict.reference_check = f"not shown: the derived answer could not be verified: {e}"
        return
    if v is not None and not v.passed:
        verdict.reference = None
        verdict.reference_check = "not shown: the derived answer failed its numeric check"
    elif v is not None:
        verdict.reference_check = f"verified: {v.summary()}"
