"""A small, independent evaluator of the course loop notation, written for the
corpus (it does not import or copy `derive`).  It runs a student's loop answer
element by element on NumPy arrays, with the semantics of docs/specs.md:

* `for b, j: T[...] op expr` loops over the listed indices (declared ranges, or
  `i in A..B`, descending when A > B); a statement without `for` loops over the
  unbound lower-case indices of its target (outermost first, in target order).
* A block header `for t in T..1:` runs its indented statements in order for each t.
* `=` overwrites the target element with the value of the whole right-hand side;
  `+=` / `-=` accumulate.  Every computed tensor and every gradient starts at zero
  (the gradients of the part's `from` tensors start at the given upstream).
* A capital index (`I`, `J`, `M`) whose lower-case letter is a declared index is
  summed over that range; a capital that is a size (`L` in loss_heads, where no
  index `l` exists) is that size; an undeclared capital ranges over the axis it
  indexes.  The sum covers the smallest product term that holds every occurrence:
  each term of a sum `a + b` is its own scope, each function argument is its own
  scope, and a product containing the capital outside a parenthesised sum (or in
  two factors) is summed as a whole: `-p.grad[b, J] * (p[b, J] + 0) / Z[b]` is
  sum_J of the whole product.
* Reads out of range are zero; writes out of a declared tensor's range are
  dropped; a name is a temporary if an earlier statement (or the same one)
  writes it, otherwise reading it is an error.
"""
from __future__ import annotations

import ast
import itertools
import math
import re

import numpy as np


class NotationError(Exception):
    """The answer cannot be read (the corpus's notion of `unusable`)."""


FUNCTIONS = {
    "exp": lambda a: _safe(math.exp, a),
    "log": lambda a: (math.log(a) if a > 0 else (-math.inf if a == 0 else math.nan)),
    "sqrt": lambda a: (math.sqrt(a) if a >= 0 else math.nan),
    "tanh": lambda a: math.tanh(a),
    "sigma": lambda a: _sigma(a),
    "relu": lambda a: a if a > 0 else 0.0,
    "step": lambda a: 1.0 if a > 0 else 0.0,
    "abs": lambda a: abs(a),
    "max": lambda *a: max(a),
    "min": lambda *a: min(a),
    "delta": lambda a, b: 1.0 if a == b else 0.0,
}


def _safe(f, a):
    try:
        return f(a)
    except OverflowError:
        return math.inf


def _sigma(a):
    if a >= 0:
        return 1.0 / (1.0 + math.exp(-a))
    e = math.exp(a)
    return e / (1.0 + e)


class Arr:
    """A declared tensor: an array whose axes start at `lo` (1 for t in 1..T)."""

    def __init__(self, data, lo):
        self.data = np.array(data, dtype=float)
        self.lo = tuple(lo)

    def _pos(self, idx):
        if len(idx) != self.data.ndim:
            raise NotationError(f"wrong number of indices {len(idx)} for shape {self.data.shape}")
        pos = []
        for i, l, n in zip(idx, self.lo, self.data.shape):
            p = i - l
            if p < 0 or p >= n:
                return None
            pos.append(p)
        return tuple(pos)

    def get(self, idx):
        p = self._pos(idx)
        return 0.0 if p is None else float(self.data[p])

    def put(self, idx, value, op):
        p = self._pos(idx)
        if p is None:
            return
        if op == "=":
            self.data[p] = value
        elif op == "+=":
            self.data[p] += value
        else:
            self.data[p] -= value


class Temp(dict):
    def get(self, idx):
        return dict.get(self, idx, 0.0)

    def put(self, idx, value, op):
        if op == "=":
            self[idx] = value
        elif op == "+=":
            self[idx] = dict.get(self, idx, 0.0) + value
        else:
            self[idx] = dict.get(self, idx, 0.0) - value


# ---------------------------------------------------------------------------
# reading the text
# ---------------------------------------------------------------------------

_UNICODE = {"σ": "sigma", "√": "sqrt", "·": "*", "∘": "*", "−": "-", "×": "*"}


def _prep(expr: str) -> str:
    for a, b in _UNICODE.items():
        expr = expr.replace(a, b)
    expr = re.sub(r"\b([A-Za-z_][A-Za-z0-9_]*)\.grad\b", r"\1__grad", expr)
    return expr.replace("^", "**")


def _parse_expr(text: str):
    try:
        return ast.parse(_prep(text).strip(), mode="eval").body
    except SyntaxError as e:
        raise NotationError(f"cannot parse {text!r}: {e.msg}") from None


def _split_top(text: str, sep=","):
    out, depth, cur = [], 0, ""
    for ch in text:
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
        if ch == sep and depth == 0:
            out.append(cur)
            cur = ""
        else:
            cur += ch
    out.append(cur)
    return [s.strip() for s in out]


def _find_op(text: str):
    depth = 0
    for k, ch in enumerate(text):
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
        elif depth == 0 and ch == "=":
            prev = text[k - 1] if k else ""
            nxt = text[k + 1] if k + 1 < len(text) else ""
            if nxt == "=" or prev in "<>!=":
                continue
            if prev in "+-":
                return k - 1, prev + "="
            return k, "="
    raise NotationError(f"no assignment in {text!r}")


class Stmt:
    def __init__(self, loops, target, tgrad, tidx, op, rhs, line):
        self.loops, self.target, self.tgrad, self.tidx = loops, target, tgrad, tidx
        self.op, self.rhs, self.line = op, rhs, line


class Block:
    def __init__(self, loops, body, line):
        self.loops, self.body, self.line = loops, body, line


def _parse_loops(spec: str):
    items = []
    for it in _split_top(spec):
        if not it:
            raise NotationError(f"empty loop item in {spec!r}")
        m = re.fullmatch(r"([a-z][A-Za-z0-9_]*)(\s+in\s+(.+?)\.\.(.+))?", it)
        if not m:
            raise NotationError(f"bad loop item {it!r}")
        if m.group(2):
            items.append((m.group(1), _parse_expr(m.group(3)), _parse_expr(m.group(4))))
        else:
            items.append((m.group(1), None, None))
    return items


def _parse_stmt(text: str, loops, line):
    k, op = _find_op(text)
    lhs, rhs = text[:k].strip(), text[k + len(op):].strip()
    m = re.fullmatch(r"([A-Za-z_][A-Za-z0-9_]*)(\.grad)?\s*(\[(.*)\])?", lhs)
    if not m:
        raise NotationError(f"bad target {lhs!r}")
    idx = []
    if m.group(3):
        idx = [_parse_expr(s) for s in _split_top(m.group(4))]
    if not rhs:
        raise NotationError(f"empty right-hand side in {text!r}")
    return Stmt(loops, m.group(1), bool(m.group(2)), idx, op, _parse_expr(rhs), line)


def parse(text: str):
    lines = []
    for n, raw in enumerate(text.splitlines(), 1):
        raw = raw.split("#")[0].rstrip()
        if raw.strip():
            lines.append((len(raw) - len(raw.lstrip(" ")), raw.strip(), n))
    if not lines:
        raise NotationError("empty answer")

    def parse_at(i, indent):
        out = []
        while i < len(lines):
            ind, content, n = lines[i]
            if ind < indent:
                break
            if ind > indent:
                raise NotationError(f"line {n}: unexpected indentation")
            mb = re.fullmatch(r"for\s+(.*?):", content)
            if mb:
                if i + 1 >= len(lines) or lines[i + 1][0] <= ind:
                    raise NotationError(f"line {n}: empty block")
                body, i = parse_at(i + 1, lines[i + 1][0])
                out.append(Block(_parse_loops(mb.group(1)), body, n))
                continue
            ms = re.fullmatch(r"for\s+([^:]*?):\s*(.+)", content)
            if ms:
                out.append(_parse_stmt(ms.group(2), _parse_loops(ms.group(1)), n))
            else:
                out.append(_parse_stmt(content, [], n))
            i += 1
        return out, i

    prog, i = parse_at(0, lines[0][0])
    if i != len(lines):
        raise NotationError("inconsistent indentation")
    return prog


# ---------------------------------------------------------------------------
# compiling and running
# ---------------------------------------------------------------------------

def _is_add(n):
    return isinstance(n, ast.BinOp) and isinstance(n.op, (ast.Add, ast.Sub))


class Machine:
    def __init__(self, indices, tensors, sizes, symbols, store):
        """indices: {name: (lo, hi)}; tensors: {name: axes}; store: {key: Arr}."""
        self.indices = indices
        self.tensors = tensors
        self.sizes = sizes
        self.symbols = dict(symbols)
        self.symbols.setdefault("pi", math.pi)
        self.symbols.setdefault("π", math.pi)
        self.store = store
        self.temps = set()
        self.ops = 0                 # element assignments executed (a work count)

    # -- names -------------------------------------------------------------
    def _is_capital(self, name):
        return name.isupper() and (name.lower() in self.indices or name not in self.sizes)

    def _tensor_key(self, name):
        if name.endswith("__grad"):
            base = name[:-6]
            if base in self.tensors:
                return base + ".grad"
            if base + ".grad" in self.temps:       # the gradient of a student's own quantity
                return base + ".grad"
            raise NotationError(f"unknown tensor {base!r}")
        if name in self.tensors:
            return name
        if name in self.temps:
            return name
        raise NotationError(f"unknown name {name!r}")

    def _get_arr(self, key):
        if key not in self.store:
            base = key[:-5] if key.endswith(".grad") else key
            if base in self.tensors and (key.endswith(".grad") or key == base):
                axes = self.tensors[base]
                shape = [self.indices[a][1] - self.indices[a][0] + 1 for a in axes]
                self.store[key] = Arr(np.zeros(shape), [self.indices[a][0] for a in axes])
            elif key in self.temps:
                self.store[key] = Temp()
            else:
                raise NotationError(f"no value for {key!r}")
        return self.store[key]

    def _axis_range(self, tname, pos):
        if tname in self.tensors:
            axes = self.tensors[tname]
            if pos < len(axes):
                return self.indices[axes[pos]]
        return None

    def _range_of(self, var, node_list):
        """Range of a loop variable or undeclared capital, inferred if needed."""
        low = var.lower()
        if low in self.indices:
            return self.indices[low]
        for node in node_list:
            for sub in ast.walk(node):
                if isinstance(sub, ast.Subscript) and isinstance(sub.value, ast.Name):
                    name = sub.value.id
                    base = name[:-6] if name.endswith("__grad") else name
                    for pos, e in enumerate(self._slices(sub)):
                        if isinstance(e, ast.Name) and e.id == var:
                            r = self._axis_range(base, pos)
                            if r is not None:
                                return r
        raise NotationError(f"cannot tell the range of index {var!r}")

    @staticmethod
    def _slices(sub):
        s = sub.slice
        return list(s.elts) if isinstance(s, ast.Tuple) else [s]

    # -- capitals ----------------------------------------------------------
    def _caps_in(self, node, bound):
        caps = set()
        for sub in ast.walk(node):
            if isinstance(sub, ast.Subscript):
                for e in self._slices(sub):
                    for nm in ast.walk(e):
                        if isinstance(nm, ast.Name) and nm.id not in bound and self._is_capital(nm.id):
                            caps.add(nm.id)
        return caps

    def _caps_here(self, node, bound):
        direct, children = set(), []

        def walk(n, root=False):
            if not root and _is_add(n):
                children.append(n)
                return
            if isinstance(n, ast.Call):
                children.extend(n.args)
                return
            if isinstance(n, ast.Compare):
                children.extend([n.left] + list(n.comparators))
                return
            if isinstance(n, ast.Subscript):
                direct.update(self._caps_in(n, bound))
                return
            for c in ast.iter_child_nodes(n):
                walk(c)

        walk(node, root=True)
        here = set(direct)
        counts = {}
        for ch in children:
            for c in self._caps_in(ch, bound):
                counts[c] = counts.get(c, 0) + 1
        here |= {c for c, k in counts.items() if k >= 2}
        return here

    # -- expressions -------------------------------------------------------
    def compile_term(self, node, bound, ctx_nodes):
        if _is_add(node):
            terms = []

            def flat(n, sign):
                if _is_add(n):
                    flat(n.left, sign)
                    flat(n.right, sign if isinstance(n.op, ast.Add) else -sign)
                else:
                    terms.append((sign, self.compile_term(n, bound, ctx_nodes)))
            flat(node, 1)
            return lambda env: sum(s * f(env) for s, f in terms)
        caps = sorted(self._caps_here(node, bound))
        inner = self.compile_inner(node, bound | set(caps), ctx_nodes)
        if not caps:
            return inner
        ranges = []
        for c in caps:
            lo, hi = self._range_of(c, ctx_nodes)
            ranges.append(range(lo, hi + 1))

        def summed(env):
            total = 0.0
            e = dict(env)
            for combo in itertools.product(*ranges):
                for c, v in zip(caps, combo):
                    e[c] = v
                total += inner(e)
            return total
        return summed

    def _sub(self, node, bound, ctx):
        return self.compile_term(node, bound, ctx) if _is_add(node) else self.compile_inner(node, bound, ctx)

    def compile_inner(self, node, bound, ctx):
        if isinstance(node, ast.Constant):
            if not isinstance(node.value, (int, float)):
                raise NotationError("not a number")
            v = float(node.value)
            return lambda env: v
        if isinstance(node, ast.UnaryOp):
            f = self._sub(node.operand, bound, ctx)
            if isinstance(node.op, ast.USub):
                return lambda env: -f(env)
            if isinstance(node.op, ast.UAdd):
                return f
            raise NotationError("bad unary operator")
        if isinstance(node, ast.BinOp):
            a = self._sub(node.left, bound, ctx)
            b = self._sub(node.right, bound, ctx)
            op = node.op
            if isinstance(op, ast.Mult):
                return lambda env: a(env) * b(env)
            if isinstance(op, ast.Div):
                def div(env):
                    x, y = a(env), b(env)
                    if y == 0:
                        return math.nan if x == 0 else math.copysign(math.inf, x)
                    return x / y
                return div
            if isinstance(op, ast.Pow):
                def pw(env):
                    x, y = a(env), b(env)
                    try:
                        r = x ** y
                    except (OverflowError, ZeroDivisionError):
                        return math.inf
                    return math.nan if isinstance(r, complex) else float(r)
                return pw
            if isinstance(op, (ast.Add, ast.Sub)):
                return self.compile_term(node, bound, ctx)
            raise NotationError("bad operator")
        if isinstance(node, ast.Compare):
            if len(node.ops) != 1:
                raise NotationError("chained comparison")
            a = self.compile_term(node.left, bound, ctx)
            b = self.compile_term(node.comparators[0], bound, ctx)
            cmp = {ast.Gt: lambda x, y: x > y, ast.GtE: lambda x, y: x >= y,
                   ast.Lt: lambda x, y: x < y, ast.LtE: lambda x, y: x <= y,
                   ast.Eq: lambda x, y: x == y}[type(node.ops[0])]
            return lambda env: 1.0 if cmp(a(env), b(env)) else 0.0
        if isinstance(node, ast.Call):
            if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS:
                raise NotationError(f"unknown function {ast.dump(node.func)}")
            fn = FUNCTIONS[node.func.id]
            if node.func.id == "delta":
                args = [self.compile_index(a, bound) for a in node.args]
            else:
                args = [self.compile_term(a, bound, ctx) for a in node.args]
            return lambda env: fn(*[f(env) for f in args])
        if isinstance(node, ast.Name):
            name = node.id
            if name in bound:
                return lambda env: float(env[name])
            if name in self.sizes:
                v = float(self.sizes[name])
                return lambda env: v
            if name in self.symbols:
                v = float(self.symbols[name])
                return lambda env: v
            key = self._tensor_key(name)
            if key in self.tensors and len(self.tensors[key]) != 0:
                raise NotationError(f"{name} needs indices")
            arr_key = key

            def read0(env):
                return self._get_arr(arr_key).get(())
            return read0
        if isinstance(node, ast.Subscript):
            if not isinstance(node.value, ast.Name):
                raise NotationError("bad subscript")
            key = self._tensor_key(node.value.id)
            idx = [self.compile_index(e, bound) for e in self._slices(node)]

            def read(env):
                return self._get_arr(key).get(tuple(f(env) for f in idx))
            return read
        raise NotationError(f"cannot read {ast.dump(node)[:40]}")

    def compile_index(self, node, bound):
        if isinstance(node, ast.Constant) and isinstance(node.value, int):
            v = node.value
            return lambda env: v
        if isinstance(node, ast.Name):
            name = node.id
            if name in bound:
                return lambda env: env[name]
            if name in self.sizes:
                v = int(self.sizes[name])
                return lambda env: v
            raise NotationError(f"unbound index {name!r}")
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            f = self.compile_index(node.operand, bound)
            return lambda env: -f(env)
        if isinstance(node, ast.BinOp):
            a = self.compile_index(node.left, bound)
            b = self.compile_index(node.right, bound)
            if isinstance(node.op, ast.Add):
                return lambda env: a(env) + b(env)
            if isinstance(node.op, ast.Sub):
                return lambda env: a(env) - b(env)
            if isinstance(node.op, ast.Mult):
                return lambda env: a(env) * b(env)
        raise NotationError("bad index expression")

    # -- statements --------------------------------------------------------
    def _loop_ranges(self, loops, nodes, bound):
        out = []
        for name, lo, hi in loops:
            if lo is None:
                a, b = self._range_of(name, nodes)
                out.append((name, list(range(a, b + 1))))
            else:
                a = self.compile_index(lo, bound)({})
                b = self.compile_index(hi, bound)({})
                out.append((name, list(range(a, b + 1)) if a <= b else list(range(a, b - 1, -1))))
        return out

    def _free_lower(self, nodes, bound):
        names = []
        for node in nodes:
            for sub in ast.walk(node):
                if isinstance(sub, ast.Subscript):
                    for e in self._slices(sub):
                        for nm in ast.walk(e):
                            if isinstance(nm, ast.Name) and nm.id not in bound and \
                                    not self._is_capital(nm.id) and nm.id not in self.sizes \
                                    and nm.id not in names:
                                names.append(nm.id)
        return names

    def compile_stmt(self, st: Stmt, bound):
        key_name = st.target
        if st.tgrad:
            key = key_name + ".grad"
            if key_name not in self.tensors:
                self.temps.add(key)            # the gradient of a student's own quantity
        elif key_name in self.tensors:
            key = key_name
        else:
            if key_name in self.sizes or key_name in self.symbols or key_name in FUNCTIONS:
                raise NotationError(f"line {st.line}: cannot assign to {key_name!r}")
            self.temps.add(key_name)       # written here: known from now on
            key = key_name
        tgt = ast.Subscript(value=ast.Name(id=key_name + ("__grad" if st.tgrad else "")),
                            slice=ast.Tuple(elts=list(st.tidx)))
        nodes = [tgt, st.rhs]
        explicit = self._loop_ranges(st.loops, nodes, bound)
        names = bound | {n for n, _ in explicit}
        for e in st.tidx:
            if self._caps_in(ast.Subscript(value=ast.Name(id="x"), slice=ast.Tuple(elts=[e])), names):
                raise NotationError(f"line {st.line}: a summed capital index in the target")
        implicit = []
        for n in self._free_lower([tgt], names):
            a, b = self._range_of(n, nodes)
            implicit.append((n, list(range(a, b + 1))))
        loops = explicit + implicit
        names = names | {n for n, _ in implicit}
        extra = self._free_lower([st.rhs], names)
        if extra:
            raise NotationError(f"line {st.line}: index {extra[0]!r} is not bound")
        rhs = self.compile_term(st.rhs, names, nodes)
        idx = [self.compile_index(e, names) for e in st.tidx]
        op = st.op
        if key in self.tensors and len(self.tensors[key]) != len(idx):
            raise NotationError(f"line {st.line}: {key} takes {len(self.tensors[key])} indices")
        if key.endswith(".grad") and key[:-5] in self.tensors and \
                len(self.tensors[key[:-5]]) != len(idx):
            raise NotationError(f"line {st.line}: {key} takes {len(self.tensors[key[:-5]])} indices")
        lnames = [n for n, _ in loops]
        lranges = [r for _, r in loops]

        def run(env):
            arr = self._get_arr(key)
            e = dict(env)
            for combo in itertools.product(*lranges):
                for n, v in zip(lnames, combo):
                    e[n] = v
                val = rhs(e)
                arr.put(tuple(f(e) for f in idx), val, op)
                self.ops += 1
        return run

    def compile_block(self, items, bound):
        runs = []
        for it in items:
            if isinstance(it, Block):
                loops = self._loop_ranges(it.loops, [], bound)
                inner = self.compile_block(it.body, bound | {n for n, _ in loops})

                def run_block(env, loops=loops, inner=inner):
                    e = dict(env)
                    for combo in itertools.product(*[r for _, r in loops]):
                        for (n, _), v in zip(loops, combo):
                            e[n] = v
                        inner(e)
                runs.append(run_block)
            else:
                runs.append(self.compile_stmt(it, bound))

        def run_all(env):
            for r in runs:
                r(env)
        return run_all

    def run(self, text):
        prog = parse(text)
        # the student's temporaries are known from the statements that write them, so
        # one read before it is written reads zeros (an order mistake, judged as such)
        def targets(items):
            for it in items:
                if isinstance(it, Block):
                    yield from targets(it.body)
                else:
                    yield it
        for st in targets(prog):
            if not st.tgrad and st.target not in self.tensors and st.target not in self.sizes \
                    and st.target not in self.symbols and st.target not in FUNCTIONS:
                self.temps.add(st.target)
        with np.errstate(all="ignore"):
            self.compile_block(prog, set())({})
        return self.store


def make_machine(problem, sizes, arrays: dict, symbols: dict):
    """A machine for `problem` (index ranges and tensor axes from its spec) holding the
    given arrays (keys 'name' or 'name.grad', NumPy arrays in spec axis order)."""
    import autograd_reference as ref
    sp = ref.spec(problem)
    indices = {n: ref.index_range(problem, n, sizes) for n in sp["index"]}
    tensors = ref.tensor_axes(problem)
    store = {}
    for key, a in arrays.items():
        base = key[:-5] if key.endswith(".grad") else key
        if base not in tensors:
            continue
        store[key] = Arr(np.asarray(a, dtype=float), [indices[ax][0] for ax in tensors[base]])
    return Machine(indices, tensors, dict(sizes), symbols, store)
