"""The corpus's own judge of expression, choice, cost and numeric answers (no
`derive`).  The truths below are derived by hand (see README.md) and confirmed by
sympy and Monte Carlo in test_corpus_selfcheck.py.

Rules used for the labels:
* every line must be readable (sympy with explicit operators only: juxtaposition,
  prose, unbalanced brackets are unusable), and must name a quantity of the part
  (a bare expression stands for the part's main quantity); a quantity the part
  does not ask about (``Var(W)`` where sigma_W is asked) is unusable;
* every side of every relation must equal the truth at random points and be
  finite (NaN or inf is wrong);
* a decimal literal must be the truth correctly rounded to the digits shown:
  its error may not exceed half a unit in its last digit;
* numeric parts need every asked quantity with the right value;
* costs are judged by the order of growth in the size the part asks about.
"""
from __future__ import annotations

import math
import re

import numpy as np
import sympy as sp
from sympy.parsing.sympy_parser import parse_expr, standard_transformations

SYM = {name: sp.Symbol(name, positive=True)
       for name in ("n", "m", "v", "g", "sigma_W", "d", "D", "J", "L", "l", "a", "T", "N", "V",
                    "K", "B")}
n, m, v, g, sW, d, D, J, L, l, a = (SYM[k] for k in ("n", "m", "v", "g", "sigma_W", "d", "D", "J",
                                                    "L", "l", "a"))
r = 1 + D ** 2 * J * sW ** 2


class Unusable(Exception):
    pass


def _sigmoid(x):
    return 1 / (1 + sp.exp(-x))


# the truth of each part: the main quantity (label None) and the other quantities it may state
TRUTH = {
    "init_variance:a": {"sigma_W": 1 / sp.sqrt(d), "E(y)": sp.Integer(0)},
    "init_variance:b": {None: sp.Rational(1, 2), "E(u)": sp.Rational(1, 2)},
    "init_variance:d": {None: sp.Rational(1, 4), "Var(u)": sp.Rational(1, 4),
                        "max Var(u)": sp.Rational(1, 4)},
    "he_init:a": {None: n * sW ** 2 * v / 2, "Var(z1)": n * sW ** 2 * v / 2, "E(z1)": sp.Integer(0)},
    "he_init:b": {"sigma_W": sp.sqrt(2 / n)},
    "he_init:c": {None: sp.Integer(0), "E(z1)": sp.Integer(0)},
    "he_init:d": {None: sp.sqrt(v / (2 * sp.pi)), "E(h)": sp.sqrt(v / (2 * sp.pi))},
    "glorot_init:a": {None: n * v * sW ** 2, "Var(y)": n * v * sW ** 2, "E(y)": sp.Integer(0)},
    "glorot_init:b": {None: m * g * sW ** 2, "Var(x.grad)": m * g * sW ** 2,
                      "E(x.grad)": sp.Integer(0)},
    "glorot_init:c": {"sigma_W": 1 / sp.sqrt(n)},
    "glorot_init:d": {"sigma_W": 1 / sp.sqrt(m)},
    "glorot_init:e": {"sigma_W": sp.sqrt(2 / (n + m))},
    "glorot_init:f": {"a": sp.sqrt(6 / (n + m)), "E(W)": sp.Integer(0)},
    "resnet_variance:a": {None: r ** l, "sigma2": sp.Lambda(l, r ** l)},
    "resnet_variance:b": {"sigma_W": sp.sqrt((2 ** (1 / L) - 1) / (D ** 2 * J)),
                          "~sigma_W": sp.sqrt(sp.log(2) / (L * D ** 2 * J))},
    "resnet_variance:c": {None: r ** (L - l), "sigma2_grad": sp.Lambda(l, r ** (L - l))},
}
# for solve parts a bare expression is the solved symbol
SOLVED = {"init_variance:a": "sigma_W", "he_init:b": "sigma_W", "glorot_init:c": "sigma_W",
          "glorot_init:d": "sigma_W", "glorot_init:e": "sigma_W", "glorot_init:f": "a",
          "resnet_variance:b": "sigma_W"}

CHOICE = {"init_variance:c": ("smaller", ("smaller", "equal", "larger")),
          "he_init:e": ("smaller", ("smaller", "equal", "larger"))}
COST = {"rnn_lm_cost:a": ("T", 1), "rnn_unroll:b": ("T", 1), "loss_heads:b": ("L", 1)}

NUMERIC = {
    "mlp_numeric:forward": {"z": [1, -3], "h": [1, 0], "y": 3, "C": 2},
    "mlp_numeric:backward": {"y.grad": 2, "h.grad": [6, -2], "z.grad": [6, 0], "x.grad": [-6, 6],
                             "v.grad": [2, 0], "W.grad": [[6, 12], [0, 0]]},
}


# ---------------------------------------------------------------------------

def _parse(text, extra=None):
    text = text.strip().replace("^", "**").replace("π", "pi").replace("√", "sqrt")
    if not text:
        raise Unusable("empty")
    if not re.fullmatch(r"[A-Za-z0-9_+\-*/(). ,]*", text):
        raise Unusable(f"unexpected characters in {text!r}")
    local = dict(SYM)
    local.update({"sqrt": sp.sqrt, "log": sp.log, "exp": sp.exp, "sigma": _sigmoid, "pi": sp.pi})
    if extra:
        local.update(extra)
    try:
        expr = parse_expr(text, local_dict=local, transformations=standard_transformations,
                          evaluate=True)
    except Exception as e:               # SyntaxError, TokenError, TypeError ...
        raise Unusable(f"cannot read {text!r}: {e}") from None
    free = {s.name for s in expr.free_symbols} - set(SYM)
    if free:
        raise Unusable(f"unknown names {sorted(free)}")
    return expr


def _decimal_tolerance(text):
    """Relative half-unit of the coarsest decimal literal of the text (0 if none)."""
    tol = 0.0
    for lit in re.findall(r"(?<![\w.])(\d+\.\d+)", text):
        digits = lit.replace(".", "").lstrip("0")
        sig = max(len(digits), 1)
        if sig == 1:
            continue            # 0.5, 3.0: one significant digit, taken as exact
        val = float(lit)
        if val == 0:
            continue
        exponent = math.floor(math.log10(abs(val)))
        half_unit = 0.5 * 10 ** (exponent - sig + 1)
        tol = max(tol, half_unit / abs(val))
    return tol


POINTS = [dict(n=5, m=3, v=0.7, g=1.3, sigma_W=0.45, d=7, D=3, J=4, L=6, l=2, a=0.6),
          dict(n=9, m=4, v=2.1, g=0.4, sigma_W=1.7, d=3, D=2, J=5, L=3, l=1, a=1.9),
          dict(n=2, m=11, v=0.3, g=3.0, sigma_W=0.8, d=12, D=5, J=2, L=9, l=4, a=0.2)]


def _num(expr, point):
    try:
        val = complex(sp.N(expr.subs({SYM[k]: vv for k, vv in point.items()}), 30))
    except (TypeError, ValueError):
        return math.nan
    if abs(val.imag) > 1e-12 * max(1.0, abs(val.real)):
        return math.nan
    return val.real


def _label_key(label):
    lab = re.sub(r"\s+", " ", label.strip())
    lab = lab.replace("E[", "E(").replace("]", ")") if lab.startswith("E[") else lab
    return lab


def judge_expression(target, text):
    """'correct' / 'incorrect' / 'unusable' for variance, mean and solve parts."""
    truth = TRUTH[target]
    solved = SOLVED.get(target)
    lines = [ln for ln in text.strip().splitlines() if ln.strip()]
    if not lines:
        return "unusable", "empty"
    tol = _decimal_tolerance(text)
    verdict = "correct"
    why = []
    try:
        for ln in lines:
            parts = re.split(r"≈|<=|≤|=", ln)
            if len(parts) == 1:
                label, sides = None, parts
            else:
                label, sides = parts[0], parts[1:]
            extra = {}
            for fname in ("sigma2", "sigma2_grad"):
                if fname in truth:
                    extra[fname] = truth[fname]
            values = []
            if label is None:
                main = truth.get(None, truth.get(solved))
                if solved and "~" + solved in truth:
                    values.append(("alt", (truth[solved], truth["~" + solved])))
                else:
                    values.append(("truth", main))
            else:
                key = _label_key(label)
                if key in truth and key not in ("sigma2", "sigma2_grad"):
                    values.append(("truth", truth[key]))
                elif re.search(r"sigma2(_grad)?\s*\(", key) and ("sigma2" in truth or
                                                                "sigma2_grad" in truth):
                    values.append(("label", _parse(key, extra)))
                elif solved and re.fullmatch(rf"{solved}\s*\*\*\s*2|{solved}\^2", key):
                    if "~" + solved in truth:
                        values.append(("alt", (truth[solved] ** 2, truth["~" + solved] ** 2)))
                    else:
                        values.append(("truth", truth[solved] ** 2))
                else:
                    raise Unusable(f"{label.strip()!r} is not a quantity of {target}")
                if solved and key == solved and "~" + solved in truth:
                    # the question asks for the approximation: the exact root or the
                    # approximate one are both accepted, whichever relation sign is used
                    values[-1] = ("alt", (truth[solved], truth["~" + solved]))
            for s in sides:
                values.append(("side", _parse(s, extra)))
            alts = values[0][1] if values[0][0] == "alt" else (values[0][1],)
            line_ok = False
            for alt in alts:
                ok, msg = _compare([alt] + [e for _, e in values[1:]], tol, ln)
                if ok:
                    line_ok = True
                    break
            if not line_ok:
                verdict = "incorrect"
                why.append(msg)
    except Unusable as e:
        return "unusable", str(e)
    if solved and verdict == "correct":
        # the solved quantity must be stated (a line with it, its square, or a bare expression)
        named = any(re.match(rf"\s*{solved}\b", ln) for ln in lines) or \
            any(not re.search(r"≈|<=|≤|=", ln) for ln in lines)
        if not named:
            return "incorrect", f"{solved} is not given"
    return verdict, why


def _compare(exprs, tol, ln):
    """All of exprs equal (and finite) at every point, within the rounding tolerance."""
    for point in POINTS:
        nums = [_num(e, point) for e in exprs]
        if not all(math.isfinite(x) for x in nums):
            return False, f"{ln!r}: not finite at {point}"
        ref = nums[0]
        for x in nums[1:]:
            err = abs(x - ref) / max(abs(ref), 1e-300) if ref != 0 else abs(x)
            if err > tol * (1 + 1e-9) + 1e-12:
                return False, f"{ln!r}: {x} vs {ref} (rel err {err:.2e}, allowed {tol:.1e})"
    return True, ""


def judge_choice(target, text):
    right, options = CHOICE[target]
    t = text.strip().lower()
    if t not in options:
        return "unusable", f"{t!r} is not an option"
    return ("correct" if t == right else "incorrect"), ""


def judge_cost(target, text):
    size, order = COST[target]
    t = text.strip()
    t = re.sub(r"^\w+\s*=\s*", "", t)
    mo = re.fullmatch(r"(O|Theta|Θ)\((.*)\)", t)
    inner = mo.group(2) if mo else t
    # an order as textbooks print it: `T log J` is T*log(J), `log T` is log(T)
    inner = re.sub(r"\blog\s+(\w+)", r"log(\1)", inner)
    inner = re.sub(r"([\w)])\s+(?=[\w(])", r"\1*", inner)
    expr = _parse(inner) if _readable(inner) else None
    if expr is None:
        return "unusable", "cannot read the order"
    x = SYM[size]
    others = {s: 3 for s in expr.free_symbols if s != x}
    f = sp.lambdify(x, expr.subs(others), "math")
    lo, hi = 1e4, 1e8
    try:
        exponent = math.log(f(hi) / f(lo)) / math.log(hi / lo)
    except (ValueError, ZeroDivisionError):
        return "incorrect", "not a growth"
    return ("correct" if abs(exponent - order) < 0.02 else "incorrect"), f"exponent {exponent:.3f}"


def _readable(text):
    try:
        _parse(text)
        return True
    except Unusable:
        return False


def _value(text):
    text = text.strip()
    if not re.fullmatch(r"[\d\s\[\],.+\-/]*", text) or not text:
        raise Unusable(f"cannot read the value {text!r}")
    if text.count("[") != text.count("]"):
        raise Unusable("unbalanced brackets")
    try:
        tree = parse_expr(text.replace("[", "(").replace("]", ",)").replace(",,", ","),
                          transformations=standard_transformations)
    except Exception as e:
        raise Unusable(f"cannot read the value {text!r}: {e}") from None

    def conv(t):
        if isinstance(t, tuple):
            return [conv(u) for u in t]
        return float(t)
    return conv(tree)


def judge_numeric(target, text):
    truth = NUMERIC[target]
    got = {}
    try:
        for ln in text.strip().splitlines():
            if not ln.strip():
                continue
            if "=" not in ln:
                raise Unusable(f"no `name = value` in {ln!r}")
            name, val = ln.split("=", 1)
            name = name.strip()
            got[name] = _value(val)
    except Unusable as e:
        return "unusable", str(e)
    extra = set(got) - set(truth)
    if extra:
        return "incorrect", f"not asked: {sorted(extra)}"
    missing = set(truth) - set(got)
    bad = [k for k in got if np.shape(got[k]) != np.shape(truth[k]) or
           not np.allclose(np.asarray(got[k], float), np.asarray(truth[k], float), rtol=0,
                           atol=1e-9)]
    if bad:
        return "incorrect", f"wrong: {sorted(bad)}"
    if missing:
        return "incorrect", f"partial: missing {sorted(missing)}"
    return "correct", ""


def judge(target, kind, text):
    if kind in ("variance", "mean", "solve"):
        return judge_expression(target, text)
    if kind == "choice":
        return judge_choice(target, text)
    if kind == "cost":
        return judge_cost(target, text)
    if kind == "numeric":
        return judge_numeric(target, text)
    raise KeyError(kind)
