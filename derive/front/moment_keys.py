"""The keys of a spec's moments parts: assume:, given:, and variance / mean / solve /
choice parts, validated and normalized."""
from __future__ import annotations

import numpy as np
import sympy as sp
from derive.front import notation as N
from derive.core.errors import NotationError
from derive.front.notation import number
from derive.core.program import format_expr

# --------------------------------------------------------------------------
# moments: assume:, given:, and the keys of variance / mean / solve / choice parts
# --------------------------------------------------------------------------

MOMENT_KINDS = ("variance", "mean", "solve", "choice")
ASSUME_KEYS = ("mean", "variance", "symmetric", "independent", "distribution", "constant",
               "low", "high", "nu")
# the keys of a part's recurrence:, condition: (a moment, or a recurrence at a layer) and compare:
RECURRENCE_KEYS = ("from", "layer", "at")
CONDITION_KEYS = ("of", "equals", "part", "layer")
COMPARE_KEYS = ("of", "with", "moment")
# how Monte Carlo draws a tensor; each of these laws but bernoulli is symmetric about its mean
DISTRIBUTIONS = ("normal", "uniform", "rademacher", "bernoulli", "t")
# the parameters of a law, by the keys that carry them ('uniform(a, b)' = low: a, high: b)
LAW_PARAMETERS = {"uniform": ("low", "high"), "t": ("nu",), "bernoulli": ("mean",)}
SKEWED = ("bernoulli",)             # values 0 and 1: mean q, variance q(1 - q)
# the named approximations a solve part may ask for (derive.engines.moments.APPROXIMATIONS)
APPROXIMATION_NAMES = ("power_to_exp", "log1p")
# choice options that compare two moments, by the relation they name
COMPARISON_WORDS = {"smaller": "<", "less": "<", "lower": "<",
                    "equal": "=", "same": "=",
                    "larger": ">", "greater": ">", "bigger": ">", "higher": ">"}
MOMENT_CALLS = {"Var": "variance", "E": "mean"}
_SCALAR_FUNCTIONS = {"sqrt": sp.sqrt, "exp": sp.exp, "log": sp.log, "ln": sp.log}


def moment_call(name: str, tensor: str) -> sp.Expr:
    """The placeholder `Var(y)` / `E(y)` of a condition, replaced by the derived moment."""
    return sp.Function(name)(sp.Symbol(tensor))


def _tensor_name(L, key, value, scope, grads=True) -> str:
    """A tensor of the program, or `X.grad` of one."""
    if not isinstance(value, str) or isinstance(value, bool):
        L.fail("expected a tensor name", key)
    name = value.strip()
    base = name[:-5] if name.endswith(".grad") else name
    if base not in scope.tensors or (name != base and not grads):
        known = ", ".join(n for n in scope.tensors if not n.endswith(".grad"))
        L.fail(f"unknown tensor {name!r} (tensors: {known}"
               + ("; a gradient is written X.grad)" if grads else ")"), key)
    return name


def _expression(L, key, value, scope, moments=False) -> sp.Expr:
    """A YAML number, or notation text such as 'sigma_W^2' built into SymPy (never evaluated).

    Names are the spec's symbols and sizes; with `moments`, `Var(y)` and `E(y)` name
    the variance and mean of a tensor's entries."""
    if isinstance(value, bool) or value is None or isinstance(value, (list, dict)):
        L.fail("expected a number or an expression such as 'sigma_W^2'", key)
    if isinstance(value, int):
        return sp.Integer(value)
    if isinstance(value, float):
        if not np.isfinite(value):
            L.fail("expected a finite number", key)
        return number(repr(value))
    text = str(value)
    return _build(L, key, text, N.parse_expression(text, L.path, key), scope, moments)


def _build(L, key, text, tree, scope, moments=False) -> sp.Expr:
    """The SymPy expression of a parsed notation tree (`text` is its source, for messages)."""
    def fail(node, message):
        raise NotationError(message, L.path, node.line, node.col, text, key)

    def walk(node):
        if isinstance(node, N.Num):
            try:
                return number(node.text)
            except ValueError:
                fail(node, f"number {node.text!r} is too large")
        if isinstance(node, N.Name):
            if node.id in scope.symbols:
                return scope.symbols[node.id]
            if node.id in scope.sizes:
                return scope.sizes[node.id]
            if node.id == "pi":
                return sp.pi
            if node.id in scope.tensors:
                fail(node, f"{node.id!r} is a tensor: "
                     + ("write Var(" + node.id + ") or E(" + node.id + ")" if moments
                        else "only symbols and sizes may appear here"))
            known = sorted(set(scope.symbols) | set(scope.sizes))
            fail(node, f"unknown name {node.id!r} (symbols and sizes: "
                       f"{', '.join(known) or 'none'})")
        if isinstance(node, N.Unary):
            v = walk(node.operand)
            return -v if node.op == "-" else v
        if isinstance(node, N.BinOp) and node.op in ("+", "-", "*", "/", "^"):
            a, b = walk(node.left), walk(node.right)
            if node.op == "/" and b == 0:
                fail(node, "division by zero")
            if node.op == "^" and b.is_Number and abs(b) > 100:
                fail(node, f"exponent {b} is too large (at most 100)")
            return {"+": lambda: a + b, "-": lambda: a - b, "*": lambda: a * b,
                    "/": lambda: a / b, "^": lambda: sp.Pow(a, b)}[node.op]()
        if isinstance(node, N.Call):
            fname = node.func.id
            if moments and fname in MOMENT_CALLS:
                if len(node.args) != 1:
                    fail(node, f"{fname} takes one tensor, e.g. {fname}(y)")
                arg = node.args[0]
                if isinstance(arg, N.Name):
                    tname = arg.id
                elif isinstance(arg, N.Grad):
                    tname = arg.base.id + ".grad"
                else:
                    fail(arg, f"{fname} takes a tensor name such as y or x.grad "
                              "(entries are identically distributed: no indices)")
                base = tname[:-5] if tname.endswith(".grad") else tname
                if base not in scope.tensors:
                    fail(arg, f"unknown tensor {base!r}")
                return moment_call(fname, tname)
            if fname in _SCALAR_FUNCTIONS and len(node.args) == 1:
                return _SCALAR_FUNCTIONS[fname](walk(node.args[0]))
            allowed = sorted(_SCALAR_FUNCTIONS) + (sorted(MOMENT_CALLS) if moments else [])
            fail(node, f"unknown function {fname!r} here (allowed: {', '.join(allowed)})")
        fail(node, "expected an arithmetic expression of symbols and numbers"
                   + (", Var(tensor) and E(tensor)" if moments else ""))
    return walk(tree)


def _flag(L, key, value) -> bool:
    if not isinstance(value, bool):
        L.fail("expected true or false", key)
    return value


def _assumptions(L, key, raw, scope) -> dict:
    """`assume:` (or a part's `given:`): tensor -> normalized assumption.

    Random: {mean, variance, symmetric, independent, distribution}; constant: {constant}."""
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        L.fail("expected a mapping of tensor names to assumptions", key)
    out = {}
    for name, opts in raw.items():
        k = f"{key}.{name}"
        name = str(name)
        base = name[:-5] if name.endswith(".grad") else name
        if base not in scope.tensors:
            what = "a symbol: assume: is for random tensors" if base in scope.symbols \
                else "unknown tensor or symbol"
            known = ", ".join(n for n in scope.tensors if not n.endswith(".grad"))
            L.fail(f"{what} (tensors: {known}; a gradient is written X.grad)", k)
        if name == base and scope.tensors[name].role == "computed":
            L.fail(f"the program computes {name!r}: its moments are derived, not assumed "
                   "(assume: is for inputs, parameters and upstream gradients)", k)
        if not isinstance(opts, dict):
            L.fail("expected a mapping such as {mean: 0, variance: 1}", k)
        for a in opts:
            if a not in ASSUME_KEYS:
                L.fail(f"unknown key (allowed: {', '.join(ASSUME_KEYS)})", f"{k}.{a}")
        if "constant" in opts:
            others = [a for a in opts if a != "constant"]
            if others:
                L.fail("a constant tensor has no mean, variance or distribution "
                       "(every entry equals the constant)", f"{k}.{others[0]}")
            out[name] = {"constant": _expression(L, f"{k}.constant", opts["constant"], scope)}
            continue
        dist, opts, where = _law_call(L, k, opts, scope)
        if dist is not None and dist not in DISTRIBUTIONS:
            L.fail(f"unknown distribution {dist!r} (distributions: {', '.join(DISTRIBUTIONS)}; "
                   "leave it out to assume only the mean and variance)", f"{k}.distribution")
        for a in ("low", "high", "nu"):
            if a in opts and a not in LAW_PARAMETERS.get(dist, ()):
                L.fail(f"{a} is a parameter of " + ("a t law (distribution: t)" if a == "nu"
                       else "an interval (distribution: uniform)"), f"{k}.{a}")
        params = {}
        if dist == "bernoulli":
            if "mean" not in opts:
                L.fail("missing required key (a bernoulli mask takes the values 1 and 0: "
                       "its mean is the probability of 1, e.g. mean: q)", f"{k}.mean")
            mean = _param(L, where("mean"), opts["mean"], scope)
            variance = _implied(L, k, opts, scope, "a bernoulli mask of mean "
                                f"{format_expr(mean)}", mean * (1 - mean))
        elif dist == "uniform" and ("low" in opts or "high" in opts):
            params = _interval(L, k, opts, scope, where)
            low, high = params["low"], params["high"]
            what = f"uniform({format_expr(low)}, {format_expr(high)})"
            mean = _implied(L, k, opts, scope, what, (low + high) / 2, "mean")
            variance = _implied(L, k, opts, scope, what, (high - low) ** 2 / 12)
        elif dist == "t":
            nu = _degrees(L, k, opts, scope, where)
            params = {"nu": nu, "nu_low": nu_lower_bound(nu, getattr(scope, "ranges", {}))}
            what = f"t({format_expr(nu)})"
            mean = _implied(L, k, opts, scope, what, sp.S.Zero, "mean")
            variance = _implied(L, k, opts, scope, what, nu / (nu - 2))
        else:
            if "variance" not in opts:
                L.fail("missing required key (a random tensor needs its variance; "
                       "write constant: for a fixed tensor)", f"{k}.variance")
            variance = _expression(L, f"{k}.variance", opts["variance"], scope)
            mean = _expression(L, f"{k}.mean", opts.get("mean", 0), scope)
        if variance.is_negative:
            L.fail("a variance cannot be negative", f"{k}.variance")
        symmetric = _flag(L, f"{k}.symmetric",
                          opts.get("symmetric", dist is not None and dist not in SKEWED))
        if dist is not None and dist not in SKEWED and not symmetric:
            L.fail(f"a {dist} distribution is symmetric about its mean", f"{k}.symmetric")
        if dist in SKEWED and symmetric:
            L.fail(f"a {dist} mask is not symmetric about its mean (it takes the values 0 "
                   "and 1)", f"{k}.symmetric")
        independent = _flag(L, f"{k}.independent", opts.get("independent", True))
        out[name] = {"mean": mean, "variance": variance, "symmetric": symmetric,
                     "independent": independent, "distribution": dist, **params}
    return out


def _law_call(L, k, opts, scope):
    """`distribution: 'uniform(-1, 3)'` (or 't(nu)', 'bernoulli(q)'), parsed with the notation
    parser, as the keys it stands for (low, high / nu / mean); a plain name stays as it is.
    Returns (the law's name, the keys, where each key's text is, for messages)."""
    dist = opts.get("distribution")
    plain = (dist, opts, lambda a: f"{k}.{a}")
    if not isinstance(dist, str) or "(" not in dist:
        return plain
    key = f"{k}.distribution"
    tree = N.parse_expression(dist, L.path, key)
    if not isinstance(tree, N.Call) or tree.func.id not in LAW_PARAMETERS:
        L.fail("expected a law such as 'uniform(-1, 3)', 't(5)' or 'bernoulli(q)' (or the "
               f"name alone: {', '.join(DISTRIBUTIONS)})", key)
    name, names = tree.func.id, LAW_PARAMETERS[tree.func.id]
    if len(tree.args) != len(names):
        L.fail(f"{name} takes {len(names)} parameter{'s' if len(names) > 1 else ''} "
               f"({', '.join(names)}): {name}({', '.join(names)})", key)
    out = {a: v for a, v in opts.items() if a != "distribution"}
    for a, node in zip(names, tree.args):
        if a in out:
            L.fail(f"{a} is given twice: in {dist!r} and as a key", f"{k}.{a}")
        out[a] = _build(L, key, dist, node, scope)
    out["distribution"] = name
    return name, out, lambda a: key if a in names else f"{k}.{a}"


def _param(L, key, value, scope) -> sp.Expr:
    return value if isinstance(value, sp.Basic) else _expression(L, key, value, scope)


def _implied(L, k, opts, scope, what, implied, moment="variance"):
    """The mean or variance a law implies; a given one must agree (an error names it)."""
    implied = sp.simplify(implied)
    if moment in opts:
        given = _expression(L, f"{k}.{moment}", opts[moment], scope)
        if sp.simplify(given - implied) != 0:
            L.fail(f"{what} has {moment} {format_expr(sp.factor(implied))} "
                   f"(leave {moment} out)", f"{k}.{moment}")
    return implied


def _interval(L, k, opts, scope, where) -> dict:
    """low and high of a uniform law: both given, low < high."""
    for a in ("low", "high"):
        if a not in opts:
            L.fail("missing required key (a uniform law on an interval takes low and high, "
                   "e.g. {distribution: uniform, low: -1, high: 3})", f"{k}.{a}")
    low = _param(L, where("low"), opts["low"], scope)
    high = _param(L, where("high"), opts["high"], scope)
    width = sp.simplify(high - low)
    if width.is_positive is not True:
        why = "low must be below high" if width.is_positive is False else \
            "cannot tell that low is below high (declare the symbols positive, or a range)"
        L.fail(f"uniform({format_expr(low)}, {format_expr(high)}): {why}", where("high"))
    return {"low": low, "high": high}


def _degrees(L, k, opts, scope, where) -> sp.Expr:
    """nu of a t law: a number or a symbol, known to be > 2 (the variance is finite)."""
    if "nu" not in opts:
        L.fail("missing required key (a t law takes its degrees of freedom, e.g. "
               "{distribution: t, nu: 5})", f"{k}.nu")
    nu = _param(L, where("nu"), opts["nu"], scope)
    if nu.is_number:
        if not nu.is_positive:
            L.fail(f"t({format_expr(nu)}): nu, the degrees of freedom, must be positive",
                   where("nu"))
        if not nu > 2:
            L.fail(f"t({format_expr(nu)}) has no finite variance (nu/(nu - 2) needs nu > 2): "
                   "the moments engine needs the variance of every random input",
                   where("nu"))
        return nu
    lo = nu_lower_bound(nu, getattr(scope, "ranges", {}))
    if lo is None or lo[0] < 2 or (lo[0] == 2 and not lo[1]):
        L.fail(f"t({format_expr(nu)}) has a finite variance only for nu > 2: declare the range "
               f"of {format_expr(nu)}, e.g. {format_expr(nu)}: {{range: '(4, inf)'}}",
               where("nu"))
    return nu


def nu_lower_bound(nu, ranges) -> tuple | None:
    """(lo, strict) with nu > lo (strict) or nu >= lo, for a number or a symbol with a range."""
    if nu.is_number:
        return (nu, False)
    if nu.is_Symbol and nu.name in (ranges or {}):
        lo, _, lo_open, _ = ranges[nu.name]
        return (lo, bool(lo_open))
    return None


def _sub_mapping(L, key, value, allowed, required=()):
    if not isinstance(value, dict):
        L.fail(f"expected a mapping with keys {', '.join(allowed)}", key)
    for a in value:
        if a not in allowed:
            L.fail(f"unknown key (allowed: {', '.join(allowed)})", f"{key}.{a}")
    for a in required:
        if a not in value:
            L.fail("missing required key", f"{key}.{a}")
    return value


def _layer_value(L, key, value, scope, infinite: bool = False) -> sp.Expr:
    """A layer: a non-negative integer or an integer symbol such as L (or, `infinite`,
    oo: the limit over many layers)."""
    if infinite and value in ("oo", "inf", "infinity"):
        return sp.oo
    if isinstance(value, int) and not isinstance(value, bool):
        if value < 0:
            L.fail("a layer is a non-negative integer or an integer symbol", key)
        return sp.Integer(value)
    if isinstance(value, str) and value in scope.symbols:
        sym = scope.symbols[value]
        if not sym.is_integer:
            L.fail(f"the layer symbol {value!r} must be declared integer: true", key)
        return sym
    L.fail("expected a layer: a non-negative integer or an integer symbol "
           f"(symbols: {', '.join(scope.symbols) or 'none'})", key)


def _check_moment_part(L, key, kind, args, scope, earlier):
    """Keys of a variance / mean / solve / choice part, normalized in place."""
    args["given"] = _assumptions(L, f"{key}.given", args.get("given"), scope)
    if kind in ("variance", "mean"):
        args["of"] = _tensor_name(L, f"{key}.of", args["of"], scope)
    if kind == "variance":
        if "bound" in args and args["bound"] != "max":
            L.fail("expected max (the largest variance over every distribution of the "
                   "activation's input)", f"{key}.bound")
        if "recurrence" in args:
            if "bound" in args:
                L.fail("a part asks either for a recurrence or for a bound", f"{key}.bound")
            rk = f"{key}.recurrence"
            rec = _sub_mapping(L, rk, args["recurrence"], RECURRENCE_KEYS,
                               ("from", "layer", "at"))
            frm = _tensor_name(L, f"{rk}.from", rec["from"], scope)
            if frm == args["of"]:
                L.fail("the recurrence runs from one layer's tensor to the next: "
                       f"from must differ from of ({args['of']})", f"{rk}.from")
            if frm.endswith(".grad") != args["of"].endswith(".grad"):
                L.fail("from and of are both activations or both gradients", f"{rk}.from")
            a = scope.tensors[frm[:-5] if frm.endswith(".grad") else frm]
            b = scope.tensors[args["of"][:-5] if args["of"].endswith(".grad") else args["of"]]
            if tuple(a.ranges) != tuple(b.ranges):
                L.fail(f"{frm} and {args['of']} have different shapes: the recurrence maps "
                       "one layer onto the next", f"{rk}.from")
            layer = _layer_value(L, f"{rk}.layer", rec["layer"], scope)
            if not layer.is_Symbol:
                L.fail("expected the symbol of the layer index, such as l", f"{rk}.layer")
            at = _layer_value(L, f"{rk}.at", rec["at"], scope)
            if at == layer:
                L.fail("at is the layer where `from` has its assumed moments (0, or a "
                       "symbol such as L), not the layer index itself", f"{rk}.at")
            args["recurrence"] = {"from": frm, "layer": layer, "at": at}
    if kind == "solve":
        if "for" not in args:
            L.fail("missing required key (the symbol to solve for)", f"{key}.for")
        if not isinstance(args["for"], str) or args["for"] not in scope.symbols:
            L.fail(f"expected a symbol (symbols: {', '.join(scope.symbols) or 'none'})",
                   f"{key}.for")
        args["for"] = scope.symbols[args["for"]]
        ck = f"{key}.condition"
        if "condition" not in args:
            L.fail("missing required key", ck)
        cond = args["condition"]
        if isinstance(cond, dict) and "part" in cond:
            _sub_mapping(L, ck, cond, ("part", "layer", "equals"), ("part", "layer", "equals"))
            ref_part = earlier.get(str(cond["part"]))
            if ref_part is None or ref_part.kind != "variance" \
                    or "recurrence" not in ref_part.args:
                L.fail("expected the label of an earlier variance part with a recurrence",
                       f"{ck}.part")
            args["condition"] = {
                "part": ref_part.label,
                "layer": _layer_value(L, f"{ck}.layer", cond["layer"], scope, True),
                "equals": _expression(L, f"{ck}.equals", cond["equals"], scope)}
        else:
            _sub_mapping(L, ck, cond, CONDITION_KEYS, ("of", "equals"))
            if "layer" in cond:
                L.fail("layer goes with part: (the recurrence of an earlier part)",
                       f"{ck}.layer")
            of = _expression(L, f"{ck}.of", cond["of"], scope, True)
            equals = _expression(L, f"{ck}.equals", cond["equals"], scope, True)
            if not (of - equals).atoms(sp.core.function.AppliedUndef):
                L.fail("the condition names no moment: write Var(y) or E(y)", f"{ck}.of")
            args["condition"] = {"of": of, "equals": equals}
        if "approximate" in args and args["approximate"] not in APPROXIMATION_NAMES:
            L.fail(f"unknown approximation {args['approximate']!r} (known: "
                   f"{', '.join(APPROXIMATION_NAMES)})", f"{key}.approximate")
    if kind == "choice":
        for k, opt in enumerate(args["options"]):
            if str(opt) not in COMPARISON_WORDS:
                L.fail(f"unknown option {opt!r}: a choice compares two moments, its options "
                       f"are among {', '.join(COMPARISON_WORDS)}", f"{key}.options[{k}]")
        ck = f"{key}.compare"
        if "compare" not in args:
            L.fail("missing required key ({of: u, with: y, moment: variance})", ck)
        cmp_ = _sub_mapping(L, ck, args["compare"], COMPARE_KEYS,
                            ("of", "with", "moment"))
        if cmp_["moment"] not in ("variance", "mean"):
            L.fail("expected variance or mean", f"{ck}.moment")
        args["compare"] = {"of": _tensor_name(L, f"{ck}.of", cmp_["of"], scope),
                           "with": _tensor_name(L, f"{ck}.with", cmp_["with"], scope),
                           "moment": cmp_["moment"]}
