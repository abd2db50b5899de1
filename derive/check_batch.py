"""`derive check --batch`: a whole class's answers from a CSV, results to a CSV."""
from __future__ import annotations

import csv
import os
import sys
import tempfile

import click

from .errors import DeriveError

COLUMNS = ("student", "problem", "part", "answer")


def check_batch(ctx, path: str, out_path: str, problems_dir=None) -> int:
    """Check every row; write student, problem, part, verdict, message, diagnosis.

    Returns the exit code: 0 if every row was checked (whatever the verdicts),
    2 if the CSV is unusable."""
    from .check import check_answer
    from .spec import load_spec, resolve_problem
    try:
        with open(path, newline="", encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
    except (OSError, csv.Error, UnicodeDecodeError) as e:
        click.echo(f"error: cannot read {path}: {e}", err=True)
        return 2
    if rows and not set(COLUMNS) <= set(rows[0]):
        click.echo(f"error: {path}: expected the columns {', '.join(COLUMNS)}", err=True)
        return 2
    specs: dict = {}
    out = []
    with click.progressbar(rows, label="checking", file=sys.stderr) as bar:
        for row in bar:
            problem, part = row["problem"].strip(), row["part"].strip()
            try:
                if problem not in specs:
                    specs[problem] = load_spec(resolve_problem(problem, problems_dir))
                v = check_answer(specs[problem], part, row["answer"] or "")
                verdict, message, diagnosis = v.verdict, v.message, "; ".join(v.diagnosis)
            except DeriveError as e:
                verdict, message, diagnosis = "unusable", str(e), ""
            out.append({"student": row["student"], "problem": problem, "part": part,
                        "verdict": verdict, "message": message, "diagnosis": diagnosis})
    folder = os.path.dirname(os.path.abspath(out_path))
    fd, tmp = tempfile.mkstemp(dir=folder, suffix=".csv")
    with os.fdopen(fd, "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=["student", "problem", "part", "verdict", "message",
                                          "diagnosis"])
        w.writeheader()
        w.writerows(out)
    os.replace(tmp, out_path)
    counts = {k: sum(1 for r in out if r["verdict"] == k)
              for k in ("correct", "incorrect", "unusable")}
    click.echo(f"{len(out)} answers: {counts['correct']} correct, {counts['incorrect']} "
               f"incorrect, {counts['unusable']} unusable; results in {out_path}")
    return 0
