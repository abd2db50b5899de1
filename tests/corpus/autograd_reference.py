"""Hand-written reference gradients for every backprop and gradient part of the
bundled problems, computed with HIPS autograd, independently of `derive`.

Nothing here imports `derive`.  Each problem's forward pass is written by hand in
``autograd.numpy`` from the problem's statement and program (problems/*.yaml);
autograd does the differentiation.

Conventions
-----------
* Shapes: a tensor has one axis per index of its spec shape, in the spec's order.
  An index with range ``B`` has length B (element 0 is b = 0); an index with an
  explicit range ``1..T`` has length T (element 0 is t = 1); ``0..L`` has length
  L + 1 (element 0 is k = 0).  Scalars are 0-d arrays.
* ``REFERENCES["problem:part"]`` is a :class:`Reference`.  ``fn(values, upstream)``
  returns the gradients the part asks for, keyed like ``"s.grad"``.
  ``values`` holds every tensor the part's sub-program reads that it does not
  compute: inputs, parameters, scalar symbols such as ``lam``, and for parts with
  ``through:`` the forward tensors held fixed (``Z`` for softmax:a, ``h`` for
  ugrnn:b, ``Y`` for lenet5:a).  ``upstream`` holds the given gradients of the
  part's ``from`` tensors (``"p.grad"``), with the shapes of those tensors.
* The gradient is the vector-Jacobian product: the gradient of
  ``sum_F <upstream[F], F(values)>`` with respect to each ``to`` tensor, through
  only the statements the part names (``through:``), every other tensor held
  fixed.  For a ``to`` tensor that the program computes (``mu`` in batchnorm,
  ``z`` in vanilla_rnn_bptt), its gradient is the gradient with respect to a
  perturbation added to that tensor where it is computed (the usual meaning of
  ``z.grad`` in backpropagation: everything downstream of z, nothing upstream).
* Where ``from`` is the final scalar loss (``Loss`` or ``C``), the upstream
  ``Loss.grad`` is an input like any other; the question asks for dL/d(...),
  i.e. ``Loss.grad = 1`` (``Reference.loss_upstream`` is True for those parts).
* ugrnn:b has ``average_over: b``: the spec (and the EDF convention it cites)
  asks that the gradient of each *parameter* (Whr, Wxr, BR) be the mean over the
  B examples of the batch, so those three are divided by B; the gradients of
  the non-parameters h and x are per-example and are not divided.
* ``forward(problem, values)`` returns every tensor the full program computes
  from its inputs and parameters, so a harness can build consistent ``values``
  (e.g. ``Z`` from ``s`` for softmax:a).  Reads out of range are zero (h_0 = 0,
  convolution reads beyond the border, pooling windows beyond the map).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import autograd.numpy as anp
import numpy as np
import re

import yaml
from autograd import grad

PROBLEMS_DIR = Path(__file__).resolve().parents[2] / "problems"


# ---------------------------------------------------------------------------
# shapes, read from the specs (index ranges and tensor axes only)
# ---------------------------------------------------------------------------

_SPECS: dict = {}


def spec(problem: str) -> dict:
    if problem not in _SPECS:
        _SPECS[problem] = yaml.safe_load((PROBLEMS_DIR / f"{problem}.yaml").read_text())
    return _SPECS[problem]


def _bound(text, sizes) -> int:
    text = str(text).strip()
    if text.lstrip("-").isdigit():
        return int(text)
    # simple size expressions like `U - 1`
    return int(eval(text, {"__builtins__": {}}, dict(sizes)))   # our own spec text only


def index_range(problem: str, index: str, sizes: dict) -> tuple[int, int]:
    """Inclusive (lo, hi) of a declared index."""
    text = str(spec(problem)["index"][index])
    if ".." in text:
        lo, hi = text.split("..")
        return _bound(lo, sizes), _bound(hi, sizes)
    return 0, _bound(text, sizes) - 1


def tensor_axes(problem: str) -> dict:
    """{tensor: axes}: declared shapes, and for a computed tensor without one, the index
    names of its first write that names plain indices (`h[k, i] = ...`; `Loss += ...` a
    scalar).  Read from the spec's text here, independently of derive."""
    sp_ = spec(problem)
    out = {n: tuple(info["shape"]) for n, info in (sp_.get("tensors") or {}).items()
           if isinstance(info, dict) and "shape" in info}
    indices = set(sp_["index"])
    for line in sp_["program"].split("\n"):
        code = line.split("#", 1)[0]
        m = re.match(r"\s*(?:for [^:]*:\s*)?([A-Za-z_]\w*)\s*(\[([^\]]*)\])?\s*(\+=|-=|=)",
                     code)
        if not m or m.group(1) in out or m.group(1) == "for":
            continue
        idx = [a.strip() for a in m.group(3).split(",")] if m.group(3) else []
        if all(a in indices for a in idx):
            out[m.group(1)] = tuple(idx)
    return out


def axes_of(problem: str, tensor: str) -> tuple[str, ...]:
    return tensor_axes(problem)[tensor]


def shape_of(problem: str, tensor: str, sizes: dict) -> tuple[int, ...]:
    out = []
    for ax in axes_of(problem, tensor):
        lo, hi = index_range(problem, ax, sizes)
        out.append(hi - lo + 1)
    return tuple(out)


# ---------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------

def sigma(x):
    return 1.0 / (1.0 + anp.exp(-x))


def relu(x):
    return anp.maximum(x, 0.0)


def _eps(eps, name, t=None):
    """The perturbation of a computed tensor (zero unless a gradient wants it)."""
    if eps is None or name not in eps:
        return 0.0
    return eps[name] if t is None else eps[name][t]


def _pad_to(a, shape):
    """Zero-pad (or crop) array `a` along its leading axes to `shape`."""
    pads = []
    for k, n in enumerate(shape):
        have = a.shape[k]
        if have > n:
            a = a[(slice(None),) * k + (slice(0, n),)]
            have = n
        pads.append((0, n - have))
    pads += [(0, 0)] * (a.ndim - len(shape))
    if any(p[1] for p in pads):
        a = anp.pad(a, pads, mode="constant")
    return a


def _stack_time(steps):
    """A list of per-step [B, J] arrays -> [B, T, J]."""
    return anp.stack(steps, axis=1)


# ---------------------------------------------------------------------------
# forward passes, one per problem (eps: perturbations of computed tensors)
# ---------------------------------------------------------------------------

def _softmax(v, eps=None):
    s = v["s"]
    Z = anp.sum(anp.exp(s), axis=1) + _eps(eps, "Z")
    p = anp.exp(s) / Z[:, None] + _eps(eps, "p")
    return {"Z": Z, "p": p}


def _batchnorm(v, eps=None):
    x = v["x"]
    B = x.shape[0]
    mu = anp.sum(x, axis=0) / B + _eps(eps, "mu")
    s = anp.sum((x - mu[None, :]) ** 2, axis=0) / (B - 1) + _eps(eps, "s")
    xp = (x - mu[None, :]) / anp.sqrt(s)[None, :] + _eps(eps, "xp")
    return {"mu": mu, "s": s, "xp": xp}


def _relu_unit(v, eps=None):
    z = anp.sum(v["w"] * v["x"]) + _eps(eps, "z")
    y = relu(z) + _eps(eps, "y")
    return {"z": z, "y": y}      # l = L(y) with L arbitrary: not computed


def _ugrnn(v, eps=None):
    x = v["x"]
    B, T, K = x.shape
    J = v["BR"].shape[0]
    hprev = anp.zeros((B, J))
    out = {k: [] for k in ("Rt", "R", "Gt", "G", "h")}
    for t in range(T):
        Rt = hprev @ v["Whr"].T + x[:, t, :] @ v["Wxr"].T - v["BR"] + _eps(eps, "Rt", (slice(None), t))
        R = anp.tanh(Rt) + _eps(eps, "R", (slice(None), t))
        Gt = hprev @ v["Whg"].T + x[:, t, :] @ v["Wxg"].T - v["BG"] + _eps(eps, "Gt", (slice(None), t))
        G = sigma(Gt) + _eps(eps, "G", (slice(None), t))
        h = G * hprev + (1 - G) * R + _eps(eps, "h", (slice(None), t))
        for k, val in zip(("Rt", "R", "Gt", "G", "h"), (Rt, R, Gt, G, h)):
            out[k].append(val)
        hprev = h
    return {k: _stack_time(val) for k, val in out.items()}


def _ugrnn_stmt1(v, eps=None):
    """ugrnn statement 1 alone, with h held fixed: Rt[b,t] = Whr h[b,t-1] + Wxr x[b,t] - BR."""
    h, x = v["h"], v["x"]
    B, T, J = h.shape
    hprev = anp.concatenate([anp.zeros((B, 1, J)), h[:, :-1, :]], axis=1)   # h[b, 0] = 0
    Rt = anp.einsum("ji,bti->btj", v["Whr"], hprev) + anp.einsum("jk,btk->btj", v["Wxr"], x) - v["BR"]
    return {"Rt": Rt}


def _gru(v, eps=None):
    x = v["x"]
    B, T, K = x.shape
    J = v["BR"].shape[0]
    hprev = anp.zeros((B, J))
    names = ("G1", "hp", "G2", "R", "h")
    out = {k: [] for k in names}
    for t in range(T):
        xt = x[:, t, :]
        G1 = sigma(hprev @ v["Whg1"].T + xt @ v["Wxg1"].T - v["BG1"])
        hp = G1 * hprev
        G2 = sigma(hprev @ v["Whg2"].T + xt @ v["Wxg2"].T - v["BG2"])
        R = anp.tanh(hp @ v["Whr"].T + xt @ v["Wxr"].T - v["BR"])
        h = (1 - G2) * hprev + G2 * R
        for k, val in zip(names, (G1, hp, G2, R, h)):
            out[k].append(val)
        hprev = h
    return {k: _stack_time(val) for k, val in out.items()}


def _two_gate_rnn(v, eps=None):
    x = v["x"]
    B, T, K = x.shape
    J = v["BGR"].shape[0]
    hprev = anp.zeros((B, J))
    names = ("GR", "R", "Gh", "h")
    out = {k: [] for k in names}
    for t in range(T):
        xt = x[:, t, :]
        GR = sigma(hprev @ v["Whgr"].T + xt @ v["Wxgr"].T - v["BGR"])
        rec = hprev @ v["Whr"].T - v["Bhr"]
        inp = xt @ v["Wxr"].T - v["Bxr"]
        R = anp.tanh(GR * rec + (1 - GR) * inp)
        Gh = sigma(hprev @ v["Whgh"].T + xt @ v["Wxgh"].T - v["BGh"])
        h = Gh * hprev + (1 - Gh) * R
        for k, val in zip(names, (GR, R, Gh, h)):
            out[k].append(val)
        hprev = h
    return {k: _stack_time(val) for k, val in out.items()}


def _conv_bxyi(L0, W):
    """out[b,x,y,j] = sum_{dx,dy,i} W[dx,dy,i,j] L0[b,x+dx,y+dy,i], zero beyond the border."""
    B, X, Y, I = L0.shape
    D1, D2 = W.shape[0], W.shape[1]
    Lp = anp.pad(L0, ((0, 0), (0, D1), (0, D2), (0, 0)), mode="constant")
    out = 0.0
    for dx in range(D1):
        for dy in range(D2):
            out = out + anp.einsum("bxyi,ij->bxyj", Lp[:, dx:dx + X, dy:dy + Y, :], W[dx, dy])
    return out


def _ugcnn(v, eps=None):
    L0 = v["L0"]
    Rt = _conv_bxyi(L0, v["WR"]) + _eps(eps, "Rt")
    R = anp.tanh(Rt - v["BR"]) + _eps(eps, "R")
    Gt = _conv_bxyi(L0, v["WG"]) + _eps(eps, "Gt")
    G = sigma(Gt - v["BG"]) + _eps(eps, "G")
    L1 = G * L0 + (1 - G) * R + _eps(eps, "L1")
    return {"Rt": Rt, "R": R, "Gt": Gt, "G": G, "L1": L1}


def _lenet_conv(v, sizes_mn, eps=None):
    """Statements 1-3: Yt = conv(X0, W) + b (valid conv, zero beyond the border), Y = tanh(Yt)."""
    X0, W, b = v["X0"], v["W"], v["b"]
    M, N = sizes_mn
    F, G = W.shape[0], W.shape[1]
    Xp = _pad_to(X0, (M + F, N + G))
    Yt = 0.0
    for dx in range(F):
        for dy in range(G):
            Yt = Yt + anp.einsum("mnp,pd->mnd", Xp[dx:dx + M, dy:dy + N, :], W[dx, dy])
    Yt = Yt + b + _eps(eps, "Yt")
    Y = anp.tanh(Yt) + _eps(eps, "Y")
    return {"Yt": Yt, "Y": Y}


def _lenet_pool(v, sizes_rc, eps=None):
    """Statements 4-5: weighted 2x2 mean pool, then sigma; Y read as zero beyond its border."""
    Y, w, a = v["Y"], v["w"], v["a"]
    R, C = sizes_rc
    Yp = _pad_to(Y, (2 * R, 2 * C))
    pooled = (Yp[0::2, 0::2] + Yp[1::2, 0::2] + Yp[0::2, 1::2] + Yp[1::2, 1::2]) / 4
    Xt = w * pooled + a + _eps(eps, "Xt")
    X1 = sigma(Xt) + _eps(eps, "X1")
    return {"Xt": Xt, "X1": X1}


def _loss_heads(v, eps=None):
    x, W, Bh, Wy, By, y = v["x"], v["W"], v["Bh"], v["Wy"], v["By"], v["y"]
    L = W.shape[0] - 1
    hs = [x]
    hts = [anp.zeros_like(x)]                    # ht[0] is never written
    for k in range(1, L + 1):
        ht = sigma(W[k] @ hs[-1] - Bh[k]) + _eps(eps, "ht", k)
        h = ht + hs[-1] + _eps(eps, "h", k)
        hts.append(ht)
        hs.append(h)
    yhat = anp.sum(Wy * hs[-1]) - By + _eps(eps, "yhat")
    Loss = (y - yhat) ** 2
    return {"h": anp.stack(hs), "ht": anp.stack(hts), "yhat": yhat, "Loss": Loss}


def _mlp_ce_l2(v, eps=None):
    a1 = v["W1"] @ v["x"] + v["b1"] + _eps(eps, "a1")
    z = sigma(a1) + _eps(eps, "z")
    a2 = v["W2"] @ z + v["b2"] + _eps(eps, "a2")
    Z = anp.sum(anp.exp(a2)) + _eps(eps, "Z")
    yhat = anp.exp(a2) / Z + _eps(eps, "yhat")
    lam = v["lam"]
    Loss = -anp.sum(v["y"] * anp.log(yhat)) + lam / 2 * (anp.sum(v["W1"] ** 2) + anp.sum(v["W2"] ** 2))
    return {"a1": a1, "z": z, "a2": a2, "Z": Z, "yhat": yhat, "Loss": Loss}


def _mlp_two_layer(v, eps=None, kind="regression"):
    z1 = v["W1"] @ v["x"] + v["b1"] + _eps(eps, "z1")
    z2 = (relu(z1) if kind == "regression" else sigma(z1)) + _eps(eps, "z2")
    z3 = v["W2"] @ z2 + v["b2"] + _eps(eps, "z3")
    yhat = (z3 if kind == "regression" else sigma(z3)) + _eps(eps, "yhat")
    y = v["y"]
    if kind == "regression":
        Loss = anp.sum((yhat - y) ** 2)
    else:
        K = y.shape[0]
        Loss = -anp.sum(y * anp.log(yhat) + (1 - y) * anp.log(1 - yhat)) / K
    return {"z1": z1, "z2": z2, "z3": z3, "yhat": yhat, "Loss": Loss}


def _mlp_numeric(v, eps=None):
    z = v["W"] @ v["x"] + _eps(eps, "z")
    h = relu(z) + _eps(eps, "h")
    y = anp.sum(v["v"] * h) + _eps(eps, "y")
    C = (y - v["t"]) ** 2 / 2
    return {"z": z, "h": h, "y": y, "C": C}


def _vanilla_rnn(v, eps=None):
    x, y, U, W, b, V = v["x"], v["y"], v["U"], v["W"], v["b"], v["V"]
    T = x.shape[0]
    M = b.shape[0]
    hprev = anp.zeros(M)
    zs, hs, ys = [], [], []
    for t in range(T):
        z = U @ hprev + W @ x[t] + b + _eps(eps, "z", t)
        h = anp.tanh(z) + _eps(eps, "h", t)
        yh = V @ h + _eps(eps, "yhat", t)
        zs.append(z)
        hs.append(h)
        ys.append(yh)
        hprev = h
    yhat = anp.stack(ys)
    Loss = anp.sum((yhat - y) ** 2) / 2
    return {"z": anp.stack(zs), "h": anp.stack(hs), "yhat": yhat, "Loss": Loss}


def _rnn_unroll(v, eps=None):
    x = v["x"]
    B, T, K = x.shape
    J = v["Bh"].shape[0]
    hprev = anp.zeros((B, J))
    hs = []
    for t in range(T):
        hprev = anp.tanh(hprev @ v["Whh"].T + x[:, t, :] @ v["Wxh"].T - v["Bh"])
        hs.append(hprev)
    return {"h": _stack_time(hs)}


def _rnn_lm_cost(v, eps=None):
    Y, e = v["Y"], v["e"]
    T = Y.shape[0]
    N = e.shape[1]
    hprev = anp.zeros(N)
    ss, xs, hs = [], [], []
    for t in range(T):
        s = e @ hprev
        xt = Y[t] @ e
        hprev = anp.tanh(v["Whh"] @ hprev + v["Wxh"] @ xt - v["Bh"])
        ss.append(s)
        xs.append(xt)
        hs.append(hprev)
    s = anp.stack(ss)
    Z = anp.sum(anp.exp(s), axis=1)
    Loss = -anp.sum(Y * s) + anp.sum(anp.log(Z))
    return {"s": s, "x": anp.stack(xs), "h": anp.stack(hs), "Z": Z, "Loss": Loss}


def _resnet_variance(v, eps=None):
    R = _conv_bxyi(v["L0"], v["W"]) - v["Bias"]
    return {"R": R, "L1": v["L0"] + R}


def _he_init(v, eps=None):
    h = relu(v["z0"])
    return {"h": h, "z1": v["W"] @ h + v["Bias"]}


def _glorot_init(v, eps=None):
    return {"y": v["W"] @ v["x"]}


def _init_variance(v, eps=None):
    y = anp.sum(v["W"] * v["x"])
    return {"y": y, "u": sigma(y - v["B"])}


def forward(problem: str, values: dict, eps: dict | None = None) -> dict:
    """Every tensor the full program of `problem` computes from its inputs and parameters."""
    if problem == "softmax":
        return _softmax(values, eps)
    if problem == "batchnorm":
        return _batchnorm(values, eps)
    if problem == "relu_unit":
        return _relu_unit(values, eps)
    if problem == "ugrnn":
        return _ugrnn(values, eps)
    if problem == "gru":
        return _gru(values, eps)
    if problem == "two_gate_rnn":
        return _two_gate_rnn(values, eps)
    if problem == "ugcnn":
        return _ugcnn(values, eps)
    if problem == "lenet5":
        X0, W = values["X0"], values["W"]
        M = X0.shape[0] - W.shape[0] + 1
        N = X0.shape[1] - W.shape[1] + 1
        if "_sizes" in values:                 # explicit sizes (M, N, R, C) when given
            M, N = values["_sizes"]["M"], values["_sizes"]["N"]
        out = _lenet_conv(values, (M, N), eps)
        R, C = M // 2, N // 2
        if "_sizes" in values:
            R, C = values["_sizes"]["R"], values["_sizes"]["C"]
        out.update(_lenet_pool(dict(values, Y=out["Y"]), (R, C), eps))
        return out
    if problem == "loss_heads":
        return _loss_heads(values, eps)
    if problem == "mlp_ce_l2":
        return _mlp_ce_l2(values, eps)
    if problem == "mlp_regression":
        return _mlp_two_layer(values, eps, "regression")
    if problem == "mlp_classification":
        return _mlp_two_layer(values, eps, "classification")
    if problem == "mlp_numeric":
        return _mlp_numeric(values, eps)
    if problem == "vanilla_rnn_bptt":
        return _vanilla_rnn(values, eps)
    if problem == "rnn_unroll":
        return _rnn_unroll(values, eps)
    if problem == "rnn_lm_cost":
        return _rnn_lm_cost(values, eps)
    if problem == "resnet_variance":
        return _resnet_variance(values, eps)
    if problem == "he_init":
        return _he_init(values, eps)
    if problem == "glorot_init":
        return _glorot_init(values, eps)
    if problem == "init_variance":
        return _init_variance(values, eps)
    raise KeyError(problem)


# ---------------------------------------------------------------------------
# the vector-Jacobian product
# ---------------------------------------------------------------------------

def _vjp(sub_forward, values, upstream, wrt_values=(), wrt_nodes=()):
    """Gradient of sum_F <upstream[F.grad], F> over the outputs of `sub_forward`,
    with respect to the given values and to perturbations of the given computed
    tensors (node gradients)."""
    values = {k: (val if k.startswith("_") else anp.asarray(val, dtype=float))
              for k, val in values.items()}
    base = sub_forward(values, None)
    zeros = {n: np.zeros(np.shape(base[n])) for n in wrt_nodes}

    def objective(args):
        vals = dict(values)
        for k in wrt_values:
            vals[k] = args["v:" + k]
        eps = {n: args["e:" + n] for n in wrt_nodes}
        out = sub_forward(vals, eps)
        total = 0.0
        for gname, g in upstream.items():
            total = total + anp.sum(anp.asarray(g, dtype=float) * out[gname[:-len(".grad")]])
        return total

    args = {"v:" + k: values[k] for k in wrt_values}
    args.update({"e:" + n: zeros[n] for n in wrt_nodes})
    g = grad(objective)(args)
    out = {}
    for k in wrt_values:
        out[k + ".grad"] = np.asarray(g["v:" + k], dtype=float)
    for n in wrt_nodes:
        out[n + ".grad"] = np.asarray(g["e:" + n], dtype=float)
    return out


@dataclass
class Reference:
    """One part: the names in `values`, the gradients it returns, and how."""
    inputs: tuple            # names of the tensors (and scalar symbols) in `values`
    wanted: tuple            # gradients returned by fn, e.g. ("s.grad",)
    fn: Callable             # fn(values, upstream) -> {"s.grad": array, ...}
    upstream: tuple = ()     # the given gradients, e.g. ("p.grad",)
    problem: str = ""
    part: str = ""
    loss_upstream: bool = False   # `from` is the final scalar loss (dL/dL = 1)
    note: str = ""
    sub_forward: Callable | None = None   # the hand-written (sub-)program fn differentiates
    wrt_values: tuple = ()        # wanted gradients of tensors in `values`
    wrt_nodes: tuple = ()         # wanted gradients of tensors the sub-program computes
    averaged: tuple = ()          # parameters whose gradient is divided by B (average_over: b)


def _part(problem, part, sub_forward, inputs, upstream, wanted_values=(), wanted_nodes=(),
          loss_upstream=False, post=None, note="", averaged=()):
    def fn(values, upstream_grads):
        vals = {k: values[k] for k in inputs}
        ups = {k: upstream_grads[k] for k in upstream}
        out = _vjp(sub_forward, vals, ups, wanted_values, wanted_nodes)
        if post is not None:
            out = post(values, out)
        return out
    wanted = tuple(n + ".grad" for n in tuple(wanted_values) + tuple(wanted_nodes))
    return Reference(tuple(inputs), wanted, fn, tuple(upstream), problem, part, loss_upstream, note,
                     sub_forward, tuple(wanted_values), tuple(wanted_nodes), tuple(averaged))


def _full(problem):
    return lambda v, eps=None: forward(problem, v, eps)


def _average_params_over_b(params):
    def post(values, out):
        B = values["x"].shape[0]
        for p in params:
            out[p + ".grad"] = out[p + ".grad"] / B
        return out
    return post


UGRNN_PARAMS = ("Whr", "Wxr", "BR", "Whg", "Wxg", "BG")
GRU_PARAMS = ("Whg1", "Wxg1", "BG1", "Whg2", "Wxg2", "BG2", "Whr", "Wxr", "BR")
TWO_GATE_PARAMS = ("Whgr", "Wxgr", "BGR", "Whr", "Bhr", "Wxr", "Bxr", "Whgh", "Wxgh", "BGh")
LOSS_HEADS_PARAMS = ("W", "Bh", "Wy", "By")


def _lenet_a(v, eps=None):
    R, C = (int(n) for n in v["_RC"])
    return _lenet_pool(v, (R, C), eps)


def _lenet_b(v, eps=None):
    M, N = (int(n) for n in v["_MN"])
    return _lenet_conv(v, (M, N), eps)


REFERENCES: dict[str, Reference] = {
    "softmax:a": _part("softmax", "a",
                       lambda v, eps=None: {"p": anp.exp(v["s"]) / v["Z"][:, None]},
                       ("s", "Z"), ("p.grad",), wanted_values=("s",),
                       note="through statement 2 only: Z held fixed"),
    "softmax:b": _part("softmax", "b",
                       lambda v, eps=None: {"p": anp.exp(v["s"]) / v["Z"][:, None]},
                       ("s", "Z"), ("p.grad",), wanted_values=("Z",),
                       note="through statement 2 only: s held fixed"),
    "softmax:c": _part("softmax", "c",
                       lambda v, eps=None: {"Z": anp.sum(anp.exp(v["s"]), axis=1)},
                       ("s",), ("Z.grad",), wanted_values=("s",)),
    "softmax:full": _part("softmax", "full", _full("softmax"), ("s",), ("p.grad",),
                          wanted_values=("s",)),
    "batchnorm:a": _part("batchnorm", "a", _full("batchnorm"), ("x",), ("xp.grad",),
                         wanted_values=("x",), wanted_nodes=("mu", "s"),
                         note="mu.grad includes the path through s; s.grad only the path to xp"),
    "relu_unit:a": _part("relu_unit", "a", _full("relu_unit"), ("w", "x"), ("y.grad",),
                         wanted_values=("w",)),
    "ugrnn:b": _part("ugrnn", "b", _ugrnn_stmt1, ("Whr", "Wxr", "BR", "h", "x"), ("Rt.grad",),
                     wanted_values=("Whr", "Wxr", "BR", "h", "x"),
                     post=_average_params_over_b(("Whr", "Wxr", "BR")),
                     averaged=("Whr", "Wxr", "BR"),
                     note="through statement 1 only; parameter gradients averaged over b"),
    "gru:a": _part("gru", "a", _full("gru"), ("x",) + GRU_PARAMS, ("h.grad",),
                   wanted_values=GRU_PARAMS),
    "two_gate_rnn:a": _part("two_gate_rnn", "a", _full("two_gate_rnn"), ("x",) + TWO_GATE_PARAMS,
                            ("h.grad",), wanted_values=TWO_GATE_PARAMS),
    "ugcnn:a": _part("ugcnn", "a", _full("ugcnn"), ("L0", "WR", "BR", "WG", "BG"), ("L1.grad",),
                     wanted_values=("WR", "BR", "WG", "BG", "L0")),
    "lenet5:a": _part("lenet5", "a", _lenet_a, ("Y", "w", "a", "_RC"), ("X1.grad",),
                      wanted_values=("w", "a", "Y"),
                      note="through statements 4 and 5; values['_RC'] = (R, C)"),
    "lenet5:b": _part("lenet5", "b", _lenet_b, ("X0", "W", "b", "_MN"), ("Y.grad",),
                      wanted_values=("W", "b", "X0"),
                      note="through statements 1-3; values['_MN'] = (M, N)"),
    "loss_heads:c": _part("loss_heads", "c", _full("loss_heads"), ("x", "y") + LOSS_HEADS_PARAMS,
                          ("Loss.grad",), wanted_values=LOSS_HEADS_PARAMS, loss_upstream=True),
    "mlp_ce_l2:grad": _part("mlp_ce_l2", "grad", _full("mlp_ce_l2"),
                            ("x", "y", "W1", "b1", "W2", "b2", "lam"), ("Loss.grad",),
                            wanted_values=("W1", "b1", "W2", "b2"), loss_upstream=True),
    "mlp_classification:b": _part("mlp_classification", "b", _full("mlp_classification"),
                                  ("x", "y", "W1", "b1", "W2", "b2"), ("Loss.grad",),
                                  wanted_values=("W1", "b1", "W2", "b2"), loss_upstream=True),
    "mlp_classification:c": _part("mlp_classification", "c", _full("mlp_classification"),
                                  ("x", "y", "W1", "b1", "W2", "b2"), ("z2.grad",),
                                  wanted_nodes=("z1",)),
    "mlp_classification:d": _part("mlp_classification", "d", _full("mlp_classification"),
                                  ("x", "y", "W1", "b1", "W2", "b2"), ("yhat.grad",),
                                  wanted_nodes=("z3",)),
    "mlp_classification:e": _part("mlp_classification", "e", _full("mlp_classification"),
                                  ("x", "y", "W1", "b1", "W2", "b2"), ("Loss.grad",),
                                  wanted_nodes=("yhat",), loss_upstream=True),
    "mlp_regression:b": _part("mlp_regression", "b", _full("mlp_regression"),
                              ("x", "y", "W1", "b1", "W2", "b2"), ("Loss.grad",),
                              wanted_values=("W1", "b1", "W2", "b2"), loss_upstream=True),
    "mlp_regression:c": _part("mlp_regression", "c", _full("mlp_regression"),
                              ("x", "y", "W1", "b1", "W2", "b2"), ("z2.grad",),
                              wanted_nodes=("z1",)),
    "mlp_regression:d": _part("mlp_regression", "d", _full("mlp_regression"),
                              ("x", "y", "W1", "b1", "W2", "b2"), ("yhat.grad",),
                              wanted_nodes=("z3",)),
    "mlp_regression:e": _part("mlp_regression", "e", _full("mlp_regression"),
                              ("x", "y", "W1", "b1", "W2", "b2"), ("Loss.grad",),
                              wanted_nodes=("yhat",), loss_upstream=True),
    "mlp_numeric:vectorized": _part("mlp_numeric", "vectorized", _full("mlp_numeric"),
                                    ("x", "t", "W", "v"), ("C.grad",),
                                    wanted_values=("v", "W"), wanted_nodes=("h", "z"),
                                    loss_upstream=True),
    "vanilla_rnn_bptt:a": _part("vanilla_rnn_bptt", "a", _full("vanilla_rnn_bptt"),
                                ("x", "y", "U", "W", "b", "V"), ("Loss.grad",),
                                wanted_nodes=("z",), loss_upstream=True),
    "vanilla_rnn_bptt:b": _part("vanilla_rnn_bptt", "b", _full("vanilla_rnn_bptt"),
                                ("x", "y", "U", "W", "b", "V"), ("Loss.grad",),
                                wanted_values=("U", "W", "b"), loss_upstream=True),
}


# ---------------------------------------------------------------------------
# random inputs for a part, consistent with the forward pass
# ---------------------------------------------------------------------------

SYMBOL_VALUES = {"lam": 0.37, "eta": 0.05}


def random_inputs(problem: str, sizes: dict, rng: np.random.Generator) -> dict:
    """Random inputs and parameters (every non-computed tensor) of the full program."""
    sp_ = spec(problem)
    program_text = sp_["program"]
    out = {}
    for name, info in sp_["tensors"].items():
        role = info.get("role")
        written = _is_written(program_text, name)
        if role in ("input", "parameter") or (role is None and not written):
            shp = shape_of(problem, name, sizes)
            if info.get("domain") == "onehot":
                a = np.zeros(shp)
                a[rng.integers(shp[0])] = 1.0
            elif problem == "mlp_classification" and name == "y":
                a = rng.uniform(0.05, 0.95, size=shp)
            else:
                a = rng.normal(size=shp)
            out[name] = a
    for sym in sp_.get("symbols", {}) or {}:
        if sym in SYMBOL_VALUES:
            out[sym] = np.asarray(SYMBOL_VALUES[sym])
    if problem == "lenet5":
        out["_sizes"] = dict(sizes)
    return out


def _is_written(program: str, name: str) -> bool:
    """True if some statement of the program has `name` as its target."""
    import re
    for line in program.splitlines():
        line = line.split("#")[0].strip()
        if not line or re.fullmatch(r"for [^:]*:", line):
            continue                                   # a block header
        m = re.match(r"(for [^:]*:\s*)?([A-Za-z_][A-Za-z0-9_]*)\s*(\[|\+=|-=|=)", line)
        if m and m.group(2) == name:
            return True
    return False


def part_values(problem: str, part: str, sizes: dict, rng: np.random.Generator):
    """(values for fn, every forward tensor, upstream) at the given sizes."""
    ref = REFERENCES[f"{problem}:{part}"]
    inputs = random_inputs(problem, sizes, rng)
    fwd = {k: np.asarray(v, dtype=float) for k, v in forward(problem, inputs).items()}
    allv = dict(inputs)
    allv.update(fwd)
    if problem == "lenet5":
        allv["_RC"] = (sizes["R"], sizes["C"])
        allv["_MN"] = (sizes["M"], sizes["N"])
    values = {k: allv[k] for k in ref.inputs}
    upstream = {}
    for g in ref.upstream:
        base = g[:-len(".grad")]
        shp = np.shape(allv[base])
        upstream[g] = np.ones(shp) if ref.loss_upstream else rng.normal(size=shp)
    return values, allv, upstream
