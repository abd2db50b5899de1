"""Every bundled problem loads and its forward program runs to finite values.

One test per file in problems/, with the problem id as the test id: at the
spec's sizes and at every size plus one (problems with `values:` run at their
fixed sizes only).
"""
from __future__ import annotations

import numpy as np
import pytest

from derive.run.execute import run
from derive.front.spec import load_spec
from derive.front.folder import default_problems_dir, find_problems

PATHS = find_problems(default_problems_dir())


def size_settings(spec) -> list[dict]:
    sizes = spec.default_sizes()
    if spec.values:
        return [sizes]
    return [sizes, {name: n + 1 for name, n in sizes.items()}]


@pytest.mark.parametrize("path", PATHS, ids=[p.stem for p in PATHS])
def test_problem_runs_to_finite_values(path):
    spec = load_spec(path)
    assert spec.id == path.stem
    computed = [name for name, info in spec.program.tensors.items()
                if info.role in ("computed", "temporary")]
    assert computed
    for sizes in size_settings(spec):
        env = run(spec.program, sizes, spec.values or None, seed=0)
        for name in computed:
            assert np.all(np.isfinite(env[name])), f"{name} at {sizes}"


from derive.answers import solve_part  # noqa: E402

PARTS = [(p, label) for p in PATHS for label in load_spec(p).parts]


@pytest.mark.parametrize("path, label", PARTS, ids=[f"{p.stem}:{l}" for p, l in PARTS])
def test_every_part_is_derived_and_verified(path, label):
    """Every part of every bundled problem, without TeX: derived (or the instructor's
    text), and verified numerically wherever the engine has a check."""
    spec = load_spec(path)
    ans = solve_part(spec, label)
    assert ans.status in ("derived", "given"), ans.message
    if ans.kind != "text":
        assert ans.status == "derived"
    if ans.verification is not None:
        assert ans.verification.passed, ans.verification.summary()
    if ans.kind in ("backprop", "gradient", "variance", "mean", "solve", "choice", "cost",
                    "numeric", "update"):
        assert ans.verification is not None or ans.kind in ("numeric",) and not ans.backward, \
            f"{spec.id}:{label} has no numeric check"
