"""Answering variance / mean / solve / choice parts with the moments engine."""
from __future__ import annotations

import numpy as np
import sympy as sp
from derive.core.records import Step
from derive.core.errors import DerivationError, VerificationError
from derive.run.execute import Executor
from derive.core.program import (Program, Statement, TensorInfo, TensorScalar, base_of, is_grad_name)
from derive.engines.moments.algebra import BOUND, _simp, _sym, as_assumptions, fx, spec_assumptions
from derive.run.montecarlo import LAYERS, SAMPLES, STANDARD_ERRORS
from derive.engines.moments.propagate import Analysis, assumption_notes, backward_program
from derive.engines.moments.recurrences import Recurrence, check_recurrence, layer_recurrence
from derive.engines.moments.solve import APPROXIMATIONS, _sample_point, solve_for
from derive.engines.moments.table import EXTREME_ARGUMENTS
from derive.run.montecarlo import Claim, MC_SIZE, MomentCheck, _estimate, numeric, settings_for, verify_claims, with_samples
from derive.engines.moments.algebra import _has_unknown

# --------------------------------------------------------------------------
# answering variance / mean / solve / choice parts
# --------------------------------------------------------------------------


def solve_moment_part(spec, part, ans, verify: bool = True):
    """Fill in `ans` (a derive.solve.Answer) for a variance, mean, solve or choice part."""
    handler = {"variance": _variance_part, "mean": _mean_part, "solve": _solve_part,
               "choice": _choice_part}.get(part.kind)
    if handler is None:
        raise DerivationError(f"the moments engine does not answer {part.kind} parts")
    handler(spec, part, ans, verify)
    return ans


def _result(label, value, relation="=", note=""):
    from derive.core.records import Result
    return Result(label, value if isinstance(value, str) else _simp(value), relation, note)


def _mentioned(assumptions: dict, steps) -> list:
    """The assumed tensors that the steps use, in the order of the assumptions."""
    import re
    text = " ".join(st.text for st in steps)
    return [n for n in assumptions
            if re.search(r"(?<![\w.])" + re.escape(n) + r"(?![\w.])", text)]


def _message(assumptions: dict, steps, assumed=()) -> str:
    out = "assumed: " + assumption_notes(assumptions, _mentioned(assumptions, steps))
    if assumed:
        out += "; independence assumed, not proven: " + "; ".join(dict.fromkeys(assumed))
    return out


def _settings(spec) -> list:
    return settings_for(spec.default_sizes(), spec.symbols)




def _variance_part(spec, part, ans, verify):
    a = part.args
    assumptions = spec_assumptions(spec, part)
    of = a["of"]
    if "recurrence" in a:
        return _recurrence_part(spec, part, ans, verify, assumptions)
    if a.get("bound") == "max":
        return _largest_variance_part(spec, part, ans, verify, assumptions)
    analysis = Analysis(spec.program, assumptions)
    r = analysis.rv(of)
    ans.steps = analysis.steps(of)
    rel = BOUND if r.bound else "="
    ans.results = [_result(f"Var({of})", r.var, rel,
                           "an upper bound (the moments table knows only a bound)"
                           if r.bound else "")]
    claims = [Claim(f"Var({of})", of, "variance", r.var, rel)]
    if r.bound and r.support is not None and all(x.is_finite for x in r.support):
        cap = _simp((r.support[1] - r.support[0]) ** 2 / 4)
        ans.results.append(_result(f"Var({of})", cap, BOUND,
                                   f"{of} lies in [{fx(r.support[0])}, {fx(r.support[1])}]"))
        claims.append(Claim(f"Var({of})", of, "variance", cap, BOUND))
    if not _has_unknown(r.mean):
        ans.results.append(_result(f"E({of})", r.mean))
        claims.append(Claim(f"E({of})", of, "mean", r.mean))
    if is_grad_name(of):
        ans.program = analysis.backward(base_of(of))[0].program
    der = analysis.derivation(of)
    ans.message = _message(assumptions, ans.steps, der.assumed)
    if verify:
        ans.verification = verify_claims(spec.program, assumptions, claims, _settings(spec))


def _mean_part(spec, part, ans, verify):
    assumptions = spec_assumptions(spec, part)
    of = part.args["of"]
    analysis = Analysis(spec.program, assumptions)
    r = analysis.rv(of)
    ans.steps = analysis.steps(of)
    if _has_unknown(r.mean):
        raise DerivationError(f"E({of}) = {fx(r.mean)}: the mean depends on more of the "
                              "distribution than the assumptions say (declare a distribution)")
    ans.results = [_result(f"E({of})", r.mean)]
    claims = [Claim(f"E({of})", of, "mean", r.mean)]
    if r.random and r.odd:
        flips = ", ".join(sorted(r.odd))
        why = (f"flipping the sign of {flips} (symmetric, independent of the rest) reflects "
               f"{of} about its mean")
        ans.steps.append(Step("symmetry", f"{of} is symmetric about {fx(r.mean)}: {why}"))
        ans.results.append(_result(of, f"symmetric about {fx(r.mean)}", "is", why))
        claims.append(Claim(f"E[({of} - {fx(r.mean)})^3]", of, "third", sp.S.Zero,
                            center=r.mean))
    if is_grad_name(of):
        ans.program = analysis.backward(base_of(of))[0].program
    ans.message = _message(assumptions, ans.steps, analysis.derivation(of).assumed)
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
    family = f"{fx(s(l))} is the variance of one entry of layer {fx(l)}"
    ans.results = [
        _result(fx(lhs), rhs, rec.relation, f"one layer; {family}"),
        _result(fx(s(l)), rec.closed, rec.relation, f"closed form, with {fx(s(rec.at))} = "
                                                    f"{fx(rec.start)}"),
    ]
    if is_grad_name(of):
        ans.program = backward_program(spec.program, assumptions, [base_of(of)]).program
    ans.message = _message(assumptions, ans.steps)
    if verify:
        symbolic = check_recurrence(rec)
        claims = _recurrence_claims(rec, lambda layer: fx(s(layer)))
        ans.verification = verify_claims(spec.program, assumptions, claims, _settings(spec),
                                         recurrence=(rc["from"], of), symbolic=symbolic)


def _largest_variance_part(spec, part, ans, verify, assumptions):
    of = part.args["of"]
    analysis = Analysis(spec.program, assumptions)
    r = analysis.rv(of)
    ans.steps = analysis.steps(of)
    if r.support is None or not all(x.is_finite for x in r.support):
        raise DerivationError(f"the values of {of} are not known to be bounded: its variance "
                              "has no largest value over input distributions")
    lo, hi = r.support
    cap = _simp((hi - lo) ** 2 / 4)
    ans.steps.append(Step("bound", f"{of} takes values in [{fx(lo)}, {fx(hi)}]: for any "
                          f"distribution, Var({of}) = E[({of} - m)^2] - (E[{of}] - m)^2 <= "
                          f"E[({of} - m)^2] <= (({fx(hi)} - {fx(lo)})/2)^2 = {fx(cap)}, with "
                          f"m = ({fx(lo)} + {fx(hi)})/2 the midpoint (Popoviciu's inequality)",
                          None, cap))
    writer = [st for st in spec.program.statements() if st.target_name == of]
    outer = writer[-1].rhs if writer else None
    attained = ("attained by a distribution that puts probability 1/2 on each end of the "
                "range")
    extreme = None
    if outer is not None and type(outer) in EXTREME_ARGUMENTS:
        lo_arg, hi_arg = EXTREME_ARGUMENTS[type(outer)]
        extreme = (type(outer), outer.args[0])
        ends = "±infinity" if (lo_arg, hi_arg) == (-sp.oo, sp.oo) else \
            f"{fx(lo_arg)} or {fx(hi_arg)}"
        attained = (f"approached, not attained: the input {fx(outer.args[0])} = {ends} with "
                    f"probability 1/2 each puts {of} at {fx(lo)} or {fx(hi)} with probability "
                    "1/2 each")
    ans.steps.append(Step("bound", f"the largest variance is {fx(cap)}: {attained}", None, cap))
    ans.results = [_result(f"max Var({of})", cap, "=", attained),
                   _result(f"Var({of})", cap, BOUND, "whatever the input distribution")]
    ans.message = _message(assumptions, ans.steps)
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
                   {"t": TensorInfo("t", (), (), "input"), "u": TensorInfo("u", (), (), "computed")})
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
        steps.append(Step("solve", f"at layer {fx(layer)}: {fx(rec.function(layer))} = "
                          f"{fx(lhs)}; the condition: {fx(lhs)} = {fx(rhs)}", None, lhs))
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
        shown = ", ".join(f"{fx(f)} = {fx(v)}" for _, _, f, v in used)
        steps.append(Step("solve", f"the condition {fx(cond['of'])} = {fx(cond['equals'])} with "
                          f"{shown}: {fx(lhs)} = {fx(rhs)}", None, lhs - rhs))
    roots = solve_for(lhs, rhs, sym)
    kind = "positive " if sym.is_positive else ""
    steps.append(Step("solve", f"solve for {sym.name} ({kind}root"
                      f"{'s' if len(roots) > 1 else ''}): {sym.name} = "
                      f"{', '.join(fx(r) for r in roots)} (exact)", None, roots[0]))
    ans.results = [_result(sym.name, r, "=", "exact") for r in roots]
    if analysis is not None and len(used) == 1 and used[0][1] == "variance":
        tensor = used[0][0]
        mean, _ = analysis.moment(tensor, "mean")
        if not mean.has(sym) and not _has_unknown(mean):
            steps.append(Step("solve", f"E({tensor}) = {fx(mean)} whatever {sym.name} is"))
            ans.results.append(_result(f"E({tensor})", mean, "=", f"for every {sym.name}"))
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
            bits = ", ".join(f"{k} = {fx(v)}" for k, v in parts.items())
            steps.append(Step("approximate", f"approximate {ap.rule} with {bits}: "
                              f"{fx(inst)} ≈ {fx(new)} ({ap.valid})", None, new,
                              {"rule": ap.rule}))
        steps.append(Step("approximate", f"the condition becomes {fx(lhs_a)} = {fx(rhs_a)}",
                          None, lhs_a - rhs_a))
        approx_roots = solve_for(lhs_a, rhs_a, sym)
        steps.append(Step("approximate", f"solve for {sym.name}: {sym.name} ≈ "
                          f"{', '.join(fx(r) for r in approx_roots)}", None, approx_roots[0]))
        ans.results += [_result(sym.name, r, "≈", f"using {ap.rule}") for r in approx_roots]
    ans.steps = steps
    ans.message = _message(assumptions, steps)
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
    if rec is not None:
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
    if rel_of == "=":
        sign = gap.is_positive, gap.is_zero, gap.is_negative
        relation = "<" if sign[0] else "=" if sign[1] else ">" if sign[2] else None
        why = f"{label}({of}) = {fx(v_of)} and {label}({other}) = {fx(v_other)}"
    else:
        relation = "<" if gap.is_positive else None
        why = (f"{label}({of}) <= {fx(v_of)} < {fx(v_other)} = {label}({other}), since the "
               f"difference {fx(gap)} is positive")
    if relation is None:
        raise DerivationError(f"cannot decide how {label}({of}) <= {fx(v_of)} compares with "
                              f"{label}({other}) = {fx(v_other)}")
    from derive.front.moment_keys import COMPARISON_WORDS
    chosen = [o for o in a["options"] if COMPARISON_WORDS[str(o)] == relation]
    if not chosen:
        raise DerivationError(f"none of the options {a['options']} says {relation!r}")
    steps.append(Step("choice", f"{why}: {label}({of}) is {chosen[0]} than {label}({other})"
                      if relation != "=" else f"{why}: equal", None, gap,
                      {"option": chosen[0]}))
    ans.steps = steps
    ans.results = [_result(f"{label}({of}) compared with {label}({other})", str(chosen[0]),
                           "=", why),
                   _result(f"{label}({of})", v_of, rel_of),
                   _result(f"{label}({other})", v_other, rel_other)]
    ans.message = _message(assumptions, steps)
    if verify:
        claims = [Claim(f"{label}({other})", other, moment, v_other, "="),
                  Claim(f"{label}({of})", of, moment, v_of, rel_of)]
        r = analysis.rv(of)
        if moment == "variance" and rel_of == BOUND and r.support is not None \
                and all(x.is_finite for x in r.support):
            claims.append(Claim(f"{label}({of})", of, moment,
                                _simp((r.support[1] - r.support[0]) ** 2 / 4), BOUND))
        ans.verification = verify_claims(spec.program, assumptions, claims, _settings(spec))
