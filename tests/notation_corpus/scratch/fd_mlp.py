import numpy as np
from fd_util import *
sig = lambda a: 1/(1+np.exp(-a))
# ---------------- mlp_ce_l2 ----------------
N, M, C = 3, 4, 2; lam = 0.37
def ce_setup(rng):
    x = rng.normal(size=N); y = np.eye(C)[rng.integers(C)]
    W1 = rng.normal(size=(M,N)); b1 = rng.normal(size=M); W2 = rng.normal(size=(C,M)); b2 = rng.normal(size=C)
    return x, y, W1, b1, W2, b2
def ce_loss(x, y, W1, b1, W2, b2):
    z = sig(W1@x+b1); a2 = W2@z+b2; yh = np.exp(a2)/np.exp(a2).sum()
    return -(y*np.log(yh)).sum() + lam/2*((W1**2).sum()+(W2**2).sum())
def ce_truth(x, y, W1, b1, W2, b2):
    f = lambda: ce_loss(x, y, W1, b1, W2, b2)
    return [numgrad(f, W1), numgrad(f, b1), numgrad(f, W2), numgrad(f, b2)]
def ce_student(x, y, W1, b1, W2, b2, regW1=True, sign=1):
    z = sig(W1@x+b1); a2 = W2@z+b2; yh = np.exp(a2)/np.exp(a2).sum()
    d2 = sign*(yh - y); d1 = (W2.T@d2)*z*(1-z)
    return [np.outer(d1, x) + (lam*W1 if regW1 else 0), d1, np.outer(d2, z) + lam*W2, d2]
for k, kw, lab in [('ce1', {}, 'correct'), ('ce2', {}, 'correct'), ('ce3', dict(regW1=False), 'incorrect'), ('ce4', dict(sign=-1), 'incorrect')]:
    def trial(rng, kw=kw):
        a = ce_setup(rng); return list(zip(ce_student(*a, **kw), ce_truth(*a)))
    check(k, lab, trial)

# ---------------- mlp_classification ----------------
N, H, K = 3, 4, 2
def cl_setup(rng):
    x = rng.normal(size=N); y = rng.integers(0, 2, K).astype(float)
    return x, y, rng.normal(size=(H,N)), rng.normal(size=H), rng.normal(size=(K,H)), rng.normal(size=K)
def cl_fwd(x, y, W1, b1, W2, b2):
    z1 = W1@x+b1; z2 = sig(z1); z3 = W2@z2+b2; yh = sig(z3)
    return z1, z2, z3, yh, -(y*np.log(yh)+(1-y)*np.log(1-yh)).sum()/K
def cl_truth(*a):
    f = lambda: cl_fwd(*a)[-1]; x, y, W1, b1, W2, b2 = a
    return [numgrad(f, W1), numgrad(f, b1), numgrad(f, W2), numgrad(f, b2)]
def cl_student(*a, K_=True):
    x, y, W1, b1, W2, b2 = a; z1, z2, z3, yh, _ = cl_fwd(*a)
    d3 = (yh - y)/(K if K_ else 1); d1 = (W2.T@d3)*z2*(1-z2)
    return [np.outer(d1, x), d1, np.outer(d3, z2), d3]
for k, kw, lab in [('clb1', {}, 'correct'), ('clb2', dict(K_=False), 'incorrect'), ('clb3', {}, 'correct')]:
    def trial(rng, kw=kw):
        a = cl_setup(rng); return list(zip(cl_student(*a, **kw), cl_truth(*a)))
    check(k, lab, trial)
# c: z1.grad from z2.grad through z2 = sigma(z1)
def clc(fn, lab, tag):
    def trial(rng):
        z1 = rng.normal(size=H); g = rng.normal(size=H); zz = z1.copy()
        f = lambda: (g*sig(zz)).sum()
        return [(fn(z1, sig(z1), g), numgrad(f, zz))]
    check(tag, lab, trial)
clc(lambda z1, z2, g: g*sig(z1)*(1-sig(z1)), 'correct', 'clc1')
clc(lambda z1, z2, g: g*sig(z1)*(1-sig(z1)), 'correct', 'clc2')
clc(lambda z1, z2, g: g*sig(z1), 'incorrect', 'clc3')
clc(lambda z1, z2, g: g*z1*(1-z1), 'incorrect', 'clc4')
# d: z3.grad from yhat.grad
clc(lambda z, yh, g: g*yh*(1-yh), 'correct', 'cld1')
clc(lambda z, yh, g: g*(1-yh**2), 'incorrect', 'cld2')
# e: dl/dyhat
def cle(fn, lab, tag):
    def trial(rng):
        yh = rng.uniform(0.05, 0.95, K); y = rng.integers(0, 2, K).astype(float); yy = yh.copy()
        f = lambda: -(y*np.log(yy)+(1-y)*np.log(1-yy)).sum()/K
        return [(fn(yh, y), numgrad(f, yy))]
    check(tag, lab, trial)
cle(lambda yh, y: (yh-y)/(K*yh*(1-yh)), 'correct', 'cle1')
cle(lambda yh, y: -(y/yh - (1-y)/(1-yh))/K, 'correct', 'cle2')
cle(lambda yh, y: -(y/yh - (1-y)/(1-yh)), 'incorrect', 'cle3')
cle(lambda yh, y: (yh-y)/K, 'incorrect', 'cle4')
cle(lambda yh, y: (y/yh - (1-y)/(1-yh))/K, 'incorrect', 'cle5')

# ---------------- mlp_regression ----------------
N, H, K = 3, 4, 2
def rg_fwd(x, y, W1, b1, W2, b2):
    z1 = W1@x+b1; z2 = np.maximum(z1, 0); z3 = W2@z2+b2; return z1, z2, z3, ((z3-y)**2).sum()
def rg_truth(*a):
    f = lambda: rg_fwd(*a)[-1]; x, y, W1, b1, W2, b2 = a
    return [numgrad(f, W1), numgrad(f, b1), numgrad(f, W2), numgrad(f, b2)]
def rg_student(*a, two=2, transW1=False):
    x, y, W1, b1, W2, b2 = a; z1, z2, z3, _ = rg_fwd(*a)
    d3 = two*(z3 - y); d1 = (W2.T@d3)*(z1 > 0)
    return [np.outer(x, d1) if transW1 else np.outer(d1, x), d1, np.outer(d3, z2), d3]
for k, kw, lab in [('rgb1', {}, 'correct'), ('rgb2', dict(two=1), 'incorrect'), ('rgb3', dict(transW1=True), 'incorrect')]:
    def trial(rng, kw=kw):
        a = (rng.normal(size=N), rng.normal(size=K), rng.normal(size=(H,N)), rng.normal(size=H), rng.normal(size=(K,H)), rng.normal(size=K))
        return list(zip(rg_student(*a, **kw), rg_truth(*a)))
    check(k, lab, trial)
def rgc(fn, lab, tag):
    def trial(rng):
        z1 = rng.normal(size=H); g = rng.normal(size=H); zz = z1.copy()
        f = lambda: (g*np.maximum(zz, 0)).sum()
        return [(fn(z1, g), numgrad(f, zz))]
    check(tag, lab, trial)
rgc(lambda z1, g: g*(z1 > 0), 'correct', 'rgc1')
rgc(lambda z1, g: g*(z1 > 0), 'correct', 'rgc2')
rgc(lambda z1, g: g*np.maximum(0, z1), 'incorrect', 'rgc3')
rgc(lambda z1, g: g, 'incorrect', 'rgd-relu-check(identity)')  # sanity only
def rge(fn, lab, tag):
    def trial(rng):
        yh = rng.normal(size=K); y = rng.normal(size=K); yy = yh.copy()
        f = lambda: ((yy-y)**2).sum()
        return [(fn(yh, y), numgrad(f, yy))]
    check(tag, lab, trial)
rge(lambda yh, y: 2*(yh-y), 'correct', 'rge1')
rge(lambda yh, y: 2*(yh-y), 'correct', 'rge2')
rge(lambda yh, y: (yh-y), 'incorrect', 'rge3')
rge(lambda yh, y: 2*(y-yh), 'incorrect', 'rge4')
# d: identity output: dz3 = dyhat ; wrong: dyhat * 1[z3>0]
def rgd(fn, lab, tag):
    def trial(rng):
        z3 = rng.normal(size=K); g = rng.normal(size=K); zz = z3.copy()
        f = lambda: (g*zz).sum()
        return [(fn(z3, g), numgrad(f, zz))]
    check(tag, lab, trial)
rgd(lambda z3, g: g, 'correct', 'rgd1')
rgd(lambda z3, g: g*(z3 > 0), 'incorrect', 'rgd2')

# ---------------- mlp_numeric vectorized ----------------
def nm_trial(transW):
    def trial(rng):
        x = rng.normal(size=2); t = rng.normal(); W = rng.normal(size=(2,2)); v = rng.normal(size=2)
        z = W@x; h = np.maximum(z, 0); y = v@h
        hh = h.copy(); zz = z.copy()
        fv = lambda: (v@np.maximum(W@x,0) - t)**2/2
        fh = lambda: (v@hh - t)**2/2
        fz = lambda: (v@np.maximum(zz,0) - t)**2/2
        gv = (y-t)*h; gh = (y-t)*v; gz = gh*(z>0); gW = np.outer(x, gz) if transW else np.outer(gz, x)
        return [(gv, numgrad(fv, v)), (gh, numgrad(fh, hh)), (gz, numgrad(fz, zz)), (gW, numgrad(fv, W))]
    return trial
check('nm1', 'correct', nm_trial(False)); check('nm2', 'incorrect', nm_trial(True)); check('nm3', 'correct', nm_trial(False))
