"""gru, two_gate_rnn, loss_heads:c: forwards from the spec programs, finite differences,
and the students' BPTT loops re-typed as NumPy."""
import numpy as np
from common import RNG, fd, sig

B, T, J, K = 2, 3, 4, 3

# ---------------- gru ----------------
GRU_P = ["Whg1", "Wxg1", "BG1", "Whg2", "Wxg2", "BG2", "Whr", "Wxr", "BR"]

def gru_forward(x, Whg1, Wxg1, BG1, Whg2, Wxg2, BG2, Whr, Wxr, BR):
    h = np.zeros((B, T + 1, J)); S = {k: np.zeros((B, T + 1, J)) for k in ["G1", "hp", "G2", "R"]}
    for t in range(1, T + 1):
        hprev = h[:, t-1]; xt = x[:, t-1]
        S["G1"][:, t] = sig(hprev @ Whg1.T + xt @ Wxg1.T - BG1)
        S["hp"][:, t] = S["G1"][:, t] * hprev
        S["G2"][:, t] = sig(hprev @ Whg2.T + xt @ Wxg2.T - BG2)
        S["R"][:, t] = np.tanh(S["hp"][:, t] @ Whr.T + xt @ Wxr.T - BR)
        h[:, t] = (1 - S["G2"][:, t]) * hprev + S["G2"][:, t] * S["R"][:, t]
    return h, S

def gru_ref():
    arr = {k: RNG.normal(size=(J, J if k.startswith("Wh") else K)) * 0.6 for k in GRU_P if k[0] == "W"}
    arr.update({k: RNG.normal(size=J) for k in GRU_P if k[0] == "B"})
    x = RNG.normal(size=(B, T, K)); Gh = RNG.normal(size=(B, T + 1, J)); Gh[:, 0] = 0
    f = lambda **p: np.sum(Gh * gru_forward(x, **p)[0])
    ref = {k: fd(f, arr, k) for k in GRU_P}
    h, S = gru_forward(x, **arr)
    return dict(arr=arr, x=x, hgrad0=Gh, h=h, S=S), ref

def gru_student(arr, x, hgrad0, h, S, hstep_g1=-1, g2deriv=True, reset_path=True):
    """for t in T..1, the student's loops; hstep_g1: which h the W^{h,G1} gradient reads
    (t-1 right, t is an off-by-one)."""
    g = {k: np.zeros_like(v) for k, v in arr.items()}
    hg = hgrad0.copy()
    G1, hp, G2, R = S["G1"], S["hp"], S["G2"], S["R"]
    for t in range(T, 0, -1):
        xt = x[:, t-1]; hprev = h[:, t-1]
        Rg = hg[:, t] * G2[:, t]
        G2g = hg[:, t] * (R[:, t] - hprev)
        hg[:, t-1] += hg[:, t] * (1 - G2[:, t])
        aR = Rg * (1 - R[:, t]**2)
        g["Whr"] += aR.T @ hp[:, t]; g["Wxr"] += aR.T @ xt; g["BR"] -= aR.sum(0)
        hpg = aR @ arr["Whr"]
        G1g = hpg * hprev
        if reset_path:
            hg[:, t-1] += hpg * G1[:, t]
        a1 = G1g * G1[:, t] * (1 - G1[:, t])
        hh = h[:, t-1] if hstep_g1 == -1 else h[:, t]
        g["Whg1"] += a1.T @ hh; g["Wxg1"] += a1.T @ xt; g["BG1"] -= a1.sum(0)
        hg[:, t-1] += a1 @ arr["Whg1"]
        a2 = G2g * G2[:, t] * (1 - G2[:, t]) if g2deriv else G2g * G2[:, t]
        g["Whg2"] += a2.T @ hprev; g["Wxg2"] += a2.T @ xt; g["BG2"] -= a2.sum(0)
        hg[:, t-1] += a2 @ arr["Whg2"]
    return g

# ---------------- two_gate_rnn ----------------
TG_P = ["Whgr", "Wxgr", "BGR", "Whr", "Bhr", "Wxr", "Bxr", "Whgh", "Wxgh", "BGh"]

def tg_forward(x, Whgr, Wxgr, BGR, Whr, Bhr, Wxr, Bxr, Whgh, Wxgh, BGh, design="ref"):
    h = np.zeros((B, T + 1, J)); S = {k: np.zeros((B, T + 1, J)) for k in ["GR", "A", "C", "R", "Gh"]}
    for t in range(1, T + 1):
        hprev = h[:, t-1]; xt = x[:, t-1]
        GR = sig(hprev @ Whgr.T + xt @ Wxgr.T - BGR)
        A = hprev @ Whr.T - Bhr; Cc = xt @ Wxr.T - Bxr
        if design == "ref":
            Rr = np.tanh(GR * A + (1 - GR) * Cc)
        else:   # the gate weighs the input term
            Rr = np.tanh(GR * Cc + (1 - GR) * A)
        Gh = sig(hprev @ Whgh.T + xt @ Wxgh.T - BGh)
        h[:, t] = Gh * hprev + (1 - Gh) * Rr
        for k, v in dict(GR=GR, A=A, C=Cc, R=Rr, Gh=Gh).items():
            S[k][:, t] = v
    return h, S

def tg_ref(design="ref"):
    arr = {k: RNG.normal(size=(J, J if k.startswith("Wh") else K)) * 0.6 for k in TG_P if k[0] == "W"}
    arr.update({k: RNG.normal(size=J) for k in TG_P if k[0] == "B"})
    x = RNG.normal(size=(B, T, K)); Gh = RNG.normal(size=(B, T + 1, J)); Gh[:, 0] = 0
    f = lambda **p: np.sum(Gh * tg_forward(x, design=design, **p)[0])
    ref = {k: fd(f, arr, k) for k in TG_P}
    h, S = tg_forward(x, design=design, **arr)
    return dict(arr=arr, x=x, hgrad0=Gh, h=h, S=S), ref

def tg_student(arr, x, hgrad0, h, S, design="ref", gr_sign=1, carry=True):
    g = {k: np.zeros_like(v) for k, v in arr.items()}
    hg = hgrad0.copy()
    for t in range(T, 0, -1):
        xt = x[:, t-1]; hprev = h[:, t-1]
        GR, A, Cc, Rr, Gh = (S[k][:, t] for k in ["GR", "A", "C", "R", "Gh"])
        Ghg = hg[:, t] * (hprev - Rr)
        Rg = hg[:, t] * (1 - Gh)
        if carry:
            hg[:, t-1] += hg[:, t] * Gh
        u = Rg * (1 - Rr**2)
        if design == "ref":
            GRg = gr_sign * u * (A - Cc); ua = u * GR; uc = u * (1 - GR)
        else:
            GRg = gr_sign * u * (Cc - A); uc = u * GR; ua = u * (1 - GR)
        g["Whr"] += ua.T @ hprev; g["Bhr"] -= ua.sum(0); hg[:, t-1] += ua @ arr["Whr"]
        g["Wxr"] += uc.T @ xt; g["Bxr"] -= uc.sum(0)
        gr = GRg * GR * (1 - GR)
        g["Whgr"] += gr.T @ hprev; g["Wxgr"] += gr.T @ xt; g["BGR"] -= gr.sum(0); hg[:, t-1] += gr @ arr["Whgr"]
        gh = Ghg * Gh * (1 - Gh)
        g["Whgh"] += gh.T @ hprev; g["Wxgh"] += gh.T @ xt; g["BGh"] -= gh.sum(0); hg[:, t-1] += gh @ arr["Whgh"]
    return g

# ---------------- loss_heads:c ----------------
L_, N_ = 3, 4

def lh_forward(x, y, W, Bh, Wy, By):
    h = np.zeros((L_ + 1, N_)); ht = np.zeros((L_ + 1, N_)); h[0] = x
    for k in range(1, L_ + 1):
        ht[k] = sig(W[k] @ h[k-1] - Bh[k]); h[k] = ht[k] + h[k-1]
    yhat = Wy @ h[L_] - By
    return (y - yhat)**2, h, ht, yhat

def lh_ref():
    arr = dict(W=RNG.normal(size=(L_ + 1, N_, N_)), Bh=RNG.normal(size=(L_ + 1, N_)), Wy=RNG.normal(size=N_), By=np.array(RNG.normal()))
    x = RNG.normal(size=N_); y = RNG.normal()
    f = lambda **p: lh_forward(x, y, **p)[0]
    ref = {k: fd(f, arr, k) for k in arr}
    _, h, ht, yhat = lh_forward(x, y, **arr)
    return dict(arr=arr, x=x, y=y, h=h, ht=ht, yhat=yhat), ref

def lh_student(arr, x, y, h, ht, yhat, sign=1, skip=True):
    g = {k: np.zeros_like(v, dtype=float) for k, v in arr.items()}
    yg = sign * 2 * (yhat - y)
    g["Wy"] += yg * h[L_]; g["By"] = np.array(-yg)
    hg = np.zeros((L_ + 1, N_)); hg[L_] += yg * arr["Wy"]
    for k in range(L_, 0, -1):
        if skip:
            hg[k-1] += hg[k]
        a = hg[k] * ht[k] * (1 - ht[k])
        g["W"][k] += np.outer(a, h[k-1]); g["Bh"][k] -= a; hg[k-1] += arr["W"][k].T @ a
    return g
