import numpy as np
from fd_util import *
B, J = 3, 4
def setup(rng):
    s = rng.normal(size=(B, J)); pg = rng.normal(size=(B, J)); Zg = rng.normal(size=B)
    Z = np.exp(s).sum(1); p = np.exp(s)/Z[:, None]
    return s, pg, Zg, Z, p
# part a: through loop 2 only: p = exp(s)/Z with Z fixed
def truth_a(s, pg, Z):
    f = lambda: (pg*np.exp(s)/Z[:, None]).sum()
    return numgrad(f, s)
def truth_b(s, pg, Z):
    f = lambda: (pg*np.exp(s)/Z[:, None]).sum()
    return numgrad(f, Z)
def truth_c(s, Zg):
    f = lambda: (Zg*np.exp(s).sum(1)).sum()
    return numgrad(f, s)
def truth_full(s, pg):
    f = lambda: (pg*np.exp(s)/np.exp(s).sum(1, keepdims=True)).sum()
    return numgrad(f, s)
E = np.exp
A = {
 'sa1': lambda s,pg,Z,p: pg*E(s)/Z[:,None],
 'sa2': lambda s,pg,Z,p: pg*E(s)/Z[:,None],
 'sa3': lambda s,pg,Z,p: pg*E(s)/Z[:,None],
 'sa4': lambda s,pg,Z,p: pg*p,
 'sa5': lambda s,pg,Z,p: pg*E(s),
 'sa6': lambda s,pg,Z,p: pg*E(s)/Z[:,None]**2,
 'sa7': lambda s,pg,Z,p: pg*E(s)*Z[:,None],
}
Aexp = dict(sa1='correct', sa2='correct', sa3='correct', sa4='correct', sa5='incorrect', sa6='incorrect', sa7='incorrect')
for k, fn in A.items():
    def trial(rng, fn=fn):
        s, pg, Zg, Z, p = setup(rng); return [(fn(s,pg,Z,p), truth_a(s,pg,Z))]
    check(k, Aexp[k], trial)
Bn = {
 'sb1': lambda s,pg,Z,p: -(pg*E(s)).sum(1)/Z**2,
 'sb2': lambda s,pg,Z,p: -(pg*E(s)).sum(1)/Z**2,
 'sb3': lambda s,pg,Z,p: -(pg*E(s)).sum(1)/Z**2,
 'sb4': lambda s,pg,Z,p: +(pg*E(s)).sum(1)/Z**2,
 'sb5': lambda s,pg,Z,p: -(pg*E(s)).sum(1)/Z,
 'sb6': lambda s,pg,Z,p: -(pg*p).sum(1)/Z,
}
Bexp = dict(sb1='correct', sb2='correct', sb3='correct', sb4='incorrect', sb5='incorrect', sb6='correct')
for k, fn in Bn.items():
    def trial(rng, fn=fn):
        s, pg, Zg, Z, p = setup(rng); return [(fn(s,pg,Z,p), truth_b(s,pg,Z))]
    check(k, Bexp[k], trial)
C = {
 'sc1': lambda s,Zg,Z: Zg[:,None]*E(s),
 'sc2': lambda s,Zg,Z: Zg[:,None]*E(s),
 'sc3': lambda s,Zg,Z: Zg[:,None]*E(s),
 'sc4': lambda s,Zg,Z: Zg[:,None]*E(s)/Z[:,None],
 # sc5 writes Z.grad from s.grad: s.grad never touched -> s.grad = 0
 'sc5': lambda s,Zg,Z: np.zeros_like(s),
}
Cexp = dict(sc1='correct', sc2='correct', sc3='correct', sc4='incorrect', sc5='incorrect')
for k, fn in C.items():
    def trial(rng, fn=fn):
        s, pg, Zg, Z, p = setup(rng); return [(fn(s,Zg,Z), truth_c(s,Zg))]
    check(k, Cexp[k], trial)
def full1(s,pg,p):  # e -= p pg ; s.grad += p (pg + e)
    e = -(p*pg).sum(1, keepdims=True); return p*(pg+e)
def full3(s,pg,p):
    e = (p*pg).sum(1, keepdims=True); return p*(pg-e)
def full4(s,pg,p):
    e = (p*pg).sum(1, keepdims=True); return p*(pg+e)
def full5(s,pg,p):
    e = -(p*pg).sum(1, keepdims=True); return p*pg + e
F = {'sf1': full1, 'sf2': lambda s,pg,p: p*(pg - (p*pg).sum(1,keepdims=True)), 'sf3': full3,
     'sf4': full4, 'sf5': full5, 'sf6': full1, 'sf7': lambda s,pg,p: pg*p*(1-p)}
Fexp = dict(sf1='correct', sf2='correct', sf3='correct', sf4='incorrect', sf5='incorrect', sf6='correct', sf7='incorrect')
for k, fn in F.items():
    def trial(rng, fn=fn):
        s, pg, Zg, Z, p = setup(rng); return [(fn(s,pg,p), truth_full(s,pg))]
    check(k, Fexp[k], trial)
