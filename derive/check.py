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

from dataclasses import dataclass, field, replace

import numpy as np
import sympy as sp

from .errors import (DeriveError, IndexRangeError, LimitError, NotationError,
                     TimeLimitError)
from .execute import Executor, random_symbols, run
from .limits import MEMORY_BUDGET, memory_budget, time_limit
from .program import (Block, Program, format_statement, grad_name, is_grad_name,
                      base_of, ref_name, reads)
from .resolve import build_program
from .check_expr import check_expression_part
from .check_numbers import agree, read_values
from .spec import Spec

TIME_LIMIT = 10.0        # seconds per check
CHECK_GRID = 2_000_000   # iterations of one statement while checking
RTOL = 1e-7
SEEDS_PER_SIZE = 3       # random points judged at each check size
MAX_DRAWS = 8            # draws per size to find points where the reference is finite

EXIT_CODES = {"correct": 0, "incorrect": 1, "unusable": 2, "error": 3}
REPORT = ("this is a bug in derive, not in your answer: please report it with the "
          "command you ran")


@dataclass
class Quantity:
    """One quantity a part asks for, judged on its own."""
    name: str
    verdict: str                      # correct | incorrect | missing
    message: str = ""

    def as_dict(self) -> dict:
        return {"name": self.name, "verdict": self.verdict, "message": self.message}


@dataclass
class Verdict:
    problem: str
    part: str
    verdict: str                      # correct | incorrect | unusable | error
    message: str = ""
    diagnosis: list = field(default_factory=list)
    counterexample: dict | None = None
    reference: str | None = None
    reference_check: str | None = None   # the numeric check of the reference (--show-answer)
    quantities: list = field(default_factory=list)   # [Quantity], in the order asked
    max_score: float = 1.0
    all_or_nothing: bool = False
    limited: bool = False             # unusable because a time or memory limit was hit

    @property
    def exit_code(self) -> int:
        return EXIT_CODES.get(self.verdict, 3)

    @property
    def score(self) -> float:
        """The points earned: all of them when correct; else, per quantity, a share of the
        points for each correct one (none with all_or_nothing, or for unusable input)."""
        if self.verdict == "correct":
            return self.max_score
        if self.verdict != "incorrect" or self.all_or_nothing or not self.quantities:
            return 0.0
        right = sum(q.verdict == "correct" for q in self.quantities)
        return round(self.max_score * right / len(self.quantities), 6)

    def judge(self, name: str, verdict: str, message: str = "") -> Quantity:
        """Record the verdict of one quantity (the first one recorded for a name counts)."""
        for q in self.quantities:
            if q.name == name:
                return q
        q = Quantity(name, verdict, message)
        self.quantities.append(q)
        return q

    def as_dict(self) -> dict:
        out = {"problem": self.problem, "part": self.part, "verdict": self.verdict,
               "exit_code": self.exit_code, "message": self.message,
               "diagnosis": self.diagnosis, "counterexample": self.counterexample,
               "quantities": [q.as_dict() for q in self.quantities],
               "score": self.score, "max_score": self.max_score}
        if self.reference is not None:
            out["reference"] = self.reference
            out["reference_check"] = self.reference_check
        return out


def check_answer(spec: Spec, label: str, text: str, show_answer: bool = False,
                 time_limit_s: float = TIME_LIMIT,
                 memory_bytes: int = MEMORY_BUDGET) -> Verdict:
    """Judge `text` as the answer to `spec`'s part `label`, within a time limit (in any
    thread) and a memory budget.  Never raises for anything in the text: a mistake of
    derive's own comes back as the verdict "error" (exit code 3)."""
    part = spec.part(label)
    verdict = Verdict(spec.id, label, "unusable", max_score=spec.points(label),
                      all_or_nothing=bool(part.args.get("all_or_nothing", False)))
    _MEMO.clear()
    try:
        with time_limit(time_limit_s), memory_budget(memory_bytes), \
                np.errstate(all="ignore"):
            _dispatch(spec, part, text, verdict, show_answer)
    except LimitError as e:
        _unusable(verdict, str(e))
        verdict.limited = isinstance(e, TimeLimitError) or "memory" in str(e)
    except IndexRangeError as e:
        _range_error(spec, part, text, verdict, e, time_limit_s, memory_bytes)
    except NotationError as e:
        _unusable(verdict, e.format())
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
        _MEMO.clear()
    if show_answer and verdict.reference is not None:
        _verify_reference(spec, label, verdict)
    return verdict


def _range_error(spec: Spec, part, text: str, verdict: Verdict, e, time_limit_s,
                 memory_bytes):
    """An index that runs past its axis: incorrect.  The other quantities are still
    judged, on the answer without that line (when it still reads as a program)."""
    verdict.verdict = "incorrect"
    verdict.message = "an index runs over the wrong range"
    verdict.diagnosis = [f"{e.message} (line {e.line}): indices transposed or the "
                         "wrong index for this tensor"]
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
            verdict.judge(g, "incorrect", "an index runs over the wrong range"
                          if g == tensor else "not judged: the answer does not run as written")
        else:
            verdict.judge(g, q.verdict, q.message)


def _dispatch(spec: Spec, part, text: str, verdict: Verdict, show_answer: bool):
    if part.kind in ("backprop", "gradient"):
        _check_loops(spec, part, text, verdict, show_answer)
    elif part.kind == "numeric":
        _check_numeric(spec, part, text, verdict, show_answer)
    elif part.kind in ("variance", "mean", "solve", "choice", "cost"):
        check_expression_part(spec, part, text, verdict, show_answer)
    elif part.kind == "loops":
        _check_forward_loops(spec, part, text, verdict, show_answer)
    elif part.kind == "update":
        _check_update(spec, part, text, verdict, show_answer)
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
    from .solve import solve_part
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


# --------------------------------------------------------------------------
# loop answers
# --------------------------------------------------------------------------


_REFERENCES: dict = {}   # derived once per process: a --batch checks one part many times


def _wanted(spec: Spec, part) -> list:
    """The tensors whose gradients a backprop or gradient part asks for."""
    from .backward import expand_targets
    to = part.args.get("to")
    return expand_targets(spec.program, to if isinstance(to, list) else [to]) if to else []


def _reference(spec: Spec, part, simplify: bool = False):
    """The derived backward program.  Judging needs only its values, so the chain rule's
    unsimplified sum is used (one statement per read: finer 'missing term' diagnoses,
    and no simplification time); the simplified form is made for --show-answer."""
    from .backward import derive_backward
    from .solve import tidy
    a = part.args
    key = (str(spec.path), spec.program_text, repr(spec.program.indices),
           repr(sorted(a.items(), key=lambda kv: kv[0])), simplify)
    if key not in _REFERENCES:
        bw = derive_backward(spec.program, a["from"], a["to"], a.get("through"),
                             a.get("average_over"), simplify=simplify)
        tidy(bw.program)
        _REFERENCES[key] = bw
    return _REFERENCES[key]


def _final_scalars(spec: Spec, sources) -> list:
    read = {ref_name(r) for s in spec.program.statements() for r in s.reads()}
    return [s for s in sources if not spec.program.tensors[s].axes and s not in read]


_MEMO: dict = {}   # runs of one check: a diagnosis runs the same variants for each gradient


def _run(spec, program, sources, unit, sizes, seed, symvals, forward_env):
    key = (id(program), id(forward_env), seed, tuple(unit))
    hit = _MEMO.get(key)
    if hit is not None:
        return hit[2]
    env = _run_once(spec, program, sources, unit, sizes, seed, symvals, forward_env)
    _MEMO[key] = (program, forward_env, env)     # both kept: their ids stay theirs
    return env


def _forward(spec, sizes, seed, symvals, inputs=None):
    key = ("forward", tuple(sorted(sizes.items())), seed, inputs is None)   # inputs: small
    if key not in _MEMO:
        _MEMO[key] = run(spec.program, sizes, inputs, seed=seed, symbol_values=symvals)
    return _MEMO[key]


def _run_once(spec, program, sources, unit, sizes, seed, symvals, forward_env):
    ex = Executor(program, sizes, symvals, max_grid=CHECK_GRID)
    ex.env = {k: np.array(v, dtype=float, copy=True) for k, v in forward_env.items()}
    rng = np.random.default_rng(seed + 101)
    for f in sources:
        shape = forward_env[f].shape
        ex.env[grad_name(f)] = np.ones(shape) if f in unit else rng.standard_normal(shape)
    ex.run()
    return ex.env


def _sizes_for_check(spec: Spec) -> list:
    return spec.check_sizes()


def _points(spec: Spec, bw, unit, wanted):
    """(sizes, seed, symbol values, forward values, reference values) at each check size,
    SEEDS_PER_SIZE of them, drawn where the forward values and the reference's gradients
    are finite (a point where the reference is not finite never decides)."""
    for sizes in _sizes_for_check(spec):
        found = 0
        for seed in range(MAX_DRAWS):
            if found == SEEDS_PER_SIZE:
                break
            symvals = random_symbols(spec.program, seed)
            fwd = _forward(spec, sizes, seed, symvals)
            ref_env = _run(spec, bw.program, bw.sources, unit, sizes, seed, symvals, fwd)
            if not all(np.all(np.isfinite(ref_env[g])) for g in wanted):
                continue
            found += 1
            yield sizes, seed, symvals, fwd, ref_env


def _check_loops(spec: Spec, part, text: str, verdict: Verdict, show_answer: bool):
    bw = _reference(spec, part)
    if show_answer:
        verdict.reference = _reference(spec, part, simplify=True).text()
    answer = build_program(text, answer_scope(spec), "answer", None, 0, answer=True)
    _reject_forward_writes(spec, answer)
    written = answer.written()
    wanted = [grad_name(t) for t in bw.targets]
    missing = [g for g in wanted if g not in written]
    for g in missing:
        verdict.judge(g, "missing", f"no statement writes {g}")
    order = _order_problems(answer)     # named first if the values come out wrong
    tensors = {**bw.program.tensors, **answer.tensors}
    answer.tensors = tensors
    unit = _final_scalars(spec, bw.sources)
    judged = [g for g in wanted if g not in missing]
    if not judged:
        _report_missing(verdict, bw, written, wanted, missing)
        return
    bad: dict = {}            # gradient -> (sizes, seed, g, a, b, fwd, symvals)
    envs: dict = {}           # gradient -> (reference values, answer values) where it failed
    n_points = 0
    for sizes, seed, symvals, fwd, ref_env in _points(spec, bw, unit, wanted):
        n_points += 1
        ans_env = _run(spec, answer, bw.sources, unit, sizes, seed, symvals, fwd)
        for g in judged:
            if g not in bad and not _close(ref_env[g], ans_env[g]):
                bad[g] = (sizes, seed, g, ref_env[g], ans_env[g], fwd, symvals)
                envs[g] = (ref_env, ans_env)
        if len(bad) == len(judged):
            break
    if not n_points:
        raise DeriveError("no random inputs were found at which the correct gradient is "
                          "finite: the check cannot judge this part (ask the instructor to "
                          "declare the domain of the inputs)")
    for g in judged:
        verdict.judge(g, "incorrect" if g in bad else "correct",
                      "differs from the correct gradient" if g in bad else
                      "agrees with the correct gradient")
    verdict.quantities.sort(key=lambda q: wanted.index(q.name))
    if not bad and not missing:
        verdict.verdict = "correct"
        verdict.message = (f"correct: {', '.join(wanted)} agree with the derived answer on "
                           f"random inputs ({SEEDS_PER_SIZE} seeds at "
                           f"{len(_sizes_for_check(spec))} sizes)")
        return
    verdict.verdict = "incorrect"
    if missing:
        _report_missing(verdict, bw, written, wanted, missing)
        if not bad:
            return
    first = next(g for g in wanted if g in bad)
    first_bad = bad[first]
    ref_env, ans_env = envs[first]
    verdict.message = "; ".join(filter(None, [verdict.message if missing else "",
                                              f"{first} differs from the correct gradient"]))
    if order:
        verdict.message = "a gradient is read before it is complete; " + verdict.message
        verdict.diagnosis += order
        return
    diagnosis = list(verdict.diagnosis)
    verdict.diagnosis = diagnosis + ["no common mistake recognized: compare your statements "
                                     "with the forward program one read at a time"]
    try:
        _explain(spec, bw, answer, judged, unit, first_bad, ref_env, ans_env, diagnosis,
                 verdict)
    except TimeLimitError:
        # the verdict stands: only the search for its explanation ran out of time
        verdict.diagnosis.append("(the search for the mistake stopped at the time limit)")


def _report_missing(verdict: Verdict, bw, written, wanted, missing):
    verdict.verdict = "incorrect"
    others = [w for w in written if is_grad_name(w) and w not in wanted
              and w not in bw.program.written()]     # not an intermediate (Yt.grad)
    verdict.message = f"the answer does not compute {', '.join(missing)}"
    if others:
        verdict.diagnosis.append(
            f"gradient with respect to the wrong tensor: the answer computes "
            f"{', '.join(others)}, the part asks for {', '.join(wanted)}")
    else:
        verdict.diagnosis.append(f"no statement writes {', '.join(missing)}")


def _explain(spec, bw, answer, wanted, unit, first_bad, ref_env, ans_env, order, verdict):
    """Diagnosis, counterexample and, if still unnamed, the smallest repair."""
    sizes, seed, g, a, b, fwd, symvals = first_bad
    verdict.diagnosis = order + _diagnose(spec, bw, answer, g, a, b, sizes, seed, symvals, fwd,
                                          unit)
    if verdict.diagnosis[-1].startswith("no common mistake"):
        # two mistakes at once may hide each other in g: another wrong gradient may say more
        others = [w for w in wanted if w != g and not _close(ref_env[w], ans_env[w])]
        for w in others[:3]:
            more = _diagnose(spec, bw, answer, w, ref_env[w], ans_env[w], sizes, seed, symvals,
                             fwd, unit)
            if not more[-1].startswith("no common mistake"):
                verdict.message = f"{', '.join([g] + others)} differ from the correct gradients"
                verdict.diagnosis = [f"in {w}: {d}" for d in more]
                break
    verdict.counterexample = _counterexample(spec, bw, answer, g, unit)
    diag = verdict.diagnosis
    unnamed = diag[-1].startswith("no common mistake")
    vague = diag[0].startswith("a term is missing") or "a factor that changes" in diag[0] \
        or "a constant factor is off: the answer is 0." in diag[0]
    if unnamed or vague:
        # an edit of the answer itself may say where (a shifted read reads zeros: missing)
        found = _repair_loops(spec, bw, answer, wanted, unit, first_bad,
                              verdict.counterexample, 4.5 if unnamed else 3)
        if found:
            verdict.diagnosis = [found]


def _repair_loops(spec, bw, answer, wanted, unit, first_bad, ce, max_rank) -> str | None:
    """The single edit of the answer that makes every asked gradient right: tried at the
    counterexample's small sizes, confirmed at the failing inputs and at another size and
    seed (see check_repair).  Only statements whose result is wrong are edited."""
    from .check_repair import repair
    sizes, seed, _, _, _, fwd, symvals = first_bad
    other = next((s for s in _sizes_for_check(spec) if s != sizes), sizes)
    sv2 = random_symbols(spec.program, seed + 1)
    contexts = [(sizes, seed, symvals, fwd), (other, seed + 1, sv2,
                                              _forward(spec, other, seed + 1, sv2))]
    if ce and ce.get("sizes"):
        small = ce["sizes"]
        sv0 = random_symbols(spec.program, 0)
        contexts.insert(0, (small, 0, sv0, _forward(spec, small, 0, sv0, _small_inputs(spec,
                                                                                     small))))
    refs = [_run(spec, bw.program, bw.sources, unit, sz, sd, sv, fw)
            for sz, sd, sv, fw in contexts]
    # the statements whose result is wrong where the reference has the same tensor
    ans = _run(spec, answer, bw.sources, unit, sizes, seed, symvals, fwd)
    ref = _run(spec, bw.program, bw.sources, unit, sizes, seed, symvals, fwd)   # memoized
    suspects = _suspects(answer, wanted, ref, ans)

    def right(program) -> bool:
        for (sz, sd, sv, fw), r in zip(contexts, refs):
            env = _run(spec, program, bw.sources, unit, sz, sd, sv, fw)
            if not all(w in env and _close(r[w], env[w]) for w in wanted):
                return False
        return True
    return repair(answer, right, max_rank, suspects, spec.program)


def _suspects(answer: Program, wanted, ref: dict, ans: dict) -> list:
    """The statements an edit may fix: those whose result is wrong where the reference
    has the same tensor, and the answer's own temporaries that feed only wrong
    gradients (a temporary that also feeds a right gradient is most likely right)."""
    wrong = {g for g in wanted if not (g in ans and _close(ref[g], ans[g]))}
    stmts = answer.statements()
    feeds: dict = {}                    # tensor -> the asked gradients it reaches
    for st in reversed(stmts):
        reach = set(feeds.get(st.target_name, set()))
        if st.target_name in wanted:
            reach.add(st.target_name)
        feeds[st.target_name] = reach
        for r in st.reads():
            feeds.setdefault(ref_name(r), set()).update(reach)
    out = []
    for st in stmts:
        name = st.target_name
        if name in ref and name in ans:
            if not _close(ref[name], ans[name]):
                out.append(st)
        elif feeds.get(name) and feeds[name] <= wrong:
            out.append(st)
    return out or [st for st in stmts if st.target_name not in ref]


def answer_scope(spec: Spec):
    """The spec's names, plus the temporaries its program introduced (R_in, ...)."""
    scope = spec.scope.copy()
    for name, info in spec.program.tensors.items():
        if not is_grad_name(name):
            scope.tensors.setdefault(name, info)
    return scope


def _reject_forward_writes(spec: Spec, answer: Program):
    for st in answer.statements():
        name = st.target_name
        info = spec.program.tensors.get(name)
        if info is not None and not is_grad_name(name):
            raise NotationError(f"the answer assigns to the forward tensor {name!r}; "
                                "a backward answer writes gradients (name.grad) and "
                                "new temporaries only", "answer", st.line or 1, 1)


def _order_problems(answer: Program) -> list:
    """A gradient read before a later statement adds to it; a temporary of the answer
    read before any statement writes it."""
    out = []
    walked = list(answer.walk())
    stmts = [s for s, _ in walked]
    first = {}
    for k, st in enumerate(stmts):
        first.setdefault(st.target_name, k)
    for k, (st, outer) in enumerate(walked):
        for r in st.reads():
            name = ref_name(r)
            info = answer.tensors.get(name)
            if info is not None and info.role == "temporary" and first.get(name, -1) > k \
                    and not (outer and walked[first[name]][1] == outer):
                return [f"wrong order of statements: statement {k + 1} reads {name} before "
                        f"statement {first[name] + 1} writes it"]
            if not is_grad_name(name) or name == st.target_name:
                continue
            # inside one time block a later statement may add to another time step
            later = [m for m in range(k + 1, len(stmts)) if stmts[m].target_name == name
                     and not (outer and walked[m][1] == outer)]
            if later:
                out.append(f"wrong order of statements: statement {k + 1} reads {name} "
                           f"before statement {later[0] + 1} has finished adding to it")
                return out
    return out


def _close(a, b, rtol=RTOL) -> bool:
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if a.shape != b.shape or not np.all(np.isfinite(b)):
        return False
    scale = max(float(np.abs(a).max(initial=0.0)), 1e-12)
    return float(np.abs(a - b).max(initial=0.0)) <= rtol * scale


def _diagnose(spec, bw, answer, g, a, b, sizes, seed, symvals, fwd, unit) -> list:
    """Name the usual mistakes: sign, factor, missing/extra term, transposed, off by one."""
    out = []
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if _close(-a, b):
        return out + ["sign flipped: the answer is the negative of the correct gradient"]
    denom = float((a * a).sum())
    if denom > 0:
        c = float((a * b).sum()) / denom
        if abs(c) > 1e-9 and _close(c * a, b, 1e-6):
            name = _describe_factor(c, sizes, _factors_elsewhere(spec, bw, answer, g, unit,
                                                                 sizes, seed))
            if name is None:
                return out + [f"the answer is the correct gradient times a factor that changes "
                              f"with the inputs ({c:.4g} here): a forward quantity is multiplied "
                              f"in, or left out, where it should not be"]
            return out + [f"a constant factor is off: the answer is {name} "
                          f"times the correct gradient"]
    # a term missing or extra: drop each reference statement in turn
    for dropped, src in _without_each_term(spec, bw, g):
        env = _run(spec, dropped, bw.sources, unit, sizes, seed, symvals, fwd)
        part_value = np.asarray(env[g]) if g in env else np.zeros_like(a)
        contrib = a - part_value
        if not np.any(np.abs(contrib) > 1e-12 * max(1.0, np.abs(a).max())):
            continue
        if _close(part_value, b, 1e-6):
            out.append(f"a term is missing: the part of {g} that {src} is not in the answer")
            return out
        if _close(a + contrib, b, 1e-6):
            out.append(f"a term is counted twice: the part of {g} that {src} appears one "
                       f"time too many")
            return out
        if _close(a - 2 * contrib, b, 1e-6):
            out.append(f"sign flipped in one term: the part of {g} that {src} has the "
                       f"wrong sign")
            return out
        c = float(((b - part_value) * contrib).sum() / (contrib * contrib).sum())
        name = _describe_factor(c, sizes)
        if _close(part_value + c * contrib, b, 1e-6) and name in _factor_names(sizes):
            out.append(f"a constant factor is off in one term: the part of {g} that {src} "
                       f"is {name} times what it should be")
            return out
    if a.ndim == 2 and a.shape[0] == a.shape[1] and _close(a.T, b, 1e-6):
        return out + ["indices transposed: the answer is the transpose of the correct gradient"]
    for axis in range(a.ndim):
        for shift in (1, -1):
            rolled = np.roll(a, shift, axis=axis)
            idx = [slice(None)] * a.ndim
            idx[axis] = slice(0, 1) if shift == 1 else slice(-1, None)
            rolled[tuple(idx)] = 0
            if _close(rolled, b, 1e-6) or _close(np.roll(a, shift, axis=axis), b, 1e-6):
                return out + [f"an index is off by one: the answer is the correct gradient "
                              f"shifted by one along axis {axis + 1} of {g}"]
    if not out:
        out.append("no common mistake recognized: compare your statements with the forward "
                   "program one read at a time")
    return out


def _factor_names(sizes: dict) -> dict:
    cands = {"2": 2.0, "1/2": 0.5, "4": 4.0, "1/4": 0.25}
    for name, v in sizes.items():
        cands[name] = float(v)
        cands[f"1/{name}"] = 1.0 / v
        if v > 1:
            cands[f"{name}-1"] = float(v - 1)
            cands[f"1/({name}-1)"] = 1.0 / (v - 1)
            cands[f"{name}/({name}-1)"] = v / (v - 1)
            cands[f"({name}-1)/{name}"] = (v - 1) / v
    return cands


def _describe_factor(c: float, sizes: dict, elsewhere=()) -> str | None:
    """Name the factor c seen at `sizes`; `elsewhere` holds (factor, sizes) seen at other
    sizes and seeds (None: not a multiple there).  None if the factor is not constant."""
    def same(x, v):
        return x is not None and v is not None and abs(x - v) <= 1e-6 * abs(v)
    for name, v in _factor_names(sizes).items():
        if same(c, v) and all(same(c2, _factor_names(s2).get(name)) for c2, s2 in elsewhere):
            return name
    if all(same(c2, c) for c2, _ in elsewhere):
        return f"{c:.6g}"
    return None


def _factors_elsewhere(spec, bw, answer, g, unit, sizes, seed) -> list:
    """The factor answer/reference at the other check size and at another seed."""
    out = []
    # sizes grown by different amounts, so that N-1 and K (or B-1 and J) part ways
    other = [{k: v + 1 + i for i, (k, v) in enumerate(sizes.items())}, sizes]
    for sz, sd in zip(other, (seed, seed + 1)):
        symvals = random_symbols(spec.program, sd)
        try:
            fwd = _forward(spec, sz, sd, symvals)
            a = np.asarray(_run(spec, bw.program, bw.sources, unit, sz, sd, symvals, fwd)[g],
                           float)
            b = np.asarray(_run(spec, answer, bw.sources, unit, sz, sd, symvals, fwd)[g], float)
        except TimeLimitError:
            raise
        except DeriveError:     # e.g. a grid limit at the larger sizes: no evidence there
            continue
        denom = float((a * a).sum())
        c = float((a * b).sum()) / denom if denom else None
        out.append((c if c is not None and _close(c * a, b, 1e-6) else None, sz))
    return out


def _drop(program: Program, k: int) -> Program:
    """The program without its k-th statement (0-based, in program order)."""
    drop = program.statements()[k]
    return program.map(lambda st: None if st is drop else st)


_VARIANTS: dict = {}   # id(reference) -> (reference, [(program, statement, term)])


def _variants(bw) -> list:
    """The reference without one statement, then without one term of a merged statement
    (made once per reference: the same programs, so their runs are shared)."""
    hit = _VARIANTS.get(id(bw))
    if hit is None or hit[0] is not bw:
        out = []
        stmts = bw.program.statements()
        for k, st in enumerate(stmts):
            out.append((_drop(bw.program, k), st, None))
        for st in stmts:
            terms = sp.Add.make_args(st.rhs)
            for term in (terms if len(terms) > 1 else ()):
                out.append((bw.program.map(lambda s, st=st, term=term:
                                           s.with_(rhs=s.rhs - term) if s is st else s),
                            st, term))
        hit = _VARIANTS[id(bw)] = (bw, out)
    return hit[1]


def _without_each_term(spec: Spec, bw, g: str):
    """The reference without one statement, then without one term of a merged statement
    (W1.grad += lam*W1 + a1.grad*x), each with the words for what was left out."""
    for program, st, term in _variants(bw):
        if term is None:
            yield program, _path_of(spec, bw, st, g)
        else:
            src = _term_source(spec, term, g)
            if src:
                yield program, src


def _term_source(spec: Spec, term, g: str) -> str | None:
    for r in reads(term):
        gr = ref_name(r)
        if not is_grad_name(gr):
            continue
        for fst in spec.program.statements():
            if fst.target_name == base_of(gr) and base_of(g) in {ref_name(x) for x in
                                                                fst.reads()}:
                return f"comes from {_forward_statement(spec, fst)}"
        return f"flows back through {base_of(gr)}"
    return None


def _path_of(spec: Spec, bw, st, g: str) -> str:
    """How a reference statement's contribution reaches g, in words."""
    renamed = {s.extra["new"]: s.extra["old"] for s in bw.steps
               if s.kind == "rescale" and s.extra}
    target = renamed.get(st.target_name, st.target_name)
    if target != g and is_grad_name(target):
        return f"flows back through {base_of(target)}"
    return f"comes from {_forward_statement(spec, st)}"


def _forward_statement(spec: Spec, st) -> str:
    for fst in spec.program.statements():
        if fst.line == st.line:
            return f"the forward statement `{format_statement(fst, spec.program.indices)}`"
    return "another statement"


def _counterexample(spec, bw, answer, g, unit) -> dict | None:
    """The smallest sizes (all 1, then 2, ...) at which the answer is wrong, with values."""
    names = list(spec.size_symbols)
    base = spec.default_sizes()
    for n in (1, 2, 3):
        for sizes in ({k: n for k in names}, {k: min(n + i, base[k]) for i, k in
                                              enumerate(names)}):
            sizes = {k: max(1, v) for k, v in sizes.items()}
            try:
                symvals = random_symbols(spec.program, 0)
                fwd = run(spec.program, sizes, _small_inputs(spec, sizes), seed=0,
                          symbol_values=symvals)
                ra = _run(spec, bw.program, bw.sources, unit, sizes, 0, symvals, fwd)
                rb = _run(spec, answer, bw.sources, unit, sizes, 0, symvals, fwd)
            except TimeLimitError:
                raise
            except DeriveError:
                continue
            a, b = np.asarray(ra[g]), np.asarray(rb[g])
            if _close(a, b) or not np.all(np.isfinite(a)):
                continue
            if not np.any(np.abs(a) > 1e-12):
                continue            # the true gradient is zero here (batch norm at B = 2)
            diff = np.abs(a - b)
            at = np.unravel_index(int(np.argmax(diff)), diff.shape) if diff.ndim else ()
            shown = {}
            small = sum(np.size(fwd[n]) for n, i in spec.program.tensors.items()
                        if i.role in ("input", "parameter", "computed") and n in fwd) <= 60
            for name, info in spec.program.tensors.items():
                if not small:
                    break
                if info.role in ("input", "parameter", "computed") and name in fwd:
                    shown[name] = np.round(np.asarray(fwd[name]), 4).tolist()
            for f in bw.sources:
                shown[grad_name(f)] = np.round(np.asarray(ra[grad_name(f)]), 4).tolist() \
                    if grad_name(f) in ra else None
            index = ", ".join(str(int(i) + _offset(spec, bw, g, k)) for k, i in enumerate(at))
            return {"sizes": sizes, "inputs": shown,
                    "entry": f"{g}[{index}]" if index else g,
                    "expected": round(float(a[at]), 6), "got": round(float(b[at]), 6)}
    return None


def _offset(spec, bw, g, axis) -> int:
    info = bw.program.tensors.get(g)
    try:
        lo = info.ranges[axis][0]
        return int(lo) if getattr(lo, "is_Integer", isinstance(lo, int)) else 0
    except Exception:  # noqa: BLE001 - display only
        return 0


def _small_inputs(spec: Spec, sizes: dict) -> dict:
    """Inputs with one decimal (two, or as drawn, where rounding leaves the domain of the
    program), so a counterexample is easy to follow."""
    prog = spec.program
    env = run(prog, sizes, None, seed=0, symbol_values=random_symbols(prog, 0))
    raw = {n: env[n] for n, i in prog.tensors.items() if i.role in ("input", "parameter")}
    for digits in (1, 2):
        rounded = {k: np.round(v, digits) for k, v in raw.items()}
        if _finite_run(prog, sizes, rounded):
            return rounded
    return raw


def _finite_run(prog, sizes, inputs) -> bool:
    env = run(prog, sizes, inputs, seed=0, symbol_values=random_symbols(prog, 0))
    return all(np.all(np.isfinite(v)) for v in env.values())


# --------------------------------------------------------------------------
# forward loops (desugaring an Einstein statement into += loops)
# --------------------------------------------------------------------------


def _check_forward_loops(spec: Spec, part, text, verdict, show_answer):
    names = part.args.get("of") or []
    def keep(items):    # the statements writing `names`, inside their blocks (for t in ...)
        out = [Block(it.loops, keep(it.body), it.line) if isinstance(it, Block) else it
               for it in items if isinstance(it, Block) or it.target_name in names]
        return [it for it in out if not isinstance(it, Block) or it.body]
    reference = Program(keep(spec.program.items), spec.program.tensors, spec.program.indices,
                        spec.program.symbols, spec.program.functions, spec.program.sizes)
    if show_answer:
        verdict.reference = reference.text()
    scope = spec.scope.copy()
    for n in names:     # the answer recomputes these tensors
        scope.tensors[n] = replace(scope.tensors[n], role="computed")
    answer = build_program(text, scope, "answer", None, 0, answer=True)
    for n in names:
        if n not in answer.written():
            verdict.judge(n, "missing", f"no statement writes {n}")
    first = None
    for sizes in _sizes_for_check(spec):
        for seed in (0, 1):
            fwd = run(spec.program, sizes, None, seed=seed)
            base = {k: v for k, v in fwd.items() if k not in names}
            want = _run_loops(reference, sizes, base, names)
            got = _run_loops(answer, sizes, base, names)
            for n in names:
                if not _close(want[n], got[n]):
                    if verdict.judge(n, "incorrect", "differs from the program's "
                                     "definition").verdict == "incorrect" and first is None:
                        first = (n, want[n], got[n], sizes, base)
    for n in names:
        verdict.judge(n, "correct", "computes the same values")
    verdict.quantities.sort(key=lambda q: names.index(q.name))
    missing = [q.name for q in verdict.quantities if q.verdict == "missing"]
    if first is None and not missing:
        verdict.verdict = "correct"
        verdict.message = "correct: the loops compute the same values (2 seeds at 2 sizes)"
        return
    verdict.verdict = "incorrect"
    if first is None:
        verdict.message = f"the answer does not compute {', '.join(missing)}"
        verdict.diagnosis = [f"no statement writes {', '.join(missing)}"]
        return
    n, want, got, sizes, base = first
    verdict.message = f"{n} differs from the program's definition"
    verdict.diagnosis = (_diagnose_values(want, got, sizes) or
                         _forward_terms(reference, base, sizes, n, want, got))
    if not verdict.diagnosis:
        found = _repair_forward(spec, reference, answer, names)
        verdict.diagnosis = [found] if found else []


def _run_loops(program, sizes, base, names) -> dict:
    """`names` computed by `program` from the other forward values `base`."""
    ex = Executor(program, sizes)
    ex.env = {k: v.copy() for k, v in base.items()}
    ex.run()
    return {n: ex.array(n) for n in names}


def _repair_forward(spec, reference, answer, names) -> str | None:
    """The single edit of the answer's forward loops that makes them right (2 sizes)."""
    from .check_repair import repair
    cases = []
    for sizes in _sizes_for_check(spec):
        fwd = _forward(spec, sizes, 0, random_symbols(spec.program, 0))
        base = {k: v for k, v in fwd.items() if k not in names}
        cases.append((sizes, base, _run_loops(reference, sizes, base, names)))

    def right(program) -> bool:
        for sizes, base, want in cases:
            got = _run_loops(program, sizes, base, names)
            if not all(_close(want[n], got[n]) for n in names):
                return False
        return True
    return repair(answer, right)


def _check_update(spec: Spec, part, text, verdict, show_answer):
    """Parameter updates: run them from the same parameters and gradients."""
    from .solve import solve_part
    ans = solve_part(spec, part.label, verify=False)
    params = ans.backward.targets
    if show_answer:
        verdict.reference = "\n".join(str(r.value) for r in ans.results)
    scope = answer_scope(spec)
    for n in params:        # written by the answer, starting from their values
        scope.tensors[n] = replace(scope.tensors[n], role="updated")
    answer = build_program(text, scope, "answer", None, 0, answer=True)
    updated = [n for n in params if n in answer.written()]
    if not updated:
        verdict.verdict = "incorrect"
        verdict.message = f"the answer updates none of {', '.join(params)}"
        for n in params:
            verdict.judge(n, "missing", "not updated")
        return
    from .verify import run_backward
    sizes = spec.default_sizes()
    sym = random_symbols(spec.program, 0)
    env = run_backward(spec.program, ans.backward.program, ans.backward.sources, sizes, 0,
                       unit=True)
    rate = sym.get(str(part.args.get("rate", "eta")), 0.1)
    ex = Executor(answer, sizes, sym)
    # the forward values and the parameters' gradients: the other gradients the
    # reference computed on the way are the answer's to compute (from zeros), if it will
    given = {grad_name(n) for n in params}
    ex.env = {k: np.array(v, dtype=float, copy=True) for k, v in env.items()
              if not is_grad_name(k) or k in given}
    ex.run()
    wrong = []
    for n in params:
        if n not in updated:
            verdict.judge(n, "missing", "not updated")
            continue
        want = env[n] - rate * env[grad_name(n)]
        got = ex.array(n)
        if not _close(want, got):
            wrong.append(n)
            verdict.judge(n, "incorrect", "not a gradient-descent step")
            if _close(env[n] + rate * env[grad_name(n)], got):
                verdict.diagnosis.append(f"sign flipped: {n} moves along its gradient, "
                                         "which climbs the loss instead of descending")
        else:
            verdict.judge(n, "correct", "a gradient-descent step")
    missing = [n for n in params if n not in updated]
    if wrong or missing:  # every parameter is judged: one mistake must not hide another
        verdict.verdict = "incorrect"
        verdict.message = "; ".join(filter(None, [
            f"the update of {', '.join(wrong)} is not a gradient-descent step" if wrong else "",
            f"not updated: {', '.join(missing)}" if missing else ""]))
        return
    verdict.verdict = "correct"
    verdict.message = f"correct: {', '.join(params)} take a gradient-descent step"


def _forward_terms(reference, base, sizes, n, want, got) -> list:
    """A term of the definition missing, doubled or with the wrong sign (named by what it
    reads, so that the reference itself is not shown)."""
    for k, st in enumerate(reference.statements()):
        ex = Executor(_drop(reference, k), sizes)
        ex.env = {key: v.copy() for key, v in base.items()}
        ex.run()
        part = ex.array(n)
        contrib = want - part
        if not np.any(contrib):
            continue
        names = sorted({ref_name(r) for r in st.reads()} - {n}) or ["a constant"]
        what = f"the term in {' and '.join(names)}"
        for c, words in ((0, "is missing"), (2, "is counted twice"),
                         (-1, "has the wrong sign")):
            if _close(part + c * contrib, got, 1e-6):
                return [f"{what} {words}"]
    return []


def _diagnose_values(a, b, sizes) -> list:
    if _close(-a, b):
        return ["sign flipped"]
    denom = float((a * a).sum())
    if denom:
        c = float((a * b).sum()) / denom
        if _close(c * a, b, 1e-6):
            return [f"a constant factor is off: {_describe_factor(c, sizes)} times the values"]
    return []


# --------------------------------------------------------------------------
# numeric answers
# --------------------------------------------------------------------------


def _check_numeric(spec: Spec, part, text, verdict, show_answer):
    """Each asked value judged on its own: correct, incorrect or missing.  Numbers are
    read at the precision written (derive.check_numbers)."""
    from .solve import solve_part
    ans = solve_part(spec, part.label, verify=False)
    if show_answer:
        verdict.reference = "\n".join(f"{k} = {np.asarray(v).tolist()}"
                                      for k, v in ans.values.items())
    given = read_values(text, spec.scope)
    if not given:
        raise NotationError("expected value lines such as `W.grad = [[6, 12], [0, 0]]`",
                            "answer", 1, 1, text)
    asked = list(ans.values)
    for name, _, _, line, node in given:
        if name not in ans.values:
            raise NotationError(f"{name} is not asked for in this part; it asks for "
                                f"{', '.join(asked)}", "answer", line, node.col, text)
    wrong = []
    seen = set()
    for name, got, ulps, _, _ in given:
        if name in seen:
            continue
        seen.add(name)
        want = np.asarray(ans.values[name], dtype=float)
        if got.shape != want.shape:
            msg = f"{name} has shape {list(got.shape)}, expected {list(want.shape)}"
            wrong.append(msg)
            verdict.judge(name, "incorrect", msg)
            continue
        ok = agree(got, np.broadcast_to(ulps, got.shape), want)
        if ok.all():
            verdict.judge(name, "correct", "matches")
            continue
        at = np.unravel_index(int(np.argmin(ok)), ok.shape) if ok.ndim else ()
        entry = f"{name}[{', '.join(str(int(i)) for i in at)}]" if at else name
        msg = f"{entry} is {float(got[at]):g}, which is not right"
        ulp = np.broadcast_to(ulps, got.shape)
        if agree(-got, ulp, want).all():
            msg += " (the sign of the whole quantity is flipped)"
        elif got.ndim == 2 and got.shape[0] == got.shape[1] and agree(got.T, ulp.T, want).all():
            msg += f" ({name} is transposed: its rows and columns are swapped)"
        elif np.any(want) and np.all((want == 0) | (got != 0)):
            ratio = got[want != 0] / want[want != 0]
            if np.allclose(ratio, ratio.flat[0]) and ratio.flat[0] not in (0, 1):
                msg += f" (the whole quantity is {ratio.flat[0]:g} times the right one)"
        wrong.append(msg)
        verdict.judge(name, "incorrect", msg)
    missing = [k for k in asked if k not in seen]
    for k in missing:
        verdict.judge(k, "missing", "not given")
    verdict.quantities.sort(key=lambda q: asked.index(q.name))
    if wrong or missing:
        verdict.verdict = "incorrect"
        parts = []
        if wrong:
            parts.append(f"{len(wrong)} of {len(asked)} quantities are wrong")
        if missing:
            parts.append(f"{len(missing)} of {len(asked)} not given ({', '.join(missing)})")
        verdict.message = "; ".join(parts)
        verdict.diagnosis = wrong + ([f"missing: {', '.join(missing)} (the part asks for "
                                      f"{', '.join(asked)})"] if missing else [])
        return
    verdict.verdict = "correct"
    verdict.message = f"correct: {', '.join(asked)} {'is' if len(asked) == 1 else 'are'} right"


# --------------------------------------------------------------------------
# expression answers (moments, solutions, choices, costs)
# --------------------------------------------------------------------------
