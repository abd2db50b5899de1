"""`derive key`: the problem sheet and the answer key, built once for every bundled
problem and read back with pdftotext; and the clean failures (bad spec, TeX error,
no TeX), which leave the output folder as it was."""
from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from derive.cli import cli
from derive.core.errors import SpecError
from derive.core.program import format_expr, ref_indices, ref_name
from derive.present.tex import LATEX_STYLES, TEX_PACKAGES
from derive.present.render import build_key
from derive.front.spec import load_spec, parse_spec
from derive.front.folder import default_problems_dir, find_problems

ROOT = Path(__file__).resolve().parent.parent
PATHS = find_problems(default_problems_dir())
SPECS = [load_spec(p) for p in PATHS]
PARTS = [(s.id, label) for s in SPECS for label in s.parts]


def require_tex():
    missing = [t for t in ("latexmk", "pdflatex", "pdftotext") if shutil.which(t) is None]
    if missing:
        pytest.fail(f"TeX is needed for these tests ({', '.join(missing)} missing): "
                    f"run `make test`, which installs it (scripts/install-tex.sh)")


def pdf_text(path: Path) -> str:
    """The text of a PDF, without its page numbers (a paragraph may run over a page)."""
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], check=True,
                          capture_output=True, text=True).stdout
    return re.sub(r"\n+\d+\n+\f", "\n", text)


def squeeze(text: str) -> str:
    """Text compared without whitespace and hyphens (line breaks, hyphenation)."""
    text = text.replace("’", "'").replace("−", "-")
    return re.sub(r"[\s\-]+", "", text)


@pytest.fixture(scope="module")
def build(tmp_path_factory):
    """ONE full build of both documents for all bundled problems."""
    require_tex()
    out = tmp_path_factory.mktemp("key")
    lines = []
    result = build_key(PATHS, out, progress=lines.append)
    return {"out": out, "result": result, "progress": lines,
            "sheet": pdf_text(out / "problems.pdf"), "key": pdf_text(out / "answer_key.pdf"),
            "key_tex": (out / "answer_key.tex").read_text(),
            "sheet_tex": (out / "problems.tex").read_text()}


# ---- what the key shows of each answer ----------------------------------------

def shown_name(name: str, tensors) -> str | None:
    """How pdftotext reads a tensor's display name: `x`, `G_2` -> `G2`; None if unsure."""
    base = name[:-5] if name.endswith(".grad") else name
    latex = tensors[base].latex if base in tensors else None
    m = re.fullmatch(r"([A-Za-z])_\{?(\w)\}?", latex or "")
    shown = base if latex in (None, base) and re.fullmatch(r"[A-Za-z]", base) else \
        "".join(m.groups()) if m else None
    return None if shown is None else shown + name[len(base):]


def statement_text(st, tensors) -> str | None:
    """`x.grad[b, j] +=` as pdftotext reads it, for a target with a plain display name."""
    shown = shown_name(ref_name(st.target), tensors)
    if shown is None:
        return None
    idx = ref_indices(st.target)
    return shown + (f"[{', '.join(format_expr(i) for i in idx)}]" if idx else "") + f" {st.op}"


def result_text(res, tensors) -> str | None:
    """`backward work =`, `Var(y[j]) =`, `E[u] =` as pdftotext reads a result's label."""
    label = str(res.label)
    if re.fullmatch(r"[a-z ]+", label) and " " in label:
        return f"{label} {res.relation}"
    m = re.fullmatch(r"(Var|E)\((\w+)\)", label)
    shown = m and shown_name(m.group(2), tensors)
    if shown and res.relation == "=":
        # the key names the quantity of `lhs`: one entry, `Var(y[j])`
        entry = res.lhs.args[0] if res.lhs is not None else None
        idx = ref_indices(entry) if getattr(entry, "is_Indexed", False) else ()
        shown += f"[{', '.join(format_expr(i) for i in idx)}]" if idx else ""
        return f"Var({shown}) =" if m.group(1) == "Var" else f"E[{shown}] ="
    return None


def plain_words(text: str, n: int = 6) -> str:
    """The first n words of a text, from the first run of words without LaTeX."""
    words = text.split()
    runs, run = [], []
    for w in words:
        if re.fullmatch(r"[A-Za-z,.;']+", w):
            run.append(w)
            if len(run) == n:
                return " ".join(run)
        else:
            runs.append(run)
            run = []
    return " ".join(max(runs + [run], key=len))


def numeric_text(values: dict) -> str | None:
    for value in values.values():
        a = np.asarray(value)
        if a.ndim == 1:
            return "(" + ", ".join("%g" % x for x in a) + ")"
    return None


def spec_of(ans):
    return next(s for s in SPECS if s.id == ans.problem)


def distinctive(ans) -> list[str]:
    """Strings of the answer's text form that the key must show (and the sheet not)."""
    out = []
    tensors = ans.program.tensors if ans.program is not None else spec_of(ans).tensors
    if ans.kind == "numeric" and ans.values:
        out.append(numeric_text(ans.values))
    statements = ans.closed or (ans.program.statements() if ans.program is not None else [])
    out += [t for t in (statement_text(s, tensors) for s in statements) if t][:2]
    if ans.message:
        out.append(plain_words(ans.message, 8))
    out += [t for t in (result_text(r, tensors) for r in ans.results) if t][:2]
    if ans.verification is not None:
        summary = ans.verification.summary()
        out.append(summary.split(":")[0] + ": passed")
        out.append(re.search(r"worst \w+ \w+ [\d.e+-]+", summary).group(0)
                   if re.search(r"worst \w+ \w+ [\d.e+-]+", summary) else summary[-30:])
    return [s for s in out if s]


@pytest.mark.parametrize("spec", SPECS, ids=[s.id for s in SPECS])
def test_every_problem_title_is_in_both_documents(build, spec):
    assert squeeze(spec.title) in squeeze(build["sheet"])
    assert squeeze(spec.title) in squeeze(build["key"])


@pytest.mark.parametrize("problem, part", PARTS, ids=[f"{p}:{l}" for p, l in PARTS])
def test_every_part_has_its_answer_in_the_key_and_not_on_the_sheet(build, problem, part):
    ans = build["result"].answers[(problem, part)]
    key, sheet = squeeze(build["key"]), squeeze(build["sheet"])
    spec = spec_of(ans)
    question = plain_words(spec.part(part).text)
    assert squeeze(question) in sheet and squeeze(question) in key
    if ans.status == "not-derived":
        assert squeeze("Not derived yet: " + ans.message[:40]) in key
    elif ans.status == "given":
        snippet = squeeze(plain_words(ans.text, 8))
        assert snippet in key and snippet not in sheet
    elif ans.verification is not None and not ans.verification.passed:
        assert squeeze("failed its numeric check") in key
    else:
        strings = distinctive(ans)
        assert strings, f"no text form to look for in {problem}:{part}"
        for s in strings:
            assert squeeze(s) in key, s
            if not s.startswith(("worst", "finite", "Monte", "counted")):
                assert squeeze(s) not in sheet, s


def test_the_build_reports_its_parts_and_writes_both_pdfs(build):
    out, result = build["out"], build["result"]
    assert sorted(p.name for p in out.iterdir()) == \
        ["answer_key.pdf", "answer_key.tex", "problems.pdf", "problems.tex"]
    assert sum(result.counts.values()) == len(PARTS)
    assert len([l for l in build["progress"] if re.match(r"\[\s*\d+/\d+\]", l)]) == len(SPECS)


def test_no_line_runs_off_the_page(build):
    assert build["result"].overfull == []


def test_no_raw_sympy_names_in_the_key(build):
    tex = build["key_tex"]
    for raw in ("KroneckerDelta", "Piecewise", "Indexed", "Dummy", "IndexedBase", "Heaviside",
                "\\_x", "Subs("):
        assert raw not in tex, raw


def test_no_left_right_brackets_without_a_fraction_inside(build):
    tex = build["key_tex"]
    for m in re.finditer(r"\\left\(", tex):
        depth, k = 1, m.end()
        while depth and k < len(tex):
            if tex.startswith(r"\left(", k):
                depth += 1
            elif tex.startswith(r"\right)", k):
                depth -= 1
            k += 1
        inner = tex[m.end():k]
        assert any(t in inner for t in (r"\frac", r"\sum", r"\prod")), inner[:80]


def test_the_sheet_hides_programs_that_are_answers(build):
    hidden = [s for s in SPECS if not s.show_program]
    assert {s.id for s in hidden} >= {"gru", "ugcnn", "two_gate_rnn", "loss_heads"}
    for s in hidden:
        assert f"% derive: problem {s.id} ({s.path}), program" not in build["sheet_tex"]
        section = re.search(rf"% derive: problem {s.id} \(.*?(?=% derive: problem (?!{s.id} )"
                            rf"|\Z)", build["key_tex"], re.S).group(0)
        assert "The forward program (the equations of the network)" in section
    shown = next(s for s in SPECS if s.id == "softmax")
    assert f"% derive: problem softmax ({shown.path}), program" in build["sheet_tex"]


def test_the_numeric_example_is_a_table_of_forward_and_backward_values(build):
    key = squeeze(build["key"])
    for row in ("z", "(1, -3)", "W.grad", "Backward pass (from C.grad = 1)"):
        assert squeeze(row) in key


# ---- the command line: options and clean failures ---------------------------------

def invoke(*args):
    return CliRunner().invoke(cli, list(args))


def test_tex_only_writes_the_tex_files_and_subscripts_change_the_notation(tmp_path):
    result = invoke("key", "softmax", "-o", str(tmp_path / "a"), "--tex-only")
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (tmp_path / "a").iterdir()) == \
        ["answer_key.tex", "problems.tex"]
    assert r"s.\mathrm{grad}[b,j]" in (tmp_path / "a" / "answer_key.tex").read_text()
    result = invoke("key", "softmax", "-o", str(tmp_path / "b"), "--tex-only", "--subscripts",
                    "--no-solutions", "--timings")
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (tmp_path / "b").iterdir()) == ["problems.tex"]
    assert r"Z_{b} \mathrel{+}= \exp(s_{b,j})" in (tmp_path / "b" / "problems.tex").read_text()
    assert re.search(r"time: derive [\d.]+ s, verify [\d.]+ s, render [\d.]+ s, TeX 0.0 s",
                     result.output)


def problems_with(tmp_path, problem: str, edit) -> Path:
    folder = tmp_path / "problems"
    folder.mkdir()
    src = default_problems_dir() / f"{problem}.yaml"
    (folder / src.name).write_text(edit(src.read_text()))
    return folder


def good_output(tmp_path) -> tuple[Path, bytes]:
    out = tmp_path / "output"
    out.mkdir()
    (out / "answer_key.pdf").write_bytes(b"%PDF-1.5 a good earlier build")
    return out, (out / "answer_key.pdf").read_bytes()


def assert_untouched(out: Path, before: bytes):
    assert sorted(p.name for p in out.iterdir()) == ["answer_key.pdf"]
    assert (out / "answer_key.pdf").read_bytes() == before


def test_a_malformed_spec_exits_2_and_names_the_key(tmp_path):
    folder = problems_with(tmp_path, "relu_unit", lambda t: t.replace("ask: gradient",
                                                                      "ask: gradient\n    colour: red"))
    out, before = good_output(tmp_path)
    result = invoke("--problems", str(folder), "key", "-o", str(out))
    assert result.exit_code == 2
    assert "relu_unit.yaml: parts.a.colour: unknown key" in result.output
    assert "Traceback" not in result.output
    assert_untouched(out, before)


def test_a_tex_error_exits_2_with_the_log_lines_and_the_spec_location(tmp_path):
    require_tex()
    folder = problems_with(tmp_path, "relu_unit",
                           lambda t: t.replace("statement: |\n", "statement: |\n  \\badcommand{\n"))
    out, before = good_output(tmp_path)
    result = invoke("--problems", str(folder), "key", "-o", str(out))
    assert result.exit_code == 2, result.output
    assert "LaTeX failed on problems.tex, in problem relu_unit" in result.output
    assert "statement" in result.output
    assert re.search(r"^    .*(!|\.tex:\d+:)", result.output, re.M)
    assert "Traceback" not in result.output
    assert_untouched(out, before)
    log = Path(re.search(r"The full log is (\S+\.log)", result.output).group(1))
    assert log.exists()                   # kept for the user, outside the output folder
    shutil.rmtree(log.parent)


def test_without_tex_the_error_says_how_to_install_it(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))        # no latexmk, no pdflatex
    out, before = good_output(tmp_path)
    result = invoke("key", "relu_unit", "-o", str(out))
    assert result.exit_code == 2
    assert "TeX is not installed" in result.output
    assert f"apt-get install -y --no-install-recommends {TEX_PACKAGES}" in result.output
    assert_untouched(out, before)
    result = invoke("key", "relu_unit", "-o", str(out), "--tex-only")
    assert result.exit_code == 0, result.output
    assert (out / "answer_key.tex").exists() and (out / "answer_key.pdf").read_bytes() == before


def test_show_program_is_true_or_false():
    text = (default_problems_dir() / "relu_unit.yaml").read_text()
    with pytest.raises(SpecError, match="show_program: expected true or false"):
        parse_spec(text.replace("course:", "show_program: maybe\ncourse:"), "relu_unit.yaml")
    assert parse_spec(text.replace("course:", "show_program: false\ncourse:"),
                      "relu_unit.yaml").show_program is False


def test_install_script_checks_the_same_packages_as_the_renderer():
    script = (ROOT / "scripts" / "install-tex.sh").read_text()
    assert f'PACKAGES="{TEX_PACKAGES}"' in script
    assert f'STYLES="{LATEX_STYLES}"' in script
    assert "kpsewhich" in script
