"""Engine messages and verification lines are words with formulas kept apart (Phrase):
the key typesets the formulas with the spec's display names, nothing re-parses words."""
from __future__ import annotations

import itertools
import random

import sympy as sp

from derive.answers import solve_part
from derive.core.growth import clog2, common_out_of_max
from derive.core.phrase import Math, Phrase, sizes_phrase
from derive.front.spec import load_spec
from derive.present import latex as L
from derive.present.render import ProblemRenderer, solve_timed

PROBLEMS = "problems"


def test_no_regex_reparser_of_engine_prose_is_left():
    assert not hasattr(L, "plain_formulas") and not hasattr(L, "_FORMULA")


def test_key_verified_line_names_multi_letter_sizes_as_typeset_symbols():
    """It printed `n\\_in=5` raw from the verification's text."""
    spec = load_spec(f"{PROBLEMS}/he_backward.yaml")
    tex = ProblemRenderer(spec, solve_timed(spec)).section(True)
    lines = [l for l in tex.split("\n") if "Verified numerically" in l]
    assert lines and all(r"n_{in} = 5" in l for l in lines)
    assert not any(r"n\_in" in l for l in lines)


def test_cost_note_typesets_its_orders_and_size():
    spec = load_spec(f"{PROBLEMS}/rnn_lm_cost.yaml")
    ans = solve_part(spec, "a")
    assert isinstance(ans.message, Phrase) and "O(T)" in ans.message
    tex = L.message_latex(ans.message)
    assert r"\(O(T)\)" in tex and r"\(T\)" in tex


def test_sizes_phrase_keeps_the_terminal_text():
    assert sizes_phrase({"B": 2, "T": 16}) == "B=2, T=16"
    assert all(isinstance(p, (str, Math)) for p in sizes_phrase({"B": 2}).parts)


def test_phrase_concatenation_keeps_formulas_apart():
    T = sp.Symbol("T")
    p = Phrase("a ", T) + " b" 
    q = "c " + p
    assert q == "c a T b" and q.parts == ("c a ", T, " b")


def _random_max_cases(n=40, seed=3):
    rng = random.Random(seed)
    T, N, V = sp.symbols("T N V", positive=True, integer=True)
    atoms = [T, N, V, clog2(N), clog2(V), clog2(2 * T), T * clog2(N)]
    for _ in range(n):
        shared = sum(rng.randint(0, 3) * a for a in rng.sample(atoms, 3))
        args = [shared + rng.randint(-2, 4) + sum(rng.randint(0, 2) * a
                                                  for a in rng.sample(atoms, 2))
                for _ in range(rng.randint(2, 4))]
        yield (T, N, V), rng.choice([sp.Max, sp.Min])(*args)


def test_common_terms_out_of_a_max_keep_its_value():
    """Depth formulas were a Max of four long sums sharing most terms."""
    for syms, e in _random_max_cases():
        tidy = common_out_of_max(e)
        for vals in itertools.product([1, 2, 5, 16], repeat=3):
            at = dict(zip(syms, vals))
            assert e.subs(at) == tidy.subs(at), (e, tidy)


def test_rnn_depth_is_printed_with_its_shared_terms_once():
    spec = load_spec(f"{PROBLEMS}/rnn_unroll.yaml")
    depth = {r.label: r for r in solve_part(spec, "b").results}["backward parallel depth"]
    # the shared T*ceil(log2 J) + 6T sits outside the Max, once
    assert str(depth.value).count("6*T") == 1 and "Max(" in str(depth.value)
