"""layernorm, softmax, mlp_classification, he_backward:a, dropout:a: forwards written from
the spec programs and central finite differences."""
import numpy as np
from common import RNG, fd, sig

# layernorm, B=3, J=4
LB, LJ = 3, 4
def ln_from_x(x, eps):
    mu = x.mean(1); v = ((x - mu[:, None])**2).mean(1)
    return mu, v, (x - mu[:, None]) / np.sqrt(v[:, None] + eps)
def ln_ref():
    x = RNG.normal(size=(LB, LJ)); eps = 0.3; G = RNG.normal(size=(LB, LJ))
    mu, v, xh = ln_from_x(x, eps)
    fx = lambda x: np.sum(G * ln_from_x(x, eps)[2])
    # mu.grad: mu perturbed after it is computed (v and xh recomputed from it)
    fmu = lambda mu: np.sum(G * (x - mu[:, None]) / np.sqrt(((x - mu[:, None])**2).mean(1)[:, None] + eps))
    fv = lambda v: np.sum(G * (x - mu[:, None]) / np.sqrt(v[:, None] + eps))
    ref = dict(x=fd(fx, dict(x=x.copy()), "x"), mu=fd(fmu, dict(mu=mu.copy()), "mu"), v=fd(fv, dict(v=v.copy()), "v"))
    return dict(x=x, eps=eps, mu=mu, v=v, xh=xh, g=G), ref

# softmax, B=3, J=4 (parts a, b: the second loop alone, Z an input; c: the first loop)
SB, SJ = 3, 4
def sm_ref(part):
    s = RNG.normal(size=(SB, SJ)); Z = np.exp(s).sum(1) + RNG.uniform(0.5, 1.5, size=SB)
    G = RNG.normal(size=(SB, SJ)); GZ = RNG.normal(size=SB)
    if part in "ab":
        f = lambda s, Z: np.sum(G * np.exp(s) / Z[:, None])
        ref = {"a": dict(s=fd(f, dict(s=s, Z=Z), "s")), "b": dict(Z=fd(f, dict(s=s, Z=Z), "Z"))}[part]
    else:
        f = lambda s: np.sum(GZ * np.exp(s).sum(1))
        ref = dict(s=fd(f, dict(s=s), "s"))
    return dict(s=s, Z=Z, pg=G, Zg=GZ, p=np.exp(s) / Z[:, None]), ref

# mlp_classification N=3, H=4, K=2
MN, MH, MK = 3, 4, 2
def mlp_fw(x, y, W1, b1, W2, b2):
    z1 = W1 @ x + b1; z2 = sig(z1); z3 = W2 @ z2 + b2; yh = sig(z3)
    return -np.sum(y * np.log(yh) + (1 - y) * np.log(1 - yh)) / MK, z1, z2, z3, yh
def mlp_ref(part):
    arr = dict(W1=RNG.normal(size=(MH, MN)), b1=RNG.normal(size=MH), W2=RNG.normal(size=(MK, MH)), b2=RNG.normal(size=MK))
    x = RNG.normal(size=MN); y = RNG.uniform(size=MK)
    _, z1, z2, z3, yh = mlp_fw(x, y, **arr)
    st = dict(arr, x=x, y=y, z1=z1, z2=z2, z3=z3, yh=yh)
    if part == "b":
        f = lambda **p: mlp_fw(x, y, **p)[0]
        return st, {k: fd(f, dict(arr), k) for k in arr}
    if part == "c":   # z1.grad from a random z2.grad: J^T z2.grad
        g = RNG.normal(size=MH); st["g"] = g
        return st, dict(z1=fd(lambda z1: np.sum(g * sig(z1)), dict(z1=z1.copy()), "z1"))
    if part == "d":
        g = RNG.normal(size=MK); st["g"] = g
        return st, dict(z3=fd(lambda z3: np.sum(g * sig(z3)), dict(z3=z3.copy()), "z3"))
    if part == "e":
        f = lambda yh: -np.sum(y * np.log(yh) + (1 - y) * np.log(1 - yh)) / MK
        return st, dict(yhat=fd(f, dict(yh=yh.copy()), "yh"))

# he_backward:a n_in=5, n_out=4 ; dropout:a n=4
def he_ref():
    x = RNG.normal(size=5); W = RNG.normal(size=(4, 5)); g = RNG.normal(size=4)
    f = lambda x: np.sum(g * (W @ np.maximum(x, 0)))
    return dict(x=x, W=W, g=g), dict(x=fd(f, dict(x=x.copy()), "x"))
def do_ref():
    x = RNG.normal(size=4); m = np.array([1., 0., 1., 1.]); q = 0.7; g = RNG.normal(size=4)
    f = lambda x: np.sum(g * m * x / q)
    return dict(x=x, m=m, q=q, g=g), dict(x=fd(f, dict(x=x.copy()), "x"))
