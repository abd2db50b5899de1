"""Check latency: how long a student waits for `derive check`, end to end.

    .venv/bin/python bench/check_latency.py            (from the repository root)
    .venv/bin/python bench/check_latency.py --runs 15

Runs `python -m derive check PROBLEM:PART "<answer>"` as a fresh subprocess
(interpreter start, imports, spec loading, derivation of the reference, the
check itself and, for a wrong answer, its diagnosis and counterexample) RUNS
times per case, and prints the median and 90th percentile wall time.  The
target is under 1 s.  The cases cover every kind of answer: loops (the small
softmax and batch norm, the largest recurrences GRU and two-gate RNN, whose
wrong answers take the longest diagnosis), expressions (a solve part, a
layer recurrence, an approximate root), a cost and numbers.

In the same run, side by side, the floor every command pays: `python -c pass`
and `python -c "import numpy, sympy"`.  The bytecode of the package is compiled
first (as `pip install` does; this machine sets PYTHONDONTWRITEBYTECODE, so an
editable install would otherwise recompile derive on every start).

Each run's exit code is checked against the verdict the case expects
(0 correct, 1 incorrect), so a fast wrong verdict cannot pass for a good time.
"""
from __future__ import annotations

import argparse
import compileall
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_S = 1.0

BATCHNORM = ("for b, j: s.grad[j] -= xp.grad[b, j] * xp[b, j] / (2 * s[j])\n"
             "for b, j: mu.grad[j] -= xp.grad[b, j] / sqrt(s[j])\n"
             "for b, j: x.grad[b, j] += xp.grad[b, j] / sqrt(s[j]) "
             "+ 2 * (x[b, j] - mu[j]) * s.grad[j] / (B-1) + mu.grad[j] / B")

# (name, target, answer or None for the engine's own text, expected exit code)
CASES = [
    ("softmax:a correct", "softmax:a", "for b, j: s.grad[b, j] += p.grad[b, j] * p[b, j]", 0),
    ("softmax:a wrong (sign)", "softmax:a", "for b, j: s.grad[b, j] -= p.grad[b, j] * p[b, j]",
     1),
    ("batchnorm:a correct", "batchnorm:a", BATCHNORM, 0),
    ("batchnorm:a wrong (1/B)", "batchnorm:a", BATCHNORM.replace("/ (B-1)", "/ B"), 1),
    ("gru:a correct", "gru:a", None, 0),
    ("gru:a wrong (one sign)", "gru:a", "flip", 1),
    ("two_gate_rnn:a correct", "two_gate_rnn:a", None, 0),
    ("two_gate_rnn:a wrong", "two_gate_rnn:a", "flip", 1),
    ("init_variance:a correct", "init_variance:a", "sigma_W = 1/sqrt(d)", 0),
    ("he_init:a wrong (factor 2)", "he_init:a", "Var(z1) = n*sigma_W^2*v", 1),
    ("resnet_variance:b approx", "resnet_variance:b", "sigma_W ≈ sqrt(log(2)/(J*L))/D", 0),
    ("resnet_variance:c wrong", "resnet_variance:c", "(1 + J*D^2*sigma_W^2)^(L - l - 1)", 1),
    ("rnn_lm_cost:a correct", "rnn_lm_cost:a", "O(T)", 0),
    ("mlp_numeric:backward", "mlp_numeric:backward",
     "y.grad = 2\nh.grad = [6, -2]\nz.grad = [6, 0]\nx.grad = [-6, 6]\nv.grad = [2, 0]\n"
     "W.grad = [[6, 12], [0, 0]]", 0),
]


def percentile(values: list, q: float) -> float:
    """The q-quantile by linear interpolation between order statistics."""
    xs = sorted(values)
    pos = (len(xs) - 1) * q
    lo = int(pos)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


def engine_answers() -> dict:
    """The derived answer text of the loop parts given as None, and a wrong version with
    the sign of its last statement flipped (made once, before timing)."""
    sys.path.insert(0, str(ROOT))
    from derive.check.loops import _reference
    from derive.front.spec import load_spec
    from derive.front.folder import resolve_problem
    out = {}
    for _, target, answer, _ in CASES:
        if answer is None or answer == "flip":
            problem, part = target.split(":")
            spec = load_spec(resolve_problem(problem))
            text = _reference(spec, spec.part(part), simplify=True).text()
            lines = text.split("\n")
            last = lines[-1]
            flipped = last.replace("+=", "-=", 1) if "+=" in last else last.replace("-=", "+=", 1)
            out[(target, None)] = text
            out[(target, "flip")] = "\n".join(lines[:-1] + [flipped])
    return out


def timed(cmd: list, env: dict, runs: int, expect: int | None = None):
    times, cpu = [], []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t = time.perf_counter()
        done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
        times.append(time.perf_counter() - t)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
        if expect is not None and done.returncode != expect:
            raise SystemExit(f"{cmd[3:5]}: exit code {done.returncode}, expected {expect}\n"
                             f"{done.stdout}{done.stderr}")
    return times, cpu


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=9, help="runs per case (default 9)")
    args = ap.parse_args(argv)
    start = time.perf_counter()
    compileall.compile_dir(str(ROOT / "derive"), quiet=1)
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    texts = engine_answers()
    print(f"derive check latency: {args.runs} subprocess runs per case, {sys.executable}")
    print(f"(load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs: wall time grows "
          f"with load, CPU time much less)")
    print()
    print(f"{'case':<30} {'median [s]':>11} {'p90 [s]':>9} {'max [s]':>9} {'cpu med [s]':>12}"
          f"  under {TARGET_S:g} s?")
    floor = {}
    for name, code in (("python -c pass", "pass"),
                       ("import numpy, sympy", "import numpy, sympy")):
        times, cpu = timed([sys.executable, "-c", code], env, args.runs)
        floor[name] = statistics.median(times)
        print(f"{'(floor) ' + name:<30} {floor[name]:>11.3f} {percentile(times, 0.9):>9.3f} "
              f"{max(times):>9.3f} {statistics.median(cpu):>12.3f}")
    medians, worst_p90 = [], 0.0
    for name, target, answer, expect in CASES:
        text = texts.get((target, answer), answer)
        times, cpu = timed([sys.executable, "-m", "derive", "check", target, text], env,
                           args.runs, expect)
        med, p90 = statistics.median(times), percentile(times, 0.9)
        medians.append(med)
        worst_p90 = max(worst_p90, p90)
        verdict = "yes" if p90 < TARGET_S else ("median only" if med < TARGET_S else "NO")
        print(f"{name:<30} {med:>11.3f} {p90:>9.3f} {max(times):>9.3f} "
              f"{statistics.median(cpu):>12.3f}  {verdict}")
    print()
    print(f"median over cases {statistics.median(medians):.3f} s, worst case median "
          f"{max(medians):.3f} s, worst p90 {worst_p90:.3f} s; the import floor "
          f"(numpy + sympy) is {floor['import numpy, sympy']:.3f} s, "
          f"{floor['import numpy, sympy'] / statistics.median(medians):.0%} of the median check")
    print("all medians under the target" if max(medians) < TARGET_S
          else "SOME MEDIANS OVER THE TARGET")
    print(f"({time.perf_counter() - start:.0f} s in all)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
