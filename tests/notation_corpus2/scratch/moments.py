"""Moment parts: truth formulas, each confirmed by Monte Carlo; answers compared with the truth."""
import numpy as np
from math import sqrt, pi, log
from common import sig

rng = np.random.default_rng(12345)
MC_REPORT = []

def mc_confirm(name, est, exact, tol=0.02, atol=0.01):
    rel = abs(est - exact) / max(abs(exact), 1e-12)
    ok = rel < tol or abs(est - exact) < atol
    MC_REPORT.append((name, est, exact, ok))
    assert ok, (name, est, exact)

def sym_law(n, size, var):
    """a symmetric but non-normal law with the given variance (uniform)"""
    return rng.uniform(-1, 1, size=size) * sqrt(3 * var)
def skew_law(size, mean, var):
    """a skewed law (centred exponential) with the given mean and variance"""
    return (rng.exponential(1.0, size=size) - 1.0) * sqrt(var) + mean
def laplace_law(size, var):
    return rng.laplace(0, sqrt(var / 2), size=size)

S = 400_000

# ---------------- init_variance
d, sw = 5, 0.7
W = sym_law(d, (S, d), sw ** 2); x = skew_law((S, d), 0.0, 1.0)
y = (W * x).sum(1); u = sig(y)
mc_confirm('init_variance Var(y)=d sw^2', y.var(), d * sw ** 2)
mc_confirm('init_variance E[u]=1/2', u.mean(), 0.5, 0.005)
assert u.var() < y.var() and u.var() <= y.var() / 16 + 1e-9
# max variance of a sigmoid output: sigma in (0,1) so Var <= 1/4, approached by +-big with prob 1/2
yb = np.where(rng.uniform(size=S) < 0.5, -40.0, 40.0)
mc_confirm('sigmoid max var 1/4 (input ±40)', sig(yb).var(), 0.25)
# the solve: Var(y)=1 at sw = 1/sqrt(d)
W1 = sym_law(d, (S, d), 1.0 / d); mc_confirm('init_variance Var(y) at sw=1/sqrt(d)', (W1 * x).sum(1).var(), 1.0)

# ---------------- he_init
n, m, v = 6, 4, 1.7
z0 = laplace_law((S, n), v); Wn = sym_law(n, (S, n), sw ** 2)
z1 = (Wn * np.maximum(z0, 0)).sum(1)
mc_confirm('he_init Var(z1) = n sw^2 v/2', z1.var(), n * sw ** 2 * v / 2)
mc_confirm('he_init E(z1) = 0', z1.mean(), 0.0)
zn = rng.normal(0, sqrt(v), size=S)
mc_confirm('he_init E(h) normal = sqrt(v/2pi)', np.maximum(zn, 0).mean(), sqrt(v / (2 * pi)))
Wi = sym_law(n, (S, n), 1.0 / n)
mc_confirm('he_init e: Var(z1) = v/2 with 1/n', (Wi * np.maximum(z0, 0)).sum(1).var(), v / 2)

# ---------------- he_backward
nin, nout, g = 5, 4, 1.3
xb = rng.normal(size=(S,)); Wb = sym_law(nout, (S, nout), sw ** 2); yg = skew_law((S, nout), 0.0, g)
xg = (xb > 0) * (Wb * yg).sum(1)
mc_confirm('he_backward Var(x.grad) = nout sw^2 g/2', xg.var(), nout * sw ** 2 * g / 2)
Wb1 = sym_law(nout, (S, nout), 1.0 / nout)
mc_confirm('he_backward d: g/2', ((xb > 0) * (Wb1 * yg).sum(1)).var(), g / 2)

# ---------------- glorot
ng, mg = 5, 3
xgl = skew_law((S, ng), 0.0, v); Wg = rng.normal(0, sw, size=(S, ng))
mc_confirm('glorot Var(y) = n sw^2 v', (Wg * xgl).sum(1).var(), ng * sw ** 2 * v)
Wg2 = rng.normal(0, sw, size=(S, mg)); ygl = skew_law((S, mg), 0.0, g)
mc_confirm('glorot Var(x.grad) = m sw^2 g', (Wg2 * ygl).sum(1).var(), mg * sw ** 2 * g)
aU = sqrt(6 / (ng + mg)); Wu = rng.uniform(-aU, aU, size=S)
mc_confirm('glorot uniform(-a,a) var = 2/(n+m)', Wu.var(), 2 / (ng + mg))

# ---------------- dropout
q, mu = 0.65, 0.8
xd = skew_law(S, mu, v); md = (rng.uniform(size=S) < q).astype(float)
mc_confirm('dropout E(y) = mu', (md * xd / q).mean(), mu)
xd0 = skew_law(S, 0.0, v)
mc_confirm('dropout Var(y) = v/q', (md * xd0 / q).var(), v / q)

# ---------------- batchnorm_stats
for Bs in (3, 6):
    xs = rng.normal(0, sqrt(v), size=(S, Bs))
    mus = xs.mean(1); xc = xs - mus[:, None]; ss = (xc ** 2).sum(1) / (Bs - 1)
    mc_confirm(f'bn_stats B={Bs} Var(mu) = v/B', mus.var(), v / Bs)
    mc_confirm(f'bn_stats B={Bs} Var(xc) = v(B-1)/B', xc[:, 0].var(), v * (Bs - 1) / Bs)
    mc_confirm(f'bn_stats B={Bs} E(s) = v', ss.mean(), v)
    mc_confirm(f'bn_stats B={Bs} Var(s) = 2v^2/(B-1)', ss.var(), 2 * v ** 2 / (Bs - 1), 0.03)

# ---------------- resnet_variance (circular padding = interior positions; fresh weights per layer)
def conv(Lx, W):
    """R[x,y,j] = sum W[dx,dy,jp,j] L[x+dx, y+dy, jp] (circular)"""
    D = W.shape[0]; R = 0
    for dx in range(D):
        for dy in range(D):
            Ls = np.roll(np.roll(Lx, -dx, axis=1), -dy, axis=2)      # L[:, x+dx, y+dy, :]
            R = R + np.einsum('bxyp,pj->bxyj', Ls, W[dx, dy])
    return R
def convT(Rg, W):
    """L.grad[x+dx, y+dy, jp] += W[dx,dy,jp,j] R.grad[x,y,j]"""
    D = W.shape[0]; Lg = 0
    for dx in range(D):
        for dy in range(D):
            t = np.einsum('bxyj,pj->bxyp', Rg, W[dx, dy])
            Lg = Lg + np.roll(np.roll(t, dx, axis=1), dy, axis=2)
    return Lg
Dr, Jr, swr, Lr = 2, 3, 0.22, 4
nb, X = 3000, 8
c = 1 + Dr ** 2 * Jr * swr ** 2
Ws = [rng.normal(0, swr, size=(nb, Dr, Dr, Jr, Jr)) for _ in range(Lr)]
def conv_b(Lx, Wl):     # a different weight draw per batch element (independent networks)
    return np.stack([conv(Lx[i:i+1], Wl[i])[0] for i in range(Lx.shape[0])])
def convT_b(Rg, Wl):
    return np.stack([convT(Rg[i:i+1], Wl[i])[0] for i in range(Rg.shape[0])])
Lx = rng.normal(size=(nb, X, X, Jr))
for l in range(1, Lr + 1):
    Lx = Lx + conv_b(Lx, Ws[l - 1])
    mc_confirm(f'resnet Var(L_{l}) = c^{l}', Lx.var(), c ** l, 0.03)
Lg = rng.normal(size=(nb, X, X, Jr))   # at layer Lr
for l in range(Lr - 1, -1, -1):
    Lg = Lg + convT_b(Lg, Ws[l])       # block l+1 maps L_l -> L_{l+1}
    mc_confirm(f'resnet Var(L_{l}.grad) = c^{Lr - l}', Lg.var(), c ** (Lr - l), 0.03)

if __name__ == '__main__':
    for r in MC_REPORT:
        print('%-45s MC %.5f  exact %.5f  %s' % r)
