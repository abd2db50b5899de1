"""Finite-difference checks: relu_unit, softmax, batchnorm, ugrnn, he_backward:a, dropout:a."""
import numpy as np
from common import sig, relu, step, fd, close, all_close, entry

SEEDS = range(4)

# ------------------------------------------------------------------ relu_unit:a
# z = w.x, y = relu(z), l = L(y); with L(y) = g*y the upstream derivative is g.
def relu_case(seed):
    r = np.random.default_rng(seed)
    w, x, g = r.normal(size=3), r.normal(size=3), r.normal()
    if seed % 2:                       # half the draws with z < 0
        x = -x if w @ x > 0 else x
    else:
        x = -x if w @ x < 0 else x
    ref = fd(lambda W: g * relu(W @ x), w)
    return w, x, g, ref

def relu_check(student):
    for s in SEEDS:
        w, x, g, ref = relu_case(s)
        if not close(student(w, x, g, w @ x), ref):
            return False
    return True

entry('relu_unit', 'a', r'''
\nabla_{w} \ell = \frac{d\mathcal{L}(y)}{dy} \, \mathbb{1}[w^\top x > 0] \, x
''', ['latex', 'leibniz', 'matrix'], 'correct',
      "upstream derivative times the ReLU slope 1[w^T x > 0] times x, as a whole vector",
      lambda: relu_check(lambda w, x, g, z: g * step(np.array(w @ x)) * x))
entry('relu_unit', 'a', '''
∂ℓ/∂w_i = y.grad · x_i if z > 0, 0 otherwise
''', ['unicode', 'leibniz'], 'correct',
      "by cases: the unit passes the gradient only when it is active",
      lambda: relu_check(lambda w, x, g, z: g * x if z > 0 else 0 * x))
entry('relu_unit', 'a', '''
dw_i = dy · 1[wᵀx > 0] · x_i
''', ['unicode', 'leibniz', 'keyboard', 'matrix'], 'correct',
      "dw/dy Leibniz shorthand; the inner product written w^T x inside the indicator",
      lambda: relu_check(lambda w, x, g, z: g * step(np.array(z)) * x))
entry('relu_unit', 'a', '''
∂ℓ/∂w_i = y.grad · 1[z > 0] · w_i
''', ['unicode', 'leibniz', 'keyboard'], 'incorrect',
      "wrong tensor: the derivative of w.x in w_i is x_i, not w_i",
      lambda: relu_check(lambda w, x, g, z: g * step(np.array(z)) * w))
entry('relu_unit', 'a', '''
w.grad[i] = y.grad * 1[x[i] > 0] * x[i]
''', ['keyboard'], 'incorrect',
      "the ReLU gate is on z = w.x, not on the input component x_i",
      lambda: relu_check(lambda w, x, g, z: g * step(x) * x))
entry('relu_unit', 'a', r'''
\frac{\partial \ell}{\partial w_i} = -\frac{d\mathcal{L}}{dy}\, \mathbf{1}[z > 0]\, x_i
''', ['latex', 'leibniz'], 'incorrect',
      "sign error: no minus sign anywhere in the chain",
      lambda: relu_check(lambda w, x, g, z: -g * step(np.array(z)) * x))

# ------------------------------------------------------------------ softmax
B, J = 3, 4
def sm_draw(seed):
    r = np.random.default_rng(seed)
    s = r.normal(size=(B, J)); Z = np.exp(s).sum(1) * r.uniform(0.5, 2, size=B)  # Z as a free input
    return s, Z, r.normal(size=(B, J)), r.normal(size=B)

def sm_a_check(student):
    for sd in SEEDS:
        s, Z, G, _ = sm_draw(sd)
        ref = fd(lambda S: np.sum(G * np.exp(S) / Z[:, None]), s)
        p = np.exp(s) / Z[:, None]        # the forward p (second loop's output)
        if not close(student(s, Z, p, G), ref):
            return False
    return True

def sm_b_check(student):
    for sd in SEEDS:
        s, Z, G, _ = sm_draw(sd)
        ref = fd(lambda ZZ: np.sum(G * np.exp(s) / ZZ[:, None]), Z)
        p = np.exp(s) / Z[:, None]
        if not close(student(s, Z, p, G), ref):
            return False
    return True

def sm_c_check(student):
    for sd in SEEDS:
        s, Z, _, GZ = sm_draw(sd)
        ref = fd(lambda S: np.sum(GZ * np.exp(S).sum(1)), s)
        if not close(student(s, GZ), ref):
            return False
    return True

def sm_full_check(student):
    for sd in SEEDS:
        s, _, G, _ = sm_draw(sd)
        soft = lambda S: np.exp(S) / np.exp(S).sum(1, keepdims=True)
        ref = fd(lambda S: np.sum(G * soft(S)), s)
        if not close(student(soft(s), G), ref):
            return False
    return True

entry('softmax', 'a', '''
s.grad[b, j] += p.grad[b, j] · e^{s[b, j]} / Z[b]
''', ['unicode', 'latex'], 'correct',
      "d(exp(s)/Z)/ds = exp(s)/Z with Z held fixed (second loop only); e^{...} for exp",
      lambda: sm_a_check(lambda s, Z, p, G: G * np.exp(s) / Z[:, None]))
entry('softmax', 'a', '''
for b, j: s.grad[b, j] += p.grad[b, j] * p[b, j]
''', ['keyboard'], 'correct',
      "exp(s)/Z is the forward value p itself, so p.grad * p is the same update",
      lambda: sm_a_check(lambda s, Z, p, G: G * p))
entry('softmax', 'a', '''
for b, j: s.grad[b, j] += p.grad[b, j] * exp(s[b, j])
''', ['keyboard'], 'incorrect',
      "missing factor 1/Z[b]",
      lambda: sm_a_check(lambda s, Z, p, G: G * np.exp(s)))
entry('softmax', 'a', '''
for b, j: s.grad[b, j] += p.grad[b, j] * p[b, j] * (1 - p[b, j])
''', ['keyboard'], 'incorrect',
      "uses the full softmax diagonal p(1-p); through the second loop alone Z is a constant, so the factor is just p",
      lambda: sm_a_check(lambda s, Z, p, G: G * p * (1 - p)))

entry('softmax', 'b', '''
for b, j: Z.grad[b] -= p.grad[b, j] * p[b, j] / Z[b]
''', ['keyboard'], 'correct',
      "-exp(s)/Z^2 = -p/Z, accumulated over j",
      lambda: sm_b_check(lambda s, Z, p, G: -(G * p / Z[:, None]).sum(1)))
entry('softmax', 'b', '''
dZ_b = −∑_j dp_{b,j} exp(s_{b,j}) / Z_b²
''', ['unicode', 'leibniz', 'implicit'], 'correct',
      "the sum over j of the -exp(s)/Z^2 derivative, in d-prefix shorthand with subscripts",
      lambda: sm_b_check(lambda s, Z, p, G: -(G * np.exp(s)).sum(1) / Z ** 2))
entry('softmax', 'b', '''
for b, j: Z.grad[b] -= p.grad[b, j] * exp(s[b, j]) / Z[b]
''', ['keyboard'], 'incorrect',
      "missing a factor 1/Z: the derivative of 1/Z is -1/Z^2",
      lambda: sm_b_check(lambda s, Z, p, G: -(G * np.exp(s)).sum(1) / Z))

entry('softmax', 'c', '''
for b, j: s.grad[b, j] += Z.grad[b] * math.exp(s[b, j])
''', ['keyboard'], 'correct',
      "dZ/ds = exp(s); math.exp is exp",
      lambda: sm_c_check(lambda s, GZ: GZ[:, None] * np.exp(s)))
entry('softmax', 'c', '''
∂L/∂s_{b,j} = ∂L/∂Z_b · e^{s_{b,j}}
''', ['unicode', 'leibniz', 'latex'], 'correct',
      "Leibniz form of the same update",
      lambda: sm_c_check(lambda s, GZ: GZ[:, None] * np.exp(s)))
entry('softmax', 'c', '''
for b, j: s.grad[b, j] −= Z.grad[b] · exp(s[b, j])
''', ['unicode'], 'incorrect',
      "sign error: Z increases with s",
      lambda: sm_c_check(lambda s, GZ: -GZ[:, None] * np.exp(s)))

entry('softmax', 'full', '''
∂L/∂s_{bj} = Σ_k ∂L/∂p_{bk} p_{bk} (δ_{jk} − p_{bj})
''', ['unicode', 'leibniz', 'implicit'], 'correct',
      "the softmax Jacobian dp_k/ds_j = p_k(delta_jk - p_j) contracted with p.grad",
      lambda: sm_full_check(lambda p, G: G * p - p * (G * p).sum(1, keepdims=True)))
entry('softmax', 'full', '''
for b, j: e[b] += p.grad[b, j] * p[b, j]
for b, j: s.grad[b, j] += p[b, j] * p.grad[b, j] - e[b]
''', ['keyboard'], 'incorrect',
      "missing factor p[b, j] on the e[b] term (should be p * (p.grad - e))",
      lambda: sm_full_check(lambda p, G: p * G - (G * p).sum(1, keepdims=True)))
entry('softmax', 'full', r'''
\frac{\partial L}{\partial s_{b,j}} = p_{b,j} \frac{\partial L}{\partial p_{b,j}} - p_{b,j}^{2} \frac{\partial L}{\partial p_{b,j}}
''', ['latex', 'leibniz', 'implicit'], 'incorrect',
      "keeps only the diagonal of the Jacobian; the other classes' p.grad are missing",
      lambda: sm_full_check(lambda p, G: p * G - p ** 2 * G))
entry('softmax', 'full', '''
for b: e[b] = 0
for b, k: e[b] -= p[b, k] p.grad[b, k]
for b, j: s.grad[b, j] += p[b, j] (p.grad[b, j] + e[b])
''', ['implicit'], 'correct',
      "the O(BJ) form with an explicit zero initialisation of the temporary, products by juxtaposition",
      lambda: sm_full_check(lambda p, G: p * (G - (G * p).sum(1, keepdims=True))))

# ------------------------------------------------------------------ batchnorm:a
Bb, Jb = 4, 3
def bn_draw(seed):
    r = np.random.default_rng(seed)
    return r.normal(size=(Bb, Jb)), r.normal(size=(Bb, Jb))

def bn_ref(x, G):
    f_xms = lambda x, mu, s: np.sum(G * (x - mu) / np.sqrt(s))
    mu_of = lambda x: x.mean(0)
    s_of = lambda x, mu: ((x - mu) ** 2).sum(0) / (Bb - 1)
    mu = mu_of(x); s = s_of(x, mu)
    sg = fd(lambda S: f_xms(x, mu, S), s)
    mg = fd(lambda M: f_xms(x, M, s_of(x, M)), mu)
    xg = fd(lambda X: f_xms(X, mu_of(X), s_of(X, mu_of(X))), x)
    return mu, s, dict(x=xg, mu=mg, s=sg)

def bn_check(student):
    for sd in SEEDS:
        x, G = bn_draw(sd)
        mu, s, ref = bn_ref(x, G)
        got = student(x, mu, s, G)
        if not all(close(got[k], ref[k]) for k in ref):
            return False
    return True

def bn_right(x, mu, s, G, ordered=True, scale=None):
    sg = (-0.5 * G * (x - mu) * s ** -1.5).sum(0)
    c = 2 / (Bb - 1) if scale is None else scale
    mg = (-G / np.sqrt(s) - c * sg * (x - mu)).sum(0)
    xg = G / np.sqrt(s) + c * sg * (x - mu) + (mg / Bb if ordered else 0)
    return dict(x=xg, mu=mg, s=sg)

entry('batchnorm', 'a', '''
for b, j: s.grad[j] += −½ xp.grad[b, j] (x[b, j] − μ[j]) s[j]^(−3/2)
for b, j: μ.grad[j] += −xp.grad[b, j] / √s[j] − 2/(B − 1) s.grad[j] (x[b, j] − μ[j])
for b, j: x.grad[b, j] += xp.grad[b, j] / √s[j] + 2 s.grad[j] (x[b, j] − μ[j])/(B − 1) + μ.grad[j]/B
''', ['unicode', 'implicit'], 'correct',
      "s first, then mu (through x' and through s), then x (through x', s and mu): the right order",
      lambda: bn_check(bn_right))
entry('batchnorm', 'a', '''
for b, j: s.grad[j] -= 0.5 * xp.grad[b, j] * (x[b, j] - mu[j]) * s[j]**(-1.5)
for b, j: x.grad[b, j] += xp.grad[b, j] / np.sqrt(s[j]) + 2/(B-1) * s.grad[j] * (x[b, j] - mu[j]) + mu.grad[j] / B
for b, j: mu.grad[j] -= xp.grad[b, j] / np.sqrt(s[j]) + 2/(B-1) * s.grad[j] * (x[b, j] - mu[j])
''', ['keyboard'], 'incorrect',
      "wrong order: x.grad reads mu.grad before the loop that computes it, so the mu path is lost",
      lambda: bn_check(lambda x, mu, s, G: bn_right(x, mu, s, G, ordered=False)))
entry('batchnorm', 'a', '''
for b, j: s.grad[j] -= xp.grad[b, j] * (x[b, j] - mu[j]) / (2 * s[j]^(3/2))
for b, j: mu.grad[j] -= xp.grad[b, j] / sqrt(s[j]) + 2/B * s.grad[j] * (x[b, j] - mu[j])
for b, j: x.grad[b, j] += xp.grad[b, j] / sqrt(s[j]) + 2/B * s.grad[j] * (x[b, j] - mu[j]) + mu.grad[j] / B
''', ['keyboard'], 'incorrect',
      "uses 1/B where the variance estimate has 1/(B-1): the s path into x is off by (B-1)/B",
      lambda: bn_check(lambda x, mu, s, G: bn_right(x, mu, s, G, scale=2 / Bb)))
entry('batchnorm', 'a', r'''
\frac{\partial L}{\partial s_j} = -\frac{1}{2} s_j^{-3/2} \sum_b \frac{\partial L}{\partial x'_{b,j}} (x_{b,j} - \mu_j)
\frac{\partial L}{\partial \mu_j} = -\frac{1}{\sqrt{s_j}} \sum_b \frac{\partial L}{\partial x'_{b,j}}
\frac{\partial L}{\partial x_{b,j}} = \frac{1}{\sqrt{s_j}} \frac{\partial L}{\partial x'_{b,j}} + \frac{2 (x_{b,j} - \mu_j)}{B-1} \frac{\partial L}{\partial s_j} + \frac{1}{B} \frac{\partial L}{\partial \mu_j}
''', ['latex', 'leibniz'], 'correct',
      "mu.grad leaves out the path through s, whose sum over b of (x - mu) is exactly zero: same values",
      lambda: bn_check(lambda x, mu, s, G: (lambda sg: (lambda mg: dict(
          s=sg, mu=mg, x=G / np.sqrt(s) + 2 * (x - mu) / (Bb - 1) * sg + mg / Bb))(
          (-G / np.sqrt(s)).sum(0)))((-0.5 * s ** -1.5 * (G * (x - mu)).sum(0)))))

# ------------------------------------------------------------------ ugrnn:b
Bu, Tu, Ju, Ku = 2, 3, 4, 3
def ug_draw(seed):
    r = np.random.default_rng(seed)
    P = dict(Whr=r.normal(size=(Ju, Ju)), Wxr=r.normal(size=(Ju, Ku)), BR=r.normal(size=Ju),
             h=np.concatenate([np.zeros((Bu, 1, Ju)), r.normal(size=(Bu, Tu, Ju))], 1),
             x=np.concatenate([np.zeros((Bu, 1, Ku)), r.normal(size=(Bu, Tu, Ku))], 1))
    G = np.concatenate([np.zeros((Bu, 1, Ju)), r.normal(size=(Bu, Tu, Ju))], 1)
    return P, G

def ug_Rt(P):
    out = np.zeros((Bu, Tu + 1, Ju))
    for t in range(1, Tu + 1):
        out[:, t] = P['h'][:, t - 1] @ P['Whr'].T + P['x'][:, t] @ P['Wxr'].T - P['BR']
    return out

def ug_ref(P, G):
    ref = {}
    for k in ['Whr', 'Wxr', 'BR']:
        ref[k] = fd(lambda A: np.sum(G * ug_Rt({**P, k: A})), P[k]) / Bu
    hg = fd(lambda A: np.sum(G * ug_Rt({**P, 'h': A})), P['h'])
    ref['h'] = hg[:, 1:]                      # entries t = 1..T (h_0 is the constant 0)
    ref['x'] = fd(lambda A: np.sum(G * ug_Rt({**P, 'x': A})), P['x'])[:, 1:]
    return ref

def ug_check(student):
    for sd in range(2):
        P, G = ug_draw(sd)
        ref = ug_ref(P, G); got = student(P, G)
        if not all(close(got[k], ref[k]) for k in ref):
            return False
    return True

def ug_right(P, G, mean=True, transposeWhr=False):
    Gt = G[:, 1:]; hprev = P['h'][:, :-1]; xt = P['x'][:, 1:]
    c = 1 / Bu if mean else 1
    Whr_g = c * np.einsum('btj,bti->ji', Gt, hprev)
    Wxr_g = c * np.einsum('btj,btk->jk', Gt, xt)
    BR_g = -c * Gt.sum((0, 1))
    Wh = P['Whr'].T if transposeWhr else P['Whr']
    hg = np.zeros((Bu, Tu, Ju))              # index t-1 = 0..T-1 of h[b, 1..T]
    for t in range(2, Tu + 1):
        hg[:, t - 2] = Gt[:, t - 1] @ Wh
    xg = Gt @ P['Wxr']
    return dict(Whr=Whr_g, Wxr=Wxr_g, BR=BR_g, h=hg, x=xg)

entry('ugrnn', 'b', '''
for n, t, j, i: Whr.grad[j, i] += (1/B) * Rt.grad[n, t, j] * h[n, t-1, i]
for n, t, j, k: Wxr.grad[j, k] += (1/B) * Rt.grad[n, t, j] * x[n, t, k]
for n, t, j: BR.grad[j] += -(1/B) * Rt.grad[n, t, j]
for t in 2..T, n, j, i: h.grad[n, t-1, i] += Rt.grad[n, t, j] * Whr[j, i]
for n, t, j, k: x.grad[n, t, k] += Rt.grad[n, t, j] * Wxr[j, k]
''', ['keyboard'], 'correct',
      "batch index renamed n; parameter gradients are batch means; the bias enters with a minus sign",
      lambda: ug_check(ug_right))
entry('ugrnn', 'b', '''
for b, t, j, i: Whr.grad[j, i] += Rt.grad[b, t, j] * h[b, t-1, i]
for b, t, j, k: Wxr.grad[j, k] += Rt.grad[b, t, j] * x[b, t, k]
for b, t, j: BR.grad[j] -= Rt.grad[b, t, j]
for t in 2..T, b, j, i: h.grad[b, t-1, i] += Whr[j, i] * Rt.grad[b, t, j]
for b, t, j, k: x.grad[b, t, k] += Wxr[j, k] * Rt.grad[b, t, j]
''', ['keyboard'], 'incorrect',
      "parameter gradients summed over the batch instead of averaged (missing 1/B)",
      lambda: ug_check(lambda P, G: ug_right(P, G, mean=False)))
entry('ugrnn', 'b', '''
for b, t, j, i: Whr.grad[j, i] += Rt.grad[b, t, j] · h[b, t−1, i] / B
for b, t, j, k: Wxr.grad[j, k] += Rt.grad[b, t, j] · x[b, t, k] / B
for b, t, j: BR.grad[j] −= Rt.grad[b, t, j] / B
for t in 2..T, b, j, i: h.grad[b, t−1, i] += Whr[i, j] · Rt.grad[b, t, j]
for b, t, j, k: x.grad[b, t, k] += Wxr[j, k] · Rt.grad[b, t, j]
''', ['unicode'], 'incorrect',
      "wrong index order in the h path: it must read Whr[j, i] (the transpose), not Whr[i, j]",
      lambda: ug_check(lambda P, G: ug_right(P, G, transposeWhr=True)))
entry('ugrnn', 'b', r'''
\frac{\partial L}{\partial W^{h,R}_{j,i}} = \frac{1}{B} \sum_{b} \sum_{t} \frac{\partial L}{\partial \tilde{R}_{b,t,j}} h_{b,t-1,i}
\frac{\partial L}{\partial W^{x,R}_{j,k}} = \frac{1}{B} \sum_{b} \sum_{t} \frac{\partial L}{\partial \tilde{R}_{b,t,j}} x_{b,t,k}
\frac{\partial L}{\partial B^{R}_{j}} = -\frac{1}{B} \sum_{b} \sum_{t} \frac{\partial L}{\partial \tilde{R}_{b,t,j}}
\frac{\partial L}{\partial h_{b,t-1,i}} = \sum_{j} W^{h,R}_{j,i} \frac{\partial L}{\partial \tilde{R}_{b,t,j}}
\frac{\partial L}{\partial x_{b,t,k}} = \sum_{j} W^{x,R}_{j,k} \frac{\partial L}{\partial \tilde{R}_{b,t,j}}
''', ['latex', 'leibniz'], 'correct',
      "the same gradients as sums, with the display names W^{h,R}, B^{R}, \\tilde{R}",
      lambda: ug_check(ug_right))

# ------------------------------------------------------------------ he_backward:a
ni, no = 5, 4
def hb_check(student):
    for sd in SEEDS:
        r = np.random.default_rng(sd)
        x, W, G = r.normal(size=ni), r.normal(size=(no, ni)), r.normal(size=no)
        ref = fd(lambda X: np.sum(G * (W @ relu(X))), x)
        if not close(student(x, W, G), ref):
            return False
    return True

entry('he_backward', 'a', '''
x.grad = W.T @ y.grad * (x > 0)
''', ['keyboard', 'matrix'], 'correct',
      "W^T y.grad, then the ReLU gate; @ binds tighter than *",
      lambda: hb_check(lambda x, W, G: (W.T @ G) * step(x)))
entry('he_backward', 'a', '''
for i, j: x.grad[i] += W[j, i] * y.grad[j] * (h[i] > 0)
''', ['keyboard'], 'correct',
      "h = relu(x) > 0 exactly when x > 0, so gating on h is the same",
      lambda: hb_check(lambda x, W, G: (W.T @ G) * step(relu(x))))
entry('he_backward', 'a', '''
dx = relu'(x) ∘ (Wᵀ dy)
''', ['unicode', 'keyboard', 'matrix', 'leibniz'], 'correct',
      "relu' is the step function; d-prefix names for the gradients",
      lambda: hb_check(lambda x, W, G: step(x) * (W.T @ G)))
entry('he_backward', 'a', '''
x.grad = (W^T @ y.grad) * relu(x)
''', ['keyboard', 'matrix'], 'incorrect',
      "multiplies by relu(x) instead of its derivative step(x)",
      lambda: hb_check(lambda x, W, G: (W.T @ G) * relu(x)))
entry('he_backward', 'a', '''
∂L/∂x_i = 1[x_i > 0] Σ_j W_{ij} ∂L/∂y_j
''', ['unicode', 'leibniz', 'implicit'], 'incorrect',
      "wrong index order: W is [j, i] (n_out x n_in), the sum must read W_{ji}",
      lambda: False)   # W_{ij} does not exist for i > n_out: no reading gives the gradient

# ------------------------------------------------------------------ dropout:a
nd = 4
def do_check(student):
    for sd in SEEDS:
        r = np.random.default_rng(sd)
        x, G = r.normal(size=nd), r.normal(size=nd)
        m = np.array([1.0, 0.0, 1.0, 0.0]) if sd % 2 else (r.uniform(size=nd) < 0.5).astype(float)
        q = r.uniform(0.2, 0.9)
        ref = fd(lambda X: np.sum(G * m * X / q), x)
        if not close(student(x, m, q, G), ref):
            return False
    return True

entry('dropout', 'a', '''
for i: x.grad[i] += y.grad[i] * m[i] / q
''', ['keyboard'], 'correct',
      "the mask and the 1/q scale of the forward pass",
      lambda: do_check(lambda x, m, q, G: G * m / q))
entry('dropout', 'a', r'''
\frac{\partial L}{\partial x} = \frac{1}{q}\, m \odot \frac{\partial L}{\partial y}
''', ['latex', 'leibniz', 'matrix'], 'correct',
      "vector form with the elementwise product",
      lambda: do_check(lambda x, m, q, G: m * G / q))
entry('dropout', 'a', '''
dx = dy ⊙ m · q
''', ['unicode', 'leibniz'], 'incorrect',
      "multiplies by q instead of dividing",
      lambda: do_check(lambda x, m, q, G: G * m * q))
entry('dropout', 'a', '''
dx_i = dy_i / q
''', ['leibniz'], 'incorrect',
      "forgets the mask: dropped units must get zero gradient",
      lambda: do_check(lambda x, m, q, G: G / q))
