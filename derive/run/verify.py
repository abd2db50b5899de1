"""Numeric verification: directional central differences against derived gradients.

Every wanted gradient X.grad is checked as a total derivative: each read of X
in the (sub)program becomes a read of X + dX, and the scalar
phi(dX) = sum_F <seed_F, F> over the source tensors F is differenced along
random directions, in float64, at two or more sizes.  (The technique of
autograd's `check_grads`: cheap, independent of the number of parameters.)
"""
from __future__ import annotations


import numpy as np
import sympy as sp

from derive.core.errors import VerificationError
from derive.run.execute import Executor, random_symbols, run, tensor_layout
from derive.core.program import Program, TensorInfo, reads, ref, ref_indices, ref_name
from derive.core.records import Check, Verification
from derive.core.naming import delta_name

TOLERANCE = 1e-6
EPSILON = 1e-6






def perturbed(program: Program, targets) -> Program:
    """Every read of a target X becomes a read of X + X.delta (X.delta an input)."""
    tensors = dict(program.tensors)
    for x in targets:
        info = tensors[x]
        tensors[delta_name(x)] = TensorInfo(delta_name(x), info.axes, info.ranges, "input")

    def shift(expr):
        subs = {}
        for r in reads(expr):
            name = ref_name(r)
            if name in targets:
                subs[r] = r + ref(delta_name(name), ref_indices(r))
        return expr.xreplace(subs) if subs else expr

    return program.map(lambda st: st.with_(rhs=shift(st.rhs)), tensors)


def _sizes_variants(program: Program, base: dict, n: int = 2) -> list:
    out = [dict(base)]
    for k in range(1, n):
        out.append({name: v + k for name, v in base.items()})
    return out


def check_gradients(forward: Program, sub: Program, backward: Program, sources, targets,
                    sizes: dict, seed: int = 0, directions: int = 2,
                    inputs: dict | None = None, scales: dict | None = None) -> Check:
    """Relative errors of backward's gradients against central differences."""
    rng = np.random.default_rng(seed + 101)
    symvals = random_symbols(forward, seed)
    env = run(forward, sizes, inputs, seed=seed, symbol_values=symvals)
    written = set(sub.written())
    base = {n: v for n, v in env.items() if n not in written and not n.endswith(".grad")}
    seeds = {f: rng.standard_normal(env[f].shape) for f in sources}
    pert = perturbed(sub, targets)

    def phi(deltas):
        ex = Executor(pert, sizes, symvals)
        ex.env = {k: np.array(v, dtype=float, copy=True) for k, v in base.items()}
        for name, d in deltas.items():
            ex.env[delta_name(name)] = d
        ex.run()
        return sum(float((seeds[f] * ex.array(f)).sum()) for f in sources)

    ex = Executor(backward, sizes, symvals)
    ex.env = {k: np.array(v, dtype=float, copy=True) for k, v in env.items()}
    for f in sources:
        ex.env[f + ".grad"] = seeds[f].copy()
    ex.run()
    check = Check(dict(sizes), seed)
    for x in targets:
        grad = ex.array(x + ".grad")
        shape, _ = tensor_layout(forward.tensors[x], sizes)
        worst = 0.0
        for _ in range(directions):
            v = rng.standard_normal(shape)
            zero = {t: np.zeros(tensor_layout(forward.tensors[t], sizes)[0]) for t in targets}
            plus = phi({**zero, x: EPSILON * v})
            minus = phi({**zero, x: -EPSILON * v})
            numeric = (plus - minus) / (2 * EPSILON) * (scales or {}).get(x, 1.0)
            analytic = float((grad * v).sum())
            scale = max(abs(numeric), abs(analytic), 1e-8)
            err = abs(numeric - analytic) / scale
            worst = err if not np.isfinite(err) or not np.isfinite(worst) else max(worst, err)
        check.errors[x] = worst
    return check


def verify_backward(forward: Program, bw, sizes: dict, seeds=(0, 1),
                    tolerance: float = TOLERANCE, inputs: dict | None = None,
                    variants: int = 2, raise_on_failure: bool = True) -> Verification:
    """Check a :class:`~derive.backward.Backward` at `variants` sizes and `seeds`."""
    checks = []
    averaged = [x for x in bw.targets if bw.average_over
                and forward.tensors[x].role == "parameter"]
    size_list = _sizes_variants(forward, sizes, variants) if inputs is None else [sizes]
    for k, sz in enumerate(size_list):
        for s in seeds:
            scales = {}
            if averaged:
                lo, hi = forward.indices[bw.average_over]
                n = int((hi - lo + 1).xreplace(
                    {sym: sp.Integer(sz[name]) for name, sym in forward.sizes.items()}))
                scales = {x: 1.0 / n for x in averaged}
            checks.append(check_gradients(forward, bw.forward, bw.program, bw.sources,
                                          bw.targets, sz, s, inputs=inputs, scales=scales))
    passed = all(np.isfinite(c.worst) and c.worst <= tolerance for c in checks)
    v = Verification("finite differences (central, along random directions, float64)",
                     checks, tolerance, passed)
    if not passed and raise_on_failure:
        bad = max(checks, key=lambda c: c.worst)
        name = max(bad.errors, key=bad.errors.get)
        raise VerificationError(f"the derived gradient of {name} fails its numeric check: "
                                f"relative error {bad.errors[name]:.2e} at sizes {bad.sizes}")
    return v


def run_backward(forward: Program, backward: Program, sources, sizes: dict, seed: int,
                 inputs: dict | None = None, unit: bool = False) -> dict:
    """Forward values, seed gradients for the sources (random, or ones), then backward."""
    rng = np.random.default_rng(seed + 101)
    symvals = random_symbols(forward, seed)
    env = run(forward, sizes, inputs, seed=seed, symbol_values=symvals)
    ex = Executor(backward, sizes, symvals)
    ex.env = {k: np.array(v, dtype=float, copy=True) for k, v in env.items()}
    for f in sources:
        shape = env[f].shape
        ex.env[f + ".grad"] = np.ones(shape) if unit else rng.standard_normal(shape)
    ex.run()
    return ex.env


def compare_backward(forward: Program, reference: Program, other: Program, sources, targets,
                     sizes_list, seeds=(0, 1)) -> tuple[bool, float, dict | None]:
    """Do two backward programs give the same target gradients?  (ok, worst error, first diff)"""
    worst = 0.0
    for sizes in sizes_list:
        for seed in seeds:
            a = run_backward(forward, reference, sources, sizes, seed)
            b = run_backward(forward, other, sources, sizes, seed)
            for x in targets:
                ga, gb = a[x + ".grad"], b.get(x + ".grad")
                if gb is None:
                    return False, float("inf"), {"tensor": x, "sizes": sizes, "seed": seed}
                diff = np.abs(ga - gb)
                scale = max(float(np.abs(ga).max(initial=0)), 1e-12)
                err = float(diff.max(initial=0)) / scale
                worst = max(worst, err)
                if err > 1e-9:
                    at = np.unravel_index(int(np.argmax(diff)), diff.shape) if diff.ndim else ()
                    return False, err, {"tensor": x, "sizes": sizes, "seed": seed,
                                        "index": tuple(int(i) for i in at),
                                        "expected": float(ga[at]), "got": float(gb[at])}
    return True, worst, None
