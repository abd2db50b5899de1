"""Specs are untrusted too (issue 19, items 7 and 8): limits are checked before memory is
spent, and files that are not what they claim give exit 2 and a message.  The oversized
specs run in a subprocess under a 2 GiB address-space cap: a refusal that came after the
allocation would be a MemoryError (exit 3) there, not the figures (exit 2)."""
from __future__ import annotations

import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest

PROBLEMS = Path(__file__).resolve().parent.parent / "problems"
CAP = 2 << 30


def derive_capped(*args, cwd=None):
    def cap():
        resource.setrlimit(resource.RLIMIT_AS, (CAP, CAP))
    return subprocess.run([sys.executable, "-m", "derive", *args], capture_output=True,
                          text=True, preexec_fn=cap, timeout=120, cwd=cwd)


def softmax_at(tmp_path, sizes: str) -> Path:
    text = (PROBLEMS / "softmax.yaml").read_text().replace("sizes: {B: 3, J: 4}", sizes)
    assert sizes in text
    (tmp_path / "softmax.yaml").write_text(text)
    return tmp_path


def test_an_oversized_spec_is_refused_with_the_figures_before_any_allocation(tmp_path):
    # sizes: {B: 100000000} once took 21.6 s and 6.2 GB, and a traceback under a cap
    d = softmax_at(tmp_path, "sizes: {B: 100000000, J: 1000}")
    r = derive_capped("--problems", str(d), "verify", "softmax")
    assert r.returncode == 2, r.stderr
    assert "B·J = 10^11 iterations" in r.stderr and "the limit is" in r.stderr
    assert "Traceback" not in r.stderr + r.stdout


def test_an_oversized_size_on_the_command_line_is_refused_too(tmp_path):
    r = derive_capped("run", "softmax", "--size", "B=100000000,J=1000")
    assert r.returncode == 2, r.stderr
    assert "10^11" in r.stderr and "Traceback" not in r.stderr


def test_a_huge_literal_range_is_refused(tmp_path):
    (tmp_path / "huge.yaml").write_text(
        "id: huge\ntitle: h\nsource: t\ntensors:\n  s: {shape: [], role: input}\n"
        "program: |\n  for t in 1..1000000000000: e[t] = s\n"
        "parts:\n  a: {ask: backprop, from: e, to: s, text: x}\n")
    r = derive_capped("--problems", str(tmp_path), "verify", "huge")
    assert r.returncode == 2 and "10^12 iterations" in r.stderr, r.stderr


@pytest.mark.parametrize("digits", [40, 5000])
def test_a_size_of_many_digits_is_refused(tmp_path, digits):
    d = softmax_at(tmp_path, "sizes: {B: " + "9" * digits + ", J: 4}")
    r = derive_capped("--problems", str(d), "verify", "softmax")
    assert r.returncode == 2, r.stderr
    assert "digits" in r.stderr and "Traceback" not in r.stderr


def _bomb() -> str:
    s = 'a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]\n'
    for i in range(1, 10):
        s += f"{chr(97 + i)}: &{chr(97 + i)} [" + ", ".join(["*" + chr(96 + i)] * 9) + "]\n"
    return "id: bomb\n" + s


@pytest.mark.parametrize("kind", ["not_utf8", "fifo", "dev_zero", "large", "alias_bomb"])
@pytest.mark.parametrize("as_what", ["spec", "answer"])
def test_a_file_that_is_not_what_it_claims_is_refused(tmp_path, kind, as_what):
    path = tmp_path / "x.yaml"
    if kind == "not_utf8":
        path.write_bytes(b"id: bad\ntitle: \xff\xfe\n")
    elif kind == "fifo":
        os.mkfifo(path)
    elif kind == "dev_zero":
        path.symlink_to("/dev/zero")
    elif kind == "large":
        with open(path, "wb") as f:
            f.truncate(300 << 20)                           # 300 MB (sparse)
    else:
        path.write_text(_bomb())
    args = ["verify", str(path)] if as_what == "spec" else \
        ["check", "softmax:a", "--file", str(path)]
    r = derive_capped(*args)
    if as_what == "answer" and kind == "alias_bomb":
        assert r.returncode in (1, 2)                 # a text, judged: no expansion there
    else:
        assert r.returncode == 2, (r.stdout, r.stderr)
        msg = r.stderr + r.stdout
        assert {"not_utf8": "not UTF-8", "fifo": "FIFO", "dev_zero": "device",
                "large": "MiB", "alias_bomb": "aliases"}[kind] in msg, msg
    assert "Traceback" not in r.stderr
