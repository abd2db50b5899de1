"""Gradescope's autograder: `derive export gradescope` writes the zip, whose
`run_autograder` reads /autograder/submission/ and always writes
/autograder/results/results.json (a crash becomes a test with its message).

The zip holds `setup.sh` (installs derive and its Python dependencies; no TeX is
needed), `run_autograder`, `derive_src/` (the package), `problems/` (the specs) and
`config.json` (the parts graded, where the reference answers show)."""
from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
import time
import traceback
import zipfile
from pathlib import Path

from derive.grade.formats import VISIBILITY, gradescope
from derive.grade.grading import grade
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


def export(specs, out_dir, *, reference_visibility="after_published") -> Path:
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
        (src / "config.json").write_text(json.dumps(
            {"parts": parts, "reference_visibility": reference_visibility}, indent=2))
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
        results = grade(blocks, root / "source" / "problems", config.get("parts"),
                        isolate=True, references=True)
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
