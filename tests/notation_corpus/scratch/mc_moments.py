# Monte Carlo checks of the moment truths I derived by hand.
import numpy as np
rng = np.random.default_rng(0)
N = 400_000
def rel(a, b): return abs(a-b)/abs(b)

# init_variance: y = W.x, u = sigma(y); d=5, sigma_W=0.7 (symmetric W: uniform)
d, sw = 5, 0.7
x = rng.normal(0, 1, (N, d)); W = rng.uniform(-1, 1, (N, d)) * sw*np.sqrt(3)
y = (W*x).sum(1); u = 1/(1+np.exp(-y))
print("init a Var(y)", y.var(), d*sw**2, "-> sigma_W=1/sqrt(d) gives 1")
print("init b E[u]", u.mean(), 0.5)
print("init c Var(u) < Var(y):", u.var(), y.var())
# d: sup variance 1/4: input +-big
yy = rng.choice([-50, 50], N); uu = 1/(1+np.exp(-yy)); print("init d", uu.var(), 0.25)

# he_init: z0 symmetric var v (use normal and also laplace), z1 = W h, W var sw^2 symmetric
n, v, sw = 6, 1.7, 0.4
for name, z0 in [("normal", rng.normal(0, np.sqrt(v), (N, n))), ("laplace", rng.laplace(0, np.sqrt(v/2), (N, n)))]:
    W = rng.normal(0, sw, (N, n)); h = np.maximum(z0, 0); z1 = (W*h).sum(1)
    print("he_init a", name, z1.var(), n*sw**2*v/2, " wrong(Var h)", n*sw**2*v*(0.5-1/(2*np.pi)))
    print("he_init c", z1.mean())
z0 = rng.normal(0, np.sqrt(v), N); print("he_init d E[h]", np.maximum(z0,0).mean(), np.sqrt(v/(2*np.pi)))
# he_init e: sw^2 = 1/n -> Var z1 = v/2 < v

# he_backward: x ~ N(0,1) (n_in), W[j,i] var sw^2, y.grad var g, x.grad[i] = step(x_i) sum_j W[j,i] yg[j]
nout, sw, g = 4, 0.6, 2.3
x = rng.normal(0,1,(N,)); W = rng.normal(0,sw,(N,nout)); yg = rng.normal(0,np.sqrt(g),(N,nout))
xg = (x>0)*(W*yg).sum(1)
print("he_back b", xg.var(), nout*sw**2*g/2)

# glorot: y[j] = W[j,I] x[I]; x.grad[i] = W[J,i] y.grad[J]
n, m, sw, v, g = 5, 3, 0.5, 1.3, 0.8
x = rng.normal(0,np.sqrt(v),(N,n)); W = rng.normal(0,sw,(N,n)); print("glorot a", (W*x).sum(1).var(), n*sw**2*v)
yg = rng.normal(0,np.sqrt(g),(N,m)); W = rng.normal(0,sw,(N,m)); print("glorot b", (W*yg).sum(1).var(), m*sw**2*g)
# uniform [-a,a] variance a^2/3
a = 0.9; print("uniform var", rng.uniform(-a,a,N).var(), a*a/3)

# dropout
q, mu, v = 0.3, 0.8, 1.5
mm = rng.random(N) < q; x = mu + np.sqrt(v)*rng.normal(size=N)
y = mm*x/q; print("dropout b", y.mean(), mu)
x0 = np.sqrt(v)*rng.normal(size=N); y0 = mm*x0/q; print("dropout c", y0.var(), v/q)

# batchnorm_stats
B, v = 4, 2.0
x = rng.normal(0, np.sqrt(v), (N, B)); mu_ = x.mean(1); xc = x - mu_[:,None]; s = (xc**2).sum(1)/(B-1)
print("bns a", mu_.var(), v/B); print("bns b", xc[:,0].var(), v*(B-1)/B)
print("bns c", s.mean(), v); print("bns d", s.var(), 2*v*v/(B-1))
