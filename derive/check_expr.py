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

import random
import re
from dataclasses import dataclass

import sympy as sp

from .errors import NotationError

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
            out.append(Line(k, label or None, rel, " " * pad + head))
            pad += len(rest) - len(tail)
            rest = tail
        out.append(Line(k, label or None, rel, " " * pad + rest))
    if not out:
        raise NotationError("expected an expression, or lines such as `sigma_W = 1/sqrt(n)`",
                            "answer", 1, 1, text)
    return out


def norm_label(s: str) -> str:
    s = s.replace("**", "^").replace("[", "(").replace("]", ")").replace("σ", "sigma")
    return re.sub(r"\s+", "", s).lower()


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


_ORDER_TOKEN = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_]*|\d+(?:\.\d+)?|\S)")
_CALLS = ("log", "log2", "ln", "sqrt", "exp", "max", "min", "ceil")


def order_text(text: str, names: set) -> str:
    """An order of growth as textbooks (and derive) print it, in the notation: `T log J`
    is T*log(J), `log T` is log(T), `TM^2` (sizes side by side) is T*M^2.  Text that
    needs none of this is returned as typed (its columns kept for messages)."""
    toks = [m.group(1) for m in _ORDER_TOKEN.finditer(text)]
    out = []
    for t in toks:
        if t[0].isalpha() and t not in names and t not in _CALLS:
            parts = _split_names(t, names)
            out.extend(parts if parts else [t])
        else:
            out.append(t)
    joined, k = [], 0
    while k < len(out):
        t = out[k]
        if t in _CALLS and k + 1 < len(out) and out[k + 1] != "(" and \
                (out[k + 1][0].isalnum()):
            joined.append(f"{t}({out[k + 1]})")       # log T -> log(T)
            k += 2
            continue
        joined.append(t)
        k += 1

    def atom_end(t):
        return t[0].isalnum() or t == ")" or t.endswith(")")

    def atom_start(t):
        return t[0].isalnum() or t == "("
    final = []
    for t in joined:
        if final and atom_end(final[-1]) and atom_start(t) and not (
                final[-1] in _CALLS and t == "("):
            final.append("*")
        final.append(t)
    rebuilt = "".join(final)
    if rebuilt == "".join(toks):
        return text                         # nothing to rewrite: columns as typed
    return " " * (len(text) - len(text.lstrip())) + rebuilt


def _split_names(word: str, names: set) -> list | None:
    """`TMN` -> [T, M, N] when it is sizes written side by side, else None."""
    if not word:
        return []
    for n in sorted(names, key=len, reverse=True):
        if word.startswith(n):
            rest = _split_names(word[len(n):], names)
            if rest is not None:
                return [n] + rest
    return None


def answer_scope(spec, results):
    """The spec's names, plus what the results use: their symbols (v, g, l), the
    functions of a recurrence (sigma2(l)), and pi."""
    from .check import answer_scope as loops_scope
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


def parse_line(spec, scope, line: Line, full_text: str):
    from . import notation as N
    from .resolve import Resolver, _StmtState
    text = line.text.replace("π", "pi")
    try:
        node = N.parse_expression(text, "answer")
        r = Resolver(scope.copy(), "answer", text, None, 0, answer=True)
        fake = N.Stmt(1, 1, N.Name(1, 1, "_"), "=", node, [], False, text)
        value, opened = _StmtState(r, fake, {}).expr(node)
        if opened:
            r.err(node, "an expression answer cannot sum over capital indices")
    except NotationError as e:
        message = e.message
        juxtaposed = re.match(r"unexpected '[A-Za-z0-9_(]", message)
        if juxtaposed and message.endswith("after the expression"):
            message += " (write a product with *, e.g. T*log(J) or n*v*sigma_W^2)"
        raise NotationError(message, "answer", line.number, e.column, full_text) from None
    return value


# --------------------------------------------------------------------------
# comparing
# --------------------------------------------------------------------------


def _frozen(*exprs):
    """Undefined function applications (sigma2(l)) as plain symbols, the same in all."""
    apps = set()
    for e in exprs:
        apps |= e.atoms(sp.core.function.AppliedUndef)
    subs = {a: sp.Symbol(f"_{a.func.__name__}_{k}", positive=True)
            for k, a in enumerate(sorted(apps, key=str))}
    return [e.xreplace(subs) for e in exprs]


class Points:
    """Exact random rational points for the symbols of a check (sizes >= 2), each symbol
    inside its declared range."""

    def __init__(self, symbols, n: int = 6, seed: int = 0, ranges: dict | None = None):
        self.rng = random.Random(seed)
        self.symbols = sorted(symbols, key=lambda s: s.name)
        self.ranges = ranges or {}
        # first a small point, easy to follow as a counterexample (distinct values, so
        # that swapped sizes and a missing square show), then random ones
        small = {s: self._small(s, k) for k, s in enumerate(self.symbols)}
        self.points = [small] + [self.draw() for _ in range(n - 1)]

    def _small(self, s, k):
        rg = self.ranges.get(s.name)
        if rg is not None:
            return self._inside(rg, s.is_integer, (k + 1) / (len(self.symbols) + 1))
        return sp.Integer(2 + k) if s.is_integer else sp.Rational(3 + 2 * k, 2)

    def _inside(self, rg, integer: bool, frac: float):
        """A value at fraction `frac` of the way through a range (lo, hi, open, open)."""
        lo, hi = rg[0], rg[1]
        if lo == -sp.oo and hi == sp.oo:
            lo, hi = sp.Integer(-5), sp.Integer(5)
        elif hi == sp.oo:
            hi = lo + 10
        elif lo == -sp.oo:
            lo = hi - 10
        q = sp.Rational(round(frac * 40), 40)
        q = min(max(q, sp.Rational(1, 40)), sp.Rational(39, 40))
        v = lo + (hi - lo) * q
        if integer:
            v = sp.ceiling(v) if rg[2] else sp.floor(v) if v > lo else lo
            return sp.Integer(min(max(v, sp.ceiling(lo)), sp.floor(hi)))
        return v

    def draw(self) -> dict:
        rng = self.rng
        p = {}
        for s in self.symbols:
            rg = self.ranges.get(s.name)
            if rg is not None:
                p[s] = self._inside(rg, s.is_integer, rng.random())
            elif s.is_integer:
                p[s] = sp.Integer(rng.randint(2, 9))
            elif s.is_positive or s.is_nonnegative:
                p[s] = sp.Rational(rng.randint(1, 40), rng.randint(1, 9))
            else:
                p[s] = sp.Rational(rng.randint(-40, 40), rng.randint(1, 9))
        return p

    def values(self, e):
        """The value of `e` at each point: a complex number, NONFINITE where it is
        infinite or undefined (log(0), 0/0), or None where it cannot be evaluated."""
        return [value_at(e, p) for p in self.points]

    def defined(self, e, want: int = 4, tries: int = 40):
        """Points where `e` (the reference) is finite: more are drawn until there are
        `want` of them, or `tries` in all; the points kept are those."""
        vals = self.values(e)
        while sum(_finite(v) for v in vals) < want and len(self.points) < tries:
            p = self.draw()
            self.points.append(p)
            vals.append(value_at(e, p))
        return vals


NONFINITE = complex(float("nan"), float("nan"))


def _finite(v) -> bool:
    return v is not None and not (v != v)      # NaN != NaN


def value_at(e, p):
    try:
        v = e.xreplace(p)
        if v.has(sp.zoo, sp.nan, sp.oo, -sp.oo):
            return NONFINITE
        v = v.evalf(30)
        if not v.is_number:
            return None
        if v.has(sp.zoo, sp.nan, sp.oo, -sp.oo):
            return NONFINITE
        z = complex(v)
        return z if z == z and abs(z) != float("inf") else NONFINITE
    except (TypeError, ValueError, ZeroDivisionError, ArithmeticError):
        return None


def _agree(va, vb) -> bool | None:
    """Does `va` (the answer) agree with `vb` (the reference) at every point where the
    reference is finite?  An answer that is infinite or undefined where the reference is
    finite differs.  None if no point decides."""
    seen = False
    for a, b in zip(va, vb):
        if not _finite(b) or a is None:
            continue
        seen = True
        if not _finite(a) or abs(a - b) > 1e-20 * max(1.0, abs(b)):
            return False
    return True if seen else None


def equivalent(a, b, points: Points | None = None, ranges: dict | None = None):
    """(True | False | None, a point where they differ), for the answer `a` and the
    reference `b`.

    Exact random points first: a difference there (30 digits, far beyond rounding) is
    decisive, with the point as the counterexample, and spares simplifying a wrong
    answer.  Points where the reference is not finite are skipped (others drawn); an
    answer that is not finite where the reference is, differs.  If they agree
    everywhere, a zero simplified difference is the proof; if SymPy cannot simplify it to
    zero, the agreement at every point decides.  None if no point could be evaluated and
    nothing was proven."""
    a, b = _frozen(a, b)
    if a.has(sp.zoo, sp.nan, sp.oo, -sp.oo) and not b.has(sp.zoo, sp.nan, sp.oo, -sp.oo):
        return False, {"expected": "a finite value", "got": "not finite (" + _fmt(a) + ")"}
    if a == b:
        return True, None
    pts = points or Points(a.free_symbols | b.free_symbols, ranges=ranges)
    if not set(pts.symbols) >= (a.free_symbols | b.free_symbols):
        pts = Points(a.free_symbols | b.free_symbols, ranges=ranges)
    vb = pts.defined(b)
    va = pts.values(a)
    same = _agree(va, vb)
    if same is False:
        for p, x, y in zip(pts.points, va, vb):
            if x is not None and _finite(y) and (not _finite(x) or
                                                 abs(x - y) > 1e-20 * max(1.0, abs(y))):
                shown = {str(k): str(v) for k, v in p.items() if not str(k).startswith("_")}
                return False, shown | {"expected": _show(y), "got": _show(x)}
    d = a - b
    if sp.expand(d) == 0 or sp.simplify(d) == 0:
        return True, None
    return same, None


def _show(z: complex) -> str:
    if not _finite(z):
        return "not finite"
    return f"{z.real:.8g}" if abs(z.imag) < 1e-12 else f"{z:.6g}"


# --------------------------------------------------------------------------
# diagnosis
# --------------------------------------------------------------------------


def diagnose(got, want, spec) -> list:
    """The usual mistakes that turn `want` into `got`, in words (never showing `want`)."""
    got, want = _frozen(got, want)
    symbols = got.free_symbols | want.free_symbols
    pts = Points(symbols, n=4, seed=1, ranges=spec.program.ranges)
    target = pts.values(got)

    def is_(e) -> bool:
        return _agree(pts.values(e), target) is True

    if want != 0 and is_(-want):
        return ["sign flipped: the answer is the negative of the correct one"]
    ratio = sp.simplify(got / want) if want != 0 and got != 0 else None
    if ratio is not None and ratio.is_number:
        return [f"a constant factor is off: the answer is {_fmt(ratio)} times the "
                f"correct one"]
    if is_(want ** 2):
        return ["the answer is the square of the correct one (a variance where a standard "
                "deviation, or sigma^2 where sigma, is asked for?)"]
    if is_(sp.sqrt(want)) or is_(-sp.sqrt(want)):
        return ["the answer is the square root of the correct one (a standard deviation "
                "where a variance is asked for?)"]
    names = sorted((s for s in want.free_symbols if not s.name.startswith("_")),
                   key=lambda s: s.name)
    others = sorted((s for s in got.free_symbols if not s.name.startswith("_")),
                    key=lambda s: s.name)
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            if is_(want.xreplace({a: b, b: a})):
                return [f"{a} and {b} are swapped (e.g. fan-in for fan-out, or a layer "
                        f"index for the depth)"]
    for a in names:
        if a.is_integer:
            continue
        if is_(want.xreplace({a: sp.sqrt(a)})):
            return [f"{a} where {a}^2 belongs (a standard deviation where a variance goes?)"]
        if is_(want.xreplace({a: a ** 2})):
            return [f"{a}^2 where {a} belongs (a variance where a standard deviation goes?)"]
    for a in names:
        if a.is_integer:
            for d, word in ((1, "+ 1"), (-1, "- 1")):
                if is_(want.xreplace({a: a + d})):
                    return [f"off by one: the answer is the correct one with {a} replaced by "
                            f"{a} {word} (count the layers or steps again)"]
        for b in others:
            if b != a and b not in want.free_symbols and is_(want.xreplace({a: b})):
                return [f"{b} where {a} belongs: the answer uses the wrong quantity"]
    sizes = set(spec.program.sizes.values())
    if ratio is not None and ratio.free_symbols <= sizes and all(
            f.is_Symbol or (f.is_Pow and f.base.is_Symbol and f.exp.is_Rational)
            or f.is_Number for f in sp.Mul.make_args(ratio)):
        return [f"a factor is off: the answer is {_fmt(ratio)} times the correct one "
                f"(a size multiplied in or divided out)"]
    terms = sp.Add.make_args(sp.expand(want))
    if len(terms) > 1:
        for t in terms:
            if is_(want - t):
                return ["a term is missing: the answer lacks one of the terms of the "
                        "correct expression"]
            if is_(want + t):
                return ["a term is counted twice"]
    mine = sp.Add.make_args(sp.expand(got))
    for t in (mine if len(mine) > 1 else ()):
        if is_(want + t):
            return [f"an extra term: {_fmt(t)} should not be there"]
    return ["no common mistake recognized: recheck each step (which moments are zero, "
            "which quantities are independent)"]


def _fmt(e) -> str:
    from .program import format_expr
    try:
        return format_expr(e)
    except Exception:  # noqa: BLE001 - display only
        return str(e)


# --------------------------------------------------------------------------
# orders of growth (cost parts)
# --------------------------------------------------------------------------


def growth(expr, spec, grow: str | None):
    """The dominant terms of a size expression, in `grow` only (others fixed)."""
    from .cost import _dominant_terms, order
    sizes = list(spec.program.sizes.values())
    keep = None if grow is None else {spec.program.sizes[grow]}
    terms = _dominant_terms(expr, sizes, keep)
    return sorted((tuple(sorted((str(v), pl) for v, pl in k.items())) for k in terms)), \
        order(expr, spec.program, None if grow is None else [grow])


# --------------------------------------------------------------------------
# the check
# --------------------------------------------------------------------------


def check_expression_part(spec, part, text: str, verdict, show_answer: bool):
    from .solve import solve_part
    ans = solve_part(spec, part.label, verify=False)
    if ans.status != "derived" or not ans.results:
        verdict.message = (f"part {part.label} cannot be checked yet: "
                           f"{ans.message or 'the engine gives no expression for it'}")
        return
    if part.kind == "choice":
        return _check_choice(part, ans, text, verdict, show_answer)
    results = [r for r in ans.results if not isinstance(r.value, str)]
    primary = _primary(part, results)
    if show_answer:
        verdict.reference = "\n".join(f"{r.label} {r.relation} {_fmt(r.value)}"
                                      + (f"   ({r.note})" if part.kind == "cost" and r.note
                                         else "") for r in results)
    scope = answer_scope(spec, results)
    lines = read_lines(text)
    if sum(1 for ln in lines if ln.label is None) > 1 or \
            (len(lines) > 1 and any(ln.label is None for ln in lines)):
        bare = next(ln for ln in lines if ln.label is None)
        raise NotationError("give one quantity per line as NAME = expression "
                            f"(e.g. `{primary[0].label} = ...`)", "answer",
                            bare.number, 1, text)
    cost = part.kind == "cost"
    judged, wrong, covered = [], [], False
    for ln in lines:
        if cost:
            strip_order(ln)
            ln.text = order_text(ln.text, set(spec.program.sizes) | set(spec.symbols))
        ln.value = parse_line(spec, scope, ln, text)
        ln.decimals = None if cost else read_decimals(spec, scope, ln, text)
        cands, squared = _candidates(ln, results, primary, cost)
        if not cands:
            asked = " or ".join(dict.fromkeys(r.label for r in primary))
            also = [r.label for r in results if r not in primary]
            hint = f" (it may also state {', '.join(dict.fromkeys(also))})" if also else ""
            raise NotationError(f"{ln.label} is not a quantity of this part: it asks for "
                                f"{asked}{hint}", "answer", ln.number, 1, text)
        if any(r in primary for r in cands):
            covered = True
        ok, point, note = _judge(ln, cands, squared, spec, part, cost)
        if ok is None:
            verdict.verdict = "unusable"
            verdict.message = (f"line {ln.number}: the answer could not be compared with "
                               f"{cands[0].label}: no point was found where both can be "
                               "evaluated")
            verdict.quantities = []
            return
        quantity = cands[0].label if ln.label is not None else primary[0].label
        if ok:
            judged.append((ln, cands[0], note))
            verdict.judge(quantity, "correct", "right")
        else:
            diag = _cost_diagnosis(ln.value, cands[0].value, spec, part) if cost \
                else _diagnose_against(ln.value, cands, squared, spec)
            wrong.append((ln, f"{_name(ln, cands[0])} is not right", diag, point))
            for q in verdict.quantities:        # a wrong line outweighs a right one
                if q.name == quantity:
                    q.verdict, q.message = "incorrect", "not right"
            verdict.judge(quantity, "incorrect", "not right")
    if not covered:
        verdict.judge(primary[0].label, "missing", "not given")
    verdict.quantities.sort(key=lambda q: q.name != primary[0].label)
    if wrong:
        verdict.verdict = "incorrect"
        ln, msg, diag, point = wrong[0]
        verdict.message = msg if len(lines) == 1 else f"line {ln.number}: {msg}"
        verdict.diagnosis = list(diag)
        for ln2, msg2, _, _ in wrong[1:]:
            verdict.diagnosis.append(f"line {ln2.number}: {msg2}")
        if point:
            verdict.counterexample = point
        return
    if not covered:
        verdict.verdict = "incorrect"
        verdict.message = (f"the part asks for {primary[0].label}; the answer gives "
                           f"{', '.join(_name(ln, r) for ln, r, _ in judged)} only")
        verdict.diagnosis = [f"{primary[0].label} is missing"]
        return
    verdict.verdict = "correct"
    names = list(dict.fromkeys(_name(ln, r) for ln, r, _ in judged))
    notes = "; ".join(dict.fromkeys(n for _, _, n in judged if n))
    verdict.message = f"correct: {', '.join(names)} {'is' if len(names) == 1 else 'are'} right" + \
        (f" ({notes})" if notes else "")


def _name(ln: Line, r) -> str:
    """The quantity as the student named it (sigma_W^2), else the engine's label."""
    return ln.label if ln.label else r.label


def _like_first(value, cands) -> list:
    """The forms of a quantity, those of the answer's shape first: a recurrence (with
    sigma2(l) in it) beside the recurrence, a closed form beside the closed form."""
    apps = {a.func for a in value.atoms(sp.core.function.AppliedUndef)}
    return sorted(cands, key=lambda r: {a.func for a in r.value.atoms(
        sp.core.function.AppliedUndef)} != apps)


def _diagnose_against(value, cands, squared: bool, spec) -> list:
    """The first recognized mistake against any form of the quantity (the exact or the
    approximate root; the recurrence or its solution, same shape as the answer first)."""
    first = None
    for r in _like_first(value, cands):
        diag = diagnose(value, r.value ** 2 if squared else r.value, spec)
        if not diag[-1].startswith("no common mistake"):
            return diag
        first = first or diag
    return first


def _primary(part, results) -> list:
    """The results a bare expression is compared with (one label, all its forms)."""
    if part.kind == "cost":
        measure = str(part.args.get("measure", "both"))
        want = {"work": "work", "depth": "parallel depth", "both": "work"}.get(measure, "work")
        first = next((r for r in results if r.label.endswith(want)), results[0])
    elif part.args.get("recurrence"):
        return list(results)            # the recurrence and its solution
    else:
        first = results[0]
    # the quantity's other forms (sigma_W ≈ ...), and the same value under another name
    # (max Var(u) = 1/4 and Var(u) <= 1/4)
    return [r for r in results if r.label == first.label or r.value == first.value]


def _candidates(ln: Line, results, primary, cost: bool):
    """(results the line may be answering, squared?)."""
    if ln.label is None:
        return primary, False
    lab = norm_label(ln.label)
    exact = [r for r in results if norm_label(r.label) == lab]
    if not exact and cost:
        words = {"time": "work", "runningtime": "work", "cost": "work", "depth": "paralleldepth",
                 "memory": "memory"}
        key = words.get(lab, lab)
        exact = [r for r in results if norm_label(r.label).endswith(key)
                 or norm_label(r.label).startswith(key)]
    if exact:
        return exact, False
    squared = [r for r in results
               if lab in (norm_label(r.label) + "^2", "(" + norm_label(r.label) + ")^2")]
    return squared, bool(squared)


def _judge(ln: Line, cands, squared: bool, spec, part, cost: bool):
    """(correct? True/False/None, counterexample point, note)."""
    if cost:
        grow = part.args.get("in")
        grow = None if grow is None else str(grow)
        try:
            mine, _ = growth(ln.value, spec, grow)
        except Exception as e:  # noqa: BLE001 - CostError and friends: not an order
            raise NotationError(f"cannot take the order of growth of this expression ({e})",
                                "answer", ln.number, 1, None) from None
        for r in cands:
            ref, shown = growth(r.value, spec, grow)
            if mine == ref:
                return True, None, f"grows as {shown}" + (f" in {grow}" if grow else "")
        return False, None, ""
    first_point = None
    for r in _like_first(ln.value, cands):     # a counterexample compares like with like
        want = r.value ** 2 if squared else r.value
        if _rounded_match(ln.text, want):
            return True, None, "the value, rounded as written"
        if _decimals_match(ln, want, spec):
            return True, None, "with its decimals, rounded as written"
        same, point = equivalent(ln.value, want, ranges=spec.program.ranges)
        if same:
            note = ""
            if r.relation == "≈":
                note = "the approximation"
            if ln.label is not None and ln.relation != r.relation and r.relation != "≈":
                note = f"the value is right; the derived statement is a bound, {r.label} " \
                       f"{r.relation} this value" if r.relation in ("≤", "≥") else \
                       f"the derived relation is {r.relation}"
            return True, None, note
        if same is None:
            return None, None, ""
        first_point = first_point or point
    return False, first_point, ""


_DECIMAL = re.compile(r"\s*[-+]?(\d+\.\d*|\.\d+)([eE][-+]?\d+)?\s*")


def _rounded_match(text: str, want) -> bool:
    """A bare decimal for a number: right when the number rounds to it (at least two
    significant digits, derive.check_numbers)."""
    from .check_numbers import agree, significant, MIN_DIGITS
    if not _DECIMAL.fullmatch(text) or want.free_symbols:
        return False
    try:
        w = complex(want.evalf(30))
    except (TypeError, ValueError):
        return False
    if abs(w.imag) > 1e-12 or w != w:
        return False
    digits, half = significant(text.strip().lstrip("+-"))
    if digits < MIN_DIGITS:
        return False
    return bool(agree(float(text), half, w.real))


_LITERAL = re.compile(r"(?<![\w.])(\d+\.\d*|\.\d+)([eE][-+]?\d+)?")
MAX_DECIMALS = 4        # decimals in one answer line allowed their rounding


def read_decimals(spec, scope, ln: Line, full_text: str):
    """The line with each decimal literal read as a symbol of its own: (value, {symbol:
    (exact value, half a unit in its last digit)}), or None (no decimals, too many, or one
    with fewer than two significant digits)."""
    from .check_numbers import MIN_DIGITS, significant
    from .resolve import number
    found = list(_LITERAL.finditer(ln.text))
    if not found or len(found) > MAX_DECIMALS:
        return None
    marks, text, last = {}, [], 0
    scope = scope.copy()
    for k, m in enumerate(found):
        digits, half = significant(m.group(0))
        if digits < MIN_DIGITS:
            return None
        name = f"decimalliteral{k}"
        sym = sp.Symbol(name, positive=True)
        scope.symbols[name] = sym
        marks[sym] = (number(m.group(0)), sp.Rational(half).limit_denominator(10 ** 12))
        text += [ln.text[last:m.start()], name]
        last = m.end()
    text.append(ln.text[last:])
    try:
        value = parse_line(spec, scope, Line(ln.number, ln.label, ln.relation, "".join(text)),
                           full_text)
    except NotationError:
        return None
    return value, marks


def _decimals_match(ln: Line, want, spec) -> bool:
    """An expression with decimal coefficients (`1.414/sqrt(n)` for sqrt(2)/sqrt(n),
    `sqrt(0.693/L)`): right when, at every point, the correct value lies between the
    answer's values with each decimal moved by half a unit in its last digit (each with
    at least two significant digits)."""
    import itertools
    if getattr(ln, "decimals", None) is None:
        return False
    value, halves = ln.decimals
    got, ref = _frozen(value, want)
    pts = Points(ref.free_symbols | (got.free_symbols - set(halves)),
                 ranges=spec.program.ranges)
    vb = pts.defined(ref)
    corners = [{m: v + sgn * h for sgn, (m, (v, h)) in zip(signs, halves.items())}
               for signs in itertools.product((-1, 1), repeat=len(halves))]
    seen = False
    for p, b in zip(pts.points, vb):
        if not _finite(b) or abs(b.imag) > 1e-12:
            continue
        vals = [value_at(got.xreplace(c), p) for c in corners]
        if any(v is None or not _finite(v) or abs(v.imag) > 1e-12 for v in vals):
            return False
        lo, hi = min(v.real for v in vals), max(v.real for v in vals)
        slack = 1e-12 * max(1.0, abs(b.real))
        if not lo - slack <= b.real <= hi + slack:
            return False
        seen = True
    return seen


def _cost_diagnosis(got, want, spec, part) -> list:
    grow = part.args.get("in")
    grow = None if grow is None else str(grow)
    try:
        mine, mine_shown = growth(got, spec, grow)
    except Exception:  # noqa: BLE001 - already reported as unusable earlier
        return []
    ref, _ = growth(want, spec, grow)

    def degree(keys):
        return max((sum(p for _, (p, _) in k) for k in keys), default=0)
    d_mine, d_ref = degree(mine), degree(ref)
    where = f" in {grow}" if grow else ""
    if d_mine > d_ref:
        return [f"{mine_shown}{where} grows faster than the derived cost: count how many "
                "times each statement runs, and which steps must wait for each other"]
    if d_mine < d_ref:
        return [f"{mine_shown}{where} grows slower than the derived cost: the steps through "
                "the sequence (or the layers) still run one after another"]
    return [f"{mine_shown}{where} is not the derived order (compare the logarithmic factors)"]


def _check_choice(part, ans, text, verdict, show_answer):
    result = ans.results[0]
    if show_answer:
        verdict.reference = f"{result.label} {result.relation} {result.value}"
    options = [str(o) for o in part.args.get("options", [])]
    got = text.strip().lower()
    match = [o for o in options if o.lower() == got or (got and o.lower().startswith(got))]
    if not match:
        verdict.verdict = "unusable"
        verdict.message = f"expected one of the options: {', '.join(options)}"
        return
    ok = match[0].lower() == str(result.value).lower()
    verdict.verdict = "correct" if ok else "incorrect"
    verdict.judge(result.label, verdict.verdict, "the option")
    verdict.message = "correct" if ok else f"{match[0]!r} is not the right option"
    if not ok:
        verdict.diagnosis = [f"compare the two quantities: {result.label}"]
