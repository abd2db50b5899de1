"""Monte Carlo confirmation of the reference moments used for the expression parts."""
import numpy as np
rs = np.random.default_rng(0)
N = 400000
def lap(scale, size):  # symmetric, not normal, variance = 2 scale^2
    return rs.laplace(0, scale, size)
def cexp(var, size):   # skewed, mean 0, variance var
    return (rs.exponential(1, size) - 1) * np.sqrt(var)

# glorot a, b: Var(y) = n sw^2 v ; Var(x.grad) = m sw^2 g
n, m, sw, v, g = 5, 3, 0.7, 0.45, 0.35
W = cexp(sw**2, (N, m, n)); x = cexp(v, (N, n)); yg = cexp(g, (N, m))
y = np.einsum('sji,si->sj', W, x); xg = np.einsum('sji,sj->si', W, yg)
print('glorot a', y.var(), n*sw**2*v, '| b', xg.var(), m*sw**2*g)
# he a, d, e
n, sw, v = 6, 0.5, 0.35
z0 = lap(np.sqrt(v/2), (N, n)); Wr = lap(sw/np.sqrt(2), (N, n))
z1 = (Wr*np.maximum(z0, 0)).sum(1)
print('he a', z1.var(), n*sw**2*v/2, ' c mean', z1.mean())
zn = rs.normal(0, np.sqrt(v), N)
print('he d', np.maximum(zn, 0).mean(), np.sqrt(v/(2*np.pi)), ' E|z|/2', np.sqrt(2*v/np.pi)/2)
We = lap(np.sqrt(1/n/2), (N, n)); z1e = (We*np.maximum(z0, 0)).sum(1)
print('he e', z1e.var(), 'vs Var(z0)', z0.var(), '-> smaller')
# init_variance b, c, d
d, sw = 5, 0.5
Wi = lap(sw/np.sqrt(2), (N, d)); xi = cexp(1, (N, d)); yi = (Wi*xi).sum(1); u = 1/(1+np.exp(-yi))
print('init b', u.mean(), ' c', u.var(), '<', yi.var(), ' d: two-point +-30:', (1/(1+np.exp(-30*rs.choice([-1, 1], N)))).var())
# resnet a, c: one layer, interior point, D x D filter, J channels
D, J, sw, X = 2, 2, 0.7, 6
M = 20000
L0 = cexp(1, (M, X, X, J)); Wc = cexp(sw**2, (M, D, D, J, J))
R = np.zeros((M, X, X, J))
for dx in range(D):
    for dy in range(D):
        R[:, :X-D+1, :X-D+1] += np.einsum('sxyi,sij->sxyj', L0[:, dx:dx+X-D+1, dy:dy+X-D+1], Wc[:, dx, dy])
L1 = L0 + R
print('resnet a one layer', L1[:, 1, 1].var(), 1 + D**2*J*sw**2)
G1 = cexp(1, (M, X, X, J))   # L1.grad; R.grad = L1.grad
L0g = G1.copy()
for dx in range(D):
    for dy in range(D):
        L0g[:, dx:dx+X-D+1, dy:dy+X-D+1] += np.einsum('sxyj,sij->sxyi', G1[:, :X-D+1, :X-D+1], Wc[:, dx, dy])
print('resnet c one layer', L0g[:, 2, 2].var(), 1 + D**2*J*sw**2)
