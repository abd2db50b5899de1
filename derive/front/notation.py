"""The course notation, parsed (never evaluated) into a small syntax tree.

A hand-written tokenizer and Pratt parser accept exactly the notation of
DESIGN.md and nothing else: loop headers (`for b, j:`, `for t in 1..T:`),
statements (`=`, `+=`, `-=`), expressions with the function vocabulary, `.grad`
references, comparisons, nested-list values.  The tree is turned into SymPy
objects by :mod:`derive.front.resolve`, which knows the problem's names.
"""
from __future__ import annotations

import keyword
import re
from dataclasses import dataclass, field

import sympy as sp

from derive.core.errors import LimitError, NotationError

MAX_TEXT = 20_000          # characters in one program or answer
MAX_DEPTH = 60             # nesting of brackets and operators
MAX_OPERATORS = 200        # binary operators and comparisons on one line
MAX_LINES = 400
MAX_EXPONENT = 100
MAX_INT_DIGITS = 100
MAX_NUMBER_DIGITS = 1000   # digits of an exact number built by products

# --------------------------------------------------------------------------
# Syntax tree
# --------------------------------------------------------------------------


@dataclass
class Node:
    line: int
    col: int


@dataclass
class Num(Node):
    text: str


@dataclass
class Name(Node):
    id: str


@dataclass
class Grad(Node):
    """`name.grad` (the base is a Name)."""
    base: Name


@dataclass
class Index(Node):
    base: Node           # Name or Grad
    indices: list


@dataclass
class Call(Node):
    func: Name
    args: list


@dataclass
class BinOp(Node):
    op: str              # + - * / ^
    left: Node
    right: Node


@dataclass
class Unary(Node):
    op: str              # + -
    operand: Node


@dataclass
class Compare(Node):
    op: str              # < > <= >= == !=
    left: Node
    right: Node


@dataclass
class ListLit(Node):
    items: list


@dataclass
class LoopVar(Node):
    name: str
    lo: Node | None = None
    hi: Node | None = None


@dataclass
class Stmt(Node):
    target: Node
    op: str              # = += -=
    value: Node
    loops: list = field(default_factory=list)   # LoopVar of an inline `for`
    has_for: bool = False
    text: str = ""


@dataclass
class Block(Node):
    loops: list
    body: list


# --------------------------------------------------------------------------
# Tokens
# --------------------------------------------------------------------------

_TOKEN = re.compile(r"""
    (?P<num>\d+(?:\.(?!\.)\d*)?(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*(?:'(?=\())?)
  | (?P<op>\+=|-=|\*\*|\.\.|==|!=|<=|>=|[-+*/^()\[\],:<>=.])
  | (?P<ws>[ \t]+)
""", re.VERBOSE)


@dataclass
class Tok:
    kind: str   # num name op end
    text: str
    col: int    # 1-based


def _describe(tok: Tok) -> str:
    return "end of line" if tok.kind == "end" else repr(tok.text)


class _Line:
    """Tokens of one source line, with a cursor."""

    def __init__(self, parser: "Parser", text: str, lineno: int, offset: int):
        self.p = parser
        self.lineno = lineno
        self.toks: list[Tok] = []
        pos = 0
        while pos < len(text):
            m = _TOKEN.match(text, pos)
            if not m:
                ch = text[pos]
                hint = ""
                if ch in "'\"":
                    hint = " (strings are not part of the notation)"
                elif ch in "{}":
                    hint = " (use [ ] for indices and lists)"
                elif ch == ";":
                    hint = " (write one statement per line)"
                elif ch in "@%&|~!$`?\\":
                    hint = " (not an operator of the notation: use + - * / ^)"
                self.error(f"unexpected character {ch!r}{hint}", offset + pos + 1)
            if m.lastgroup != "ws":
                self.toks.append(Tok(m.lastgroup, m.group(), offset + pos + 1))
            pos = m.end()
        self.toks.append(Tok("end", "", offset + len(text) + 1))
        self.i = 0
        self.operators = 0

    def error(self, message: str, col: int):
        self.p.error(message, self.lineno, col)

    @property
    def tok(self) -> Tok:
        return self.toks[self.i]

    def advance(self) -> Tok:
        t = self.toks[self.i]
        if self.i < len(self.toks) - 1:
            self.i += 1
        return t

    def accept(self, text: str) -> Tok | None:
        if self.tok.kind in ("op", "name") and self.tok.text == text:
            return self.advance()
        return None

    def expect(self, text: str, what: str | None = None) -> Tok:
        if self.tok.kind in ("op", "name") and self.tok.text == text:
            return self.advance()
        self.error(f"expected {what or repr(text)}, found {_describe(self.tok)}", self.tok.col)


_BINARY = {"+": 10, "-": 10, "*": 20, "/": 20}
_COMPARE = {"<", ">", "<=", ">=", "==", "!="}
_POWER = {"^", "**"}
_UNARY_BP = 30
_POWER_BP = 40


class Parser:
    def __init__(self, text: str, source: str = "answer", key: str | None = None,
                 line_offset: int = 0):
        self.text = text
        self.source = source
        self.key = key
        self.line_offset = line_offset
        self.depth = 0
        if len(text) > MAX_TEXT:
            raise LimitError(f"{source}: the text is {len(text)} characters long; "
                             f"the limit is {MAX_TEXT}")

    def error(self, message: str, line: int, col: int):
        raise NotationError(message, self.source, line + self.line_offset, col,
                            self.text_for_error(line), self.key)

    def text_for_error(self, line: int) -> str:
        # NotationError shows line `line + offset` of the text it is given
        lines = self.text.split("\n")
        pad = [""] * self.line_offset
        return "\n".join(pad + lines)

    # ---- expressions -------------------------------------------------------

    def _enter(self, ln: _Line):
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise LimitError(NotationError(
                f"the expression is nested more than {MAX_DEPTH} levels deep",
                self.source, ln.lineno + self.line_offset, ln.tok.col,
                self.text_for_error(ln.lineno), self.key).format())

    def _operator(self, ln: _Line):
        """Consume a binary operator; a long chain `a + b + ... + z` is a deep tree."""
        t = ln.advance()
        ln.operators += 1
        if ln.operators > MAX_OPERATORS:
            raise LimitError(NotationError(
                f"more than {MAX_OPERATORS} operators on one line",
                self.source, ln.lineno + self.line_offset, t.col,
                self.text_for_error(ln.lineno), self.key).format())

    def expr(self, ln: _Line, min_bp: int = 0) -> Node:
        self._enter(ln)
        try:
            left = self.prefix(ln)
            while True:
                t = ln.tok
                if t.kind != "op":
                    break
                if t.text in _COMPARE and min_bp == 0:
                    self._operator(ln)
                    right = self.expr(ln, 1)
                    left = Compare(ln.lineno, t.col, t.text, left, right)
                    if ln.tok.kind == "op" and ln.tok.text in _COMPARE:
                        ln.error("chained comparisons are not part of the notation; "
                                 "write one comparison in parentheses", ln.tok.col)
                    continue
                if t.text in _BINARY and _BINARY[t.text] > min_bp:
                    self._operator(ln)
                    right = self.expr(ln, _BINARY[t.text])
                    left = BinOp(ln.lineno, t.col, t.text, left, right)
                    continue
                if t.text in _POWER and _POWER_BP > min_bp:
                    self._operator(ln)
                    right = self.expr(ln, _POWER_BP - 1)   # right associative
                    left = BinOp(ln.lineno, t.col, "^", left, right)
                    continue
                break
            return left
        finally:
            self.depth -= 1

    def prefix(self, ln: _Line) -> Node:
        t = ln.tok
        if t.kind == "op" and t.text in "+-":
            ln.advance()
            self._enter(ln)
            try:
                operand = self.expr(ln, _UNARY_BP)
            finally:
                self.depth -= 1
            return Unary(ln.lineno, t.col, t.text, operand)
        return self.postfix(ln, self.atom(ln))

    def atom(self, ln: _Line) -> Node:
        t = ln.tok
        if t.kind == "num":
            ln.advance()
            if len(t.text) > 40:
                ln.error("number literal too long (at most 40 characters)", t.col)
            return Num(ln.lineno, t.col, t.text)
        if t.kind == "name":
            if t.text in ("for", "in"):
                ln.error(f"unexpected {t.text!r}: a loop header goes at the start of the line",
                         t.col)
            if keyword.iskeyword(t.text):
                ln.error(f"Python's {t.text!r} is not part of the notation", t.col)
            if t.text.startswith("_"):
                ln.error(f"names start with a letter, not {t.text[0]!r}", t.col)
            ln.advance()
            return Name(ln.lineno, t.col, t.text)
        if t.kind == "op" and t.text == "(":
            ln.advance()
            if ln.tok.kind == "op" and ln.tok.text == ")":
                ln.error("empty parentheses: expected an expression", ln.tok.col)
            inner = self.expr(ln)
            if ln.tok.kind == "op" and ln.tok.text == ",":
                ln.error("tuples are not part of the notation: use [a, b] for a list", ln.tok.col)
            ln.expect(")", "')'")
            return inner
        if t.kind == "op" and t.text == "[":
            return self.list_literal(ln)
        ln.error(f"expected an expression, found {_describe(t)}", t.col)

    def list_literal(self, ln: _Line) -> ListLit:
        t = ln.expect("[")
        self._enter(ln)
        try:
            items = []
            if not ln.accept("]"):
                while True:
                    items.append(self.expr(ln))
                    if ln.accept("]"):
                        break
                    ln.expect(",", "',' or ']'")
            return ListLit(ln.lineno, t.col, items)
        finally:
            self.depth -= 1

    def postfix(self, ln: _Line, node: Node) -> Node:
        while ln.tok.kind == "op":
            t = ln.tok
            if t.text == "(":
                if not isinstance(node, Name):
                    ln.error("only a function name can be called", t.col)
                ln.advance()
                args = []
                self._enter(ln)
                try:
                    if not ln.accept(")"):
                        while True:
                            args.append(self.expr(ln))
                            if ln.accept(")"):
                                break
                            ln.expect(",", "',' or ')'")
                finally:
                    self.depth -= 1
                node = Call(node.line, node.col, node, args)
            elif t.text == "[":
                if not isinstance(node, (Name, Grad)):
                    ln.error("only a tensor (or its .grad) can be indexed", t.col)
                ln.advance()
                indices = []
                self._enter(ln)
                try:
                    while True:
                        indices.append(self.expr(ln, 0))
                        if ln.accept("]"):
                            break
                        ln.expect(",", "',' or ']'")
                finally:
                    self.depth -= 1
                node = Index(node.line, node.col, node, indices)
            elif t.text == ".":
                ln.advance()
                attr = ln.tok
                if attr.kind != "name" or attr.text != "grad":
                    ln.error(f"only '.grad' may follow a name, not '.{attr.text}'", attr.col)
                ln.advance()
                if isinstance(node, Name):
                    node = Grad(node.line, node.col, node)
                elif isinstance(node, Index) and isinstance(node.base, Name):
                    # X[b, j].grad is the same as X.grad[b, j]
                    node = Index(node.line, node.col, Grad(node.line, node.col, node.base),
                                 node.indices)
                else:
                    ln.error("'.grad' must follow a tensor name", t.col)
            else:
                break
        return node

    # ---- lines -------------------------------------------------------------

    def loop_header(self, ln: _Line) -> list[LoopVar]:
        ln.expect("for")
        loops = []
        while True:
            t = ln.tok
            if t.kind != "name" or keyword.iskeyword(t.text):
                ln.error(f"expected a loop index name, found {_describe(t)}", t.col)
            ln.advance()
            var = LoopVar(ln.lineno, t.col, t.text)
            if ln.accept("in"):
                var.lo = self.expr(ln, 0)
                ln.expect("..", "'..' (a range is written lo..hi)")
                var.hi = self.expr(ln, 0)
            loops.append(var)
            if ln.accept(","):
                continue
            if ln.tok.kind == "name":
                # the seeds write `for b, x, y, j dx, dy` with a missing comma
                ln.error(f"expected ',' or ':' after the loop index {t.text!r}", ln.tok.col)
            ln.expect(":", "':' after the loop indices")
            return loops

    def statement(self, ln: _Line, loops, has_for, raw: str) -> Stmt:
        start = ln.tok
        target = self.expr(ln, 0)
        op_tok = ln.tok
        if not (op_tok.kind == "op" and op_tok.text in ("=", "+=", "-=")):
            if op_tok.kind == "end":
                ln.error("expected '=', '+=' or '-=': a statement assigns to a tensor", op_tok.col)
            ln.error(f"expected '=', '+=' or '-=', found {_describe(op_tok)}", op_tok.col)
        ln.advance()
        value = self.expr(ln)
        if ln.tok.kind != "end":
            ln.error(f"unexpected {_describe(ln.tok)} after the statement", ln.tok.col)
        return Stmt(ln.lineno, start.col, target, op_tok.text, value, loops, has_for, raw.strip())

    def parse_program(self) -> list:
        """Statements and blocks, with indentation giving block bodies."""
        raw_lines = self.text.split("\n")
        if len(raw_lines) > MAX_LINES:
            raise LimitError(f"{self.source}: {len(raw_lines)} lines; the limit is {MAX_LINES}")
        items: list = []
        # frames: [header indent, body list, block or None, indent of the body]
        stack: list = [[-1, items, None, None]]
        for n, raw in enumerate(raw_lines, start=1):
            code = raw.split("#", 1)[0].rstrip()
            if not code.strip():
                continue
            if "\t" in code[: len(code) - len(code.lstrip())]:
                self.error("indent with spaces, not tabs", n, 1)
            indent = len(code) - len(code.lstrip())
            ln = _Line(self, code.lstrip(), n, indent)
            while indent <= stack[-1][0]:
                self._close(stack.pop())
            frame = stack[-1]
            if frame[3] is None:
                frame[3] = indent
            elif indent != frame[3]:
                what = "inside the loop block" if frame[2] is not None else "at the top level"
                self.error(f"unexpected indentation {what}", n, indent + 1)
            loops, has_for = [], False
            if ln.tok.kind == "name" and ln.tok.text == "for":
                has_for = True
                loops = self.loop_header(ln)
                if ln.tok.kind == "end":
                    block = Block(n, indent + 1, loops, [])
                    frame[1].append(block)
                    stack.append([indent, block.body, block, None])
                    continue
            frame[1].append(self.statement(ln, loops, has_for, code))
        while len(stack) > 1:
            self._close(stack.pop())
        return items

    def _close(self, frame):
        block = frame[2]
        if block is not None and not block.body:
            self.error("a loop block needs at least one indented statement after it",
                       block.line, block.col)

    def parse_values(self) -> list[tuple[Node, Node]]:
        """`name = value` lines (numbers or nested lists)."""
        out = []
        for n, raw in enumerate(self.text.split("\n"), start=1):
            code = raw.split("#", 1)[0].rstrip()
            if not code.strip():
                continue
            indent = len(code) - len(code.lstrip())
            ln = _Line(self, code.lstrip(), n, indent)
            target = self.expr(ln, 0)
            ln.expect("=", "'=' (a value line is written name = value)")
            value = self.expr(ln)
            if ln.tok.kind != "end":
                ln.error(f"unexpected {_describe(ln.tok)} after the value", ln.tok.col)
            out.append((target, value))
        return out


def parse_program(text: str, source: str = "answer", key: str | None = None,
                  line_offset: int = 0) -> list:
    """Parse program text into a list of :class:`Stmt` and :class:`Block`."""
    return Parser(text, source, key, line_offset).parse_program()


def parse_values(text: str, source: str = "answer", key: str | None = None,
                 line_offset: int = 0) -> list[tuple[Node, Node]]:
    return Parser(text, source, key, line_offset).parse_values()


def parse_expression(text: str, source: str = "answer", key: str | None = None) -> Node:
    """Parse a single expression (an answer to an expression part)."""
    p = Parser(text, source, key)
    lines = [l for l in text.split("\n") if l.split("#", 1)[0].strip()]
    if len(lines) != 1:
        p.error("expected a single expression on one line", 1, 1)
    lineno = text.split("\n").index(lines[0]) + 1
    code = lines[0].split("#", 1)[0].rstrip()
    indent = len(code) - len(code.lstrip())
    ln = _Line(p, code.lstrip(), lineno, indent)
    node = p.expr(ln)
    if ln.tok.kind != "end":
        ln.error(f"unexpected {_describe(ln.tok)} after the expression", ln.tok.col)
    return node


def number(text: str) -> sp.Rational:
    """An exact rational from a numeric literal (`3`, `0.25`, `1e-3`)."""
    mant, _, expo = text.lower().partition("e")
    if "." in mant:
        whole, frac = mant.split(".", 1)
        value = sp.Rational(int((whole or "0") + frac), 10 ** len(frac))
    else:
        value = sp.Integer(int(mant))
    if expo:
        e = int(expo)
        if abs(e) > MAX_INT_DIGITS:
            raise ValueError("exponent too large")
        value = value * sp.Rational(10) ** e
    return value
