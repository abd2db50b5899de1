"""Finite-difference checks: mlp_ce_l2, lenet5, vanilla_rnn_bptt, mlp_numeric:vectorized."""
import numpy as np
from common import sig, relu, step, fd, close, entry

# ------------------------------------------------------------------ mlp_ce_l2
N, M, C = 3, 4, 2
def ce_draw(seed):
    r = np.random.default_rng(seed)
    P = dict(W1=r.normal(size=(M, N)), b1=r.normal(size=M), W2=r.normal(size=(C, M)), b2=r.normal(size=C))
    x = r.normal(size=N); y = np.eye(C)[seed % C]
    return P, x, y, r.uniform(0.1, 2), r.uniform(0.01, 0.5)

def ce_loss(P, x, y, lam):
    z = sig(P['W1'] @ x + P['b1']); a2 = P['W2'] @ z + P['b2']
    yh = np.exp(a2) / np.exp(a2).sum()
    return -np.sum(y * np.log(yh)) + lam / 2 * (np.sum(P['W1'] ** 2) + np.sum(P['W2'] ** 2))

def ce_fwd(P, x):
    a1 = P['W1'] @ x + P['b1']; z = sig(a1); a2 = P['W2'] @ z + P['b2']
    return a1, z, np.exp(a2) / np.exp(a2).sum()

def ce_ref(P, x, y, lam):
    return {k: fd(lambda A: ce_loss({**P, k: A}, x, y, lam), P[k]) for k in P}

def ce_check(student):
    for sd in range(4):
        P, x, y, lam, eta = ce_draw(sd)
        ref = ce_ref(P, x, y, lam)
        a1, z, yh = ce_fwd(P, x)
        got = student(P, x, y, lam, a1, z, yh)
        if not all(close(got[k], ref[k]) for k in ref):
            return False
    return True

def ce_sgd_check(student):
    for sd in range(4):
        P, x, y, lam, eta = ce_draw(sd)
        ref = {k: P[k] - eta * g for k, g in ce_ref(P, x, y, lam).items()}
        a1, z, yh = ce_fwd(P, x)
        got = student(P, x, y, lam, eta, a1, z, yh)
        if not all(close(got[k], ref[k]) for k in ref):
            return False
    return True

def ce_right(P, x, y, lam, a1, z, yh, regW1=True, sigma_not_prime=False, regb=False):
    d2 = yh - y
    d1 = (P['W2'].T @ d2) * (sig(a1) if sigma_not_prime else z * (1 - z))
    return dict(W2=np.outer(d2, z) + lam * P['W2'], b2=d2 + (lam * P['b2'] if regb else 0),
                b1=d1 + (lam * P['b1'] if regb else 0), W1=np.outer(d1, x) + (lam * P['W1'] if regW1 else 0))

entry('mlp_ce_l2', 'grad', '''
dW2 = np.outer(yhat - y, z) + lam * W2
db2 = yhat - y
db1 = (W2.T @ (yhat - y)) * z * (1 - z)
dW1 = np.outer(db1, x) + lam * W1
''', ['keyboard', 'matrix', 'leibniz'], 'correct',
      "softmax + cross-entropy gives yhat - y; sigma' = z(1 - z); L2 only on the weights",
      lambda: ce_check(ce_right))
entry('mlp_ce_l2', 'grad', '''
∇_{W2} L = (ŷ − y) zᵀ + λ W2
∇_{b2} L = ŷ − y
∇_{b1} L = (W2ᵀ(ŷ − y)) ⊙ z ⊙ (1 − z)
∇_{W1} L = ((W2ᵀ(ŷ − y)) ⊙ z ⊙ (1 − z)) xᵀ
''', ['unicode', 'leibniz', 'matrix'], 'incorrect',
      "missing the regularization term lambda W1 in the W1 gradient",
      lambda: ce_check(lambda *a: ce_right(*a, regW1=False)))
entry('mlp_ce_l2', 'grad', r'''
\frac{\partial L}{\partial W^{(2)}} = (\hat{y} - y) z^\top + \lambda W^{(2)}
\frac{\partial L}{\partial b^{(2)}} = \hat{y} - y
\frac{\partial L}{\partial b^{(1)}} = \left((W^{(2)})^\top (\hat{y} - y)\right) \odot \sigma(a^{(1)})
\frac{\partial L}{\partial W^{(1)}} = \left(\left((W^{(2)})^\top (\hat{y} - y)\right) \odot \sigma(a^{(1)})\right) x^\top + \lambda W^{(1)}
''', ['latex', 'leibniz', 'matrix'], 'incorrect',
      "sigma instead of sigma' at the hidden layer",
      lambda: ce_check(lambda *a: ce_right(*a, sigma_not_prime=True)))
entry('mlp_ce_l2', 'grad', '''
dW2 = (ŷ − y) zᵀ + λ W2
db2 = ŷ − y + λ b2
db1 = (W2ᵀ(ŷ − y)) ⊙ z ⊙ (1 − z) + λ b1
dW1 = ((W2ᵀ(ŷ − y)) ⊙ z ⊙ (1 − z)) xᵀ + λ W1
''', ['unicode', 'leibniz', 'matrix'], 'incorrect',
      "regularizes the biases too; the penalty is only on W1 and W2",
      lambda: ce_check(lambda *a: ce_right(*a, regb=True)))
entry('mlp_ce_l2', 'grad', r'''
\frac{\partial L}{\partial W^{(1)}_{ki}} = z_k (1 - z_k) \sum_{j} W^{(2)}_{jk} (\hat{y}_j - y_j)\, x_i + \lambda W^{(1)}_{ki}
\frac{\partial L}{\partial b^{(1)}_{k}} = z_k (1 - z_k) \sum_{j} W^{(2)}_{jk} (\hat{y}_j - y_j)
\frac{\partial L}{\partial W^{(2)}_{jk}} = (\hat{y}_j - y_j)\, z_k + \lambda W^{(2)}_{jk}
\frac{\partial L}{\partial b^{(2)}_{j}} = \hat{y}_j - y_j
''', ['latex', 'leibniz', 'implicit'], 'correct',
      "entry by entry, first layer first",
      lambda: ce_check(ce_right))

def ce_sgd_right(P, x, y, lam, eta, a1, z, yh, sign=-1, eta_on_lam=True):
    g = ce_right(P, x, y, lam, a1, z, yh)
    out = {}
    for k in P:
        if eta_on_lam or k in ('b1', 'b2'):
            out[k] = P[k] + sign * eta * g[k]
        else:
            out[k] = P[k] + sign * eta * (g[k] - lam * P[k]) - lam * P[k]
    return out

entry('mlp_ce_l2', 'sgd', '''
W2 ← W2 − η((ŷ − y) zᵀ + λ W2)
b2 ← b2 − η(ŷ − y)
b1 ← b1 − η (W2ᵀ(ŷ − y)) ⊙ z ⊙ (1 − z)
W1 ← W1 − η(((W2ᵀ(ŷ − y)) ⊙ z ⊙ (1 − z)) xᵀ + λ W1)
''', ['unicode', 'matrix'], 'correct',
      "one step downhill, learning rate times the full gradient (penalty included for the weights)",
      lambda: ce_sgd_check(ce_sgd_right))
entry('mlp_ce_l2', 'sgd', '''
W2 = W2 + eta * (np.outer(yhat - y, z) + lam * W2)
b2 = b2 + eta * (yhat - y)
b1 = b1 + eta * (W2.T @ (yhat - y)) * z * (1 - z)
W1 = W1 + eta * (np.outer((W2.T @ (yhat - y)) * z * (1 - z), x) + lam * W1)
''', ['keyboard', 'matrix'], 'incorrect',
      "sign error: gradient ascent",
      lambda: ce_sgd_check(lambda *a: ce_sgd_right(*a, sign=+1)))
entry('mlp_ce_l2', 'sgd', '''
W1 ← (1 − ηλ) W1 − η ((W2ᵀ(ŷ − y)) ⊙ z ⊙ (1 − z)) xᵀ
b1 ← b1 − η (W2ᵀ(ŷ − y)) ⊙ z ⊙ (1 − z)
W2 ← (1 − ηλ) W2 − η (ŷ − y) zᵀ
b2 ← b2 − η (ŷ − y)
''', ['unicode', 'matrix', 'implicit'], 'correct',
      "the weight-decay form (1 - eta*lambda) W - eta * data gradient is the same step",
      lambda: ce_sgd_check(ce_sgd_right))
entry('mlp_ce_l2', 'sgd', '''
W2 ← W2 − η (ŷ − y) zᵀ − λ W2
b2 ← b2 − η (ŷ − y)
b1 ← b1 − η (W2ᵀ(ŷ − y)) ⊙ z ⊙ (1 − z)
W1 ← W1 − η ((W2ᵀ(ŷ − y)) ⊙ z ⊙ (1 − z)) xᵀ − λ W1
''', ['unicode', 'matrix', 'implicit'], 'incorrect',
      "the decay term is not scaled by the learning rate (lambda W instead of eta lambda W)",
      lambda: ce_sgd_check(lambda *a: ce_sgd_right(*a, eta_on_lam=False)))

# ------------------------------------------------------------------ lenet5
U, V, Pc, F, Gf, D = 5, 8, 2, 2, 3, 3
Mo, No = U - F + 1, V - Gf + 1
R, Cc = Mo // 2, No // 2
def pool(Y):
    return (Y[0:2*R:2, 0:2*Cc:2] + Y[1:2*R:2, 0:2*Cc:2] + Y[0:2*R:2, 1:2*Cc:2] + Y[1:2*R:2, 1:2*Cc:2]) / 4

def le_a_check(student):
    for sd in range(3):
        r = np.random.default_rng(sd)
        Y, w, a, G = r.normal(size=(Mo, No, D)), r.normal(size=D), r.normal(size=D), r.normal(size=(R, Cc, D))
        f = lambda Y, w, a: np.sum(G * sig(w * pool(Y) + a))
        ref = dict(w=fd(lambda A: f(Y, A, a), w), a=fd(lambda A: f(Y, w, A), a), Y=fd(lambda A: f(A, w, a), Y))
        Xt = w * pool(Y) + a
        got = student(Y, w, a, G, Xt, sig(Xt))
        if not all(close(got[k], ref[k]) for k in ref):
            return False
    return True

def le_a_right(Y, w, a, G, Xt, X1, quarter=True, skip_sigma=False):
    q = G if skip_sigma else G * X1 * (1 - X1)
    Yg = np.zeros_like(Y)
    for dr in (0, 1):
        for dc in (0, 1):
            Yg[dr:2*R:2, dc:2*Cc:2] += w * q / (4 if quarter else 1)
    return dict(a=q.sum((0, 1)), w=(q * pool(Y)).sum((0, 1)), Y=Yg)

LE_A = '''
for r, c, d: q[r, c, d] = X1.grad[r, c, d] * sigma'(Xt[r, c, d])
for r, c, d: a.grad[d] += {A}
for r, c, d: w.grad[d] += q[r, c, d] * (Y[2*r, 2*c, d] + Y[2*r+1, 2*c, d] + Y[2*r, 2*c+1, d] + Y[2*r+1, 2*c+1, d]) * 0.25
for r, c, d: Y.grad[2*r, 2*c, d] += {S}
for r, c, d: Y.grad[2*r+1, 2*c, d] += {S}
for r, c, d: Y.grad[2*r, 2*c+1, d] += {S}
for r, c, d: Y.grad[2*r+1, 2*c+1, d] += {S}
'''
entry('lenet5', 'a', LE_A.format(A='q[r, c, d]', S='0.25 * w[d] * q[r, c, d]'), ['keyboard'], 'correct',
      "a temporary q for Xt.grad with sigma'(Xt); the pool spreads w/4 to the four inputs of each window",
      lambda: le_a_check(le_a_right))
entry('lenet5', 'a', LE_A.format(A='q[r, c, d]', S='w[d] * q[r, c, d]'), ['keyboard'], 'incorrect',
      "Y.grad misses the 1/4 of the mean-pool",
      lambda: le_a_check(lambda *a: le_a_right(*a, quarter=False)))
entry('lenet5', 'a', '''
for r, c, d: Xt.grad[r, c, d] = X1.grad[r, c, d] · X1[r, c, d] · (1 − X1[r, c, d])
for r, c, d: a.grad[d] += X1.grad[r, c, d]
for r, c, d: w.grad[d] += Xt.grad[r, c, d] · (Y[2r, 2c, d] + Y[2r+1, 2c, d] + Y[2r, 2c+1, d] + Y[2r+1, 2c+1, d]) / 4
for r, c, d: Y.grad[2r, 2c, d] += w[d] Xt.grad[r, c, d] / 4
for r, c, d: Y.grad[2r+1, 2c, d] += w[d] Xt.grad[r, c, d] / 4
for r, c, d: Y.grad[2r, 2c+1, d] += w[d] Xt.grad[r, c, d] / 4
for r, c, d: Y.grad[2r+1, 2c+1, d] += w[d] Xt.grad[r, c, d] / 4
''', ['unicode', 'implicit'], 'incorrect',
      "a.grad adds X1.grad, skipping the sigmoid's slope (should add Xt.grad)",
      lambda: le_a_check(lambda *a: {**le_a_right(*a), 'a': a[3].sum((0, 1))}))

def le_b_check(student):
    for sd in range(2):
        r = np.random.default_rng(sd)
        X0, W, b, G = r.normal(size=(U, V, Pc)), r.normal(size=(F, Gf, Pc, D)) * 0.5, r.normal(size=D), r.normal(size=(Mo, No, D))
        def Yt_of(X0, W, b):
            Yt = np.zeros((Mo, No, D)) + b
            for dx in range(F):
                for dy in range(Gf):
                    Yt += np.einsum('mnp,pd->mnd', X0[dx:dx+Mo, dy:dy+No], W[dx, dy])
            return Yt
        f = lambda X0, W, b: np.sum(G * np.tanh(Yt_of(X0, W, b)))
        ref = dict(W=fd(lambda A: f(X0, A, b), W), b=fd(lambda A: f(X0, W, A), b), X0=fd(lambda A: f(A, W, b), X0))
        Yt = Yt_of(X0, W, b)
        got = student(X0, W, b, G, Yt, np.tanh(Yt))
        if not all(close(got[k], ref[k]) for k in ref):
            return False
    return True

def le_b_right(X0, W, b, G, Yt, Y, slope=None):
    e = G * (1 - Y ** 2) if slope is None else G * slope
    Wg = np.zeros_like(W); Xg = np.zeros_like(X0)
    for dx in range(F):
        for dy in range(Gf):
            Wg[dx, dy] = np.einsum('mnd,mnp->pd', e, X0[dx:dx+Mo, dy:dy+No])
            Xg[dx:dx+Mo, dy:dy+No] += np.einsum('pd,mnd->mnp', W[dx, dy], e)
    return dict(W=Wg, b=e.sum((0, 1)), X0=Xg)

entry('lenet5', 'b', '''
for m, n, d: e[m, n, d] = Y.grad[m, n, d] * (1 - Y[m, n, d]**2)
for m, n, d: b.grad[d] += e[m, n, d]
for m, n, d, dx, dy, p: W.grad[dx, dy, p, d] += e[m, n, d] * X0[m+dx, n+dy, p]
for m, n, d, dx, dy, p: X0.grad[m+dx, n+dy, p] += W[dx, dy, p, d] * e[m, n, d]
''', ['keyboard'], 'correct',
      "tanh' from the output, then the three += loops of the convolution",
      lambda: le_b_check(le_b_right))
entry('lenet5', 'b', '''
for m, n, d: Yt.grad[m, n, d] = Y.grad[m, n, d] · tanh'(Yt[m, n, d])
for m, n, d: b.grad[d] += Yt.grad[m, n, d]
for m, n, d, dx, dy, p: W.grad[dx, dy, p, d] += Yt.grad[m, n, d] · X0[m+dx, n+dy, p]
for m, n, d, dx, dy, p: X0.grad[m+dx, n+dy, p] += Yt.grad[m, n, d] · W[dx, dy, p, d]
''', ['unicode', 'keyboard'], 'correct',
      "tanh'(Yt) spelled with a prime",
      lambda: le_b_check(le_b_right))
entry('lenet5', 'b', '''
for m, n, d: e[m, n, d] = Y.grad[m, n, d] * (1 - np.tanh(Y[m, n, d])**2)
for m, n, d: b.grad[d] += e[m, n, d]
for m, n, d, dx, dy, p: W.grad[dx, dy, p, d] += e[m, n, d] * X0[m+dx, n+dy, p]
for m, n, d, dx, dy, p: X0.grad[m+dx, n+dy, p] += W[dx, dy, p, d] * e[m, n, d]
''', ['keyboard'], 'incorrect',
      "tanh' evaluated at the output Y instead of the pre-activation: 1 - tanh(Y)^2 is not 1 - Y^2",
      lambda: le_b_check(lambda X0, W, b, G, Yt, Y: le_b_right(X0, W, b, G, Yt, Y, slope=1 - np.tanh(Y) ** 2)))
entry('lenet5', 'b', '''
for m, n, d: e[m, n, d] = Y.grad[m, n, d] * (1 - Y[m, n, d]**2)
for m, n, d: b.grad[d] += e[m, n, d]
for m, n, d, dx, dy, p: W.grad[dx, dy, p, d] += e[m, n, d] * X0[m+dx, n+dy, p]
''', ['keyboard'], 'incorrect',
      "X0.grad (the input gradient) is missing",
      lambda: False)

# ------------------------------------------------------------------ vanilla_rnn_bptt
T, Mh, Nx, Cy = 3, 4, 2, 3
def rnn_draw(seed):
    r = np.random.default_rng(seed)
    return dict(U=r.normal(size=(Mh, Mh)) * 0.6, W=r.normal(size=(Mh, Nx)), b=r.normal(size=Mh),
                V=r.normal(size=(Cy, Mh)), x=r.normal(size=(T + 1, Nx)), y=r.normal(size=(T + 1, Cy)))

def rnn_fwd(P, dz=None):
    h = np.zeros((T + 1, Mh)); z = np.zeros((T + 1, Mh)); yh = np.zeros((T + 1, Cy))
    for t in range(1, T + 1):
        z[t] = P['U'] @ h[t - 1] + P['W'] @ P['x'][t] + P['b'] + (0 if dz is None else dz[t])
        h[t] = np.tanh(z[t]); yh[t] = P['V'] @ h[t]
    return 0.5 * np.sum((yh[1:] - P['y'][1:]) ** 2), z, h, yh

def rnn_a_check(student):
    for sd in range(3):
        P = rnn_draw(sd)
        ref = fd(lambda dz: rnn_fwd(P, dz)[0], np.zeros((T + 1, Mh)))[1:]
        _, z, h, yh = rnn_fwd(P)
        if not close(student(P, z, h, yh)[1:T + 1], ref):
            return False
    return True

def rnn_delta(P, z, h, yh, Umat=None, inside=True):
    Um = P['U'].T if Umat is None else Umat
    d = np.zeros((T + 2, Mh))
    for t in range(T, 0, -1):
        a = P['V'].T @ (yh[t] - P['y'][t])
        d[t] = (1 - h[t] ** 2) * (a + Um @ d[t + 1]) if inside else (1 - h[t] ** 2) * a + Um @ d[t + 1]
    return d

entry('vanilla_rnn_bptt', 'a', '''
delta_T = tanh'(z_T) ∘ (V^T (yhat_T - y_T))
delta_t = tanh'(z_t) ∘ (V^T (yhat_t - y_t) + U^T delta_{t+1})
''', ['keyboard', 'matrix', 'unicode'], 'correct',
      "last step from its own loss; earlier steps add U^T delta_{t+1}; tanh'(z) = 1 - h^2",
      lambda: rnn_a_check(rnn_delta))
entry('vanilla_rnn_bptt', 'a', '''
δ_T = (1 − h_T²) ⊙ Vᵀ(ŷ_T − y_T)
δ_t = (1 − h_t²) ⊙ (Vᵀ(ŷ_t − y_t) + U δ_{t+1})
''', ['unicode', 'matrix'], 'incorrect',
      "missing transpose: the recurrent term is U^T delta_{t+1}",
      lambda: rnn_a_check(lambda P, z, h, yh: rnn_delta(P, z, h, yh, Umat=P['U'])))
entry('vanilla_rnn_bptt', 'a', '''
δ_T = (1 − h_T²) ⊙ Vᵀ(ŷ_T − y_T)
δ_t = (1 − h_t²) ⊙ Vᵀ(ŷ_t − y_t) + Uᵀ δ_{t+1}
''', ['unicode', 'matrix'], 'incorrect',
      "the tanh slope is not applied to the recurrent term (missing parentheses)",
      lambda: rnn_a_check(lambda P, z, h, yh: rnn_delta(P, z, h, yh, inside=False)))
entry('vanilla_rnn_bptt', 'a', '''
for t, m: h.grad[t, m] = V[C, m] * (yhat[t, C] - y[t, C])
for t in T..1:
    z.grad[t, m] = (1 - h[t, m]^2) * h.grad[t, m]
    h.grad[t-1, m] += U[I, m] * z.grad[t, I]
''', ['keyboard'], 'correct',
      "course loop notation: h.grad starts from the read-out, then each step passes U^T z.grad back (capital indices summed)",
      lambda: rnn_a_check(rnn_delta))

def rnn_b_check(student):
    for sd in range(3):
        P = rnn_draw(sd)
        f = lambda Q: rnn_fwd(Q)[0]
        ref = {k: fd(lambda A: f({**P, k: A}), P[k]) for k in ('U', 'W', 'b')}
        _, z, h, yh = rnn_fwd(P)
        d = rnn_delta(P, z, h, yh)
        got = student(P, h, d)
        if not all(close(got[k], ref[k]) for k in ref):
            return False
    return True

def rnn_b_right(P, h, d, transposeU=False, bias_last=False):
    Ug = sum(np.outer(d[t], h[t - 1]) for t in range(1, T + 1))
    return dict(U=Ug.T if transposeU else Ug, W=sum(np.outer(d[t], P['x'][t]) for t in range(1, T + 1)),
                b=d[T] if bias_last else d[1:T + 1].sum(0))

entry('vanilla_rnn_bptt', 'b', r'''
\nabla_U L = \sum_{t=1}^{T} \delta_t h_{t-1}^\top
\nabla_W L = \sum_{t=1}^{T} \delta_t x_t^\top
\nabla_b L = \sum_{t=1}^{T} \delta_t
''', ['latex', 'leibniz', 'matrix'], 'correct',
      "sums over time of outer products, reading the delta_t of part a",
      lambda: rnn_b_check(rnn_b_right))
entry('vanilla_rnn_bptt', 'b', '''
for t, m, i: U.grad[m, i] += z.grad[t, m] * h[t-1, i]
for t, m, k: W.grad[m, k] += z.grad[t, m] * x[t, k]
for t, m: b.grad[m] += z.grad[t, m]
''', ['keyboard'], 'correct',
      "the same as += loops",
      lambda: rnn_b_check(rnn_b_right))
entry('vanilla_rnn_bptt', 'b', '''
∂L/∂U = Σ_t h_{t−1} δ_tᵀ
∂L/∂W = Σ_t δ_t x_tᵀ
∂L/∂b = Σ_t δ_t
''', ['unicode', 'leibniz', 'matrix'], 'incorrect',
      "dL/dU transposed: h_{t-1} delta_t^T is [i, m], U.grad is [m, i]",
      lambda: rnn_b_check(lambda P, h, d: rnn_b_right(P, h, d, transposeU=True)))
entry('vanilla_rnn_bptt', 'b', '''
dU = Σ_t δ_t h_{t−1}ᵀ
dW = Σ_t δ_t x_tᵀ
db = δ_T
''', ['unicode', 'leibniz', 'matrix'], 'incorrect',
      "the bias gradient needs the sum over all steps, not only the last delta",
      lambda: rnn_b_check(lambda P, h, d: rnn_b_right(P, h, d, bias_last=True)))

# ------------------------------------------------------------------ mlp_numeric:vectorized
Hn, Dn = 2, 2
def mn_check(student):
    for sd in range(4):
        r = np.random.default_rng(sd)
        x, t, W, v = r.normal(size=Dn), r.normal(), r.normal(size=(Hn, Dn)), r.normal(size=Hn)
        z = W @ x; h = relu(z); y = v @ h
        Cf = lambda W, v: (v @ relu(W @ x) - t) ** 2 / 2
        ref = dict(v=fd(lambda A: Cf(W, A), v), W=fd(lambda A: Cf(A, v), W),
                   h=fd(lambda A: (v @ A - t) ** 2 / 2, h),
                   z=fd(lambda A: (v @ relu(A) - t) ** 2 / 2, z))
        got = student(x, t, W, v, z, h, y)
        if not all(close(got[k], ref[k]) for k in ref):
            return False
    return True

entry('mlp_numeric', 'vectorized', '''
dC/dv = (y − t)·h
dC/dh = (y − t)·v
dC/dz = (y − t) v ∘ 1[z > 0]
dC/dW = ((y − t) v ∘ 1[z > 0]) xᵀ
''', ['unicode', 'leibniz', 'matrix', 'implicit'], 'correct',
      "each gradient written out from the error y - t",
      lambda: mn_check(lambda x, t, W, v, z, h, y: dict(v=(y - t) * h, h=(y - t) * v, z=(y - t) * v * step(z),
                                                        W=np.outer((y - t) * v * step(z), x))))
entry('mlp_numeric', 'vectorized', '''
v.grad = (y - t) * h
h.grad = (y - t) * v
z.grad = h.grad * (z > 0)
W.grad = np.outer(z.grad, x)
''', ['keyboard', 'matrix'], 'correct',
      "numpy spelling, np.outer for z.grad x^T",
      lambda: mn_check(lambda x, t, W, v, z, h, y: dict(v=(y - t) * h, h=(y - t) * v, z=(y - t) * v * step(z),
                                                        W=np.outer((y - t) * v * step(z), x))))
entry('mlp_numeric', 'vectorized', '''
∇_v C = (y − t) h
∇_h C = (y − t) v
∇_z C = ∇_h C ∘ h
∇_W C = ∇_z C xᵀ
''', ['unicode', 'leibniz', 'matrix'], 'incorrect',
      "multiplies by h = relu(z) instead of the ReLU slope 1[z > 0]",
      lambda: mn_check(lambda x, t, W, v, z, h, y: dict(v=(y - t) * h, h=(y - t) * v, z=(y - t) * v * h,
                                                        W=np.outer((y - t) * v * h, x))))
entry('mlp_numeric', 'vectorized', '''
∇_v C = (y − t) z
∇_h C = (y − t) v
∇_z C = ∇_h C ∘ 1[z > 0]
∇_W C = ∇_z C xᵀ
''', ['unicode', 'leibniz', 'matrix'], 'incorrect',
      "v.grad uses z instead of h: wrong wherever a hidden unit is off",
      lambda: mn_check(lambda x, t, W, v, z, h, y: dict(v=(y - t) * z, h=(y - t) * v, z=(y - t) * v * step(z),
                                                        W=np.outer((y - t) * v * step(z), x))))
