"""Variants end to end (issue 17): a roster of 30 students gives 30 sheets, one key and
the CSV of who has what; a submission is graded against its own variant by `derive
grade`, by Gradescope's autograder and by PrairieLearn's server.py."""
from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from derive.answers.variants import assign, offer
from derive.cli import cli
from derive.core.program import format_program
from derive.front.spec import load_spec

ROOT = Path(__file__).resolve().parents[1]
PROBLEMS = ROOT / "problems"
SEED = "test-course"


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


def roster(tmp_path, n=30) -> Path:
    path = tmp_path / "roster.csv"
    rows = ["student,name"] + [f"s{k:02d}@uni.edu,Student {k}" for k in range(n)]
    path.write_text("\n".join(rows) + "\n")
    return path


def answer_a(spec_id, variant_name) -> str:
    o = offer(load_spec(PROBLEMS / f"{spec_id}.yaml"), int(variant_name.split("#")[1]))
    return format_program(next(a for a in o.answers if a.part == "a").program)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("variants")
    out = tmp / "out"
    r = run("key", "softmax", "dropout", "relu_unit", "--variants", roster(tmp), "--seed",
            SEED, "--tex-only", "-o", out)
    assert r.exit_code == 0, r.output
    return out / "variants", r.output


def test_a_roster_of_30_gives_30_sheets_one_key_and_the_mapping(built):
    folder, output = built
    sheets = sorted((folder / "sheets").glob("*.tex"))
    assert len(sheets) == 30
    assert (folder / "answer_key.tex").exists()
    rows = list(csv.DictReader((folder / "variants.csv").open()))
    assert len(rows) == 60                        # two varied problems per student
    assert {r["problem"] for r in rows} == {"softmax", "dropout"}
    first = next(r for r in rows if r["student"] == "s00@uni.edu" and
                 r["problem"] == "softmax")
    assert first["variant"] == assign(load_spec(PROBLEMS / "softmax.yaml"), "s00@uni.edu",
                                      SEED).name
    sheet = (folder / "sheets" / "s00_uni.edu.tex").read_text()
    assert "Student 0" in sheet and first["variant"].replace("#", r"\#") in sheet
    key = (folder / "answer_key.tex").read_text()
    for name in {r["variant"] for r in rows}:
        assert "\\texttt{%s}" % name.replace("#", r"\#") in key
    assert "30 sheet(s)" in output and "variant(s) not offered" in output
    assert "share an answer" in output or "same answer" in output


def test_each_sheet_shows_its_own_renamed_problem(built):
    folder, _ = built
    rows = [r for r in csv.DictReader((folder / "variants.csv").open())
            if r["problem"] == "softmax"]
    for r in rows[:6]:
        spec = offer(load_spec(PROBLEMS / "softmax.yaml"), int(r["variant"][8:])).spec
        sheet = next((folder / "sheets").glob(r["student"].replace("@", "_") + ".tex"))
        text = sheet.read_text()
        s_name = spec.variant.renames.get("s", "s")
        assert f"\\exp({s_name}[b," in text, (r, s_name)


def test_a_submission_is_graded_against_its_own_variant(built, tmp_path):
    folder, _ = built
    rows = list(csv.DictReader((folder / "variants.csv").open()))
    mine = {r["problem"]: r["variant"] for r in rows if r["student"] == "s03@uni.edu"}
    mask = "m -> r" in next(r["choices"] for r in rows if r["variant"] == mine["dropout"])
    other = next(r["variant"] for r in rows if r["problem"] == "dropout"
                 and ("m -> r" in r["choices"]) == mask    # the same names, another q
                 and answer_a("dropout", r["variant"]) != answer_a("dropout",
                                                                   mine["dropout"]))
    sub = tmp_path / "answers.md"
    sub.write_text(f"student: s03@uni.edu\n\n## softmax:a\n{answer_a('softmax', mine['softmax'])}"
                   f"\n\n## dropout:a\n{answer_a('dropout', mine['dropout'])}\n")
    r = run("grade", sub, "--roster", folder / "variants.csv", "--format", "json")
    assert r.exit_code == 0, r.output
    parts = {p["name"]: p for p in json.loads(r.output)["parts"]}
    assert parts["softmax:a"]["verdict"] == "correct", r.output
    assert parts["dropout:a"]["verdict"] == "correct", r.output
    # the same answers, graded as another student's variant, are not right
    sub.write_text(f"variants: {other}\n\n## dropout:a\n{answer_a('dropout', mine['dropout'])}\n")
    r = run("grade", sub, "--format", "json")
    assert json.loads(r.output)["parts"][0]["verdict"] == "incorrect", r.output
    # the seed gives the same variant as the roster
    sub.write_text(f"student: s03@uni.edu\n\n## dropout:a\n"
                   f"{answer_a('dropout', mine['dropout'])}\n")
    r = run("grade", sub, "--seed", SEED, "--format", "json")
    assert json.loads(r.output)["parts"][0]["verdict"] == "correct", r.output
    # a student the roster does not know
    sub.write_text("student: nobody\n\n## dropout:a\nfor i: x.grad[i] += y.grad[i]\n")
    r = run("grade", sub, "--roster", folder / "variants.csv")
    assert r.exit_code == 2 and "not in the roster" in r.output


def test_variants_n_numbers_the_sheets(tmp_path):
    r = run("key", "dropout", "--variants", "4", "--tex-only", "-o", tmp_path)
    assert r.exit_code == 0, r.output
    rows = list(csv.DictReader((tmp_path / "variants" / "variants.csv").open()))
    assert [r["variant"] for r in rows] == ["dropout#1", "dropout#2", "dropout#3",
                                            "dropout#4"]


def test_a_bad_roster_is_a_clear_error(tmp_path):
    bad = tmp_path / "r.csv"
    bad.write_text("student\nada\nada\n")
    r = run("key", "dropout", "--variants", bad, "--tex-only", "-o", tmp_path)
    assert r.exit_code == 2 and "line 3" in r.output and "already on line 2" in r.output


def test_gradescope_grades_the_variant_of_the_submitting_student(tmp_path):
    from derive.grade.gradescope import export, run as gs_run
    spec = load_spec(PROBLEMS / "dropout.yaml")
    export([spec], tmp_path / "gs", seed=SEED)
    root = tmp_path / "autograder"
    shutil.copytree(tmp_path / "gs" / "autograder", root / "source")
    (root / "submission").mkdir()
    mine = assign(spec, "s07@uni.edu", SEED).name
    (root / "submission" / "answers.md").write_text(
        f"## dropout#1:a\n{answer_a('dropout', mine)}\n")       # the heading is ignored
    (root / "submission_metadata.json").write_text(json.dumps(
        {"users": [{"email": "x@uni.edu", "sid": "s07@uni.edu"}]}))
    data = gs_run(root)
    test = next(t for t in data["tests"] if t["name"].startswith("dropout:a"))
    assert test["score"] == test["max_score"] > 0, data


def test_prairielearn_generate_sets_the_params_and_grades_them(tmp_path):
    from derive.grade.prairielearn import export as pl_export, generate_data, grade_data
    spec = load_spec(PROBLEMS / "dropout.yaml")
    q = pl_export(spec, tmp_path)[0]
    assert "generate(data)" in (q / "server.py").read_text()
    assert "params.question" in (q / "question.html").read_text()
    path = q / "clientFilesQuestion" / "dropout.yaml"
    data = {"variant_seed": 12345}
    generate_data(data, path, "a")
    again = {"variant_seed": 12345}
    generate_data(again, path, "a")
    assert data["params"] == again["params"] and "#" in data["params"]["variant"]
    data["submitted_answers"] = {"answer": answer_a("dropout", data["params"]["variant"])}
    grade_data(data, path, "a")
    assert data["score"] == 1.0, data


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("latexmk") is None, reason="needs TeX (slow: PDFs)")
def test_the_sheets_and_the_key_compile(tmp_path):
    r = run("key", "softmax", "mlp_numeric", "--variants", roster(tmp_path, 3), "--seed",
            SEED, "-o", tmp_path / "out", "--jobs", "2")
    assert r.exit_code == 0, r.output
    folder = tmp_path / "out" / "variants"
    assert len(list((folder / "sheets").glob("*.pdf"))) == 3
    assert (folder / "answer_key.pdf").stat().st_size > 1000


@pytest.mark.slow          # 31 TeX runs: about 50 s on two cores
@pytest.mark.skipif(shutil.which("latexmk") is None, reason="needs TeX (slow: PDFs)")
def test_a_roster_of_30_gives_30_pdf_sheets_and_one_pdf_key(tmp_path):
    r = run("key", "softmax", "dropout", "--variants", roster(tmp_path), "--seed", SEED,
            "-o", tmp_path / "out", "--jobs", "2")
    assert r.exit_code == 0, r.output
    folder = tmp_path / "out" / "variants"
    assert len(list((folder / "sheets").glob("*.pdf"))) == 30
    assert len(list(folder.glob("*.pdf"))) == 1
    assert "[ 30/30] variants drawn, derived and verified" in r.output
    assert "[ 31/31] compiled" in r.output and "2 at a time" in r.output
    assert not list(folder.rglob("*.log")) and not list(folder.rglob("*.aux"))
