"""Expression, choice and cost answers, compared with the MC-confirmed truths of moments.py."""
import numpy as np
from math import sqrt, pi, log, exp
import moments  # runs the Monte Carlo confirmations (asserts)

E = []
def entry(problem, part, answer, notation, expected, why, check):
    E.append(dict(problem=problem, part=part, answer=answer, notation=notation,
                  expected=expected, why=why, check=check))

R = np.random.default_rng(7)
def draws(k=6):
    for _ in range(k):
        yield dict(n=int(R.integers(2, 9)), m=int(R.integers(2, 9)), d=int(R.integers(2, 9)),
                   B=int(R.integers(2, 9)), J=int(R.integers(1, 5)), D=int(R.integers(1, 4)),
                   L=int(R.integers(1, 9)), l=int(R.integers(0, 6)),
                   nin=int(R.integers(2, 9)), nout=int(R.integers(2, 9)),
                   sw=R.uniform(0.2, 1.5), v=R.uniform(0.3, 2.5), g=R.uniform(0.3, 2.5),
                   q=R.uniform(0.05, 0.95), mu=R.uniform(-2, 2))

def same(ans, truth):
    def chk():
        for P in draws():
            a, t = ans(P), truth(P)
            if not np.isclose(a, t, rtol=1e-9, atol=1e-12):
                return False
        return True
    return chk

def solves(sol, cond):
    """sol(P) -> sigma_W (or a); cond(P, s) == 0 at the true solution"""
    def chk():
        for P in draws():
            if not abs(cond(P, sol(P))) < 1e-9:
                return False
        return True
    return chk

def choice(ans, truth):
    return lambda: ans == truth

# ---------------- init_variance
condA = lambda P, s: P['d'] * s ** 2 - 1                  # Var(y) = d sw^2 = 1
entry('init_variance', 'a', "σ_W = 1/√d\n", ['unicode'], 'correct',
      'Var(y) = d sigma_W^2 = 1', solves(lambda P: 1 / sqrt(P['d']), condA))
entry('init_variance', 'a', "\\sigma_W = \\frac{1}{\\sqrt{d}}\n", ['latex'], 'correct',
      'Var(y) = d sigma_W^2 = 1', solves(lambda P: 1 / sqrt(P['d']), condA))
entry('init_variance', 'a', "σ_W = 1/d\n", ['unicode'], 'incorrect',
      '1/d is the variance sigma_W^2, not the standard deviation',
      solves(lambda P: 1 / P['d'], condA))
entry('init_variance', 'a', "σ_W² = 1/d\n", ['unicode'], 'correct',
      'states the square; with sigma_W > 0 this is sigma_W = 1/sqrt(d)',
      solves(lambda P: sqrt(1 / P['d']), condA))
entry('init_variance', 'b', "𝔼[u] = ½\n", ['unicode'], 'correct',
      'y is symmetric about 0 (symmetric weights) and sigma(-y) = 1 - sigma(y)',
      same(lambda P: 0.5, lambda P: 0.5))
entry('init_variance', 'b', "E[u] = sigmoid(0)\n", ['keyboard'], 'correct',
      'the value sigmoid(0) = 1/2 is right (even if E[sigma(y)] = sigma(E[y]) is only true here by symmetry)',
      same(lambda P: 1 / (1 + exp(0)), lambda P: 0.5))
entry('init_variance', 'b', "E[u] = 0\n", ['keyboard'], 'incorrect',
      'that is the mean of tanh(y); the sigmoid is centred at 1/2',
      same(lambda P: 0.0, lambda P: 0.5))
entry('init_variance', 'c', "smaller: σ is ¼-Lipschitz, so Var(u) ≤ Var(y)/16\n", ['unicode'], 'correct',
      'the sigmoid slope is at most 1/4, which shrinks the spread', choice('smaller', 'smaller'))
entry('init_variance', 'c', "larger\n", ['keyboard'], 'incorrect',
      'the sigmoid squashes: Var(u) <= Var(y)/16 < Var(y)', choice('larger', 'smaller'))
entry('init_variance', 'd', "Var(u) = 1/4\n", ['keyboard'], 'correct',
      'u lies in (0, 1), so Var(u) <= 1/4, approached when y = ±big with probability 1/2 each',
      same(lambda P: 0.25, lambda P: 0.25))
entry('init_variance', 'd', "\\operatorname{Var}(u) \\le \\frac{1}{4}\n", ['latex'], 'correct',
      'the bound 1/4 written as an inequality', same(lambda P: 0.25, lambda P: 0.25))
entry('init_variance', 'd', "Var(u) = 1/16\n", ['keyboard'], 'incorrect',
      'confuses the bound with (max slope)^2 = 1/16; the largest variance is 1/4',
      same(lambda P: 1 / 16, lambda P: 0.25))

# ---------------- he_init
tA = lambda P: P['n'] * P['sw'] ** 2 * P['v'] / 2
entry('he_init', 'a', "Var(z_{ℓ+1}) = ½ n σ_W² v\n", ['unicode', 'implicit'], 'correct',
      'n terms, each sigma_W^2 E[h^2] with E[relu(z)^2] = v/2 for symmetric z',
      same(lambda P: 0.5 * P['n'] * P['sw'] ** 2 * P['v'], tA))
entry('he_init', 'a', "\\operatorname{Var}\\left(z_{\\ell+1}[j]\\right) = \\frac{1}{2}\\, n\\, \\sigma_W^{2}\\, v\n",
      ['latex', 'implicit'], 'correct', 'n sigma_W^2 v/2 (E[h^2] = v/2), pasted LaTeX with thin spaces',
      same(lambda P: 0.5 * P['n'] * P['sw'] ** 2 * P['v'], tA))
entry('he_init', 'a', "Var(z1) = n σ_W² v\n", ['unicode', 'implicit'], 'incorrect',
      'forgets that the ReLU halves the second moment (factor 1/2)',
      same(lambda P: P['n'] * P['sw'] ** 2 * P['v'], tA))
entry('he_init', 'a', "Var(z1[j]) = n*sigma_W^2*v*(1/2 - 1/(2*pi))\n", ['keyboard'], 'incorrect',
      'uses Var(h) (normal case) instead of the second moment E[h^2] = v/2',
      same(lambda P: P['n'] * P['sw'] ** 2 * P['v'] * (0.5 - 1 / (2 * pi)), tA))
condB = lambda P, s: P['n'] * s ** 2 / 2 - 1               # n sw^2 v/2 = v
entry('he_init', 'b', "σ_W = √(2/n)\n", ['unicode'], 'correct', 'n sigma_W^2 v / 2 = v',
      solves(lambda P: sqrt(2 / P['n']), condB))
entry('he_init', 'b', "sigma_W = np.sqrt(2/n)\n", ['keyboard'], 'correct', 'n sigma_W^2 v/2 = v gives sqrt(2/n); np.sqrt is sqrt',
      solves(lambda P: sqrt(2 / P['n']), condB))
entry('he_init', 'b', "\\sigma_W = \\frac{2}{n}\n", ['latex'], 'incorrect',
      '2/n is the variance sigma_W^2; sigma_W = sqrt(2/n)',
      solves(lambda P: 2 / P['n'], condB))
entry('he_init', 'b', "σ_W = 1/√n\n", ['unicode'], 'incorrect',
      'that is the linear (LeCun) choice; with ReLU the variance halves each layer',
      solves(lambda P: 1 / sqrt(P['n']), condB))
entry('he_init', 'c', "\\mathbb{E}[z_{\\ell+1}] = 0\n", ['latex'], 'correct',
      'the weights have mean 0 and are independent of h',
      same(lambda P: 0.0, lambda P: 0.0))
entry('he_init', 'c', "E(z1) = √(v/(2π))\n", ['unicode'], 'incorrect',
      'that is E[h]; E[z1] = sum E[W] E[h] = 0', same(lambda P: sqrt(P['v'] / (2 * pi)), lambda P: 0.0))
tD = lambda P: sqrt(P['v'] / (2 * pi))
entry('he_init', 'd', "𝔼[h] = √v / √(2π)\n", ['unicode'], 'correct',
      'E[relu(z)] = half of E|z| = sqrt(2v/pi)/2',
      same(lambda P: sqrt(P['v']) / sqrt(2 * pi), tD))
entry('he_init', 'd', "\\mathbb{E}[h_{\\ell}] = \\sqrt{\\frac{2v}{\\pi}}\n", ['latex'], 'incorrect',
      'that is E|z|; the ReLU keeps only the positive half: sqrt(v/(2 pi))',
      same(lambda P: sqrt(2 * P['v'] / pi), tD))
entry('he_init', 'd', "E(h) = v/2\n", ['keyboard'], 'incorrect',
      'v/2 is the second moment E[h^2], not the mean',
      same(lambda P: P['v'] / 2, tD))
entry('he_init', 'e', "smaller — with σ_W² = 1/n the variance halves: Var(z_{ℓ+1}) = v/2\n",
      ['unicode'], 'correct', 'n (1/n) v/2 = v/2 < v', choice('smaller', 'smaller'))
entry('he_init', 'e', "equal\n", ['keyboard'], 'incorrect',
      '1/n keeps the variance of a linear layer only; the ReLU halves it', choice('equal', 'smaller'))

# ---------------- he_backward
tHB = lambda P: P['nout'] * P['sw'] ** 2 * P['g'] / 2
entry('he_backward', 'b', "Var(x.grad[i]) = n_out σ_W² g / 2\n", ['unicode', 'implicit'], 'correct',
      'n_out terms W[j,i] y.grad[j], gated by step(x[i]) which is 1 with probability 1/2',
      same(lambda P: P['nout'] * P['sw'] ** 2 * P['g'] / 2, tHB))
entry('he_backward', 'b', "\\frac{1}{2} n_{out} \\sigma_W^2 g\n", ['latex', 'implicit'], 'correct',
      'n_out sigma_W^2 g/2 written as the bare expression', same(lambda P: 0.5 * P['nout'] * P['sw'] ** 2 * P['g'], tHB))
entry('he_backward', 'b', "Var(x.grad) = n_in σ_W² g / 2\n", ['unicode', 'implicit'], 'incorrect',
      'backward sums over the fan-out n_out, not the fan-in',
      same(lambda P: P['nin'] * P['sw'] ** 2 * P['g'] / 2, tHB))
condHB = lambda P, s: P['nout'] * s ** 2 / 2 - 1
entry('he_backward', 'c', "σ_W = √(2/n_out)\n", ['unicode'], 'correct', 'n_out sigma_W^2 g/2 = g',
      solves(lambda P: sqrt(2 / P['nout']), condHB))
entry('he_backward', 'c', "\\sigma_W = \\sqrt{\\frac{2}{n_{in}}}\n", ['latex'], 'incorrect',
      'uses the fan-in: the backward condition involves the fan-out',
      solves(lambda P: sqrt(2 / P['nin']), condHB))
entry('he_backward', 'd', "Smaller (it comes out as g/2)\n", ['keyboard'], 'correct', 'Var(x.grad) = g/2 < g',
      choice('smaller', 'smaller'))

# ---------------- glorot_init
tGa = lambda P: P['n'] * P['sw'] ** 2 * P['v']
entry('glorot_init', 'a', "Var(y_j) = n σ_W² v\n", ['unicode', 'implicit'], 'correct',
      'n independent zero-mean products, each of variance sigma_W^2 v',
      same(lambda P: P['n'] * P['sw'] ** 2 * P['v'], tGa))
entry('glorot_init', 'a', "\\operatorname{Var}(y_j) = m \\sigma_W^2 v\n", ['latex', 'implicit'], 'incorrect',
      'y[j] sums over the n inputs, not the m outputs',
      same(lambda P: P['m'] * P['sw'] ** 2 * P['v'], tGa))
tGb = lambda P: P['m'] * P['sw'] ** 2 * P['g']
entry('glorot_init', 'b', "Var(x.grad[i]) = m·σ_W²·g\n", ['unicode'], 'correct',
      'x.grad[i] = sum over the m outputs of W[j,i] y.grad[j]',
      same(lambda P: P['m'] * P['sw'] ** 2 * P['g'], tGb))
entry('glorot_init', 'b', "Var(dx_i) = n σ_W² g\n", ['leibniz', 'unicode', 'implicit'], 'incorrect',
      'backward sums over the fan-out m, not n',
      same(lambda P: P['n'] * P['sw'] ** 2 * P['g'], tGb))
entry('glorot_init', 'c', "σ_W = n^(-1/2)\n", ['keyboard'], 'correct', 'n sigma_W^2 = 1',
      solves(lambda P: P['n'] ** -0.5, lambda P, s: P['n'] * s ** 2 - 1))
entry('glorot_init', 'd', "\\sigma_W = \\frac{1}{\\sqrt{m}}\n", ['latex'], 'correct', 'm sigma_W^2 = 1',
      solves(lambda P: 1 / sqrt(P['m']), lambda P, s: P['m'] * s ** 2 - 1))
entry('glorot_init', 'd', "σ_W = 1/√n\n", ['unicode'], 'incorrect',
      'that is the forward condition (part c)',
      solves(lambda P: 1 / sqrt(P['n']), lambda P, s: P['m'] * s ** 2 - 1))
condGe = lambda P, s: (P['n'] * s ** 2 + P['m'] * s ** 2) / 2 - 1
entry('glorot_init', 'e', "σ_W = √(2/(n + m))\n", ['unicode'], 'correct',
      '(n + m) sigma_W^2 / 2 = 1', solves(lambda P: sqrt(2 / (P['n'] + P['m'])), condGe))
entry('glorot_init', 'e', "sigma_W = 2/(n+m)\n", ['keyboard'], 'incorrect',
      'that is the variance; sigma_W is its square root',
      solves(lambda P: 2 / (P['n'] + P['m']), condGe))
condGf = lambda P, a: a ** 2 / 3 - 2 / (P['n'] + P['m'])
entry('glorot_init', 'f', "a = \\sqrt{\\frac{6}{n+m}}\n", ['latex'], 'correct', 'a^2/3 = 2/(n+m)',
      solves(lambda P: sqrt(6 / (P['n'] + P['m'])), condGf))
entry('glorot_init', 'f', "a = √6 / √(n+m)\n", ['unicode'], 'correct', 'same value, split root',
      solves(lambda P: sqrt(6) / sqrt(P['n'] + P['m']), condGf))
entry('glorot_init', 'f', "a = √(2/(n + m))\n", ['unicode'], 'incorrect',
      'forgets the factor 3 of the uniform variance a^2/3',
      solves(lambda P: sqrt(2 / (P['n'] + P['m'])), condGf))

# ---------------- dropout
entry('dropout', 'b', "𝔼[y_i] = μ\n", ['unicode'], 'correct', 'E[m] E[x] / q = q mu / q',
      same(lambda P: P['mu'], lambda P: P['mu']))
entry('dropout', 'b', "E[y] = qμ\n", ['unicode', 'implicit'], 'incorrect',
      'forgets the division by q (that is plain dropout)', same(lambda P: P['q'] * P['mu'], lambda P: P['mu']))
tDc = lambda P: P['v'] / P['q']
entry('dropout', 'c', "Var(y_i) = v/q\n", ['keyboard'], 'correct', 'E[m^2] E[x^2] / q^2 = q v / q^2',
      same(lambda P: P['v'] / P['q'], tDc))
entry('dropout', 'c', "\\operatorname{Var}(y_i) = \\frac{v}{q^2}\n", ['latex'], 'incorrect',
      'forgets E[m^2] = q in the numerator', same(lambda P: P['v'] / P['q'] ** 2, tDc))
entry('dropout', 'c', "Var(y) = v(1 − q)/q\n", ['unicode', 'implicit'], 'incorrect',
      'uses Var(m) = q(1-q) where E[m^2] = q is needed (x has mean 0)',
      same(lambda P: P['v'] * (1 - P['q']) / P['q'], tDc))
entry('dropout', 'd', "larger\n", ['keyboard'], 'correct', 'v/q > v since q < 1',
      choice('larger', 'larger'))
entry('dropout', 'd', "smaller, since dropout zeroes some of the units\n", ['keyboard'], 'incorrect',
      'the kept units are scaled by 1/q: Var = v/q > v', choice('smaller', 'larger'))

# ---------------- batchnorm_stats
entry('batchnorm_stats', 'a', "Var(μ[j]) = v/B\n", ['unicode'], 'correct', 'mean of B independent entries',
      same(lambda P: P['v'] / P['B'], lambda P: P['v'] / P['B']))
entry('batchnorm_stats', 'a', "\\operatorname{Var}(\\mu_j) = \\sqrt{\\frac{v}{B}}\n", ['latex'], 'incorrect',
      'that is the standard deviation of the batch mean, not its variance',
      same(lambda P: sqrt(P['v'] / P['B']), lambda P: P['v'] / P['B']))
tBb = lambda P: P['v'] * (P['B'] - 1) / P['B']
entry('batchnorm_stats', 'b', "Var(x̂[b, j]) = v(1 − 1/B)\n", ['unicode', 'implicit'], 'correct',
      'v + v/B - 2 Cov(x, mu) = v - v/B: smaller than v',
      same(lambda P: P['v'] * (1 - 1 / P['B']), tBb))
entry('batchnorm_stats', 'b', "\\operatorname{Var}(\\hat{x}_{b,j}) = v + \\frac{v}{B}\n", ['latex'], 'incorrect',
      'treats x and mu as independent: misses -2 Cov(x[b,j], mu[j]) = -2v/B',
      same(lambda P: P['v'] + P['v'] / P['B'], tBb))
entry('batchnorm_stats', 'b', "Var(xc) = (B-1) v / B\n", ['implicit'], 'correct',
      'same value, written with the spec name xc',
      same(lambda P: (P['B'] - 1) * P['v'] / P['B'], tBb))
entry('batchnorm_stats', 'c', "𝔼[s_j] = v\n", ['unicode', 'latex'], 'correct',
      'Bessel: E[sum xc^2] = (B-1) v', same(lambda P: P['v'], lambda P: P['v']))
entry('batchnorm_stats', 'c', "E[s] = (B − 1)v/B\n", ['unicode', 'implicit'], 'incorrect',
      'that is the mean of the biased 1/B estimate', same(lambda P: (P['B'] - 1) * P['v'] / P['B'], lambda P: P['v']))
tBd = lambda P: 2 * P['v'] ** 2 / (P['B'] - 1)
entry('batchnorm_stats', 'd', "Var(s[j]) = 2v²/(B − 1)\n", ['unicode', 'implicit'], 'correct',
      '(B-1)s/v is chi-squared with B-1 degrees of freedom (variance 2(B-1))',
      same(lambda P: 2 * P['v'] ** 2 / (P['B'] - 1), tBd))
entry('batchnorm_stats', 'd', "\\operatorname{Var}(s_j) = \\frac{2v^{2}}{B}\n", ['latex', 'implicit'], 'incorrect',
      'off by one: B - 1 degrees of freedom, not B',
      same(lambda P: 2 * P['v'] ** 2 / P['B'], tBd))

# ---------------- resnet_variance
cr = lambda P: 1 + P['D'] ** 2 * P['J'] * P['sw'] ** 2
tRa = lambda P: cr(P) ** P['l']
entry('resnet_variance', 'a', "Var(L_ℓ) = (1 + D² J σ_W²)^ℓ\n", ['unicode', 'implicit'], 'correct',
      'each block adds D^2 J sigma_W^2 times the variance to the skip path',
      same(lambda P: (1 + P['D'] ** 2 * P['J'] * P['sw'] ** 2) ** P['l'], tRa))
entry('resnet_variance', 'a', "\\left(1 + D^2 J \\sigma_W^2\\right)^{\\ell}\n", ['latex', 'implicit'], 'correct',
      'same, bare expression', same(lambda P: cr(P) ** P['l'], tRa))
entry('resnet_variance', 'a', "(1 + D J σ_W²)^ℓ\n", ['unicode', 'implicit'], 'incorrect',
      'a D x D filter has D^2 weights per channel, not D',
      same(lambda P: (1 + P['D'] * P['J'] * P['sw'] ** 2) ** P['l'], tRa))
entry('resnet_variance', 'a', "(D^2 J sigma_W^2)^l\n", ['keyboard', 'implicit'], 'incorrect',
      'drops the skip connection: the 1 + in the growth factor',
      same(lambda P: (P['D'] ** 2 * P['J'] * P['sw'] ** 2) ** P['l'], tRa))
condRb = lambda P, s: P['L'] * P['D'] ** 2 * P['J'] * s ** 2 - log(2)     # exp(eps L) = 2
entry('resnet_variance', 'b', "σ_W = √(ln 2 / (L D² J))\n", ['unicode', 'implicit'], 'correct',
      'exp(L D^2 J sigma_W^2) = 2', solves(lambda P: sqrt(log(2) / (P['L'] * P['D'] ** 2 * P['J'])), condRb))
entry('resnet_variance', 'b', "\\sigma_W = \\frac{\\sqrt{\\ln 2}}{D\\sqrt{L J}}\n", ['latex', 'implicit'], 'correct',
      'equals sqrt(ln 2/(L D^2 J)) with D taken out of the root',
      solves(lambda P: sqrt(log(2)) / (P['D'] * sqrt(P['L'] * P['J'])), condRb))
entry('resnet_variance', 'b', "σ_W = √((2^(1/L) − 1)/(D² J))\n", ['unicode', 'implicit'], 'correct',
      'the exact root of (1 + D^2 J sigma_W^2)^L = 2; agrees with sqrt(ln2/(L D^2 J)) to first order',
      solves(lambda P: sqrt((2 ** (1 / P['L']) - 1) / (P['D'] ** 2 * P['J'])),
             lambda P, s: (1 + P['D'] ** 2 * P['J'] * s ** 2) ** P['L'] - 2))
entry('resnet_variance', 'b', "\\sigma_W = \\frac{\\ln 2}{L D^2 J}\n", ['latex', 'implicit'], 'incorrect',
      'that is sigma_W^2; the square root is missing',
      solves(lambda P: log(2) / (P['L'] * P['D'] ** 2 * P['J']), condRb))
tRc = lambda P: cr(P) ** (P['L'] - P['l'])
entry('resnet_variance', 'c', "(1 + D² J σ_W²)^(L − ℓ)\n", ['unicode', 'implicit'], 'correct',
      'the same factor per block, counted from the top layer L down to l',
      same(lambda P: (1 + P['D'] ** 2 * P['J'] * P['sw'] ** 2) ** (P['L'] - P['l']), tRc))
entry('resnet_variance', 'c', "\\left(1 + D^{2} J \\sigma_W^{2}\\right)^{L-\\ell+1}\n", ['latex', 'implicit'], 'incorrect',
      'off by one: L_L.grad itself has variance 1, so the exponent is L - l',
      same(lambda P: cr(P) ** (P['L'] - P['l'] + 1), tRc))

# ---------------- costs (truth by reasoning: one reverse sweep, constant work per layer / step)
entry('loss_heads', 'b', "O(L): one backward sweep, each layer and its head costs the same fixed amount\n",
      ['keyboard'], 'correct', 'gradients of all heads accumulate in a single reverse pass: linear in L',
      choice('O(L)', 'O(L)'))
entry('rnn_lm_cost', 'a', "\\mathcal{O}(T)\n", ['latex'], 'correct',
      'backprop through time does constant work per position', choice('O(T)', 'O(T)'))
entry('rnn_lm_cost', 'a', "O(T²)\n", ['unicode'], 'incorrect',
      'each step is visited once backwards; the per-step losses do not each need their own pass',
      choice('O(T^2)', 'O(T)'))
entry('rnn_unroll', 'b', "O(T), the backward pass still has to walk the T steps one after another\n", ['keyboard'], 'correct',
      'h_t depends on h_{t-1}: a chain of T dependent steps even with unlimited parallelism',
      choice('O(T)', 'O(T)'))
entry('rnn_unroll', 'b', "O(log T)\n", ['keyboard'], 'incorrect',
      'the nonlinear recurrence is sequential; there is no log-depth scan for a tanh cell',
      choice('O(log T)', 'O(T)'))
