"""Every name derive makes up, in one place: gradients, perturbations, temporaries,
Python names and default display names.  A made-up name never clashes with a name the
spec uses (a tensor, an index, a size, a symbol or a function)."""
from __future__ import annotations

import sympy as sp
from sympy.printing.latex import LatexPrinter

GRAD = ".grad"          # x.grad: the gradient of x
DELTA = ".delta"        # x.delta: a perturbation of x (finite differences)


def grad_name(name: str) -> str:
    return name + GRAD


def is_grad_name(name: str) -> bool:
    return name.endswith(GRAD)


def base_of(name: str) -> str:
    return name[: -len(GRAD)] if is_grad_name(name) else name


def delta_name(name: str) -> str:
    return name + DELTA


def names_in_use(program) -> set:
    """Every name of a program (or scope): tensors, indices, sizes, symbols, functions."""
    out = set()
    for attr in ("tensors", "indices", "sizes", "symbols", "functions"):
        out |= {str(k) for k in (getattr(program, attr, None) or {})}
    return out


def fresh(stem: str, taken, first: str | None = None) -> str:
    """`stem` (or `first`), else stem1, stem2, ...: the first name not in `taken`."""
    for cand in [first or stem] + [f"{stem}{k}" for k in range(1, 1000)]:
        if cand not in taken:
            return cand
    raise ValueError(f"no free name for {stem!r}")


def rescaled_gradient(taken) -> str:
    """The temporary of a rescaled intermediate gradient (the e[b] of the softmax)."""
    return fresh("e", taken)


def held_gradient(y: str, taken) -> str:
    """The temporary that holds y.grad while an in-place update of y is differentiated."""
    return fresh(f"{y}_gnew", taken)


def sum_temporary(base: str, k: int, taken) -> tuple[str, int]:
    """(name, number) of the k-th temporary for a nested Einstein sum in a statement
    writing `base`: base_in, base_in2, ..."""
    while True:
        name = f"{base}_in" if k == 1 else f"{base}_in{k}"
        if name not in taken:
            return name, k
        k += 1


def python_name(name: str) -> str:
    """A tensor's name as a Python identifier (x.grad -> x_grad)."""
    return name.replace(".", "_")


def display_name(name: str) -> str:
    """A tensor name without a display name, by SymPy's conventions for symbol names
    (`W2` -> `W_{2}`, `yhat` -> `\\hat{y}`, `R_in` -> `R_{in}`); another word of
    several letters is upright: `Loss` -> `\\mathrm{Loss}`."""
    shown = LatexPrinter().doprint(sp.Symbol(name))
    if shown == name and len(name) > 1:
        return r"\mathrm{%s}" % name
    return shown
