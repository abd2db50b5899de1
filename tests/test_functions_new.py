"""The functions added for instructors (issue 13 item 8): erf, Phi (the standard normal
CDF), softplus, sign, cosh, sinh, sech, n-argument max and min, and the constants pi
and e.  Each row: the derivative against an independent reference (a central
difference on the math module), NumPy against the math module, the LaTeX; then specs
that use them, derived, verified, exported and compared with autograd, and `derive
check` judging answers written with the new names."""
from __future__ import annotations

import math
import types

import autograd.numpy as anp
import numpy as np
import pytest
import sympy as sp
from autograd import grad
from click.testing import CliRunner

from derive.answers import solve_part
from derive.check.answer import check_answer
from derive.cli import cli
from derive.core import functions as F
from derive.core.errors import NotationError
from derive.core.program import format_expr
from derive.core.rules import derivative
from derive.front.spec import load_spec
from derive.present.latex import NotationLatexPrinter
from derive.run import verify

X = sp.Symbol("x", real=True)


def _phi(u):
    return 0.5 * (1.0 + math.erf(u / math.sqrt(2.0)))


# name in the notation -> (SymPy function, the math module's value, LaTeX head)
ROWS = {
    "erf": (sp.erf, math.erf, r"\operatorname{erf}"),
    "Phi": (F.Phi, _phi, r"\Phi"),
    "softplus": (F.softplus, lambda u: math.log1p(math.exp(u)), r"\operatorname{softplus}"),
    "cosh": (sp.cosh, math.cosh, r"\cosh"),
    "sinh": (sp.sinh, math.sinh, r"\sinh"),
    "sech": (sp.sech, lambda u: 1.0 / math.cosh(u), r"\operatorname{sech}"),
    "sign": (sp.sign, lambda u: math.copysign(1.0, u), r"\operatorname{sign}"),
}
POINTS = [-2.3, -0.7, 0.4, 1.9]


@pytest.mark.parametrize("name", sorted(ROWS))
def test_the_function_is_in_every_table(name):
    fn, _, _ = ROWS[name]
    assert F.VOCABULARY[name] == (1, fn)
    assert F.NOTATION_NAME[fn] == name
    for table in (F.DERIVATIVES, F.RULE_TEXT, F.NUMPY, F.LATEX):
        assert fn in table, (name, table)
    assert name in F.RULE_TEXT[fn]


@pytest.mark.parametrize("name", sorted(ROWS))
def test_derivative_against_a_central_difference(name):
    fn, value, _ = ROWS[name]
    d = derivative(fn(X), X)
    h = 1e-6
    for u in POINTS:
        got = float(d.subs(X, u).evalf(30))
        want = (value(u + h) - value(u - h)) / (2 * h)
        assert got == pytest.approx(want, rel=1e-6, abs=1e-8), (name, u)


@pytest.mark.parametrize("name", sorted(ROWS))
def test_numpy_against_the_math_module(name):
    fn, value, _ = ROWS[name]
    call, code = F.NUMPY[fn]
    got = call(np.array(POINTS))
    np.testing.assert_allclose(got, [value(u) for u in POINTS], rtol=1e-13)
    assert isinstance(code, str) and code


@pytest.mark.parametrize("name", ["erf", "Phi", "softplus", "cosh", "sinh", "sech"])
def test_numpy_under_the_complex_step(name):
    """The verifier differentiates smooth programs by the complex step: Im f(x + ih)/h."""
    fn, value, _ = ROWS[name]
    call, _ = F.NUMPY[fn]
    h = 1e-30
    got = call(np.array(POINTS) + 1j * h)
    slope = [float(F.DERIVATIVES[fn](sp.Float(u))) for u in POINTS]
    np.testing.assert_allclose(got.real, [value(u) for u in POINTS], rtol=1e-13)
    np.testing.assert_allclose(got.imag / h, slope, rtol=1e-12)


def test_softplus_is_stable_for_large_arguments():
    call, _ = F.NUMPY[F.softplus]
    with np.errstate(over="raise", invalid="raise"):
        np.testing.assert_allclose(call(np.array([800.0, -800.0])), [800.0, 0.0], atol=1e-300)
        z = call(np.array([800.0 + 1e-30j, -800.0 + 1e-30j]))
    assert z.real[0] == 800.0 and z.imag[0] == pytest.approx(1e-30)


@pytest.mark.parametrize("name", sorted(ROWS))
def test_latex(name):
    fn, _, head = ROWS[name]
    tex = NotationLatexPrinter().doprint(fn(X))
    assert tex == head + "(x)"


def test_sign_is_a_kink_and_the_smooth_ones_are_not():
    assert issubclass(sp.sign, verify.KINKS)
    for name in ("erf", "Phi", "softplus", "cosh", "sinh", "sech"):
        assert not issubclass(ROWS[name][0], verify.KINKS), name


def test_phi_values():
    assert F.Phi(0) == sp.Rational(1, 2)
    assert float(F.Phi(sp.Rational(3, 2)).evalf(20)) == pytest.approx(_phi(1.5), rel=1e-15)
    assert F.Phi(X).diff(X).equals(sp.exp(-X ** 2 / 2) / sp.sqrt(2 * sp.pi))


# ----------------------------------------------------------------------------
# n-argument max and min, the constants


def _spec(tmp_path, pid, body):
    path = tmp_path / f"{pid}.yaml"
    path.write_text(body)
    return load_spec(path)


def _exported(tmp_path, pid):
    result = CliRunner().invoke(cli, ["--problems", str(tmp_path), "code", pid, "--backward"])
    assert result.exit_code == 0, result.output
    module = types.ModuleType(f"exported_{pid}")
    exec(compile(result.output, f"<derive code {pid}>", "exec"), module.__dict__)
    return module, result.output


def _derived_and_verified(spec):
    for part in spec.parts:
        answer = solve_part(spec, part)
        assert answer.status == "derived", answer.message
        assert answer.verified, answer.verification


MAX3 = """\
id: max3
title: A max of three
source: test
index: {j: J}
tensors:
  a: {shape: [j], role: input}
  b: {shape: [j], role: input}
  c: {shape: [j], role: input}
program: |
  y[j] = max(a[j], b[j], 2*c[j]) + min(a[j], b[j], c[j], 0)
sizes: {J: 4}
statement: A max and a min of several arguments.
parts:
  a: {ask: backprop, from: y, to: [a, b, c], text: Give the gradients.}
"""


def test_nary_max_and_min(tmp_path):
    spec = _spec(tmp_path, "max3", MAX3)
    st = spec.program.statements()[0]
    text = format_expr(st.rhs)
    assert "max(a[j], b[j], 2*c[j])" in text and "min(" in text
    assert "maxf" not in text and "minf" not in text
    tex = NotationLatexPrinter().doprint(st.rhs)
    assert r"\max(" in tex and "maxf" not in tex and r"\max(\max" not in tex
    _derived_and_verified(spec)
    module, code = _exported(tmp_path, "max3")
    assert "maxf" not in code and "minf" not in code
    rng = np.random.default_rng(0)
    a, b, c = (rng.normal(size=4) for _ in range(3))
    g = rng.normal(size=4)
    out = module.forward(a=a, b=b, c=c)
    got = module.backward(a=a, b=b, c=c, y_grad=g, **{k: v for k, v in out.items()
                                                        if k != "y"})

    def f(a, b, c):
        return anp.sum(g * (anp.maximum(anp.maximum(a, b), 2 * c)
                            + anp.minimum(anp.minimum(anp.minimum(a, b), c), 0.0)))
    for k, name in enumerate("abc"):
        np.testing.assert_allclose(got[name], grad(f, k)(a, b, c), rtol=1e-12, atol=1e-12)


def test_max_of_one_plain_argument_is_refused_without_internal_names(tmp_path):
    # (one argument is a max over a capital index, derive.front.reductions)
    with pytest.raises(NotationError) as info:
        _spec(tmp_path, "max1", MAX3.replace("max3", "max1").replace(
            "max(a[j], b[j], 2*c[j])", "max(a[j])"))
    assert "max(a, b)" in str(info.value)
    assert "maxf" not in str(info.value) and "minf" not in str(info.value)


CONST = """\
id: consts
title: Constants
source: test
index: {n: N}
tensors:
  x: {shape: [n], role: input}
program: |
  y[n] = 2*pi*x[n] + e^x[n] + e*x[n]^2 + log(2*pi)
sizes: {N: 3}
statement: pi and e.
parts:
  a: {ask: backprop, from: y, to: x, text: Give x.grad.}
"""


def test_pi_and_e_are_constants(tmp_path):
    spec = _spec(tmp_path, "consts", CONST)
    rhs = spec.program.statements()[0].rhs
    assert rhs.has(sp.pi) and rhs.has(sp.E) and rhs.has(sp.exp)
    assert not any(s.name in ("pi", "e") for s in rhs.free_symbols)
    tex = NotationLatexPrinter().doprint(rhs)
    assert r"\pi" in tex and r"\exp" in tex
    _derived_and_verified(spec)
    module, code = _exported(tmp_path, "consts")
    assert "np.pi" in code and "np.e" in code
    x = np.array([0.3, -1.1, 0.7])
    g = np.array([1.0, 2.0, -0.5])
    np.testing.assert_allclose(module.forward(x=x)["y"],
                               2 * np.pi * x + np.exp(x) + np.e * x ** 2 + np.log(2 * np.pi))
    got = module.backward(x=x, y_grad=g)["x"]
    np.testing.assert_allclose(got, g * (2 * np.pi + np.exp(x) + 2 * np.e * x), rtol=1e-12)


def test_a_spec_name_e_wins_over_the_constant(tmp_path):
    spec = _spec(tmp_path, "own_e", """\
id: own_e
title: Own e
source: test
index: {n: N}
symbols:
  e: {range: '(0, 1)'}
tensors:
  x: {shape: [n], role: input}
  pi: {shape: [n], role: input}
program: |
  y[n] = e * x[n] + pi[n]
sizes: {N: 3}
statement: e is a symbol, pi a tensor.
parts:
  a: {ask: backprop, from: y, to: x, text: Give x.grad.}
""")
    rhs = spec.program.statements()[0].rhs
    assert not rhs.has(sp.E) and not rhs.has(sp.pi)
    assert "e" in {s.name for s in rhs.free_symbols}


def test_an_index_named_e_is_still_an_index(tmp_path):
    with pytest.raises(Exception) as info:
        _spec(tmp_path, "idx_e", """\
id: idx_e
title: Index e
source: test
index: {e: E}
tensors:
  x: {shape: [e], role: input}
program: |
  y[e] = x[e] * e
sizes: {E: 3}
statement: e is an index.
parts:
  a: {ask: backprop, from: y, to: x, text: Give x.grad.}
""")
    assert "index 'e' used as a value" in str(info.value)


# ----------------------------------------------------------------------------
# end to end: each function in a spec, derived, verified, exported, against autograd


def _anp_phi(u):
    # autograd has no erf: the normal CDF by its Taylor series is too slow, so we
    # differentiate Phi by hand (Phi' = the normal density) through a primitive
    from autograd.extend import defvjp, primitive

    @primitive
    def phi(v):
        return np.vectorize(_phi)(v)
    defvjp(phi, lambda ans, v: lambda g: g * np.exp(-v * v / 2) / np.sqrt(2 * np.pi))
    return phi(u)


def _anp_erf(u):
    from autograd.extend import defvjp, primitive

    @primitive
    def erf(v):
        return np.vectorize(math.erf)(v)
    defvjp(erf, lambda ans, v: lambda g: g * 2 * np.exp(-v * v) / np.sqrt(np.pi))
    return erf(u)


# name -> (program text of h[j] from z[j], autograd forward of z)
E2E = {
    "erf": ("h[j] = erf(w[j] * z[j])", lambda z, w: _anp_erf(w * z)),
    "gelu": ("h[j] = z[j] * Phi(w[j] * z[j])", lambda z, w: z * _anp_phi(w * z)),
    "softplus": ("h[j] = softplus(w[j] * z[j]) * z[j]",
                 lambda z, w: anp.logaddexp(0.0, w * z) * z),
    "cosh": ("h[j] = cosh(w[j] * z[j]) + sinh(z[j])", lambda z, w: anp.cosh(w * z) + anp.sinh(z)),
    "sech": ("h[j] = sech(w[j] * z[j]) * z[j]", lambda z, w: z / anp.cosh(w * z)),
    "sign": ("h[j] = sign(z[j]) * w[j] * z[j]^2", lambda z, w: anp.sign(z) * w * z ** 2),
}

E2E_SPEC = """\
id: {pid}
title: {pid}
source: test
index: {{j: J}}
tensors:
  z: {{shape: [j], role: input}}
  w: {{shape: [j], role: parameter}}
program: |
  {program}
sizes: {{J: 5}}
statement: A new function.
parts:
  a: {{ask: backprop, from: h, to: [z, w], text: Give z.grad and w.grad.}}
"""


@pytest.mark.parametrize("name", sorted(E2E))
def test_end_to_end_against_autograd(tmp_path, name):
    program, forward = E2E[name]
    pid = f"fn_{name}"
    spec = _spec(tmp_path, pid, E2E_SPEC.format(pid=pid, program=program))
    _derived_and_verified(spec)
    module, code = _exported(tmp_path, pid)
    rng = np.random.default_rng(1)
    z, w, g = rng.normal(size=5), rng.normal(size=5), rng.normal(size=5)
    out = module.forward(z=z, w=w)
    np.testing.assert_allclose(out["h"], forward(z, w), rtol=1e-12)
    got = module.backward(z=z, w=w, h_grad=g)

    def loss(z, w):
        return anp.sum(g * forward(z, w))
    np.testing.assert_allclose(got["z"], grad(loss, 0)(z, w), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(got["w"], grad(loss, 1)(z, w), rtol=1e-10, atol=1e-12)


def test_exported_code_is_self_contained(tmp_path):
    spec_text = E2E_SPEC.format(pid="selfc", program="h[j] = Phi(z[j]) + softplus(w[j]) "
                                "+ sech(z[j]) + erf(w[j])")
    _spec(tmp_path, "selfc", spec_text)
    _, code = _exported(tmp_path, "selfc")
    for helper in ("def Phi(", "def erf(", "def softplus(", "def sech(", "import math",
                   "np.logaddexp"):
        assert helper in code, helper


# ----------------------------------------------------------------------------
# derive check: a student's answer written with the new names


CHECK_SPEC = """\
id: chk
title: Check
source: test
index: {j: J}
tensors:
  z: {shape: [j], role: input}
program: |
  h[j] = z[j] * Phi(z[j]) + softplus(z[j]) + max(z[j], 0, 2*z[j] - 1)
sizes: {J: 4}
statement: GELU, softplus, max.
parts:
  a: {ask: backprop, from: h, to: z, text: Give z.grad.}
"""


@pytest.mark.parametrize("text, verdict", [
    ("z.grad[j] = h.grad[j] * (Phi(z[j]) + z[j] * exp(-z[j]^2/2) / sqrt(2*pi) + sigma(z[j])"
     " + step(max(z[j], 0) - (2*z[j] - 1)) * step(z[j]) + 2*(1 - step(max(z[j], 0) - "
     "(2*z[j] - 1))))", "correct"),
    ("z.grad[j] = h.grad[j] * ((1 + erf(z[j] / sqrt(2)))/2 + z[j] * exp(-z[j]^2/2) / "
     "sqrt(2*pi) + 1/(1 + e^(-z[j])) + (z[j] > 0) * (z[j] < 1) + 2*(z[j] > 1))", "correct"),
    ("z.grad[j] = h.grad[j] * (Phi(z[j]) + sigma(z[j]) + (z[j] > 0) * (z[j] < 1) "
     "+ 2*(z[j] > 1))", "incorrect"),
])
def test_check_accepts_answers_with_the_new_names(tmp_path, text, verdict):
    spec = _spec(tmp_path, "chk", CHECK_SPEC)
    v = check_answer(spec, "a", text)
    assert v.verdict == verdict, (v.message, v.diagnosis)
    for internal in ("maxf", "minf", "ind("):
        assert internal not in v.message + " ".join(map(str, v.diagnosis))


def test_check_cli_with_the_new_names(tmp_path):
    _spec(tmp_path, "chk", CHECK_SPEC)
    answer = ("z.grad[j] = h.grad[j] * (Phi(z[j]) + z[j] * exp(-z[j]^2/2) / sqrt(2*pi) "
              "+ sigma(z[j]) + (z[j] > 0) * (z[j] < 1) + 2*(z[j] > 1))")
    result = CliRunner().invoke(cli, ["--problems", str(tmp_path), "check", "chk:a", answer])
    assert result.exit_code == 0, result.output


# ----------------------------------------------------------------------------
# the instructor's GELU and Gaussian NLL, as first written


def test_gelu_with_phi_from_the_vocabulary(tmp_path):
    spec = _spec(tmp_path, "gelu_v", """\
id: gelu_v
title: GELU
source: test
index: {j: J}
tensors:
  z: {shape: [j], role: input}
program: |
  h[j] = z[j] * Phi(z[j])
sizes: {J: 5}
statement: GELU.
parts:
  a: {ask: backprop, from: h, to: z, text: Give z.grad.}
""")
    _derived_and_verified(spec)
    module, _ = _exported(tmp_path, "gelu_v")
    z = np.linspace(-2, 2, 5)
    g = np.arange(1.0, 6.0)
    want = g * (np.vectorize(_phi)(z) + z * np.exp(-z * z / 2) / np.sqrt(2 * np.pi))
    np.testing.assert_allclose(module.backward(z=z, h_grad=g)["z"], want, rtol=1e-12)


def test_gaussian_nll_with_pi_and_e(tmp_path):
    spec = _spec(tmp_path, "nll", """\
id: nll
title: Gaussian NLL
source: test
index: {n: N}
tensors:
  x: {shape: [n], role: input}
  mu: {shape: [n], role: parameter}
  s2: {shape: [n], role: parameter, domain: positive}
  a: {shape: [n], role: input}
program: |
  for n: Loss += log(2*pi*s2[n]) / 2 + (x[n] - mu[n])^2 / (2*s2[n])
  for n: Loss += log(1 + e^(-a[n] * mu[n]))
sizes: {N: 3}
statement: NLL.
parts:
  a: {ask: backprop, from: Loss, to: [mu, s2], text: Give mu.grad and s2.grad.}
""")
    _derived_and_verified(spec)
    module, _ = _exported(tmp_path, "nll")
    rng = np.random.default_rng(2)
    x, mu, a = rng.normal(size=3), rng.normal(size=3), rng.normal(size=3)
    s2 = np.abs(rng.normal(size=3)) + 0.3

    def loss(mu, s2):
        return (anp.sum(anp.log(2 * anp.pi * s2) / 2 + (x - mu) ** 2 / (2 * s2))
                + anp.sum(anp.log(1 + anp.exp(-a * mu))))
    got = module.backward(x=x, mu=mu, s2=s2, a=a, Loss_grad=1.5)
    np.testing.assert_allclose(got["mu"], 1.5 * grad(loss, 0)(mu, s2), rtol=1e-12)
    np.testing.assert_allclose(got["s2"], 1.5 * grad(loss, 1)(mu, s2), rtol=1e-12)


def test_gelu_moments_under_a_normal_input(tmp_path):
    """E[z Phi(z)] = v / sqrt(2 pi (1 + v)) (Stein's lemma), and the variance in closed
    form, for z normal with mean 0 and variance v; derive checks both by Monte Carlo."""
    spec = _spec(tmp_path, "gelu_m", """\
id: gelu_m
title: GELU moments
source: test
index: {j: J}
tensors:
  z: {shape: [j], role: input}
program: |
  h[j] = z[j] * Phi(z[j])
sizes: {J: 5}
assume:
  z: {distribution: normal, mean: 0, variance: 2}
statement: GELU.
parts:
  a: {ask: mean, of: h, text: The mean of h.}
  b: {ask: variance, of: h, text: The variance of h.}
""")
    _derived_and_verified(spec)
    mean = solve_part(spec, "a").results[0].value
    var = solve_part(spec, "b").results[0].value
    assert float(mean) == pytest.approx(2 / math.sqrt(6 * math.pi), rel=1e-12)
    want = 2 * (0.25 + math.asin(2 / 3) / (2 * math.pi) + 2 / (3 * math.pi * math.sqrt(5)))
    assert float(var) == pytest.approx(want - 4 / (6 * math.pi), rel=1e-12)
