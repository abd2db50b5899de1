"""Primes and sums in words, for derive.front.spelling: `x'` for a tensor the spec
displays with a prime, `b'` as a sum's fresh dummy index, and `sum over b of ...` (as
derive prints a sum) as the sum sign."""
from __future__ import annotations

from derive.front.spelling_tables import Tok, _op


class PrimePass:
    """The prime pass of the rewriter (derive.front.spelling._Rewriter)."""

    def display_primes(self, toks) -> list:
        """x' for xp, where the spec displays a tensor with a prime (latex: "x'"); b', a
        primed index (a sum's dummy, `sum over b' of xp.grad[b', j]`), as a fresh name;
        and `sum over b of ...` as the sum sign ∑_b."""
        toks = self.sum_over(toks)
        out, k = [], 0
        while k < len(toks):
            t = toks[k]
            primed = t.kind == "name" and k + 1 < len(toks) and toks[k + 1].text == "'"
            if primed and t.text in self.names.indices and \
                    not self.names.spellings.get(t.text + "'"):
                out.append(Tok("name", self.primed_index(t.text), t.col, t.space))
                k += 2
                continue
            for d in ("", "d"):                     # x', and dx' (a gradient's short name)
                spelled = self.names.spellings.get(t.text[len(d):] + "'") if primed and \
                    t.text.startswith(d) else None
                if spelled in self.names.tensors:
                    self.notes.append(f"read `{t.text}'` as {d}{spelled}")
                    out.append(Tok("name", d + spelled, t.col, t.space))
                    k += 2
                    break
            else:
                out.append(t)
                k += 1
        return out

    def primed_index(self, name: str) -> str:
        """The fresh name of index `name` primed (b' -> b1, or the first free bN)."""
        made = getattr(self, "_primed", None)
        if made is None:
            made = self._primed = {}
        if name not in made:
            taken = set(self.names.indices) | set(self.names.tensors) | \
                set(self.names.symbols) | set(made.values())
            k = 1
            while f"{name}{k}" in taken or f"{name}{k}" in self.text:
                k += 1
            made[name] = f"{name}{k}"
        return made[name]

    def sum_over(self, toks) -> list:
        """`(sum over b of xp.grad[b, j])`, `sum over b, j of ...` (as derive prints a sum
        in words): the sum sign ∑ with its indices, the term running to the group's end."""
        out, k = [], 0
        while k < len(toks):
            t = toks[k]
            if t.kind == "name" and t.text == "sum" and k + 2 < len(toks) and \
                    toks[k + 1].text == "over" and not self.names.known("over"):
                of = next((m for m in range(k + 2, len(toks)) if toks[m].text == "of"), None)
                if of is not None and of > k + 2:
                    over = toks[k + 2:of]
                    out += [Tok("uni", "∑", t.col, t.space), _op("_", t.col),
                            _op("{", t.col)] + over + [_op("}", t.col)]
                    k = of + 1
                    continue
            out.append(t)
            k += 1
        return out
