import numpy as np
from fd_util import *
sig = lambda a: 1/(1+np.exp(-a))
# ---------------- vanilla_rnn_bptt ----------------
T, M, N, C = 3, 4, 2, 3
def vr_setup(rng):
    return (rng.normal(size=(T,N)), rng.normal(size=(T,C)), rng.normal(size=(M,M))*0.7,
            rng.normal(size=(M,N)), rng.normal(size=M), rng.normal(size=(C,M)))
def vr_fwd(x, y, U, W, b, V, zadd=None):
    h = np.zeros((T+1, M)); z = np.zeros((T, M)); L = 0
    for t in range(T):
        z[t] = U@h[t] + W@x[t] + b + (0 if zadd is None else zadd[t])
        h[t+1] = np.tanh(z[t]); L += 0.5*((V@h[t+1] - y[t])**2).sum()
    return z, h, L
def vr_truth(x, y, U, W, b, V):
    za = np.zeros((T, M)); f = lambda: vr_fwd(x, y, U, W, b, V, za)[2]
    dz = numgrad(f, za); g = lambda: vr_fwd(x, y, U, W, b, V)[2]
    return dz, numgrad(g, U), numgrad(g, W), numgrad(g, b)
def vr_delta(x, y, U, W, b, V, transU=True, local=True):
    z, h, _ = vr_fwd(x, y, U, W, b, V); d = np.zeros((T+1, M))
    for t in reversed(range(T)):
        e = V.T@(V@h[t+1] - y[t])
        rec = (U.T if transU else U)@d[t+1]
        d[t] = (1 - h[t+1]**2)*((e if (local or t == T-1) else 0) + rec)
    return d[:T], h
for k, kw, lab in [('vra1', {}, 'correct'), ('vra2', dict(transU=False), 'incorrect'), ('vra3', dict(local=False), 'incorrect'), ('vra4', {}, 'correct')]:
    def trial(rng, kw=kw):
        a = vr_setup(rng); d, h = vr_delta(*a, **kw); return [(d, vr_truth(*a)[0])]
    check(k, lab, trial)
def vr_b(off=0):
    def trial(rng):
        a = vr_setup(rng); x = a[0]; d, h = vr_delta(*a)
        gU = sum(np.outer(d[t], h[t+off]) for t in range(T))   # h[t] here is h_{t-1} (h array shifted by one)
        gW = sum(np.outer(d[t], x[t]) for t in range(T)); gb = d.sum(0)
        tr = vr_truth(*a); return [(gU, tr[1]), (gW, tr[2]), (gb, tr[3])]
    return trial
check('vrb1', 'correct', vr_b(0)); check('vrb2', 'incorrect', vr_b(1)); check('vrb3', 'correct', vr_b(0))

# ---------------- lenet5 ----------------
U_, V_, P, F, G, D = 5, 8, 2, 2, 3, 3
Mm, Nn = U_-F+1, V_-G+1; R_, C_ = Mm//2, Nn//2
def le_fwd(X0, W, b, w, a, Yadd=None):
    Yt = np.zeros((Mm, Nn, D))
    for dx in range(F):
        for dy in range(G):
            Yt += np.einsum('mnp,pd->mnd', X0[dx:dx+Mm, dy:dy+Nn], W[dx, dy])
    Yt += b; Y = np.tanh(Yt)
    if Yadd is not None: Y = Y + Yadd
    pool = (Y[0:2*R_:2, 0:2*C_:2] + Y[1:2*R_:2, 0:2*C_:2] + Y[0:2*R_:2, 1:2*C_:2] + Y[1:2*R_:2, 1:2*C_:2])/4
    Xt = w*pool + a; return Yt, Y, pool, Xt, sig(Xt)
def le_setup(rng):
    return rng.normal(size=(U_,V_,P)), rng.normal(size=(F,G,P,D))*0.5, rng.normal(size=D), rng.normal(size=D), rng.normal(size=D), rng.normal(size=(R_,C_,D))
def le_a(quarter=True):
    def trial(rng):
        X0, W, b, w, a, Xg = le_setup(rng)
        Yt, Y, pool, Xt, X1 = le_fwd(X0, W, b, w, a)
        Xtg = Xg*X1*(1-X1); ag = Xtg.sum((0,1)); wg = (Xtg*pool).sum((0,1))
        Yg = np.zeros((Mm, Nn, D)); c = w/4 if quarter else w
        for (i, j) in [(0,0),(1,0),(0,1),(1,1)]:
            Yg[i:2*R_:2, j:2*C_:2] += c*Xtg
        Ya = np.zeros((Mm, Nn, D)); f = lambda: (Xg*le_fwd(X0, W, b, w, a, Ya)[4]).sum()
        return [(wg, numgrad(f, w)), (ag, numgrad(f, a)), (Yg, numgrad(f, Ya))]
    return trial
check('lea1', 'correct', le_a(True)); check('lea2', 'incorrect', le_a(False))
def le_b(pre=False):
    def trial(rng):
        X0, W, b, w, a, _ = le_setup(rng); Yg = rng.normal(size=(Mm, Nn, D))
        Yt, Y, *_ = le_fwd(X0, W, b, w, a)
        Ytg = Yg*(1 - (Yt if pre else Y)**2); bg = Ytg.sum((0,1))
        Wg = np.zeros_like(W); X0g = np.zeros_like(X0)
        for dx in range(F):
            for dy in range(G):
                Wg[dx, dy] = np.einsum('mnd,mnp->pd', Ytg, X0[dx:dx+Mm, dy:dy+Nn])
                X0g[dx:dx+Mm, dy:dy+Nn] += np.einsum('mnd,pd->mnp', Ytg, W[dx, dy])
        f = lambda: (Yg*le_fwd(X0, W, b, w, a)[1]).sum()
        return [(Wg, numgrad(f, W)), (bg, numgrad(f, b)), (X0g, numgrad(f, X0))]
    return trial
check('leb1', 'correct', le_b(False)); check('leb2', 'incorrect', le_b(True))
