import numpy as np
from fd_util import *
sq = np.sqrt
# ---------------- batchnorm ----------------
B, J = 4, 3
def bn_fwd(x):
    mu = x.mean(0); s = ((x-mu)**2).sum(0)/(B-1); return mu, s, (x-mu)/sq(s)
def bn_truth(x, xg):
    # x.grad total; mu.grad and s.grad as the "adjoint of the tensor" in the += program:
    mu, s, xp = bn_fwd(x)
    xt = x.copy()
    fx = lambda: (xg*bn_fwd(xt)[2]).sum()
    gx = numgrad(fx, xt)
    # s.grad: d/ds of loss with s as an input to loop 3 only
    ss = s.copy(); fs = lambda: (xg*(x-mu)/sq(ss)).sum(); gs = numgrad(fs, ss)
    # mu.grad: mu feeds loops 2 and 3
    mm = mu.copy()
    def fm():
        s2 = ((x-mm)**2).sum(0)/(B-1); return (xg*(x-mm)/sq(s2)).sum()
    gm = numgrad(fm, mm)
    return gx, gm, gs
def run_bn(prog, x, xg):
    mu, s, xp = bn_fwd(x)
    G = dict(x=np.zeros((B,J)), mu=np.zeros(J), s=np.zeros(J))
    for stmt in prog: stmt(G, x, mu, s, xg)
    return G['x'], G['mu'], G['s']
# statements
def S_s(G,x,mu,s,xg):   G['s'] -= (xg*(x-mu)).sum(0)/(2*s**1.5)
def S_mu3(G,x,mu,s,xg): G['mu'] -= xg.sum(0)/sq(s)
def S_x3(G,x,mu,s,xg):  G['x'] += xg/sq(s)
def S_mu2(G,x,mu,s,xg): G['mu'] -= (2/(B-1)*(x-mu)*G['s']).sum(0)
def S_x2(G,x,mu,s,xg):  G['x'] += 2/(B-1)*(x-mu)*G['s']
def S_x1(G,x,mu,s,xg):  G['x'] += G['mu']/B
def S_mu2h(G,x,mu,s,xg): G['mu'] -= ((x-mu)*G['s']).sum(0)/(B-1)
def S_x2h(G,x,mu,s,xg):  G['x'] += (x-mu)*G['s']/(B-1)
progs = {
 'bn1': ([S_s, S_mu3, S_x3, S_mu2, S_x2, S_x1], 'correct'),
 'bn2': ([S_s, S_mu3, S_x3, S_mu2, S_x2, S_x1], 'correct'),
 'bn3': ([S_s, S_x3, S_x2, S_x1, S_mu3, S_mu2], 'incorrect'),
 'bn4': ([S_s, S_mu3, S_x3, S_mu2h, S_x2h, S_x1], 'incorrect'),
}
for k, (prog, lab) in progs.items():
    def trial(rng, prog=prog):
        x = rng.normal(size=(B,J)); xg = rng.normal(size=(B,J))
        a = run_bn(prog, x, xg); t = bn_truth(x, xg)
        return list(zip(a, t))
    check(k, lab, trial)

# ---------------- ugrnn:b (through statement 1, averaged params) ----------------
B, T, J, K = 2, 3, 4, 3
def ug_truth(Whr, Wxr, BR, h, x, Rg):
    # Rt[b,t,j] = Whr[j,i] h[b,t-1,i] + Wxr[j,k] x[b,t,k] - BR[j]; h indexed 0..T (h[:,0]=0 not a variable here)
    def f(): 
        Rt = np.einsum('ji,bti->btj', Whr, h[:, :-1]) + np.einsum('jk,btk->btj', Wxr, x) - BR
        return (Rg*Rt).sum()
    gW = numgrad(f, Whr)/B; gX = numgrad(f, Wxr)/B; gB = numgrad(f, BR)/B
    gh = numgrad(f, h); gx = numgrad(f, x)
    return gW, gX, gB, gh[:, :-1], gx   # h.grad for h[b, 0..T-1]
def ug_student(Whr, Wxr, BR, h, x, Rg, avg=True, bsign=-1):
    c = 1/B if avg else 1
    gW = c*np.einsum('btj,bti->ji', Rg, h[:, :-1]); gX = c*np.einsum('btj,btk->jk', Rg, x)
    gB = bsign*c*Rg.sum((0,1)); gh = np.einsum('btj,ji->bti', Rg, Whr); gx = np.einsum('btj,jk->btk', Rg, Wxr)
    return gW, gX, gB, gh, gx
for k, kw, lab in [('ug1', {}, 'correct'), ('ug2', dict(avg=False), 'incorrect'), ('ug3', dict(bsign=+1), 'incorrect')]:
    def trial(rng, kw=kw):
        Whr = rng.normal(size=(J,J)); Wxr = rng.normal(size=(J,K)); BR = rng.normal(size=J)
        h = rng.normal(size=(B,T+1,J)); h[:,0] = 0; x = rng.normal(size=(B,T,K)); Rg = rng.normal(size=(B,T,J))
        return list(zip(ug_student(Whr,Wxr,BR,h,x,Rg,**kw), ug_truth(Whr,Wxr,BR,h,x,Rg)))
    check(k, lab, trial)

# ---------------- dropout:a ----------------
n, q = 4, 0.35
for k, fn, lab in [('do1', lambda yg,m: yg*m/q, 'correct'), ('do2', lambda yg,m: yg*m/q, 'correct'),
                   ('do3', lambda yg,m: yg*m, 'incorrect'), ('do4', lambda yg,m: m/q*yg, 'correct'),
                   ('do5', lambda yg,m: q*m*yg, 'incorrect')]:
    def trial(rng, fn=fn):
        x = rng.normal(size=n); m = (rng.random(n) < 0.5).astype(float); m[0] = 1; yg = rng.normal(size=n)
        f = lambda: (yg*m*x/q).sum()
        return [(fn(yg, m), numgrad(f, x))]
    check(k, lab, trial)

# ---------------- he_backward:a ----------------
nin, nout = 5, 4
def hb_trial(fn):
    def trial(rng):
        x = rng.normal(size=nin); W = rng.normal(size=(nout, nin)); yg = rng.normal(size=nout)
        f = lambda: (yg*(W@np.maximum(x,0))).sum()
        return [(fn(x, W, yg), numgrad(f, x))]
    return trial
check('hb1', 'correct', hb_trial(lambda x,W,yg: (W.T@yg)*(x>0)))
check('hb2', 'correct', hb_trial(lambda x,W,yg: (W.T@yg)*(x>0)))
def hb3(x, W, yg):   # W[i, j] with i over n_in, j over n_out: W is 4x5 -> out of range; square-ish try
    return None
check('hb3', 'incorrect', hb_trial(lambda x,W,yg: np.zeros(nin)*np.nan))  # transposed: not even defined (W[i,j] out of range)
check('hb4', 'incorrect', hb_trial(lambda x,W,yg: (W.T@yg)*np.maximum(0,x)))
check('hb5', 'correct', hb_trial(lambda x,W,yg: (x>0)*(W.T@yg)))
# transposed at square sizes to confirm it's a real error, not only a shape issue
rng = np.random.default_rng(5); x = rng.normal(size=4); W = rng.normal(size=(4,4)); yg = rng.normal(size=4)
print("hb3 at square size differs:", not same((W@yg)*(x>0), (W.T@yg)*(x>0)))
