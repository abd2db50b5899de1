"""Gradients as students name them, for derive.front.spelling: `∂L/∂W[i, j]`,
`dL/dz_i`, `∇_W L` and `dW`, read as the course's `W.grad`."""
from __future__ import annotations

import re

from derive.core.functions import VOCABULARY
from derive.front.spelling_cases import IF, cases_tokens, inline_cases
from derive.front.spelling_tables import Tok, _op


class GradientPass:
    """The gradient-name pass of the rewriter (derive.front.spelling._Rewriter)."""

    def gradients(self, toks) -> list:
        """`∂L/∂W[i, j]`, `dL/dz_i`, `∇_W L` and `dW`, wherever they are: the gradient of
        the tensor they name (`dW` only while the answer writes no `.grad` of its own and
        no name dW is in scope)."""
        jac = self.jacobian_line(toks)
        if jac is not None:
            return jac
        out, k = [], 0
        while k < len(toks):
            t = toks[k]
            got = self.leibniz_at(toks, k)
            if got is not None:
                made, k = got
                made[0].space = t.space
                out += made
                continue
            out.append(t)
            k += 1
        return out

    def leibniz_at(self, toks, k):
        """(tokens, next index) for a gradient written at k, or None."""
        t = toks[k]
        # dL(y)/dy, ∂ℓ(y)/∂y: the loss written with its argument, as the text writes it
        at = k + 1 if t.text in ("∂", "d") else k
        prime = self.function_derivative(toks, k, at)
        if prime is not None:
            return prime
        if (at > k or (t.kind == "name" and re.fullmatch(r"d[A-Za-zℓ]\w*", t.text))) and \
                at + 1 < len(toks) and toks[at].kind == "name" and \
                toks[at + 1].text == "(" and not toks[at + 1].space and \
                not self.names.tensors.get(toks[at].text[at == k:]) and \
                toks[at].text[at == k:] not in VOCABULARY:       # dσ(z)/dz is σ'(z)
            end = self.closing(toks, at + 1)
            if end + 1 < len(toks) and toks[end + 1].text == "/":
                got = self.leibniz_at(toks[:at + 1] + toks[end + 1:], k)
                if got is not None:
                    return got[0], got[1] + (end - at)
        t = toks[k]
        nxt = toks[k + 1:k + 4]
        # ∂L/∂T or dL/dT written with separate d's: ∂ L / ∂ T
        if t.text in ("∂", "d") and len(nxt) == 3 and nxt[0].kind == "name" and \
                nxt[1].text == "/" and nxt[2].text in ("∂", "d") and k + 4 < len(toks):
            self.not_a_jacobian(nxt[0])
            return self.gradient_of(toks, k + 4, f"{t.text}{nxt[0].text}/{t.text}...")
        # d L / dy: a separate d over a d-name (LaTeX's \frac{d\mathcal{L}}{dy})
        if t.text in ("∂", "d") and len(nxt) == 3 and nxt[0].kind == "name" and \
                nxt[1].text == "/" and nxt[2].kind == "name" and \
                re.fullmatch(r"d[A-Za-z]\w*", nxt[2].text) and not self.names.known(nxt[2].text):
            self.not_a_jacobian(nxt[0])
            rest = [Tok("name", nxt[2].text[1:], nxt[2].col)] + toks[k + 4:]
            got = self.gradient_of(rest, 0, f"{t.text}{nxt[0].text}/{nxt[2].text}")
            return None if got is None else (got[0], k + 3 + got[1])
        # dL/dT as two names
        if t.kind == "name" and re.fullmatch(r"d[A-Za-zℓ]\w*", t.text) and len(nxt) >= 2 \
                and nxt[0].text == "/" and nxt[1].kind == "name" and \
                re.fullmatch(r"d[A-Za-z]\w*", nxt[1].text) and not self.names.known(t.text):
            self.not_a_jacobian(Tok("name", t.text[1:], t.col))
            rest = [Tok("name", nxt[1].text[1:], nxt[1].col)] + toks[k + 3:]
            got = self.gradient_of(rest, 0, f"{t.text}/{nxt[1].text}")
            return None if got is None else (got[0], k + 2 + got[1])
        # ∇_W L
        if t.text == "∇" and k + 2 < len(toks) and toks[k + 1].text == "_":
            sub, j = self.group(toks, k + 2)
            got = self.gradient_of(sub, 0, "∇")
            if got is None:
                return None
            if j < len(toks) and toks[j].kind == "name" and not self.names.tensors.get(
                    toks[j].text, None):
                j += 1                                  # the loss it is the gradient of
            return got[0], j
        # dW, dz_i, dŷ: the student's short name for a gradient
        if t.kind == "name" and t.text.startswith("d") and not self.names.known(t.text) \
                and len(t.text) > 1:
            base = t.text[1:].partition("_")[0]
            # dW for W.grad when the answer names every gradient so, or when dW is only
            # the target it computes; a d-name read beside .grad's is the student's own
            if base in self.names.tensors and self.gradient_name(t.text, k, toks):
                rest = [Tok("name", t.text[1:], t.col)] + toks[k + 1:]
                got = self.gradient_of(rest, 0, t.text)
                return None if got is None else (got[0], k + got[1])
        return None

    def function_derivative(self, toks, k, at):
        """dσ(z)/dz, d relu(z)/dz, \\frac{d\\tanh(z)}{dz}: a function of the vocabulary
        differentiated by its own argument, read as its prime (σ'(z)), or None."""
        if at == k and not (toks[k].kind == "name" and toks[k].text.startswith("d")):
            return None
        if at >= len(toks) or toks[at].kind != "name":
            return None
        fname = toks[at].text[1:] if at == k else toks[at].text
        if fname not in VOCABULARY or at + 1 >= len(toks) or toks[at + 1].text != "(":
            return None
        end = self.closing(toks, at + 1)
        arg = toks[at + 2:end]
        if len(arg) != 1 or arg[0].kind != "name" or end + 1 >= len(toks) or \
                toks[end + 1].text != "/":
            return None
        j = end + 2
        if j < len(toks) and toks[j].text in ("∂", "d") and j + 1 < len(toks) and \
                toks[j + 1].text == arg[0].text:
            nxt = j + 2
        elif j < len(toks) and toks[j].kind == "name" and toks[j].text == "d" + arg[0].text:
            nxt = j + 1
        else:
            return None
        col = toks[k].col
        self.notes.append(f"read `d{fname}({arg[0].text})/d{arg[0].text}` as {fname}'"
                          f"({arg[0].text})")
        return [Tok("name", fname, col, toks[k].space), _op("'", col), _op("(", col),
                arg[0], _op(")", col)], nxt

    def gradient_name(self, name: str, k: int, toks) -> bool:
        text = self.names.text
        if ".grad" not in text and "mathrm{grad}" not in text:
            return True
        uses = re.findall(r"(?<![\w.])%s(?![\w])" % re.escape(name), text)
        target = all(x.text not in ("=", "+=", "-=") for x in toks[:k]) and any(
            x.text in ("=", "+=", "-=") for x in toks[k:])
        if len(uses) == 1 and target:
            return True
        # db1 = ..., then dW1 = db1 xᵀ: db1 is b1.grad (assigned once, read after) when
        # the answer writes b1's gradient no other way
        base = name[1:].partition("_")[0]
        assigned = re.findall(r"(?m)^\s*%s(?:_\w+|\[[^\]]*\])?\s*(?:=|\+=|-=)" % re.escape(name),
                              text)
        rank = len(self.names.tensors.get(base, ()))
        shapes = [len(m.split(",")) for m in re.findall(r"(?<![\w.])%s\[([^\]]*)\]"
                                                        % re.escape(name), text)]
        if any(n != rank for n in shapes):
            return False                # dhp[b, i] beside hp[b, t, i]: a per-step temporary
        return len(assigned) == 1 and f"{base}.grad" not in text and \
            not re.search(r"(?:∂|\\partial|\bd)\s*\w*\s*/\s*(?:∂|\\partial|d)\s*%s\b"
                          % re.escape(base), text)

    def jacobian_line(self, toks):
        """`∂z2_j/∂z1_k = δ_jk σ'(z1_j)`, a Jacobian entry of the part's module (from z2 to
        z1): read as the gradient it gives, for j, k: z1.grad[k] += z2.grad[j] * (...), so
        it is judged entry by entry on random upstream gradients."""
        jac = self.names.jacobian
        toks = _split_d_names(toks)
        eq = next((k for k, x in enumerate(toks) if x.text == "="), None)
        slash = next((k for k, x in enumerate(toks[:eq]) if x.text == "/"), None) \
            if eq is not None else None
        if jac is None or slash is None or toks[0].text not in ("∂", "d") or \
                slash + 2 > eq or toks[slash + 1].text not in ("∂", "d"):
            return None
        if slash == 2:
            whole = self.whole_jacobian(toks, eq, jac)
            if whole is not None:
                return whole
        # ∂z2_j/∂z1_k, or with brackets: ∂z2[j]/∂z1[k]
        top, bottom = self.entry_of(toks[1:slash]), self.entry_of(toks[slash + 2:eq])
        if top is None or bottom is None or (top[0], bottom[0]) != jac:
            return None
        (n, ni), (t, ti) = top, bottom
        col = toks[0].col
        loops = list(dict.fromkeys(ni + ti))
        # the entry's own indices, fresh: its k is a dummy over z1's axis, not the
        # problem's k (renamed in the finished line, see _Rewriter.run)
        taken = set(self.names.indices) | set(self.names.tensors) | set(self.names.symbols)
        fresh = {}
        for v in loops:
            k = 1
            while f"{v}{k}" in taken or f"{v}{k}" in fresh.values():
                k += 1
            fresh[v] = f"{v}{k}"
        self.jacobian_rename = fresh
        head = [Tok("name", "for", col)]
        for k, v in enumerate(loops):
            head += ([_op(",", col)] if k else []) + [Tok("name", v, col, True)]
        head.append(_op(":", col))

        def ref(name, idx):
            out = [Tok("name", name, col, True), _op(".", col), Tok("name", "grad", col)]
            if idx:
                out.append(_op("[", col))
                for k, v in enumerate(idx):
                    out += ([_op(",", col)] if k else []) + [Tok("name", v, col)]
                out.append(_op("]", col))
            return out
        self.notes.append(f"read the Jacobian entry ∂{n}/∂{t} as the gradient it passes back: "
                          f"{t}.grad += {n}.grad times the entry, summed over {', '.join(ni)}")
        return head + ref(t, ti) + [_op("+=", col, True)] + ref(n, ni) + \
            [_op("*", col), _op("(", col)] + self.diagonal(toks[eq + 1:]) + [_op(")", col)]

    def whole_jacobian(self, toks, eq, jac):
        """`∂z2/∂z1 = diag(v)` or `= M`, the whole Jacobian of the part's module (rows: the
        entries of z2, columns: those of z1): read as the gradient it passes back,
        z1.grad = v ⊙ z2.grad or Mᵀ z2.grad, in matrix notation (its shapes checked)."""
        top, bottom = toks[1:2], toks[4:eq]
        if len(bottom) != 1 or (top[0].text, bottom[0].text) != jac or not all(
                len(self.names.tensors.get(x.text, ())) == 1 for x in (top[0], bottom[0])):
            return None
        n, t = jac
        col = toks[0].col
        rhs = toks[eq + 1:]
        gin = [Tok("name", t, col), _op(".", col), Tok("name", "grad", col)]
        gout = [Tok("name", n, col, True), _op(".", col), Tok("name", "grad", col)]
        text = "".join(x.text for x in rhs)
        if re.fullmatch(r"(I|Id|𝕀|𝟙|𝟏)(_\(?\w+\)?)?", text) and \
                text not in self.names.tensors and text not in self.names.symbols:
            self.notes.append(f"read the Jacobian ∂{n}/∂{t} = {text} as the identity: "
                              f"{t}.grad = {n}.grad")
            return gin + [_op("=", col, True)] + gout
        if len(rhs) > 3 and rhs[0].kind == "name" and rhs[0].text == "diag" and \
                rhs[1].text == "(" and self.closing(rhs, 1) == len(rhs) - 1:
            self.notes.append(f"read the Jacobian ∂{n}/∂{t} = diag(v) as the gradient it "
                              f"passes back: {t}.grad = v ⊙ {n}.grad")
            return gin + [_op("=", col, True), _op("(", col, True)] + rhs[2:-1] + \
                [_op(")", col), _op("*", col, True)] + gout
        if not any(x.kind == "name" and (len(self.names.tensors.get(x.text, ())) == 2
                                         or x.text == "diag") or x.kind == "T" for x in rhs):
            self.fail(f"∂{n}/∂{t} is a matrix (rows: the entries of {n}, columns: those of "
                      f"{t}): for an elementwise layer write diag(v), or give the entries "
                      f"∂{n}_j/∂{t}_k = ...", rhs[0].col if rhs else col)
        self.notes.append(f"read the Jacobian ∂{n}/∂{t} (rows: {n}, columns: {t}) as the "
                          f"gradient it passes back: {t}.grad = Jᵀ {n}.grad")
        return gin + [_op("=", col, True), _op("(", col, True)] + rhs + \
            [_op(")", col), Tok("T", "", col)] + gout

    def diagonal(self, rhs) -> list:
        """`v if j = k, 0 otherwise` (or `v if j == k else 0`): delta(j, k)*(v)."""
        cases = inline_cases(rhs)
        if cases is None:
            return rhs
        own = set(getattr(self, "jacobian_rename", None) or ())
        made = cases_tokens(cases, self.names.indices | own, rhs[0].col)
        if made is None:
            at = next(x for x in rhs if x.kind == "name" and x.text in IF)
            self.fail("a case's condition is read as an equality of two indices (j = k) or "
                      "a comparison (z > 0), joined by `and`: `v if j = k, 0 otherwise`",
                      at.col)
        self.notes.append("read the cases as each value times its condition (delta(j, k) "
                          "for j = k)")
        return made

    def entry_of(self, toks):
        """(tensor, [indices]) for z2_j, z2_{jk}, z2[j] in a Jacobian's numerator or
        denominator; None otherwise."""
        if not toks or toks[0].kind != "name":
            return None
        name = toks[0].text
        base, _, sub = name.partition("_")
        if name in self.names.tensors and len(toks) == 1:
            return None                     # no indices: not an entry
        if base in self.names.tensors and sub and len(toks) == 1:
            idx = self.index_letters(sub, base, toks[0].col)
            return None if idx is None else (base, [x.text for x in idx if x.text != ","])
        if name in self.names.tensors and len(toks) >= 3 and toks[1].text in ("[", "_"):
            inner = [x.text for x in toks[2:] if x.kind == "name"]
            if len(inner) == 1 and len(self.names.tensors[name]) > 1:
                got = self.index_letters(inner[0], name, toks[0].col)
                inner = [x.text for x in got if x.text != ","] if got else inner
            return name, inner
        return None

    def not_a_jacobian(self, top: Tok):
        """∂z2_j/∂z1_k names a Jacobian entry, not a gradient of the loss: refused, not
        misread."""
        base = top.text.partition("_")[0]
        if self.names.tensors.get(base):
            self.fail(f"∂{top.text}/∂... is an entry of a Jacobian (of {base}, which has "
                      f"indices), not the gradient of the loss: Jacobian entries are not "
                      f"read yet; give the gradient, for example z1.grad[k] = ...", top.col)

    def gradient_of(self, toks, k, said: str):
        """T, T[i, j], T_ij, T_{ij} at k -> (T.grad tokens, index after the tensor name)."""
        if k >= len(toks) or toks[k].kind != "name":
            return None
        t = toks[k]
        base, _, sub = t.text.partition("_")
        if t.text in self.names.tensors:
            name, tail = t.text, []
        elif base in self.names.tensors:
            name = base
            tail = [_op("_", t.col), Tok("name", sub, t.col)]
        else:
            return None
        self.notes.append(f"read `{said}` as {name}.grad" if "..." not in said
                          else f"read the derivative of the loss by {name} as {name}.grad")
        return [Tok("name", name, t.col, t.space), _op(".", t.col),
                Tok("name", "grad", t.col)] + tail, k + 1


def _split_d_names(toks) -> list:
    """`dz2/dz1` and `dz2[j]/dz1[k]` typed as d-names: d, z2, /, d, z1 (as ∂z2/∂z1)."""
    eq = next((k for k, x in enumerate(toks) if x.text == "="), len(toks))
    slash = next((k for k, x in enumerate(toks[:eq]) if x.text == "/"), None)
    if slash is None or slash + 1 >= eq or not all(
            x.kind == "name" and len(x.text) > 1 and x.text[0] == "d"
            for x in (toks[0], toks[slash + 1])):
        return toks
    if slash > 1 and toks[1].text != "[" or slash + 2 < eq and toks[slash + 2].text != "[":
        return toks
    a, b = toks[0], toks[slash + 1]
    return [Tok("name", "d", a.col, a.space), Tok("name", a.text[1:], a.col + 1)] + \
        toks[1:slash + 1] + [Tok("name", "d", b.col, b.space),
                             Tok("name", b.text[1:], b.col + 1)] + toks[slash + 2:]
