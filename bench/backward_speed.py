"""Speed of exported backward code: derive's NumPy export, hand-written NumPy, PyTorch.

    python3 bench/backward_speed.py [--quick] [--threads N] [--no-compile]
                                                  (from the repository root)

For three problems, side by side in one run:

  softmax    B=256,  J=4096         (the seed's optimized form by hand:
                                     e[b] = -sum_j p p.grad;  s.grad = p (p.grad + e))
  batchnorm  B=1024, J=1024         (the standard batch-norm backward by hand, for the
                                     problem's unbiased variance 1/(B-1), no epsilon)
  gru        B=32, T=50, J=K=256    (hand-written backpropagation through time)

Only the backward pass is timed: every implementation gets the same forward
values (computed once, untimed) and the same upstream gradient.  PyTorch runs
eager autograd on CPU in float64, on a forward graph written op for op like the
problem's program (not torch.softmax or nn.GRU, which have fused backward
kernels); the graph is built once and `torch.autograd.grad(..., retain_graph=True)`
is timed.  The implementations' gradients are compared before timing.

The first table: the median time of each and the ratios exported / hand-written
and exported / PyTorch eager (below 1: the export is faster).

With PyTorch installed, a second table: `derive code PROBLEM --backward --target
torch` (the same algorithm as the NumPy export, in torch tensor operations), eager
and under `torch.compile`, beside `torch.compile` of the hand-written forward with
its autograd backward (the compiled graph's backward is timed, as above), and the
ratio of the two compiled times.  Compiling the unrolled GRU takes minutes on a
small machine; --no-compile skips torch.compile (eager timings only).  When
torch.compile fails (no C compiler, for instance) the table says why and shows
eager timings.  PyTorch is optional: the benchmark runs without it and says so.

Each round runs every implementation once, in an order that rotates from round
to round: what runs just before a function (and leaves its arrays in the cache)
changes, so no implementation is always timed right after another one that read
the same arrays.
"""
from __future__ import annotations

import argparse
import importlib.util
import inspect
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path


def _threads_from_argv(argv) -> int | None:
    """--threads N, read before NumPy loads its BLAS (which fixes its thread count)."""
    for k, a in enumerate(argv):
        if a == "--threads" and k + 1 < len(argv) and argv[k + 1].isdigit():
            return int(argv[k + 1])
        if a.startswith("--threads=") and a.split("=", 1)[1].isdigit():
            return int(a.split("=", 1)[1])
    return None


THREADS = _threads_from_argv(sys.argv[1:])
if THREADS:
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(THREADS)

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from derive.run.codegen import choose_backward  # noqa: E402
from derive.run.codegen import export  # noqa: E402
from derive.front.spec import load_spec  # noqa: E402

try:
    import torch
    if THREADS:
        torch.set_num_threads(THREADS)
except ImportError:          # pragma: no cover - the benchmark works without it
    torch = None


def exported_module(problem: str, folder: Path, target: str = "numpy"):
    """`derive code PROBLEM --backward [--target torch]`, written to a file and imported."""
    spec = load_spec(ROOT / "problems" / f"{problem}.yaml")
    bw, _ = choose_backward(spec)
    path = folder / f"{problem}_export_{target}.py"
    path.write_text(export(spec, backward=True, target=target, bw=bw))
    loader = importlib.util.spec_from_file_location(f"{problem}_export_{target}", path)
    module = importlib.util.module_from_spec(loader)
    loader.loader.exec_module(module)
    return module


def call(fn, values: dict):
    """Call an exported function with the arrays it asks for, by name."""
    return fn(**{k: values[k] for k in inspect.signature(fn).parameters})


def median_times(fns: dict, runs: int) -> dict:
    """Median time of each function, run in turn (round robin) so that a change
    in the machine's load affects all of them alike.  The order rotates each round
    (a, b, c; b, c, a; c, a, b; ...): a function timed right after another that read
    the same arrays finds them in the cache, and with a fixed order the same one
    would always be favoured."""
    times = {k: [] for k in fns}
    for f in fns.values():
        f()                                 # warm up
    keys = list(fns)
    for r in range(runs):
        for k in keys[r % len(keys):] + keys[:r % len(keys)]:
            t = time.perf_counter()
            fns[k]()
            times[k].append(time.perf_counter() - t)
    return {k: statistics.median(v) for k, v in times.items()}


def rel_err(a, b) -> float:
    a, b = np.asarray(a), np.asarray(b)
    return float(np.abs(a - b).max() / max(np.abs(b).max(), 1e-300))


# --------------------------------------------------------------------------
# softmax
# --------------------------------------------------------------------------


def softmax_case(rng, B=256, J=4096):
    """(the problem's inputs, the forward's values -> the backward's, the hand-written
    backward, the op-for-op torch forward, its leaves, the outputs' names)"""
    s = rng.standard_normal((B, J))

    def backward_values(fw):
        return {"p": fw["p"], "p_grad": rng.standard_normal((B, J))}

    def by_hand(p, p_grad):
        e = -(p * p_grad).sum(axis=1)            # e[b] = -sum_j p[b, j] p.grad[b, j]
        return [p * (p_grad + e[:, None])]        # s.grad = p (p.grad + e)

    def torch_forward(st):
        Z = torch.exp(st).sum(dim=1)                  # for b, j: Z[b] += exp(s[b, j])
        return torch.exp(st) / Z[:, None]             # for b, j: p[b, j] += exp(s[b, j])/Z[b]
    return {"s": s}, backward_values, by_hand, torch_forward, ["s"], ["p"], ["s"]


# --------------------------------------------------------------------------
# batch normalization (unbiased variance, no epsilon: as the problem's program)
# --------------------------------------------------------------------------


def batchnorm_case(rng, B=1024, J=1024):
    x = rng.standard_normal((B, J))

    def backward_values(fw):
        return {"s": fw["s"], "xp": fw["xp"], "x": x, "mu": fw["mu"],
                "xp_grad": rng.standard_normal((B, J))}

    def by_hand(s, xp, xp_grad, **_):
        g = xp_grad
        inv = 1.0 / np.sqrt(s)
        g_sum = g.sum(axis=0)
        gx_sum = (g * xp).sum(axis=0)
        return [inv * (g - g_sum / B - xp * (gx_sum / (B - 1)))]

    def torch_forward(xt):
        mut = (xt / B).sum(dim=0)                          # mu[j] += x[b, j]/B
        st = ((xt - mut) ** 2 / (B - 1)).sum(dim=0)         # s[j] += (x - mu)^2/(B-1)
        return (xt - mut) / torch.sqrt(st)                 # xp[b, j] += (x - mu)/sqrt(s)
    return {"x": x}, backward_values, by_hand, torch_forward, ["x"], ["xp"], ["x"]


# --------------------------------------------------------------------------
# GRU: backpropagation through time
# --------------------------------------------------------------------------

GRU_PARAMS = ("Whg1", "Wxg1", "BG1", "Whg2", "Wxg2", "BG2", "Whr", "Wxr", "BR")


def gru_case(rng, B=32, T=50, J=256, K=256):
    x = rng.standard_normal((B, T, K))
    P = {}
    for name in GRU_PARAMS:
        shape = (J,) if name.startswith("B") else (J, J if name.startswith("Wh") else K)
        P[name] = rng.standard_normal(shape) / np.sqrt(shape[-1])

    def backward_values(fw):
        return {**fw, **P, "x": x, "h_grad": rng.standard_normal((B, T, J))}

    def by_hand(h, G1, G2, R, hp, h_grad, Whr, Whg1, Whg2, **_):
        h_prev = np.concatenate([np.zeros((B, 1, J)), h[:, :-1]], axis=1)
        dh = h_grad.copy()
        dG1in = np.empty((B, T, J))
        dG2in = np.empty((B, T, J))
        dRin = np.empty((B, T, J))
        for t in range(T - 1, -1, -1):
            g = dh[:, t]
            dR = g * G2[:, t]
            dRin[:, t] = dR * (1 - R[:, t] ** 2)
            dhp = dRin[:, t] @ Whr
            dG2in[:, t] = g * (R[:, t] - h_prev[:, t]) * G2[:, t] * (1 - G2[:, t])
            dG1in[:, t] = dhp * h_prev[:, t] * G1[:, t] * (1 - G1[:, t])
            if t > 0:
                dh[:, t - 1] += (g * (1 - G2[:, t]) + dhp * G1[:, t]
                                 + dG2in[:, t] @ Whg2 + dG1in[:, t] @ Whg1)
        flat = lambda a: a.reshape(B * T, -1)
        out = {}
        for gname, d, hin in (("1", dG1in, h_prev), ("2", dG2in, h_prev)):
            out["Whg" + gname] = flat(d).T @ flat(hin)
            out["Wxg" + gname] = flat(d).T @ flat(x)
            out["BG" + gname] = -flat(d).sum(axis=0)
        out["Whr"] = flat(dRin).T @ flat(hp)
        out["Wxr"] = flat(dRin).T @ flat(x)
        out["BR"] = -flat(dRin).sum(axis=0)
        return [out[n] for n in GRU_PARAMS]

    def torch_forward(*params):
        Pt = dict(zip(GRU_PARAMS, params))
        xt = torch.from_numpy(x)
        ht = torch.zeros((B, J), dtype=torch.float64)
        hs = []
        for t in range(T):
            xs = xt[:, t]
            G1t = torch.sigmoid(ht @ Pt["Whg1"].T + xs @ Pt["Wxg1"].T - Pt["BG1"])
            hpt = G1t * ht
            G2t = torch.sigmoid(ht @ Pt["Whg2"].T + xs @ Pt["Wxg2"].T - Pt["BG2"])
            Rt = torch.tanh(hpt @ Pt["Whr"].T + xs @ Pt["Wxr"].T - Pt["BR"])
            ht = (1 - G2t) * ht + G2t * Rt
            hs.append(ht)
        return torch.stack(hs, dim=1)
    inputs = {**P, "x": x}
    return inputs, backward_values, by_hand, torch_forward, list(GRU_PARAMS), ["h"], \
        list(GRU_PARAMS)


def numpy_runs(mod, case) -> tuple[dict, dict]:
    """{name: () -> gradients} for the NumPy export, the hand-written backward and
    PyTorch eager autograd; the backward's values (to reuse for the torch target)."""
    inputs, backward_values, by_hand, torch_forward, leaves, outs, grads = case
    values = backward_values(call(mod.forward, inputs))

    def exported():
        g = call(mod.backward, values)
        return [g[n] for n in grads]
    runs = {"exported": exported, "hand-written": lambda: by_hand(**values)}
    if torch is not None:
        lt = [torch.tensor(inputs[n], requires_grad=True) for n in leaves]
        out = torch_forward(*lt)
        gt = torch.from_numpy(values[outs[0] + "_grad"])
        runs["torch"] = lambda: [a.numpy() for a in
                                 torch.autograd.grad(out, lt, gt, retain_graph=True)]
    return runs, values


def torch_runs(tmod, case, values, compile_: bool) -> tuple[dict, str]:
    """{name: () -> gradients} for the torch target (eager, compiled) and torch.compile
    of the hand-written forward with its autograd backward; a note on compiling."""
    inputs, _, _, torch_forward, leaves, outs, grads = case
    tvalues = {k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in values.items()}
    gt = tvalues[outs[0] + "_grad"]
    lt = [torch.tensor(inputs[n], requires_grad=True) for n in leaves]

    def target(fn):
        def run():
            g = call(fn, tvalues)
            return [g[n].numpy() for n in grads]
        return run

    def autograd(out):
        return lambda: [a.numpy() for a in torch.autograd.grad(out, lt, gt, retain_graph=True)]
    runs = {"target eager": target(tmod.backward)}
    if not compile_:
        runs["autograd eager"] = autograd(torch_forward(*lt))
        return runs, "torch.compile skipped (--no-compile): eager timings only"
    try:
        t0 = time.perf_counter()
        compiled = torch.compile(tmod.backward)
        call(compiled, tvalues)                         # compiles
        t1 = time.perf_counter()
        out = torch.compile(torch_forward)(*lt)
        torch.autograd.grad(out, lt, gt, retain_graph=True)   # compiles the backward
        t2 = time.perf_counter()
    except Exception as e:                 # no C compiler, an unsupported operation, ...
        reason = f"{type(e).__name__}: {str(e).strip().splitlines()[0][:160]}" if str(e) \
            else type(e).__name__
        runs["autograd eager"] = autograd(torch_forward(*lt))
        return runs, f"torch.compile failed ({reason}): eager timings instead"
    runs["target compiled"] = target(compiled)
    runs["autograd compiled"] = autograd(out)
    return runs, (f"compiled in {t1 - t0:.0f} s (target) and {t2 - t1:.0f} s (hand-written); "
                  "inductor's disk cache may serve a graph compiled before")


CASES = (("softmax", "B=256, J=4096", softmax_case, 30),  # (problem, sizes, case, runs)
         ("batchnorm", "B=1024, J=1024", batchnorm_case, 30),
         ("gru", "B=32, T=50, J=K=256", gru_case, 15))


def agree(results: dict, ref: str = "exported") -> float:
    """The largest relative difference between any result and `ref`'s."""
    worst = 0.0
    for value in results.values():
        worst = max([worst] + [rel_err(u, v) for u, v in zip(value, results[ref])])
    return worst


def ms(v) -> str:
    return f"{v * 1e3:8.2f}ms" if v is not None else f"{'-':>10}"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="Fewer repetitions.")
    ap.add_argument("--threads", type=int,
                    help="Threads for NumPy's BLAS and for PyTorch (default: theirs).")
    ap.add_argument("--no-compile", action="store_true",
                    help="Skip torch.compile (the GRU takes minutes to compile).")
    args = ap.parse_args(argv)
    rng = np.random.default_rng(0)
    threads = f", torch {torch.__version__} with {torch.get_num_threads()} threads" \
        if torch is not None else " (PyTorch not installed: its columns are skipped)"
    blas = f", {THREADS} BLAS thread(s)" if THREADS else ""
    print(f"backward pass, float64, CPU; numpy {np.__version__}{blas}{threads}; "
          f"median of runs")
    head = (f"{'problem':<10} {'sizes':<20} {'runs':>4} {'exported':>10} {'by hand':>10} "
            f"{'torch':>10} {'exp/hand':>9} {'exp/torch':>9}  agree")
    print(head)
    print("-" * len(head))
    failed = False
    later = []
    with tempfile.TemporaryDirectory() as tmp:
        for problem, sizes, make, runs in CASES:
            mod = exported_module(problem, Path(tmp))
            case = make(rng)
            fns, values = numpy_runs(mod, case)
            worst = agree({k: f() for k, f in fns.items()})
            n = max(5, runs // 3) if args.quick else runs
            times = median_times(fns, n)
            te, th = times["exported"], times["hand-written"]
            tt = times.get("torch")
            r_t = f"{te / tt:9.2f}" if tt else f"{'-':>9}"
            print(f"{problem:<10} {sizes:<20} {n:>4} {ms(te)} {ms(th)} {ms(tt)} {te / th:9.2f} "
                  f"{r_t}  {worst:.0e}", flush=True)
            failed |= worst > 1e-8
            if torch is not None:
                later.append((problem, sizes, n, case, values, fns["exported"]()))
        print("\nexp/hand: exported time / hand-written time (target <= 1.3); "
              "exp/torch: exported / PyTorch eager autograd (target <= 1.0).")
        if torch is None:
            return 1 if failed else 0
        print("\nthe torch target (`derive code PROBLEM --backward --target torch`) beside "
              "torch.compile of the hand-written forward's autograd backward")
        head = (f"{'problem':<10} {'runs':>4} {'tgt eager':>10} {'tgt comp':>10} "
                f"{'autograd':>10} {'tgt/autograd':>12}  agree  note")
        print(head)
        print("-" * (len(head) + 40))
        for problem, sizes, n, case, values, reference in later:
            tmod = exported_module(problem, Path(tmp), "torch")
            fns, note = torch_runs(tmod, case, values, not args.no_compile)
            worst = agree({"exported": reference, **{k: f() for k, f in fns.items()}})
            times = median_times(fns, n)
            tc = times.get("target compiled")
            ta = times.get("autograd compiled", times.get("autograd eager"))
            mine = tc if tc is not None else times["target eager"]
            ratio = f"{mine / ta:12.2f}" if ta else f"{'-':>12}"
            print(f"{problem:<10} {n:>4} {ms(times['target eager'])} {ms(tc)} {ms(ta)} {ratio}"
                  f"  {worst:.0e}  {note}", flush=True)
            failed |= worst > 1e-8
    print("\ntgt eager / tgt comp: the torch target run eagerly / under torch.compile; "
          "autograd: torch.compile of the\nhand-written forward, its compiled backward timed "
          "(eager when compiling failed); tgt/autograd: the\ntorch target's time (compiled "
          "if it compiled) / autograd's.")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
