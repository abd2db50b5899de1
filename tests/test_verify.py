"""Verification that passes correct answers and fails wrong ones, at any depth and size.

Three false failures once withheld correct answers: a central difference straddling a
ReLU kink, sums too long for a fixed tolerance (softmax at B=50, J=200), and deep
programs (a 64-layer tanh MLP) whose first-layer gradient (about 1e-14) central
differences cannot see.  Each is a test here, and so is its other side: a wrong sign or
a missing term still fails at every depth and size.
"""
from __future__ import annotations

import pytest

from derive.core.errors import VerificationError
from derive.core.records import Backward
from derive.engines.backward import derive_backward
from derive.front.spec import load_spec, parse_spec
from derive.front.folder import resolve_problem
from derive.run.verify import has_kinks, verify_backward


def mlp_spec(layers: int, act: str = "tanh") -> str:
    tensors = ["  x: {shape: [i], role: input}"]
    lines = []
    prev = "x"
    for k in range(1, layers + 1):
        tensors += [f"  W{k}: {{shape: [i, j], role: parameter}}", f"  z{k}: {{shape: [i]}}",
                    f"  h{k}: {{shape: [i]}}"]
        lines += [f"  z{k}[i] = W{k}[i, J] * {prev}[J]", f"  h{k}[i] = {act}(z{k}[i])"]
        prev = f"h{k}"
    tensors.append("  Loss: {shape: []}")
    lines.append(f"  Loss = {prev}[I] * {prev}[I]")
    return ("id: deep\ntitle: deep\nsource: a test\nindex: {i: N, j: N}\ntensors:\n"
            + "\n".join(tensors) + "\nprogram: |\n" + "\n".join(lines)
            + "\nsizes: {N: 3}\nparts:\n  a: {ask: backprop, from: Loss, to: [x, W1], text: x}\n")


def rnn_spec(steps: int) -> str:
    tensors = ["  x: {shape: [t, i], role: input}", "  U: {shape: [i, j], role: parameter}",
               "  W: {shape: [i, j], role: parameter}", "  h0: {shape: [i], role: input}"]
    lines = []
    for k in range(1, steps + 1):
        tensors += [f"  h{k}: {{shape: [i]}}"]
        lines.append(f"  h{k}[i] = tanh(U[i, J] * h{k - 1}[J] + W[i, J] * x[{k - 1}, J])")
    tensors.append("  Loss: {shape: []}")
    lines.append(f"  Loss = h{steps}[I] * h{steps}[I]")
    return (f"id: deep\ntitle: deep\nsource: a test\nindex: {{t: {steps}, i: N, j: N}}\n"
            "tensors:\n" + "\n".join(tensors) + "\nprogram: |\n" + "\n".join(lines)
            + "\nsizes: {N: 3}\nparts:\n  a: {ask: backprop, from: Loss, to: [U, W, h0], "
              "text: x}\n")


def derived(spec_text: str, frm, to):
    spec = parse_spec(spec_text)
    return spec, derive_backward(spec.program, frm, to)


def mutated(bw: Backward, how: str) -> Backward:
    """The backward program with one mistake: the sign of one statement, or one dropped."""
    stmts = bw.program.statements()
    victim = stmts[len(stmts) // 2]
    if how == "sign":
        prog = bw.program.map(lambda s: s.with_(rhs=-s.rhs) if s is victim else s)
    else:
        prog = bw.program.map(lambda s: None if s is victim else s)
    return Backward(prog, bw.forward, bw.sources, bw.targets, [], bw.average_over)


@pytest.mark.slow
@pytest.mark.parametrize("make, depth", [(mlp_spec, 64), (rnn_spec, 64)],
                         ids=["mlp_64_layers", "rnn_64_steps"])
def test_a_deep_program_is_verified(make, depth):
    spec, bw = derived(make(depth), ["Loss"], ["W1"] if make is mlp_spec else ["U", "h0"])
    v = verify_backward(spec.program, bw, spec.default_sizes(), variants=1)
    assert v.passed and v.method.startswith("complex step")


@pytest.mark.parametrize("depth", [4, 16])
@pytest.mark.parametrize("how", ["sign", "drop"])
def test_a_wrong_deep_program_still_fails(depth, how):
    spec, bw = derived(mlp_spec(depth), ["Loss"], ["x", "W1"])
    with pytest.raises(VerificationError):
        verify_backward(spec.program, mutated(bw, how), spec.default_sizes(), variants=1)


def test_a_relu_network_is_checked_across_no_kink():
    spec, bw = derived(mlp_spec(6, "relu"), ["Loss"], ["x", "W1"])
    assert has_kinks(bw.forward)
    for seed in range(6):
        v = verify_backward(spec.program, bw, spec.default_sizes(), seeds=(seed,), variants=1)
        assert v.passed and v.method.startswith("central differences")
    with pytest.raises(VerificationError):
        verify_backward(spec.program, mutated(bw, "sign"), spec.default_sizes(), variants=1)


DILATED = """id: dilated
title: A dilated, padded convolution with a ReLU
source: a test
index: {b: B, x: X, y: Y, dx: K, dy: K, c: C}
tensors:
  L0: {shape: [b, x, y, c], role: input}
  W: {shape: [dx, dy, c, c], role: parameter}
  R: {shape: [b, x, y, c]}
  H: {shape: [b, x, y, c]}
  Loss: {shape: []}
program: |
  for b, x, y, c, dx, dy, cp: R[b, x, y, c] += W[dx, dy, cp, c] * L0[b, x + 2*dx - 1, y + 2*dy - 1, cp]
  H[b, x, y, c] = relu(R[b, x, y, c])
  Loss = H[B, X, Y, C] * H[B, X, Y, C]
sizes: {B: 2, X: 5, Y: 4, K: 2, C: 2}
parts:
  a: {ask: backprop, from: Loss, to: [W, L0], text: x}
"""


def test_a_dilated_relu_convolution_is_verified_at_every_seed():
    """Once broke: a central difference straddled a ReLU kink at B=2, X=5, Y=4
    ("relative error 6.25e-06" for an exact answer)."""
    spec = parse_spec(DILATED.replace("cp: R", "cp: R").replace(
        "index: {b: B, x: X, y: Y, dx: K, dy: K, c: C}",
        "index: {b: B, x: X, y: Y, dx: K, dy: K, c: C, cp: C}"))
    bw = derive_backward(spec.program, ["Loss"], ["W", "L0"])
    for seed in range(10):
        v = verify_backward(spec.program, bw, spec.default_sizes(), seeds=(seed,), variants=1)
        assert v.passed, v.summary()


@pytest.mark.parametrize("sizes", [{"B": 50, "J": 200}, {"B": 3, "J": 1000}],
                         ids=["B50_J200", "J1000"])
def test_long_sums_are_verified(sizes):
    """Once broke: the tolerance did not grow with the length of the sums."""
    spec = load_spec(resolve_problem("softmax"))
    bw = derive_backward(spec.program, ["p"], ["s"])
    v = verify_backward(spec.program, bw, sizes, variants=1)
    assert v.passed, v.summary()
    with pytest.raises(VerificationError):
        verify_backward(spec.program, mutated(bw, "sign"), sizes, variants=1)


def test_a_kinked_softmax_cross_entropy_at_large_sizes():
    spec = load_spec(resolve_problem("mlp_regression"))
    part = spec.part("b")
    bw = derive_backward(spec.program, part.args["from"], part.args["to"])
    sizes = {k: 60 for k in spec.default_sizes()}
    assert verify_backward(spec.program, bw, sizes, variants=1).passed


def test_an_undefined_loss_is_smooth():
    spec = load_spec(resolve_problem("relu_unit"))
    assert not has_kinks(parse_spec(mlp_spec(2)).program)
    assert has_kinks(spec.program)

