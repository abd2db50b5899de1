"""Variants (issue 17): `vary:` read and validated, drawn deterministically, redrawn under
requirements, applied at the spec level (so the sheet, the key and the checker see the
same renamed problem), and only offered when derived and verified."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from derive.answers.variants import (NoVariant, assign, candidates, fingerprint, offer,
                                     shared_answers, unmet, variant_spec)
from derive.check.answer import check_answer
from derive.core.errors import SpecError
from derive.core.program import format_program
from derive.front.spec import load_spec, parse_spec
from derive.front.variants import draw, parse_variant_name
from derive.present.variant_sheets import section

ROOT = Path(__file__).resolve().parents[1]
PROBLEMS = ROOT / "problems"
VARIED = ("softmax", "dropout", "mlp_numeric")


def spec_of(pid):
    return load_spec(PROBLEMS / f"{pid}.yaml")


def with_vary(pid, vary):
    """A bundled spec with another vary: block (read from text, as a file would be)."""
    raw = yaml.safe_load((PROBLEMS / f"{pid}.yaml").read_text())
    raw["vary"] = vary
    return parse_spec(yaml.safe_dump(raw, sort_keys=False), str(PROBLEMS / f"{pid}.yaml"))


def loops_answer(ans) -> str:
    """A correct loop answer, as a student would type it."""
    return format_program(ans.program)


# ---------------------------------------------------------------------------
# determinism
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("pid", VARIED)
def test_the_same_number_is_the_same_problem(pid):
    a = [variant_spec(spec_of(pid), k).variant.choices for k in range(1, 8)]
    b = [variant_spec(spec_of(pid), k).variant.choices for k in range(1, 8)]
    assert a == b
    assert len({repr(c) for c in a}) > 1              # the variants do differ


def test_the_same_variant_in_another_process():
    # another interpreter, another hash seed: sha256 makes the draw the same
    code = ("from derive.front.spec import load_spec\n"
            "from derive.answers.variants import variant_spec, candidates\n"
            "s = load_spec('problems/mlp_numeric.yaml')\n"
            "print(repr(variant_spec(s, 17).variant.choices))\n"
            "print(candidates('softmax', 'ada@example.edu', 'course-2026')[:3])\n")
    outs = {subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                           text=True, env={"PYTHONHASHSEED": seed, "PATH": ""}).stdout
            for seed in ("1", "2")}
    here = (repr(variant_spec(spec_of("mlp_numeric"), 17).variant.choices) + "\n"
            + str(candidates("softmax", "ada@example.edu", "course-2026")[:3]) + "\n")
    assert outs == {here}


def test_a_student_id_and_seed_give_one_variant():
    s = spec_of("dropout")
    assert assign(s, "ada", "fall").name == assign(spec_of("dropout"), "ada", "fall").name
    names = {assign(s, f"student{n}", "fall").name for n in range(12)}
    assert len(names) > 1
    assert candidates("dropout", "ada", "fall") != candidates("dropout", "ada", "spring")


def test_variant_names_are_parsed():
    assert parse_variant_name("softmax#17") == ("softmax", 17)
    assert parse_variant_name("softmax") == ("softmax", None)
    for bad in ("softmax#0", "softmax#x", "softmax#"):
        with pytest.raises(SpecError, match="PROBLEM#N"):
            parse_variant_name(bad)


# ---------------------------------------------------------------------------
# requirements
# ---------------------------------------------------------------------------


def test_a_draw_that_breaks_a_requirement_is_drawn_again():
    s = spec_of("mlp_numeric")
    redrawn = 0
    for k in range(1, 10):
        vs = variant_spec(s, k)
        redrawn += vs.variant.attempt > 0
        assert unmet(vs, s.vary.requires) is None
        if vs.variant.attempt:                  # the first draw broke one of them
            first = draw(s, k, 0)
            assert first.choices != vs.variant.choices
    assert redrawn > 0
    offered = offer(s, 3)
    grads = next(a for a in offered.answers if a.part == "backward").values["W.grad"]
    assert (abs(grads) > 1e-12).all()


def test_a_requirement_no_draw_meets_is_an_error():
    s = with_vary("dropout", {"q": [0.5, 0.8], "requires": ["n > 100"]})
    with pytest.raises(NoVariant, match="none of 64 draws"):
        variant_spec(s, 1)
    o = offer(s, 1)
    assert not o.offered and "n > 100" in o.reason


@pytest.mark.parametrize("vary, key, message", [
    ({"Z": [1, 2]}, "vary.Z", "a tensor the program computes"),
    ({"nope": [1, 2]}, "vary.nope", "not a name of the problem"),
    ({"B": [0, 2]}, r"vary.B\[0\]", "positive integer"),
    ({"names": {"s": ["s", "p"]}}, r"vary.names.s\[1\]", "already a name"),
    ({"names": {"s": ["exp"]}}, r"vary.names.s\[0\]", "word of the notation"),
    ({"requires": ["s.grad has no zero entr"]}, r"vary.requires\[0\]", "column"),
    ({"requires": ["import os"]}, r"vary.requires\[0\]", "cannot read|expected A OP B"),
    ({"requires": ["w > 0"]}, r"vary.requires\[0\]", "unknown name 'w'"),
    ({"parts": {"a": {"shape": [1]}}}, "vary.parts.a.shape", "no key 'shape'"),
    ({"parts": {"z": {"through": [[1]]}}}, "vary.parts.z", "no part 'z'"),
])
def test_a_bad_vary_block_names_its_key(vary, key, message):
    with pytest.raises(SpecError, match=message) as e:
        with_vary("softmax", vary)
    assert e.value.key is not None
    import re
    assert re.fullmatch(key, e.value.key), e.value.key


def test_a_function_choice_must_be_a_function_of_the_notation():
    with pytest.raises(SpecError, match="function of the notation"):
        with_vary("mlp_numeric", {"relu": ["relu", "cube"]})


def test_a_requirement_is_parsed_not_evaluated():
    from derive.front.vary_keys import parse_requirement
    r = parse_requirement("W.grad has no zero entry", "k", {"W"})
    assert (r.test, r.left.name) == ("nonzero", "W.grad")
    r = parse_requirement("B != 3", "k", {"B"})
    assert (r.test, r.op, r.right.number) == ("compare", "!=", 3.0)
    for bad in ("__import__('os')", "B != J or 1", "B !=", "1 < 2"):
        with pytest.raises(ValueError):
            parse_requirement(bad, "k", {"B", "J"})


# ---------------------------------------------------------------------------
# every variant derived and verified
# ---------------------------------------------------------------------------


def test_one_variant_per_function_choice_is_derived_and_verified():
    s = spec_of("mlp_numeric")
    seen = {}
    for k in range(1, 40):
        f = variant_spec(s, k).variant.choices["vary.relu"]
        seen.setdefault(f, k)
        if len(seen) == 3:
            break
    assert set(seen) == {"relu", "tanh", "sigma"}
    backward = {}
    for f, k in seen.items():
        o = offer(s, k)
        assert o.offered, o.reason
        for a in o.answers:
            assert a.status == "derived" and (a.verification is None or a.verified)
        assert f in o.spec.program_text and (f == "relu" or "relu" not in o.spec.program_text)
        backward[f] = next(a for a in o.answers if a.part == "vectorized").program.text()
    assert len(set(backward.values())) == 3         # three different derivatives


@pytest.mark.parametrize("pid", VARIED)
def test_the_first_variants_of_each_bundled_problem_are_offered(pid):
    for k in range(1, 4):
        o = offer(spec_of(pid), k)
        assert o.offered, o.reason


def test_a_variant_that_cannot_be_verified_is_not_offered():
    # a size the worked values do not fit: the drawn spec does not load
    s = with_vary("mlp_numeric", {"H": [3]})
    o = offer(s, 1)
    assert not o.offered and "does not load" in o.reason
    with pytest.raises(NoVariant):
        assign(s, "ada", "seed")


# ---------------------------------------------------------------------------
# renaming, everywhere at once
# ---------------------------------------------------------------------------


def _renamed_softmax():
    s = with_vary("softmax", {"names": {"s": ["u"], "p": ["q"], "j": ["k"]}})
    return offer(s, 1)


def test_renaming_reaches_the_sheet_the_key_and_the_checker():
    o = _renamed_softmax()
    assert o.offered, o.reason
    vs = o.spec
    assert set(vs.program.tensors) >= {"u", "q", "Z"} and "s" not in vs.program.tensors
    assert "k" in vs.program.indices and "K" in vs.size_symbols
    sheet = section(vs, o.answers, False)
    key = section(vs, o.answers, True)
    assert "u[b, k]" in vs.statement and "u.grad from q.grad" in vs.parts["a"].text
    assert "O(BK)" in vs.parts["full"].text and r"K \times K" in vs.parts["full"].text
    for text in (sheet, key):
        assert "s[b" not in text and "p.grad" not in text and "\\exp(u[b,k])" in text
    full = next(a for a in o.answers if a.part == "full")
    assert "u.grad[b, k]" in full.program.text()
    assert "q[b, k]" in vs.parts["full"].args["claim"]
    right = loops_answer(full)
    assert check_answer(vs, "full", right).verdict == "correct"
    # the same answer in the original names is not an answer to this variant
    old = right.replace("u.grad", "s.grad").replace("q", "p").replace("k", "j")
    assert check_answer(vs, "full", old).verdict != "correct"


# ---------------------------------------------------------------------------
# answers across variants
# ---------------------------------------------------------------------------


def _two(pid, key, differ=True):
    """Two variant numbers whose choice of `key` differs (or agrees)."""
    s = spec_of(pid)
    first = variant_spec(s, 1).variant.choices
    for k in range(2, 60):
        other = variant_spec(s, k).variant.choices
        if (other[key] != first[key]) == differ and \
                other.get("vary.names.m") == first.get("vary.names.m"):
            return s, 1, k
    raise AssertionError("no such pair")


def test_an_answer_to_one_variant_is_wrong_for_another_where_they_differ():
    s, a, b = _two("dropout", "vary.q")
    oa, ob = offer(s, a), offer(s, b)
    for label in ("a", "c"):
        ans_a = next(x for x in oa.answers if x.part == label)
        text = loops_answer(ans_a) if ans_a.program is not None else \
            "\n".join(f"{r.label} = {r.value}" for r in ans_a.results[:1])
        assert check_answer(oa.spec, label, text).verdict == "correct", text
        assert check_answer(ob.spec, label, text).verdict == "incorrect", text


def test_variants_that_share_an_answer_accept_it_and_the_summary_says_so():
    s, a, b = _two("dropout", "vary.q", differ=False)
    oa, ob = offer(s, a), offer(s, b)
    ans = next(x for x in oa.answers if x.part == "a")
    assert fingerprint(ans) == fingerprint(next(x for x in ob.answers if x.part == "a"))
    text = loops_answer(ans)
    assert check_answer(oa.spec, "a", text).verdict == "correct"
    assert check_answer(ob.spec, "a", text).verdict == "correct"
    shared = shared_answers([oa, ob])
    assert [oa.name, ob.name] in shared["a"]
    # the mean of dropout's output is mu whatever q is: every variant shares part b
    from derive.answers.variants import shared_lines
    lines = shared_lines("dropout", [offer(s, k) for k in range(1, 5)])
    assert any(l.startswith("dropout:b: every variant") for l in lines)


# ---------------------------------------------------------------------------
# the command line
# ---------------------------------------------------------------------------


def test_show_and_check_take_a_variant():
    from click.testing import CliRunner
    from derive.cli import cli
    r = CliRunner().invoke(cli, ["show", "softmax#17"])
    assert r.exit_code == 0, r.output
    assert "variant: softmax#17" in r.output
    vs = variant_spec(spec_of("dropout"), 2)
    ans = next(a for a in offer(spec_of("dropout"), 2).answers if a.part == "a")
    r = CliRunner().invoke(cli, ["check", "dropout#2:a", loops_answer(ans)])
    assert r.exit_code == 0 and "dropout#2:a: CORRECT" in r.output, r.output
    assert vs.variant.name == "dropout#2"
    r = CliRunner().invoke(cli, ["show", "relu_unit#3"])
    assert r.exit_code == 2 and "no vary: block" in r.output
    r = CliRunner().invoke(cli, ["show", "softmax#0"])
    assert r.exit_code == 2 and "PROBLEM#N" in r.output
