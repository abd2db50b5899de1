
"""Problem specs: YAML (safe-loaded) into a validated :class:`Spec`.

Every mistake an instructor can make is reported with the file, the key path
(`parts.b.from`) and, inside program text, the line and column.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import sympy as sp
import yaml

from derive.core.errors import SpecError
from derive.core.files import TextFileError, read_text_file
from derive.front.yaml_text import MAX_YAML_NODES, expanded_size, yaml_hint
from derive.core.functions import VOCABULARY
from derive.core.sizes import complete, vary
from derive.core.program import (Program, TensorInfo, is_grad_name, tensor_layout)
from derive.front import notation as N
from derive.front.moment_keys import MOMENT_KINDS, _assumptions, _check_moment_part
from derive.front.resolve import Resolver, Scope, build_program
from derive.front.shapes import infer_shapes, inferred_order
from derive.front.parts import _check_part, numeric_values_given, within_limits
from derive.front.sizes import _range, _symbol_range, default_sizes, size_expression
from derive.front.values import parse_values
from derive.front.vary_keys import read_vary

ROLES = ("input", "parameter", "computed")
# values an input takes in numeric checks: probability and onehot sum to 1 over the last axis
DOMAINS = ("real", "positive", "unit", "probability", "onehot")
COMMON_KEYS = {"ask", "text", "points", "all_or_nothing", "note", "seed_answer", "seed_note"}
PART_KEYS = {
    "backprop": {"from", "to", "through", "average_over", "claim", "open", "uses"},
    "loops": {"of"},
    "gradient": {"from", "to", "matrix", "through", "uses"},
    "numeric": {"show", "from", "to"},
    # moments parts (derive.engines.moments); the sub-keys are checked by _check_moment_part
    "variance": {"of", "given", "bound", "recurrence", "numeric"},
    "mean": {"of", "given", "numeric"},
    "solve": {"for", "condition", "approximate", "given"},
    "choice": {"options", "compare", "given"},
    "cost": {"of", "in", "measure"},
    "update": {"rate", "momentum", "of", "to", "from"},
    "text": {"answer"},
}
_ALIAS_TARGET = re.compile(r"^[A-Za-z]\w*(\.grad)?$")
TOP_KEYS = {"id", "title", "source", "course", "index", "symbols", "functions", "tensors",
            "program", "values", "sizes", "assume", "statement", "parts", "notes",
            "show_program", "aliases", "vary"}
REQUIRED = ("id", "title", "source", "tensors", "program", "parts")
# the keys of one entry of tensors:, symbols: and functions: (derive.front.keys lists them all)
TENSOR_KEYS = ("shape", "role", "latex", "domain")
SYMBOL_KEYS = ("positive", "nonnegative", "integer", "real", "range", "latex")
FUNCTION_KEYS = ("latex", "arity")
_ID = re.compile(r"^[a-z][a-z0-9_]*$")
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")


@dataclass
class Part:
    label: str
    kind: str
    text: str
    args: dict = field(default_factory=dict)


@dataclass
class Spec:
    id: str
    title: str
    source: str
    path: str
    program: Program
    program_text: str
    parts: dict                                   # label -> Part (ordered)
    statement: str = ""
    course: str | None = None
    sizes: dict = field(default_factory=dict)      # size name -> default int
    values: dict = field(default_factory=dict)     # tensor name -> np.ndarray
    assume: dict = field(default_factory=dict)
    symbols: dict = field(default_factory=dict)    # name -> Symbol
    size_symbols: dict = field(default_factory=dict)
    scope: Scope | None = None
    raw: dict = field(default_factory=dict)
    vary: object = None            # the `vary:` block (derive.front.vary_keys.Vary)
    variant: object = None         # a drawn variant: derive.front.variants.Variant

    @property
    def show_program(self) -> bool:
        """Does the problem sheet print the program? (false when it is an answer)"""
        return self.raw.get("show_program", True)

    def part(self, label: str) -> Part:
        if label not in self.parts:
            import difflib
            near = difflib.get_close_matches(label, list(self.parts), n=3, cutoff=0.5)
            hint = f" (did you mean {' or '.join(near)}?)" if near else ""
            raise SpecError(f"problem {self.id!r} has no part {label!r}{hint}; `derive list` "
                            "shows the parts", self.path)
        return self.parts[label]

    @property
    def tensors(self) -> dict:
        return self.program.tensors

    def check_sizes(self) -> list:
        """Sizes a check runs at: the spec's own, then a set in which every size differs
        from every other and is at least 3 (so a batch has 3 examples and a recurrence
        runs 3 steps), which tells apart answers that agree only when sizes are equal."""
        base = self.default_sizes()
        rel = self.program.relations
        free = [n for n in base if n not in rel]
        distinct, used = {}, set()
        for name in sorted(free, key=lambda n: (base[n], list(base).index(n))):
            v = max(3, base[name] + 1)
            while v in used:
                v += 1
            used.add(v)
            distinct[name] = v
        # dependent sizes follow; a parity a tie needs (R = M/2) is found by nudging
        k = {n: i for i, n in enumerate(free)}
        distinct = vary(rel, self.size_symbols,
                        lambda n, a: distinct[n] + ((a >> k[n]) & 1), tries=64) or base
        return [base, distinct] if distinct != base else [base]

    def points(self, label: str) -> float:
        """The points a part is worth (`points:`, default 1)."""
        return float(self.part(label).args.get("points", 1))

    def default_sizes(self) -> dict:
        """Concrete sizes for runs: the spec's, else small distinct values; dependent
        sizes computed from the others."""
        return default_sizes(self.sizes, self.size_symbols, self.program.relations)

    def sizes_at(self, given: dict) -> dict:
        """The default sizes with some independent ones set (`derive run --size`)."""
        rel = self.program.relations
        for name in given:
            if name in rel:
                raise SpecError(f"{name} = {rel[name]} is computed from the other sizes: set "
                                f"those instead", self.path, f"sizes.{name}")
        out = complete(rel, self.size_symbols, {**self.default_sizes(), **given})
        if out is None:
            raise SpecError(f"at the sizes {given}, a dependent size is not a positive "
                            f"integer ({', '.join(f'{n} = {e}' for n, e in rel.items())})",
                            self.path, "sizes")
        return out




# --------------------------------------------------------------------------


class _Loader:
    def __init__(self, path: str, text: str):
        self.path = path
        self.text = text
        self.marks: dict = {}

    def fail(self, message, key=None):
        raise SpecError(message, self.path, key)

    def load(self) -> dict:
        try:
            loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)(self.text)
            try:
                node = loader.get_single_node()
                if node is not None and expanded_size(node) > MAX_YAML_NODES:
                    self.fail(f"the YAML expands to more than {MAX_YAML_NODES:,} values "
                              "through its aliases (*name): a spec needs no such "
                              "repetition")
                data = loader.construct_document(node) if node is not None else None
            finally:
                loader.dispose()
        except ValueError as e:               # PyYAML's int() of a 5,000-digit number
            if "digits" not in str(e):
                raise
            self.fail("a number of more than 4,300 digits: sizes go up to 10^12")
        except yaml.YAMLError as e:
            mark = getattr(e, "problem_mark", None)
            where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
            problem = getattr(e, "problem", None) or str(e)
            self.fail(f"bad YAML: {where}{problem}{yaml_hint(problem)}")
        if not isinstance(data, dict):
            self.fail("a spec is a YAML mapping with keys id, title, source, tensors, "
                      "program, parts")
        if node is not None and isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                self.marks[k.value] = v
        return data

    def block_offset(self, key: str) -> int:
        """Line offset (0-based) of a block scalar's first content line."""
        v = self.marks.get(key)
        if v is None:
            return 0
        if isinstance(v, yaml.ScalarNode) and v.style in ("|", ">"):
            return v.start_mark.line + 1
        return v.start_mark.line


def _str(loader, data, key, path_key=None, required=True):
    v = data.get(key)
    if v is None:
        if required:
            loader.fail("missing required key", path_key or key)
        return None
    if not isinstance(v, (str, int, float)) or isinstance(v, bool):
        loader.fail(f"expected text, found {type(v).__name__}", path_key or key)
    return str(v)




# TeX that reads or writes files, runs commands, defines macros or hides characters:
# none of it belongs in a problem statement, and a spec is text from anyone
_TEX_FORBIDDEN = re.compile(
    r"\\(input|include|includeonly|InputIfFileExists|IfFileExists|openin|openout|read|"
    r"readline|write|immediate|special|catcode|csname|endcsname|lowercase|uppercase|def|"
    r"edef|gdef|xdef|let|futurelet|newcommand|renewcommand|providecommand|"
    r"DeclareRobustCommand|usepackage|RequirePackage|documentclass|includegraphics|"
    r"verbatiminput|lstinputlisting|scantokens|directlua|loop|repeat|expandafter|"
    r"pdffiledump|pdfximage|pdfobj|makeatletter|endinput)(?![A-Za-z])|\^\^|\\@")
# keys whose text is the notation (parsed by derive, never given to TeX)
_NOTATION_KEYS = {"program", "values", "claim", "seed_answer"}


def _tex_safe(L, data, key=""):
    """Refuse TeX in spec text that could read a file, run a command or define macros,
    before anything is built: the file, key path, line and column of the first."""
    if isinstance(data, dict):
        for k, v in data.items():
            if str(k) not in _NOTATION_KEYS:
                _tex_safe(L, v, f"{key}.{k}" if key else str(k))
    elif isinstance(data, list):
        for k, v in enumerate(data):
            _tex_safe(L, v, f"{key}[{k}]")
    elif isinstance(data, str):
        m = _TEX_FORBIDDEN.search(data)
        if m:
            line = data.count("\n", 0, m.start()) + 1
            col = m.start() - (data.rfind("\n", 0, m.start()) + 1) + 1
            L.fail(f"line {line}, column {col}: {m.group(0)!r} is not allowed in the text of a "
                   "spec (the problem sheet and the key read no file a spec names, run no "
                   "command and define no macro)", key)


def load_spec(path) -> Spec:
    path = str(path)
    try:
        text = read_text_file(path, "spec")
    except TextFileError as e:
        raise SpecError(str(e), path) from None
    return parse_spec(text, path)


def parse_spec(text: str, path: str = "<spec>") -> Spec:
    """A validated Spec from YAML text; every mistake names the key path (SpecError)."""
    return _Reader(text, path).spec()


class _Reader:
    """Reading one spec, section by section, in the order each needs the last."""

    def __init__(self, text: str, path: str):
        self.path = path
        self.L = _Loader(path, text)
        self.data = self.L.load()
        _tex_safe(self.L, self.data)

    def spec(self) -> Spec:
        self.top()
        self.header()
        self.index()
        self.read_symbols()
        self.read_functions()
        self.read_sizes()
        self.tensors()
        self.read_program()
        self.read_values()
        self.scope.ranges = self.ranges      # the range of a t law's nu (moment_keys)
        self.assume = _assumptions(self.L, "assume", self.data.get("assume"), self.scope)
        self.read_parts()
        numeric_values_given(self)
        spec = Spec(self.pid, self.title, self.source, self.path, self.program,
                    self.program_text, self.parts, self.statement, self.course,
                    {str(k): v for k, v in self.raw_sizes.items()}, self.values, self.assume,
                    self.symbols, self.sizes, self.scope, self.data,
                    read_vary(self.L, self.data.get("vary"), self, PART_KEYS))
        within_limits(self, spec)
        return spec

    def top(self):
        """The top-level keys: known ones only, the required ones all there."""
        for k in self.data:
            if k not in TOP_KEYS:
                self.L.fail(f"unknown key (allowed: {', '.join(sorted(TOP_KEYS))})", str(k))
        for k in REQUIRED:
            if k not in self.data:
                self.L.fail("missing required key", k)

    def header(self):
        """id (the file's name), title, source, course, statement, show_program."""
        self.pid = _str(self.L, self.data, "id")
        if not _ID.match(self.pid):
            self.L.fail("an id is lower-case letters, digits and _, starting with a letter", "id")
        stem = Path(self.path).stem
        if self.path != "<spec>" and stem != self.pid:
            self.L.fail(f"the id {self.pid!r} differs from the file name {stem!r}", "id")
        self.title = _str(self.L, self.data, "title")
        self.source = _str(self.L, self.data, "source")
        self.course = _str(self.L, self.data, "course", required=False)
        self.statement = _str(self.L, self.data, "statement", required=False) or ""
        if not isinstance(self.data.get("show_program", True), bool):
            self.L.fail("expected true or false (false: the problem sheet does not print the "
                   "program, because writing it is part of the answer)", "show_program")
        aliases = self.data.get("aliases") or {}
        if not isinstance(aliases, dict) or not all(
                isinstance(k, str) and k.isidentifier() and isinstance(v, str)
                and _ALIAS_TARGET.match(v) for k, v in aliases.items()):
            self.L.fail("expected a mapping from a name students write to a tensor, its "
                        "gradient or a symbol of the problem (delta: z.grad)", "aliases")


    def index(self):
        """index: names and ranges (their sizes become size symbols)."""
        self.sizes = {}
        self.indices = {}
        raw_index = self.data.get("index") or {}
        if not isinstance(raw_index, dict):
            self.L.fail("expected a mapping of index names to sizes or ranges", "index")
        for name, value in raw_index.items():
            name = str(name)
            if not re.fullmatch(r"[a-z][a-z0-9_]*", name):
                self.L.fail("an index name is lower-case (its capital form is the summed index)",
                       f"index.{name}")
            self.indices[name] = _range(self.L, value, f"index.{name}", self.sizes)


    def read_symbols(self):
        """symbols: assumptions, ranges and display names."""
        self.symbols = {}
        self.ranges = {}
        raw_symbols = self.data.get("symbols") or {}
        if not isinstance(raw_symbols, dict):
            self.L.fail("expected a mapping of symbol names to assumptions", "symbols")
        self.symbol_latex = {}
        for name, opts in raw_symbols.items():
            name = str(name)
            key = f"symbols.{name}"
            if not _NAME.match(name):
                self.L.fail("a symbol name is a letter followed by letters, digits or _", key)
            opts = opts or {}
            if not isinstance(opts, dict):
                self.L.fail("expected a mapping such as {positive: true}", key)
            assumptions = {}
            for a, v in opts.items():
                if a in ("positive", "integer", "nonnegative"):
                    if not isinstance(v, bool):
                        self.L.fail("expected true or false", f"{key}.{a}")
                    assumptions[a] = v
                elif a == "real":
                    if v is not True:
                        self.L.fail("symbols are real numbers: leave real out, or write real: true",
                               f"{key}.{a}")
                elif a == "latex":
                    self.symbol_latex[name] = str(v)
                elif a == "range":
                    self.ranges[name] = _symbol_range(self.L, f"{key}.range", v)
                else:
                    self.L.fail("unknown key (allowed: positive, nonnegative, integer, range, "
                                "latex)",
                           f"{key}.{a}")
            if name in self.sizes:
                self.L.fail(f"{name!r} is already a size of an index range", key)
            if name in self.ranges:
                lo, hi, lo_open, _ = self.ranges[name]
                if lo > 0 or (lo == 0 and lo_open):
                    assumptions.setdefault("positive", True)
                elif lo >= 0:
                    assumptions.setdefault("nonnegative", True)
                if assumptions.get("positive") is False and (lo > 0 or (lo == 0 and lo_open)):
                    self.L.fail("the range is positive, but positive: false is given", key)
            try:
                self.symbols[name] = sp.Symbol(name, real=True, **assumptions)
            except Exception as e:   # noqa: BLE001 - contradictory assumptions
                self.L.fail(f"contradictory assumptions ({e})", key)


    def read_functions(self):
        """functions: undefined scalar functions (a loss L)."""
        self.functions = {}
        raw_functions = self.data.get("functions") or {}
        if not isinstance(raw_functions, dict):
            self.L.fail("expected a mapping of function names", "functions")
        for name, opts in raw_functions.items():
            name = str(name)
            key = f"functions.{name}"
            if not _NAME.match(name):
                self.L.fail("a function name is a letter followed by letters, digits or _", key)
            opts = opts or {}
            if not isinstance(opts, dict):
                self.L.fail("expected a mapping such as {latex: '\\mathcal{L}'}", key)
            for a in opts:
                if a not in FUNCTION_KEYS:
                    self.L.fail(f"unknown key (allowed: {', '.join(FUNCTION_KEYS)})", f"{key}.{a}")
            arity = opts.get("arity", 1)
            if not isinstance(arity, int) or isinstance(arity, bool) or arity < 1:
                self.L.fail("expected a positive integer", f"{key}.arity")
            self.functions[name] = (sp.Function(name), arity)


    def tensors(self):
        """tensors: shapes, roles, display names and domains."""
        self.raw_tensors = self.data.get("tensors") or {}
        if not isinstance(self.raw_tensors, dict):
            self.L.fail("expected a mapping of tensor names to {shape: [...]}", "tensors")
        self.infos = {}
        self.unshaped = {}
        for name, opts in self.raw_tensors.items():
            name = str(name)
            key = f"tensors.{name}"
            if not _NAME.match(name):
                self.L.fail("a tensor name is a letter followed by letters, digits or _", key)
            if name in self.symbols or name in self.sizes:
                what = 'symbol' if name in self.symbols else 'size'
                self.L.fail(f"{name!r} is already a {what}", key)
            if name in self.functions:
                self.L.fail(f"{name!r} is already a function", key)
            if not isinstance(opts, dict):
                self.L.fail("expected a mapping with shape: [index, ...]", key)
            for a in opts:
                if a not in TENSOR_KEYS:
                    self.L.fail(f"unknown key (allowed: {', '.join(TENSOR_KEYS)})", f"{key}.{a}")
            role = opts.get("role")
            if role is not None and role not in ROLES:
                self.L.fail(f"unknown role {role!r} (roles: {', '.join(ROLES)})", f"{key}.role")
            latex = opts.get("latex")
            domain = opts.get("domain", "real")
            if domain not in DOMAINS:
                self.L.fail(f"unknown domain {domain!r} (domains: {', '.join(DOMAINS)})",
                            f"{key}.domain")
            if "shape" not in opts:
                if role in ("input", "parameter"):
                    self.L.fail(f"missing required key: the shape of "
                                f"{'an' if role == 'input' else 'a'} {role} is declared (a "
                                f"computed tensor's is inferred from the statements that "
                                f"write it)", f"{key}.shape")
                self.unshaped[name] = opts   # inferred from the writes (read_program)
                continue
            shape = opts["shape"]
            if not isinstance(shape, list):
                self.L.fail("expected a list of index names, [] for a scalar", f"{key}.shape")
            for k, ax in enumerate(shape):
                if str(ax) not in self.indices:
                    self.L.fail(f"unknown index {ax!r} (declare it under index:)",
                                f"{key}.shape[{k}]")
            if domain in ("probability", "onehot") and not shape:
                self.L.fail(f"a {domain} tensor needs an axis to sum over", f"{key}.domain")
            self.infos[name] = TensorInfo(name, tuple(str(a) for a in shape),
                                     tuple(self.indices[str(a)] for a in shape), role or "",
                                     None if latex is None else str(latex), domain)


    def read_program(self):
        """program: parsed and resolved; roles from what it writes."""
        self.scope = Scope(self.indices, self.infos, self.symbols, self.sizes, self.functions,
                           self.relations)
        self.program_text = self.data.get("program")
        if not isinstance(self.program_text, str) or not self.program_text.strip():
            self.L.fail("expected the forward program as text (use program: |)", "program")
        offset = self.L.block_offset("program")
        self.infer_shapes(offset)
        # roles: written tensors are computed, others inputs (unless declared)
        written = _written_names(self.program_text, self.path, offset)
        for name, info in self.infos.items():
            if not info.role:
                info.role = "computed" if name in written else "input"
            elif info.role == "computed" and name not in written:
                self.L.fail("declared computed, but the program never writes it",
                            f"tensors.{name}.role")
        self.program = build_program(self.program_text, self.scope, self.path, "program", offset)
        self.program.ranges = self.ranges
        self.program.relations = dict(self.relations)
        _infer_domains(self.program, {n for n, o in self.raw_tensors.items()
                                 if isinstance(o, dict) and "domain" in o})
        for name in self.program.written():
            if name in self.infos and self.infos[name].role in ("input", "parameter"):
                self.L.fail(f"the program writes {name!r}, declared {self.infos[name].role}",
                       f"tensors.{name}.role")
        used = set()
        for st in self.program.statements():
            from derive.core.program import reads, ref_name
            used.add(st.target_name)
            used.update(ref_name(r) for r in reads(st.rhs))
        for name in self.infos:
            if name not in used:
                self.L.fail("declared but never used by the program", f"tensors.{name}")


    def infer_shapes(self, offset: int):
        """Shapes of the computed tensors from their writes (declared ones checked)."""
        resolver = Resolver(self.scope, self.path, self.program_text, "program", offset)
        declared = {n: (i, f"tensors.{n}") for n, i in self.infos.items()}
        taken = set(self.symbols) | set(self.sizes) | set(self.functions) | set(VOCABULARY)
        inferred = infer_shapes(self.program_text, self.scope, resolver, self.path, offset,
                                declared, lambda n: n not in taken)
        for name, opts in self.unshaped.items():
            if name not in inferred:
                self.L.fail("no shape: and the program never writes it, so its shape cannot "
                            "be inferred (declare shape: [...])", f"tensors.{name}")
            info = inferred[name]
            if opts.get("role") not in (None, "computed"):
                self.L.fail("the program writes it, so it is computed", f"tensors.{name}.role")
            info.latex = None if opts.get("latex") is None else str(opts["latex"])
            info.domain = opts.get("domain", "real")
        # the order of the tensors: as declared; an undeclared one just before the first
        # declared computed tensor that the program writes after it
        written = list(inferred_order(self.program_text, self.path, offset))
        order = [n for n in self.raw_tensors]
        for name in written:
            if name in inferred and name not in self.raw_tensors:
                later = [n for n in written[written.index(name) + 1:] if n in order]
                order.insert(order.index(later[0]) if later else len(order), name)
        infos = {**self.infos, **inferred}
        self.infos.clear()
        self.infos.update({str(n): infos[str(n)] for n in order if str(n) in infos})

    def read_sizes(self):
        """sizes: the default of each size, or its expression in other sizes (`U: 2*X + D`,
        `R: M/2`: a dependent size, computed in every run from the independent ones)."""
        self.raw_sizes = self.data.get("sizes") or {}
        if not isinstance(self.raw_sizes, dict):
            self.L.fail("expected a mapping of size names to integers", "sizes")
        self.relations = {}
        declared = {str(n) for n in self.raw_sizes}
        for name, v in self.raw_sizes.items():
            name, key = str(name), f"sizes.{name}"
            if isinstance(v, str):
                self.relations[name] = size_expression(
                    v, self.path, key, self.sizes,
                    lambda n: n in declared and n not in self.symbols)
            elif not isinstance(v, int) or isinstance(v, bool) or v < 1:
                self.L.fail("expected a positive integer, or an expression in other sizes "
                            "such as 2*X + D", key)
            elif v.bit_length() > 40:          # a 5,000-digit size: refused before any use
                digits = len(str(v)) if v.bit_length() < 14000 else \
                    int(v.bit_length() * 0.30103) + 1
                self.L.fail(f"a size of {digits} digits is too large to run; sizes go up to "
                            "10^12", key)
        for name in self.raw_sizes:
            if str(name) not in self.sizes:
                self.L.fail(f"unknown size (sizes: {', '.join(sorted(self.sizes)) or 'none'})",
                            f"sizes.{name}")
        for name in self.relations:
            if name in self.symbols:
                self.L.fail(f"{name!r} is already a symbol", f"sizes.{name}")
        self._check_relations()
        self.raw_sizes = {str(k): v for k, v in self.raw_sizes.items() if isinstance(v, int)}

    def _check_relations(self):
        """Dependent sizes: no cycle, and positive integers at the default sizes."""
        graph = {n: {x.name for x in e.free_symbols} for n, e in self.relations.items()}

        def reaches(a, b, seen=()):
            return any(x == b or (x in graph and x not in seen and reaches(x, b, seen + (x,)))
                       for x in graph.get(a, ()))
        for n in self.relations:
            if reaches(n, n):
                self.L.fail(f"{n} depends on itself through the other sizes", f"sizes.{n}")
        if self.relations:
            at = self.default_sizes()
            if at is None:
                shown = ", ".join(f"{n} = {e}" for n, e in self.relations.items())
                self.L.fail(f"at the default sizes, a dependent size is not a positive "
                            f"integer ({shown}): give the independent sizes values that make "
                            f"them so", "sizes")

    def read_values(self):
        """values: concrete inputs and symbol values (numeric worked examples).  A
        symbol's value is used by every run (verify, check, the worked example); a value
        of a computed tensor, or of a symbol nothing reads, is an error."""
        self.values = {}
        if self.data.get("values") is None:
            return
        vt = self.data["values"]
        if not isinstance(vt, str):
            self.L.fail("expected value lines as text (use values: |)", "values")
        given = parse_values(vt, self.scope, self.path, self.L.block_offset("values"))
        used = self.used_symbols()
        sizes = self.default_sizes()
        for name, value in given.items():
            if name in self.symbols:
                if value.shape != ():
                    self.L.fail(f"{name} is a symbol: its value is one number", "values")
                if name not in used:
                    self.L.fail(f"{name} has a value, but nothing reads {name} (the program, "
                                "the parts and the assumptions do not use it)", "values")
                self.program.fixed[name] = float(value)
                continue
            info = self.program.tensors.get(name)
            if info is None or info.role not in ("input", "parameter"):
                self.L.fail(f"{name} is computed by the program: give values for its inputs "
                            "and parameters (and symbols), the rest is derived", "values")
            shape, _ = tensor_layout(info, sizes)
            if value.size != int(np.prod(shape)):
                self.L.fail(f"{name} has {value.size} value(s), but its shape "
                            f"{list(info.axes)} at the sizes {sizes} has {int(np.prod(shape))}",
                            "values")
            self.values[name] = value.reshape(shape)

    def used_symbols(self) -> set:
        """The symbols the program, the parts (a rate) and the assumptions read."""
        used = {x.name for st in self.program.statements()
                for x in sp.Tuple(st.rhs, *[b for lp in st.loops for b in lp.bounds])
                .free_symbols}
        for p in (self.data.get("parts") or {}).values():
            for k in ("rate", "momentum"):
                if isinstance(p, dict) and isinstance(p.get(k), str):
                    used.add(p[k])
            text = " ".join(str(v) for v in (p.values() if isinstance(p, dict) else ()))
            used |= {n for n in self.symbols if re.search(rf"\b{re.escape(n)}\b", text)}
        text = str(self.data.get("assume") or "")
        used |= {n for n in self.symbols if re.search(rf"\b{re.escape(n)}\b", text)}
        return used

    def default_sizes(self) -> dict | None:
        return default_sizes(self.raw_sizes, self.sizes, self.relations)


    def read_parts(self):
        """parts: each part's kind and keys, validated."""
        raw_parts = self.data.get("parts")
        if not isinstance(raw_parts, dict) or not raw_parts:
            self.L.fail("expected a mapping of part labels to parts", "parts")
        self.parts = {}
        n_statements = len(self.program.statements())
        for label, p in raw_parts.items():
            label = str(label)
            key = f"parts.{label}"
            if not re.fullmatch(r"[A-Za-z0-9_]+", label):
                self.L.fail("a part label is letters, digits or _", key)
            if not isinstance(p, dict):
                self.L.fail("expected a mapping with ask: and text:", key)
            if "ask" not in p:
                self.L.fail("missing required key", f"{key}.ask")
            kind = p["ask"]
            if kind not in PART_KEYS:
                self.L.fail(f"unknown part kind {kind!r} (kinds: {', '.join(PART_KEYS)})",
                       f"{key}.ask")
            if "text" not in p:
                self.L.fail("missing required key", f"{key}.text")
            for a in p:
                if a not in COMMON_KEYS | PART_KEYS[kind]:
                    allowed = ", ".join(sorted(PART_KEYS[kind] | COMMON_KEYS))
                    self.L.fail(f"unknown key for a {kind} part (allowed: {allowed})", f"{key}.{a}")
            args = {k: v for k, v in p.items() if k not in ("ask", "text")}
            _check_part(self.L, key, kind, args, self.program, n_statements, self.indices,
                        self.symbols)
            if kind in MOMENT_KINDS:
                _check_moment_part(self.L, key, kind, args, self.scope, self.parts)
            self.parts[label] = Part(label, kind, str(p["text"]), args)





def _infer_domains(program: Program, declared: set):
    """Inputs read under a root or a log are drawn positive, unless the spec says."""
    from derive.core.program import under_roots
    for name in under_roots(program):
        info = program.tensors[name]
        if name not in declared and info.domain == "real":
            info.domain, info.domain_inferred = "positive", True


def _written_names(text, path, offset) -> set:
    names = set()

    def rec(items):
        for it in items:
            if isinstance(it, N.Block):
                rec(it.body)
            else:
                t = it.target
                while isinstance(t, N.Index):
                    t = t.base
                if isinstance(t, N.Name):
                    names.add(t.id)
    rec(N.parse_program(text, path, "program", offset))
    return names


def answer_scope(spec: Spec):
    """The spec's names, plus the temporaries its program introduced (R_in, ...)."""
    scope = spec.scope.copy()
    for name, info in spec.program.tensors.items():
        if not is_grad_name(name):
            scope.tensors.setdefault(name, info)
    return scope
