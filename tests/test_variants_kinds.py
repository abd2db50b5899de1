"""Variants (issue 17), kind by kind: each thing `vary:` can change, checked against a
reference worked out here by hand (NumPy, or the chain rule written out), never against
derive's own answer; a bad block is an exit-2 error that points at its line."""
from __future__ import annotations

import csv
import os
import re
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
import sympy as sp
import yaml
from click.testing import CliRunner

from derive.answers.variants import offer, variant_spec
from derive.check.answer import check_answer
from derive.cli import cli
from derive.front.spec import load_spec, parse_spec
from derive.grade.variant_check import check_variant

ROOT = Path(__file__).resolve().parents[1]
PROBLEMS = ROOT / "problems"


def spec_of(pid):
    return load_spec(PROBLEMS / f"{pid}.yaml")


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


def first_variants(spec, key, n=60) -> dict:
    """choice of `key` -> the first variant number that makes it."""
    out = {}
    for k in range(1, n):
        out.setdefault(repr(variant_spec(spec, k).variant.choices[key]), k)
    return out


# ---------------------------------------------------------------------------
# a bad vary: block
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("vary, line_text, message", [
    ({"B": [2, 0]}, "- 0", "positive integer"),
    ({"names": {"s": ["s", "p"]}}, "- p", "already a name"),
    ({"requires": ["B > 1", "B ! 3"]}, "- B ! 3", "cannot read '! 3'"),
    ({"s": {"integers": [3, -3]}}, "integers:", "low <= high"),
], ids=["size", "rename", "requirement", "integers"])
def test_a_bad_vary_block_exits_2_pointing_at_its_line(tmp_path, vary, line_text, message):
    raw = yaml.safe_load((PROBLEMS / "softmax.yaml").read_text())
    raw["vary"] = vary
    path = tmp_path / "softmax.yaml"
    text = yaml.safe_dump(raw, sort_keys=False)
    path.write_text(text)
    r = run("show", path)
    assert r.exit_code == 2, r.output
    head, shown, caret = r.output.strip("\n").split("\n")[-3:]
    assert message in head and "vary." in head and "Traceback" not in r.output
    line = int(head.split("line ")[1].split(",")[0])
    col = int(head.split("column ")[1].split(":")[0])
    assert text.split("\n")[line - 1] == shown[4:] and line_text in shown
    assert caret == " " * (4 + col - 1) + "^"
    if "requirement" in message or "!" in line_text:
        assert shown[4 + col - 1] == "!"              # the caret under the fault


# ---------------------------------------------------------------------------
# which part of the program is asked: through:
# ---------------------------------------------------------------------------

TWO_PATHS = """
id: twopath
title: Two paths into y
source: a test of issue 17
index: {i: n}
sizes: {n: 3}
tensors:
  x: {shape: [i], role: input}
  a: {shape: [i], role: parameter}
  c: {shape: [i], role: parameter}
  y: {shape: [i]}
program: |
  for i: y[i] += a[i] * x[i]
  for i: y[i] += c[i] * exp(x[i])
parts:
  g: {ask: backprop, from: y, to: x, through: [1], text: "Backpropagate through one statement."}
vary:
  parts: {g: {through: [[1], [2]]}}
"""
# the chain rule through each statement alone, by hand
THROUGH = {1: "for i: x.grad[i] += y.grad[i] * a[i]",
           2: "for i: x.grad[i] += y.grad[i] * c[i] * exp(x[i])"}


def test_through_chooses_the_statement_asked():
    s = parse_spec(TWO_PATHS, "twopath.yaml")
    seen = {}
    for k in range(1, 12):
        o = offer(s, k)
        assert o.offered, o.reason
        (n,) = o.spec.parts["g"].args["through"]
        seen[n] = k
        for m, answer in THROUGH.items():
            assert check_answer(o.spec, "g", answer).verdict == \
                ("correct" if m == n else "incorrect"), (k, m)
    assert set(seen) == {1, 2}


# ---------------------------------------------------------------------------
# numbers: generated integers, hand-picked cases, joint cases, constants
# ---------------------------------------------------------------------------

ACTIVATIONS = {     # f and f', by hand
    "relu": (lambda z: np.maximum(z, 0), lambda z: (z > 0).astype(float)),
    "tanh": (np.tanh, lambda z: 1 - np.tanh(z) ** 2),
    "sigma": (lambda z: 1 / (1 + np.exp(-z)),
              lambda z: np.exp(-z) / (1 + np.exp(-z)) ** 2),
}


def mlp_by_hand(f, x, t, W, v) -> dict:
    """The worked example of mlp_numeric, forward and backward, in NumPy."""
    act, slope = ACTIVATIONS[f]
    z = W @ x
    h = act(z)
    y = v @ h
    dy = y - t
    dh = dy * v
    dz = dh * slope(z)
    return {"z": z, "h": h, "y": y, "C": dy ** 2 / 2, "y.grad": dy, "h.grad": dh,
            "z.grad": dz, "x.grad": W.T @ dz, "v.grad": dy * h,
            "W.grad": np.outer(dz, x)}


def test_each_function_choice_and_drawn_numbers_match_numpy_by_hand():
    s = spec_of("mlp_numeric")
    done = set()
    for k in range(1, 40):
        o = offer(s, k)
        assert o.offered, o.reason
        c = o.spec.variant.choices
        x, W, v = (np.array(c[f"vary.{n}"], dtype=float) for n in "xWv")
        assert x.shape == (2,) and W.shape == (2, 2) and v.shape == (2,)
        assert np.all(np.abs(x) <= 3) and np.all(np.abs(W) <= 2) and np.all(np.abs(v) <= 3)
        assert np.all(x == np.round(x)) and c["vary.t"] in (0, 1, 2)
        ref = mlp_by_hand(c["vary.relu"], x, float(c["vary.t"]), W, v)
        got = {}
        for a in o.answers:
            got.update(a.values or {})
        for name, want in ref.items():
            np.testing.assert_allclose(np.asarray(got[name], dtype=float), want,
                                       rtol=1e-9, atol=1e-12, err_msg=f"#{k} {name}")
        assert np.all(np.abs(ref["W.grad"]) > 1e-12)     # its requirement held
        done.add(c["vary.relu"])
        if len(done) == 3 and k > 8:
            break
    assert done == set(ACTIVATIONS)


def test_cases_are_drawn_together():
    raw = yaml.safe_load((PROBLEMS / "mlp_numeric.yaml").read_text())
    cases = [{"x": [1, 2], "t": 1}, {"x": [2, -1], "t": 0}, {"x": [-3, 1], "t": 2}]
    vary = {"cases": cases, "relu": ["tanh"]}
    raw["vary"] = vary
    s = parse_spec(yaml.safe_dump(raw, sort_keys=False), str(PROBLEMS / "mlp_numeric.yaml"))
    drawn = set()
    for k in range(1, 16):
        vs = variant_spec(s, k)
        x, t = vs.values["x"].tolist(), float(vs.values["t"])
        assert {"x": x, "t": t} in cases, (k, x, t)
        drawn.add(repr(x))
        W, v = vs.values["W"], vs.values["v"]                # as written in the spec
        assert W.tolist() == [[-1, 1], [1, -2]] and v.tolist() == [3, -1]
    assert len(drawn) == 3


def test_a_constant_choice_is_the_number_in_the_answer():
    # dropout: y = m x / q with m ~ Bernoulli(q), x of mean 0, variance v:
    # Var(y) = E[m^2] E[x^2] / q^2 = q v / q^2 = v / q
    s = spec_of("dropout")
    seen = set()
    for k in range(1, 16):
        o = offer(s, k)
        q = Fraction(o.spec.variant.choices["vary.q"])
        seen.add(q)
        c = next(a for a in o.answers if a.part == "c")
        (var,) = [r.value for r in c.results if r.label == "Var(y)"]
        (v,) = [sym for sym in var.free_symbols if sym.name == "v"]
        assert sp.simplify(var - v / sp.Rational(q.numerator, q.denominator)) == 0
        assert "q" not in {str(sym) for sym in var.free_symbols}
        assert "q" not in o.spec.program_text
    assert len(seen) >= 3


# ---------------------------------------------------------------------------
# softmax#17 and softmax#18: renamed tensors and indices
# ---------------------------------------------------------------------------

# the softmax parts by hand: p = exp(s) / Z and Z = sum_j exp(s)
SOFTMAX = {
    "a": "for b, j: s.grad[b, j] += p.grad[b, j] * exp(s[b, j]) / Z[b]",
    "b": "for b, j: Z.grad[b] -= p.grad[b, j] * exp(s[b, j]) / Z[b]^2",
    "c": "for b, j: s.grad[b, j] += Z.grad[b] * exp(s[b, j])",
}


def in_names(template: str, spec) -> str:
    """A hand-written answer in the names of a variant."""
    names = spec.variant.names
    return "".join(names.get(w, w) if w.isidentifier() and w != "grad" else w
                   for w in _words(template))


def _words(text):
    return re.findall(r"[A-Za-z_]\w*|[^A-Za-z_]+", text)


def test_softmax_17_shows_and_checks():
    r = run("show", "softmax#17")
    assert r.exit_code == 0 and "variant: softmax#17" in r.output
    vs = variant_spec(spec_of("softmax"), 17)
    answer = in_names(SOFTMAX["a"], vs)
    r = run("check", "softmax#17:a", answer)
    assert r.exit_code == 0 and "softmax#17:a: CORRECT" in r.output, r.output


@pytest.mark.parametrize("part", sorted(SOFTMAX))
def test_an_answer_to_17_is_wrong_for_18_where_they_differ(part):
    s = spec_of("softmax")
    v17, v18 = variant_spec(s, 17), variant_spec(s, 18)
    mine, theirs = in_names(SOFTMAX[part], v17), in_names(SOFTMAX[part], v18)
    assert mine != theirs                  # 17 and 18 name the tensors differently
    assert check_variant(v17, part, mine).verdict == "correct"
    assert check_variant(v18, part, theirs).verdict == "correct"
    wrong = check_variant(v18, part, mine)
    assert wrong.verdict == "incorrect" and wrong.score == 0, wrong.message
    assert "another variant" in wrong.message
    r = run("check", f"softmax#18:{part}", mine)
    assert r.exit_code == 1 and "INCORRECT" in r.output, r.output


def test_variants_with_the_same_names_accept_the_same_answer():
    s = spec_of("softmax")
    base = variant_spec(s, 17)
    other = next(k for k in range(18, 200) if variant_spec(s, k).variant.names ==
                 base.variant.names and variant_spec(s, k).variant.choices !=
                 base.variant.choices)           # other sizes, the same names
    vo = variant_spec(s, other)
    answer = in_names(SOFTMAX["a"], base)
    assert check_variant(vo, "a", answer).verdict == "correct"


def test_prairielearn_charges_an_answer_in_another_variants_names(tmp_path):
    from derive.grade.prairielearn import export, generate_data, grade_data, parse_data
    q = export(spec_of("softmax"), tmp_path)[0]
    path = q / "clientFilesQuestion" / "softmax.yaml"
    datas = []
    for seed in range(40):
        data = {"variant_seed": seed}
        generate_data(data, path, "a")
        datas.append(data)
    by_names = {}
    for d in datas:
        vs = variant_spec(spec_of("softmax"), d["params"]["k"])
        by_names.setdefault(repr(sorted(vs.variant.names.items())), (d, vs))
    (d1, v1), (d2, v2) = list(by_names.values())[:2]
    d2["submitted_answers"] = {"answer": in_names(SOFTMAX["a"], v1)}
    parse_data(d2, path, "a")
    assert "format_errors" not in d2          # an attempt is charged
    grade_data(d2, path, "a")
    assert d2["score"] == 0.0


# ---------------------------------------------------------------------------
# a variant that cannot be verified is never shown, and is counted
# ---------------------------------------------------------------------------


def test_variants_not_verified_are_counted_and_never_shown(tmp_path):
    # without its requirements, mlp_numeric draws hidden units at relu's kink (z = 0),
    # where the derivative is not the finite difference: those variants fail to verify
    raw = yaml.safe_load((PROBLEMS / "mlp_numeric.yaml").read_text())
    raw["vary"].pop("requires")
    raw["vary"]["relu"] = ["relu"]
    folder = tmp_path / "problems"
    folder.mkdir()
    (folder / "mlp_numeric.yaml").write_text(yaml.safe_dump(raw, sort_keys=False))
    r = run("key", folder / "mlp_numeric.yaml", "--variants", 8, "--tex-only", "-o",
            tmp_path / "out")
    assert r.exit_code == 0, r.output
    summary = next(line for line in r.output.split("\n") if "not offered" in line
                   and "sheet(s)" in line)
    count = int(summary.split("; ")[2].split(" ")[0])
    assert count > 0, summary
    bad = summary.split(": ")[-1].rstrip(".").split(", ")
    assert len(bad) == count
    out = tmp_path / "out" / "variants"
    rows = list(csv.DictReader((out / "variants.csv").open()))
    assert len(rows) == 8 and not {r["variant"] for r in rows} & set(bad)
    key = (out / "answer_key.tex").read_text()
    for name in bad:
        assert "\\texttt{%s}" % name.replace("#", r"\#") not in key
    for name in bad:                          # nor by the other commands
        r = run("show", str(folder / "mlp_numeric.yaml") + name[len("mlp_numeric"):])
        assert r.exit_code == 2 and "not offered" in r.output, r.output


# ---------------------------------------------------------------------------
# determinism across processes
# ---------------------------------------------------------------------------


SHOW = "import sys; from derive.cli import main; sys.argv[1:] = ['show', 'softmax#17']; main()"


def test_derive_show_is_the_same_in_another_process():
    outs = set()
    for seed in ("0", "12345"):
        env = dict(os.environ, PYTHONHASHSEED=seed)
        r = subprocess.run([sys.executable, "-c", SHOW],
                           cwd=ROOT, capture_output=True, text=True, env=env, timeout=120)
        assert r.returncode == 0, r.stderr
        outs.add(r.stdout)
    assert len(outs) == 1
    assert outs == {run("show", "softmax#17").output}


def test_prairielearn_external_grading_judges_the_params_variant(tmp_path):
    import json
    from derive.grade.prairielearn import run_external
    spec_path = PROBLEMS / "softmax.yaml"
    s = spec_of("softmax")
    v17, v18 = variant_spec(s, 17), variant_spec(s, 18)
    (tmp_path / "data").mkdir()
    for vs, want in ((v17, 1.0), (v18, 0.0)):
        data = {"params": {"variant": "softmax#17"},
                "submitted_answers": {"answer": in_names(SOFTMAX["a"], vs)}}
        (tmp_path / "data" / "data.json").write_text(json.dumps(data))
        result = run_external(tmp_path, spec_path, "a")
        assert result["gradable"] and result["score"] == want, result
