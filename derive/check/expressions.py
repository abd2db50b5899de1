"""Expression answers: moments, solutions, bounds, costs and choices."""
from __future__ import annotations

import re
import sympy as sp
from derive.core.errors import NotationError
from derive.check.compare import Points, _finite, _fmt, _frozen, diagnose, equivalent, value_at
from derive.check.lines import (Line, answer_scope, layer_variance_label, norm_label,
                                parse_line, read_lines, strip_order)
from derive.check.orders import _cost_diagnosis, growth, order_text
from derive.answers import solve_part
from derive.check.numeric import agree, significant, MIN_DIGITS
from derive.front.notation import number

# --------------------------------------------------------------------------
# the check
# --------------------------------------------------------------------------


def check_expression_part(spec, part, text: str, verdict, show_answer: bool):
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
    also_required = _also_required(part, results, primary)
    group_covered: set = set()
    unread = []         # middle links of a chain that could not be read (E[h²] of a temp)
    for ln in lines:
        if cost:
            strip_order(ln)
            ln.text = order_text(ln.text, set(spec.program.sizes) | set(spec.symbols))
        try:
            ln.value = parse_line(spec, scope, ln, text, part)
        except NotationError as e:
            if not ln.inner:
                raise
            unread.append((ln, e))     # judged by the links after it, said in the verdict
            continue
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
        for group in also_required:
            if any(r in group for r in cands):
                group_covered.add(group[0].label)
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
            diag = _cost_diagnosis(ln.value, cands[0].value, spec, part, cands[0].label) if cost \
                else _diagnose_against(ln.value, cands, squared, spec)
            wrong.append((ln, f"{_name(ln, cands[0])} is not right", diag, point))
            for q in verdict.quantities:        # a wrong line outweighs a right one
                if q.name == quantity:
                    q.verdict, q.message = "incorrect", "not right"
            verdict.judge(quantity, "incorrect", "not right")
    if not covered:
        verdict.judge(primary[0].label, "missing", "not given")
    missing = [g[0].label for g in also_required if g[0].label not in group_covered]
    for label in missing:
        verdict.judge(label, "missing", "not given")
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
    if missing:
        verdict.verdict = "incorrect"
        given = ", ".join(dict.fromkeys(_name(ln, r) for ln, r, _ in judged))
        verdict.message = (f"the part asks for {primary[0].label} and {', '.join(missing)}; "
                           f"the answer gives {given} only")
        verdict.diagnosis = [f"{m} is missing: give it on its own line, as "
                             f"`{m.split()[-1]} = O(...)`" for m in missing]
        return
    verdict.verdict = "correct"
    names = list(dict.fromkeys(_name(ln, r) for ln, r, _ in judged))
    notes = "; ".join(dict.fromkeys([n for _, _, n in judged if n] + [
        f"the step `{ln.text.strip()}` on line {ln.number} was not read ({e.message}); "
        "the links after it were judged" for ln, e in unread]))
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


def _also_required(part, results, primary) -> list:
    """The quantities a part asks for besides its primary one, each as the group of its
    forms: a cost part with `measure: both` asks for the parallel depth too (a part that
    does not say asks for the work; its depth is shown with the answer)."""
    if part.kind != "cost" or str(part.args.get("measure")) != "both":   # as the spec says
        return []
    depth = next((r for r in results if r.label.endswith("parallel depth")
                  and r not in primary), None)
    return [[r for r in results if r.label == depth.label]] if depth is not None else []


def _candidates(ln: Line, results, primary, cost: bool):
    """(results the line may be answering, squared?)."""
    if ln.label is None:
        return primary, False
    lab = norm_label(ln.label)
    exact = [r for r in results if lab in {norm_label(x) for x in (r.label, *r.aliases)}]
    if not exact and layer_variance_label(ln.label):
        exact = [r for r in results if norm_label(r.label) == layer_variance_label(ln.label)]
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
        ind = spec.scope.in_independents      # U = 2*X + D: either way of writing it
        same, point = equivalent(ind(ln.value), ind(want), ranges=spec.program.ranges)
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
    significant digits, derive.check.numeric)."""
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


def _check_choice(part, ans, text, verdict, show_answer):
    result = ans.results[0]
    if show_answer:
        verdict.reference = f"{result.label} {result.relation} {result.value}"
    options = [str(o) for o in part.args.get("options", [])]
    got = text.strip().lower()
    match = [o for o in options if o.lower() == got or (got and o.lower().startswith(got))]
    first = re.match(r"\s*([A-Za-z][\w-]*)(?=$|[^\w])(.*)", text, re.S)
    if not match and first and first.group(2).strip():
        # an option, then a justification: "smaller, because the slope is at most 1/4"
        word = first.group(1).lower()
        match = [o for o in options if o.lower() == word]
        others = [o for o in options if o.lower() != word and
                  re.search(r"\b%s\b" % re.escape(o.lower()), first.group(2).lower())]
        if match and others:          # "smaller or equal": two options, no answer
            verdict.verdict = "unusable"
            verdict.message = (f"give one option: the answer names {match[0]} and "
                               f"{', '.join(others)} (options: {', '.join(options)})")
            return
        if match:
            verdict.reading = [f"judged by the option {match[0]!r}; the rest is read as "
                               f"your justification"]
    if not match:
        verdict.verdict = "unusable"
        import difflib
        near = difflib.get_close_matches(got, [o.lower() for o in options], n=1, cutoff=0.6)
        verdict.message = (f"did you mean {near[0]}? " if near else "") + \
            f"expected one of the options: {', '.join(options)}"
        return
    ok = match[0].lower() == str(result.value).lower()
    verdict.verdict = "correct" if ok else "incorrect"
    verdict.judge(result.label, verdict.verdict, "the option")
    verdict.message = "correct" if ok else f"{match[0]!r} is not the right option"
    if not ok:
        verdict.diagnosis = [f"compare the two quantities: {result.label}"]
