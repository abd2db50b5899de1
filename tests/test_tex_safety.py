"""TeX runs safely on a spec from anyone: no file read outside the build folder, no
shell escape, and TeX that reads files, runs commands or defines macros is refused in
the spec before TeX runs."""
from __future__ import annotations

import shutil

import pytest
from click.testing import CliRunner

from derive.cli import cli
from derive.core.errors import SpecError
from derive.front.spec import parse_spec
from derive.front.folder import resolve_problem

BASE = resolve_problem("relu_unit").read_text()


@pytest.mark.parametrize("where, text", [
    ("statement", r"See \input{/etc/passwd} here."),
    ("statement", r"\include{secret}"),
    ("statement", r"\immediate\write18{rm -rf /}"),
    ("statement", r"\def\x{\in put}\x{/etc/passwd}"),
    ("statement", r"^^5cinput{/etc/passwd}"),
    ("part", r"What is \openin1=/etc/passwd ?"),
    ("latex", r"\csname input\endcsname{/etc/passwd}"),
], ids=["input", "include", "write18", "def", "caret_code", "openin", "csname"])
def test_tex_that_reads_files_or_defines_macros_is_refused_in_the_spec(where, text):
    if where == "statement":
        spec = BASE.replace("statement: |\n", "statement: |\n  " + text + "\n", 1)
    elif where == "part":
        spec = BASE.replace("    text: |\n", "    text: |\n      " + text + "\n", 1)
    else:
        spec = BASE.replace("latex: 'w'", "latex: '" + text.replace("'", "''") + "'", 1)
    assert spec != BASE
    with pytest.raises(SpecError, match="is not allowed in the text of a spec"):
        parse_spec(spec, "relu_unit.yaml")


def test_the_key_of_such_a_spec_exits_2_before_tex_runs(tmp_path):
    folder = tmp_path / "problems"
    folder.mkdir()
    (folder / "relu_unit.yaml").write_text(
        BASE.replace("statement: |\n", "statement: |\n  \\input{/etc/passwd}\n", 1))
    r = CliRunner().invoke(cli, ["--problems", str(folder), "key", "-o", str(tmp_path / "out"),
                                 "--tex-only"])
    assert r.exit_code == 2
    assert "statement" in r.output and "is not allowed" in r.output
    assert "root:" not in r.output
    assert not (tmp_path / "out").exists()


@pytest.mark.skipif(shutil.which("latexmk") is None, reason="needs TeX")
def test_tex_itself_reads_no_file_outside_the_build_folder(tmp_path):
    """Should a spec's text get past the check, TeX (paranoid kpathsea) still refuses."""
    from derive.present.tex import RenderError, compile_tex
    tex = tmp_path / "t.tex"
    tex.write_text("\\documentclass{article}\\begin{document}\\input{/etc/passwd}"
                   "\\end{document}\n")
    with pytest.raises(RenderError) as info:
        compile_tex(tex)
    assert "root:" not in str(info.value)
    assert not (tmp_path / "t.pdf").exists() or "root:" not in (tmp_path / "t.pdf").read_bytes().decode("latin-1")
