"""Answering variance / mean / solve / choice parts with the moments engine."""
from __future__ import annotations

import numpy as np
import sympy as sp
from derive.core.records import Assumed, Result, Step
from derive.core.errors import DerivationError, VerificationError
from derive.run.execute import Executor
from derive.core.program import (Program, Statement, TensorInfo, TensorScalar, base_of,
                                 is_grad_name, is_ref, ref_name)
from derive.engines.moments.algebra import (BOUND, E, Var, _simp, _sym, as_assumptions, entry,
                                            fx, said, spec_assumptions)
from derive.run.montecarlo import LAYERS, SAMPLES, STANDARD_ERRORS
from derive.engines.moments.propagate import Analysis, backward_program
from derive.engines.moments.recurrences import Recurrence, check_recurrence, layer_recurrence
from derive.engines.moments.solve import APPROXIMATIONS, PART_SYMBOLS, _sample_point, solve_for
from derive.engines.moments.table import EXTREME_ARGUMENTS
from derive.run.montecarlo import (Claim, MC_SIZE, MomentCheck, _estimate, numeric,
                                   settings_for, verify_claims, with_samples)
from derive.engines.moments.algebra import _has_unknown, unknowns
from derive.engines.forms import factored_affine, reader_form
from derive.core.program import as_expr

# --------------------------------------------------------------------------
# answering variance / mean / solve / choice parts
# --------------------------------------------------------------------------


def solve_moment_part(spec, part, ans, verify: bool = True):
    """Fill in `ans` (a derive.core.records.Answer) for a variance, mean, solve or choice part."""
    handler = {"variance": _variance_part, "mean": _mean_part, "solve": _solve_part,
               "choice": _choice_part}.get(part.kind)
    if handler is None:
        raise DerivationError(f"the moments engine does not answer {part.kind} parts")
    handler(spec, part, ans, verify)
    return ans


def _result(label, value, relation="=", note="", lhs=None, form=reader_form):
    """A result, in the forms a reader knows (derive.engines.forms): sqrt(v/(2*pi)),
    sigma(u); `form` rewrites the tidied value."""
    return Result(label, value if isinstance(value, str) else form(_simp(value)), relation,
                  note, lhs)


def _moment(program, label: str, of: str):
    """Var(one entry of `of`) or E(...), as the SymPy object a result names."""
    return (Var if label == "Var" else E)(entry(program, of))


def _names(value) -> set:
    """The tensors a step's object names: a name, a statement, an expression."""
    if isinstance(value, str):
        return {value}
    if isinstance(value, Statement):
        return {ref_name(r) for r in [value.target, *value.reads()]}
    if isinstance(value, (list, tuple)):
        return set().union(*[_names(v) for v in value]) if value else set()
    if isinstance(value, sp.Basic):
        return {ref_name(a) for a in sp.preorder_traversal(value) if is_ref(a)}
    return set()


def _mentioned(assumptions: dict, steps) -> list:
    """The assumed tensors that the steps name, in the order of the assumptions."""
    named = set()
    for st in steps:
        named |= _names(st.statement) | _names(list(st.chain)) | _names(list(st.args.values()))
        for _, args in st.assumptions:
            named |= _names(list(args.values()))
    return [n for n in assumptions if n in named]


def _assumed(assumptions: dict, steps, start=None) -> list:
    """The assumptions the derivation uses, as records (independence assumed beyond them
    is an assumption of its step).  `start`: (tensor, layer) of a recurrence, whose first
    tensor has its assumed moments at that layer only."""
    out = []
    for name in _mentioned(assumptions, steps):
        a = assumptions[name]
        layer = start[1] if start is not None and start[0] == name else None
        out.append(Assumed(name, a.mean, a.variance, a.law_name, a.symmetric,
                           a.independent, a.constant, layer))
    return out


def _settings(spec) -> list:
    return settings_for(spec.default_sizes(), spec.symbols,
                        ranges=getattr(spec.program, "ranges", None))




def _variance_part(spec, part, ans, verify):
    a = part.args
    assumptions = spec_assumptions(spec, part)
    of = a["of"]
    if "recurrence" in a:
        return _recurrence_part(spec, part, ans, verify, assumptions)
    if a.get("bound") == "max":
        return _largest_variance_part(spec, part, ans, verify, assumptions)
    analysis = Analysis(spec.program, assumptions, numeric=bool(a.get("numeric")))
    r = analysis.rv(of)
    ans.steps = analysis.steps(of)
    rel = BOUND if r.bound else "="
    var, mean = _moment(spec.program, "Var", of), _moment(spec.program, "E", of)
    ans.results = [_result(f"Var({of})", r.var, rel,
                           "an upper bound (the moments table knows only a bound)"
                           if r.bound else "", var)]
    claims = [Claim(f"Var({of})", of, "variance", r.var, rel)]
    if r.bound and r.support is not None and all(x.is_finite for x in r.support):
        cap = _simp((r.support[1] - r.support[0]) ** 2 / 4)
        ans.results.append(_result(f"Var({of})", cap, BOUND,
                                   "from the range of its values (Popoviciu's inequality)",
                                   var))
        claims.append(Claim(f"Var({of})", of, "variance", cap, BOUND))
    if not _has_unknown(r.mean):
        ans.results.append(_result(f"E({of})", r.mean, lhs=mean))
        claims.append(Claim(f"E({of})", of, "mean", r.mean))
    if is_grad_name(of):
        ans.program = analysis.backward(base_of(of))[0].program
    ans.assumptions = _assumed(assumptions, ans.steps)
    if verify:
        ans.verification = verify_claims(spec.program, assumptions, claims, _settings(spec))


def _mean_part(spec, part, ans, verify):
    assumptions = spec_assumptions(spec, part)
    of = part.args["of"]
    analysis = Analysis(spec.program, assumptions, numeric=bool(part.args.get("numeric")))
    r = analysis.rv(of)
    ans.steps = analysis.steps(of)
    if _has_unknown(r.mean):
        raise DerivationError(f"E({of}) = {fx(r.mean)}: no closed form for "
                              f"{', '.join(unknowns(r.mean))} under the assumptions, which "
                              "give only means and variances there: declare the distribution "
                              "of the inputs (normal, uniform, rademacher)")
    ans.results = [_result(f"E({of})", r.mean, lhs=_moment(spec.program, "E", of))]
    claims = [Claim(f"E({of})", of, "mean", r.mean)]
    if r.random and r.odd:
        flips = sorted(r.odd)
        ans.steps.append(Step("symmetry", why="symmetric about the mean",
                              args={"tensor": entry(spec.program, of), "mean": r.mean,
                                    "flips": flips}))
        ans.results.append(_result(of, f"symmetric about {fx(r.mean)}", "is",
                                   "flipping the sign of a symmetric factor, independent of "
                                   "the rest, reflects it about its mean",
                                   entry(spec.program, of)))
        claims.append(Claim(f"E[({of} - {fx(r.mean)})^3]", of, "third", sp.S.Zero,
                            center=r.mean))
    if is_grad_name(of):
        ans.program = analysis.backward(base_of(of))[0].program
    ans.assumptions = _assumed(assumptions, ans.steps)
    if verify:
        ans.verification = verify_claims(spec.program, assumptions, claims, _settings(spec))


def _recurrence_claims(rec: Recurrence, label_of) -> list:
    claims = []
    for k in range(1, max(LAYERS) + 1):
        at = rec.at if rec.at.is_Number else sp.Integer(max(LAYERS))
        layer = at + k if rec.forward else at - k
        value = rec.closed.xreplace({rec.layer: layer})
        if not rec.at.is_Number:
            value = value.xreplace({rec.at: at})
        shown = rec.at + k if rec.forward else rec.at - k      # symbolic at: L - 1, ...
        claims.append(Claim(label_of(shown), rec.of, "variance", _simp(value), rec.relation,
                            layers=k))
    return claims


def _recurrence_part(spec, part, ans, verify, assumptions):
    a = part.args
    rc = a["recurrence"]
    of = a["of"]
    rec = layer_recurrence(spec.program, assumptions, of, rc["from"], rc["layer"], rc["at"])
    ans.steps = rec.steps
    lhs, rhs = rec.equation
    s, l = rec.function, rec.layer
    ans.results = [
        _result(fx(lhs), rhs, rec.relation, "one layer, for the variance of one entry of "
                                            "each layer", lhs,
                form=lambda e: factored_affine(e, rec.recurrence_term)),
        _result(fx(s(l)), rec.closed, rec.relation, "closed form, from the variance at the "
                                                    "layer where it is given", s(l)),
    ]
    # the layer variance is the variance of the tensor at that layer: Var(L0) = sigma2(l)
    ans.results[0].aliases = (f"Var({of})",)
    ans.results[1].aliases = (f"Var({rec.frm if rec.forward else of})",)
    if is_grad_name(of):
        ans.program = backward_program(spec.program, assumptions, [base_of(of)]).program
    ans.assumptions = _assumed(assumptions, ans.steps, (rec.frm, rec.at))
    if verify:
        symbolic = check_recurrence(rec)
        claims = _recurrence_claims(rec, lambda layer: fx(s(layer)))
        ans.verification = verify_claims(spec.program, assumptions, claims, _settings(spec),
                                         recurrence=(rc["from"], of), symbolic=symbolic)


def _largest_variance_part(spec, part, ans, verify, assumptions):
    of = part.args["of"]
    analysis = Analysis(spec.program, assumptions, numeric=bool(part.args.get("numeric")))
    r = analysis.rv(of)
    ans.steps = analysis.steps(of)
    if r.support is None or not all(x.is_finite for x in r.support):
        raise DerivationError(f"the values of {of} are not known to be bounded: its variance "
                              "has no largest value over input distributions")
    lo, hi = r.support
    cap = _simp((hi - lo) ** 2 / 4)
    x, m = entry(spec.program, of), sp.Symbol("m")
    ans.steps.append(Step("bound", expr=cap, why="range bounds the variance",
                          args={"tensor": x, "low": lo, "high": hi,
                                "midpoint": sp.Eq(m, _simp((lo + hi) / 2))},
                          chain=said(Var(x), "=", E((x - m) ** 2) - (E(x) - m) ** 2, BOUND,
                                     E((x - m) ** 2), BOUND,
                                     sp.Pow(_simp((hi - lo) / 2), 2, evaluate=False), "=",
                                     cap)))
    writer = [st for st in spec.program.statements() if st.target_name == of]
    outer = writer[-1].rhs if writer else None
    attained = ("attained by a distribution that puts probability 1/2 on each end of the "
                "range")
    extreme = None
    step = Step("bound", expr=cap, why="largest variance attained", args={"bound": cap})
    if outer is not None and type(outer) in EXTREME_ARGUMENTS:
        lo_arg, hi_arg = EXTREME_ARGUMENTS[type(outer)]
        extreme = (type(outer), outer.args[0])
        attained = ("approached, not attained: the input at either end of its range, with "
                    "probability 1/2 each, puts the output at either end of its own")
        step = Step("bound", expr=cap, why="largest variance approached",
                    args={"bound": cap, "argument": outer.args[0], "low_argument": lo_arg,
                          "high_argument": hi_arg, "tensor": x, "low": lo, "high": hi})
    ans.steps.append(step)
    ans.results = [_result(f"max Var({of})", cap, "=", attained),
                   _result(f"Var({of})", cap, BOUND, "whatever the input distribution",
                           Var(x))]
    ans.assumptions = _assumed(assumptions, ans.steps)
    if verify:
        claims = [Claim(f"Var({of})", of, "variance", cap, BOUND)]
        v = verify_claims(spec.program, assumptions, claims, _settings(spec))
        if extreme is not None:
            v.checks.append(_attainment_check(*extreme, cap))
            v.passed = v.passed and v.checks[-1].ok
            if not v.passed:
                raise VerificationError(f"the largest variance is not approached: "
                                        f"{v.checks[-1].line()}")
        ans.verification = v


def _attainment_check(func, arg, cap, far: float = 30.0, seed: int = 0) -> MomentCheck:
    """Monte Carlo of f(+-far) with probability 1/2 each: its variance approaches `cap`."""
    t = TensorScalar("t")
    out = TensorScalar("u")
    prog = Program([Statement(out, "=", func(t))],
                   {"t": TensorInfo("t", (), (), "input"),
                    "u": TensorInfo("u", (), (), "computed")})
    prog_s = with_samples(prog)
    rng = np.random.default_rng(seed)
    ex = Executor(prog_s, {MC_SIZE: SAMPLES})
    ex.env["t"] = far * (rng.integers(0, 2, (SAMPLES,)) * 2.0 - 1.0)
    ex.run()
    u = ex.array("u")
    est, se, se_mean = _estimate(u, u ** 2, "variance")
    derived = float(cap)
    high, low = float(sp.N(func(far))), float(sp.N(func(-far)))
    slack = abs(derived - (high - low) ** 2 / 4) + (STANDARD_ERRORS * se_mean) ** 2 + 1e-12
    ok = abs(est - derived) <= STANDARD_ERRORS * se + slack
    dev = max(0.0, abs(est - derived) - slack) / se if se > 0 else 0.0
    label = f"Var({fx(func(t))}) for t = ±{far:g} with probability 1/2 each"
    return MomentCheck({}, seed, {label: dev}, label, "=", derived, est, se, slack, SAMPLES, 1,
                       0, "any sizes", bool(ok))


def _moment_values(analysis: Analysis, expr):
    """Replace Var(T) / E(T) in a condition by the derived moments; (expr, [(T, moment)])."""
    used = []
    subs = {}
    # atoms() is a set: sorted, so that the checks (and the key) come in one order
    for f in sorted(_sym(expr).atoms(sp.core.function.AppliedUndef), key=str):
        name = f.func.__name__
        if name not in ("Var", "E") or not isinstance(f.args[0], sp.Symbol):
            continue
        tensor = f.args[0].name
        moment = "variance" if name == "Var" else "mean"
        value, rel = analysis.moment(tensor, moment)
        if rel != "=":
            raise DerivationError(f"only an upper bound is known for {name}({tensor}): it "
                                  "cannot be part of an equation")
        if _has_unknown(value):
            raise DerivationError(f"{name}({tensor}) = {fx(value)} is not known exactly")
        subs[f] = value
        used.append((tensor, moment, f, value))
    return _sym(expr).xreplace(subs), used


def _solve_part(spec, part, ans, verify):
    a = part.args
    sym = a["for"]
    cond = a["condition"]
    assumptions = spec_assumptions(spec, part)
    steps = []
    rec = None
    if "part" in cond:
        ref_part = spec.part(cond["part"])
        rc = ref_part.args["recurrence"]
        rec_assumptions = {**spec_assumptions(spec, ref_part),
                           **as_assumptions(part.args.get("given"))}
        rec = layer_recurrence(spec.program, rec_assumptions, ref_part.args["of"], rc["from"],
                               rc["layer"], rc["at"])
        steps += rec.steps
        layer = cond["layer"]
        lhs = rec.at_layer(layer)
        rhs = cond["equals"]
        if layer == sp.oo:
            steps.append(_limit_step(rec, lhs, rhs))
        else:
            steps.append(Step("solve", expr=lhs, why="at layer", args={"layer": layer},
                              chain=said(rec.function(layer), "=", lhs, "=", rhs)))
        assumptions = rec_assumptions
        analysis = None
    else:
        analysis = Analysis(spec.program, assumptions)
        lhs, used_l = _moment_values(analysis, cond["of"])
        rhs, used_r = _moment_values(analysis, cond["equals"])
        used = used_l + used_r
        for tensor, moment, _, _ in used:
            for st in analysis.steps(tensor):
                if st not in steps:
                    steps.append(st)
        program = spec.program
        moments = [sp.Eq(_quantity(program, f), v, evaluate=False) for _, _, f, v in used]
        steps.append(Step("solve", expr=lhs - rhs, why="the condition",
                          args={"condition": sp.Eq(_quantity(program, cond["of"]),
                                                   _quantity(program, cond["equals"]),
                                                   evaluate=False),
                                "moments": moments},
                          chain=said(lhs, "=", rhs)))
    roots = solve_for(lhs, rhs, sym)
    if rec is not None and cond["layer"] == sp.oo:
        roots = _converging(rec, roots, sym)
    steps.append(_solve_step(sym, roots, "="))
    roots = [_one_root(r, spec) for r in roots]
    ans.results = [_result(sym.name, r, "=", "exact", sym) for r in roots]
    if analysis is not None and len(used) == 1 and used[0][1] == "variance":
        tensor = used[0][0]
        mean, _ = analysis.moment(tensor, "mean")
        if not mean.has(sym) and not _has_unknown(mean):
            quantity = _moment(spec.program, "E", tensor)
            steps.append(Step("solve", why="mean for every value", args={"symbol": sym},
                              chain=said(quantity, "=", mean)))
            ans.results.append(_result(f"E({tensor})", mean, "=",
                                       "for every value of the symbol solved for", quantity))
    approx_roots = []
    name = a.get("approximate")
    if name:
        ap = APPROXIMATIONS[name]
        found, lhs_a = ap.apply(lhs)
        found_r, rhs_a = ap.apply(_sym(rhs))
        found += found_r
        if not found:
            raise DerivationError(f"the approximation {ap.rule} does not apply to "
                                  f"{fx(lhs)} = {fx(rhs)}")
        for inst, new, parts in found:
            steps.append(Step("approximate", expr=new, extra={"rule": name}, why=ap.why,
                              args={"pattern": ap.pattern, "approximation": ap.approximation,
                                    "parts": [sp.Eq(PART_SYMBOLS[k], v, evaluate=False)
                                              for k, v in parts.items()],
                                    "small": PART_SYMBOLS["eps"], "error": ap.error},
                              chain=said(inst, "≈", new)))
        steps.append(Step("approximate", expr=lhs_a - rhs_a, why="the approximate condition",
                          chain=said(lhs_a, "=", rhs_a)))
        approx_roots = solve_for(lhs_a, rhs_a, sym)
        steps.append(_solve_step(sym, approx_roots, "≈", "approximate"))
        ans.results += [_result(sym.name, r, "≈", ap.words, sym)
                        for r in approx_roots]
    ans.steps = steps
    ans.assumptions = _assumed(assumptions, steps,
                               None if rec is None else (rec.frm, rec.at))
    if not verify:
        return
    symbolic = []
    for r in roots:
        residual = sp.simplify((lhs - rhs).xreplace({sym: r}))
        if residual != 0:
            point = _sample_point(lhs - rhs)
            value = complex(sp.N((lhs - rhs).xreplace({sym: r}).xreplace(point)))
            if abs(value) > 1e-9:
                raise VerificationError(f"{sym.name} = {fx(r)} does not satisfy "
                                        f"{fx(lhs)} = {fx(rhs)}")
        symbolic.append(f"{sym.name} = {fx(r)} satisfies {fx(lhs)} = {fx(rhs)} "
                        "(symbolic check)")
    if approx_roots:
        symbolic += _approximation_quality(sym, roots[0], approx_roots[0], rec, cond)
    settings = _settings(spec)
    if rec is not None and cond["layer"] == sp.oo:
        ans.verification = _verify_fixed_point(spec, assumptions, rec, sym, roots[0],
                                               _sym(cond["equals"]), settings, symbolic)
    elif rec is not None:
        claims = []
        layer = cond["layer"]
        for n in (2, max(LAYERS)):
            fixed = {}
            if layer.is_Symbol:
                fixed[layer.name] = sp.Integer(n)
            fixed[sym.name] = roots[0]
            k = int(numeric(layer - rec.at if rec.forward else rec.at - layer,
                            {layer.name: n} if layer.is_Symbol else {}))
            claims.append(Claim(f"{fx(rec.function(layer))} with {sym.name} = {fx(roots[0])}",
                                rec.of, "variance", _sym(cond["equals"]), rec.relation,
                                layers=k, fixed=fixed))
            if not layer.is_Symbol:
                break
        ans.verification = verify_claims(spec.program, assumptions, claims, settings,
                                         recurrence=(rec.frm, rec.of), symbolic=symbolic)
    else:
        claims = []
        for tensor, moment, f, value in used:
            claims.append(Claim(f"{fx(f)} with {sym.name} = {fx(roots[0])}", tensor, moment,
                                value, "=", fixed={sym.name: roots[0]}))
        ans.verification = verify_claims(spec.program, assumptions, claims, settings,
                                         symbolic=symbolic)


def _limit_step(rec: Recurrence, lhs, rhs) -> Step:
    """The limit over many layers: c^k -> 0 when |c| < 1, leaving the fixed point."""
    limit, cond = rec.limit()
    if cond == sp.true:
        cond = sp.StrictLessThan(sp.Abs(rec.coefficient), 1, evaluate=False)
    return Step("solve", expr=lhs, why="over many layers",
                args={"power": rec.coefficient ** rec.layer, "condition": cond},
                chain=said(rec.function(sp.oo), "=", lhs, "=", rhs))


def _converging(rec: Recurrence, roots, sym) -> list:
    """The roots at which the layers converge (|c| < 1), for a condition on the limit."""
    _, cond = rec.limit()
    keep = []
    for r in roots:
        holds = cond.xreplace({sym: r}) if isinstance(cond, sp.Basic) else cond
        if holds != sp.false:
            if holds != sp.true:
                point = _sample_point(sp.Tuple(holds, r))
                holds = holds.xreplace(point)
            if holds != sp.false:
                keep.append(r)
    if not keep:
        raise DerivationError(f"no root for {sym.name} makes the layers converge "
                              f"({fx(cond)}): the limit does not exist there")
    return keep


def _verify_fixed_point(spec, assumptions, rec: Recurrence, sym, root, equals, settings,
                        symbolic):
    """The limit cannot be run to: start the layers at it instead (with `sym` = root) and
    check that each layer keeps it, the fixed point of the recurrence."""
    from dataclasses import replace
    start = dict(assumptions)
    limit = rec.limit()[0].xreplace({sym: root})
    start[rec.frm] = replace(start[rec.frm], variance=limit)
    claims = [Claim(f"{fx(rec.function(rec.at + k))} started at the limit, with "
                    f"{sym.name} = {fx(root)}", rec.of, "variance", equals, rec.relation,
                    layers=k, fixed={sym.name: root}) for k in range(1, max(LAYERS) + 1)]
    return verify_claims(spec.program, start, claims, settings,
                         recurrence=(rec.frm, rec.of), symbolic=symbolic)


def _quantity(program, expr):
    """A condition's Var(y) / E(y) placeholders as moments of one entry: Var(y[j])."""
    subs = {f: f.func(entry(program, f.args[0].name))
            for f in _sym(expr).atoms(sp.core.function.AppliedUndef)
            if f.func.__name__ in ("Var", "E") and isinstance(f.args[0], sp.Symbol)}
    return _sym(expr).xreplace(subs)


def _solve_step(sym, roots, relation, kind="solve") -> Step:
    """Solve for `sym`: one root in a chain, or several named."""
    if len(roots) > 1:
        return Step(kind, expr=roots[0], why="solve for, roots",
                    args={"symbol": sym, "roots": list(roots)})
    why = "solve for the positive root" if sym.is_positive and relation == "=" else "solve for"
    return Step(kind, expr=roots[0], why=why, args={"symbol": sym},
                chain=said(sym, relation, roots[0]))


def _approximation_quality(sym, exact, approx, rec, cond) -> list:
    """How far the approximate root is from the exact one (and its limit)."""
    free = sorted((exact.free_symbols | approx.free_symbols), key=lambda x: x.name)
    out = []
    layer = cond.get("layer") if isinstance(cond, dict) else None
    if layer is not None and layer.is_Symbol:
        base = {x.name: (2.0 if x.is_integer else 0.5) for x in free}
        diffs = []
        for n in (2, 10, 100):
            vals = {**base, layer.name: float(n)}
            e, p = numeric(exact, vals), numeric(approx, vals)
            diffs.append(f"{100 * (p - e) / e:+.2g}% at {layer.name}={n}")
        point = ", ".join(f"{k}={v:g}" for k, v in base.items() if k != layer.name)
        out.append(f"the approximate {sym.name} differs from the exact one by "
                   f"{', '.join(diffs)} ({point})")
        try:
            lim = sp.limit(sp.simplify(approx / exact), layer, sp.oo)
        except (NotImplementedError, ValueError, TypeError):   # pragma: no cover
            lim = None
        if lim is not None:
            out.append(f"approximate/exact -> {fx(lim)} as {layer.name} -> oo (symbolic limit)")
    return out


def _one_root(root, spec):
    """sqrt(v*(beta + 1))*sqrt(-1/(beta - 1)) as sqrt(v*(beta + 1)/(1 - beta)): the
    roots of a solution under one root, signs as the symbols' ranges give them; kept
    only if equal to the root everywhere in those ranges (at sample points)."""
    if not isinstance(root, sp.Basic) or len(root.atoms(sp.Pow)) < 2:
        return root
    c, rest = root.as_coeff_Mul()
    halves = [f for f in sp.Mul.make_args(rest) if f.is_Pow and f.exp == sp.S.Half]
    if len(halves) < 2 or len(halves) != len(sp.Mul.make_args(rest)) or c <= 0:
        return root
    num, den = sp.fraction(sp.factor(c ** 2 * sp.Mul(*[f.base for f in halves])))
    if num.could_extract_minus_sign():
        num, den = -num, sp.expand(-den)
    cand = sp.Pow(num / den, sp.S.Half, evaluate=False)
    inside = _in_ranges(root - cand, spec)
    us = sorted(inside.free_symbols, key=str)
    for k in range(4):
        at = {u: sp.Rational(3 + 5 * k + j, 7 + j) for j, u in enumerate(us)}
        val = complex(inside.xreplace(at).evalf(30))
        if abs(val) > 1e-12 * (1 + abs(complex(cand.xreplace({}).evalf(10))
                                       if not cand.free_symbols else 1)):
            return root
    return cand


def _in_ranges(expr, spec):
    """`expr` with each symbol of a declared range written through a positive u:
    q in (lo, hi) as lo + (hi - lo) u/(1 + u), q in (lo, oo) as lo + u; SymPy's
    assumptions on u then decide signs the ranges imply (v/q - v > 0 for q in (0, 1))."""
    ranges = getattr(spec.program, "ranges", None) or {}
    subs = {}
    for x in expr.free_symbols:
        rg = ranges.get(x.name)
        if rg is None:
            continue
        lo, hi = as_expr(rg[0]), as_expr(rg[1])
        u = sp.Dummy(f"u_{x.name}", positive=True)
        if hi.is_infinite:
            subs[x] = lo + u
        elif lo.is_infinite:
            subs[x] = hi - u
        else:
            subs[x] = lo + (hi - lo) * u / (1 + u)
    return sp.factor(sp.together(expr.xreplace(subs))) if subs else expr


def _choice_part(spec, part, ans, verify):
    a = part.args
    cmp_ = a["compare"]
    assumptions = spec_assumptions(spec, part)
    analysis = Analysis(spec.program, assumptions)
    of, other, moment = cmp_["of"], cmp_["with"], cmp_["moment"]
    v_of, rel_of = analysis.moment(of, moment)
    v_other, rel_other = analysis.moment(other, moment)
    steps = list(analysis.steps(of))
    for st in analysis.steps(other):
        if st not in steps:
            steps.append(st)
    label = "Var" if moment == "variance" else "E"
    if rel_other != "=":
        raise DerivationError(f"{label}({other}) is only bounded: cannot compare with it")
    gap = _simp(v_other - v_of)
    ranged = _in_ranges(gap, spec)
    if rel_of == "=":
        sign = [gap.is_positive, gap.is_zero, gap.is_negative]
        if not any(sign):                     # v/q > v for q in (0, 1): by the ranges
            sign = [ranged.is_positive, ranged.is_zero, ranged.is_negative]
        relation = "<" if sign[0] else "=" if sign[1] else ">" if sign[2] else None
        why = "from the two derived moments"
    else:
        relation = "<" if gap.is_positive or ranged.is_positive else None
        why = "an upper bound on the first is below the second"
    if relation is None:
        rel = "<=" if rel_of != "=" else "="
        raise DerivationError(f"cannot decide how {label}({of}) {rel} {fx(v_of)} compares "
                              f"with {label}({other}) = {fx(v_other)}")
    from derive.front.moment_keys import COMPARISON_WORDS
    chosen = [o for o in a["options"] if COMPARISON_WORDS[str(o)] == relation]
    if not chosen:
        raise DerivationError(f"none of the options {a['options']} says {relation!r}")
    q_of, q_other = _moment(spec.program, label, of), _moment(spec.program, label, other)
    steps.append(Step("choice", expr=gap, extra={"option": chosen[0]},
                      why={"<": "compare: smaller", "=": "compare: equal",
                           ">": "compare: larger"}[relation],
                      args={"quantity": q_of, "other": q_other},
                      chain=said(q_of, rel_of, v_of, relation, v_other, "=", q_other)))
    ans.steps = steps
    ans.results = [_result(f"{label}({of}) compared with {label}({other})", str(chosen[0]),
                           "=", why),
                   _result(f"{label}({of})", v_of, rel_of, lhs=q_of),
                   _result(f"{label}({other})", v_other, rel_other, lhs=q_other)]
    ans.assumptions = _assumed(assumptions, steps)
    if verify:
        claims = [Claim(f"{label}({other})", other, moment, v_other, "="),
                  Claim(f"{label}({of})", of, moment, v_of, rel_of)]
        r = analysis.rv(of)
        if moment == "variance" and rel_of == BOUND and r.support is not None \
                and all(x.is_finite for x in r.support):
            claims.append(Claim(f"{label}({of})", of, moment,
                                _simp((r.support[1] - r.support[0]) ** 2 / 4), BOUND))
        ans.verification = verify_claims(spec.program, assumptions, claims, _settings(spec))
