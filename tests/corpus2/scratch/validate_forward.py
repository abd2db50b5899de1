"""Cross-check nb.py's forward execution against hand-written NumPy forwards."""
import numpy as np, ref, nb
from numpy import tanh, exp, log, sqrt
sig = lambda x: 1/(1+np.exp(-x))

def arrs(S, names):
    return {n: nb.to_array(S.ctx0, n) for n in names}

def get(S, n):
    return nb.to_array(S.ctx0, n)

def check(pid, part, sizes, fn):
    S = ref.Setup(pid, part, sizes, 3)
    inp = {n: get(S, n) for n in S.p.tensors if n not in S.p.written}
    out = fn(inp, sizes, S.syms)
    worst = 0
    for n, v in out.items():
        a = get(S, n)
        e = np.max(np.abs(a - v)) / max(1e-12, np.max(np.abs(v)))
        worst = max(worst, e)
        if e > 1e-9:
            print('  MISMATCH', pid, n, e)
    print(pid, 'ok' if worst < 1e-9 else 'BAD', worst)

def softmax(i, s, y):
    Z = exp(i['s']).sum(1); p = exp(i['s'])/Z[:, None]
    return dict(Z=Z, p=p)
check('softmax', 'a', {'B': 3, 'J': 4}, softmax)

def bn(i, s, y):
    x = i['x']; B = s['B']; mu = x.mean(0); sv = ((x-mu)**2).sum(0)/(B-1)
    return dict(mu=mu, s=sv, xp=(x-mu)/sqrt(sv))
check('batchnorm', 'a', {'B': 4, 'J': 3}, bn)

def relu_u(i, s, y):
    z = i['w'] @ i['x']; return dict(z=np.array(z), y=np.array(max(z, 0)))
check('relu_unit', 'a', {'d': 3}, relu_u)

def ugrnn(i, s, y):
    B, T, J = s['B'], s['T'], s['J']
    h = np.zeros((B, T+1, J)); out = {k: np.zeros((B, T, J)) for k in ['Rt', 'R', 'Gt', 'G']}
    x = i['x']
    for t in range(1, T+1):
        Rt = h[:, t-1] @ i['Whr'].T + x[:, t-1] @ i['Wxr'].T - i['BR']
        Gt = h[:, t-1] @ i['Whg'].T + x[:, t-1] @ i['Wxg'].T - i['BG']
        R, G = tanh(Rt), sig(Gt)
        h[:, t] = G*h[:, t-1] + (1-G)*R
        for k, v in zip(['Rt', 'R', 'Gt', 'G'], [Rt, R, Gt, G]): out[k][:, t-1] = v
    out['h'] = h[:, 1:]
    return out
check('ugrnn', 'b', {'B': 2, 'T': 3, 'J': 4, 'K': 3}, ugrnn)

def gru(i, s, y):
    B, T, J = s['B'], s['T'], s['J']
    h = np.zeros((B, T+1, J)); out = {k: np.zeros((B, T, J)) for k in ['G1', 'hp', 'G2', 'R']}
    x = i['x']
    for t in range(1, T+1):
        G1 = sig(h[:, t-1] @ i['Whg1'].T + x[:, t-1] @ i['Wxg1'].T - i['BG1'])
        hp = G1*h[:, t-1]
        G2 = sig(h[:, t-1] @ i['Whg2'].T + x[:, t-1] @ i['Wxg2'].T - i['BG2'])
        R = tanh(hp @ i['Whr'].T + x[:, t-1] @ i['Wxr'].T - i['BR'])
        h[:, t] = (1-G2)*h[:, t-1] + G2*R
        for k, v in zip(['G1', 'hp', 'G2', 'R'], [G1, hp, G2, R]): out[k][:, t-1] = v
    out['h'] = h[:, 1:]
    return out
check('gru', 'a', {'B': 2, 'T': 3, 'J': 4, 'K': 3}, gru)

def tg(i, s, y):
    B, T, J = s['B'], s['T'], s['J']
    h = np.zeros((B, T+1, J)); out = {k: np.zeros((B, T, J)) for k in ['GR', 'R', 'Gh']}
    x = i['x']
    for t in range(1, T+1):
        hp, xt = h[:, t-1], x[:, t-1]
        GR = sig(hp @ i['Whgr'].T + xt @ i['Wxgr'].T - i['BGR'])
        R = tanh(GR*(hp @ i['Whr'].T - i['Bhr']) + (1-GR)*(xt @ i['Wxr'].T - i['Bxr']))
        Gh = sig(hp @ i['Whgh'].T + xt @ i['Wxgh'].T - i['BGh'])
        h[:, t] = Gh*hp + (1-Gh)*R
        for k, v in zip(['GR', 'R', 'Gh'], [GR, R, Gh]): out[k][:, t-1] = v
    out['h'] = h[:, 1:]
    return out
check('two_gate_rnn', 'a', {'B': 2, 'T': 3, 'J': 4, 'K': 3}, tg)

def conv(L0, W):  # out[b,x,y,j] = sum W[dx,dy,i,j] L0[b,x+dx,y+dy,i], zero padded at the far border
    B, X, Y, I = L0.shape; D = W.shape[0]
    P = np.zeros((B, X+D, Y+D, I)); P[:, :X, :Y] = L0
    out = np.zeros((B, X, Y, W.shape[3]))
    for dx in range(D):
        for dy in range(W.shape[1]):
            out += np.einsum('bxyi,ij->bxyj', P[:, dx:dx+X, dy:dy+Y], W[dx, dy])
    return out

def ugcnn(i, s, y):
    Rt = conv(i['L0'], i['WR']); Gt = conv(i['L0'], i['WG'])
    R = tanh(Rt - i['BR']); G = sig(Gt - i['BG'])
    return dict(Rt=Rt, Gt=Gt, R=R, G=G, L1=G*i['L0'] + (1-G)*R)
check('ugcnn', 'a', {'B': 2, 'X': 4, 'Y': 3, 'J': 3, 'D': 2}, ugcnn)

def resnet(i, s, y):
    R = conv(i['L0'], i['W']) - i['Bias']
    return dict(R=R, L1=i['L0'] + R)
check('resnet_variance', 'a', {'B': 1, 'X': 5, 'Y': 4, 'J': 2, 'D': 2}, resnet)

def lenet(i, s, y):
    X0 = i['X0']; W = i['W']; M, N = s['M'], s['N']
    Yt = np.zeros((M, N, s['D']))
    for dx in range(s['F']):
        for dy in range(s['G']):
            Yt += np.einsum('mnp,pd->mnd', X0[dx:dx+M, dy:dy+N], W[dx, dy])
    Yt += i['b']; Y = tanh(Yt)
    pool = (Y[0::2, 0::2] + Y[1::2, 0::2] + Y[0::2, 1::2] + Y[1::2, 1::2]) / 4
    Xt = i['w']*pool + i['a']
    return dict(Yt=Yt, Y=Y, Xt=Xt, X1=sig(Xt))
check('lenet5', 'a', {'U': 5, 'V': 8, 'P': 2, 'F': 2, 'G': 3, 'M': 4, 'N': 6, 'D': 3, 'R': 2, 'C': 3}, lenet)

def vrnn(i, s, y):
    T, M = s['T'], s['M']
    h = np.zeros((T+1, M)); z = np.zeros((T, M)); yh = np.zeros((T, s['C']))
    for t in range(1, T+1):
        z[t-1] = i['U'] @ h[t-1] + i['W'] @ i['x'][t-1] + i['b']
        h[t] = tanh(z[t-1]); yh[t-1] = i['V'] @ h[t]
    return dict(z=z, h=h[1:], yhat=yh, Loss=np.array(0.5*((yh - i['y'])**2).sum()))
check('vanilla_rnn_bptt', 'a', {'T': 3, 'M': 4, 'N': 2, 'C': 3}, vrnn)

def lh(i, s, y):
    L, N = s['L'], s['N']
    h = np.zeros((L+1, N)); ht = np.zeros((L+1, N)); h[0] = i['x']
    for k in range(1, L+1):
        ht[k] = sig(i['W'][k] @ h[k-1] - i['Bh'][k]); h[k] = ht[k] + h[k-1]
    yhat = i['Wy'] @ h[L] - i['By']
    return dict(h=h, ht=ht, yhat=np.array(yhat), Loss=np.array((i['y'] - yhat)**2))
check('loss_heads', 'c', {'L': 3, 'N': 4}, lh)

def ce(i, s, y):
    a1 = i['W1'] @ i['x'] + i['b1']; z = sig(a1); a2 = i['W2'] @ z + i['b2']
    Z = exp(a2).sum(); yh = exp(a2)/Z
    Loss = -(i['y']*log(yh)).sum() + y['lam']/2*((i['W1']**2).sum() + (i['W2']**2).sum())
    return dict(a1=a1, z=z, a2=a2, Z=np.array(Z), yhat=yh, Loss=np.array(Loss))
check('mlp_ce_l2', 'grad', {'N': 3, 'M': 4, 'C': 2}, ce)

def cls(i, s, y):
    z1 = i['W1'] @ i['x'] + i['b1']; z2 = sig(z1); z3 = i['W2'] @ z2 + i['b2']; yh = sig(z3)
    K = s['K']; Loss = -(i['y']*log(yh) + (1-i['y'])*log(1-yh)).sum()/K
    return dict(z1=z1, z2=z2, z3=z3, yhat=yh, Loss=np.array(Loss))
check('mlp_classification', 'b', {'N': 3, 'H': 4, 'K': 2}, cls)

def reg(i, s, y):
    z1 = i['W1'] @ i['x'] + i['b1']; z2 = np.maximum(z1, 0); z3 = i['W2'] @ z2 + i['b2']
    return dict(z1=z1, z2=z2, z3=z3, yhat=z3, Loss=np.array(((z3 - i['y'])**2).sum()))
check('mlp_regression', 'b', {'N': 3, 'H': 4, 'K': 2}, reg)

def num(i, s, y):
    z = i['W'] @ i['x']; h = np.maximum(z, 0); yy = i['v'] @ h
    return dict(z=z, h=h, y=np.array(yy), C=np.array((yy - i['t'])**2/2))
check('mlp_numeric', 'vectorized', {'H': 3, 'D': 2}, num)
