"""A second reference for loop answers, independent of derive's own: autograd on the
hand-written NumPy forward passes of tests/corpus/autograd_reference.py.

1. derive's derived backward programs (what `derive solve` prints) compute the
   gradients autograd computes, for every backprop and gradient part.
2. Every loop answer of the corpus, run by derive's parser and executor, agrees with
   autograd exactly when its label says correct: derive neither runs a wrong answer
   into a right one (the `=` that accumulated) nor a right one into a wrong one.
3. Hypothesis mutates correct answers (`=` <-> `+=`, a dropped term, a NaN-producing
   term, a parenthesised sum with a capital index, a term added inside parentheses):
   a mutation is judged correct only if the corpus's own evaluator (loopnum.py, which
   shares no code with derive) finds it computes the same gradients, and no mutation
   gives a traceback or a verdict outside correct / incorrect / unusable.
"""
from __future__ import annotations

import re
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

pytest.importorskip("autograd")

CORPUS = Path(__file__).resolve().parent / "corpus"
sys.path.insert(0, str(CORPUS))
import autograd_reference as R  # noqa: E402
import harness as H  # noqa: E402

from derive.front.spec import answer_scope
from derive.check.answer import check_answer
from derive.check.loops import _reference  # noqa: E402
from derive.core.errors import DeriveError  # noqa: E402
from derive.run.execute import Executor
from derive.run.execute import run  # noqa: E402
from derive.front.resolve import build_program  # noqa: E402
from derive.front.spec import load_spec
from derive.front.folder import resolve_problem  # noqa: E402

ENTRIES = yaml.safe_load((CORPUS / "answers.yaml").read_text())
_SPECS: dict = {}


def spec_of(problem):
    if problem not in _SPECS:
        _SPECS[problem] = load_spec(resolve_problem(problem))
    return _SPECS[problem]


def _symbols(allv):
    return {k: float(v) for k, v in allv.items() if k in R.SYMBOL_VALUES}


def derive_run(problem, part, program, sizes, seed):
    """Run a backward program with derive's executor on the reference's inputs:
    ({gradient: derive's value}, {gradient: autograd's value})."""
    ref = R.REFERENCES[f"{problem}:{part}"]
    values, allv, upstream = R.part_values(problem, part, sizes, np.random.default_rng(seed))
    want = ref.fn(values, upstream)
    spec = spec_of(problem)
    given = {n: v for n, v in allv.items() if n in spec.program.tensors
             and spec.program.tensors[n].role in ("input", "parameter")}
    # derive's forward run supplies the temporaries of its own desugaring (R_in, ...)
    fwd = run(spec.program, sizes, given, symbol_values=_symbols(allv))
    ex = Executor(program, sizes, _symbols(allv))
    for name, value in list(fwd.items()) + list(allv.items()) + list(upstream.items()):
        if name in program.tensors:
            ex.env[name] = np.array(value, dtype=float, copy=True)
    ex.run()
    got = {g: ex.array(g) if g in program.tensors else None for g in want}
    return got, want


def _same(got, want):
    return got is not None and got.shape == want.shape and np.all(np.isfinite(got)) and \
        np.allclose(got, want, rtol=1e-8, atol=1e-10 * max(1.0, float(np.abs(want).max(initial=0))))


PARTS = sorted(R.REFERENCES)


@pytest.mark.parametrize("target", PARTS)
def test_the_derived_backward_program_agrees_with_autograd(target):
    problem, part = target.split(":")
    spec = spec_of(problem)
    bw = _reference(spec, spec.part(part), simplify=True)
    for sizes in H.SIZES[problem]:
        got, want = derive_run(problem, part, bw.program, sizes, 0)
        for g in want:
            assert _same(got[g], want[g]), (g, sizes)


LOOP_KINDS = ("backprop", "gradient")
LOOPS = [e for e in ENTRIES if e["expected"] in ("correct", "incorrect")
         and f"{e['problem']}:{e['part']}" in R.REFERENCES
         and spec_of(e["problem"]).part(str(e["part"])).kind in LOOP_KINDS]


@pytest.mark.parametrize("entry", LOOPS, ids=[e["id"] for e in LOOPS])
def test_a_loop_answer_run_by_derive_agrees_with_autograd_exactly_when_correct(entry):
    problem, part = entry["problem"], str(entry["part"])
    spec = spec_of(problem)
    try:
        prog = build_program(entry.get("plain", entry["answer"]), answer_scope(spec),
                             answer=True)
    except DeriveError:
        # the index-range errors derive refuses to run (judged incorrect by the check)
        assert entry["expected"] == "incorrect"
        return
    bw = _reference(spec, spec.part(part))
    prog.tensors = {**bw.program.tensors, **prog.tensors}
    agree = True
    for sizes in H.SIZES[problem]:
        for seed in (0, 1):
            try:
                got, want = derive_run(problem, part, prog, sizes, seed)
            except DeriveError:
                agree = False
                continue
            agree = agree and all(_same(got[g], want[g]) for g in want)
    assert agree == (entry["expected"] == "correct"), entry.get("note")


# --------------------------------------------------------------------------
# mutations of correct answers
# --------------------------------------------------------------------------

CORRECT = [e for e in LOOPS if e["expected"] == "correct" and len(e["answer"]) < 1200]


def _mutations(text: str) -> list:
    """(kind, mutated text) for every place a mutation applies."""
    out = []
    for m in re.finditer(r"(?<![+\-=<>!])(\+=|-=|=)(?!=)", text):
        op = m.group(1)
        for new in {"=": ("+=",), "+=": ("=", "-="), "-=": ("=", "+=")}[op]:
            out.append(("operator", text[:m.start()] + new + text[m.end():]))
    lines = text.rstrip("\n").split("\n")
    for k, line in enumerate(lines):
        lhs, op, rhs = re.split(r"(\+=|-=|=)", line, maxsplit=1) if re.search(r"=", line) \
            else (line, "", "")
        if not op:
            continue
        terms = re.split(r"(?<=[\w\])])\s*([+-])\s*(?=[\w(])", rhs)
        if len(terms) >= 3:                         # drop the last top-level-looking term
            dropped = "".join(terms[:-2])
            out.append(("dropped term", "\n".join(lines[:k] + [lhs + op + dropped]
                                                  + lines[k + 1:])))
        out.append(("nan term", "\n".join(lines[:k] + [lhs + op + rhs.rstrip() + " + 0 * log(0)"]
                                          + lines[k + 1:])))
        out.append(("zero inside parentheses", "\n".join(
            lines[:k] + [lhs + op + " (" + rhs.strip() + " + 0)"] + lines[k + 1:])))
        out.append(("one inside parentheses", "\n".join(
            lines[:k] + [lhs + op + " (" + rhs.strip() + " + 1)"] + lines[k + 1:])))
        cap = re.search(r"\b([A-Za-z_][A-Za-z0-9_.]*)\[([^\]]*\b[A-Z]\b[^\]]*)\]", rhs)
        if cap:
            wrapped = rhs.replace(cap.group(0), f"({cap.group(0)} + 0)", 1)
            out.append(("capital in parentheses", "\n".join(lines[:k] + [lhs + op + wrapped]
                                                            + lines[k + 1:])))
            plus = rhs.replace(cap.group(0), f"({cap.group(0)} + 1)", 1)
            out.append(("capital beside a constant", "\n".join(lines[:k] + [lhs + op + plus]
                                                               + lines[k + 1:])))
    return out


@settings(max_examples=60, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data())
def test_no_mutation_of_a_correct_answer_is_judged_correct_unless_it_computes_the_same(data):
    entry = data.draw(st.sampled_from(CORRECT))
    muts = _mutations(entry.get("plain", entry["answer"]))
    if not muts:
        return
    kind, text = data.draw(st.sampled_from(muts))
    problem, part = entry["problem"], str(entry["part"])
    v = check_answer(spec_of(problem), part, text, time_limit_s=5)
    assert v.verdict in ("correct", "incorrect", "unusable"), (kind, v.message)
    if v.verdict == "correct":
        truth, details = H.judge_loop(problem, part, spec_of(problem).part(part).kind, text)
        assert truth == "correct", (kind, text, details)
