# corpus2 entries, part E: more stylistic variants (mostly correct) and a few unusable answers
from corpus_a import add, E
import corpus_b, corpus_c
from corpus_b import TG_1

add('relu-a-08', 'relu_unit', 'a', "w.grad[i] = y.grad * x[i] * step(w[I] * x[I])", 'correct', 'none',
    "step of the recomputed inner product (I summed inside the argument of step).")
add('relu-a-09', 'relu_unit', 'a', "for i: w.grad[i] += x[i] * y.grad * (z > 0)", 'correct', 'none', "Factors in another order, += into a zero tensor.")
add('softmax-a-08', 'softmax', 'a', "s.grad[b, j] += p.grad[b, j] * p[b, j]", 'correct', 'none', "Implicit loops over b, j.")
add('softmax-b-07', 'softmax', 'b', "for b, j: Z.grad[b] -= p.grad[b, j] * p[b, j] * p[b, j] / exp(s[b, j])", 'correct', 'none',
    "p^2/exp(s) = exp(s)/Z^2: an unusual but equal rewrite.")
add('softmax-b-08', 'softmax', 'b', "for b, j: Z.grad[b] -= Σ_j p.grad[b, j] * p[b, j] / Z[b]", 'unusable', 'none',
    "An explicit summation sign Σ_j is not part of the notation.")
add('softmax-c-06', 'softmax', 'c', "for j, b: s.grad[b, j] += exp(s[b, j]) * Z.grad[b]", 'correct', 'none', "Loop order swapped.")
add('softmax-full-12', 'softmax', 'full', """
Z.grad[b] = -p.grad[b, J] * exp(s[b, J]) / Z[b]^2
s.grad[b, j] = p.grad[b, j] * p[b, j] + Z.grad[b] * exp(s[b, j])
""", 'correct', 'none', "Z.grad as an Einstein sum, then both paths in one statement (Z.grad is not summed there: no capital).")
add('batchnorm-a-13', 'batchnorm', 'a', """
for b, j: g1[j] += xp.grad[b, j]
for b, j: g2[j] += xp.grad[b, j] * xp[b, j]
for j: s.grad[j] = -g2[j] / (2 * s[j])
for j: mu.grad[j] = -g1[j] / sqrt(s[j])
for b, j: x.grad[b, j] = (xp.grad[b, j] - g1[j] / B - xp[b, j] * g2[j] / (B - 1)) / sqrt(s[j])
""", 'correct', 'none',
    "The fused textbook form: with g1 = sum xp.grad and g2 = sum xp.grad*xp, the s path gives -xp g2/((B-1) sqrt s) and the mu path -g1/(B sqrt s).")
add('ugrnn-a-09', 'ugrnn', 'a', """
for t in T..1:
    for b, j: Rt[b, t, j] -= BR[j]
    for b, j, i: Rt[b, t, j] += Whr[j, i] * h[b, t-1, i]
    for b, j, k: Rt[b, t, j] += Wxr[j, k] * x[b, t, k]
""", 'correct', 'none', "Any time order works for the definition (h is given); bias first.")
add('ugrnn-a-10', 'ugrnn', 'a', """
for b, t, j: Rt[b, t, j] += sum_i Whr[j, i] * h[b, t-1, i] + sum_k Wxr[j, k] * x[b, t, k] - BR[j]
""", 'unusable', 'none', "'sum_i ...' juxtaposed with a product is not the notation.")
add('ugrnn-b-11', 'ugrnn', 'b', """
Whr.grad[j, i] += 1/B * Rt.grad[b, t, j] * h[b, t-1, i]
Wxr.grad[j, k] += 1/B * Rt.grad[b, t, j] * x[b, t, k]
BR.grad[j] += -1/B * Rt.grad[b, t, j]
h.grad[b, t-1, i] += Whr[J, i] * Rt.grad[b, t, J]
x.grad[b, t, k] += Wxr[J, k] * Rt.grad[b, t, J]
""", 'unusable', 'none',
    "Without 'for', a statement loops only over the lower-case indices of its target: b and t in the first three lines are bound by nothing, so those lines have no meaning (sums need capital indices or explicit loops).")
add('ugrnn-b-12', 'ugrnn', 'b', """
for b, t, j, i: Whr.grad[j, i] += 1/B * Rt.grad[b, t, j] * h[b, t-1, i]
for b, t, j, k: Wxr.grad[j, k] += 1/B * Rt.grad[b, t, j] * x[b, t, k]
for b, t, j: BR.grad[j] += -1/B * Rt.grad[b, t, j]
h.grad[b, t-1, i] += Whr[J, i] * Rt.grad[b, t, J]
x.grad[b, t, k] += Wxr[J, k] * Rt.grad[b, t, J]
""", 'correct', 'none', "Explicit loops for the parameter sums; Einstein sums (capital J) for the input gradients, whose targets carry b, t.")

TG_2 = TG_1
for nm in ['dh', 'dGh', 'dA', 'hr', 'xr', 'dGR', 'dhr', 'dxr']:
    TG_2 = TG_2.replace(nm + '[b, t, j]', nm + '[b, j]')
add('two_gate-a-08', 'two_gate_rnn', 'a', TG_2, 'correct', 'none',
    "Same as two_gate-a-01 but the per-step temporaries drop the t index: each is overwritten with '=' at every step before it is read.")
add('ugcnn-a-09', 'ugcnn', 'a', """
for b, x, y, j: Rt.grad[b, x, y, j] = L1.grad[b, x, y, j] * (1 - G[b, x, y, j]) * (1 - R[b, x, y, j]^2)
for b, x, y, j: Gt.grad[b, x, y, j] = L1.grad[b, x, y, j] * (L0[b, x, y, j] - R[b, x, y, j]) * (G[b, x, y, j] - G[b, x, y, j]^2)
for b, x, y, j: BR.grad[j] += -Rt.grad[b, x, y, j]
for b, x, y, j: BG.grad[j] += -Gt.grad[b, x, y, j]
for dx, dy, i, j, b, x, y: WR.grad[dx, dy, i, j] += L0[b, x+dx, y+dy, i] * Rt.grad[b, x, y, j]
for dx, dy, i, j, b, x, y: WG.grad[dx, dy, i, j] += L0[b, x+dx, y+dy, i] * Gt.grad[b, x, y, j]
for b, x, y, i: L0.grad[b, x, y, i] = G[b, x, y, i] * L1.grad[b, x, y, i]
for b, x, y, i, dx, dy, j: L0.grad[b, x, y, i] += WR[dx, dy, i, j] * Rt.grad[b, x-dx, y-dy, j]
for b, x, y, i, dx, dy, j: L0.grad[b, x, y, i] += WG[dx, dy, i, j] * Gt.grad[b, x-dx, y-dy, j]
""", 'correct', 'none', "R.grad and G.grad folded into the pre-activation gradients; L0.grad set by '=' (first write) then accumulated.")
add('lenet5-a-08', 'lenet5', 'a', """
q[r, c, d] = w[d] * X1.grad[r, c, d] * sigma(Xt[r, c, d]) * (1 - sigma(Xt[r, c, d])) / 4
Y.grad[2*r, 2*c, d] = q[r, c, d]
Y.grad[2*r+1, 2*c, d] = q[r, c, d]
Y.grad[2*r, 2*c+1, d] = q[r, c, d]
Y.grad[2*r+1, 2*c+1, d] = q[r, c, d]
a.grad[d] += 4 * q[r, c, d] / w[d]
w.grad[d] += q[r, c, d] * (Y[2*r, 2*c, d] + Y[2*r+1, 2*c, d] + Y[2*r, 2*c+1, d] + Y[2*r+1, 2*c+1, d]) / w[d]
""", 'unusable', 'none',
    "The Y.grad lines are fine, but the a.grad and w.grad lines read q[r, c, d] with r and c bound by nothing (their targets carry only d and there is no 'for'): those statements have no meaning.")
add('lenet5-a-09', 'lenet5', 'a', """
for r, c, d: q[r, c, d] = w[d] * X1.grad[r, c, d] * sigma(Xt[r, c, d]) * (1 - sigma(Xt[r, c, d])) / 4
Y.grad[2*r, 2*c, d] = q[r, c, d]
Y.grad[2*r+1, 2*c, d] = q[r, c, d]
Y.grad[2*r, 2*c+1, d] = q[r, c, d]
Y.grad[2*r+1, 2*c+1, d] = q[r, c, d]
for r, c, d: a.grad[d] += X1.grad[r, c, d] * X1[r, c, d] * (1 - X1[r, c, d])
for r, c, d: w.grad[d] += q[r, c, d] * (Y[2*r, 2*c, d] + Y[2*r+1, 2*c, d] + Y[2*r, 2*c+1, d] + Y[2*r+1, 2*c+1, d]) / w[d]
""", 'correct', 'none',
    "Y.grad by '=' (each cell belongs to exactly one window, implicit loops over r, c, d); sigma(Xt) = X1. w.grad divides q by w[d] again: equal wherever w[d] != 0, which holds almost surely.")
add('lenet5-b-08', 'lenet5', 'b', """
for m, n, d: b.grad[d] += Y.grad[m, n, d] * (1 - Y[m, n, d]^2)
for dx, dy, p, d, m, n: W.grad[dx, dy, p, d] += Y.grad[m, n, d] * (1 - Y[m, n, d]^2) * X0[m+dx, n+dy, p]
for dx, dy, p, d, m, n: X0.grad[m+dx, n+dy, p] += W[dx, dy, p, d] * Y.grad[m, n, d] * (1 - Y[m, n, d]^2)
""", 'correct', 'none', "No temporary: the tanh slope is repeated inside each loop.")
add('vanilla-a-09', 'vanilla_rnn_bptt', 'a', """
for t in T..1:
    for c, m: dh[t, m] += Loss.grad * V[c, m] * (yhat[t, c] - y[t, c])
    for i, m: dh[t, m] += U[i, m] * z.grad[t+1, i]
    z.grad[t, m] = dh[t, m] * (1 - h[t, m] * h[t, m])
""", 'correct', 'none', "Temporary dh, implicit loop over m for z.grad; z.grad[T+1] reads zero.")
add('vanilla-b-07', 'vanilla_rnn_bptt', 'b', """
for t, c, m: h.grad[t, m] += V[c, m] * (yhat[t, c] - y[t, c])
for t in T..1:
    z.grad[t, m] = (1 - h[t, m]^2) * (h.grad[t, m] + U[I, m] * z.grad[t+1, I])
U.grad[m, i] = z.grad[T?, m]
""", 'unusable', 'none', "'T?' is not an index expression; the last line cannot be read.")
add('vanilla-b-08', 'vanilla_rnn_bptt', 'b', """
for t, c, m: h.grad[t, m] += V[c, m] * (yhat[t, c] - y[t, c])
for t in T..1:
    z.grad[t, m] = (1 - h[t, m]^2) * (h.grad[t, m] + U[I, m] * z.grad[t+1, I])
for t, m, i: U.grad[m, i] += z.grad[t, m] * h[t-1, i]
for t, m, k: W.grad[m, k] += z.grad[t, m] * x[t, k]
for t, m: b.grad[m] += z.grad[t, m]
""", 'correct', 'none', "delta recurrence with an Einstein sum U[I, m] z.grad[t+1, I] (only that term is summed), then the outer-product sums over t.")
add('ce_l2-grad-10', 'mlp_ce_l2', 'grad', """
a2.grad[j] = yhat[j] * y[J] - y[j]
W2.grad[j, k] = a2.grad[j] * z[k] + lam * W2[j, k]
b2.grad[j] = a2.grad[j]
a1.grad[k] = W2[J, k] * a2.grad[J] * z[k] * (1 - z[k])
W1.grad[k, i] = a1.grad[k] * x[i] + lam * W1[k, i]
b1.grad[k] = a1.grad[k]
""", 'correct', 'none', "General softmax-CE form yhat*sum(y) - y (valid for any target vector); with sum(y) = 1 it is yhat - y.")
add('ce_l2-sgd-09', 'mlp_ce_l2', 'sgd', """
W1[k, i] -= eta * (W2[J, k] * (yhat[J] - y[J]) * z[k] * (1 - z[k]) * x[i] + lam * W1[k, i])
b1[k] -= eta * W2[J, k] * (yhat[J] - y[J]) * z[k] * (1 - z[k])
W2[j, k] -= eta * ((yhat[j] - y[j]) * z[k] + lam * W2[j, k])
b2[j] -= eta * (yhat[j] - y[j])
""", 'correct', 'none', "Inline gradients; the first layer is updated first, so it still reads the old W2.")
add('ce_l2-sgd-10', 'mlp_ce_l2', 'sgd', """
W1 <- W1 - eta * (W1.grad + lam * W1)
b1 <- b1 - eta * b1.grad
W2 <- W2 - eta * (W2.grad + lam * W2)
b2 <- b2 - eta * b2.grad
""", 'unusable', 'none', "'<-' arrows are not assignments of the notation (and the tensors carry no indices).")
add('mlp_reg-b-06', 'mlp_regression', 'b', """
e[k] = 2 * (z3[k] - y[k])
b2.grad[k] = e[k]
W2.grad[k, j] = e[k] * z2[j]
b1.grad[j] = (z1[j] > 0) * W2[K, j] * e[K]
W1.grad[j, i] = b1.grad[j] * x[i]
""", 'correct', 'none', "Temporary e; b1.grad as an Einstein sum over K (the mask does not depend on k); W1.grad reuses b1.grad.")
add('mlp_cls-b-07', 'mlp_classification', 'b', """
for k: b2.grad[k] = (yhat[k] - y[k]) / K
for k, j: W2.grad[k, j] = (yhat[k] - y[k]) * z2[j] / K
for k, j: z2.grad[j] += W2[k, j] * (yhat[k] - y[k]) / K
for j: b1.grad[j] = z2.grad[j] * z2[j] * (1 - z2[j])
for j, i: W1.grad[j, i] = b1.grad[j] * x[i]
""", 'correct', 'none', "Explicit loops; the 1/K written at the end of each product.")
add('mlp_cls-c-05', 'mlp_classification', 'c', "z1.grad[j] = z2[j](1 - z2[j]) * z2.grad[j]", 'unusable', 'none',
    "Implicit multiplication z2[j](...) reads as calling a tensor: not valid notation.")
add('mlp_cls-e-06', 'mlp_classification', 'e', "yhat.grad[k] = ((1 - y[k]) / (1 - yhat[k]) - y[k] / yhat[k]) / K", 'correct', 'none', "Minus sign distributed.")
add('mlp_num-vec-07', 'mlp_numeric', 'vectorized', """
v.grad[i] = (y - t) * h[i]
h.grad[i] = (y - t) * v[i]
z.grad[i] = (y - t) * v[i] * step(z[i])
W.grad[i, j] = (y - t) * v[i] * step(z[i]) * x[j]
""", 'correct', 'none', "Every gradient written out in closed form.")
add('mlp_num-fwd-08', 'mlp_numeric', 'forward', "z = [1, -3]\nh = [1, 0]\ny = 3.00\nC = 2.0", 'correct', 'none', "Mixed integers and decimals.")
add('mlp_num-bwd-09', 'mlp_numeric', 'backward', """
y.grad = 2
h.grad = [6, -2]
z.grad = [6, 0]
x.grad = [-6, 6]
v.grad = [2, 0]
W.grad = [[6, 12], [0, 0]]
C.grad = 1
""", 'unusable', 'none', "An extra line names C.grad, which the part does not ask for.")

# expressions
add('init_var-a-06', 'init_variance', 'a', "sigma_W = sqrt(1/d)", 'correct', 'none', "Same as 1/sqrt(d).")
add('init_var-a-07', 'init_variance', 'a', "sigma_W = 1 / sqrt d", 'unusable', 'none', "sqrt without parentheses cannot be parsed.")
add('init_var-b-06', 'init_variance', 'b', "E(u) = 0.50", 'correct', 'none', "0.50 = 1/2.")
add('init_var-d-06', 'init_variance', 'd', "max Var(u) = 1/4", 'correct', 'none', "Written as the maximum.")
add('glorot-a-06', 'glorot_init', 'a', "n*v*sigma_W^2", 'correct', 'none', "Bare expression.")
add('glorot-b-04', 'glorot_init', 'b', "Var(x.grad) = m sigma_W^2 g", 'unusable', 'none', "Juxtaposition (no '*') is not valid notation.")
add('glorot-d-03', 'glorot_init', 'd', "sigma_W = m^(-1/2)", 'correct', 'none', "Power form.")
add('glorot-e-06', 'glorot_init', 'e', "sigma_W = (2/(n+m))^(1/2)", 'correct', 'none', "Power form.")
add('glorot-f-05', 'glorot_init', 'f', "a = sqrt(3)*sqrt(2)/sqrt(n + m)", 'correct', 'none', "sqrt(3) sqrt(2) = sqrt(6).")
add('he-a-05', 'he_init', 'a', "Var(z1) = n*sigma_W^2*(v/2)", 'correct', 'none', "Parenthesised second moment of h.")
add('he-b-06', 'he_init', 'b', "sigma_W = (2/n)^0.5", 'correct', 'none', "0.5 is exactly 1/2.")
add('he-d-07', 'he_init', 'd', "E(h) = sqrt(2*v)/(2*sqrt(pi))", 'correct', 'none', "sqrt(2v)/(2 sqrt(pi)) = sqrt(v/(2 pi)).")
add('he-d-08', 'he_init', 'd', "E(h) = 0.4*sqrt(v)", 'incorrect', 'other',
    "A single significant digit: 0.4 is read as the number 0.4, not as a rounding of 0.3989 (the rounding rule needs at least 2 significant digits).")
add('resnet-a-07', 'resnet_variance', 'a', "(1 + J*(D*sigma_W)^2)^l", 'correct', 'none', "D^2 sigma_W^2 = (D sigma_W)^2.")
add('resnet-b-07', 'resnet_variance', 'b', "sigma_W = (log(2)/(L*J))^(1/2)/D", 'correct', 'none', "Rearranged.")
add('resnet-b-08', 'resnet_variance', 'b', "sigma_W = sqrt(2^(1/L) - 1)/(D*sqrt(J))", 'correct', 'none',
    "The exact solution of (1 + D^2 J sigma_W^2)^L = 2, without the approximation; it is the value the approximation stands for, and the two agree as L grows.")
add('resnet-c-05', 'resnet_variance', 'c', "sigma2_grad(l) = (1 + D^2*J*sigma_W^2)^(L - l)", 'correct', 'none', "Named form.")
add('rnn_unroll-b-06', 'rnn_unroll', 'b', "O(2*T)", 'correct', 'none', "A constant factor does not change the order.")
add('loss_heads-b-05', 'loss_heads', 'b', "O(L + 1)", 'correct', 'none', "Linear in L.")

# more GRU / two-gate variants
add('gru-a-11', 'gru', 'a', """
for t in T..1:
    for b, j: R.grad[b, t, j] = G2[b, t, j] * h.grad[b, t, j]
    for b, j: G2.grad[b, t, j] = (R[b, t, j] - h[b, t-1, j]) * h.grad[b, t, j]
    for b, j: Rin.grad[b, t, j] = (1 - R[b, t, j]) * (1 + R[b, t, j]) * R.grad[b, t, j]
    for b, j: G2in.grad[b, t, j] = G2[b, t, j] * (1 - G2[b, t, j]) * G2.grad[b, t, j]
    for b, j, i: hp.grad[b, t, i] += Rin.grad[b, t, j] * Whr[j, i]
    for b, j: G1.grad[b, t, j] = hp.grad[b, t, j] * h[b, t-1, j]
    for b, j: G1in.grad[b, t, j] = G1[b, t, j] * (1 - G1[b, t, j]) * G1.grad[b, t, j]
    for b, j: h.grad[b, t-1, j] += (1 - G2[b, t, j]) * h.grad[b, t, j]
    for b, j: h.grad[b, t-1, j] += G1[b, t, j] * hp.grad[b, t, j]
    for b, j, i: h.grad[b, t-1, i] += G2in.grad[b, t, j] * Whg2[j, i]
    for b, j, i: h.grad[b, t-1, i] += G1in.grad[b, t, j] * Whg1[j, i]
    for b, j, i: Whr.grad[j, i] += Rin.grad[b, t, j] * hp[b, t, i]
    for b, j, k: Wxr.grad[j, k] += Rin.grad[b, t, j] * x[b, t, k]
    for b, j: BR.grad[j] += -Rin.grad[b, t, j]
    for b, j, i: Whg2.grad[j, i] += G2in.grad[b, t, j] * h[b, t-1, i]
    for b, j, k: Wxg2.grad[j, k] += G2in.grad[b, t, j] * x[b, t, k]
    for b, j: BG2.grad[j] += -G2in.grad[b, t, j]
    for b, j, i: Whg1.grad[j, i] += G1in.grad[b, t, j] * h[b, t-1, i]
    for b, j, k: Wxg1.grad[j, k] += G1in.grad[b, t, j] * x[b, t, k]
    for b, j: BG1.grad[j] += -G1in.grad[b, t, j]
""", 'correct', 'none',
    "Node-by-node BPTT with named gradients of every intermediate; (1 - R)(1 + R) = 1 - R^2. Whr does not feed h[t-1] directly (only through hp), so no Whr term goes to h.grad.")
add('gru-a-12', 'gru', 'a', """
for t in T..1:
    e[b, j] = h.grad[b, t, j]
    r[b, j] = G2[b, t, j] * e[b, j] * (1 - R[b, t, j]^2)
    q[b, j] = (R[b, t, j] - h[b, t-1, j]) * e[b, j] * G2[b, t, j] * (1 - G2[b, t, j])
    hq[b, j] = Whr[I, j] * r[b, I]
    s1[b, j] = hq[b, j] * h[b, t-1, j] * G1[b, t, j] * (1 - G1[b, t, j])
    h.grad[b, t-1, j] += (1 - G2[b, t, j]) * e[b, j] + G1[b, t, j] * hq[b, j]
    h.grad[b, t-1, j] += Whg2[I, j] * q[b, I] + Whg1[I, j] * s1[b, I]
    for b, j, i: Whr.grad[j, i] += r[b, j] * hp[b, t, i]
    for b, j, i: Whg2.grad[j, i] += q[b, j] * h[b, t-1, i]
    for b, j, i: Whg1.grad[j, i] += s1[b, j] * h[b, t-1, i]
    for b, j, k: Wxr.grad[j, k] += r[b, j] * x[b, t, k]
    for b, j, k: Wxg2.grad[j, k] += q[b, j] * x[b, t, k]
    for b, j, k: Wxg1.grad[j, k] += s1[b, j] * x[b, t, k]
    for b, j: BR.grad[j] -= r[b, j]
    for b, j: BG2.grad[j] -= q[b, j]
    for b, j: BG1.grad[j] -= s1[b, j]
""", 'correct', 'none',
    "Short per-step temporaries (overwritten with '=' each step); two Einstein sums over I feed h.grad[t-1].")
