"""How derivation, verification and cost analysis scale with the program's size.

    python3 bench/derive_scale.py [--quick] [--runs N]   (from the repository root)

Programs written out statement by statement, as an instructor might write them:

- a deep tanh MLP, one statement per layer:
      h1[b, j] = tanh(W1[j, I] * x[b, I] + c1[j])
      h2[b, j] = tanh(W2[j, I] * h1[b, I] + c2[j])  ...
      for b, j: Loss += hL[b, j]^2
  L = 4, 8, 16, 32, 64, 128 layers (gradient of Loss with respect to every parameter);
- an RNN unrolled step by step, one statement per step, with shared weights:
      h1[b, j] = tanh(Wxh[j, K] * x1[b, K] + Bh[j])
      h2[b, j] = tanh(Whh[j, I] * h1[b, I] + Wxh[j, K] * x2[b, K] + Bh[j])  ...
  T = 4, 8, 16, 32, 64, 128 steps (gradient of Loss with respect to Whh, Wxh, Bh).

For each program: its number of statements, and the time of
- derive:  derive_backward (the chain rule and its simplification passes);
- verify:  verify_backward, the numeric check `derive key` runs for a backprop part;
- cost:    the cost analysis of the pair (forward and backward work, depth, memory:
           cost_line without its check);
- count:   the counting check of those formulas (cost_line's check_by_counting at the
           two small sizes it uses).
A layer is 3 statements once its Einstein sum is desugared (the sum, the bias, the
tanh), a step 4 (two sums, the bias, the tanh).  Then the fitted exponent of each time
against the number of statements (least squares slope of log time on log statements,
over the programs of 16 to 128 layers or steps: 49 to 385 statements for the MLP, 64
to 512 for the RNN), the 64/16 ratio of layers (steps), and the derive and verify
times of a program of 256 statements of each kind (85 layers, 64 steps).  Times are
medians of --runs runs (default 3) at every size, the runs interleaved across the
sizes (each run
a fresh start: the SymPy cache is cleared, and the executor's per-statement plans are
new since every run derives new statements).
"""
from __future__ import annotations

import math
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sympy.core.cache import clear_cache  # noqa: E402

from derive.answers.cost import _uniform, cost_line  # noqa: E402
from derive.core.program import grad_name  # noqa: E402
from derive.engines.backward import derive_backward  # noqa: E402
from derive.engines.cost import depth  # noqa: E402
from derive.engines.cost.memory import analyse_pair  # noqa: E402
from derive.front.spec import parse_spec  # noqa: E402
from derive.run.counting import check_by_counting  # noqa: E402
from derive.run.verify import verify_backward  # noqa: E402

SIZES = (4, 8, 16, 32, 64, 128)
FIT = (16, 32, 64, 128)
HEADER = """\
source: bench/derive_scale.py
index:
  b: B
  j: J
  i: J
  k: K
sizes: {B: 2, J: 3, K: 2}
"""


def mlp_yaml(layers: int) -> str:
    """A tanh MLP of `layers` layers, one statement per layer, and a squared loss."""
    tensors = ["  x: {shape: [b, i], role: input}"]
    prog = []
    prev = "x"
    for l in range(1, layers + 1):
        tensors.append(f"  W{l}: {{shape: [j, i], role: parameter}}")
        tensors.append(f"  c{l}: {{shape: [j], role: parameter}}")
        prog.append(f"  h{l}[b, j] = tanh(W{l}[j, I] * {prev}[b, I] + c{l}[j])")
        prev = f"h{l}"
    prog.append(f"  for b, j: Loss += {prev}[b, j]^2")
    return (f"id: mlp{layers}\ntitle: a {layers}-layer tanh MLP\n" + HEADER
            + "tensors:\n" + "\n".join(tensors) + "\nprogram: |\n" + "\n".join(prog)
            + "\nparts:\n  g:\n    ask: gradient\n    from: Loss\n    to: params\n"
            + "    text: the gradients\n")


def rnn_yaml(steps: int) -> str:
    """A tanh RNN unrolled over `steps` steps, one statement per step, shared weights."""
    tensors = ["  Whh: {shape: [j, i], role: parameter}",
               "  Wxh: {shape: [j, k], role: parameter}",
               "  Bh: {shape: [j], role: parameter}"]
    prog = []
    for t in range(1, steps + 1):
        tensors.append(f"  x{t}: {{shape: [b, k], role: input}}")
        rec = f"Whh[j, I] * h{t - 1}[b, I] + " if t > 1 else ""
        prog.append(f"  h{t}[b, j] = tanh({rec}Wxh[j, K] * x{t}[b, K] + Bh[j])")
    prog.append(f"  for b, j: Loss += h{steps}[b, j]^2")
    return (f"id: rnn{steps}\ntitle: a tanh RNN unrolled over {steps} steps\n" + HEADER
            + "tensors:\n" + "\n".join(tensors) + "\nprogram: |\n" + "\n".join(prog)
            + "\nparts:\n  g:\n    ask: gradient\n    from: Loss\n    to: [Whh, Wxh, Bh]\n"
            + "    text: the gradients\n")


KINDS = {"MLP": mlp_yaml, "RNN": rnn_yaml}
BIG = {"MLP": 85, "RNN": 64}        # 256 statements: 3 a layer + the loss; 4 a step


def spec_of(kind: str, n: int):
    return parse_spec(KINDS[kind](n))


def derive_part(spec):
    a = spec.parts["g"].args
    return derive_backward(spec.program, a["from"], a["to"], a.get("through"),
                           a.get("average_over"))


def timed(fn):
    clear_cache()
    depth._NONNEG.clear()           # derive's own memo of the cost analysis
    t = time.perf_counter()
    out = fn()
    return time.perf_counter() - t, out


def count_check(program, bw):
    """cost_line's counting check (without its symbolic analysis)."""
    rep = analyse_pair(program, bw)
    sizes = [s for s in (_uniform(program, k) for k in (2, 3)) if s]
    seeded = [grad_name(x) for x in bw.sources]

    def run():
        return (check_by_counting(program, rep.forward, sizes).passed
                and check_by_counting(bw.program, rep.backward, sizes, seeded).passed)
    return run


def measure(spec, runs: int, stages=("derive", "verify", "cost", "count")) -> dict:
    times = {s: [] for s in stages}
    sizes = spec.default_sizes()
    for _ in range(runs):
        t, bw = timed(lambda: derive_part(spec))
        times["derive"].append(t)
        if "verify" in times:
            t, v = timed(lambda: verify_backward(spec.program, bw, sizes))
            assert v.passed
            times["verify"].append(t)
        if "cost" in times:
            t, line = timed(lambda: cost_line(spec.program, bw))
            assert not line.startswith("not analysed"), line
            times["cost"].append(t)
        if "count" in times:
            run = count_check(spec.program, bw)
            t, ok = timed(run)
            assert ok
            times["count"].append(t)
    return {s: statistics.median(v) for s, v in times.items()}


def slope(xs, ys) -> float:
    lx, ly = [math.log(x) for x in xs], [math.log(y) for y in ys]
    mx, my = sum(lx) / len(lx), sum(ly) / len(ly)
    return sum((a - mx) * (b - my) for a, b in zip(lx, ly)) / \
        sum((a - mx) ** 2 for a in lx)


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    quick = "--quick" in argv
    runs = int(argv[argv.index("--runs") + 1]) if "--runs" in argv else 3
    sizes = tuple(n for n in SIZES if not quick or n <= 64)
    fit = tuple(n for n in FIT if n in sizes)
    stages = ("derive", "verify", "cost", "count")
    for kind in KINDS:
        unit = "layers" if kind == "MLP" else "steps"
        print(f"{kind} ({unit} written statement by statement); seconds")
        print(f"    {unit:>6} {'stmts':>6} " + " ".join(f"{s:>8}" for s in stages))
        rows = {}
        specs = {n: spec_of(kind, n) for n in sizes}
        # the runs interleaved across the sizes (run 1 of every size, then run 2, ...), so
        # that a slow spell of a shared machine falls on every size, not on one
        samples = {n: {s: [] for s in stages} for n in sizes}
        for _ in range(runs):
            for n in sizes:
                for s, v in measure(specs[n], 1).items():
                    samples[n][s].append(v)
        for n in sizes:
            stmts = len(specs[n].program.statements())
            t = {s: statistics.median(v) for s, v in samples[n].items()}
            rows[n] = (stmts, t)
            print(f"    {n:>6} {stmts:>6} " + " ".join(f"{t[s]:>8.3f}" for s in stages),
                  flush=True)
        xs = [rows[n][0] for n in fit]
        print(f"    {'exponent (' + str(fit[0]) + '..' + str(fit[-1]) + ')':>13} "
              + " ".join(f"{slope(xs, [rows[n][1][s] for n in fit]):>8.2f}"
                         for s in stages))
        if 16 in rows and 64 in rows:
            print(f"    {'ratio 64/16':>13} "
                  + " ".join(f"{rows[64][1][s] / rows[16][1][s]:>8.2f}" for s in stages))
        if not quick:
            n = BIG[kind]
            spec = spec_of(kind, n)
            stmts = len(spec.program.statements())
            t = measure(spec, runs, ("derive", "verify"))
            print(f"    {stmts} statements ({n} {unit}): derive {t['derive']:.3f} s, "
                  f"verify {t['verify']:.3f} s")
        print(flush=True)


if __name__ == "__main__":
    main()
