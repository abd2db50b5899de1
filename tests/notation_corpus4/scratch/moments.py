"""Reference formulas for the moment parts, each confirmed by Monte Carlo (run this file)."""
import numpy as np
from math import log

rng = np.random.default_rng(7)

REF = {
    ("he_backward", "b"): lambda n_out, sigma_W, g, **_: n_out * sigma_W**2 * g / 2,
    ("glorot_init", "a"): lambda n, sigma_W, v, **_: n * sigma_W**2 * v,
    ("glorot_init", "b"): lambda m, sigma_W, g, **_: m * sigma_W**2 * g,
    ("batchnorm_stats", "a"): lambda B, v, **_: v / B,
    ("batchnorm_stats", "b"): lambda B, v, **_: v * (B - 1) / B,
    ("batchnorm_stats", "c"): lambda B, v, **_: v,
    ("batchnorm_stats", "d"): lambda B, v, **_: 2 * v**2 / (B - 1),
    ("dropout", "b"): lambda mu, v, q, **_: mu,
    ("dropout", "c"): lambda v, q, **_: v / q,
    # momentum: after t steps
    ("momentum_variance", "a"): lambda t, beta, s, v, **_: beta**(2*t) * v + (1 - beta) * s**2 * (1 - beta**(2*t)) / (1 + beta),
    ("fixup_scaling", "a"): lambda l, s, **_: (1 + s**4)**l,
    ("resnet_variance", "a"): lambda l, D, J, sigma_W, **_: (1 + D**2 * J * sigma_W**2)**l,
    ("resnet_variance", "c"): lambda l, L, D, J, sigma_W, **_: (1 + D**2 * J * sigma_W**2)**(L - l),
}

def mc():
    S = 400000
    # he_backward b
    n_in, n_out, sw, g = 3, 6, 0.7, 1.3
    x = rng.normal(size=(S, 1)); W = rng.normal(scale=sw, size=(S, n_out)); yg = rng.normal(scale=np.sqrt(g), size=(S, n_out))
    xg = (x[:, 0] > 0) * (W * yg).sum(1)
    print("he_backward b", xg.var(), REF[("he_backward", "b")](n_out=n_out, sigma_W=sw, g=g))
    # glorot a, b
    n, m, v = 5, 3, 0.8
    W = rng.normal(scale=sw, size=(S, n)); xx = rng.normal(scale=np.sqrt(v), size=(S, n))
    print("glorot a", (W * xx).sum(1).var(), REF[("glorot_init", "a")](n=n, sigma_W=sw, v=v))
    W = rng.normal(scale=sw, size=(S, m)); yg = rng.normal(scale=np.sqrt(g), size=(S, m))
    print("glorot b", (W * yg).sum(1).var(), REF[("glorot_init", "b")](m=m, sigma_W=sw, g=g))
    # batchnorm_stats
    B = 5; xb = rng.normal(scale=np.sqrt(v), size=(S, B)); mu = xb.mean(1); xc = xb - mu[:, None]; s = (xc**2).sum(1) / (B - 1)
    for part, val in zip("abcd", [mu.var(), xc[:, 0].var(), s.mean(), s.var()]):
        print("batchnorm_stats", part, val, REF[("batchnorm_stats", part)](B=B, v=v))
    # dropout
    q, mu0 = 0.6, 0.4
    mk = rng.uniform(size=S) < q; xx = mu0 + rng.normal(scale=np.sqrt(v), size=S)
    print("dropout b", (mk * xx / q).mean(), mu0)
    xx = rng.normal(scale=np.sqrt(v), size=S)
    print("dropout c", (mk * xx / q).var(), v / q)
    # momentum: simulate t steps
    beta, sg, t = 0.8, 0.9, 4
    mm = rng.normal(scale=np.sqrt(v), size=S)
    for _ in range(t):
        mm = beta * mm + (1 - beta) * rng.normal(scale=sg, size=S)
    print("momentum a", mm.var(), REF[("momentum_variance", "a")](t=t, beta=beta, s=sg, v=v))
    # fixup: one block (n = 4), then l blocks by iterating on fresh weights
    nn, sv, l = 4, 0.9, 2
    xs = rng.normal(size=(20000, nn))
    for _ in range(l):
        W1 = rng.normal(scale=sv / np.sqrt(nn), size=(20000, nn, nn)); W2 = rng.normal(scale=sv / np.sqrt(nn), size=(20000, nn, nn))
        xs = xs + np.einsum("sik,sk->si", W2, np.einsum("sik,sk->si", W1, xs))
    print("fixup a", xs[:, 0].var(), REF[("fixup_scaling", "a")](l=l, s=sv))
    # resnet: one layer, interior entry: L1 = L0 + sum over D*D*J taps of W*L0
    Dd, Jj, sw2 = 2, 3, 0.3
    taps = Dd * Dd * Jj
    L0 = rng.normal(size=(S, taps)); Wt = rng.normal(scale=sw2, size=(S, taps))
    L1 = L0[:, 0] + (Wt * L0).sum(1)   # the skip reads one of the tapped entries (offset 0, own channel)
    print("resnet a (l=1)", L1.var(), REF[("resnet_variance", "a")](l=1, D=Dd, J=Jj, sigma_W=sw2))
    # backward: L0.grad = L1.grad + sum over the D*D*J outputs that read it of W*R.grad (R.grad = L1.grad there)
    G1 = rng.normal(size=(S, taps)); Wt = rng.normal(scale=sw2, size=(S, taps))
    L0g = G1[:, 0] + (Wt * G1).sum(1)
    print("resnet c (l=L-1)", L0g.var(), REF[("resnet_variance", "c")](l=2, L=3, D=Dd, J=Jj, sigma_W=sw2))

if __name__ == "__main__":
    mc()
