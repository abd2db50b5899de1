"""Self-check of the corpus labels, independent of derive's checker.

* The autograd references agree with central finite differences of the same
  hand-written forward passes, and with closed forms derived by hand.
* Every loop answer (backprop, gradient, loops, update parts) is run by the
  corpus's own evaluator (loopnum.py) and compared with the references: the
  outcome must be the label.  The subtle answers are also translated by hand
  into vectorized NumPy, which must agree with loopnum.
* Every expression, choice, cost and numeric answer is judged by exprcheck.py
  against truths that are themselves checked here by sympy and Monte Carlo.

Uses numpy, sympy and autograd only; nothing from derive is imported.
"""
from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np
import pytest
import sympy as sp
import yaml

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

import autograd_reference as R   # noqa: E402
import exprcheck                 # noqa: E402
import harness                   # noqa: E402
import loopnum                   # noqa: E402

ENTRIES = yaml.safe_load((HERE / "answers.yaml").read_text())
BY_ID = {e["id"]: e for e in ENTRIES}
LOOP_KINDS = ("backprop", "gradient", "loops", "update")
MISTAKES = {"none", "sign", "factor", "missing_term", "extra_term", "transposed", "off_by_one",
            "wrong_tensor", "order", "assign_vs_accumulate", "preactivation", "local_missing",
            "local_twice", "kernel_not_flipped", "nonfinite", "partial", "range", "other"}


def kind_of(e):
    return R.spec(e["problem"])["parts"][e["part"]]["ask"]


def all_parts():
    """Every part of the bundled problems this corpus was written for (a problem added
    later has its own students' answers in its own tests: tests/test_new_problems.py)."""
    answered = {e["problem"] for e in ENTRIES}
    out = []
    for path in sorted(p for p in R.PROBLEMS_DIR.glob("*.yaml") if p.name != "course.yaml"):
        sp_ = yaml.safe_load(path.read_text())
        if sp_["id"] not in answered:
            continue
        for label, part in sp_["parts"].items():
            out.append((sp_["id"], label, part["ask"]))
    return out


# ---------------------------------------------------------------------------
# the corpus file itself
# ---------------------------------------------------------------------------

def test_corpus_shape():
    assert len(ENTRIES) >= 220
    assert len(BY_ID) == len(ENTRIES), "ids must be unique"
    for e in ENTRIES:
        assert set(e) - {"plain"} == {"id", "problem", "part", "answer", "expected", "mistake",
                                      "note"}, e["id"]
        assert e["expected"] in ("correct", "incorrect", "unusable"), e["id"]
        assert e["mistake"] in MISTAKES, e["id"]
        assert (e["mistake"] != "none") == (e["expected"] == "incorrect"), e["id"]
        assert e["note"].strip(), e["id"]
        assert kind_of(e) != "text"
    covered = {(e["problem"], e["part"]) for e in ENTRIES}
    for problem, part, ask in all_parts():
        if ask != "text":
            assert (problem, part) in covered, (problem, part)
    counts = {k: sum(e["expected"] == k for e in ENTRIES) for k in ("correct", "incorrect", "unusable")}
    n = len(ENTRIES)
    assert 0.35 * n <= counts["correct"] <= 0.55 * n
    assert 0.35 * n <= counts["incorrect"] <= 0.55 * n
    assert 0.06 * n <= counts["unusable"] <= 0.15 * n


def test_every_backprop_and_gradient_part_has_a_reference():
    wanted = {f"{p}:{l}" for p, l, ask in all_parts() if ask in ("backprop", "gradient")}
    assert wanted == set(R.REFERENCES)
    assert len({p for p, _, _ in all_parts()}) >= 20     # the corpus's problems, all there


# ---------------------------------------------------------------------------
# the references: finite differences and hand-derived closed forms
# ---------------------------------------------------------------------------

def _objective(ref, values, upstream, direction, h):
    """sum_F <upstream, F> with the wanted inputs moved by h*direction."""
    vals = dict(values)
    eps = {}
    for k, d in direction.items():
        name = k[:-len(".grad")]
        if name in ref.wrt_values:
            vals[name] = np.asarray(values[name], float) + h * d
        else:
            eps[name] = h * d
    out = ref.sub_forward(vals, eps or None)
    return sum(float(np.sum(np.asarray(g) * np.asarray(out[name[:-5]]))) for name, g in upstream.items())


@pytest.mark.parametrize("target", sorted(R.REFERENCES))
def test_reference_matches_finite_differences(target):
    ref = R.REFERENCES[target]
    problem, part = target.split(":")
    for sizes in harness.SIZES[problem]:
        for seed in (3, 4):
            rng = np.random.default_rng(seed)
            values, allv, upstream = R.part_values(problem, part, sizes, rng)
            if ref.loss_upstream:          # any upstream value: the VJP is linear in it
                upstream = {k: np.asarray(rng.normal()) for k in upstream}
            grads = ref.fn(values, upstream)
            for name in ref.averaged:              # undo the mean over the batch (ugrnn:b)
                grads[name + ".grad"] = grads[name + ".grad"] * values["x"].shape[0]
            direction = {k: rng.normal(size=np.shape(g)) for k, g in grads.items()}
            h = 1e-6
            fd = (_objective(ref, values, upstream, direction, h) -
                  _objective(ref, values, upstream, direction, -h)) / (2 * h)
            exact = sum(float(np.sum(grads[k] * direction[k])) for k in grads)
            assert fd == pytest.approx(exact, rel=1e-5, abs=1e-7), (target, sizes, seed)


def _sig(x):
    return 1 / (1 + np.exp(-x))


def test_references_against_hand_derived_closed_forms():
    rng = np.random.default_rng(7)
    # softmax: s.grad = p * (p.grad - sum_j p p.grad)
    v, a, u = R.part_values("softmax", "full", {"B": 3, "J": 4}, rng)
    p, pg = a["p"], u["p.grad"]
    got = R.REFERENCES["softmax:full"].fn(v, u)["s.grad"]
    assert np.allclose(got, p * (pg - (p * pg).sum(1, keepdims=True)))
    v, a, u = R.part_values("softmax", "b", {"B": 3, "J": 4}, rng)
    assert np.allclose(R.REFERENCES["softmax:b"].fn(v, u)["Z.grad"],
                       -(u["p.grad"] * np.exp(a["s"])).sum(1) / a["Z"] ** 2)
    # batchnorm: the compact form with the unbiased variance
    v, a, u = R.part_values("batchnorm", "a", {"B": 5, "J": 3}, rng)
    B = 5
    g, xp, s = u["xp.grad"], a["xp"], a["s"]
    out = R.REFERENCES["batchnorm:a"].fn(v, u)
    assert np.allclose(out["s.grad"], -(g * xp).sum(0) / (2 * s))
    assert np.allclose(out["mu.grad"], -g.sum(0) / np.sqrt(s))
    assert np.allclose(out["x.grad"], (g - g.sum(0) / B - xp * (g * xp).sum(0) / (B - 1)) / np.sqrt(s))
    # relu unit
    v, a, u = R.part_values("relu_unit", "a", {"d": 4}, rng)
    assert np.allclose(R.REFERENCES["relu_unit:a"].fn(v, u)["w.grad"],
                       u["y.grad"] * (a["z"] > 0) * a["x"])
    # mlp_ce_l2: W2.grad = (yhat - y) z^T + lam W2 (one-hot y)
    v, a, u = R.part_values("mlp_ce_l2", "grad", {"N": 3, "M": 4, "C": 2}, rng)
    out = R.REFERENCES["mlp_ce_l2:grad"].fn(v, u)
    d2 = a["yhat"] - a["y"]
    assert np.allclose(out["W2.grad"], np.outer(d2, a["z"]) + a["lam"] * a["W2"])
    d1 = (a["W2"].T @ d2) * a["z"] * (1 - a["z"])
    assert np.allclose(out["W1.grad"], np.outer(d1, a["x"]) + a["lam"] * a["W1"])
    assert np.allclose(out["b1.grad"], d1)
    # mlp_numeric at the course's values: every number of the worked example
    vals = {"x": np.array([1.0, 2.0]), "t": np.array(1.0), "W": np.array([[-1.0, 1], [1, -2]]),
            "v": np.array([3.0, -1])}
    fwd = R.forward("mlp_numeric", vals)
    assert np.allclose(fwd["z"], [1, -3]) and np.allclose(fwd["h"], [1, 0])
    assert float(fwd["y"]) == 3 and float(fwd["C"]) == 2
    out = R.REFERENCES["mlp_numeric:vectorized"].fn(vals, {"C.grad": np.array(1.0)})
    assert np.allclose(out["h.grad"], [6, -2]) and np.allclose(out["z.grad"], [6, 0])
    assert np.allclose(out["v.grad"], [2, 0]) and np.allclose(out["W.grad"], [[6, 12], [0, 0]])
    # x.grad of the worked example: W^T z.grad
    assert np.allclose(vals["W"].T @ out["z.grad"], [-6, 6])
    for k, val in exprcheck.NUMERIC["mlp_numeric:forward"].items():
        assert np.allclose(fwd[k], val)
    bw = exprcheck.NUMERIC["mlp_numeric:backward"]
    assert bw["y.grad"] == float(fwd["y"] - 1)
    for k in ("h.grad", "z.grad", "v.grad", "W.grad"):
        assert np.allclose(out[k], bw[k])
    assert np.allclose(vals["W"].T @ out["z.grad"], bw["x.grad"])


def test_ugrnn_b_averages_only_the_parameters():
    rng = np.random.default_rng(11)
    sizes = {"B": 3, "T": 4, "J": 5, "K": 2}
    v, a, u = R.part_values("ugrnn", "b", sizes, rng)
    out = R.REFERENCES["ugrnn:b"].fn(v, u)
    g = u["Rt.grad"]
    hprev = np.concatenate([np.zeros((3, 1, 5)), a["h"][:, :-1]], axis=1)
    assert np.allclose(out["Whr.grad"], np.einsum("btj,bti->ji", g, hprev) / 3)
    assert np.allclose(out["BR.grad"], -g.sum((0, 1)) / 3)
    assert np.allclose(out["x.grad"], np.einsum("btj,jk->btk", g, a["Wxr"]))
    assert np.allclose(out["h.grad"][:, :-1], np.einsum("btj,ji->bti", g[:, 1:], a["Whr"]))
    assert np.allclose(out["h.grad"][:, -1], 0)


# ---------------------------------------------------------------------------
# loop answers: run by loopnum, compared with the references
# ---------------------------------------------------------------------------

LOOP_ENTRIES = [e for e in ENTRIES if kind_of(e) in LOOP_KINDS]


@pytest.mark.parametrize("entry", LOOP_ENTRIES, ids=[e["id"] for e in LOOP_ENTRIES])
def test_loop_answer_label(entry):
    verdict, details = harness.judge_loop(entry["problem"], entry["part"], kind_of(entry),
                                          entry.get("plain", entry["answer"]))
    assert verdict == entry["expected"], details


def _run(problem, part, text, sizes, seed):
    """loopnum's values of the wanted gradients, the reference, and the inputs."""
    ref = R.REFERENCES[f"{problem}:{part}"]
    rng = np.random.default_rng(seed)
    values, allv, upstream = R.part_values(problem, part, sizes, rng)
    want = ref.fn(values, upstream)
    arrays = dict(allv)
    arrays.update(upstream)
    m = loopnum.make_machine(problem, sizes, arrays, harness._symbols(allv))
    store = m.run(text)
    got = {g: (store[g].data if g in store else np.zeros_like(w)) for g, w in want.items()}
    return got, want, allv, upstream


def _check_hand(entry_id, sizes, hand):
    """hand(allv, upstream) -> {grad: array} for some wanted gradients (for a wrong answer, at
    least the wrong one): must equal loopnum's values, and the reference (at every seed) iff
    the label is correct."""
    e = BY_ID[entry_id]
    sames = []
    for seed in (0, 1, 2, 3):
        got, want, allv, up = _run(e["problem"], e["part"], e.get("plain", e["answer"]), sizes, seed)
        mine = hand(allv, up)
        for k, val in mine.items():
            assert np.allclose(got[k], val, rtol=1e-10, atol=1e-12), (entry_id, k)
        sames.append(all(np.allclose(val, want[k], rtol=1e-8, atol=1e-10) for k, val in mine.items()))
    assert all(sames) == (e["expected"] == "correct"), (entry_id, sames)


def test_hand_translations_softmax():
    sz = {"B": 3, "J": 4}
    _check_hand("softmax-b-02", sz, lambda a, u: {
        "Z.grad": -(u["p.grad"] * (a["p"] + 0)).sum(1) / a["Z"]})
    _check_hand("softmax-b-06", sz, lambda a, u: {                  # last j wins
        "Z.grad": -u["p.grad"][:, -1] * a["p"][:, -1] / a["Z"]})
    _check_hand("softmax-b-07", sz, lambda a, u: {
        "Z.grad": -(u["p.grad"] * (a["p"] + 1)).sum(1) / a["Z"]})
    _check_hand("softmax-full-03", sz, lambda a, u: {
        "s.grad": a["p"] * (u["p.grad"] - (a["p"] * u["p.grad"]).sum(1, keepdims=True))})
    _check_hand("softmax-full-12", sz, lambda a, u: {              # sum_J p[b,J](pg[b,j] - pg[b,J])
        "s.grad": u["p.grad"] * a["p"].sum(1, keepdims=True) -
        (a["p"] * u["p.grad"]).sum(1, keepdims=True)})
    _check_hand("softmax-c-09", sz, lambda a, u: {         # the sum stays inside exp's argument
        "s.grad": np.repeat((u["Z.grad"] * np.exp(a["s"].sum(1)))[:, None], 4, axis=1)})


def test_hand_translations_rnn():
    sz = {"T": 3, "M": 4, "N": 2, "C": 5}

    def bptt(a, assign_h_t=False, assign_h_prev=False):
        T = a["x"].shape[0]
        hg = np.zeros((T + 1, 4))                  # row t (1..T); row 0 is h_0
        zg = np.zeros((T, 4))
        for t in range(T, 0, -1):
            out = a["V"].T @ (a["yhat"][t - 1] - a["y"][t - 1])
            hg[t] = out if assign_h_t else hg[t] + out
            zg[t - 1] = hg[t] * (1 - a["h"][t - 1] ** 2)
            back = a["U"].T @ zg[t - 1]
            hg[t - 1] = back if assign_h_prev else hg[t - 1] + back
        return zg
    _check_hand("vanilla_rnn_bptt-a-04", sz, lambda a, u: {"z.grad": bptt(a, assign_h_prev=True)})
    _check_hand("vanilla_rnn_bptt-a-09", sz, lambda a, u: {"z.grad": bptt(a, assign_h_t=True)})

    def params(a, last_b_only):
        zg = bptt(a)
        hprev = np.vstack([np.zeros((1, 4)), a["h"][:-1]])
        return {"U.grad": zg.T @ hprev, "W.grad": zg.T @ a["x"],
                "b.grad": zg[0] if last_b_only else zg.sum(0)}
    _check_hand("vanilla_rnn_bptt-b-04", sz, lambda a, u: params(a, True))
    _check_hand("vanilla_rnn_bptt-b-05", sz, lambda a, u: params(a, True))
    _check_hand("vanilla_rnn_bptt-b-03", sz, lambda a, u: params(a, False))

    szu = {"B": 2, "T": 3, "J": 4, "K": 5}

    def ugrnn_b02(a, u):
        g = u["Rt.grad"]
        hprev = np.concatenate([np.zeros((2, 1, 4)), a["h"][:, :-1]], axis=1)
        hgrad = np.zeros_like(a["h"])
        hgrad[:, :-1] = np.einsum("btj,ji->bti", g[:, 1:], a["Whr"])
        return {"h.grad": hgrad, "x.grad": np.einsum("btj,jk->btk", g, a["Wxr"]),
                "Whr.grad": np.einsum("btj,bti->ji", g, hprev) / 2,
                "Wxr.grad": np.einsum("btj,btk->jk", g, a["x"]) / 2, "BR.grad": -g.sum((0, 1)) / 2}
    _check_hand("ugrnn-b-02", szu, ugrnn_b02)

    def ugrnn_b08(a, u):                         # BR.grad = last (b, t) visited: t = 1, b = B-1
        out = ugrnn_b02(a, u)
        out["BR.grad"] = -u["Rt.grad"][-1, 0] / 2
        return out
    _check_hand("ugrnn-b-08", szu, ugrnn_b08)


def test_hand_translations_mlp():
    _check_hand("mlp_ce_l2-grad-10", {"N": 3, "M": 4, "C": 2}, lambda a, u: {
        "b2.grad": a["yhat"] * a["y"].sum() - a["y"]})
    _check_hand("relu_unit-a-08", {"d": 4}, lambda a, u: {
        "w.grad": u["y.grad"] * (a["z"] > 0) * a["x"].sum() * np.ones(4)})
    _check_hand("mlp_regression-b-02", {"N": 3, "H": 4, "K": 2}, lambda a, u: {
        "b1.grad": 2 * ((a["yhat"] - a["y"]) @ a["W2"]) * (a["z2"] > 0)})
    _check_hand("mlp_regression-e-04", {"N": 3, "H": 4, "K": 2}, lambda a, u: {
        "yhat.grad": 2 * (a["yhat"] - a["y"]).sum() * np.ones(2)})


# ---------------------------------------------------------------------------
# expression, choice, cost and numeric answers
# ---------------------------------------------------------------------------

OTHER_ENTRIES = [e for e in ENTRIES if kind_of(e) not in LOOP_KINDS]


@pytest.mark.parametrize("entry", OTHER_ENTRIES, ids=[e["id"] for e in OTHER_ENTRIES])
def test_expression_answer_label(entry):
    verdict, why = exprcheck.judge(f"{entry['problem']}:{entry['part']}", kind_of(entry),
                                   entry.get("plain", entry["answer"]))
    assert verdict == entry["expected"], why


def _mc_var(samples):
    x = np.asarray(samples, float).ravel()
    var = x.var()
    se = math.sqrt(max(np.mean((x - x.mean()) ** 4) - var ** 2, 0) / x.size)
    return var, se


def _laplace(rng, var, size):
    return rng.laplace(scale=math.sqrt(var / 2), size=size)


def _skewed(rng, var, size):
    return (rng.exponential(size=size) - 1) * math.sqrt(var)


def test_truth_init_variance_monte_carlo():
    rng = np.random.default_rng(1)
    d, S = 5, 200_000
    for sw in (0.4, 1 / math.sqrt(d)):
        x = _skewed(rng, 1, (S, d))
        W = _laplace(rng, sw ** 2, (S, d))
        y = (W * x).sum(1)
        var, se = _mc_var(y)
        assert abs(var - d * sw ** 2) < 5 * se
        u = _sig(y)
        assert abs(u.mean() - 0.5) < 5 * u.std() / math.sqrt(S)       # E(u) = 1/2
        assert u.var() < var                                         # smaller
        assert u.var() <= 0.25
    t = np.where(rng.random(S) < 0.5, -30.0, 30.0)                   # the bound is approached
    assert _sig(t).var() == pytest.approx(0.25, abs=2e-3)
    # sigma' <= 1/4 everywhere, so Var(u) <= Var(y)/16: the choice `smaller`
    z = sp.Symbol("z", real=True)
    dsig = sp.diff(1 / (1 + sp.exp(-z)), z)
    assert sp.simplify(dsig.subs(z, 0)) == sp.Rational(1, 4)
    grid = np.linspace(-20, 20, 4001)
    assert np.max(_sig(grid) * (1 - _sig(grid))) <= 0.25 + 1e-12
    sW, dd = sp.symbols("sigma_W d", positive=True)
    assert sp.solve(sp.Eq(dd * sW ** 2, 1), sW) == [1 / sp.sqrt(dd)]
    assert exprcheck.TRUTH["init_variance:a"]["sigma_W"] == 1 / sp.sqrt(exprcheck.d)


def test_truth_he_init_monte_carlo_and_sympy():
    rng = np.random.default_rng(2)
    n, v, sw, S = 6, 0.7, 0.5, 200_000
    z0 = _laplace(rng, v, (S, n))
    W = _laplace(rng, sw ** 2, (S, n))
    z1 = (W * np.maximum(z0, 0)).sum(1)
    var, se = _mc_var(z1)
    assert abs(var - n * sw ** 2 * v / 2) < 5 * se
    assert abs(z1.mean()) < 5 * z1.std() / math.sqrt(S)
    # (e): variance 1/n for the weights halves the variance
    W = _laplace(rng, 1 / n, (S, n))
    var, se = _mc_var((W * np.maximum(z0, 0)).sum(1))
    assert abs(var - v / 2) < 5 * se and var < v
    # (d): E relu(z), z ~ N(0, v)
    zz = rng.normal(scale=math.sqrt(v), size=S * 5)
    h = np.maximum(zz, 0)
    assert abs(h.mean() - math.sqrt(v / (2 * math.pi))) < 5 * h.std() / math.sqrt(h.size)
    z, vv = sp.Symbol("z", real=True), sp.Symbol("v", positive=True)
    pdf = sp.exp(-z ** 2 / (2 * vv)) / sp.sqrt(2 * sp.pi * vv)
    assert sp.simplify(sp.integrate(z * pdf, (z, 0, sp.oo)) - sp.sqrt(vv / (2 * sp.pi))) == 0
    assert sp.simplify(sp.integrate(z ** 2 * pdf, (z, 0, sp.oo)) - vv / 2) == 0
    sW, nn = sp.symbols("sigma_W n", positive=True)
    assert sp.solve(sp.Eq(nn * sW ** 2 * vv / 2, vv), sW) == [sp.sqrt(2) / sp.sqrt(nn)]


def test_truth_glorot_monte_carlo_and_sympy():
    rng = np.random.default_rng(3)
    n, m, v, g, sw, S = 5, 3, 0.45, 0.35, 0.7, 100_000
    x = _skewed(rng, v, (S, n))
    W = _skewed(rng, sw ** 2, (S, m, n))
    y = np.einsum("sji,si->sj", W, x)
    var, se = _mc_var(y[:, 0])
    assert abs(var - n * v * sw ** 2) < 5 * se
    yg = _skewed(rng, g, (S, m))
    xg = np.einsum("sji,sj->si", W, yg)
    var, se = _mc_var(xg[:, 0])
    assert abs(var - m * g * sw ** 2) < 5 * se
    sW, nn, mm, a, vv, gg = sp.symbols("sigma_W n m a v g", positive=True)
    assert sp.solve(sp.Eq(nn * vv * sW ** 2, vv), sW) == [1 / sp.sqrt(nn)]
    assert sp.solve(sp.Eq(mm * gg * sW ** 2, gg), sW) == [1 / sp.sqrt(mm)]
    sol = sp.solve(sp.Eq((nn * sW ** 2 + mm * sW ** 2) / 2, 1), sW)
    assert len(sol) == 1 and sp.simplify(sol[0] - sp.sqrt(2 / (nn + mm))) == 0
    sol = sp.solve(sp.Eq(a ** 2 / 3, 2 / (nn + mm)), a)
    assert len(sol) == 1 and sp.simplify(sol[0] - sp.sqrt(6 / (nn + mm))) == 0
    assert rng.uniform(-1.3, 1.3, S).var() == pytest.approx(1.3 ** 2 / 3, rel=0.02)


def _resnet_batch(L0, W):
    """One residual layer per sample, each sample with its own weights W[s] (zero bias)."""
    S, X, Y, J = L0.shape
    D = W.shape[1]
    Lp = np.pad(L0, ((0, 0), (0, D), (0, D), (0, 0)))
    R_ = sum(np.einsum("sxyi,sij->sxyj", Lp[:, dx:dx + X, dy:dy + Y], W[:, dx, dy])
             for dx in range(D) for dy in range(D))
    return L0 + R_


def _resnet_batch_backward(G1, W):
    """L0.grad = L1.grad + sum_{dx,dy,j} L1.grad[x-dx, y-dy, j] W[dx, dy, i, j] (reads < 0 are zero)."""
    S, X, Y, J = G1.shape
    D = W.shape[1]
    Gp = np.pad(G1, ((0, 0), (D, 0), (D, 0), (0, 0)))
    back = sum(np.einsum("sxyj,sij->sxyi", Gp[:, D - dx:D - dx + X, D - dy:D - dy + Y], W[:, dx, dy])
               for dx in range(D) for dy in range(D))
    return G1 + back


def test_truth_resnet_monte_carlo_and_sympy():
    rng = np.random.default_rng(4)
    S, X, Y, J, D, sw = 20000, 3, 3, 2, 2, 0.45
    L0 = _skewed(rng, 1, (S, X, Y, J))
    W = _skewed(rng, sw ** 2, (S, D, D, J, J))
    G1 = _skewed(rng, 1, (S, X, Y, J))
    # the batch helpers agree with the hand-written forward and its autograd VJP
    one = {"L0": L0[:1], "W": W[0], "Bias": np.zeros(J)}
    assert np.allclose(_resnet_batch(L0[:1], W[:1]), R.forward("resnet_variance", one)["L1"])
    vjp = R._vjp(lambda v_, eps=None: R.forward("resnet_variance", v_), one, {"L1.grad": G1[:1]},
                 ("L0",))
    assert np.allclose(_resnet_batch_backward(G1[:1], W[:1]), vjp["L0.grad"])
    var, se = _mc_var(_resnet_batch(L0, W)[:, 0, 0, :])       # an interior position
    assert abs(var - (1 + D ** 2 * J * sw ** 2)) < 5 * se
    var, se = _mc_var(_resnet_batch_backward(G1, W)[:, D - 1, D - 1, :])
    assert abs(var - (1 + D ** 2 * J * sw ** 2)) < 5 * se
    # closed forms
    l, Lsym, Dsym, Jsym, sW = sp.symbols("l L D J sigma_W", positive=True)
    rr = 1 + Dsym ** 2 * Jsym * sW ** 2
    assert sp.simplify(rr ** (l + 1) - rr * rr ** l) == 0
    assert sp.simplify(rr ** (Lsym - l) - rr * rr ** (Lsym - (l + 1))) == 0
    exact = exprcheck.TRUTH["resnet_variance:b"]["sigma_W"]
    approx = exprcheck.TRUTH["resnet_variance:b"]["~sigma_W"]
    at_top = (1 + exprcheck.D ** 2 * exprcheck.J * exact ** 2) ** exprcheck.L
    for point in exprcheck.POINTS:
        subs = {exprcheck.SYM[k]: val for k, val in point.items()}
        assert float(at_top.subs(subs)) == pytest.approx(2)
    # log(1 + eps) ~ eps: the approximate root solves L D^2 J sigma_W^2 = log 2
    assert sp.simplify(exprcheck.L * exprcheck.D ** 2 * exprcheck.J * approx ** 2 - sp.log(2)) == 0
    ratio = sp.limit((approx / exact).subs({exprcheck.D: 2, exprcheck.J: 3}), exprcheck.L, sp.oo)
    assert ratio == 1


def _count_ops(problem, text, sizes, seed=0):
    rng = np.random.default_rng(seed)
    inputs = R.random_inputs(problem, sizes, rng)
    allv = dict(inputs)
    allv.update({k: np.asarray(v) for k, v in R.forward(problem, inputs).items()})
    m = loopnum.make_machine(problem, sizes, allv, {})
    return m, m.run(text), allv


RNN_UNROLL_BACKWARD = """
for t in T..1:
    for b, j: hz[b, t, j] = h.grad[b, t, j] * (1 - h[b, t, j]^2)
    for b, j, i: h.grad[b, t-1, i] += hz[b, t, j] * Whh[j, i]
    for b, j, i: Whh.grad[j, i] += hz[b, t, j] * h[b, t-1, i]
    for b, j, k: Wxh.grad[j, k] += hz[b, t, j] * x[b, t, k]
    for b, j: Bh.grad[j] -= hz[b, t, j]
"""

RNN_LM_BACKWARD = """
for t, w: s.grad[t, w] = exp(s[t, w]) / Z[t] - Y[t, w]
for t in T..1:
    for i: hz[t, i] = h.grad[t, i] * (1 - h[t, i]^2)
    for i, j: Whh.grad[i, j] += hz[t, i] * h[t-1, j]
    for i, j: Wxh.grad[i, j] += hz[t, i] * x[t, j]
    for i: Bh.grad[i] -= hz[t, i]
    for i, j: x.grad[t, j] += hz[t, i] * Wxh[i, j]
    for i, j: h.grad[t-1, j] += hz[t, i] * Whh[i, j]
    for w, i: h.grad[t-1, i] += s.grad[t, w] * e[w, i]
    for w, i: e.grad[w, i] += s.grad[t, w] * h[t-1, i]
    for w, i: e.grad[w, i] += Y[t, w] * x.grad[t, i]
"""


def test_truth_costs_by_counting_and_dependence():
    import autograd.numpy as anp
    from autograd import grad
    # rnn_lm_cost: the backward loops are right (autograd), and their work is linear in T
    sizes = {"T": 4, "V": 5, "N": 3}
    m, store, allv = _count_ops("rnn_lm_cost", RNN_LM_BACKWARD, sizes)
    params = {k: allv[k] for k in ("e", "Whh", "Wxh", "Bh")}

    def loss(p):
        return R.forward("rnn_lm_cost", dict(allv, **p))["Loss"]
    g = grad(loss)(params)
    for k in params:
        assert np.allclose(store[k + ".grad"].data, g[k]), k
    counts = [_count_ops("rnn_lm_cost", RNN_LM_BACKWARD, {"T": T, "V": 5, "N": 3})[0].ops
              for T in (2, 4, 8, 16)]
    assert counts[3] - counts[2] == 2 * (counts[2] - counts[1]) == 4 * (counts[1] - counts[0])
    # rnn_unroll: linear work, and a chain of T dependent steps (h.grad[T] reaches t = 1)
    counts = []
    for T in (2, 4, 8, 16):
        sizes = {"B": 2, "T": T, "J": 3, "K": 2}
        rng = np.random.default_rng(0)
        inputs = R.random_inputs("rnn_unroll", sizes, rng)
        allv = dict(inputs)
        allv.update({k: np.asarray(v) for k, v in R.forward("rnn_unroll", inputs).items()})
        hg = np.zeros((2, T, 3))
        hg[:, -1] = 1.0                                        # only the last state has a gradient
        allv["h.grad"] = hg
        mm = loopnum.make_machine("rnn_unroll", sizes, allv, {})
        st = mm.run(RNN_UNROLL_BACKWARD)
        counts.append(mm.ops)
        assert np.all(np.abs(st["h.grad"].data[:, 0]) > 0)     # t = 1 depends on t = T
        pr = {k: allv[k] for k in ("Whh", "Wxh", "Bh")}
        gg = grad(lambda p: anp.sum(hg * R.forward("rnn_unroll", dict(allv, **p))["h"]))(pr)
        for k in pr:
            assert np.allclose(st[k + ".grad"].data, gg[k]), k
    assert counts[3] - counts[2] == 2 * (counts[2] - counts[1]) == 4 * (counts[1] - counts[0])
    # loss_heads: the residual network's backward loops (a corpus answer), linear in L
    text = BY_ID["loss_heads-c-01"]["answer"]
    counts = [_count_ops("loss_heads", text, {"L": L_, "N": 3})[0].ops for L_ in (2, 4, 8, 16)]
    assert counts[3] - counts[2] == 2 * (counts[2] - counts[1]) == 4 * (counts[1] - counts[0])
    assert exprcheck.COST == {"rnn_lm_cost:a": ("T", 1), "rnn_unroll:b": ("T", 1),
                              "loss_heads:b": ("L", 1)}
