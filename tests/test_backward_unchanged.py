"""The derivation's output does not change: every backward program derive derives for
the bundled problems, the instructor specs and the scaling benchmark's programs equals
the snapshot in tests/data/backward_golden.json (written by tests/data/backward_golden.py
from the code before the simplification passes were made linear)."""
from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parent / "data"
_spec = importlib.util.spec_from_file_location("backward_golden", DATA / "backward_golden.py")
golden = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(golden)

EXPECTED = json.loads((DATA / "backward_golden.json").read_text(encoding="utf-8"))
SPECS = dict(golden.specs())


def _cases():
    for key in sorted(EXPECTED):
        name, label = key.rsplit(":", 1)
        yield pytest.param(name, label, id=key)


@pytest.mark.parametrize("name,label", list(_cases()))
def test_backward_unchanged(name, label):
    spec = SPECS[name]
    got = json.loads(json.dumps(golden.derived(spec, spec.parts[label])))
    want = EXPECTED[f"{name}:{label}"]
    assert got.get("error") == want.get("error")
    for field in ("text", "items", "added", "sources", "targets", "steps"):
        assert got.get(field) == want.get(field), field


def test_snapshot_covers_every_part():
    assert set(golden.golden.__code__.co_varnames)      # the generator is importable
    keys = {f"{name}:{label}" for name, spec in SPECS.items()
            for label, part in spec.parts.items()
            if part.kind in golden.KINDS or (part.kind == "cost" and str(
                part.args.get("of", "backward")) == "backward")}
    assert keys == set(EXPECTED)
