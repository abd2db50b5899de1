"""Issue 14, items 8 and 10: the program's own identities, and matrix forms with a
transpose (attention) and batched outer products.

References are independent: autograd on hand-written NumPy forwards, and the matrix
forms evaluated with NumPy from derive's form tree (never from its text)."""
from __future__ import annotations

import autograd.numpy as anp
import numpy as np
import pytest
import sympy as sp
from autograd import grad

from derive.answers import solve_part
from derive.core.program import Program, reads, ref, ref_name
from derive.engines import matrix as M
from derive.engines.backward import derive_backward
from derive.engines.identities import facts
from derive.front.spec import load_spec, parse_spec
from derive.run.execute import random_symbols
from derive.run.verify import run_backward

ATTENTION = """
id: attn_grad
title: Attention gradients
source: test
index: {q: T, e: T, d: D, v: D}
tensors:
  Q: {shape: [q, d], role: input}
  K: {shape: [e, d], role: input}
  V: {shape: [e, v], role: input}
program: |
  S[q, e] = Q[q, D] * K[e, D]
  for q, e: Z[q] += exp(S[q, e])
  P[q, e] = exp(S[q, e]) / Z[q]
  O[q, v] = P[q, E] * V[E, v]
sizes: {T: 3, D: 2}
statement: x
parts:
  a: {ask: gradient, from: O, to: [V, Q, K], matrix: true, text: x}
"""

BATCHED = """
id: batched
title: A batched linear layer
source: test
index: {b: B, i: N, j: M}
tensors:
  x: {shape: [b, i], role: input}
  W: {shape: [j, i], role: parameter}
  c: {shape: [j], role: parameter}
program: |
  z[b, j] = W[j, I] * x[b, I] + c[j]
  h[b, j] = tanh(z[b, j])
sizes: {B: 4, N: 3, M: 2}
statement: x
parts:
  a: {ask: gradient, from: h, to: [W, c], matrix: true, text: x}
"""


# --------------------------------------------------------------------------
# evaluating a matrix form from its tree
# --------------------------------------------------------------------------

ONE, ONE_T = "1", "1^T"
FUNCS = {"exp": np.exp, "log": np.log, "tanh": np.tanh,
         "step": lambda u: (u > 0).astype(float), "sigma": lambda u: 1 / (1 + np.exp(-u)),
         "relu": lambda u: np.maximum(u, 0)}


def _expr(e, leaves, consts):
    if e in leaves:
        return leaves[e]
    if e.is_Number:
        return float(e)
    if e.is_Symbol:
        return consts[e.name]
    if e.is_Add:
        return sum(_expr(a, leaves, consts) for a in e.args)
    if e.is_Mul:
        out = 1.0
        for a in e.args:
            out = out * _expr(a, leaves, consts)
        return out
    if e.is_Pow:
        return _expr(e.base, leaves, consts) ** _expr(e.exp, leaves, consts)
    return FUNCS[type(e).__name__](_expr(e.args[0], leaves, consts))


def _node(n, env, consts):
    """Vectors are columns (n, 1); a transpose turns them into rows."""
    if isinstance(n, M.Mat):
        assert not n.sub
        a = np.asarray(env[n.name], dtype=float)
        return a.reshape(-1, 1) if a.ndim == 1 else a
    if isinstance(n, M.Ones):
        return ONE
    if isinstance(n, M.T):
        x = _node(n.x, env, consts)
        return ONE_T if x is ONE else x.T
    if isinstance(n, M.Scalar):
        return np.asarray(_expr(n.expr, {}, consts))
    if isinstance(n, M.Elem):
        leaves = {s: _node(m, env, consts) for s, m in n.names}
        return np.asarray(_expr(n.expr, leaves, consts))
    if isinstance(n, M.Had):
        out = 1.0
        for x in n.xs:
            out = out * _node(x, env, consts)
        return out
    if isinstance(n, M.SumAll):
        return np.asarray(_node(n.x, env, consts).sum())
    if isinstance(n, M.Prod):
        acc, scale = None, 1.0
        items = [_node(x, env, consts) for x in n.xs]
        for k, x in enumerate(items):
            if not isinstance(x, str) and np.ndim(x) == 0:
                scale = scale * x
            elif x is ONE:                        # X 1 sums the columns; first: 1 u^T
                acc = "ones-col" if acc is None else acc.sum(axis=1, keepdims=True)
            elif x is ONE_T:                      # 1^T X sums the rows; last: u 1^T
                acc = "ones-row" if acc is None else acc
            elif acc is None:
                acc = x
            elif acc == "ones-row" if isinstance(acc, str) else False:
                acc = x.sum(axis=0, keepdims=True)
            elif acc == "ones-col" if isinstance(acc, str) else False:
                acc = x                           # 1 u^T: a row, broadcast down
            else:
                acc = acc @ x
        return scale * acc if acc is not None else np.asarray(scale)
    raise TypeError(n)


def form_value(form: M.Form, env, consts, shape):
    total = 0.0
    for sign, t in form.terms:
        total = total + sign * _node(t, env, consts)
    return np.broadcast_to(total, shape if len(shape) == 2 else np.shape(total)).reshape(shape)


def check_forms(spec, ans, seed=0):
    """Each matrix form, evaluated from its tree, equals the closed form's loops."""
    prog = Program(ans.closed, ans.program.tensors, ans.program.indices,
                   spec.program.symbols, spec.program.functions, spec.program.sizes)
    sizes = spec.default_sizes()
    env = run_backward(spec.program, prog, ans.backward.sources, sizes, seed, unit=True)
    consts = {**{str(k): v for k, v in sizes.items()}, **random_symbols(spec.program, seed)}
    sums: dict = {}
    for st, form, why in ans.matrix:
        assert form is not None, f"{st}: {why}"
        shape = np.shape(env[st.target_name])
        value = form_value(form, env, consts, shape)
        prev = sums.get(st.target_name, 0.0)
        sums[st.target_name] = value if form.op == "=" else \
            prev + (value if form.op == "+=" else -value)
    for name, value in sums.items():
        np.testing.assert_allclose(value, env[name], rtol=1e-10, atol=1e-12, err_msg=name)
    return env


# --------------------------------------------------------------------------
# 10: matrix forms
# --------------------------------------------------------------------------


def test_attention_matrix_forms_with_a_transpose():
    spec = parse_spec(ATTENTION)
    ans = solve_part(spec, "a")
    texts = {st.target_name: f.text() for st, f, _ in ans.matrix}
    assert texts["V.grad"] == "V.grad += P^T O.grad"
    assert texts["P.grad"] == "P.grad += O.grad V^T"
    assert "1^T" in texts["Q.grad"] and texts["K.grad"].endswith(")^T Q")
    env = check_forms(spec, ans)
    # autograd on a hand-written attention
    Q, K, V, Og = env["Q"], env["K"], env["V"], env["O.grad"]

    def loss(Q, K, V):
        S = Q @ K.T
        P = anp.exp(S) / anp.sum(anp.exp(S), axis=1, keepdims=True)
        return anp.sum((P @ V) * Og)
    for k, name in enumerate(["Q", "K", "V"]):
        np.testing.assert_allclose(env[name + ".grad"], grad(loss, k)(Q, K, V), rtol=1e-10)


def test_batched_outer_product_and_batch_sum():
    spec = parse_spec(BATCHED)
    ans = solve_part(spec, "a")
    texts = {st.target_name: f.text() for st, f, _ in ans.matrix if f is not None}
    # z.grad inlined by the closed form: a batched outer product, a batch sum 1^T
    assert texts["W.grad"] == "W.grad += ((1 - h**2) ∘ h.grad)^T x"
    assert texts["c.grad"] == "c.grad += 1^T ((1 - h**2) ∘ h.grad)"
    env = check_forms(spec, ans)
    x, W, c = env["x"], env["W"], env["c"]

    def loss(W, c):
        return anp.sum(anp.tanh(x @ W.T + c))      # h.grad = 1 (unit)
    np.testing.assert_allclose(env["W.grad"], grad(loss, 0)(W, c), rtol=1e-10)
    np.testing.assert_allclose(env["c.grad"], grad(loss, 1)(W, c), rtol=1e-10)


def test_bundled_matrix_forms_evaluate_to_the_loops():
    for problem, part in [("mlp_numeric", "vectorized"), ("mlp_ce_l2", "grad")]:
        spec = load_spec(f"problems/{problem}.yaml")
        ans = solve_part(spec, part)
        check_forms(spec, ans)


def test_matrix_forms_of_products_the_recogniser_reads():
    from derive.core.program import Loop, Statement
    b, j, k = (sp.Symbol(n, integer=True) for n in "bjk")
    T_ = sp.Symbol("T", integer=True, positive=True)
    loops = (Loop(b, 0, T_ - 1), Loop(j, 0, T_ - 1))
    # a transposed factor beside a matrix: (A ∘ B^T) w
    st = Statement(ref("u", [b]), "+=", ref("A", [b, j]) * ref("w", [j]) * ref("B", [j, b]),
                   loops)
    assert M.matrix_form(st).text() == "u += (A ∘ B^T) w"
    # rows scaled by a vector: (e 1^T) ∘ p
    st = Statement(ref("g", [b, j]), "+=", ref("e", [b]) * ref("p", [b, j]), loops)
    assert M.matrix_form(st).text() == "g += p ∘ e 1^T"
    # two summed indices: no matrix form, with the reason
    st = Statement(ref("u", [b]), "+=", ref("A", [b, j]) * ref("B", [j, k]) * ref("w", [k]),
                   loops + (Loop(k, 0, T_ - 1),))
    with pytest.raises(M.NoMatrixForm, match="more than two"):
        M.matrix_form(st)


# --------------------------------------------------------------------------
# 8: identities
# --------------------------------------------------------------------------


def test_facts_are_found_in_the_forward_program():
    ls = load_spec("tests/instructor/label_smoothing.yaml")
    kinds = {(f.tensor, f.kind, f.axis) for f in facts(ls.program)}
    assert ("p", "softmax", 1) in kinds and ("y", "onehot", 1) in kinds
    bn = load_spec("problems/batchnorm.yaml")
    assert {(f.tensor, f.kind, f.axis) for f in facts(bn.program)} == {("x", "sum", 0)}
    # not a softmax: the normaliser sums a different expression
    fake = parse_spec("""
id: fake
title: x
source: x
index: {b: B, j: J}
tensors:
  s: {shape: [b, j], role: input}
program: |
  for b, j: Z[b] += exp(2 * s[b, j])
  p[b, j] = exp(s[b, j]) / Z[b]
  for b, j: L += p[b, j] * s[b, j]
sizes: {B: 2, J: 3}
statement: x
parts:
  a: {ask: backprop, from: L, to: s, text: x}
""")
    assert not [f for f in facts(fake.program) if f.kind == "softmax"]
    solve_part(fake, "a")                  # derived and verified, no identity used


def _statements(ans, name):
    return [s for s in ans.program.statements() if s.target_name == name]


def test_label_smoothing_gives_p_minus_q():
    spec = load_spec("tests/instructor/label_smoothing.yaml")
    ans = solve_part(spec, "a")
    (st,) = ans.program.statements()
    b, j = st.target.indices
    sy = spec.program.symbols
    eps, C = sy["eps"], sy["C"]
    q = (1 - eps) * ref("y", [b, j]) + eps / C
    lg = [r for r in reads(st.rhs) if ref_name(r) == "Loss.grad"]
    assert lg
    assert sp.expand(st.rhs - lg[0] * (ref("p", [b, j]) - q)) == 0
    assert any(s.kind == "identity" and s.why == "identity onehot" for s in ans.steps)
    assert any(s.why == "identity inlined" for s in ans.steps)
    # autograd on a hand-written forward, one-hot targets
    sizes = spec.default_sizes()
    env = run_backward(spec.program, ans.program, ["Loss"], sizes, 3, unit=True)
    e = random_symbols(spec.program, 3)["eps"]
    y, s = env["y"], env["s"]
    assert np.allclose(y.sum(axis=1), 1)

    def loss(s):
        logp = s - anp.log(anp.sum(anp.exp(s), axis=1, keepdims=True))
        return -anp.sum(((1 - e) * y + e / s.shape[1]) * logp)
    np.testing.assert_allclose(env["s.grad"], grad(loss)(s), rtol=1e-10)


def test_cross_entropy_after_softmax_gives_yhat_minus_y():
    spec = load_spec("problems/mlp_ce_l2.yaml")
    ans = solve_part(spec, "grad")
    (b2,) = [s for s in ans.closed if s.target_name == "b2.grad"]
    (j,) = b2.target.indices
    assert b2.op == "=" and sp.expand(b2.rhs - (ref("yhat", [j]) - ref("y", [j]))) == 0
    texts = {st.target_name: f.text() for st, f, _ in ans.matrix if f is not None}
    assert texts["b2.grad"] == "b2.grad = yhat - y"
    assert texts["W2.grad"] == "W2.grad = lam W2 + (yhat - y) z^T"
    env = check_forms(spec, ans, seed=2)
    lam = random_symbols(spec.program, 2)["lam"]
    x, y = env["x"], env["y"]

    def loss(W1, b1, W2, b2):
        z = 1 / (1 + anp.exp(-(W1 @ x + b1)))
        a2 = W2 @ z + b2
        logp = a2 - anp.log(anp.sum(anp.exp(a2)))
        return -anp.sum(y * logp) + lam / 2 * (anp.sum(W1 ** 2) + anp.sum(W2 ** 2))
    params = [env[n] for n in ("W1", "b1", "W2", "b2")]
    for k, n in enumerate(("W1", "b1", "W2", "b2")):
        np.testing.assert_allclose(env[n + ".grad"], grad(loss, k)(*params), rtol=1e-9)


def test_batchnorm_mean_gradient_uses_the_centred_sum():
    spec = load_spec("problems/batchnorm.yaml")
    ans = solve_part(spec, "a")
    (mu,) = _statements(ans, "mu.grad")
    b, jj = [lp.var for lp in mu.loops]
    assert mu.op == "-=" and sp.expand(
        mu.rhs - ref("xp.grad", [b, jj]) / sp.sqrt(ref("s", [jj]))) == 0
    assert any(s.why == "identity sum" for s in ans.steps)
    env = run_backward(spec.program, ans.program, ["xp"], spec.default_sizes(), 1)
    x, g = env["x"], env["xp.grad"]
    B = x.shape[0]

    def loss(x):
        m = anp.mean(x, axis=0)
        v = anp.sum((x - m) ** 2, axis=0) / (B - 1)
        return anp.sum(g * (x - m) / anp.sqrt(v))
    np.testing.assert_allclose(env["x.grad"], grad(loss)(x), rtol=1e-9)


def test_softmax_with_an_arbitrary_upstream_gradient_is_unchanged():
    spec = load_spec("problems/softmax.yaml")
    bw = derive_backward(spec.program, ["p"], ["s"])
    assert not [s for s in bw.steps if s.kind == "identity"]
    assert len(bw.program.statements()) == 2          # e[b], then s.grad


def test_a_centred_tensor_sums_to_zero_through_its_gradient():
    """Layer norm: mu.grad[b] -= sum_j xc.grad[b, j], and xc.grad holds 2 v.grad xc / J,
    whose sum over j is 0 (xc = x - mean_j x).  The identity was found but the rewrite
    was refused: its cost was compared with `xc.grad[b, j]`, not with what was inlined."""
    from derive.answers import solve_part
    from derive.front.spec import parse_spec
    spec = parse_spec("""
id: ln
title: t
source: t
index: {b: B, j: J}
symbols:
  eps: {positive: true}
tensors:
  x: {shape: [b, j], role: input}
program: |
  for b, j: mu[b] += x[b, j] / J
  for b, j: xc[b, j] = x[b, j] - mu[b]
  for b, j: v[b] += xc[b, j]^2 / J
  for b, j: xh[b, j] = xc[b, j] / sqrt(v[b] + eps)
sizes: {B: 3, J: 4}
statement: t
parts:
  a: {ask: gradient, from: xh, to: x, text: q}
""")
    ans = solve_part(spec, "a")
    assert ans.verified
    mu = [st for st in ans.closed if st.target_name == "mu.grad"]
    assert mu and all("xc" not in str(st.rhs) and "v.grad" not in str(st.rhs) for st in mu)
