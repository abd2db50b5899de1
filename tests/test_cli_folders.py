"""The command line a new user meets (issue 19, items 1-3): near names suggested,
--problems wherever options go (and $DERIVE_PROBLEMS), and a folder of specs in which
.yml counts, nothing is an error, and one broken spec does not break the others."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from derive.cli import cli

PROBLEMS = Path(__file__).resolve().parent.parent / "problems"


def run(*args, env=None):
    return CliRunner().invoke(cli, list(args), env=env)


def test_a_mistyped_problem_gets_the_nearest_names_not_the_whole_list():
    r = run("solve", "sofmax")
    assert r.exit_code == 2
    assert "did you mean softmax?" in r.output
    assert "batchnorm" not in r.output             # the whole list is derive list's


def test_a_mistyped_part_gets_the_nearest_part():
    r = run("check", "softmax:fulll", "x")
    assert r.exit_code == 2 and "did you mean full?" in r.output


@pytest.mark.parametrize("where", ["before", "after", "env"])
def test_problems_folder_wherever_options_go(tmp_path, where):
    shutil.copy(PROBLEMS / "relu_unit.yaml", tmp_path / "relu_unit.yaml")
    if where == "before":
        r = run("--problems", str(tmp_path), "verify")
    elif where == "after":
        r = run("verify", "--problems", str(tmp_path))
    else:
        r = run("verify", env={"DERIVE_PROBLEMS": str(tmp_path)})
    assert r.exit_code == 0, r.output
    assert "relu_unit:a" in r.output and "softmax" not in r.output


def test_a_yml_spec_is_read_like_a_yaml_one(tmp_path):
    shutil.copy(PROBLEMS / "relu_unit.yaml", tmp_path / "relu_unit.yml")
    r = run("--problems", str(tmp_path), "list")
    assert r.exit_code == 0 and "relu_unit" in r.output
    assert run("--problems", str(tmp_path), "solve", "relu_unit").exit_code == 0


@pytest.mark.parametrize("command", ["list", "verify", "key"])
def test_a_folder_without_specs_is_an_error(tmp_path, command):
    # verify exited 0 on an empty folder
    args = [command] + (["--tex-only", "-o", str(tmp_path / "out")] if command == "key" else [])
    r = run("--problems", str(tmp_path), *args)
    assert r.exit_code == 2 and "no problem specs" in r.output


@pytest.mark.parametrize("command", ["list", "verify", "key"])
def test_one_broken_spec_does_not_break_the_others(tmp_path, command):
    shutil.copy(PROBLEMS / "relu_unit.yaml", tmp_path / "relu_unit.yaml")
    (tmp_path / "broken.yaml").write_text("id: broken\ntitle: [\n")
    args = [command] + (["--tex-only", "-o", str(tmp_path / "out")] if command == "key" else [])
    r = run("--problems", str(tmp_path), *args)
    assert r.exit_code == 2, r.output
    assert "broken.yaml" in r.output and "bad YAML" in r.output
    if command == "list":
        assert "relu_unit" in r.output
    elif command == "verify":
        assert "relu_unit:a" in r.output and " ok" in r.output
    else:
        assert (tmp_path / "out" / "answer_key.tex").exists()
        assert "relu_unit" in (tmp_path / "out" / "answer_key.tex").read_text() or \
            "ReLU" in (tmp_path / "out" / "answer_key.tex").read_text()


def test_a_mistyped_choice_option_gets_the_nearest_option():
    r = run("check", "init_variance:c", "smalller")
    assert r.exit_code == 2 and "did you mean smaller?" in r.output
