"""Value lines of a spec (`values: |`): `name = number` / `name = [[...]]`."""
from __future__ import annotations

import numpy as np
from derive.front import notation as N
from derive.front.resolve import Resolver, Scope

def parse_values(text: str, scope: Scope, source: str = "answer", line_offset: int = 0,
                 key: str | None = "values") -> dict:
    """`name = number` / `name = [[...]]` lines -> {name: np.ndarray}."""
    out = {}
    for target, value in N.parse_values(text, source, key, line_offset):
        r = Resolver(scope, source, text, key, line_offset)
        if isinstance(target, N.Name):
            name = target.id
        elif isinstance(target, N.Grad):
            name = target.base.id + ".grad"
        else:
            r.err(target, "expected a tensor name on the left of a value line")
        base = name[:-5] if name.endswith(".grad") else name
        if base not in scope.tensors and base not in scope.symbols:
            r.err(target, f"unknown tensor {base!r}")
        arr = _literal(r, value)
        out[name] = np.asarray(arr, dtype=float)
    return out


def _literal(r, node):
    if isinstance(node, N.ListLit):
        items = [_literal(r, x) for x in node.items]
        shapes = {np.shape(x) for x in items}
        if len(shapes) > 1:
            r.err(node, "the rows of this list have different lengths")
        return items
    if isinstance(node, N.Num):
        return float(r.num(node))
    if isinstance(node, N.Unary):
        v = _literal(r, node.operand)
        if isinstance(v, list):
            r.err(node, "a sign applies to a number, not a list")
        return -v if node.op == "-" else v
    if isinstance(node, N.BinOp) and node.op == "/" and isinstance(node.left, (N.Num, N.Unary)):
        a, b = _literal(r, node.left), _literal(r, node.right)
        if isinstance(a, list) or isinstance(b, list) or b == 0:
            r.err(node, "expected a number")
        return a / b
    r.err(node, "expected a number or a [list] of numbers")
