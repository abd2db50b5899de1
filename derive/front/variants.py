"""Variants of a problem: `softmax#17` drawn from the spec's `vary:` and applied to the spec.

A draw is a function of the problem id, the variant's number and the attempt (a draw the
requirements refuse is drawn again): every choice comes from sha256, so the same variant
is the same problem on every machine and in every run.  Applying a draw rewrites the
spec's YAML (sizes, values, constants, functions, names, part keys) and reads it again
with the ordinary loader, so everything downstream (derivation, verification, the sheet,
the key and the checker) sees the varied problem as if an instructor had written it.

Renaming is by tokens: in the notation (program, values, claims, assumptions, part keys)
every identifier that is a renamed name, and in prose (the statement, the questions) the
identifiers inside math ($...$) and code (`...`) spans, and `NAME.grad` anywhere.
`{{x}}` in prose is the variant's value of x (a size, constant, function, name or input).
"""
from __future__ import annotations

import copy
import hashlib
import re
from dataclasses import dataclass, field

import numpy as np
import yaml

from derive.core.errors import SpecError
from derive.core.functions import LATEX, VOCABULARY
from derive.core.program import tensor_layout
from derive.front.spec import Spec, parse_spec

SALT = "derive-variant-v1"
PROSE_KEYS = {"statement", "text", "answer", "note", "notes", "seed_note", "title"}
KEEP_KEYS = {"id", "source", "course", "ask", "options", "measure", "approximate", "latex",
             "show_program", "points", "all_or_nothing", "numeric", "open", "matrix"}
NAMED_SECTIONS = ("index", "sizes", "tensors", "assume", "symbols", "functions")
_VARIANT = re.compile(r"^(?P<problem>[^#\s]+)#(?P<k>\S*)$")


class Redraw(Exception):
    """A draw that cannot be a variant (two renamed names alike, a requirement broken)."""


@dataclass
class Variant:
    """Variant `k` of a problem: the choices it made (readable), its renames, and the
    attempt whose draw met the requirements."""
    problem: str
    k: int
    choices: dict = field(default_factory=dict)     # key path -> value (as drawn)
    renames: dict = field(default_factory=dict)     # old name -> new name
    attempt: int = 0
    names: dict = field(default_factory=dict)       # every name renamed (J -> K too)
    constants: dict = field(default_factory=dict)   # symbol -> the number it became
    aliases: dict = field(default_factory=dict)     # renamed name -> all names it may take

    @property
    def name(self) -> str:
        return f"{self.problem}#{self.k}"

    def describe(self) -> str:
        """`B = 3, s -> u, relu -> tanh`: what this variant chose."""
        out = []
        for key, v in self.choices.items():
            name = key.split(".", 1)[1] if key.startswith("vary.") else key
            if key.startswith("vary.names."):
                if v != name.split(".")[-1]:
                    out.append(f"{name.split('.')[-1]} -> {v}")
            else:                               # a size of a renamed index: its new name
                out.append(f"{self.names.get(name, name)} = {_short(v)}")
        return ", ".join(out) or "as written"

    def fingerprint(self) -> str:
        """The choices, as one string: two variant numbers with the same are one problem."""
        return repr(sorted((k, repr(v)) for k, v in self.choices.items()))


def _short(v) -> str:
    if isinstance(v, np.ndarray):
        v = v.tolist()
    return str(v).replace(" ", "")


def parse_variant_name(text: str) -> tuple:
    """`softmax#17` -> ('softmax', 17); `softmax` -> ('softmax', None)."""
    m = _VARIANT.match(text.strip())
    if not m:
        return text, None
    k = m.group("k")
    if not k.isdigit() or len(k) > 9 or int(k) < 1:
        raise SpecError(f"{text!r}: a variant is PROBLEM#N with N a whole number from 1 "
                        f"(softmax#17)", text)
    return m.group("problem"), int(k)


def unit(*parts) -> int:
    """A 64-bit integer from sha256 of the parts: the only source of randomness here."""
    h = hashlib.sha256("\0".join(str(p) for p in (SALT,) + parts).encode()).digest()
    return int.from_bytes(h[:8], "big")


# ---------------------------------------------------------------------------
# drawing
# ---------------------------------------------------------------------------


def draw(spec: Spec, k: int, attempt: int = 0) -> Variant:
    """The choices of variant k (at this attempt); Redraw when they cannot go together."""
    if spec.vary is None:
        raise SpecError(f"problem {spec.id!r} has no vary: block, so it has no variants",
                        spec.path, "vary")
    v = Variant(spec.id, k, attempt=attempt)
    sizes = {}
    for c in spec.vary.components:
        if c.kind == "cases":
            case = c.choices[unit(spec.id, k, attempt, c.key) % len(c.choices)]
            v.choices[c.key] = {n: one.choices[0] for n, one in case.items()}
            sizes.update({n: one.choices[0] for n, one in case.items() if one.kind == "size"})
        elif c.integers is None:
            v.choices[c.key] = c.choices[unit(spec.id, k, attempt, c.key) % len(c.choices)]
            if c.kind == "size":
                sizes[c.name] = v.choices[c.key]
            if c.kind == "rename":
                v.renames[c.name] = v.choices[c.key]
                v.aliases[c.name] = [c.name] + [n for n in c.choices if n != c.name]
    at = spec.sizes_at(sizes) if sizes else spec.default_sizes()
    for c in spec.vary.components:
        if c.integers is not None:
            shape, _ = tensor_layout(spec.program.tensors[c.name], at)
            lo, hi = c.integers
            n = int(np.prod(shape))
            if n > 4096:
                raise Redraw(f"{c.name} would have {n} entries to draw")
            flat = [lo + unit(spec.id, k, attempt, c.key, j) % (hi - lo + 1) for j in range(n)]
            v.choices[c.key] = np.array(flat, dtype=int).reshape(shape).tolist()
    new = [n for n in v.renames.values()]
    if len(set(new)) != len(new):
        raise Redraw("two names renamed alike")
    return v


def apply_variant(spec: Spec, v: Variant) -> Spec:
    """The spec of variant v: its YAML rewritten and read again by the loader."""
    raw = copy.deepcopy(spec.raw)
    raw.pop("vary", None)
    plan = _Plan(spec, v)
    for key, value in v.choices.items():
        if key == "vary.cases":
            for name, one in value.items():
                plan.choose(name, one)
        elif key.startswith("vary.parts."):
            _, _, label, part_key = key.split(".", 3)
            raw["parts"][label][part_key] = copy.deepcopy(value)
        elif key.startswith("vary.names."):
            plan.rename(key[len("vary.names."):], value)
        else:
            plan.choose(key[len("vary."):], value)
    if spec.vary.statement is not None:
        raw["statement"] = spec.vary.statement
    for label, text in spec.vary.texts.items():
        raw["parts"][label]["text"] = text
    plan.rewrite(raw)
    v.names = {a: b for a, b in plan.subs.items() if a not in plan.constants
               and a not in plan.functions}
    v.constants = dict(plan.constants)
    text = yaml.safe_dump(raw, sort_keys=False, allow_unicode=True, width=10 ** 6)
    out = parse_spec(text, spec.path)
    out.variant = v
    return out


class _Plan:
    """What a variant does to the names of a spec: token substitutions in the notation
    (`subs`), in prose math (`prose`), the {{name}} placeholders, sizes and values."""

    def __init__(self, spec: Spec, v: Variant):
        self.spec, self.v = spec, v
        self.subs, self.prose, self.places = {}, {}, {}
        self.sizes, self.values, self.drop = {}, {}, {}
        self.latex_subs = {}
        self.constants, self.functions = {}, set()
        self.one_letter = {n for n in (set(spec.size_symbols) | set(spec.symbols)
                                       | set(spec.program.indices)
                                       | {n.upper() for n in spec.program.indices}
                                       | set(spec.program.tensors)) if len(n) == 1}

    def choose(self, name: str, value):
        s = self.spec
        if name in s.size_symbols:
            self.sizes[name] = value
            self.places[name] = str(value)
        elif name in s.symbols:
            text = str(value)
            self.subs[name] = text if re.fullmatch(r"\d+(\.\d+)?", text) else f"({text})"
            self.prose[name] = number_latex(text)
            self.places[name] = number_latex(text)
            latex = (s.raw.get("symbols") or {}).get(name) or {}
            if isinstance(latex, dict) and latex.get("latex") and latex["latex"] != name:
                self.latex_subs[str(latex["latex"])] = number_latex(text)
            self.drop[("symbols", name)] = True
            self.constants[name] = text
        elif name in s.program.tensors:
            self.values[name] = value
            self.places[name] = array_latex(value)
        else:                                   # a function
            self.subs[name] = value
            self.prose[name] = function_latex(value)
            self.places[name] = function_latex(value)
            self.drop[("functions", name)] = True
            self.functions.add(name)

    def rename(self, name: str, new: str):
        self.subs[name] = new
        self.prose[name] = new
        self.places[name] = new
        if name in self.spec.program.indices:
            self.subs[name.upper()] = new.upper()
            self.prose[name.upper()] = new.upper()

    # ---- the rewrite -------------------------------------------------------

    def rewrite(self, raw: dict):
        for section, name in self.drop:
            raw.get(section, {}).pop(name, None)
        for section in ("symbols", "functions"):
            if section in raw and not raw[section]:
                raw.pop(section)
        if self.sizes:
            raw["sizes"] = {**(raw.get("sizes") or {}), **self.sizes}
        dropped = {name for section, name in self.drop if section == "symbols"}
        if self.values or (dropped and raw.get("values")):
            raw["values"] = replace_values(raw.get("values") or "", self.values, dropped)
        for name, info in (raw.get("tensors") or {}).items():
            if isinstance(info, dict) and info.get("latex") == name and name in self.subs:
                info["latex"] = self.subs[name]
            elif isinstance(info, dict) and name in self.subs and "latex" in info:
                info.pop("latex")               # its display name was of the old name
        self.walk(raw, ())

    def walk(self, node, path):
        if isinstance(node, dict):
            named = path and (path[0] in NAMED_SECTIONS or path[-1] == "given")
            for k in list(node):
                v = node.pop(k)
                key = str(k)
                if key in PROSE_KEYS and isinstance(v, str):
                    v = self.prose_text(v)
                elif key not in KEEP_KEYS:
                    v = self.walk(v, path + (key,))
                if named:
                    key = self.notation(key)
                node[key] = v
            return node
        if isinstance(node, list):
            return [self.walk(x, path) for x in node]
        if isinstance(node, str):
            return self.notation(node)
        return node

    def notation(self, text: str) -> str:
        """Identifiers of the notation replaced (not `grad` after a dot, not inside a
        number); a constant becomes its number."""
        if not self.subs:
            return text
        return _IDENT.sub(lambda m: self.subs.get(m.group(0), m.group(0)), text)

    def prose_text(self, text: str) -> str:
        out, at = [], 0
        for m in _SPANS.finditer(text):
            out.append(self.outside(text[at:m.start()]))
            span = m.group(0)
            out.append(self.notation(span) if span.startswith("`") else self.math(span))
            at = m.end()
        out.append(self.outside(text[at:]))
        return "".join(out)

    def outside(self, text: str) -> str:
        text = _PLACE.sub(self.placeholder, text)
        return _GRAD.sub(lambda m: self.prose.get(m.group(1), m.group(1)), text)

    def placeholder(self, m) -> str:
        name = m.group(1)
        if name not in self.places:
            return self.prose.get(name, name)
        return self.places[name]

    def math(self, span: str) -> str:
        for latex, value in sorted(self.latex_subs.items(), key=lambda x: -len(x[0])):
            span = re.sub(re.escape(latex) + r"(?![A-Za-z])", lambda _m: value, span)

        def one(m):
            if m.group("place"):
                return self.placeholder(re.match(r"\{\{\s*(\w+)\s*\}\}", m.group(0)))
            word = m.group("word")
            if word is None:
                return m.group(0)
            if word in self.prose:
                return self.prose[word]
            if len(word) > 1 and all(ch in self.one_letter for ch in word) and \
                    any(ch in self.prose for ch in word):
                return "".join(self.prose.get(ch, ch) for ch in word)  # BJ is B times J
            return word
        return _MATH_TOKEN.sub(one, span)


# identifiers of the notation: not after a single dot (W.grad) nor inside a word or number
_IDENT = re.compile(r"(?<![\w])(?<![^.]\.)(?<!^\.)[A-Za-z_][A-Za-z0-9_]*")
_SPANS = re.compile(r"\$\$.*?\$\$|\$.*?\$|\\\(.*?\\\)|\\\[.*?\\\]|`[^`\n]*`", re.S)
_PLACE = re.compile(r"\{\{\s*(\w+)\s*\}\}")
_GRAD = re.compile(r"(?<![\w\\])([A-Za-z][A-Za-z0-9_]*)(?=\.grad\b)")
_MATH_TOKEN = re.compile(r"(?P<place>\{\{\s*\w+\s*\}\})|(?P<cmd>\\[A-Za-z]+)|"
                         r"(?P<word>[A-Za-z][A-Za-z0-9]*)")


def replace_values(text: str, given: dict, dropped=()) -> str:
    """The `values:` text with the lines of the names in `given` replaced (or added), and
    those of `dropped` (symbols that became numbers) left out."""
    lines, out, skipping = text.split("\n"), [], False
    head = re.compile(r"^\s*([A-Za-z][A-Za-z0-9_]*(?:\.grad)?)\s*=")
    for line in lines:
        m = head.match(line)
        if m:
            skipping = m.group(1) in given or m.group(1) in dropped
        if not skipping:
            out.append(line)
    body = "\n".join(x for x in out if x.strip())
    added = "\n".join(f"{name} = {_literal(value)}" for name, value in given.items())
    return (body + "\n" + added if body else added) + "\n"


def _literal(value) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(_literal(x) for x in value) + "]"
    return repr(value) if isinstance(value, float) else str(value)


# ---------------------------------------------------------------------------
# the LaTeX of a choice, for {{name}} and the renamed prose
# ---------------------------------------------------------------------------


def number_latex(text: str) -> str:
    """`1/2` -> \\tfrac{1}{2}, `-0.5` -> -0.5."""
    text = str(text).strip()
    if "/" in text:
        num, den = text.split("/")
        sign = "-" if num.startswith("-") else ""
        return rf"{sign}\tfrac{{{num.lstrip('-')}}}{{{den}}}"
    return text


def array_latex(value) -> str:
    """A number, a vector (1, 2) or a matrix (pmatrix)."""
    if not isinstance(value, list):
        return number_latex(_literal(value))
    if value and isinstance(value[0], list):
        rows = [" & ".join(array_latex(x) for x in row) for row in value]
        return r"\begin{pmatrix} " + r" \\ ".join(rows) + r" \end{pmatrix}"
    return "(" + ", ".join(array_latex(x) for x in value) + ")"


def function_latex(name: str) -> str:
    fn = VOCABULARY[name][1]
    return LATEX.get(fn) or rf"\operatorname{{{name}}}"
