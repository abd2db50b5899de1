"""Backprop / gradient answers. Each check re-types the answer as NumPy and compares it
with central finite differences through the forward pass (True = numerically right)."""
import numpy as np
from common import grads_match, sig, close
import bp_conv as cv, bp_rnn as rn, bp_misc as ms

E = []
def add(problem, part, answer, notation, why, check):
    E.append(dict(problem=problem, part=part, answer=answer, notation=notation, why=why, check=check))

def lenet_a(**kw):
    s, r = cv.lenet_a_ref(); return grads_match(cv.lenet_a_student(**s, **kw), r)
def lenet_b(**kw):
    s, r = cv.lenet_b_ref(); return grads_match(cv.lenet_b_student(**s, **kw), r)
def ug(**kw):
    s, r = cv.ug_ref(); return grads_match(cv.ug_student(**s, **kw), r)
def gru(**kw):
    s, r = rn.gru_ref(); return grads_match(rn.gru_student(**s, **kw), r)
def tg(design="ref", **kw):
    s, r = rn.tg_ref(design); return grads_match(rn.tg_student(**s, design=design, **kw), r)
def lh(**kw):
    s, r = rn.lh_ref(); return grads_match(rn.lh_student(**s, **kw), r)

POOL_Y = """for r, c, d: Y.grad[2*r, 2*c, d] += {e} * w[d] / {q}
for r, c, d: Y.grad[2*r+1, 2*c, d] += {e} * w[d] / {q}
for r, c, d: Y.grad[2*r, 2*c+1, d] += {e} * w[d] / {q}
for r, c, d: Y.grad[2*r+1, 2*c+1, d] += {e} * w[d] / {q}
"""
add("lenet5", "a", """for r, c, d: e[r, c, d] = X1.grad[r, c, d] * X1[r, c, d] * (1 - X1[r, c, d])
for r, c, d: a.grad[d] += e[r, c, d]
for r, c, d: w.grad[d] += e[r, c, d] * (Y[2*r, 2*c, d] + Y[2*r+1, 2*c, d] + Y[2*r, 2*c+1, d] + Y[2*r+1, 2*c+1, d]) / 4
""" + POOL_Y.format(e="e[r, c, d]", q=4), ["keyboard"],
    "own temporary e = X1.grad * sigma'(Xt) (sigma' read off the output X1); each of the four window entries gets w/4 of it", lambda: lenet_a())
add("lenet5", "a", """for r, c, d: Xt.grad[r, c, d] += X1.grad[r, c, d] · σ(Xt[r, c, d])
for r, c, d: a.grad[d] += Xt.grad[r, c, d]
for r, c, d: w.grad[d] += Xt.grad[r, c, d] · ¼(Y[2r, 2c, d] + Y[2r+1, 2c, d] + Y[2r, 2c+1, d] + Y[2r+1, 2c+1, d])
for r, c, d: Y.grad[2r, 2c, d] += Xt.grad[r, c, d] · w[d]/4
for r, c, d: Y.grad[2r+1, 2c, d] += Xt.grad[r, c, d] · w[d]/4
for r, c, d: Y.grad[2r, 2c+1, d] += Xt.grad[r, c, d] · w[d]/4
for r, c, d: Y.grad[2r+1, 2c+1, d] += Xt.grad[r, c, d] · w[d]/4
""", ["unicode", "implicit"], "sigma instead of sigma': the slope of g at Xt is sigma(Xt)(1 - sigma(Xt)), not sigma(Xt)", lambda: lenet_a(deriv="sigma"))
add("lenet5", "a", """for r, c, d: g[r, c, d] = X1.grad[r, c, d] * σ'(Xt[r, c, d])
for r, c, d: a.grad[d] += g[r, c, d]
for r, c, d: w.grad[d] += g[r, c, d] * (Y[2*r, 2*c, d] + Y[2*r+1, 2*c, d] + Y[2*r, 2*c+1, d] + Y[2*r+1, 2*c+1, d]) / 4
""" + POOL_Y.format(e="g[r, c, d]", q=1), ["unicode", "keyboard"],
    "missing factor 1/4: the pool averages, so each window entry gets w/4 of the gradient, not w", lambda: lenet_a(quarter=False))
add("lenet5", "a", r"""\frac{\partial L}{\partial \tilde{X}^{(l)}_{r,c,d}} = \frac{\partial L}{\partial X^{(l)}_{r,c,d}} \, X^{(l)}_{r,c,d} \left(1 - X^{(l)}_{r,c,d}\right)
\frac{\partial L}{\partial a^{(l)}_{d}} = \sum_{r,c} \frac{\partial L}{\partial \tilde{X}^{(l)}_{r,c,d}}
\frac{\partial L}{\partial \omega^{(l)}_{d}} = \sum_{r,c} \frac{\partial L}{\partial \tilde{X}^{(l)}_{r,c,d}} \cdot \frac{Y^{(l)}_{2r,2c,d} + Y^{(l)}_{2r+1,2c,d} + Y^{(l)}_{2r,2c+1,d} + Y^{(l)}_{2r+1,2c+1,d}}{4}
for r, c, d: Y.grad[2*r, 2*c, d] += Xt.grad[r, c, d] * w[d] / 4
for r, c, d: Y.grad[2*r+1, 2*c, d] += Xt.grad[r, c, d] * w[d] / 4
for r, c, d: Y.grad[2*r, 2*c+1, d] += Xt.grad[r, c, d] * w[d] / 4
for r, c, d: Y.grad[2*r+1, 2*c+1, d] += Xt.grad[r, c, d] * w[d] / 4
""", ["latex", "leibniz"], "LaTeX Leibniz lines with explicit indices for the pooling gradients, course loops for Y.grad: the same math as a right loop answer", lambda: lenet_a())

CONV_REST = """for m, n, d, dx, dy, p: W.grad[dx, dy, p, d] += {g}[m, n, d] * X0[{xm}, {xn}, p]
for m, n, d, dx, dy, p: X0.grad[m+dx, n+dy, p] += {g}[m, n, d] * W[dx, dy, p, d]
"""
add("lenet5", "b", """for m, n, d: Yt.grad[m, n, d] += Y.grad[m, n, d] * (1 - Y[m, n, d]^2)
for m, n, d: b.grad[d] += Yt.grad[m, n, d]
""" + CONV_REST.format(g="Yt.grad", xm="m+dx", xn="n+dy"), ["keyboard"],
    "tanh' = 1 - Y^2 read off the output; the input gradient scatters back through the same offsets (the wide convolution with the flipped filter)", lambda: lenet_b())
add("lenet5", "b", """for m, n, d: Yt.grad[m, n, d] += Y.grad[m, n, d] * tanh'(Y[m, n, d])
for m, n, d: b.grad[d] += Yt.grad[m, n, d]
""" + CONV_REST.format(g="Yt.grad", xm="m+dx", xn="n+dy"), ["keyboard"],
    "tanh' evaluated at the output Y instead of the pre-activation Yt: 1 - tanh(Y)^2 is not 1 - Y^2", lambda: lenet_b(deriv="tanh'(Y)"))
add("lenet5", "b", """for m, n, d: gy[m, n, d] = Y.grad[m, n, d] (1 − tanh(Yt[m, n, d])²)
for m, n, d: b.grad[d] += gy[m, n, d]
""" + CONV_REST.format(g="gy", xm="m+dx", xn="n+dy"), ["unicode", "implicit"],
    "own temporary gy for the pre-activation gradient, tanh' written out at Yt", lambda: lenet_b())
add("lenet5", "b", """for m, n, d: Yt.grad[m, n, d] += Y.grad[m, n, d] * (1 - Y[m, n, d]**2)
for m, n, d: b.grad[d] += Yt.grad[m, n, d]
""" + CONV_REST.format(g="Yt.grad", xm="m", xn="n"), ["keyboard"],
    "wrong index: the filter tap (dx, dy) multiplies X0[m+dx, n+dy, p], so W.grad must read the shifted input", lambda: lenet_b(xoffset=False))
add("lenet5", "b", """for m, n, d: Yt.grad[m, n, d] += Y.grad[m, n, d] * (1 - Y[m, n, d]^2)
for m, n, d: b.grad[d] += Y.grad[m, n, d]
""" + CONV_REST.format(g="Yt.grad", xm="m+dx", xn="n+dy"), ["keyboard"],
    "the bias is added before the tanh: b.grad must sum Yt.grad, not Y.grad", lambda: lenet_b(bias_from="Y"))

UG = """for b, x, y, j: G.grad[b, x, y, j] += L1.grad[b, x, y, j] * ({gdiff})
for b, x, y, j: R.grad[b, x, y, j] += L1.grad[b, x, y, j] * (1 - G[b, x, y, j])
{direct}for b, x, y, j: Rt.grad[b, x, y, j] += R.grad[b, x, y, j] * (1 - R[b, x, y, j]^2)
for b, x, y, j: BR.grad[j] {brop} Rt.grad[b, x, y, j]
for b, x, y, j: Gt.grad[b, x, y, j] += G.grad[b, x, y, j] * G[b, x, y, j] * (1 - G[b, x, y, j])
for b, x, y, j: BG.grad[j] -= Gt.grad[b, x, y, j]
for b, x, y, j, dx, dy, i: WR.grad[dx, dy, i, j] += Rt.grad[b, x, y, j] * L0[b, x+dx, y+dy, i]
for b, x, y, j, dx, dy, i: WG.grad[dx, dy, i, j] += Gt.grad[b, x, y, j] * L0[b, x+dx, y+dy, i]
for b, x, y, j, dx, dy, i: L0.grad[b, x+dx, y+dy, i] += Rt.grad[b, x, y, j] * WR[dx, dy, i, j] + Gt.grad[b, x, y, j] * WG[dx, dy, i, j]
"""
DIRECT = "for b, x, y, j: L0.grad[b, x, y, j] += L1.grad[b, x, y, j] * G[b, x, y, j]\n"
add("ugcnn", "a", UG.format(gdiff="L0[b, x, y, j] - R[b, x, y, j]", direct=DIRECT, brop="-="), ["keyboard"],
    "the UGRNN backward with convolutions: the gate, the candidate, the biases (subtracted, so -=), the filters and L0 by both paths", lambda: ug())
add("ugcnn", "a", UG.format(gdiff="L0[b, x, y, j] - R[b, x, y, j]", direct=DIRECT, brop="+="), ["keyboard"],
    "sign error: the bias is subtracted inside the tanh, so BR.grad = -sum Rt.grad", lambda: ug(br_sign=1))
add("ugcnn", "a", UG.format(gdiff="L0[b, x, y, j] - R[b, x, y, j]", direct="", brop="-="), ["keyboard"],
    "missing term: L0 also reaches L1 directly through G * L0 (the skip path), not only through the convolutions", lambda: ug(direct=False))
add("ugcnn", "a", """for b, x, y, j, dx, dy, i: Rt[b, x, y, j] += WR[dx, dy, i, j] * L0[b, x+dx, y+dy, i]
for b, x, y, j: R[b, x, y, j] = tanh(Rt[b, x, y, j] - BR[j])
for b, x, y, j, dx, dy, i: Gt[b, x, y, j] += WG[dx, dy, i, j] * L0[b, x+dx, y+dy, i]
for b, x, y, j: G[b, x, y, j] = sigma(Gt[b, x, y, j] - BG[j])
for b, x, y, j: L1[b, x, y, j] = G[b, x, y, j] * L0[b, x, y, j] + (1 - G[b, x, y, j]) * R[b, x, y, j]
""" + UG.format(gdiff="L0[b, x, y, j] - R[b, x, y, j]", direct=DIRECT, brop="-="), ["keyboard"],
    "the layer's equations first (as the question asks), then the right backward loops", lambda: ug())
add("ugcnn", "a", UG.format(gdiff="R[b, x, y, j] - L0[b, x, y, j]", direct=DIRECT, brop="-="), ["keyboard"],
    "sign error in the gate gradient: dL1/dG = L0 - R, not R - L0", lambda: ug(gsign=-1))

def GRU(first="", hg1="h[b, t-1, i]", a2="G2.grad[b, t, j] * G2[b, t, j] * (1 - G2[b, t, j])", reset=True):
    return first + f"""for t in T..1:
    R.grad[b, t, j] += h.grad[b, t, j] * G2[b, t, j]
    G2.grad[b, t, j] += h.grad[b, t, j] * (R[b, t, j] - h[b, t-1, j])
    h.grad[b, t-1, j] += h.grad[b, t, j] * (1 - G2[b, t, j])
    aR[b, t, j] = R.grad[b, t, j] * (1 - R[b, t, j]^2)
    Whr.grad[j, i] += aR[b, t, j] * hp[b, t, i]
    Wxr.grad[j, k] += aR[b, t, j] * x[b, t, k]
    BR.grad[j] -= aR[b, t, j]
    hp.grad[b, t, i] += aR[b, t, j] * Whr[j, i]
    G1.grad[b, t, j] += hp.grad[b, t, j] * h[b, t-1, j]
""" + ("    h.grad[b, t-1, j] += hp.grad[b, t, j] * G1[b, t, j]\n" if reset else "") + f"""    a1[b, t, j] = G1.grad[b, t, j] * G1[b, t, j] * (1 - G1[b, t, j])
    Whg1.grad[j, i] += a1[b, t, j] * {hg1}
    Wxg1.grad[j, k] += a1[b, t, j] * x[b, t, k]
    BG1.grad[j] -= a1[b, t, j]
    h.grad[b, t-1, i] += a1[b, t, j] * Whg1[j, i]
    a2[b, t, j] = {a2}
    Whg2.grad[j, i] += a2[b, t, j] * h[b, t-1, i]
    Wxg2.grad[j, k] += a2[b, t, j] * x[b, t, k]
    BG2.grad[j] -= a2[b, t, j]
    h.grad[b, t-1, i] += a2[b, t, j] * Whg2[j, i]
"""
add("gru", "a", GRU(), ["keyboard"], "BPTT from the last step down: R and G2 from h.grad, the reset state hp, then G1; every parameter accumulates over t and b", lambda: gru())
add("gru", "a", GRU(hg1="h[b, t, i]"), ["keyboard"], "off by one step in time: G1 at step t is computed from h[t-1], so W^{h,G1}.grad must read h[b, t-1, i]", lambda: gru(hstep_g1=0))
add("gru", "a", GRU(a2="G2.grad[b, t, j] * G2[b, t, j]"), ["keyboard"], "sigma instead of sigma' for the update gate: the slope is G2 (1 - G2)", lambda: gru(g2deriv=False))
add("gru", "a", GRU(reset=False), ["keyboard"], "missing term: h[t-1] also enters the candidate through the reset state hp = G1 * h[t-1]", lambda: gru(reset_path=False))
add("gru", "a", GRU(first="""for t in 1..T:
    G1[b, t, j] = sigma(Whg1[j, I] * h[b, t-1, I] + Wxg1[j, K] * x[b, t, K] - BG1[j])
    hp[b, t, j] = G1[b, t, j] * h[b, t-1, j]
    G2[b, t, j] = sigma(Whg2[j, I] * h[b, t-1, I] + Wxg2[j, K] * x[b, t, K] - BG2[j])
    R[b, t, j] = tanh(Whr[j, I] * hp[b, t, I] + Wxr[j, K] * x[b, t, K] - BR[j])
    h[b, t, j] = (1 - G2[b, t, j]) * h[b, t-1, j] + G2[b, t, j] * R[b, t, j]
"""), ["keyboard"], "the modified UGRNN equations (the question asks for them) followed by the right BPTT loops", lambda: gru())

TG_FW = """for t in 1..T:
    GR[b, t, j] = sigma(Whgr[j, I] * h[b, t-1, I] + Wxgr[j, K] * x[b, t, K] - BGR[j])
    A[b, t, j] = Whr[j, I] * h[b, t-1, I] - Bhr[j]
    C[b, t, j] = Wxr[j, K] * x[b, t, K] - Bxr[j]
    R[b, t, j] = tanh({rarg})
    Gh[b, t, j] = sigma(Whgh[j, I] * h[b, t-1, I] + Wxgh[j, K] * x[b, t, K] - BGh[j])
    h[b, t, j] = Gh[b, t, j] * h[b, t-1, j] + (1 - Gh[b, t, j]) * R[b, t, j]
"""
def TG(rarg="GR[b, t, j] * A[b, t, j] + (1 - GR[b, t, j]) * C[b, t, j]", grd="A[b, t, j] - C[b, t, j]",
       ag="u[b, t, j] * GR[b, t, j]", cg="u[b, t, j] * (1 - GR[b, t, j])", carry=True):
    return TG_FW.format(rarg=rarg) + """for t in T..1:
    Gh.grad[b, t, j] += h.grad[b, t, j] * (h[b, t-1, j] - R[b, t, j])
    R.grad[b, t, j] += h.grad[b, t, j] * (1 - Gh[b, t, j])
""" + ("    h.grad[b, t-1, j] += h.grad[b, t, j] * Gh[b, t, j]\n" if carry else "") + f"""    u[b, t, j] = R.grad[b, t, j] * (1 - R[b, t, j]^2)
    GR.grad[b, t, j] += u[b, t, j] * ({grd})
    A.grad[b, t, j] += {ag}
    C.grad[b, t, j] += {cg}
    Whr.grad[j, i] += A.grad[b, t, j] * h[b, t-1, i]
    Bhr.grad[j] -= A.grad[b, t, j]
    h.grad[b, t-1, i] += A.grad[b, t, j] * Whr[j, i]
    Wxr.grad[j, k] += C.grad[b, t, j] * x[b, t, k]
    Bxr.grad[j] -= C.grad[b, t, j]
    q[b, t, j] = GR.grad[b, t, j] * GR[b, t, j] * (1 - GR[b, t, j])
    Whgr.grad[j, i] += q[b, t, j] * h[b, t-1, i]
    Wxgr.grad[j, k] += q[b, t, j] * x[b, t, k]
    BGR.grad[j] -= q[b, t, j]
    h.grad[b, t-1, i] += q[b, t, j] * Whgr[j, i]
    gh[b, t, j] = Gh.grad[b, t, j] * Gh[b, t, j] * (1 - Gh[b, t, j])
    Whgh.grad[j, i] += gh[b, t, j] * h[b, t-1, i]
    Wxgh.grad[j, k] += gh[b, t, j] * x[b, t, k]
    BGh.grad[j] -= gh[b, t, j]
    h.grad[b, t-1, i] += gh[b, t, j] * Whgh[j, i]
"""
add("two_gate_rnn", "a", TG(), ["keyboard"], "equations with named recurrent and input terms A and C, then BPTT through them: the reference design", lambda: tg())
add("two_gate_rnn", "a", TG(rarg="GR[b, t, j] * C[b, t, j] + (1 - GR[b, t, j]) * A[b, t, j]", grd="C[b, t, j] - A[b, t, j]",
       ag="u[b, t, j] * (1 - GR[b, t, j])", cg="u[b, t, j] * GR[b, t, j]"), ["keyboard"],
    "the other design (G^R weighs the input term), allowed by the question, with a right backward for it", lambda: tg(design="swap"))
add("two_gate_rnn", "a", TG(grd="C[b, t, j] - A[b, t, j]"), ["keyboard"], "sign error: d/dGR of GR*A + (1-GR)*C is A - C", lambda: tg(gr_sign=-1))
add("two_gate_rnn", "a", TG(carry=False), ["keyboard"], "missing term: the old state reaches h[t] directly through Gh * h[t-1]", lambda: tg(carry=False))

LH = """yhat.grad = {yg}
for j: Wy.grad[j] += yhat.grad * h[L, j]
By.grad -= yhat.grad
for j: h.grad[L, j] += yhat.grad * Wy[j]
for k in L..1:
{skip}    a[k, i] = h.grad[k, i] * {deriv}
    W.grad[k, i, j] += a[k, i] * h[k-1, j]
    Bh.grad[k, i] -= a[k, i]
    h.grad[k-1, j] += a[k, i] * W[k, i, j]
"""
SKIP = "    h.grad[k-1, i] += h.grad[k, i]\n"
add("loss_heads", "c", LH.format(yg="2 * (yhat - y)", skip=SKIP, deriv="ht[k, i] * (1 - ht[k, i])"), ["keyboard"],
    "the residual network of the program: the read-out, then layer by layer the skip path plus the sigmoid branch", lambda: lh())
add("loss_heads", "c", LH.format(yg="2 * (y - yhat)", skip=SKIP, deriv="ht[k, i] * (1 - ht[k, i])"), ["keyboard"],
    "sign error: d(y - yhat)^2/dyhat = 2(yhat - y)", lambda: lh(sign=-1))
add("loss_heads", "c", LH.format(yg="2 * (yhat - y)", skip="", deriv="ht[k, i] * (1 - ht[k, i])"), ["keyboard"],
    "missing term: the skip connection h[k] = ht[k] + h[k-1] passes h.grad[k] straight down", lambda: lh(skip=False))
add("loss_heads", "c", LH.format(yg="−2(y − ŷ)", skip=SKIP, deriv="σ'(W[k, i, J] * h[k-1, J] - Bh[k, i])"), ["unicode", "implicit"],
    "the same loops with sigma' written at the recomputed pre-activation and yhat as ŷ", lambda: lh())
