"""Moments, solves (put back into their condition), choices and costs."""
import numpy as np
from math import log, sqrt, exp
from moments import REF

E = []
def add(problem, part, answer, notation, why, check):
    E.append(dict(problem=problem, part=part, answer=answer, notation=notation, why=why, check=check))
R = np.random.default_rng(5)
def pts():
    return dict(n=int(R.integers(2, 9)), m=int(R.integers(2, 9)), n_out=int(R.integers(2, 9)), n_in=int(R.integers(2, 9)),
                B=int(R.integers(2, 9)), D=int(R.integers(1, 5)), J=int(R.integers(1, 5)), L=int(R.integers(3, 9)),
                l=int(R.integers(0, 3)), t=int(R.integers(0, 6)), sigma_W=R.uniform(.1, 1.5), g=R.uniform(.2, 2),
                v=R.uniform(.2, 2), mu=R.uniform(-1, 1), q=R.uniform(.1, .9), beta=R.uniform(.1, .9), s=R.uniform(.1, 1.5))
def mom(key, f):
    def c():
        for _ in range(30):
            p = pts()
            if not np.isclose(f(**p), REF[key](**p), rtol=1e-9):
                return False
        return True
    return c
def solve(cond):
    """cond(**p) -> (lhs, rhs) after putting the student's solution in."""
    def c():
        for _ in range(30):
            a, b = cond(**pts())
            if not np.isclose(a, b, rtol=1e-9):
                return False
        return True
    return c

# he_backward
add("he_backward", "b", r"\operatorname{Var}(x_{\ell}.\mathrm{grad}) = \frac{1}{2} n_{out} \sigma_W^{2} g", ["latex"], "n_out terms of variance sigma_W^2 g, times E[step(x)^2] = 1/2", mom(("he_backward", "b"), lambda n_out, sigma_W, g, **_: n_out * sigma_W**2 * g / 2))
add("he_backward", "b", "Var(x.grad) = n_out · Var(W) · Var(y.grad) · E[1[x > 0]]", ["unicode", "keyboard"], "in terms of the moments of the inputs: Var(W) = sigma_W^2, Var(y.grad) = g, E[1[x>0]] = 1/2", mom(("he_backward", "b"), lambda n_out, sigma_W, g, **_: n_out * sigma_W**2 * g * 0.5))
add("he_backward", "b", "Var(x.grad) = n_out σ_W² g", ["unicode", "implicit"], "missing factor 1/2: the ReLU passes the gradient only half the time", mom(("he_backward", "b"), lambda n_out, sigma_W, g, **_: n_out * sigma_W**2 * g))
add("he_backward", "b", "Var(x.grad) = n_in σ_W² g / 2", ["unicode", "implicit"], "fan-in instead of fan-out: x.grad sums over the n_out units above", mom(("he_backward", "b"), lambda n_in, sigma_W, g, **_: n_in * sigma_W**2 * g / 2))
hb = lambda sw: (lambda n_out, g, **_: (REF[("he_backward", "b")](n_out=n_out, sigma_W=sw(n_out=n_out, n_in=3), g=g), g))
add("he_backward", "c", "σ_W = √2/√n_out", ["unicode"], "n_out sigma^2/2 = 1", solve(lambda n_out, g, **_: (n_out * (sqrt(2) / sqrt(n_out))**2 * g / 2, g)))
add("he_backward", "c", r"\sigma_W = \left(\frac{2}{n_{out}}\right)^{1/2}", ["latex"], "the same as a power 1/2", solve(lambda n_out, g, **_: (n_out * ((2 / n_out)**0.5)**2 * g / 2, g)))
add("he_backward", "c", "sigma_W = 2/n_out", ["keyboard"], "missing square root", solve(lambda n_out, g, **_: (n_out * (2 / n_out)**2 * g / 2, g)))
add("he_backward", "c", "σ_W = sqrt(2 / n_in)", ["unicode", "keyboard"], "fan-in: that is the forward condition, not the backward one", solve(lambda n_out, n_in, g, **_: (n_out * (2 / n_in) * g / 2, g)))
add("he_backward", "d", "smaller: with Var(W) = 1/n_out the ReLU still halves it, so Var(x.grad) = g/2 < g", ["keyboard"], "n_out (1/n_out) g / 2 = g/2", lambda: REF[("he_backward", "b")](n_out=4, sigma_W=sqrt(1 / 4), g=1.0) < 1.0)
add("he_backward", "d", "equal, since 1/n_out is exactly the variance that preserves the backward pass", ["keyboard"], "ignores the ReLU, which halves the variance", lambda: abs(REF[("he_backward", "b")](n_out=4, sigma_W=sqrt(1 / 4), g=1.0) - 1.0) < 1e-12)

# glorot
add("glorot_init", "a", "Var(y_j) = n σ_W² v", ["unicode", "implicit"], "n independent products of variance sigma_W^2 v", mom(("glorot_init", "a"), lambda n, sigma_W, v, **_: n * sigma_W**2 * v))
add("glorot_init", "a", "Var(y) = n · Var(W) · Var(x)", ["unicode"], "in terms of the inputs' variances", mom(("glorot_init", "a"), lambda n, sigma_W, v, **_: n * sigma_W**2 * v))
add("glorot_init", "a", "Var(y) = m sigma_W^2 v", ["keyboard", "implicit"], "fan-out instead of fan-in: y[j] sums over the n inputs", mom(("glorot_init", "a"), lambda m, sigma_W, v, **_: m * sigma_W**2 * v))
add("glorot_init", "b", r"\mathrm{Var}\left(x.\mathrm{grad}_i\right) = m \, \sigma_W^{2} \, g", ["latex"], "x.grad[i] sums W[j, i] y.grad[j] over the m outputs", mom(("glorot_init", "b"), lambda m, sigma_W, g, **_: m * sigma_W**2 * g))
add("glorot_init", "b", "Var(x.grad) = n σ_W² g", ["unicode", "implicit"], "fan-in instead of fan-out on the way back", mom(("glorot_init", "b"), lambda n, sigma_W, g, **_: n * sigma_W**2 * g))
add("glorot_init", "c", "σ_W = 1/√n", ["unicode"], "n sigma^2 v = v", solve(lambda n, v, **_: (n * (1 / sqrt(n))**2 * v, v)))
add("glorot_init", "c", "sigma_W = 1/n", ["keyboard"], "missing square root", solve(lambda n, v, **_: (n * (1 / n)**2 * v, v)))
add("glorot_init", "d", r"\sigma_W = \frac{1}{\sqrt{m}}", ["latex"], "m sigma^2 g = g", solve(lambda m, g, **_: (m * (1 / m) * g, g)))
add("glorot_init", "e", "σ_W = √(2/(n + m))", ["unicode"], "(n sigma^2 + m sigma^2)/2 = 1", solve(lambda n, m, **_: ((n + m) * (2 / (n + m)) / 2, 1.0)))
add("glorot_init", "e", "sigma_W = 1/sqrt(n + m)", ["keyboard"], "missing factor 2 under the root", solve(lambda n, m, **_: ((n + m) * (1 / (n + m)) / 2, 1.0)))
add("glorot_init", "e", r"\sigma_W = \sqrt{\frac{2}{n}} \cdot \sqrt{\frac{1}{m}}", ["latex"], "a geometric-mean guess, sqrt(2/(nm)), not the harmonic compromise", solve(lambda n, m, **_: ((n + m) * (2 / (n * m)) / 2, 1.0)))
add("glorot_init", "f", "a = √6/√(n + m)", ["unicode"], "a^2/3 = 2/(n+m)", solve(lambda n, m, **_: ((sqrt(6) / sqrt(n + m))**2 / 3, 2 / (n + m))))
add("glorot_init", "f", "a = sqrt(2/(n + m))", ["keyboard"], "forgets the uniform law's factor 3: that is sigma_W, not a", solve(lambda n, m, **_: ((2 / (n + m)) / 3, 2 / (n + m))))

# batchnorm_stats
add("batchnorm_stats", "a", "Var(μ_j) = Var(x)/B", ["unicode"], "the mean of B independent entries", mom(("batchnorm_stats", "a"), lambda v, B, **_: v / B))
add("batchnorm_stats", "a", "Var(mu) = v/B^2", ["keyboard"], "the sum of B variances is B v, divided by B^2: v/B, not v/B^2", mom(("batchnorm_stats", "a"), lambda v, B, **_: v / B**2))
add("batchnorm_stats", "b", r"\operatorname{Var}(\hat{x}_{b,j}) = \left(1 - \frac{1}{B}\right) v", ["latex"], "x - mu = (1 - 1/B) x_b - sum of the others/B: v (1-1/B)^2 + v (B-1)/B^2", mom(("batchnorm_stats", "b"), lambda v, B, **_: (1 - 1 / B) * v))
add("batchnorm_stats", "b", "Var(x̂) = v(1 + 1/B)", ["unicode", "implicit"], "adds the variance of the mean instead of subtracting: the entry and the mean are correlated", mom(("batchnorm_stats", "b"), lambda v, B, **_: v * (1 + 1 / B)))
add("batchnorm_stats", "b", "Var(xc) = v", ["keyboard"], "ignores the shared batch mean", mom(("batchnorm_stats", "b"), lambda v, B, **_: v))
add("batchnorm_stats", "c", "E[s] = v", ["keyboard"], "Bessel's correction makes it unbiased", mom(("batchnorm_stats", "c"), lambda v, B, **_: v))
add("batchnorm_stats", "c", "𝔼[s_j] = (B − 1)v/B", ["unicode", "implicit"], "that is the mean of the biased 1/B estimate", mom(("batchnorm_stats", "c"), lambda v, B, **_: (B - 1) * v / B))
add("batchnorm_stats", "d", "Var(s_j) = 2v²/(B − 1)", ["unicode"], "(B-1) s/v is chi-squared with B-1 degrees of freedom", mom(("batchnorm_stats", "d"), lambda v, B, **_: 2 * v**2 / (B - 1)))
add("batchnorm_stats", "d", r"\frac{2 v^{2}}{B}", ["latex"], "off by one: B - 1 degrees of freedom, not B", mom(("batchnorm_stats", "d"), lambda v, B, **_: 2 * v**2 / B))

# dropout
add("dropout", "b", "E[y_i] = μ", ["unicode"], "E[m]/q = 1: the division by q keeps the mean", mom(("dropout", "b"), lambda mu, **_: mu))
add("dropout", "b", "E[y] = q μ", ["unicode", "implicit"], "forgets the division by q", mom(("dropout", "b"), lambda mu, q, **_: q * mu))
add("dropout", "c", "Var(y) = Var(x)/q", ["keyboard"], "E[m^2 x^2]/q^2 = q v/q^2", mom(("dropout", "c"), lambda v, q, **_: v / q))
add("dropout", "c", r"\operatorname{Var}(y_i) = \frac{v}{q^{2}}", ["latex"], "forgets that m^2 = m has mean q", mom(("dropout", "c"), lambda v, q, **_: v / q**2))
add("dropout", "c", "Var(y) = v(1 − q)/q", ["unicode", "implicit"], "the variance of the mask factor alone, not of y", mom(("dropout", "c"), lambda v, q, **_: v * (1 - q) / q))
add("dropout", "d", "larger — Var(y) = v/q and q < 1", ["unicode"], "v/q > v", lambda: REF[("dropout", "c")](v=1.0, q=0.7) > 1.0)
add("dropout", "d", "equal, because inverted dropout rescales by 1/q so nothing changes", ["keyboard"], "the rescaling keeps the mean, not the variance", lambda: abs(REF[("dropout", "c")](v=1.0, q=0.7) - 1.0) < 1e-12)

# momentum_variance
add("momentum_variance", "a", "Var(m_{t+1}) = β² Var(m_t) + (1 − β)² s²\nVar(m_t) = β^(2t) v + (1 − β) s² (1 − β^(2t))/(1 + β)", ["unicode"], "the recurrence, then its solution (geometric sum (1-b)^2 (1 - b^2t)/(1 - b^2))", mom(("momentum_variance", "a"), lambda t, beta, s, v, **_: beta**(2*t) * v + (1 - beta) * s**2 * (1 - beta**(2*t)) / (1 + beta)))
add("momentum_variance", "a", r"\operatorname{Var}(m_t) = \beta^{2t} v + \frac{(1-\beta)^2 s^2 \left(1 - \beta^{2t}\right)}{1 - \beta^2}", ["latex"], "the closed form without simplifying 1 - beta^2", mom(("momentum_variance", "a"), lambda t, beta, s, v, **_: beta**(2*t) * v + (1 - beta)**2 * s**2 * (1 - beta**(2*t)) / (1 - beta**2)))
add("momentum_variance", "a", "Var(m_t) = β^(2t) v + (1 − β)² s² (1 − β^(2t))/(1 − β)", ["unicode"], "wrong denominator: the ratio of the geometric sum is beta^2, so 1 - beta^2", mom(("momentum_variance", "a"), lambda t, beta, s, v, **_: beta**(2*t) * v + (1 - beta)**2 * s**2 * (1 - beta**(2*t)) / (1 - beta)))
add("momentum_variance", "a", "Var(m_{t+1}) = beta Var(m_t) + (1 - beta) s^2", ["keyboard"], "missing squares: a constant factor multiplies the variance by its square", lambda: all(np.isclose(b * v + (1 - b) * s**2, b**2 * v + (1 - b)**2 * s**2) for b, v, s in R.uniform(.1, .9, size=(10, 3))))
add("momentum_variance", "a", "Var(m_t) = β^t v + (1 − β) s² (1 − β^t)/(1 + β)", ["unicode"], "beta^t instead of beta^(2t)", mom(("momentum_variance", "a"), lambda t, beta, s, v, **_: beta**t * v + (1 - beta) * s**2 * (1 - beta**t) / (1 + beta)))
add("momentum_variance", "b", r"s = \sqrt{v \, \frac{1+\beta}{1-\beta}}", ["latex"], "long run (1-b) s^2/(1+b) = v", solve(lambda beta, v, **_: ((1 - beta) * (v * (1 + beta) / (1 - beta)) / (1 + beta), v)))
add("momentum_variance", "b", "s = sqrt(v (1 - beta)/(1 + beta))", ["keyboard", "implicit"], "the ratio inverted", solve(lambda beta, v, **_: ((1 - beta) * (v * (1 - beta) / (1 + beta)) / (1 + beta), v)))

# fixup_scaling
add("fixup_scaling", "a", "Var(x_{ℓ+1}) = (1 + s⁴) Var(x_ℓ)\nVar(x_ℓ) = (1 + s⁴)^ℓ", ["unicode"], "each of the two branch layers multiplies by s^2; the skip adds the old variance", mom(("fixup_scaling", "a"), lambda l, s, **_: (1 + s**4)**l))
add("fixup_scaling", "a", "Var(x1) = (1 + s^2)^l", ["keyboard"], "one layer's gain: the branch has two layers, so s^4", mom(("fixup_scaling", "a"), lambda l, s, **_: (1 + s**2)**l))
add("fixup_scaling", "a", "Var(x_ℓ) = 1 + ℓ s⁴", ["unicode", "implicit"], "adds instead of multiplying: each block scales the whole variance", mom(("fixup_scaling", "a"), lambda l, s, **_: 1 + l * s**4))
add("fixup_scaling", "b", r"s = \sqrt[4]{\frac{\ln 2}{L}}", ["latex"], "exp(s^4 L) = 2", solve(lambda L, **_: (exp(((log(2) / L)**0.25)**4 * L), 2.0)))
add("fixup_scaling", "b", "s = (ln 2 / L)^(1/4)", ["keyboard"], "the same as a power", solve(lambda L, **_: (exp(((log(2) / L)**0.25)**4 * L), 2.0)))
add("fixup_scaling", "b", "s = √(ln 2 / L)", ["unicode"], "square root: right for one layer per branch, not two", solve(lambda L, **_: (exp((sqrt(log(2) / L))**4 * L), 2.0)))

# resnet_variance
add("resnet_variance", "a", "σ_ℓ² = (1 + D²Jσ_W²)^ℓ", ["unicode", "implicit"], "each layer: the skip keeps the variance and the D*D*J taps add D^2 J sigma^2 times it", mom(("resnet_variance", "a"), lambda l, D, J, sigma_W, **_: (1 + D**2 * J * sigma_W**2)**l))
add("resnet_variance", "a", "sigma2(l + 1) = (1 + J*D^2*sigma_W^2) * sigma2(l)\nsigma2(l) = (1 + J*D^2*sigma_W^2)^l", ["keyboard"], "recurrence then its solution", mom(("resnet_variance", "a"), lambda l, D, J, sigma_W, **_: (1 + D**2 * J * sigma_W**2)**l))
add("resnet_variance", "a", "σ_ℓ² = (1 + DJσ_W²)^ℓ", ["unicode", "implicit"], "a D x D filter has D^2 taps per channel, not D", mom(("resnet_variance", "a"), lambda l, D, J, sigma_W, **_: (1 + D * J * sigma_W**2)**l))
add("resnet_variance", "a", r"\sigma_\ell^2 = \left(D^2 J \sigma_W^2\right)^{\ell}", ["latex"], "forgets the skip connection's 1", mom(("resnet_variance", "a"), lambda l, D, J, sigma_W, **_: (D**2 * J * sigma_W**2)**l))
add("resnet_variance", "b", r"\sigma_W = \sqrt{\frac{\ln 2}{L J D^{2}}}", ["latex"], "exp(D^2 J sigma^2 L) = 2", solve(lambda L, D, J, **_: (exp(D**2 * J * (log(2) / (L * J * D**2)) * L), 2.0)))
add("resnet_variance", "b", "σ_W ≈ √(0.693/(L D² J))", ["unicode", "implicit"], "ln 2 written as 0.693 (3 significant digits): exp(0.693) = 1.9997, a grader accepts it", lambda: abs(exp(0.693) - 2) < 0.005)
add("resnet_variance", "b", "sigma_W = sqrt(log(2)/(L*D*J))", ["keyboard"], "D instead of D^2", solve(lambda L, D, J, **_: (exp(D**2 * J * (log(2) / (L * J * D)) * L), 2.0)))
add("resnet_variance", "c", "Var(L_ℓ.grad) = (1 + D²Jσ_W²)^(L − ℓ)", ["unicode", "implicit"], "one factor per block between layer l and the top", mom(("resnet_variance", "c"), lambda l, L, D, J, sigma_W, **_: (1 + D**2 * J * sigma_W**2)**(L - l)))
add("resnet_variance", "c", "Var(L0.grad) = (1 + D^2 J sigma_W^2)^l", ["keyboard", "implicit"], "counts the blocks below instead of above: the gradient starts with variance 1 at the top", mom(("resnet_variance", "c"), lambda l, L, D, J, sigma_W, **_: (1 + D**2 * J * sigma_W**2)**l))
add("resnet_variance", "c", "Var(L_ℓ.grad) = (1 + D²Jσ_W²)^(L − ℓ + 1)", ["unicode", "implicit"], "off by one block: at l = L it must be 1", mom(("resnet_variance", "c"), lambda l, L, D, J, sigma_W, **_: (1 + D**2 * J * sigma_W**2)**(L - l + 1)))

# costs and choices (argued: the backward pass visits each step once, and step t needs step t+1)
add("rnn_unroll", "b", "O(T): even with unlimited processors, h_{t-1}.grad needs h_t.grad, so the T steps run one after another", ["keyboard"], "the chain of dependencies through time has length T", lambda: True)
add("rnn_unroll", "b", "O(1), because with unlimited parallelism all the time steps can be done at once", ["keyboard"], "the steps are sequentially dependent", lambda: False)
add("rnn_unroll", "b", "Θ(log T) by a parallel reduction over the steps", ["unicode"], "the tanh cell is nonlinear: the recurrence is not an associative scan", lambda: False)
add("rnn_unroll", "b", "linear in T — the backward pass must walk back through the T cells in sequence", ["unicode"], "linear growth written in words", lambda: True)
add("rnn_lm_cost", "a", "O(T): one backward step per word, each costing the same (V N + N^2) work", ["keyboard"], "each step's backward is constant in T", lambda: True)
add("rnn_lm_cost", "a", "O(T^2), because the loss of word t backpropagates through all t earlier steps", ["keyboard"], "the per-word losses share one backward sweep; the gradients add up on the way", lambda: False)
add("rnn_lm_cost", "a", "O(T (V N + N²))", ["unicode"], "linear in T; the other sizes are constants here", lambda: True)
add("rnn_lm_cost", "a", "O(log T)", ["keyboard"], "too slow a growth: the work touches each of the T steps", lambda: False)
add("loss_heads", "b", "O(L): a single backward pass, the head gradients are added as it passes each layer", ["keyboard"], "one sweep, constant work per layer", lambda: True)
add("loss_heads", "b", "O(L²) since each of the L heads needs its own backward pass through the layers below it", ["unicode"], "the heads' gradients accumulate in one sweep", lambda: False)
add("loss_heads", "b", "linear in the depth L", ["keyboard"], "words for O(L)", lambda: True)
