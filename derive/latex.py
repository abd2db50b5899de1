"""LaTeX for the notation: tensors as `s[b,j]` (or `s_{b,j}`), `.grad`, loops."""
from __future__ import annotations

import sympy as sp
from sympy.printing.latex import LatexPrinter

from .functions import ind, maxf, minf, relu, sigma, step
from .program import Block, Program, Statement, base_of, is_grad_name


class NotationLatexPrinter(LatexPrinter):
    """Prints SymPy expressions of the IR in the course's notation."""

    def __init__(self, latex_names: dict | None = None, subscripts: bool = False, **kw):
        super().__init__({"mul_symbol": None, **kw})
        self.latex_names = latex_names or {}
        self.subscripts = subscripts

    def tensor_name(self, name: str) -> str:
        base = base_of(name)
        shown = self.latex_names.get(base) or (base if len(base) == 1
                                               else r"\mathrm{%s}" % base)
        if is_grad_name(name):
            return r"%s.\mathrm{grad}" % (shown if len(base) == 1 or base in self.latex_names
                                          else shown)
        return shown

    def _print_Indexed(self, expr):
        name = self.tensor_name(expr.base.label.name)
        idx = ",".join(self._print(i) for i in expr.indices)
        if self.subscripts:
            return "%s_{%s}" % (name if "." not in name else "(%s)" % name, idx)
        return r"%s[%s]" % (name, idx)

    def _print_TensorScalar(self, expr):
        return self.tensor_name(expr.name)

    def _print_sigma(self, expr):
        return r"\sigma\left(%s\right)" % self._print(expr.args[0])

    def _print_relu(self, expr):
        return r"\operatorname{relu}\left(%s\right)" % self._print(expr.args[0])

    def _print_step(self, expr):
        return r"\operatorname{step}\left(%s\right)" % self._print(expr.args[0])

    def _print_maxf(self, expr):
        return r"\max\left(%s\right)" % ", ".join(self._print(a) for a in expr.args)

    def _print_minf(self, expr):
        return r"\min\left(%s\right)" % ", ".join(self._print(a) for a in expr.args)

    def _print_ind(self, expr):
        return r"[%s]" % self._print(expr.args[0])

    def _print_KroneckerDelta(self, expr, exp=None):
        return r"\delta(%s, %s)" % tuple(self._print(a) for a in expr.args)


def loops_latex(loops, indices=None, printer=None) -> str:
    from .program import format_loops
    p = printer or NotationLatexPrinter()
    parts = []
    for lp in loops:
        declared = (indices or {}).get(lp.var.name)
        if declared is not None and sp.simplify(declared[0] - lp.lo) == 0 \
                and sp.simplify(declared[1] - lp.hi) == 0:
            parts.append(lp.var.name)
        else:
            parts.append(r"%s \in %s..%s" % (lp.var.name, p._print(lp.lo), p._print(lp.hi)))
    return ", ".join(parts)


_OPS = {"=": "=", "+=": r"\mathrel{+}=", "-=": r"\mathrel{-}="}


def statement_latex(st: Statement, indices=None, printer=None) -> str:
    p = printer or NotationLatexPrinter()
    body = r"%s \;%s\; %s" % (p.doprint(st.target), _OPS[st.op], p.doprint(st.rhs))
    if st.loops:
        return r"\textbf{for } %s:\ %s" % (loops_latex(st.loops, indices, p), body)
    return body


def program_latex(prog: Program, printer=None) -> list[str]:
    """One LaTeX line per statement (blocks as a header and indented lines)."""
    p = printer or NotationLatexPrinter({n: i.latex for n, i in prog.tensors.items()
                                         if i.latex})
    lines = []

    def rec(items, depth):
        pad = r"\quad " * depth
        for it in items:
            if isinstance(it, Block):
                lines.append(pad + r"\textbf{for } %s:" % loops_latex(it.loops, prog.indices, p))
                rec(it.body, depth + 1)
            else:
                lines.append(pad + statement_latex(it, prog.indices, p))
    rec(prog.items, 0)
    return lines
