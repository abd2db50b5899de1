"""Subscripts as students write them, for derive.front.spelling: `x_{b,j}`, `W_ij`,
`h_{t-1}`, `z1_j` and `z.grad_t` read as a tensor's indices; `δ_jk` as Kronecker's delta;
and a capital in a subscript (δ_T) as the step it names."""
from __future__ import annotations

from derive.front.spelling_tables import Tok, _op


class SubscriptPass:
    """The subscript pass of the rewriter (derive.front.spelling._Rewriter)."""

    def steps_in(self, idx):
        """A subscript's capital that ends an index's range (δ_T, h_{T-1}, for t in 1..T)
        names that step, as a per-step vector does: not a sum over t."""
        ends = {rng[1] for rng in self.names.ranges.values() if rng}
        for x in idx:
            if x.kind == "name" and x.text[:1].isupper() and x.text in ends:
                self.step_names.add(x.text)
                self.notes.append(f"read `{x.text}` in a subscript as the step "
                                  f"{x.text.lower()} = {x.text}, not a sum")

    def layer_sigma(self, toks, k):
        """σ_ℓ², σ_{ℓ+1}², sigma_{l+1}^2, σ²_{ℓ+1}: a recurrence's layer variance,
        sigma2(...), in a part whose recurrence names it; (tokens, next index) or None."""
        t = toks[k]
        if "sigma2" not in self.names.functions or t.kind != "name":
            return None

        def squared(j):
            if j + 1 < len(toks) and toks[j].text in ("^", "**") and toks[j + 1].text == "2":
                return j + 2
            if j + 3 < len(toks) and toks[j].text in ("^", "**") and toks[j + 1].text in \
                    ("(", "{") and toks[j + 2].text == "2" and toks[j + 3].text in (")", "}"):
                return j + 4
            return None
        sub, j = None, None
        if t.text.startswith("sigma_") and not self.names.known(t.text):
            sub, j = [Tok("name", t.text[6:], t.col)], squared(k + 1)      # sigma_l^2
        elif t.text == "sigma" and k + 1 < len(toks) and toks[k + 1].text == "_":
            sub, after = self.group(toks, k + 2)                           # sigma_{l+1}^2
            j = squared(after)
        elif t.text == "sigma" and squared(k + 1) is not None:
            after = squared(k + 1)                                         # σ²_{ℓ+1}
            if after < len(toks) and toks[after].text == "_":
                sub, j = self.group(toks, after + 1)
            elif after < len(toks) and toks[after].kind == "name" and \
                    toks[after].text.startswith("_"):
                sub, j = [Tok("name", toks[after].text[1:], t.col)], after + 1
        if sub is None or j is None or not sub:
            return None
        if len(sub) == 1 and sub[0].text in ("W", "w") or any(
                x.kind == "name" and x.text in self.names.tensors for x in sub):
            return None                      # sigma_W^2: a symbol squared, not a layer
        return [Tok("name", "sigma2", t.col, t.space), _op("(", t.col)] + list(sub) + \
            [_op(")", t.col)], j

    def subscripts(self, toks) -> list:
        """x_{b,j}, W_ij, h_{t-1}, z1_j: a tensor's subscripts as its indices."""
        out, k = [], 0
        while k < len(toks):
            t = toks[k]
            layer = self.layer_sigma(toks, k)
            if layer is not None:
                out += layer[0]
                k = layer[1]
                continue
            # a name token that still holds an underscore: x_j, W_ij, sigma_W
            if t.kind == "name" and "." in t.text:     # an alias's target: z.grad, z.grad_t
                target, sep, sub = t.text.partition("_")
                base, _, grad = target.partition(".")
                made = [Tok("name", base, t.col, t.space), _op(".", t.col),
                        Tok("name", grad, t.col)]
                if sep and sub:
                    idx = self.index_letters(sub, base, t.col) or [Tok("name", sub, t.col)]
                    self.steps_in(idx)
                    made += [_op("[", t.col)] + idx + [_op("]", t.col)]
                toks = toks[:k] + made + toks[k + 1:]
                t = toks[k]
            if t.kind == "name" and t.text.startswith("delta_") and \
                    not self.names.known(t.text) and not self.names.known("delta"):
                sub = t.text[6:]                   # δ_jk, \delta_{j,k}: Kronecker's delta
                pair = sub.split(",") if "," in sub else list(sub) if len(sub) == 2 else []
                if len(pair) == 2 and all(p.isidentifier() for p in pair):
                    out += [Tok("name", "delta", t.col, t.space), _op("(", t.col),
                            Tok("name", pair[0], t.col), _op(",", t.col),
                            Tok("name", pair[1], t.col), _op(")", t.col)]
                    k += 1
                    continue
            if t.kind == "name" and "_" in t.text and not self.names.known(t.text) and \
                    self.names.known(t.text.replace("_", "")):       # z_1 for z1
                self.notes.append(f"read `{t.text}` as {t.text.replace('_', '')}")
                t = Tok("name", t.text.replace("_", ""), t.col, t.space)
            if t.kind == "name" and "_" in t.text and not self.names.known(t.text):
                base, _, sub = t.text.partition("_")
                if base in self.names.tensors and sub:
                    idx = self.index_letters(sub, base, t.col)
                    if idx is not None:
                        self.steps_in(idx)
                        out += [Tok("name", base, t.col, t.space), _op("[", t.col)] + idx + \
                            [_op("]", t.col)]
                        k += 1
                        continue
            if t.kind == "name" and t.text.startswith("grad_") and out and \
                    out[-1].text == ".":                 # x.grad_i
                toks = toks[:k] + [Tok("name", "grad", t.col, t.space), _op("_", t.col),
                                   Tok("name", t.text[5:], t.col)] + toks[k + 1:]
                t = toks[k]
            grad_of = out[-2].text if t.text == "grad" and len(out) > 1 and \
                out[-1].text == "." else None            # s.grad_{b,j}
            tensor = grad_of or t.text
            if t.kind == "name" and k + 1 < len(toks) and toks[k + 1].text == "_" and \
                    tensor in self.names.tensors:
                sub, j = self.group(toks, k + 2)
                idx = self.index_group(sub, tensor)
                self.steps_in(idx)
                out += [t, _op("[", t.col)] + idx + [_op("]", t.col)]
                k = j
                continue
            if t.text == "_" and not (out and out[-1].text == "∑"):
                what = f"{out[-1].text} is not a tensor of this problem: " \
                    if out and out[-1].kind == "name" else ""
                self.fail(f"{what}a subscript is read only after a tensor name (x_{{b,j}}) or "
                          f"as part of a symbol's name (sigma_W)", t.col)
            out.append(t)
            k += 1
        return out

    def index_letters(self, sub: str, tensor: str, col: int) -> list | None:
        """`ij` -> i, j for a tensor with two axes; `t` -> t; `bj` -> b, j."""
        axes = len(self.names.tensors.get(tensor, ()))
        if "," in sub:
            parts = sub.split(",")
        elif axes > 1 and len(sub) == axes and sub.isalpha():
            parts = list(sub)                 # W_ij, p_bk: one letter per axis
        else:
            parts = [sub]
        if not all(p.isidentifier() or p.isdigit() for p in parts) or \
                len(parts) > axes and axes:
            return None                    # fewer is fine: h_t is row t of h[t, m]
        out = []
        for p in parts:
            if out:
                out.append(_op(",", col))
            out.append(Tok("num" if p.isdigit() else "name", p, col))
        return out

    def index_group(self, sub, tensor) -> list:
        letters = [x for x in sub if x.text != ","]
        if len(letters) == 1 and letters[0].kind == "name":
            got = self.index_letters(letters[0].text, tensor, letters[0].col)
            if got is not None:
                return got
        return sub
