"""`derive key --variants roster.csv|N`: a problem sheet per student, one key for staff
and the CSV of who has which variant, every variant derived and verified first.

DIR/variants/sheets/STUDENT.pdf (and .tex), DIR/variants/answer_key.pdf and
DIR/variants/variants.csv.  Everything is built in a temporary folder and moved into
DIR only when the whole build succeeded; TeX runs in parallel, one sheet per core.
"""
from __future__ import annotations

import os
import re
import shutil
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from derive.answers.variants import UNOFFERED, candidates, offer, shared_lines
from derive.core.errors import SpecError
from derive.core.stopwatch import stopwatch
from derive.grade.roster import Student, write_mapping
from derive.present.render import (DEFAULT_TITLE, Timings, build_date, check_tex,
                                   compile_tex, default_course, install, solve_timed)
from derive.present.variant_sheets import key_tex, section, sheet_tex

FOLDER = "variants"
KEY = "answer_key"
MAPPING = "variants.csv"


@dataclass
class VariantBuild:
    written: list = field(default_factory=list)
    students: int = 0
    distinct: dict = field(default_factory=dict)      # problem -> distinct variants used
    not_offered: list = field(default_factory=list)   # (variant name, reason)
    shared: list = field(default_factory=list)        # summary lines
    incomplete: list = field(default_factory=list)    # (problem, part, status) as written
    timings: Timings = field(default_factory=Timings)


class _Solver:
    """Every variant's parts solved once, timed (derive apart from verify)."""

    def __init__(self, timings: Timings):
        self.t = timings

    def __call__(self, spec):
        with stopwatch() as spent:
            t0 = time.perf_counter()
            answers = solve_timed(spec)
            total = time.perf_counter() - t0
        self.t.verify += spent.get("verify", 0.0)
        self.t.derive += max(0.0, total - spent.get("verify", 0.0))
        return answers


def build_variant_documents(specs, students, out_dir, *, seed: str, tex_only=False,
                            subscripts=False, title=None, course=None, date=None,
                            jobs: int | None = None, progress=None,
                            tex_timeout=None) -> VariantBuild:
    """Sheets for `students` (a list of roster Students, or a number N: sheets for the
    variants 1..N of each problem, skipping those not offered)."""
    say = progress or (lambda text: None)
    if not tex_only:
        check_tex()
    result = VariantBuild()
    solve = _Solver(result.timings)
    plain = {}
    for spec in specs:
        if spec.vary is None:
            plain[spec.id] = solve(spec)
            result.incomplete += [(spec.id, a.part, a.status) for a in plain[spec.id]
                                  if a.status in UNOFFERED]
    if result.incomplete:
        return result
    by_number = isinstance(students, int)
    roster = [Student(f"variant-{n}", f"variant {n}") for n in range(1, students + 1)] \
        if by_number else list(students)
    result.students = len(roster)
    offers, chosen, seen_bad = {}, {}, set()     # (pid, k) -> Offer; student -> offers
    next_k = {s.id: 1 for s in specs}
    for n, student in enumerate(roster, 1):
        mine = []
        for spec in specs:
            if spec.vary is None:
                continue
            ks = _numbers(next_k, spec) if by_number else \
                iter(candidates(spec.id, student.id, seed))
            got = None
            for k in ks:
                o = offers.get((spec.id, k)) or offer(spec, k, solve)
                offers[(spec.id, k)] = o
                if o.offered:
                    got = o
                    break
                if o.name not in seen_bad:
                    seen_bad.add(o.name)
                    result.not_offered.append((o.name, o.reason))
                    say(f"warning: {o.name} is not offered: {o.reason}")
            if got is None:
                raise _none_offered(spec, student)
            mine.append(got)
        chosen[student.id] = mine
        if n % 10 == 0 or n == len(roster):
            say(f"[{n:>3}/{len(roster)}] variants drawn, derived and verified")
    return _write(result, specs, plain, roster, chosen, out_dir, tex_only, subscripts,
                  title, course, date, jobs, say, tex_timeout)


def _numbers(next_k, spec):
    """Variants in order for --variants N: each sheet takes the next offered one."""
    while True:
        k = next_k[spec.id]
        next_k[spec.id] = k + 1
        yield k
        if k > 10 ** 6:
            return


def _none_offered(spec, student):
    from derive.answers.variants import NoVariant
    return NoVariant(f"no variant of {spec.id} could be offered to {student.id!r}: every "
                     f"candidate failed to draw, derive or verify", spec.path, "vary")


def _write(result, specs, plain, roster, chosen, out_dir, tex_only, subscripts, title,
           course, date, jobs, say, tex_timeout) -> VariantBuild:
    t = result.timings
    title = title or DEFAULT_TITLE
    course = course or default_course(specs)
    date = date or build_date()
    t0 = time.perf_counter()
    sheet_part = {pid: section(s, plain[pid], False, subscripts)
                  for pid, s in ((s.id, s) for s in specs) if pid in plain}
    variant_part, holders = {}, {}
    for student in roster:
        for o in chosen[student.id]:
            if o.name not in variant_part:
                variant_part[o.name] = section(o.spec, o.answers, False, subscripts)
            holders.setdefault(o.name, []).append(student.shown)
    build = Path(tempfile.mkdtemp(prefix="derive-variants-"))
    try:
        (build / "sheets").mkdir()
        sheets, rows, names = [], [], set()
        for student in roster:
            mine = {o.spec.id: o for o in chosen[student.id]}
            sections = [variant_part[mine[s.id].name] if s.id in mine else sheet_part[s.id]
                        for s in specs]
            tex = build / "sheets" / f"{_slug(student.id, names)}.tex"
            tex.write_text(sheet_tex(student.shown, [o.name for o in chosen[student.id]],
                                     sections, title, course, date), encoding="utf-8")
            sheets.append(tex)
            rows += [(student.id, student.name, o.spec.id, o.name,
                      o.spec.variant.describe()) for o in chosen[student.id]]
        entries = []
        for s in specs:
            if s.id in plain:
                entries.append((section(s, plain[s.id], True, subscripts), "", "", []))
                continue
            used = sorted({o.name: o for st in roster for o in chosen[st.id]
                           if o.spec.id == s.id}.values(), key=lambda o: o.k)
            result.distinct[s.id] = len({o.spec.variant.fingerprint() for o in used})
            result.shared += shared_lines(s.id, used)
            for o in used:
                entries.append((section(o.spec, o.answers, True, subscripts), o.name,
                                o.spec.variant.describe(), holders[o.name]))
        key = build / f"{KEY}.tex"
        key.write_text(key_tex(entries, title, course, date), encoding="utf-8")
        write_mapping(build / MAPPING, rows)
        t.render += time.perf_counter() - t0
        outputs = [key] + sheets
        if not tex_only:
            t0 = time.perf_counter()
            outputs += _compile_all(outputs, jobs, say, tex_timeout)
            t.tex += time.perf_counter() - t0
        target = Path(out_dir) / FOLDER
        result.written = install([f for f in outputs if f.parent == build]
                                 + [build / MAPPING], target)
        result.written += install([f for f in outputs if f.parent != build],
                                  target / "sheets")
    finally:
        shutil.rmtree(build, ignore_errors=True)
    return result


def _compile_all(texs, jobs, say, tex_timeout) -> list:
    """The PDFs of the .tex files, compiled `jobs` at a time (default: one per core)."""
    jobs = max(1, jobs or os.cpu_count() or 1)
    done = []
    say(f"compile {len(texs)} documents (latexmk -pdf, {jobs} at a time) ...")
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        for n, pdf in enumerate(pool.map(lambda tex: compile_tex(tex, tex_timeout), texs),
                                1):
            done.append(pdf)
            if n % 10 == 0 or n == len(texs):
                say(f"[{n:>3}/{len(texs)}] compiled")
    return done


def _slug(student_id: str, taken: set) -> str:
    """A file name for a student's sheet: their id, with what a file name cannot hold
    replaced; two ids that come out alike get a number."""
    base = re.sub(r"[^A-Za-z0-9._-]+", "_", student_id).strip("._") or "student"
    base = base[:60]
    name, n = base, 2
    while name in taken:
        name, n = f"{base}-{n}", n + 1
    taken.add(name)
    return name


def report_build(specs, variants: str, out_dir, seed: str, echo, timings=False,
                 **options) -> int:
    """The command's body: `variants` is a roster CSV or a number; progress on stderr,
    the summary on stdout; the exit code (0 built, 1 a part as written not verified)."""
    from derive.grade.roster import read_roster
    text = str(variants).strip()
    students = int(text) if text.isdigit() and not Path(text).exists() else \
        read_roster(text)
    if isinstance(students, int) and not 1 <= students <= 5000:
        raise SpecError("--variants N takes N from 1 to 5000", "--variants")
    r = build_variant_documents(specs, students, out_dir, seed=seed,
                                progress=lambda line: echo(line, err=True), **options)
    if r.incomplete:
        echo("the variants were not built: " + "; ".join(
            f"{p}:{lab} {why}" for p, lab, why in r.incomplete), err=True)
        return 1
    distinct = ", ".join(f"{p} {n}" for p, n in r.distinct.items()) or "none"
    echo(f"{r.students} sheet(s); distinct variants used: {distinct}; "
         f"{len(r.not_offered)} variant(s) not offered (they could not be drawn, derived "
         f"or verified)" + (": " + ", ".join(n for n, _ in r.not_offered)
                            if r.not_offered else "") + ".")
    for line in r.shared:
        echo(line)
    for path in r.written:
        if path.parent.name != "sheets":
            echo(f"wrote {path}")
    sheets = [p for p in r.written if p.parent.name == "sheets"]
    if sheets:
        echo(f"wrote {len(sheets)} file(s) in {sheets[0].parent}")
    if timings:
        echo(f"time: {r.timings.line()}")
    return 0
