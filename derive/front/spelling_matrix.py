"""Matrix and vector notation, for derive.front.spelling: `W.grad = z.grad xᵀ`,
`Vᵀ(ŷ − y)`, `dz1 = dz2 ⊙ 1[z1 > 0]`, read into index form with the axes the spec
declares for each tensor.

A tensor written without indices is a vector (one axis, a column) or a matrix (two
axes, rows then columns, in the order the spec declares them); ᵀ swaps them.  Each axis
of each tensor written is a slot.  A product written side by side, with ·, × or @, is a
matrix product: the columns of the left factor meet the rows of the right one (their
sizes must agree), the two slots become one and are summed (written as a capital, the
course's Einstein sum).  `*`, ⊙ and ∘ are elementwise and join the slots of equal
shapes.  The result's slots take the target's indices position by position, so a
transposed answer stays transposed (and is judged wrong), never silently repaired.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from derive.core.errors import NotationError, ShapeError
from derive.core.functions import VOCABULARY
from derive.front.spelling_tables import Tok, _op

MATRIX_PRODUCT = ("mm", "tight")      # star kinds of a product written side by side, ·, @


@dataclass
class Node:
    kind: str                 # tensor num sym call neg bin T paren pow
    toks: list = field(default_factory=list)    # the tokens it stands for (leaves)
    args: list = field(default_factory=list)
    op: Tok | None = None
    shape: tuple = (None, None)


class Slot:
    """One axis of one tensor as written: its declared index (a name with a range)."""

    def __init__(self, index: str):
        self.index = index
        self.parent = self
        self.summed = False

    def find(self) -> "Slot":
        s = self
        while s.parent is not s:
            s = s.parent
        return s


class _Shapes:
    """Parse one side of a statement into a small tree and give each node its shape."""

    def __init__(self, toks, names, fail):
        self.toks, self.k = toks, 0
        self.names, self.fail = names, fail

    def shape_fail(self, message, col):
        """Shapes that do not fit: the answer is wrong for its target (ShapeError)."""
        try:
            self.fail(message, col)
        except NotationError as e:     # the same position, as what it means
            raise ShapeError(e.message, e.source, e.line, e.column, e.text, e.key) from None

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
        left = self.product_chain()
        while self.tok.text in ("*", "/"):
            op = self.tok
            self.k += 1
            right = self.product_chain()
            if op.text == "/":                 # by a scalar, or elementwise
                shape = left.shape if right.shape == (None, None) else \
                    self.same(left, right, op)
            elif op.kind in MATRIX_PRODUCT:
                shape = self.product(left, right, op)
            else:
                shape = self.same(left, right, op)
            left = Node("bin", args=[left, right], op=op, shape=shape)
        return left

    def product_chain(self) -> Node:
        """Matrix products bind tighter than elementwise ones: a ⊙ Vᵀ(y - t) is
        a ⊙ (Vᵀ(y - t)), as the books write it."""
        left = self.unary()
        while self.tok.text == "*" and self.tok.kind in MATRIX_PRODUCT:
            op = self.tok
            self.k += 1
            right = self.unary()
            left = Node("bin", args=[left, right], op=op, shape=self.product(left, right, op))
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
            if t.text == "1" and self.transpose_next():     # 1ᵀ z.grad: a batch sum
                node = Node("ones", [t])
                node.slots = [Slot(None)]
                node.shape = (node.slots[0], None)
                return node
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
        if self.tok.text == "[":                # indexed: an entry, or h[t] a vector
            end = self._closing()
            given = self.toks[self.k:end + 1]
            self.k = end + 1
            axes = self.names.tensors.get(t.text, ())
            n = 1 + sum(1 for x in given[1:-1] if x.text == "," and _flat(given, x))
            if axes and n < len(axes) and len(axes) - n <= 2:
                node = Node("tensor", toks + given[:-1])
                node.slots, node.partial = [Slot(a) for a in axes[n:]], True
                node.shape = _as_shape(node.slots)
                return node
            return Node("sym", toks + given)
        if self.tok.text == "(" and len(toks) == 1 and t.text == "diag" and \
                not self.names.known("diag"):
            return self.diag(t)
        if self.tok.text == "(" and len(toks) == 1 and t.text in ("outer", "matmul", "dot") \
                and not self.names.known(t.text):
            return self.product_call(t)
        if self.tok.text == "(" and len(toks) == 1:       # a call: elementwise
            if not self.known_function(t.text):
                raise _NotMatrix()          # diag(p), mean(x): not a reading to trust
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
            node = Node("tensor", toks)
            node.slots = [Slot(a) for a in axes]
            node.shape = _as_shape(node.slots)
            return node
        if not (self.names.known(t.text) or t.text in ("pi", "e")):
            raise _NotMatrix()              # an unknown name: its shape is unknown too
        return Node("sym", toks)

    def diag(self, t) -> Node:
        """diag(v): the square matrix with v on its diagonal, entry delta(j, k) v[j]."""
        open_ = self.tok
        self.k += 1
        inner = self.expr()
        if self.tok.text != ")" or inner.shape[0] is None or inner.shape[1] is not None:
            raise _NotMatrix()              # diag of a vector only
        close = self.tok
        self.k += 1
        row = inner.shape[0]
        col = Slot(row.find().index)
        node = Node("diag", [t, open_, close], [inner], shape=(row, col))
        node.slots = [col]
        return node

    def product_call(self, t) -> Node:
        """outer(a, b) = a bᵀ (two vectors); matmul(A, B) and dot(A, B) = A B."""
        self.k += 1
        a = self.expr()
        if self.tok.text != ",":
            raise _NotMatrix()
        self.k += 1
        b = self.expr()
        if self.tok.text != ")":
            raise _NotMatrix()
        self.k += 1
        op = Tok("mm", "*", t.col)
        a, b = (Node("paren", [Tok("op", "(", x.col), Tok("op", ")", x.col)], [node],
                     shape=node.shape) for x, node in ((t, a), (t, b)))
        if t.text == "outer":
            if a.shape[1] is not None or b.shape[1] is not None or None in (a.shape[0],
                                                                            b.shape[0]):
                self.shape_fail(f"outer(a, b) takes two vectors, not {_shape(a.shape)} and "
                                f"{_shape(b.shape)}", t.col)
            b = self.transposed(b)
        return Node("bin", args=[a, b], op=op, shape=self.product(a, b, op))

    def transpose_next(self) -> bool:
        t = self.tok
        if t.kind == "T":
            return True
        nxt = self.toks[self.k + 1] if self.k + 1 < len(self.toks) else None
        return t.text in ("^", "**") and nxt is not None and (
            nxt.kind == "T" or (nxt.kind == "name" and nxt.text == "T"))

    def known_function(self, name: str) -> bool:
        name = name[:-1] if name.endswith("'") else name       # sigma'(z1): its derivative
        return name in VOCABULARY or name in self.names.functions

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
        if b.shape == (None, None):
            return a.shape
        if [x is None for x in a.shape] != [x is None for x in b.shape]:
            self.shape_fail(f"the shapes do not match here: {_shape(a.shape)} and "
                      f"{_shape(b.shape)} (an elementwise {op.text} needs equal shapes)",
                      op.col)
        for x, y in zip(a.shape, b.shape):
            if x is not None:
                self.join(x, y, op)
        return a.shape

    def product(self, a: Node, b: Node, op: Tok) -> tuple:
        if b.kind == "num" and b.toks[0].text == "1" and a.shape[1] is not None:
            b.kind, b.slots = "ones", [Slot(None)]   # z.gradᵀ 1: the sum of its columns
            b.shape = (b.slots[0], None)
        if a.shape == (None, None) or b.shape == (None, None):
            return b.shape if a.shape == (None, None) else a.shape
        if a.shape[1] is None and b.shape[0] is None:
            return (a.shape[0], b.shape[1])          # a column times a row: outer
        if a.shape[1] is None or b.shape[0] is None:
            self.shape_fail(f"the matrix product does not fit: {_shape(a.shape)} times "
                      f"{_shape(b.shape)} (the columns of the left factor must be the rows "
                      f"of the right one; a transpose missing?)", op.col)
        joined = self.join(a.shape[1], b.shape[0], op)
        joined.summed = True
        return (a.shape[0], b.shape[1])

    def join(self, x: Slot, y: Slot, op: Tok) -> Slot:
        rx, ry = x.find(), y.find()
        if rx is ry:
            return rx
        if rx.index is None or ry.index is None:    # a vector of ones takes any size
            rx, ry = (rx, ry) if ry.index is None else (ry, rx)
            ry.parent = rx
            rx.summed = rx.summed or ry.summed
            return rx
        if self.names.ranges.get(rx.index) != self.names.ranges.get(ry.index):
            self.shape_fail(f"the sizes do not match here: an axis over {rx.index} meets one over "
                      f"{ry.index} (a transpose missing, or the wrong tensor?)", op.col)
        ry.parent = rx
        rx.summed = rx.summed or ry.summed
        return rx


class _NotMatrix(Exception):
    """The line is not matrix notation this pass reads (it is left as it is)."""


def _given(toks, k) -> int:
    """How many indices the tensor named at k is written with (x, x[i], x.grad[t])."""
    j = k + 1
    if j + 1 < len(toks) and toks[j].text == "." and toks[j + 1].text == "grad":
        j += 2
    if j >= len(toks) or toks[j].text != "[":
        return 0
    depth, n = 0, 1
    for t in toks[j:]:
        if t.text in ("[", "("):
            depth += 1
        elif t.text in ("]", ")"):
            depth -= 1
            if depth == 0:
                return n
        elif t.text == "," and depth == 1:
            n += 1
    return n


def _flat(toks, x) -> bool:
    """Is token x at the top level of the bracket group toks?"""
    depth = 0
    for y in toks[1:-1]:
        if y is x:
            return depth == 0
        if y.text in ("(", "["):
            depth += 1
        elif y.text in (")", "]"):
            depth -= 1
    return False


def _as_shape(slots) -> tuple:
    return (slots[0], None) if len(slots) == 1 else (slots[0], slots[1])


def _shape(shape) -> str:
    r, c = (x.find().index if x is not None else None for x in shape)
    if shape[0] is not None and r is None:
        return "a vector of ones" if c is None else f"ones times a row over {c}"
    if c is None:
        return f"a column over {r}" if r else "a scalar"
    if r is None:
        return f"a row over {c}"
    return f"a {r} x {c} matrix"


def vectorize(toks, names, fail, notes) -> list:
    """One statement line in matrix or vector notation, in index form; the line as it
    is when it has no tensor written without indices."""
    bare = [k for k, t in enumerate(toks) if t.kind == "name" and names.tensors.get(t.text)
            and not (k and toks[k - 1].text == ".")
            and _given(toks, k) < len(names.tensors[t.text])]
    if toks and toks[0].text == "for":
        return _with_header(toks, names, fail, notes)
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
        if lhs and len(lhs) == 1 and lhs[0].kind == "name" and not names.known(lhs[0].text):
            left = Node("sym", list(lhs))       # g3 = (ŷ − y)/K: the answer's own name
        else:
            left = _Shapes(lhs, names, fail).parse() if lhs else None
        try:
            right = _Shapes(rhs, names, fail).parse()
        except ShapeError as e:
            e.tensor = _target_name(left)
            raise
    except _NotMatrix:
        if marks:
            fail("a transpose is read in matrix and vector notation only (W.grad = "
                 "z.grad xᵀ); here write the entries with their indices", marks[0].col)
        return toks
    if left is not None and left.kind == "sym" and len(left.toks) == 1 and \
            right.shape != (None, None) and not names.known(left.toks[0].text):
        # e = 1/K (...): the answer's own vector, with the shape of its value
        name = left.toks[0].text
        names.tensors[name] = tuple(x.find().index for x in right.shape if x is not None)
        left = _Shapes(lhs, names, fail).parse()
    if left is not None and left.kind == "sym" and right.shape == (None, None) and \
            _slots(right):
        # w.grad[i] = y.grad 1[wᵀx > 0] x_i: an entry whose right side holds whole vectors
        # only inside scalars (inner products): those in index form, summed
        naming = _names(left, right, fail, rhs[0].col)
        notes.append("read the inner products written in vector notation as sums")
        return list(lhs) + [toks[eq]] + _emit(right, naming)
    if left is None or left.kind != "tensor":
        # Var(x) = ..., or an expression alone: not a statement about a whole tensor
        if marks:
            fail("a transpose is read in a statement about a whole tensor only (W.grad = "
                 "z.grad xᵀ)", marks[0].col)
        return toks
    shapes = _Shapes(rhs, names, fail)
    try:
        return _indexed(toks, eq, left, right, shapes, fail, notes, rhs[0].col)
    except ShapeError as e:
        e.tensor = _target_name(left)
        raise


def _target_name(left) -> str | None:
    """The tensor a statement writes (`W2.grad`), for a verdict about it."""
    if left is None or not left.toks or left.toks[0].kind != "name":
        return None
    grad = len(left.toks) > 2 and left.toks[2].text == "grad"
    return left.toks[0].text + (".grad" if grad else "")


def _indexed(toks, eq, left, right, shapes, fail, notes, col) -> list:
    target = [x for x in left.shape if x is not None]
    got = [x for x in right.shape if x is not None]
    if got:
        if len(got) != len(target):
            shapes.shape_fail(f"the right side is {_shape(right.shape)}, the left side "
                              f"{_shape(left.shape)}", col)
        for x, y in zip(target, got):              # positions decide
            shapes.join(x, y, toks[eq])
    naming = _names(left, right, fail, col)
    out = _emit(left, naming) + [toks[eq]] + _emit(right, naming)
    notes.append("read the matrix and vector notation with the declared axes of each tensor")
    return out


def _names(left: Node, right: Node, fail, col) -> dict:
    """Each slot class's index: the target's where it reaches the target, else (summed)
    a capital, one per class."""
    out, capitals = {}, {}
    for x in _slots(left):
        out[x.find()] = x.index
    for x in _slots(right):
        r = x.find()
        if r in out:
            continue
        if not r.summed:
            out[r] = r.index
            continue
        cap = r.index.upper()
        if capitals.get(cap, r) is not r:
            fail(f"two sums over {r.index} in one statement: write it with indices", col)
        capitals[cap] = r
        out[r] = cap
    return out


def _slots(node: Node) -> list:
    own = list(getattr(node, "slots", []))
    for a in node.args:
        own += _slots(a)
    return own


def _with_header(toks, names, fail, notes) -> list:
    """`for t: U.grad += z.grad_t h_{t-1}ᵀ` (a sum over time read as a loop): the
    statement after the header in index form, and the target's new indices added to
    the header (for t, m, i: ...)."""
    colon = next((k for k, t in enumerate(toks) if t.text == ":"), None)
    if colon is None:
        return toks
    head, body = toks[:colon], toks[colon + 1:]
    if any(t.kind == "name" and t.text == "for" for t in body):
        return toks
    said: list = []
    out = vectorize(body, names, fail, said)
    if [t.text for t in out] == [t.text for t in body]:
        return toks                          # nothing in matrix notation after the header
    notes += said
    eq = next((k for k, t in enumerate(out) if t.text in ("=", "+=", "-=")), len(out))
    have = {t.text for t in head if t.kind == "name"}
    new = []
    for t in out[:eq]:
        if t.kind == "name" and t.text in names.indices and t.text not in have | set(new):
            new.append(t.text)
    col = head[0].col
    for v in new:
        head = head + [_op(",", col), Tok("name", v, col, True)]
    return head + [toks[colon]] + out


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


def _emit(node: Node, naming: dict) -> list:
    """Tokens of a node in index form."""
    if node.kind == "tensor":
        head, base = node.toks, node.toks[0]
        idx = []
        for x in node.slots:
            if idx or getattr(node, "partial", False):
                idx.append(_op(",", base.col))
            idx.append(Tok("name", naming[x.find()], base.col))
        if getattr(node, "partial", False):        # h[t] + [m]: h[t, m]
            return list(head) + idx + [_op("]", base.col)]
        return list(head) + [_op("[", base.col)] + idx + [_op("]", base.col)]
    if node.kind in ("num", "sym", "ones"):
        return list(node.toks)
    if node.kind == "diag":                   # delta(j, k)*(v[j])
        t = node.toks[0]
        row, col = (naming[x.find()] for x in node.shape)
        return [Tok("name", "delta", t.col, t.space), _op("(", t.col), Tok("name", row, t.col),
                _op(",", t.col), Tok("name", col, t.col), _op(")", t.col), _op("*", t.col),
                _op("(", t.col)] + _emit(node.args[0], naming) + [_op(")", t.col)]
    if node.kind == "paren":
        return [node.toks[0]] + _emit(node.args[0], naming) + [node.toks[1]]
    if node.kind == "call":
        out = [node.toks[0], node.toks[1]]
        for k, a in enumerate(node.args):
            if k:
                out.append(_op(",", node.toks[1].col))
            out += _emit(a, naming)
        return out + [node.toks[2]]
    if node.kind == "neg":
        return [node.op] + _emit(node.args[0], naming)
    if node.kind == "T":
        return _emit(node.args[0], naming)
    if node.kind == "pow":
        return _emit(node.args[0], naming) + [node.op] + _emit(node.args[1], naming)
    return _emit(node.args[0], naming) + [_op(node.op.text, node.op.col)] + \
        _emit(node.args[1], naming)
