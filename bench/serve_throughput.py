"""Throughput of `derive serve --stdio` against one `derive check` process per answer,
side by side in one run (issue 16).

The same answers (right and wrong, expressions and loops) go through: the CLI, one
process per check; one `derive serve` worker; two workers fed half each, in parallel.
It prints checks per second for each, and their ratios.

    .venv/bin/python bench/serve_throughput.py [--rounds N]
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DERIVE = [sys.executable, "-m", "derive"]
ANSWERS = [
    ("he_init", "b", "sigma_W = sqrt(2/n)"),
    ("he_init", "a", "Var(z1) = n*sigma_W^2*v"),
    ("init_variance", "b", "E(u) = 1/2"),
    ("relu_unit", "a", "w.grad[i] = y.grad * (z > 0) * x[i]"),
    ("softmax", "full", "for b, j: s.grad[b, j] += p.grad[b, j] * p[b, j]"),
    ("rnn_unroll", "b", "O(T)"),
]


def cli_rate(answers) -> float:
    start = time.perf_counter()
    for pid, part, text in answers:
        subprocess.run(DERIVE + ["check", f"{pid}:{part}", text], capture_output=True,
                       cwd=ROOT)
    return len(answers) / (time.perf_counter() - start)


def _requests(answers) -> str:
    return "".join(json.dumps({"id": k, "problem": p, "part": q, "answer": a}) + "\n"
                   for k, (p, q, a) in enumerate(answers))


def serve_rate(answers, workers: int) -> float:
    chunks = [answers[k::workers] for k in range(workers)]
    start = time.perf_counter()
    procs = [subprocess.Popen(DERIVE + ["serve", "--stdio"], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True, cwd=ROOT)
             for _ in chunks]
    for p, chunk in zip(procs, chunks):
        p.stdin.write(_requests(chunk))
        p.stdin.close()
    got = sum(len(p.stdout.read().splitlines()) for p in procs)
    for p in procs:
        p.wait()
    assert got == len(answers), (got, len(answers))
    return len(answers) / (time.perf_counter() - start)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=5, help="copies of the answer list")
    args = ap.parse_args()
    answers = ANSWERS * args.rounds
    cli = cli_rate(ANSWERS * 2)
    one = serve_rate(answers, 1)
    two = serve_rate(answers, 2)
    print(f"{len(answers)} checks through serve, {2 * len(ANSWERS)} through the CLI")
    print(f"CLI (a process per check)   {cli:6.2f} checks/s")
    print(f"serve, 1 worker             {one:6.2f} checks/s  ({one / cli:4.1f}x the CLI)")
    print(f"serve, 2 workers            {two:6.2f} checks/s  ({two / cli:4.1f}x the CLI, "
          f"{two / one:3.1f}x one worker)")


if __name__ == "__main__":
    main()
