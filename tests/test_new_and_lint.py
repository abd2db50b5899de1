"""`derive new` (a skeleton spec that verifies as written) and `derive lint` (unused
declarations, undocumented keys, missing display names; each with its line)."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from derive.cli import cli
from derive.front.folder import default_problems_dir, find_problems
from derive.front.keys import KNOWN_KEYS, all_keys, part_keys
from derive.front.lint import lint_spec
from derive.front.skeleton import skeleton_text

DOCS = Path(__file__).resolve().parents[1] / "docs" / "specs.md"
BUNDLED = find_problems(default_problems_dir())


def invoke(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


# ---- derive new -----------------------------------------------------------------


def test_the_skeleton_verifies_and_builds_as_written(tmp_path):
    made = invoke("--problems", tmp_path, "new", "my_layer")
    assert made.exit_code == 0, made.output
    path = tmp_path / "my_layer.yaml"
    assert path.read_text() == skeleton_text("my_layer")
    verified = invoke("--problems", tmp_path, "verify", "my_layer")
    assert verified.exit_code == 0, verified.output
    kinds = {line.split()[1] for line in verified.output.splitlines()[1:] if line.strip()}
    assert {"backprop", "numeric", "cost", "variance", "solve", "text"} <= kinds
    built = invoke("--problems", tmp_path, "key", "my_layer", "--tex-only", "-o",
                   tmp_path / "out")
    assert built.exit_code == 0, built.output
    assert (tmp_path / "out" / "answer_key.tex").exists()
    linted = invoke("--problems", tmp_path, "lint", "my_layer")
    assert linted.exit_code == 0, linted.output


def test_the_skeleton_comments_every_key():
    for line in skeleton_text("demo").splitlines():
        m = re.match(r"^(\w+):", line)
        if m and m.group(1) not in ("program", "values", "statement", "parts"):
            assert "#" in line, line
    data = yaml.safe_load(skeleton_text("demo"))
    assert set(data) <= set(KNOWN_KEYS[""])


def test_new_writes_into_the_output_folder(tmp_path):
    result = invoke("new", "other", "-o", tmp_path)
    assert result.exit_code == 0, result.output
    assert (tmp_path / "other.yaml").exists()


def test_new_refuses_to_overwrite(tmp_path):
    (tmp_path / "taken.yaml").write_text("mine\n")
    result = invoke("new", "taken", "-o", tmp_path)
    assert result.exit_code == 2
    assert "exists already" in result.output
    assert (tmp_path / "taken.yaml").read_text() == "mine\n"


@pytest.mark.parametrize("bad", ["Softmax", "1layer", "my-layer", "a.b", "course", ""])
def test_new_refuses_a_bad_id(tmp_path, bad):
    result = invoke("new", bad, "-o", tmp_path)
    assert result.exit_code == 2, result.output
    assert list(tmp_path.iterdir()) == []


# ---- derive lint ----------------------------------------------------------------

PLANTED = """\
id: planted
title: Planted findings
source: a test
index:
  i: n
  j: J
symbols:
  alpha: {positive: true}
tensors:
  x: {shape: [i], role: input, latex: 'x'}
  Wx: {shape: [i], role: parameter}
  spare: {shape: [i], role: input, latex: 's'}
  y: {latex: 'y', display: 'y'}
program: |
  y = Wx[I] * x[I]
  Rt = 2 * y
sizes: {n: 3, J: 2}
author: someone
parts:
  a: {ask: backprop, from: y, to: Wx, text: "..."}
"""


@pytest.fixture
def planted(tmp_path):
    path = tmp_path / "planted.yaml"
    path.write_text(PLANTED)
    return path


def _found(path):
    report = lint_spec(path)
    assert report.error is None, report.error
    return {(f.key, f.line, f.column): f.message for f in report.findings}


def test_lint_finds_each_planted_finding_at_its_line(planted):
    found = _found(planted)
    assert "never reads or writes" in found[("tensors.spare", 12, 3)]
    assert "nothing uses it" in found[("sizes.J", 17, 15)]
    assert "no tensor shape, loop or part uses it" in found[("index.j", 6, 3)]
    assert "neither the program" in found[("symbols.alpha", 8, 3)]
    assert "docs/specs.md" in found[("author", 18, 1)]
    assert "did you mean" in found[("tensors.y.display", 13, 19)] or \
        "docs/specs.md" in found[("tensors.y.display", 13, 19)]
    assert r"\mathrm{Wx}" in found[("tensors.Wx", 11, 3)]
    # an undeclared computed tensor: at its first write in the program
    assert r"\mathrm{Rt}" in found[("program", 16, 3)]
    assert len(found) == 8


def test_lint_cli_prints_file_line_column_and_exits_1(planted):
    result = invoke("lint", planted)
    assert result.exit_code == 1, result.output
    assert f"{planted}:12:3: tensors.spare: " in result.output


def test_lint_finds_an_unused_value_and_function(tmp_path):
    path = tmp_path / "vals.yaml"
    path.write_text("""\
id: vals
title: t
source: s
functions:
  F: {latex: 'F'}
symbols:
  a: {latex: 'a'}
tensors:
  x: {shape: [], role: input, latex: 'x'}
program: |
  y = 2 * x
values: |
  x = 1
  a = 2
parts:
  p: {ask: numeric, text: "..."}
""")
    found = lint_spec(path).findings
    where = {(f.key, f.line, f.column) for f in found}
    assert ("functions.F", 5, 3) in where
    assert ("symbols.a", 7, 3) in where
    assert ("values", 14, 3) in where


def test_lint_clean_and_not_loading(tmp_path):
    clean = tmp_path / "ok.yaml"
    clean.write_text("""\
id: ok
title: t
source: s
tensors:
  x: {shape: [], role: input, latex: 'x'}
program: |
  y = 2 * x
parts:
  a: {ask: backprop, from: y, to: x, text: "..."}
""")
    assert invoke("lint", clean).exit_code == 0
    broken = tmp_path / "broken.yaml"
    broken.write_text(clean.read_text().replace("y = 2 * x", "y = 2 * * x"))
    result = invoke("lint", broken)
    assert result.exit_code == 2, result.output
    assert "broken.yaml" in result.output
    bad_yaml = tmp_path / "bad.yaml"
    bad_yaml.write_text("id: [unclosed\n")
    assert invoke("lint", bad_yaml).exit_code == 2


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.stem)
def test_bundled_problems_lint_clean(path):
    report = lint_spec(path)
    assert report.error is None
    assert report.findings == [], "\n".join(map(str, report.findings))


def test_lint_of_every_bundled_problem_exits_0():
    assert invoke("lint").exit_code == 0


# ---- the one list of keys -------------------------------------------------------


def _documented(key: str, doc: str) -> bool:
    return re.search(rf"(`{re.escape(key)}`|(?<![\w.]){re.escape(key)}:)", doc) is not None


def test_every_known_key_is_documented():
    doc = DOCS.read_text()
    missing = sorted(k for k in all_keys() if not _documented(k, doc))
    assert not missing, f"keys the loader accepts that docs/specs.md does not document: {missing}"


def _paths(data, prefix=""):
    """(pattern of KNOWN_KEYS, key) of every key of a spec, by the table's patterns."""
    for k, v in data.items():
        yield prefix, str(k)
        sub = f"{prefix}.{k}" if prefix else str(k)
        pattern = re.sub(r"^(symbols|functions|tensors|assume|parts)\.[^.]+", r"\1.*", sub)
        pattern = re.sub(r"^parts\.\*\.given\.[^.]+$", "parts.*.given.*", pattern)
        if isinstance(v, dict) and (pattern in KNOWN_KEYS or pattern in (
                "symbols", "functions", "tensors", "assume", "parts", "parts.*.given")):
            yield from _paths(v, pattern)


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.stem)
def test_every_key_of_a_bundled_problem_is_known(path):
    data = yaml.safe_load(path.read_text())
    for pattern, key in _paths(data):
        if pattern in ("symbols", "functions", "tensors", "assume", "parts",
                       "parts.*.given"):
            continue                      # a name, not a key
        assert key in KNOWN_KEYS[pattern], (pattern, key)
    for label, part in data["parts"].items():
        assert set(part) <= set(part_keys(part["ask"])), label
