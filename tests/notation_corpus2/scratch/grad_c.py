"""Finite-difference checks: vanilla_rnn_bptt, ugrnn, lenet5."""
import numpy as np
from common import sig, fd_grad, close

E = []
def entry(problem, part, answer, notation, expected, why, check):
    E.append(dict(problem=problem, part=part, answer=answer, notation=notation,
                  expected=expected, why=why, check=check))

# ---------------------------------------------------------------- vanilla_rnn_bptt
T, Mh, Nx, Cy = 3, 4, 2, 3
def rnn_draw(seed):
    r = np.random.default_rng(seed)
    return dict(U=r.normal(size=(Mh, Mh)) * 0.7, W=r.normal(size=(Mh, Nx)), b=r.normal(size=Mh),
                V=r.normal(size=(Cy, Mh)), x=r.normal(size=(T + 1, Nx)), y=r.normal(size=(T + 1, Cy)))
def rnn_fwd(P, dz=None):
    """index t = 1..T (row 0 unused); dz: perturbation added to z[t, m]"""
    h = np.zeros((T + 1, Mh)); z = np.zeros((T + 1, Mh)); yh = np.zeros((T + 1, Cy))
    for t in range(1, T + 1):
        z[t] = P['U'] @ h[t - 1] + P['W'] @ P['x'][t] + P['b']
        if dz is not None:
            z[t] = z[t] + dz[t]
        h[t] = np.tanh(z[t]); yh[t] = P['V'] @ h[t]
    L = 0.5 * np.sum((yh[1:] - P['y'][1:]) ** 2)
    return L, z, h, yh

def rnn_zgrad(P):
    g = fd_grad(lambda dz: rnn_fwd(P, dz)[0], np.zeros((T + 1, Mh)))
    return g

def va_check(transposeU):
    ok = True
    for seed in range(3):
        P = rnn_draw(seed)
        L, z, h, yh = rnn_fwd(P)
        truth = rnn_zgrad(P)
        zg = np.zeros((T + 2, Mh))
        Ueff = P['U'].T if transposeU else P['U']   # sum_i U_{im} zg[t+1,i]  = (U^T zg)[m]
        for t in range(T, 0, -1):
            zg[t] = (1 - h[t] ** 2) * (P['V'].T @ (yh[t] - P['y'][t]) + Ueff @ zg[t + 1])
        ok &= close(zg[1:T + 1], truth[1:])
    return ok

entry('vanilla_rnn_bptt', 'a',
      "\\frac{\\partial L}{\\partial z_{t,m}} = \\left(1 - h_{t,m}^2\\right)\\left(\\sum_{c} V_{cm} (\\hat{y}_{t,c} - y_{t,c}) + \\sum_{i} U_{im} \\frac{\\partial L}{\\partial z_{t+1,i}}\\right)\n",
      ['latex', 'leibniz', 'implicit'], 'correct',
      'delta_t = (1 - h_t^2) ⊙ (V^T (yhat_t - y_t) + U^T delta_{t+1}), delta_{T+1} = 0',
      lambda: va_check(True))
entry('vanilla_rnn_bptt', 'a',
      "\\frac{\\partial L}{\\partial z_{t,m}} = \\left(1 - h_{t,m}^2\\right)\\left(\\sum_{c} V_{cm} (\\hat{y}_{t,c} - y_{t,c}) + \\sum_{i} U_{mi} \\frac{\\partial L}{\\partial z_{t+1,i}}\\right)\n",
      ['latex', 'leibniz', 'implicit'], 'incorrect',
      'U is not transposed: the recurrence needs sum_i U[i, m] delta_{t+1}[i] (U^T delta)',
      lambda: va_check(False))

def vb_check(shift):
    ok = True
    for seed in range(3):
        P = rnn_draw(seed)
        L, z, h, yh = rnn_fwd(P)
        zg = rnn_zgrad(P)
        T_ = {k: fd_grad(lambda v, k=k: rnn_fwd({**P, k: v})[0], P[k]) for k in ('U', 'W', 'b')}
        hprev = np.array([h[t - 1] if shift else h[t] for t in range(1, T + 1)])
        A = dict(U=sum(np.outer(zg[t], hprev[t - 1]) for t in range(1, T + 1)),
                 W=sum(np.outer(zg[t], P['x'][t]) for t in range(1, T + 1)),
                 b=sum(zg[t] for t in range(1, T + 1)))
        ok &= all(close(A[k], T_[k]) for k in T_)
    return ok
entry('vanilla_rnn_bptt', 'b',
      "\\frac{\\partial L}{\\partial U_{mi}} = \\sum_{t} \\frac{\\partial L}{\\partial z_{t,m}} h_{t-1,i}\n"
      "\\frac{\\partial L}{\\partial W_{mk}} = \\sum_{t} \\frac{\\partial L}{\\partial z_{t,m}} x_{t,k}\n"
      "\\frac{\\partial L}{\\partial b_{m}} = \\sum_{t} \\frac{\\partial L}{\\partial z_{t,m}}\n",
      ['latex', 'leibniz', 'implicit'], 'correct',
      'shared weights: sum over time of delta_t times the input of z_t (h_{t-1} for U, x_t for W)',
      lambda: vb_check(True))
entry('vanilla_rnn_bptt', 'b',
      "\\frac{\\partial L}{\\partial U_{mi}} = \\sum_{t} \\frac{\\partial L}{\\partial z_{t,m}} h_{t,i}\n"
      "\\frac{\\partial L}{\\partial W_{mk}} = \\sum_{t} \\frac{\\partial L}{\\partial z_{t,m}} x_{t,k}\n"
      "\\frac{\\partial L}{\\partial b_{m}} = \\sum_{t} \\frac{\\partial L}{\\partial z_{t,m}}\n",
      ['latex', 'leibniz', 'implicit'], 'incorrect',
      'off by one in time: z_t reads h_{t-1}, not h_t',
      lambda: vb_check(False))

# ---------------------------------------------------------------- ugrnn
Bu, Tu, Ju, Ku = 2, 3, 4, 3
def ug_draw(seed):
    r = np.random.default_rng(seed)
    return dict(Whr=r.normal(size=(Ju, Ju)), Wxr=r.normal(size=(Ju, Ku)), BR=r.normal(size=Ju),
                h=r.normal(size=(Bu, Tu + 1, Ju)), x=r.normal(size=(Bu, Tu + 1, Ku)),
                G=r.normal(size=(Bu, Tu + 1, Ju)))
def ug_Rt(P):
    Rt = np.zeros((Bu, Tu + 1, Ju))
    for t in range(1, Tu + 1):
        hp = P['h'][:, t - 1] if t > 1 else np.zeros((Bu, Ju))   # h[b,0] reads zero
        Rt[:, t] = hp @ P['Whr'].T + P['x'][:, t] @ P['Wxr'].T - P['BR']
    return Rt
def ug_a_check():
    # the loops of the answer vs the definition
    ok = True
    for seed in range(3):
        P = ug_draw(seed)
        Rt = np.zeros((Bu, Tu + 1, Ju))
        for b in range(Bu):
            for t in range(1, Tu + 1):
                for j in range(Ju):
                    for i in range(Ju):
                        Rt[b, t, j] += P['Whr'][j, i] * (P['h'][b, t - 1, i] if t > 1 else 0)
                    for k in range(Ku):
                        Rt[b, t, j] += P['Wxr'][j, k] * P['x'][b, t, k]
                    Rt[b, t, j] -= P['BR'][j]
        ok &= close(Rt, ug_Rt(P))
    return ok
entry('ugrnn', 'a',
      "for b, t, j, i: Rt[b, t, j] += Whr[j, i] · h[b, t−1, i]\n"
      "for b, t, j, k: Rt[b, t, j] += Wxr[j, k] · x[b, t, k]\n"
      "for b, t, j: Rt[b, t, j] −= BR[j]\n",
      ['unicode'], 'correct', 'each sum becomes its own += loop, the bias a -= loop',
      ug_a_check)

def ug_b_check(bias_sign):
    ok = True
    for seed in range(3):
        P = ug_draw(seed)
        f = lambda Q: np.sum(Q['G'][:, 1:] * ug_Rt(Q)[:, 1:])
        T_ = {}
        for k in ('Whr', 'Wxr', 'BR'):
            T_[k] = fd_grad(lambda v, k=k: f({**P, k: v}), P[k]) / Bu
        T_['h'] = fd_grad(lambda v: f({**P, 'h': v}), P['h'])[:, 1:Tu]    # h[b, 1..T-1]
        T_['x'] = fd_grad(lambda v: f({**P, 'x': v}), P['x'])[:, 1:]
        G = P['G']
        A = {'Whr': np.zeros((Ju, Ju)), 'Wxr': np.zeros((Ju, Ku)), 'BR': np.zeros(Ju),
             'h': np.zeros((Bu, Tu + 1, Ju)), 'x': np.zeros((Bu, Tu + 1, Ku))}
        for b in range(Bu):
            for t in range(1, Tu + 1):
                hp = P['h'][b, t - 1] if t > 1 else np.zeros(Ju)
                A['Whr'] += np.outer(G[b, t], hp) / Bu
                A['Wxr'] += np.outer(G[b, t], P['x'][b, t]) / Bu
                A['BR'] += bias_sign * G[b, t] / Bu
                if t >= 2:
                    A['h'][b, t - 1] += P['Whr'].T @ G[b, t]
                A['x'][b, t] += P['Wxr'].T @ G[b, t]
        A['h'] = A['h'][:, 1:Tu]; A['x'] = A['x'][:, 1:]
        ok &= all(close(A[k], T_[k]) for k in T_)
    return ok
UB = ("for b, t, j, i: Whr.grad[j, i] += Rt.grad[b, t, j] · h[b, t−1, i] / B\n"
      "for b, t, j, k: Wxr.grad[j, k] += Rt.grad[b, t, j] · x[b, t, k] / B\n"
      "for b, t, j: BR.grad[j] {op} Rt.grad[b, t, j] / B\n"
      "for t in 2..T, b, j, i: h.grad[b, t−1, i] += Whr[j, i] · Rt.grad[b, t, j]\n"
      "for b, t, j, k: x.grad[b, t, k] += Wxr[j, k] · Rt.grad[b, t, j]\n")
entry('ugrnn', 'b', UB.format(op='−='), ['unicode'], 'correct',
      'parameter grads averaged over the batch (/B), h and x grads not averaged; h_0 is a constant',
      lambda: ug_b_check(-1))
entry('ugrnn', 'b', UB.format(op='+='), ['unicode'], 'incorrect',
      'the bias enters Rt with a minus sign, so BR.grad must be -= (sign error)',
      lambda: ug_b_check(+1))

# ---------------------------------------------------------------- lenet5 a (pooling)
Mm, Nn, Dd = 4, 6, 3
Rr, Cc = Mm // 2, Nn // 2
def le_fwd(Y, w, a):
    Xt = np.zeros((Rr, Cc, Dd))
    for r in range(Rr):
        for c in range(Cc):
            Xt[r, c] = w * (Y[2*r, 2*c] + Y[2*r+1, 2*c] + Y[2*r, 2*c+1] + Y[2*r+1, 2*c+1]) / 4 + a
    return Xt, sig(Xt)
def le_check(output_slope):
    ok = True
    for seed in range(3):
        rg = np.random.default_rng(seed)
        Y = rg.normal(size=(Mm, Nn, Dd)); w = rg.normal(size=Dd); a = rg.normal(size=Dd)
        G = rg.normal(size=(Rr, Cc, Dd))
        f = lambda Y_, w_, a_: np.sum(G * le_fwd(Y_, w_, a_)[1])
        T_ = dict(Y=fd_grad(lambda v: f(v, w, a), Y), w=fd_grad(lambda v: f(Y, v, a), w),
                  a=fd_grad(lambda v: f(Y, w, v), a))
        Xt, X1 = le_fwd(Y, w, a)
        Xtg = G * output_slope(X1)
        A = dict(Y=np.zeros_like(Y), w=np.zeros(Dd), a=Xtg.sum((0, 1)))
        for r in range(Rr):
            for c in range(Cc):
                A['w'] += Xtg[r, c] * (Y[2*r, 2*c] + Y[2*r+1, 2*c] + Y[2*r, 2*c+1] + Y[2*r+1, 2*c+1]) / 4
                for (p, q) in ((0, 0), (1, 0), (0, 1), (1, 1)):
                    A['Y'][2*r+p, 2*c+q] += w * Xtg[r, c] / 4
        ok &= all(close(A[k], T_[k]) for k in T_)
    return ok
LE = ("for r, c, d: Xt.grad[r, c, d] = X1.grad[r, c, d] · {slope}\n"
      "for r, c, d: a.grad[d] += Xt.grad[r, c, d]\n"
      "for r, c, d: w.grad[d] += Xt.grad[r, c, d] · (Y[2r, 2c, d] + Y[2r+1, 2c, d] + Y[2r, 2c+1, d] + Y[2r+1, 2c+1, d]) / 4\n"
      "for r, c, d: Y.grad[2r, 2c, d] += w[d] Xt.grad[r, c, d] / 4\n"
      "for r, c, d: Y.grad[2r+1, 2c, d] += w[d] Xt.grad[r, c, d] / 4\n"
      "for r, c, d: Y.grad[2r, 2c+1, d] += w[d] Xt.grad[r, c, d] / 4\n"
      "for r, c, d: Y.grad[2r+1, 2c+1, d] += w[d] Xt.grad[r, c, d] / 4\n")
entry('lenet5', 'a', LE.format(slope='X1[r, c, d] · (1 − X1[r, c, d])'),
      ['unicode', 'implicit'], 'correct',
      'sigmoid slope from its output, then the mean-pool spreads w/4 to each of the four inputs of a window',
      lambda: le_check(lambda X1: X1 * (1 - X1)))
entry('lenet5', 'a', LE.format(slope="σ'(X1[r, c, d])"),
      ['unicode', 'keyboard', 'implicit'], 'incorrect',
      "σ' is evaluated at the output X1 instead of the pre-activation Xt (should be X1(1 - X1) = σ'(Xt))",
      lambda: le_check(lambda X1: sig(X1) * (1 - sig(X1))))
