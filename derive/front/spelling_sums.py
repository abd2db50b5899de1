"""Sums as students write them, for derive.front.spelling: `∑_j`, `\\sum_{j=1}^{J}`,
`Σ_t`, read as the course's capital index (W[i, J]*x[J]) or, when a capital cannot say
it (h[t-1] summed with z.grad[t]), as a loop over the whole right side."""
from __future__ import annotations

import re

from derive.front.spelling_tables import Tok, _op


class SumPass:
    """The sum pass of the rewriter (derive.front.spelling._Rewriter)."""

    def sums(self, toks, whole: bool = False) -> list:
        """∑_j W[i, j] x[b, j] -> W[i, J]*x[b, J]: the course writes a sum over j with the
        capital index; the sum runs over the term up to the next + or - outside
        brackets.  `whole`: toks are the whole term of a sum that is the whole right
        side (∑_b ∑_t ...), so a sum that starts them is the whole right side too."""
        out, k = [], 0
        while k < len(toks):
            t = toks[k]
            if t.text != "∑":
                out.append(t)
                k += 1
                continue
            self.sum_cols.append(t.col)
            if k + 1 >= len(toks) or toks[k + 1].text != "_":
                self.fail("write the index a sum runs over: ∑_j or \\sum_{j}", t.col)
            sub, j = self.group(toks, k + 2)
            if j < len(toks) and toks[j].text == "^":       # the upper end: the whole range
                j = self.closing(toks, j + 1) + 1 if j + 1 < len(toks) and \
                    toks[j + 1].text == "(" else j + 2
            over = [x.text for x in sub if x.kind == "name"][:1] if any(
                x.text == "=" for x in sub) else [x.text for x in sub if x.kind == "name"]
            end, depth = j, 0
            while end < len(toks):
                x = toks[end]
                if x.text in ("(", "["):
                    depth += 1
                elif x.text in (")", "]"):
                    if depth == 0:
                        break
                    depth -= 1
                elif depth == 0 and x.text in ("+", "-", "=", "+=", "-=", ","):
                    break
                end += 1
            rhs = self.whole_right_side(out, end == len(toks), whole)
            term = self.sums(toks[j:end], rhs is not None)
            if not term:
                self.fail("expected the term of the sum", t.col)
            capital = {v: self.summed_axis(v, term, t.col).upper() for v in over}
            clash = [v for v in over if _shifted(v, term)]
            if clash:
                # a capital cannot say h[T-1] is summed along with z.grad[T]: a sum over
                # the whole right side becomes a loop, `for t: U.grad[m, i] += ...`
                if rhs is None or any(x.kind == "name" and x.text in clash for x in rhs):
                    self.fail(f"a sum over {clash[0]} that reads a shifted index "
                              f"({clash[0]}-1) is read only as the whole right side; write "
                              f"the loop: for {clash[0]}: ... += ...", t.col)
                self.loop_sums += clash
                capital = {v: (v if v in clash else c) for v, c in capital.items()}
            inside, made, used, delta = 0, [], set(), []
            for n, x in enumerate(term):
                # index positions: inside brackets, and the arguments of Kronecker's delta
                if x.text == "[" or (x.text == "(" and n and term[n - 1].text == "delta"):
                    inside += 1
                    delta.append(x.text == "(")
                elif x.text == "(" and delta:
                    delta.append(None)
                elif x.text == "]" or (x.text == ")" and delta):
                    opened = delta.pop() if delta else None
                    if opened is not None:
                        inside -= 1
                if inside and x.kind == "name" and x.text in over:
                    used.add(x.text)
                    x = Tok("name", capital[x.text], x.col, x.space)
                made.append(x)
            made[0].space = False
            for v in over:
                if v not in used and v not in clash and \
                        not any(x.kind == "name" and x.text == v for x in term):
                    # ∑_{i=1}^{n} σ² v: a term without i, counted once per i
                    count = self.range_count(capital[v].lower(), t.col)
                    made = count + [_op("*", t.col), _op("(", t.col)] + made + \
                        [_op(")", t.col)]
                    self.notes.append(f"read the sum over {v} of a term without {v} as "
                                      f"the number of {v}'s times the term")
            if any(capital[v] != v for v in over):      # a loop's sums say so in as_loop
                self.notes.append("read the sum over " + ", ".join(
                    f"{v} as the capital index {capital[v]}" for v in over
                    if capital[v] != v))
            out += [_op("(", t.col, t.space)] + made + [_op(")", t.col)]
            k = end
        return out

    @staticmethod
    def whole_right_side(out, at_end: bool, whole: bool):
        """The factors before a sum that runs to the end of the line, when the sum is the
        whole right side up to them (`X = (1/B) ∑_t ...`: [(1/B)]), else None."""
        if not at_end:
            return None
        if whole and not out:
            return []
        eq = max((k for k, x in enumerate(out) if x.text in ("=", "+=")), default=None)
        if eq is None:
            return None
        prefix, depth = out[eq + 1:], 0
        for x in prefix:
            depth += (x.text in ("(", "[")) - (x.text in (")", "]"))
            if depth < 0 or (depth == 0 and x.text in ("+", "-") and x is not prefix[0]):
                return None
        return prefix if depth == 0 and (not prefix or prefix[-1].text not in ("+", "-")) \
            else None

    def as_loop(self, toks) -> list:
        """`X = ∑_t term` with t's capital a size: `for t: X += term`."""
        over = list(dict.fromkeys(self.loop_sums))
        eq = next(k for k, x in enumerate(toks) if x.text in ("=", "+="))
        toks = toks[:eq] + [_op("+=", toks[eq].col, toks[eq].space)] + toks[eq + 1:]
        col = toks[0].col
        start = next((k + 1 for k, x in enumerate(toks) if x.text == ":"), 0) \
            if toks and toks[0].text == "for" else 0
        free = [x.text for x in toks[start:eq] if x.kind == "name" and
                x.text in self.names.indices and x.text not in over]
        if not (toks and toks[0].text == "for"):
            over = list(dict.fromkeys(free)) + over      # the target's own loops, written
        names = []
        for v in over:
            names += [_op(",", col), Tok("name", v, col, True)]
        if toks and toks[0].text == "for":
            colon = next(k for k, x in enumerate(toks) if x.text == ":")
            toks = toks[:colon] + names + toks[colon:]
        else:
            toks = [Tok("name", "for", col), Tok("name", over[0], col, True)] + names[2:] + \
                [_op(":", col)] + [Tok(toks[0].kind, toks[0].text, toks[0].col, True)] + toks[1:]
        self.notes.append(f"read the sum over {', '.join(self.loop_sums)} as a loop")
        return toks

    def range_count(self, index: str, col: int) -> list:
        """The tokens of the number of values of a problem's index: n for 0..n - 1 or
        1..n, else (hi) - (lo) + 1."""
        lo, hi = self.names.ranges[index]
        top = re.fullmatch(r"(\w+) - 1", hi)
        text = top.group(1) if lo == "0" and top else hi if lo == "1" and \
            re.fullmatch(r"\w+", hi) else f"(({hi}) - ({lo}) + 1)"
        return [Tok("num" if x.isdigit() else "name" if x[0].isalnum() or x[0] == "_"
                    else "op", x, col) for x in re.findall(r"\d+|\w+|\S", text)]

    def summed_axis(self, v: str, term, col: int) -> str:
        """The problem's index a sum's index runs over: itself when declared, else the
        axis of the tensors it indexes (k in p[b, k] runs over p's axis j)."""
        if v in self.names.indices:
            return v
        axes = set()
        for k, x in enumerate(term):
            if x.kind == "name" and x.text in self.names.tensors or x.text == "grad":
                name = term[k - 2].text if x.text == "grad" and k > 1 else x.text
                own = self.names.tensors.get(name, ())
                if k + 1 < len(term) and term[k + 1].text == "[":
                    end = self.closing(term, k + 1)
                    inner = [y for y in term[k + 2:end]]
                    pos = 0
                    for y in inner:
                        if y.text == ",":
                            pos += 1
                        elif y.text == v and pos < len(own):
                            axes.add(own[pos])
        if len(axes) != 1:
            self.fail(f"the sum's index {v} is not an index of the problem "
                      f"({', '.join(sorted(self.names.indices))}), and the tensors it "
                      f"indexes do not say which axis it runs over", col)
        return axes.pop()


def _shifted(v: str, term) -> bool:
    """Does the term index something by v shifted (h[t-1])?"""
    for k, x in enumerate(term):
        if x.kind == "name" and x.text == v and k + 1 < len(term) and \
                term[k + 1].text in ("+", "-"):
            return True
        if x.kind == "name" and x.text == v and k and term[k - 1].text in ("+", "-") and \
                k > 1 and term[k - 2].kind in ("name", "num") and term[k - 2].text != "[":
            return True
    return False
