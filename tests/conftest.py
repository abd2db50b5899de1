"""Shared helpers: small scopes written the way a spec declares them."""
from __future__ import annotations

import re

import pytest
import sympy as sp

from derive.core.program import TensorInfo, size_symbol
from derive.front.resolve import Scope


def range_of(text: str, sizes: dict) -> tuple:
    """`B` -> (0, B-1); `1..T` -> (1, T), as under `index:` in a spec."""
    def bound(t):
        t = t.strip()
        if re.fullmatch(r"-?\d+", t):
            return sp.Integer(int(t))
        return sizes.setdefault(t, size_symbol(t))

    if ".." in text:
        lo, hi = text.split("..")
        return (bound(lo), bound(hi))
    return (sp.Integer(0), bound(text) - 1)


def scope_of(index: dict, tensors: dict, symbols=(), functions=()) -> Scope:
    """A Scope from `index: {b: B, t: 1..T}` and `tensors: {s: ("b j", role)}`."""
    sizes: dict = {}
    indices = {name: range_of(text, sizes) for name, text in index.items()}
    infos = {}
    for name, (axes, role) in tensors.items():
        axes = tuple(axes.split())
        infos[name] = TensorInfo(name, axes, tuple(indices[a] for a in axes), role)
    syms = {name: sp.Symbol(name, real=True) for name in symbols}
    funcs = {name: (sp.Function(name), 1) for name in functions}
    return Scope(indices, infos, syms, sizes, funcs)


@pytest.fixture(scope="session")
def make_scope():
    """The `scope_of` helper, for tests that build their own scope."""
    return scope_of
