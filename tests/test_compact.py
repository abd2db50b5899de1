"""The compact form of a backward program (derive.engines.compact, issue 14 item 8):
batch norm and layer norm backward as the one-line x.grad of an answer key.

The references are independent of derive: autograd on hand-written NumPy forward
passes, a compact expression written by hand, and hand-written NumPy versions of the
student answers that `derive check` judges."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import sympy as sp
from click.testing import CliRunner

ag = pytest.importorskip("autograd")
import autograd.numpy as anp  # noqa: E402

from derive.answers import solve_part  # noqa: E402
from derive.answers.backprop import verified_compact  # noqa: E402
from derive.cli import cli  # noqa: E402
from derive.core.program import index_var, ref, size_symbol  # noqa: E402
from derive.engines.compact import compact_form, lowered  # noqa: E402
from derive.front.spec import load_spec  # noqa: E402
from derive.present.text import format_answer  # noqa: E402
from derive.run.execute import Executor  # noqa: E402

PROBLEMS = Path(__file__).resolve().parent.parent / "problems"
EPS = 0.3             # the layer norm's epsilon in these tests


def spec_of(name):
    return load_spec(PROBLEMS / f"{name}.yaml")


# --------------------------------------------------------------------------
# hand-written forward passes (x: B x J)
# --------------------------------------------------------------------------


def batchnorm_parts(x, mu=None, s=None):
    """mu, s (unbiased, over the batch b) and xp; mu and s may be given."""
    B = x.shape[0]
    mu = anp.mean(x, axis=0) if mu is None else mu
    s = anp.sum((x - mu) ** 2, axis=0) / (B - 1) if s is None else s
    return mu, s, (x - mu) / anp.sqrt(s)


def layernorm_parts(x, mu=None, v=None):
    """mu, v (biased, over the features j of each row) and xh, with EPS."""
    J = x.shape[1]
    mu = anp.mean(x, axis=1) if mu is None else mu
    v = anp.sum((x - mu[:, None]) ** 2, axis=1) / J if v is None else v
    return mu, v, (x - mu[:, None]) / anp.sqrt(v[:, None] + EPS)


# name -> (forward, names of mu, variance, normalized value, symbols)
CASES = {
    "batchnorm": (batchnorm_parts, "mu", "s", "xp", {}),
    "layernorm": (layernorm_parts, "mu", "v", "xh", {"eps": EPS}),
}


def autograd_gradients(name, x, g):
    """x.grad, mu.grad and the variance's .grad for the loss sum(g * normalized): x.grad
    the total derivative; mu.grad through the normalized value and the variance (the
    backward program's mu.grad); the variance's through the normalized value only."""
    forward, mu_n, var_n, _, _ = CASES[name]
    mu, var, _ = forward(x)

    def loss_x(x_):
        return anp.sum(g * forward(x_)[2])

    def loss_mu(mu_):
        return anp.sum(g * forward(x, mu_, forward(x, mu_)[1])[2])

    def loss_var(var_):
        return anp.sum(g * forward(x, mu, var_)[2])

    return {"x.grad": ag.grad(loss_x)(x), f"{mu_n}.grad": ag.grad(loss_mu)(mu),
            f"{var_n}.grad": ag.grad(loss_var)(var)}


def run_compact(name, statements, program, x, g):
    """derive's compact statements, run by the executor (each sum a loop) on x and the
    upstream gradient g, the forward values computed by hand."""
    forward, mu_n, var_n, xp_n, symbols = CASES[name]
    mu, var, xp = forward(x)
    B, J = x.shape
    ex = Executor(lowered(statements, program), {"B": B, "J": J}, symbols)
    ex.env = {"x": x.copy(), mu_n: np.array(mu), var_n: np.array(var), xp_n: np.array(xp),
              f"{xp_n}.grad": g.copy()}
    ex.run()
    return ex.env


@pytest.mark.parametrize("name", list(CASES))
@pytest.mark.parametrize("shape", [(3, 4), (5, 2), (6, 7)])
def test_compact_form_equals_autograd(name, shape):
    spec = spec_of(name)
    ans = solve_part(spec, "a")
    assert ans.compact, "no compact form"
    rng = np.random.default_rng(sum(shape))
    x = rng.standard_normal(shape)
    g = rng.standard_normal(shape)
    got = run_compact(name, ans.compact, ans.program, x, g)
    for grad, want in autograd_gradients(name, x, g).items():
        assert np.allclose(got[grad], want, rtol=1e-9, atol=1e-12), grad


def test_the_gradient_part_of_layernorm_has_the_compact_x_grad_of_the_loops_part():
    spec = spec_of("layernorm")
    got = solve_part(spec, "b").compact
    assert [s.target_name for s in got] == ["x.grad"]
    assert sp.expand(got[0].rhs - _expected_x_grad("layernorm")) == 0


def _expected_x_grad(name):
    """The classic compact x.grad, written by hand."""
    b, j, bp, jp = (index_var(n) for n in ("b", "j", "b'", "j'"))
    B, J = size_symbol("B"), size_symbol("J")
    if name == "batchnorm":
        xp, g, s = (lambda *i: ref("xp", i)), (lambda *i: ref("xp.grad", i)), ref("s", [j])
        s1 = sp.Sum(g(bp, j), (bp, 0, B - 1))
        s2 = sp.Sum(g(bp, j) * xp(bp, j), (bp, 0, B - 1))
        return (g(b, j) - s1 / B - xp(b, j) * s2 / (B - 1)) / sp.sqrt(s)
    eps = sp.Symbol("eps", real=True, positive=True)
    xh, g, v = (lambda *i: ref("xh", i)), (lambda *i: ref("xh.grad", i)), ref("v", [b])
    s1 = sp.Sum(g(b, jp), (jp, 0, J - 1))
    s2 = sp.Sum(g(b, jp) * xh(b, jp), (jp, 0, J - 1))
    return (g(b, j) - s1 / J - xh(b, j) * s2 / J) / sp.sqrt(v + eps)


@pytest.mark.parametrize("name", list(CASES))
def test_the_exact_compact_expression(name):
    ans = solve_part(spec_of(name), "a")
    got = next(s for s in ans.compact if s.target_name == "x.grad")
    assert got.op == "="
    assert sp.expand(got.rhs - _expected_x_grad(name)) == 0, got.rhs


@pytest.mark.parametrize("name", list(CASES))
def test_a_wrong_compact_form_fails_its_check_and_a_right_one_passes(name):
    spec = spec_of(name)
    ans = solve_part(spec, "a")
    found = compact_form(ans.backward, spec.program)
    sizes = spec.default_sizes()
    assert verified_compact(spec, ans.backward, found, sizes)
    broken = [s.with_(rhs=s.rhs.xreplace({size_symbol("B"): size_symbol("B") + 1,
                                          size_symbol("J"): size_symbol("J") + 1}))
              if s.target_name == "x.grad" else s for s in found.statements]
    found.lowered = lowered(broken, ans.backward.program)
    assert not verified_compact(spec, ans.backward, found, sizes)


def test_the_loops_stay_as_a_step_before_the_compact_form():
    spec = spec_of("batchnorm")
    ans = solve_part(spec, "a")
    text = format_answer(ans, spec)
    assert text.index("compact form:") < text.index("backward loops, node by node")
    assert "for b, j: s.grad[j] -= xp.grad[b, j]*xp[b, j]/(2*s[j])" in text
    whys = [st.why for st in ans.steps if st.kind == "compact"]
    assert whys[0] == "compact substituted" and whys[-1] == "compact form"
    assert "compact definition" in whys       # x - mu written as xp*sqrt(s)


def test_no_compact_form_where_nothing_is_substituted():
    # softmax:c is one loop from Z.grad: there is nothing to substitute
    assert not solve_part(spec_of("softmax"), "c").compact


# --------------------------------------------------------------------------
# student answers to layernorm, judged by derive check; the truth from autograd
# --------------------------------------------------------------------------


def _loops(x, g, j_minus_1=False, drop_mu=False):
    """The loops answer of part a, by hand in NumPy."""
    J = x.shape[1]
    mu, v, xh = layernorm_parts(x)
    r = np.sqrt(v + EPS)
    vg = -np.sum(g * xh, axis=1) / (2 * (v + EPS))
    mug = -np.sum(g, axis=1) / r
    n = J - 1 if j_minus_1 else J
    xg = g / r[:, None] + 2 * (x - mu[:, None]) * vg[:, None] / n
    if not drop_mu:
        xg = xg + mug[:, None] / J
    return {"x.grad": xg, "mu.grad": mug, "v.grad": vg}


def _compact(x, g, sign=-1.0, eps=EPS):
    J = x.shape[1]
    _, v, xh = layernorm_parts(x)
    s1 = g.sum(axis=1, keepdims=True)
    s2 = (g * xh).sum(axis=1, keepdims=True)
    return {"x.grad": (g - s1 / J + sign * xh * s2 / J) / np.sqrt(v[:, None] + eps)}


LOOPS = """for b, j: v.grad[b] -= xh.grad[b, j]*xh[b, j]/(2*(v[b] + eps))
for b, j: mu.grad[b] -= xh.grad[b, j]/sqrt(v[b] + eps)
for b, j: x.grad[b, j] += xh.grad[b, j]/sqrt(v[b] + eps) + 2*(x[b, j] - mu[b])*v.grad[b]/J + mu.grad[b]/J"""
COMPACT = ("x.grad[b, j] = (xh.grad[b, j] - xh.grad[b, K]/J "
           "- xh[b, j]*xh.grad[b, K]*xh[b, K]/J)/sqrt(v[b] + eps)")

ANSWERS = [
    ("a", LOOPS, lambda x, g: _loops(x, g)),
    ("a", LOOPS.replace("v.grad[b]/J", "v.grad[b]/(J - 1)"),
     lambda x, g: _loops(x, g, j_minus_1=True)),
    ("a", LOOPS.replace(" + mu.grad[b]/J", ""), lambda x, g: _loops(x, g, drop_mu=True)),
    ("b", COMPACT, lambda x, g: _compact(x, g)),
    ("b", COMPACT.replace("- xh[b, j]", "+ xh[b, j]"), lambda x, g: _compact(x, g, sign=1.0)),
    ("b", COMPACT.replace("sqrt(v[b] + eps)", "sqrt(v[b])"),
     lambda x, g: _compact(x, g, eps=0.0)),
]


def _truth(numpy_answer) -> bool:
    """Does the hand-written NumPy version of an answer give autograd's gradients?"""
    for shape in [(2, 3), (4, 5)]:
        rng = np.random.default_rng(shape[1])
        x, g = rng.standard_normal(shape), rng.standard_normal(shape)
        want = autograd_gradients("layernorm", x, g)
        for grad, value in numpy_answer(x, g).items():
            if not np.allclose(value, want[grad], rtol=1e-9, atol=1e-12):
                return False
    return True


@pytest.mark.parametrize("label,text,numpy_answer", ANSWERS,
                         ids=["loops", "loops_J_minus_1", "loops_no_mu", "compact",
                              "compact_sign", "compact_no_eps"])
def test_derive_check_layernorm_agrees_with_autograd(label, text, numpy_answer):
    truth = _truth(numpy_answer)
    result = CliRunner().invoke(cli, ["check", f"layernorm:{label}", text])
    assert result.exit_code == (0 if truth else 1), result.output
    assert ("CORRECT" in result.output.split("\n")[0]) and \
        (("INCORRECT" in result.output.split("\n")[0]) != truth)


def test_the_key_builds_with_the_compact_forms(tmp_path):
    result = CliRunner().invoke(cli, ["key", "batchnorm", "layernorm", "-o", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "answer_key.pdf").stat().st_size > 0
    tex = (tmp_path / "answer_key.tex").read_text(encoding="utf-8")
    assert tex.count(r"\textit{In compact form:}") == 3      # batchnorm:a, layernorm:a, b
    assert r"\sum_{b'=0}^{B - 1}" in tex


def test_no_compact_form_when_it_is_longer_than_the_loops():
    # the tied autoencoder's W.grad, substituted, is twice the size of its loops
    spec = load_spec(Path(__file__).resolve().parent / "instructor" / "tied_autoencoder.yaml")
    part = next(lab for lab, p in spec.parts.items() if p.kind in ("backprop", "gradient"))
    ans = solve_part(spec, part)
    assert ans.program is not None and not ans.compact
