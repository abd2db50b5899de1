"""`derive key` as a user expects it (issue 19, items 4, 5 and 9): a date for
reproducible builds, no stale answer key, a summary naming what is left out, Ctrl-C that
leaves nothing behind, and TeX bounded in time with the problem it hung on named."""
from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from derive.cli import cli
from derive.present import render
from derive.present.tex import RenderError, compile_tex

PROBLEMS = Path(__file__).resolve().parent.parent / "problems"


def run(*args, env=None):
    return CliRunner().invoke(cli, list(args), env=env)


def folder(tmp_path) -> Path:
    d = tmp_path / "problems"
    d.mkdir()
    shutil.copy(PROBLEMS / "relu_unit.yaml", d / "relu_unit.yaml")
    return d


@pytest.mark.parametrize("how", ["option", "epoch"])
def test_the_sheets_date_is_reproducible(tmp_path, how):
    d, out = folder(tmp_path), tmp_path / "out"
    if how == "option":
        r = run("--problems", str(d), "key", "--tex-only", "-o", str(out), "--date", "1 May 2026")
        want = "1 May 2026"
    else:
        r = run("--problems", str(d), "key", "--tex-only", "-o", str(out),
                env={"SOURCE_DATE_EPOCH": "1767225600"})        # 2026-01-01 00:00 UTC
        want = "January 1, 2026"
    assert r.exit_code == 0, r.output
    assert want in (out / "problems.tex").read_text() and want in (out / "answer_key.tex").read_text()


def test_no_solutions_removes_a_stale_answer_key(tmp_path):
    d, out = folder(tmp_path), tmp_path / "out"
    out.mkdir()
    (out / "answer_key.pdf").write_bytes(b"%PDF-1.5 an old key")
    (out / "answer_key.tex").write_text("old")
    r = run("--problems", str(d), "key", "--tex-only", "--no-solutions", "-o", str(out))
    assert r.exit_code == 0, r.output
    assert (out / "problems.tex").exists()
    assert not (out / "answer_key.pdf").exists() and not (out / "answer_key.tex").exists()
    assert "removed" in r.output and "answer_key.pdf" in r.output


def test_the_summary_names_every_part_left_out(tmp_path):
    from tests.test_instructor_specs import NOT_DERIVABLE
    d = folder(tmp_path)
    (d / "opaque.yaml").write_text(NOT_DERIVABLE)
    r = run("--problems", str(d), "key", "--tex-only", "--keep-going", "-o", str(tmp_path / "o"))
    assert r.exit_code == 0, r.output
    line = next(l for l in r.output.splitlines() if "parts derived and verified" in l)
    assert "Not answered: opaque:b (not-derived)" in line


def test_ctrl_c_exits_130_and_leaves_no_build_folder_or_output(tmp_path, monkeypatch):
    d, out = folder(tmp_path), tmp_path / "out"
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    monkeypatch.setattr(render, "check_tex", lambda: None)

    def interrupted(tex, *a, **k):
        (tex.parent / (tex.stem + ".log")).write_text("half a log")
        raise KeyboardInterrupt
    monkeypatch.setattr(render, "compile_tex", interrupted)
    r = run("--problems", str(d), "key", "-o", str(out))
    assert r.exit_code == 130, r.output
    assert "interrupted" in r.output and "Traceback" not in r.output
    assert list((tmp_path / "tmp").iterdir()) == []          # no derive-key-* left
    assert not out.exists() or list(out.iterdir()) == []


def test_tex_is_bounded_in_time_and_names_the_problem_it_hung_on(tmp_path, monkeypatch):
    if shutil.which("latexmk") is None:
        pytest.skip("TeX is not installed")
    from derive.present import tex as tex_module
    monkeypatch.setattr(tex_module, "PROGRESS_EVERY", 1)
    tex = tmp_path / "hang.tex"
    tex.write_text("\\documentclass{article}\\begin{document}"
                   "\\typeout{derive: problem loopy}\\loop\\iftrue\\repeat\\end{document}\n")
    heard = []
    with pytest.raises(RenderError, match=r"did not finish hang.tex in 3 s, in the text of "
                                          r"problem loopy"):
        compile_tex(tex, 3, heard.append)
    assert heard                                              # progress while TeX ran


def test_timings_time_one_run(tmp_path, monkeypatch):
    # --timings derived every part three times (derive-only twice, then verified)
    calls = []
    real = render.solve_guarded

    def counted(spec, label, *a, **k):
        calls.append(label)
        return real(spec, label, *a, **k)
    monkeypatch.setattr(render, "solve_guarded", counted)
    d = tmp_path / "p"
    d.mkdir()
    shutil.copy(PROBLEMS / "softmax.yaml", d / "softmax.yaml")
    r = run("--problems", str(d), "key", "--tex-only", "--timings", "-o", str(tmp_path / "o"))
    assert r.exit_code == 0, r.output
    assert calls == ["a", "b", "c", "full"]            # each part once
    line = next(l for l in r.output.splitlines() if l.startswith("time:"))
    assert "derive" in line and "verify" in line
    result = render.build_key([d / "softmax.yaml"], tmp_path / "o2", tex_only=True,
                              timings=True)
    assert result.timings.verify > 0 and result.timings.derive > 0   # both were seen
