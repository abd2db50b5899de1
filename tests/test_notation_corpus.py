"""The notation corpus (tests/notation_corpus): answers in the notations students type,
labelled independently.  Whatever derive does not read yet, it must never call a wrong
answer correct, and never crash (bench/check_notation.py prints the acceptance figures)."""
from __future__ import annotations

import functools
from pathlib import Path

import pytest
import yaml

from derive.check.answer import check_answer
from derive.front.folder import resolve_problem
from derive.front.spec import load_spec

ENTRIES = [e for name in ("notation_corpus", "notation_corpus2", "notation_corpus3",
                                    "notation_corpus4", "notation_corpus5")
           for e in yaml.safe_load((Path(__file__).parent / name / "answers.yaml").read_text())]


@functools.lru_cache(maxsize=None)
def spec(pid):
    return load_spec(resolve_problem(pid))


@pytest.mark.parametrize("k", range(len(ENTRIES)),
                         ids=[f"{e['problem']}:{e['part']}#{k}" for k, e in enumerate(ENTRIES)])
def test_never_a_false_correct_nor_a_crash(k):
    e = ENTRIES[k]
    v = check_answer(spec(e["problem"]), str(e["part"]), e["answer"])
    assert v.verdict != "error", v.message
    if e["expected"] == "incorrect":
        assert v.verdict != "correct", (e["answer"], v.read_as)
