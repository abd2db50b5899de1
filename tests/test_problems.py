"""Every bundled problem loads and its forward program runs to finite values.

One test per file in problems/, with the problem id as the test id: at the
spec's sizes and at every size plus one (problems with `values:` run at their
fixed sizes only).
"""
from __future__ import annotations

import numpy as np
import pytest

from derive.run.execute import run
from derive.front.spec import default_problems_dir, find_problems, load_spec

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
