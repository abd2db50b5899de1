"""Answers and verdicts as terminal text."""
from __future__ import annotations

from derive.core.functions import RULE_TEXT
from derive.present.steps import assumption_text, has_math, step_text

import numpy as np


def number_text(x) -> str:
    """A value to 4 significant digits, an integer as an integer: 4e-05 stays 4e-05
    (printing at a fixed 4 decimals showed it as 0, a wrong worked example)."""
    x = float(x)
    if x == round(x) and abs(x) < 1e15:
        return "%d" % round(x)
    return "%.4g" % x

def format_answer(ans, spec, steps: bool = False) -> str:
    """An answer in the course notation, with its verification line."""
    from derive.core.program import format_expr, format_items, format_statement
    lines = [f"{spec.id}:{ans.part} ({ans.kind})"]
    idx = spec.program.indices
    if steps and ans.steps:
        lines.append("  derivation:")
        for st in ans.steps:
            lead = {"visit": "- ", "local": "    ", "emit": "    => "}.get(st.kind, "  * ")
            rules = st.extra.get("rules") if st.extra else None
            note = f"   [{'; '.join(RULE_TEXT[f] for f in rules)}]" if rules else ""
            said = step_text(st, idx) if has_math(st) else st.text
            first, *rest = f"{said}{note}".split("\n")
            lines.append(f"    {lead}{first}")
            lines.extend(" " * (4 + len(lead)) + line for line in rest)   # a table's rows
        lines.append("  answer:")
    if ans.status in ("not-derived", "withheld", "error"):
        lead = {"not-derived": "not derived yet", "withheld": "withheld",
                "error": "not answered"}[ans.status]
        lines.append(f"  {lead}: {ans.message}")
        return "\n".join(lines)
    if ans.status == "given":
        lines.append("  instructor's answer (not derived):")
        lines.extend("    " + l for l in (ans.text or "").rstrip().split("\n"))
        return "\n".join(lines)
    if ans.compact:
        lines.append("  compact form:")
        lines.extend("    " + format_statement(s, idx) for s in ans.compact)
    if ans.closed and not ans.compact:      # the compact form is the closed form, done
        lines.append("  closed form:")
        lines.extend("    " + format_statement(s, idx) for s in ans.closed)
    if ans.program is not None and ans.kind != "numeric":
        if ans.compact:
            lines.append("  backward loops, node by node (a step before the compact form):")
        elif ans.closed:
            lines.append("  backward loops:")
        lines.extend("    " + l for l in format_items(ans.program.items, idx))
    if ans.results:
        head = "  answer:" if ans.kind != "update" else "  update:"
        if head not in lines:
            lines.append(head)
        for r in ans.results:
            value = r.value if isinstance(r.value, str) else format_expr(r.value)
            rel = f" {r.relation} " if r.relation else ": "
            lines.append(f"    {r.label}{rel}{value}" if ans.kind != "update" else f"    {value}")
            if r.note and ans.kind != "update":
                lines.append(f"      ({r.note})")
    if ans.matrix:
        lines.append("  matrix form:")
        for st, form, why in ans.matrix:
            lines.append("    " + (form.text() if form is not None else
                                   f"{format_statement(st, idx)}   (no matrix form: {why})"))
    if ans.values:
        for name, value in ans.values.items():
            text = np.array2string(np.asarray(value, dtype=float),
                                   formatter={"float_kind": number_text})
            lines.append(f"    {name} = {text}")
    if ans.message:
        lines.append(f"  note: {ans.message}")
    if ans.assumptions:
        lines.append("  assumed: " + "; ".join(assumption_text(a) for a in ans.assumptions))
    if getattr(ans, "cost", ""):
        lines.append(f"  cost: {ans.cost}")
    if ans.verification is not None:
        lines.append(f"  verified: {ans.verification.summary()}")
        details = getattr(ans.verification, "details", None)   # Monte Carlo: each check
        lines.extend(f"    {d}" for d in (details() if details else []))
    return "\n".join(lines)


def format_verdict(v) -> str:
    head = {"correct": "CORRECT", "incorrect": "INCORRECT", "unusable": "CANNOT CHECK",
            "error": "INTERNAL ERROR"}[v.verdict]
    lines = [f"{v.problem}:{v.part}: {head}"]
    if v.read_as is not None:         # how the answer was read, before what it means
        lines.append("  read as: " + v.read_as.replace("\n", "\n           "))
    lines.extend(f"    ({note})" for note in v.reading)
    lines.append(f"  {v.message}".replace("\n", "\n  "))
    if len(v.quantities) > 1 or (v.verdict == "incorrect" and v.quantities):
        lines.append("  per quantity: " + ", ".join(f"{q.name} {q.verdict}"
                                                    for q in v.quantities)
                     + (f" (score {v.score:g} of {v.max_score:g})"
                        if v.verdict == "incorrect" else ""))
    for d in v.diagnosis:
        lines.append(f"  - {d}")
    ce = v.counterexample
    if ce:
        lines.append("  counterexample:")
        if "sizes" in ce:
            lines.append("    sizes: " + ", ".join(f"{k}={x}" for k, x in ce["sizes"].items()))
        for name, value in (ce.get("inputs") or {}).items():
            lines.append(f"    {name} = {value}")
        if "entry" in ce:
            lines.append(f"    {ce['entry']}: expected {ce['expected']}, got {ce['got']}")
        else:
            lines.append("    " + ", ".join(f"{k}={x}" for k, x in ce.items()))
    if v.reference:
        lines.append("  reference answer:")
        lines.extend("    " + l for l in v.reference.split("\n"))
    if v.reference_check:
        lines.append("    " + v.reference_check)
    return "\n".join(lines)
