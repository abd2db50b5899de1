"""Independent reference answers for the instructor specs in this folder.

Written by hand from the problem statements, without derive: a NumPy forward
pass per problem, gradients by the complex step (smooth programs) or central
differences (programs with kinks), Monte Carlo for the moments, and op
counting for the costs.  Nothing here imports derive.

Conventions
-----------
* ``FORWARD[id](a)`` takes a dict ``a`` of NumPy arrays and scalar symbols
  (named as in the spec) and returns a dict of the computed tensors the
  problem's backprop part starts from.
* ``BACKPROP[id]`` describes the problem's first backprop/gradient part:
  the sizes, how to draw the inputs, which outputs carry a given gradient
  (``from``) and which gradients are wanted (``to``), and whether the
  program has kinks (then central differences are used).
* ``reference_grads(id, a, seeds)`` returns ``{name: d(sum seeds*outputs)/d name}``.
"""

from __future__ import annotations

import math

import numpy as np

# ----------------------------------------------------------------------------
# generic helpers


def _erf(x):
    return np.vectorize(math.erf)(x)


def normal_cdf(x):
    return 0.5 * (1.0 + _erf(np.asarray(x, dtype=float) / math.sqrt(2.0)))


def normal_pdf(x):
    x = np.asarray(x, dtype=float)
    return np.exp(-x * x / 2) / math.sqrt(2 * math.pi)


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def _objective(fid, a, seeds):
    out = FORWARD[fid](a)
    return sum(np.sum(np.asarray(seeds[k]) * out[k]) for k in seeds)


def reference_grads(fid, a, seeds, wrt=None, kinks=None):
    """Gradients of sum_k seeds[k] * out[k] with respect to the names in wrt."""
    spec = BACKPROP[fid]
    wrt = wrt or spec["to"]
    kinks = spec["kinks"] if kinks is None else kinks
    grads = {}
    for name in wrt:
        base = np.array(a[name], dtype=float)
        g = np.zeros_like(base)
        flat = g.reshape(-1)
        for idx in range(base.size):
            if kinks:
                h = 1e-6 * max(1.0, abs(base.reshape(-1)[idx]))
                plus = base.copy().reshape(-1)
                minus = base.copy().reshape(-1)
                plus[idx] += h
                minus[idx] -= h
                b1 = dict(a, **{name: plus.reshape(base.shape)})
                b2 = dict(a, **{name: minus.reshape(base.shape)})
                flat[idx] = (_objective(fid, b1, seeds) - _objective(fid, b2, seeds)) / (2 * h)
            else:
                h = 1e-30
                pert = base.astype(complex).reshape(-1)
                pert[idx] += 1j * h
                b1 = dict(a, **{name: pert.reshape(base.shape)})
                flat[idx] = np.imag(_objective(fid, b1, seeds)) / h
        grads[name] = g
    return grads


def draw(shape, rng, domain="real"):
    if domain == "real":
        return rng.standard_normal(shape)
    if domain == "positive":
        return np.abs(rng.standard_normal(shape)) + 0.1
    if domain == "onehot":
        shape = tuple(shape)
        out = np.zeros(shape)
        flat = out.reshape(-1, shape[-1])
        for row in flat:
            row[rng.integers(shape[-1])] = 1.0
        return out
    raise ValueError(domain)


# ----------------------------------------------------------------------------
# forward programs, written from the statements


def fwd_maxpool_window(a):
    x = a["x"]
    B, U, V = x.shape
    R, C = a["R"], a["C"]
    xp = np.zeros((B, max(U, 2 * R), max(V, 2 * C)), dtype=x.dtype)
    xp[:, :U, :V] = x  # reads out of range are zero (as the notation says)
    win = xp[:, : 2 * R, : 2 * C].reshape(B, R, 2, C, 2)
    return {"y": win.max(axis=(2, 4))}


def fwd_maxpool_index(a):
    m = a["h"].max(axis=1)
    return {"m": m, "s": m @ a["w"]}


def fwd_dropout(a):
    return {"y": a["m"] * a["x"] / a["q"]}


def fwd_softplus_mlp(a):
    z = a["W"] @ a["x"] + a["b"]
    h = np.log1p(np.exp(z))
    return {"y": a["v"] @ h}


def fwd_leaky_relu(a):
    z = a["W"] @ a["x"]
    return {"h": np.where(z > 0, z, a["alpha"] * z)}


def fwd_gelu(a):
    z = a["z"]
    return {"h": z * normal_cdf(z)}


def fwd_elu(a):
    z = a["W"] @ a["x"] + a["b"]
    h = np.where(z > 0, z, a["alpha"] * (np.exp(np.minimum(z, 0)) - 1))
    return {"y": a["u"] @ h}


def fwd_l1_loss(a):
    yhat = a["W"] @ a["x"] + a["b"]
    return {"Loss": np.sum(np.abs(yhat - a["y"]))}


def fwd_huber_loss(a):
    r = a["W"] @ a["x"] - a["y"]
    d = a["delta"]
    ar = np.abs(r)
    return {"Loss": np.sum(np.where(ar <= d, r * r / 2, d * (ar - d / 2))), "r": r}


def fwd_hinge_loss(a):
    s = a["W"] @ a["x"]
    y = a["y"]
    sy = y @ s
    return {"Loss": np.sum((1 - y) * np.maximum(0, s - sy + 1)), "s": s}


def fwd_dilated_conv1d(a):
    x, W, bias = a["x"], a["W"], a["bias"]
    B, N, C = x.shape
    K, _, O = W.shape
    xp = np.zeros((B, N + 4, C), dtype=np.result_type(x, W))
    xp[:, 2 : N + 2] = x  # zero padding 2 on both sides
    y = np.zeros((B, N, O), dtype=xp.dtype) + bias
    for k in range(K):
        # input position n + 2k - 2  ->  padded position n + 2k
        y = y + np.einsum("bnc,co->bno", xp[:, 2 * k : 2 * k + N], W[k])
    return {"z": np.maximum(y, 0), "y": y}


def fwd_embedding(a):
    x = a["Y"] @ a["E"]
    avg = x.mean(axis=0)
    return {"s": a["u"] @ avg}


def fwd_tied_autoencoder(a):
    W = a["W"]
    h = sigmoid(W @ a["x"] + a["b"])
    xr = W.T @ h + a["c"]
    return {"Loss": np.sum((xr - a["x"]) ** 2) / 2}


def fwd_batchnorm_affine(a):
    x = a["x"]
    mu = x.mean(axis=0)
    var = ((x - mu) ** 2).mean(axis=0)
    xhat = (x - mu) / np.sqrt(var + a["eps"])
    return {"y": a["gamma"] * xhat + a["beta"]}


def fwd_label_smoothing(a):
    s, y = a["s"], a["y"]
    C = s.shape[1]
    e = np.exp(s)
    p = e / e.sum(axis=1, keepdims=True)
    target = (1 - a["eps"]) * y + a["eps"] / C
    return {"Loss": -np.sum(target * np.log(p))}


def fwd_lstm(a):
    x = a["x"]
    B, T, K = x.shape
    J = a["bi"].shape[0]
    dt = np.result_type(*[a[k] for k in a if isinstance(a[k], np.ndarray)])
    h = np.zeros((B, J), dtype=dt)
    c = np.zeros((B, J), dtype=dt)
    hs = []
    for t in range(T):
        xt = x[:, t]
        gi = sigmoid(xt @ a["Wi"].T + h @ a["Ui"].T + a["bi"])
        gf = sigmoid(xt @ a["Wf"].T + h @ a["Uf"].T + a["bf"])
        go = sigmoid(xt @ a["Wo"].T + h @ a["Uo"].T + a["bo"])
        gc = np.tanh(xt @ a["Wc"].T + h @ a["Uc"].T + a["bc"])
        c = gf * c + gi * gc
        h = go * np.tanh(c)
        hs.append(h)
    return {"h": np.stack(hs, axis=1)}


def fwd_concat_sizes(a):
    c = np.concatenate([a["hf"], a["hb"], a["f"]])
    return {"y": np.tanh(a["W"] @ c)}


def fwd_gaussian_nll(a):
    x, mu, s2, aa = a["x"], a["mu"], a["s2"], a["a"]
    loss = np.sum(np.log(2 * np.pi * s2) / 2 + (x - mu) ** 2 / (2 * s2))
    loss = loss + np.sum(np.log(1 + np.exp(-aa * mu)))
    return {"Loss": loss}


def fwd_attention(a):
    x = a["x"]
    D = x.shape[1]
    Q, K, V = x @ a["Wq"].T, x @ a["Wk"].T, x @ a["Wv"].T
    A = Q @ K.T / np.sqrt(D)
    e = np.exp(A)
    P = e / e.sum(axis=1, keepdims=True)
    return {"out": P @ V}


FORWARD = {
    "maxpool_window": fwd_maxpool_window,
    "maxpool_index": fwd_maxpool_index,
    "dropout": fwd_dropout,
    "softplus_mlp": fwd_softplus_mlp,
    "leaky_relu": fwd_leaky_relu,
    "gelu": fwd_gelu,
    "elu": fwd_elu,
    "l1_loss": fwd_l1_loss,
    "huber_loss": fwd_huber_loss,
    "hinge_loss": fwd_hinge_loss,
    "dilated_conv1d": fwd_dilated_conv1d,
    "embedding": fwd_embedding,
    "tied_autoencoder": fwd_tied_autoencoder,
    "batchnorm_affine": fwd_batchnorm_affine,
    "label_smoothing": fwd_label_smoothing,
    "lstm": fwd_lstm,
    "concat_sizes": fwd_concat_sizes,
    "gaussian_nll": fwd_gaussian_nll,
    "attention_cost": fwd_attention,
}


# ----------------------------------------------------------------------------
# the backprop parts: shapes of the inputs, symbols, from/to


def _t(shape, domain="real"):
    return (tuple(shape), domain)


BACKPROP = {
    "maxpool_window": dict(
        sizes=dict(B=2, U=4, V=6, R=2, C=3),
        tensors=lambda s: {"x": _t((s["B"], s["U"], s["V"]))},
        symbols={}, from_=["y"], to=["x"], kinks=True),
    "maxpool_index": dict(
        sizes=dict(B=2, S=5, J=3),
        tensors=lambda s: {"h": _t((s["B"], s["S"], s["J"])), "w": _t((s["J"],))},
        symbols={}, from_=["s"], to=["w", "h"], kinks=True),
    "dropout": dict(
        sizes=dict(B=3, J=4),
        tensors=lambda s: {"x": _t((s["B"], s["J"])), "m": _t((s["B"], s["J"]))},
        symbols={"q": 0.35}, from_=["y"], to=["x"], kinks=False),
    "softplus_mlp": dict(
        sizes=dict(N=3, H=4),
        tensors=lambda s: {"x": _t((s["N"],)), "W": _t((s["H"], s["N"])),
                           "b": _t((s["H"],)), "v": _t((s["H"],))},
        symbols={}, from_=["y"], to=["W", "b", "v", "x"], kinks=False),
    "leaky_relu": dict(
        sizes=dict(N=3, M=4),
        tensors=lambda s: {"x": _t((s["N"],)), "W": _t((s["M"], s["N"]))},
        symbols={"alpha": 0.2}, from_=["h"], to=["W", "x"], kinks=True),
    "gelu": dict(
        sizes=dict(J=5),
        tensors=lambda s: {"z": _t((s["J"],))},
        symbols={}, from_=["h"], to=["z"], kinks=True),
    "elu": dict(
        sizes=dict(N=3, M=4),
        tensors=lambda s: {"x": _t((s["N"],)), "W": _t((s["M"], s["N"])),
                           "b": _t((s["M"],)), "u": _t((s["M"],))},
        symbols={"alpha": 1.3}, from_=["y"], to=["W", "b", "u"], kinks=True),
    "l1_loss": dict(
        sizes=dict(N=3, K=2),
        tensors=lambda s: {"x": _t((s["N"],)), "y": _t((s["K"],)),
                           "W": _t((s["K"], s["N"])), "b": _t((s["K"],))},
        symbols={}, from_=["Loss"], to=["W", "b"], kinks=True),
    "huber_loss": dict(
        sizes=dict(N=3, K=4),
        tensors=lambda s: {"x": _t((s["N"],)), "y": _t((s["K"],)), "W": _t((s["K"], s["N"]))},
        symbols={"delta": 0.8}, from_=["Loss"], to=["W"], kinks=True),
    "hinge_loss": dict(
        sizes=dict(N=3, C=4),
        tensors=lambda s: {"x": _t((s["N"],)), "y": _t((s["C"],), "onehot"),
                           "W": _t((s["C"], s["N"]))},
        symbols={}, from_=["Loss"], to=["W"], kinks=True),
    "dilated_conv1d": dict(
        sizes=dict(B=2, N=7, C=2, O=3),
        tensors=lambda s: {"x": _t((s["B"], s["N"], s["C"])), "W": _t((3, s["C"], s["O"])),
                           "bias": _t((s["O"],))},
        symbols={}, from_=["z"], to=["W", "bias", "x"], kinks=True),
    "embedding": dict(
        sizes=dict(T=4, V=6, D=3),
        tensors=lambda s: {"Y": _t((s["T"], s["V"]), "onehot"), "E": _t((s["V"], s["D"])),
                           "u": _t((s["D"],))},
        symbols={}, from_=["s"], to=["E", "u"], kinks=False),
    "tied_autoencoder": dict(
        sizes=dict(N=4, H=3),
        tensors=lambda s: {"x": _t((s["N"],)), "W": _t((s["H"], s["N"])),
                           "b": _t((s["H"],)), "c": _t((s["N"],))},
        symbols={}, from_=["Loss"], to=["W", "b", "c"], kinks=False),
    "batchnorm_affine": dict(
        sizes=dict(B=4, J=3),
        tensors=lambda s: {"x": _t((s["B"], s["J"])), "gamma": _t((s["J"],)),
                           "beta": _t((s["J"],))},
        symbols={"eps": 0.01}, from_=["y"], to=["x", "gamma", "beta"], kinks=False),
    "label_smoothing": dict(
        sizes=dict(B=2, C=4),
        tensors=lambda s: {"s": _t((s["B"], s["C"])), "y": _t((s["B"], s["C"]), "onehot")},
        symbols={"eps": 0.1}, from_=["Loss"], to=["s"], kinks=False),
    "lstm": dict(
        sizes=dict(B=2, T=3, J=3, K=2),
        tensors=lambda s: dict(
            {"x": _t((s["B"], s["T"], s["K"]))},
            **{f"W{g}": _t((s["J"], s["K"])) for g in "ifoc"},
            **{f"U{g}": _t((s["J"], s["J"])) for g in "ifoc"},
            **{f"b{g}": _t((s["J"],)) for g in "ifoc"}),
        symbols={}, from_=["h"],
        to=[f"{p}{g}" for g in "ifoc" for p in "WUb"], kinks=False),
    "concat_sizes": dict(
        sizes=dict(X=3, D=2, O=2, U=8),
        tensors=lambda s: {"hf": _t((s["X"],)), "hb": _t((s["X"],)), "f": _t((s["D"],)),
                           "W": _t((s["O"], 2 * s["X"] + s["D"]))},
        symbols={}, from_=["y"], to=["W", "hf", "hb", "f"], kinks=False),
    "gaussian_nll": dict(
        sizes=dict(N=3),
        tensors=lambda s: {"x": _t((s["N"],)), "mu": _t((s["N"],)),
                           "s2": _t((s["N"],), "positive"), "a": _t((s["N"],))},
        symbols={"pi": math.pi}, from_=["Loss"], to=["mu", "s2"], kinks=False),
}


def draw_problem(fid, seed=0):
    """Inputs (and symbols) of problem fid, and random upstream gradients."""
    spec = BACKPROP[fid]
    rng = np.random.default_rng(seed)
    sizes = spec["sizes"]
    a = {name: draw(shape, rng, dom) for name, (shape, dom) in spec["tensors"](sizes).items()}
    a.update(spec["symbols"])
    a.update({k: v for k, v in sizes.items() if k in ("R", "C") and fid == "maxpool_window"})
    out = FORWARD[fid](a)
    seeds = {k: rng.standard_normal(np.shape(out[k])) for k in spec["from_"]}
    return a, seeds


# ----------------------------------------------------------------------------
# closed forms of gradients written by hand (a second, analytic reference)


def analytic_label_smoothing(a, Loss_grad=1.0):
    s, y = a["s"], a["y"]
    C = s.shape[1]
    e = np.exp(s)
    p = e / e.sum(axis=1, keepdims=True)
    return {"s": Loss_grad * (p - ((1 - a["eps"]) * y + a["eps"] / C))}


def analytic_gelu(a, h_grad):
    z = a["z"]
    return {"z": (normal_cdf(z) + z * normal_pdf(z)) * h_grad}


# ----------------------------------------------------------------------------
# numeric parts: values by hand


def numeric_231():
    x = np.array([1.0, -1.0])
    t = 0.5
    W1 = np.array([[0.1, 0.2], [-0.3, 0.4], [0.5, -0.6]])
    b1 = np.array([0.0, 0.1, -0.1])
    w2 = np.array([1.0, -1.0, 2.0])
    b2 = 0.2
    z = W1 @ x + b1
    h = sigmoid(z)
    y = w2 @ h + b2
    E = (y - t) ** 2 / 2
    y_grad = y - t
    h_grad = y_grad * w2
    z_grad = h_grad * h * (1 - h)
    return {"z": z, "h": h, "y": y, "E": E, "y.grad": y_grad, "h.grad": h_grad,
            "z.grad": z_grad, "W1.grad": np.outer(z_grad, x), "b1.grad": z_grad,
            "w2.grad": y_grad * h, "b2.grad": y_grad}


def numeric_adam():
    x = np.array([1.0, 2.0])
    y = 1.0
    w = np.array([0.5, -0.3])
    beta1, beta2, eta, eps = 0.9, 0.999, 0.001, 1e-8
    g = 2 * (w @ x - y) * x
    m1 = (1 - beta1) * g
    v1 = (1 - beta2) * g * g
    mhat = m1 / (1 - beta1)
    vhat = v1 / (1 - beta2)
    w1 = w - eta * mhat / (np.sqrt(vhat) + eps)
    return {"g": g, "m1": m1, "v1": v1, "w1": w1}


def numeric_momentum():
    x = np.array([1.0, 0.0, -2.0])
    y = np.array([1.0, -1.0])
    W = np.array([[0.5, -0.5, 0.25], [0.0, 1.0, -1.0]])
    b = np.array([0.1, -0.2])
    VW = np.array([[0.2, 0.0, -0.1], [0.0, 0.3, 0.1]])
    Vb = np.array([0.05, -0.05])
    eta, mu = 0.1, 0.9
    r = W @ x + b - y
    VW1 = mu * VW + np.outer(r, x)
    Vb1 = mu * Vb + r
    return {"r": r, "VW1": VW1, "Vb1": Vb1, "W1": W - eta * VW1, "b1": b - eta * Vb1}


NUMERIC = {"numeric_231": numeric_231, "adam_step": numeric_adam, "momentum_sgd": numeric_momentum}


# ----------------------------------------------------------------------------
# moments: closed forms by hand, and a Monte Carlo of our own to back them


def dropout_variance(q, v, mu=0):
    """Var(m x / q), m ~ Bernoulli(q) independent of x (mean mu, variance v)."""
    return (mu ** 2 + v) / q - mu ** 2


def dropout_mc(q, v, mu=0.0, n=400_000, seed=0):
    rng = np.random.default_rng(seed)
    m = (rng.random(n) < q).astype(float)
    x = mu + math.sqrt(v) * rng.standard_normal(n)
    return np.var(m * x / q)


def he_variance(l, n, sigma_W, v):
    """Var(z_l) for z_{l+1} = W relu(z_l), zero biases, symmetric z_0 and W."""
    return v * (n * sigma_W ** 2 / 2) ** l


def he_sigma_W(n):
    return math.sqrt(2 / n)


def he_mc(l, n, sigma_W, v, samples=20_000, seed=0):
    rng = np.random.default_rng(seed)
    z = math.sqrt(v) * rng.standard_normal((samples, n))
    for _ in range(l):
        W = sigma_W * rng.standard_normal((samples, n, n))
        z = np.einsum("sji,si->sj", W, np.maximum(z, 0))
    return np.var(z)


GELU_MEAN = 1 / (2 * math.sqrt(math.pi))   # E[z Phi(z)] = E[phi(z)] for z ~ N(0, 1)


def gelu_mean_mc(n=2_000_000, seed=0):
    z = np.random.default_rng(seed).standard_normal(n)
    return float(np.mean(z * normal_cdf(z)))


# ----------------------------------------------------------------------------
# costs: our own counts (ops of a plain loop implementation) and their orders


def attention_forward_count(T, D):
    """(work, depth) of single-head attention by our own count: each output
    element of a sum of n products costs n mults + (n-1) adds, depth
    1 + ceil(log2 n); elementwise ops cost 1 each, depth 1."""
    lg = lambda n: math.ceil(math.log2(n)) if n > 1 else 0
    work = 3 * T * D * (2 * D - 1)            # Q, K, V
    work += T * T * (2 * D - 1 + 1)           # scores and the scaling
    work += T * T + T * (T - 1)               # exp and the sum Z
    work += T * T                              # P = exp / Z (exp reused)
    work += T * D * (2 * T - 1)               # P V
    depth = (1 + lg(D)) + (1 + lg(D) + 1) + (1 + lg(T)) + 1 + (1 + lg(T))
    return work, depth


def lstm_backward_depth_count(T, J=2, B=2, K=2):
    """Depth of BPTT in an LSTM by our own reasoning: each step needs the
    gradient of h_t and c_t from step t+1, a fixed chain of elementwise ops and
    one sum over J hidden units (the recurrent matrices): c * T + O(log) terms."""
    lg = lambda n: math.ceil(math.log2(n)) if n > 1 else 0
    per_step = 8 + lg(J)      # an upper bound of the chain per step; only the order matters
    return per_step * T + lg(B * T)


def order_in(counts):
    """The order of growth of counts {T: value} at T = 2, 4, 8, 16, ...:
    'O(1)', 'O(log T)', 'O(T)' or 'O(T^2)' by the ratios of the last two."""
    ts = sorted(counts)
    v1, v2 = counts[ts[-2]], counts[ts[-1]]
    v0 = counts[ts[-3]]
    r = v2 / v1
    if abs(v2 - v1) < 1e-9:
        return "O(1)"
    if r > 3.0:
        return "O(T^2)"
    if r > 1.6:
        return "O(T)"
    if abs((v2 - v1) - (v1 - v0)) <= 0.25 * abs(v2 - v1) + 1:
        return "O(log T)"
    return "?"


COST = {
    # problem:part -> expected orders in T: (work, depth)
    "attention_cost:a": ("O(T^2)", "O(log T)"),
    "attention_cost:b": ("O(T^2)", "O(log T)"),
    "lstm:b": (None, "O(T)"),
}
