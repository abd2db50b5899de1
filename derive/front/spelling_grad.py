"""Gradients as students name them, for derive.front.spelling: `∂L/∂W[i, j]`,
`dL/dz_i`, `∇_W L` and `dW`, read as the course's `W.grad`."""
from __future__ import annotations

import re

from derive.front.spelling_tables import Tok, _op


class GradientPass:
    """The gradient-name pass of the rewriter (derive.front.spelling._Rewriter)."""

    def gradients(self, toks) -> list:
        """`∂L/∂W[i, j]`, `dL/dz_i`, `∇_W L` and `dW`, wherever they are: the gradient of
        the tensor they name (`dW` only while the answer writes no `.grad` of its own and
        no name dW is in scope)."""
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
        nxt = toks[k + 1:k + 4]
        # ∂L/∂T or dL/dT written with separate d's: ∂ L / ∂ T
        if t.text in ("∂", "d") and len(nxt) == 3 and nxt[0].kind == "name" and \
                nxt[1].text == "/" and nxt[2].text in ("∂", "d") and k + 4 < len(toks):
            self.not_a_jacobian(nxt[0])
            return self.gradient_of(toks, k + 4, f"{t.text}{nxt[0].text}/{t.text}...")
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

    def gradient_name(self, name: str, k: int, toks) -> bool:
        text = self.names.text
        if ".grad" not in text and "mathrm{grad}" not in text:
            return True
        uses = re.findall(r"(?<![\w.])%s(?![\w])" % re.escape(name), text)
        target = all(x.text not in ("=", "+=", "-=") for x in toks[:k]) and any(
            x.text in ("=", "+=", "-=") for x in toks[k:])
        return len(uses) == 1 and target

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
