"""An answer checked against a variant: one written in another variant's names (copied
from a classmate, or from the problem as first written) is judged incorrect and says so,
rather than refused as unreadable (which PrairieLearn would not even charge)."""
from __future__ import annotations

import re

from derive.check.answer import check_answer

_WORD = re.compile(r"(?<![\w.])[A-Za-z_][A-Za-z0-9_]*")


def foreign_names(spec) -> dict:
    """name another variant gives a tensor or index -> the name this variant gives it
    (names this variant uses for something else left out)."""
    v = spec.variant
    if v is None:
        return {}
    own = set(spec.program.tensors) | set(spec.program.indices) | set(spec.size_symbols) \
        | set(spec.symbols)
    out = {}
    for name, names in v.aliases.items():
        mine = v.names.get(name, name)
        upper = name in v.names and name.upper() in v.names   # an index: its size too
        for other in names:
            if other != mine and other not in own:
                out[other] = mine
            if upper and other.upper() != mine.upper() and other.upper() not in own:
                out[other.upper()] = mine.upper()
    return out


def judge_variant(spec, verdict, text: str):
    """The verdict, with an unreadable answer that uses another variant's names made
    incorrect (no points) and told which names this variant uses."""
    if verdict.verdict != "unusable" or verdict.limited or spec.variant is None:
        return verdict
    foreign = foreign_names(spec)
    hits = sorted({w for w in _WORD.findall(text) if w in foreign})
    if not hits:
        return verdict
    said = ", ".join(f"{w} is {foreign[w]}" for w in hits)
    verdict.verdict = "incorrect"
    verdict.quantities = []
    verdict.message = (f"this answer is written in the names of another variant: in "
                       f"{spec.variant.name}, {said}.\n{verdict.message}")
    return verdict


def check_variant(spec, part: str, text: str, **options):
    """check_answer, then judge_variant."""
    return judge_variant(spec, check_answer(spec, part, text, **options), text)
