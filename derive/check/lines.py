
"""Checking expression answers: moments, solutions, bounds, costs and choices.

An answer is one line per quantity, `NAME = expression` (or `<=`, `≈`), or a
bare expression for the quantity the part is about (sigma_W for a solve part,
Var(y) for a variance part, the work or depth for a cost part).  Each line is
parsed by the notation parser, never evaluated, and compared with the engine's
result: symbolically (a simplified difference of zero is a proof) and at exact
random rational points (a symbolic "don't know" never decides alone).

A wrong expression gets a point where it differs and a diagnosis of the usual
mistakes: a sign, a constant factor, a square (variance for standard
deviation), two sizes swapped (fan-in and fan-out), a size off by one (layers
l and l+1), a term missing or extra.  Cost parts are judged by the order of
growth in the size they ask about (`O(T)`), not by a counting convention.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import sympy as sp

from derive.core.errors import NotationError
from derive.front.spec import answer_scope as loops_scope
from derive.front import notation as N
from derive.front.resolve import Resolver
from derive.front.statement import _StmtState

RELATIONS = ("<=", ">=", "~=", "≤", "≥", "≈", "=")
_SAME_RELATION = {"<=": "≤", ">=": "≥", "~=": "≈"}
ORDER_WRAPPERS = ("O", "Theta", "Θ", "Omega", "Ω")   # O(T): the growth T


@dataclass
class Line:
    """One answer line: `label relation expr` (label None for a bare expression)."""
    number: int          # 1-based line in the answer text
    label: str | None
    relation: str
    text: str            # the expression text, padded so columns match the line
    value: object = None  # the parsed SymPy expression
    decimals: object = None  # the value with its decimals as symbols (read_decimals)
    inner: bool = False  # a link of a chain that another link follows (`= n σ² E[h²] =`)


# --------------------------------------------------------------------------
# reading the answer
# --------------------------------------------------------------------------


def split_relation(line: str):
    """(label, relation, rest) at the first relation outside brackets, else
    (None, '=', line)."""
    depth = 0
    for i, ch in enumerate(line):
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
        elif depth == 0:
            for r in RELATIONS:
                if line.startswith(r, i) and not line.startswith("==", i):
                    return line[:i].strip(), _SAME_RELATION.get(r, r), line[i + len(r):]
    return None, "=", line


def read_lines(text: str) -> list:
    out = []
    for k, raw in enumerate(text.split("\n"), 1):
        code = raw.split("#", 1)[0].rstrip()
        if not code.strip():
            continue
        label, rel, rest = split_relation(code)
        pad = len(code) - len(rest)
        # a chain `sigma_W = 1/sqrt(d) = d^(-1/2)`: every link is an answer for the label
        while True:
            more, rel2, tail = split_relation(rest)
            if more is None or rel2 != "=" or rel != "=":
                break
            head = rest[:len(rest) - len(tail) - 1]
            out.append(Line(k, label or None, rel, " " * pad + head, inner=True))
            pad += len(rest) - len(tail)
            rest = tail
        out.append(Line(k, label or None, rel, " " * pad + rest))
    if not out:
        raise NotationError("expected an expression, or lines such as `sigma_W = 1/sqrt(n)`",
                            "answer", 1, 1, text)
    return out


_HEDGE = re.compile(r"\s+or\s+(?:else\s+|maybe\s+|perhaps\s+|possibly\s+|equivalently\s+)?",
                    re.I)


def hedges_as_links(text: str):
    """`Var(s) = 2v²/(B−1) or 2v²/B`: each value after an `or` (outside brackets) is one
    more answer for the line's label, judged like a chain's links: right only when every
    one is right.  Only on a line with a relation before the `or`; the columns are kept.
    (text, how it was read or None)."""
    lines, said = [], None
    for line in text.split("\n"):
        label, _, rest = split_relation(line)
        if label is None:
            lines.append(line)
            continue
        out, depth, k = [], 0, 0
        while k < len(rest):
            ch = rest[k]
            depth += ch in "([{"
            depth -= ch in ")]}"
            m = _HEDGE.match(rest, k) if depth == 0 else None
            if m and any(c.strip() for c in out):
                out.append(" = ".ljust(max(3, m.end() - k)))
                said = "read the values joined by `or` as answers each: all must be right"
                k = m.end()
                continue
            out.append(ch)
            k += 1
        lines.append(line[:len(line) - len(rest)] + "".join(out))
    return "\n".join(lines), said


_ENTRY_INDICES = re.compile(r"(?<=[\w)])\s*\[[^\[\]]*\]")


def norm_label(s: str) -> str:
    """A label compared without its spelling: `Var[z1[j]]` is `Var(z1)` (an entry's
    indices name any entry), `**` is `^`."""
    s = s.strip()
    m = re.match(r"^(Var|E|Std|Cov)\s*\[(.*)\]$", s)
    if m:                                      # Var[x] for Var(x)
        s = f"{m.group(1)}({m.group(2)})"
    m = re.match(r"^(Var|E|Std|Cov)\s*\((.*)\)$", s)
    if m:                                      # Var(z1[j]) for Var(z1)
        inner = _ENTRY_INDICES.sub("", m.group(2))
        s = f"{m.group(1)}({inner})"
    s = s.replace("**", "^").replace("[", "(").replace("]", ")").replace("σ", "sigma")
    return re.sub(r"\s+", "", s).lower()


def layer_variance_label(label: str) -> str | None:
    """`sigma_l^2`, `σ_{l+1}²`: the layer variance sigma2(l) of a recurrence, normalized."""
    m = re.match(r"^sigma_\(?([\w+\-]+?)\)?\^2$", norm_label(label))
    return f"sigma2({m.group(1)})" if m else None


def strip_order(line: Line) -> bool:
    """`O(T log N)` -> `T log N` in place (columns kept); True when wrapped."""
    m = re.match(r"^(\s*)(%s)\s*\(" % "|".join(ORDER_WRAPPERS), line.text)
    if not m:
        return False
    depth, start = 0, m.end() - 1
    for i in range(start, len(line.text)):
        if line.text[i] == "(":
            depth += 1
        elif line.text[i] == ")":
            depth -= 1
            if depth == 0:
                if line.text[i + 1:].strip():
                    return False      # O(T) + ...: not a single order
                line.text = (" " * (start + 1) + line.text[start + 1:i] + " "
                             + line.text[i + 1:])
                return True
    return False


def answer_scope(spec, results):
    """The spec's names, plus what the results use: their symbols (v, g, l), the
    functions of a recurrence (sigma2(l)), and pi."""
    scope = loops_scope(spec).copy()
    for r in results:
        if isinstance(r.value, str):
            continue
        for s in r.value.free_symbols:
            scope.symbols.setdefault(s.name, s)
        for f in r.value.atoms(sp.core.function.AppliedUndef):
            scope.functions.setdefault(f.func.__name__, (f.func, len(f.args)))
    scope.symbols.setdefault("pi", sp.pi)
    return scope


def parse_line(spec, scope, line: Line, full_text: str, part=None):
    text = line.text.replace("π", "pi")
    try:
        node = N.parse_expression(text, "answer")
        scope = scope.copy()
        node, given = _assumed_moments(node, _known_moments(spec, part, scope), scope)
        r = Resolver(scope, "answer", text, None, 0, answer=True)
        fake = N.Stmt(1, 1, N.Name(1, 1, "_"), "=", node, [], False, text)
        value, opened = _StmtState(r, fake, {}).expr(node)
        if opened:
            r.err(node, "an expression answer cannot sum over capital indices")
        if given:
            value = value.xreplace(given)
    except NotationError as e:
        message = e.message
        juxtaposed = re.match(r"unexpected '[A-Za-z0-9_(]", message)
        if juxtaposed and message.endswith("after the expression"):
            message += " (write a product with *, e.g. T*log(J) or n*v*sigma_W^2)"
        raise NotationError(message, "answer", line.number, e.column, full_text) from None
    return value


_MOMENT_CALLS = {"Var": "variance", "E": "mean", "Mean": "mean", "P": "chance",
                 "Pr": "chance"}


def _known_moments(spec, part, scope) -> dict:
    """tensor -> {mean, variance} an answer may name on its right side: the assumed law
    of an input (`assume:`), or, in a part asking for a recurrence, the layer variance
    sigma2(l) of its `from` tensor and sigma2(l + 1) of its `of` tensor (Var(m_t),
    Var(m_{t+1})), which come before any assumption at layer 0."""
    args = getattr(part, "args", None) or {}
    laws = {**(getattr(spec, "assume", None) or {}), **(args.get("given") or {})}
    known = {k: v for k, v in laws.items() if "constant" not in v}
    rec = args.get("recurrence")
    if rec:
        grad = rec["from"].endswith(".grad")
        f = next((fn for name, (fn, n) in scope.functions.items()
                  if n == 1 and name == ("sigma2_grad" if grad else "sigma2")), None)
        if f is None:
            return known
        layer = rec["layer"]
        known[rec["from"]] = {"mean": None, "variance": f(layer)}
        known[args["of"]] = {"mean": None, "variance": f(layer + 1)}
    return known


def _assumed_moments(node, assume: dict, scope):
    """`Var(z0)`, `E[x0]`, `E[z0^2]` of a tensor the spec assumes (an input's law): its
    assumed value, as the answer may state the result in terms of it (Var(z1) =
    (n/2) σ_W² Var(z0)). (new tree, {placeholder symbol: value})."""
    given: dict = {}

    def moment(n):
        if isinstance(n, N.Call) and isinstance(n.func, N.Name):
            name, args = n.func.id, n.args
        elif isinstance(n, N.Index) and isinstance(n.base, N.Name):
            name, args = n.base.id, n.indices
        else:
            return None
        if name not in _MOMENT_CALLS or len(args) != 1:
            return None
        arg, power = args[0], 1
        if _MOMENT_CALLS[name] == "chance" and not isinstance(arg, N.Compare):
            return None                     # P(x > 0) only: a chance of a comparison
        if name != "Var" and isinstance(arg, N.Compare) and arg.op in (">", ">=", "<", "<=") \
                and isinstance(arg.right, N.Num) and _number_text(arg.right.text) == 0:
            # E[1[x > 0]]: the chance that x is positive, 1/2 for a centred normal law
            x = arg.left.base if isinstance(arg.left, N.Index) else arg.left
            law = assume.get(x.id) if isinstance(x, N.Name) else None
            if law and law.get("distribution") == "normal" and _number(law.get("mean")) == 0:
                return sp.Rational(1, 2)
            return None
        if isinstance(arg, N.BinOp) and arg.op == "^" and isinstance(arg.right, N.Num) and \
                arg.right.text == "2" and name != "Var":
            arg, power = arg.left, 2
        if isinstance(arg, N.Index) and isinstance(arg.base, (N.Name, N.Grad)):
            arg = arg.base                  # an entry: the entries share their law
        if isinstance(arg, N.Grad) and isinstance(arg.base, N.Name):
            name_of = arg.base.id + ".grad"      # Var(y.grad): an upstream gradient's law
        else:
            name_of = arg.id if isinstance(arg, N.Name) else None
        law = assume.get(name_of) if name_of else None
        if not law:
            return None
        mean, var = _number(law.get("mean")), _number(law.get("variance"))
        if name == "Var":
            return var
        if mean is None or var is None:
            return None
        return mean if power == 1 else var + mean ** 2

    def children(n):
        """(field, position or None, child) of a syntax node."""
        for f in getattr(n, "__dataclass_fields__", ()):
            v = getattr(n, f)
            if isinstance(v, N.Node):
                yield f, None, v
            elif isinstance(v, list):
                for k, x in enumerate(v):
                    if isinstance(x, N.Node):
                        yield f, k, x

    found, names = [], []        # [(path, node, value)], [(path, capital)]

    def search(n, path, within=False):
        value = None if within else moment(n)
        if value is not None:
            found.append((path, n, value))
        for f, k, c in children(n):
            search(c, path + ((f, k),), within or value is not None)
        if isinstance(n, N.Name) and n.id[:1].isupper() and n.id.lower() in scope.indices:
            names.append((path, n.id))

    def put(root, path, new):
        if not path:
            return new
        *up, (f, k) = path
        parent = root
        for g, j in up:
            parent = getattr(parent, g) if j is None else getattr(parent, g)[j]
        if k is None:
            setattr(parent, f, new)
        else:
            getattr(parent, f)[k] = new
        return root

    def at(root, path):
        for g, j in path:
            root = getattr(root, g) if j is None else getattr(root, g)[j]
        return root

    def placeholder(value, near):
        sym = sp.Dummy(f"_assumed_moment{len(given)}")
        given[sym] = value
        scope.symbols[sym.name] = sym
        return N.Name(near.line, near.col, sym.name)

    search(node, ())
    inside = [p for p, _, _ in found]
    wraps = []
    # a capital read only inside the moments replaced (∑_i Var(W[j, i]) Var(x[i])): its sum
    # counts the term once per value, over the term that holds all its occurrences
    for cap in dict.fromkeys(c for _, c in names):
        where = [p for p, c in names if c == cap]
        if not any(any(p[:len(q)] == q for q in inside) for p in where) or \
                not all(any(p[:len(q)] == q for q in inside) for p in where):
            continue
        common = where[0]
        for p in where[1:]:
            k = 0
            while k < min(len(common), len(p)) and common[k] == p[k]:
                k += 1
            common = common[:k]
        common = min((q for q in inside if common[:len(q)] == q), key=len, default=common)
        lo, hi = scope.indices[cap.lower()]
        wraps.append((common, hi - lo + 1))
    for path, n, value in found:
        node = put(node, path, placeholder(value, n))
    for path, count in sorted(wraps, key=lambda w: -len(w[0])):
        here = at(node, path)
        node = put(node, path, N.BinOp(here.line, here.col, "*", placeholder(count, here), here))
    return node, given


def _number(x):
    """A spec's already parsed value as a SymPy expression (None for anything else)."""
    if isinstance(x, sp.Basic):
        return x
    if isinstance(x, bool):
        return None
    if isinstance(x, int):
        return sp.Integer(x)
    if isinstance(x, float):
        return sp.Float(x)
    return None


def _number_text(text: str):
    try:
        return float(text)
    except ValueError:
        return None
