"""Moments, solves, choices and costs: each reference formula is confirmed by Monte Carlo
(or by plugging the solution back into its condition); a student's formula is compared
with it at random points. Choices and costs are argued in `why` (and by simulation where
a simulation says something)."""
import math
import numpy as np
from common import sig, relu, entry

rng = np.random.default_rng(7)
S = 400_000

def agree(student, ref, draw, n=6):
    r = np.random.default_rng(3)
    for _ in range(n):
        p = {k: (int(x) if isinstance(x, (int, np.integer)) else float(x)) for k, x in draw(r).items()}
        a, b = student(**p), ref(**p)
        if not abs(a - b) <= 1e-9 * (1 + abs(b)):
            return False
    return True

def mc_close(est, exact, rel=0.03):
    return abs(est - exact) <= rel * abs(exact) + 1e-3

# ---------------------------------------------------------------- init_variance
d = 5
sw = 1 / math.sqrt(d)
Wm = rng.normal(0, sw, size=(S, d)); xm = rng.normal(size=(S, d)); ym = (Wm * xm).sum(1)
assert mc_close(ym.var(), 1.0)                              # a: sigma_W = 1/sqrt(d) gives Var(y) = 1
um = sig(ym); assert mc_close(um.mean(), 0.5)               # b: E[u] = 1/2
assert um.var() < ym.var()                                  # c: smaller
big = sig(rng.choice([-40.0, 40.0], size=S)); assert mc_close(big.var(), 0.25)   # d: 1/4 approached
draw_d = lambda r: dict(d=r.integers(1, 50))
ref_a = lambda d: 1 / math.sqrt(d)

entry('init_variance', 'a', '''
σ_W = √(1/d)
''', ['unicode'], 'correct', "d sigma_W^2 = 1", lambda: agree(lambda d: math.sqrt(1 / d), ref_a, draw_d))
entry('init_variance', 'a', r'''
\sigma_W = \sqrt{d}
''', ['latex'], 'incorrect', "inverted: sqrt(d) makes Var(y) = d^2",
      lambda: agree(lambda d: math.sqrt(d), ref_a, draw_d))
entry('init_variance', 'a', '''
sigma_W = d**(-0.5)
''', ['keyboard'], 'correct', "the same as 1/sqrt(d), Python power", lambda: agree(lambda d: d ** -0.5, ref_a, draw_d))
entry('init_variance', 'b', '''
E[u] = σ(0) = 1/2
''', ['unicode', 'keyboard'], 'correct',
      "y is symmetric about 0 and sigma(-y) = 1 - sigma(y), so E[u] = 1/2 (a chained equality)",
      lambda: mc_close(um.mean(), 0.5))
entry('init_variance', 'b', '''
E(u) = 1/4
''', ['keyboard'], 'incorrect', "1/4 is the slope of sigma at 0, not the mean of u", lambda: mc_close(um.mean(), 0.25))
entry('init_variance', 'c', '''
Smaller. The sigmoid squashes y into (0, 1) and its slope is at most 1/4, so u varies less than y
''', ['keyboard'], 'correct', "sigma is 1/4-Lipschitz: Var(u) <= Var(y)/16", lambda: um.var() < ym.var())
entry('init_variance', 'c', '''
equal, since u is a monotone function of y
''', ['keyboard'], 'incorrect', "monotone does not mean variance-preserving", lambda: abs(um.var() - ym.var()) < 1e-3)
entry('init_variance', 'd', '''
Var(u) ≤ ¼ (reached in the limit where y = ±∞ with probability ½ each)
''', ['unicode'], 'correct', "a [0,1]-valued variable has variance at most 1/4; two atoms at 0 and 1 approach it",
      lambda: mc_close(big.var(), 0.25))
entry('init_variance', 'd', '''
Var(u) <= 1/2
''', ['keyboard'], 'incorrect', "the bound for a [0,1] variable is 1/4", lambda: mc_close(big.var(), 0.5))

# ---------------------------------------------------------------- he_init
n, v, sW = 6, 1.7, 0.8
z0 = rng.normal(0, math.sqrt(v), size=(S, n)); Wh = rng.normal(0, sW, size=(S, n))
z1 = (Wh * relu(z0)).sum(1)
assert mc_close(z1.var(), n * sW ** 2 * v / 2) and abs(z1.mean()) < 0.02
assert mc_close(relu(z0[:, 0]).mean(), math.sqrt(v / (2 * math.pi)))
We = rng.normal(0, 1 / math.sqrt(n), size=(S, n)); z1e = (We * relu(z0)).sum(1)
assert mc_close(z1e.var() / v, 0.5)
draw_h = lambda r: dict(n=r.integers(1, 40), v=r.uniform(0.1, 5), s=r.uniform(0.1, 3))
ref_ha = lambda n, v, s: n * s ** 2 * v / 2
entry('he_init', 'a', r'''
\frac{1}{2}\, n\, v\, \sigma_W^{2}
''', ['latex', 'implicit'], 'correct', "n terms, each sigma_W^2 E[relu(z)^2] = sigma_W^2 v/2",
      lambda: agree(ref_ha, ref_ha, draw_h))
entry('he_init', 'a', '''
Var(z1) = n*sigma_W**2*v/4
''', ['keyboard'], 'incorrect', "wrong constant: E[relu(z)^2] = v/2, not v/4",
      lambda: agree(lambda n, v, s: n * s ** 2 * v / 4, ref_ha, draw_h))
entry('he_init', 'a', '''
Var(z_{ℓ+1}[j]) = n σ_W² (v/2 − v/(2π))
''', ['unicode', 'latex', 'implicit'], 'incorrect',
      "uses Var(h) instead of E[h^2]: the weights have mean zero, so the second moment of h is what counts",
      lambda: agree(lambda n, v, s: n * s ** 2 * (v / 2 - v / (2 * math.pi)), ref_ha, draw_h))
ref_hb = lambda n: math.sqrt(2 / n)
draw_n = lambda r: dict(n=r.integers(1, 60))
entry('he_init', 'b', '''
σ_W = √2/√n
''', ['unicode'], 'correct', "n sigma_W^2 v/2 = v", lambda: agree(lambda n: math.sqrt(2) / math.sqrt(n), ref_hb, draw_n))
entry('he_init', 'b', r'''
\sigma_W = \sqrt{\frac{1}{n}}
''', ['latex'], 'incorrect', "the linear-layer choice; with the ReLU it halves the variance",
      lambda: agree(lambda n: math.sqrt(1 / n), ref_hb, draw_n))
entry('he_init', 'c', '''
𝔼(z1) = 0
''', ['unicode'], 'correct', "zero-mean weights independent of h", lambda: abs(z1.mean()) < 0.02)
entry('he_init', 'c', '''
E[z1] = n σ_W √(v/(2π))
''', ['unicode', 'implicit'], 'incorrect', "E[W] = 0 kills every term, whatever E[h]",
      lambda: abs(z1.mean() - n * sW * math.sqrt(v / (2 * math.pi))) < 0.02)
ref_hd = lambda v: math.sqrt(v / (2 * math.pi))
draw_v = lambda r: dict(v=r.uniform(0.1, 9))
entry('he_init', 'd', '''
𝔼[h_ℓ] = √(v/2π)
''', ['unicode', 'implicit'], 'correct', "E[relu(z)] = sigma/sqrt(2 pi) for z ~ N(0, v); 2π stays in the denominator",
      lambda: agree(lambda v: math.sqrt(v / (2 * math.pi)), ref_hd, draw_v))
entry('he_init', 'd', '''
E[h] = sqrt(2*v/pi)/2
''', ['keyboard'], 'correct', "sqrt(2v/pi)/2 = sqrt(v/(2 pi))",
      lambda: agree(lambda v: math.sqrt(2 * v / math.pi) / 2, ref_hd, draw_v))
entry('he_init', 'd', '''
E[h] = √(v/π)
''', ['unicode'], 'incorrect', "off by a factor sqrt(2)",
      lambda: agree(lambda v: math.sqrt(v / math.pi), ref_hd, draw_v))
entry('he_init', 'e', '''
smaller, by a factor of 2, because the ReLU zeroes half of the second moment
''', ['keyboard'], 'correct', "n (1/n) v/2 = v/2 < v", lambda: z1e.var() < v)
entry('he_init', 'e', '''
equal: 1/n is exactly the variance-preserving choice
''', ['keyboard'], 'incorrect', "only for a linear layer; after a ReLU it gives v/2", lambda: abs(z1e.var() - v) < 0.02)

# ---------------------------------------------------------------- he_backward
nout, g, sb = 4, 1.3, 0.7
xb = rng.normal(size=S); Wb = rng.normal(0, sb, size=(S, nout)); yg = rng.normal(0, math.sqrt(g), size=(S, nout))
xg = (xb > 0) * (Wb * yg).sum(1)
assert mc_close(xg.var(), nout * sb ** 2 * g / 2)
Wd = rng.normal(0, 1 / math.sqrt(nout), size=(S, nout)); xgd = (xb > 0) * (Wd * yg).sum(1)
assert mc_close(xgd.var(), g / 2)
draw_b = lambda r: dict(n_out=r.integers(1, 40), g=r.uniform(0.1, 5), s=r.uniform(0.1, 3))
ref_bb = lambda n_out, g, s: n_out * s ** 2 * g / 2
entry('he_backward', 'b', '''
g * n_out * sigma_W^2 / 2
''', ['keyboard'], 'correct', "n_out terms W[j,i] y.grad[j], gated by step(x) which keeps half of them on average",
      lambda: agree(lambda n_out, g, s: g * n_out * s ** 2 / 2, ref_bb, draw_b))
entry('he_backward', 'b', '''
Var(dx_i) = n_out σ_W² g
''', ['unicode', 'leibniz', 'implicit'], 'incorrect', "forgets the ReLU's factor 1/2 (P(x > 0) = 1/2)",
      lambda: agree(lambda n_out, g, s: n_out * s ** 2 * g, ref_bb, draw_b))
draw_no = lambda r: dict(n_out=r.integers(1, 60))
ref_bc = lambda n_out: math.sqrt(2 / n_out)
entry('he_backward', 'c', '''
σ_W = (2/n_out)^(1/2)
''', ['unicode', 'keyboard'], 'correct', "n_out sigma_W^2 / 2 = 1",
      lambda: agree(lambda n_out: (2 / n_out) ** 0.5, ref_bc, draw_no))
entry('he_backward', 'c', '''
σ_W = √2 / n_out
''', ['unicode'], 'incorrect', "the square root must cover n_out too",
      lambda: agree(lambda n_out: math.sqrt(2) / n_out, ref_bc, draw_no))
entry('he_backward', 'd', '''
Smaller — with σ_W² = 1/n_out we get Var(x.grad) = g/2 < g
''', ['unicode', 'keyboard'], 'correct', "the ReLU halves the backward variance", lambda: xgd.var() < g)
entry('he_backward', 'd', '''
larger
''', ['keyboard'], 'incorrect', "it is g/2", lambda: xgd.var() > g)

# ---------------------------------------------------------------- glorot_init
nn_, mm_, vv, gg, ss = 5, 3, 1.4, 0.6, 0.5
Wg_ = rng.normal(0, ss, size=(S, mm_, nn_))
xv = rng.normal(0, math.sqrt(vv), size=(S, nn_)); ygl = rng.normal(0, math.sqrt(gg), size=(S, mm_))
assert mc_close(np.einsum('sji,si->sj', Wg_, xv)[:, 0].var(), nn_ * ss ** 2 * vv)
assert mc_close(np.einsum('sji,sj->si', Wg_, ygl)[:, 0].var(), mm_ * ss ** 2 * gg)
draw_g = lambda r: dict(n=r.integers(1, 30), m=r.integers(1, 30), v=r.uniform(0.1, 5), g=r.uniform(0.1, 5), s=r.uniform(0.1, 3))
entry('glorot_init', 'a', r'''
\operatorname{Var}(y_j) = \sum_{i=1}^{n} \sigma_W^2 v
''', ['latex'], 'correct', "n equal terms: n sigma_W^2 v, written as the sum",
      lambda: agree(lambda n, m, v, g, s: sum(s ** 2 * v for _ in range(n)), lambda n, m, v, g, s: n * s ** 2 * v, draw_g))
entry('glorot_init', 'a', '''
Var(y) = n σ_W v
''', ['unicode', 'implicit'], 'incorrect', "sigma_W must be squared",
      lambda: agree(lambda n, m, v, g, s: n * s * v, lambda n, m, v, g, s: n * s ** 2 * v, draw_g))
entry('glorot_init', 'b', '''
Var(x.grad) = m g σ_W²
''', ['unicode', 'implicit'], 'correct', "x.grad[i] = sum over the m outputs of W[j, i] y.grad[j]",
      lambda: agree(lambda n, m, v, g, s: m * g * s ** 2, lambda n, m, v, g, s: m * s ** 2 * g, draw_g))
entry('glorot_init', 'b', '''
Var(x.grad[i]) = n*m*sigma_W^2*g
''', ['keyboard'], 'incorrect', "an extra factor n: only the m outputs feed x.grad[i]",
      lambda: agree(lambda n, m, v, g, s: n * m * s ** 2 * g, lambda n, m, v, g, s: m * s ** 2 * g, draw_g))
draw_nm = lambda r: dict(n=r.integers(1, 40), m=r.integers(1, 40))
entry('glorot_init', 'c', r'''
\sigma_W = \sqrt{1/n}
''', ['latex'], 'correct', "n sigma_W^2 = 1", lambda: agree(lambda n, m: math.sqrt(1 / n), lambda n, m: n ** -0.5, draw_nm))
entry('glorot_init', 'c', '''
σ_W = 1/√m
''', ['unicode'], 'incorrect', "that is the backward condition (fan-out)",
      lambda: agree(lambda n, m: 1 / math.sqrt(m), lambda n, m: n ** -0.5, draw_nm))
entry('glorot_init', 'd', '''
sigma_W = m**-0.5
''', ['keyboard'], 'correct', "m sigma_W^2 = 1",
      lambda: agree(lambda n, m: m ** -0.5, lambda n, m: 1 / math.sqrt(m), draw_nm))
entry('glorot_init', 'd', '''
σ_W = 1/m
''', ['unicode'], 'incorrect', "missing the square root",
      lambda: agree(lambda n, m: 1 / m, lambda n, m: 1 / math.sqrt(m), draw_nm))
ref_ge = lambda n, m: math.sqrt(2 / (n + m))
assert all(abs((n * ref_ge(n, m) ** 2 + m * ref_ge(n, m) ** 2) / 2 - 1) < 1e-12 for n in range(1, 9) for m in range(1, 9))
entry('glorot_init', 'e', '''
σ_W = √2/√(n + m)
''', ['unicode'], 'correct', "(n + m) sigma_W^2 / 2 = 1", lambda: agree(lambda n, m: math.sqrt(2) / math.sqrt(n + m), ref_ge, draw_nm))
entry('glorot_init', 'e', '''
σ_W = √(1/(n + m))
''', ['unicode'], 'incorrect', "drops the 2 of the average", lambda: agree(lambda n, m: math.sqrt(1 / (n + m)), ref_ge, draw_nm))
ref_gf = lambda n, m: math.sqrt(6 / (n + m))
assert all(abs(ref_gf(n, m) ** 2 / 3 - 2 / (n + m)) < 1e-12 for n in range(1, 9) for m in range(1, 9))
entry('glorot_init', 'f', r'''
a = \sqrt{3} \sqrt{\frac{2}{n+m}}
''', ['latex', 'implicit'], 'correct', "a^2/3 = 2/(n+m): a = sqrt(6/(n+m))",
      lambda: agree(lambda n, m: math.sqrt(3) * math.sqrt(2 / (n + m)), ref_gf, draw_nm))
entry('glorot_init', 'f', '''
a = √(3/(n + m))
''', ['unicode'], 'incorrect', "off by sqrt(2): a^2/3 would be 1/(n+m)",
      lambda: agree(lambda n, m: math.sqrt(3 / (n + m)), ref_gf, draw_nm))

# ---------------------------------------------------------------- dropout
q, mu, vd = 0.7, 0.4, 1.9
mk = (rng.uniform(size=S) < q); xd = rng.normal(mu, math.sqrt(vd), size=S); x0d = rng.normal(0, math.sqrt(vd), size=S)
assert mc_close((mk * xd / q).mean(), mu)
yd0 = mk * x0d / q; assert mc_close(yd0.var(), vd / q)
draw_q = lambda r: dict(q=r.uniform(0.05, 0.95), mu=r.normal(), v=r.uniform(0.1, 4))
entry('dropout', 'b', '''
E(y[i]) = mu
''', ['keyboard'], 'correct', "E[m] E[x]/q = q mu/q: the division by q restores the mean", lambda: mc_close((mk * xd / q).mean(), mu))
entry('dropout', 'b', '''
E[y] = μ/q
''', ['unicode'], 'incorrect', "forgets E[m] = q", lambda: mc_close((mk * xd / q).mean(), mu / q))
entry('dropout', 'c', '''
Var(y) = v·q⁻¹
''', ['unicode'], 'correct', "E[m^2 x^2]/q^2 = q v/q^2 = v/q",
      lambda: agree(lambda q, mu, v: v * q ** -1, lambda q, mu, v: v / q, draw_q))
entry('dropout', 'c', '''
Var(y) = q v
''', ['implicit'], 'incorrect', "scales the wrong way: the 1/q^2 of the scaling is missing",
      lambda: agree(lambda q, mu, v: q * v, lambda q, mu, v: v / q, draw_q))
entry('dropout', 'd', '''
larger, by the factor 1/q > 1
''', ['keyboard'], 'correct', "v/q > v for q < 1", lambda: yd0.var() > vd)
entry('dropout', 'd', '''
equal — inverted dropout keeps the variance the same
''', ['unicode'], 'incorrect', "inverted dropout keeps the mean, not the variance", lambda: abs(yd0.var() - vd) < 0.02)

# ---------------------------------------------------------------- batchnorm_stats
Bs, vs = 4, 2.3
xs = rng.normal(0, math.sqrt(vs), size=(S, Bs)); mus = xs.mean(1); xcs = xs - mus[:, None]; ssx = (xcs ** 2).sum(1) / (Bs - 1)
assert mc_close(mus.var(), vs / Bs) and mc_close(xcs[:, 0].var(), vs * (Bs - 1) / Bs)
assert mc_close(ssx.mean(), vs) and mc_close(ssx.var(), 2 * vs ** 2 / (Bs - 1))
draw_s = lambda r: dict(B=r.integers(2, 30), v=r.uniform(0.1, 5))
entry('batchnorm_stats', 'a', '''
Var(μ_j) = v·B⁻¹
''', ['unicode'], 'correct', "the mean of B independent entries", lambda: agree(lambda B, v: v * B ** -1, lambda B, v: v / B, draw_s))
entry('batchnorm_stats', 'a', '''
Var(mu) = v/B^2
''', ['keyboard'], 'incorrect', "B terms of variance v/B^2 add up to v/B",
      lambda: agree(lambda B, v: v / B ** 2, lambda B, v: v / B, draw_s))
entry('batchnorm_stats', 'b', r'''
\frac{(B-1)\,v}{B}
''', ['latex'], 'correct', "x - mu: v - 2v/B + v/B", lambda: agree(lambda B, v: (B - 1) * v / B, lambda B, v: v * (1 - 1 / B), draw_s))
entry('batchnorm_stats', 'b', '''
Var(x̂[b, j]) = v − v/B²
''', ['unicode'], 'incorrect', "the covariance of x and mu is v/B: v - 2v/B + v/B = v - v/B",
      lambda: agree(lambda B, v: v - v / B ** 2, lambda B, v: v * (1 - 1 / B), draw_s))
entry('batchnorm_stats', 'c', '''
𝔼(s) = v
''', ['unicode'], 'correct', "Bessel's correction makes s unbiased", lambda: mc_close(ssx.mean(), vs))
entry('batchnorm_stats', 'c', '''
E[s] = B v/(B - 1)
''', ['implicit'], 'incorrect', "overcorrects: (B-1) v (B-1)... the sum of squares has mean (B-1)v",
      lambda: mc_close(ssx.mean(), Bs * vs / (Bs - 1)))
entry('batchnorm_stats', 'd', '''
2*v**2/(B-1)
''', ['keyboard'], 'correct', "(B-1)s/v is chi-square with B-1 degrees of freedom",
      lambda: agree(lambda B, v: 2 * v ** 2 / (B - 1), lambda B, v: 2 * v * v / (B - 1), draw_s))
entry('batchnorm_stats', 'd', '''
Var(s_j) = 2v/(B − 1)
''', ['unicode', 'implicit'], 'incorrect', "v must be squared", lambda: agree(lambda B, v: 2 * v / (B - 1), lambda B, v: 2 * v ** 2 / (B - 1), draw_s))

# ---------------------------------------------------------------- momentum_variance
beta, sn, vm, tt = 0.8, 1.1, 0.5, 6
mt = rng.normal(0, math.sqrt(vm), size=S)
for _ in range(tt):
    mt = beta * mt + (1 - beta) * rng.normal(0, sn, size=S)
ref_ma = lambda t, b, s, v: b ** (2 * t) * v + (1 - b) * s ** 2 * (1 - b ** (2 * t)) / (1 + b)
assert mc_close(mt.var(), ref_ma(tt, beta, sn, vm))
draw_m = lambda r: dict(t=int(r.integers(0, 20)), b=r.uniform(0.05, 0.95), s=r.uniform(0.1, 3), v=r.uniform(0.1, 3))
entry('momentum_variance', 'a', '''
Var(m_t) = β^{2t} v + (1 − β) s² (1 − β^{2t})/(1 + β)
''', ['unicode', 'latex', 'implicit'], 'correct',
      "solving Var(m_{t+1}) = beta^2 Var(m_t) + (1 - beta)^2 s^2 from v: the geometric sum gives (1-beta)^2/(1-beta^2) = (1-beta)/(1+beta)",
      lambda: agree(lambda t, b, s, v: b ** (2 * t) * v + (1 - b) * s ** 2 * (1 - b ** (2 * t)) / (1 + b), ref_ma, draw_m))
entry('momentum_variance', 'a', '''
Var(m_{t+1}) = β² Var(m_t) + (1 − β)² s²
''', ['unicode', 'latex'], 'correct', "the one-step recurrence (the first half of the question)",
      lambda: agree(lambda t, b, s, v: b ** 2 * ref_ma(t, b, s, v) + (1 - b) ** 2 * s ** 2, lambda t, b, s, v: ref_ma(t + 1, b, s, v), draw_m))
entry('momentum_variance', 'a', '''
β^(2t) v + (1 − β^(2t)) s²
''', ['unicode', 'implicit'], 'incorrect', "the long-run level is (1 - beta) s^2/(1 + beta), not s^2",
      lambda: agree(lambda t, b, s, v: b ** (2 * t) * v + (1 - b ** (2 * t)) * s ** 2, ref_ma, draw_m))
entry('momentum_variance', 'a', '''
Var(m_{t+1}) = β Var(m_t) + (1 − β) s²
''', ['unicode', 'latex'], 'incorrect', "the coefficients must be squared: Var(c X) = c^2 Var(X)",
      lambda: agree(lambda t, b, s, v: b * ref_ma(t, b, s, v) + (1 - b) * s ** 2, lambda t, b, s, v: ref_ma(t + 1, b, s, v), draw_m))
draw_mb = lambda r: dict(b=r.uniform(0.05, 0.95), v=r.uniform(0.1, 3))
ref_mb = lambda b, v: math.sqrt(v * (1 + b) / (1 - b))
assert all(abs((1 - b) * ref_mb(b, 1.3) ** 2 / (1 + b) - 1.3) < 1e-12 for b in (0.1, 0.5, 0.9))
entry('momentum_variance', 'b', r'''
s = \sqrt{\frac{v(1+\beta)}{1-\beta}}
''', ['latex'], 'correct', "(1 - beta) s^2/(1 + beta) = v", lambda: agree(lambda b, v: math.sqrt(v * (1 + b) / (1 - b)), ref_mb, draw_mb))
entry('momentum_variance', 'b', '''
s = √(v/(1 − β))
''', ['unicode'], 'incorrect', "drops the factor (1 + beta)", lambda: agree(lambda b, v: math.sqrt(v / (1 - b)), ref_mb, draw_mb))

# ---------------------------------------------------------------- fixup_scaling
nf, sf = 4, 0.9
x0f = rng.normal(size=(S // 4, nf))
W1f = rng.normal(0, sf / math.sqrt(nf), size=(S // 4, nf, nf)); W2f = rng.normal(0, sf / math.sqrt(nf), size=(S // 4, nf, nf))
x1f = x0f + np.einsum('sik,sk->si', W2f, np.einsum('sik,sk->si', W1f, x0f))
assert mc_close(x1f[:, 0].var(), 1 + sf ** 4)
draw_f = lambda r: dict(l=int(r.integers(0, 15)), s=r.uniform(0.1, 1.5))
ref_fa = lambda l, s: (1 + s ** 4) ** l
entry('fixup_scaling', 'a', '''
Var(x_ℓ) = (1 + s⁴)^ℓ
''', ['unicode'], 'correct', "each block multiplies the variance by 1 + s^2 s^2 (two layers of gain s^2 on the branch)",
      lambda: agree(lambda l, s: (1 + s ** 4) ** l, ref_fa, draw_f))
entry('fixup_scaling', 'a', '''
Var(x_{ℓ+1}) = (1 + s^4) Var(x_ℓ)
''', ['unicode', 'latex'], 'correct', "the one-block recurrence",
      lambda: agree(lambda l, s: (1 + s ** 4) * ref_fa(l, s), lambda l, s: ref_fa(l + 1, s), draw_f))
entry('fixup_scaling', 'a', '''
(1 + s^2)^l
''', ['keyboard'], 'incorrect', "counts one layer of the branch: a branch of two layers has gain s^4",
      lambda: agree(lambda l, s: (1 + s ** 2) ** l, ref_fa, draw_f))
entry('fixup_scaling', 'a', r'''
\left(1 + 2 s^{2}\right)^{\ell}
''', ['latex'], 'incorrect', "adds the two layers' gains instead of multiplying them",
      lambda: agree(lambda l, s: (1 + 2 * s ** 2) ** l, ref_fa, draw_f))
draw_L = lambda r: dict(L=int(r.integers(1, 200)))
ref_fb = lambda L: (math.log(2) / L) ** 0.25
assert all(abs(math.exp(ref_fb(L) ** 4 * L) - 2) < 1e-12 for L in (1, 7, 50))
entry('fixup_scaling', 'b', '''
s = (ln 2 / L)^(1/4)
''', ['unicode', 'keyboard'], 'correct', "e^{s^4 L} = 2", lambda: agree(lambda L: (math.log(2) / L) ** 0.25, ref_fb, draw_L))
entry('fixup_scaling', 'b', r'''
s = \sqrt[4]{\frac{\ln 2}{L}}
''', ['latex'], 'correct', "the fourth root, in LaTeX", lambda: agree(lambda L: (math.log(2) / L) ** 0.25, ref_fb, draw_L))
entry('fixup_scaling', 'b', '''
s = √(ln 2 / L)
''', ['unicode'], 'incorrect', "square root where the fourth root is needed (s^4 L = ln 2)",
      lambda: agree(lambda L: math.sqrt(math.log(2) / L), ref_fb, draw_L))
entry('fixup_scaling', 'b', r'''
s = L^{-1/4} (\log 2)^{1/4}
''', ['latex', 'implicit'], 'correct', "the same root split into factors",
      lambda: agree(lambda L: L ** -0.25 * math.log(2) ** 0.25, ref_fb, draw_L))

# ---------------------------------------------------------------- resnet_variance
draw_r = lambda r: dict(l=int(r.integers(0, 12)), L=int(r.integers(12, 30)), D=int(r.integers(1, 5)), J=int(r.integers(1, 6)), s=r.uniform(0.05, 0.6))
ref_ra = lambda l, L, D, J, s: (1 + D * D * J * s ** 2) ** l
# one block by Monte Carlo: L1 = L0 + sum of D^2 J products
Dr, Jr, sr = 2, 3, 0.3
Lm = rng.normal(size=(S, Dr * Dr * Jr)); Wr = rng.normal(0, sr, size=(S, Dr * Dr * Jr)); L1 = rng.normal(size=S) + (Wr * Lm).sum(1)
assert mc_close(L1.var(), 1 + Dr * Dr * Jr * sr ** 2)
entry('resnet_variance', 'a', '''
Var(L_ℓ) = exp(ℓ·ln(1 + D²Jσ_W²))
''', ['unicode', 'implicit'], 'correct', "(1 + D^2 J sigma_W^2)^l written as an exponential",
      lambda: agree(lambda l, L, D, J, s: math.exp(l * math.log(1 + D * D * J * s ** 2)), ref_ra, draw_r))
entry('resnet_variance', 'a', '''
σ_ℓ² = 1 + ℓ D² J σ_W²
''', ['unicode', 'implicit'], 'incorrect', "adds instead of multiplies: each block multiplies the variance by 1 + D^2 J sigma_W^2",
      lambda: agree(lambda l, L, D, J, s: 1 + l * D * D * J * s ** 2, ref_ra, draw_r))
entry('resnet_variance', 'a', '''
(1 + D^2 J^2 sigma_W^2)^l
''', ['keyboard', 'implicit'], 'incorrect', "J counted twice: a filter has D^2 J input terms",
      lambda: agree(lambda l, L, D, J, s: (1 + D * D * J * J * s ** 2) ** l, ref_ra, draw_r))
ref_rb = lambda l, L, D, J, s: math.sqrt(math.log(2) / (L * D * D * J))
assert abs(math.exp(5 * 4 * 3 * ref_rb(0, 5, 2, 3, 0) ** 2) - 2) < 1e-12
entry('resnet_variance', 'b', '''
σ_W = (ln 2/(L J))^{1/2} / D
''', ['unicode', 'latex'], 'correct', "e^{L D^2 J sigma_W^2} = 2",
      lambda: agree(lambda l, L, D, J, s: (math.log(2) / (L * J)) ** 0.5 / D, ref_rb, draw_r))
entry('resnet_variance', 'b', '''
σ_W = √(2/(L D² J))
''', ['unicode'], 'incorrect', "2 where ln 2 belongs",
      lambda: agree(lambda l, L, D, J, s: math.sqrt(2 / (L * D * D * J)), ref_rb, draw_r))
ref_rc = lambda l, L, D, J, s: (1 + D * D * J * s ** 2) ** (L - l)
entry('resnet_variance', 'c', '''
(1 + D**2*J*sigma_W**2)**(L - l)
''', ['keyboard'], 'correct', "L0.grad = L1.grad + the transposed convolution: the same gain per block, counted from the top",
      lambda: agree(lambda l, L, D, J, s: (1 + D ** 2 * J * s ** 2) ** (L - l), ref_rc, draw_r))
entry('resnet_variance', 'c', '''
(1 + D**2*J*sigma_W**2)**l
''', ['keyboard'], 'incorrect', "the forward exponent; going backwards the number of blocks above layer l is L - l",
      lambda: agree(lambda l, L, D, J, s: (1 + D ** 2 * J * s ** 2) ** l, ref_rc, draw_r))

# ---------------------------------------------------------------- costs
# rnn_unroll:b  depth of the backward pass: h_t.grad needs h_{t+1}.grad, a chain of T steps
entry('rnn_unroll', 'b', '''
O(T) — h_T needs h_{T−1}, which needs h_{T−2}, …: a chain of T sequential steps that parallelism cannot shorten
''', ['unicode'], 'correct', "the dependency chain through the T cells has length T", lambda: True)
entry('rnn_unroll', 'b', '''
linear in T: the backward pass walks back through the T cells one at a time
''', ['keyboard'], 'correct', "the same answer in words; a grader accepts 'linear in T'", lambda: True)
entry('rnn_unroll', 'b', '''
O(1), since all time steps can run in parallel on a GPU
''', ['keyboard'], 'incorrect', "the steps depend on each other; only the work inside a step parallelizes", lambda: False)
entry('loss_heads', 'b', r'''
\mathcal{O}(L): one backward pass visits each layer once, and all the heads' gradients are summed on the way down
''', ['latex'], 'correct', "backpropagation accumulates every head's contribution in a single sweep", lambda: True)
entry('loss_heads', 'b', '''
O(L²), since each of the L heads has to be backpropagated through up to L layers
''', ['unicode', 'keyboard'], 'incorrect', "that is separate backward passes per head; one pass suffices", lambda: False)
entry('rnn_lm_cost', 'a', '''
O(T·V·N): each of the T steps costs O(VN + N²), so it is linear in T
''', ['unicode', 'keyboard'], 'correct', "in T (the size asked about) this is linear; V and N are fixed", lambda: True)
entry('rnn_lm_cost', 'a', '''
O(T^2), because the loss at step t backpropagates through all t earlier steps
''', ['keyboard'], 'incorrect', "the gradients of all the losses are accumulated in one backward sweep", lambda: False)
