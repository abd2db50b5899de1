"""Shared helpers: central finite differences and comparisons (independent of derive)."""
import numpy as np

RNG = np.random.default_rng(12345)

def sig(z):
    return 1 / (1 + np.exp(-z))

def fd(f, arrays, name, h=1e-6):
    """Central-difference gradient of scalar f(**arrays) in arrays[name]."""
    a = arrays[name]
    g = np.zeros_like(a, dtype=float)
    it = np.nditer(a, flags=["multi_index"])
    for _ in it:
        idx = it.multi_index
        old = a[idx]
        a[idx] = old + h; fp = f(**arrays)
        a[idx] = old - h; fm = f(**arrays)
        a[idx] = old
        g[idx] = (fp - fm) / (2 * h)
    return g

def close(a, b, tol=1e-5):
    a = np.asarray(a, float); b = np.asarray(b, float)
    if a.shape != b.shape:
        return False
    return np.max(np.abs(a - b)) <= tol * (1 + np.max(np.abs(b)))

def grads_match(student, reference):
    """student, reference: dicts name -> array. True when every quantity agrees."""
    return all(close(student.get(k, np.zeros_like(v)), v) for k, v in reference.items())

def expr_match(student, reference, sampler, n=20, tol=1e-9):
    """Compare two scalar functions of a parameter dict at random points."""
    for _ in range(n):
        p = sampler()
        a, b = student(**p), reference(**p)
        if not np.isclose(a, b, rtol=tol, atol=0):
            return False
    return True
