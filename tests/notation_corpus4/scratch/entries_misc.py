"""layernorm, softmax, mlp_classification, he_backward:a, dropout:a re-typed as NumPy and
compared with finite differences; moments and solves compared with moments.REF (checked
by Monte Carlo in moments.py) at random points; choices and costs argued."""
import numpy as np
from math import log, sqrt
from common import grads_match, sig, expr_match
import bp_misc as ms
from moments import REF

E = []
def add(problem, part, answer, notation, why, check):
    E.append(dict(problem=problem, part=part, answer=answer, notation=notation, why=why, check=check))
R = np.random.default_rng(99)

# ---- layernorm:a (loops in order) -------------------------------------------------
def ln_a(steps):
    s, ref = ms.ln_ref(); x, eps, mu, v, xh, g = (s[k] for k in ["x", "eps", "mu", "v", "xh", "g"])
    G = dict(x=np.zeros_like(x), mu=np.zeros(ms.LB), v=np.zeros(ms.LB))
    sd = np.sqrt(v + eps)[:, None]; c = x - mu[:, None]; J = ms.LJ
    for st in steps:    # executed in the order written
        st(G, g, c, sd, v, eps, J)
    return grads_match(G, ref)
S_XH = lambda G, g, c, sd, v, eps, J: G["x"].__iadd__(g / sd)
S_MU1 = lambda G, g, c, sd, v, eps, J: G["mu"].__isub__((g / sd).sum(1))
S_V = lambda G, g, c, sd, v, eps, J: G["v"].__isub__((g * c).sum(1) / (2 * (v + eps)**1.5))
S_V_NOHALF = lambda G, g, c, sd, v, eps, J: G["v"].__isub__((g * c).sum(1) / ((v + eps)**1.5))
S_XV = lambda G, g, c, sd, v, eps, J: G["x"].__iadd__(G["v"][:, None] * 2 * c / J)
S_XV_NO2 = lambda G, g, c, sd, v, eps, J: G["x"].__iadd__(G["v"][:, None] * c / J)
S_MUV = lambda G, g, c, sd, v, eps, J: G["mu"].__isub__(G["v"] * 2 * c.sum(1) / J)
S_XMU = lambda G, g, c, sd, v, eps, J: G["x"].__iadd__(G["mu"][:, None] / J)

L1 = "for b, j: x.grad[b, j] += xh.grad[b, j] / sqrt(v[b] + eps)\n"
L2 = "for b, j: mu.grad[b] -= xh.grad[b, j] / sqrt(v[b] + eps)\n"
L3 = "for b, j: v.grad[b] -= xh.grad[b, j] * (x[b, j] - mu[b]) / (2 * (v[b] + eps)^(3/2))\n"
L4 = "for b, j: x.grad[b, j] += v.grad[b] * 2 * (x[b, j] - mu[b]) / J\n"
L5 = "for b, j: mu.grad[b] -= v.grad[b] * 2 * (x[b, j] - mu[b]) / J\n"
L6 = "for b, j: x.grad[b, j] += mu.grad[b] / J\n"
add("layernorm", "a", L1 + L3 + L4 + L2 + L5 + L6, ["keyboard"],
    "reverse order of the three loops: xh gives x, v and mu; v gives x and mu; then mu gives x", lambda: ln_a([S_XH, S_V, S_XV, S_MU1, S_MUV, S_XMU]))
add("layernorm", "a", L3 + L2 + L1 + L4 + L6, ["keyboard"],
    "mu.grad leaves out the path through v, whose sum over j of (x - mu) is exactly zero: the same values", lambda: ln_a([S_V, S_MU1, S_XH, S_XV, S_XMU]))
add("layernorm", "a", "for b, j: v.grad[b] -= xh.grad[b, j] * (x[b, j] - mu[b]) * (v[b] + eps)^(-3/2)\n" + L2 + L1 + L4 + L6, ["keyboard"],
    "missing factor 1/2: d (v + eps)^(-1/2)/dv = -1/2 (v + eps)^(-3/2)", lambda: ln_a([S_V_NOHALF, S_MU1, S_XH, S_XV, S_XMU]))
add("layernorm", "a", L1 + L6 + L3 + L4 + L2, ["keyboard"],
    "wrong order: x.grad reads mu.grad before any loop has added to it, so the mean path is lost", lambda: ln_a([S_XH, S_XMU, S_V, S_XV, S_MU1]))
add("layernorm", "a", L3 + L2 + L1 + "for b, j: x.grad[b, j] += v.grad[b] * (x[b, j] - mu[b]) / J\n" + L6, ["keyboard"],
    "missing factor 2: d (x - mu)^2/J / dx = 2 (x - mu)/J", lambda: ln_a([S_V, S_MU1, S_XH, S_XV_NO2, S_XMU]))
add("layernorm", "a", r"""\frac{\partial L}{\partial \sigma^2_{b}} = -\frac{1}{2} \left(\sigma^2_{b} + \epsilon\right)^{-3/2} \sum_{j=1}^{J} \frac{\partial L}{\partial \hat{x}_{b,j}} \left(x_{b,j} - \mu_{b}\right)
\frac{\partial L}{\partial \mu_{b}} = -\frac{1}{\sqrt{\sigma^2_{b} + \epsilon}} \sum_{j=1}^{J} \frac{\partial L}{\partial \hat{x}_{b,j}}
\frac{\partial L}{\partial x_{b,j}} = \frac{1}{\sqrt{\sigma^2_{b} + \epsilon}} \frac{\partial L}{\partial \hat{x}_{b,j}} + \frac{2 \left(x_{b,j} - \mu_{b}\right)}{J} \frac{\partial L}{\partial \sigma^2_{b}} + \frac{1}{J} \frac{\partial L}{\partial \mu_{b}}
""", ["latex", "leibniz"], "one Leibniz line per quantity with explicit indices, each total gradient in terms of the ones above", lambda: ln_a([S_V, S_MU1, S_XH, S_XV, S_XMU]))

# ---- layernorm:b (one line) --------------------------------------------------------
def ln_b(f):
    s, ref = ms.ln_ref(); g, xh, v, eps = s["g"], s["xh"], s["v"], s["eps"]
    return grads_match(dict(x=f(g, xh, (v + eps)[:, None])), dict(x=ref["x"]))
M = lambda a: a.mean(1, keepdims=True)
add("layernorm", "b", "x.grad[b, j] = (xh.grad[b, j] - xh.grad[b, J]/J - xh[b, j] * xh.grad[b, J] * xh[b, J] / J) / sqrt(v[b] + eps)", ["keyboard"],
    "standard layer-norm backward: remove the mean of xh.grad and its projection on xh, then divide by the std", lambda: ln_b(lambda g, xh, ve: (g - M(g) - xh * M(g * xh)) / np.sqrt(ve)))
add("layernorm", "b", r"\frac{\partial L}{\partial x_{b,j}} = \frac{1}{\sqrt{\sigma^2_{b} + \epsilon}} \left( \frac{\partial L}{\partial \hat{x}_{b,j}} - \frac{1}{J} \sum_{k=1}^{J} \frac{\partial L}{\partial \hat{x}_{b,k}} - \frac{\hat{x}_{b,j}}{J} \sum_{k=1}^{J} \frac{\partial L}{\partial \hat{x}_{b,k}} \hat{x}_{b,k} \right)", ["latex", "leibniz"],
    "the same formula in LaTeX with a dummy index k and sums to J", lambda: ln_b(lambda g, xh, ve: (g - M(g) - xh * M(g * xh)) / np.sqrt(ve)))
add("layernorm", "b", "x.grad[b, j] = (xh.grad[b, j] - xh[b, j] * xh.grad[b, J] * xh[b, J] / J) / sqrt(v[b] + eps)", ["keyboard"],
    "missing term: the mean of xh.grad (the path through mu) is left out", lambda: ln_b(lambda g, xh, ve: (g - xh * M(g * xh)) / np.sqrt(ve)))
add("layernorm", "b", "∂L/∂x_{b,j} = (x̂.grad_{b,j} − (1/J) Σ_k x̂.grad_{b,k} + x̂_{b,j} (1/J) Σ_k x̂.grad_{b,k} x̂_{b,k}) / √(σ²_b + ε)", ["unicode", "leibniz"],
    "sign error on the projection term: it is subtracted", lambda: ln_b(lambda g, xh, ve: (g - M(g) + xh * M(g * xh)) / np.sqrt(ve)))
add("layernorm", "b", "x.grad[b, j] = (xh.grad[b, j] - xh.grad[b, J]/J - xh[b, j] * xh.grad[b, J] * xh[b, J] / J) / (v[b] + eps)", ["keyboard"],
    "divides by the variance instead of the standard deviation (a missing square root)", lambda: ln_b(lambda g, xh, ve: (g - M(g) - xh * M(g * xh)) / ve))
add("layernorm", "b", "x.grad = (xh.grad − mean_j(xh.grad) − xh ⊙ mean_j(xh.grad ⊙ xh)) / √(v + ε)", ["unicode", "matrix"],
    "right formula, but with a made-up mean_j(...) helper (a human accepts it; derive may refuse the name)", lambda: ln_b(lambda g, xh, ve: (g - M(g) - xh * M(g * xh)) / np.sqrt(ve)))

# ---- softmax a, b, c ------------------------------------------------------------------
def sm(part, f):
    s, ref = ms.sm_ref(part); return grads_match({list(ref)[0]: f(**s)}, ref)
add("softmax", "a", r"\frac{\partial L}{\partial s_{b,j}} = \frac{\partial L}{\partial p_{b,j}} \cdot \frac{e^{s_{b,j}}}{Z_{b}}", ["latex", "leibniz"],
    "Z is held fixed in the second loop: d(exp(s)/Z)/ds = exp(s)/Z", lambda: sm("a", lambda s, Z, pg, **_: pg * np.exp(s) / Z[:, None]))
add("softmax", "a", r"\frac{\partial L}{\partial s_{b,j}} = \frac{\partial L}{\partial p_{b,j}} \cdot \frac{e^{s_{b,j}}}{Z_{b}^{2}}", ["latex", "leibniz"],
    "extra factor 1/Z: Z^2 belongs to the derivative in Z, not in s", lambda: sm("a", lambda s, Z, pg, **_: pg * np.exp(s) / Z[:, None]**2))
add("softmax", "a", "for b, j: t[b, j] = exp(s[b, j])\nfor b, j: s.grad[b, j] += t[b, j] * p.grad[b, j] / Z[b]", ["keyboard"],
    "own temporary t for exp(s), then the right update", lambda: sm("a", lambda s, Z, pg, **_: np.exp(s) * pg / Z[:, None]))
add("softmax", "a", "for b, j: s.grad[b, j] += p.grad[b, J] * exp(s[b, j]) / Z[b]", ["keyboard"],
    "wrong index: each p[b, j] depends only on s[b, j] here; summing p.grad over J mixes the classes", lambda: sm("a", lambda s, Z, pg, **_: pg.sum(1, keepdims=True) * np.exp(s) / Z[:, None]))
add("softmax", "b", "for b, j: Z.grad[b] += -p.grad[b, j] * exp(s[b, j]) * Z[b]^(-2)", ["keyboard"],
    "d(exp(s)/Z)/dZ = -exp(s)/Z^2, accumulated over j", lambda: sm("b", lambda s, Z, pg, **_: -(pg * np.exp(s)).sum(1) / Z**2))
add("softmax", "b", r"\frac{\partial L}{\partial Z_{b}} = -\frac{1}{Z_{b}^{2}} \sum_{j=1}^{J} \frac{\partial L}{\partial p_{b,j}} \exp\left(s_{b,j}\right)", ["latex", "leibniz"],
    "the same, with the sum written out and \\exp\\left( \\right)", lambda: sm("b", lambda s, Z, pg, **_: -(pg * np.exp(s)).sum(1) / Z**2))
add("softmax", "b", "for b, j: Z.grad[b] += p.grad[b, j] * exp(s[b, j]) / Z[b]^2", ["keyboard"],
    "sign error: 1/Z decreases in Z", lambda: sm("b", lambda s, Z, pg, **_: (pg * np.exp(s)).sum(1) / Z**2))
add("softmax", "b", "for b, j: Z.grad[b] -= p.grad[b, j] * exp(s[b, j])", ["keyboard"],
    "missing factor 1/Z^2", lambda: sm("b", lambda s, Z, pg, **_: -(pg * np.exp(s)).sum(1)))
add("softmax", "c", "∂L/∂s_{b,j} = ∂L/∂Z_b · exp(s_{b,j})", ["unicode", "leibniz"],
    "dZ/ds = exp(s)", lambda: sm("c", lambda s, Zg, **_: Zg[:, None] * np.exp(s)))
add("softmax", "c", "for b, j: s.grad[b, j] += Z.grad[b] * exp(s[b, j]) / Z[b]", ["keyboard"],
    "extra factor 1/Z (confusing the first loop with the softmax output)", lambda: sm("c", lambda s, Z, Zg, **_: Zg[:, None] * np.exp(s) / Z[:, None]))
add("softmax", "c", "for b, j: s.grad[b, j] += Z.grad[b] * s[b, j]", ["keyboard"],
    "wrong derivative: d exp(s)/ds is exp(s), not s", lambda: sm("c", lambda s, Zg, **_: Zg[:, None] * s))

# ---- mlp_classification -----------------------------------------------------------------
def mlp(part, f):
    s, ref = ms.mlp_ref(part); return grads_match(f(**s), ref)
def mlp_b(scale=1.0, transpose=False, sigma_only=False):
    def f(W1, b1, W2, b2, x, y, z1, z2, z3, yh):
        g3 = (yh - y) / ms.MK * scale
        g1 = (W2.T @ g3) * (z2 if sigma_only else z2 * (1 - z2))
        W2g = np.outer(g3, z2) if not transpose else np.outer(z2, g3)
        return dict(W2=W2g, b2=g3, W1=np.outer(g1, x), b1=g1)
    return f
MB = """g3 = (ŷ − y)/K
g1 = (W2ᵀ g3) ⊙ z2 ⊙ (1 − z2)
dW2 = g3 z2ᵀ
db2 = g3
dW1 = g1 xᵀ
db1 = g1"""
add("mlp_classification", "b", MB, ["unicode", "matrix", "leibniz"], "the sigmoid-BCE output gives (ŷ - y)/K at z3; own temporaries g3 and g1 in matrix form", lambda: mlp("b", mlp_b()))
add("mlp_classification", "b", MB.replace("(ŷ − y)/K", "ŷ − y"), ["unicode", "matrix", "leibniz"], "missing factor 1/K: the loss averages over the K outputs (summing instead of averaging)", lambda: mlp("b", mlp_b(scale=ms.MK)))
add("mlp_classification", "b", MB.replace("dW2 = g3 z2ᵀ", "dW2 = z2 g3ᵀ"), ["unicode", "matrix", "leibniz"], "transpose: W2 is K x H, z2 g3^T is H x K", lambda: mlp("b", mlp_b(transpose=True)))
add("mlp_classification", "b", MB.replace("g1 = (W2ᵀ g3) ⊙ z2 ⊙ (1 − z2)", "g1 = (W2ᵀ g3) ⊙ σ(z1)"), ["unicode", "matrix", "leibniz"], "sigma instead of sigma' in the hidden layer", lambda: mlp("b", mlp_b(sigma_only=True)))
add("mlp_classification", "b", r"""\frac{\partial \ell}{\partial \mathbf{W}^{(2)}} = \frac{1}{K} \left(\hat{\mathbf{y}} - \mathbf{y}\right) \mathbf{z}_2^{\top}
\frac{\partial \ell}{\partial \mathbf{b}^{(2)}} = \frac{1}{K} \left(\hat{\mathbf{y}} - \mathbf{y}\right)
\frac{\partial \ell}{\partial \mathbf{W}^{(1)}} = \frac{1}{K} \left( \left(\mathbf{W}^{(2)}\right)^{\top} \left(\hat{\mathbf{y}} - \mathbf{y}\right) \odot \mathbf{z}_2 \odot \left(1 - \mathbf{z}_2\right) \right) \mathbf{x}^{\top}
\frac{\partial \ell}{\partial \mathbf{b}^{(1)}} = \frac{1}{K} \left(\mathbf{W}^{(2)}\right)^{\top} \left(\hat{\mathbf{y}} - \mathbf{y}\right) \odot \mathbf{z}_2 \odot \left(1 - \mathbf{z}_2\right)""",
    ["latex", "matrix", "leibniz"], "each gradient written out in bold LaTeX with \\top, \\odot, \\left( \\right)", lambda: mlp("b", mlp_b()))
add("mlp_classification", "b", """W2.grad[k, j] = (yhat[k] - y[k]) * z2[j] / K
b2.grad[k] = (yhat[k] - y[k]) / K
db1 = (W2ᵀ (ŷ − y)) ⊙ z2 ⊙ (1 − z2) / K
dW1 = db1 xᵀ""", ["keyboard", "unicode", "matrix"], "course notation for the output layer, matrix notation for the hidden one (dW1 reuses db1)", lambda: mlp("b", mlp_b()))
add("mlp_classification", "c", "∂z2/∂z1 = diag(z2 ⊙ (1 − z2))", ["unicode", "matrix", "leibniz"], "the sigmoid acts elementwise: a diagonal Jacobian of slopes", lambda: mlp("c", lambda z2, g, **_: dict(z1=z2 * (1 - z2) * g)))
add("mlp_classification", "c", r"\frac{\partial z_{2,j}}{\partial z_{1,k}} = \delta_{jk} \, \sigma(z_{1,k}) \left(1 - \sigma(z_{1,k})\right)", ["latex", "leibniz"], "entry by entry with Kronecker's delta", lambda: mlp("c", lambda z2, g, **_: dict(z1=z2 * (1 - z2) * g)))
add("mlp_classification", "c", "∂z2/∂z1 = diag(σ(z1))", ["unicode", "matrix", "leibniz"], "sigma instead of sigma' on the diagonal", lambda: mlp("c", lambda z1, g, **_: dict(z1=sig(z1) * g)))
add("mlp_classification", "d", r"\frac{\partial \hat{y}}{\partial z_3} = \mathrm{diag}\left(\hat{y} \odot (1 - \hat{y})\right)", ["latex", "matrix", "leibniz"], "diagonal of output slopes", lambda: mlp("d", lambda yh, g, **_: dict(z3=yh * (1 - yh) * g)))
add("mlp_classification", "d", "∂ŷ/∂z3 = diag(ŷ) − ŷ ŷᵀ", ["unicode", "matrix", "leibniz"], "the softmax Jacobian, but the outputs are independent sigmoids", lambda: mlp("d", lambda yh, g, **_: dict(z3=yh * g - yh * (yh @ g))))
add("mlp_classification", "e", "dℓ/dŷ_k = −(1/K)(y_k/ŷ_k − (1 − y_k)/(1 − ŷ_k))", ["unicode", "leibniz"], "derivative of the averaged BCE", lambda: mlp("e", lambda y, yh, **_: dict(yhat=-(y / yh - (1 - y) / (1 - yh)) / ms.MK)))
add("mlp_classification", "e", "dℓ/dŷ_k = −(y_k/ŷ_k − (1 − y_k)/(1 − ŷ_k))", ["unicode", "leibniz"], "missing factor 1/K (the loss is averaged over the outputs)", lambda: mlp("e", lambda y, yh, **_: dict(yhat=-(y / yh - (1 - y) / (1 - yh)))))
add("mlp_classification", "e", r"\frac{\partial \ell}{\partial \hat{y}_k} = \frac{\hat{y}_k - y_k}{K \, \hat{y}_k \left(1 - \hat{y}_k\right)}", ["latex", "leibniz"], "the same derivative over a common denominator", lambda: mlp("e", lambda y, yh, **_: dict(yhat=(yh - y) / (ms.MK * yh * (1 - yh)))))
add("mlp_classification", "e", "dℓ/dŷ_k = (1/K)(y_k/ŷ_k − (1 − y_k)/(1 − ŷ_k))", ["unicode", "leibniz"], "sign error", lambda: mlp("e", lambda y, yh, **_: dict(yhat=(y / yh - (1 - y) / (1 - yh)) / ms.MK)))

# ---- he_backward:a, dropout:a ---------------------------------------------------------------
def he_a(f):
    s, ref = ms.he_ref(); return grads_match(dict(x=f(**s)), ref)
add("he_backward", "a", "for j, i: h.grad[i] += W[j, i] * y.grad[j]\nfor i: x.grad[i] += h.grad[i] * (x[i] > 0)", ["keyboard"], "through the layer (W transposed), then the ReLU slope", lambda: he_a(lambda x, W, g: (W.T @ g) * (x > 0)))
add("he_backward", "a", "dh = Wᵀ dy\ndx = dh ⊙ 1[x > 0]", ["unicode", "matrix", "leibniz"], "the same in matrix form with the student's own dh", lambda: he_a(lambda x, W, g: (W.T @ g) * (x > 0)))
add("he_backward", "a", "dx = (W dy) ⊙ 1[x > 0]", ["unicode", "matrix", "leibniz"], "transpose missing: W dy does not even fit (W is n_out x n_in)", lambda: False)
add("he_backward", "a", "x.grad = (Wᵀ y.grad) ⊙ relu(x)", ["unicode", "matrix"], "relu instead of relu': the slope is 1[x > 0]", lambda: he_a(lambda x, W, g: (W.T @ g) * np.maximum(x, 0)))
def do_a(f):
    s, ref = ms.do_ref(); return grads_match(dict(x=f(**s)), ref)
add("dropout", "a", r"\frac{\partial L}{\partial x_i} = \frac{m_i}{q} \frac{\partial L}{\partial y_i}", ["latex", "leibniz"], "y is linear in x with slope m/q", lambda: do_a(lambda x, m, q, g: m / q * g))
add("dropout", "a", "dx = dy ⊙ m", ["unicode", "matrix", "leibniz"], "missing factor 1/q", lambda: do_a(lambda x, m, q, g: g * m))
add("dropout", "a", "for i: x.grad[i] += y.grad[i] * m[i] * q**-1", ["keyboard"], "q**-1 is 1/q", lambda: do_a(lambda x, m, q, g: g * m / q))
