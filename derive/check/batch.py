"""`derive check --batch`: a whole class's answers from a CSV, one result row per answer.

No result is ever lost: a ragged row, an unknown problem or part, a crash or a time
limit becomes that row's verdict and every other row is still judged; each row is
written (and flushed) as soon as it is judged, so an interrupted run keeps what is
done.  The input may come from a spreadsheet program (UTF-8 with a byte-order mark,
CRLF line ends).
"""
from __future__ import annotations

import csv
import os
import sys

import click

from derive.core.errors import DeriveError

COLUMNS = ("student", "problem", "part", "answer")
RESULT_COLUMNS = ("student", "problem", "part", "verdict", "score", "max_score",
                  "quantities", "message", "diagnosis")


class BatchError(DeriveError):
    """The batch cannot start (unreadable input, unwritable output): exit code 2."""


def _same_file(a: str, b: str) -> bool:
    if os.path.abspath(a) == os.path.abspath(b):
        return True
    try:
        return os.path.exists(b) and os.path.samefile(a, b)
    except OSError:
        return False


def read_rows(path: str) -> list:
    """The rows of the answers CSV as dicts (columns named case- and space-insensitively);
    a row with too few or too many fields keeps them under '_fields'."""
    import io
    from derive.core.files import TextFileError, read_text_file
    try:
        text = read_text_file(path, "answers file", limit=64 << 20)
        table = list(csv.reader(io.StringIO(text, newline="")))
    except TextFileError as e:
        raise BatchError(f"cannot read {path}: {e}") from None
    except csv.Error as e:
        raise BatchError(f"cannot read {path}: {e}") from None
    if not table:
        raise BatchError(f"{path} is empty: expected a header row with the columns "
                         f"{', '.join(COLUMNS)}")
    header = [h.strip().lower() for h in table[0]]
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise BatchError(f"{path}: expected the columns {', '.join(COLUMNS)} "
                         f"(missing: {', '.join(missing)})")
    rows = []
    for number, fields in enumerate(table[1:], start=2):
        if not any(x.strip() for x in fields):
            continue                                # a blank line
        row = {c: (fields[header.index(c)] if header.index(c) < len(fields) else None)
               for c in COLUMNS}
        row["_line"] = number
        if len(fields) != len(header):
            row["_fields"] = len(fields)
        rows.append(row)
    return rows


def _open_output(out_path: str, in_path: str):
    if _same_file(in_path, out_path):
        raise BatchError(f"the results would overwrite the answers file {in_path}: "
                         "give another -o")
    folder = os.path.dirname(os.path.abspath(out_path))
    if not os.path.isdir(folder):
        raise BatchError(f"cannot write {out_path}: the folder {folder} does not exist")
    try:
        return open(out_path, "w", newline="", encoding="utf-8")
    except OSError as e:
        raise BatchError(f"cannot write {out_path}: {e.strerror}") from None


def judge_row(row: dict, specs: dict, problems_dir=None) -> tuple[dict, str]:
    """(result row, status): status 'judged', 'limit' (a time or memory limit), 'row' (the
    row itself cannot be judged) or 'error' (derive's own mistake)."""
    from derive.check.verdict import REPORT
    from derive.check.answer import check_answer
    from derive.front.spec import load_spec
    from derive.front.folder import resolve_problem
    out = {"student": row.get("student") or "", "problem": (row.get("problem") or "").strip(),
           "part": (row.get("part") or "").strip(), "verdict": "unusable", "score": 0,
           "max_score": "", "quantities": "", "message": "", "diagnosis": ""}
    if "_fields" in row:
        out["message"] = (f"line {row['_line']}: the row has {row['_fields']} fields, "
                          f"expected {len(COLUMNS)} ({', '.join(COLUMNS)}; an answer with "
                          "commas or line breaks goes in double quotes)")
        return out, "row"
    problem, part = out["problem"], out["part"]
    try:
        if problem not in specs:
            specs[problem] = load_spec(resolve_problem(problem, problems_dir))
        spec = specs[problem]
        spec.part(part)
    except DeriveError as e:
        out["message"] = str(e)
        return out, "row"
    try:
        v = check_answer(spec, part, row.get("answer") or "")
    except Exception as e:  # noqa: BLE001 - check_answer never raises; a last guard
        out.update(verdict="error", message=f"internal error ({type(e).__name__}: {e}); "
                                            f"{REPORT}")
        return out, "error"
    out.update(verdict=v.verdict, score=v.score, max_score=v.max_score, message=v.message,
               diagnosis="; ".join(v.diagnosis),
               quantities="; ".join(f"{q.name}: {q.verdict}" for q in v.quantities))
    status = {"error": "error"}.get(v.verdict, "limit" if v.limited else "judged")
    return out, status


def check_batch(path: str, out_path: str, problems_dir=None) -> int:
    """Judge every row of `path`; write one result row per answer to `out_path`.

    Returns the exit code: 0 when every row was judged (whatever the verdicts), 2 when
    some row could not be (a ragged row, an unknown problem or part, a time or memory
    limit), 3 when derive itself failed on some row."""
    rows = read_rows(path)
    f = _open_output(out_path, path)
    specs: dict = {}
    statuses: dict = {}
    done = 0
    interrupted = False
    try:
        w = csv.DictWriter(f, fieldnames=RESULT_COLUMNS, extrasaction="ignore")
        w.writeheader()
        f.flush()
        with click.progressbar(length=len(rows), label="checking", file=sys.stderr,
                               show_pos=True) if sys.stderr.isatty() else _Quiet() as bar:
            for row in rows:
                result, status = judge_row(row, specs, problems_dir)
                w.writerow(result)
                f.flush()
                done += 1
                statuses.setdefault(status, []).append(result)
                bar.update(1)
    except KeyboardInterrupt:
        interrupted = True
    finally:
        f.close()
    counts = {k: sum(1 for rs in statuses.values() for r in rs if r["verdict"] == k)
              for k in ("correct", "incorrect", "unusable", "error")}
    line = (f"{done} answers: {counts['correct']} correct, {counts['incorrect']} incorrect, "
            f"{counts['unusable']} unusable" + (f", {counts['error']} internal errors"
                                                if counts["error"] else "")
            + f"; results in {out_path}")
    if interrupted:
        click.echo(f"interrupted after {done} of {len(rows)} answers; {line}", err=True)
        return 130
    click.echo(line)
    unjudged = len(statuses.get("row", [])) + len(statuses.get("limit", []))
    if unjudged:
        click.echo(f"{unjudged} row(s) could not be judged (see their message)", err=True)
    if statuses.get("error"):
        return 3
    return 2 if unjudged else 0


class _Quiet:
    """Stands in for the progress bar when standard error is not a terminal."""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def update(self, n):
        pass
