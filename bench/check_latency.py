"""Check latency: how long a student waits for `derive check`, end to end.

    python3 bench/check_latency.py            (from the repository root)
    python3 bench/check_latency.py --runs 30

Runs `python3 -m derive check PROBLEM:PART "<answer>"` as a fresh subprocess
(interpreter start, imports, spec loading, derivation of the reference, the
check itself and, for a wrong answer, its diagnosis and counterexample) RUNS
times per case from the repository root with PYTHONPATH set, and prints the
median and 90th percentile wall time.  The target is under 1 s.

Each run's exit code is checked against the verdict the case expects
(0 correct, 1 incorrect), so a fast wrong verdict cannot pass for a good time.
"""
from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_S = 1.0

CASES = [
    ("softmax:a, correct", "softmax:a",
     "for b, j: s.grad[b, j] += p.grad[b, j] * p[b, j]", 0),
    ("softmax:a, wrong (sign)", "softmax:a",
     "for b, j: s.grad[b, j] -= p.grad[b, j] * p[b, j]", 1),
    ("batchnorm:a, correct", "batchnorm:a",
     "for b, j: s.grad[j] -= xp.grad[b, j] * xp[b, j] / (2 * s[j])\n"
     "for b, j: mu.grad[j] -= xp.grad[b, j] / sqrt(s[j])\n"
     "for b, j: x.grad[b, j] += xp.grad[b, j] / sqrt(s[j]) "
     "+ 2 * (x[b, j] - mu[j]) * s.grad[j] / (B-1) + mu.grad[j] / B", 0),
    ("batchnorm:a, wrong (1/B)", "batchnorm:a",
     "for b, j: s.grad[j] -= xp.grad[b, j] * xp[b, j] / (2 * s[j])\n"
     "for b, j: mu.grad[j] -= xp.grad[b, j] / sqrt(s[j])\n"
     "for b, j: x.grad[b, j] += xp.grad[b, j] / sqrt(s[j]) "
     "+ 2 * (x[b, j] - mu[j]) * s.grad[j] / B + mu.grad[j] / B", 1),
]


def percentile(values: list, q: float) -> float:
    """The q-quantile by linear interpolation between order statistics."""
    xs = sorted(values)
    pos = (len(xs) - 1) * q
    lo = int(pos)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


def time_case(target: str, answer: str, expect: int, runs: int) -> list:
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    cmd = [sys.executable, "-m", "derive", "check", target, answer]
    times, cpu = [], []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t = time.perf_counter()
        done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
        times.append(time.perf_counter() - t)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
        if done.returncode != expect:
            raise SystemExit(f"{target}: exit code {done.returncode}, expected {expect}\n"
                             f"{done.stdout}{done.stderr}")
    return times, cpu


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=15, help="runs per case (default 15)")
    args = ap.parse_args(argv)
    start = time.perf_counter()
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    t = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import derive.cli, derive.check"], cwd=ROOT, env=env,
                   check=True)
    imports = time.perf_counter() - t
    print(f"derive check latency: {args.runs} subprocess runs per case, from {ROOT}")
    print(f"(python start + importing derive alone: {imports:.2f} s; load average "
          f"{os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs: wall time grows with load, "
          f"CPU time much less)")
    print()
    print(f"{'case':<28} {'median [s]':>11} {'p90 [s]':>9} {'max [s]':>9} {'cpu med [s]':>12}"
          f"  under {TARGET_S:g} s?")
    worst = 0.0
    for name, target, answer, expect in CASES:
        times, cpu = time_case(target, answer, expect, args.runs)
        med, p90 = statistics.median(times), percentile(times, 0.9)
        worst = max(worst, p90)
        verdict = "yes" if p90 < TARGET_S else ("median only" if med < TARGET_S else "NO")
        print(f"{name:<28} {med:>11.3f} {p90:>9.3f} {max(times):>9.3f} "
              f"{statistics.median(cpu):>12.3f}  {verdict}")
    print()
    print(f"{'all cases under ' + format(TARGET_S, 'g') + ' s at p90' if worst < TARGET_S else 'p90 over the target for some case'}"
          f" (worst p90 {worst:.3f} s)")
    in_process(args.runs)
    print(f"({time.perf_counter() - start:.0f} s in all)")
    return 0


def in_process(runs: int):
    """The same checks inside one process (as --batch runs them): the first includes
    deriving the reference, the others reuse it."""
    sys.path.insert(0, str(ROOT))
    from derive.check import check_answer
    from derive.spec import load_spec, resolve_problem
    print()
    print(f"in one process (as --batch): first check, then median of {runs}")
    print(f"{'case':<28} {'first [s]':>11} {'median [s]':>11}")
    specs = {}
    for name, target, answer, expect in CASES:
        problem, part = target.split(":")
        spec = specs.setdefault(problem, load_spec(resolve_problem(problem)))
        times = []
        for _ in range(runs + 1):
            t = time.perf_counter()
            v = check_answer(spec, part, answer)
            times.append(time.perf_counter() - t)
            assert v.exit_code == expect, (target, v.message)
        print(f"{name:<28} {times[0]:>11.3f} {statistics.median(times[1:]):>11.3f}")


if __name__ == "__main__":
    sys.exit(main())
