"""The exported backward code of softmax, batchnorm and gru against an independent
reference: central differences of a forward written here by hand (no derive code).

The NumPy export is checked here; tests/test_torch_target.py checks the torch
target with the same references.  Also: the transformations that keep the export
close to hand-written NumPy (a forward value read back instead of recomputed, a
strided copy made once) are in the code."""
from __future__ import annotations

import importlib.util
import inspect

import numpy as np
import pytest

from derive.front.folder import default_problems_dir
from derive.front.spec import load_spec
from derive.run.codegen import choose_backward, export

EPS = 1e-6
TOL = 1e-6


def module(problem: str, tmp_path, target: str = "numpy"):
    spec = load_spec(default_problems_dir() / f"{problem}.yaml")
    bw, _ = choose_backward(spec)
    path = tmp_path / f"{problem}_{target}.py"
    path.write_text(export(spec, backward=True, target=target, bw=bw))
    loader = importlib.util.spec_from_file_location(f"{problem}_{target}", path)
    mod = importlib.util.module_from_spec(loader)
    loader.loader.exec_module(mod)
    return mod


def call(fn, values: dict):
    return fn(**{k: values[k] for k in inspect.signature(fn).parameters})


# hand-written forwards: {input name: array} -> the output the gradient is given for

def softmax_forward(v):
    e = np.exp(v["s"])
    return e / e.sum(axis=1, keepdims=True)


def batchnorm_forward(v):
    x = v["x"]
    B = x.shape[0]
    mu = x.mean(axis=0)
    s = ((x - mu) ** 2).sum(axis=0) / (B - 1)
    return (x - mu) / np.sqrt(s)


def sig(u):
    return 1 / (1 + np.exp(-u))


def gru_forward(v):
    x = v["x"]
    B, T, _ = x.shape
    h = np.zeros((B, v["BR"].shape[0]))
    hs = []
    for t in range(T):
        xs = x[:, t]
        G1 = sig(h @ v["Whg1"].T + xs @ v["Wxg1"].T - v["BG1"])
        G2 = sig(h @ v["Whg2"].T + xs @ v["Wxg2"].T - v["BG2"])
        R = np.tanh((G1 * h) @ v["Whr"].T + xs @ v["Wxr"].T - v["BR"])
        h = (1 - G2) * h + G2 * R
        hs.append(h)
    return np.stack(hs, axis=1)


def setting(problem: str, rng):
    """(inputs, hand-written forward, the output's name, the gradients checked)"""
    if problem == "softmax":
        return {"s": rng.standard_normal((3, 5))}, softmax_forward, "p", ["s"]
    if problem == "batchnorm":
        return {"x": rng.standard_normal((6, 4))}, batchnorm_forward, "xp", ["x"]
    B, T, J, K = 2, 4, 3, 2
    v = {"x": rng.standard_normal((B, T, K))}
    for n in ("Whg1", "Wxg1", "BG1", "Whg2", "Wxg2", "BG2", "Whr", "Wxr", "BR"):
        shape = (J,) if n.startswith("B") else (J, J if n.startswith("Wh") else K)
        v[n] = rng.standard_normal(shape)
    return v, gru_forward, "h", ["Whg1", "Wxg1", "BG1", "Whg2", "Wxg2", "BG2", "Whr", "Wxr",
                                 "BR"]


def check_against_differences(problem, backward_grads):
    """backward_grads(inputs, seed) -> {name: gradient} is compared with central
    differences of the hand-written forward, in random directions."""
    rng = np.random.default_rng(5)
    inputs, forward, out, checked = setting(problem, rng)
    seed = rng.standard_normal(forward(inputs).shape)
    grads = backward_grads(inputs, seed)
    for name in checked:
        for _ in range(3):
            d = rng.standard_normal(inputs[name].shape)
            plus = (seed * forward({**inputs, name: inputs[name] + EPS * d})).sum()
            minus = (seed * forward({**inputs, name: inputs[name] - EPS * d})).sum()
            numeric = (plus - minus) / (2 * EPS)
            analytic = float((np.asarray(grads[name]) * d).sum())
            assert abs(numeric - analytic) <= TOL * max(abs(numeric), 1.0), (name, numeric,
                                                                              analytic)
    return inputs, out


PROBLEMS = ["softmax", "batchnorm", "gru"]


@pytest.mark.parametrize("problem", PROBLEMS)
def test_numpy_export_matches_differences_of_a_hand_written_forward(problem, tmp_path):
    mod = module(problem, tmp_path)
    _, _, out, _ = setting(problem, np.random.default_rng(0))

    def grads(inputs, seed):
        fw = call(mod.forward, inputs)
        return call(mod.backward, {**inputs, **fw, f"{out}_grad": seed})
    check_against_differences(problem, grads)


def test_batchnorm_backward_reads_the_forward_value_instead_of_x_minus_mu(tmp_path):
    source = export(load_spec(default_problems_dir() / "batchnorm.yaml"), backward=True)
    back = source[source.index("def backward("):]
    assert back.startswith("def backward(s, xp, xp_grad):")
    assert "x - mu" not in back
    assert "x_grad = 2 * np.sqrt(s) * s_grad / (B - 1) * xp" in back


def test_gru_flattens_the_shifted_hidden_state_once(tmp_path):
    source = export(load_spec(default_problems_dir() / "gru.yaml"), backward=True)
    assert source.count("h[:, 0:T, :].reshape(B*T, J)") == 1
    assert "h_rows = h[:, 0:T, :].reshape(B*T, J)" in source
    assert "Whg1_grad = G1_in_grad.reshape(B*T, J).T @ h_rows" in source
