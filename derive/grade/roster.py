"""Students and their variants: a roster (a CSV with a column of student ids), the
mapping `derive key --variants` writes (student, problem, variant), and the variant a
submission is graded against.

A roster's ids are in the column headed student, id, sid, student_id, email or login
(else the first column); a column headed name gives the names printed on the sheets.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from derive.answers.variants import assign, load_problem
from derive.core.errors import SpecError
from derive.core.files import TextFileError, read_text_file
from derive.front.variants import parse_variant_name

ID_COLUMNS = ("student", "id", "sid", "student_id", "email", "login", "username")
NAME_COLUMNS = ("name", "full_name", "student_name")
MAPPING_COLUMNS = ("student", "name", "problem", "variant", "choices")
MAX_STUDENTS = 5000


@dataclass
class Student:
    id: str
    name: str = ""
    line: int = 0

    @property
    def shown(self) -> str:
        return self.name or self.id


def read_roster(path) -> list:
    """The students of a roster CSV, in order; a duplicate or empty id is an error
    naming its line (exit 2)."""
    try:
        text = read_text_file(str(path), "roster")
    except TextFileError as e:
        raise SpecError(str(e), str(path)) from None
    rows = [r for r in csv.reader(io.StringIO(text.lstrip("\ufeff")))]
    numbered = [(n, r) for n, r in enumerate(rows, 1) if any(c.strip() for c in r)]
    if not numbered:
        raise SpecError("the roster has no students (a CSV with a column of student ids)",
                        str(path))
    head = [c.strip().lower() for c in numbered[0][1]]
    id_col, name_col = 0, None
    if any(c in ID_COLUMNS for c in head):
        id_col = next(k for k, c in enumerate(head) if c in ID_COLUMNS)
        name_col = next((k for k, c in enumerate(head) if c in NAME_COLUMNS), None)
        numbered = numbered[1:]
    out, seen = [], {}
    for n, row in numbered:
        sid = row[id_col].strip() if id_col < len(row) else ""
        if not sid:
            raise SpecError(f"line {n}: no student id in column {id_col + 1}", str(path))
        if sid in seen:
            raise SpecError(f"line {n}: the student {sid!r} is already on line {seen[sid]}",
                            str(path))
        seen[sid] = n
        name = row[name_col].strip() if name_col is not None and name_col < len(row) else ""
        out.append(Student(sid, name, n))
    if len(out) > MAX_STUDENTS:
        raise SpecError(f"more than {MAX_STUDENTS} students", str(path))
    return out


def write_mapping(path, rows) -> None:
    """The CSV of (student, name, problem, variant, choices) rows."""
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(MAPPING_COLUMNS)
        for row in rows:
            w.writerow(row)


def read_mapping(path) -> dict:
    """student -> {problem: variant name} from a mapping CSV (`derive key --variants`)."""
    try:
        text = read_text_file(str(path), "roster")
    except TextFileError as e:
        raise SpecError(str(e), str(path)) from None
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    if not reader.fieldnames or not {"student", "problem", "variant"} <= \
            {c.strip().lower() for c in reader.fieldnames}:
        raise SpecError("expected the columns student, problem and variant (the "
                        "variants.csv that derive key --variants writes)", str(path))
    out: dict = {}
    for n, row in enumerate(reader, 2):
        row = {k.strip().lower(): (v or "").strip() for k, v in row.items() if k}
        problem, k = parse_variant_name(row["variant"])
        if problem != row["problem"]:
            raise SpecError(f"line {n}: the variant {row['variant']!r} is not of "
                            f"{row['problem']!r}", str(path))
        out.setdefault(row["student"], {})[row["problem"]] = row["variant"]
    return out


# ---------------------------------------------------------------------------
# the variant a submission is graded against
# ---------------------------------------------------------------------------


def header_variants(header: dict) -> dict:
    """problem -> variant name from a submission's `variant:` / `variants:` lines."""
    out = {}
    for item in header.get("variants", []):
        problem, k = parse_variant_name(item)
        if k is None:
            raise SpecError(f"{item!r} is not PROBLEM#N (a variant such as softmax#17)",
                            "submission", "variants")
        out[problem] = item
    return out


def variant_names(blocks, header: dict, problems_dir=None, mapping=None,
                  seed: str | None = None) -> dict:
    """problem -> the variant each block's problem is graded against: the heading's own
    (`## softmax#17:a`), else the header's (`variants: softmax#17`), else the roster's
    (by the header's `student:`), else the one the course seed gives the student; a
    problem with no variant named is graded as written."""
    named = header_variants(header)
    student = header.get("student")
    if mapping is not None and student is not None and student not in mapping:
        raise SpecError(f"the student {student!r} is not in the roster", "submission",
                        "student")
    out = {}
    for b in blocks:
        problem, k = parse_variant_name(b.problem)
        if k is not None or problem in out:
            continue
        if problem in named:
            out[problem] = named[problem]
        elif mapping is not None and student is not None and problem in mapping[student]:
            out[problem] = mapping[student][problem]
        elif seed is not None and student is not None:
            spec = load_problem(problem, problems_dir)
            if spec.vary is not None:
                out[problem] = assign(spec, student, seed).name
    return out
