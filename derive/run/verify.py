"""Numeric verification of derived gradients along random directions.

Every wanted gradient X.grad is checked as a total derivative: each read of X in the
(sub)program becomes a read of X + dX, and the scalar phi(dX) = sum_F <seed_F, F> over
the source tensors F is differentiated along random directions v, at two or more sizes
(the technique of autograd's `check_grads`: cheap, independent of the number of
parameters), and compared with <X.grad, v>:

- a program without kinks (no relu, step, abs, sign, max, min, comparison, or max or
  min over an index) is differentiated by the complex step, Im phi(i h v) / h: exact
  to rounding whatever the
  program's depth or size, so a gradient of 1e-14 through 64 layers is checked as
  strictly as one of 1;
- a program with kinks by central differences, at a point whose difference step crosses
  no kink (the signs of every kink's argument are compared at both ends; another
  direction is drawn where one flips), with a tolerance that grows with the rounding of
  the sums phi is made of (the magnitudes summed, not only the result).
"""
from __future__ import annotations

from derive.core.stopwatch import timed


import numpy as np
import sympy as sp

from derive.core.errors import VerificationError
from derive.core.sizes import vary
from derive.run.execute import Executor, random_symbols, run
from dataclasses import replace

from derive.core.errors import ExecutionError
from derive.core.naming import fresh, names_in_use
from derive.core.program import Loop, concrete, index_var, tensor_layout
from derive.core.functions import comparison, ind, maxf, minf, relu, step
from derive.core.program import (REDUCTIONS, Block, Program, Statement, TensorInfo, reads, ref,
                                 ref_indices, ref_name)
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
    """The base sizes, then each independent size k larger (dependent sizes computed:
    a tie like M = U - F + 1 holds at every variant)."""
    out = [dict(base)]
    rel = program.relations
    free = [name for name in base if name not in rel]
    for k in range(1, n):
        bits = {name: i for i, name in enumerate(free)}
        v = vary(rel, program.sizes,
                 lambda name, a: base[name] + k + ((a >> bits[name]) & 1), tries=64)
        if v is not None and v not in out:
            out.append(v)
    return out


KINKS = (relu, step, sp.Abs, sp.sign, maxf, minf, ind)
ROUNDING = np.finfo(float).eps
COMPLEX_STEP = 1e-30


def has_kinks(program: Program) -> bool:
    """Does the program use a function that is not smooth (relu, step, abs, max, ...),
    or take a max or min over an index (kinked where two candidates are equal)?"""
    return any(st.op in REDUCTIONS or any(isinstance(a, KINKS)
                                          for a in sp.preorder_traversal(st.rhs))
               for st in program.statements())


def kink_arguments(program: Program) -> Program:
    """The program with, after each statement that has kinks, one statement per kink
    recording the sign of its argument (relu(u): u; max(a, b): a - b; (x > y): x - y)
    in a tensor `kink.k` indexed by every loop index around it."""
    tensors = dict(program.tensors)
    count = [0]

    def rec(items, outer):
        out = []
        for it in items:
            if isinstance(it, Block):
                out.append(Block(it.loops, rec(it.body, outer + tuple(it.loops)), it.line))
                continue
            out.append(it)
            loops = tuple(outer) + tuple(it.loops)
            if it.op in REDUCTIONS:
                # a max over k: which candidate is the max, (candidate == max) (computed
                # apart, then compared: exact); a step that changes the arg-max changes it
                name = f"kink.{count[0]}"
                count[0] += 1
                tensors[name] = TensorInfo(name, tuple(lp.var.name for lp in loops),
                                           tuple(lp.bounds for lp in loops), "temporary")
                out.append(Statement(ref(name, [lp.var for lp in loops]), "=",
                                     comparison("==", it.rhs, it.target), it.loops,
                                     it.line))
            for a in sp.preorder_traversal(it.rhs):
                if not isinstance(a, KINKS):
                    continue
                arg = a.args[0] - a.args[1] if isinstance(a, (maxf, minf)) else \
                    (a.args[0].lhs - a.args[0].rhs if isinstance(a, ind) else a.args[0])
                name = f"kink.{count[0]}"
                count[0] += 1
                tensors[name] = TensorInfo(name, tuple(lp.var.name for lp in loops),
                                           tuple(lp.bounds for lp in loops), "temporary")
                out.append(Statement(ref(name, [lp.var for lp in loops]), "=", sp.sign(arg),
                                     it.loops, it.line))
        return out
    return Program(rec(program.items, ()), tensors, program.indices, program.symbols,
                   program.functions, program.sizes, program.ranges)


class _Phi:
    """phi(dX) = sum_F <seed_F, F(X + dX)>, run on the perturbed sub-program."""

    def __init__(self, pert: Program, sizes, symvals, base, seeds, sources):
        self.pert, self.sizes, self.symvals = pert, sizes, symvals
        self.base, self.seeds, self.sources = base, seeds, sources

    def run(self, deltas, dtype=float, program=None):
        ex = Executor(program or self.pert, self.sizes, self.symvals, dtype=dtype)
        ex.env = {k: np.array(v, dtype=dtype, copy=True) for k, v in self.base.items()}
        for name, d in deltas.items():
            ex.env[delta_name(name)] = np.asarray(d, dtype=dtype)
        ex.run()
        return ex

    def value(self, ex):
        return sum((self.seeds[f] * ex.array(f)).sum() for f in self.sources)

    def magnitude(self, ex) -> float:
        """The sum of |seed * F|: the size of the terms phi adds up (its rounding)."""
        return float(sum(np.abs(self.seeds[f] * ex.array(f)).sum() for f in self.sources))


def _complex_step(phi: _Phi, zero: dict, x: str, v) -> float:
    ex = phi.run({**zero, x: 1j * COMPLEX_STEP * v}, dtype=complex)
    return float(np.imag(phi.value(ex)) / COMPLEX_STEP)


# the directions of one batched run: at most this many elements in a statement's grid
# or in the batched tensors together (the run's arrays stay a few tens of MB)
BATCH_ELEMENTS = 2_000_000


def _complex_steps(phi: _Phi, drawn: list, sizes: dict) -> list:
    """[((x, v), Im phi(i h v) / h)] for every (target, direction) of `drawn`, from runs
    of the perturbed program batched over the directions (a leading axis of every
    tensor the perturbations reach, so each direction is its own run, computed
    together), as many directions a run as its arrays allow."""
    pert = phi.pert
    names = {x for x, _ in drawn}
    reached = _reached(pert, names)
    per = max(1, min(BATCH_ELEMENTS // max(1, _largest_grid(pert, sizes)),
                     BATCH_ELEMENTS // max(1, sum(
                         int(np.prod(tensor_layout(pert.tensors[n], sizes)[0]))
                         for n in reached))))
    width = min(per, len(drawn))
    batched, _ = _batched(pert, reached, width)
    out = []
    for at in range(0, len(drawn), width):
        part = drawn[at:at + width]
        deltas = {x: np.zeros((width,) + tuple(tensor_layout(pert.tensors[x], sizes)[0]),
                              dtype=complex) for x in names}
        for k, (y, v) in enumerate(part):
            deltas[y][k] = 1j * COMPLEX_STEP * v
        ex = phi.run(deltas, dtype=complex, program=batched)
        total = np.zeros(width, dtype=complex)
        for f in phi.sources:
            arr = ex.array(f)
            if f in reached:
                total += (phi.seeds[f] * arr).reshape(width, -1).sum(axis=1)
            # a source the perturbations do not reach: real, no derivative
        out += [(xv, float(np.imag(total[k]) / COMPLEX_STEP)) for k, xv in enumerate(part)]
    return out


def _reached(program: Program, targets) -> set:
    """The perturbations x.delta of the targets and every tensor computed from them."""
    reached = {delta_name(x) for x in targets}
    changed = True
    while changed:
        changed = False
        for st in program.statements():
            if st.target_name not in reached and any(ref_name(r) in reached
                                                     for r in st.reads()):
                reached.add(st.target_name)
                changed = True
    return reached


def _largest_grid(program: Program, sizes: dict) -> int:
    """The most elements of one statement's grid (a loop whose bounds depend on an
    enclosing block's index counted as the longest axis of any tensor)."""
    longest = max([1] + [n for info in program.tensors.values()
                         for n in tensor_layout(info, sizes)[0]])
    most = 1
    for st in program.statements():
        n = 1
        for lp in st.loops:
            try:
                n *= max(concrete(lp.hi - lp.lo + 1, sizes), 0)
            except ExecutionError:
                n *= longest
        most = max(most, n)
    return most


def _batched(program: Program, reached: set, width: int):
    """The program with a leading axis of `width` (directions) on every tensor in
    `reached`, and a loop over it in every statement that writes one."""
    c = index_var(fresh("dir", names_in_use(program)))
    loop = Loop(c, sp.S.Zero, sp.Integer(width - 1))
    tensors = dict(program.tensors)
    for n in reached:
        info = tensors[n]
        tensors[n] = replace(info, axes=(c.name,) + tuple(info.axes),
                             ranges=((sp.S.Zero, sp.Integer(width - 1)),) + tuple(info.ranges))

    def along(r):
        return ref(ref_name(r), (c,) + ref_indices(r))

    def batch(st):
        if st.target_name not in reached:
            return st
        subs = {r: along(r) for r in st.reads() if ref_name(r) in reached}
        return st.with_(target=along(st.target), rhs=st.rhs.xreplace(subs) if subs else st.rhs,
                        loops=(loop,) + tuple(st.loops))
    return program.map(batch, tensors), c


def _central_difference(phi: _Phi, probe: Program, zero: dict, x: str, v, rng, shape):
    """(numeric derivative, its rounding allowance), along v or, where the step crosses
    a kink, along another direction (returned too), with a smaller step if need be."""
    eps = EPSILON
    for attempt in range(8):
        plus = phi.run({**zero, x: eps * v}, program=probe)
        minus = phi.run({**zero, x: -eps * v}, program=probe)
        kinks = [n for n in probe.tensors if n.startswith("kink.")]
        if all(np.array_equal(plus.array(n), minus.array(n)) for n in kinks):
            break
        v = rng.standard_normal(shape)          # the step crossed a kink: another way
        if attempt >= 3:
            eps /= 10
    numeric = float(phi.value(plus) - phi.value(minus)) / (2 * eps)
    allowance = 100 * ROUNDING * max(phi.magnitude(plus), phi.magnitude(minus)) / eps
    return numeric, allowance, v


def check_gradients(forward: Program, sub: Program, backward: Program, sources, targets,
                    sizes: dict, seed: int = 0, directions: int = 2,
                    inputs: dict | None = None, scales: dict | None = None) -> Check:
    """Relative errors of backward's gradients against the complex step (smooth
    programs) or central differences (programs with kinks)."""
    rng = np.random.default_rng(seed + 101)
    symvals = random_symbols(forward, seed)
    env = run(forward, sizes, inputs, seed=seed, symbol_values=symvals)
    written = set(sub.written())
    base = {n: v for n, v in env.items() if n not in written and not n.endswith(".grad")}
    seeds = {f: rng.standard_normal(env[f].shape) for f in sources}
    pert = perturbed(sub, targets)
    phi = _Phi(pert, sizes, symvals, base, seeds, sources)
    smooth = not has_kinks(pert)
    probe = None if smooth else kink_arguments(pert)

    ex = Executor(backward, sizes, symvals)
    ex.env = {k: np.array(v, dtype=float, copy=True) for k, v in env.items()}
    for f in sources:
        ex.env[f + ".grad"] = seeds[f].copy()
    ex.run()
    check = Check(dict(sizes), seed)
    zero = {t: np.zeros(tensor_layout(forward.tensors[t], sizes)[0]) for t in targets}
    if smooth:
        # every direction of every target at once: one run of the program batched over
        # the directions (not one run each, which grows as targets x statements)
        drawn = [(x, rng.standard_normal(tensor_layout(forward.tensors[x], sizes)[0]))
                 for x in targets for _ in range(directions)]
        steps = iter(_complex_steps(phi, drawn, sizes))
    for x in targets:
        grad = ex.array(x + ".grad")
        shape, _ = tensor_layout(forward.tensors[x], sizes)
        scale_x = (scales or {}).get(x, 1.0)
        worst = 0.0
        for _ in range(directions):
            if smooth:
                (_, v), numeric = next(steps)
                allowance = 0.0
            else:
                v = rng.standard_normal(shape)
                numeric, allowance, v = _central_difference(phi, probe, zero, x, v, rng, shape)
            numeric *= scale_x
            analytic = float((grad * v).sum())
            excess = max(abs(numeric - analytic) - allowance * abs(scale_x), 0.0)
            size = max(abs(numeric), abs(analytic))
            err = 0.0 if excess == 0 else excess / size if size > 0 else float("inf")
            worst = err if not np.isfinite(err) or not np.isfinite(worst) else max(worst, err)
        check.errors[x] = worst
    return check


@timed("verify")
def verify_backward(forward: Program, bw, sizes: dict, seeds=(0, 1),
                    tolerance: float = TOLERANCE, inputs: dict | None = None,
                    variants: int = 2, raise_on_failure: bool = True) -> Verification:
    """Check a :class:`~derive.engines.backward.Backward` at `variants` sizes and `seeds`."""
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
    method = "complex step (along random directions)" if not has_kinks(bw.forward) else \
        "central differences (along random directions, float64, steps across no kink)"
    v = Verification(method, checks, tolerance, passed)
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
