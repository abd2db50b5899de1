"""`derive lint`: what a spec declares and nothing reads, keys docs/specs.md does not
document, and names the answer key would print raw, found without deriving anything.

Each finding names the file, the key path and the line and column of that key in the
YAML file (inside program or values text: of the name itself), with a one-line message.
A spec that does not load for a reason no finding explains is an error (exit code 2).
"""
from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field, fields
from pathlib import Path

import sympy as sp
import yaml
from sympy.printing.latex import LatexPrinter

from derive.core.errors import DeriveError, SpecError
from derive.core.naming import display_name
from derive.front import notation as N
from derive.front.keys import KNOWN_KEYS, part_keys
from derive.front.spec import PART_KEYS, _Loader, load_spec

_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
PROSE_KEYS = ("text", "note", "seed_note", "answer")   # a part's words, not its names


@dataclass
class Finding:
    file: str
    key: str          # the key path, `tensors.W.latex`
    line: int
    column: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}: {self.key}: {self.message}"


@dataclass
class LintReport:
    path: str
    findings: list = field(default_factory=list)
    error: DeriveError | None = None     # the spec does not load (not explained by a finding)


def lint_spec(path) -> LintReport:
    """Lint one spec file: its findings, and the load error no finding explains."""
    path = str(path)
    report = LintReport(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as e:
        report.error = SpecError(f"cannot read the spec: {e.strerror}", path)
        return report
    try:
        data = _Loader(path, text).load()
        root = yaml.compose(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except SpecError as e:
        report.error = e
        return report
    report.findings = _Linter(path, text, data, root).run()
    try:
        load_spec(path)
    except SpecError as e:
        if not any(_explains(f.key, e.key) for f in report.findings):
            report.error = e
    except DeriveError as e:
        report.error = e
    return report


def _explains(found: str, failed: str | None) -> bool:
    return failed is not None and (found == failed or failed.startswith(found + ".")
                                   or found.startswith(failed + "."))


def _words(value) -> set:
    """The names in a YAML value (strings, and the keys and items of mappings and lists)."""
    if isinstance(value, dict):
        return set().union(*(_words(k) | _words(v) for k, v in value.items())) if value else set()
    if isinstance(value, list):
        return set().union(*(_words(v) for v in value)) if value else set()
    return set(_WORD.findall(str(value))) if isinstance(value, str) else set()


def _walk(node):
    yield node
    for f in fields(node):
        v = getattr(node, f.name)
        for x in (v if isinstance(v, list) else [v]):
            if isinstance(x, N.Node):
                yield from _walk(x)


def _capitals(node, indices) -> set:
    """The capital indices (I for a declared index i) read inside a syntax tree."""
    out = set()
    for n in _walk(node):
        if isinstance(n, N.Index):
            for e in n.indices:
                if isinstance(e, N.Name) and e.id.isupper() and e.id.lower() in indices:
                    out.add(e.id)
    return out


def _contracted(node, cap) -> bool:
    """Does some product in the tree multiply two factors that both read `cap`
    (W[j, I] * x[I], a contraction), or divide one by another?"""
    indices = {cap.lower()}
    for n in _walk(node):
        if isinstance(n, N.BinOp) and n.op in ("*", "/") and \
                cap in _capitals(n.left, indices) and cap in _capitals(n.right, indices):
            return True
        if isinstance(n, N.BinOp) and n.op == "^" and cap in _capitals(n.left, indices):
            return True                        # x[I]^2: a sum of squares
    return False


def _target_name(node):
    while isinstance(node, (N.Index, N.Grad)):
        node = node.base
    return node if isinstance(node, N.Name) else None


class _Linter:
    def __init__(self, path, text, data, root):
        self.path, self.text, self.data, self.root = path, text, data, root
        self.lines = text.split("\n")
        self.found: list[Finding] = []

    # ---- positions ------------------------------------------------------

    def at(self, keys: tuple) -> tuple[int, int]:
        """Line and column of the deepest key of the path found in the YAML file."""
        node, where = self.root, (1, 1)
        for seg in keys:
            if isinstance(node, yaml.MappingNode):
                for k, v in node.value:
                    if isinstance(k, yaml.ScalarNode) and k.value == str(seg):
                        where, node = (k.start_mark.line + 1, k.start_mark.column + 1), v
                        break
                else:
                    break
            elif isinstance(node, yaml.SequenceNode) and isinstance(seg, int) \
                    and seg < len(node.value):
                node = node.value[seg]
                where = (node.start_mark.line + 1, node.start_mark.column + 1)
            else:
                break
        return where

    def add(self, keys: tuple, message: str, where=None):
        line, col = where or self.at(keys)
        key = ".".join(str(k) for k in keys if not isinstance(k, int))
        self.found.append(Finding(self.path, key, line, col, message))

    def text_at(self, node: N.Node, block: str) -> tuple[int, int]:
        """A syntax-tree node of a block (program, values) -> its line, column in the file."""
        line = node.line + self.offset(block)
        raw = self.lines[line - 1] if 0 < line <= len(self.lines) else ""
        body = (self.data.get(block) or "").split("\n")
        own = body[node.line - 1] if 0 < node.line <= len(body) else raw
        indent = len(raw) - len(own) if own and raw.endswith(own) else 0
        return line, node.col + indent

    def offset(self, key):
        for k, v in self.root.value:
            if k.value == key:
                if isinstance(v, yaml.ScalarNode) and v.style in ("|", ">"):
                    return v.start_mark.line + 1
                return v.start_mark.line
        return 0

    # ---- the checks -----------------------------------------------------

    def run(self) -> list[Finding]:
        self.keys()
        self.program = self.parse("program", N.parse_program)
        if self.program is not None:
            self.unused()
            self.display_names()
            self.sums_inside_functions()
        self.shadowed_functions()
        return sorted(self.found, key=lambda f: (f.line, f.column))

    def section(self, name) -> dict:
        v = self.data.get(name)
        return v if isinstance(v, dict) else {}

    def parse(self, key, parser):
        text = self.data.get(key)
        if not isinstance(text, str):
            return None
        try:
            return parser(text, self.path, key, self.offset(key))
        except DeriveError:
            return None                      # the load reports it, with its caret

    def unknown(self, keys: tuple, got, allowed):
        if not isinstance(got, dict):
            return
        for k in got:
            if str(k) not in allowed:
                near = difflib.get_close_matches(str(k), allowed, 1)
                hint = f" (did you mean {near[0]}?)" if near else \
                    f" (keys here: {', '.join(allowed)})"
                self.add(keys + (str(k),), f"unknown key {k!r}: docs/specs.md documents no "
                         f"such key{hint}")

    def keys(self):
        """Keys docs/specs.md does not document (the table of derive.front.keys)."""
        self.unknown((), self.data, KNOWN_KEYS[""])
        for section in ("symbols", "functions", "tensors", "assume"):
            for name, opts in self.section(section).items():
                self.unknown((section, str(name)), opts, KNOWN_KEYS[f"{section}.*"])
        for label, part in self.section("parts").items():
            if not isinstance(part, dict):
                continue
            key = ("parts", str(label))
            kind = part.get("ask") if isinstance(part.get("ask"), str) else None
            if kind is not None and kind not in PART_KEYS:
                self.add(key + ("ask",), f"unknown part kind {kind!r} (kinds: "
                         f"{', '.join(PART_KEYS)})")
            self.unknown(key, part, part_keys(kind) if kind in PART_KEYS
                         else KNOWN_KEYS["parts.*"])
            for name, opts in (part.get("given") or {}).items() \
                    if isinstance(part.get("given"), dict) else ():
                self.unknown(key + ("given", str(name)), opts, KNOWN_KEYS["parts.*.given.*"])
            for sub in ("recurrence", "condition", "compare"):
                self.unknown(key + (sub,), part.get(sub), KNOWN_KEYS[f"parts.*.{sub}"])

    def program_names(self):
        """(names the program reads, names it writes, first Name node of each)."""
        reads, writes, first = set(), set(), {}
        for item in self.program:
            for node in _walk(item):
                if isinstance(node, N.Name):
                    first.setdefault(node.id, node)
                    reads.add(node.id)
                elif isinstance(node, N.LoopVar):
                    reads.add(node.name)
                if isinstance(node, N.Stmt):
                    t = _target_name(node.target)
                    if t is not None:
                        writes.add(t.id)
        return reads, writes, first

    def elsewhere(self) -> set:
        """Names the parts (less their prose), the assumptions and the sizes read."""
        out = set()
        for part in self.section("parts").values():
            if isinstance(part, dict):
                out |= _words({k: v for k, v in part.items() if k not in PROSE_KEYS})
                if part.get("ask") == "update" and "rate" not in part:
                    out.add("eta")            # the default learning rate
        out |= _words(self.section("assume"))
        out |= _words(list(self.section("sizes").values()))
        return out

    def sums_inside_functions(self):
        """`abs(yhat[K] - y[K])` is the abs of the sum over k (the documented rule), which an
        author of an L1 loss did not mean: a capital summed inside a function's argument
        without being contracted in a product (W[j, I] * x[I]) is reported."""
        indices = {str(k) for k in self.section("index")}
        for item in self.program:
            for node in _walk(item):
                if not isinstance(node, N.Call) or len(node.args) != 1 \
                        or node.func.id in ("max", "min"):      # max(h[K]): over k
                    continue
                arg = node.args[0]
                caps = {c for c in _capitals(arg, indices) if not _contracted(arg, c)}
                for c in sorted(caps):
                    name = node.func.id
                    self.add(("program",), f"{name}(...) holds the capital {c} outside any "
                             f"product, so it is {name} of the sum over {c.lower()} (the "
                             f"sum is taken inside the call); for a sum of {name} terms "
                             f"write the loop: for {c.lower()}: ... += {name}(...[{c.lower()}])",
                             self.text_at(node, "program"))

    def unused(self):
        """Declarations nothing reads: indices, sizes, symbols, functions, tensors, values."""
        reads, writes, _ = self.program_names()
        read_elsewhere = self.elsewhere()
        named = reads | read_elsewhere
        tensors = self.section("tensors")
        for name in tensors:
            if str(name) not in reads:
                self.add(("tensors", str(name)), f"tensor {name} is declared, but the "
                         "program never reads or writes it")
        shapes = {str(a) for n, o in tensors.items() if str(n) in reads and isinstance(o, dict)
                  and isinstance(o.get("shape"), list) for a in o["shape"]}
        index = self.section("index")
        used_index = {str(n) for n in index
                      if str(n) in named or str(n).upper() in reads or str(n) in shapes}
        for name in index:
            if str(name) not in used_index:
                self.add(("index", str(name)), f"index {name} is declared, but no tensor "
                         "shape, loop or part uses it")
        size_of = {}
        for name, rng in index.items():
            for w in _words(str(rng)):
                size_of.setdefault(w, set()).add(str(name))
        for name in self.section("sizes"):
            name = str(name)
            if name not in size_of:
                self.add(("sizes", name), f"{name} is not the size of any index range "
                         f"(sizes: {', '.join(sorted(size_of)) or 'none'})")
            elif not (size_of[name] & used_index) and name not in named:
                self.add(("sizes", name), f"size {name} has a default, but nothing uses it "
                         f"(its index {', '.join(sorted(size_of[name]))} is unused)")
        for name in self.section("symbols"):
            if str(name) not in named:
                self.add(("symbols", str(name)), f"symbol {name} is declared, but neither "
                         "the program nor a part nor an assumption reads it")
        for name in self.section("functions"):
            if str(name) not in reads:
                self.add(("functions", str(name)), f"function {name} is declared, but the "
                         "program never calls it")
        values = self.parse("values", N.parse_values) or []
        for target, _ in values:
            t = _target_name(target)
            if t is not None and t.id in writes:
                self.add(("values",), f"{t.id} has a value, but the program computes it "
                         "(give values for its inputs)", self.text_at(t, "values"))
            elif t is not None and t.id not in named:
                self.add(("values",), f"{t.id} has a value, but nothing reads {t.id}",
                         self.text_at(t, "values"))

    def shadowed_functions(self):
        """A function declared under functions: that the notation already knows (Phi, the
        standard normal CDF): the declaration makes it an unknown function, with no
        derivative of its own, which a statement calling it the normal CDF contradicts."""
        from derive.core.functions import VOCABULARY
        for name in self.section("functions"):
            if str(name) in VOCABULARY:
                self.add(("functions", name), f"{name} is a function of the notation "
                         f"already; declared here, it is an unknown function instead (its "
                         f"derivative {name}' is not the known one). Leave it out to use "
                         f"the notation's {name}, or give it another name")

    def display_names(self):
        """Names the answer key would print raw: a tensor or symbol of several letters
        that neither LaTeX nor SymPy's conventions (W2, yhat, R_in, sigma_W) can set."""
        reads, writes, first = self.program_names()
        tensors = self.section("tensors")
        undeclared = [n for n in first if n in writes and n not in tensors]
        for name in list(tensors) + undeclared:
            name = str(name)
            opts = tensors.get(name)
            if isinstance(opts, dict) and opts.get("latex") or name not in reads:
                continue
            shown = display_name(name)
            if not shown.startswith(r"\mathrm{"):
                continue
            msg = (f"no display name: the key prints {name} as the word {shown}; give it "
                   "one with latex: '...'")
            if name in tensors:
                self.add(("tensors", name), msg)
            else:
                self.add(("program",), msg + f" (declare it under tensors: {{{name}: "
                         "{latex: '...'}})", self.text_at(first[name], "program"))
        for name, opts in self.section("symbols").items():
            name = str(name)
            if isinstance(opts, dict) and opts.get("latex"):
                continue
            if len(name) > 1 and LatexPrinter().doprint(sp.Symbol(name)) == name:
                self.add(("symbols", name), f"no display name: the key prints {name} as "
                         f"the letters {' '.join(name)} side by side; give it one with "
                         "latex: '...'")
