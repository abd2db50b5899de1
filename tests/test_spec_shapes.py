"""Shapes of computed tensors are inferred from the statements that write them (issue 13,
item 5): a new instructor declared every intermediate tensor's shape, and a wrong one was
only found by a confusing range error deep in the program."""
from __future__ import annotations

import numpy as np
import pytest
from click.testing import CliRunner

from derive.answers import solve_part
from derive.cli import cli
from derive.core.errors import NotationError, SpecError
from derive.front.spec import parse_spec
from derive.run.verify import run_backward

SOFTMAX = """id: sm
title: Softmax
source: a test
index: {b: B, j: J}
tensors:
  s: {shape: [b, j], role: input}
  Z: {latex: 'Z'}
program: |
  for b, j: Z[b] += exp(s[b, j])
  for b, j: p[b, j] = exp(s[b, j]) / Z[b]
  for b, j: Loss += p[b, j] * c[b, j]
sizes: {B: 2, J: 3}
parts:
  a:
    ask: backprop
    from: Loss
    to: s
    text: Give s.grad.
"""


def _spec(text):
    return parse_spec(text, "<spec>")


def test_computed_tensors_need_no_declaration():
    spec = _spec(SOFTMAX.replace("  s: {shape: [b, j], role: input}\n",
                                 "  s: {shape: [b, j], role: input}\n"
                                 "  c: {shape: [b, j], role: input}\n"))
    t = spec.program.tensors
    assert t["Z"].axes == ("b",) and t["Z"].role == "computed" and t["Z"].latex == "Z"
    assert t["p"].axes == ("b", "j") and t["Loss"].axes == ()
    # the derived gradient against softmax's by hand: s.grad = p * (c - sum_j p c)
    ans = solve_part(spec, "a")
    rng = np.random.default_rng(0)
    s, c = rng.standard_normal((2, 3)), rng.standard_normal((2, 3))
    env = run_backward(spec.program, ans.program, ["Loss"], {"B": 2, "J": 3}, 0,
                       inputs={"s": s, "c": c}, unit=True)
    p = np.exp(s) / np.exp(s).sum(1, keepdims=True)
    want = p * (c - (p * c).sum(1, keepdims=True))
    assert np.allclose(env["s.grad"], want, rtol=1e-12)


def test_a_recurrence_covers_the_union_of_its_writes():
    spec = _spec("""id: r
title: Residual stack
source: a test
index: {k: 0..L, i: N, j: N}
tensors:
  x: {shape: [i], role: input}
  W: {shape: [k, i, j], role: parameter}
program: |
  h[0, i] = x[i]
  for k in 1..L:
      h[k, i] = h[k-1, i] + tanh(W[k, i, J] * h[k-1, J])
  for i: Loss += h[L, i]
sizes: {L: 3, N: 2}
parts:
  a: {ask: backprop, from: Loss, to: W, text: Give W.grad.}
""")
    h = spec.program.tensors["h"]
    assert h.axes == ("k", "i")
    L = spec.program.sizes["L"]
    assert h.ranges[0] == (0, L)
    assert solve_part(spec, "a").verification.passed


def test_declared_shape_with_the_wrong_rank_names_both():
    text = SOFTMAX.replace("  Z: {latex: 'Z'}", "  Z: {shape: [b, j]}").replace(
        "role: input}\n", "role: input}\n  c: {shape: [b, j], role: input}\n", 1)
    with pytest.raises(SpecError) as e:
        _spec(text)
    msg = str(e.value)
    assert "tensors.Z.shape" in msg and "[b, j]" in msg and "line 1" in msg and "1" in msg


def test_declared_axis_the_writes_run_past_names_both():
    text = SOFTMAX.replace("index: {b: B, j: J}", "index: {b: B, j: J, k: K}").replace(
        "  Z: {latex: 'Z'}", "  Z: {shape: [k]}").replace(
        "role: input}\n", "role: input}\n  c: {shape: [b, j], role: input}\n", 1).replace(
        "sizes: {B: 2, J: 3}", "sizes: {B: 2, J: 3, K: 2}")
    with pytest.raises(SpecError) as e:
        _spec(text)
    msg = str(e.value)
    assert "tensors.Z.shape" in msg and "declared as k" in msg and "index b" in msg


def test_writes_with_different_ranks_are_an_error_at_the_second():
    text = SOFTMAX.replace("  for b, j: Loss += p[b, j] * c[b, j]\n",
                           "  for b, j: Loss += p[b, j] * c[b, j]\n  for b: Z[b, b] += 1\n")
    text = text.replace("role: input}\n", "role: input}\n  c: {shape: [b, j], role: input}\n", 1)
    with pytest.raises(NotationError) as e:
        _spec(text)
    assert "'Z' is written with 2 indices here, but with 1 on line 1" in str(e.value)
    assert e.value.line > 1


def test_an_axis_no_loop_index_writes_asks_for_a_declaration():
    text = """id: q
title: q
source: a test
index: {i: N}
tensors:
  x: {shape: [i], role: input}
program: |
  for i: y[i*i] = x[i]
  for i: Loss += x[i]
sizes: {N: 2}
parts:
  a: {ask: backprop, from: Loss, to: x, text: x.grad}
"""
    with pytest.raises(NotationError) as e:
        _spec(text)
    assert "shape of 'y' cannot be inferred" in str(e.value) and "declare" in str(e.value)
    assert e.value.line == 8


def test_a_strided_write_is_inferred():
    spec = _spec(SOFTMAX.replace("  for b, j: p[b, j] = exp(s[b, j]) / Z[b]",
                                 "  for b, j: p[b, 2*j] = exp(s[b, j]) / Z[b]").replace(
        "p[b, j] * c", "p[b, 2*j] * c").replace(
        "role: input}\n", "role: input}\n  c: {shape: [b, j], role: input}\n", 1))
    J = spec.program.sizes["J"]
    assert spec.program.tensors["p"].ranges[1] == (0, 2 * J - 2)


def test_entry_without_shape_for_a_tensor_never_written_is_an_error():
    text = SOFTMAX.replace("  Z: {latex: 'Z'}", "  Z: {latex: 'Z'}\n  c: {latex: 'c'}")
    with pytest.raises(SpecError, match=r"tensors.c: no shape: and the program never writes"):
        _spec(text)


def test_input_without_shape_is_an_error_naming_the_key():
    text = SOFTMAX.replace("  s: {shape: [b, j], role: input}", "  s: {role: input}")
    with pytest.raises(SpecError, match=r"tensors.s.shape: missing required key"):
        _spec(text)


def test_shape_errors_exit_2_with_a_message(tmp_path):
    d = tmp_path / "p"
    d.mkdir()
    (d / "sm.yaml").write_text(SOFTMAX.replace("  Z: {latex: 'Z'}", "  Z: {shape: [b, j]}"))
    r = CliRunner().invoke(cli, ["--problems", str(d), "show", "sm"])
    assert r.exit_code == 2 and "tensors.Z.shape" in r.output and "Traceback" not in r.output


CONCAT = """id: concat
title: Concatenation
source: a test
index: {p: X, q: D, j: J}
tensors:
  a: {shape: [p], role: input}
  b: {shape: [q], role: input}
  W: {shape: [j, p], role: parameter}
program: |
  for p: c[p] = a[p]
  for q: c[X + q] = b[q]
  for j, p: y[j] += W[j, p] * c[p] + c[X + D - 1]
  for j: Loss += y[j]^2
sizes: {X: 3, D: 2, J: 2}
parts:
  a: {ask: backprop, from: Loss, to: [W, a, b], text: Give the gradients.}
"""


def test_a_concatenation_is_inferred_over_both_writes():
    # c was inferred over p alone (0..X-1): its second half was dropped, W.grad was wrong
    spec = _spec(CONCAT)
    X, D = spec.program.sizes["X"], spec.program.sizes["D"]
    assert spec.program.tensors["c"].ranges == ((0, X + D - 1),)
    ans = solve_part(spec, "a")
    rng = np.random.default_rng(0)
    a, b, W = rng.standard_normal(3), rng.standard_normal(2), rng.standard_normal((2, 3))
    env = run_backward(spec.program, ans.program, ["Loss"], {"X": 3, "D": 2, "J": 2}, 0,
                       inputs={"a": a, "b": b, "W": W}, unit=True)
    c = np.concatenate([a, b])
    y = W @ c[:3] + 3 * c[4]                 # the sum over p adds c[X + D - 1] X times
    assert np.allclose(env["W.grad"], 2 * np.outer(y, c[:3]))
    gb = np.zeros(2)
    gb[1] = 3 * 2 * y.sum()
    assert np.allclose(env["b.grad"], gb) and np.allclose(env["a.grad"], 2 * W.T @ y)


def test_declared_shape_too_small_for_an_offset_write_names_both():
    text = CONCAT.replace("  W: {shape: [j, p], role: parameter}",
                          "  W: {shape: [j, p], role: parameter}\n  c: {shape: [p]}")
    with pytest.raises(SpecError) as e:
        _spec(text)
    assert "tensors.c.shape" in str(e.value) and "line 12 writes it over X..D + X - 1" \
        in str(e.value)


def test_size_that_is_also_a_capital_in_a_spec_is_an_error_not_a_silent_sum():
    # with k over K, `m = h[K-1]` was read as a sum over k of h[k-1] and verified
    text = """id: last
title: Last entry
source: a test
index: {k: K}
tensors:
  h: {shape: [k], role: input}
program: |
  m = h[K-1]
  Loss = m^2
sizes: {K: 4}
parts:
  a: {ask: backprop, from: Loss, to: h, text: Give h.grad.}
"""
    with pytest.raises(NotationError) as e:
        _spec(text)
    assert "both the size of index k and its capital" in str(e.value)
    assert e.value.line == 8 and e.value.column == 7     # in the program block
    # renaming the index, as the message says, gives the last entry
    spec = _spec(text.replace("index: {k: K}", "index: {i: K}").replace("shape: [k]",
                                                                         "shape: [i]"))
    ans = solve_part(spec, "a")
    h = np.array([1.0, -2.0, 0.5, 3.0])
    env = run_backward(spec.program, ans.program, ["Loss"], {"K": 4}, 0, inputs={"h": h},
                       unit=True)
    assert np.allclose(env["h.grad"], [0, 0, 0, 2 * 3.0])


def test_a_forward_write_outside_its_shape_is_an_error_not_dropped():
    from derive.core.errors import ExecutionError
    from derive.core.program import TensorInfo
    from derive.run.execute import run
    spec = _spec(CONCAT)
    prog = spec.program
    X = prog.sizes["X"]
    prog.tensors["c"] = TensorInfo("c", ("p",), ((0, X - 1),), "computed")   # too short
    with pytest.raises(ExecutionError, match=r"line \d+: the program writes c\[3\], outside"):
        run(prog, {"X": 3, "D": 2, "J": 2}, seed=0)
