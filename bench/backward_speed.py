"""Speed of exported backward code: derive's NumPy export, hand-written NumPy, PyTorch.

    python3 bench/backward_speed.py [--quick] [--threads N]   (from the repository root)

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
is timed.  The three implementations' gradients are compared before timing.

Prints the median time of each and the ratios exported / hand-written and
exported / PyTorch (below 1: the export is faster).  PyTorch is optional: the
benchmark runs without it and says so.
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

from derive.run.codegen import choose_backward
from derive.run.codegen import export  # noqa: E402
from derive.front.spec import load_spec  # noqa: E402

try:
    import torch
    if THREADS:
        torch.set_num_threads(THREADS)
except ImportError:          # pragma: no cover - the benchmark works without it
    torch = None


def exported_module(problem: str, folder: Path):
    """`derive code PROBLEM --backward`, written to a file and imported."""
    spec = load_spec(ROOT / "problems" / f"{problem}.yaml")
    bw, _ = choose_backward(spec)
    path = folder / f"{problem}_export.py"
    path.write_text(export(spec, backward=True, bw=bw))
    loader = importlib.util.spec_from_file_location(f"{problem}_export", path)
    module = importlib.util.module_from_spec(loader)
    loader.loader.exec_module(module)
    return module


def call(fn, values: dict):
    """Call an exported function with the arrays it asks for, by name."""
    return fn(**{k: values[k] for k in inspect.signature(fn).parameters})


def median_times(fns: dict, runs: int) -> dict:
    """Median time of each function, run in turn (round robin) so that a change
    in the machine's load affects all of them alike."""
    times = {k: [] for k in fns}
    for f in fns.values():
        f()                                 # warm up
    for _ in range(runs):
        for k, f in fns.items():
            t = time.perf_counter()
            f()
            times[k].append(time.perf_counter() - t)
    return {k: statistics.median(v) for k, v in times.items()}


def rel_err(a, b) -> float:
    a, b = np.asarray(a), np.asarray(b)
    return float(np.abs(a - b).max() / max(np.abs(b).max(), 1e-300))


# --------------------------------------------------------------------------
# softmax
# --------------------------------------------------------------------------


def softmax_case(mod, rng, B=256, J=4096):
    s = rng.standard_normal((B, J))
    fw = mod.forward(s)
    p, p_grad = fw["p"], rng.standard_normal((B, J))

    values = {"p": p, "p_grad": p_grad}

    def exported():
        return call(mod.backward, values)["s"]

    def by_hand():
        e = -(p * p_grad).sum(axis=1)            # e[b] = -sum_j p[b, j] p.grad[b, j]
        return p * (p_grad + e[:, None])          # s.grad = p (p.grad + e)

    runs = {"exported": exported, "hand-written": by_hand}
    if torch is not None:
        st = torch.tensor(s, requires_grad=True)
        Z = torch.exp(st).sum(dim=1)                  # for b, j: Z[b] += exp(s[b, j])
        pt = torch.exp(st) / Z[:, None]               # for b, j: p[b, j] += exp(s[b, j])/Z[b]
        gt = torch.tensor(p_grad)

        def torch_autograd():
            return torch.autograd.grad(pt, st, gt, retain_graph=True)[0].numpy()
        runs["torch"] = torch_autograd
    return runs


# --------------------------------------------------------------------------
# batch normalization (unbiased variance, no epsilon: as the problem's program)
# --------------------------------------------------------------------------


def batchnorm_case(mod, rng, B=1024, J=1024):
    x = rng.standard_normal((B, J))
    fw = mod.forward(x)
    mu, s, xp = fw["mu"], fw["s"], fw["xp"]
    g = rng.standard_normal((B, J))

    values = {"s": s, "xp": xp, "x": x, "mu": mu, "xp_grad": g}

    def exported():
        return call(mod.backward, values)["x"]

    def by_hand():
        inv = 1.0 / np.sqrt(s)
        g_sum = g.sum(axis=0)
        gx_sum = (g * xp).sum(axis=0)
        return inv * (g - g_sum / B - xp * (gx_sum / (B - 1)))

    runs = {"exported": exported, "hand-written": by_hand}
    if torch is not None:
        xt = torch.tensor(x, requires_grad=True)
        mut = (xt / B).sum(dim=0)                          # mu[j] += x[b, j]/B
        st = ((xt - mut) ** 2 / (B - 1)).sum(dim=0)         # s[j] += (x - mu)^2/(B-1)
        xpt = (xt - mut) / torch.sqrt(st)                  # xp[b, j] += (x - mu)/sqrt(s)
        gt = torch.tensor(g)

        def torch_autograd():
            return torch.autograd.grad(xpt, xt, gt, retain_graph=True)[0].numpy()
        runs["torch"] = torch_autograd
    return runs


# --------------------------------------------------------------------------
# GRU: backpropagation through time
# --------------------------------------------------------------------------

GRU_PARAMS = ("Whg1", "Wxg1", "BG1", "Whg2", "Wxg2", "BG2", "Whr", "Wxr", "BR")


def gru_case(mod, rng, B=32, T=50, J=256, K=256):
    x = rng.standard_normal((B, T, K))
    P = {}
    for name in GRU_PARAMS:
        shape = (J,) if name.startswith("B") else (J, J if name.startswith("Wh") else K)
        P[name] = rng.standard_normal(shape) / np.sqrt(shape[-1])
    fw = mod.forward(x=x, **P)
    h_grad = rng.standard_normal((B, T, J))
    order = ("Whg1", "Wxg1", "BG1", "Whg2", "Wxg2", "BG2", "Whr", "Wxr", "BR")

    values = {**fw, **P, "x": x, "h_grad": h_grad}

    def exported():
        g = call(mod.backward, values)
        return [g[n] for n in order]

    h, G1, G2, R, hp = fw["h"], fw["G1"], fw["G2"], fw["R"], fw["hp"]

    def by_hand():
        h_prev = np.concatenate([np.zeros((B, 1, J)), h[:, :-1]], axis=1)
        dh = h_grad.copy()
        dG1in = np.empty((B, T, J))
        dG2in = np.empty((B, T, J))
        dRin = np.empty((B, T, J))
        for t in range(T - 1, -1, -1):
            g = dh[:, t]
            dR = g * G2[:, t]
            dRin[:, t] = dR * (1 - R[:, t] ** 2)
            dhp = dRin[:, t] @ P["Whr"]
            dG2in[:, t] = g * (R[:, t] - h_prev[:, t]) * G2[:, t] * (1 - G2[:, t])
            dG1in[:, t] = dhp * h_prev[:, t] * G1[:, t] * (1 - G1[:, t])
            if t > 0:
                dh[:, t - 1] += (g * (1 - G2[:, t]) + dhp * G1[:, t]
                                 + dG2in[:, t] @ P["Whg2"] + dG1in[:, t] @ P["Whg1"])
        flat = lambda a: a.reshape(B * T, -1)
        out = {}
        for gname, d, hin in (("1", dG1in, h_prev), ("2", dG2in, h_prev)):
            out["Whg" + gname] = flat(d).T @ flat(hin)
            out["Wxg" + gname] = flat(d).T @ flat(x)
            out["BG" + gname] = -flat(d).sum(axis=0)
        out["Whr"] = flat(dRin).T @ flat(hp)
        out["Wxr"] = flat(dRin).T @ flat(x)
        out["BR"] = -flat(dRin).sum(axis=0)
        return [out[n] for n in order]

    runs = {"exported": exported, "hand-written": by_hand}
    if torch is not None:
        xt = torch.tensor(x)
        Pt = {n: torch.tensor(v, requires_grad=True) for n, v in P.items()}
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
        hall = torch.stack(hs, dim=1)
        gt = torch.tensor(h_grad)
        params = [Pt[n] for n in order]

        def torch_autograd():
            return [a.numpy() for a in torch.autograd.grad(hall, params, gt, retain_graph=True)]
        runs["torch"] = torch_autograd
    return runs


CASES = (("softmax", "B=256, J=4096", softmax_case, 30),
         ("batchnorm", "B=1024, J=1024", batchnorm_case, 30),
         ("gru", "B=32, T=50, J=K=256", gru_case, 15))


def agree(results: dict) -> float:
    ref = results["exported"]
    worst = 0.0
    for name, value in results.items():
        a = value if isinstance(value, list) else [value]
        b = ref if isinstance(ref, list) else [ref]
        worst = max([worst] + [rel_err(u, v) for u, v in zip(a, b)])
    return worst


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="Fewer repetitions.")
    ap.add_argument("--threads", type=int,
                    help="Threads for NumPy's BLAS and for PyTorch (default: theirs).")
    args = ap.parse_args(argv)
    rng = np.random.default_rng(0)
    threads = f", torch {torch.__version__} with {torch.get_num_threads()} threads" \
        if torch is not None else " (PyTorch not installed: its column is skipped)"
    blas = f", {THREADS} BLAS thread(s)" if THREADS else ""
    print(f"backward pass, float64, CPU; numpy {np.__version__}{blas}{threads}; "
          f"median of runs")
    head = (f"{'problem':<10} {'sizes':<20} {'exported':>10} {'by hand':>10} {'torch':>10} "
            f"{'exp/hand':>9} {'exp/torch':>9}  agree")
    print(head)
    print("-" * len(head))
    failed = False
    with tempfile.TemporaryDirectory() as tmp:
        for problem, sizes, make, runs in CASES:
            mod = exported_module(problem, Path(tmp))
            fns = make(mod, rng)
            worst = agree({k: f() for k, f in fns.items()})
            n = max(3, runs // 3) if args.quick else runs
            times = median_times(fns, n)
            te, th = times["exported"], times["hand-written"]
            tt = times.get("torch")
            ms = lambda v: f"{v * 1e3:8.2f}ms" if v is not None else f"{'-':>10}"
            r_t = f"{te / tt:9.2f}" if tt else f"{'-':>9}"
            print(f"{problem:<10} {sizes:<20} {ms(te)} {ms(th)} {ms(tt)} {te / th:9.2f} {r_t}"
                  f"  {worst:.0e}")
            failed |= worst > 1e-8
    print("\nexp/hand: exported time / hand-written time (target <= 1.3); "
          "exp/torch: exported / PyTorch eager autograd (target <= 1.0).")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
