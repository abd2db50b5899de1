"""Matrix and vector notation, for derive.front.spelling: `W.grad = z.grad xᵀ`,
`Vᵀ(ŷ − y)`, `dz1 = dz2 ⊙ 1[z1 > 0]`, read into index form with the axes the spec
declares for each tensor.

A tensor written without indices is a vector (one axis, a column) or a matrix (two
axes, rows then columns, in the order the spec declares them); ᵀ swaps them.  A product
written side by side, with ·, × or @, is a matrix product: the columns of the left
factor meet the rows of the right one, and when both are the same index of the problem
it is summed (written as its capital, the course's Einstein sum).  `*`, ⊙ and ∘ are
elementwise and need equal shapes.  The result is compared with the target's declared
axes position by position, so a transposed answer stays transposed (and is judged
wrong), never silently repaired.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from derive.front.spelling_tables import Tok, _op

MATRIX_PRODUCT = ("mm", "tight")      # star kinds of a product written side by side, ·, @


@dataclass
class Node:
    kind: str                 # tensor num sym call neg bin T paren pow
    toks: list = field(default_factory=list)    # the tokens it stands for (leaves)
    args: list = field(default_factory=list)
    op: Tok | None = None
    shape: tuple = (None, None)


class _Shapes:
    """Parse one side of a statement into a small tree and give each node its shape."""

    def __init__(self, toks, names, fail):
        self.toks, self.k = toks, 0
        self.names, self.fail = names, fail

    @property
    def tok(self):
        return self.toks[self.k] if self.k < len(self.toks) else Tok("end", "", 0)

    def parse(self) -> Node:
        node = self.expr()
        if self.k != len(self.toks):
            raise _NotMatrix()
        return node

    def expr(self) -> Node:
        left = self.sum()
        if self.tok.text in ("<", ">", "<=", ">="):         # (z1 > 0): elementwise
            op = self.tok
            self.k += 1
            right = self.sum()
            left = Node("bin", args=[left, right], op=op, shape=self.same(left, right, op))
        return left

    def sum(self) -> Node:
        left = self.term()
        while self.tok.text in ("+", "-"):
            op = self.tok
            self.k += 1
            right = self.term()
            left = Node("bin", args=[left, right], op=op,
                        shape=self.same(left, right, op))
        return left

    def term(self) -> Node:
        left = self.unary()
        while self.tok.text in ("*", "/"):
            op = self.tok
            self.k += 1
            right = self.unary()
            if op.text == "/":
                if right.shape != (None, None):
                    self.fail("dividing by a vector or matrix is not read: write the "
                              "entries with their indices", op.col)
                shape = left.shape
            elif op.kind in MATRIX_PRODUCT:
                shape = self.product(left, right, op)
            else:
                shape = self.same(left, right, op)
            left = Node("bin", args=[left, right], op=op, shape=shape)
        return left

    def unary(self) -> Node:
        if self.tok.text in ("-", "+"):
            op = self.tok
            self.k += 1
            inner = self.unary()
            return Node("neg", args=[inner], op=op, shape=inner.shape)
        return self.power()

    def power(self) -> Node:
        base = self.postfix()
        if self.tok.text in ("^", "**"):
            op = self.tok
            self.k += 1
            if self.tok.kind == "name" and self.tok.text == "T" and base.shape != (None, None):
                self.k += 1                     # h^T: a transpose, not a power T
                return self.transposed(base)
            exp = self.unary()
            if exp.shape != (None, None):
                raise _NotMatrix()
            return Node("pow", args=[base, exp], op=op, shape=base.shape)
        return base

    def postfix(self) -> Node:
        node = self.atom()
        while self.tok.kind == "T":
            self.k += 1
            node = self.transposed(node)
        return node

    def transposed(self, node: Node) -> Node:
        return Node("T", args=[node], shape=(node.shape[1], node.shape[0]))

    def atom(self) -> Node:
        t = self.tok
        if t.kind == "num":
            self.k += 1
            return Node("num", [t])
        if t.text == "(":
            self.k += 1
            inner = self.expr()
            if self.tok.text != ")":
                raise _NotMatrix()
            close = self.tok
            self.k += 1
            return Node("paren", [t, close], [inner], shape=inner.shape)
        if t.kind != "name":
            raise _NotMatrix()
        self.k += 1
        toks = [t]
        if self.tok.text == "." and self.k + 1 < len(self.toks) and \
                self.toks[self.k + 1].text == "grad":
            toks += self.toks[self.k:self.k + 2]
            self.k += 2
        if self.tok.text == "[":                # indexed: one entry, a scalar
            end = self._closing()
            toks += self.toks[self.k:end + 1]
            self.k = end + 1
            return Node("sym", toks)
        if self.tok.text == "(" and len(toks) == 1:       # a call: elementwise
            open_ = self.tok
            self.k += 1
            args = [self.expr()]
            while self.tok.text == ",":
                self.k += 1
                args.append(self.expr())
            if self.tok.text != ")":
                raise _NotMatrix()
            close = self.tok
            self.k += 1
            shape = (None, None)
            for a in args:
                if a.shape != (None, None):
                    if shape != (None, None) and shape != a.shape:
                        raise _NotMatrix()
                    shape = a.shape
            return Node("call", [t, open_, close], args, shape=shape)
        axes = self.names.tensors.get(t.text)
        if axes:
            if len(axes) > 2:
                raise _NotMatrix()           # no matrix reading of a tensor with 3 axes
            shape = (axes[0], None) if len(axes) == 1 else (axes[0], axes[1])
            node = Node("tensor", toks, shape=shape)
            node.declared = list(axes)
            return node
        return Node("sym", toks)

    def _closing(self) -> int:
        depth = 0
        for j in range(self.k, len(self.toks)):
            if self.toks[j].text == "[":
                depth += 1
            elif self.toks[j].text == "]":
                depth -= 1
                if depth == 0:
                    return j
        raise _NotMatrix()

    def same(self, a: Node, b: Node, op: Tok) -> tuple:
        if a.shape == (None, None):
            return b.shape
        if b.shape == (None, None) or a.shape == b.shape:
            return a.shape
        self.fail(f"the shapes do not match here: {_shape(a.shape)} and {_shape(b.shape)} "
                  f"(an elementwise {op.text} needs equal shapes)", op.col)

    def product(self, a: Node, b: Node, op: Tok) -> tuple:
        if a.shape == (None, None) or b.shape == (None, None):
            return b.shape if a.shape == (None, None) else a.shape
        if a.shape[1] != b.shape[0]:
            self.fail(f"the matrix product does not fit: {_shape(a.shape)} times "
                      f"{_shape(b.shape)} (the columns of the left factor must be the rows "
                      f"of the right one; a transpose missing?)", op.col)
        op.contracted = a.shape[1]              # summed, or None for an outer product
        return (a.shape[0], b.shape[1])


class _NotMatrix(Exception):
    """The line is not matrix notation this pass reads (it is left as it is)."""


def _shape(shape) -> str:
    r, c = shape
    if c is None:
        return f"a column over {r}" if r else "a scalar"
    if r is None:
        return f"a row over {c}"
    return f"a {r} x {c} matrix"


def vectorize(toks, names, fail, notes) -> list:
    """One statement line in matrix or vector notation, in index form; the line as it
    is when it has no tensor written without indices."""
    bare = [k for k, t in enumerate(toks) if t.kind == "name" and names.tensors.get(t.text)
            and not (k + 1 < len(toks) and toks[k + 1].text == "[")
            and not (k + 3 < len(toks) and toks[k + 1].text == "." and
                     toks[k + 3].text == "[")
            and not (k and toks[k - 1].text == ".")]
    if any(t.text == "for" for t in toks[:1]):
        return toks
    toks = _transposes(toks)
    marks = [t for t in toks if t.kind == "T"]
    if not bare and not marks:
        return toks
    eq = next((k for k, t in enumerate(toks) if t.text in ("=", "+=", "-=")), None)
    if eq is None:
        lhs, rhs = None, toks
    else:
        lhs, rhs = toks[:eq], toks[eq + 1:]
    try:
        right = _Shapes(rhs, names, fail).parse()
        left = _Shapes(lhs, names, fail).parse() if lhs else None
    except _NotMatrix:
        if marks:
            fail("a transpose is read in matrix and vector notation only (W.grad = "
                 "z.grad xᵀ); here write the entries with their indices", marks[0].col)
        return toks
    target = left.shape if left is not None else right.shape
    if left is None or left.kind != "tensor":
        # Var(x) = ..., or an expression alone: not a statement about a whole tensor
        if marks:
            fail("a transpose is read in a statement about a whole tensor only (W.grad = "
                 "z.grad xᵀ)", marks[0].col)
        return toks
    rename = {}
    if left is not None and right.shape != (None, None) and right.shape != target:
        if sorted(filter(None, right.shape)) != sorted(filter(None, target)) and \
                [x is None for x in right.shape] != [x is None for x in target]:
            fail(f"the right side is {_shape(right.shape)}, the left side "
                 f"{_shape(target)}", rhs[0].col)
        # positions decide: the answer's rows are the target's rows
        rename = {a: b for a, b in zip(right.shape, target) if a and b and a != b}
    out = (_emit(left, set(), {}) + [toks[eq]] if left is not None else []) + \
        _emit(right, set(), rename)
    notes.append("read the matrix and vector notation with the declared axes of each tensor")
    return out


def _transposes(toks) -> list:
    """`^(T)`, `^T` after a marker, and `^` before a marker: the one transpose mark."""
    out, k = [], 0
    while k < len(toks):
        t = toks[k]
        if t.text in ("^", "**") and k + 1 < len(toks) and toks[k + 1].kind == "T":
            k += 1
            continue
        if t.text in ("^", "**") and k + 3 < len(toks) and toks[k + 1].text == "(" and \
                toks[k + 2].kind == "T" and toks[k + 3].text == ")":
            out.append(toks[k + 2])
            k += 4
            continue
        out.append(t)
        k += 1
    return out


def _emit(node: Node, summed: set, rename: dict) -> list:
    """Tokens of a node in index form; `summed` are the indices summed around it."""
    def index(name):
        name = rename.get(name, name)
        return name.upper() if name in summed else name
    if node.kind == "tensor":
        axes = [a for a in node.shape if a] if node.shape != (None, None) else []
        head = node.toks
        base = node.toks[0]
        if not axes:
            return list(head)
        idx = []
        for a in node.declared:
            if idx:
                idx.append(_op(",", base.col))
            idx.append(Tok("name", index(a), base.col))
        return list(head) + [_op("[", base.col)] + idx + [_op("]", base.col)]
    if node.kind in ("num", "sym"):
        return list(node.toks)
    if node.kind == "paren":
        return [node.toks[0]] + _emit(node.args[0], summed, rename) + [node.toks[1]]
    if node.kind == "call":
        out = [node.toks[0], node.toks[1]]
        for k, a in enumerate(node.args):
            if k:
                out.append(_op(",", node.toks[1].col))
            out += _emit(a, summed, rename)
        return out + [node.toks[2]]
    if node.kind == "neg":
        return [node.op] + _emit(node.args[0], summed, rename)
    if node.kind == "T":
        return _emit(node.args[0], summed, rename)
    if node.kind == "pow":
        return _emit(node.args[0], summed, rename) + [node.op] + \
            _emit(node.args[1], summed, rename)
    inner = summed | ({node.op.contracted} if getattr(node.op, "contracted", None) else set())
    return _emit(node.args[0], inner, rename) + [_op(node.op.text, node.op.col)] + \
        _emit(node.args[1], inner, rename)
