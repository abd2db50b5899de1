"""Every `$ derive ...` example in README.md and docs/ runs as shown (issue 19, item 6).
Each fenced block is a sequence of commands, each followed by its output; a line `...`
in the shown output stands for any number of lines.  The commands are split like a
shell's words (shlex) and run in-process through the click entry point."""
from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
from click.testing import CliRunner

from derive.cli import cli

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def examples():
    out = []
    for doc in DOCS:
        for block in re.findall(r"^```[a-z]*\n(.*?)^```", doc.read_text(), re.S | re.M):
            lines = block.rstrip("\n").split("\n")
            cmd, shown = None, []
            for line in lines + ["$ "]:
                if line.startswith("$ "):
                    if cmd is not None:
                        out.append(pytest.param(cmd, shown, id=f"{doc.name}:{cmd[:40]}"))
                    cmd, shown = (line[2:] if line[2:].startswith("derive ") else None), []
                elif cmd is not None:
                    shown.append(line)
    return out


def matches(shown: list, got: list) -> bool:
    """shown (with `...` for any lines) against got, line by line."""
    if not shown:
        return not got
    if shown[0].strip() == "...":
        return any(matches(shown[1:], got[k:]) for k in range(len(got) + 1))
    return bool(got) and got[0].rstrip() == shown[0].rstrip() and matches(shown[1:], got[1:])


EXAMPLES = examples()


def test_the_readme_has_examples():
    assert len(EXAMPLES) >= 3


@pytest.mark.parametrize("command, shown", EXAMPLES)
def test_example_runs_as_shown(command, shown):
    args = shlex.split(command)[1:]
    result = CliRunner().invoke(cli, args)
    got = result.stdout.rstrip("\n").split("\n") if result.stdout.strip() else []
    assert matches(shown, got), "\n".join(["shown:"] + shown + ["got:"] + got)
