"""What students type, read into the course notation: Unicode, keyboard and library
spellings, a LaTeX subset, implicit multiplication, subscripts as indices and
Leibniz prefixes (`∂L/∂W_ij = ...`).

`respell(text, names)` rewrites an answer token by token into the course notation
that the notation parser (derive.front.notation) reads, and keeps, for every
character it writes, the column of the character it came from, so that a refusal
points at what the student typed.  Nothing is evaluated: every token is matched
against a whitelist, and anything else is refused with its position and the accepted
spelling.  Each reading that could have gone another way is said in a note
("read `2x` as 2*x").
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

import sympy as sp

from derive.core.errors import NotationError, ShapeError, SpecError
from derive.core.functions import DERIVATIVES, VOCABULARY
from derive.core.program import format_expr
from derive.front.spelling_grad import GradientPass
from derive.front.spelling_latex import LatexPass
from derive.front.spelling_matrix import vectorize
from derive.front.spelling_cases import CasesPass, _depth
from derive.front.spelling_primes import PrimePass
from derive.front.spelling_subscripts import SubscriptPass
from derive.front.spelling_sums import SumPass
from derive.front.spelling_tables import (ACCENTS, LETTERLIKE, FRACTIONS, FUNCTION_ALIASES, GREEK, LIBRARIES, OPERATORS,
                                          SUBSCRIPT_DIGITS, SUPERSCRIPTS, Names, Tok,
                                          _LEX, _op)

# words after which a bar opens `|x|` (`r if |r| <= δ else ...`, `for |x| < 1`)
_BAR_OPENERS = frozenset({"if", "else", "otherwise", "when", "for", "and", "or", "where"})


@dataclass
class Reading:
    text: str                 # the answer in the course notation
    notes: list               # how ambiguous spellings were read
    columns: list             # per line: output column -> column typed (1-based)
    original: str
    sums: list = field(default_factory=list)    # (line, column) of each sum sign typed
    steps: dict = field(default_factory=dict)   # line -> capitals written as a step (δ_T)
    arrows: bool = False      # an update written W ← ... (:=, \gets): one simultaneous step

    def error(self, e: NotationError) -> NotationError:
        """A parser error on the respelled text, pointing at what was typed."""
        if self.text == self.original:
            return e
        lines = self.columns
        col = e.column
        if 1 <= e.line <= len(lines) and lines[e.line - 1]:
            cols = lines[e.line - 1]
            col = cols[min(max(e.column - 1, 0), len(cols) - 1)]
        read = self.text.split("\n")[e.line - 1] if 1 <= e.line <= len(lines) else ""
        message = e.message + (f" (read as `{read.strip()}`)" if read.strip() else "")
        return NotationError(message, e.source, e.line, col, self.original, e.key)


# the notation's functions, and the wrappers of moments and orders an answer may write
FUNCTIONS = set(VOCABULARY) | {"E", "Var", "Std", "Cov", "O", "Theta", "Omega"}


def respell(text: str, names: Names) -> Reading:
    notes: list = []
    out_lines, columns, shape_errors, sums, steps = [], [], [], [], {}
    # a name written more than once (dh = ..., then ... dh ...) is the student's own
    # temporary, not a `dh =` prefix for h.grad
    names.text = text
    for k, line in enumerate(text.split("\n"), 1):
        code, _, comment = line.partition("#")
        lead = code[:len(code) - len(code.lstrip())]     # the indentation is kept as typed
        toks = _lex(code, k, text)
        try:
            rewriter = _Rewriter(toks, names, notes, k, text)
            toks = rewriter.run()
            sums += [(k, col) for col in rewriter.sum_cols]
            if rewriter.step_names:
                steps[k] = set(rewriter.step_names)
        except ShapeError as e:        # that line is wrong; the others are still read
            shape_errors.append(e)
            out_lines.append("")
            columns.append([])
            continue
        out, cols = _emit(toks)
        if toks:
            toks[0].space = False
            out, cols = _emit(toks)
            out, cols = lead + out, list(range(1, len(lead) + 1)) + cols
        _last_step_note(out, names, notes)
        if comment:
            out += " #" + comment
            cols += [len(code) + 1] * (len(comment) + 2)
        out_lines.append(out)
        columns.append(cols)
    reading = Reading("\n".join(out_lines), list(dict.fromkeys(notes)), columns, text, sums,
                      steps)
    reading.shape_errors = shape_errors
    reading.arrows = bool(re.search(r"←|⟵|:=|\\gets\b|\\leftarrow\b", text))
    return reading


_TARGET = re.compile(r"\s*([A-Za-z_][\w.]*)\[([^\]]*)\]\s*=")


def _last_step_note(line: str, names: Names, notes: list):
    """Say how a target's capital that ends its index's range (`z.grad[T,m]`, from
    `delta_T`) was read: the last step, as the resolver reads it, not a sum."""
    m = _TARGET.match(line)
    if not m:
        return
    for slot in (x.strip() for x in m.group(2).split(",")):
        rng = names.ranges.get(slot.lower()) if slot[:1].isupper() else None
        if rng and rng[1] == slot:
            low = slot.lower()
            notes.append(f"read `{slot}` in the target {m.group(1)}[{m.group(2)}] as the last "
                         f"step {low} = {slot}, not a sum over {low}; an `=` for "
                         f"{m.group(1)} over {low}, before or after it, gives the other steps")


def _lex(line: str, lineno: int, text: str) -> list:
    toks, pos, space = [], 0, False
    while pos < len(line):
        m = _LEX.match(line, pos)
        if not m:
            ch = line[pos]
            raise NotationError(f"unexpected character {ch!r}", "answer", lineno, pos + 1, text)
        kind = m.lastgroup
        if kind == "ws":
            space = True
        else:
            toks.append(Tok(kind, m.group(), pos + 1, space))
            space = False
        pos = m.end()
    return toks


def _emit(toks) -> tuple[str, list]:
    out, cols = [], []
    for k, t in enumerate(toks):
        if k and (t.space or _needs_space(toks[k - 1], t)):
            out.append(" ")
            cols.append(t.col)
        out.append(t.text)
        cols += [t.col] * len(t.text)
    return "".join(out), cols


def _needs_space(a: Tok, b: Tok) -> bool:
    return a.kind in ("name", "num") and b.kind in ("name", "num")


class _Rewriter(LatexPass, GradientPass, SumPass, SubscriptPass, CasesPass, PrimePass):
    """One line's tokens, rewritten into the course notation's tokens."""

    def __init__(self, toks, names: Names, notes: list, lineno: int, text: str):
        self.toks = toks
        self.names = names
        self.notes = notes
        self.lineno = lineno
        self.text = text
        self.sum_cols: list = []     # the columns of the sum signs read (∑_j, \sum, sum_b)
        self.step_names: set = set()  # capitals in a subscript that name a step (δ_T)

    def fail(self, message: str, col: int):
        raise NotationError(message, "answer", self.lineno, col, self.text)

    def run(self) -> list:
        toks = self.simple(self.display_primes(self.toks))
        toks = self.latex(toks)
        toks = self.gradients(toks)
        toks = self.bars(toks)
        toks = self.roots(toks)
        toks = self.primes(toks)
        toks = self.subscripts(toks)
        toks = self.indicators(toks)
        toks = self.tuples(self.conditionals(toks))
        self.loop_sums = []
        toks = self.sums(toks)
        if self.loop_sums:
            toks = self.as_loop(toks)
        toks = self.calls(toks)
        toks = self.implicit(self.caret_transposes(toks))
        rename = getattr(self, "jacobian_rename", None)
        if rename:              # a Jacobian entry's indices: dummies of their own
            toks = [Tok(t.kind, rename[t.text], t.col, t.space)
                    if t.kind == "name" and t.text in rename else t for t in toks]
        return vectorize(toks, self.names, self.fail, self.notes)

    def caret_transposes(self, toks) -> list:
        """`W2^T`, `x^T`: a transpose when T is no name of the problem, or when what it
        follows is a vector or matrix written without indices (h^T with a size T)."""
        out, k = [], 0
        while k < len(toks):
            t = toks[k]
            if t.text in ("^", "**") and k + 1 < len(toks) and toks[k + 1].text == "T" and \
                    (k + 2 >= len(toks) or toks[k + 2].text not in ("(", "[")
                     or toks[k + 2].space):
                prev = toks[k - 1] if k else None
                vector = prev is not None and (
                    prev.kind == "name" and 0 < len(self.names.tensors.get(prev.text, ())) < 3
                    or prev.text == "grad")
                if not self.names.known("T") or vector:
                    out.append(Tok("T", "", toks[k + 1].col))
                    k += 2
                    continue
            out.append(t)
            k += 1
        return out

    # ---- token by token ---------------------------------------------------

    def simple(self, toks) -> list:
        out = []
        k = 0
        while k < len(toks):
            t = toks[k]
            if t.text == ":" and k + 1 < len(toks) and toks[k + 1].text == "=" and \
                    not toks[k + 1].space:                     # W := W − η g, an update
                out.append(_op("=", t.col, t.space))
                k += 2
                continue
            if t.kind == "uni" and t.text in OPERATORS:
                # a dot or a cross is a (matrix) product; ⊙, ∘ and * are elementwise
                out.append(Tok("mm" if t.text in "·×⋅" else "op", OPERATORS[t.text], t.col,
                               t.space))
            elif t.kind == "uni" and t.text in LETTERLIKE:
                out.append(Tok("name", LETTERLIKE[t.text], t.col, t.space))
            elif t.kind == "uni" and t.text in FRACTIONS:
                a, b = FRACTIONS[t.text][1:-1].split("/")
                out += [_op("(", t.col, t.space), Tok("num", a, t.col), _op("/", t.col),
                        Tok("num", b, t.col), _op(")", t.col)]
            elif t.kind == "sup":
                sup = t.text.translate(SUPERSCRIPTS)
                if sup == "T":
                    out.append(Tok("T", "", t.col))       # read by the matrix pass
                    k += 1
                    continue
                out.append(_op("^", t.col))
                out += [Tok("num", sup, t.col)] if sup.isdigit() else \
                    [_op("(", t.col), Tok("num", sup, t.col), _op(")", t.col)]
            elif t.kind == "name" and (t.text.startswith("Σ_") or (
                    t.text.startswith("sum_") and t.text[4:] in self.names.indices
                    and not self.names.known(t.text))):          # Σ_t, sum_b: a sum
                cut = t.text.index("_")
                out += [Tok("uni", "∑", t.col, t.space), _op("_", t.col + cut),
                        Tok("name", t.text[cut + 1:], t.col + cut + 1)]
            elif t.kind == "num" and not t.text.isascii():         # 𝟏, ２: the digits
                out.append(Tok("num", unicodedata.normalize("NFKC", t.text), t.col, t.space))
            elif t.kind == "name":
                out += [Tok("name", self.name(x), x.col, x.space) for x in self.split(t)]
            elif t.kind == "op" and t.text == "@":
                out.append(Tok("mm", "*", t.col, t.space))
            elif t.text == "." and k + 1 < len(toks) and toks[k + 1].text == "T" and \
                    out and (out[-1].kind == "name" or out[-1].text in (")", "grad")):
                out.append(Tok("T", "", t.col))           # z.T, x.grad.T: a transpose
                k += 2
                continue
            else:
                out.append(t)
            # np.exp, torch.tanh: the library prefix is dropped
            if t.kind == "name" and t.text in LIBRARIES and k + 2 < len(toks) and \
                    toks[k + 1].text == "." and toks[k + 2].kind == "name" and \
                    not self.names.known(t.text):
                out.pop()
                self.notes.append(f"read `{t.text}.{toks[k + 2].text}` as "
                                  f"{self.name(toks[k + 2])}")
                k += 1
            k += 1
        return out

    def split(self, t: Tok) -> list:
        """`Jσ_W` typed without a space: J and σ_W, when the whole is no name but its parts
        are (a Greek letter starts a new name)."""
        raw = t.text
        cut = next((i for i, ch in enumerate(raw) if i and ch in GREEK), None)
        if cut is None and 1 < len(raw) <= 4 and raw.isupper() and raw.isalpha() and \
                not self.names.known(raw) and all(ch in self.names.symbols and not
                                                  self.names.tensors.get(ch) for ch in raw):
            # JD² for J·D²: sizes typed side by side, each a name of the problem
            return [Tok("name", ch, t.col + i, t.space if not i else False)
                    for i, ch in enumerate(raw)]
        if cut is None or self.names.known(self.name(t)):
            return [t]
        head, tail = Tok("name", raw[:cut], t.col, t.space), Tok("name", raw[cut:], t.col + cut)
        rest_known = self.names.known(self.name(tail)) or self.split(tail) != [tail]
        if self.names.known(self.name(head)) and rest_known:
            return [head] + self.split(tail)
        # DJσ_W: sizes typed side by side before the Greek letter, each a name
        if rest_known and head.text.isupper() and len(head.text) <= 4 and all(
                ch in self.names.symbols and not self.names.tensors.get(ch)
                for ch in head.text):
            return [Tok("name", ch, t.col + i, t.space if not i else False)
                    for i, ch in enumerate(head.text)] + self.split(tail)
        return [t]

    def name(self, t: Tok) -> str:
        """Greek letters and subscript digits in a name, spelled as the spec spells it."""
        raw = unicodedata.normalize("NFD", t.text.translate(SUBSCRIPT_DIGITS))
        if raw in self.names.spellings:
            return self.names.spellings[raw]
        spelled = "".join(GREEK.get(ch, ch) for ch in raw)
        head, sep, tail = spelled.partition("_")
        if head in self.names.aliases:            # the spec's delta for z.grad (δ_t too)
            self.notes.append(f"read `{t.text}` by the problem's alias {head} = "
                              f"{self.names.aliases[head]}")
            return self.names.aliases[head] + sep + tail
        if any(ch in ACCENTS for ch in raw):      # ŷ: the spec's \hat{y}, or yhat
            raw = self.accented(raw, t.col)
        if any(ch in GREEK for ch in raw):
            spelled = "".join(GREEK.get(ch, ch) for ch in raw)
            raw = self.names.spellings.get(spelled, spelled)
        if raw in GREEK.values() and not self.names.known(raw):   # λ for lam, ε for eps
            short = [n for n in self.names.symbols if len(n) >= 3 and raw.startswith(n)
                     and raw[len(n):].isalpha()]
            if len(short) == 1:
                raw = short[0]
        if raw in FUNCTION_ALIASES and not self.names.known(raw):
            self.notes.append(f"read `{raw}` as {FUNCTION_ALIASES[raw]}")
            raw = FUNCTION_ALIASES[raw]
        return raw

    def accented(self, raw: str, col: int) -> str:
        """A name with an accent (ŷ, x̂, h̃): the spec's name displayed so (\\hat{x} for
        xc), else the letter and the accent's name (yhat)."""
        if raw in self.names.spellings:
            return self.names.spellings[raw]
        head, sep, tail = raw.partition("_")
        if sep and not any(ch in ACCENTS for ch in tail):   # ŷ_k: the name, then its index
            return self.accented(head, col) + sep + tail
        if raw.startswith("d") and len(raw) > 2 and raw[1] not in ACCENTS:   # dŷ
            return "d" + self.accented(raw[1:], col)
        plain = "".join(ch for ch in raw if ch not in ACCENTS)
        accent = next(ACCENTS[ch] for ch in raw if ch in ACCENTS)
        for cand in (plain + accent, accent + plain, plain + "_" + accent):
            if self.names.known(cand):
                self.notes.append(f"read `{unicodedata.normalize('NFC', raw)}` as {cand}")
                return cand
        if any(sp.startswith(raw + "^") for sp in self.names.spellings):
            return raw          # X̃^{(l)}: a display name with a superscript, joined later
        self.fail(f"`{unicodedata.normalize('NFC', raw)}` is not a name of this problem "
                  f"(no tensor or symbol is displayed so)", col)

    # ---- small forms --------------------------------------------------------

    def bars(self, toks) -> list:
        """|x| -> abs(x): a bar opens where an operand may start."""
        out, opened = [], 0
        for k, t in enumerate(toks):
            if t.text != "|":
                out.append(t)
                continue
            prev = out[-1] if out else None
            opening = prev is None or prev.kind == "op" and prev.text not in (")", "]") \
                or prev.kind == "uni" or prev.kind == "name" and prev.text in _BAR_OPENERS
            if opening:
                out += [Tok("name", "abs", t.col, t.space), _op("(", t.col)]
                opened += 1
            elif opened:
                out.append(_op(")", t.col))
                opened -= 1
            else:
                self.fail("a closing '|' without an opening one", t.col)
        if opened:
            self.fail("an opening '|' is not closed", toks[-1].col)
        return out

    def operand_end(self, toks, k) -> int:
        """The index after the operand starting at k: a number, a name with its
        calls/indices/.grad, or a bracketed group."""
        if k >= len(toks):
            return k
        t = toks[k]
        if t.text == "(":
            return self.closing(toks, k) + 1
        if t.kind not in ("name", "num"):
            return k
        j = k + 1
        while j < len(toks):
            if toks[j].text in ("(", "[") and not toks[j].space:
                j = self.closing(toks, j) + 1
            elif toks[j].text == "." and j + 1 < len(toks) and toks[j + 1].text == "grad":
                j += 2
            else:
                break
        return j

    def closing(self, toks, k) -> int:
        pair = {"(": ")", "[": "]", "{": "}"}
        open_, close = toks[k].text, pair[toks[k].text]
        depth = 0
        for j in range(k, len(toks)):
            if toks[j].text == open_:
                depth += 1
            elif toks[j].text == close:
                depth -= 1
                if depth == 0:
                    return j
        self.fail(f"unclosed {open_!r}", toks[k].col)

    def roots(self, toks) -> list:
        out, k = [], 0
        while k < len(toks):
            t = toks[k]
            # `sqrt m`, `sqrt 2n` without brackets: the root of the next operand, as √m
            bare = t.kind == "name" and t.text == "sqrt" and k + 1 < len(toks) and \
                toks[k + 1].kind in ("name", "num")
            if t.text != "√" and not bare:
                out.append(t)
                k += 1
                continue
            end = self.operand_end(toks, k + 1)
            if bare:
                self.notes.append(f"read `sqrt {toks[k + 1].text}` as sqrt({toks[k + 1].text})")
            if end == k + 1:
                self.fail("expected what the root is of after √ (write √(2/n) or sqrt(2/n))",
                          t.col)
            inner = self.roots(toks[k + 1:end])
            if inner and inner[0].space:
                inner[0] = Tok(inner[0].kind, inner[0].text, inner[0].col)
            out += [Tok("name", "sqrt", t.col, t.space), _op("(", t.col)] + inner + \
                [_op(")", t.col)]
            k = end
        return out

    def primes(self, toks) -> list:
        """relu'(z), σ'(z), tanh'(z): the derivative, written out."""
        out, k = [], 0
        while k < len(toks):
            t = toks[k]
            if t.kind == "name" and k + 2 < len(toks) and toks[k + 1].text == "'" and \
                    toks[k + 2].text == "(":
                derivative = _derivative_text(t.text)
                if t.text in self.names.functions:
                    # a problem's own function: a Phi it declares has its own derivative,
                    # not the notation's Phi's; L' (the loss's) is refused, said below
                    derivative = f"{_PRIME_ARG.name} + {_PRIME_ARG.name}" \
                        if derivative is not None else None
                if derivative is None:
                    self.fail(f"{t.text}' is not read: write the derivative out (a prime "
                              f"follows a one-argument function of the notation: relu'(z), "
                              f"sigma'(z), tanh'(z))", t.col)
                end = self.closing(toks, k + 2)
                if derivative.count(_PRIME_ARG.name) > 1:
                    # σ'(u) with u once: a sum inside u stays inside (the course notation's
                    # sigma'(u)), where σ(u)(1 − σ(u)) would sum over both copies at once
                    self.notes.append(f"read `{t.text}'` as its derivative")
                    out += [Tok("name", t.text + "'", t.col, t.space), _op("(", t.col)] + \
                        self.primes(toks[k + 3:end]) + [_op(")", t.col)]
                    k = end + 1
                    continue
                arg = [_op("(", t.col)] + self.primes(toks[k + 3:end]) + [_op(")", t.col)]
                made = [_op("(", t.col, t.space)]
                for x in _lex(derivative, self.lineno, self.text):
                    made += arg if x.text == _PRIME_ARG.name else \
                        [Tok(x.kind, x.text, t.col, x.space)]
                made.append(_op(")", t.col))
                self.notes.append(f"read `{t.text}'` as its derivative")
                out += made
                k = end + 1
                continue
            if t.text == "'":
                self.fail("a prime (') is read only after a function name: relu'(z), "
                          "σ'(z), tanh'(z)", t.col)
            out.append(t)
            k += 1
        return out

    def indicators(self, toks) -> list:
        """𝟙(z > 0), 𝟙[z > 0], 1[z > 0], 1{z > 0}: the comparison as a 0/1 value."""
        out, k = [], 0
        while k < len(toks):
            t = toks[k]
            one = t.text == "𝟙" or (t.kind == "num" and t.text == "1" and k + 1 < len(toks)
                                     and toks[k + 1].text in ("[", "{")
                                     and not toks[k + 1].space)
            if one and k + 1 < len(toks) and toks[k + 1].text in ("(", "[", "{"):
                end = self.closing(toks, k + 1)
                inner = toks[k + 2:end]
                if not any(x.text in ("<", ">", "<=", ">=") for x in inner):
                    self.fail("an indicator holds a comparison: 1[z > 0]", t.col)
                out += [_op("(", t.col, t.space)] + self.indicators(inner) + [_op(")", t.col)]
                k = end + 1
                continue
            if t.text == "𝟙" and k + 1 < len(toks) and (toks[k + 1].kind == "T" or (
                    toks[k + 1].text in ("^", "**") and k + 2 < len(toks)
                    and (toks[k + 2].text == "T" or toks[k + 2].kind == "T"))):
                out.append(Tok("num", "1", t.col, t.space))        # 𝟙ᵀ: a vector of ones
                k += 1
                continue
            if t.text == "𝟙":
                self.fail("expected (condition) after 𝟙", t.col)
            out.append(t)
            k += 1
        return out

    def calls(self, toks) -> list:
        """max(0, z) and max(z, 0) -> relu(z); `ln 2`, `log n` -> log(2), log(n) (only log,
        which books print so; `sqrt d` needs its parentheses)."""
        out, k = [], 0
        while k < len(toks):
            t = toks[k]
            if t.kind == "name" and t.text == "log" and k + 1 < len(toks) \
                    and toks[k + 1].space and toks[k + 1].kind in ("num", "name") and \
                    not self.is_function(toks[k + 1].text) and \
                    (k + 2 >= len(toks) or toks[k + 2].text not in ("(", "[", ".", "_")):
                self.notes.append(f"read `{t.text} {toks[k + 1].text}` as "
                                  f"{t.text}({toks[k + 1].text})")
                out += [t, _op("(", t.col), Tok(toks[k + 1].kind, toks[k + 1].text,
                                                 toks[k + 1].col), _op(")", t.col)]
                k += 2
                continue
            if t.kind == "name" and t.text == "max" and k + 1 < len(toks) and \
                    toks[k + 1].text == "(" and "max" not in self.names.functions:
                end = self.closing(toks, k + 1)
                inner = toks[k + 2:end]
                commas = [j for j, x in enumerate(inner) if x.text == "," and
                          _depth(inner, j) == 0]
                if len(commas) == 1:
                    a, b = inner[:commas[0]], inner[commas[0] + 1:]
                    zero = [x for x in (a, b) if len(x) == 1 and x[0].text in ("0", "0.0")]
                    if zero:
                        arg = b if zero[0] is a else a
                        self.notes.append("read `max(0, ...)` as relu(...)")
                        out += [Tok("name", "relu", t.col, t.space), _op("(", t.col)] + \
                            self.calls(arg) + [_op(")", t.col)]
                        k = end + 1
                        continue
            out.append(t)
            k += 1
        return out

    # ---- implicit multiplication -----------------------------------------------

    def implicit(self, toks) -> list:
        out = []
        for k, t in enumerate(toks):
            if out and self.juxtaposed(out[-1], t, toks, k):
                self.notes.append("read factors written side by side as a product (*)")
                # no space between them (2pi, 2x): one factor, also after a /
                out.append(Tok("mm" if t.space else "tight", "*", t.col))
                t = Tok(t.kind, t.text, t.col, False)
            out.append(t)
        return self.denominators(out)

    def denominators(self, toks) -> list:
        """`v/2pi` is v/(2*pi): factors written together without a space stay together
        after a division."""
        out, k = [], 0
        while k < len(toks):
            t = toks[k]
            out.append(t)
            k += 1
            if t.text != "/" or k >= len(toks):
                continue
            end = self.factor_end(toks, k)
            grouped = False
            while end < len(toks) and toks[end].kind == "tight":
                end = self.factor_end(toks, end + 1)
                grouped = True
            if grouped:
                inner = "".join(x.text for x in toks[k:end])
                self.notes.append(f"read `/{inner.replace('*', '')}` as /({inner})")
                out += [_op("(", toks[k].col)] + toks[k:end] + [_op(")", toks[end - 1].col)]
                k = end
        return out

    def factor_end(self, toks, k) -> int:
        """The end of a factor at k: an operand and any power of it."""
        end = self.operand_end(toks, k)
        while end < len(toks) and toks[end].text in ("^", "**"):
            j = end + 1
            if j < len(toks) and toks[j].text in ("-", "+"):
                j += 1
            end = self.operand_end(toks, j)
        return max(end, k + 1)

    def juxtaposed(self, a: Tok, b: Tok, toks, k) -> bool:
        ends = a.kind in ("num", "T") or a.text in (")", "]") or \
            (a.kind == "name" and a.text not in ("for", "in") and (
                a.text == "grad" or not self.is_function(a.text)))
        starts = b.kind == "num" or b.text == "(" or \
            (b.kind == "name" and b.text not in ("for", "in", "grad"))
        if not (ends and starts):
            return False
        if b.text == "(" and a.kind == "name" and a.text != "grad":
            # x(1 - x): a product only when x is a tensor or symbol, not a function
            return self.names.known(a.text) and not self.is_function(a.text)
        if a.kind == "name" and b.kind == "name" and a.text == "grad":
            return True
        if a.kind == "num" and b.kind == "num":
            return False
        return True

    def is_function(self, name: str) -> bool:
        name = name[:-1] if name.endswith("'") else name       # sigma'(u): its derivative
        if name in self.names.functions:
            return True
        # a spec's symbol or tensor shadows a built-in of the same name (δ the Huber
        # threshold, not Kronecker's delta): `δ r[k]` is a product
        shadowed = name in self.names.symbols or name in self.names.tensors
        return name in FUNCTIONS and not shadowed


_PRIME_ARG = sp.Symbol("primearg")


def _derivative_text(name: str) -> str | None:
    """f' in the course notation, from the derivative table (derive.core.functions), with
    its argument written `primearg`; None for a name without a one-argument derivative."""
    entry = VOCABULARY.get(name)
    if entry is None or entry[0] != 1:
        return None
    rule = DERIVATIVES.get(type(entry[1](_PRIME_ARG)))
    return None if rule is None else format_expr(rule(_PRIME_ARG))


def names_of(spec, scope=None) -> Names:
    """The names an answer to `spec` may use, with the spec's display spellings."""
    scope = scope or spec.scope
    out = Names()
    for name, info in scope.tensors.items():
        out.tensors[name] = tuple(getattr(info, "axes", ()) or ())
    out.symbols = set(scope.symbols) | set(scope.sizes)
    out.functions = set(scope.functions)
    out.indices = set(scope.indices)
    out.ranges = {k: tuple(str(x) for x in v) for k, v in scope.indices.items()}
    for alias, target in ((getattr(spec, "raw", None) or {}).get("aliases") or {}).items():
        base = target.split(".")[0]
        if base not in out.tensors and base not in out.symbols:
            raise SpecError(f"the alias {alias!r} names {target!r}, which is not a tensor or "
                            f"symbol of the problem", spec.path, f"aliases.{alias}")
        out.aliases[alias] = target
    latex = dict(getattr(spec, "symbol_latex", {}) or {})
    for name, info in scope.tensors.items():
        if getattr(info, "latex", None):
            latex[name] = info.latex
    for name, tex in latex.items():
        for spelled in _spellings(tex):
            if spelled and spelled != name:
                out.spellings.setdefault(spelled, name)
    for name in out.symbols | set(out.tensors):
        if "_" in name:                       # sigma_W: σ_W, \sigma_W, \sigma_{W}
            head, _, tail = name.partition("_")
            for ch, word in GREEK.items():
                if word == head:
                    out.spellings.setdefault(f"{ch}_{tail}", name)
        for ch, word in GREEK.items():
            if word == name:
                out.spellings.setdefault(ch, name)
    return out


def _spellings(tex: str) -> list:
    """`\\sigma_{W}` -> [`sigma_W`, `σ_W`]; `z_{\\ell+1}` -> [`z_l+1`, ...]: the forms the
    LaTeX and Unicode passes give a name typed in that display spelling."""
    tex = re.sub(r"\\(hat|widehat|tilde|bar)\s*\{?\s*([A-Za-z])\s*\}?",
                 lambda m: m.group(2) + {"hat": "\u0302", "widehat": "\u0302",
                                         "tilde": "\u0303", "bar": "\u0304"}[m.group(1)], tex)
    plain = re.sub(r"[{}\s]", "", tex)
    plain = re.sub(r"\\(mathrm|mathbf|boldsymbol|mathit|operatorname)", "", plain)
    words = re.sub(r"\\([A-Za-z]+)", lambda m: {"ell": "l", "varepsilon": "epsilon"}.get(
        m.group(1), m.group(1)), plain)
    uni = re.sub(r"\\([A-Za-z]+)", lambda m: next((c for c, w in GREEK.items()
                                                  if w == m.group(1)), m.group(1)), plain)
    return [unicodedata.normalize("NFD", w) for w in (words, uni)
            if re.fullmatch(r"[\wα-ωΑ-Ωℓ+\-^(),'\u0300-\u036f]+", w)]
