"""Where two backward programs agree: both run on the same random inputs (several
seeds at each of the spec's check sizes, symbols in their ranges, inputs in their
domains), their gradients compared entry by entry.  The checker judges a student's
loops this way, and a spec's `claim:` is proven the same way."""
from __future__ import annotations

from derive.core.stopwatch import timed

from contextlib import contextmanager
from typing import TYPE_CHECKING

import numpy as np

from derive.core.errors import DeriveError
from derive.core.program import grad_name, ref_name
from derive.run.execute import Executor, random_symbols, run

if TYPE_CHECKING:
    from derive.front.spec import Spec

CHECK_GRID = 2_000_000   # iterations of one statement while checking
RTOL = 1e-7
SEEDS_PER_SIZE = 3       # random points judged at each check size
MAX_DRAWS = 8            # draws per size to find points where the reference is finite


def final_scalars(spec: Spec, sources) -> list:
    read = {ref_name(r) for s in spec.program.statements() for r in s.reads()}
    return [s for s in sources if not spec.program.tensors[s].axes and s not in read]


MEMO: dict = {}   # runs of one check: a diagnosis runs the same variants for each gradient


def run_gradients(spec, program, sources, unit, sizes, seed, symvals, forward_env):
    key = (id(program), id(forward_env), seed, tuple(unit))
    hit = MEMO.get(key)
    if hit is not None:
        return hit[2]
    env = run_once(spec, program, sources, unit, sizes, seed, symvals, forward_env)
    MEMO[key] = (program, forward_env, env)     # both kept: their ids stay theirs
    return env


def forward_values(spec, sizes, seed, symvals, inputs=None):
    key = ("forward", tuple(sorted(sizes.items())), seed, inputs is None)   # inputs: small
    if key not in MEMO:
        MEMO[key] = run(spec.program, sizes, inputs, seed=seed, symbol_values=symvals)
    return MEMO[key]


def run_once(spec, program, sources, unit, sizes, seed, symvals, forward_env):
    ex = Executor(program, sizes, symvals, max_grid=CHECK_GRID)
    ex.env = {k: np.array(v, dtype=float, copy=True) for k, v in forward_env.items()}
    rng = np.random.default_rng(seed + 101)
    for f in sources:
        shape = forward_env[f].shape
        ex.env[grad_name(f)] = np.ones(shape) if f in unit else rng.standard_normal(shape)
    ex.run()
    return ex.env


def check_sizes(spec: Spec) -> list:
    return spec.check_sizes()


def gradient_points(spec: Spec, bw, unit, wanted):
    """(sizes, seed, symbol values, forward values, reference values) at each check size,
    SEEDS_PER_SIZE of them, drawn where the forward values and the reference's gradients
    are finite (a point where the reference is not finite never decides)."""
    for sizes in check_sizes(spec):
        found = 0
        for seed in range(MAX_DRAWS):
            if found == SEEDS_PER_SIZE:
                break
            symvals = random_symbols(spec.program, seed)
            fwd = forward_values(spec, sizes, seed, symvals)
            ref_env = run_gradients(spec, bw.program, bw.sources, unit, sizes, seed, symvals, fwd)
            if not all(np.all(np.isfinite(ref_env[g])) for g in wanted):
                continue
            found += 1
            yield sizes, seed, symvals, fwd, ref_env


def close(a, b, rtol=RTOL) -> bool:
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if a.shape != b.shape or not np.all(np.isfinite(b)):
        return False
    scale = max(float(np.abs(a).max(initial=0.0)), 1e-12)
    return float(np.abs(a - b).max(initial=0.0)) <= rtol * scale


@contextmanager
def own_memo():
    """Runs of one comparison kept apart from any other in progress (MEMO is keyed by
    object ids, which are only unique while the objects live)."""
    saved = dict(MEMO)
    MEMO.clear()
    try:
        yield
    finally:
        MEMO.clear()
        MEMO.update(saved)


@timed("verify")
def disagreements(spec: Spec, bw, other, unit, wanted, judged) -> tuple[dict, dict]:
    """Run `other` (a backward program over the spec's forward program) against the
    reference `bw` at every point of `gradient_points`.  Returns (bad, envs): for each
    gradient in `judged` that differs somewhere, the first point where it does, as
    (sizes, seed, gradient, reference value, other's value, forward values, symbol
    values), and the (reference, other) values there."""
    bad: dict = {}
    envs: dict = {}
    n_points = 0
    for sizes, seed, symvals, fwd, ref_env in gradient_points(spec, bw, unit, wanted):
        n_points += 1
        env = run_gradients(spec, other, bw.sources, unit, sizes, seed, symvals, fwd)
        for g in judged:
            if g not in bad and not close(ref_env[g], env[g]):
                bad[g] = (sizes, seed, g, ref_env[g], env[g], fwd, symvals)
                envs[g] = (ref_env, env)
        if len(bad) == len(judged):
            break
    if not n_points:
        raise DeriveError("no random inputs were found at which the correct gradient is "
                          "finite: the check cannot judge this part (ask the instructor to "
                          "declare the domain of the inputs)")
    return bad, envs
