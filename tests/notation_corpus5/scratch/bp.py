"""NumPy forwards written from the spec programs, and central finite differences (no derive).
Each problem: forward(params) -> scalar (the upstream gradient G is contracted in when the
part starts from an intermediate), and a reference checker comparing a student's re-typed
gradients with finite differences."""
import numpy as np
from math import erf, sqrt, pi

def fd(f, P, name, h=1e-6):
    g = np.zeros_like(P[name], dtype=float)
    for idx in np.ndindex(P[name].shape if np.ndim(P[name]) else ()):
        Q = {k: np.array(v, dtype=float).copy() for k, v in P.items()}
        Q[name][idx] += h; fp = f(Q)
        Q[name][idx] -= 2*h; fm = f(Q)
        g[idx] = (fp - fm) / (2*h)
    return g

def agree(f, P, student, names, tol=1e-5):
    """student(P) -> dict name -> array; True iff every listed gradient matches FD."""
    S = student({k: np.array(v, dtype=float) for k, v in P.items()})
    for nm in names:
        ref = fd(f, P, nm)
        got = np.broadcast_to(np.asarray(S[nm], dtype=float), ref.shape)
        if not np.allclose(got, ref, atol=tol, rtol=1e-4):
            return False
    return True

sig = lambda z: 1/(1+np.exp(-z))
rng = np.random.default_rng(31)
def R(*s): return rng.normal(size=s)

def trials(make, f, student, names, n=3):
    return all(agree(f, make(), student, names) for _ in range(n))
