import numpy as np

def sig(u):
    return 1.0 / (1.0 + np.exp(-u))

def fd_grad(f, X, eps=1e-6):
    """central finite-difference gradient of scalar f at array X (X is copied)"""
    X = np.array(X, dtype=float)
    g = np.zeros_like(X)
    it = np.nditer(X, flags=['multi_index'])
    for _ in it:
        idx = it.multi_index
        Xp = X.copy(); Xp[idx] += eps
        Xm = X.copy(); Xm[idx] -= eps
        g[idx] = (f(Xp) - f(Xm)) / (2 * eps)
    return g

def close(a, b, tol=1e-5):
    a = np.asarray(a, dtype=float); b = np.asarray(b, dtype=float)
    if a.shape != b.shape:
        return False
    return np.max(np.abs(a - b)) <= tol * (1 + np.max(np.abs(b)))
