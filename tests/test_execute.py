"""The NumPy executor against hand-written NumPy.

Each row is a program with its index ranges and tensors, the sizes to run it
at, a reference written directly in NumPy from the same inputs, and the
tolerance of the comparison.
"""
from __future__ import annotations

import numpy as np
import pytest

from derive.core.errors import LimitError
from derive.run.execute import Executor, run
from derive.core.errors import ExecutionError
from derive.front.resolve import build_program
from derive.front.spec import load_spec
from derive.front.folder import default_problems_dir


def _sigma(v):
    return 1.0 / (1.0 + np.exp(-v))


# ---- references --------------------------------------------------------------


def softmax_ref(env, n):
    e = np.exp(env["s"])
    Z = e.sum(axis=1)
    return {"Z": Z, "p": e / Z[:, None]}


def batchnorm_ref(env, n):
    x = env["x"]
    mu = x.mean(axis=0)
    s = ((x - mu) ** 2).sum(axis=0) / (n["B"] - 1)
    return {"mu": mu, "s": s, "xp": (x - mu) / np.sqrt(s)}


def ugrnn_ref(env, n):
    x = env["x"]                       # x[b, t, k], t = 1..T stored at t-1
    B, T, J = n["B"], n["T"], n["J"]
    h_prev = np.zeros((B, J))
    out = {name: np.zeros((B, T, J)) for name in ("Rt", "R", "Gt", "G", "h")}
    for t in range(T):
        Rt = h_prev @ env["Whr"].T + x[:, t] @ env["Wxr"].T - env["BR"]
        Gt = h_prev @ env["Whg"].T + x[:, t] @ env["Wxg"].T - env["BG"]
        R, G = np.tanh(Rt), _sigma(Gt)
        h = G * h_prev + (1 - G) * R
        for name, value in (("Rt", Rt), ("R", R), ("Gt", Gt), ("G", G), ("h", h)):
            out[name][:, t] = value
        h_prev = h
    return out


def conv_ref(env, n):
    B, X, J, D = n["B"], n["X"], n["J"], n["D"]
    L = np.concatenate([env["L"], np.zeros((B, D, J))], axis=1)    # reads past X are zero
    R = np.zeros((B, X, J))
    for dx in range(D):
        R += np.einsum("pj,bxp->bxj", env["W"][dx], L[:, dx:dx + X])
    return {"R": R}


def scalar_ref(env, n):
    y = (env["s"] ** 2).sum()
    return {"y": y, "q": 2 * y + 1, "d": env["a"] @ env["c"]}


def recurrence_ref(env, n):
    h = np.zeros_like(env["s"])
    prev = np.zeros(n["B"])
    for t in range(n["T"]):
        prev = 0.5 * prev + env["s"][:, t]
        h[:, t] = prev
    return {"h": h}


def reverse_block_ref(env, n):
    s = env["s"]
    return {"g": np.cumsum(s[:, ::-1], axis=1)[:, ::-1]}


def tanh_of_sum_ref(env, n):
    return {"u": np.tanh(env["a"] @ env["W"].T)}


def affine_ref(env, n):
    return {"u": env["a"] @ env["W"].T - env["c"]}


def indicator_delta_ref(env, n):
    s = env["s"]
    return {"r": np.maximum(s, 0), "q": s, "m": np.maximum(s, 0.5)}


UGRNN = """\
for t in 1..T:
    Rt[b, t, j] = Whr[j, I] * h[b, t-1, I] + Wxr[j, K] * x[b, t, K] - BR[j]
    R[b, t, j] = tanh(Rt[b, t, j])
    Gt[b, t, j] = Whg[j, I] * h[b, t-1, I] + Wxg[j, K] * x[b, t, K] - BG[j]
    G[b, t, j] = sigma(Gt[b, t, j])
    h[b, t, j] = G[b, t, j] * h[b, t-1, j] + (1 - G[b, t, j]) * R[b, t, j]
"""

# (id, index, tensors, program, sizes, reference, rtol)
CASES = [
    ("softmax", {"b": "B", "j": "J"},
     {"s": ("b j", "input"), "Z": ("b", "computed"), "p": ("b j", "computed")},
     "for b, j: Z[b] += exp(s[b, j])\nfor b, j: p[b, j] += exp(s[b, j]) / Z[b]",
     {"B": 3, "J": 4}, softmax_ref, 1e-12),
    ("batchnorm", {"b": "B", "j": "J"},
     {"x": ("b j", "input"), "mu": ("j", "computed"), "s": ("j", "computed"),
      "xp": ("b j", "computed")},
     "for b, j: mu[j] += 1/B * x[b, j]\n"
     "for b, j: s[j] += 1/(B-1) * (x[b, j] - mu[j])^2\n"
     "for b, j: xp[b, j] += (x[b, j] - mu[j]) / sqrt(s[j])",
     {"B": 5, "J": 3}, batchnorm_ref, 1e-12),
    ("ugrnn_block", {"b": "B", "t": "1..T", "j": "J", "i": "J", "k": "K"},
     {"x": ("b t k", "input"), "Whr": ("j i", "parameter"), "Wxr": ("j k", "parameter"),
      "BR": ("j", "parameter"), "Whg": ("j i", "parameter"), "Wxg": ("j k", "parameter"),
      "BG": ("j", "parameter"), "Rt": ("b t j", "computed"), "R": ("b t j", "computed"),
      "Gt": ("b t j", "computed"), "G": ("b t j", "computed"), "h": ("b t j", "computed")},
     UGRNN, {"B": 2, "T": 4, "J": 3, "K": 2}, ugrnn_ref, 1e-12),
    ("convolution_shifted_read", {"b": "B", "x": "X", "j": "J", "jp": "J", "dx": "D"},
     {"W": ("dx jp j", "parameter"), "L": ("b x jp", "input"), "R": ("b x j", "computed")},
     "for b, x, j, dx, jp: R[b, x, j] += W[dx, jp, j] * L[b, x+dx, jp]",
     {"B": 2, "X": 5, "J": 3, "D": 3}, conv_ref, 1e-12),
    ("scalar_targets", {"b": "B", "j": "J", "i": "I"},
     {"s": ("b j", "input"), "a": ("i", "input"), "c": ("i", "input"),
      "y": ("", "computed"), "q": ("", "computed"), "d": ("", "computed")},
     "for b, j: y += s[b, j]^2\nq = 2 * y + 1\nd = a[I] * c[I]",
     {"B": 3, "J": 4, "I": 5}, scalar_ref, 1e-12),
    ("recurrence_in_one_statement", {"b": "B", "t": "1..T"},
     {"s": ("b t", "input"), "h": ("b t", "computed")},
     "for t in 1..T, b: h[b, t] = 0.5 * h[b, t-1] + s[b, t]",
     {"B": 3, "T": 5}, recurrence_ref, 1e-12),
    ("descending_block", {"b": "B", "t": "1..T"},
     {"s": ("b t", "input"), "g": ("b t", "computed")},
     "for t in T..1:\n    g[b, t] = g[b, t+1] + s[b, t]",
     {"B": 2, "T": 5}, reverse_block_ref, 1e-12),
    ("einstein_sum_inside_tanh", {"b": "B", "j": "J", "i": "I"},
     {"a": ("b i", "input"), "W": ("j i", "parameter"), "u": ("b j", "computed")},
     "u[b, j] = tanh(W[j, I] * a[b, I])",
     {"B": 3, "J": 2, "I": 4}, tanh_of_sum_ref, 1e-12),
    ("einstein_sum_with_bias", {"b": "B", "j": "J", "i": "I"},
     {"a": ("b i", "input"), "W": ("j i", "parameter"), "c": ("j", "parameter"),
      "u": ("b j", "computed")},
     "u[b, j] = W[j, I] * a[b, I] - c[j]",
     {"B": 3, "J": 2, "I": 4}, affine_ref, 1e-12),
    ("indicator_delta_max", {"b": "B", "j": "J", "k": "J"},
     {"s": ("b j", "input"), "r": ("b j", "computed"), "q": ("b j", "computed"),
      "m": ("b j", "computed")},
     "r[b, j] = (s[b, j] > 0) * s[b, j]\n"
     "for b, j, k: q[b, j] += delta(j, k) * s[b, k]\n"
     "m[b, j] = max(s[b, j], 1/2)",
     {"B": 3, "J": 4}, indicator_delta_ref, 1e-12),
]


@pytest.mark.parametrize("index, tensors, text, sizes, reference, rtol",
                         [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_executor_matches_numpy(make_scope, index, tensors, text, sizes, reference, rtol):
    program = build_program(text, make_scope(index, tensors))
    env = run(program, sizes, seed=3)
    expected = reference(env, sizes)
    for name, want in expected.items():
        np.testing.assert_allclose(env[name], want, rtol=rtol, err_msg=name)


def test_given_inputs_are_used(make_scope):
    program = build_program("for b, j: Z[b] += exp(s[b, j])",
                            make_scope({"b": "B", "j": "J"},
                                       {"s": ("b j", "input"), "Z": ("b", "computed")}))
    env = run(program, {"B": 2, "J": 2}, {"s": [[0.0, 0.0], [1.0, 1.0]]})
    np.testing.assert_allclose(env["Z"], [2.0, 2 * np.e], rtol=1e-12)


def test_same_seed_same_inputs(make_scope):
    program = build_program("for b, j: Z[b] += exp(s[b, j])",
                            make_scope({"b": "B", "j": "J"},
                                       {"s": ("b j", "input"), "Z": ("b", "computed")}))
    one, two = run(program, {"B": 2, "J": 3}, seed=5), run(program, {"B": 2, "J": 3}, seed=5)
    other = run(program, {"B": 2, "J": 3}, seed=6)
    np.testing.assert_array_equal(one["s"], two["s"])
    assert not np.array_equal(one["s"], other["s"])


def test_input_of_the_wrong_shape_is_an_execution_error(make_scope):
    program = build_program("for b, j: Z[b] += exp(s[b, j])",
                            make_scope({"b": "B", "j": "J"},
                                       {"s": ("b j", "input"), "Z": ("b", "computed")}))
    with pytest.raises(ExecutionError, match="expected"):
        run(program, {"B": 2, "J": 3}, {"s": np.zeros(5)})


def test_a_write_outside_a_computed_tensors_shape_is_an_error_not_dropped(make_scope):
    # g is declared over x, but the statement writes g[b, x + dx] up to x = X + D - 2:
    # dropping those writes silently gave a worked example of the wrong numbers
    program = build_program("for b, x, dx: g[b, x+dx] += w[dx] * f[b, x]",
                            make_scope({"b": "B", "x": "X", "dx": "D"},
                                       {"w": ("dx", "parameter"), "f": ("b x", "input"),
                                        "g": ("b x", "computed")}))
    with pytest.raises(ExecutionError, match=r"writes g\[0, 6\], outside its shape"):
        run(program, {"B": 2, "X": 6, "D": 3}, seed=3)


def test_huge_loop_range_is_a_limit_error_not_a_memory_error(make_scope):
    program = build_program("for t in 1..100000000000: e[t] = 1", make_scope({}, {}),
                            answer=True)
    with pytest.raises(LimitError):
        run(program, {})


def test_huge_iteration_grid_is_a_limit_error(make_scope):
    program = build_program("for b, j: Z[b] += s[b, j]",
                            make_scope({"b": "B", "j": "J"},
                                       {"s": ("b j", "input"), "Z": ("b", "computed")}))
    with pytest.raises(LimitError, match="the limit is 10"):
        Executor(program, {"B": 4, "J": 3}, max_grid=10).run()


def test_mlp_numeric_example():
    spec = load_spec(default_problems_dir() / "mlp_numeric.yaml")
    env = run(spec.program, spec.default_sizes(), spec.values)
    expected = {"z": [1, -3], "h": [1, 0], "y": 3, "C": 2}
    for name, want in expected.items():
        np.testing.assert_allclose(env[name], want, rtol=1e-12, err_msg=name)


def test_a_tensor_written_only_by_empty_loops_is_zero_not_missing(make_scope):
    """Regression: `for t in 2..T: g[t-1] += ...` at T = 1 runs no iteration, and g was
    never made, so the checker's counterexample search crashed (KeyError 'h.grad') on a
    wrong ugrnn answer.  A tensor the program writes exists after a run, zero where no
    iteration wrote it (as by hand: np.zeros, then the loop that does nothing)."""
    program = build_program("for t in 2..T: g[t-1] += 2 * x[t]\nfor t in 2..T:\n"
                            "    for j: h[t, j] += x[t]",
                            make_scope({"t": "1..T", "j": "J"},
                                       {"x": ("t", "input"), "g": ("t", "computed"),
                                        "h": ("t j", "computed")}))
    env = run(program, {"T": 1, "J": 2}, seed=0)
    np.testing.assert_array_equal(env["g"], np.zeros(1))
    np.testing.assert_array_equal(env["h"], np.zeros((1, 2)))
    env = run(program, {"T": 3, "J": 2}, {"x": [1.0, 2.0, 3.0]})
    np.testing.assert_array_equal(env["g"], [4.0, 6.0, 0.0])
