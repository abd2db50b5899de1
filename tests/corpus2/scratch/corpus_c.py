# corpus2 entries, part C: mlp_ce_l2, mlp_regression, mlp_classification, mlp_numeric
from corpus_a import add, E

# ---------------------------------------------------------------- mlp_ce_l2:grad
CE_1 = """
d2[j] = yhat[j] - y[j]
W2.grad[j, k] = d2[j] * z[k] + lam * W2[j, k]
b2.grad[j] = d2[j]
d1[k] = W2[J, k] * d2[J] * z[k] * (1 - z[k])
W1.grad[k, i] = d1[k] * x[i] + lam * W1[k, i]
b1.grad[k] = d1[k]
"""
add('ce_l2-grad-01', 'mlp_ce_l2', 'grad', CE_1, 'correct', 'none',
    "Softmax + cross-entropy with a one-hot y: dL/da2 = yhat - y; back through W2 (sum over j) and the sigmoid; L2 adds lam*W to the weight gradients only.")
add('ce_l2-grad-02', 'mlp_ce_l2', 'grad', """
for j: a2.grad[j] = Loss.grad * (yhat[j] - y[j])
for j, k: W2.grad[j, k] += a2.grad[j] * z[k]
for j, k: W2.grad[j, k] += lam * Loss.grad * W2[j, k]
for j: b2.grad[j] += a2.grad[j]
for j, k: z.grad[k] += W2[j, k] * a2.grad[j]
for k: a1.grad[k] = z.grad[k] * z[k] * (1 - z[k])
for k, i: W1.grad[k, i] += a1.grad[k] * x[i] + lam * Loss.grad * W1[k, i]
for k: b1.grad[k] += a1.grad[k]
""", 'correct', 'none', "Backward loops with the upstream Loss.grad (= 1 for the gradient of L).")
add('ce_l2-grad-03', 'mlp_ce_l2', 'grad', CE_1.replace(" + lam * W2[j, k]", "").replace(" + lam * W1[k, i]", ""),
    'incorrect', 'missing_term', "Forgets the L2 penalty's gradient lam*W in both weight gradients.")
add('ce_l2-grad-04', 'mlp_ce_l2', 'grad', CE_1.replace("b2.grad[j] = d2[j]", "b2.grad[j] = d2[j] + lam * b2[j]").replace("b1.grad[k] = d1[k]", "b1.grad[k] = d1[k] + lam * b1[k]"),
    'incorrect', 'extra_term', "The penalty is on the weights only, not on the biases.")
add('ce_l2-grad-05', 'mlp_ce_l2', 'grad', CE_1.replace("W2[J, k] * d2[J]", "W2[k, J] * d2[J]"),
    'incorrect', 'transposed', "Back through W2 needs sum_j W2[j, k] d2[j] (W2^T d2); W2[k, J] is the transpose (and out of shape).")
add('ce_l2-grad-06', 'mlp_ce_l2', 'grad', CE_1.replace("d2[j] = yhat[j] - y[j]", "d2[j] = y[j] - yhat[j]"),
    'incorrect', 'sign', "dL/da2 = yhat - y; reversed.")
add('ce_l2-grad-07', 'mlp_ce_l2', 'grad', CE_1.replace("z[k] * (1 - z[k])", "a1[k] * (1 - a1[k])"),
    'incorrect', 'preactivation', "sigma'(a1) = z(1-z); written with the pre-activation a1.")
add('ce_l2-grad-08', 'mlp_ce_l2', 'grad', CE_1.replace("lam * W2[j, k]", "2 * lam * W2[j, k]").replace("lam * W1[k, i]", "2 * lam * W1[k, i]"),
    'incorrect', 'factor', "d(lam/2 W^2)/dW = lam W, not 2 lam W.")
add('ce_l2-grad-09', 'mlp_ce_l2', 'grad', """
W1.grad = (W2.T @ (yhat - y) * z * (1 - z)) @ x.T + lam * W1
b1.grad = W2.T @ (yhat - y) * z * (1 - z)
W2.grad = (yhat - y) @ z.T + lam * W2
b2.grad = yhat - y
""", 'unusable', 'none', "NumPy matrix code (@, .T) without indices: not the notation.")

# ---------------------------------------------------------------- mlp_ce_l2:sgd
SGD_1 = """
d2[j] = yhat[j] - y[j]
d1[k] = W2[J, k] * d2[J] * z[k] * (1 - z[k])
W2[j, k] -= eta * (d2[j] * z[k] + lam * W2[j, k])
b2[j] -= eta * d2[j]
W1[k, i] -= eta * (d1[k] * x[i] + lam * W1[k, i])
b1[k] -= eta * d1[k]
"""
add('ce_l2-sgd-01', 'mlp_ce_l2', 'sgd', SGD_1, 'correct', 'none',
    "Both deltas are computed from the old weights first, then every parameter moves against its gradient; the decay term is inside the eta factor.")
add('ce_l2-sgd-02', 'mlp_ce_l2', 'sgd', SGD_1.replace("-= eta", "+= eta"),
    'incorrect', 'sign', "Gradient ascent: the step must subtract eta times the gradient.")
add('ce_l2-sgd-03', 'mlp_ce_l2', 'sgd', """
d2[j] = yhat[j] - y[j]
d1[k] = W2[J, k] * d2[J] * z[k] * (1 - z[k])
W2[j, k] = W2[j, k] - eta * d2[j] * z[k] - lam * W2[j, k]
b2[j] = b2[j] - eta * d2[j]
W1[k, i] = W1[k, i] - eta * d1[k] * x[i] - lam * W1[k, i]
b1[k] = b1[k] - eta * d1[k]
""", 'incorrect', 'factor', "The weight-decay term is not multiplied by the learning rate (W -= eta*grad_CE + lam*W).")
add('ce_l2-sgd-04', 'mlp_ce_l2', 'sgd', """
d2[j] = yhat[j] - y[j]
W2[j, k] -= eta * (d2[j] * z[k] + lam * W2[j, k])
b2[j] -= eta * d2[j]
d1[k] = W2[J, k] * d2[J] * z[k] * (1 - z[k])
W1[k, i] -= eta * (d1[k] * x[i] + lam * W1[k, i])
b1[k] -= eta * d1[k]
""", 'incorrect', 'order', "W2 is updated before d1 is computed, so the hidden-layer delta uses the new W2 instead of the one of the forward pass.")
add('ce_l2-sgd-05', 'mlp_ce_l2', 'sgd', """
for j: g2[j] = yhat[j] - y[j]
for j, k: W2.grad[j, k] = g2[j] * z[k] + lam * W2[j, k]
for j: b2.grad[j] = g2[j]
for j, k: z.grad[k] += W2[j, k] * g2[j]
for k: g1[k] = z.grad[k] * z[k] * (1 - z[k])
for k, i: W1.grad[k, i] = g1[k] * x[i] + lam * W1[k, i]
for k: b1.grad[k] = g1[k]
for k, i: W1[k, i] = W1[k, i] - eta * W1.grad[k, i]
for k: b1[k] = b1[k] - eta * b1.grad[k]
for j, k: W2[j, k] = W2[j, k] - eta * W2.grad[j, k]
for j: b2[j] = b2[j] - eta * b2.grad[j]
""", 'correct', 'none', "All gradients first, then the four updates written as W = W - eta*grad.")
add('ce_l2-sgd-06', 'mlp_ce_l2', 'sgd', SGD_1.replace("b2[j] -= eta * d2[j]", "b2[j] -= eta * (d2[j] + lam * b2[j])").replace("b1[k] -= eta * d1[k]", "b1[k] -= eta * (d1[k] + lam * b1[k])"),
    'incorrect', 'extra_term', "Decays the biases too; the penalty covers only W1 and W2.")
add('ce_l2-sgd-07', 'mlp_ce_l2', 'sgd', SGD_1.replace("b1[k] -= eta * d1[k]\n", ""),
    'incorrect', 'partial', "No update is given for b1 (one of the four parameters asked for).")
add('ce_l2-sgd-08', 'mlp_ce_l2', 'sgd', """
d2[j] = yhat[j] - y[j]
d1[k] = W2[J, k] * d2[J] * z[k] * (1 - z[k])
W2[j, k] = (1 - eta * lam) * W2[j, k] - eta * d2[j] * z[k]
b2[j] += -eta * d2[j]
W1[k, i] = (1 - eta * lam) * W1[k, i] - eta * d1[k] * x[i]
b1[k] += -eta * d1[k]
""", 'correct', 'none', "Weight-decay form: (1 - eta lam) W - eta grad_CE is the same step.")

# ---------------------------------------------------------------- mlp_regression:b (Loss.grad = 1)
REG_1 = """
b2.grad[k] = 2 * (yhat[k] - y[k])
W2.grad[k, j] = 2 * (yhat[k] - y[k]) * z2[j]
z2.grad[j] = 2 * W2[K, j] * (yhat[K] - y[K])
b1.grad[j] = step(z1[j]) * z2.grad[j]
W1.grad[j, i] = step(z1[j]) * z2.grad[j] * x[i]
"""
add('mlp_reg-b-01', 'mlp_regression', 'b', REG_1, 'correct', 'none',
    "dl/dyhat = 2(yhat - y), g = identity, through W2^T and the ReLU mask step(z1).")
add('mlp_reg-b-02', 'mlp_regression', 'b', """
for k: yhat.grad[k] = 2 * Loss.grad * (yhat[k] - y[k])
for k: z3.grad[k] = yhat.grad[k]
for k: b2.grad[k] += z3.grad[k]
for k, j: W2.grad[k, j] += z3.grad[k] * z2[j]
for k, j: z2.grad[j] += W2[k, j] * z3.grad[k]
for j: z1.grad[j] = (z2[j] > 0) * z2.grad[j]
for j: b1.grad[j] += z1.grad[j]
for j, i: W1.grad[j, i] += z1.grad[j] * x[i]
""", 'correct', 'none', "Module-by-module backward loops; (z2 > 0) equals (z1 > 0) since z2 = relu(z1).")
add('mlp_reg-b-03', 'mlp_regression', 'b', REG_1.replace("2 * ", ""),
    'incorrect', 'factor', "The loss has no 1/2, so its derivative is 2(yhat - y); the 2 is dropped everywhere.")
add('mlp_reg-b-04', 'mlp_regression', 'b', REG_1.replace("W1.grad[j, i] = step(z1[j]) * z2.grad[j] * x[i]", "W1.grad[j, i] = z2.grad[j] * x[i]"),
    'incorrect', 'local_missing', "W1.grad forgets the ReLU mask (b1.grad has it).")
add('mlp_reg-b-05', 'mlp_regression', 'b', REG_1.replace("b2.grad[k] = 2 * (yhat[k] - y[k])", "b2.grad[k] = 2 * (y[k] - yhat[k])"),
    'incorrect', 'sign', "b2.grad has the sign of (y - yhat); it is 2(yhat - y).")

# ---------------------------------------------------------------- mlp_regression:c,d,e
add('mlp_reg-c-01', 'mlp_regression', 'c', "z1.grad[j] = step(z1[j]) * z2.grad[j]", 'correct', 'none', "The ReLU Jacobian is diagonal with step(z1).")
add('mlp_reg-c-02', 'mlp_regression', 'c', "for j: z1.grad[j] += (z1[j] > 0) * z2.grad[j]", 'correct', 'none', "Indicator form of the same diagonal.")
add('mlp_reg-c-03', 'mlp_regression', 'c', "z1.grad[j] = z2[j] * z2.grad[j]", 'incorrect', 'other',
    "Multiplies by the ReLU output relu(z1) instead of its slope step(z1).")
add('mlp_reg-c-04', 'mlp_regression', 'c', "z1.grad[j] = step(z1[j])", 'incorrect', 'other',
    "Gives the Jacobian's diagonal but not the gradient: the upstream z2.grad is missing.")
add('mlp_reg-d-01', 'mlp_regression', 'd', "z3.grad[k] = yhat.grad[k]", 'correct', 'none', "g is the identity: its Jacobian is I.")
add('mlp_reg-d-02', 'mlp_regression', 'd', "for k: z3.grad[k] += 1 * yhat.grad[k]", 'correct', 'none', "Same, as a += loop.")
add('mlp_reg-d-03', 'mlp_regression', 'd', "z3.grad[k] = 2 * (yhat[k] - y[k])", 'incorrect', 'wrong_tensor',
    "Puts the loss gradient in place of the upstream yhat.grad; the part asks for the Jacobian of g applied to yhat.grad.")
add('mlp_reg-e-01', 'mlp_regression', 'e', "yhat.grad[k] = 2 * (yhat[k] - y[k])", 'correct', 'none', "d||yhat - y||^2/dyhat = 2(yhat - y).")
add('mlp_reg-e-02', 'mlp_regression', 'e', "for k: yhat.grad[k] += 2 * Loss.grad * (z3[k] - y[k])", 'correct', 'none', "yhat = z3 (identity output); Loss.grad = 1.")
add('mlp_reg-e-03', 'mlp_regression', 'e', "yhat.grad[k] = yhat[k] - y[k]", 'incorrect', 'factor', "Missing the factor 2 (the loss has no 1/2).")
add('mlp_reg-e-04', 'mlp_regression', 'e', "yhat.grad[k] = 2 * (y[k] - yhat[k])", 'incorrect', 'sign', "Sign reversed.")
add('mlp_reg-e-05', 'mlp_regression', 'e', "yhat.grad[k] == 2 * (yhat[k] - y[k])", 'unusable', 'none',
    "'==' is a comparison, not an assignment: there is no statement.")

# ---------------------------------------------------------------- mlp_classification:b (Loss.grad = 1)
CL_1 = """
d3[k] = (yhat[k] - y[k]) / K
b2.grad[k] = d3[k]
W2.grad[k, j] = d3[k] * z2[j]
d1[j] = W2[K, j] * d3[K] * z2[j] * (1 - z2[j])
b1.grad[j] = d1[j]
W1.grad[j, i] = d1[j] * x[i]
"""
add('mlp_cls-b-01', 'mlp_classification', 'b', CL_1, 'correct', 'none',
    "Sigmoid + BCE averaged over K: dl/dz3 = (yhat - y)/K; back through W2^T and sigma'(z1) = z2(1-z2).")
add('mlp_cls-b-02', 'mlp_classification', 'b', CL_1.replace("d3[k] = (yhat[k] - y[k]) / K", "d3[k] = yhat[k] - y[k]"),
    'incorrect', 'factor', "Forgets the 1/K of the averaged loss.")
add('mlp_cls-b-03', 'mlp_classification', 'b', CL_1.replace("z2[j] * (1 - z2[j])", "z1[j] * (1 - z1[j])"),
    'incorrect', 'preactivation', "sigma' written with the pre-activation z1 instead of z2 = sigma(z1).")
add('mlp_cls-b-04', 'mlp_classification', 'b', """
for k: yhat.grad[k] = -Loss.grad * (y[k] / yhat[k] - (1 - y[k]) / (1 - yhat[k])) / K
for k: z3.grad[k] = yhat.grad[k] * yhat[k] * (1 - yhat[k])
for k: b2.grad[k] += z3.grad[k]
for k, j: W2.grad[k, j] += z3.grad[k] * z2[j]
for k, j: z2.grad[j] += W2[k, j] * z3.grad[k]
for j: z1.grad[j] = z2.grad[j] * z2[j] * (1 - z2[j])
for j: b1.grad[j] += z1.grad[j]
for j, i: W1.grad[j, i] += z1.grad[j] * x[i]
""", 'correct', 'none', "Unsimplified chain through yhat.grad and the output sigmoid; equal to (yhat - y)/K at z3.")
add('mlp_cls-b-05', 'mlp_classification', 'b', CL_1.replace("W2[K, j] * d3[K]", "W2[j, K] * d3[K]"),
    'incorrect', 'transposed', "Needs sum_k W2[k, j] d3[k]; W2[j, K] is the transpose (and out of shape).")
add('mlp_cls-b-06', 'mlp_classification', 'b', CL_1.replace("b2.grad[k] = d3[k]", "b2.grad[k] = -d3[k]").replace("b1.grad[j] = d1[j]", "b1.grad[j] = -d1[j]"),
    'incorrect', 'sign', "Bias gradients negated (the biases are added, not subtracted, in this network).")

add('mlp_cls-c-01', 'mlp_classification', 'c', "z1.grad[j] = z2[j] * (1 - z2[j]) * z2.grad[j]", 'correct', 'none', "Diagonal sigmoid Jacobian z2(1 - z2).")
add('mlp_cls-c-02', 'mlp_classification', 'c', "for j: z1.grad[j] += (z2[j] - z2[j]^2) * z2.grad[j]", 'correct', 'none', "z2 - z2^2 = z2(1 - z2).")
add('mlp_cls-c-03', 'mlp_classification', 'c', "z1.grad[j] = sigma(z1[j]) * (1 - sigma(z1[j])) * z2.grad[j]", 'correct', 'none', "Recomputes z2 = sigma(z1).")
add('mlp_cls-c-04', 'mlp_classification', 'c', "z1.grad[j] = z1[j] * (1 - z1[j]) * z2.grad[j]", 'incorrect', 'preactivation', "Uses z1 where sigma(z1) belongs.")

add('mlp_cls-d-01', 'mlp_classification', 'd', "z3.grad[k] = yhat[k] * (1 - yhat[k]) * yhat.grad[k]", 'correct', 'none', "Diagonal Jacobian yhat(1 - yhat).")
add('mlp_cls-d-02', 'mlp_classification', 'd', "z3.grad[k] = exp(-z3[k]) / (1 + exp(-z3[k]))^2 * yhat.grad[k]", 'correct', 'none', "sigma'(z) = e^-z/(1+e^-z)^2.")
add('mlp_cls-d-03', 'mlp_classification', 'd', "z3.grad[k] = yhat[k] * (1 - yhat[k])", 'incorrect', 'other', "Missing the upstream yhat.grad (gives only the Jacobian's diagonal).")
add('mlp_cls-d-04', 'mlp_classification', 'd', "z3.grad[k] = yhat.grad[k] * (yhat[k] * (1 - yhat[k]))^2", 'incorrect', 'local_twice', "The local derivative is applied twice.")
add('mlp_cls-d-05', 'mlp_classification', 'd', "z3.grad[k] = yhat.grad[k] * sigmoid'(z3[k])", 'unusable', 'none', "sigmoid' is not a function of the notation (the apostrophe cannot be parsed).")

add('mlp_cls-e-01', 'mlp_classification', 'e', "yhat.grad[k] = -(y[k] / yhat[k] - (1 - y[k]) / (1 - yhat[k])) / K", 'correct', 'none', "Derivative of the averaged BCE.")
add('mlp_cls-e-02', 'mlp_classification', 'e', "yhat.grad[k] = (yhat[k] - y[k]) / (K * yhat[k] * (1 - yhat[k]))", 'correct', 'none',
    "Same fraction over a common denominator: (-y(1-yhat) + (1-y) yhat) = yhat - y.")
add('mlp_cls-e-03', 'mlp_classification', 'e', "yhat.grad[k] = -(y[k] / yhat[k] - (1 - y[k]) / (1 - yhat[k]))", 'incorrect', 'factor', "Forgets the 1/K.")
add('mlp_cls-e-04', 'mlp_classification', 'e', "yhat.grad[k] = (yhat[k] - y[k]) / K", 'incorrect', 'wrong_tensor', "That is z3.grad (after the sigmoid's Jacobian), not yhat.grad.")
add('mlp_cls-e-05', 'mlp_classification', 'e', "for k: yhat.grad[k] += (y[k] / yhat[k] - (1 - y[k]) / (1 - yhat[k])) / K", 'incorrect', 'sign', "The loss has a minus sign in front; it is lost.")

# ---------------------------------------------------------------- mlp_numeric:forward
add('mlp_num-fwd-01', 'mlp_numeric', 'forward', "z = [1, -3]\nh = [1, 0]\ny = 3\nC = 2", 'correct', 'none',
    "z = W x = (-1+2, 1-4) = (1, -3); h = relu = (1, 0); y = 3*1 - 1*0 = 3; C = (3-1)^2/2 = 2.")
add('mlp_num-fwd-02', 'mlp_numeric', 'forward', "C = 2.00\ny = 3.0\nh = [1.0, 0.0]\nz = [1.0, -3.0]", 'correct', 'none', "Decimals, lines in another order.")
add('mlp_num-fwd-03', 'mlp_numeric', 'forward', "z = [1, -3]\nh = [1, -3]\ny = 6\nC = 12.5", 'incorrect', 'other',
    "ReLU not applied (h = z); y and C follow from that wrong h.")
add('mlp_num-fwd-04', 'mlp_numeric', 'forward', "z = [1, -3]\nh = [1, 0]\ny = 3\nC = 4", 'incorrect', 'factor', "C = (y - t)^2 / 2 = 2; the 1/2 is forgotten.")
add('mlp_num-fwd-05', 'mlp_numeric', 'forward', "z = [1, -3]\nh = [1, 0]\ny = 3", 'incorrect', 'partial', "C is not given.")
add('mlp_num-fwd-06', 'mlp_numeric', 'forward', "z = [1, -3]\nh = [1, 0]\ny = 3\nC = 2\nW.grad = [[6, 12], [0, 0]]", 'unusable', 'none',
    "A line names W.grad, which the forward part does not ask about.")
add('mlp_num-fwd-07', 'mlp_numeric', 'forward', "z = [1, -3]\nh = [1, 0]\ny = 6\nC = 12.5", 'incorrect', 'preactivation',
    "h is right, but y is computed from the pre-activations (v.z = 3 + 3 = 6) instead of v.h = 3; C follows from the wrong y.")

# ---------------------------------------------------------------- mlp_numeric:backward
add('mlp_num-bwd-01', 'mlp_numeric', 'backward', """
y.grad = 2
h.grad = [6, -2]
z.grad = [6, 0]
x.grad = [-6, 6]
v.grad = [2, 0]
W.grad = [[6, 12], [0, 0]]
""", 'correct', 'none', "y.grad = y - t = 2; h.grad = 2 v; z.grad = h.grad*step(z) = (6, 0); x.grad = W^T z.grad; v.grad = 2 h; W.grad = z.grad x^T.")
add('mlp_num-bwd-02', 'mlp_numeric', 'backward', """
W.grad = [[6.0, 12.0], [0.0, 0.0]]
v.grad = [2.0, 0.0]
x.grad = [-6.0, 6.0]
z.grad = [6.0, 0.0]
h.grad = [6.0, -2.0]
y.grad = 2.0
""", 'correct', 'none', "Same values as decimals, in reverse order.")
add('mlp_num-bwd-03', 'mlp_numeric', 'backward', """
y.grad = 2
h.grad = [6, -2]
z.grad = [6, -2]
x.grad = [-8, 10]
v.grad = [2, 0]
W.grad = [[6, 12], [-2, -4]]
""", 'incorrect', 'local_missing', "The ReLU mask is not applied (z_2 = -3 < 0 must block the gradient); x.grad and W.grad inherit the error.")
add('mlp_num-bwd-04', 'mlp_numeric', 'backward', """
y.grad = 2
h.grad = [6, -2]
z.grad = [6, 0]
x.grad = [-6, 6]
v.grad = [2, 0]
W.grad = [[6, 0], [12, 0]]
""", 'incorrect', 'transposed', "W.grad = z.grad x^T = [[6, 12], [0, 0]]; this is its transpose.")
add('mlp_num-bwd-05', 'mlp_numeric', 'backward', """
y.grad = -2
h.grad = [-6, 2]
z.grad = [-6, 0]
x.grad = [6, -6]
v.grad = [-2, 0]
W.grad = [[-6, -12], [0, 0]]
""", 'incorrect', 'sign', "dC/dy = y - t = 2, not t - y; every value has the wrong sign.")
add('mlp_num-bwd-06', 'mlp_numeric', 'backward', """
y.grad = 2
h.grad = [6, -2]
z.grad = [6, 0]
v.grad = [2, 0]
W.grad = [[6, 12], [0, 0]]
""", 'incorrect', 'partial', "x.grad is missing.")
add('mlp_num-bwd-07', 'mlp_numeric', 'backward', """
y.grad = 2
h.grad = [6, -2]
z.grad = [6, 0]
x.grad = [-6, 6]
v.grad = [6, -2]
W.grad = [[6, 12], [0, 0]]
""", 'incorrect', 'wrong_tensor', "v.grad = y.grad * h = (2, 0); the student copied h.grad.")
add('mlp_num-bwd-08', 'mlp_numeric', 'backward', """
y.grad = 2
h.grad = [6; -2]
z.grad = [6; 0]
x.grad = [-6; 6]
v.grad = [2; 0]
W.grad = [6 12; 0 0]
""", 'unusable', 'none', "MATLAB-style vectors with ';' and spaces are not the notation's lists.")

# ---------------------------------------------------------------- mlp_numeric:vectorized (gradient from C, C.grad = 1)
add('mlp_num-vec-01', 'mlp_numeric', 'vectorized', """
v.grad[i] = (y - t) * h[i]
h.grad[i] = (y - t) * v[i]
z.grad[i] = h.grad[i] * step(z[i])
W.grad[i, j] = z.grad[i] * x[j]
""", 'correct', 'none', "grad_v = (y-t) h, grad_h = (y-t) v, grad_z = grad_h o step(z), grad_W = grad_z x^T.")
add('mlp_num-vec-02', 'mlp_numeric', 'vectorized', """
y.grad = C.grad * (y - t)
for i: v.grad[i] += y.grad * h[i]
for i: h.grad[i] += y.grad * v[i]
for i: z.grad[i] += (z[i] > 0) * h.grad[i]
for i, j: W.grad[i, j] += z.grad[i] * x[j]
""", 'correct', 'none', "Loops with the upstream C.grad (= 1).")
add('mlp_num-vec-03', 'mlp_numeric', 'vectorized', """
v.grad[i] = (y - t) * h[i]
h.grad[i] = (y - t) * v[i]
z.grad[i] = h.grad[i] * step(z[i])
W.grad[i, j] = z.grad[j] * x[i]
""", 'incorrect', 'transposed', "W.grad written as x z.grad^T; W[i, j] connects input j to hidden unit i, so it is z.grad[i] x[j].")
add('mlp_num-vec-04', 'mlp_numeric', 'vectorized', """
v.grad[i] = (y - t) * h[i]
h.grad[i] = (y - t) * v[i]
z.grad[i] = h.grad[i]
W.grad[i, j] = z.grad[i] * x[j]
""", 'incorrect', 'local_missing', "z.grad misses the ReLU mask step(z).")
add('mlp_num-vec-05', 'mlp_numeric', 'vectorized', """
v.grad[i] = (y - t) * z[i]
h.grad[i] = (y - t) * v[i]
z.grad[i] = h.grad[i] * step(z[i])
W.grad[i, j] = z.grad[i] * x[j]
""", 'incorrect', 'preactivation', "v multiplies the activation h, so v.grad = (y - t) h, not (y - t) z.")
add('mlp_num-vec-06', 'mlp_numeric', 'vectorized', """
v.grad[i] = (y - t) * h[i]
h.grad[i] = (y - t) * h[i]
z.grad[i] = h.grad[i] * step(z[i])
W.grad[i, j] = z.grad[i] * x[j]
""", 'incorrect', 'wrong_tensor', "h.grad = (y - t) v; h was used instead of v.")
