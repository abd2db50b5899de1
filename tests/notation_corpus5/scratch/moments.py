"""Monte Carlo confirmation of every moment reference used by the corpus (no derive)."""
import numpy as np
rng = np.random.default_rng(5)
N = 400_000
def rel(a, b): return abs(a - b) / max(abs(b), 1e-12)
out = []
def rep(name, mc, formula):
    out.append((name, mc, formula, rel(mc, formula)))
    print(f"{name:40s} MC {mc: .5f}  formula {formula: .5f}  rel {rel(mc, formula):.3f}")

# he_init: z0 ~ symmetric var v (normal and uniform), W var sW^2 symmetric
n, m, v, sW = 6, 4, 1.7, 0.6
for law in ["normal", "uniform"]:
    z0 = rng.normal(0, np.sqrt(v), (N, n)) if law == "normal" else rng.uniform(-np.sqrt(3*v), np.sqrt(3*v), (N, n))
    W = rng.uniform(-np.sqrt(3)*sW, np.sqrt(3)*sW, (N, n))
    z1 = (W * np.maximum(z0, 0)).sum(1)
    rep(f"he_init Var(z1) [{law}]", z1.var(), n*sW**2*v/2)
    rep(f"he_init E(z1) [{law}]", z1.mean() + 1, 0 + 1)
z0 = rng.normal(0, np.sqrt(v), N)
rep("he_init E(h) normal", np.maximum(z0, 0).mean(), np.sqrt(v/(2*np.pi)))
# e: W var 1/n -> Var z1 = v/2 < v
W = rng.normal(0, np.sqrt(1/n), (N, n)); z0 = rng.normal(0, np.sqrt(v), (N, n))
rep("he_init:e Var(z1) with 1/n", (W*np.maximum(z0, 0)).sum(1).var(), v/2)

# he_backward: x ~ N(0,1), y.grad var g, x.grad[i] = step(x_i) sum_j W[j,i] yg[j]
nin, nout, g = 5, 4, 2.3
x = rng.normal(0, 1, N); W = rng.normal(0, sW, (N, nout)); yg = rng.normal(0, np.sqrt(g), (N, nout))
xg = (x > 0) * (W*yg).sum(1)
rep("he_backward Var(x.grad)", xg.var(), nout*sW**2*g/2)
W = rng.normal(0, np.sqrt(1/nout), (N, nout))
rep("he_backward:d Var with 1/n_out", ((x > 0)*(W*yg).sum(1)).var(), g/2)

# glorot
n, m = 5, 3
x = rng.normal(0, np.sqrt(v), (N, n)); W = rng.normal(0, sW, (N, n))
rep("glorot Var(y)", (W*x).sum(1).var(), n*sW**2*v)
yg = rng.normal(0, np.sqrt(g), (N, m)); W = rng.normal(0, sW, (N, m))
rep("glorot Var(x.grad)", (W*yg).sum(1).var(), m*sW**2*g)
a = 0.7
rep("glorot:f Var(U[-a,a])", rng.uniform(-a, a, N).var(), a**2/3)

# init_variance
d = 5
x = rng.normal(0, 1, (N, d)); W = rng.normal(0, sW, (N, d)); y = (W*x).sum(1)
rep("init_variance Var(y)", y.var(), d*sW**2)
u = 1/(1+np.exp(-y))
rep("init_variance E(u)", u.mean(), 0.5)
print("init_variance Var(u) =", u.var(), "< Var(y) =", y.var())
yb = rng.choice([-50, 50], N); ub = 1/(1+np.exp(-yb))
rep("init_variance Var(u) at y=+-50", ub.var(), 0.25)

# dropout (bundled and instructor)
q, mu = 0.7, 0.8
mk = rng.random(N) < q
x = rng.normal(0, np.sqrt(v), N)
rep("dropout Var(y) mean-0 x", (mk*x/q).var(), v/q)
x = rng.normal(mu, np.sqrt(v), N)
rep("dropout E(y)", (mk*x/q).mean(), mu)
rep("dropout Var(y) mean-mu x", (mk*x/q).var(), v/q + mu**2*(1-q)/q)

# batchnorm_stats
B = 4
x = rng.normal(0, np.sqrt(v), (N, B)); mu_ = x.mean(1); xc = x - mu_[:, None]; s = (xc**2).sum(1)/(B-1)
rep("bn Var(mu)", mu_.var(), v/B)
rep("bn Var(xc)", xc[:, 0].var(), v*(B-1)/B)
rep("bn E(s)", s.mean(), v)
rep("bn Var(s)", s.var(), 2*v**2/(B-1))

# momentum: Var after t steps
beta, sg, t = 0.8, 1.3, 5
m0 = rng.normal(0, np.sqrt(v), N); mm = m0.copy()
for _ in range(t):
    mm = beta*mm + (1-beta)*rng.normal(0, sg, N)
rep("momentum Var(m_t)", mm.var(), beta**(2*t)*v + (1-beta)**2*sg**2*(1-beta**(2*t))/(1-beta**2))

# fixup: one block, var multiplies by 1 + s^4
n, s_ = 4, 0.9
x0 = rng.normal(0, 1, (N, n)); W1 = rng.normal(0, s_/np.sqrt(n), (N, n, n)); W2 = rng.normal(0, s_/np.sqrt(n), (N, n, n))
r1 = np.einsum("nik,nk->ni", W1, x0); x1 = x0 + np.einsum("nik,nk->ni", W2, r1)
rep("fixup Var(x1)", x1[:, 0].var(), 1 + s_**4)

# resnet: interior entry, D x D x J taps, treated independent
D, J = 2, 2
L0 = rng.normal(0, 1, (N, D*D*J)); W = rng.normal(0, sW, (N, D*D*J))
L1 = L0[:, 0] + (W*L0).sum(1)
rep("resnet Var(L1) (self-tap shares L0)", L1.var(), 1 + D*D*J*sW**2)
R = (W*rng.normal(0, 1, (N, D*D*J))).sum(1)
rep("resnet Var(L1) (R independent)", (L0[:, 0] + R).var(), 1 + D*D*J*sW**2)
# backward: L0.grad = L1.grad + sum over D*D*J taps W * L1.grad
Lg = rng.normal(0, 1, (N, D*D*J)); W = rng.normal(0, sW, (N, D*D*J))
rep("resnet Var(L0.grad)", (Lg[:, 0] + (W*rng.normal(0, 1, (N, D*D*J))).sum(1)).var(), 1 + D*D*J*sW**2)

# he_deep: l layers
n, l = 5, 3
z = rng.normal(0, np.sqrt(v), (N // 10, n))
for _ in range(l):
    Wl = rng.normal(0, sW, (N // 10, n, n)); z = np.einsum("nji,ni->nj", Wl, np.maximum(z, 0))
rep("he_deep Var(z_l)", z[:, 0].var(), (n*sW**2/2)**l*v)
bad = [o for o in out if o[3] > 0.03]
print("ALL AGREE (3%)" if not bad else f"DISAGREE: {bad}")
