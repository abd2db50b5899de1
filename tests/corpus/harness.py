"""Run a loop answer of the corpus with the corpus's own evaluator (loopnum) and
compare it with the hand-written autograd references (autograd_reference).
Nothing here imports `derive`."""
from __future__ import annotations

import numpy as np

import autograd_reference as R
import loopnum

# two size configurations per problem; within a configuration the sizes differ
# wherever the spec lets them (lenet5 keeps M = U - F + 1, N = V - G + 1, R = M/2, C = N/2)
SIZES = {
    "softmax": [{"B": 3, "J": 4}, {"B": 2, "J": 5}],
    "batchnorm": [{"B": 5, "J": 3}, {"B": 4, "J": 6}],
    "relu_unit": [{"d": 3}, {"d": 5}],
    "ugrnn": [{"B": 2, "T": 3, "J": 4, "K": 5}, {"B": 3, "T": 4, "J": 5, "K": 2}],
    "gru": [{"B": 2, "T": 3, "J": 4, "K": 5}, {"B": 3, "T": 4, "J": 5, "K": 2}],
    "two_gate_rnn": [{"B": 2, "T": 3, "J": 4, "K": 5}, {"B": 3, "T": 4, "J": 5, "K": 2}],
    "ugcnn": [{"B": 2, "X": 6, "Y": 5, "J": 3, "D": 4}, {"B": 3, "X": 5, "Y": 6, "J": 4, "D": 2}],
    "lenet5": [dict(U=5, V=8, P=7, F=2, G=3, M=4, N=6, D=9, R=2, C=3),
               dict(U=8, V=5, P=4, F=3, G=2, M=6, N=4, D=5, R=3, C=2)],
    "loss_heads": [{"L": 3, "N": 4}, {"L": 2, "N": 5}],
    "mlp_ce_l2": [{"N": 3, "M": 4, "C": 2}, {"N": 5, "M": 2, "C": 3}],
    "mlp_classification": [{"N": 3, "H": 4, "K": 2}, {"N": 2, "H": 5, "K": 3}],
    "mlp_regression": [{"N": 3, "H": 4, "K": 2}, {"N": 2, "H": 5, "K": 3}],
    "mlp_numeric": [{"H": 2, "D": 3}, {"H": 4, "D": 2}],
    "vanilla_rnn_bptt": [{"T": 3, "M": 4, "N": 2, "C": 5}, {"T": 4, "M": 3, "N": 5, "C": 2}],
}

SEEDS = (0, 1)
RTOL = 1e-8


def _symbols(allv):
    return {k: float(v) for k, v in allv.items() if k in ("lam", "eta")}


def _machine(problem, sizes, arrays, allv):
    return loopnum.make_machine(problem, sizes, arrays, _symbols(allv))


def _close(got, want):
    got = np.asarray(got, dtype=float)
    want = np.asarray(want, dtype=float)
    if got.shape != want.shape or not np.all(np.isfinite(got)):
        return False
    scale = max(1.0, float(np.max(np.abs(want))) if want.size else 1.0)
    return bool(np.max(np.abs(got - want)) <= RTOL * scale) if want.size else True


def run_backprop(problem, part, text, sizes, seed):
    """(ok, {grad: (got, want)}) for one size configuration and seed."""
    ref = R.REFERENCES[f"{problem}:{part}"]
    rng = np.random.default_rng(seed)
    values, allv, upstream = R.part_values(problem, part, sizes, rng)
    want = ref.fn(values, upstream)
    arrays = dict(allv)
    arrays.update(upstream)
    m = _machine(problem, sizes, arrays, allv)
    store = m.run(text)
    out, ok = {}, True
    for g, w in want.items():
        got = store[g].data if g in store else np.zeros_like(w)
        out[g] = (got, w)
        ok = ok and _close(got, w)
    return ok, out


def run_loops_forward(problem, part, text, sizes, seed, target="Rt"):
    """ugrnn:a: the forward loops for Rt, run with every other tensor given."""
    rng = np.random.default_rng(seed)
    inputs = R.random_inputs(problem, sizes, rng)
    fwd = {k: np.asarray(v) for k, v in R.forward(problem, inputs).items()}
    allv = dict(inputs)
    allv.update(fwd)
    arrays = {k: v for k, v in allv.items() if k != target}
    m = _machine(problem, sizes, arrays, allv)
    store = m.run(text)
    got = store[target].data if target in store else np.zeros_like(fwd[target])
    return _close(got, fwd[target]), {target: (got, fwd[target])}


def run_update(problem, part, text, sizes, seed):
    """mlp_ce_l2:sgd: one SGD step, the true gradients given as W1.grad etc."""
    rng = np.random.default_rng(seed)
    ref = R.REFERENCES[f"{problem}:grad"]
    values, allv, upstream = R.part_values(problem, "grad", sizes, rng)
    grads = ref.fn(values, upstream)
    arrays = dict(allv)
    arrays.update(upstream)
    arrays.update(grads)
    m = _machine(problem, sizes, arrays, allv)
    store = m.run(text)
    eta = float(allv["eta"])
    out, ok = {}, True
    for g, gv in grads.items():
        p = g[:-5]
        want = allv[p] - eta * gv
        got = store[p].data
        out[p] = (got, want)
        ok = ok and _close(got, want)
    return ok, out


def judge_loop(problem, part, kind, text):
    """'correct', 'incorrect' or 'unusable' by the corpus's own evaluation, with details."""
    runner = {"loops": run_loops_forward, "update": run_update}.get(kind, run_backprop)
    details = []
    verdict = "correct"
    try:
        for sizes in SIZES[problem]:
            for seed in SEEDS:
                ok, out = runner(problem, part, text, sizes, seed)
                if not ok:
                    verdict = "incorrect"
                    bad = [k for k, (g, w) in out.items() if not _close(g, w)]
                    details.append((sizes, seed, bad))
    except loopnum.NotationError as e:
        return "unusable", str(e)
    return verdict, details
