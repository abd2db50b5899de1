"""A part that fails does not go missing quietly (issue 13, items 4, 9 and 10).

`derive key` used to exit 0 with a failed part silently left out and called "not derived
yet"; one failing part aborted `verify` for every other; and a spec's `claim:` of the
compact batch-norm backward was refused because the symbolic method could not simplify
the difference to 0, although the checker accepts the same text from a student."""
from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from derive.answers import ANSWER, solve_guarded, solve_part
from derive.cli import cli
from derive.core.errors import SpecError, VerificationError
from derive.front.spec import parse_spec

BN = """id: bn
title: Batch normalization, compact backward
source: a test, after the course's batch-norm problem
index: {b: B, j: J}
tensors:
  x: {shape: [b, j], role: input}
  mu: {shape: [j]}
  s: {shape: [j]}
  xp: {shape: [b, j]}
program: |
  for b, j: mu[j] += 1/B * x[b, j]
  for b, j: s[j] += 1/(B - VAR) * (x[b, j] - mu[j])^2
  for b, j: xp[b, j] += (x[b, j] - mu[j]) / sqrt(s[j])
sizes: {B: 4, J: 3}
parts:
  a:
    ask: backprop
    from: xp
    to: x
    claim: |
      for b, j: g1[j] += xp.grad[b, j]
      for b, j: g2[j] += xp[b, j] * xp.grad[b, j]
      for b, j: x.grad[b, j] += (xp.grad[b, j] - g1[j]/B - xp[b, j]*g2[j]/DIV) / sqrt(s[j])
    text: Show that x.grad has the compact form.
"""


def _bn(var: str, div: str):
    return parse_spec(BN.replace("VAR", var).replace("DIV", div), "bn.yaml")


def _reference_bn(x, g, unbiased):
    """x.grad of batch norm by the chain rule written out by hand (NumPy, not derive)."""
    B = x.shape[0]
    mu = x.mean(0)
    d = x - mu
    s = (d ** 2).sum(0) / (B - 1 if unbiased else B)
    # xp = d / sqrt(s): d depends on x directly and through mu; s through d
    gs = (g * d).sum(0) * (-0.5) * s ** -1.5
    gd = g / np.sqrt(s) + gs * 2 * d / (B - 1 if unbiased else B)
    return gd - gd.mean(0)


@pytest.mark.parametrize("var,div", [("0", "B"), ("1", "(B-1)")])
def test_claim_of_the_compact_batchnorm_backward_is_accepted(var, div):
    ans = solve_part(_bn(var, div), "a")
    assert ans.status == "derived" and ans.verification.passed
    assert "claimed form" in ans.message and "random inputs" in ans.message


def test_compact_form_itself_matches_a_hand_derivation():
    # the claim's formula, evaluated directly, equals the chain rule by hand
    rng = np.random.default_rng(3)
    for unbiased in (False, True):
        x, g = rng.standard_normal((5, 3)), rng.standard_normal((5, 3))
        B = x.shape[0]
        mu = x.mean(0)
        s = ((x - mu) ** 2).sum(0) / (B - 1 if unbiased else B)
        xp = (x - mu) / np.sqrt(s)
        compact = (g - g.sum(0) / B - xp * (xp * g).sum(0) / (B - 1 if unbiased else B)) \
            / np.sqrt(s)
        assert np.allclose(compact, _reference_bn(x, g, unbiased), rtol=1e-12)


def test_false_claim_is_a_spec_error_naming_the_claim_and_an_entry():
    spec = _bn("1", "B")          # unbiased variance, biased compact form: wrong
    with pytest.raises(SpecError) as e:
        solve_part(spec, "a")
    msg = str(e.value)
    assert "parts.a.claim" in msg and "x.grad[" in msg and "chain rule" in msg


def test_claim_that_leaves_out_a_gradient_is_a_spec_error():
    text = BN.replace("VAR", "0").replace("to: x", "to: [x]").replace(
        "      for b, j: x.grad[b, j] += (xp.grad[b, j] - g1[j]/B - xp[b, j]*g2[j]/DIV)"
        " / sqrt(s[j])\n", "")
    with pytest.raises(SpecError, match="does not write x.grad"):
        solve_part(parse_spec(text, "bn.yaml"), "a")


def _folder(tmp_path: Path) -> Path:
    d = tmp_path / "specs"
    d.mkdir()
    good = Path(__file__).parent.parent / "problems" / "relu_unit.yaml"
    shutil.copy(good, d / "relu_unit.yaml")
    (d / "bn.yaml").write_text(BN.replace("VAR", "1").replace("DIV", "B"))
    return d


def test_one_failing_part_does_not_abort_verify(tmp_path):
    d = _folder(tmp_path)
    r = CliRunner().invoke(cli, ["--problems", str(d), "verify"])
    assert r.exit_code == 1, r.output
    assert "bn:a" in r.output and "FAILED" in r.output
    # the other problem's parts are still verified and reported
    assert "relu_unit:" in r.output and " ok" in r.output


def test_key_with_a_failed_part_exits_nonzero_and_writes_nothing(tmp_path):
    d = _folder(tmp_path)
    out = tmp_path / "out"
    r = CliRunner().invoke(cli, ["--problems", str(d), "key", "--tex-only", "-o", str(out)])
    assert r.exit_code == 1, r.output
    assert "bn:a" in r.output and "--keep-going" in r.output
    assert not out.exists() or not any(out.iterdir())


def test_key_keep_going_names_the_withheld_part(tmp_path):
    d = _folder(tmp_path)
    out = tmp_path / "out"
    r = CliRunner().invoke(cli, ["--problems", str(d), "key", "--tex-only", "--keep-going",
                                 "-o", str(out)])
    assert r.exit_code == 0, r.output
    key = (out / "answer_key.tex").read_text()
    assert "Not answered" in key and "claimed form is not the derived gradient" in key


def test_failed_numeric_check_is_withheld_not_called_not_derived(monkeypatch, tmp_path):
    def failing(spec, part, ans, verify):
        raise VerificationError("relative error 0.3 at sizes B=2")
    monkeypatch.setitem(ANSWER, "gradient", failing)
    spec = parse_spec((Path(__file__).parent.parent / "problems" / "relu_unit.yaml")
                      .read_text(), "relu_unit.yaml")
    label = next(l for l, p in spec.parts.items() if p.kind == "gradient")
    ans = solve_guarded(spec, label)
    assert ans.status == "withheld"
    assert "failed its numeric check" in ans.message and "0.3" in ans.message
    d = tmp_path / "one"
    d.mkdir()
    shutil.copy(Path(__file__).parent.parent / "problems" / "relu_unit.yaml", d)
    r = CliRunner().invoke(cli, ["--problems", str(d), "key", "--tex-only", "--keep-going",
                                 "-o", str(tmp_path / "o")])
    assert r.exit_code == 0 and "withheld" in r.output
    assert "Withheld" in (tmp_path / "o" / "answer_key.tex").read_text()


def test_error_in_a_part_names_the_part(monkeypatch):
    def failing(spec, part, ans, verify):
        raise VerificationError("no Monte Carlo check could run")
    monkeypatch.setitem(ANSWER, "variance", failing)
    spec = parse_spec((Path(__file__).parent.parent / "problems" / "init_variance.yaml")
                      .read_text(), "init_variance.yaml")
    label = next(l for l, p in spec.parts.items() if p.kind == "variance")
    with pytest.raises(VerificationError) as e:
        solve_part(spec, label)
    assert str(e.value).startswith(f"{spec.id}:{label}: ")
