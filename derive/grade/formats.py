"""A graded submission in the formats courses grade with: text, JSON, Gradescope's
results.json and CodeRunner's combinator-grader JSON."""
from __future__ import annotations

import html
import json
from dataclasses import replace

from derive.core.version import VERSION
from derive.present.text import format_verdict

VISIBILITY = ("visible", "hidden", "after_due_date", "after_published")


def total(results) -> tuple[float, float]:
    return (round(sum(r.score for r in results), 6),
            round(sum(r.max_score for r in results), 6))


def feedback(r) -> str:
    """What a student reads for one part: the verdict as `derive check` prints it, or
    the message of a part that could not be judged."""
    if r.check is not None:          # the reference goes to its own test, shown later
        return format_verdict(replace(r.check, reference=None, reference_check=None))
    head = {"missing": "NOT ANSWERED", "error": "INTERNAL ERROR",
            "unusable": "CANNOT CHECK"}.get(r.verdict, r.verdict.upper())
    return f"{r.name}: {head}\n  {r.message}"


def as_text(results) -> str:
    score, most = total(results)
    lines = [feedback(r) + f"\n  score {r.score:g} of {r.max_score:g}" for r in results]
    lines.append(f"total: {score:g} of {most:g}")
    return "\n\n".join(lines)


def as_json(results) -> str:
    score, most = total(results)
    return json.dumps({"derive_version": VERSION, "score": score, "max_score": most,
                       "parts": [{"name": r.name, "verdict": r.verdict, "score": r.score,
                                  "max_score": r.max_score, "message": r.message,
                                  "check": r.verdict_json} for r in results]}, indent=2)


def gradescope(results, seconds: float = 0.0, references: dict | None = None,
               reference_visibility: str = "after_published") -> dict:
    """Gradescope's results.json: score, execution_time, output, tests[] (name, score,
    max_score, output, visibility).  With `references` (PROBLEM:PART -> text), each part
    also gets a 0-point test holding the reference answer, shown as configured."""
    if reference_visibility not in VISIBILITY:
        raise ValueError(f"visibility must be one of {', '.join(VISIBILITY)}")
    score, most = total(results)
    tests = []
    for r in results:
        tests.append({"name": r.name, "score": r.score, "max_score": r.max_score,
                      "output": feedback(r), "visibility": "visible"})
        if references and references.get(r.name):
            tests.append({"name": f"{r.name} (reference answer)", "score": 0.0,
                          "max_score": 0.0, "output": references[r.name],
                          "visibility": reference_visibility})
    return {"score": score, "execution_time": round(seconds, 3),
            "output": f"derive {VERSION}: {score:g} of {most:g} points", "tests": tests,
            "stdout_visibility": "hidden"}


def coderunner(results, hidden: bool = False) -> dict:
    """CodeRunner's combinator template grader: fraction, testresults (a header row and
    one row per quantity), epiloguehtml with the diagnosis."""
    score, most = total(results)
    rows = [["iscorrect", "ishidden", "Part", "Quantity", "Verdict"]]
    notes = []
    for r in results:
        quantities = (r.verdict_json or {}).get("quantities") or \
            [{"name": r.name, "verdict": r.verdict}]
        for q in quantities:
            rows.append([q["verdict"] == "correct", hidden, r.name, q["name"], q["verdict"]])
        notes.append(f"<pre>{html.escape(feedback(r))}</pre>")
    return {"fraction": round(score / most, 6) if most else 0.0, "testresults": rows,
            "epiloguehtml": "\n".join(notes)}
