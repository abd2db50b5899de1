"""Builds ../answers.yaml: every label is decided here by a reference that does not use derive
(bp.py finite differences, moment formulas confirmed by moments.py Monte Carlo, substitution)."""
import sys, yaml, numpy as np
from math import sqrt, log, pi, exp
from pathlib import Path
sys.path.insert(0, str(Path(__file__).parent))
from bp import *

E = []
def add(problem, part, answer, notation, intent, why, ok):
    label = "correct" if ok else "incorrect"
    assert label == intent, (problem, part, answer, label, intent)
    E.append(dict(problem=problem, part=str(part), answer=answer.strip("\n") + "\n",
                  notation=notation, expected=label, why=why))

rs = np.random.default_rng(7)
def same(f, g, names, n=6, **fixed):
    """f, g: functions of a dict of positive symbol values; equal at n random points?"""
    for _ in range(n):
        d = {k: rs.uniform(0.2, 0.9) if k in ("q", "beta") else rs.uniform(0.5, 3.0) for k in names}
        for k in ("n", "m", "d", "B", "J", "D", "L", "n_in", "n_out", "l", "t"):
            if k in names: d[k] = int(rs.integers(2, 9))
        d.update(fixed)
        a, b = f(d), g(d)
        if not np.isclose(a, b, rtol=1e-9, atol=1e-12): return False
    return True

# ---------------- he_init ----------------
ref = lambda d: d["n"]*d["sW"]**2*d["v"]/2
for ans, nt, intent, why, f in [
  (r"Var(z_{\ell+1}) = \tfrac{1}{2} n \sigma_W^2 v", ["latex"], "correct", r"\tfrac: n sigma_W^2 v / 2", lambda d: 0.5*d["n"]*d["sW"]**2*d["v"]),
  ("Var[z1[j]] = n·σ_W²·E[h²] = n σ_W² v/2", ["unicode", "implicit"], "correct", "a chain of equalities ending in the answer; E[h^2] = v/2 for symmetric z0", lambda d: d["n"]*d["sW"]**2*d["v"]/2),
  ("Var(z1) = n*sigma_W**2*v", ["keyboard"], "incorrect", "forgets that the ReLU keeps half of the second moment (factor 1/2)", lambda d: d["n"]*d["sW"]**2*d["v"]),
  (r"\mathrm{Var}\left[z_{\ell+1}\right] = \frac{n\sigma_W^2 v}{4}", ["latex"], "incorrect", "1/4: squares the 1/2 of the ReLU (uses E[h]^2-like reasoning)", lambda d: d["n"]*d["sW"]**2*d["v"]/4),
  ("n σ_W² v / 2   (since E[relu(z)²] = v/2 for a symmetric z)", ["unicode"], "correct", "bare expression followed by a justification in parentheses", lambda d: d["n"]*d["sW"]**2*d["v"]/2),
  ("Var(z1) = ∑_{i=1}^{n} σ_W² v/2", ["unicode"], "correct", "a sum of n equal terms", lambda d: d["n"]*d["sW"]**2*d["v"]/2),
]:
    add("he_init", "a", ans, nt, intent, why + " (MC: moments.py he_init Var(z1))", same(f, ref, ["n", "sW", "v"]))

# he_init b: solve n sW^2 v/2 = v
def solve_ok(sW_of, cond, names):
    return same(lambda d: cond(dict(d, sW=sW_of(d))), lambda d: 0.0, names)
for ans, nt, intent, why, s in [
  ("σ_W = √(2/n)", ["unicode"], "correct", "n*(2/n)*v/2 = v", lambda d: sqrt(2/d["n"])),
  (r"\sigma_W = \sqrt{2}/\sqrt{n}", ["latex"], "correct", "the same number written as a quotient of roots", lambda d: sqrt(2)/sqrt(d["n"])),
  ("sigma_W = sqrt(2/n), He et al.'s choice, twice the variance of Xavier", ["keyboard"], "correct", "the answer followed by prose", lambda d: sqrt(2/d["n"])),
  ("sigma_W = 2/n", ["keyboard"], "incorrect", "gives the variance, not the standard deviation: n*(4/n^2)*v/2 != v", lambda d: 2/d["n"]),
  ("σ_W = 1/√n", ["unicode"], "incorrect", "the linear-layer choice: Var(z1) = v/2", lambda d: 1/sqrt(d["n"])),
]:
    add("he_init", "b", ans, nt, intent, why, solve_ok(s, lambda d: d["n"]*d["sW"]**2*d["v"]/2 - d["v"], ["n", "v"]))
add("he_init", "c", "E[z_{\\ell+1}] = 0, because W is symmetric about zero and independent of h", ["latex"], "correct", "E(W h) = E(W) E(h) = 0 (MC he_init E(z1))", True)
add("he_init", "c", "𝔼[z1] = n σ_W √(v/2π)", ["unicode", "implicit"], "incorrect", "the mean of z1 is 0: W has mean 0; this confuses it with n E[W] E[h]", False)
refh = lambda d: sqrt(d["v"]/(2*pi))
for ans, nt, intent, why, f in [
  ("E(h) = sqrt(v/(2*pi))", ["keyboard"], "correct", "E[relu(z)] = sigma/sqrt(2 pi) for z ~ N(0, v)", lambda d: sqrt(d["v"]/(2*pi))),
  (r"\mathbb{E}[h_\ell] = \frac{\sqrt{v}}{\sqrt{2\pi}}", ["latex"], "correct", "same value", lambda d: sqrt(d["v"])/sqrt(2*pi)),
  ("E[h] = √v/2", ["unicode"], "incorrect", "half the standard deviation, not sigma/sqrt(2 pi)", lambda d: sqrt(d["v"])/2),
  ("E(h) = v/sqrt(2 pi)", ["keyboard"], "incorrect", "v where sqrt(v) belongs", lambda d: d["v"]/sqrt(2*pi)),
]:
    add("he_init", "d", ans, nt, intent, why + " (MC he_init E(h))", same(f, refh, ["v"]))
add("he_init", "e", "smaller: with Var(W) = 1/n we get Var(z1) = v/2, half of Var(z0)", ["keyboard"], "correct", "n (1/n) v/2 = v/2 < v (MC he_init:e)", True)
add("he_init", "e", "equal, since 1/n is the variance that preserves the signal", ["keyboard"], "incorrect", "that holds for a linear layer; the ReLU halves it (MC he_init:e = v/2)", False)

# ---------------- he_backward ----------------
refb = lambda d: d["n_out"]*d["sW"]**2*d["g"]/2
for ans, nt, intent, why, f in [
  ("Var(x.grad) = n_out σ_W² g / 2", ["unicode"], "correct", "each entry sums n_out terms, the ReLU passes half", lambda d: d["n_out"]*d["sW"]**2*d["g"]/2),
  (r"\operatorname{Var}\left(\frac{\partial L}{\partial x_i}\right) = \frac{1}{2} n_{out} \sigma_W^2 g", ["latex", "leibniz"], "correct", "Leibniz name of x.grad inside Var", lambda d: d["n_out"]*d["sW"]**2*d["g"]/2),
  ("Var(x.grad) = n_in*sigma_W^2*g/2", ["keyboard"], "incorrect", "fan-in where the fan-out belongs", lambda d: d["n_in"]*d["sW"]**2*d["g"]/2),
  ("Var(dL/dx_i) = n_out σ_W² g", ["unicode", "leibniz"], "incorrect", "misses the 1/2 of the ReLU derivative", lambda d: d["n_out"]*d["sW"]**2*d["g"]),
]:
    add("he_backward", "b", ans, nt, intent, why + " (MC he_backward Var(x.grad))", same(f, refb, ["n_out", "n_in", "sW", "g"]))
for ans, nt, intent, why, s in [
  (r"\sigma_W = \sqrt{\frac{2}{n_{out}}}", ["latex"], "correct", "n_out (2/n_out) g/2 = g", lambda d: sqrt(2/d["n_out"])),
  ("σ_W = (2/n_out)^(1/2), the fan-out version of He", ["unicode"], "correct", "a power 1/2 then prose", lambda d: (2/d["n_out"])**0.5),
  ("sigma_W = sqrt(2/n_in)", ["keyboard"], "incorrect", "the forward (fan-in) condition; differs unless n_in = n_out", lambda d: sqrt(2/d["n_in"])),
]:
    add("he_backward", "c", ans, nt, intent, why, solve_ok(s, lambda d: d["n_out"]*d["sW"]**2*d["g"]/2 - d["g"], ["n_out", "n_in", "g"]))
add("he_backward", "d", "smaller, because relu' is 0 for half of the units, so Var(x.grad) = g/2", ["keyboard"], "correct", "MC he_backward:d = g/2 < g", True)
add("he_backward", "d", "larger", ["keyboard"], "incorrect", "g/2 < g", False)

# ---------------- glorot_init ----------------
add("glorot_init", "a", "Var(y) = n σ_W² v", ["unicode", "implicit"], "correct", "MC glorot Var(y)", same(lambda d: d["n"]*d["sW"]**2*d["v"], lambda d: d["n"]*d["sW"]**2*d["v"], ["n", "sW", "v"]))
add("glorot_init", "a", r"\operatorname{Var}(y_j) = m \sigma_W^2 v", ["latex"], "incorrect", "fan-out m where the fan-in n belongs", same(lambda d: d["m"]*d["sW"]**2*d["v"], lambda d: d["n"]*d["sW"]**2*d["v"], ["n", "m", "sW", "v"]))
add("glorot_init", "b", "Var(∂L/∂x_i) = m·σ_W²·g", ["unicode", "leibniz"], "correct", "MC glorot Var(x.grad)", True)
add("glorot_init", "b", "Var(x.grad) = n*sigma_W^2*g", ["keyboard"], "incorrect", "fan-in instead of fan-out", same(lambda d: d["n"]*d["sW"]**2*d["g"], lambda d: d["m"]*d["sW"]**2*d["g"], ["n", "m", "sW", "g"]))
add("glorot_init", "c", "σ_W = n^(-1/2)", ["unicode"], "correct", "n (1/n) v = v", solve_ok(lambda d: d["n"]**-0.5, lambda d: d["n"]*d["sW"]**2*d["v"] - d["v"], ["n", "v"]))
add("glorot_init", "d", "sigma_W = 1/sqrt m", ["keyboard"], "correct", "m (1/m) g = g; `sqrt m` without parentheses (docs: sqrt needs them, so a refusal would be a notation gap)", solve_ok(lambda d: 1/sqrt(d["m"]), lambda d: d["m"]*d["sW"]**2*d["g"] - d["g"], ["m", "g"]))
for ans, nt, intent, why, s in [
  (r"\sigma_W = \sqrt{\frac{2}{n+m}}", ["latex"], "correct", "(n s^2 + m s^2)/2 = 1", lambda d: sqrt(2/(d["n"]+d["m"]))),
  ("σ_W² = 2/(n + m)", ["unicode"], "correct", "the square of sigma_W stated (same condition)", lambda d: sqrt(2/(d["n"]+d["m"]))),
  ("sigma_W = sqrt(1/(n+m))", ["keyboard"], "incorrect", "drops the 2 of the average", lambda d: sqrt(1/(d["n"]+d["m"]))),
  ("σ_W = 2/(n + m)", ["unicode"], "incorrect", "the variance given as the standard deviation", lambda d: 2/(d["n"]+d["m"])),
]:
    add("glorot_init", "e", ans, nt, intent, why, solve_ok(s, lambda d: (d["n"]*d["sW"]**2 + d["m"]*d["sW"]**2)/2 - 1, ["n", "m"]))
for ans, nt, intent, why, a in [
  ("a = √(6/(n + m))", ["unicode"], "correct", "a^2/3 = 2/(n+m)", lambda d: sqrt(6/(d["n"]+d["m"]))),
  (r"a = \sqrt{6} / \sqrt{n + m}", ["latex"], "correct", "same number", lambda d: sqrt(6)/sqrt(d["n"]+d["m"])),
  ("a = sqrt(2/(n+m))", ["keyboard"], "incorrect", "forgets that a uniform on [-a, a] has variance a^2/3", lambda d: sqrt(2/(d["n"]+d["m"]))),
]:
    add("glorot_init", "f", ans, nt, intent, why + " (MC glorot:f)", same(lambda d: a(d)**2/3, lambda d: 2/(d["n"]+d["m"]), ["n", "m"]))

# ---------------- init_variance ----------------
for ans, nt, intent, why, s in [
  ("σ_W = 1/√d, so that Var(y) = d σ_W² = 1", ["unicode"], "correct", "d (1/d) = 1 (MC init_variance Var(y))", lambda d: 1/sqrt(d["d"])),
  (r"\sigma_W = d^{-1/2}", ["latex"], "correct", "same", lambda d: d["d"]**-0.5),
  ("sigma_W = 1/d", ["keyboard"], "incorrect", "Var(y) = 1/d", lambda d: 1/d["d"]),
]:
    add("init_variance", "a", ans, nt, intent, why, solve_ok(s, lambda d: d["d"]*d["sW"]**2 - 1, ["d"]))
add("init_variance", "b", "E[u] = 1/2 since y is symmetric about 0 and σ(−y) = 1 − σ(y)", ["unicode"], "correct", "MC init_variance E(u)", True)
add("init_variance", "b", "E(u) = sigma(0) = 0.5", ["keyboard"], "correct", "a chain ending at 0.5", True)
add("init_variance", "b", "𝔼[u] = 0", ["unicode"], "incorrect", "sigma is positive; its mean is 1/2", False)
add("init_variance", "c", "smaller, because the slope of the sigmoid is at most 1/4", ["keyboard"], "correct", "MC: Var(u) ~ 0.059 < Var(y) ~ 1.8", True)
add("init_variance", "c", "Larger.", ["keyboard"], "incorrect", "u is squashed into (0, 1)", False)
add("init_variance", "d", "Var(u) ≤ 1/4, reached when y = ±∞ with probability 1/2 each", ["unicode"], "correct", "u in [0, 1] => Var <= 1/4 (MC y = +-50 gives 0.25)", True)
add("init_variance", "d", r"\operatorname{Var}(u) \le \frac{1}{4}", ["latex"], "correct", "bound", True)
add("init_variance", "d", "Var(u) <= 1/16", ["keyboard"], "incorrect", "(1/4)^2: squares the slope bound; the MC two-point law reaches 0.25", False)

# ---------------- bundled dropout ----------------
add("dropout", "b", "E[y] = μ, the 1/q undoes the keep probability", ["unicode"], "correct", "MC dropout E(y)", True)
add("dropout", "b", "E(y) = q mu", ["keyboard", "implicit"], "incorrect", "that is the mean without the division by q", False)
refd = lambda d: d["v"]/d["q"]
for ans, nt, intent, why, f in [
  ("Var(y) = v/q", ["keyboard"], "correct", "E[m^2] = q", lambda d: d["v"]/d["q"]),
  (r"\operatorname{Var}(y_i) = \frac{v}{q}", ["latex"], "correct", "same", lambda d: d["v"]/d["q"]),
  ("Var(y) = v q⁻¹", ["unicode", "implicit"], "correct", "superscript -1", lambda d: d["v"]/d["q"]),
  ("Var(y) = v (1 − q)/q", ["unicode", "implicit"], "incorrect", "the variance of the mask factor m/q alone, times v; misses the v of x itself", lambda d: d["v"]*(1-d["q"])/d["q"]),
  ("Var(y) = v/q²", ["unicode"], "incorrect", "treats E[m^2] as 1", lambda d: d["v"]/d["q"]**2),
]:
    add("dropout", "c", ans, nt, intent, why + " (MC dropout Var(y) mean-0)", same(f, refd, ["v", "q"]))
add("dropout", "d", "larger (v/q > v because q < 1)", ["keyboard"], "correct", "MC dropout Var(y) mean-0", True)
add("dropout", "d", "equal, since inverted dropout keeps the expectation the same", ["keyboard"], "incorrect", "the mean is kept, the variance grows to v/q", False)

# ---------------- batchnorm_stats ----------------
add("batchnorm_stats", "a", r"\operatorname{Var}(\mu_j) = \frac{v}{B}", ["latex"], "correct", "MC bn Var(mu)", True)
add("batchnorm_stats", "a", "Var(mu) = v/B^2", ["keyboard"], "incorrect", "B terms of variance v/B^2 give v/B, not v/B^2", False)
refx = lambda d: d["v"]*(d["B"]-1)/d["B"]
for ans, nt, intent, why, f in [
  ("Var(x̂) = (1 − 1/B) v, smaller than v because x̂ subtracts its own share of the mean", ["unicode", "implicit"], "correct", "v - 2v/B + v/B", lambda d: (1-1/d["B"])*d["v"]),
  ("Var(xc) = v*(B-1)/B", ["keyboard"], "correct", "same", lambda d: d["v"]*(d["B"]-1)/d["B"]),
  ("Var(x̂) = v + v/B", ["unicode"], "incorrect", "adds Var(mu) as if mu were independent of x[b, j]", lambda d: d["v"] + d["v"]/d["B"]),
]:
    add("batchnorm_stats", "b", ans, nt, intent, why + " (MC bn Var(xc))", same(f, refx, ["v", "B"]))
add("batchnorm_stats", "c", "E[s] = v (unbiased, thanks to Bessel's 1/(B−1))", ["unicode"], "correct", "MC bn E(s)", True)
add("batchnorm_stats", "c", "E(s) = (B-1) v/B", ["keyboard"], "incorrect", "the mean of the 1/B estimate, not of the 1/(B-1) one", False)
refs = lambda d: 2*d["v"]**2/(d["B"]-1)
for ans, nt, intent, why, f in [
  (r"\operatorname{Var}(s_j) = \frac{2v^2}{B-1}", ["latex"], "correct", "(B-1)s/v is chi-square with B-1 dof", lambda d: 2*d["v"]**2/(d["B"]-1)),
  ("Var(s) = 2v²/(B − 1), which blows up for tiny batches", ["unicode"], "correct", "answer then prose", lambda d: 2*d["v"]**2/(d["B"]-1)),
  ("Var(s) = 2 v^2 / B", ["keyboard"], "incorrect", "B degrees of freedom instead of B - 1", lambda d: 2*d["v"]**2/d["B"]),
  ("Var(s) = 2v/(B-1)", ["keyboard", "implicit"], "incorrect", "v instead of v^2", lambda d: 2*d["v"]/(d["B"]-1)),
]:
    add("batchnorm_stats", "d", ans, nt, intent, why + " (MC bn Var(s))", same(f, refs, ["v", "B"]))

# ---------------- momentum_variance ----------------
# recurrence Var(m_{t+1}) = beta^2 Var(m_t) + (1-beta)^2 s^2, with its solution (MC momentum Var(m_t))
def mom_sol(d): b, s, v, t = d["beta"], d["s"], d["v"], d["t"]; return b**(2*t)*v + (1-b)**2*s**2*(1-b**(2*t))/(1-b**2)
add("momentum_variance", "a", "Var(m_{t+1}) = β² Var(m_t) + (1 − β)² s²", ["unicode"], "correct", "independent terms add; the recurrence alone", True)
add("momentum_variance", "a", "sigma2(t+1) = beta^2*sigma2(t) + (1-beta)^2*s^2\nsigma2(t) = beta^(2*t)*v + (1-beta)*s^2*(1-beta^(2*t))/(1+beta)", ["keyboard"], "correct",
    "recurrence followed by its solution; (1-b)^2/(1-b^2) = (1-b)/(1+b) (MC momentum Var(m_t))",
    same(lambda d: d["beta"]**(2*d["t"])*d["v"] + (1-d["beta"])*d["s"]**2*(1-d["beta"]**(2*d["t"]))/(1+d["beta"]), mom_sol, ["beta", "s", "v", "t"]))
add("momentum_variance", "a", r"\operatorname{Var}(m_{t+1}) = \beta \operatorname{Var}(m_t) + (1-\beta) s^2", ["latex"], "incorrect", "forgets to square the coefficients", False)
add("momentum_variance", "a", "Var(m_t) = β^(2t) v + (1 − β)² s² t", ["unicode"], "incorrect", "the noise terms are damped geometrically, not added t times",
    same(lambda d: d["beta"]**(2*d["t"])*d["v"] + (1-d["beta"])**2*d["s"]**2*d["t"], mom_sol, ["beta", "s", "v", "t"]))
def s_ok(sf): return same(lambda d: (1-d["beta"])*sf(d)**2/(1+d["beta"]) - d["v"], lambda d: 0.0, ["beta", "v"])
add("momentum_variance", "b", "s = √(v(1 + β)/(1 − β))", ["unicode", "implicit"], "correct", "long-run variance (1-b) s^2/(1+b) = v", s_ok(lambda d: sqrt(d["v"]*(1+d["beta"])/(1-d["beta"]))))
add("momentum_variance", "b", r"s = \sqrt{v}\,\sqrt{\frac{1+\beta}{1-\beta}}", ["latex"], "correct", "same, with a thin space", s_ok(lambda d: sqrt(d["v"])*sqrt((1+d["beta"])/(1-d["beta"]))))
add("momentum_variance", "b", "s = sqrt(v*(1-beta)/(1+beta))", ["keyboard"], "incorrect", "the ratio upside down", s_ok(lambda d: sqrt(d["v"]*(1-d["beta"])/(1+d["beta"]))))

# ---------------- fixup_scaling ----------------
add("fixup_scaling", "a", "Var(x_{ℓ+1}) = (1 + s⁴) Var(x_ℓ), so Var(x_ℓ) = (1 + s⁴)^ℓ", ["unicode"], "correct", "each branch layer multiplies by s^2 (MC fixup Var(x1)); recurrence then solution", True)
add("fixup_scaling", "a", "sigma2(l) = (1 + s^2)^l", ["keyboard"], "incorrect", "one layer's gain s^2; the branch has two layers (s^4)", False)
def fx(sf): return same(lambda d: exp(sf(d)**4*d["L"]), lambda d: 2.0, ["L"])
add("fixup_scaling", "b", "s = (ln 2 / L)^(1/4)", ["keyboard"], "correct", "exp(s^4 L) = 2", fx(lambda d: (log(2)/d["L"])**0.25))
add("fixup_scaling", "b", r"s = \sqrt[4]{\frac{\ln 2}{L}}", ["latex"], "correct", "same, fourth root", fx(lambda d: (log(2)/d["L"])**0.25))
add("fixup_scaling", "b", "s = (log(2)/L)^(1/2)", ["keyboard"], "incorrect", "square root: exp(s^4 L) = exp(ln2^2/L) != 2", fx(lambda d: (log(2)/d["L"])**0.5))

# ---------------- resnet_variance ----------------
add("resnet_variance", "a", r"\sigma_\ell^2 = \left(1 + D^2 J \sigma_W^2\right)^{\ell}", ["latex"], "correct", "MC resnet Var(L1): each block multiplies by 1 + D^2 J sigma_W^2", True)
add("resnet_variance", "a", "σ²(ℓ) = (1 + D J σ_W²)^ℓ", ["unicode"], "incorrect", "D taps instead of D^2", False)
def rv(sf): return same(lambda d: exp(d["D"]**2*d["J"]*sf(d)**2*d["L"]), lambda d: 2.0, ["D", "J", "L"])
add("resnet_variance", "b", "σ_W = √(ln 2/(D² J L))", ["unicode"], "correct", "exp(D^2 J sigma^2 L) = 2", rv(lambda d: sqrt(log(2)/(d["D"]**2*d["J"]*d["L"]))))
add("resnet_variance", "b", "sigma_W = sqrt(0.693/(D^2*J*L))", ["keyboard"], "correct", "ln 2 to 3 digits (docs: numbers read at the precision written)", True)
add("resnet_variance", "b", "sigma_W = sqrt(2/(D^2 J L))", ["keyboard", "implicit"], "incorrect", "2 where ln 2 belongs", rv(lambda d: sqrt(2/(d["D"]**2*d["J"]*d["L"]))))
add("resnet_variance", "c", "Var(L_ℓ.grad) = (1 + D² J σ_W²)^(L − ℓ)", ["unicode"], "correct", "MC resnet Var(L0.grad); L - l blocks above layer l", True)
add("resnet_variance", "c", "Var(L0.grad) = (1 + D^2*J*sigma_W^2)^l", ["keyboard"], "incorrect", "counts the blocks below instead of above", False)

# ---------------- instructor: dropout, he_deep ----------------
I = "tests/instructor/"
# backprop: y = m x / q
def mk(): return dict(x=R(3, 4), m=(rng.random((3, 4)) < 0.6).astype(float), G=R(3, 4))
fdrop = lambda P: (P["G"]*P["m"]*P["x"]/0.6).sum()
add(I+"dropout.yaml", "a", "for b, j: x.grad[b, j] += y.grad[b, j] * m[b, j] / q", ["keyboard"], "correct", "FD bp.py",
    trials(mk, fdrop, lambda P: dict(x=P["G"]*P["m"]/0.6), ["x"]))
add(I+"dropout.yaml", "a", "∂L/∂x = ∂L/∂y ⊙ m", ["unicode", "leibniz", "matrix"], "incorrect", "misses the 1/q (FD bp.py)",
    trials(mk, fdrop, lambda P: dict(x=P["G"]*P["m"]), ["x"]))
add(I+"dropout.yaml", "b", "Var(y) = v/q", ["keyboard"], "correct", "MC dropout Var(y) mean-0", True)
add(I+"dropout.yaml", "b", "Var(y) = q v", ["keyboard", "implicit"], "incorrect", "E[(m/q)^2] = 1/q, not q", False)
refc = lambda d: d["v"]/d["q"] + d["mu"]**2*(1-d["q"])/d["q"]
for ans, nt, intent, why, f in [
  ("Var(y) = (v + μ²)/q − μ²", ["unicode"], "correct", "E[y^2] - E[y]^2", lambda d: (d["v"]+d["mu"]**2)/d["q"] - d["mu"]**2),
  (r"\operatorname{Var}(y) = \frac{v}{q} + \frac{1-q}{q}\mu^2", ["latex"], "correct", "same, expanded", lambda d: d["v"]/d["q"] + (1-d["q"])/d["q"]*d["mu"]**2),
  ("Var(y) = v/q", ["keyboard"], "incorrect", "ignores the mean: the mask also scatters mu", lambda d: d["v"]/d["q"]),
  ("Var(y) = (v + mu^2)/q", ["keyboard"], "incorrect", "the second moment, not the variance", lambda d: (d["v"]+d["mu"]**2)/d["q"]),
]:
    add(I+"dropout.yaml", "c", ans, nt, intent, why + " (MC dropout Var(y) mean-mu)", same(f, refc, ["v", "q", "mu"]))
refhd = lambda d: (d["n"]*d["sW"]**2/2)**d["l"]*d["v"]
add(I+"he_deep.yaml", "a", "Var(z_ℓ) = (n σ_W²/2)^ℓ v", ["unicode", "implicit"], "correct", "MC he_deep Var(z_l)", True)
add(I+"he_deep.yaml", "a", "sigma2(l+1) = n*sigma_W^2/2*sigma2(l)\nsigma2(l) = (n*sigma_W^2/2)^l * v", ["keyboard"], "correct", "recurrence then its solution", True)
add(I+"he_deep.yaml", "a", r"\operatorname{Var}(z_\ell) = \left(n\sigma_W^2\right)^{\ell} v", ["latex"], "incorrect", "no 1/2 per ReLU layer",
    same(lambda d: (d["n"]*d["sW"]**2)**d["l"]*d["v"], refhd, ["n", "sW", "v", "l"]))
add(I+"he_deep.yaml", "b", "σ_W = √2/√n", ["unicode"], "correct", "(n (2/n)/2)^L v = v", True)
add(I+"he_deep.yaml", "b", "sigma_W = sqrt(2/n)^L", ["keyboard"], "incorrect", "depends on L; only L = 1 works", False)

# ---------------- instructor backprop parts ----------------
# l1_loss (matrix gradient): Loss = sum_k |W x + b - y|
def mk_l1(): return dict(x=R(3), y=R(2), W=R(2, 3), b=R(2))
fl1 = lambda P: np.abs(P["W"]@P["x"] + P["b"] - P["y"]).sum()
sg = lambda P: np.sign(P["W"]@P["x"] + P["b"] - P["y"])
add(I+"l1_loss.yaml", "a", "∂Loss/∂W = sign(ŷ − y) xᵀ\n∂Loss/∂b = sign(ŷ − y)", ["unicode", "leibniz", "matrix"], "correct", "FD bp.py",
    trials(mk_l1, fl1, lambda P: dict(W=np.outer(sg(P), P["x"]), b=sg(P)), ["W", "b"]))
add(I+"l1_loss.yaml", "a", "dW = ((yhat > y) - (yhat < y)) x^T\ndb = (yhat > y) - (yhat < y)", ["keyboard", "matrix"], "correct", "the sign written with comparisons (FD bp.py)",
    trials(mk_l1, fl1, lambda P: dict(W=np.outer(sg(P), P["x"]), b=sg(P)), ["W", "b"]))
add(I+"l1_loss.yaml", "a", "dW = (ŷ − y) xᵀ\ndb = ŷ − y", ["unicode", "matrix"], "incorrect", "the squared-error gradient (FD bp.py)",
    trials(mk_l1, fl1, lambda P: dict(W=np.outer(P["W"]@P["x"]+P["b"]-P["y"], P["x"]), b=P["W"]@P["x"]+P["b"]-P["y"]), ["W", "b"]))
add(I+"l1_loss.yaml", "a", "dW = x sign(ŷ − y)ᵀ\ndb = sign(ŷ − y)", ["unicode", "matrix"], "incorrect", "transposed: x sign^T is N x K, W is K x N",
    False)
# tied autoencoder
def mk_ta(): return dict(x=R(4), W=R(3, 4), b=R(3), c=R(4))
def fta(P):
    h = sig(P["W"]@P["x"] + P["b"]); xr = P["W"].T@h + P["c"]; return ((xr - P["x"])**2).sum()/2
def ta_grads(P, decoder=True):
    h = sig(P["W"]@P["x"] + P["b"]); r = P["W"].T@h + P["c"] - P["x"]; a = (P["W"]@r)*h*(1-h)
    return dict(c=r, b=a, W=np.outer(a, P["x"]) + (np.outer(h, r) if decoder else 0))
add(I+"tied_autoencoder.yaml", "a", """for i: c.grad[i] += xr[i] - x[i]
for j, i: h.grad[j] += W[j, i] * (xr[i] - x[i])
for j, i: W.grad[j, i] += h[j] * (xr[i] - x[i])
for j: b.grad[j] += h.grad[j] * h[j] * (1 - h[j])
for j, i: W.grad[j, i] += h.grad[j] * h[j] * (1 - h[j]) * x[i]""", ["keyboard"], "correct", "both uses of W (FD bp.py)", trials(mk_ta, fta, ta_grads, ["W", "b", "c"]))
add(I+"tied_autoencoder.yaml", "a", """for i: c.grad[i] += xr[i] − x[i]
for j, i: h.grad[j] += W[j, i] (xr[i] − x[i])
for j: b.grad[j] += h.grad[j] σ'(W[j, I] x[I] + b[j])
for j, i: W.grad[j, i] += b.grad[j] x[i]""", ["unicode", "implicit"], "incorrect", "only the encoder's use of W (FD bp.py)",
    trials(mk_ta, fta, lambda P: ta_grads(P, decoder=False), ["W", "b", "c"]))
add(I+"tied_autoencoder.yaml", "b", "∇_W Loss = (h ⊙ (1 − h) ⊙ (W (xr − x))) xᵀ + h (xr − x)ᵀ", ["unicode", "matrix", "leibniz"], "correct", "FD bp.py",
    trials(mk_ta, fta, ta_grads, ["W"]))
add(I+"tied_autoencoder.yaml", "b", r"\frac{\partial \mathrm{Loss}}{\partial W} = \left(h \odot (1 - h) \odot W(xr - x)\right) x^\top", ["latex", "matrix", "leibniz"], "incorrect", "decoder term missing (FD bp.py)",
    trials(mk_ta, fta, lambda P: ta_grads(P, decoder=False), ["W"]))
# leaky relu: h = max(z, alpha z), alpha = 0.3
al = 0.3
def mk_lr(): return dict(x=R(3), W=R(4, 3), G=R(4))
flr = lambda P: (P["G"]*np.maximum(P["W"]@P["x"], al*(P["W"]@P["x"]))).sum()
def lr_grads(P, slope):
    z = P["W"]@P["x"]; zg = P["G"]*slope(z); return dict(W=np.outer(zg, P["x"]), x=P["W"].T@zg)
add(I+"leaky_relu.yaml", "a", """for j: z.grad[j] += h.grad[j] * (1 if z[j] > 0 else α)
for j, i: W.grad[j, i] += z.grad[j] * x[i]
for j, i: x.grad[i] += W[j, i] * z.grad[j]""", ["unicode", "keyboard"], "correct", "slope 1 or alpha, by cases (FD bp.py)",
    trials(mk_lr, flr, lambda P: lr_grads(P, lambda z: np.where(z > 0, 1, al)), ["W", "x"]))
add(I+"leaky_relu.yaml", "a", """for j: z.grad[j] += h.grad[j] (1[z[j] > 0] + α 1[z[j] ≤ 0])
for j, i: W.grad[j, i] += z.grad[j] x[i]
for j, i: x.grad[i] += W[j, i] z.grad[j]""", ["unicode", "implicit"], "correct", "indicator form (FD bp.py)",
    trials(mk_lr, flr, lambda P: lr_grads(P, lambda z: (z > 0) + al*(z <= 0)), ["W", "x"]))
add(I+"leaky_relu.yaml", "a", """for j: z.grad[j] += h.grad[j] * (z[j] > 0)
for j, i: W.grad[j, i] += z.grad[j] * x[i]
for j, i: x.grad[i] += W[j, i] * z.grad[j]""", ["keyboard"], "incorrect", "plain ReLU slope: the negative side has slope alpha (FD bp.py)",
    trials(mk_lr, flr, lambda P: lr_grads(P, lambda z: (z > 0)*1.0), ["W", "x"]))
# elu, alpha = 0.7
ae = 0.7
def mk_el(): return dict(x=R(3), W=R(4, 3), b=R(4), u=R(4), G=np.array(rng.normal()))
def fel(P):
    z = P["W"]@P["x"] + P["b"]; h = np.maximum(z, 0) + ae*(np.exp(np.minimum(z, 0)) - 1); return float(P["G"]*(P["u"]@h))
def el_grads(P, dh):
    z = P["W"]@P["x"] + P["b"]; h = np.maximum(z, 0) + ae*(np.exp(np.minimum(z, 0)) - 1)
    zg = P["G"]*P["u"]*dh(z, h); return dict(u=P["G"]*h, b=zg, W=np.outer(zg, P["x"]))
add(I+"elu.yaml", "a", """for j: u.grad[j] += y.grad * h[j]
for j: z.grad[j] = y.grad u[j] (1[z[j] > 0] + 1[z[j] ≤ 0] (h[j] + α))
for j: b.grad[j] += z.grad[j]
for j, i: W.grad[j, i] += z.grad[j] x[i]""", ["unicode", "implicit"], "correct", "for z <= 0, h' = alpha e^z = h + alpha (FD bp.py)",
    trials(mk_el, fel, lambda P: el_grads(P, lambda z, h: (z > 0) + (z <= 0)*(h + ae)), ["W", "b", "u"]))
add(I+"elu.yaml", "a", """for j: u.grad[j] += y.grad * h[j]
for j: b.grad[j] += y.grad * u[j] * (step(z[j]) + alpha * exp(min(z[j], 0)) * (z[j] <= 0))
for j, i: W.grad[j, i] += b.grad[j] * x[i]""", ["keyboard"], "correct", "b.grad used as the pre-activation gradient (FD bp.py)",
    trials(mk_el, fel, lambda P: el_grads(P, lambda z, h: (z > 0) + ae*np.exp(np.minimum(z, 0))*(z <= 0)), ["W", "b", "u"]))
add(I+"elu.yaml", "a", """for j: u.grad[j] += y.grad * h[j]
for j: b.grad[j] += y.grad * u[j] * (step(z[j]) + alpha * (exp(z[j]) - 1) * (z[j] <= 0))
for j, i: W.grad[j, i] += b.grad[j] * x[i]""", ["keyboard"], "incorrect", "the ELU itself, not its slope, on the negative side (FD bp.py)",
    trials(mk_el, fel, lambda P: el_grads(P, lambda z, h: (z > 0) + ae*(np.exp(z) - 1)*(z <= 0)), ["W", "b", "u"]))
# softplus
def mk_sp(): return dict(x=R(3), W=R(4, 3), b=R(4), v=R(4), G=np.array(rng.normal()))
def fsp(P): z = P["W"]@P["x"] + P["b"]; return float(P["G"]*(P["v"]@np.log1p(np.exp(z))))
def sp_grads(P, d):
    z = P["W"]@P["x"] + P["b"]; zg = P["G"]*P["v"]*d(z)
    return dict(v=P["G"]*np.log1p(np.exp(z)), b=zg, W=np.outer(zg, P["x"]), x=P["W"].T@zg)
add(I+"softplus_mlp.yaml", "a", r"""\frac{\partial L}{\partial v_j} = \frac{\partial L}{\partial y} h_j
\frac{\partial L}{\partial z_j} = \frac{\partial L}{\partial y} v_j \sigma(z_j)
\frac{\partial L}{\partial b_j} = \frac{\partial L}{\partial z_j}
\frac{\partial L}{\partial W_{ji}} = \frac{\partial L}{\partial z_j} x_i
\frac{\partial L}{\partial x_i} = \sum_j W_{ji} \frac{\partial L}{\partial z_j}""", ["latex", "leibniz"], "correct", "softplus' = sigma (FD bp.py)",
    trials(mk_sp, fsp, lambda P: sp_grads(P, sig), ["W", "b", "v", "x"]))
add(I+"softplus_mlp.yaml", "a", """dv = dy h
dz = dy v ⊙ exp(z)/(1 + exp(z))
db = dz
dW = dz xᵀ
dx = Wᵀ dz""", ["unicode", "matrix", "implicit"], "correct", "sigma written out (FD bp.py)",
    trials(mk_sp, fsp, lambda P: sp_grads(P, sig), ["W", "b", "v", "x"]))
add(I+"softplus_mlp.yaml", "a", """dv = dy h
dz = dy v ⊙ 1/(1 + exp(z))
db = dz
dW = dz xᵀ
dx = Wᵀ dz""", ["unicode", "matrix", "implicit"], "incorrect", "sigma(-z) instead of sigma(z) (FD bp.py)",
    trials(mk_sp, fsp, lambda P: sp_grads(P, lambda z: 1/(1+np.exp(z))), ["W", "b", "v", "x"]))
add(I+"softplus_mlp.yaml", "a", """dv = dy h
dz = dy v ⊙ σ(z)
db = dz
dW = x dzᵀ
dx = Wᵀ dz""", ["unicode", "matrix", "implicit"], "incorrect", "dW transposed (x dz^T is N x H, W is H x N)", False)
# hinge: s = W x, sy = y.s, Loss = sum_j (1-y_j) max(0, s_j - sy + 1)
def mk_h():
    y = np.zeros(4); y[rng.integers(4)] = 1; return dict(x=R(3), W=R(4, 3), y=y)
def fh(P): s = P["W"]@P["x"]; sy = P["y"]@s; return ((1-P["y"])*np.maximum(0, s - sy + 1)).sum()
def h_grads(P, correct_class=True):
    s = P["W"]@P["x"]; sy = P["y"]@s; a = (1-P["y"])*(s - sy + 1 > 0)
    sgr = a - (P["y"]*a.sum() if correct_class else 0); return dict(s=sgr, W=np.outer(sgr, P["x"]))
fhs = lambda P: fh(P)  # s.grad checked through W via FD on W; s.grad itself checked below
def h_agree(student):
    ok = True
    for _ in range(4):
        P = mk_h(); Sg = student(P); Wg = fd(fh, P, "W")
        ok &= np.allclose(Sg["W"], Wg, atol=1e-5)
        Ps = dict(s=P["W"]@P["x"], y=P["y"])
        ok &= np.allclose(Sg["s"], fd(lambda Q: ((1-Q["y"])*np.maximum(0, Q["s"] - Q["y"]@Q["s"] + 1)).sum(), Ps, "s"), atol=1e-5)
        ok &= np.allclose(Sg["W"], np.outer(Sg["s"], P["x"]))
    return ok
add(I+"hinge_loss.yaml", "a", """for j: a[j] = (1 - y[j]) * (s[j] - sy + 1 > 0)
for j: s.grad[j] += a[j] - y[j] * a[J]
for j, i: W.grad[j, i] += s.grad[j] * x[i]""", ["keyboard"], "correct", "the correct class collects minus the count of violated margins (FD on W, bp.py)",
    h_agree(h_grads))
add(I+"hinge_loss.yaml", "a", """for j: s.grad[j] += (1 − y[j]) 𝟙(s[j] − sy + 1 > 0)
for j, i: W.grad[j, i] += s.grad[j] x[i]""", ["unicode", "implicit"], "incorrect", "sy depends on s too: the correct class gets nothing here (FD bp.py)",
    h_agree(lambda P: h_grads(P, correct_class=False)))
# huber, delta = 0.8
dl = 0.8
def mk_hu(): return dict(x=R(3), y=R(4), W=R(4, 3))
def fhu(P):
    r = P["W"]@P["x"] - P["y"]; a = np.abs(r); return ((a <= dl)*r**2/2 + (a > dl)*dl*(a - dl/2)).sum()
def hu_grads(P, f):
    r = P["W"]@P["x"] - P["y"]; rg = f(r); return dict(W=np.outer(rg, P["x"]))
add(I+"huber_loss.yaml", "a", """for k: r.grad[k] += max(-delta, min(delta, r[k]))
for k, i: W.grad[k, i] += r.grad[k] * x[i]""", ["keyboard"], "correct", "the Huber slope is r clipped to [-delta, delta] (FD bp.py)",
    trials(mk_hu, fhu, lambda P: hu_grads(P, lambda r: np.clip(r, -dl, dl)), ["W"]))
add(I+"huber_loss.yaml", "a", """for k: r.grad[k] += r[k] if |r[k]| ≤ δ else δ r[k]/|r[k]|
for k, i: W.grad[k, i] += r.grad[k] x[i]""", ["unicode", "implicit"], "correct", "by cases, sign as r/|r| (FD bp.py)",
    trials(mk_hu, fhu, lambda P: hu_grads(P, lambda r: np.where(np.abs(r) <= dl, r, dl*np.sign(r))), ["W"]))
add(I+"huber_loss.yaml", "a", """for k: r.grad[k] += r[k] if |r[k]| ≤ δ else δ
for k, i: W.grad[k, i] += r.grad[k] x[i]""", ["unicode", "implicit"], "incorrect", "drops the sign of r on the linear side (FD bp.py)",
    trials(mk_hu, fhu, lambda P: hu_grads(P, lambda r: np.where(np.abs(r) <= dl, r, dl)), ["W"]))
# label smoothing, eps = 0.2, C = 4
ep = 0.2
def mk_ls():
    y = np.zeros((2, 4)); y[0, rng.integers(4)] = 1; y[1, rng.integers(4)] = 1; return dict(s=R(2, 4), y=y)
def fls(P):
    p = np.exp(P["s"])/np.exp(P["s"]).sum(1, keepdims=True); return -(((1-ep)*P["y"] + ep/4)*np.log(p)).sum()
pls = lambda P: np.exp(P["s"])/np.exp(P["s"]).sum(1, keepdims=True)
add(I+"label_smoothing.yaml", "a", r"\frac{\partial \mathrm{Loss}}{\partial s_{b,j}} = p_{b,j} - (1 - \epsilon) y_{b,j} - \frac{\epsilon}{C}", ["latex", "leibniz"], "correct", "p minus the smoothed target (FD bp.py)",
    trials(mk_ls, fls, lambda P: dict(s=pls(P) - (1-ep)*P["y"] - ep/4), ["s"]))
add(I+"label_smoothing.yaml", "a", "for b, j: s.grad[b, j] += p[b, j] − ((1 − ε) y[b, j] + ε/C)", ["unicode"], "correct", "same (FD bp.py)",
    trials(mk_ls, fls, lambda P: dict(s=pls(P) - (1-ep)*P["y"] - ep/4), ["s"]))
add(I+"label_smoothing.yaml", "a", "for b, j: s.grad[b, j] += p[b, j] - (1 - eps)*y[b, j]", ["keyboard"], "incorrect", "forgets the eps/C part of the target (FD bp.py)",
    trials(mk_ls, fls, lambda P: dict(s=pls(P) - (1-ep)*P["y"]), ["s"]))
add(I+"label_smoothing.yaml", "a", "∂Loss/∂s = p − y", ["unicode", "leibniz", "matrix"], "incorrect", "the unsmoothed gradient (FD bp.py)",
    trials(mk_ls, fls, lambda P: dict(s=pls(P) - P["y"]), ["s"]))
# embedding, T = 4
def mk_em():
    Y = np.zeros((4, 6)); Y[np.arange(4), rng.integers(6, size=4)] = 1; return dict(Y=Y, E=R(6, 3), u=R(3), G=np.array(rng.normal()))
def fem(P): a = (P["Y"]@P["E"]).mean(0); return float(P["G"]*(P["u"]@a))
add(I+"embedding.yaml", "a", """for t, w, i: E.grad[w, i] += s.grad * u[i] * Y[t, w] / T
for i: u.grad[i] += s.grad * a[i]""", ["keyboard"], "correct", "only the rows of words in the sentence (FD bp.py)",
    trials(mk_em, fem, lambda P: dict(E=P["G"]*np.outer(P["Y"].sum(0), P["u"])/4, u=P["G"]*(P["Y"]@P["E"]).mean(0)), ["E", "u"]))
add(I+"embedding.yaml", "a", """for t, w, i: E.grad[w, i] += s.grad u[i] Y[t, w]
for i: u.grad[i] += s.grad a[i]""", ["keyboard", "implicit"], "incorrect", "the average's 1/T is missing (FD bp.py)",
    trials(mk_em, fem, lambda P: dict(E=P["G"]*np.outer(P["Y"].sum(0), P["u"]), u=P["G"]*(P["Y"]@P["E"]).mean(0)), ["E", "u"]))
# gelu
from math import erf
Phi = np.vectorize(lambda z: 0.5*(1 + erf(z/sqrt(2))))
phi = lambda z: np.exp(-z**2/2)/sqrt(2*pi)
def mk_g(): return dict(z=R(5), G=R(5))
fg = lambda P: float((P["G"]*P["z"]*Phi(P["z"])).sum())
add(I+"gelu.yaml", "a", "for j: z.grad[j] += h.grad[j] * (Phi(z[j]) + z[j] * exp(-z[j]^2/2) / sqrt(2*pi))", ["keyboard"], "correct", "Phi' is the normal density (FD bp.py)",
    trials(mk_g, fg, lambda P: dict(z=P["G"]*(Phi(P["z"]) + P["z"]*phi(P["z"]))), ["z"]))
add(I+"gelu.yaml", "a", "for j: z.grad[j] += h.grad[j] (Φ(z[j]) + z[j] Φ'(z[j]))", ["unicode", "implicit"], "correct", "product rule with Phi' (FD bp.py)",
    trials(mk_g, fg, lambda P: dict(z=P["G"]*(Phi(P["z"]) + P["z"]*phi(P["z"]))), ["z"]))
add(I+"gelu.yaml", "a", "for j: z.grad[j] += h.grad[j] * Phi(z[j])", ["keyboard"], "incorrect", "product rule: the z Phi'(z) term is missing (FD bp.py)",
    trials(mk_g, fg, lambda P: dict(z=P["G"]*Phi(P["z"])), ["z"]))

# ---------------- numeric parts ----------------
x = np.array([1., 2]); t = 1.; W = np.array([[-1., 1], [1, -2]]); v = np.array([3., -1])
z = W@x; h = np.maximum(z, 0); y = v@h; C = (y - t)**2/2
assert list(z) == [1, -3] and list(h) == [1, 0] and y == 3 and C == 2
yg = y - t; hg = yg*v; zg = hg*(z > 0); xg = W.T@zg; vg = yg*h; Wg = np.outer(zg, x)
assert list(hg) == [6, -2] and list(zg) == [6, 0] and list(xg) == [-6, 6] and list(vg) == [2, 0] and Wg.tolist() == [[6, 12], [0, 0]]
mn = "mlp_numeric"
add(mn, "forward", "z = (1, −3)ᵀ\nh = (1, 0)ᵀ\ny = 3.0\nC = 4/2", ["unicode"], "correct", "forward by hand, checked in build.py", True)
add(mn, "forward", r"z = \begin{pmatrix} 1 \\ -3 \end{pmatrix}" + "\n" + r"h = \begin{pmatrix} 1 \\ 0 \end{pmatrix}" + "\ny = 3\nC = 2.00", ["latex"], "correct", "column vectors in pmatrix", True)
add(mn, "forward", "z = [1, -3]\nh = [1, -3]\ny = 6\nC = 12.5", ["keyboard"], "incorrect", "forgot the ReLU: h = z, y = 3 + 3 = 6, C = 25/2", False)
add(mn, "forward", "z = [1, −3]\nh = [1, 0]\ny = 3\nC = 4", ["unicode"], "incorrect", "C drops the 1/2: (3-1)^2/2 = 2", False)
add(mn, "backward", "∂C/∂y = 2\n∂C/∂h = (6, −2)\n∂C/∂z = (6, 0)\n∂C/∂x = (−6, 6)\n∂C/∂v = (2, 0)\n" + r"∂C/∂W = \begin{pmatrix} 6 & 12 \\ 0 & 0 \end{pmatrix}", ["unicode", "leibniz", "latex"], "correct", "checked in build.py", True)
add(mn, "backward", "y.grad = 2.0\nh.grad = [6.0, -2.0]\nz.grad = [6.0, 0.0]\nx.grad = [-6.0, 6.0]\nv.grad = [2.0, 0.0]\nW.grad = [[6.0, 0.0], [12.0, 0.0]]", ["keyboard"], "incorrect", "W.grad transposed (x z.grad^T)", False)
add(mn, "backward", "dC/dy = 2\ndC/dh = [6, -2]\ndC/dz = [6, 0]\ndC/dx = [6, -6]\ndC/dv = [2, 0]\ndC/dW = [[6, 12], [0, 0]]", ["keyboard", "leibniz"], "incorrect", "x.grad sign flipped: W^T z.grad = (-6, 6)", False)
add(mn, "vectorized", r"""\nabla_v C = (y - t) h
\nabla_h C = (y - t) v
\nabla_z C = \nabla_h C \circ \mathbb{1}[z > 0]
\nabla_W C = \nabla_z C \, x^\top""", ["latex", "leibniz", "matrix"], "correct", "nabla names, checked by hand against the numbers above", True)
add(mn, "vectorized", "∇_v C = (y − t) h\n∇_h C = (y − t) v\n∇_z C = ∇_h C ∘ σ'(z)\n∇_W C = ∇_z C xᵀ", ["unicode", "leibniz", "matrix"], "incorrect", "sigma' where the ReLU's step belongs", False)
# numeric_231: decimals
x2 = np.array([1., -1]); t2 = 0.5; W1 = np.array([[.1, .2], [-.3, .4], [.5, -.6]]); b1 = np.array([0, .1, -.1]); w2 = np.array([1., -1, 2]); b2 = .2
z2 = W1@x2 + b1; h2 = sig(z2); y2 = w2@h2 + b2; E2 = (y2 - t2)**2/2
add(I+"numeric_231.yaml", "forward", "z = [-0.1, -0.6, 1.0]\nh = [0.475, 0.354, 0.731]\ny = 1.783\nE = 0.823", ["keyboard"], "correct",
    f"rounded from NumPy: z={z2}, h={h2}, y={y2:.5f}, E={E2:.5f}", np.allclose([0.475, .354, .731], h2, atol=5e-4) and abs(y2 - 1.783) < 5e-4 and abs(E2 - .823) < 5e-4)
add(I+"numeric_231.yaml", "forward", "z = (−1/10, −3/5, 1)\nh = (0.4750, 0.3543, 0.7311)\ny = 1.7828\nE = 0.82278", ["unicode"], "correct",
    "fractions and 4-5 digits", np.allclose([0.4750, .3543, .7311], h2, atol=5e-5) and abs(y2 - 1.7828) < 5e-5 and abs(E2 - .82278) < 5e-6)
add(I+"numeric_231.yaml", "forward", "z = [-0.1, -0.6, 1.0]\nh = [0.475, 0.354, 0.731]\ny = 1.583\nE = 0.586", ["keyboard"], "incorrect", f"forgot b2 = 0.2 in y (y = {y2:.4f})", False)
yg2 = y2 - t2; zg2 = yg2*w2*h2*(1-h2)
add(I+"numeric_231.yaml", "backward", f"""y.grad = {yg2:.4f}
h.grad = [{yg2*w2[0]:.4f}, {yg2*w2[1]:.4f}, {yg2*w2[2]:.4f}]
z.grad = [{zg2[0]:.4f}, {zg2[1]:.4f}, {zg2[2]:.4f}]
W1.grad = [[{zg2[0]:.4f}, {-zg2[0]:.4f}], [{zg2[1]:.4f}, {-zg2[1]:.4f}], [{zg2[2]:.4f}, {-zg2[2]:.4f}]]
b1.grad = [{zg2[0]:.4f}, {zg2[1]:.4f}, {zg2[2]:.4f}]
w2.grad = [{yg2*h2[0]:.4f}, {yg2*h2[1]:.4f}, {yg2*h2[2]:.4f}]
b2.grad = {yg2:.4f}""", ["keyboard"], "correct", "every value to 4 decimals from NumPy (x = (1, -1) so W1.grad = z.grad x^T)", True)
add(I+"numeric_231.yaml", "backward", f"""y.grad = {yg2:.4f}
h.grad = [{yg2*w2[0]:.4f}, {yg2*w2[1]:.4f}, {yg2*w2[2]:.4f}]
z.grad = [{yg2*w2[0]:.4f}, {yg2*w2[1]:.4f}, {yg2*w2[2]:.4f}]
W1.grad = [[{yg2*w2[0]:.4f}, {-yg2*w2[0]:.4f}], [{yg2*w2[1]:.4f}, {-yg2*w2[1]:.4f}], [{yg2*w2[2]:.4f}, {-yg2*w2[2]:.4f}]]
b1.grad = [{yg2*w2[0]:.4f}, {yg2*w2[1]:.4f}, {yg2*w2[2]:.4f}]
w2.grad = [{yg2*h2[0]:.4f}, {yg2*h2[1]:.4f}, {yg2*h2[2]:.4f}]
b2.grad = {yg2:.4f}""", ["keyboard"], "incorrect", "skips the sigmoid's slope h(1-h) in z.grad", False)
# adam_step: first step from zero moments
g = 2*(np.array([.5, -.3])@np.array([1., 2]) - 1)*np.array([1., 2]); m1 = 0.1*g; v1 = 0.001*g**2
w1 = np.array([.5, -.3]) - 0.001*(m1/0.1)/(np.sqrt(v1/0.001) + 1e-8)
add(I+"adam_step.yaml", "a", "g = [-11/5, -22/5]\nm1 = [-0.22, -0.44]\nv1 = [0.00484, 0.01936]\nw1 = [0.501, -0.299]", ["keyboard"], "correct",
    f"g={g}, m1={m1}, v1={v1}, w1={w1}", np.allclose(g, [-2.2, -4.4]) and np.allclose(v1, [.00484, .01936]) and np.allclose(w1, [.501, -.299], atol=5e-4))
add(I+"adam_step.yaml", "a", "g = (−2.2, −4.4)\nm1 = (−0.22, −0.44)\nv1 = (4.84·10⁻³, 1.936·10⁻²)\nw1 = (0.501, −0.299)", ["unicode"], "correct", "scientific notation with a middle dot", True)
add(I+"adam_step.yaml", "a", "g = [-2.2, -4.4]\nm1 = [-0.22, -0.44]\nv1 = [0.00484, 0.01936]\nw1 = [0.499, -0.301]", ["keyboard"], "incorrect", "stepped up the gradient (w + eta) instead of down", False)

# ---------------- costs ----------------
add("rnn_lm_cost", "a", "O(T), since backprop visits each of the T steps once, doing constant work per step", ["keyboard"], "correct", "a constant times the forward work", True)
add("rnn_lm_cost", "a", r"\mathcal{O}(T^2) because every loss term has to be backpropagated to the start", ["latex"], "incorrect", "the T losses share one backward pass", False)
add("rnn_unroll", "b", "Θ(T): the backward pass has to go through h_T, …, h_1 one after the other", ["unicode"], "correct", "a chain of T dependent cells", True)
add("rnn_unroll", "b", "O(log T)", ["keyboard"], "incorrect", "the recurrence is sequential; no tree reduction over time", False)
add("loss_heads", "b", "O(L) — one backward sweep through the L layers, the heads only add constant work per layer", ["unicode"], "correct", "linear in depth", True)
add("loss_heads", "b", "O(L^2), each head backpropagates through all the layers below it", ["keyboard"], "incorrect", "backprop accumulates the heads' gradients in one sweep", False)
add(I+"attention_cost.yaml", "a", "work = O(T^2)\ndepth = O(log T)", ["keyboard"], "correct", "T x T scores; softmax sums of T terms in log depth", True)
add(I+"attention_cost.yaml", "a", "work: O(T²)\ndepth: O(log T)", ["unicode"], "correct", "same, with colons", True)
add(I+"attention_cost.yaml", "a", "work = O(T)\ndepth = O(1)", ["keyboard"], "incorrect", "the score matrix alone has T^2 entries", False)
add(I+"attention_cost.yaml", "b", "work = O(T²), depth = O(log T)", ["unicode"], "correct", "backward: same orders, on one line", True)
add(I+"attention_cost.yaml", "b", r"work = \mathcal{O}(T^2)" + "\n" + r"depth = \mathcal{O}(T)", ["latex"], "incorrect", "the backward sums over T in log depth, nothing sequential in T", False)
add(I+"lstm.yaml", "b", "O(T), the steps must be backpropagated one after the other", ["keyboard"], "correct", "a chain of T cells", True)
add(I+"lstm.yaml", "b", "O(1)", ["keyboard"], "incorrect", "h_t depends on h_{t-1}", False)


# ---------------- hedged answers and answers that correct themselves in prose ----------------
add("batchnorm_stats", "d", "Var(s) = 2v²/(B − 1) for large batches, and 2v²/B otherwise", ["unicode", "implicit"], "incorrect", "a hedge: the second formula (claimed for small batches) is wrong; 2v^2/(B-1) holds for every B (MC bn Var(s))", False)
add("batchnorm_stats", "d", "Var(s) = 2v^2/(B-1) or 2v^2/B, not sure which", ["keyboard", "implicit"], "incorrect", "two different answers: a grader gives no credit", False)
add("he_init", "d", "E[h] = √(v/(2π)) or maybe √v/2", ["unicode"], "incorrect", "two different answers, the second wrong (MC he_init E(h))", False)
add("he_init", "b", "sigma_W = 1/sqrt(n) for a linear layer, but sqrt(2/n) with the ReLU", ["keyboard"], "correct", "the student's answer for this (ReLU) layer is sqrt(2/n); the first clause is a true remark about a linear layer", True)
add("rnn_lm_cost", "a", "O(T) for the forward pass and O(T^2) for the backward pass", ["keyboard"], "incorrect", "the part asks for the backward work, which the student says is O(T^2): wrong (it is O(T))", False)
add("he_init", "a", "Var(z1) = n σ_W² E[z0²]/2", ["unicode", "implicit"], "correct", "in terms of the assumed law of the input: E[z0^2] = v (docs: moments of an input)", True)

# drop answers already in the earlier corpora (this corpus holds NEW answers only)
import glob
old = set()
for f in glob.glob(str(Path(__file__).parents[2] / "notation_corpus*" / "answers.yaml")):
    if "corpus5" in f: continue
    for e in yaml.safe_load(open(f)): old.add((e["problem"], str(e["part"]), e["answer"].strip()))
E = [e for e in E if (e["problem"], e["part"], e["answer"].strip()) not in old]
out = Path(__file__).parents[1] / "answers.yaml"
head = ("# A fifth held-out corpus of student answers (see README.md). Labels come from scratch/build.py:\n"
        "# finite differences through NumPy forwards (scratch/bp.py), moment formulas confirmed by\n"
        "# Monte Carlo (scratch/moments.py, output scratch/mc_run.txt), solves put back into their condition.\n")
out.write_text(head + yaml.safe_dump(E, allow_unicode=True, sort_keys=False, width=200))
nc = sum(e["expected"] == "correct" for e in E)
print(len(E), "answers:", nc, "correct,", len(E) - nc, "incorrect")
