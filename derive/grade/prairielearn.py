"""PrairieLearn: `derive export prairielearn PROBLEM -o DIR` writes one question folder
per part (info.json, question.html, server.py, the spec as a client-invisible file).

server.py's `parse(data)` refuses an answer derive cannot read by setting
`data["format_errors"]` (PrairieLearn then charges no attempt), and `grade(data)` sets
`data["partial_scores"]`, `data["score"]` and the feedback from derive's verdict.  The
external-grader mode (`run_external`) writes /grade/results/results.json with
`gradable`, `score`, `message` and `tests[]`.

A problem with `vary:` gets a variant per question instance: `generate(data)` draws it
from PrairieLearn's `variant_seed` (the first offered variant the seed hashes to, derived
and verified) and sets `data["params"]` (variant, k, choices, statement, question);
`parse` and `grade` judge the answer against the variant in `data["params"]`."""
from __future__ import annotations

import html
import json
import shutil
import uuid
from pathlib import Path

from derive.grade.variant_check import check_variant
from derive.core.version import VERSION
from derive.front.spec import load_spec
from derive.present.text import format_verdict

NAMESPACE = uuid.UUID("6f1c2a4e-6b0e-4f7a-9a53-3d1f7c0b2d11")

SERVER = '''"""PrairieLearn server.py written by derive {version}: the answer is judged by derive."""
from pathlib import Path

from derive.grade.prairielearn import generate_data, grade_data, parse_data

SPEC = Path(__file__).parent / "clientFilesQuestion" / "{problem}.yaml"
PART = "{part}"


def generate(data):
    generate_data(data, SPEC, PART)


def parse(data):
    parse_data(data, SPEC, PART)


def grade(data):
    grade_data(data, SPEC, PART)
'''

QUESTION = """<pl-question-panel>
<p><strong>{title}</strong> ({{{{params.variant}}}}, part {part})</p>
<p>{{{{{{params.statement}}}}}}</p>
<p>{{{{{{params.question}}}}}}</p>
</pl-question-panel>
<pl-string-input answers-name="answer" label="Answer" size="80"
  placeholder="in the course notation, Unicode or LaTeX"></pl-string-input>
<pl-submission-panel>{{{{feedback.derive}}}}</pl-submission-panel>
"""


def export(spec, out_dir) -> list:
    """One question folder per checkable part of `spec`; their paths."""
    out, made = Path(out_dir), []
    for label, part in spec.parts.items():
        if part.kind == "text":
            continue
        q = out / f"{spec.id}_{label}"
        (q / "clientFilesQuestion").mkdir(parents=True, exist_ok=True)
        shutil.copy(spec.path, q / "clientFilesQuestion" / f"{spec.id}.yaml")
        info = {"uuid": str(uuid.uuid5(NAMESPACE, f"{spec.id}:{label}")),
                "title": f"{spec.title} ({label})", "topic": "Backpropagation",
                "tags": ["derive", spec.id], "type": "v3",
                "gradingMethod": "Internal", "singleVariant": spec.vary is None}
        (q / "info.json").write_text(json.dumps(info, indent=2))
        text = html.escape(" ".join(str(part.args.get("text", "")).split()))
        (q / "question.html").write_text(QUESTION.format(
            title=html.escape(spec.title), problem=spec.id, part=label, text=text))
        (q / "server.py").write_text(SERVER.format(version=VERSION, problem=spec.id,
                                                   part=label))
        made.append(q)
    return made


SEED_SALT = "prairielearn"


def _spec(data, spec_path):
    """The spec an instance is about: its variant (data["params"]["variant"]), verified."""
    from derive.answers.variants import NoVariant, offer
    from derive.front.variants import parse_variant_name
    spec = load_spec(spec_path)
    name = str((data.get("params") or {}).get("variant") or spec.id)
    problem, k = parse_variant_name(name)
    if k is None or spec.vary is None:
        return spec
    o = offer(spec, k)
    if not o.offered:
        raise NoVariant(f"{name} is not offered: {o.reason}", spec.path, "vary")
    return o.spec


def generate_data(data, spec_path, part):
    """data["params"] of a new instance: its variant (drawn from data["variant_seed"])
    and the statement and question as that variant says them (HTML-escaped)."""
    from derive.answers.variants import assign
    spec = load_spec(spec_path)
    if spec.vary is not None:
        spec = assign(spec, str(data.get("variant_seed", 0)), SEED_SALT).spec
    v = spec.variant
    data.setdefault("params", {}).update({
        "variant": v.name if v else spec.id, "k": v.k if v else 0,
        "choices": v.describe() if v else "",
        "statement": html.escape(" ".join(spec.statement.split())),
        "question": html.escape(" ".join(str(spec.part(part).text).split()))})


def _answer(data) -> str:
    return str((data.get("submitted_answers") or {}).get("answer") or "")


def parse_data(data, spec_path, part):
    """An answer derive cannot read is a format error: no attempt is charged."""
    v = check_variant(_spec(data, spec_path), part, _answer(data))
    if v.verdict == "unusable":
        data.setdefault("format_errors", {})["answer"] = v.message


def grade_data(data, spec_path, part):
    """Per-quantity partial scores, the total score (0 to 1) and derive's feedback."""
    v = check_variant(_spec(data, spec_path), part, _answer(data))
    if v.verdict == "unusable":
        data.setdefault("format_errors", {})["answer"] = v.message
        return
    fraction = v.score / v.max_score if v.max_score else 0.0
    data.setdefault("partial_scores", {})["answer"] = {
        "score": fraction, "weight": 1, "feedback": format_verdict(v)}
    data["score"] = fraction
    data.setdefault("feedback", {})["derive"] = format_verdict(v)


def run_external(root="/grade", spec_path=None, part=None) -> dict:
    """External-grader mode: ROOT/data/data.json in, ROOT/results/results.json out."""
    root = Path(root)
    out = root / "results"
    out.mkdir(parents=True, exist_ok=True)
    try:
        data = json.loads((root / "data" / "data.json").read_text())
        v = check_variant(_spec(data, spec_path), part, _answer(data))
        result = {"gradable": v.verdict != "unusable",
                  "score": v.score / v.max_score if v.max_score else 0.0,
                  "message": v.message,
                  "tests": [{"name": q.name, "points": 1 if q.verdict == "correct" else 0,
                             "max_points": 1, "message": q.message}
                            for q in v.quantities]}
    except Exception as e:  # noqa: BLE001 - results.json is written whatever happens
        result = {"gradable": False, "score": 0.0,
                  "message": f"derive could not grade: {type(e).__name__}: {e}", "tests": []}
    (out / "results.json").write_text(json.dumps(result, indent=2))
    return result
