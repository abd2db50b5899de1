"""The program as the instructor wrote it, typeset.

The problem sheet shows the spec's program text, not derive's internal form (Einstein
sums desugared into `+=` loops, temporaries for nested sums): each line is parsed by the
notation parser and its syntax tree is turned into SymPy objects as written (capital
indices kept, nothing evaluated or reordered), which the LaTeX printer then typesets
with the spec's display names.
"""
from __future__ import annotations

import sympy as sp
from sympy import IndexedBase

from derive.core.functions import CONSTANTS, VARIADIC, VOCABULARY, comparison, fold
from derive.core.program import TensorScalar, grad_name
from derive.front import notation as N
from derive.front.notation import number
from derive.present.latex import OP_LATEX


def _index(node):
    if isinstance(node, N.Num):
        return number(node.text)
    if isinstance(node, N.Name):
        return sp.Symbol(node.id, integer=True)
    if isinstance(node, N.Unary):
        v = _index(node.operand)
        return sp.Mul(-1, v, evaluate=False) if node.op == "-" else v
    if isinstance(node, N.BinOp):
        a, b = _index(node.left), _index(node.right)
        if node.op == "+":
            return sp.Add(a, b, evaluate=False)
        if node.op == "-":
            return sp.Add(a, sp.Mul(-1, b, evaluate=False), evaluate=False)
        return sp.Mul(a, b, evaluate=False)
    return sp.Symbol("?")


def _tensor(node) -> str:
    base = node.base if isinstance(node, N.Index) else node
    return grad_name(base.base.id) if isinstance(base, N.Grad) else base.id


def as_written(node, spec):
    """A syntax-tree expression as SymPy, as written (no evaluation, no reordering)."""
    sc = spec.scope
    if isinstance(node, N.Num):
        return number(node.text)
    if isinstance(node, N.Name):
        if node.id in sc.symbols:
            return sc.symbols[node.id]
        if node.id in sc.sizes:
            return sc.sizes[node.id]
        if node.id in CONSTANTS and node.id not in sc.tensors and node.id not in sc.indices:
            return CONSTANTS[node.id]
        return TensorScalar(node.id)
    if isinstance(node, N.Grad):
        return TensorScalar(grad_name(node.base.id))
    if isinstance(node, N.Index):
        return IndexedBase(_tensor(node))[tuple(_index(i) for i in node.indices)]
    if isinstance(node, N.Unary):
        v = as_written(node.operand, spec)
        return sp.Mul(-1, v, evaluate=False) if node.op == "-" else v
    if isinstance(node, N.BinOp):
        a, b = as_written(node.left, spec), as_written(node.right, spec)
        if node.op in "+-":
            if node.op == "-":
                b = -b if b.is_Number else sp.Mul(-1, b, evaluate=False)
            return sp.Add(*(sp.Add.make_args(a) + sp.Add.make_args(b)), evaluate=False)
        if node.op == "*":
            return sp.Mul(*(sp.Mul.make_args(a) + sp.Mul.make_args(b)), evaluate=False)
        if node.op == "/":
            if a.is_Number:                 # 1/B, 3/2: a fraction as written
                return a / b
            return sp.Mul(a, sp.Pow(b, -1, evaluate=False), evaluate=False)
        return sp.Pow(a, b, evaluate=False)
    if isinstance(node, N.Compare):
        return comparison(node.op, as_written(node.left, spec), as_written(node.right, spec))
    if isinstance(node, N.Call):
        args = [as_written(a, spec) for a in node.args]
        if node.func.id == "delta":
            return sp.KroneckerDelta(*[_index(a) for a in node.args], evaluate=False)
        if node.func.id in sc.functions:
            return sc.functions[node.func.id][0](*args)
        if node.func.id in ("max", "min") and len(args) == 1:
            return _Over(sp.Symbol(node.func.id), sp.Tuple(*_capitals(node.args[0], sc)),
                         args[0])
        if node.func.id in VOCABULARY:
            _, fn = VOCABULARY[node.func.id]
            if node.func.id in VARIADIC:
                return fold(fn, args, evaluate=False)
            try:
                return fn(*args, evaluate=False)
            except TypeError:
                return fn(*args)
    raise ValueError(f"cannot typeset {type(node).__name__}")


class _Over(sp.Function):
    """A max (min) over capital indices as written, `max(h[b, K, j])`: typeset
    `\\max_{K} h[b,K,j]`."""

    def _latex(self, printer):
        kind, over, arg = self.args
        tex = printer._print(arg)
        if arg.is_Add:
            tex = r"\left(%s\right)" % tex
        return r"\%s_{%s} %s" % (kind.name, ",".join(printer._print(c) for c in over), tex)


def _capitals(node, sc) -> list:
    """The capital indices read in a max's argument (not inside a function call in it,
    where they are summed), in order."""
    out = []

    def rec(n, in_index):
        if isinstance(n, N.Name):
            if in_index and n.id[0].isupper() and (n.id.lower() in sc.indices
                                                   or n.id not in sc.sizes):
                c = sp.Symbol(n.id, integer=True)
                if c not in out:
                    out.append(c)
            return
        if isinstance(n, N.Call):
            return
        if isinstance(n, N.Index):
            for i in n.indices:
                rec(i, True)
            return
        for attr in ("left", "right", "operand"):
            if hasattr(n, attr):
                rec(getattr(n, attr), in_index)
    rec(node, False)
    return out


def _loops_latex(loops, p) -> str:
    parts = []
    for lv in loops:
        if lv.lo is not None:
            parts.append(r"%s \in %s..%s" % (lv.name, p.doprint(_index(lv.lo)),
                                             p.doprint(_index(lv.hi))))
        else:
            parts.append(lv.name)
    return r"\textbf{for}\ %s\colon" % ", ".join(parts)


def written_lines(spec, p) -> list[tuple[int, str]]:
    """(depth, LaTeX) per line of the spec's program, as written."""
    items = N.parse_program(spec.program_text, spec.path, "program")
    lines = []
    order = p._settings.get("order")
    p._settings["order"] = "none"           # terms and factors in the order written

    def rec(its, depth):
        for it in its:
            if isinstance(it, N.Block):
                lines.append((depth, _loops_latex(it.loops, p)))
                rec(it.body, depth + 1)
                continue
            body = r"%s %s %s" % (p.doprint(as_written(it.target, spec)), OP_LATEX[it.op],
                                  p.doprint(as_written(it.value, spec)))
            lines.append((depth, (_loops_latex(it.loops, p) + r"\ " + body) if it.has_for
                          else body))
    try:
        rec(items, 0)
    finally:
        p._settings["order"] = order
    return lines
