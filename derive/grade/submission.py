"""A student's submission for a whole problem set: one block per part.

Markdown (the default):

    # any title, ignored
    ## softmax:a
    for b, j: s.grad[b, j] += p.grad[b, j] * p[b, j]

    ## he_init:b
    sigma_W = sqrt(2/n)

A block runs from its `## PROBLEM:PART` heading to the next heading; a fenced code block
(```) inside it is the answer, else the block's text.  YAML is a mapping
`PROBLEM:PART: answer`.

Lines before the first heading may say whose submission it is and which variants it
answers (`derive key --variants` prints them on each student's sheet):

    student: ada@example.edu
    variants: softmax#17, dropout#3

and a heading may name its variant itself (`## softmax#17:a`).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import yaml

from derive.core.errors import SpecError

HEADING = re.compile(r"^##\s+([A-Za-z_][\w\-]*(?:#\d+)?)\s*:\s*([A-Za-z0-9_]+)\s*$")
HEADER = re.compile(r"^\s*(student|name|variants?)\s*:\s*(.*?)\s*$", re.I)
HEADER_KEYS = ("student", "name", "variant", "variants")
FENCE = re.compile(r"^\s*```")


@dataclass
class Block:
    problem: str
    part: str
    answer: str
    line: int          # the heading's line (1-based), for messages


def parse_submission(text: str, name: str = "submission") -> list:
    """The blocks of a submission (Markdown, or YAML when it is a mapping)."""
    stripped = text.lstrip("\ufeff")
    if not any(HEADING.match(l) for l in stripped.splitlines()):
        try:
            data = yaml.safe_load(stripped)
        except yaml.YAMLError as e:
            raise SpecError(f"neither Markdown blocks (## problem:part) nor YAML: {e}",
                            name) from None
        if not isinstance(data, dict):
            raise SpecError("no answers found: write a block per part, headed "
                            "`## problem:part`", name)
        out = []
        for k, (key, value) in enumerate(data.items(), 1):
            if str(key).lower() in HEADER_KEYS:
                continue
            problem, _, part = str(key).partition(":")
            if not part:
                raise SpecError(f"{key!r} is not PROBLEM:PART", name)
            out.append(Block(problem.strip(), part.strip(), str(value or ""), k))
        return out
    blocks, current, body = [], None, []
    for n, line in enumerate(stripped.splitlines(), 1):
        m = HEADING.match(line)
        if m:
            if current:
                blocks.append(_block(current, body))
            current, body = (m.group(1), m.group(2), n), []
        elif current:
            body.append(line)
    if current:
        blocks.append(_block(current, body))
    return blocks


def parse_header(text: str) -> dict:
    """The header of a submission: {"student": id, "name": name, "variants": [names]}
    from its lines before the first heading (or a YAML mapping's keys of those names)."""
    stripped = text.lstrip("\ufeff")
    out: dict = {}
    if not any(HEADING.match(l) for l in stripped.splitlines()):
        try:
            data = yaml.safe_load(stripped)
        except yaml.YAMLError:
            return out
        lines = [f"{k}: {v}" for k, v in data.items() if str(k).lower() in HEADER_KEYS] \
            if isinstance(data, dict) else []
    else:
        lines = []
        for line in stripped.splitlines():
            if HEADING.match(line):
                break
            lines.append(line)
    for line in lines:
        m = HEADER.match(line)
        if not m or not m.group(2):
            continue
        key, value = m.group(1).lower(), m.group(2)
        if key.startswith("variant"):
            out.setdefault("variants", []).extend(
                x.strip() for x in re.split(r"[,\s]+", value) if x.strip())
        else:
            out[key] = value
    return out


def _block(head, body) -> Block:
    problem, part, line = head
    fenced, inside, lines = [], False, []
    for l in body:
        if FENCE.match(l):
            inside = not inside
            continue
        (fenced if inside else lines).append(l)
    text = "\n".join(fenced) if fenced else "\n".join(lines)
    return Block(problem, part, text.strip("\n"), line)


def template(specs) -> str:
    """A submission template for `specs`: every checkable part, with its question."""
    out = ["# Answers", "",
           "Write each answer below its heading, in the course notation (see",
           "docs/writing-answers.md). Keep the headings as they are.", ""]
    for spec in specs:
        for label, part in spec.parts.items():
            if part.kind in ("text",):
                continue
            out.append(f"## {spec.id}:{label}")
            question = " ".join(str(part.args.get("text", "")).split())
            if question:
                out.append(f"<!-- {question[:300]} -->")
            out += ["", ""]
    return "\n".join(out)
