import numpy as np
def numgrad(f, X, eps=1e-6):
    g = np.zeros_like(X)
    it = np.nditer(X, flags=['multi_index'])
    for _ in it:
        idx = it.multi_index
        old = X[idx]
        X[idx] = old + eps; fp = f()
        X[idx] = old - eps; fm = f()
        X[idx] = old
        g[idx] = (fp - fm) / (2*eps)
    return g
def same(a, b, tol=1e-5):
    a = np.asarray(a, float); b = np.asarray(b, float)
    if a.shape != b.shape: return False
    return np.allclose(a, b, rtol=tol, atol=tol*max(1, np.abs(b).max()))
results = []
def check(tag, expected, trial, ntrials=4, seed=0):
    """trial(rng) -> list of (student, truth) pairs; correct iff all match in all trials"""
    rng = np.random.default_rng(seed)
    ok = True
    for _ in range(ntrials):
        for s, t in trial(rng):
            try:
                ok &= same(s, t)
            except Exception as e:
                ok = False
    lab = "correct" if ok else "incorrect"
    flag = "" if lab == expected else "   <<<<< MISMATCH"
    print(f"{tag:26s} {lab:10s} (label {expected}){flag}")
    results.append((tag, lab, expected))
