# corpus2 entries, part B: gru, two_gate_rnn, ugcnn, lenet5, vanilla_rnn_bptt, loss_heads:c
from corpus_a import add, E

# ---------------------------------------------------------------- gru:a
GRU_1 = """
for t in T..1:
    dh[b, j] = h.grad[b, t, j]
    h.grad[b, t-1, j] += (1 - G2[b, t, j]) * dh[b, j]
    dG2[b, j] = (R[b, t, j] - h[b, t-1, j]) * dh[b, j] * G2[b, t, j] * (1 - G2[b, t, j])
    dR[b, j] = G2[b, t, j] * dh[b, j] * (1 - R[b, t, j]^2)
    for b, j: BR.grad[j] -= dR[b, j]
    for b, j, k: Wxr.grad[j, k] += dR[b, j] * x[b, t, k]
    for b, j, i: Whr.grad[j, i] += dR[b, j] * hp[b, t, i]
    dhp[b, i] = Whr[J, i] * dR[b, J]
    for b, j: BG2.grad[j] -= dG2[b, j]
    for b, j, k: Wxg2.grad[j, k] += dG2[b, j] * x[b, t, k]
    for b, j, i: Whg2.grad[j, i] += dG2[b, j] * h[b, t-1, i]
    dG1[b, j] = dhp[b, j] * h[b, t-1, j] * G1[b, t, j] * (1 - G1[b, t, j])
    h.grad[b, t-1, j] += dhp[b, j] * G1[b, t, j] + Whg2[I, j] * dG2[b, I] + Whg1[I, j] * dG1[b, I]
    for b, j: BG1.grad[j] -= dG1[b, j]
    for b, j, k: Wxg1.grad[j, k] += dG1[b, j] * x[b, t, k]
    for b, j, i: Whg1.grad[j, i] += dG1[b, j] * h[b, t-1, i]
"""
add('gru-a-01', 'gru', 'a', GRU_1, 'correct', 'none',
    "GRU: G1 = sigma(.. - BG1), hp = G1*h[t-1], G2 = sigma(.. - BG2), R = tanh(Whr hp + Wxr x - BR), h = (1-G2) h[t-1] + G2 R. "
    "BPTT backwards in t with per-step temporaries overwritten by '=' at each step; h.grad[t-1] collects the direct (1-G2), reset (G1*dhp) and three matrix paths.")
GRU_2 = """
for t in T..1:
    for b, j: R_in.grad[b, t, j] = h.grad[b, t, j] * G2[b, t, j] * (1 - R[b, t, j] * R[b, t, j])
    for b, j: G2_in.grad[b, t, j] = h.grad[b, t, j] * (R[b, t, j] - h[b, t-1, j]) * (G2[b, t, j] - G2[b, t, j]^2)
    for b, j, i: hp.grad[b, t, i] += Whr[j, i] * R_in.grad[b, t, j]
    for b, j: G1_in.grad[b, t, j] = hp.grad[b, t, j] * h[b, t-1, j] * G1[b, t, j] * (1 - G1[b, t, j])
    for b, j: h.grad[b, t-1, j] += (1 - G2[b, t, j]) * h.grad[b, t, j] + G1[b, t, j] * hp.grad[b, t, j]
    for b, j, i: h.grad[b, t-1, i] += Whg2[j, i] * G2_in.grad[b, t, j] + Whg1[j, i] * G1_in.grad[b, t, j]
for b, t, j, i: Whr.grad[j, i] += R_in.grad[b, t, j] * hp[b, t, i]
for b, t, j, k: Wxr.grad[j, k] += R_in.grad[b, t, j] * x[b, t, k]
for b, t, j: BR.grad[j] -= R_in.grad[b, t, j]
for b, t, j, i: Whg2.grad[j, i] += G2_in.grad[b, t, j] * h[b, t-1, i]
for b, t, j, k: Wxg2.grad[j, k] += G2_in.grad[b, t, j] * x[b, t, k]
for b, t, j: BG2.grad[j] -= G2_in.grad[b, t, j]
for b, t, j, i: Whg1.grad[j, i] += G1_in.grad[b, t, j] * h[b, t-1, i]
for b, t, j, k: Wxg1.grad[j, k] += G1_in.grad[b, t, j] * x[b, t, k]
for b, t, j: BG1.grad[j] -= G1_in.grad[b, t, j]
"""
add('gru-a-02', 'gru', 'a', GRU_2, 'correct', 'none',
    "Only the state recursion runs backwards in time; the pre-activation grads are kept per step (indexed by t) and the parameter grads are summed afterwards. G2 - G2^2 = G2(1-G2).")
add('gru-a-03', 'gru', 'a', GRU_2.replace("R_in.grad[b, t, j] * hp[b, t, i]", "R_in.grad[b, t, j] * h[b, t-1, i]"),
    'incorrect', 'wrong_tensor', "The candidate reads the reset state hp, so Whr.grad must pair R_in.grad with hp[b, t, i], not h[b, t-1, i].")
add('gru-a-04', 'gru', 'a', GRU_2.replace("(1 - G2[b, t, j]) * h.grad[b, t, j] + G1[b, t, j] * hp.grad[b, t, j]", "(1 - G2[b, t, j]) * h.grad[b, t, j]"),
    'incorrect', 'missing_term', "Forgets that hp = G1*h[t-1] also depends on h[t-1]: the term G1*hp.grad is missing from h.grad[t-1].")
add('gru-a-05', 'gru', 'a', GRU_2.replace("(R[b, t, j] - h[b, t-1, j])", "(h[b, t-1, j] - R[b, t, j])"),
    'incorrect', 'sign', "dh/dG2 = R - h[t-1] (h = (1-G2) h[t-1] + G2 R); the difference is reversed.")
add('gru-a-06', 'gru', 'a', GRU_2.replace("for t in T..1:", "for t in 1..T:"),
    'incorrect', 'order', "Runs the backward recursion forwards in time: h.grad[b, t, j] is used before step t+1 has added its contributions.")
GRU_7 = GRU_1.replace("    dhp[b, i] = Whr[J, i] * dR[b, J]\n", "    for b, j, i: dhp[b, i] += Whr[j, i] * dR[b, j]\n")
add('gru-a-07', 'gru', 'a', GRU_7, 'incorrect', 'other',
    "The per-step temporary dhp[b, i] is accumulated with += but never reset, so at step t it still holds the reset-state gradients of all later steps.")
add('gru-a-08', 'gru', 'a', GRU_1.replace("    for b, j: BR.grad[j] -= dR[b, j]\n", "    for b, j: BR.grad[j] = -dR[b, j]\n"),
    'incorrect', 'assign_vs_accumulate', "BR.grad assigned with '=' inside the time block and a loop over b: only one example at one step (b = B-1, t = 1) survives.")
add('gru-a-09', 'gru', 'a', GRU_1.replace("(1 - R[b, t, j]^2)", "(1 - tanh(R[b, t, j])^2)"),
    'incorrect', 'other', "tanh applied again to R (already tanh of the pre-activation): the slope must be 1 - R^2.")
add('gru-a-10', 'gru', 'a', GRU_1.replace("* (1 - R[b, t, j]^2)", "/ cosh(R_pre[b, t, j])^2"),
    'unusable', 'none', "Uses cosh, which is not a function of the notation, and a tensor R_pre that is never defined.")

# ---------------------------------------------------------------- two_gate_rnn:a
TG_1 = """
for t in T..1:
    for b, j: dh[b, t, j] = h.grad[b, t, j]
    for b, j: h.grad[b, t-1, j] += Gh[b, t, j] * dh[b, t, j]
    for b, j: dGh[b, t, j] = (h[b, t-1, j] - R[b, t, j]) * dh[b, t, j] * Gh[b, t, j] * (1 - Gh[b, t, j])
    for b, j: dA[b, t, j] = (1 - Gh[b, t, j]) * dh[b, t, j] * (1 - R[b, t, j]^2)
    hr[b, t, j] = Whr[j, I] * h[b, t-1, I] - Bhr[j]
    xr[b, t, j] = Wxr[j, K] * x[b, t, K] - Bxr[j]
    dGR[b, t, j] = dA[b, t, j] * (hr[b, t, j] - xr[b, t, j]) * GR[b, t, j] * (1 - GR[b, t, j])
    dhr[b, t, j] = dA[b, t, j] * GR[b, t, j]
    dxr[b, t, j] = dA[b, t, j] * (1 - GR[b, t, j])
    for b, j: Bhr.grad[j] -= dhr[b, t, j]
    for b, j, i: Whr.grad[j, i] += dhr[b, t, j] * h[b, t-1, i]
    for b, j: Bxr.grad[j] -= dxr[b, t, j]
    for b, j, k: Wxr.grad[j, k] += dxr[b, t, j] * x[b, t, k]
    for b, j: BGR.grad[j] -= dGR[b, t, j]
    for b, j, i: Whgr.grad[j, i] += dGR[b, t, j] * h[b, t-1, i]
    for b, j, k: Wxgr.grad[j, k] += dGR[b, t, j] * x[b, t, k]
    for b, j: BGh.grad[j] -= dGh[b, t, j]
    for b, j, i: Whgh.grad[j, i] += dGh[b, t, j] * h[b, t-1, i]
    for b, j, k: Wxgh.grad[j, k] += dGh[b, t, j] * x[b, t, k]
    for b, j, i: h.grad[b, t-1, i] += Whr[j, i] * dhr[b, t, j] + Whgr[j, i] * dGR[b, t, j] + Whgh[j, i] * dGh[b, t, j]
"""
add('two_gate-a-01', 'two_gate_rnn', 'a', TG_1, 'correct', 'none',
    "Cell: GR = sigma(Whgr h + Wxgr x - BGR), R = tanh(GR (Whr h - Bhr) + (1-GR)(Wxr x - Bxr)), Gh = sigma(...), h = Gh h[t-1] + (1-Gh) R. "
    "The two convex-combination arguments are recomputed as temporaries hr, xr; dGR = dA (hr - xr) sigma'.")
add('two_gate-a-02', 'two_gate_rnn', 'a', TG_1.replace("(hr[b, t, j] - xr[b, t, j])", "(xr[b, t, j] - hr[b, t, j])"),
    'incorrect', 'sign', "d/dGR of GR*hr + (1-GR)*xr is hr - xr, not xr - hr.")
add('two_gate-a-03', 'two_gate_rnn', 'a', TG_1.replace("    for b, j: h.grad[b, t-1, j] += Gh[b, t, j] * dh[b, t, j]\n", ""),
    'incorrect', 'missing_term', "Drops the direct path h[t-1] -> h[t] through the gate (Gh * h.grad).")
add('two_gate-a-04', 'two_gate_rnn', 'a', TG_1.replace("for t in T..1:", "for t in 1..T:"),
    'incorrect', 'order', "Backward recursion run in increasing t: h.grad[b, t, j] is read before step t+1 adds to it.")
add('two_gate-a-05', 'two_gate_rnn', 'a', TG_1.replace("dGR[b, t, j] = dA[b, t, j] * (hr[b, t, j] - xr[b, t, j]) * GR[b, t, j] * (1 - GR[b, t, j])",
                                                      "dGR[b, t, j] = dA[b, t, j] * (hr[b, t, j] - xr[b, t, j]) * GR[b, t, j]^2 * (1 - GR[b, t, j])^2"),
    'incorrect', 'local_twice', "The sigmoid slope GR(1-GR) is applied twice (squared).")
add('two_gate-a-06', 'two_gate_rnn', 'a', TG_1.replace("dxr[b, t, j] = dA[b, t, j] * (1 - GR[b, t, j])", "dxr[b, t, j] = dA[b, t, j]"),
    'incorrect', 'local_missing', "The input term enters R's argument with weight (1 - GR); that factor is missing from dxr (Wxr.grad, Bxr.grad).")
add('two_gate-a-07', 'two_gate_rnn', 'a', TG_1.replace("for t in T..1:", "for t = T..1:"),
    'unusable', 'none', "'for t = T..1:' is not a loop header of the notation (it needs 'in').")

# ---------------------------------------------------------------- ugcnn:a
UG_1 = """
for b, x, y, j: G.grad[b, x, y, j] = L1.grad[b, x, y, j] * (L0[b, x, y, j] - R[b, x, y, j])
for b, x, y, j: R.grad[b, x, y, j] = L1.grad[b, x, y, j] * (1 - G[b, x, y, j])
for b, x, y, j: L0.grad[b, x, y, j] += L1.grad[b, x, y, j] * G[b, x, y, j]
for b, x, y, j: Rt.grad[b, x, y, j] = R.grad[b, x, y, j] * (1 - R[b, x, y, j]^2)
for b, x, y, j: Gt.grad[b, x, y, j] = G.grad[b, x, y, j] * G[b, x, y, j] * (1 - G[b, x, y, j])
for b, x, y, j: BR.grad[j] -= Rt.grad[b, x, y, j]
for b, x, y, j: BG.grad[j] -= Gt.grad[b, x, y, j]
for b, x, y, j, dx, dy, i: WR.grad[dx, dy, i, j] += Rt.grad[b, x, y, j] * L0[b, x+dx, y+dy, i]
for b, x, y, j, dx, dy, i: WG.grad[dx, dy, i, j] += Gt.grad[b, x, y, j] * L0[b, x+dx, y+dy, i]
for b, x, y, j, dx, dy, i: L0.grad[b, x+dx, y+dy, i] += Rt.grad[b, x, y, j] * WR[dx, dy, i, j] + Gt.grad[b, x, y, j] * WG[dx, dy, i, j]
"""
add('ugcnn-a-01', 'ugcnn', 'a', UG_1, 'correct', 'none',
    "Layer: Rt = conv(WR, L0), R = tanh(Rt - BR), Gt = conv(WG, L0), G = sigma(Gt - BG), L1 = G L0 + (1-G) R. "
    "Backward scatters the filter products to L0.grad[x+dx, y+dy] (writes beyond the border are dropped: those reads were zero padding).")
UG_2 = UG_1.replace("for b, x, y, j, dx, dy, i: L0.grad[b, x+dx, y+dy, i] += Rt.grad[b, x, y, j] * WR[dx, dy, i, j] + Gt.grad[b, x, y, j] * WG[dx, dy, i, j]",
                    "for b, x, y, i, dx, dy, j: L0.grad[b, x, y, i] += Rt.grad[b, x-dx, y-dy, j] * WR[dx, dy, i, j] + Gt.grad[b, x-dx, y-dy, j] * WG[dx, dy, i, j]")
add('ugcnn-a-02', 'ugcnn', 'a', UG_2, 'correct', 'none',
    "Gather form of the input gradient: L0.grad[x] collects Rt.grad[x - dx] (a correlation with the flipped filter); out-of-range reads are zero.")
add('ugcnn-a-03', 'ugcnn', 'a', UG_2.replace("x-dx", "x+dx").replace("y-dy", "y+dy"),
    'incorrect', 'kernel_not_flipped', "Gathers from Rt.grad[x + dx]: the filter offsets must be flipped (x - dx) for the input gradient.")
add('ugcnn-a-04', 'ugcnn', 'a', UG_1.replace("for b, x, y, j: L0.grad[b, x, y, j] += L1.grad[b, x, y, j] * G[b, x, y, j]\n", ""),
    'incorrect', 'missing_term', "Forgets the gated skip path L1 = G*L0 + ...: L0.grad misses G*L1.grad.")
add('ugcnn-a-05', 'ugcnn', 'a', UG_1.replace("(L0[b, x, y, j] - R[b, x, y, j])", "(R[b, x, y, j] - L0[b, x, y, j])"),
    'incorrect', 'sign', "dL1/dG = L0 - R, reversed here.")
add('ugcnn-a-06', 'ugcnn', 'a', UG_1.replace("(1 - R[b, x, y, j]^2)", "(1 - Rt[b, x, y, j]^2)"),
    'incorrect', 'preactivation', "tanh' written with the pre-activation Rt instead of the activation R (1 - R^2).")
add('ugcnn-a-07', 'ugcnn', 'a', UG_1.replace("for b, x, y, j: BG.grad[j] -= Gt.grad[b, x, y, j]", "for b, x, y, j: BG.grad[j] += Gt.grad[b, x, y, j]"),
    'incorrect', 'sign', "G = sigma(Gt - BG): the bias gradient is minus the pre-activation gradient.")
add('ugcnn-a-08', 'ugcnn', 'a', UG_1.replace("for b, x, y, j: L0.grad[b, x, y, j] += L1.grad[b, x, y, j] * G[b, x, y, j]",
                                            "for b, x, y, j: L0.grad[b, x, y, j] += L1.grad[b, x, y, j] * G[b, x, y, j] +"),
    'unusable', 'none', "A statement ends with a dangling '+'.")

# ---------------------------------------------------------------- lenet5:a
LA_1 = """
for r, c, d: Xt.grad[r, c, d] = X1.grad[r, c, d] * X1[r, c, d] * (1 - X1[r, c, d])
for r, c, d: a.grad[d] += Xt.grad[r, c, d]
for r, c, d: w.grad[d] += Xt.grad[r, c, d] * (Y[2*r, 2*c, d] + Y[2*r+1, 2*c, d] + Y[2*r, 2*c+1, d] + Y[2*r+1, 2*c+1, d]) / 4
for r, c, d: Y.grad[2*r, 2*c, d] += w[d] * Xt.grad[r, c, d] / 4
for r, c, d: Y.grad[2*r+1, 2*c, d] += w[d] * Xt.grad[r, c, d] / 4
for r, c, d: Y.grad[2*r, 2*c+1, d] += w[d] * Xt.grad[r, c, d] / 4
for r, c, d: Y.grad[2*r+1, 2*c+1, d] += w[d] * Xt.grad[r, c, d] / 4
"""
add('lenet5-a-01', 'lenet5', 'a', LA_1, 'correct', 'none',
    "Through the sigmoid (X1(1-X1)), then the weighted mean pool: a.grad sums, w.grad sums times the window mean, each of the four window cells gets w/4.")
add('lenet5-a-02', 'lenet5', 'a', """
Xt.grad[r, c, d] = X1.grad[r, c, d] * (X1[r, c, d] - X1[r, c, d]^2)
for r, c, d: a.grad[d] += Xt.grad[r, c, d]
for r, c, d, u in 0..1, v in 0..1: w.grad[d] += Xt.grad[r, c, d] * Y[2*r+u, 2*c+v, d] / 4
for r, c, d, u in 0..1, v in 0..1: Y.grad[2*r+u, 2*c+v, d] += w[d] * Xt.grad[r, c, d] / 4
""", 'correct', 'none', "Loops over the window offsets u, v in 0..1 instead of writing the four cells; X1 - X1^2 = X1(1-X1).")
add('lenet5-a-03', 'lenet5', 'a', LA_1.replace("w[d] * Xt.grad[r, c, d] / 4", "w[d] * Xt.grad[r, c, d]"),
    'incorrect', 'factor', "Forgets the 1/4 of the mean pool in Y.grad.")
add('lenet5-a-04', 'lenet5', 'a', LA_1.replace("Xt.grad[r, c, d] = X1.grad[r, c, d] * X1[r, c, d] * (1 - X1[r, c, d])", "Xt.grad[r, c, d] = X1.grad[r, c, d]"),
    'incorrect', 'local_missing', "Skips the sigmoid's slope X1(1 - X1).")
add('lenet5-a-05', 'lenet5', 'a', LA_1.replace("X1[r, c, d] * (1 - X1[r, c, d])", "Xt[r, c, d] * (1 - Xt[r, c, d])"),
    'incorrect', 'preactivation', "sigma' written with the pre-activation Xt instead of the output X1.")
add('lenet5-a-06', 'lenet5', 'a', LA_1.replace("Y[2*r+1, 2*c+1, d]) / 4", "Y[2*r+1, 2*c+1, d])"),
    'incorrect', 'factor', "w multiplies the window mean, so w.grad needs the 1/4; here it uses the window sum.")
add('lenet5-a-07', 'lenet5', 'a', """
for r, c, d: Xt.grad[r, c, d] = X1.grad[r, c, d] * X1[r, c, d] * (1 - X1[r, c, d])
for r, c, d: a.grad[d] += Xt.grad[r, c, d]
for r, c, d: w.grad[d] += Xt.grad[r, c, d] * (Y[2*r, 2*c, d] + Y[2*r+1, 2*c, d] + Y[2*r, 2*c+1, d] + Y[2*r+1, 2*c+1, d]) / 4
for m, n, d: Y.grad[m, n, d] = w[d] * Xt.grad[m // 2, n // 2, d] / 4
""", 'unusable', 'none', "Floor division '//' is not an operator of the notation.")

# ---------------------------------------------------------------- lenet5:b
LB_1 = """
for m, n, d: Yt.grad[m, n, d] = Y.grad[m, n, d] * (1 - Y[m, n, d]^2)
for m, n, d: b.grad[d] += Yt.grad[m, n, d]
for m, n, d, dx, dy, p: W.grad[dx, dy, p, d] += Yt.grad[m, n, d] * X0[m+dx, n+dy, p]
for m, n, d, dx, dy, p: X0.grad[m+dx, n+dy, p] += Yt.grad[m, n, d] * W[dx, dy, p, d]
"""
add('lenet5-b-01', 'lenet5', 'b', LB_1, 'correct', 'none',
    "tanh slope 1 - Y^2, bias sums, filter gradient correlates Yt.grad with the input, input gradient scatters W back to X0[m+dx, n+dy].")
add('lenet5-b-02', 'lenet5', 'b', """
Yt.grad[m, n, d] = (1 - tanh(Yt[m, n, d])^2) * Y.grad[m, n, d]
b.grad[d] = Yt.grad[M, N, d]
W.grad[dx, dy, p, d] = Yt.grad[M, N, d] * X0[M+dx, N+dy, p]
for u, v, p, dx, dy, d: X0.grad[u, v, p] += W[dx, dy, p, d] * Yt.grad[u-dx, v-dy, d]
""", 'correct', 'none',
    "Einstein sums over m, n (capitals M, N) for b.grad and W.grad; the input gradient as a full ('wide') correlation with the flipped filter, reading zero outside Yt.grad. 1 - tanh(Yt)^2 = 1 - Y^2.")
add('lenet5-b-03', 'lenet5', 'b', """
for m, n, d: Yt.grad[m, n, d] = Y.grad[m, n, d] * (1 - Y[m, n, d]^2)
for m, n, d: b.grad[d] += Yt.grad[m, n, d]
for m, n, d, dx, dy, p: W.grad[dx, dy, p, d] += Yt.grad[m, n, d] * X0[m+dx, n+dy, p]
for u, v, p, dx, dy, d: X0.grad[u, v, p] += W[dx, dy, p, d] * Yt.grad[u+dx, v+dy, d]
""", 'incorrect', 'kernel_not_flipped', "Input gradient as a correlation with the unflipped filter (Yt.grad[u+dx, v+dy]); it must read Yt.grad[u-dx, v-dy].")
add('lenet5-b-04', 'lenet5', 'b', LB_1.replace("(1 - Y[m, n, d]^2)", "(1 - Yt[m, n, d]^2)"),
    'incorrect', 'preactivation', "tanh' written with the pre-activation Yt instead of Y.")
add('lenet5-b-05', 'lenet5', 'b', LB_1.replace("Yt.grad[m, n, d] = Y.grad[m, n, d] * (1 - Y[m, n, d]^2)", "Yt.grad[m, n, d] = Y.grad[m, n, d]"),
    'incorrect', 'local_missing', "The tanh activation's derivative is skipped.")
add('lenet5-b-06', 'lenet5', 'b', LB_1.replace("for m, n, d: b.grad[d] += Yt.grad[m, n, d]", "for m, n, d: b.grad[d] += Y.grad[m, n, d]"),
    'incorrect', 'local_missing', "b.grad sums Y.grad, i.e. forgets that b enters before the tanh (needs Yt.grad).")
add('lenet5-b-07', 'lenet5', 'b', LB_1.replace("X0[m+dx, n+dy, p]", "X0[m-dx, n-dy, p]"),
    'incorrect', 'other', "The filter gradient must correlate with the input at m+dx, n+dy (as in the forward pass); flipping it here is wrong.")

# ---------------------------------------------------------------- vanilla_rnn_bptt:a (from Loss to z)
VA_1 = """
for t, c: e[t, c] = Loss.grad * (yhat[t, c] - y[t, c])
for t in T..1:
    for c, m: h.grad[t, m] += V[c, m] * e[t, c]
    for i, m: h.grad[t, m] += U[i, m] * z.grad[t+1, i]
    for m: z.grad[t, m] = (1 - h[t, m]^2) * h.grad[t, m]
"""
add('vanilla-a-01', 'vanilla_rnn_bptt', 'a', VA_1, 'correct', 'none',
    "delta_t = f'(z_t) o (V^T (yhat_t - y_t) + U^T delta_{t+1}), delta_{T+1} = 0 (z.grad[T+1] reads zero); scaled by the upstream Loss.grad.")
add('vanilla-a-02', 'vanilla_rnn_bptt', 'a', """
for t, c: yhat.grad[t, c] += Loss.grad * (yhat[t, c] - y[t, c])
for t in T..1:
    for c, i: h.grad[t, i] += V[c, i] * yhat.grad[t, c]
    for m: z.grad[t, m] += (1 - tanh(z[t, m])^2) * h.grad[t, m]
    for m, i: h.grad[t-1, i] += U[m, i] * z.grad[t, m]
""", 'correct', 'none', "Push form: h.grad[t-1] += U^T delta_t at step t; 1 - tanh(z)^2 = 1 - h^2.")
add('vanilla-a-03', 'vanilla_rnn_bptt', 'a', VA_1.replace("U[i, m] * z.grad[t+1, i]", "U[m, i] * z.grad[t+1, i]"),
    'incorrect', 'transposed', "Uses U instead of U^T in the recurrence (sum over the row index is needed: z_{t+1}[i] = sum_m U[i, m] h_t[m]).")
add('vanilla-a-04', 'vanilla_rnn_bptt', 'a', VA_1.replace("z.grad[t+1, i]", "z.grad[t-1, i]"),
    'incorrect', 'off_by_one', "delta_t depends on delta_{t+1}; reading z.grad[t-1] (not yet computed, zero) drops the recurrent part.")
add('vanilla-a-05', 'vanilla_rnn_bptt', 'a', VA_1.replace("for t in T..1:", "for t in 1..T:"),
    'incorrect', 'order', "Forward time order: z.grad[t+1] is still zero when delta_t is computed.")
add('vanilla-a-06', 'vanilla_rnn_bptt', 'a', VA_1.replace("(1 - h[t, m]^2)", "(1 - z[t, m]^2)"),
    'incorrect', 'preactivation', "tanh'(z) = 1 - tanh(z)^2 = 1 - h^2, not 1 - z^2.")
add('vanilla-a-07', 'vanilla_rnn_bptt', 'a', """
for t, c: e[t, c] = Loss.grad * (yhat[t, c] - y[t, c])
for t in T..1:
    for c, m: z.grad[t, m] += (1 - h[t, m]^2) * V[c, m] * e[t, c]
    for i, m: z.grad[t, m] += U[i, m] * z.grad[t+1, i]
""", 'incorrect', 'local_missing', "The recurrent contribution U^T delta_{t+1} is added after f'(z_t): it misses the factor 1 - h_t^2.")
add('vanilla-a-08', 'vanilla_rnn_bptt', 'a', """
for t, c: e[t, c] = Loss.grad * (yhat[t, c] - y[t, c])
for t in T..1:
for c, m: h.grad[t, m] += V[c, m] * e[t, c]
for i, m: h.grad[t, m] += U[i, m] * z.grad[t+1, i]
for m: z.grad[t, m] = (1 - h[t, m]^2) * h.grad[t, m]
""", 'unusable', 'none', "The block header 'for t in T..1:' has no indented body, and the statements below use t outside any loop over t.")

# ---------------------------------------------------------------- vanilla_rnn_bptt:b (gradient, Loss.grad = 1)
VB_1 = """
for t, c: e[t, c] = yhat[t, c] - y[t, c]
for t in T..1:
    for c, m: h.grad[t, m] += V[c, m] * e[t, c]
    for i, m: h.grad[t, m] += U[i, m] * z.grad[t+1, i]
    for m: z.grad[t, m] = (1 - h[t, m]^2) * h.grad[t, m]
for t, m, i: U.grad[m, i] += z.grad[t, m] * h[t-1, i]
for t, m, k: W.grad[m, k] += z.grad[t, m] * x[t, k]
for t, m: b.grad[m] += z.grad[t, m]
"""
add('vanilla-b-01', 'vanilla_rnn_bptt', 'b', VB_1, 'correct', 'none',
    "dL/dU = sum_t delta_t h_{t-1}^T (h_0 = 0 reads zero), dL/dW = sum_t delta_t x_t^T, dL/db = sum_t delta_t.")
add('vanilla-b-02', 'vanilla_rnn_bptt', 'b', VB_1.replace("z.grad[t, m] * h[t-1, i]", "z.grad[t, m] * h[t, i]"),
    'incorrect', 'off_by_one', "z_t depends on U through h_{t-1}; pairing delta_t with h_t is off by one step.")
add('vanilla-b-03', 'vanilla_rnn_bptt', 'b', """
for t, c: yhat.grad[t, c] = Loss.grad * (yhat[t, c] - y[t, c])
for t in T..1:
    for c, i: h.grad[t, i] += V[c, i] * yhat.grad[t, c]
    for m: z.grad[t, m] = (1 - h[t, m]^2) * h.grad[t, m]
    for m: b.grad[m] = z.grad[t, m]
    for m, k: W.grad[m, k] += z.grad[t, m] * x[t, k]
    for m, i: U.grad[m, i] += z.grad[t, m] * h[t-1, i]
    for m, i: h.grad[t-1, i] += U[m, i] * z.grad[t, m]
""", 'incorrect', 'assign_vs_accumulate', "b.grad[m] = ... inside the time block keeps only delta_1; it must be summed over t.")
add('vanilla-b-04', 'vanilla_rnn_bptt', 'b', """
for t, c: yhat.grad[t, c] = Loss.grad * (yhat[t, c] - y[t, c])
for t in T..1:
    for c, i: h.grad[t, i] += V[c, i] * yhat.grad[t, c]
    for m: z.grad[t, m] = (1 - h[t, m]^2) * h.grad[t, m]
    for m: b.grad[m] += z.grad[t, m]
    for m, k: W.grad[m, k] += z.grad[t, m] * x[t, k]
    for m, i: U.grad[m, i] += z.grad[t, m] * h[t-1, i]
    for m, i: h.grad[t-1, i] += U[m, i] * z.grad[t, m]
""", 'correct', 'none', "Everything in one backward block; with Loss.grad = dL/dL = 1 this is the gradient of L.")
add('vanilla-b-05', 'vanilla_rnn_bptt', 'b', VB_1.replace("W.grad[m, k] += z.grad[t, m] * x[t, k]", "W.grad[m, k] += z.grad[t, k] * x[t, m]"),
    'incorrect', 'transposed', "W.grad written as x delta^T (indices swapped) instead of delta x^T.")
add('vanilla-b-06', 'vanilla_rnn_bptt', 'b', VB_1.replace("    for i, m: h.grad[t, m] += U[i, m] * z.grad[t+1, i]\n", ""),
    'incorrect', 'missing_term', "Truncated BPTT: the gradient flowing back from later steps through U is dropped.")

# ---------------------------------------------------------------- loss_heads:c (residual MLP; from Loss to params)
LH_1 = """
yhat.grad = 2 * (yhat - y) * Loss.grad
By.grad = -yhat.grad
for j: Wy.grad[j] = yhat.grad * h[L, j]
for j: h.grad[L, j] = yhat.grad * Wy[j]
for k in L..1:
    for i: h.grad[k-1, i] += h.grad[k, i]
    for i: d[k, i] = h.grad[k, i] * ht[k, i] * (1 - ht[k, i])
    for i: Bh.grad[k, i] = -d[k, i]
    for i, j: W.grad[k, i, j] = d[k, i] * h[k-1, j]
    for i, j: h.grad[k-1, j] += W[k, i, j] * d[k, i]
"""
add('loss_heads-c-01', 'loss_heads', 'c', LH_1, 'correct', 'none',
    "Network: ht_k = sigma(W_k h_{k-1} - Bh_k), h_k = ht_k + h_{k-1}, yhat = Wy.h_L - By, Loss = (y - yhat)^2. Backward over k = L..1; the skip connection copies h.grad[k] to h.grad[k-1].")
add('loss_heads-c-02', 'loss_heads', 'c', LH_1.replace("for k in L..1:", "for k in 1..L:"),
    'incorrect', 'order', "Layers visited bottom-up: h.grad[k] is used before layer k+1 has added its part.")
add('loss_heads-c-03', 'loss_heads', 'c', LH_1.replace("    for i: h.grad[k-1, i] += h.grad[k, i]\n", ""),
    'incorrect', 'missing_term', "The residual (identity) path h_{k-1} -> h_k is missing from h.grad[k-1].")
add('loss_heads-c-04', 'loss_heads', 'c', LH_1.replace("2 * (yhat - y)", "2 * (y - yhat)"),
    'incorrect', 'sign', "d(y - yhat)^2/dyhat = -2(y - yhat) = 2(yhat - y); the sign is flipped.")
add('loss_heads-c-05', 'loss_heads', 'c', LH_1.replace("Bh.grad[k, i] = -d[k, i]", "Bh.grad[k, i] = d[k, i]"),
    'incorrect', 'sign', "The bias is subtracted inside sigma, so Bh.grad = -d.")
add('loss_heads-c-06', 'loss_heads', 'c', LH_1.replace("W.grad[k, i, j] = d[k, i] * h[k-1, j]", "W.grad[k, i, j] = d[k, i] * h[k, j]"),
    'incorrect', 'off_by_one', "Layer k reads h_{k-1}; W.grad[k] must use h[k-1, j].")
add('loss_heads-c-07', 'loss_heads', 'c', """
yhat.grad = -2 * Loss.grad * (y - yhat)
By.grad -= yhat.grad
Wy.grad[j] = yhat.grad * h[L, j]
h.grad[L, j] = Wy[j] * yhat.grad
for k in L..1:
    d[k, i] = h.grad[k, i] * (ht[k, i] - ht[k, i]^2)
    h.grad[k-1, i] += h.grad[k, i] + W[k, J, i] * d[k, J]
    Bh.grad[k, i] -= d[k, i]
    W.grad[k, i, j] += d[k, i] * h[k-1, j]
""", 'correct', 'none',
    "Implicit loops and an Einstein sum: h.grad[k-1, i] gets the skip copy plus sum_J W[k, J, i] d[k, J] (only the term holding J is summed). ht - ht^2 = sigma'.")
add('loss_heads-c-08', 'loss_heads', 'c', LH_1.replace("for k in L..1:", "for k in L...1:"),
    'unusable', 'none', "'L...1' (three dots) is not a range of the notation.")
