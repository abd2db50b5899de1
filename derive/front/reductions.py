"""A maximum or minimum over a capital index: `m[b, j] = max(h[b, K, j])`.

`max(EXPR)` and `min(EXPR)` with one argument are the max (min) of EXPR over every
capital index whose occurrences are all inside EXPR (its range is that of the
lower-case index, as for a sum): `max(h[b, K, j])` is max over k of h[b, k, j], and
`max(z[b, J] + c[J])` is max over j of z[b, j] + c[j] (inside a one-argument max the
capitals of a sum of terms are not summed: the max is over them).  A capital summed
inside a function's argument there (`max(tanh(W[J, I] * x[I]))`) is summed as usual.

While a statement is resolved the max is an internal marker (`emax`, `emin`, like the
`esum` of a sum); desugaring turns it into a reduction statement of the IR,
`for b, k, j: m[b, j] max= h[b, k, j]` (derive.core.program.REDUCTIONS), a max nested
in a larger expression into a temporary first.  Nobody after the resolver sees a marker.
"""
from __future__ import annotations

import sympy as sp
from sympy import Function

from derive.front import notation as N
from derive.core.program import Loop, ref_name, reads
from derive.front.sums import _capital_count, _marker, _marker_loop


class emax(Function):
    """Internal marker of a max over capital indices: emax(body, marker, ...)."""


class emin(Function):
    """Internal marker of a min over capital indices: emin(body, marker, ...)."""


MARKERS = {"max": emax, "min": emin}
OPS = {emax: "max=", emin: "min="}


def is_reduction_call(node, scope) -> bool:
    """`max(x)` / `min(x)` with one argument (a problem's own function `max` wins)."""
    return isinstance(node, N.Call) and node.func.id in MARKERS and len(node.args) == 1 \
        and node.func.id not in scope.functions


def reduction_call(state, node):
    """(marker expression, capitals still open) of a one-argument max or min; `state` is
    the statement's derive.front.statement._StmtState."""
    r, fname = state.r, node.func.id
    (arg,) = node.args
    if isinstance(arg, N.BinOp) and arg.op in "+-" or isinstance(arg, N.Unary):
        value, opened = state.terms(arg, keep_open=True)
    else:
        value, opened = state.expr(arg)
    held = sorted(c for c in opened if state.holds_all(arg, c))
    if not held:
        outside = sorted(opened)
        if outside:
            c = outside[0]
            r.err(node, f"{fname}(...) with one argument is the {fname}imum over the capital "
                        f"indices inside it, but {c} also occurs outside it; write every "
                        f"{c} inside (or compute the {fname} in a statement of its own)")
        r.err(node, f"{fname}(...) with one argument is the {fname}imum over a capital "
                    f"index, such as {fname}(h[b, K, j]) for the {fname} over k of "
                    f"h[b, k, j]; this argument has none (the "
                    f"{'larger' if fname == 'max' else 'smaller'} of two values is "
                    f"{fname}(a, b))")
    markers = [_marker(Loop(state.capitals[c], *state.cap_range(c))) for c in held]
    return MARKERS[fname](value, *markers), opened - set(held)


def reduction_parts(expr):
    """(statement operator, body, loops) of a marker expression, else None."""
    if type(expr) not in OPS:
        return None
    body, *markers = expr.args
    return OPS[type(expr)], body, tuple(_marker_loop(m) for m in markers)


def outermost_reduction(expr):
    """The first (outermost) max/min marker inside `expr`, or None."""
    for a in sp.preorder_traversal(expr):
        if type(a) in OPS:
            return a
    return None


def reads_tensor(expr, name: str) -> bool:
    return any(ref_name(x) == name for x in reads(expr))


# --------------------------------------------------------------------------
# the running max: `for b, k, j: m[b, j] = max(m[b, j], h[b, k, j])`
# --------------------------------------------------------------------------


def running_reduction_hint(s: N.Stmt, tname: str, index: str) -> str | None:
    """For `=` with a loop index `index` the target lacks and a max (min) of the target
    and another value: the one-argument form that takes the max over that index."""
    v = s.value
    if not (isinstance(v, N.Call) and v.func.id in MARKERS and len(v.args) >= 2):
        return None
    others = [a for a in v.args if not _is_target(a, tname)]
    if len(others) != len(v.args) - 1 or len(others) != 1 or \
            _capital_count(others[0], index.upper()) or not _uses(others[0], index):
        return None
    fname = v.func.id
    target = _text(s.target, None)
    return (f"For the {fname}imum over {index}, write {target} = "
            f"{fname}({_text(others[0], index)}): a capital index inside a one-argument "
            f"{fname} is the {fname} over it (a running {fname} from {target}, which starts "
            f"at zero, would also compare with 0)")


def _is_target(node, tname: str) -> bool:
    base = node.base if isinstance(node, N.Index) else node
    name = base.id if isinstance(base, N.Name) else (
        base.base.id + ".grad" if isinstance(base, N.Grad) else None)
    return name == tname


def _uses(node, index: str) -> bool:
    return index in _text(node, None).replace("[", " ").replace("]", " ").replace(
        ",", " ").split()


_PREC = {"+": 1, "-": 1, "*": 2, "/": 2, "^": 3}


def _text(node, index, prec: int = 0) -> str:
    """The syntax tree as notation text, the loop index `index` written as its capital."""
    if isinstance(node, N.Num):
        return node.text
    if isinstance(node, N.Name):
        return node.id.upper() if index is not None and node.id == index else node.id
    if isinstance(node, N.Grad):
        return f"{node.base.id}.grad"
    if isinstance(node, N.Index):
        return f"{_text(node.base, None)}[{', '.join(_text(i, index) for i in node.indices)}]"
    if isinstance(node, N.Call):
        return f"{node.func.id}({', '.join(_text(a, index) for a in node.args)})"
    if isinstance(node, N.Unary):
        return f"{node.op}{_text(node.operand, index, 3)}"
    if isinstance(node, (N.BinOp, N.Compare)):
        p = _PREC.get(node.op, 0)
        out = f"{_text(node.left, index, p)} {node.op} {_text(node.right, index, p + 1)}"
        return f"({out})" if p < prec or isinstance(node, N.Compare) else out
    return "..."
