"""Grading a submission: every block judged within its limits, one result per part, and
no result ever lost (a crash is that part's result, with its message)."""
from __future__ import annotations

import hashlib
import multiprocessing
import resource
import time
from dataclasses import dataclass, field
from pathlib import Path

from derive.answers.variants import load_problem
from derive.check.answer import check_answer
from derive.check.verdict import REPORT, Verdict
from derive.core.errors import DeriveError
from derive.core.version import VERSION
from derive.front.folder import resolve_problem
from derive.front.spec import load_spec
from derive.front.variants import parse_variant_name
from derive.grade.variant_check import judge_variant


@dataclass
class PartResult:
    problem: str
    part: str
    verdict: str                  # correct | incorrect | unusable | error | missing
    score: float
    max_score: float
    message: str = ""
    verdict_json: dict = field(default_factory=dict)
    seconds: float = 0.0
    check: object = None              # the checker's Verdict, when the part was judged
    variant: str = ""                 # the variant judged against (softmax#17), if any

    @property
    def name(self) -> str:
        return f"{self.problem}:{self.part}"


def spec_hash(spec) -> str:
    """The sha256 of the spec file, so a regrade is reproducible."""
    try:
        return hashlib.sha256(Path(spec.path).read_bytes()).hexdigest()[:16]
    except OSError:
        return ""


def grade(blocks, problems_dir=None, expected=None, time_limit_s: float = 10.0,
          isolate: bool = False, references: bool = False, variants=None) -> list:
    """A result for every block, and (with `expected`, a list of PROBLEM:PART) a zero for
    every expected part the submission leaves out.  With `isolate`, each check runs in a
    worker process with its own address-space limit and is killed at its deadline, so
    nothing a submission does can take the grader down.  With `references`, each judged
    part also carries the reference answer, verified (shown as the platform is told).
    `variants` maps a problem to the variant its blocks are judged against (softmax#17);
    a heading may name its own (`## softmax#17:a`).  A variant is derived and verified
    before any answer is judged against it."""
    specs, out = {}, []
    for b in blocks:
        start = time.perf_counter()
        base, k = parse_variant_name(b.problem)
        name = b.problem if k is not None else (variants or {}).get(base, base)
        b = _Named(base, b.part, b.answer)
        try:
            if name not in specs:
                specs[name] = load_problem(name, problems_dir, verify=True)
                specs.setdefault(base, specs[name])
            spec = specs[name]
            spec.part(b.part)
            v = isolated_check(spec, b.part, b.answer, time_limit_s, references) \
                if isolate else check_answer(spec, b.part, b.answer, show_answer=references,
                                             time_limit_s=time_limit_s)
            v = judge_variant(spec, v, b.answer)
            shown = name if spec.variant is not None else ""
            if shown:
                v.problem = shown
            data = v.as_dict() | {"derive_version": VERSION, "spec_hash": spec_hash(spec)} \
                | ({"variant": shown} if shown else {})
            out.append(PartResult(b.problem, b.part, v.verdict, v.score, v.max_score,
                                  v.message, data, time.perf_counter() - start, v, shown))
        except DeriveError as e:
            out.append(PartResult(b.problem, b.part, "unusable", 0.0, _points(specs, b),
                                  str(e), {}, time.perf_counter() - start))
        except Exception as e:  # noqa: BLE001 - a grader never loses the other parts
            out.append(PartResult(b.problem, b.part, "error", 0.0, _points(specs, b),
                                  f"internal error ({type(e).__name__}: {e}); {REPORT}", {},
                                  time.perf_counter() - start))
    given = {r.name for r in out}
    for name in expected or []:
        if name not in given:
            problem, _, part = name.partition(":")
            out.append(PartResult(problem, part, "missing", 0.0,
                                  _points(specs, _Named(problem, part), problems_dir),
                                  "no answer in the submission"))
    return out


@dataclass
class _Named:
    problem: str
    part: str
    answer: str = ""


def _points(specs, b, problems_dir=None) -> float:
    try:
        spec = specs.get(b.problem) or load_spec(resolve_problem(b.problem, problems_dir))
        return spec.points(b.part)
    except Exception:  # noqa: BLE001 - an unknown part is worth the default
        return 1.0


WORKER_MEMORY = 2 * 1024 ** 3      # bytes of address space a worker may use
GRACE_S = 5.0                      # beyond the check's own limit, before the kill


def isolated_check(spec, part: str, answer: str, time_limit_s: float = 10.0,
                   show_answer: bool = False) -> Verdict:
    """check_answer in a forked worker: RLIMIT_AS caps its memory, and the parent kills
    it GRACE_S after the time limit if it has not answered (a C call that ignores the
    in-thread limit, a runaway allocation): the verdict is then "unusable"."""
    ctx = multiprocessing.get_context("fork")
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_worker, args=(child, spec, part, answer, time_limit_s,
                                             show_answer), daemon=True)
    proc.start()
    child.close()
    try:
        if parent.poll(time_limit_s + GRACE_S):
            return parent.recv()
    except (EOFError, OSError):
        pass
    finally:
        if proc.is_alive():
            proc.kill()
        proc.join(1.0)
        parent.close()
    v = Verdict(spec.id, part, "unusable", max_score=spec.points(part))
    v.message = (f"the check was stopped: it took longer than {time_limit_s:g} s or more "
                 f"memory than its worker may use")
    v.limited = True
    return v


def _worker(conn, spec, part, answer, time_limit_s, show_answer=False):
    try:
        resource.setrlimit(resource.RLIMIT_AS, (WORKER_MEMORY, WORKER_MEMORY))
    except (ValueError, OSError):
        pass
    try:
        conn.send(check_answer(spec, part, answer, show_answer=show_answer,
                               time_limit_s=time_limit_s))
    finally:
        conn.close()
