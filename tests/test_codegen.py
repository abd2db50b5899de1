"""Code export: `derive code PROBLEM --backward` prints a module that runs.

Each exported module is written to tmp_path and imported; its forward() and
backward() are compared with derive's executor on the same random inputs, and
its gradients are checked against central differences of its own forward().
"""
from __future__ import annotations

import functools
import importlib.util
import inspect
import re

import numpy as np
import pytest
from click.testing import CliRunner

from derive.cli import cli
from derive.run.codegen import choose_backward, export, python_name
from derive.run.execute import Executor, random_inputs, random_symbols, run
from derive.core.program import grad_name
from derive.front.spec import load_spec
from derive.front.folder import default_problems_dir, find_problems

BUNDLED = [p.stem for p in find_problems(default_problems_dir())]
GRADIENT_CHECKED = ["softmax", "batchnorm", "gru", "lenet5", "rnn_unroll"]
# one problem per feature of the export (the rest of the bundled problems repeat them):
# padded shifted reads, blocks and cells, scalar losses, sizes 0..L, a symbol (lam),
# an undefined loss L(y), a ReLU step
AGREEMENT_CHECKED = GRADIENT_CHECKED + ["loss_heads", "rnn_lm_cost", "vanilla_rnn_bptt",
                                        "mlp_ce_l2", "relu_unit", "mlp_numeric"]
AGREEMENT = 1e-10          # exported vs executor, relative
FD_TOLERANCE = 1e-6        # gradients vs central differences, relative
EPS = 1e-6


def import_module(source: str, path, name: str):
    path.write_text(source)
    loader = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(loader)
    loader.loader.exec_module(module)
    return module


@functools.lru_cache(maxsize=None)
def cli_source(problem: str, backward: bool = True) -> str:
    """What `derive code PROBLEM [--backward]` prints."""
    args = ["code", problem] + (["--backward"] if backward else [])
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    return result.output


def exported(problem: str, tmp_path, backward: bool = True):
    """`derive code PROBLEM [--backward]` through the CLI, written to a file and imported."""
    source = cli_source(problem, backward)
    return source, import_module(source, tmp_path / f"{problem}_mod.py", f"{problem}_mod")


def call(fn, program, values: dict, sizes: dict, symbols: dict):
    """Call an exported function with the arrays, sizes and symbols it names."""
    by_py = {python_name(program, n): v for n, v in values.items()}
    kwargs = {}
    for name in inspect.signature(fn).parameters:
        if name in by_py:
            kwargs[name] = by_py[name]
        elif name in sizes:
            kwargs[name] = sizes[name]
        elif name in symbols:
            kwargs[name] = symbols[name]
        else:
            raise AssertionError(f"unexpected argument {name!r}")
    return fn(**kwargs)


def rel(a, b) -> float:
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    assert a.shape == b.shape, (a.shape, b.shape)
    return float(np.abs(a - b).max(initial=0) / max(np.abs(b).max(initial=0), 1e-12))


@functools.lru_cache(maxsize=None)
def setting(problem: str):
    spec = load_spec(default_problems_dir() / f"{problem}.yaml")
    bw, _ = choose_backward(spec)
    sizes = spec.default_sizes()
    symbols = random_symbols(spec.program, 0)
    inputs = random_inputs(spec.program, sizes, 0)
    env = run(spec.program, sizes, inputs, symbol_values=symbols)
    return spec, bw, sizes, symbols, inputs, env


def reference_backward(bw, env, sizes, symbols, seeds):
    ex = Executor(bw.program, sizes, symbols)
    ex.env = {k: np.array(v, dtype=float, copy=True) for k, v in env.items()}
    for s, v in seeds.items():
        ex.env[grad_name(s)] = v.copy()
    ex.run()
    return ex


@pytest.mark.parametrize("problem", AGREEMENT_CHECKED, ids=AGREEMENT_CHECKED)
def test_export_agrees_with_the_executor(problem, tmp_path):
    spec, bw, sizes, symbols, inputs, env = setting(problem)
    if problem in GRADIENT_CHECKED:
        _, mod = exported(problem, tmp_path)
    else:
        mod = import_module(export(spec, backward=True, bw=bw), tmp_path / "m.py",
                            f"m_{problem}")
    out = call(mod.forward, bw.program, inputs, sizes, symbols)
    assert set(out) == set(spec.program.written())
    for name, value in out.items():
        assert rel(value, env[name]) < AGREEMENT, name
    rng = np.random.default_rng(3)
    seeds = {s: rng.standard_normal(env[s].shape) for s in bw.sources}
    ref = reference_backward(bw, env, sizes, symbols, seeds)
    given = {**env, **{grad_name(s): v for s, v in seeds.items()}}
    grads = call(mod.backward, bw.program, given, sizes, symbols)
    assert set(grads) == set(bw.targets)
    for t in bw.targets:
        assert rel(grads[t], ref.array(grad_name(t))) < AGREEMENT, t


@pytest.mark.parametrize("problem", GRADIENT_CHECKED, ids=GRADIENT_CHECKED)
def test_exported_backward_passes_a_gradient_check(problem, tmp_path):
    spec, bw, sizes, symbols, inputs, env = setting(problem)
    _, mod = exported(problem, tmp_path)
    rng = np.random.default_rng(11)
    seeds = {s: rng.standard_normal(env[s].shape) for s in bw.sources}
    out = call(mod.forward, bw.program, inputs, sizes, symbols)
    given = {**out, **inputs, **{grad_name(s): v for s, v in seeds.items()}}
    grads = call(mod.backward, bw.program, given, sizes, symbols)

    def phi(values):
        o = call(mod.forward, bw.program, values, sizes, symbols)
        return sum(float((seeds[s] * o[s]).sum()) for s in bw.sources)
    checked = [t for t in bw.targets if t in inputs]
    assert checked
    for t in checked:
        v = rng.standard_normal(inputs[t].shape)
        plus = phi({**inputs, t: inputs[t] + EPS * v})
        minus = phi({**inputs, t: inputs[t] - EPS * v})
        numeric = (plus - minus) / (2 * EPS)
        analytic = float((grads[t] * v).sum())
        assert abs(numeric - analytic) <= FD_TOLERANCE * max(abs(numeric), abs(analytic), 1e-8), \
            (t, numeric, analytic)


def function_code(source: str, name: str) -> list:
    """The code lines of one function of the module (no docstring, no comments)."""
    body = re.sub(r'"""(.|\n)*?"""', "", source)
    lines = body.split("\n")
    start = next(k for k, l in enumerate(lines) if l.startswith(f"def {name}("))
    out = []
    for l in lines[start + 1:]:
        if l and not l.startswith(" "):
            break
        if l.strip() and not l.strip().startswith("#"):
            out.append(l)
    return out


@pytest.mark.parametrize("problem", ["softmax", "batchnorm", "lenet5"])
def test_no_python_loops_without_a_recurrence(problem, tmp_path):
    source, _ = exported(problem, tmp_path)
    for fn in ("forward", "backward"):
        assert not [l for l in function_code(source, fn) if re.search(r"\bfor\b", l)]


def test_softmax_backward_is_the_optimized_form(tmp_path):
    source, _ = exported("softmax", tmp_path)
    assert "e = -np.einsum('bj,bj->b', p, p_grad)" in source
    assert "s_grad = (e[:, None] + p_grad) * p" in source


def test_rnn_unroll_builds_h_from_a_cell_one_step_at_a_time(tmp_path):
    source, mod = exported("rnn_unroll", tmp_path, backward=False)
    assert "def cell(h_prev, x_t, Whh, Wxh, Bh):" in source
    assert "for t in range(1, T + 1):" in source
    assert re.search(r"h\[:, t, :\]\) = cell\(h\[:, t - 1, :\], x\[:, t - 1, :\]", source)
    assert "def backward" not in source
    spec, bw, sizes, symbols, inputs, env = setting("rnn_unroll")
    out = call(mod.forward, spec.program, inputs, sizes, symbols)
    assert rel(out["h"], env["h"]) < AGREEMENT


def test_gru_parameter_gradients_leave_the_time_loop(tmp_path):
    source, _ = exported("gru", tmp_path)
    lines = source.split("\n")
    loop = next(k for k, l in enumerate(lines) if l.startswith("    for t in range(T, 0, -1):"))
    whr = next(k for k, l in enumerate(lines) if "Whr_grad = " in l)
    assert whr > loop and lines[whr].startswith("    Whr_grad")
    # summed over b and t at once: one matrix product
    assert lines[whr].strip() == "Whr_grad = R_in_grad.reshape(B*T, J).T @ hp.reshape(B*T, J)"
    # hp.grad is needed within one step only: a local array
    assert "hp_grad_t = R_in_grad[:, t - 1, :] @ Whr" in source


def test_forward_only_export_has_no_backward(tmp_path):
    source, mod = exported("softmax", tmp_path, backward=False)
    assert "def forward(s):" in source and not hasattr(mod, "backward")


def test_unknown_target_is_a_usage_error():
    result = CliRunner().invoke(cli, ["code", "softmax", "--target", "julia"])
    assert result.exit_code == 2
    assert "Traceback" not in result.output


def test_unknown_problem_is_a_clean_error():
    result = CliRunner().invoke(cli, ["code", "no_such_problem"])
    assert result.exit_code == 2
    assert "unknown problem" in result.output
