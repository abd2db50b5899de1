"""Finite-difference checks: mlp_ce_l2, mlp_classification, mlp_regression, mlp_numeric."""
import numpy as np
from common import sig, fd_grad, close

E = []
def entry(problem, part, answer, notation, expected, why, check):
    E.append(dict(problem=problem, part=part, answer=answer, notation=notation,
                  expected=expected, why=why, check=check))

# ---------------------------------------------------------------- mlp_ce_l2
N, M, C = 3, 4, 2
def ce_loss(W1, b1, W2, b2, x, y, lam):
    a1 = W1 @ x + b1; z = sig(a1); a2 = W2 @ z + b2
    yh = np.exp(a2) / np.exp(a2).sum()
    return -np.sum(y * np.log(yh)) + lam / 2 * (np.sum(W1 ** 2) + np.sum(W2 ** 2))

def ce_draw(seed):
    r = np.random.default_rng(seed)
    P = dict(W1=r.normal(size=(M, N)), b1=r.normal(size=M), W2=r.normal(size=(C, M)),
             b2=r.normal(size=C))
    x = r.normal(size=N); y = np.eye(C)[r.integers(C)]; lam = r.uniform(0.5, 1.5)
    a1 = P['W1'] @ x + P['b1']; z = sig(a1); a2 = P['W2'] @ z + P['b2']
    yh = np.exp(a2) / np.exp(a2).sum()
    return P, x, y, lam, z, yh

def ce_truth(P, x, y, lam):
    T = {}
    for k in P:
        def f(v, k=k):
            Q = dict(P); Q[k] = v
            return ce_loss(Q['W1'], Q['b1'], Q['W2'], Q['b2'], x, y, lam)
        T[k] = fd_grad(f, P[k])
    return T

def ce_check(ans):
    ok = True
    for seed in range(3):
        P, x, y, lam, z, yh = ce_draw(seed)
        T = ce_truth(P, x, y, lam)
        A = ans(P=P, x=x, y=y, lam=lam, z=z, yh=yh, W1=P['W1'], W2=P['W2'])
        for k in T:
            ok &= (A.get(k) is not None) and close(A[k], T[k])
    return ok

def ce_right(P, x, y, lam, z, yh, W1, W2):
    d2 = yh - y; d1 = (W2.T @ d2) * z * (1 - z)
    return dict(W2=np.outer(d2, z) + lam * W2, b2=d2, b1=d1, W1=np.outer(d1, x) + lam * W1)

entry('mlp_ce_l2', 'grad',
      "\\frac{\\partial L}{\\partial W^{(2)}_{jk}} = (\\hat{y}_j - y_j) z_k + \\lambda W^{(2)}_{jk}\n"
      "\\frac{\\partial L}{\\partial b^{(2)}_{j}} = \\hat{y}_j - y_j\n"
      "\\frac{\\partial L}{\\partial b^{(1)}_{k}} = z_k (1 - z_k) \\sum_{j} W^{(2)}_{jk} (\\hat{y}_j - y_j)\n"
      "\\frac{\\partial L}{\\partial W^{(1)}_{ki}} = z_k (1 - z_k) x_i \\sum_{j} W^{(2)}_{jk} (\\hat{y}_j - y_j) + \\lambda W^{(1)}_{ki}\n",
      ['latex', 'leibniz', 'implicit'], 'correct',
      'softmax+CE gives yhat - y (y one-hot), sigmoid slope z(1-z), L2 adds lambda W to the weights only',
      lambda: ce_check(ce_right))

def ce_sigz(P, x, y, lam, z, yh, W1, W2):
    d2 = yh - y; d1 = (W2.T @ d2) * sig(z) * (1 - sig(z))
    return dict(W2=np.outer(d2, z) + lam * W2, b2=d2, b1=d1, W1=np.outer(d1, x) + lam * W1)
entry('mlp_ce_l2', 'grad',
      "dW2 = λ W2 + (ŷ − y) zᵀ\n"
      "db2 = ŷ − y\n"
      "db1 = (W2ᵀ(ŷ − y)) ⊙ σ(z) ⊙ (1 − σ(z))\n"
      "dW1 = ((W2ᵀ(ŷ − y)) ⊙ σ(z) ⊙ (1 − σ(z))) xᵀ + λ W1\n",
      ['matrix', 'leibniz', 'unicode', 'implicit'], 'incorrect',
      'z is already sigma(a1): the slope is z(1 - z), not sigma(z)(1 - sigma(z))',
      lambda: ce_check(ce_sigz))

def ce_transW2(P, x, y, lam, z, yh, W1, W2):
    A = ce_right(P, x, y, lam, z, yh, W1, W2)
    A['W2'] = None   # z (yhat - y)^T is M x C, W2 is C x M: transposed (and + lam*W2 does not even fit)
    return A
entry('mlp_ce_l2', 'grad',
      "dW2 = z (yhat - y)^T + lam * W2\n"
      "db2 = yhat - y\n"
      "db1 = (W2^T @ (yhat - y)) * z * (1 - z)\n"
      "dW1 = db1 x^T + lam * W1\n",
      ['matrix', 'leibniz', 'keyboard'], 'incorrect',
      'dW2 is transposed: it must be (yhat - y) z^T, shaped like W2 (C x M)',
      lambda: ce_check(ce_transW2))
entry('mlp_ce_l2', 'grad',
      "db2 = ŷ − y\n"
      "dW2 = db2 zᵀ + λ W2\n"
      "dz = W2ᵀ db2\n"
      "db1 = dz ⊙ z ⊙ (1 − z)\n"
      "dW1 = db1 xᵀ + λ W1\n",
      ['matrix', 'leibniz', 'unicode', 'implicit'], 'correct',
      'the right gradients, built through named intermediates db2, dz, db1',
      lambda: ce_check(ce_right))

# sgd: compare the updated parameters with P - eta * truth
def sgd_check(ans):
    ok = True
    for seed in range(3):
        P, x, y, lam, z, yh = ce_draw(seed)
        eta = 0.3
        T = ce_truth(P, x, y, lam)
        A = ans(P, x, y, lam, z, yh, eta)
        for k in P:
            ok &= close(A[k], P[k] - eta * T[k])
    return ok

def sgd_right(P, x, y, lam, z, yh, eta):
    Q = {k: v.copy() for k, v in P.items()}
    d1 = (P['W2'].T @ (yh - y)) * z * (1 - z)
    Q['W1'] -= eta * (np.outer(d1, x) + lam * P['W1'])
    Q['b1'] -= eta * d1
    Q['W2'] -= eta * (np.outer(yh - y, z) + lam * P['W2'])
    Q['b2'] -= eta * (yh - y)
    return Q
def sgd_regsign(P, x, y, lam, z, yh, eta):
    Q = {k: v.copy() for k, v in P.items()}
    d1 = (P['W2'].T @ (yh - y)) * z * (1 - z)
    Q['W1'] = P['W1'] - eta * np.outer(d1, x) + eta * lam * P['W1']
    Q['b1'] = P['b1'] - eta * d1
    Q['W2'] = P['W2'] - eta * np.outer(yh - y, z) + eta * lam * P['W2']
    Q['b2'] = P['b2'] - eta * (yh - y)
    return Q
entry('mlp_ce_l2', 'sgd',
      "W1 −= η (((W2ᵀ(ŷ − y)) ⊙ z ⊙ (1 − z)) xᵀ + λ W1)\n"
      "b1 −= η ((W2ᵀ(ŷ − y)) ⊙ z ⊙ (1 − z))\n"
      "W2 −= η ((ŷ − y) zᵀ + λ W2)\n"
      "b2 −= η (ŷ − y)\n",
      ['unicode', 'matrix', 'implicit'], 'correct',
      'descent step (minus eta times the gradient); weight decay only on W1, W2; W1, b1 updated before W2 changes',
      lambda: sgd_check(sgd_right))
entry('mlp_ce_l2', 'sgd',
      "W1 = W1 − η ((W2ᵀ(ŷ − y)) ⊙ z ⊙ (1 − z)) xᵀ + η λ W1\n"
      "b1 = b1 − η ((W2ᵀ(ŷ − y)) ⊙ z ⊙ (1 − z))\n"
      "W2 = W2 − η (ŷ − y) zᵀ + η λ W2\n"
      "b2 = b2 − η (ŷ − y)\n",
      ['unicode', 'matrix', 'implicit'], 'incorrect',
      'regularization enters with the wrong sign (+ eta lambda W grows the weights)',
      lambda: sgd_check(sgd_regsign))

# ---------------------------------------------------------------- mlp_classification
Nc, H, K = 3, 4, 2
def cls_draw(seed):
    r = np.random.default_rng(seed)
    P = dict(W1=r.normal(size=(H, Nc)), b1=r.normal(size=H), W2=r.normal(size=(K, H)),
             b2=r.normal(size=K))
    x = r.normal(size=Nc); y = r.normal(size=K)
    return P, x, y

def cls_fwd(P, x):
    z1 = P['W1'] @ x + P['b1']; z2 = sig(z1); z3 = P['W2'] @ z2 + P['b2']; yh = sig(z3)
    return z1, z2, z3, yh

def cls_loss(P, x, y):
    yh = cls_fwd(P, x)[3]
    return -np.sum(y * np.log(yh) + (1 - y) * np.log(1 - yh)) / K

def cls_check(ans):
    ok = True
    for seed in range(3):
        P, x, y = cls_draw(seed)
        z1, z2, z3, yh = cls_fwd(P, x)
        for k in P:
            def f(v, k=k):
                Q = dict(P); Q[k] = v
                return cls_loss(Q, x, y)
            ok &= close(ans(P, x, y, z1, z2, z3, yh)[k], fd_grad(f, P[k]))
    return ok

def cls_right(P, x, y, z1, z2, z3, yh):
    d3 = (yh - y) / K; d1 = (P['W2'].T @ d3) * z2 * (1 - z2)
    return dict(W2=np.outer(d3, z2), b2=d3, b1=d1, W1=np.outer(d1, x))
def cls_extra(P, x, y, z1, z2, z3, yh):
    d3 = (yh - y) * yh * (1 - yh) / K; d1 = (P['W2'].T @ d3) * z2 * (1 - z2)
    return dict(W2=np.outer(d3, z2), b2=d3, b1=d1, W1=np.outer(d1, x))
entry('mlp_classification', 'b',
      "dW2 = (ŷ − y) z2ᵀ / K\n"
      "db2 = (ŷ − y) / K\n"
      "db1 = ((W2ᵀ(ŷ − y)) ⊙ z2 ⊙ (1 − z2)) / K\n"
      "dW1 = db1 xᵀ\n",
      ['matrix', 'leibniz', 'unicode', 'implicit'], 'correct',
      'sigmoid + BCE collapse to (yhat - y)/K at z3; hidden slope z2(1 - z2)',
      lambda: cls_check(cls_right))
entry('mlp_classification', 'b',
      "dz3 = (ŷ − y) ⊙ ŷ ⊙ (1 − ŷ) / K\n"
      "dW2 = dz3 z2ᵀ\n"
      "db2 = dz3\n"
      "dz1 = (W2ᵀ dz3) ⊙ z2 ⊙ (1 − z2)\n"
      "dW1 = dz1 xᵀ\n"
      "db1 = dz1\n",
      ['matrix', 'leibniz', 'unicode', 'implicit'], 'incorrect',
      'multiplies by the output sigmoid slope again: with BCE it already cancelled into yhat - y',
      lambda: cls_check(cls_extra))

def local_check(f_local, ans, shape, seeds=4, **kw):
    ok = True
    for seed in range(seeds):
        r = np.random.default_rng(100 + seed)
        u = r.normal(size=shape); G = r.normal(size=shape)
        truth = fd_grad(lambda u_: f_local(u_, G), u)
        ok &= close(ans(u, G), truth)
    return ok

# c: z1.grad from z2.grad through z2 = sigma(z1)
cls_c = lambda ans: local_check(lambda u, G: np.sum(G * sig(u)), ans, H)
entry('mlp_classification', 'c', "∂ℓ/∂z1_j = ∂ℓ/∂z2_j · σ(z1_j)(1 − σ(z1_j))\n",
      ['leibniz', 'unicode', 'implicit'], 'correct',
      'diagonal Jacobian sigma(z1)(1 - sigma(z1)), applied entry by entry',
      lambda: cls_c(lambda u, G: G * sig(u) * (1 - sig(u))))
entry('mlp_classification', 'c', "dz1 = dz2 ⊙ σ'(z1)\n",
      ['leibniz', 'matrix', 'unicode', 'keyboard'], 'correct',
      "σ'(z1) is sigma(z1)(1 - sigma(z1)); elementwise",
      lambda: cls_c(lambda u, G: G * sig(u) * (1 - sig(u))))
entry('mlp_classification', 'c', "z1.grad[j] = z2.grad[j] * (1 - z2[j]**2)\n",
      ['keyboard'], 'incorrect',
      'uses the tanh derivative 1 - z2^2 instead of z2(1 - z2)',
      lambda: cls_c(lambda u, G: G * (1 - sig(u) ** 2)))
# d: z3.grad from yhat.grad
cls_d = lambda ans: local_check(lambda u, G: np.sum(G * sig(u)), ans, K)
entry('mlp_classification', 'd', "∂ℓ/∂z3 = ∂ℓ/∂ŷ ⊙ ŷ ⊙ (1 − ŷ)\n",
      ['leibniz', 'unicode', 'matrix'], 'correct',
      'sigmoid output: diagonal Jacobian yhat(1 - yhat)',
      lambda: cls_d(lambda u, G: G * sig(u) * (1 - sig(u))))
entry('mlp_classification', 'd', "z3.grad = yhat.grad * yhat\n",
      ['keyboard', 'matrix'], 'incorrect',
      'missing the factor (1 - yhat) of the sigmoid slope',
      lambda: cls_d(lambda u, G: G * sig(u)))
# e: yhat.grad of the loss
def cls_e(ans):
    ok = True
    for seed in range(4):
        r = np.random.default_rng(200 + seed)
        yh = r.uniform(0.05, 0.95, size=K); y = r.normal(size=K)
        truth = fd_grad(lambda u: -np.sum(y * np.log(u) + (1 - y) * np.log(1 - u)) / K, yh)
        ok &= close(ans(yh, y), truth)
    return ok
entry('mlp_classification', 'e',
      "\\frac{\\partial \\ell}{\\partial \\hat{y}_k} = \\frac{1}{K}\\left(\\frac{1 - y_k}{1 - \\hat{y}_k} - \\frac{y_k}{\\hat{y}_k}\\right)\n",
      ['latex', 'leibniz'], 'correct',
      'derivative of -(y log yhat + (1-y) log(1-yhat))/K',
      lambda: cls_e(lambda yh, y: ((1 - y) / (1 - yh) - y / yh) / K))
entry('mlp_classification', 'e',
      "dL/dyhat[k] = (y[k] - yhat[k]) / (K yhat[k] (1 - yhat[k]))\n",
      ['leibniz', 'keyboard', 'implicit'], 'incorrect',
      'sign flipped: the gradient is (yhat - y)/(K yhat (1 - yhat))',
      lambda: cls_e(lambda yh, y: (y - yh) / (K * yh * (1 - yh))))

# ---------------------------------------------------------------- mlp_regression
def reg_fwd(P, x):
    z1 = P['W1'] @ x + P['b1']; z2 = np.maximum(z1, 0); z3 = P['W2'] @ z2 + P['b2']
    return z1, z2, z3
def reg_check(ans):
    ok = True
    for seed in range(3):
        P, x, y = cls_draw(seed)
        z1, z2, z3 = reg_fwd(P, x)
        for k in P:
            def f(v, k=k):
                Q = dict(P); Q[k] = v
                return np.sum((reg_fwd(Q, x)[2] - y) ** 2)
            ok &= close(ans(P, x, y, z1, z2, z3)[k], fd_grad(f, P[k]))
    return ok
def reg_right(P, x, y, z1, z2, z3, two=2.0):
    d3 = two * (z3 - y); d1 = (P['W2'].T @ d3) * (z1 > 0)
    return dict(W2=np.outer(d3, z2), b2=d3, b1=d1, W1=np.outer(d1, x))
entry('mlp_regression', 'b',
      "∂ℓ/∂W2 = 2(ŷ − y) z2ᵀ\n"
      "∂ℓ/∂b2 = 2(ŷ − y)\n"
      "∂ℓ/∂b1 = 2 (W2ᵀ(ŷ − y)) ⊙ 1[z1 > 0]\n"
      "∂ℓ/∂W1 = ∂ℓ/∂b1 xᵀ\n",
      ['leibniz', 'matrix', 'unicode', 'keyboard', 'implicit'], 'correct',
      'squared norm gives 2(yhat - y); identity output; ReLU mask on the hidden layer',
      lambda: reg_check(reg_right))
entry('mlp_regression', 'b',
      "W2.grad[k, j] = (yhat[k] - y[k]) * z2[j]\n"
      "b2.grad[k] = yhat[k] - y[k]\n"
      "b1.grad[j] = W2[K, j] * (yhat[K] - y[K]) * 1[z1[j] > 0]\n"
      "W1.grad[j, i] = b1.grad[j] * x[i]\n",
      ['keyboard'], 'incorrect',
      'missing the factor 2: the loss is ||yhat - y||^2 with no 1/2',
      lambda: reg_check(lambda *a: reg_right(*a, two=1.0)))
def reg_transW1(P, x, y, z1, z2, z3):
    A = reg_right(P, x, y, z1, z2, z3); A['W1'] = np.outer(x, A['b1']); return A
entry('mlp_regression', 'b',
      "∂ℓ/∂W2 = 2(ŷ − y) z2ᵀ\n"
      "∂ℓ/∂b2 = 2(ŷ − y)\n"
      "∂ℓ/∂b1 = (2 W2ᵀ(ŷ − y)) ⊙ 1[z1 > 0]\n"
      "∂ℓ/∂W1 = x (∂ℓ/∂b1)ᵀ\n",
      ['leibniz', 'matrix', 'unicode', 'keyboard', 'implicit'], 'incorrect',
      'dW1 transposed: W1 is H x N, so it is (∂ℓ/∂b1) xᵀ, not x (∂ℓ/∂b1)ᵀ',
      lambda: reg_check(reg_transW1))
reg_c = lambda ans: local_check(lambda u, G: np.sum(G * np.maximum(u, 0)), ans, H)
entry('mlp_regression', 'c', "z1.grad[j] = z2.grad[j] * relu'(z1[j])\n",
      ['keyboard'], 'correct', "relu'(z1) is the 0/1 step: a diagonal Jacobian",
      lambda: reg_c(lambda u, G: G * (u > 0)))
entry('mlp_regression', 'c',
      "\\frac{\\partial \\ell}{\\partial z_1} = \\frac{\\partial \\ell}{\\partial z_2} \\odot \\mathbb{1}[z_1 > 0]\n",
      ['latex', 'leibniz', 'matrix'], 'correct',
      'elementwise product with the indicator of z1 > 0',
      lambda: reg_c(lambda u, G: G * (u > 0)))
entry('mlp_regression', 'c', "dz1 = dz2 ⊙ z2\n",
      ['leibniz', 'matrix', 'unicode'], 'incorrect',
      'multiplies by relu(z1) = z2 instead of the step 1[z1 > 0]',
      lambda: reg_c(lambda u, G: G * np.maximum(u, 0)))
reg_d = lambda ans: local_check(lambda u, G: np.sum(G * u), ans, K)
entry('mlp_regression', 'd', "∂ℓ/∂z3 = ∂ℓ/∂ŷ\n",
      ['leibniz', 'unicode'], 'correct', 'g is the identity: the Jacobian is I',
      lambda: reg_d(lambda u, G: G))
entry('mlp_regression', 'd', "z3.grad = yhat.grad * (z3 > 0)\n",
      ['keyboard'], 'incorrect', 'treats the identity output as a ReLU',
      lambda: reg_d(lambda u, G: G * (u > 0)))
def reg_e(ans):
    ok = True
    for seed in range(3):
        r = np.random.default_rng(300 + seed)
        yh, y = r.normal(size=K), r.normal(size=K)
        ok &= close(ans(yh, y), fd_grad(lambda u: np.sum((u - y) ** 2), yh))
    return ok
entry('mlp_regression', 'e', "∇_ŷ ℓ = 2(ŷ − y)\n",
      ['leibniz', 'unicode', 'implicit'], 'correct', 'gradient of the squared norm',
      lambda: reg_e(lambda yh, y: 2 * (yh - y)))
entry('mlp_regression', 'e', "dyhat = 2(y - yhat)\n",
      ['leibniz', 'keyboard', 'implicit'], 'incorrect', 'sign flipped',
      lambda: reg_e(lambda yh, y: 2 * (y - yh)))

# ---------------------------------------------------------------- mlp_numeric
xN = np.array([1., 2.]); tN = 1.0; WN = np.array([[-1., 1.], [1., -2.]]); vN = np.array([3., -1.])
def num_fwd(W, v, x):
    z = W @ x; h = np.maximum(z, 0); y = v @ h; C = (y - tN) ** 2 / 2
    return z, h, y, C
zN, hN, yN, CN = num_fwd(WN, vN, xN)
T_num = dict(z=zN, h=hN, y=yN, C=CN,
             yg=yN - tN,
             hg=fd_grad(lambda h: (vN @ h - tN) ** 2 / 2, hN),
             zg=fd_grad(lambda z: (vN @ np.maximum(z, 0) - tN) ** 2 / 2, zN),
             xg=fd_grad(lambda x: num_fwd(WN, vN, x)[3], xN),
             vg=fd_grad(lambda v: num_fwd(WN, v, xN)[3], vN),
             Wg=fd_grad(lambda W: num_fwd(W, vN, xN)[3], WN))
def num_check(vals):
    return all(close(vals[k], T_num[k], 1e-6) for k in vals)

entry('mlp_numeric', 'forward', "z = [1, −3]\nh = [1, 0]\ny = 3\nC = 2\n",
      ['unicode'], 'correct', 'z = Wx = (1, -3), ReLU kills the second unit, y = 3, C = (3-1)^2/2',
      lambda: num_check(dict(z=[1, -3], h=[1, 0], y=3, C=2)))
entry('mlp_numeric', 'forward', "z = [1, -3]\nh = [1, 0]\ny = 3\nC = 4\n",
      ['keyboard'], 'incorrect', 'drops the 1/2 of the loss: C = 2',
      lambda: num_check(dict(z=[1, -3], h=[1, 0], y=3, C=4)))
entry('mlp_numeric', 'backward',
      "∂C/∂y = 2\n∂C/∂h = [6, −2]\n∂C/∂z = [6, 0]\n∂C/∂x = [−6, 6]\n∂C/∂v = [2, 0]\n∂C/∂W = [[6, 12], [0, 0]]\n",
      ['leibniz', 'unicode'], 'correct', 'y - t = 2, h.grad = 2v, mask (1, 0), x.grad = W^T z.grad, W.grad = z.grad x^T',
      lambda: num_check(dict(yg=2, hg=[6, -2], zg=[6, 0], xg=[-6, 6], vg=[2, 0], Wg=[[6, 12], [0, 0]])))
entry('mlp_numeric', 'backward',
      "dC/dy = 2\ndC/dh = [6, -2]\ndC/dz = [6, -2]\ndC/dx = [-8, 10]\ndC/dv = [2, 0]\ndC/dW = [[6, 12], [-2, -4]]\n",
      ['leibniz', 'keyboard'], 'incorrect', 'forgot the ReLU derivative: z2 = -3 < 0 so z.grad[2] must be 0 (and x.grad, W.grad follow)',
      lambda: num_check(dict(yg=2, hg=[6, -2], zg=[6, -2], xg=[-8, 10], vg=[2, 0], Wg=[[6, 12], [-2, -4]])))

def vec_check(ans):
    ok = True
    for seed in range(4):
        r = np.random.default_rng(400 + seed)
        W = r.normal(size=(2, 2)); v = r.normal(size=2); x = r.normal(size=2)
        z, h, y, Cc = num_fwd(W, v, x)
        T = dict(v=fd_grad(lambda v_: num_fwd(W, v_, x)[3], v),
                 h=fd_grad(lambda h_: (v @ h_ - tN) ** 2 / 2, h),
                 z=fd_grad(lambda z_: (v @ np.maximum(z_, 0) - tN) ** 2 / 2, z),
                 W=fd_grad(lambda W_: num_fwd(W_, v, x)[3], W))
        A = ans(W, v, x, z, h, y)
        ok &= all(close(A[k], T[k]) for k in T)
    return ok
def vec_right(W, v, x, z, h, y):
    hg = (y - tN) * v; zg = hg * (z > 0)
    return dict(v=(y - tN) * h, h=hg, z=zg, W=np.outer(zg, x))
def vec_trans(W, v, x, z, h, y):
    A = vec_right(W, v, x, z, h, y); A['W'] = np.outer(x, A['z']); return A
entry('mlp_numeric', 'vectorized',
      "∇_v C = (y − t) h\n∇_h C = (y − t) v\n∇_z C = ∇_h C ∘ 1[z > 0]\n∇_W C = ∇_z C xᵀ\n",
      ['leibniz', 'matrix', 'unicode', 'keyboard', 'implicit'], 'correct',
      'scalar (y - t) times h and v, ReLU mask with ∘, outer product z.grad x^T',
      lambda: vec_check(vec_right))
entry('mlp_numeric', 'vectorized',
      "dv = (y − t) h\ndh = (y − t) v\ndz = dh ∘ 1[z > 0]\ndW = x dzᵀ\n",
      ['leibniz', 'matrix', 'unicode', 'keyboard', 'implicit'], 'incorrect',
      'dW is transposed: W[i, j] multiplies x[j] into z[i], so dW = dz xᵀ',
      lambda: vec_check(vec_trans))
