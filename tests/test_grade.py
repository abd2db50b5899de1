"""Grading where courses grade (issue 16): the submission format, scores, the grade
command and its formats, and Gradescope's autograder run end to end in a temporary root
laid out like /autograder."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from derive.cli import cli
from derive.front.folder import resolve_problem
from derive.front.spec import load_spec
from derive.grade import formats
from derive.grade.gradescope import export
from derive.grade.grading import grade
from derive.grade.submission import parse_submission, template

ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable

# five problems; right, wrong and unusable answers (expected verdicts by hand:
# he_init:a is n sigma_W^2 v / 2, he_init:b sqrt(2/n), init_variance:b E(u) = 1/2,
# init_variance:c smaller, rnn_unroll:b O(T), relu_unit:a y.grad step(z) x[i])
SUBMISSION = """# Homework

## he_init:a
Var(z1) = n σ_W² v

## he_init:b
```
sigma_W = √(2/n)
```

## init_variance:b
E(u) = 1/2

## init_variance:c
smaller, since the slope of σ is at most 1/4

## rnn_unroll:b
O(T^2) because every step reads all the others

## relu_unit:a
w.grad[i] = y.grad * (z > 0) * x[i]

## softmax:full
for b, j: s.grad[b, j] += p.grad[b, j] * * p[b, j]
"""
EXPECTED = {"he_init:a": ("incorrect", 0.0), "he_init:b": ("correct", 1.0),
            "init_variance:b": ("correct", 1.0), "init_variance:c": ("correct", 1.0),
            "rnn_unroll:b": ("incorrect", 0.0), "relu_unit:a": ("correct", 1.0),
            "softmax:full": ("unusable", 0.0)}


def test_markdown_blocks_and_fences():
    blocks = parse_submission(SUBMISSION)
    assert [f"{b.problem}:{b.part}" for b in blocks] == list(EXPECTED)
    assert blocks[1].answer == "sigma_W = √(2/n)"


def test_yaml_submission():
    blocks = parse_submission("he_init:b: sigma_W = sqrt(2/n)\n'init_variance:b': E(u) = 1/2\n")
    assert [(b.problem, b.part, b.answer) for b in blocks] == [
        ("he_init", "b", "sigma_W = sqrt(2/n)"), ("init_variance", "b", "E(u) = 1/2")]


def test_every_block_gets_its_result_and_score():
    results = grade(parse_submission(SUBMISSION))
    got = {r.name: (r.verdict, r.score) for r in results}
    assert got == EXPECTED
    assert all(r.verdict_json.get("spec_hash") for r in results if r.verdict_json)


def test_a_part_left_out_scores_zero_when_it_is_due():
    results = grade(parse_submission("## he_init:b\nsigma_W = sqrt(2/n)\n"), None,
                    ["he_init:a", "he_init:b"])
    assert {r.name: r.verdict for r in results} == {"he_init:b": "correct",
                                                    "he_init:a": "missing"}


def test_an_unknown_problem_is_that_blocks_result_only():
    results = grade(parse_submission("## nosuch:a\nx\n\n## he_init:b\nsigma_W = sqrt(2/n)\n"))
    assert [r.verdict for r in results] == ["unusable", "correct"]


def test_partial_credit_follows_points_per_quantity():
    # mlp_ce_l2:grad asks for four gradients: two right (b2, W2), two wrong (no lam on W1)
    text = ("## mlp_ce_l2:grad\n"
            "dW2 = (ŷ − y) zᵀ + λ W2\ndb2 = ŷ − y\n"
            "dW1 = ((W2ᵀ (ŷ − y)) ⊙ z ⊙ (1 − z)) xᵀ\ndb1 = 2 (W2ᵀ (ŷ − y)) ⊙ z ⊙ (1 − z)\n")
    (r,) = grade(parse_submission(text))
    assert r.verdict == "incorrect" and 0 < r.score < r.max_score


def _valid_gradescope(data):
    """Gradescope's documented results.json: score, execution_time, output, tests[]."""
    assert isinstance(data["score"], (int, float))
    assert isinstance(data.get("output", ""), str)
    for t in data["tests"]:
        assert set(t) >= {"name", "score", "max_score", "output", "visibility"}
        assert t["visibility"] in formats.VISIBILITY
        assert isinstance(t["score"], (int, float)) and isinstance(t["max_score"], (int, float))


def test_coderunner_json_has_fraction_rows_and_epilogue():
    data = formats.coderunner(grade(parse_submission(SUBMISSION)))
    assert data["testresults"][0][:2] == ["iscorrect", "ishidden"]
    assert abs(data["fraction"] - 4 / 7) < 1e-6 and "<pre>" in data["epiloguehtml"]


def test_the_grade_command_prints_every_format(tmp_path):
    runner = CliRunner()
    sub = tmp_path / "sub.md"
    sub.write_text(SUBMISSION)
    for fmt in ("text", "json", "gradescope", "coderunner"):
        r = runner.invoke(cli, ["grade", str(sub), "--format", fmt])
        assert r.exit_code == 2, r.output         # one block is unusable
        if fmt == "gradescope":
            _valid_gradescope(json.loads(r.output))
        if fmt == "json":
            assert json.loads(r.output)["score"] == 4.0


def test_template_lists_every_part():
    text = template([load_spec(resolve_problem("he_init"))])
    assert "## he_init:a" in text and "## he_init:e" in text
    assert [b.part for b in parse_submission(text)][:2] == ["a", "b"]


def _autograder_root(tmp_path, problems):
    out = tmp_path / "export"
    zpath = export([load_spec(resolve_problem(p)) for p in problems], out)
    root = tmp_path / "autograder"
    (root / "source").mkdir(parents=True)
    with zipfile.ZipFile(zpath) as z:
        z.extractall(root / "source")
    (root / "submission").mkdir()
    return root, zpath


def _run(root):
    env = dict(os.environ, DERIVE_AUTOGRADER_ROOT=str(root), DERIVE_PYTHON=PY,
               PYTHONPATH=str(root / "source" / "derive_src"))
    subprocess.run(["bash", str(root / "source" / "run_autograder")], env=env, check=False,
                   timeout=600)
    return json.loads((root / "results" / "results.json").read_text())


@pytest.mark.slow
def test_gradescope_end_to_end(tmp_path):
    root, zpath = _autograder_root(tmp_path, ["he_init", "init_variance", "rnn_unroll",
                                              "relu_unit", "softmax"])
    names = zipfile.ZipFile(zpath).namelist()
    assert {"setup.sh", "run_autograder", "config.json"} <= set(names)
    assert "derive_src/derive/cli.py" in names and "problems/he_init.yaml" in names
    (root / "submission" / "answers.md").write_text(SUBMISSION)
    data = _run(root)
    _valid_gradescope(data)
    by = {t["name"]: t for t in data["tests"]}
    for name, (_, score) in EXPECTED.items():
        assert by[name]["score"] == score, (name, by[name]["output"])
    # every part of the five problems is graded; those left out score 0
    due = json.loads((root / "source" / "config.json").read_text())["parts"]
    assert set(due) <= set(by) and by["he_init:c"]["score"] == 0.0
    assert data["score"] == 4.0
    # the reference answers wait in 0-point tests, after the grades are published
    ref = by["he_init:a (reference answer)"]
    assert ref["visibility"] == "after_published" and ref["max_score"] == 0.0
    assert "sigma_W" in ref["output"] and "reference" not in by["he_init:a"]["output"]


@pytest.mark.slow
def test_gradescope_writes_results_even_when_grading_cannot_start(tmp_path):
    root, _ = _autograder_root(tmp_path, ["he_init"])
    (root / "source" / "config.json").write_text("{not json")     # a broken install
    (root / "submission" / "answers.md").write_text("## he_init:b\nsigma_W = sqrt(2/n)\n")
    data = _run(root)
    _valid_gradescope(data)
    assert data["score"] == 0.0 and "could not grade" in data["output"]


# ---- PrairieLearn ------------------------------------------------------------------


def _load_server(qdir):
    import runpy               # the generated file, loaded as PrairieLearn imports it
    return runpy.run_path(str(qdir / "server.py"))


def test_prairielearn_questions_parse_and_grade_data_dicts(tmp_path):
    from derive.grade.prairielearn import export as pl_export
    made = pl_export(load_spec(resolve_problem("he_init")), tmp_path)
    q = next(p for p in made if p.name == "he_init_b")
    info = json.loads((q / "info.json").read_text())
    assert info["type"] == "v3" and len(info["uuid"]) == 36
    assert "pl-string-input" in (q / "question.html").read_text()
    server = _load_server(q)
    # right: a full score and the feedback
    data = {"submitted_answers": {"answer": "σ_W = √(2/n)"}, "format_errors": {},
            "partial_scores": {}, "score": 0, "feedback": {}}
    server["parse"](data)
    assert data["format_errors"] == {}
    server["grade"](data)
    assert data["score"] == 1.0 and data["partial_scores"]["answer"]["score"] == 1.0
    # wrong: graded 0, with derive's diagnosis
    data = {"submitted_answers": {"answer": "sigma_W = sqrt(1/n)"}, "format_errors": {},
            "partial_scores": {}, "score": 0, "feedback": {}}
    server["grade"](data)
    assert data["score"] == 0.0 and "INCORRECT" in data["feedback"]["derive"]
    # unusable: a format error, so no attempt is charged
    data = {"submitted_answers": {"answer": "sigma_W = sqrt(2/n"}, "format_errors": {},
            "partial_scores": {}, "score": 0, "feedback": {}}
    server["parse"](data)
    assert "answer" in data["format_errors"]


def test_prairielearn_external_grader_writes_results(tmp_path):
    from derive.grade.prairielearn import run_external
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "data.json").write_text(json.dumps(
        {"submitted_answers": {"answer": "sigma_W = sqrt(2/n)"}}))
    got = run_external(tmp_path, resolve_problem("he_init"), "b")
    saved = json.loads((tmp_path / "results" / "results.json").read_text())
    assert got == saved and saved["gradable"] and saved["score"] == 1.0
    (tmp_path / "data" / "data.json").write_text("{broken")
    assert run_external(tmp_path, resolve_problem("he_init"), "b")["gradable"] is False


# ---- the persistent checker --------------------------------------------------------


def test_serve_answers_every_line_and_survives_bad_ones():
    from derive.grade.serve import serve
    out = []
    lines = ['{"id": 1, "problem": "he_init", "part": "b", "answer": "sigma_W = sqrt(2/n)"}',
             "not json", "[1, 2]", '{"id": 4, "problem": "he_init"}',
             '{"id": 5, "problem": "he_init", "part": "b", "answer": "sigma_W = sqrt(1/n)"}']
    assert serve(lines, out.append) == 5
    got = [json.loads(x) for x in out]
    assert [g["verdict"] for g in got] == ["correct", "unusable", "unusable", "unusable",
                                           "incorrect"]
    assert got[0]["id"] == 1 and got[4]["id"] == 5 and got[4]["score"] == 0.0


def test_isolated_checks_give_the_same_verdicts():
    blocks = parse_submission(SUBMISSION)
    got = {r.name: (r.verdict, r.score) for r in grade(blocks, isolate=True)}
    assert got == EXPECTED


def test_a_worker_that_does_not_answer_is_stopped(monkeypatch):
    """A check stuck where the in-thread limit cannot reach it is killed at its
    deadline; the part is unusable (limited) and the grader goes on."""
    import time as _time
    from derive.grade import grading

    def stuck(*a, **k):
        _time.sleep(60)
    monkeypatch.setattr(grading, "check_answer", stuck)
    monkeypatch.setattr(grading, "GRACE_S", 0.5)
    spec = load_spec(resolve_problem("he_init"))
    start = _time.perf_counter()
    v = grading.isolated_check(spec, "b", "sigma_W = sqrt(2/n)", time_limit_s=0.5)
    assert v.verdict == "unusable" and v.limited and _time.perf_counter() - start < 10


def test_a_crash_in_one_part_is_that_parts_result(monkeypatch):
    """derive's own crash while judging one block: that part scores 0 with the message;
    every other part keeps its result, and Gradescope's file is complete."""
    from derive.grade import grading
    real = grading.check_answer

    def flaky(spec, part, text, **kw):
        if spec.id == "rnn_unroll":
            raise RuntimeError("boom")
        return real(spec, part, text, **kw)
    monkeypatch.setattr(grading, "check_answer", flaky)
    results = grade(parse_submission(SUBMISSION))
    got = {r.name: r.verdict for r in results}
    assert got["rnn_unroll:b"] == "error" and got["he_init:b"] == "correct"
    data = formats.gradescope(results)
    _valid_gradescope(data)
    assert len(data["tests"]) == len(EXPECTED) and data["score"] == 4.0


def test_coderunner_rows_can_be_hidden(tmp_path):
    sub = tmp_path / "sub.md"
    sub.write_text("## he_init:b\nsigma_W = sqrt(2/n)\n")
    r = CliRunner().invoke(cli, ["grade", str(sub), "--format", "coderunner", "--hidden"])
    rows = json.loads(r.output)["testresults"]
    assert r.exit_code == 0 and rows[1][:2] == [True, True]
