"""The array library an exported module is written for: NumPy (the default) or PyTorch.

The emitter prints every statement the same way for both (the same algorithm,
operation for operation); a dialect spells the few calls that differ
(`np.einsum` / `torch.einsum`, `.copy()` / `.clone()`, `np.add.at` /
`index_put_(..., accumulate=True)`) and supplies the module's helpers.  The
torch module uses plain tensor operations only, so `torch.compile` can trace
and fuse it; torch is never imported here.
"""
from __future__ import annotations

from derive.run.codegen.helpers import HELPERS, _stand_in


class NumpyDialect:
    name = "numpy"
    helpers = HELPERS
    library = "NumPy"
    arrays = "Arrays are float64 NumPy arrays"

    def imports(self, used: set) -> list:
        math = ["import math", ""] if used & {"erf", "Phi"} else []
        return math + ["import numpy as np", ""]

    # the module's helpers, in the order they are printed (torch: `_t` always)
    helper_order = ("sigma", "softplus", "sech", "erf", "Phi", "relu", "step", "_pad", "_view",
                    "_index")

    def function(self, code: str) -> str:
        """The name of a function of the notation's NumPy table (np.exp, sigma)."""
        return code

    def call(self, fn: str, arg: str, scalar: bool) -> str:
        """fn (a name `function` gave) applied to one operand (`scalar`: no axes)."""
        return f"{fn}({arg})"

    def constant(self, code: str) -> str:
        return code

    def indicator(self, cond: str) -> str:
        """1.0 where the comparison holds, else 0.0 (binds like a product)."""
        return f"({cond}) * 1.0"

    def transpose(self, code: str, perm: str) -> str:
        return f"np.transpose({code}, ({perm}))"

    def einsum(self, spec: str, args: str) -> str:
        return f"np.einsum('{spec}', {args})"

    def tensordot(self, a: str, b: str, ia: str, ib: str) -> str:
        return f"np.tensordot({a}, {b}, axes=([{ia}], [{ib}]))"

    def reduction(self, op: str, code: str, axes: tuple) -> str:
        return f"np.{op}({code}, axis={axes})"

    copy = ".copy()"

    def broadcast_copy(self, code: str, shape: str) -> str:
        return f"np.broadcast_to({code}, {shape}).copy()"

    def add_at(self, name: str, idx: str, value: str) -> str:
        return f"np.add.at({name}, ({idx},), {value})"

    def zeros(self, shape: str) -> str:
        return f"np.zeros({shape})"

    def float_copy(self, name: str) -> str:
        return f"np.array({name}, dtype=float)"

    def stand_in(self, name: str) -> str:
        return _stand_in(name)


TORCH_FUNCTIONS = {"np.maximum": "_maximum", "np.minimum": "_minimum"}

TORCH_HELPERS = {
    "_t": '''def _t(x):
    """x as a float64 tensor (a Python number, a size or a symbol's value, included)."""
    return torch.as_tensor(x, dtype=torch.float64)''',
    "sigma": '''def sigma(x):
    """The logistic sigmoid 1/(1 + exp(-x))."""
    return torch.sigmoid(_t(x))''',
    "relu": '''def relu(x):
    """max(x, 0)."""
    return torch.clamp_min(_t(x), 0.0)''',
    "step": '''def step(x):
    """1 where x > 0, else 0 (the derivative of relu)."""
    return _t(_t(x) > 0)''',
    "softplus": '''def softplus(x):
    """log(1 + exp(x)), computed without overflow."""
    x = _t(x)
    return torch.logaddexp(torch.zeros_like(x), x)''',
    "sech": '''def sech(x):
    """1 / cosh(x)."""
    return 1.0 / torch.cosh(_t(x))''',
    "erf": '''def erf(x):
    """The error function."""
    return torch.erf(_t(x))''',
    "Phi": '''def Phi(x):
    """The standard normal CDF (1 + erf(x / sqrt(2))) / 2."""
    return 0.5 * (1.0 + torch.erf(_t(x) / math.sqrt(2.0)))''',
    "_maximum": '''def _maximum(a, b):
    """The larger of a and b, entry by entry."""
    return torch.maximum(_t(a), _t(b))''',
    "_minimum": '''def _minimum(a, b):
    """The smaller of a and b, entry by entry."""
    return torch.minimum(_t(a), _t(b))''',
    "_pad": '''def _pad(a, pads):
    """`a` with zeros added before and after each axis (out-of-range reads are zero)."""
    a = _t(a)
    if not any(lo or hi for lo, hi in pads):
        return a
    out = torch.zeros(tuple(n + lo + hi for n, (lo, hi) in zip(a.shape, pads)),
                      dtype=torch.float64)
    out[tuple(slice(lo, lo + n) for n, (lo, _) in zip(a.shape, pads))] = a
    return out''',
    "_view": '''def _view(a, start, steps, shape):
    """v[g0, g1, ...] = a[start + g0 * steps[0] + g1 * steps[1] + ...]: a strided view, or
    a gather where a stride is negative (torch has no negative strides)."""
    strides = tuple(sum(k * st for k, st in zip(ks, a.stride())) for ks in steps)
    if all(st >= 0 for st in strides):
        offset = a.storage_offset() + sum(s * st for s, st in zip(start, a.stride()))
        return torch.as_strided(a, shape, strides, offset)
    grid = torch.meshgrid(*[torch.arange(n) for n in shape], indexing="ij")
    return a[tuple(s + sum(g * ks[k] for g, ks in zip(grid, steps))
                   for k, s in enumerate(start))]''',
    "_index": '''def _index(lo, hi, axis, ndim):
    """lo..hi along `axis` of `ndim` axes (for index arithmetic: float64, as an int64
    tensor times a Python float would be float32; _add_at makes indices of it)."""
    shape = [1] * ndim
    shape[axis] = hi - lo + 1
    return torch.arange(lo, hi + 1, dtype=torch.float64).reshape(shape)''',
    "_add_at": '''def _add_at(a, idx, v):
    """a[idx] += v, adding every value whose indices repeat (NumPy's np.add.at)."""
    idx = torch.broadcast_tensors(*[torch.as_tensor(i).long() for i in idx])
    a.index_put_(idx, torch.broadcast_to(_t(v), idx[0].shape), accumulate=True)''',
}


class TorchDialect(NumpyDialect):
    name = "torch"
    helpers = TORCH_HELPERS
    library = "PyTorch"
    arrays = "Tensors are float64 torch tensors on the CPU"
    helper_order = ("_t", "sigma", "softplus", "sech", "erf", "Phi", "relu", "step", "_maximum",
                    "_minimum", "_pad", "_view", "_index", "_add_at")

    def imports(self, used: set) -> list:
        return ["import math", "", "import torch", ""]

    def function(self, code: str) -> str:
        return TORCH_FUNCTIONS.get(code, code.replace("np.", "torch.", 1))

    def call(self, fn: str, arg: str, scalar: bool) -> str:
        return f"{fn}(_t({arg}))" if scalar and fn.startswith("torch.") else f"{fn}({arg})"

    def constant(self, code: str) -> str:
        return code.replace("np.", "math.", 1)

    def indicator(self, cond: str) -> str:
        return f"_t({cond})"         # not `* 1.0`: a bool tensor times 1.0 is float32

    def transpose(self, code: str, perm: str) -> str:
        return f"torch.permute({code}, ({perm}))"

    def einsum(self, spec: str, args: str) -> str:
        return f"torch.einsum('{spec}', {args})"

    def tensordot(self, a: str, b: str, ia: str, ib: str) -> str:
        return f"torch.tensordot({a}, {b}, dims=([{ia}], [{ib}]))"

    def reduction(self, op: str, code: str, axes: tuple) -> str:
        return f"torch.a{op}({code}, dim={axes})"

    copy = ".clone()"

    def broadcast_copy(self, code: str, shape: str) -> str:
        return f"torch.broadcast_to(_t({code}), {shape}).clone()"

    def add_at(self, name: str, idx: str, value: str) -> str:
        return f"_add_at({name}, ({idx},), {value})"

    def zeros(self, shape: str) -> str:
        return f"torch.zeros({shape}, dtype=torch.float64)"

    def float_copy(self, name: str) -> str:
        return f"_t({name}).clone()"

    def stand_in(self, name: str) -> str:
        return _stand_in(name).replace("np.sin(u)", "torch.sin(_t(u))").replace(
            "np.cos(u)", "torch.cos(_t(u))")


DIALECTS = {"numpy": NumpyDialect(), "torch": TorchDialect()}
TARGETS = tuple(DIALECTS)
