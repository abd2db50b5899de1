# corpus2 entries, part A: relu_unit, softmax, batchnorm, ugrnn
E = []
def add(id, problem, part, answer, expected, mistake, note):
    E.append(dict(id=id, problem=problem, part=part, answer=answer.strip('\n') + '\n',
                  expected=expected, mistake=mistake, note=note))

# ---------------------------------------------------------------- relu_unit:a
add('relu-a-01', 'relu_unit', 'a', "w.grad[i] = y.grad * step(z) * x[i]", 'correct', 'none',
    "dl/dw_i = L'(y) relu'(z) x_i; step(z) is relu'(z).")
add('relu-a-02', 'relu_unit', 'a', """
# chain rule through z first
z.grad = y.grad * (z > 0)
for i: w.grad[i] += z.grad * x[i]
""", 'correct', 'none', "Two steps via a z.grad temporary; (z > 0) is the ReLU slope.")
add('relu-a-03', 'relu_unit', 'a', "for i: w.grad[i] = (w[I] * x[I] > 0) * y.grad * x[i]", 'correct', 'none',
    "Recomputes z inside the indicator: the capital I is summed over the product w[I]*x[I] (the smallest part holding both), so the test is z > 0.")
add('relu-a-04', 'relu_unit', 'a', "w.grad[i] = y.grad * x[i]", 'incorrect', 'local_missing',
    "Forgets the ReLU slope: wrong whenever z < 0 (then the true gradient is 0).")
add('relu-a-05', 'relu_unit', 'a', "w.grad[i] = y.grad * step(z) * w[i]", 'incorrect', 'wrong_tensor',
    "dz/dw_i is x_i, not w_i.")
add('relu-a-06', 'relu_unit', 'a', "w.grad[i] = y.grad * (y > 0) * x[i]", 'correct', 'none',
    "y = relu(z) > 0 exactly when z > 0, so (y > 0) is the same indicator.")
add('relu-a-07', 'relu_unit', 'a', "w.grad[i] = y.grad * relu'(z) * x[i]", 'unusable', 'none',
    "relu' (with an apostrophe) is not a function of the notation; the line cannot be parsed.")

# ---------------------------------------------------------------- softmax:a
add('softmax-a-01', 'softmax', 'a', "for b, j: s.grad[b, j] += p.grad[b, j] * exp(s[b, j]) / Z[b]", 'correct', 'none',
    "Loop 2 with Z held fixed: dp[b,j]/ds[b,j] = exp(s)/Z.")
add('softmax-a-02', 'softmax', 'a', "for b, j: s.grad[b, j] = p.grad[b, j]*p[b, j]", 'correct', 'none',
    "exp(s)/Z = p; '=' is harmless here because each s.grad[b, j] is written exactly once and starts at zero.")
add('softmax-a-03', 'softmax', 'a', "for b, j: s.grad[b, j] += p.grad[b, j] * p[b, j] * (1 - p[b, j])", 'incorrect', 'extra_term',
    "Uses the diagonal of the full softmax Jacobian; through loop 2 alone Z is a fixed input, so the -p^2 part does not belong.")
add('softmax-a-04', 'softmax', 'a', "for b, j: s.grad[b, j] += p.grad[b, j] * exp(s[b, j])", 'incorrect', 'factor',
    "Drops the 1/Z[b] factor.")
add('softmax-a-05', 'softmax', 'a', "for j, b: s.grad[b, j] += exp(s[b, j] - log(Z[b])) * p.grad[b, j]", 'correct', 'none',
    "exp(s - log Z) = exp(s)/Z; loop order j, b does not matter for += updates.")
add('softmax-a-06', 'softmax', 'a', "for b, j: s.grad[b, j] += p.grad[b, j] / Z[b]", 'incorrect', 'local_missing',
    "Differentiates exp(s)/Z as if exp(s) were s: the exp(s) factor is missing.")
add('softmax-a-07', 'softmax', 'a', "for b, j: s.grad[b, j] += p.grad[b, j] * p[b, j", 'unusable', 'none',
    "Unbalanced bracket in p[b, j.")

# ---------------------------------------------------------------- softmax:b
add('softmax-b-01', 'softmax', 'b', "for b, j: Z.grad[b] -= p.grad[b, j] * exp(s[b, j]) / Z[b]^2", 'correct', 'none',
    "d(exp(s)/Z)/dZ = -exp(s)/Z^2, accumulated over j.")
add('softmax-b-02', 'softmax', 'b', "Z.grad[b] = -p.grad[b, J] * p[b, J] / Z[b]", 'correct', 'none',
    "Einstein form: J summed over the product (the smallest part holding both J); exp(s)/Z^2 = p/Z.")
add('softmax-b-03', 'softmax', 'b', "for b, j: Z.grad[b] += p.grad[b, j] * exp(s[b, j]) / Z[b]^2", 'incorrect', 'sign',
    "Sign of the derivative of 1/Z lost.")
add('softmax-b-04', 'softmax', 'b', "for b, j: Z.grad[b] = -p.grad[b, j]*exp(s[b, j])/Z[b]**2", 'incorrect', 'assign_vs_accumulate',
    "'=' inside a loop over j that the target lacks keeps only the last j instead of the sum over j.")
add('softmax-b-05', 'softmax', 'b', "for b, j: Z.grad[b] -= p.grad[b, j] * exp(s[b, j]) / Z[b]", 'incorrect', 'factor',
    "Only one power of Z in the denominator (should be Z^2).")
add('softmax-b-06', 'softmax', 'b', "for b, j: Z.grad[b] += -(p.grad[b, j] * p[b, j]) / Z[b]", 'correct', 'none',
    "'+= -' is the same as '-='; p/Z = exp(s)/Z^2.")

# ---------------------------------------------------------------- softmax:c
add('softmax-c-01', 'softmax', 'c', "for b, j: s.grad[b, j] += Z.grad[b] * exp(s[b, j])", 'correct', 'none',
    "dZ/ds = exp(s).")
add('softmax-c-02', 'softmax', 'c', "s.grad[b, j] = exp(s[b, j]) * Z.grad[b]", 'correct', 'none',
    "No for: implicit loop over b, j of the target; each element written once.")
add('softmax-c-03', 'softmax', 'c', "for b, j: s.grad[b, j] += Z.grad[b] * p[b, j]", 'incorrect', 'factor',
    "p = exp(s)/Z, so this is Z[b] times too small.")
add('softmax-c-04', 'softmax', 'c', "for b, j: s.grad[b, j] += Z.grad[b] * p[b, j] * Z[b]", 'correct', 'none',
    "p*Z = exp(s): the same value, read from other forward tensors.")
add('softmax-c-05', 'softmax', 'c', "for b, j: s.grad[b, j] += Z.grad[b]", 'incorrect', 'local_missing',
    "Treats Z as a plain sum of s: the exp'(s) = exp(s) factor is missing.")

# ---------------------------------------------------------------- softmax:full
add('softmax-full-01', 'softmax', 'full', """
for b, j: e[b] -= p[b, j] * p.grad[b, j]
for b, j: s.grad[b, j] += p[b, j] * (p.grad[b, j] + e[b])
""", 'correct', 'none', "The O(BJ) form: e[b] = -sum_j p p.grad, s.grad = p (p.grad + e).")
add('softmax-full-02', 'softmax', 'full', """
for b, j: s.grad[b, j] += p.grad[b, j] * exp(s[b, j]) / Z[b]
for b, j: Z.grad[b] -= p.grad[b, j] * exp(s[b, j]) / Z[b]^2
for b, j: s.grad[b, j] += Z.grad[b] * exp(s[b, j])
""", 'correct', 'none', "The three pieces of problem 2 chained in the right order (Z.grad complete before it is used).")
add('softmax-full-03', 'softmax', 'full', """
for b, j: s.grad[b, j] += p.grad[b, j] * exp(s[b, j]) / Z[b]
for b, j: s.grad[b, j] += Z.grad[b] * exp(s[b, j])
for b, j: Z.grad[b] -= p.grad[b, j] * exp(s[b, j]) / Z[b]^2
""", 'incorrect', 'order',
    "Z.grad is read (still zero) before the loop that fills it: the path through Z is lost.")
add('softmax-full-04', 'softmax', 'full', "s.grad[b, j] = p[b, j] * (p.grad[b, j] - p.grad[b, J] * p[b, J])", 'correct', 'none',
    "Einstein: J is summed over the product p.grad[b,J]*p[b,J] only, giving p (g - <p, g>).")
add('softmax-full-05', 'softmax', 'full', "for b, j: s.grad[b, j] += p.grad[b, j] * p[b, j] * (1 - p[b, j])", 'incorrect', 'missing_term',
    "Diagonal of the softmax Jacobian only: the off-diagonal terms -p_j p_k g_k (k != j) are missing.")
add('softmax-full-06', 'softmax', 'full', """
for b, j: e[b] += p[b, j]*p.grad[b, j]
for b, j: s.grad[b, j] += p[b, j]*(p.grad[b, j] + e[b])
""", 'incorrect', 'sign', "e must be minus the weighted sum; here it is added.")
add('softmax-full-07', 'softmax', 'full', """
for b, j: e[b] = -p[b, j] * p.grad[b, j]
for b, j: s.grad[b, j] += p[b, j] * (p.grad[b, j] + e[b])
""", 'incorrect', 'assign_vs_accumulate', "'=' in a loop over j keeps only the last term of the sum in e[b].")
add('softmax-full-08', 'softmax', 'full', """
# dot[b] = <p[b, :], p.grad[b, :]>
for b, j: dot[b] += p.grad[b, j] * p[b, j]
for b, j: s.grad[b, j] += p[b, j] * p.grad[b, j] - p[b, j] * dot[b]
""", 'correct', 'none', "Same as the O(BJ) form with the temporary holding +sum and a minus in the second loop.")
add('softmax-full-09', 'softmax', 'full', "s.grad[b, j] = p[b, j] * (p.grad[b, j] - p.grad[b, J]) * p[b, J]", 'correct', 'none',
    "J is summed over the whole product: sum_k p_j (g_j - g_k) p_k = p_j g_j sum_k p_k - p_j sum_k g_k p_k, and sum_k p_k = 1.")
add('softmax-full-10', 'softmax', 'full', """
for b, j: s.grad[b, j] += p[b, j] * (p.grad[b, j] + e[b])
for b, j: e[b] -= p[b, j] * p.grad[b, j]
""", 'incorrect', 'order', "The loop that reads e[b] runs before e is accumulated: e is a tensor the answer computes, so it starts at zero, and the correction term is lost. (A statement-order mistake, not an unreadable answer.)")
add('softmax-full-11', 'softmax', 'full', "s.grad = p * (p.grad - sum(p * p.grad))", 'unusable', 'none',
    "Whole-array NumPy style: no indices and 'sum' is not a function of the notation.")

# ---------------------------------------------------------------- batchnorm:a
BN_OK = """
for b, j: s.grad[j] -= xp.grad[b, j] * (x[b, j] - mu[j]) / (2 * s[j]^(3/2))
for b, j: mu.grad[j] -= xp.grad[b, j] / sqrt(s[j]) + 2/(B-1) * (x[b, j] - mu[j]) * s.grad[j]
for b, j: x.grad[b, j] += xp.grad[b, j] / sqrt(s[j]) + 2/(B-1) * (x[b, j] - mu[j]) * s.grad[j] + mu.grad[j] / B
"""
add('batchnorm-a-01', 'batchnorm', 'a', BN_OK, 'correct', 'none',
    "s.grad = -1/2 sum_b xp.grad (x-mu) s^-3/2; mu.grad = -sum xp.grad/sqrt(s) + s.grad ds/dmu; x.grad sums the three paths; ordered s, mu, x.")
add('batchnorm-a-02', 'batchnorm', 'a', """
for b, j: s.grad[j] -= xp.grad[b, j] * xp[b, j] / (2 * s[j])
for b, j: mu.grad[j] -= xp.grad[b, j] / sqrt(s[j])
for b, j: x.grad[b, j] += xp.grad[b, j] / sqrt(s[j]) + 2 * (x[b, j] - mu[j]) * s.grad[j] / (B - 1) + mu.grad[j] / B
""", 'correct', 'none',
    "mu.grad omits the path through s, which is exactly zero: ds/dmu = -2/(B-1) sum_b (x - mu) = 0 because mu is the batch mean.")
add('batchnorm-a-03', 'batchnorm', 'a', """
for b, j: x.grad[b, j] += xp.grad[b, j] / sqrt(s[j]) + 2 * (x[b, j] - mu[j]) * s.grad[j] / (B - 1) + mu.grad[j] / B
for b, j: s.grad[j] -= xp.grad[b, j] * xp[b, j] / (2 * s[j])
for b, j: mu.grad[j] -= xp.grad[b, j] / sqrt(s[j])
""", 'incorrect', 'order', "x.grad reads s.grad and mu.grad before they are computed (both still zero).")
add('batchnorm-a-04', 'batchnorm', 'a', """
for b, j: s.grad[j] -= xp.grad[b, j] * xp[b, j] / (2 * s[j])
for b, j: mu.grad[j] -= xp.grad[b, j] / sqrt(s[j])
for b, j: x.grad[b, j] += xp.grad[b, j] / sqrt(s[j]) + 2 * (x[b, j] - mu[j]) * s.grad[j] / B + mu.grad[j] / B
""", 'incorrect', 'factor', "The variance uses 1/(B-1), so ds/dx = 2(x-mu)/(B-1), not 2(x-mu)/B.")
add('batchnorm-a-05', 'batchnorm', 'a', """
for b, j: s.grad[j] -= xp.grad[b, j] * xp[b, j] / (2 * s[j])
for b, j: mu.grad[j] -= xp.grad[b, j] / sqrt(s[j])
for b, j: x.grad[b, j] += xp.grad[b, j] / sqrt(s[j]) + 2 * (x[b, j] - mu[j]) * s.grad[j] / (B - 1)
""", 'incorrect', 'missing_term', "The path x -> mu (mu.grad/B) is missing from x.grad.")
add('batchnorm-a-06', 'batchnorm', 'a', """
for b, j: s.grad[j] += xp.grad[b, j] * xp[b, j] / (2 * s[j])
for b, j: mu.grad[j] -= xp.grad[b, j] / sqrt(s[j])
for b, j: x.grad[b, j] += xp.grad[b, j] / sqrt(s[j]) + 2 * (x[b, j] - mu[j]) * s.grad[j] / (B - 1) + mu.grad[j] / B
""", 'incorrect', 'sign', "d(s^-1/2)/ds = -1/2 s^-3/2: the minus sign is lost in s.grad (and hence in x.grad).")
add('batchnorm-a-07', 'batchnorm', 'a', """
for b, j: s.grad[j] -= xp.grad[b, j] * xp[b, j] / 2
for b, j: mu.grad[j] -= xp.grad[b, j] / sqrt(s[j])
for b, j: x.grad[b, j] += xp.grad[b, j] / sqrt(s[j]) + 2 * (x[b, j] - mu[j]) * s.grad[j] / (B - 1) + mu.grad[j] / B
""", 'incorrect', 'factor', "s.grad is missing the 1/s[j] factor ((x-mu) s^-3/2 = xp / s).")
add('batchnorm-a-08', 'batchnorm', 'a', """
for j: inv[j] = 1 / sqrt(s[j])
for b, j: s.grad[j] += -0.5 * xp.grad[b, j] * (x[b, j] - mu[j]) * inv[j]^3
for b, j: mu.grad[j] -= xp.grad[b, j] * inv[j]
for b, j: x.grad[b, j] += xp.grad[b, j] * inv[j]
for b, j: x.grad[b, j] += 2 * (x[b, j] - mu[j]) * s.grad[j] / (B - 1)
for b, j: x.grad[b, j] += mu.grad[j] / B
""", 'correct', 'none', "Temporary inv = s^-1/2, x.grad split into three += loops; mu.grad without the (zero) s path.")
add('batchnorm-a-09', 'batchnorm', 'a', """
for b, j: s.grad[j] -= xp.grad[b, j] * (x[b, j] - mu[j]) / (2 * s[j] * sqrt(s[j]))
for b, j: mu.grad[j] += -xp.grad[b, j] / sqrt(s[j]) + 2 * (x[b, j] - mu[j]) * s.grad[j] / (B - 1)
for b, j: x.grad[b, j] += xp.grad[b, j] / sqrt(s[j]) + 2 * (x[b, j] - mu[j]) * s.grad[j] / (B - 1) + mu.grad[j] / B
""", 'correct', 'none',
    "The s-path term of mu.grad has the wrong sign (d(x-mu)^2/dmu = -2(x-mu)), but that term sums to zero over b (sum_b (x - mu) = 0), so mu.grad and everything after it are exactly right.")
add('batchnorm-a-10', 'batchnorm', 'a', """
for b, j: s.grad[j] -= xp.grad[b, j] * xp[b, j] / (2 * s[j])
for b, j: mu.grad[j] -= xp.grad[b, j] / sqrt(s[j])
for b, j: x.grad[b, j] += xp.grad[b, j] / sqrt(s[j]) + mu.grad[j] / B
""", 'incorrect', 'missing_term', "x.grad forgets the path through the variance s (2(x-mu)/(B-1) s.grad), which is not zero per element.")
add('batchnorm-a-11', 'batchnorm', 'a', """
for b, j: s.grad[j] -= xp.grad[b, j] * xp[b, j] / (2 * s[j])
for b, j: mu.grad[j] = -xp.grad[b, j] / sqrt(s[j])
for b, j: x.grad[b, j] += xp.grad[b, j] / sqrt(s[j]) + 2 * (x[b, j] - mu[j]) * s.grad[j] / (B - 1) + mu.grad[j] / B
""", 'incorrect', 'assign_vs_accumulate', "mu.grad uses '=' in a loop over b: only the last example's term survives.")
add('batchnorm-a-12', 'batchnorm', 'a', """
for b, j: s.grad[j] -= xp.grad[b, j] * xp[b, j] / (2 * s[j])
for b, j: mu.grad[j] -= xp.grad[b, j] / np.sqrt(s[j])
for b, j: x.grad[b, j] += xp.grad[b, j] / np.sqrt(s[j]) + 2 * (x[b, j] - mu[j]) * s.grad[j] / (B - 1) + mu.grad[j] / B
""", 'unusable', 'none', "np.sqrt is NumPy, not the notation (np is no tensor and a call of an attribute is not allowed).")

# ---------------------------------------------------------------- ugrnn:a (loops for Rt)
add('ugrnn-a-01', 'ugrnn', 'a', """
for b, t, j, i: Rt[b, t, j] += Whr[j, i] * h[b, t-1, i]
for b, t, j, k: Rt[b, t, j] += Wxr[j, k] * x[b, t, k]
for b, t, j: Rt[b, t, j] -= BR[j]
""", 'correct', 'none', "One += loop per sum and a -= for the bias (bias loop without i or k).")
add('ugrnn-a-02', 'ugrnn', 'a', """
for t in 1..T:
    for b, j, i: Rt[b, t, j] += Whr[j, i]*h[b, t-1, i]
    for b, j, k: Rt[b, t, j] += Wxr[j, k]*x[b, t, k]
    for b, j: Rt[b, t, j] -= BR[j]
""", 'correct', 'none', "Same loops inside a time block.")
add('ugrnn-a-03', 'ugrnn', 'a', """
for b, t, j, i: Rt[b, t, j] += Whr[j, i] * h[b, t-1, i] - BR[j]
for b, t, j, k: Rt[b, t, j] += Wxr[j, k] * x[b, t, k]
""", 'incorrect', 'factor', "The bias sits inside the loop over i, so it is subtracted J times instead of once.")
add('ugrnn-a-04', 'ugrnn', 'a', """
for b, t, j, i: Rt[b, t, j] += Whr[j, i] * h[b, t, i]
for b, t, j, k: Rt[b, t, j] += Wxr[j, k] * x[b, t, k]
for b, t, j: Rt[b, t, j] -= BR[j]
""", 'incorrect', 'off_by_one', "Reads h at step t instead of t-1.")
add('ugrnn-a-05', 'ugrnn', 'a', """
for b, t, j, i: Rt[b, t, j] += Whr[i, j] * h[b, t-1, i]
for b, t, j, k: Rt[b, t, j] += Wxr[j, k] * x[b, t, k]
for b, t, j: Rt[b, t, j] -= BR[j]
""", 'incorrect', 'transposed', "W^{h,R} used transposed (Whr[i, j]).")
add('ugrnn-a-06', 'ugrnn', 'a', """
for b, t, j, k: Rt[b, t, j] += Wxr[j, k] * x[b, t, k]
for b, t, j, i: Rt[b, t, j] += Whr[j, i] * h[b, t-1, i]
for b, t, j: Rt[b, t, j] += BR[j]
""", 'incorrect', 'sign', "The bias enters with a minus sign in the definition; here it is added.")
add('ugrnn-a-07', 'ugrnn', 'a', """
for b, t, j, i: Rt[b, t, j] = Whr[j, i] * h[b, t-1, i]
for b, t, j, k: Rt[b, t, j] += Wxr[j, k] * x[b, t, k]
for b, t, j: Rt[b, t, j] -= BR[j]
""", 'incorrect', 'assign_vs_accumulate', "'=' in the loop over i keeps only the last term of the sum over i.")
add('ugrnn-a-08', 'ugrnn', 'a', """
for b, t, j: Rt[b, t, j] -= BR[j]
for b, t, j, k: Rt[b, t, j] += x[b, t, k] * Wxr[j, k]
for b, t, j, i: Rt[b, t, j] += h[b, t-1, i] * Whr[j, i]
""", 'correct', 'none', "+= and -= updates commute: any order gives the same Rt.")

# ---------------------------------------------------------------- ugrnn:b (through stmt 1, params averaged over b)
add('ugrnn-b-01', 'ugrnn', 'b', """
for t in T..1:
    for b, j: BR.grad[j] -= Rt.grad[b, t, j] / B
    for b, j, k: Wxr.grad[j, k] += Rt.grad[b, t, j] * x[b, t, k] / B
    for b, j, i: Whr.grad[j, i] += Rt.grad[b, t, j] * h[b, t-1, i] / B
    for b, j, k: x.grad[b, t, k] += Rt.grad[b, t, j] * Wxr[j, k]
    for b, j, i: h.grad[b, t-1, i] += Rt.grad[b, t, j] * Whr[j, i]
""", 'correct', 'none', "Backward of the three += loops; parameter grads divided by B (batch mean), input grads not.")
add('ugrnn-b-02', 'ugrnn', 'b', """
for b, t, j, i: Whr.grad[j, i] += Rt.grad[b, t, j] * h[b, t-1, i] / B
for b, t, j, i: h.grad[b, t-1, i] += Rt.grad[b, t, j] * Whr[j, i]
for b, t, j, k: Wxr.grad[j, k] += Rt.grad[b, t, j] * x[b, t, k] / B
for b, t, j, k: x.grad[b, t, k] += Rt.grad[b, t, j] * Wxr[j, k]
for b, t, j: BR.grad[j] += -Rt.grad[b, t, j] / B
""", 'correct', 'none', "No time block needed: through statement 1 alone nothing feeds back across steps.")
add('ugrnn-b-03', 'ugrnn', 'b', """
for b, t, j, i: Whr.grad[j, i] += Rt.grad[b, t, j] * h[b, t-1, i]
for b, t, j, i: h.grad[b, t-1, i] += Rt.grad[b, t, j] * Whr[j, i]
for b, t, j, k: Wxr.grad[j, k] += Rt.grad[b, t, j] * x[b, t, k] / B
for b, t, j, k: x.grad[b, t, k] += Rt.grad[b, t, j] * Wxr[j, k]
for b, t, j: BR.grad[j] -= Rt.grad[b, t, j] / B
""", 'incorrect', 'factor', "Whr.grad is summed, not averaged, over the batch (missing 1/B).")
add('ugrnn-b-04', 'ugrnn', 'b', """
for b, t, j, i: Whr.grad[j, i] += Rt.grad[b, t, j] * h[b, t-1, i] / B
for b, t, j, i: h.grad[b, t-1, i] += Rt.grad[b, t, j] * Whr[j, i] / B
for b, t, j, k: Wxr.grad[j, k] += Rt.grad[b, t, j] * x[b, t, k] / B
for b, t, j, k: x.grad[b, t, k] += Rt.grad[b, t, j] * Wxr[j, k] / B
for b, t, j: BR.grad[j] -= Rt.grad[b, t, j] / B
""", 'incorrect', 'factor', "Averages the input gradients h.grad and x.grad too; only parameter gradients are batch means.")
add('ugrnn-b-05', 'ugrnn', 'b', """
for b, t, j, i: Whr.grad[j, i] += Rt.grad[b, t, j] * h[b, t-1, i] / B
for b, t, j, i: h.grad[b, t-1, i] += Rt.grad[b, t, j] * Whr[j, i]
for b, t, j, k: Wxr.grad[j, k] += Rt.grad[b, t, j] * x[b, t, k] / B
for b, t, j, k: x.grad[b, t, k] += Rt.grad[b, t, j] * Wxr[j, k]
for b, t, j: BR.grad[j] += Rt.grad[b, t, j] / B
""", 'incorrect', 'sign', "Rt = ... - BR, so BR.grad = -mean Rt.grad; the sign is lost.")
add('ugrnn-b-06', 'ugrnn', 'b', """
for b, t, j, i: Whr.grad[j, i] += Rt.grad[b, t, j] * h[b, t-1, i] / B
for b, t, j, i: h.grad[b, t-1, i] += Rt.grad[b, t, j] * Whr[i, j]
for b, t, j, k: Wxr.grad[j, k] += Rt.grad[b, t, j] * x[b, t, k] / B
for b, t, j, k: x.grad[b, t, k] += Rt.grad[b, t, j] * Wxr[j, k]
for b, t, j: BR.grad[j] -= Rt.grad[b, t, j] / B
""", 'incorrect', 'transposed', "h.grad needs sum_j Whr[j, i] Rt.grad[j]; Whr[i, j] is the transpose.")
add('ugrnn-b-07', 'ugrnn', 'b', """
for b, t, j, i: Whr.grad[j, i] += Rt.grad[b, t, j] * h[b, t-1, i] / B
for b, t, j, i: h.grad[b, t, i] += Rt.grad[b, t+1, j] * Whr[j, i]
for b, t, j, k: Wxr.grad[j, k] += Rt.grad[b, t, j] * x[b, t, k] / B
for b, t, j, k: x.grad[b, t, k] += Rt.grad[b, t, j] * Wxr[j, k]
for b, t, j: BR.grad[j] -= Rt.grad[b, t, j] / B
""", 'correct', 'none', "h.grad written with the index shifted by one: h[t] feeds Rt[t+1]; Rt.grad[b, T+1, j] reads zero.")
add('ugrnn-b-08', 'ugrnn', 'b', """
for b, t, j, i: Whr.grad[j, i] += Rt.grad[b, t, j] * h[b, t, i] / B
for b, t, j, i: h.grad[b, t-1, i] += Rt.grad[b, t, j] * Whr[j, i]
for b, t, j, k: Wxr.grad[j, k] += Rt.grad[b, t, j] * x[b, t, k] / B
for b, t, j, k: x.grad[b, t, k] += Rt.grad[b, t, j] * Wxr[j, k]
for b, t, j: BR.grad[j] -= Rt.grad[b, t, j] / B
""", 'incorrect', 'off_by_one', "Whr.grad pairs Rt.grad at step t with h at step t; Rt[t] reads h[t-1].")
add('ugrnn-b-09', 'ugrnn', 'b', """
for b, t, j, i: Whr.grad[j, i] += Rt.grad[b, t, j] * h[b, t-1, i] / (B * T)
for b, t, j, i: h.grad[b, t-1, i] += Rt.grad[b, t, j] * Whr[j, i]
for b, t, j, k: Wxr.grad[j, k] += Rt.grad[b, t, j] * x[b, t, k] / (B * T)
for b, t, j, k: x.grad[b, t, k] += Rt.grad[b, t, j] * Wxr[j, k]
for b, t, j: BR.grad[j] -= Rt.grad[b, t, j] / (B * T)
""", 'incorrect', 'factor', "Averages over time as well; the convention is a mean over the B examples only (sum over t).")
add('ugrnn-b-10', 'ugrnn', 'b', """
for b, t, j: BR.grad[j] -= mean(Rt.grad[b, t, j])
for b, t, j, k: Wxr.grad[j, k] += mean(Rt.grad[b, t, j] * x[b, t, k])
for b, t, j, i: Whr.grad[j, i] += mean(Rt.grad[b, t, j] * h[b, t-1, i])
for b, t, j, k: x.grad[b, t, k] += Rt.grad[b, t, j] * Wxr[j, k]
for b, t, j, i: h.grad[b, t-1, i] += Rt.grad[b, t, j] * Whr[j, i]
""", 'unusable', 'none', "'mean' is not a function of the notation.")
