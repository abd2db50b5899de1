"""The chain-rule engine (derive/engines/backward.py), end to end.

a. Derived gradients against an independent autodiff library (HIPS autograd)
   on hand-written NumPy forward passes of the bundled problems.
b. The seed's published answers (TTIC 31230 2019 backprop problems 1-3).
c. Asymptotics: no derived statement iterates over more than the largest
   forward statement (no J x J Jacobian for softmax).
d. `verify_backward` passes for every backprop/gradient part, and fails for
   deliberately wrong backward programs.
e. Engine bugs found while writing these tests, named after what broke (strict
   xfails while still open).
"""
from __future__ import annotations

import dataclasses
import functools
import re
from pathlib import Path

import numpy as np
import pytest
import sympy as sp

from derive.engines.backward import derive_backward
from derive.core.errors import VerificationError
from derive.run.execute import Executor, random_symbols, run
from derive.core.program import tensor_layout
from derive.core.program import Block, Program, is_grad_name, base_of, ref, ref_name
from derive.front.resolve import build_program
from derive.front.folder import find_problems
from derive.front.spec import load_spec, parse_spec
from derive.run.verify import verify_backward

autograd = pytest.importorskip("autograd")
import autograd.numpy as anp  # noqa: E402
from autograd import grad  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
PROBLEMS = ROOT / "problems"
BACKWARD_KINDS = ("backprop", "gradient")


# --------------------------------------------------------------------------
# specs and derivations, each computed once per session
# --------------------------------------------------------------------------


@functools.lru_cache(maxsize=None)
def spec_of(pid: str):
    return load_spec(PROBLEMS / f"{pid}.yaml")


@functools.lru_cache(maxsize=None)
def derived(pid: str, label: str):
    spec = spec_of(pid)
    p = spec.part(label)
    return derive_backward(spec.program, p.args["from"], p.args["to"], p.args.get("through"),
                           p.args.get("average_over"))


def _backward_parts(pid: str) -> list:
    """The spec's backprop/gradient part labels (a spec that fails to load still gets a
    row, so its error shows up as a failing test rather than a collection error)."""
    try:
        return [label for label, part in spec_of(pid).parts.items()
                if part.kind in BACKWARD_KINDS]
    except Exception:            # noqa: BLE001 - reported by the test itself
        return ["<spec does not load>"]


BACKWARD_PARTS = [(path.stem, label)
                  for path in find_problems(PROBLEMS)
                  for label in _backward_parts(path.stem)]
PART_IDS = [f"{pid}:{label}" for pid, label in BACKWARD_PARTS]


def random_inputs(spec, sizes, rng) -> dict:
    """Standard normal values for every input and parameter of the spec."""
    out = {}
    for name, info in spec.program.tensors.items():
        if info.role in ("input", "parameter"):
            shape, _ = tensor_layout(info, sizes)
            out[name] = rng.standard_normal(shape)
    return out


def run_backward(program: Program, spec, sizes, env: dict, seeds: dict) -> Executor:
    """Run a backward program on the forward env with the given source gradients."""
    ex = Executor(program, sizes, random_symbols(spec.program, 0))
    ex.env = {k: np.array(v, dtype=float, copy=True) for k, v in env.items()}
    for name, g in seeds.items():
        ex.env[name + ".grad"] = np.array(g, dtype=float, copy=True)
    ex.run()
    return ex


def forward_and_seeds(pid: str, label: str, seed: int):
    """(sizes, inputs, forward env, source-gradient seeds) at the spec's default sizes."""
    spec = spec_of(pid)
    sizes = spec.default_sizes()
    rng = np.random.default_rng(seed)
    inputs = random_inputs(spec, sizes, rng)
    env = run(spec.program, sizes, inputs, seed=0)
    seeds = {f: np.asarray(rng.standard_normal(env[f].shape)) for f in derived(pid, label).sources}
    return sizes, inputs, env, seeds


# --------------------------------------------------------------------------
# a. against autograd, on hand-written NumPy forward passes
# --------------------------------------------------------------------------
# Each reference takes (inputs, forward env, seeds) and returns the gradient
# of sum_F <seed_F, F> over the part's sources, for every target.  A computed
# target X (mu, s, Z, Y, h) is differentiated the way derive defines X.grad:
# every read of X in the (sub)program becomes a read of X + dX, at dX = 0.


def _sig(z):
    return 1.0 / (1.0 + anp.exp(-z))


def ref_softmax_full(inp, env, seeds):
    g = seeds["p"]

    def f(s):
        e = anp.exp(s)
        return anp.sum(g * e / anp.sum(e, axis=1, keepdims=True))
    return {"s": grad(f)(inp["s"])}


def ref_softmax_a(inp, env, seeds):          # second loop only, Z held fixed
    g, Z = seeds["p"], env["Z"]
    return {"s": grad(lambda s: anp.sum(g * anp.exp(s) / Z[:, None]))(inp["s"])}


def ref_softmax_b(inp, env, seeds):          # second loop only, gradient into Z
    g, Z, s = seeds["p"], env["Z"], inp["s"]
    f = lambda dZ: anp.sum(g * anp.exp(s) / (Z + dZ)[:, None])  # noqa: E731
    return {"Z": grad(f)(np.zeros_like(Z))}


def ref_softmax_c(inp, env, seeds):          # first loop only, from Z.grad
    g = seeds["Z"]
    return {"s": grad(lambda s: anp.sum(g * anp.sum(anp.exp(s), axis=1)))(inp["s"])}


def ref_batchnorm(inp, env, seeds):
    x, g = inp["x"], seeds["xp"]
    B = x.shape[0]

    def f(x, dmu, ds):
        mu = anp.sum(x, axis=0) / B + dmu
        s = anp.sum((x - mu) ** 2, axis=0) / (B - 1) + ds
        return anp.sum(g * (x - mu) / anp.sqrt(s))
    zero = np.zeros(x.shape[1])
    gx, gmu, gs = grad(f, (0, 1, 2))(x, zero, zero)
    return {"x": gx, "mu": gmu, "s": gs}


GRU_PARAMS = ("Whg1", "Wxg1", "BG1", "Whg2", "Wxg2", "BG2", "Whr", "Wxr", "BR")


def ref_gru(inp, env, seeds):
    """The GRU of problems/gru.yaml over t = 1..T with h_0 = 0."""
    x, g = inp["x"], seeds["h"]
    B, T, _ = x.shape
    J = inp["BG1"].shape[0]

    def f(*params):
        P = dict(zip(GRU_PARAMS, params))
        h = anp.zeros((B, J))
        total = 0.0
        for t in range(T):
            xt = x[:, t, :]
            G1 = _sig(anp.dot(h, P["Whg1"].T) + anp.dot(xt, P["Wxg1"].T) - P["BG1"])
            hp = G1 * h
            G2 = _sig(anp.dot(h, P["Whg2"].T) + anp.dot(xt, P["Wxg2"].T) - P["BG2"])
            R = anp.tanh(anp.dot(hp, P["Whr"].T) + anp.dot(xt, P["Wxr"].T) - P["BR"])
            h = (1 - G2) * h + G2 * R
            total = total + anp.sum(g[:, t, :] * h)
        return total
    grads = grad(f, tuple(range(len(GRU_PARAMS))))(*[inp[n] for n in GRU_PARAMS])
    return dict(zip(GRU_PARAMS, grads))


def ref_ugrnn_rt(inp, env, seeds):
    """UGRNN part b: Rt from h_{t-1} and x_t; parameter gradients averaged over B."""
    x, h, g = inp["x"], env["h"], seeds["Rt"]
    B = x.shape[0]

    def f(Whr, Wxr, BR, h, x):
        hprev = anp.concatenate([anp.zeros_like(h[:, :1, :]), h[:, :-1, :]], axis=1)
        Rt = anp.dot(hprev, Whr.T) + anp.dot(x, Wxr.T) - BR
        return anp.sum(g * Rt)
    gWhr, gWxr, gBR, gh, gx = grad(f, (0, 1, 2, 3, 4))(inp["Whr"], inp["Wxr"], inp["BR"], h, x)
    return {"Whr": gWhr / B, "Wxr": gWxr / B, "BR": gBR / B, "h": gh, "x": gx}


def ref_lenet_conv(inp, env, seeds):
    """LeNet-5 part b: the valid F x G convolution, bias and tanh."""
    g = seeds["Y"]
    M, N, D = g.shape
    F, G = inp["W"].shape[:2]

    def f(W, b, X0):
        Yt = anp.zeros((M, N, D)) + b
        for dx in range(F):
            for dy in range(G):
                Yt = Yt + anp.tensordot(X0[dx:dx + M, dy:dy + N, :], W[dx, dy], axes=([2], [0]))
        return anp.sum(g * anp.tanh(Yt))
    gW, gb, gX0 = grad(f, (0, 1, 2))(inp["W"], inp["b"], inp["X0"])
    return {"W": gW, "b": gb, "X0": gX0}


def ref_lenet_pool(inp, env, seeds):
    """LeNet-5 part a: the weighted 2x2 mean-pool and sigma."""
    Y, g = env["Y"], seeds["X1"]

    def f(w, a, dY):
        Yp = Y + dY
        pooled = (Yp[0::2, 0::2] + Yp[1::2, 0::2] + Yp[0::2, 1::2] + Yp[1::2, 1::2]) / 4
        return anp.sum(g * _sig(w * pooled + a))
    gw, ga, gY = grad(f, (0, 1, 2))(inp["w"], inp["a"], np.zeros_like(Y))
    return {"w": gw, "a": ga, "Y": gY}


def ref_relu_unit(inp, env, seeds):
    x, g = inp["x"], seeds["y"]
    return {"w": grad(lambda w: anp.sum(g * anp.maximum(anp.dot(w, x), 0.0)))(inp["w"])}


AUTOGRAD_ROWS = [
    # (problem, part, reference, rtol)
    ("softmax", "full", ref_softmax_full, 1e-8),
    ("softmax", "a", ref_softmax_a, 1e-8),
    ("softmax", "b", ref_softmax_b, 1e-8),
    ("softmax", "c", ref_softmax_c, 1e-8),
    ("batchnorm", "a", ref_batchnorm, 1e-8),
    ("gru", "a", ref_gru, 1e-8),
    ("ugrnn", "b", ref_ugrnn_rt, 1e-8),
    ("lenet5", "b", ref_lenet_conv, 1e-8),
    ("lenet5", "a", ref_lenet_pool, 1e-8),
    ("relu_unit", "a", ref_relu_unit, 1e-8),
]


@pytest.mark.parametrize("pid, label, reference, rtol", AUTOGRAD_ROWS,
                         ids=[f"{r[0]}:{r[1]}" for r in AUTOGRAD_ROWS])
def test_gradients_match_autograd(pid, label, reference, rtol):
    bw = derived(pid, label)
    sizes, inputs, env, seeds = forward_and_seeds(pid, label, seed=20190)
    ex = run_backward(bw.program, spec_of(pid), sizes, env, seeds)
    expected = reference(inputs, env, seeds)
    assert set(expected) == set(bw.targets)
    for name in bw.targets:
        got = ex.array(name + ".grad")
        assert np.all(np.isfinite(got)), name
        np.testing.assert_allclose(got, expected[name], rtol=rtol, atol=1e-12,
                                   err_msg=f"{pid}:{label}: {name}.grad")
        assert np.abs(expected[name]).max() > 1e-6 or name == "h", \
            f"{name}.grad is (near) zero: the comparison would be vacuous"


# --------------------------------------------------------------------------
# b. the seed's published answers
# --------------------------------------------------------------------------


def _loops(st, outer=()):
    return tuple((lp.var, sp.expand(lp.lo), sp.expand(lp.hi)) for lp in tuple(outer) + st.loops)


def _softmax_definitions(expr):
    """p[b, j] -> exp(s[b, j]) / Z[b], so equal answers compare equal symbolically."""
    return expr.replace(lambda e: isinstance(e, sp.Indexed) and ref_name(e) == "p",
                        lambda e: sp.exp(ref("s", e.indices)) / ref("Z", e.indices[:1]))


def assert_same_statements(got: Program, expected: Program, rewrite=lambda e: e):
    g, e = list(got.walk()), list(expected.walk())
    assert len(g) == len(e), f"\n{got.text()}\n!=\n{expected.text()}"
    for (a, oa), (b, ob) in zip(g, e):
        assert a.target == b.target and a.op == b.op, (a, b)
        assert _loops(a, oa) == _loops(b, ob), (a.loops, b.loops)
        assert sp.simplify(rewrite(a.rhs) - rewrite(b.rhs)) == 0, (a.rhs, b.rhs)


def _same_numbers(pid, label, program_a, program_b, names, seed=7):
    spec = spec_of(pid)
    sizes, _, env, seeds = forward_and_seeds(pid, label, seed)
    ea = run_backward(program_a, spec, sizes, env, seeds)
    eb = run_backward(program_b, spec, sizes, env, seeds)
    for n in names:
        np.testing.assert_allclose(ea.array(n), eb.array(n), rtol=1e-12, atol=1e-14,
                                   err_msg=n)


SEED_SOFTMAX_A = "for b, j: s.grad[b, j] += p.grad[b, j]*p[b, j]"
SEED_SOFTMAX_FULL = """\
for b, j: e[b] -= p[b, j]*p.grad[b, j]
for b, j: s.grad[b, j] += p[b, j]*(p.grad[b, j] + e[b])
"""


def test_softmax_part_a_is_the_seed_answer():
    spec = spec_of("softmax")
    expected = build_program(SEED_SOFTMAX_A, spec.scope, answer=True)
    got = derived("softmax", "a").program
    assert_same_statements(got, expected, _softmax_definitions)
    _same_numbers("softmax", "a", got, expected, ["s.grad"])


def test_softmax_full_is_the_O_BJ_form_of_seed_problem_3():
    """A per-row temporary e[b] (updated with -=), then s.grad += p*(p.grad + e)."""
    spec = spec_of("softmax")
    bw = derived("softmax", "full")
    lines = bw.text().splitlines()
    assert len(lines) == 2, bw.text()
    assert re.match(r"^for b, j: e\[b\] -= ", lines[0]), lines
    assert re.match(r"^for b, j: s\.grad\[b, j\] \+= ", lines[1]), lines
    assert bw.program.tensors["e"].ranges == spec.program.tensors["Z"].ranges   # e is per row
    expected = build_program(SEED_SOFTMAX_FULL, spec.scope, answer=True)
    assert_same_statements(bw.program, expected)
    _same_numbers("softmax", "full", bw.program, expected, ["s.grad"])


def test_softmax_full_equals_parts_a_b_c_combined():
    """The optimized form adds up to problem 2's three loops run in order."""
    spec = spec_of("softmax")
    pieces = build_program("for b, j: Z.grad[b] += -p.grad[b, j]*exp(s[b, j])/Z[b]**2\n"
                           "for b, j: s.grad[b, j] += p.grad[b, j]*exp(s[b, j])/Z[b]\n"
                           "for b, j: s.grad[b, j] += Z.grad[b]*exp(s[b, j])\n",
                           spec.scope, answer=True)
    _same_numbers("softmax", "full", derived("softmax", "full").program, pieces, ["s.grad"])


def test_relu_unit_gradient_is_y_grad_step_z_x():
    """w.grad[i] = y.grad * step(z) * x[i], on both sides of the kink."""
    spec = spec_of("relu_unit")
    bw = derived("relu_unit", "a")
    # symbolically: compose the derived statements
    composed = None
    defs = {}
    for st in bw.program.statements():
        rhs = st.rhs.xreplace(defs)
        if st.target_name == "w.grad":
            composed = rhs
        else:
            defs[st.target] = rhs
    expected = build_program("w.grad[i] = y.grad * step(z) * x[i]", spec.scope, answer=True)
    assert composed is not None
    assert sp.simplify(composed - expected.statements()[0].rhs) == 0, composed
    # numerically, with z > 0 and z < 0
    sizes = spec.default_sizes()
    rng = np.random.default_rng(3)
    x, w = rng.standard_normal(sizes["d"]), rng.standard_normal(sizes["d"])
    for sign in (1.0, -1.0):
        w_s = sign * np.sign(w @ x) * w
        env = run(spec.program, sizes, {"w": w_s, "x": x})
        assert np.sign(env["z"]) == sign
        ygrad = np.asarray(rng.standard_normal())
        ex = run_backward(bw.program, spec, sizes, env, {"y": ygrad})
        np.testing.assert_allclose(ex.array("w.grad"), ygrad * (sign > 0) * x, rtol=1e-12,
                                   atol=1e-15)


# --------------------------------------------------------------------------
# c. asymptotics: no statement iterates over more than the forward's largest
# --------------------------------------------------------------------------

LARGE = 10 ** 6


def iteration_spaces(program: Program) -> list:
    """Each statement's iteration count, with its enclosing block loops (SymPy)."""
    return [sp.expand(sp.Mul(*[lp.count() for lp in tuple(outer) + tuple(st.loops)]))
            for st, outer in program.walk()]


def _degree(count, syms) -> int:
    return sp.Poly(count, *syms).total_degree() if syms else 0


@pytest.mark.parametrize("pid, label", BACKWARD_PARTS, ids=PART_IDS)
def test_backward_work_is_bounded_by_the_forward(pid, label):
    spec = spec_of(pid)
    bw = derived(pid, label)
    syms = list(spec.program.sizes.values())
    big = {s: LARGE for s in syms}
    forward = iteration_spaces(bw.forward)
    backward = iteration_spaces(bw.program)
    assert backward, "no backward statements"
    for c in forward + backward:
        assert c.is_polynomial(*syms) and not (c.free_symbols - set(syms)), c
    f_deg = max(_degree(c, syms) for c in forward)
    f_big = max(c.xreplace(big) for c in forward)
    for st, c in zip(bw.program.statements(), backward):
        assert c.xreplace(big) > 0, (st, c)
        assert _degree(c, syms) <= f_deg, f"{st.target}: {c} vs forward degree {f_deg}"
        assert c.xreplace(big) <= f_big, f"{st.target}: {c} outgrows the forward"


def test_softmax_backward_has_no_J_by_J_term():
    spec = spec_of("softmax")
    J = spec.program.sizes["J"]
    jr = spec.program.indices["j"]
    for label in ("a", "b", "c", "full"):
        bw = derived("softmax", label)
        for c in iteration_spaces(bw.program):
            assert sp.degree(c, J) <= 1, (label, c)
        for name, info in bw.program.tensors.items():
            assert sum(tuple(r) == tuple(jr) for r in info.ranges) <= 1, (label, name)


@pytest.mark.parametrize("pid, label", BACKWARD_PARTS, ids=PART_IDS)
def test_backward_tensors_are_no_larger_than_forward_tensors(pid, label):
    """Gradients mirror their tensors; temporaries (e[b]) are no larger than a forward tensor."""
    spec = spec_of(pid)
    bw = derived(pid, label)
    big = {s: LARGE for s in spec.program.sizes.values()}

    def size(info):
        return sp.Mul(*[(hi - lo + 1) for lo, hi in info.ranges]).xreplace(big)
    largest = max(size(i) for i in spec.program.tensors.values())
    for name, info in bw.program.tensors.items():
        if name in spec.program.tensors:
            continue
        if is_grad_name(name):
            assert info.ranges == spec.program.tensors[base_of(name)].ranges, name
        else:
            assert size(info) <= largest, name


# --------------------------------------------------------------------------
# d. numeric verification: passes for every part, fails for wrong programs
# --------------------------------------------------------------------------


@pytest.mark.parametrize("pid, label", BACKWARD_PARTS, ids=PART_IDS)
def test_verify_backward_passes(pid, label):
    spec = spec_of(pid)
    v = verify_backward(spec.program, derived(pid, label), spec.default_sizes())
    assert v.passed and v.worst <= v.tolerance
    assert len(v.checks) >= 4                      # two sizes x two seeds


def mutated(bw, k: int, how: str):
    """A copy of bw whose k-th statement (in walk order) is sign-flipped or dropped."""
    target = bw.program.statements()[k]
    prog = bw.program.map(lambda st: st if st is not target
                          else st.with_(rhs=-st.rhs) if how == "flip" else None)
    return dataclasses.replace(bw, program=prog)


MUTANT_PARTS = [("softmax", "full"), ("batchnorm", "a"), ("relu_unit", "a"),
                ("lenet5", "a"), ("lenet5", "b"), ("ugrnn", "b")]
def _statement_count(pid: str, label: str) -> int:
    try:
        return len(derived(pid, label).statements())
    except Exception:            # noqa: BLE001 - one row, which reports the error
        return 1


MUTANTS = [(pid, label, k, how)
           for pid, label in MUTANT_PARTS
           for k in range(_statement_count(pid, label))
           for how in ("flip", "drop")]


@pytest.mark.parametrize("pid, label, k, how", MUTANTS,
                         ids=[f"{p}:{l}-{h}-{k}" for p, l, k, h in MUTANTS])
def test_verify_backward_rejects_a_wrong_program(pid, label, k, how):
    spec = spec_of(pid)
    bad = mutated(derived(pid, label), k, how)
    with pytest.raises(VerificationError, match="fails its numeric check"):
        verify_backward(spec.program, bad, spec.default_sizes(), seeds=(0,), variants=1)


def test_verify_backward_rejects_a_shifted_time_index():
    """ugrnn b: h.grad[b, t-1, i] written at t instead of t-1."""
    spec = spec_of("ugrnn")
    bw = derived("ugrnn", "b")
    t = sp.Symbol("t", integer=True)

    def shift(items):
        out = []
        for it in items:
            if isinstance(it, Block):
                out.append(Block(it.loops, shift(it.body), it.line))
            elif it.target_name == "h.grad":
                out.append(it.with_(target=it.target.xreplace({t - 1: t})))
            else:
                out.append(it)
        return out
    p = bw.program
    bad = dataclasses.replace(bw, program=Program(shift(p.items), p.tensors, p.indices,
                                                  p.symbols, p.functions, p.sizes))
    assert "h.grad[b, t, i]" in bad.text()
    with pytest.raises(VerificationError):
        verify_backward(spec.program, bad, spec.default_sizes(), seeds=(0,), variants=1)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_verify_backward_rejects_nan_gradients():
    """Once broke: max(worst, nan) == worst, so a NaN gradient counted as error 0."""
    spec = spec_of("softmax")
    bw = derived("softmax", "full")
    st = bw.program.items[-1]
    p = bw.program
    items = p.items[:-1] + [st.with_(rhs=st.rhs * sp.log(-1 - st.rhs ** 2))]   # log(<0): NaN
    bad = dataclasses.replace(bw, program=Program(items, p.tensors, p.indices, p.symbols,
                                                  p.functions, p.sizes))
    with pytest.raises(VerificationError):
        verify_backward(spec.program, bad, spec.default_sizes(), seeds=(0,), variants=1)


# --------------------------------------------------------------------------
# e. engine bugs, each named after what broke (strict xfails while still open)
# --------------------------------------------------------------------------

_HEAD = "id: probe\ntitle: probe\nsource: probe\n"


def _derive_and_verify(body: str):
    spec = parse_spec(_HEAD + body)
    p = spec.part("a")
    bw = derive_backward(spec.program, p.args["from"], p.args["to"], p.args.get("through"),
                         p.args.get("average_over"))
    verify_backward(spec.program, bw, spec.default_sizes())
    return bw


def test_backward_block_from_two_runs_backwards_in_time():
    """Once broke: the reversed block `for t in T..2` was Loop(t, T, 2); Loop.descending
    could not prove T - 2 >= 0, so the executor ran it zero times (count() was 3 - T)."""
    bw = _derive_and_verify("""index: {t: 1..T, j: J}
tensors:
  x: {shape: [t, j], role: input}
  W: {shape: [j], role: parameter}
  h: {shape: [t, j]}
program: |
  for t in 2..T:
      h[t, j] = tanh(W[j] * h[t-1, j] + x[t, j])
sizes: {T: 4, J: 3}
parts:
  a: {ask: backprop, from: h, to: [W, x], text: x}
""")
    (block,) = bw.program.items
    T = bw.program.sizes["T"]
    assert sp.simplify(block.loops[0].count() - (T - 1)) == 0
    J = bw.program.sizes["J"]
    assert [c.xreplace({T: 5, J: 3}) for c in iteration_spaces(bw.program)] == [4 * 3] * 3


def test_recurrence_in_one_statement_finishes_its_gradient_before_use():
    """Once broke: for a statement reading its own target (a recurrence without a block)
    the adjoints came in read order, so W.grad read h.grad before it was complete."""
    _derive_and_verify("""index: {t: 1..T, j: J}
tensors:
  x: {shape: [t, j], role: input}
  W: {shape: [j], role: parameter}
  h: {shape: [t, j]}
program: |
  for t, j: h[t, j] = tanh(W[j] * h[t-1, j] + x[t, j])
sizes: {T: 4, J: 3}
parts:
  a: {ask: backprop, from: h, to: [W, x], text: x}
""")


def test_average_over_a_block_loop_divides_by_the_batch():
    """Once broke: average_over only looked at the statement's own loops, so a batch loop
    of an enclosing block was missed and W.grad was not divided by B."""
    _derive_and_verify("""index: {b: B, j: J}
tensors:
  x: {shape: [b, j], role: input}
  W: {shape: [j], role: parameter}
  y: {shape: [b, j]}
program: |
  for b:
      y[b, j] = tanh(W[j] * x[b, j])
sizes: {B: 3, J: 2}
parts:
  a: {ask: backprop, from: y, to: [W], average_over: b, text: x}
""")


def test_assignment_overwrite_kills_the_old_gradient():
    """Once broke: `=` into an already-written tensor was differentiated like `+=`: the
    overwritten value's reads still received gradient (x.grad = 3 y.grad, not 2 y.grad)."""
    _derive_and_verify("""index: {j: J}
tensors:
  x: {shape: [j], role: input}
  y: {shape: [j]}
program: |
  y[j] = x[j]
  y[j] = 2 * x[j]
sizes: {J: 3}
parts:
  a: {ask: backprop, from: y, to: x, text: x}
""")


def test_in_place_update_scales_the_gradient():
    """Once broke: an in-place update y = 2*y gave `y.grad += 2*y.grad` (3x) instead of
    scaling the gradient (y.grad = 2*y.grad)."""
    _derive_and_verify("""index: {j: J}
tensors:
  x: {shape: [j], role: input}
  y: {shape: [j]}
program: |
  y[j] = exp(x[j])
  y[j] = 2 * y[j]
sizes: {J: 3}
parts:
  a: {ask: backprop, from: y, to: x, text: x}
""")


def test_forward_terms_never_divide_by_a_value_gated_tanh_saturated_gate(tmp_path):
    """h = g * tanh(c): the backward once read tanh(c) as h/g ('in forward quantities'),
    c.grad += (g - h**2/g) * h.grad, which is 0/0 = NaN where the gate g is 0."""
    spec = parse_spec("""
id: gated
title: A gated tanh
source: derive tests
index: {j: J}
tensors:
  g: {shape: [j], role: input}
  c: {shape: [j], role: input}
program: |
  h[j] = g[j] * tanh(c[j])
sizes: {J: 3}
statement: A gate.
parts:
  a: {ask: backprop, from: h, to: [g, c], text: Give the gradients.}
""")
    bw = derive_backward(spec.program, ["h"], ["g", "c"])
    for st in bw.program.statements():
        assert not any(isinstance(a, sp.Pow) and a.exp.is_negative and a.base.has(sp.Indexed)
                       for a in sp.preorder_traversal(st.rhs)), st
    g, c = np.array([0.0, 0.5, -1.0]), np.array([0.3, -2.0, 1.0])
    env = run(spec.program, {"J": 3}, {"g": g, "c": c})
    hgrad = np.array([1.0, -0.5, 2.0])
    ex = run_backward(bw.program, spec, {"J": 3}, env, {"h": hgrad})
    np.testing.assert_allclose(ex.array("c.grad"), hgrad * g * (1 - np.tanh(c) ** 2),
                               rtol=1e-12, atol=0)
