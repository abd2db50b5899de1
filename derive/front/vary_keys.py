"""A spec's `vary:` block, read and validated: what each variant of the problem may change.

A key of `vary:` is a name of the spec, and what varies follows from what the name is:

    vary:
      B: [2, 3, 4]                        # a size: one of these
      q: [0.5, 0.8, 0.9]                  # a symbol: replaced by one of these numbers
      relu: [relu, tanh, sigma]           # a function the program calls: one of these
      x: {integers: [-3, 3]}              # an input's values: integers in [-3, 3]
      t: [0, 1]                           # an input's values: one of these cases
      names: {s: [s, a, u], j: [j, k]}    # tensors and indices renamed
      parts: {a: {through: [[1], [2]]}}   # a part's key: one of these values
      cases: [{x: [1, 2], t: 1}, ...]     # joint choices: one of these mappings
      requires: [W.grad has no zero entry, B != J]
      statement: ...                      # the statement of every variant ({{x}}: its value)

The requirements are read by a small parser of their own (`REQUIREMENT`); nothing in a
spec is evaluated.  Drawing and applying a variant is derive.front.variants.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

import yaml

from derive.core.functions import VOCABULARY

SPECIAL = ("names", "parts", "cases", "requires", "statement")
KINDS = ("size", "constant", "function", "values", "rename", "part", "cases")
NUMBER = re.compile(r"^-?\d+(\.\d+)?(/\d+)?$")
TENSOR_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
INDEX_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
RESERVED = {"for", "in", "grad", "pi", "e", "oo"} | set(VOCABULARY)
MAX_CHOICES = 1000           # choices of one key (a list longer than this is a mistake)


@dataclass
class Component:
    """One thing a variant draws: `kind` (KINDS), the name it is about (a size, a
    symbol, a function, an input, a tensor or index to rename, `parts.a.through`,
    `cases`), and its choices (or an integer range for generated values)."""
    kind: str
    name: str
    key: str                               # key path, for messages: vary.names.s
    choices: list = field(default_factory=list)
    integers: tuple | None = None          # (low, high) for generated values
    label: str = ""                        # a part's label (kind part)
    part_key: str = ""                     # the part's key (kind part)

    def count(self) -> int | None:
        """The number of distinct choices (None: generated values)."""
        return None if self.integers is not None else len(self.choices)


@dataclass
class Operand:
    """A name in a requirement (a tensor, `X.grad`, a size or a symbol), or a number."""
    name: str | None = None
    number: float | None = None

    def __str__(self) -> str:
        return self.name if self.name is not None else f"{self.number:g}"


@dataclass
class Requirement:
    """`SUBJECT has no zero entry` (test nonzero, ...) or `LEFT OP RIGHT` (every entry)."""
    text: str
    key: str
    test: str                         # nonzero | nonnegative | nonpositive | distinct | compare
    left: Operand
    op: str = ""
    right: Operand | None = None


@dataclass
class Vary:
    components: list
    requires: list
    statement: str | None = None
    texts: dict = field(default_factory=dict)      # part label -> text template

    def renames(self) -> dict:
        return {c.name: c for c in self.components if c.kind == "rename"}

    def space(self) -> int | None:
        """How many distinct variants the choices make (None: values are generated)."""
        total = 1
        for c in self.components:
            n = c.count()
            if n is None:
                return None
            total *= n
        return total


# ---------------------------------------------------------------------------
# requirements: a small grammar, read token by token
# ---------------------------------------------------------------------------

TESTS = {
    "has no zero entry": "nonzero",
    "has no negative entry": "nonnegative",
    "has no positive entry": "nonpositive",
    "has distinct entries": "distinct",
}
OPS = ("<=", ">=", "!=", "==", "<", ">")
_TOKEN = re.compile(r"\s*(?:(?P<name>[A-Za-z][A-Za-z0-9_]*(?:\.grad)?)|"
                    r"(?P<number>-?\d+(?:\.\d+)?)|(?P<op><=|>=|!=|==|<|>))")
REQUIREMENT = ("`NAME has no zero entry`, `NAME has no negative entry`, `NAME has no "
               "positive entry`, `NAME has distinct entries`, or `A OP B` with OP one of "
               "< <= > >= == != (every entry), A and B names or numbers; NAME is a tensor, "
               "X.grad, a size or a symbol")


def parse_requirement(text: str, key: str, known) -> Requirement:
    """One requirement, or a ValueError whose message gives the column of the fault."""
    t = " ".join(str(text).split())
    for words, test in TESTS.items():
        if t.endswith(" " + words):
            subject = t[:-len(words) - 1].strip()
            if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*(\.grad)?", subject):
                raise ValueError(f"column 1: expected a name before {words!r} "
                                 f"(a requirement is {REQUIREMENT})")
            _known(subject, 1, known)
            return Requirement(t, key, test, Operand(subject))
    tokens, at = [], 0
    while at < len(t):
        m = _TOKEN.match(t, at)
        if not m or m.end() == at:
            at += len(t[at:]) - len(t[at:].lstrip())
            raise ValueError(f"column {at + 1}: cannot read {t[at:at + 12]!r} (a requirement "
                             f"is {REQUIREMENT})")
        kind = m.lastgroup
        tokens.append((kind, m.group(kind), m.start(kind) + 1))
        at = m.end()
    if len(tokens) != 3 or tokens[1][0] != "op" or "op" in (tokens[0][0], tokens[2][0]):
        raise ValueError(f"column 1: expected A OP B (a requirement is {REQUIREMENT})")
    sides = []
    for kind, value, col in (tokens[0], tokens[2]):
        if kind == "name":
            _known(value, col, known)
            sides.append(Operand(value))
        else:
            sides.append(Operand(number=float(value)))
    if sides[0].name is None and sides[1].name is None:
        raise ValueError("column 1: a requirement compares a name with a name or a number")
    return Requirement(t, key, "compare", sides[0], tokens[1][1], sides[1])


def _known(name: str, col: int, known):
    base = name[:-5] if name.endswith(".grad") else name
    if base not in known:
        raise ValueError(f"column {col}: unknown name {base!r} (a tensor, size or symbol of "
                         "the problem)")


# ---------------------------------------------------------------------------
# the block
# ---------------------------------------------------------------------------


def read_vary(L, raw, reader, part_keys: dict) -> Vary | None:
    """The validated `vary:` of a spec being read (reader: derive.front.spec._Reader,
    after its parts); every mistake names its key path (L.fail)."""
    if raw is None:
        return None
    L = _Located(L)
    if not isinstance(raw, dict) or not raw:
        L.fail("expected a mapping of names to their choices (see docs/specs.md, Variants)",
               "vary")
    ctx = _Names(reader)
    comps, requires, statement, texts = [], [], None, {}
    for name, value in raw.items():
        name, key = str(name), f"vary.{name}"
        if name == "names":
            comps += _renames(L, value, key, ctx)
        elif name == "parts":
            c, texts = _parts(L, value, key, reader, part_keys)
            comps += c
        elif name == "cases":
            comps.append(_cases(L, value, key, ctx, raw))
        elif name == "requires":
            items = value if isinstance(value, list) else [value]
            for k, text in enumerate(items):
                if not isinstance(text, str):
                    L.fail(f"expected a requirement as text: {REQUIREMENT}", f"{key}[{k}]")
                try:
                    requires.append(parse_requirement(text, f"{key}[{k}]", ctx.known))
                except ValueError as e:
                    at = re.match(r"column (\d+): ", str(e))
                    L.fail(str(e)[at.end():] if at else str(e), f"{key}[{k}]",
                           int(at.group(1)) - 1 if at else 0)
        elif name == "statement":
            if not isinstance(value, str):
                L.fail("expected the statement of the variants as text (use statement: |)",
                       key)
            statement = value
        else:
            comps.append(_component(L, name, value, key, ctx))
    return Vary(comps, requires, statement, texts)


class _Located:
    """The loader's `fail`, with the line and column of the key path in the spec's YAML
    and the line itself under a caret: `vary.names.s[1]` points at that name."""

    def __init__(self, L):
        self.L = L
        self.node = (getattr(L, "marks", None) or {}).get("vary")
        self.lines = str(getattr(L, "text", "") or "").split("\n")

    def fail(self, message, key=None, offset: int = 0):
        node = _node_at(self.node, key or "")
        if node is None:
            self.L.fail(message, key)
        mark, style = node
        line, col = mark.line + 1, mark.column + 1 + offset + (style in ("'", '"'))
        shown = self.lines[mark.line] if mark.line < len(self.lines) else ""
        self.L.fail(f"line {line}, column {col}: {message}\n    {shown}\n"
                    f"    {' ' * (col - 1)}^", key)


def _node_at(node, key: str):
    """(start mark, scalar style) of `vary.a.b[2]` in the YAML node of vary:, or None:
    a mapping step points at its key, a list step at the item."""
    steps = re.findall(r"\[(\d+)\]|([^.\[\]]+)", key)[1:]
    found = None
    for index, name in steps:
        if isinstance(node, yaml.MappingNode) and name:
            pair = next(((k, v) for k, v in node.value if k.value == name), None)
            if pair is None:
                break
            found, node = (pair[0].start_mark, ""), pair[1]
        elif isinstance(node, yaml.SequenceNode) and index and int(index) < len(node.value):
            node = node.value[int(index)]
            found = (node.start_mark, getattr(node, "style", None) or "")
        else:
            break
    return found


class _Names:
    """The names of the spec being read, by what they are."""

    def __init__(self, reader):
        self.sizes = set(reader.sizes)
        self.relations = set(reader.relations)
        self.symbols = set(reader.symbols)
        self.functions = {n: a for n, (_, a) in reader.functions.items()}
        self.tensors = {n: i for n, i in reader.program.tensors.items()
                        if not n.endswith(".grad")}
        self.indices = set(reader.indices)
        called = reader.program_text
        self.called = {n for n in VOCABULARY if re.search(rf"\b{n}\s*\(", called)}
        self.known = self.sizes | self.symbols | set(self.tensors)

    def kind(self, name: str) -> str | None:
        if name in self.sizes:
            return "size"
        if name in self.symbols:
            return "constant"
        if name in self.functions or name in self.called:
            return "function"
        info = self.tensors.get(name)
        if info is not None and info.role in ("input", "parameter"):
            return "values"
        return None


def _choices(L, value, key, what: str) -> list:
    if not isinstance(value, list) or not value:
        L.fail(f"expected a list of {what} to choose from", key)
    if len(value) > MAX_CHOICES:
        L.fail(f"more than {MAX_CHOICES} choices", key)
    return value


def _component(L, name, value, key, ctx, in_case=False) -> Component:
    kind = ctx.kind(name)
    if kind is None:
        what = ("a tensor the program computes (vary its inputs instead)"
                if name in ctx.tensors else "not a name of the problem")
        L.fail(f"{name!r} is {what}: a key of vary: is a size, a symbol, a function the "
               f"program calls, an input or parameter, or one of {', '.join(SPECIAL)}", key)
    choices = [value] if in_case else None
    if kind == "size":
        if name in ctx.relations:
            L.fail(f"{name} is computed from the other sizes: vary those instead", key)
        choices = choices or _choices(L, value, key, "sizes")
        for k, v in enumerate(choices):
            if not isinstance(v, int) or isinstance(v, bool) or not 1 <= v <= 64:
                L.fail("expected a positive integer size (at most 64)",
                       key if in_case else f"{key}[{k}]")
        return Component("size", name, key, list(choices))
    if kind == "constant":
        choices = choices or _choices(L, value, key, "numbers")
        out = []
        for k, v in enumerate(choices):
            text = _number_text(v)
            if text is None:
                L.fail("expected a number (3, -0.5, 0.01) or a fraction as text ('1/2')",
                       key if in_case else f"{key}[{k}]")
            out.append(text)
        return Component("constant", name, key, out)
    if kind == "function":
        arity = ctx.functions.get(name, 1)
        choices = choices or _choices(L, value, key, "functions")
        for k, v in enumerate(choices):
            if not isinstance(v, str) or v not in VOCABULARY or VOCABULARY[v][0] != arity:
                near = ", ".join(n for n, (a, _) in VOCABULARY.items() if a == arity)
                L.fail(f"expected a function of the notation with {arity} argument(s) "
                       f"({near})", key if in_case else f"{key}[{k}]")
        return Component("function", name, key, list(choices))
    # an input's values: cases, or generated integers
    if isinstance(value, dict) and not in_case:
        if set(value) != {"integers"}:
            L.fail("expected {integers: [low, high]} (values drawn entry by entry), or a "
                   "list of cases", key)
        lohi = value["integers"]
        if not (isinstance(lohi, list) and len(lohi) == 2
                and all(isinstance(x, int) and not isinstance(x, bool) for x in lohi)
                and lohi[0] <= lohi[1] and max(abs(x) for x in lohi) <= 10 ** 6):
            L.fail("expected two integers, low <= high (each at most 10^6 in size)",
                   f"{key}.integers")
        return Component("values", name, key, [], integers=(lohi[0], lohi[1]))
    choices = choices or _choices(L, value, key, "cases (numbers or nested lists)")
    for k, v in enumerate(choices):
        if not _is_array(v):
            L.fail("expected a number or a nested list of numbers",
                   key if in_case else f"{key}[{k}]")
    return Component("values", name, key, list(choices))


def _number_text(v) -> str | None:
    if isinstance(v, bool):
        return None
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        text = repr(v)
        return text if NUMBER.match(text) else None
    if isinstance(v, str) and NUMBER.match(v.strip()):
        return v.strip()
    return None


def _is_array(v, depth=0) -> bool:
    if isinstance(v, bool):
        return False
    if isinstance(v, (int, float)):
        return True
    return isinstance(v, list) and bool(v) and depth < 4 and len(v) <= 64 and \
        all(_is_array(x, depth + 1) for x in v)


def _renames(L, value, key, ctx) -> list:
    if not isinstance(value, dict) or not value:
        L.fail("expected a mapping of a tensor or index to the names it may take "
               "(s: [s, a, u])", key)
    out, taken = [], set()
    others = ctx.known | ctx.indices | set(ctx.functions) | \
        {n.upper() for n in ctx.indices}
    for name, choices in value.items():
        name, k = str(name), f"{key}.{name}"
        if name in ctx.indices:
            pattern, what = INDEX_NAME, "an index name is lower-case"
        elif name in ctx.tensors:
            pattern, what = TENSOR_NAME, "a tensor name is a letter followed by letters, " \
                                         "digits or _"
        else:
            L.fail(f"{name!r} is neither a tensor nor an index of the problem", k)
        choices = _choices(L, choices, k, "names")
        for j, new in enumerate(choices):
            new = str(new)
            if not pattern.match(new):
                L.fail(what, f"{k}[{j}]")
            if new in RESERVED:
                L.fail(f"{new!r} is a word of the notation", f"{k}[{j}]")
            clash = {new, new.upper()} if name in ctx.indices else {new}
            if new != name and clash & (others - set(value) - {n.upper() for n in value}):
                L.fail(f"{new!r} is already a name of the problem", f"{k}[{j}]")
        taken.add(name)
        out.append(Component("rename", name, k, [str(c) for c in choices]))
    return out


def _parts(L, value, key, reader, part_keys) -> tuple:
    if not isinstance(value, dict):
        L.fail("expected a mapping of part labels to the keys that vary", key)
    comps, texts = [], {}
    for label, keys in value.items():
        label, k = str(label), f"{key}.{label}"
        if label not in reader.parts:
            L.fail(f"no part {label!r} (parts: {', '.join(reader.parts)})", k)
        if not isinstance(keys, dict) or not keys:
            L.fail("expected a mapping of the part's keys to their choices "
                   "(through: [[1], [2]]), or text: for the variants' question", k)
        kind = reader.parts[label].kind
        for name, choices in keys.items():
            name = str(name)
            if name == "text":
                if not isinstance(choices, str):
                    L.fail("expected the question of the variants as text", f"{k}.text")
                texts[label] = choices
                continue
            if name not in part_keys.get(kind, ()):
                L.fail(f"a {kind} part has no key {name!r} to vary (keys: "
                       f"{', '.join(sorted(part_keys.get(kind, ())))})", f"{k}.{name}")
            comps.append(Component("part", f"parts.{label}.{name}", f"{k}.{name}",
                                   _choices(L, choices, f"{k}.{name}", "values"),
                                   label=label, part_key=name))
    return comps, texts


def _cases(L, value, key, ctx, raw) -> Component:
    if not isinstance(value, list) or not value or not all(isinstance(c, dict) and c
                                                           for c in value):
        L.fail("expected a list of cases, each a mapping of names to their values", key)
    cases = []
    for j, case in enumerate(value):
        one = {}
        for name, v in case.items():
            name = str(name)
            if name in raw:
                L.fail(f"{name} varies on its own as well (vary.{name})", f"{key}[{j}].{name}")
            one[name] = _component(L, name, v, f"{key}[{j}].{name}", ctx, in_case=True)
        if j and set(one) != set(cases[0]):
            L.fail("every case gives the same names", f"{key}[{j}]")
        cases.append(one)
    return Component("cases", "cases", key, cases)
