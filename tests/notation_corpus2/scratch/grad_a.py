"""Finite-difference checks: relu_unit, softmax, batchnorm, he_backward a, dropout a."""
import numpy as np
from common import sig, fd_grad, close

E = []
def entry(problem, part, answer, notation, expected, why, check):
    E.append(dict(problem=problem, part=part, answer=answer, notation=notation,
                  expected=expected, why=why, check=check))

# ---------------------------------------------------------------- relu_unit
def relu_check(ans):
    """ans(w, x, z, ygrad) -> w.grad ; truth by FD of L(relu(w.x)) with L(y)=sin y + y^2"""
    ok = True
    for seed in range(8):
        r = np.random.default_rng(seed)
        w, x = r.normal(size=3), r.normal(size=3)
        L = lambda y: np.sin(y) + y ** 2
        Lp = lambda y: np.cos(y) + 2 * y
        f = lambda w_: L(max(w_ @ x, 0.0))
        z = w @ x
        y = max(z, 0.0)
        truth = fd_grad(f, w)
        ok &= close(ans(w, x, z, Lp(y)), truth)
    return ok

entry('relu_unit', 'a', "∂ℓ/∂w_i = y.grad · 1[z > 0] · x_i\n",
      ['unicode', 'leibniz', 'keyboard'], 'correct',
      'upstream times the ReLU slope (indicator of z > 0) times x_i',
      lambda: relu_check(lambda w, x, z, g: g * (z > 0) * x))
entry('relu_unit', 'a', "\\frac{\\partial \\ell}{\\partial w_i} = y.grad \\cdot x_i\n",
      ['latex', 'leibniz'], 'incorrect',
      'drops the ReLU derivative step(z): wrong whenever z < 0',
      lambda: relu_check(lambda w, x, z, g: g * x))
entry('relu_unit', 'a', "dL/dw_i = relu'(z) x_i y.grad\n",
      ['keyboard', 'leibniz', 'implicit'], 'correct',
      "relu'(z) is the step function; product written by juxtaposition",
      lambda: relu_check(lambda w, x, z, g: (z > 0) * x * g))
entry('relu_unit', 'a', "∇_w ℓ = y.grad 1[z > 0] x\n",
      ['leibniz', 'matrix', 'keyboard', 'implicit'], 'correct',
      'the whole gradient vector: a scalar times x',
      lambda: relu_check(lambda w, x, z, g: g * (z > 0) * x))
entry('relu_unit', 'a', "w.grad[i] = y.grad * max(0, z) * x[i]\n",
      ['keyboard'], 'incorrect',
      'uses relu(z) itself instead of its derivative step(z)',
      lambda: relu_check(lambda w, x, z, g: g * max(0.0, z) * x))

# ---------------------------------------------------------------- softmax
B, J = 3, 4
def sm_draw(seed):
    r = np.random.default_rng(seed)
    s = r.normal(size=(B, J)); G = r.normal(size=(B, J)); H = r.normal(size=B)
    Z = np.exp(s).sum(1)
    return s, G, H, Z

def sm_check(which, ans):
    ok = True
    for seed in range(4):
        s, G, H, Z = sm_draw(seed)
        p = np.exp(s) / Z[:, None]
        if which == 'a':      # loop 2 only, Z held fixed: d/ds sum G*exp(s)/Z
            truth = fd_grad(lambda s_: np.sum(G * np.exp(s_) / Z[:, None]), s)
        elif which == 'b':    # loop 2 only: d/dZ
            truth = fd_grad(lambda Z_: np.sum(G * np.exp(s) / Z_[:, None]), Z)
        elif which == 'c':    # loop 1 only: d/ds sum_b H[b] Z[b](s)
            truth = fd_grad(lambda s_: np.sum(H * np.exp(s_).sum(1)), s)
        else:                 # full
            truth = fd_grad(lambda s_: np.sum(G * np.exp(s_) / np.exp(s_).sum(1)[:, None]), s)
        ok &= close(ans(s=s, G=G, H=H, Z=Z, p=p), truth)
    return ok

entry('softmax', 'a', "for b, j: s.grad[b, j] += p.grad[b, j] * np.exp(s[b, j]) / Z[b]\n",
      ['keyboard'], 'correct',
      'local derivative of exp(s)/Z in s is exp(s)/Z; np.exp is exp',
      lambda: sm_check('a', lambda s, G, H, Z, p: G * np.exp(s) / Z[:, None]))
entry('softmax', 'a',
      "\\frac{\\partial L}{\\partial s_{b,j}} = \\frac{\\partial L}{\\partial p_{b,j}} \\cdot \\frac{e^{s_{b,j}}}{Z_{b}^{2}}\n",
      ['latex', 'leibniz'], 'incorrect',
      'divides by Z^2 (mixes in the derivative with respect to Z); should be e^s/Z',
      lambda: sm_check('a', lambda s, G, H, Z, p: G * np.exp(s) / Z[:, None] ** 2))
entry('softmax', 'b', "for b, j: Z.grad[b] −= p.grad[b, j] · exp(s[b, j]) / Z[b]²\n",
      ['unicode'], 'correct',
      'd/dZ of exp(s)/Z is -exp(s)/Z^2, accumulated over j',
      lambda: sm_check('b', lambda s, G, H, Z, p: -(G * np.exp(s)).sum(1) / Z ** 2))
entry('softmax', 'b',
      "\\frac{\\partial L}{\\partial Z_b} = -\\sum_{j} \\frac{\\partial L}{\\partial p_{b,j}} \\frac{\\exp(s_{b,j})}{Z_b^2}\n",
      ['latex', 'leibniz', 'implicit'], 'correct',
      '-sum_j p.grad exp(s)/Z^2: the 1/Z derivative, summed over j',
      lambda: sm_check('b', lambda s, G, H, Z, p: -(G * np.exp(s)).sum(1) / Z ** 2))
entry('softmax', 'b', "for b, j: Z.grad[b] += p.grad[b, j] exp(s[b, j]) / Z[b]^2\n",
      ['implicit'], 'incorrect',
      'sign error: the derivative of 1/Z is -1/Z^2',
      lambda: sm_check('b', lambda s, G, H, Z, p: (G * np.exp(s)).sum(1) / Z ** 2))
entry('softmax', 'c', "ds_{b,j} += dZ_b e^{s_{b,j}}\n",
      ['leibniz', 'latex', 'implicit'], 'correct',
      'dZ/ds[b,j] = exp(s[b,j]); ds and dZ name s.grad and Z.grad',
      lambda: sm_check('c', lambda s, G, H, Z, p: H[:, None] * np.exp(s)))
entry('softmax', 'c', "for b, j: s.grad[b, j] += Z.grad[b] · exp(s[b, j]) / Z[b]\n",
      ['unicode'], 'incorrect',
      'spurious division by Z (confuses exp(s) with p)',
      lambda: sm_check('c', lambda s, G, H, Z, p: H[:, None] * np.exp(s) / Z[:, None]))
entry('softmax', 'full', "s.grad[b, j] = p[b, j] (p.grad[b, j] − p.grad[b, J] p[b, J])\n",
      ['unicode', 'implicit'], 'correct',
      'p * (p.grad - sum_k p.grad p): the O(BJ) form, capital J summed inside the product',
      lambda: sm_check('full', lambda s, G, H, Z, p: p * (G - (G * p).sum(1)[:, None])))
entry('softmax', 'full',
      "\\frac{\\partial L}{\\partial s_{b,j}} = p_{b,j}\\left(\\frac{\\partial L}{\\partial p_{b,j}} - \\sum_{k} \\frac{\\partial L}{\\partial p_{b,k}}\\right)\n",
      ['latex', 'leibniz'], 'incorrect',
      'the sum over k lost its factor p_{b,k}',
      lambda: sm_check('full', lambda s, G, H, Z, p: p * (G - G.sum(1)[:, None])))
entry('softmax', 'full',
      "for b, j: s.grad[b, j] += p[b, j] * (p.grad[b, j] + p.grad[b, J] * p[b, J])\n",
      ['keyboard'], 'incorrect',
      'sign error on the normalisation term (must be minus)',
      lambda: sm_check('full', lambda s, G, H, Z, p: p * (G + (G * p).sum(1)[:, None])))

# ---------------------------------------------------------------- batchnorm
Bb, Jb = 4, 3
def bn_forward(x, mu=None, s=None):
    if mu is None:
        mu = x.mean(0)
    if s is None:
        s = ((x - mu) ** 2).sum(0) / (Bb - 1)
    return (x - mu) / np.sqrt(s)

def bn_check(ans):
    ok = True
    for seed in range(4):
        r = np.random.default_rng(seed)
        x = r.normal(size=(Bb, Jb)); G = r.normal(size=(Bb, Jb))
        mu = x.mean(0); s = ((x - mu) ** 2).sum(0) / (Bb - 1)
        f = lambda x_: np.sum(G * bn_forward(x_))
        tx = fd_grad(f, x)
        # mu.grad: total derivative through xp and s (s recomputed from x and mu)
        tmu = fd_grad(lambda m_: np.sum(G * bn_forward(x, m_)), mu)
        ts = fd_grad(lambda s_: np.sum(G * bn_forward(x, mu, s_)), s)
        gx, gmu, gs = ans(x, mu, s, G)
        ok &= close(gx, tx) and close(gmu, tmu) and close(gs, ts)
    return ok

def bn_loops(x, mu, s, G, den_s=None, keep_mu_from_s=True):
    den_s = (Bb - 1) if den_s is None else den_s
    gx = np.zeros_like(x); gmu = np.zeros(Jb); gs = np.zeros(Jb)
    gs -= (G * (x - mu) / (2 * s ** 1.5)).sum(0)
    gx += G / np.sqrt(s)
    gmu -= (G / np.sqrt(s)).sum(0)
    gx += 2 * gs * (x - mu) / den_s
    if keep_mu_from_s:
        gmu -= (2 * gs * (x - mu) / den_s).sum(0)
    gx += gmu / Bb
    return gx, gmu, gs

entry('batchnorm', 'a',
      "for b, j: s.grad[j] −= xp.grad[b, j] · (x[b, j] − μ[j]) / (2 s[j]^(3/2))\n"
      "for b, j: x.grad[b, j] += xp.grad[b, j] / √(s[j])\n"
      "for b, j: μ.grad[j] −= xp.grad[b, j] / √(s[j])\n"
      "for b, j: x.grad[b, j] += 2 s.grad[j] (x[b, j] − μ[j]) / (B − 1)\n"
      "for b, j: μ.grad[j] −= 2 s.grad[j] (x[b, j] − μ[j]) / (B − 1)\n"
      "for b, j: x.grad[b, j] += μ.grad[j] / B\n",
      ['unicode', 'implicit'], 'correct',
      "x' first into s, mu and x, then s into x and mu, then mu into x: right order and factors",
      lambda: bn_check(lambda x, mu, s, G: bn_loops(x, mu, s, G)))
entry('batchnorm', 'a',
      "for b, j: s.grad[j] -= xp.grad[b, j] * (x[b, j] - mu[j]) / (2 * s[j] ** 1.5)\n"
      "for b, j: x.grad[b, j] += xp.grad[b, j] / np.sqrt(s[j])\n"
      "for b, j: mu.grad[j] -= xp.grad[b, j] / np.sqrt(s[j])\n"
      "for b, j: x.grad[b, j] += 2 / B * s.grad[j] * (x[b, j] - mu[j])\n"
      "for b, j: mu.grad[j] -= 2 / B * s.grad[j] * (x[b, j] - mu[j])\n"
      "for b, j: x.grad[b, j] += mu.grad[j] / B\n",
      ['keyboard'], 'incorrect',
      'the variance here is the unbiased one: its derivative has 2/(B-1), not 2/B',
      lambda: bn_check(lambda x, mu, s, G: bn_loops(x, mu, s, G, den_s=Bb)))
entry('batchnorm', 'a',
      "for b, j: x.grad[b, j] += xp.grad[b, j] / sqrt(s[j])\n"
      "for b, j: mu.grad[j] -= xp.grad[b, j] / sqrt(s[j])\n"
      "for b, j: s.grad[j] -= ½ xp.grad[b, j] (x[b, j] - mu[j]) s[j]^(-3/2)\n"
      "for b, j: x.grad[b, j] += 2/(B-1) s.grad[j] (x[b, j] - mu[j])\n"
      "for b, j: x.grad[b, j] += mu.grad[j] / B\n",
      ['unicode', 'implicit'], 'correct',
      'omits the s -> mu term, which is exactly zero since sum_b (x - mu) = 0; everything else right',
      lambda: bn_check(lambda x, mu, s, G: bn_loops(x, mu, s, G, keep_mu_from_s=False)))

# ---------------------------------------------------------------- he_backward a
NI, NO = 5, 4
def heb_check(ans, square=False):
    ok = True
    for seed in range(4):
        r = np.random.default_rng(seed)
        ni, no = (NI, NI) if square else (NI, NO)
        x = r.normal(size=ni); W = r.normal(size=(no, ni)); G = r.normal(size=no)
        f = lambda x_: G @ (W @ np.maximum(x_, 0))
        truth = fd_grad(f, x)
        got = ans(x, W, G)
        ok &= got is not None and close(got, truth)
    return ok

entry('he_backward', 'a', "dh = Wᵀ dy\ndx = dh ⊙ 1[x > 0]\n",
      ['matrix', 'leibniz', 'unicode', 'keyboard'], 'correct',
      'transpose of W carries y.grad back to h, the ReLU mask gates it',
      lambda: heb_check(lambda x, W, G: (W.T @ G) * (x > 0)))
entry('he_backward', 'a', "dh = W dy\ndx = dh ⊙ 1[x > 0]\n",
      ['matrix', 'leibniz', 'unicode', 'keyboard'], 'incorrect',
      'W not transposed: W is n_out x n_in, so W dy does not even match (needs Wᵀ dy)',
      lambda: heb_check(lambda x, W, G: None) or heb_check(lambda x, W, G: (W @ G) * (x > 0), square=True))
# (W dy does not type-check at n_in != n_out; with a square W it is numerically wrong)
entry('he_backward', 'a',
      "\\frac{\\partial L}{\\partial x_i} = \\mathrm{step}(x_i) \\sum_{j} W_{ji} \\frac{\\partial L}{\\partial y_j}\n",
      ['latex', 'leibniz', 'implicit'], 'correct',
      'sum over the fan-out of W[j, i] y.grad[j], times the ReLU slope',
      lambda: heb_check(lambda x, W, G: (x > 0) * (W.T @ G)))
entry('he_backward', 'a',
      "for i, j: h.grad[i] += W[j, i] * y.grad[j]\n"
      "x.grad[i] = h.grad[i] * np.maximum(0, x[i])\n",
      ['keyboard'], 'incorrect',
      'multiplies by relu(x) instead of its derivative step(x)',
      lambda: heb_check(lambda x, W, G: (W.T @ G) * np.maximum(0, x)))

# ---------------------------------------------------------------- dropout a
def do_check(ans):
    ok = True
    for seed in range(4):
        r = np.random.default_rng(seed)
        n = 4; q = r.uniform(0.2, 0.9)
        x = r.normal(size=n); m = (r.uniform(size=n) < 0.5).astype(float); G = r.normal(size=n)
        m[0], m[1] = 1.0, 0.0
        truth = fd_grad(lambda x_: G @ (m * x_ / q), x)
        ok &= close(ans(x, m, q, G), truth)
    return ok

entry('dropout', 'a', "dx = dy ⊙ m / q\n", ['matrix', 'leibniz', 'unicode'], 'correct',
      'elementwise: the kept units pass y.grad scaled by 1/q',
      lambda: do_check(lambda x, m, q, G: G * m / q))
entry('dropout', 'a', "∂L/∂x_i = (m_i / q) ∂L/∂y_i\n", ['leibniz', 'implicit'], 'correct',
      'y.grad[i] m[i]/q, entry by entry',
      lambda: do_check(lambda x, m, q, G: m / q * G))
entry('dropout', 'a', "x.grad = y.grad * m\n", ['matrix'], 'incorrect',
      'forgets the 1/q scaling of inverted dropout',
      lambda: do_check(lambda x, m, q, G: G * m))
