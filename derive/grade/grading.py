"""Grading a submission: every block judged within its limits, one result per part, and
no result ever lost (a crash is that part's result, with its message)."""
from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field
from pathlib import Path

from derive.check.answer import check_answer
from derive.check.verdict import REPORT
from derive.core.errors import DeriveError
from derive.core.version import VERSION
from derive.front.folder import resolve_problem
from derive.front.spec import load_spec


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

    @property
    def name(self) -> str:
        return f"{self.problem}:{self.part}"


def spec_hash(spec) -> str:
    """The sha256 of the spec file, so a regrade is reproducible."""
    try:
        return hashlib.sha256(Path(spec.path).read_bytes()).hexdigest()[:16]
    except OSError:
        return ""


def grade(blocks, problems_dir=None, expected=None, time_limit_s: float = 10.0) -> list:
    """A result for every block, and (with `expected`, a list of PROBLEM:PART) a zero for
    every expected part the submission leaves out."""
    specs, out = {}, []
    for b in blocks:
        start = time.perf_counter()
        try:
            if b.problem not in specs:
                specs[b.problem] = load_spec(resolve_problem(b.problem, problems_dir))
            spec = specs[b.problem]
            spec.part(b.part)
            v = check_answer(spec, b.part, b.answer, time_limit_s=time_limit_s)
            data = v.as_dict() | {"derive_version": VERSION, "spec_hash": spec_hash(spec)}
            out.append(PartResult(b.problem, b.part, v.verdict, v.score, v.max_score,
                                  v.message, data, time.perf_counter() - start, v))
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


def _points(specs, b, problems_dir=None) -> float:
    try:
        spec = specs.get(b.problem) or load_spec(resolve_problem(b.problem, problems_dir))
        return spec.points(b.part)
    except Exception:  # noqa: BLE001 - an unknown part is worth the default
        return 1.0
