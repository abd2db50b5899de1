"""Numeric answers: each asked value judged at the precision written."""
from __future__ import annotations

import numpy as np
from derive.core.errors import (NotationError)
from derive.front.spec import Spec
from derive.front import notation as N
from derive.front.resolve import Resolver

# --------------------------------------------------------------------------
# numeric answers
# --------------------------------------------------------------------------


def _check_numeric(spec: Spec, part, text, verdict, show_answer):
    """Each asked value judged on its own: correct, incorrect or missing.  Numbers are
    read at the precision written (derive.check.numeric.agree)."""
    from derive.answers import solve_part
    ans = solve_part(spec, part.label, verify=False)
    if show_answer:
        verdict.reference = "\n".join(f"{k} = {np.asarray(v).tolist()}"
                                      for k, v in ans.values.items())
    given = read_values(text, spec.scope)
    if not given:
        raise NotationError("expected value lines such as `W.grad = [[6, 12], [0, 0]]`",
                            "answer", 1, 1, text)
    asked = list(ans.values)
    for name, _, _, line, node in given:
        if name not in ans.values:
            raise NotationError(f"{name} is not asked for in this part; it asks for "
                                f"{', '.join(asked)}", "answer", line, node.col, text)
    wrong = []
    seen = set()
    for name, got, ulps, _, _ in given:
        if name in seen:
            continue
        seen.add(name)
        want = np.asarray(ans.values[name], dtype=float)
        if got.shape != want.shape:
            msg = f"{name} has shape {list(got.shape)}, expected {list(want.shape)}"
            wrong.append(msg)
            verdict.judge(name, "incorrect", msg)
            continue
        ok = agree(got, np.broadcast_to(ulps, got.shape), want)
        if ok.all():
            verdict.judge(name, "correct", "matches")
            continue
        at = np.unravel_index(int(np.argmin(ok)), ok.shape) if ok.ndim else ()
        entry = f"{name}[{', '.join(str(int(i)) for i in at)}]" if at else name
        msg = f"{entry} is {float(got[at]):g}, which is not right"
        ulp = np.broadcast_to(ulps, got.shape)
        if agree(-got, ulp, want).all():
            msg += " (the sign of the whole quantity is flipped)"
        elif got.ndim == 2 and got.shape[0] == got.shape[1] and agree(got.T, ulp.T, want).all():
            msg += f" ({name} is transposed: its rows and columns are swapped)"
        elif np.any(want) and np.all((want == 0) | (got != 0)):
            ratio = got[want != 0] / want[want != 0]
            if np.allclose(ratio, ratio.flat[0]) and ratio.flat[0] not in (0, 1):
                msg += f" (the whole quantity is {ratio.flat[0]:g} times the right one)"
        wrong.append(msg)
        verdict.judge(name, "incorrect", msg)
    missing = [k for k in asked if k not in seen]
    for k in missing:
        verdict.judge(k, "missing", "not given")
    verdict.quantities.sort(key=lambda q: asked.index(q.name))
    if wrong or missing:
        verdict.verdict = "incorrect"
        parts = []
        if wrong:
            parts.append(f"{len(wrong)} of {len(asked)} quantities are wrong")
        if missing:
            parts.append(f"{len(missing)} of {len(asked)} not given ({', '.join(missing)})")
        verdict.message = "; ".join(parts)
        verdict.diagnosis = wrong + ([f"missing: {', '.join(missing)} (the part asks for "
                                      f"{', '.join(asked)})"] if missing else [])
        return
    verdict.verdict = "correct"
    verdict.message = f"correct: {', '.join(asked)} {'is' if len(asked) == 1 else 'are'} right"


MIN_DIGITS = 2          # significant digits a rounded number needs
EXACT = 1e-9            # relative agreement of an exact number


def significant(text: str) -> tuple[int, float]:
    """(significant digits, half a unit in the last place) of a decimal literal."""
    mant, _, expo = text.lower().partition("e")
    scale = 10.0 ** int(expo) if expo else 1.0
    if "." in mant:
        whole, frac = mant.split(".", 1)
        digits = (whole + frac).lstrip("0")
        return len(digits), 0.5 * 10.0 ** -len(frac) * scale
    digits = mant.lstrip("0")
    trailing = len(digits) - len(digits.rstrip("0"))
    return len(digits) - trailing, 0.5 * 10.0 ** trailing * scale


def read_values(text: str, scope, source: str = "answer") -> list:
    """`name = value` lines -> [(name, values, half-ulps, line, node)]; half-ulp 0 marks an
    exact number (an integer, a fraction, or a decimal with too few digits to be read as
    rounded)."""
    out = []
    for target, value in N.parse_values(text, source, None, 0):
        r = Resolver(scope, source, text, None, 0)
        if isinstance(target, N.Name):
            name = target.id
        elif isinstance(target, N.Grad):
            name = target.base.id + ".grad"
        else:
            r.err(target, "expected a tensor name on the left of a value line")
        base = name[:-5] if name.endswith(".grad") else name
        if base not in scope.tensors and base not in scope.symbols:
            r.err(target, f"unknown tensor {base!r}")
        vals, ulps = _literal(r, value)
        out.append((name, np.asarray(vals, dtype=float), np.asarray(ulps, dtype=float),
                    target.line, target))
    return out


def _literal(r, node):
    if isinstance(node, N.ListLit):
        items = [_literal(r, x) for x in node.items]
        shapes = {np.shape(v) for v, _ in items}
        if len(shapes) > 1:
            r.err(node, "the rows of this list have different lengths")
        return [v for v, _ in items], [u for _, u in items]
    if isinstance(node, N.Num):
        value = float(r.num(node))
        digits, half = significant(node.text)
        rounded = ("." in node.text or "e" in node.text.lower()) and digits >= MIN_DIGITS
        return value, half if rounded else 0.0
    if isinstance(node, N.Unary):
        v, u = _literal(r, node.operand)
        if isinstance(v, list):
            r.err(node, "a sign applies to a number, not a list")
        return (-v if node.op == "-" else v), u
    if isinstance(node, N.BinOp) and node.op == "/" and isinstance(node.left, (N.Num, N.Unary)):
        (a, _), (b, _) = _literal(r, node.left), _literal(r, node.right)
        if isinstance(a, list) or isinstance(b, list) or b == 0:
            r.err(node, "expected a number")
        return a / b, 0.0
    power = _power_of_ten(node.right) if isinstance(node, N.BinOp) and node.op == "*" \
        else None
    if power is not None:               # 4.84·10⁻³, 4.84*10^-3: scientific notation
        a, u = _literal(r, node.left)
        if isinstance(a, list):
            r.err(node, "expected a number times a power of ten")
        return a * 10.0 ** power, u * 10.0 ** power
    if _power_of_ten(node) is not None:
        return 10.0 ** _power_of_ten(node), 0.0
    r.err(node, "expected a number or a [list] of numbers")


def _power_of_ten(node):
    """The integer e of `10^e` (10^-3, 10^(-3)), or None."""
    if not (isinstance(node, N.BinOp) and node.op == "^" and isinstance(node.left, N.Num)
            and node.left.text == "10"):
        return None
    e, sign = node.right, 1
    if isinstance(e, N.Unary):
        sign, e = (-1 if e.op == "-" else 1), e.operand
    if isinstance(e, N.Num) and e.text.isdigit() and len(e.text) <= 3:
        return sign * int(e.text)
    return None


def agree(got, ulps, want) -> np.ndarray:
    """Elementwise: is `got` (written to half-ulps `ulps`) the value `want`?"""
    got, ulps, want = (np.asarray(x, dtype=float) for x in (got, ulps, want))
    close = np.abs(got - want) <= EXACT * np.maximum(1.0, np.abs(want))
    rounded = np.abs(got - want) <= ulps * (1 + 1e-9) + 1e-15 * np.abs(want)
    return np.isfinite(got) & (close | ((ulps > 0) & rounded))
