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


def compile_tex(tex_path: Path, timeout: float | None = None, progress=None) -> Path:
    """`latexmk -pdf` in the file's folder; a RenderError with the log's errors on failure.

    The run is bounded by `timeout` seconds (default: tex_timeout()); `progress(text)`
    hears every PROGRESS_EVERY seconds that TeX is still running.  On a time-out the
    whole TeX process group is stopped, and the error names the problem TeX was on (the
    last `derive: problem ID` marker the document wrote to the log)."""
    import os
    import signal
    import time
    limit = tex_timeout() if timeout is None else timeout
    try:
        proc = subprocess.Popen(LATEXMK + [tex_path.name], cwd=tex_path.parent,
                                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, env=tex_environment(),
                                start_new_session=True)
    except OSError as e:
        raise RenderError(f"cannot run latexmk: {e.strerror}. Install TeX with\n"
                          f"    {INSTALL_TEX}")
    start = time.monotonic()
    try:
        while True:
            try:
                out, _ = proc.communicate(timeout=min(PROGRESS_EVERY,
                                                      max(0.1, limit - (time.monotonic()
                                                                        - start))))
                break
            except subprocess.TimeoutExpired:
                spent = time.monotonic() - start
                if spent >= limit:
                    _stop(proc, os, signal)
                    seen = (proc.communicate()[0] or b"").decode(errors="replace")
                    raise RenderError(
                        f"LaTeX did not finish {tex_path.name} in {limit:g} s"
                        + _hung_on(tex_path, seen) + "; the limit is --tex-timeout (or "
                        "DERIVE_TEX_TIMEOUT)") from None
                if progress:
                    progress(f"  ... TeX still running on {tex_path.name} ({spent:.0f} s)")
    except BaseException:
        if proc.poll() is None:            # Ctrl-C: TeX stops with us
            _stop(proc, os, signal)
        raise
    pdf = tex_path.with_suffix(".pdf")
    if proc.returncode != 0 or not pdf.exists():
        log = tex_path.with_suffix(".log")
        log_text = log.read_text(errors="replace") if log.exists() else \
            out.decode(errors="replace")
        raise RenderError(tex_failure(tex_path, log_text))
    return pdf


def _stop(proc, os, signal):
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        proc.kill()
    proc.wait()


def _hung_on(tex_path: Path, seen: str = "") -> str:
    """', in the text of problem ID' from the last marker TeX printed (its terminal
    output, or its log)."""
    log = tex_path.with_suffix(".log")
    text = seen + (log.read_text(errors="replace") if log.exists() else "")
    found = re.findall(r"derive: problem (\S+)", text)
    return (f", in the text of problem {found[-1]} (its statement: or a part's text:, "
            "where a macro may loop)") if found else ""


def tex_timeout() -> float:
    """Seconds for one TeX document: $DERIVE_TEX_TIMEOUT, else TEX_TIMEOUT."""
    import os
    raw = os.environ.get("DERIVE_TEX_TIMEOUT", "")
    try:
        v = float(raw)
        return v if v > 0 else TEX_TIMEOUT
    except ValueError:
        return TEX_TIMEOUT


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
# pdflatex's terminal output line-buffered (stdbuf, where coreutils has it), so that the
# `derive: problem ID` marker of a run that hangs reaches us before it is stopped
_LINE_BUFFERED = "stdbuf -oL " if shutil.which("stdbuf") else ""
LATEXMK = ["latexmk", "-norc", "-pdf",
           f"-pdflatex={_LINE_BUFFERED}pdflatex -no-shell-escape %O %S",
           "-interaction=nonstopmode", "-halt-on-error", "-file-line-error"]


def tex_environment() -> dict:
    """The environment of a TeX run: kpathsea's paranoid mode, so that TeX opens no
    file outside the build folder (and its own installation) for reading or writing,
    whatever a spec's text says; and no shell escape."""
    import os
    return {**os.environ, "openin_any": "p", "openout_any": "p", "shell_escape": "f"}


TEX_TIMEOUT = 60           # seconds for one document (a full key takes about 10)
PROGRESS_EVERY = 10        # seconds between "TeX still running" lines


class RenderError(DeriveError):
    """The documents cannot be built (no TeX, or TeX failed): exit code 2."""
