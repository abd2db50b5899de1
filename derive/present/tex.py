"""TeX: installed?, compiled with latexmk in a build folder, errors traced back."""
from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from derive.core.errors import DeriveError

# ---------------------------------------------------------------------------
# TeX
# ---------------------------------------------------------------------------


def check_tex():
    """latexmk and pdflatex on PATH, or a RenderError that says how to install them."""
    missing = [t for t in ("latexmk", "pdflatex") if shutil.which(t) is None]
    if missing:
        raise RenderError(
            f"TeX is not installed ({', '.join(missing)} not found on PATH), so the PDFs "
            f"cannot be built. Install it with\n    {INSTALL_TEX}\n(or run `make tex`), "
            f"or write only the .tex files with --tex-only.")


def compile_tex(tex_path: Path) -> Path:
    """`latexmk -pdf` in the file's folder; a RenderError with the log's errors on failure."""
    try:
        proc = subprocess.run(LATEXMK + [tex_path.name], cwd=tex_path.parent,
                              stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, timeout=TEX_TIMEOUT,
                              env=tex_environment())
    except subprocess.TimeoutExpired:
        raise RenderError(f"LaTeX did not finish {tex_path.name} in {TEX_TIMEOUT} s")
    except OSError as e:
        raise RenderError(f"cannot run latexmk: {e.strerror}. Install TeX with\n"
                          f"    {INSTALL_TEX}")
    pdf = tex_path.with_suffix(".pdf")
    if proc.returncode != 0 or not pdf.exists():
        log = tex_path.with_suffix(".log")
        log_text = log.read_text(errors="replace") if log.exists() else \
            proc.stdout.decode(errors="replace")
        raise RenderError(tex_failure(tex_path, log_text))
    return pdf


def tex_errors(log_text: str, after: int = 4, limit: int = 3) -> list[list[str]]:
    """The error lines of a TeX log (`! ...` or `file:line: ...`) and a few lines after each."""
    lines = log_text.splitlines()
    found = []
    k = 0
    while k < len(lines) and len(found) < limit:
        if lines[k].startswith("!") or re.match(r"^\S+\.tex:\d+: ", lines[k]):
            found.append(lines[k:k + after + 1])
            k += after + 1
        else:
            k += 1
    return found


def tex_failure(tex_path: Path, log_text: str) -> str:
    """A readable message: where the error is (problem, spec key) and the log's lines."""
    errors = tex_errors(log_text)
    where = ""
    for block in errors:
        m = re.match(r"^\S+\.tex:(\d+): ", block[0]) or next(
            (re.match(r"^l\.(\d+) ", l) for l in block if re.match(r"^l\.\d+ ", l)), None)
        if m:
            where = locate(tex_path, int(m.group(1)))
            break
    shown = "\n".join("    " + l for block in errors for l in block) or \
        "    (no error lines in the log; its end:)\n" + "\n".join(
            "    " + l for l in log_text.splitlines()[-15:])
    head = f"LaTeX failed on {tex_path.name}"
    if where:
        head += f", in {where}"
    return (f"{head}:\n{shown}\nThe full log is {tex_path.with_suffix('.log')} "
            f"(the output folder was left as it was).")


def overfull_lines(tex_path: Path, tolerance_pt: float = 1.0) -> list[str]:
    """Lines that run into the margin (TeX's `Overfull \\hbox`), with where they come from."""
    log = tex_path.with_suffix(".log")
    text = log.read_text(errors="replace") if log.exists() else ""
    out = []
    for m in re.finditer(r"^Overfull \\hbox \(([\d.]+)pt too wide\) .*?lines? (\d+)", text, re.M):
        if float(m.group(1)) > tolerance_pt:
            where = locate(tex_path, int(m.group(2))) or f"line {m.group(2)}"
            out.append(f"a line {float(m.group(1)):.0f}pt too wide in {where}")
    return out


def locate(tex_path: Path, line: int) -> str:
    """The `% derive:` marker above a line of the generated .tex."""
    try:
        lines = tex_path.read_text(encoding="utf-8").splitlines()
    except OSError:
        return ""
    for k in range(min(line, len(lines)) - 1, -1, -1):
        if lines[k].startswith("% derive: "):
            return lines[k][len("% derive: "):]
    return ""


# Debian/Ubuntu packages with everything the documents need (kept in step with
# scripts/install-tex.sh, which installs them)
TEX_PACKAGES = ("texlive-latex-base texlive-latex-recommended texlive-latex-extra "
                "latexmk lmodern poppler-utils")


# the LaTeX packages the documents load (scripts/install-tex.sh checks them with kpsewhich)
LATEX_STYLES = ("lmodern.sty microtype.sty geometry.sty amsmath.sty amssymb.sty booktabs.sty "
                "array.sty enumitem.sty tcolorbox.sty pgf.sty hyperref.sty lastpage.sty")


INSTALL_TEX = ("sudo apt-get update && sudo DEBIAN_FRONTEND=noninteractive apt-get install "
               f"-y --no-install-recommends {TEX_PACKAGES}")


# no shell escape; TeX runs in the build folder only
LATEXMK = ["latexmk", "-norc", "-pdf", "-pdflatex=pdflatex -no-shell-escape %O %S",
           "-interaction=nonstopmode", "-halt-on-error", "-file-line-error"]


def tex_environment() -> dict:
    """The environment of a TeX run: kpathsea's paranoid mode, so that TeX opens no
    file outside the build folder (and its own installation) for reading or writing,
    whatever a spec's text says; and no shell escape."""
    import os
    return {**os.environ, "openin_any": "p", "openout_any": "p", "shell_escape": "f"}


TEX_TIMEOUT = 600          # seconds for one document


class RenderError(DeriveError):
    """The documents cannot be built (no TeX, or TeX failed): exit code 2."""
