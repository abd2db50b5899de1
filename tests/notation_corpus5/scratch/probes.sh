#!/bin/bash
# Probes around each disagreement (run from /work/main); output in probes.txt
P(){ echo "### $1 :: $2"; .venv/bin/derive check "$1" "$2" 2>&1 | head -${3:-4}; echo; }
I=tests/instructor
echo "== prose after an answer hides a second formula (false correct / false incorrect)"
P batchnorm_stats:d "Var(s) = 2v^2/(B-1) for large batches, and 2v^2/B otherwise"
P dropout:c "Var(y) = v/q when x is centred, otherwise v/q^2"
P he_init:b "sigma_W = sqrt(2/n) for the forward pass or 1/sqrt(n) for a linear layer"
P he_init:b "sigma_W = 1/sqrt(n) for a linear layer, but sqrt(2/n) with the ReLU"
P glorot_init:e "sigma_W = sqrt(2/(n+m)) if n = m, else sqrt(1/(n+m))"
P rnn_unroll:b "O(T), and work O(T^2)"
P $I/attention_cost.yaml:b "work = O(T^2), depth = O(T^5)"
P $I/attention_cost.yaml:b "work = O(T^2), depth = O(log T)"
P he_init:b "sigma_W = sqrt(2/n) or sigma_W = 1/sqrt(n)"
echo "== gelu: Phi' read as the normal density, the reference keeps Phi abstract"
P $I/gelu.yaml:a "for j: z.grad[j] += h.grad[j] * (Phi(z[j]) + z[j] * Phi'(z[j]))" 12
P $I/gelu.yaml:a "for j: z.grad[j] += h.grad[j] * (\\Phi(z[j]) + z[j] \\Phi'(z[j]))"
P $I/gelu.yaml:a "for j: z.grad[j] += h.grad[j] * (Phi(z[j]) + z[j] * exp(-z[j]^2/2) / sqrt(2*pi))" 12
P $I/gelu.yaml:a "for j: z.grad[j] += h.grad[j] * (Phi(z[j]) + z[j] * φ(z[j]))"
echo "== cases inside parentheses / after if"
P $I/leaky_relu.yaml:a $'for j: z.grad[j] += h.grad[j] * (1 if z[j] > 0 else α)\nfor j, i: W.grad[j, i] += z.grad[j] * x[i]\nfor j, i: x.grad[i] += W[j, i] * z.grad[j]'
P $I/leaky_relu.yaml:a $'for j: z.grad[j] += h.grad[j] if z[j] > 0 else α h.grad[j]\nfor j, i: W.grad[j, i] += z.grad[j] * x[i]\nfor j, i: x.grad[i] += W[j, i] * z.grad[j]'
P $I/leaky_relu.yaml:a $'for j: z.grad[j] += h.grad[j] * (1 if z[j] > 0, α otherwise)\nfor j, i: W.grad[j, i] += z.grad[j] * x[i]\nfor j, i: x.grad[i] += W[j, i] * z.grad[j]' 6
P $I/huber_loss.yaml:a $'for k: r.grad[k] += r[k] if |r[k]| <= δ else δ r[k]/|r[k]|\nfor k, i: W.grad[k, i] += r.grad[k] x[i]'
P $I/huber_loss.yaml:a $'for k: r.grad[k] += r[k] if abs(r[k]) <= delta else delta*r[k]/abs(r[k])\nfor k, i: W.grad[k, i] += r.grad[k] * x[i]'
P $I/huber_loss.yaml:a $'for k: r.grad[k] += r[k] if |r[k]| <= δ, δ sign(r[k]) otherwise\nfor k, i: W.grad[k, i] += r.grad[k] x[i]'
P $I/huber_loss.yaml:a $'for k: r.grad[k] += r[k] (|r[k]| ≤ δ) + δ sign(r[k]) (|r[k]| > δ)\nfor k, i: W.grad[k, i] += r.grad[k] x[i]' 8
echo "== numbers: transposed tuples, scientific notation"
P mlp_numeric:forward $'z = (1, −3)ᵀ\nh = (1, 0)ᵀ\ny = 3\nC = 2'
P mlp_numeric:forward $'z = [1, -3]^T\nh = [1, 0]^T\ny = 3\nC = 2'
P $I/adam_step.yaml:a $'g = [-2.2, -4.4]\nm1 = [-0.22, -0.44]\nv1 = [4.84e-3, 1.936e-2]\nw1 = [0.501, -0.299]'
P $I/adam_step.yaml:a $'g = [-2.2, -4.4]\nm1 = [-0.22, -0.44]\nv1 = [4.84*10^-3, 1.936*10^-2]\nw1 = [0.501, -0.299]'
P $I/adam_step.yaml:a $'g = [-2.2, -4.4]\nm1 = [-0.22, -0.44]\nv1 = [4.84 \\times 10^{-3}, 1.936 \\times 10^{-2}]\nw1 = [0.501, -0.299]'
P $I/numeric_231.yaml:forward "z = 1"
echo "== costs with colons; recurrences with a second equation on the line"
P $I/attention_cost.yaml:a $'work: O(T^2)\ndepth: O(log T)'
P $I/attention_cost.yaml:a $'work = O(T^2)\ndepth = O(log T)'
P $I/attention_cost.yaml:a "work O(T^2), depth O(log T)"
P fixup_scaling:a $'Var(x_{ℓ+1}) = (1 + s⁴) Var(x_ℓ)\nVar(x_ℓ) = (1 + s⁴)^ℓ'
P fixup_scaling:a "Var(x_{ℓ+1}) = (1 + s⁴) Var(x_ℓ), so Var(x_ℓ) = (1 + s⁴)^ℓ"
P fixup_scaling:a "Var(x_{ℓ+1}) = (1 + s⁴) Var(x_ℓ), so Var(x_ℓ) = (1 + s²)^ℓ"
echo "== justification in parentheses / chains through an intermediate's moment"
P he_init:a "n σ_W² v / 2   (since E[relu(z)²] = v/2 for a symmetric z)"
P he_init:a "n σ_W² v / 2, since E[relu(z)²] = v/2 for a symmetric z"
P he_init:a "Var(z1) = n σ_W² E[h²]"
P he_init:a "Var(z1) = n σ_W² E[z0²]/2"
P glorot_init:d "sigma_W = 1/sqrt m"
echo "== extent of the prose rule: self-corrections and trailing formulas"
P batchnorm_stats:d "Var(s) = 2v^2/(B-1) is what I first got, but the answer is 2v^2/B"
P he_init:b "sigma_W = sqrt(2/n) was my first guess; the right one is 1/sqrt(n)"
P dropout:c "Var(y) = v/q in the limit of large n, otherwise v/q^2"
P init_variance:a "sigma_W = 1/sqrt(d) in expectation but 1/d for each sample"
P momentum_variance:b "s = sqrt(v(1+beta)/(1-beta)) is wrong, it should be s = sqrt(v)"
P he_init:e "smaller at first sight, but actually equal"
P rnn_lm_cost:a "O(T) for the forward pass and O(T^2) for the backward pass"
P $I/dropout.yaml:a "for b, j: x.grad[b, j] += y.grad[b, j] * m[b, j] / q and then divide by q again"
P $I/label_smoothing.yaml:a "for b, j: s.grad[b, j] += p[b, j] - y[b, j], plus the smoothing term eps/C"
