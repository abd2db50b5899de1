"""The LaTeX subset of derive.front.spelling: commands read into the course notation's
tokens (\\frac, \\sqrt, \\sum_{j}, ^{...}, _{...}, Greek letters), whitelisted."""
from __future__ import annotations

import unicodedata

from derive.front.spelling_cases import AND, OTHERWISE, cases_tokens
from derive.front.spelling_tables import (GREEK, LATEX_ACCEPTED, LATEX_DROPPED,
                                          LATEX_FUNCTIONS, LATEX_RELATIONS, LATEX_TIMES,
                                          LATEX_WRAPPERS, Tok, _op)


class LatexPass:
    """The LaTeX passes of the rewriter (derive.front.spelling._Rewriter)."""

    def group(self, toks, k) -> tuple[list, int]:
        """The tokens of a `{...}` group starting at k (or the one token at k), and the
        index after it."""
        if k >= len(toks):
            self.fail("expected a {...} group after the command", toks[-1].col + 1)
        if toks[k].text != "{":
            return [toks[k]], k + 1
        depth, j = 0, k
        while j < len(toks):
            if toks[j].text == "{":
                depth += 1
            elif toks[j].text == "}":
                depth -= 1
                if depth == 0:
                    return toks[k + 1:j], j + 1
            j += 1
        self.fail("unclosed '{'", toks[k].col)

    def latex(self, toks) -> list:
        out, k = [], 0
        while k < len(toks):
            t = toks[k]
            if t.kind != "cmd":
                out.append(t)
                k += 1
                continue
            name = t.text[1:]
            col = t.col
            if name in ("{", "}"):
                out.append(_op("(" if name == "{" else ")", col, t.space))
                k += 1
            elif name == "begin":
                made, k = self.cases(toks, k)
                out += made
            elif name in (",", ";", ":", "!", " ", "\\") or name in LATEX_DROPPED:
                k += 1
            elif name == "|":
                out.append(_op("|", col, t.space))
                k += 1
            elif name == "frac" or name == "dfrac" or name == "tfrac":
                num, k = self.group(toks, k + 1)
                den, k = self.group(toks, k)
                if _derivative(num) and _derivative(den):     # \frac{\partial L}{\partial W}
                    out += self.latex(num) + [_op("/", col)] + self.latex(den)
                    continue
                out += [_op("(", col, t.space), _op("(", col)] + self.latex(num) + \
                    [_op(")", col), _op("/", col), _op("(", col)] + self.latex(den) + \
                    [_op(")", col), _op(")", col)]
            elif name == "sqrt":
                k += 1
                root = None
                if k < len(toks) and toks[k].text == "[":
                    j = k
                    while j < len(toks) and toks[j].text != "]":
                        j += 1
                    root, k = toks[k + 1:j], j + 1
                arg, k = self.group(toks, k)
                arg = [_op("(", col)] + self.latex(arg) + [_op(")", col)]
                if root is None:
                    out += [Tok("name", "sqrt", col, t.space)] + arg
                else:
                    out += [_op("(", col, t.space)] + arg + [
                        _op("^", col), _op("(", col), Tok("num", "1", col), _op("/", col),
                        _op("(", col)] + self.latex(root) + [_op(")", col), _op(")", col),
                                                             _op(")", col)]
            elif name in LATEX_TIMES:        # \cdot, \times: a product; \odot, \circ: elementwise
                out.append(Tok("mm" if name in ("cdot", "times", "bullet") else "op", "*", col,
                               t.space))
                k += 1
            elif name in LATEX_RELATIONS:
                out.append(_op(LATEX_RELATIONS[name], col, t.space))
                k += 1
            elif name in LATEX_WRAPPERS:
                inner, k = self.group(toks, k + 1)
                text = "".join(x.text for x in inner)
                if name in ("hat", "widehat", "tilde", "bar") and len(inner) > 1 and \
                        inner[0].kind == "cmd" and inner[0].text[1:] in LATEX_WRAPPERS:
                    inner = self.latex(inner)       # \hat{\mathbf{y}}: the hat of y
                if name in ("hat", "widehat", "tilde", "bar") and len(inner) == 1 and \
                        inner[0].kind == "name":
                    mark = {"hat": "\u0302", "widehat": "\u0302", "tilde": "\u0303",
                            "bar": "\u0304"}[name]
                    out.append(Tok("name", self.name(Tok("name", inner[0].text + mark,
                                                         col)), col, t.space))
                elif name == "mathcal" and text in ("O", "L"):
                    out.append(Tok("name", text, col, t.space))
                elif name == "mathbb" and text == "E":
                    out.append(Tok("name", "E", col, t.space))
                elif name == "mathbb" and text == "1" or name == "mathbf" and text == "1":
                    out.append(Tok("uni", "𝟙", col, t.space))
                elif text in ("Var", "E", "Cov", "grad", "d", "Std"):
                    out.append(Tok("name", text, col, t.space))
                else:
                    out += self.latex(inner)
            elif name in ("sum", "prod"):
                out.append(Tok("uni", "∑", col, t.space))
                k += 1
            elif name in ("partial", "nabla"):
                out.append(Tok("uni", "∂" if name == "partial" else "∇", col, t.space))
                k += 1
            elif name in ("top", "intercal"):      # read by the matrix pass
                out.append(Tok("T", "", col))
                k += 1
            elif name in LATEX_FUNCTIONS:
                out.append(Tok("name", LATEX_FUNCTIONS[name], col, t.space))
                k += 1
            elif name in GREEK.values() or name in ("epsilon", "varepsilon", "ell",
                                                    "varphi", "vartheta"):
                greek = {"varepsilon": "epsilon", "ell": "l", "varphi": "phi",
                         "vartheta": "theta"}.get(name, name)
                out.append(Tok("name", self.name(Tok("name", greek, col)), col, t.space))
                k += 1
            elif name == "infty":
                out.append(Tok("name", "oo", col, t.space))
                k += 1
            else:
                self.fail(f"the LaTeX command {t.text} is not read (accepted: "
                          f"{LATEX_ACCEPTED})", col)
        return self.braces(self.join_names(out))

    def matrix(self, toks, k, j):
        """\\begin{pmatrix} 6 & 12 \\\\ 0 & 0 \\end{pmatrix}: the values as a list of rows
        ([[6, 12], [0, 0]]); one row or one column, a list.  (tokens, index after)."""
        end = next((m for m in range(j, len(toks)) if toks[m].text == "\\end"), None)
        if end is None:
            self.fail("the matrix is not closed by \\end{...}", toks[k].col)
        _, after = self.group(toks, end + 1)
        rows, row, entry = [], [], []
        for x in toks[j:end] + [Tok("op", "\\\\", toks[end].col)]:
            if x.text in ("&", "\\\\"):
                if entry:
                    row.append(self.latex(entry))
                entry = []
                if x.text == "\\\\" and row:
                    rows.append(row)
                    row = []
            else:
                entry.append(x)
        if not rows or len({len(r) for r in rows}) != 1:
            self.fail("each row of the matrix needs the same number of entries", toks[k].col)
        col = toks[k].col
        flat = len(rows) == 1 or len(rows[0]) == 1

        def listed(items):
            out = [_op("[", col)]
            for n, item in enumerate(items):
                out += ([_op(",", col)] if n else []) + item
            return out + [_op("]", col)]
        made = listed([e for r in rows for e in r]) if flat else \
            listed([listed(r) for r in rows])
        made[0].space = toks[k].space
        self.notes.append("read the matrix as the list of its " +
                          ("entries" if flat else "rows"))
        return made, after

    def cases(self, toks, k):
        """\\begin{cases} v & j = k \\\\ 0 & \\text{otherwise} \\end{cases}, a Jacobian entry on the
        diagonal only: delta(j, k)*(v).  (tokens, index after \\end{cases})."""
        env, j = self.group(toks, k + 1)
        name = "".join(x.text for x in env)
        if name in ("pmatrix", "bmatrix", "matrix"):
            return self.matrix(toks, k, j)
        if name != "cases":
            self.fail("only the cases and matrix environments are read (\\begin{cases}, "
                      "\\begin{pmatrix}, \\begin{bmatrix})", toks[k].col)
        end = next((m for m in range(j, len(toks)) if toks[m].text == "\\end"), None)
        if end is None:
            self.fail("\\begin{cases} is not closed by \\end{cases}", toks[k].col)
        _, after = self.group(toks, end + 1)
        rows, row = [], []
        for x in toks[j:end]:
            if x.text == "\\\\":
                rows.append(row)
                row = []
            else:
                row.append(x)
        rows.append(row)
        rows = [r for r in rows if r]
        parsed = []
        for r in rows:
            amp = next((m for m, x in enumerate(r) if x.text == "&"), None)
            if amp is None:
                self.fail("each case is `value & condition`", r[0].col)
            parsed.append((self.latex(r[:amp]), _condition(self.latex(r[amp + 1:]))))
        cases = [(value, None if not cond or [x.text for x in cond] in ([w] for w in OTHERWISE)
                  else cond) for value, cond in parsed]
        made = cases_tokens(cases, self.names.indices, toks[k].col)
        if made is None:
            self.fail("a case's condition is read as an equality of two indices (j = k) or a "
                      "comparison (z > 0), joined by \\text{ and }: `v & j = k \\\\ 0 & "
                      "\\text{otherwise}`", toks[k].col)
        made[0].space = toks[k].space
        self.notes.append("read the cases as each value times its condition (delta(j, k) for "
                          "j = k, 0 or 1 for a comparison), summed")
        return made, after

    def layer_variance(self, toks, k):
        """(sigma2 or sigma2_grad, index after) for sigma^2(...), sigma^2_{grad}(...),
        sigma_{grad}^2(...), when the part's recurrence names them; else None."""
        if toks[k].text != "sigma" or "sigma2" not in self.names.functions:
            return None
        texts = [x.text for x in toks[k + 1:k + 12]]
        flat = "".join(texts)
        for pattern, name in (("^2_{grad}(", "sigma2_grad"), ("^{2}_{grad}(", "sigma2_grad"),
                              ("_{grad}^2(", "sigma2_grad"), ("_{grad}^{2}(", "sigma2_grad"),
                              ("^2(", "sigma2"), ("^{2}(", "sigma2")):
            if flat.startswith(pattern):
                used, j = 0, k + 1
                while used < len(pattern) - 1:          # up to the "(" that stays
                    used += len(toks[j].text)
                    j += 1
                return name, j
        return None

    def braces(self, toks) -> list:
        """`^{...}` and any other group left: parentheses (a subscript group stays for
        the subscript pass)."""
        out = []
        keep = 0
        for k, t in enumerate(toks):
            if t.text == "{" and k and toks[k - 1].text == "_":
                keep += 1
                out.append(t)
            elif t.text == "{":
                out.append(_op("(", t.col, t.space))
                keep = keep * 1
            elif t.text == "}" and keep and _open_subscript(out):
                keep -= 1
                out.append(t)
            elif t.text == "}":
                out.append(_op(")", t.col, t.space))
            else:
                out.append(t)
        return out

    def join_names(self, toks) -> list:
        """`\\sigma _W` and `\\sigma_{W}` (after LaTeX) as the one name the spec uses."""
        out, k = [], 0
        while k < len(toks):
            t = toks[k]
            # \sigma^2(\ell), \sigma^2_{\mathrm{grad}}(\ell): a recurrence's layer variance
            got = self.layer_variance(toks, k)
            if got is not None:
                name, k = got
                out.append(Tok("name", name, t.col, t.space))
                continue
            # a display name with a superscript: W^{(2)} for the spec's W2, \sigma^2 for v
            if t.kind == "name" and k + 2 < len(toks) and toks[k + 1].text == "^":
                if toks[k + 2].text == "{":
                    sup, j = self.group(toks, k + 2)
                else:
                    sup, j = toks[k + 2:k + 3], k + 3
                cand = unicodedata.normalize("NFD", t.text) + "^" + "".join(x.text for x in sup)
                if cand in self.names.spellings:
                    out.append(Tok("name", self.names.spellings[cand], t.col, t.space))
                    k = j
                    continue
            # z_{2,j}: the tensor z2 (its number in the subscript), then its index
            if t.kind == "name" and k + 2 < len(toks) and toks[k + 1].text == "_" and \
                    toks[k + 2].text == "{":
                sub, j = self.group(toks, k + 2)
                if len(sub) >= 3 and sub[0].kind == "num" and sub[1].text == "," and \
                        t.text + sub[0].text in self.names.tensors and \
                        t.text not in self.names.tensors:
                    out += [Tok("name", t.text + sub[0].text, t.col, t.space), _op("[", t.col)] \
                        + sub[2:] + [_op("]", t.col)]
                    k = j
                    continue
            if t.kind == "name" and k + 2 < len(toks) and toks[k + 1].text == "_":
                sub, j = self.group(toks, k + 2)
                joined = t.text + "_" + "".join(x.text for x in sub)
                flat = joined.replace(",", "").replace(" ", "")
                greek = t.text in GREEK.values() and sub and all(
                    x.kind == "name" or x.text == "," for x in sub)
                for cand in (joined, flat):
                    # sigma_W, and a Greek letter's subscript kept (sigma_l, a label)
                    if cand in self.names.spellings or self.names.known(cand) or greek:
                        out.append(Tok("name", self.names.spellings.get(cand, cand),
                                       t.col, t.space))
                        k = j
                        break
                else:
                    out.append(t)
                    k += 1
                continue
            out.append(t)
            k += 1
        return out


def _open_subscript(toks) -> bool:
    """Is the innermost open group of `toks` a subscript's `{`?"""
    depth = 0
    for x in reversed(toks):
        if x.text in (")", "]", "}"):
            depth += 1
        elif x.text in ("(", "[", "{"):
            if depth == 0:
                return x.text == "{"
            depth -= 1
    return False


def _derivative(toks) -> bool:
    """Does a fraction's part start with a differential (\\partial L, dL, d\\ell)?"""
    if not toks:
        return False
    first = toks[0]
    return first.text in ("\\partial", "∂", "d") or (
        first.kind == "name" and first.text.startswith("d") and len(first.text) > 1
        and len(toks) == 1)


def _condition(toks) -> list:
    """A case's condition without its words' wrapping (`\\text{if }`, `\\text{ and }`,
    `\\text{otherwise}` read as (if), (and), (otherwise))."""
    words = ("if", "for", "text") + AND + OTHERWISE
    out, k = [], 0
    while k < len(toks):
        x = toks[k]
        if x.text == "(" and k + 2 < len(toks) and toks[k + 1].text in words and \
                toks[k + 2].text == ")":
            x, k = toks[k + 1], k + 2
        if x.text not in ("if", "for", "text"):
            out.append(x)
        k += 1
    return out
