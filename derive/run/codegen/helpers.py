"""The helpers an exported module defines at its top (the notation's functions that
NumPy has no name for), and the stand-in for a problem's undefined function."""
from __future__ import annotations

# --------------------------------------------------------------------------
# functions of the notation -> NumPy (one line each)
# --------------------------------------------------------------------------


HELPERS = {
    "sigma": '''def sigma(x):
    """The logistic sigmoid 1/(1 + exp(-x)), computed without overflow."""
    return 0.5 * (1.0 + np.tanh(0.5 * x))''',
    "relu": '''def relu(x):
    """max(x, 0)."""
    return np.maximum(x, 0.0)''',
    "step": '''def step(x):
    """1 where x > 0, else 0 (the derivative of relu)."""
    return (x > 0) * 1.0''',
    "softplus": '''def softplus(x):
    """log(1 + exp(x)), computed without overflow."""
    return np.logaddexp(0.0, x)''',
    "sech": '''def sech(x):
    """1 / cosh(x)."""
    return 1.0 / np.cosh(x)''',
    "erf": '''def erf(x):
    """The error function, entry by entry (NumPy has none)."""
    return np.vectorize(math.erf, otypes=[float])(x)''',
    "Phi": '''def Phi(x):
    """The standard normal CDF (1 + erf(x / sqrt(2))) / 2, entry by entry."""
    return np.vectorize(lambda u: 0.5 * (1.0 + math.erf(u / math.sqrt(2.0))),
                        otypes=[float])(x)''',
    "_pad": '''def _pad(a, pads):
    """`a` with zeros added before and after each axis (out-of-range reads are zero)."""
    a = np.asarray(a, dtype=float)
    if not any(lo or hi for lo, hi in pads):
        return a
    out = np.zeros(tuple(n + lo + hi for n, (lo, hi) in zip(a.shape, pads)))
    out[tuple(slice(lo, lo + n) for n, (lo, _) in zip(a.shape, pads))] = a
    return out''',
    "_view": '''def _view(a, start, steps, shape):
    """The strided view v[g0, g1, ...] = a[start + g0 * steps[0] + g1 * steps[1] + ...].

    start and each steps[k] have one entry per axis of `a`; the view reads a[...]
    at affine indices such as x + dx without copying."""
    base = a[tuple(slice(s, None) for s in start)]
    strides = tuple(sum(k * st for k, st in zip(ks, a.strides)) for ks in steps)
    return np.lib.stride_tricks.as_strided(base, shape, strides, writeable=False)''',
    "_index": '''def _index(lo, hi, axis, ndim):
    """lo..hi as an integer array along `axis` of `ndim` axes (for index arithmetic)."""
    shape = [1] * ndim
    shape[axis] = hi - lo + 1
    return np.arange(lo, hi + 1).reshape(shape)''',
}


def _stand_in(name: str) -> str:
    return f'''def {name}(u):
    """The problem leaves {name} arbitrary: run here as sin(u) + u^2/2 (as derive's executor)."""
    return np.sin(u) + 0.5 * u * u


def {name}_prime(u):
    """The derivative of the stand-in {name}."""
    return np.cos(u) + u'''
