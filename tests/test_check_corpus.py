"""`derive check` against answers nobody on the team wrote.

tests/corpus*/answers.yaml hold students' answers to the bundled problems, each
labelled with its true verdict by an independent derivation and numerical check
(autograd on hand-written forward passes, the corpus's own loop evaluator, SymPy and
Monte Carlo; see tests/corpus/README.md).  Every answer is judged here: the verdict
must be the label's, and never "correct" for a wrong answer, never an internal error.
The figures (verdicts right, diagnoses that name the mistake) are printed by
bench/check_corpus.py.
"""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from derive.check.answer import check_answer
from derive.front.spec import load_spec
from derive.front.folder import resolve_problem

HERE = Path(__file__).resolve().parent
CORPORA = sorted(HERE.glob("corpus*/answers.yaml"))
ENTRIES = [e | {"_corpus": p.parent.name} for p in CORPORA for e in yaml.safe_load(p.read_text())]
_SPECS: dict = {}


def spec_of(problem: str):
    if problem not in _SPECS:
        _SPECS[problem] = load_spec(resolve_problem(problem))
    return _SPECS[problem]


@pytest.mark.parametrize("entry", ENTRIES, ids=[f"{e['_corpus']}:{e['id']}" for e in ENTRIES])
def test_corpus_answer_gets_its_true_verdict(entry):
    v = check_answer(spec_of(entry["problem"]), str(entry["part"]), entry["answer"])
    assert v.verdict != "error", v.message
    if entry["expected"] != "correct":
        assert v.verdict != "correct", f"false correct: {entry.get('note')}"
    assert v.verdict == entry["expected"], (v.message, v.diagnosis, entry.get("note"))


def test_the_corpus_is_there():
    assert len(ENTRIES) >= 200
