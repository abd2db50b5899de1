"""LaTeX for the notation: loop statements, tensors, gradients, matrix forms.

`NotationLatexPrinter` is a SymPy `LatexPrinter` with one `_print_<Node>` per
node of the IR: tensors print as `s[b,j]` (or `s_{b,j}` with `subscripts`),
gradients as `s.\\mathrm{grad}[b,j]`, display names come from the spec
(`W^{h,R}` for `Whr`), and brackets are plain `( )` unless they hold a
fraction.  `statement_latex` typesets a loop statement the way the course
writes it: `\\textbf{for} b,j\\colon Z[b] \\mathrel{+}= \\exp(s[b,j])`.
"""
from __future__ import annotations

import re

import sympy as sp
from sympy.core.function import AppliedUndef
from sympy.printing.latex import LatexPrinter

from derive.core.program import (as_expr, Block, Program, Statement, TensorScalar, base_of,
                                 flat_args, implicit_loops, is_grad_name, is_ref)
from derive.core.program import REDUCTIONS, reduced_loops
from derive.core.rules import DERIVATIVES, PARTIALS, RULE_TEXT
from derive.core.functions import LATEX
from derive.core.naming import display_name
from derive.core.phrase import Math, Phrase
from derive.core.numbers import decimal_text, negative_power

# undefined functions the engines use by name (moments: sigma2(l) is the variance
# at layer l, E(...) an unknown mean), and the operators of answer labels
NAMED_FUNCTION_LATEX = {
    "sigma2": r"\sigma^2",
    "sigma2_grad": r"\sigma^2_{\mathrm{grad}}",
    "E": r"\mathbb{E}",
    "Var": r"\operatorname{Var}",
    "Cov": r"\operatorname{Cov}",
}

# the relation of an expression answer (solve.Result.relation) -> LaTeX
RELATION_LATEX = {
    "=": "=", "==": "=", "<=": r"\le", ">=": r"\ge", "<": "<", ">": ">",
    "≤": r"\le", "≥": r"\ge", "≈": r"\approx", "~": r"\approx", "~=": r"\approx",
    "approx": r"\approx", "∝": r"\propto", "propto": r"\propto", "in": r"\in",
    "!=": r"\ne", "≠": r"\ne", "is": r"\mathrel{\text{is}}",
}

# the assignment operators of a statement: relations, so TeX spaces them as `=`
OP_LATEX = {"=": "=", "+=": r"\mathrel{+}=", "-=": r"\mathrel{-}="}


class NotationLatexPrinter(LatexPrinter):
    """Prints SymPy expressions of the IR in the course's notation.

    `latex_names`: tensor name -> display LaTeX (`{'Whr': 'W^{h,R}'}`);
    `symbol_names`: symbol name -> LaTeX (`{'sigma_W': r'\\sigma_W'}`);
    `function_names`: undefined function name -> LaTeX (`{'L': r'\\mathcal{L}'}`);
    `subscripts`: write `s_{b,j}` instead of `s[b,j]`.
    """

    def __init__(self, latex_names: dict | None = None, subscripts: bool = False,
                 symbol_names: dict | None = None, function_names: dict | None = None,
                 **settings):
        super().__init__({"mul_symbol": r"\,", "fold_frac_powers": True, **settings})
        self.latex_names = dict(latex_names or {})
        self.subscripts = subscripts
        self.symbol_latex = dict(symbol_names or {})
        self.function_latex = dict(function_names or {})

    def doprint(self, expr) -> str:
        return plain_brackets(super().doprint(expr))

    # ---- names ----------------------------------------------------------

    def tensor_name(self, name: str) -> str:
        """`Whr` -> `W^{h,R}`; `Whr.grad` -> `W^{h,R}.\\mathrm{grad}`."""
        base = base_of(name)
        shown = self.latex_names.get(base) or display_name(base)
        return shown + r".\mathrm{grad}" if is_grad_name(name) else shown

    def _print_Indexed(self, expr):
        name = self.tensor_name(expr.base.label.name)
        idx = ",".join(self._print(i) for i in expr.indices)
        if self.subscripts:
            # a display name with its own sub/superscript is wrapped: {G_1}_{b,t,j}
            return "%s_{%s}" % ("{%s}" % name if re.search(r"[_^]", name) else name, idx)
        if any(i.is_Add or i.is_Mul for i in expr.indices):
            idx = "{%s}" % idx       # a group: TeX never breaks a line inside t-1
        return "%s[%s]" % (name, idx)

    def _print_TensorScalar(self, expr):
        return self.tensor_name(expr.name)

    def _print_Symbol(self, expr, style="plain"):
        if expr.name in self.symbol_latex:
            return self.symbol_latex[expr.name]
        return super()._print_Symbol(expr, style)

    def _print_Dummy(self, expr):
        return super()._print_Symbol(sp.Symbol(expr.name.lstrip("_") or "x"))

    # ---- functions ------------------------------------------------------

    def _call(self, head: str, args, exp=None) -> str:
        if exp is not None:
            head = "%s^{%s}" % (head, exp)
        return "%s(%s)" % (head, ", ".join(self._print(a) for a in args))

    def _print_named(self, expr, exp=None):
        return self._call(LATEX[expr.func], expr.args, exp)

    _print_exp = _print_log = _print_tanh = _print_sigma = _print_relu = _print_named
    _print_step = _print_sign = _print_named
    _print_cosh = _print_sinh = _print_sech = _print_erf = _print_Phi = _print_named
    _print_softplus = _print_named

    def _print_maxf(self, expr, exp=None):
        """max(max(a, b), c) as \\max(a, b, c)."""
        return self._call(LATEX[expr.func], flat_args(expr), exp)

    _print_minf = _print_maxf

    def _print_Function(self, expr, exp=None):
        if isinstance(expr, AppliedUndef):
            name = expr.func.__name__
            primes = len(name) - len(name.rstrip("'"))
            base = name.rstrip("'")
            head = self.function_latex.get(base) or NAMED_FUNCTION_LATEX.get(base) or (
                base if len(base) == 1 else r"\operatorname{%s}" % base)
            return self._call(head + "'" * primes, expr.args, exp)
        if LATEX.get(expr.func) is not None:
            return self._print_named(expr, exp)
        return super()._print_Function(expr, exp)

    def _print_AppliedUndef(self, expr, exp=None):
        """The moments a derivation names: `\\mathbb{E}[X]`, `\\operatorname{Var}(X)`,
        `\\sigma^2(\\ell)`; raised to a power as a whole (`\\mathbb{E}[X]^{2}`).  A spec's own
        display name for a function of that name wins."""
        name = expr.func.__name__
        if name in self.function_latex or name not in NAMED_FUNCTION_LATEX:
            return self._print_Function(expr, exp)
        inner = ", ".join(self._print(a) for a in expr.args)
        tall = any(t in inner for t in (r"\frac", r"\sum", r"\prod"))
        if name == "E":
            tex = (r"\mathbb{E}\left[%s\right]" if tall else r"\mathbb{E}[%s]") % inner
        else:
            tex = r"%s\left(%s\right)" % (NAMED_FUNCTION_LATEX[name], inner)
            if exp is not None and name.startswith("sigma2"):
                tex = r"\left(%s\right)" % tex      # (\sigma^2(\ell))^{2}
        return "%s^{%s}" % (tex, exp) if exp is not None else tex

    def _print_Sum(self, expr):
        """`\\sum_{dx,dy=0}^{D-1}\\sum_{jp=0}^{J-1} W[..]\\,L[..]`: neighbouring indices
        over the same range share one sign."""
        groups = []
        for v, lo, hi in expr.limits:
            if groups and groups[-1][1:] == (lo, hi):
                groups[-1][0].append(v)
            else:
                groups.append(([v], lo, hi))
        heads = "".join(r"\sum_{%s=%s}^{%s}" % (",".join(self._print(v) for v in vs),
                                                self._print(lo), self._print(hi))
                        for vs, lo, hi in groups)
        body = self._print(expr.function)
        if expr.function.is_Add:
            body = r"\left(%s\right)" % body
        return r"%s %s" % (heads, body)

    def _print_Derivative(self, expr):
        f = expr.expr
        if isinstance(f, AppliedUndef) and len(expr.variables) == 1:
            return self._print_Function(sp.Function(f.func.__name__ + "'")(*f.args))
        return super()._print_Derivative(expr)

    def _print_Abs(self, expr, exp=None):
        tex = r"\lvert %s\rvert" % self._print(expr.args[0])
        return "%s^{%s}" % (tex, exp) if exp is not None else tex

    def _print_ind(self, expr, exp=None):
        """A comparison as a 0/1 indicator: Iverson brackets `[z > 0]`."""
        return "[%s]" % self._print(expr.args[0])

    def _print_clog2(self, expr, exp=None):
        """ceil(log2 n), the depth of a reduction tree (cost.clog2)."""
        tex = r"\lceil\log_2(%s)\rceil" % self._print(expr.args[0])
        return "%s^{%s}" % (tex, exp) if exp is not None else tex

    def _print_KroneckerDelta(self, expr, exp=None):
        tex = r"\delta_{%s,%s}" % tuple(self._print(a) for a in expr.args)
        return "%s^{%s}" % (tex, exp) if exp is not None else tex

    def _print_Order(self, expr):
        return "O(%s)" % self._print(expr.expr)

    def _print_BigO(self, expr, exp=None):
        """An order of growth (core.growth.BigO) as textbooks print it: `O(T \\log J)`."""
        terms = []
        for term in self._as_ordered_terms(expr.args[0]):
            factors = sp.Mul.make_args(term)
            logs = [f for f in factors if isinstance(f.as_base_exp()[0], sp.log)]
            rest = sp.Mul(*[f for f in factors if f not in logs])
            shown = [] if rest == 1 and logs else [self._print(rest)]
            for f in logs:
                base, power = f.as_base_exp()
                head = r"\log" if power == 1 else r"\log^{%s}" % self._print(power)
                shown.append(r"%s %s" % (head, self._print(base.args[0])))
            terms.append(r"\, ".join(shown))
        return "O(%s)" % " + ".join(terms)

    def _print_Measure(self, expr):
        """A measure of a cost (core.growth.Measure): `W_{\\mathrm{backward}}`."""
        if not expr.whose:
            return expr.letter
        return r"%s_{\mathrm{%s}}" % (expr.letter, expr.whose)

    # ---- brackets, sums, powers ----------------------------------------

    def _add_parens(self, s) -> str:
        if r"\sum" in s and len(s) > 80:
            # a long sum of sums (a compact gradient): \biggl( \biggr) do not make a group,
            # so TeX may break the line after a + or - inside them, as \left( \right) may not
            return r"\biggl(%s\biggr)" % s
        if r"\frac" in s or r"\sum" in s:
            return r"\left(%s\right)" % s
        return "(%s)" % s

    _add_parens_lspace = _add_parens

    def _print_Add(self, expr, order=None):
        """Positive terms first (`1 - h^2`, not `- h^2 + 1`), as the text printer."""
        terms = list(self._as_ordered_terms(expr, order=order))
        terms = [t for t in terms if not _negative(t)] + [t for t in terms if _negative(t)]
        tex = ""
        for k, term in enumerate(terms):
            if _negative(term):
                tex += "-" if k == 0 else " - "
                term = -term
            elif k:
                tex += " + "
            text = self._print(term)
            if term.is_Add or (k and text.startswith("-")):
                text = self._add_parens(text)
            tex += text
        return tex

    def _print_Pow(self, expr):
        base, e = expr.base, expr.exp
        if is_ref(base) and e.is_Integer and e > 0:
            shown = self._print(base)
            # a display name with a superscript (Y^{(l)}) gets brackets: (Y^{(l)}[m])^{2}
            wrap = "(%s)" if "^" in shown else "{%s}"
            return (wrap + "^{%s}") % (shown, self._print(e))
        if negative_power(expr):       # \frac{1}{n^{L/2}}, not n^{-L/2}
            return r"\frac{1}{%s}" % self._print(sp.Pow(base, -e))
        return super()._print_Pow(expr)

    def _print_Rational(self, expr):
        """0.044715, not \frac{8943}{200000} (derive.core.numbers.decimal_text)."""
        return decimal_text(expr) or super()._print_Rational(expr)

    def _print_Mul(self, expr):
        c, rest = expr.as_coeff_Mul()
        shown = decimal_text(abs(c)) if c.is_Rational else None
        if shown is not None and rest != 1:      # 0.044715 z^{3}
            text = self._print(rest)
            if rest.is_Add:
                text = self._add_parens(text)
            return "%s%s\\, %s" % ("-" if c < 0 else "", shown, text)
        # a long numerator over a short denominator: \frac{1}{K} (...), not a tall fraction
        sign, positive = ("-", -expr) if expr.as_coeff_Mul()[0].is_negative else ("", expr)
        numer, denom = _positive_fraction(positive)
        if denom != 1 and positive.is_Mul:
            top, bottom = self._print(numer), self._print(denom)
            if len(bottom) <= 12 and (r"\frac" in top or len(top) > 50):
                if numer.is_Add:
                    top = self._add_parens(top)
                return r"%s\frac{1}{%s}\, %s" % (sign, bottom, top)
        if denom != 1 and any(negative_power(f) for f in sp.Mul.make_args(positive)):
            top = self._print(numer) if numer != 1 else "1"
            return r"%s\frac{%s}{%s}" % (sign, top, self._print(denom))
        return _tight_numbers(super()._print_Mul(expr))


def _positive_fraction(expr):
    """(numerator, denominator) of a product, powers with a negative exponent
    (`n**(-L/2)`) moved below as positive powers."""
    numer, denom = sp.fraction(expr)
    moved = [f for f in sp.Mul.make_args(numer) if negative_power(f)]
    if moved:
        numer = sp.Mul(*[f for f in sp.Mul.make_args(numer) if not negative_power(f)])
        denom = denom * sp.Mul(*[sp.Pow(f.base, -f.exp) for f in moved])
    return numer, denom


def plain_brackets(tex: str) -> str:
    """`\\left( a + b \\right)` -> `(a + b)` unless the brackets hold a fraction or a sum."""
    out, stack, k = [], [], 0
    while k < len(tex):
        if tex.startswith(r"\left(", k):
            stack.append(len(out))
            out.append(r"\left(")
            k += 6
        elif tex.startswith(r"\right)", k) and stack:
            start = stack.pop()
            inner = "".join(out[start + 1:])
            tall = r"\frac" in inner or r"\sum" in inner or r"\prod" in inner
            out[start] = r"\left(" if tall else "("
            out.append(r"\right)" if tall else ")")
            k += 7
        else:
            out.append(tex[k])
            k += 1
    return "".join(out)


def _tight_numbers(tex: str) -> str:
    """No thin space after a numeric factor: `2(x - y)`, `2r`, not `2\\,r`."""
    return re.sub(r"(?<![\w\\^_])(\d+)\\,\s*", r"\1", tex)


def _negative(term) -> bool:
    c, _ = term.as_coeff_Mul()
    return bool(c.is_negative)


def printer_for(spec, subscripts: bool = False, program: Program | None = None):
    """A printer with the display names of a spec (and of a derived program's temporaries)."""
    names = {}
    for prog in (spec.program, program):
        if prog is not None:
            names.update({base_of(n): i.latex for n, i in prog.tensors.items()
                          if i.latex and not is_grad_name(n)})
    symbols = {str(n): str(o["latex"]) for n, o in (spec.raw.get("symbols") or {}).items()
               if isinstance(o, dict) and o.get("latex")}
    functions = {str(n): str(o["latex"]) for n, o in (spec.raw.get("functions") or {}).items()
                 if isinstance(o, dict) and o.get("latex")}
    return NotationLatexPrinter(names, subscripts, symbols, functions)


# ---------------------------------------------------------------------------
# statements and programs
# ---------------------------------------------------------------------------


def loops_latex(loops, indices=None, printer=None) -> str:
    """`b,j`; a range other than the declared one as `t = T,\\dots,1`."""
    p = printer or NotationLatexPrinter()
    parts = []
    for lp in loops:
        name = p._print(lp.var)
        declared = (indices or {}).get(lp.var.name)
        if not lp.reverse and declared is not None and \
                sp.simplify(declared[0] - lp.lo) == 0 and sp.simplify(declared[1] - lp.hi) == 0:
            parts.append(name)
        else:
            first, last = (lp.hi, lp.lo) if lp.reverse else (lp.lo, lp.hi)
            parts.append(r"%s = %s,\dots,%s" % (name, p._print(first), p._print(last)))
    return ", ".join(parts)


def for_latex(loops, indices=None, printer=None) -> str:
    return r"\textbf{for}\ %s\colon" % loops_latex(loops, indices, printer)


def statement_latex(st: Statement, indices=None, printer=None) -> str:
    """One statement: `\\textbf{for}\\ b, j\\colon\\ Z[b] \\mathrel{+}= \\exp(s[b,j])`."""
    p = printer or NotationLatexPrinter()
    if st.op in REDUCTIONS:
        # m[b, j] = \max_{k} h[b, k, j], under the loops the target has
        red = reduced_loops(st)
        rhs = p.doprint(st.rhs)
        if st.rhs.is_Add:
            rhs = r"\left(%s\right)" % rhs
        body = r"%s = \%s_{%s} %s" % (p.doprint(st.target), REDUCTIONS[st.op],
                                        loops_latex(red, indices, p), rhs)
        st = st.with_(op="=", loops=tuple(lp for lp in st.loops if lp not in red))
    else:
        body = r"%s %s %s" % (p.doprint(st.target), OP_LATEX[st.op], p.doprint(st.rhs))
    if st.loops and not implicit_loops(st, indices):
        return r"%s\ %s" % (for_latex(st.loops, indices, p), body)
    return body


def program_lines(prog: Program, printer=None, items=None) -> list[tuple[int, str]]:
    """(depth, LaTeX) per line: a block is its `for` header and its indented body."""
    p = printer or NotationLatexPrinter({n: i.latex for n, i in prog.tensors.items()
                                         if i.latex})
    lines = []

    def rec(its, depth):
        for it in its:
            if isinstance(it, Block):
                lines.append((depth, for_latex(it.loops, prog.indices, p)))
                rec(it.body, depth + 1)
            else:
                lines.append((depth, statement_latex(it, prog.indices, p)))
    rec(prog.items if items is None else items, 0)
    return lines


def program_latex(prog: Program, printer=None) -> list[str]:
    """One LaTeX line per statement (blocks as a header and `\\quad`-indented lines)."""
    return [r"\quad " * depth + text for depth, text in program_lines(prog, printer)]


# ---------------------------------------------------------------------------
# derivative rules, matrix forms, expression answers
# ---------------------------------------------------------------------------

def rule_latex(f, printer=None) -> str:
    """The rule of function `f` in the derivative table, typeset from the table itself."""
    p = printer or NotationLatexPrinter()
    d = r"\mathrm{d}"
    if f in DERIVATIVES:
        u = sp.Symbol("u")
        df = DERIVATIVES[f](u)
        if df == 0:
            return r"%s\,%s = 0" % (d, p.doprint(f(u)))
        factor = p.doprint(df)
        if df.is_Add:
            factor = "(%s)" % factor
        return r"%s\,%s = %s\,%s u" % (d, p.doprint(f(u)), factor, d)
    if f in PARTIALS:
        a, b = sp.symbols("a b")
        da, db = (p.doprint(g(a, b)) for g in PARTIALS[f])
        return r"%s\,%s = %s\,%s a + (%s)\,%s b" % (d, p.doprint(f(a, b)), da, d, db, d)
    return r"\text{%s}" % escape_text(RULE_TEXT.get(f, str(f)))


class _Leaf(sp.Dummy):
    """A placeholder that prints as given LaTeX (a tensor inside an elementwise form)."""

    def _latex(self, printer):
        return self.tex


def form_latex(node, printer=None) -> str:
    """A matrix form (derive.engines.matrix) in LaTeX, from its tree."""
    from derive.engines import matrix as M
    p = printer or NotationLatexPrinter()
    if isinstance(node, M.Form):
        out = []
        for k, (sign, t) in enumerate(node.terms):
            tex = form_latex(t, p)
            out.append(("-" if sign < 0 else "") + tex if k == 0 else
                       (" - " if sign < 0 else " + ") + tex)
        return r"%s %s %s" % (form_latex(node.target, p), OP_LATEX[node.op], "".join(out))
    if isinstance(node, M.Mat):
        name = p.tensor_name(node.name)
        if not node.sub:
            return name
        sub = ",".join(p.doprint(i) for i in node.sub)
        return (r"{%s}_{%s}" if "_" in name or "^" in name else r"%s_{%s}") % (name, sub)
    if isinstance(node, M.Elem):
        leaves = {}
        for s, m in node.names:
            leaf = _Leaf(s.name)
            leaf.tex = form_latex(m, p)
            leaves[s] = leaf
        return _paren_latex(node.expr, p.doprint(node.expr.xreplace(leaves)))
    if isinstance(node, M.Scalar):
        return _paren_latex(node.expr, p.doprint(node.expr))
    if isinstance(node, M.T):
        inner = form_latex(node.x, p)
        if isinstance(node.x, (M.Had, M.Prod)):
            return r"(%s)^{\top}" % inner
        return (r"{%s}^{\top}" if "^" in inner or "_" in inner else r"%s^{\top}") % inner
    if isinstance(node, M.Had):
        return r" \circ ".join(form_latex(x, p) for x in node.xs)
    if isinstance(node, M.Prod):
        parts = [form_latex(x, p) for x in node.xs]
        parts = [r"(%s)" % t if isinstance(x, M.Had) else t
                 for x, t in zip(node.xs, parts)]
        return r"\,".join(parts)
    if isinstance(node, M.Ones):
        return r"\mathbf{1}"
    if isinstance(node, M.SumAll):
        return r"\operatorname{sum}(%s)" % form_latex(node.x, p)
    raise TypeError(f"not a matrix form: {node!r}")


def _paren_latex(expr, tex: str) -> str:
    return r"(%s)" % tex if expr.is_Add else tex


def relation_latex(relation: str) -> str:
    return RELATION_LATEX.get(relation.strip(), r"\mathrel{\text{%s}}" % escape_text(relation))


def label_latex(label: str, printer=None) -> str:
    """The left side of an expression answer that has no `lhs`: a tensor, a symbol, a
    moment of a whole tensor (`Var(h)`), or words in which such names stand as math
    (`Var(u) compared with Var(y)`)."""
    p = printer or NotationLatexPrinter()
    words = str(label).split()
    shown = [_name_latex(w, p) for w in words]
    if len(words) == 1 and shown[0] is not None:
        return shown[0]
    out = []
    for word, tex in zip(words, shown):
        if tex is None and out and out[-1][0] == "text":
            out[-1] = ("text", out[-1][1] + " " + word)
        else:
            out.append(("text", word) if tex is None else ("math", tex))
    return r"\ ".join(r"\text{%s}" % escape_text(v) if kind == "text" else v
                      for kind, v in out)


def _name_latex(word: str, p) -> str | None:
    """A word of a label as math, if it is a tensor, a symbol or a moment of a tensor."""
    if base_of(word) in p.latex_names:
        return p.tensor_name(word)
    if word.isidentifier() and len(word) > 1 and word not in p.symbol_latex \
            and word.lower() == word and "_" not in word:
        return None                          # an English word: "forward", "update"
    if word.isidentifier():
        return p._print(sp.Symbol(word))
    head, bracket, inner = word.partition("(")
    if bracket and head in NAMED_FUNCTION_LATEX and inner.endswith(")") \
            and inner[:-1].removesuffix(".grad").isidentifier():
        return p.doprint(sp.Function(head)(TensorScalar(inner[:-1])))
    return None


def result_label_latex(res, printer=None) -> str:
    """The left side of an expression answer (derive.core.records.Result): its quantity
    `lhs` when it has one (`\\operatorname{Var}(z_1[j])`), else its label."""
    p = printer or NotationLatexPrinter()
    if res.lhs is not None:
        return p.doprint(res.lhs)
    return label_latex(res.label, p)


def value_latex(value, printer=None) -> str:
    """An expression answer's value: a SymPy object, or text."""
    p = printer or NotationLatexPrinter()
    if isinstance(value, sp.Basic):
        return p.doprint(value)
    if isinstance(value, (int, float)):
        return p.doprint(as_expr(value))
    return r"\text{%s}" % escape_text(str(value))


# ---------------------------------------------------------------------------
# text
# ---------------------------------------------------------------------------

_ESCAPES = {"&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_", "{": r"\{",
            "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}",
            "\\": r"\textbackslash{}", "∘": r"$\circ$", "≈": r"$\approx$",
            "≤": r"$\le$", "≥": r"$\ge$", "→": r"$\to$", "σ": r"$\sigma$", "∑": r"$\sum$",
            "√": r"$\surd$", "·": r"$\cdot$", "×": r"$\times$", "ℓ": r"$\ell$"}


def escape_text(text: str) -> str:
    """Plain text (an engine's message) for LaTeX text mode."""
    return "".join(_ESCAPES.get(ch, ch) for ch in str(text))


def message_latex(text, p=None) -> str:
    """A message for LaTeX text mode.  A Phrase (derive.core.phrase) has its formulas
    typeset by the printer `p` (the spec's display names); in its words, and in a plain
    message, `code` spans are set in typewriter type and the rest is escaped."""
    if isinstance(text, Phrase):
        p = p or NotationLatexPrinter()
        return "".join(_words_latex(part) if isinstance(part, str) and not isinstance(part, Math)
                       else r"\(%s\)" % p.doprint(getattr(part, "expr", part))
                       for part in text.parts)
    return _words_latex(str(text))


def _words_latex(text: str) -> str:
    parts = text.split("`")
    out = []
    for k, part in enumerate(parts):
        if k % 2 and k < len(parts) - 1:
            out.append(r"\texttt{%s}" % escape_text(part).replace(" ", r" \allowbreak "))
        else:
            out.append(escape_text(part if k % 2 == 0 else "`" + part))
    return "".join(out)
