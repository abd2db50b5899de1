"""Gradescope's autograder: `derive export gradescope` writes the zip, whose
`run_autograder` reads /autograder/submission/ and always writes
/autograder/results/results.json (a crash becomes a test with its message).

The zip holds `setup.sh` (installs derive and its Python dependencies; no TeX is
needed), `run_autograder`, `derive_src/` (the package), `problems/` (the specs) and
`config.json` (the parts graded, where the reference answers show, the course seed).
A problem with `vary:` is graded against the submitting student's variant: the one
`variants.csv` (the roster mapping, when exported with one) names, else the one the
course seed gives the student's id (Gradescope's submission_metadata.json: sid, else
email, else id)."""
from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
import time
import traceback
import zipfile
from dataclasses import replace
from pathlib import Path

from derive.grade.formats import VISIBILITY, gradescope
from derive.grade.grading import grade
from derive.front.variants import parse_variant_name
from derive.grade.roster import read_mapping, variant_names
from derive.grade.submission import parse_submission

SETUP = """#!/usr/bin/env bash
# Gradescope runs this once, when the autograder image is built.
set -euo pipefail
cd /autograder/source
python3 -m pip install --no-cache-dir ./derive_src
"""

RUN = """#!/usr/bin/env bash
# Gradescope runs this for every submission; results.json is always written.
ROOT="${DERIVE_AUTOGRADER_ROOT:-/autograder}"
cd "$ROOT/source"
"${DERIVE_PYTHON:-python3}" -m derive.grade.gradescope "$ROOT" || "${DERIVE_PYTHON:-python3}" -c '
import json, sys, pathlib
out = pathlib.Path(sys.argv[1]) / "results"
out.mkdir(parents=True, exist_ok=True)
f = out / "results.json"
if not f.exists():
    f.write_text(json.dumps({"score": 0.0, "output": "the grader could not start",
                             "tests": []}))
' "$ROOT"
"""

PACKAGE_FILES = ("setup.cfg", "setup.py", "pyproject.toml", "README.md")
MAPPING = "variants.csv"


def submitter(root) -> str | None:
    """The submitting student's id from ROOT/submission_metadata.json (Gradescope's):
    the first user's sid, else email, else id; None when there is none."""
    try:
        meta = json.loads((Path(root) / "submission_metadata.json").read_text())
        user = (meta.get("users") or [{}])[0]
    except (OSError, ValueError, AttributeError, IndexError):
        return None
    for key in ("sid", "email", "id"):
        if user.get(key):
            return str(user[key])
    return None


def export(specs, out_dir, *, reference_visibility="after_published", seed="derive",
           roster=None) -> Path:
    """Write the autograder folder and `autograder.zip` into `out_dir`."""
    if reference_visibility not in VISIBILITY:
        raise ValueError(f"visibility must be one of {', '.join(VISIBILITY)}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "source"
        (src / "problems").mkdir(parents=True)
        parts = []
        for spec in specs:
            shutil.copy(spec.path, src / "problems" / f"{spec.id}.yaml")
            parts += [f"{spec.id}:{label}" for label, part in spec.parts.items()
                      if part.kind != "text"]
        root = Path(__file__).resolve().parents[2]
        pkg = src / "derive_src"
        shutil.copytree(root / "derive", pkg / "derive",
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        for name in PACKAGE_FILES:
            if (root / name).exists():
                shutil.copy(root / name, pkg / name)
        if roster is not None:
            read_mapping(roster)                    # a bad mapping fails the export
            shutil.copy(roster, src / MAPPING)
        (src / "config.json").write_text(json.dumps(
            {"parts": parts, "reference_visibility": reference_visibility,
             "seed": str(seed)}, indent=2))
        for name, text in (("setup.sh", SETUP), ("run_autograder", RUN)):
            (src / name).write_text(text)
            (src / name).chmod(0o755)
        target = out / "autograder"
        if target.exists():
            shutil.rmtree(target)
        shutil.copytree(src, target)
        zpath = out / "autograder.zip"
        with zipfile.ZipFile(zpath, "w", zipfile.ZIP_DEFLATED) as z:
            for f in sorted(src.rglob("*")):
                if f.is_file():
                    info = zipfile.ZipInfo(str(f.relative_to(src)))
                    info.external_attr = (f.stat().st_mode & 0o777) << 16
                    info.compress_type = zipfile.ZIP_DEFLATED
                    z.writestr(info, f.read_bytes())
    return zpath


def run(root) -> dict:
    """Grade every file of ROOT/submission and write ROOT/results/results.json, always."""
    root = Path(root)
    results_dir = root / "results"
    results_dir.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    try:
        config = json.loads((root / "source" / "config.json").read_text())
        blocks = []
        for f in sorted((root / "submission").glob("*")):
            if f.is_file() and f.suffix.lower() in (".md", ".markdown", ".txt", ".yaml",
                                                     ".yml"):
                blocks += parse_submission(f.read_text(encoding="utf-8", errors="replace"),
                                           f.name)
        problems = root / "source" / "problems"
        student = submitter(root)
        mapping = read_mapping(root / "source" / MAPPING) \
            if (root / "source" / MAPPING).exists() else None
        # the student's id picks the variant, not the submission (a heading's #17 too)
        blocks = [replace(b, problem=parse_variant_name(b.problem)[0]) for b in blocks]
        if mapping is not None and student not in mapping:
            mapping = None
        chosen = variant_names(blocks, {"student": student}, problems, mapping,
                               config.get("seed", "derive")) if student else {}
        results = grade(blocks, problems, config.get("parts"), isolate=True,
                        references=True, variants=chosen)
        refs = {r.name: r.check.reference for r in results
                if r.check is not None and r.check.reference}
        data = gradescope(results, time.perf_counter() - start, references=refs,
                          reference_visibility=config.get("reference_visibility",
                                                          "after_published"))
    except Exception as e:  # noqa: BLE001 - a results.json is written whatever happens
        data = {"score": 0.0, "execution_time": round(time.perf_counter() - start, 3),
                "output": f"derive could not grade this submission: {type(e).__name__}: "
                          f"{e}", "tests": [{"name": "grading", "score": 0.0,
                                             "max_score": 0.0, "output":
                                             traceback.format_exc(limit=3),
                                             "visibility": "visible"}]}
    (results_dir / "results.json").write_text(json.dumps(data, indent=2))
    return data


if __name__ == "__main__":
    run(sys.argv[1] if len(sys.argv) > 1 else os.environ.get("DERIVE_AUTOGRADER_ROOT",
                                                             "/autograder"))
