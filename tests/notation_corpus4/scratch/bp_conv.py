"""lenet5 and ugcnn: forward passes from the spec programs, finite differences, and
student answers re-typed as NumPy."""
import numpy as np
from common import RNG, fd, grads_match, sig

# ---------------- lenet5 ----------------
U, V, P, F, G, D = 5, 8, 2, 2, 3, 3
M, N = U - F + 1, V - G + 1
R, C = M // 2, N // 2

def pool_forward(Y, w, a, GX):
    Xt = np.zeros((R, C, D))
    for r in range(R):
        for c in range(C):
            Xt[r, c] = w * (Y[2*r, 2*c] + Y[2*r+1, 2*c] + Y[2*r, 2*c+1] + Y[2*r+1, 2*c+1]) / 4 + a
    return Xt, sig(Xt)

def lenet_a_ref():
    Y = RNG.normal(size=(M, N, D)); w = RNG.normal(size=D); a = RNG.normal(size=D)
    GX = RNG.normal(size=(R, C, D))
    arr = dict(Y=Y, w=w, a=a)
    f = lambda Y, w, a: np.sum(GX * pool_forward(Y, w, a, GX)[1])
    ref = {k: fd(f, arr, k) for k in ["w", "a", "Y"]}
    Xt, X1 = pool_forward(Y, w, a, GX)
    return dict(Y=Y, w=w, a=a, X1grad=GX, X1=X1, Xt=Xt), ref

def lenet_a_student(Y, w, a, X1grad, X1, Xt, deriv="sigma'", quarter=True, pool_w=True):
    """e = X1.grad * g'(Xt); a.grad += e; w.grad += e*pool; Y.grad[...] += e*w/4."""
    if deriv == "sigma'":
        e = X1grad * X1 * (1 - X1)
    elif deriv == "sigma":
        e = X1grad * X1
    q = 4 if quarter else 1
    ag = e.sum(axis=(0, 1))
    pool = np.zeros((R, C, D))
    for r in range(R):
        for c in range(C):
            pool[r, c] = (Y[2*r, 2*c] + Y[2*r+1, 2*c] + Y[2*r, 2*c+1] + Y[2*r+1, 2*c+1]) / 4
    wg = (e * pool).sum(axis=(0, 1)) if pool_w else (e * pool * 4).sum(axis=(0, 1))
    Yg = np.zeros((M, N, D))
    for r in range(R):
        for c in range(C):
            for (u, v) in [(0, 0), (1, 0), (0, 1), (1, 1)]:
                Yg[2*r+u, 2*c+v] += e[r, c] * w / q
    return dict(w=wg, a=ag, Y=Yg)

def conv_forward(X0, W, b):
    Yt = np.zeros((M, N, D))
    for dx in range(F):
        for dy in range(G):
            Yt += np.einsum("mnp,pd->mnd", X0[dx:dx+M, dy:dy+N, :], W[dx, dy])
    Yt += b
    return Yt, np.tanh(Yt)

def lenet_b_ref():
    X0 = RNG.normal(size=(U, V, P)); W = RNG.normal(size=(F, G, P, D)) * 0.5; b = RNG.normal(size=D)
    GY = RNG.normal(size=(M, N, D))
    arr = dict(X0=X0, W=W, b=b)
    f = lambda X0, W, b: np.sum(GY * conv_forward(X0, W, b)[1])
    ref = {k: fd(f, arr, k) for k in ["W", "b", "X0"]}
    Yt, Y = conv_forward(X0, W, b)
    return dict(X0=X0, W=W, b=b, Ygrad=GY, Y=Y, Yt=Yt), ref

def lenet_b_student(X0, W, b, Ygrad, Y, Yt, deriv="1-Y^2", xoffset=True, bias_from="Ytgrad"):
    if deriv == "1-Y^2":
        g = Ygrad * (1 - Y**2)
    elif deriv == "tanh'(Y)":
        g = Ygrad * (1 - np.tanh(Y)**2)
    bg = (g if bias_from == "Ytgrad" else Ygrad).sum(axis=(0, 1))
    Wg = np.zeros_like(W); Xg = np.zeros_like(X0)
    for dx in range(F):
        for dy in range(G):
            xs = X0[dx:dx+M, dy:dy+N, :] if xoffset else X0[0:M, 0:N, :]
            Wg[dx, dy] += np.einsum("mnd,mnp->pd", g, xs)
            Xg[dx:dx+M, dy:dy+N, :] += np.einsum("mnd,pd->mnp", g, W[dx, dy])
    return dict(W=Wg, b=bg, X0=Xg)

# ---------------- ugcnn ----------------
B_, X_, Y_, J_, D_ = 2, 4, 3, 3, 2

def shifted(L0, dx, dy):
    """L0[b, x+dx, y+dy, i], zero beyond the border."""
    out = np.zeros_like(L0)
    out[:, :X_-dx, :Y_-dy, :] = L0[:, dx:, dy:, :]
    return out

def ug_forward(L0, WR, BR, WG, BG):
    Rt = sum(np.einsum("bxyi,ij->bxyj", shifted(L0, dx, dy), WR[dx, dy]) for dx in range(D_) for dy in range(D_))
    Gt = sum(np.einsum("bxyi,ij->bxyj", shifted(L0, dx, dy), WG[dx, dy]) for dx in range(D_) for dy in range(D_))
    R = np.tanh(Rt - BR); Gg = sig(Gt - BG)
    return dict(Rt=Rt, Gt=Gt, R=R, G=Gg, L1=Gg * L0 + (1 - Gg) * R)

def ug_ref():
    L0 = RNG.normal(size=(B_, X_, Y_, J_)); WR = RNG.normal(size=(D_, D_, J_, J_)) * 0.5
    WG = RNG.normal(size=(D_, D_, J_, J_)) * 0.5; BR = RNG.normal(size=J_); BG = RNG.normal(size=J_)
    GL = RNG.normal(size=(B_, X_, Y_, J_))
    arr = dict(L0=L0, WR=WR, BR=BR, WG=WG, BG=BG)
    f = lambda **k: np.sum(GL * ug_forward(**k)["L1"])
    ref = {k: fd(f, arr, k) for k in ["WR", "BR", "WG", "BG", "L0"]}
    fw = ug_forward(**arr)
    return dict(arr, L1grad=GL, **fw), ref

def ug_student(L0, WR, BR, WG, BG, L1grad, Rt, Gt, R, G, L1, br_sign=-1, direct=True, gsign=1):
    Gg = L1grad * (L0 - R) * gsign
    Rg = L1grad * (1 - G)
    Rtg = Rg * (1 - R**2)
    Gtg = Gg * G * (1 - G)
    out = dict(BR=br_sign * Rtg.sum(axis=(0, 1, 2)), BG=-Gtg.sum(axis=(0, 1, 2)))
    WRg = np.zeros_like(WR); WGg = np.zeros_like(WG)
    L0g = L1grad * G if direct else np.zeros_like(L0)
    for dx in range(D_):
        for dy in range(D_):
            s = shifted(L0, dx, dy)
            WRg[dx, dy] = np.einsum("bxyj,bxyi->ij", Rtg, s)
            WGg[dx, dy] = np.einsum("bxyj,bxyi->ij", Gtg, s)
            contrib = np.einsum("bxyj,ij->bxyi", Rtg, WR[dx, dy]) + np.einsum("bxyj,ij->bxyi", Gtg, WG[dx, dy])
            # L0.grad[b, x+dx, y+dy, i] += contrib[b, x, y, i], writes beyond the border dropped
            L0g[:, dx:, dy:, :] += contrib[:, :X_-dx, :Y_-dy, :]
    out.update(WR=WRg, WG=WGg, L0=L0g)
    return out
