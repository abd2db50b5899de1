"""Derivation speed: derive's index-level chain rule vs a scalarized SymPy Jacobian.

    python3 bench/derive_speed.py            (from the repository root)

(a) the time derive takes to derive every backprop/gradient part of each
    bundled problem (median of 3 runs);
(b) softmax: plain SymPy differentiating the scalarized loss
    L = sum_j g_j exp(s_j) / sum_k exp(s_k) with respect to every s_i
    (the naive Jacobian approach, work growing with J), next to derive's own
    derivation of softmax:full, which never sees J.

The SymPy cache is cleared before every timed run, so no run profits from an
earlier one.
"""
from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sympy as sp  # noqa: E402
from sympy.core.cache import clear_cache  # noqa: E402

from derive.engines.backward import derive_backward  # noqa: E402
from derive.front.spec import load_spec  # noqa: E402

RUNS = 3
KINDS = ("backprop", "gradient")
JS = (8, 16, 32, 64)


def median_time(fn, runs: int = RUNS) -> float:
    times = []
    for _ in range(runs):
        clear_cache()
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def derive_parts(spec, labels):
    for label in labels:
        p = spec.parts[label]
        derive_backward(spec.program, p.args["from"], p.args["to"], p.args.get("through"),
                        p.args.get("average_over"))


def bench_problems():
    print(f"(a) derivation time per bundled problem "
          f"(all backprop/gradient parts, median of {RUNS} runs)")
    print(f"    {'problem':<20} {'parts':<18} {'fwd stmts':>10} {'median [s]':>11}")
    total = 0.0
    for path in sorted((ROOT / "problems").glob("*.yaml")):
        spec = load_spec(path)
        labels = [l for l, p in spec.parts.items() if p.kind in KINDS]
        if not labels:
            continue
        t = median_time(lambda: derive_parts(spec, labels))
        total += t
        n = len(spec.program.statements())
        print(f"    {spec.id:<20} {','.join(labels):<18} {n:>10} {t:>11.3f}")
    print(f"    {'total':<20} {'':<18} {'':>10} {total:>11.3f}")


def naive_softmax_jacobian(J: int):
    """(L, s): the scalarized softmax loss in J score symbols."""
    s = sp.symbols(f"s_0:{J}", real=True)
    g = sp.symbols(f"g_0:{J}", real=True)
    Z = sp.Add(*[sp.exp(sk) for sk in s])
    L = sp.Add(*[gj * sp.exp(sj) / Z for gj, sj in zip(g, s)])
    return L, s


def bench_softmax():
    print()
    print(f"(b) softmax: plain SymPy on the scalarized loss (diff(L, s_i) for every i) "
          f"vs derive softmax:full (median of {RUNS} runs)")
    spec = load_spec(ROOT / "problems" / "softmax.yaml")
    t_derive = median_time(lambda: derive_parts(spec, ["full"]))
    print(f"    {'J':>4} {'naive SymPy [s]':>16} {'derive [s]':>11} {'naive/derive':>13}")
    for J in JS:
        L, s = naive_softmax_jacobian(J)
        t_naive = median_time(lambda: [sp.diff(L, si) for si in s])
        print(f"    {J:>4} {t_naive:>16.3f} {t_derive:>11.3f} {t_naive / t_derive:>13.1f}")
    print("    (derive works on s[b, j] symbolically: its time does not depend on J or B)")


def main():
    print(f"sympy {sp.__version__}, python {sys.version.split()[0]}")
    bench_problems()
    bench_softmax()


if __name__ == "__main__":
    main()
