"""The torch target (`export(spec, target="torch")`): the same algorithm as the NumPy
export in torch tensor operations.  Skipped without torch (never a dependency).

softmax, batchnorm and gru against central differences of forwards written by hand
(tests/test_codegen_speed_reference.py); every bundled problem against the NumPy
export on the same inputs."""
from __future__ import annotations

import numpy as np
import pytest

from derive.core.program import grad_name
from derive.front.folder import default_problems_dir, find_problems
from derive.front.spec import load_spec
from derive.run.codegen import choose_backward, export, python_name
from derive.run.execute import random_inputs, random_symbols, run

from tests.test_codegen_speed_reference import (PROBLEMS, call, check_against_differences,
                                                module, setting)

torch = pytest.importorskip("torch")

BUNDLED = [p.stem for p in find_problems(default_problems_dir())]


def as_tensors(values: dict) -> dict:
    return {k: torch.tensor(np.asarray(v, dtype=float)) if np.ndim(v) else float(v)
            for k, v in values.items()}


def as_arrays(values: dict) -> dict:
    return {k: v.numpy() if torch.is_tensor(v) else np.asarray(v) for k, v in values.items()}


@pytest.mark.parametrize("problem", PROBLEMS)
def test_torch_target_matches_differences_of_a_hand_written_forward(problem, tmp_path):
    mod = module(problem, tmp_path, "torch")
    _, _, out, _ = setting(problem, np.random.default_rng(0))

    def grads(inputs, seed):
        t = as_tensors(inputs)
        fw = call(mod.forward, t)
        g = call(mod.backward, {**t, **fw, f"{out}_grad": torch.tensor(seed)})
        assert all(v.dtype == torch.float64 for v in g.values())
        return as_arrays(g)
    check_against_differences(problem, grads)


def test_torch_module_imports_no_numpy(tmp_path):
    source = export(load_spec(default_problems_dir() / "gru.yaml"), backward=True,
                    target="torch")
    assert "import torch" in source and "numpy" not in source.split('"""', 2)[2]
    assert "np." not in source.split('"""', 2)[2].replace("NumPy", "")
    assert "--target torch" in source


@pytest.mark.parametrize("problem", BUNDLED)
def test_torch_target_agrees_with_the_numpy_export(problem, tmp_path):
    spec = load_spec(default_problems_dir() / f"{problem}.yaml")
    bw, _ = choose_backward(spec)
    sizes = spec.default_sizes()
    symbols = random_symbols(spec.program, 0)
    inputs = random_inputs(spec.program, sizes, 0)
    env = run(spec.program, sizes, inputs, symbol_values=symbols)
    rng = np.random.default_rng(3)
    given = {**env, **{grad_name(s): rng.standard_normal(np.shape(env[s]))
                       for s in bw.sources}}
    mods = {t: module(problem, tmp_path, t) for t in ("numpy", "torch")}
    results = {}
    for target, mod in mods.items():
        conv = as_tensors if target == "torch" else (lambda d: d)
        extra = {**sizes, **symbols}
        fw_vals = conv({python_name(bw.program, n): v for n, v in inputs.items()})
        bw_vals = conv({python_name(bw.program, n): v for n, v in given.items()})
        fw = call(mod.forward, {**extra, **fw_vals})
        g = call(mod.backward, {**extra, **bw_vals})
        results[target] = {**as_arrays(fw), **{"grad " + k: v for k, v in as_arrays(g).items()}}
    assert set(results["numpy"]) == set(results["torch"])
    for k, a in results["numpy"].items():
        b = results["torch"][k]
        scale = max(float(np.abs(a).max(initial=0)), 1e-12)
        assert float(np.abs(a - b).max(initial=0)) / scale < 1e-10, k
