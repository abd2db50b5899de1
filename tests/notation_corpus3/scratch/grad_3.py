"""Finite-difference checks: mlp_regression, mlp_classification, mlp_numeric values,
loss_heads:c, ugcnn:a."""
import numpy as np
from common import sig, relu, step, fd, close, entry

N, H, K = 3, 4, 2
def draw(seed):
    r = np.random.default_rng(seed)
    P = dict(W1=r.normal(size=(H, N)), b1=r.normal(size=H), W2=r.normal(size=(K, H)), b2=r.normal(size=K))
    return P, r.normal(size=N), r.uniform(0.05, 0.95, size=K)

def jac(f, u):
    """numerator layout: J[a, b] = d f_a / d u_b"""
    cols = []
    for b in range(u.size):
        e = np.zeros_like(u); e[b] = 1e-6
        cols.append((f(u + e) - f(u - e)) / 2e-6)
    return np.array(cols).T

# ------------------------------------------------------------------ mlp_regression
def reg_fwd(P, x):
    z1 = P['W1'] @ x + P['b1']; z2 = relu(z1); z3 = P['W2'] @ z2 + P['b2']
    return z1, z2, z3, z3

def reg_check(student):
    for sd in range(4):
        P, x, y = draw(sd)
        loss = lambda Q: np.sum((reg_fwd(Q, x)[3] - y) ** 2)
        ref = {k: fd(lambda A: loss({**P, k: A}), P[k]) for k in P}
        z1, z2, z3, yh = reg_fwd(P, x)
        got = student(P, x, y, z1, z2, yh)
        if not all(close(got[k], ref[k]) for k in ref):
            return False
    return True

def reg_right(P, x, y, z1, z2, yh, two=2, gate=None):
    d3 = two * (yh - y)
    d1 = (P['W2'].T @ d3) * (step(z1) if gate is None else gate)
    return dict(W2=np.outer(d3, z2), b2=d3, b1=d1, W1=np.outer(d1, x))

entry('mlp_regression', 'b', r'''
\nabla_{W^{(2)}} \ell = 2(\hat{y} - y) z_2^\top
\nabla_{b^{(2)}} \ell = 2(\hat{y} - y)
\nabla_{b^{(1)}} \ell = \mathbb{1}[z_1 > 0] \odot \left((W^{(2)})^\top 2(\hat{y} - y)\right)
\nabla_{W^{(1)}} \ell = \left(\mathbb{1}[z_1 > 0] \odot (W^{(2)})^\top 2(\hat{y} - y)\right) x^\top
''', ['latex', 'leibniz', 'matrix'], 'correct',
      "dl/dyhat = 2(yhat - y), identity output, ReLU gate at the hidden layer",
      lambda: reg_check(reg_right))
entry('mlp_regression', 'b', '''
dW2 = (ŷ − y) z2ᵀ
db2 = ŷ − y
db1 = (W2ᵀ(ŷ − y)) ⊙ 1[z1 > 0]
dW1 = db1 xᵀ
''', ['unicode', 'leibniz', 'matrix'], 'incorrect',
      "missing the factor 2 of the squared error (the loss has no 1/2)",
      lambda: reg_check(lambda *a: reg_right(*a, two=1)))
entry('mlp_regression', 'b', '''
W2.grad[k, j] = 2 * (yhat[k] - y[k]) * z2[j]
b2.grad[k] = 2 * (yhat[k] - y[k])
b1.grad[j] = 2 * W2[K, j] * (yhat[K] - y[K]) * (z1[j] > 0)
W1.grad[j, i] = 2 * W2[K, j] * (yhat[K] - y[K]) * (z1[j] > 0) * x[i]
''', ['keyboard'], 'correct',
      "entry by entry in the course notation; capital K sums over the outputs",
      lambda: reg_check(reg_right))
entry('mlp_regression', 'b', '''
∂ℓ/∂W2 = 2(ŷ − y) z2ᵀ
∂ℓ/∂b2 = 2(ŷ − y)
∂ℓ/∂b1 = 2 W2ᵀ(ŷ − y) ⊙ z2
∂ℓ/∂W1 = (2 W2ᵀ(ŷ − y) ⊙ z2) xᵀ
''', ['unicode', 'leibniz', 'matrix', 'implicit'], 'incorrect',
      "multiplies by z2 = relu(z1) instead of the ReLU slope 1[z1 > 0]",
      lambda: reg_check(lambda P, x, y, z1, z2, yh: reg_right(P, x, y, z1, z2, yh, gate=z2)))

def jac_check(module, student, n):
    for sd in range(4):
        r = np.random.default_rng(sd)
        u = r.normal(size=n)
        if not close(student(u, module(u)), jac(module, u)):
            return False
    return True

entry('mlp_regression', 'c', '''
∂z2/∂z1 = diag(1[z1 > 0])
''', ['unicode', 'leibniz', 'matrix', 'keyboard'], 'correct',
      "the ReLU Jacobian is diagonal with the step function on the diagonal",
      lambda: jac_check(relu, lambda u, o: np.diag(step(u)), H))
entry('mlp_regression', 'c', '''
∂z2_j/∂z1_k = δ_jk · 1[z1_k > 0]
''', ['unicode', 'leibniz', 'keyboard'], 'correct',
      "entry form with Kronecker's delta",
      lambda: jac_check(relu, lambda u, o: np.eye(H) * step(u)[None, :], H))
entry('mlp_regression', 'c', '''
∂z2_j/∂z1_k = 1[z1_k > 0]
''', ['unicode', 'leibniz', 'keyboard'], 'incorrect',
      "missing the Kronecker delta: z2_j depends on z1_j only",
      lambda: jac_check(relu, lambda u, o: np.tile(step(u)[None, :], (H, 1)), H))
entry('mlp_regression', 'c', '''
dz2/dz1 = diag(z2)
''', ['leibniz', 'matrix'], 'incorrect',
      "diag(relu(z1)) instead of diag(step(z1))",
      lambda: jac_check(relu, lambda u, o: np.diag(o), H))
entry('mlp_regression', 'c', r'''
\frac{\partial z_2[j]}{\partial z_1[k]} = \begin{cases} 1 & j = k \text{ and } z_1[k] > 0 \\ 0 & \text{otherwise} \end{cases}
''', ['latex', 'leibniz'], 'correct',
      "the same entry by cases, with a compound condition",
      lambda: jac_check(relu, lambda u, o: np.eye(H) * step(u)[None, :], H))

ident = lambda u: u
entry('mlp_regression', 'd', '''
∂ŷ_k/∂z3_l = δ_kl
''', ['unicode', 'leibniz'], 'correct',
      "g is the identity: its Jacobian is the identity matrix",
      lambda: jac_check(ident, lambda u, o: np.eye(K), K))
entry('mlp_regression', 'd', r'''
\frac{\partial \hat{y}}{\partial z_3} = I_K
''', ['latex', 'leibniz', 'matrix'], 'correct',
      "the K x K identity matrix",
      lambda: jac_check(ident, lambda u, o: np.eye(K), K))
entry('mlp_regression', 'd', '''
∂ŷ/∂z3 = diag(ŷ ⊙ (1 − ŷ))
''', ['unicode', 'leibniz', 'matrix'], 'incorrect',
      "the sigmoid's Jacobian; here g is the identity",
      lambda: jac_check(ident, lambda u, o: np.diag(o * (1 - o)), K))

def reg_e_check(student):
    for sd in range(4):
        r = np.random.default_rng(sd)
        yh, y = r.normal(size=K), r.normal(size=K)
        if not close(student(yh, y), fd(lambda A: np.sum((A - y) ** 2), yh)):
            return False
    return True

entry('mlp_regression', 'e', '''
dℓ/dŷ_k = 2ŷ_k − 2y_k
''', ['unicode', 'leibniz', 'implicit'], 'correct',
      "2(yhat - y), expanded",
      lambda: reg_e_check(lambda yh, y: 2 * yh - 2 * y))
entry('mlp_regression', 'e', '''
∂ℓ/∂ŷ = ŷ − y
''', ['unicode', 'leibniz'], 'incorrect',
      "missing the factor 2 (the loss is ||yhat - y||^2 without 1/2)",
      lambda: reg_e_check(lambda yh, y: yh - y))

# ------------------------------------------------------------------ mlp_classification
def cls_fwd(P, x):
    z1 = P['W1'] @ x + P['b1']; z2 = sig(z1); z3 = P['W2'] @ z2 + P['b2']
    return z1, z2, z3, sig(z3)

def bce(yh, y):
    return -np.sum(y * np.log(yh) + (1 - y) * np.log(1 - yh)) / K

def cls_check(student):
    for sd in range(4):
        P, x, y = draw(sd)
        ref = {k: fd(lambda A: bce(cls_fwd({**P, k: A}, x)[3], y), P[k]) for k in P}
        z1, z2, z3, yh = cls_fwd(P, x)
        got = student(P, x, y, z1, z2, yh)
        if not all(close(got[k], ref[k]) for k in ref):
            return False
    return True

def cls_right(P, x, y, z1, z2, yh, scale=1 / K, transW2=False):
    d3 = (yh - y) * scale
    d1 = (P['W2'].T @ d3) * z2 * (1 - z2)
    return dict(W2=np.outer(z2, d3) if transW2 else np.outer(d3, z2), b2=d3, b1=d1, W1=np.outer(d1, x))

entry('mlp_classification', 'b', r'''
\frac{\partial \ell}{\partial W^{(2)}} = \frac{1}{K} (\hat{y} - y) z_2^\top
\frac{\partial \ell}{\partial b^{(2)}} = \frac{1}{K} (\hat{y} - y)
\frac{\partial \ell}{\partial b^{(1)}} = \frac{1}{K} \left((W^{(2)})^\top (\hat{y} - y)\right) \odot z_2 \odot (1 - z_2)
\frac{\partial \ell}{\partial W^{(1)}} = \frac{1}{K} \left(\left((W^{(2)})^\top (\hat{y} - y)\right) \odot z_2 \odot (1 - z_2)\right) x^\top
''', ['latex', 'leibniz', 'matrix'], 'correct',
      "sigmoid + BCE gives (yhat - y)/K at z3; sigma' = z2(1 - z2) at the hidden layer",
      lambda: cls_check(cls_right))
entry('mlp_classification', 'b', '''
dW2 = (ŷ − y) z2ᵀ
db2 = ŷ − y
db1 = (W2ᵀ(ŷ − y)) ⊙ z2 ⊙ (1 − z2)
dW1 = db1 xᵀ
''', ['unicode', 'leibniz', 'matrix'], 'incorrect',
      "forgets the 1/K of the averaged loss",
      lambda: cls_check(lambda *a: cls_right(*a, scale=1)))
entry('mlp_classification', 'b', '''
∂ℓ/∂W2 = z2 (ŷ − y)ᵀ / K
∂ℓ/∂b2 = (ŷ − y) / K
∂ℓ/∂b1 = (W2ᵀ(ŷ − y)) ⊙ z2 ⊙ (1 − z2) / K
∂ℓ/∂W1 = ∂ℓ/∂b1 xᵀ
''', ['unicode', 'leibniz', 'matrix'], 'incorrect',
      "dl/dW2 transposed: z2 (yhat - y)^T is H x K, W2 is K x H",
      lambda: False)
entry('mlp_classification', 'b', '''
W2.grad[k, j] = (yhat[k] - y[k]) * z2[j] / K
b2.grad[k] = (yhat[k] - y[k]) / K
b1.grad[j] = sigmoid(z1[j]) * (1 - sigmoid(z1[j])) * W2[K, j] * (yhat[K] - y[K]) / K
W1.grad[j, i] = b1.grad[j] * x[i]
''', ['keyboard'], 'correct',
      "course notation: W2[K, j] (yhat[K] - y[K]) sums over k, and the trailing / K divides by the number of outputs",
      lambda: cls_check(cls_right))

entry('mlp_classification', 'c', r'''
\frac{\partial z_2}{\partial z_1} = \operatorname{diag}\left(\sigma(z_1) \odot (1 - \sigma(z_1))\right)
''', ['latex', 'leibniz', 'matrix'], 'correct',
      "elementwise sigmoid: diagonal Jacobian with sigma'(z1)",
      lambda: jac_check(sig, lambda u, o: np.diag(sig(u) * (1 - sig(u))), H))
entry('mlp_classification', 'c', '''
∂z2/∂z1 = diag(σ(z1))
''', ['unicode', 'leibniz', 'matrix'], 'incorrect',
      "sigma instead of sigma' on the diagonal",
      lambda: jac_check(sig, lambda u, o: np.diag(sig(u)), H))
entry('mlp_classification', 'c', '''
∂z2_j/∂z1_k = z2_j (1 − z2_j) δ_{j,k}
''', ['unicode', 'leibniz', 'implicit'], 'correct',
      "sigma' from the output z2, with Kronecker's delta",
      lambda: jac_check(sig, lambda u, o: np.diag(o * (1 - o)), H))
entry('mlp_classification', 'c', '''
∂z2_j/∂z1_k = z2_j (1 − z2_k)
''', ['unicode', 'leibniz', 'implicit'], 'incorrect',
      "no Kronecker delta: gives a full matrix, the off-diagonal entries must be 0",
      lambda: jac_check(sig, lambda u, o: np.outer(o, 1 - o), H))

entry('mlp_classification', 'd', '''
dŷ_k/dz3_l = δ_kl σ(z3_k)(1 − σ(z3_k))
''', ['unicode', 'leibniz', 'implicit'], 'correct',
      "diagonal Jacobian of the output sigmoid",
      lambda: jac_check(sig, lambda u, o: np.diag(sig(u) * (1 - sig(u))), K))
entry('mlp_classification', 'd', '''
∂ŷ/∂z3 = diag(ŷ) − diag(ŷ)²
''', ['unicode', 'leibniz', 'matrix'], 'correct',
      "diag(yhat) - diag(yhat)^2 = diag(yhat (1 - yhat)) (the square of a diagonal matrix squares its entries)",
      lambda: jac_check(sig, lambda u, o: np.diag(o) - np.diag(o) @ np.diag(o), K))
entry('mlp_classification', 'd', '''
∂ŷ/∂z3 = diag(ŷ) − ŷ ŷᵀ
''', ['unicode', 'leibniz', 'matrix'], 'incorrect',
      "the softmax Jacobian; the outputs here are independent sigmoids",
      lambda: jac_check(sig, lambda u, o: np.diag(o) - np.outer(o, o), K))

def cls_e_check(student):
    for sd in range(4):
        r = np.random.default_rng(sd)
        yh, y = r.uniform(0.05, 0.95, size=K), r.uniform(0, 1, size=K)
        if not close(student(yh, y), fd(lambda A: bce(A, y), yh)):
            return False
    return True

entry('mlp_classification', 'e', r'''
\frac{\partial \ell}{\partial \hat{y}_k} = \frac{\hat{y}_k - y_k}{K \hat{y}_k (1 - \hat{y}_k)}
''', ['latex', 'leibniz', 'implicit'], 'correct',
      "(1/K)(-(y/yhat) + (1-y)/(1-yhat)) over a common denominator",
      lambda: cls_e_check(lambda yh, y: (yh - y) / (K * yh * (1 - yh))))
entry('mlp_classification', 'e', '''
∂ℓ/∂ŷ_k = −(1/K)(y_k/ŷ_k + (1 − y_k)/(1 − ŷ_k))
''', ['unicode', 'leibniz'], 'incorrect',
      "sign of the second term: d/dyhat of -log(1 - yhat) is +1/(1 - yhat)",
      lambda: cls_e_check(lambda yh, y: -(y / yh + (1 - y) / (1 - yh)) / K))
entry('mlp_classification', 'e', '''
dL/dyhat = (yhat - y) / K
''', ['keyboard', 'leibniz'], 'incorrect',
      "that is the gradient at z3 (after the sigmoid's slope), not at yhat",
      lambda: cls_e_check(lambda yh, y: (yh - y) / K))

# ------------------------------------------------------------------ mlp_numeric values
x0 = np.array([1., 2.]); t0 = 1.0; W0 = np.array([[-1., 1.], [1., -2.]]); v0 = np.array([3., -1.])
def mn_values():
    z = W0 @ x0; h = relu(z); y = v0 @ h; Cv = (y - t0) ** 2 / 2
    Cf = lambda x, W, v: (v @ relu(W @ x) - t0) ** 2 / 2
    return dict(z=z, h=h, y=y, C=Cv,
                yg=fd(lambda A: (A[0] - t0) ** 2 / 2, np.array([y])), hg=fd(lambda A: (v0 @ A - t0) ** 2 / 2, h),
                zg=fd(lambda A: (v0 @ relu(A) - t0) ** 2 / 2, z), xg=fd(lambda A: Cf(A, W0, v0), x0),
                vg=fd(lambda A: Cf(x0, W0, A), v0), Wg=fd(lambda A: Cf(x0, A, v0), W0))
MN = mn_values()

entry('mlp_numeric', 'forward', '''
z = (1, −3)
h = (1, 0)
y = 3
C = 2.0
''', ['unicode'], 'correct',
      "z = W x = (-1+2, 1-4), ReLU, y = 3*1 - 1*0, C = (3-1)^2/2",
      lambda: all(close(a, b) for a, b in [(MN['z'], [1, -3]), (MN['h'], [1, 0]), (MN['y'], 3), (MN['C'], 2)]))
entry('mlp_numeric', 'forward', '''
z = [1, -3]
h = [1, 0]
y = 3
C = 4
''', ['keyboard'], 'incorrect',
      "C forgets the 1/2: (3 - 1)^2 / 2 = 2",
      lambda: close(MN['C'], 4))
entry('mlp_numeric', 'backward', r'''
\frac{\partial C}{\partial y} = 2
\frac{\partial C}{\partial h} = (6, -2)
\frac{\partial C}{\partial z} = (6, 0)
\frac{\partial C}{\partial x} = (-6, 6)
\frac{\partial C}{\partial v} = (2, 0)
\frac{\partial C}{\partial W} = \begin{pmatrix} 6 & 12 \\ 0 & 0 \end{pmatrix}
''', ['latex', 'leibniz'], 'correct',
      "y - t = 2; h.grad = 2v; the off unit passes nothing; x.grad = W^T z.grad; W.grad = z.grad x^T",
      lambda: all(close(a, b) for a, b in [(MN['yg'], [2]), (MN['hg'], [6, -2]), (MN['zg'], [6, 0]), (MN['xg'], [-6, 6]),
                                             (MN['vg'], [2, 0]), (MN['Wg'], [[6, 12], [0, 0]])]))
entry('mlp_numeric', 'backward', '''
y.grad = 2
h.grad = [6, -2]
z.grad = [6, 0]
x.grad = [-6, 6]
v.grad = [2, 0]
W.grad = [[6, 0], [12, 0]]
''', ['keyboard'], 'incorrect',
      "W.grad transposed (x z.grad^T instead of z.grad x^T)",
      lambda: close(MN['Wg'], [[6, 0], [12, 0]]))
entry('mlp_numeric', 'backward', '''
∂C/∂y = 2
∂C/∂h = [6, −2]
∂C/∂z = [6, 0]
∂C/∂x = [−6, 6]
∂C/∂v = [2, 0]
∂C/∂W = [[6, 12], [0, 0]]
''', ['unicode', 'leibniz'], 'correct',
      "the same numbers with Unicode minus signs and partial names",
      lambda: all(close(a, b) for a, b in [(MN['yg'], [2]), (MN['hg'], [6, -2]), (MN['zg'], [6, 0]), (MN['xg'], [-6, 6]),
                                             (MN['vg'], [2, 0]), (MN['Wg'], [[6, 12], [0, 0]])]))
entry('mlp_numeric', 'backward', '''
dC/dy = 2
dC/dh = [6, -2]
dC/dz = [6, 0]
dC/dx = [6, -6]
dC/dv = [2, 0]
dC/dW = [[6, 12], [0, 0]]
''', ['leibniz', 'keyboard'], 'incorrect',
      "x.grad has the wrong sign: W^T z.grad = (-6, 6)",
      lambda: close(MN['xg'], [6, -6]))

# ------------------------------------------------------------------ loss_heads:c
Lh, Nh = 3, 4
def lh_draw(seed):
    r = np.random.default_rng(seed)
    return dict(W=r.normal(size=(Lh + 1, Nh, Nh)), Bh=r.normal(size=(Lh + 1, Nh)), Wy=r.normal(size=Nh),
                By=r.normal()), r.normal(size=Nh), r.normal()

def lh_fwd(P, x, y):
    h = [x]; ht = [None]
    for k in range(1, Lh + 1):
        ht.append(sig(P['W'][k] @ h[k - 1] - P['Bh'][k])); h.append(ht[k] + h[k - 1])
    yh = P['Wy'] @ h[Lh] - P['By']
    return (y - yh) ** 2, h, ht, yh

def lh_check(skip=True):
    for sd in range(3):
        P, x, y = lh_draw(sd)
        ref = {k: fd(lambda A: lh_fwd({**P, k: A}, x, y)[0], P[k]) for k in ('W', 'Bh', 'Wy')}
        ref['By'] = fd(lambda A: lh_fwd({**P, 'By': A[0]}, x, y)[0], np.array([P['By']]))[0]
        _, h, ht, yh = lh_fwd(P, x, y)
        g = 2 * (yh - y); got = dict(W=np.zeros_like(P['W']), Bh=np.zeros_like(P['Bh']), Wy=g * h[Lh], By=-g)
        hg = g * P['Wy']
        for k in range(Lh, 0, -1):
            d = hg * ht[k] * (1 - ht[k])
            got['W'][k] = np.outer(d, h[k - 1]); got['Bh'][k] = -d
            hg = (hg if skip else 0) + P['W'][k].T @ d
        if not all(close(got[k], ref[k]) for k in ref):
            return False
    return True

LH = '''
yhat.grad = 2*(yhat - y)
Wy.grad[j] = yhat.grad * h[L, j]
By.grad = -yhat.grad
h.grad[L, i] = yhat.grad * Wy[i]
for k in L..1:
    d[k, i] = h.grad[k, i] * ht[k, i] * (1 - ht[k, i])
    W.grad[k, i, j] = d[k, i] * h[k-1, j]
    Bh.grad[k, i] = -d[k, i]
    h.grad[k-1, i] = {H}W[k, J, i] * d[k, J]
'''
entry('loss_heads', 'c', LH.format(H='h.grad[k, i] + '), ['keyboard'], 'correct',
      "residual net h_k = sigma(W_k h_{k-1} - B_k) + h_{k-1}: the skip passes h.grad straight down, plus W^T of the branch",
      lambda: lh_check(True))
entry('loss_heads', 'c', LH.format(H=''), ['keyboard'], 'incorrect',
      "drops the skip connection's term h.grad[k, i] when passing the gradient down",
      lambda: lh_check(False))

# ------------------------------------------------------------------ ugcnn:a
Bc, Xc, Yc, Jc, Dc = 2, 4, 3, 3, 2
def conv(L0, W):
    out = np.zeros((Bc, Xc, Yc, Jc))
    P = np.zeros((Bc, Xc + Dc, Yc + Dc, Jc)); P[:, :Xc, :Yc] = L0      # reads past the border are 0
    for dx in range(Dc):
        for dy in range(Dc):
            out += np.einsum('bxyi,ij->bxyj', P[:, dx:dx + Xc, dy:dy + Yc], W[dx, dy])
    return out

def convT(g, W):
    """L0.grad[b, x+dx, y+dy, i] += W[dx, dy, i, j] g[b, x, y, j], writes past the border dropped"""
    P = np.zeros((Bc, Xc + Dc, Yc + Dc, Jc))
    for dx in range(Dc):
        for dy in range(Dc):
            P[:, dx:dx + Xc, dy:dy + Yc] += np.einsum('ij,bxyj->bxyi', W[dx, dy], g)
    return P[:, :Xc, :Yc]

def convW(g, L0):
    P = np.zeros((Bc, Xc + Dc, Yc + Dc, Jc)); P[:, :Xc, :Yc] = L0
    out = np.zeros((Dc, Dc, Jc, Jc))
    for dx in range(Dc):
        for dy in range(Dc):
            out[dx, dy] = np.einsum('bxyi,bxyj->ij', P[:, dx:dx + Xc, dy:dy + Yc], g)
    return out

def ugc_fwd(P, L0):
    R = np.tanh(conv(L0, P['WR']) - P['BR']); G = sig(conv(L0, P['WG']) - P['BG'])
    return G * L0 + (1 - G) * R, R, G

def ugc_check(gsign=1):
    r = np.random.default_rng(0)
    P = dict(WR=r.normal(size=(Dc, Dc, Jc, Jc)) * 0.5, BR=r.normal(size=Jc), WG=r.normal(size=(Dc, Dc, Jc, Jc)) * 0.5,
             BG=r.normal(size=Jc))
    L0, Gd = r.normal(size=(Bc, Xc, Yc, Jc)), r.normal(size=(Bc, Xc, Yc, Jc))
    f = lambda Q, L: np.sum(Gd * ugc_fwd(Q, L)[0])
    ref = {k: fd(lambda A: f({**P, k: A}, L0), P[k]) for k in P}
    ref['L0'] = fd(lambda A: f(P, A), L0)
    _, R, G = ugc_fwd(P, L0)
    Gg = gsign * Gd * (L0 - R); Rg = Gd * (1 - G)
    gt = Gg * G * (1 - G); rt = Rg * (1 - R ** 2)
    got = dict(BG=-gt.sum((0, 1, 2)), BR=-rt.sum((0, 1, 2)), WG=convW(gt, L0), WR=convW(rt, L0),
               L0=Gd * G + convT(rt, P['WR']) + convT(gt, P['WG']))
    return all(close(got[k], ref[k]) for k in ref)

UGC = '''
for b, x, y, j: G.grad[b, x, y, j] = L1.grad[b, x, y, j] * ({S})
for b, x, y, j: R.grad[b, x, y, j] = L1.grad[b, x, y, j] * (1 - G[b, x, y, j])
for b, x, y, j: L0.grad[b, x, y, j] += L1.grad[b, x, y, j] * G[b, x, y, j]
for b, x, y, j: Gt.grad[b, x, y, j] = G.grad[b, x, y, j] * G[b, x, y, j] * (1 - G[b, x, y, j])
for b, x, y, j: Rt.grad[b, x, y, j] = R.grad[b, x, y, j] * (1 - R[b, x, y, j]^2)
for b, x, y, j: BG.grad[j] -= Gt.grad[b, x, y, j]
for b, x, y, j: BR.grad[j] -= Rt.grad[b, x, y, j]
for b, x, y, j, dx, dy, i: WG.grad[dx, dy, i, j] += Gt.grad[b, x, y, j] * L0[b, x+dx, y+dy, i]
for b, x, y, j, dx, dy, i: WR.grad[dx, dy, i, j] += Rt.grad[b, x, y, j] * L0[b, x+dx, y+dy, i]
for b, x, y, j, dx, dy, i: L0.grad[b, x+dx, y+dy, i] += Gt.grad[b, x, y, j] * WG[dx, dy, i, j]
for b, x, y, j, dx, dy, i: L0.grad[b, x+dx, y+dy, i] += Rt.grad[b, x, y, j] * WR[dx, dy, i, j]
'''
entry('ugcnn', 'a', UGC.format(S='L0[b, x, y, j] - R[b, x, y, j]'), ['keyboard'], 'correct',
      "backward of the UGRNN cell with the recurrence replaced by a convolution: gate, candidate, biases (minus), filters, input",
      lambda: ugc_check(1))
entry('ugcnn', 'a', UGC.format(S='R[b, x, y, j] - L0[b, x, y, j]'), ['keyboard'], 'incorrect',
      "sign error in the gate's gradient: dL1/dG = L0 - R",
      lambda: ugc_check(-1))
