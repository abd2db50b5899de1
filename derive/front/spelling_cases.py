"""A value given by cases, for derive.front.spelling: `x_i if z > 0, 0 otherwise`,
`v if j = k else 0`, and LaTeX's `\\begin{cases} ... \\end{cases}`, read as a sum of
each case's value times its condition (an index equality is Kronecker's delta, any other
comparison its 0/1 indicator), the `otherwise` case taking what the others leave."""
from __future__ import annotations

from derive.front.spelling_tables import Tok, _op

AND = ("and", "∧", "land", "wedge", "&&")
OTHERWISE = ("otherwise", "else", "elsewhere")
IF = ("if", "when", "whenever")          # `r if |r| <= δ`, `r when |r| <= δ`


def conjuncts(cond) -> list:
    """A condition's parts split at `and`, ∧ and commas outside brackets."""
    out, part, depth = [], [], 0
    for x in cond:
        depth += (x.text in ("(", "[", "{")) - (x.text in (")", "]", "}"))
        if depth == 0 and (x.text in AND or x.text == ","):
            if part:
                out.append(part)
            part = []
        else:
            part.append(x)
    if part:
        out.append(part)
    return out


def condition_tokens(cond, indices, col) -> list:
    """The 0/1 value of a condition: delta(j, k) for an equality of two indices, the
    comparison itself (read as its indicator) for anything else, multiplied."""
    out = []
    for part in conjuncts(cond):
        if out:
            out.append(_op("*", col))
        if len(part) == 3 and part[1].text in ("=", "==") and all(
                x.kind == "name" and x.text in indices for x in (part[0], part[2])):
            out += [Tok("name", "delta", col), _op("(", col), Tok("name", part[0].text, col),
                    _op(",", col), Tok("name", part[2].text, col), _op(")", col)]
        elif any(x.text in ("<", ">", "<=", ">=", "!=") for x in part):
            out += [_op("(", col)] + part + [_op(")", col)]
        else:
            return None
    return out or None


def cases_tokens(cases, indices, col):
    """[(value tokens, condition tokens or None for otherwise)] as one expression:
    Σ value·[condition], plus the otherwise value times 1 − Σ [condition] (the cases
    are taken to exclude each other, as cases do).  None when a condition is not read."""
    conds, out, rest = [], [], None
    for value, cond in cases:
        if cond is None:
            rest = value
            continue
        c = condition_tokens(cond, indices, col)
        if c is None:
            return None
        conds.append(c)
        if [x.text for x in value] != ["0"]:
            out += ([_op("+", col)] if out else []) + [_op("(", col)] + value + \
                [_op(")", col), _op("*", col), _op("(", col)] + c + [_op(")", col)]
    if rest is not None and [x.text for x in rest] != ["0"]:
        left = [_op("(", col), Tok("num", "1", col)]
        for c in conds:
            left += [_op("-", col), _op("(", col)] + c + [_op(")", col)]
        out += ([_op("+", col)] if out else []) + [_op("(", col)] + rest + \
            [_op(")", col), _op("*", col)] + left + [_op(")", col)]
    return [_op("(", col)] + (out or [Tok("num", "0", col)]) + [_op(")", col)]


def inline_cases(rhs):
    """`v if C, w otherwise`, `v if C else w`, `v if C` and `v if C, 0 otherwise`:
    [(value, condition or None)], or None when the right side has no `if`."""
    at = [m for m, x in enumerate(rhs) if x.kind == "name" and x.text in IF and
          _depth(rhs, m) == 0]
    if not at:
        return None
    cases, start = [], 0
    for n, k in enumerate(at):
        value = rhs[start:k]
        end = at[n + 1] if n + 1 < len(at) else len(rhs)
        # the condition runs to `else`, `otherwise`, or the last comma before the next case
        cut = next((m for m in range(k + 1, end) if rhs[m].text in OTHERWISE and
                    _depth(rhs, m) == 0), None)
        commas = [m for m in range(k + 1, end if cut is None else cut)
                  if rhs[m].text == "," and _depth(rhs, m) == 0]
        stop = commas[-1] if commas and (n + 1 < len(at) or cut is not None or
                                         _value_after(rhs, commas[-1], end)) else \
            (cut if cut is not None else end)
        cases.append((_strip(value), rhs[k + 1:stop]))
        start = stop + 1 if stop < len(rhs) and rhs[stop].text == "," else stop
        if cut is not None and n + 1 == len(at):
            tail = [x for x in rhs[start:] if x.text not in OTHERWISE and x.text != ","]
            cases.append((_strip(tail), None))
            start = len(rhs)
    if start < len(rhs):
        tail = [x for x in rhs[start:] if x.text not in OTHERWISE and x.text != ","]
        if tail:
            cases.append((_strip(tail), None))
    if any(not v for v, _ in cases) or any(c is not None and not c for _, c in cases):
        return None
    return cases


def _value_after(rhs, comma, end) -> bool:
    """After the last comma of a last case, a value (`, 0 otherwise`), not more condition."""
    rest = [x for x in rhs[comma + 1:end] if x.text not in OTHERWISE]
    return bool(rest) and not any(x.text in ("<", ">", "<=", ">=", "=", "==", "!=")
                                  for x in rest)


def _strip(toks) -> list:
    toks = [x for x in toks if x.text not in OTHERWISE]
    while toks and toks[-1].text == ",":
        toks = toks[:-1]
    return toks


def _depth(toks, j) -> int:
    depth = 0
    for x in toks[:j]:
        depth += (x.text in ("(", "[", "{")) - (x.text in (")", "]", "}"))
    return depth


class CasesPass:
    """The cases pass of the rewriter (derive.front.spelling._Rewriter)."""

    def conditionals(self, toks) -> list:
        """`w.grad[i] = x_i if z > 0, 0 otherwise`: the right side given by cases."""
        eq = next((m for m, x in enumerate(toks) if x.text in ("=", "+=", "-=") and
                   _depth(toks, m) == 0), -1)
        rhs = self.bracketed_cases(toks[eq + 1:])
        toks = toks[:eq + 1] + rhs
        cases = inline_cases(rhs)
        if cases is None:
            return toks
        made = cases_tokens(cases, self.names.indices, rhs[0].col)
        if made is None:
            at = next(x for x in rhs if x.kind == "name" and x.text in IF)
            self.fail("a case's condition is read as an equality of two indices (j = k) or "
                      "a comparison (z > 0), joined by `and`: `v if z > 0, 0 otherwise`",
                      at.col)
        self.notes.append("read the cases as each value times its condition (0 or 1), "
                          "summed")
        return toks[:eq + 1] + made

    def bracketed_cases(self, toks) -> list:
        """`h.grad[j] * (1 if z[j] > 0 else α)`: cases inside parentheses, each group read
        as its own value by cases."""
        for k, x in enumerate(toks):
            if x.text != "(":
                continue
            depth, end = 0, None
            for m in range(k, len(toks)):
                depth += (toks[m].text in ("(", "[", "{")) - (toks[m].text in (")", "]", "}"))
                if depth == 0:
                    end = m
                    break
            if end is None:
                return toks
            inner = toks[k + 1:end]
            cases = inline_cases(inner)
            if cases is not None:
                made = cases_tokens(cases, self.names.indices, x.col)
                if made is None:
                    return toks
                self.notes.append("read the cases as each value times its condition (0 or "
                                  "1), summed")
                return toks[:k] + made + self.bracketed_cases(toks[end + 1:])
        return toks

    def tuples(self, toks) -> list:
        """`z = (1, −3)`, `((6, 12), (0, 0))`: values written as tuples, read as lists
        (a parenthesized group with a comma that is no call's arguments)."""
        out = list(toks)
        for k, x in enumerate(out):
            if x.text != "(" or (k and (out[k - 1].kind == "name" or
                                        out[k - 1].text in (")", "]", "_", "^"))):
                continue
            depth, comma, end = 0, False, None
            for m in range(k, len(out)):
                depth += (out[m].text in ("(", "[")) - (out[m].text in (")", "]"))
                if depth == 1 and out[m].text == ",":
                    comma = True
                if depth == 0:
                    end = m
                    break
            if end is not None and comma:
                out[k] = Tok("op", "[", x.col, x.space)
                out[end] = Tok("op", "]", out[end].col, out[end].space)
                if "read the values in parentheses as a list" not in self.notes:
                    self.notes.append("read the values in parentheses as a list")
        return _untransposed_lists(out)


def _untransposed_lists(toks) -> list:
    """`(1, −3)ᵀ`, `[1, -3]^T`: a list of values written as a column is the same list."""
    out, opened = [], []
    for k, x in enumerate(toks):
        if x.text == "[":
            prev = out[-1] if out else None
            opened.append(prev is None or not (prev.kind == "name" or
                                               prev.text in (")", "]")))
        elif x.text == "]" and opened:
            literal = opened.pop()
            out.append(x)
            nxt = toks[k + 1:k + 3]
            if literal and not opened and nxt and (nxt[0].kind == "T" or (
                    nxt[0].text in ("^", "**") and len(nxt) > 1 and nxt[1].text == "T")):
                toks = toks[:k + 1] + toks[k + (2 if nxt[0].kind == "T" else 3):]
                out.extend(_untransposed_lists(toks[k + 1:]))
                return out
            continue
        out.append(x)
    return out