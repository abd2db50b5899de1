"""Forward loops (an Einstein statement as += loops) and parameter updates."""
from __future__ import annotations

from dataclasses import replace
import numpy as np
from derive.run.execute import Executor, random_symbols, run
from derive.core.program import (Program, grad_name, is_grad_name, kept, ref_name)
from derive.front.resolve import build_program
from derive.front.spec import Spec
from derive.check.loops import _describe_factor, _drop
from derive.run.agree import check_sizes, close, forward_values
from derive.front.spec import answer_scope

# --------------------------------------------------------------------------
# forward loops (desugaring an Einstein statement into += loops)
# --------------------------------------------------------------------------


def _check_forward_loops(spec: Spec, part, text, verdict, show_answer):
    names = part.args.get("of") or []
    reference = Program(kept(spec.program.items, lambda st: st.target_name in names), spec.program.tensors, spec.program.indices,
                        spec.program.symbols, spec.program.functions, spec.program.sizes)
    if show_answer:
        verdict.reference = reference.text()
    scope = spec.scope.copy()
    for n in names:     # the answer recomputes these tensors
        scope.tensors[n] = replace(scope.tensors[n], role="computed")
    answer = build_program(text, scope, "answer", None, 0, answer=True)
    for n in names:
        if n not in answer.written():
            verdict.judge(n, "missing", f"no statement writes {n}")
    first = None
    for sizes in check_sizes(spec):
        for seed in (0, 1):
            fwd = run(spec.program, sizes, None, seed=seed)
            base = {k: v for k, v in fwd.items() if k not in names}
            want = _run_loops(reference, sizes, base, names)
            got = _run_loops(answer, sizes, base, names)
            for n in names:
                if not close(want[n], got[n]):
                    if verdict.judge(n, "incorrect", "differs from the program's "
                                     "definition").verdict == "incorrect" and first is None:
                        first = (n, want[n], got[n], sizes, base)
    for n in names:
        verdict.judge(n, "correct", "computes the same values")
    verdict.quantities.sort(key=lambda q: names.index(q.name))
    missing = [q.name for q in verdict.quantities if q.verdict == "missing"]
    if first is None and not missing:
        verdict.verdict = "correct"
        verdict.message = "correct: the loops compute the same values (2 seeds at 2 sizes)"
        return
    verdict.verdict = "incorrect"
    if first is None:
        verdict.message = f"the answer does not compute {', '.join(missing)}"
        verdict.diagnosis = [f"no statement writes {', '.join(missing)}"]
        return
    n, want, got, sizes, base = first
    verdict.message = f"{n} differs from the program's definition"
    verdict.diagnosis = (_diagnose_values(want, got, sizes) or
                         _forward_terms(reference, base, sizes, n, want, got))
    if not verdict.diagnosis:
        found = _repair_forward(spec, reference, answer, names)
        verdict.diagnosis = [found] if found else []


def _run_loops(program, sizes, base, names) -> dict:
    """`names` computed by `program` from the other forward values `base`."""
    ex = Executor(program, sizes)
    ex.env = {k: v.copy() for k, v in base.items()}
    ex.run()
    return {n: ex.array(n) for n in names}


def _repair_forward(spec, reference, answer, names) -> str | None:
    """The single edit of the answer's forward loops that makes them right (2 sizes)."""
    from derive.check.repair import repair
    cases = []
    for sizes in check_sizes(spec):
        fwd = forward_values(spec, sizes, 0, random_symbols(spec.program, 0))
        base = {k: v for k, v in fwd.items() if k not in names}
        cases.append((sizes, base, _run_loops(reference, sizes, base, names)))

    def right(program) -> bool:
        for sizes, base, want in cases:
            got = _run_loops(program, sizes, base, names)
            if not all(close(want[n], got[n]) for n in names):
                return False
        return True
    return repair(answer, right)


def _check_update(spec: Spec, part, text, verdict, show_answer, simultaneous: bool = False):
    """Parameter updates: run the answer and the derived step from the same parameters,
    gradients (and random velocities, for a momentum step), and compare what each writes."""
    from derive.answers import solve_part
    from derive.answers.backprop import run_updates, update_statements, velocity_name
    ans = solve_part(spec, part.label, verify=False)
    params = ans.backward.targets
    if show_answer:
        verdict.reference = "\n".join(str(r.value) for r in ans.results)
    updates, velocities = update_statements(spec, part, params)
    vel = {n: velocity_name(spec, n) for n in params} if velocities else {}
    scope = answer_scope(spec)
    for n in params:        # written by the answer, starting from their values
        scope.tensors[n] = replace(scope.tensors[n], role="updated")
    scope.tensors.update(velocities)
    answer = build_program(text, scope, "answer", None, 0, answer=True)
    # W ← W − η g (arrows): one step, read at once; plain statements are a program,
    # run in order (updating W2 before computing b1's step from it is a mistake there)
    answer, olds = _simultaneous(answer, params) if simultaneous else (answer, {})
    asked = [x for n in params for x in ([vel[n], n] if n in vel else [n])]
    updated = [n for n in asked if n in answer.written()]
    if not any(n in updated for n in params):
        verdict.verdict = "incorrect"
        verdict.message = f"the answer updates none of {', '.join(params)}"
        for n in asked:
            verdict.judge(n, "missing", "not updated")
        return
    from derive.run.verify import run_backward
    sizes = spec.default_sizes()
    sym = random_symbols(spec.program, 0)
    env = run_backward(spec.program, ans.backward.program, ans.backward.sources, sizes, 0,
                       unit=True)
    rng = np.random.default_rng(23)
    for n, v in vel.items():
        env[v] = rng.standard_normal(np.shape(env[n]))
    rate = sym.get(str(part.args.get("rate", "eta")), 0.1)
    ref_env = run_updates(spec, updates, {**ans.backward.program.tensors, **velocities},
                          env, sizes, sym)
    ex = Executor(answer, sizes, sym)
    # the forward values and the parameters' gradients: the other gradients the
    # reference computed on the way are the answer's to compute (from zeros), if it will
    given = {grad_name(n) for n in params}
    ex.env = {k: np.array(v, dtype=float, copy=True) for k, v in env.items()
              if not is_grad_name(k) or k in given}
    for n, old_name in olds.items():
        ex.env[old_name] = np.array(env[n], dtype=float, copy=True)
    ex.run()
    step = "a momentum step" if vel else "a gradient-descent step"
    wrong = []
    for n in asked:
        if n not in updated:
            verdict.judge(n, "missing", "not updated")
            continue
        got = ex.array(n)
        if not close(ref_env[n], got):
            wrong.append(n)
            verdict.judge(n, "incorrect", f"not {step}")
            if n in params and not vel and close(env[n] + rate * env[grad_name(n)], got):
                verdict.diagnosis.append(f"sign flipped: {n} moves along its gradient, "
                                         "which climbs the loss instead of descending")
            if n in params and vel and close(env[n] - rate * env[grad_name(n)], got):
                verdict.diagnosis.append(f"{n} steps along its gradient, not its velocity "
                                         f"{vel[n]}")
        else:
            verdict.judge(n, "correct", step)
    missing = [n for n in asked if n not in updated]
    if wrong or missing:  # every parameter is judged: one mistake must not hide another
        verdict.verdict = "incorrect"
        verdict.message = "; ".join(filter(None, [
            f"the update of {', '.join(wrong)} is not {step}" if wrong else "",
            f"not updated: {', '.join(missing)}" if missing else ""]))
        return
    verdict.verdict = "correct"
    verdict.message = f"correct: {', '.join(asked)} take {step}"


def _simultaneous(answer: Program, params) -> tuple:
    """An update written with arrows is simultaneous, as `W2 ← W2 − η …` means: a
    statement reads every other parameter at its value before the step (b1's update
    reads the old W2 even after the line updating W2), and its own target as the lines
    before it left it (W1 = W1 − η λ W1, then W1 = W1 − η g). (program, {param: old})."""
    from derive.core.naming import fresh, names_in_use
    from derive.core.program import ref, ref_indices
    taken = names_in_use(answer)
    olds = {n: fresh(f"{n}_before", taken) for n in params if n in answer.written()}
    if not olds:
        return answer, {}
    tensors = dict(answer.tensors)
    for n, o in olds.items():
        tensors[o] = replace(tensors[n], name=o, role="input")

    def before(st):
        subs = {r: ref(olds[ref_name(r)], ref_indices(r)) for r in st.reads()
                if ref_name(r) in olds and ref_name(r) != st.target_name}
        return st.with_(rhs=st.rhs.xreplace(subs)) if subs else st
    return answer.map(before, tensors), olds


def _forward_terms(reference, base, sizes, n, want, got) -> list:
    """A term of the definition missing, doubled or with the wrong sign (named by what it
    reads, so that the reference itself is not shown)."""
    for k, st in enumerate(reference.statements()):
        ex = Executor(_drop(reference, k), sizes)
        ex.env = {key: v.copy() for key, v in base.items()}
        ex.run()
        part = ex.array(n)
        contrib = want - part
        if not np.any(contrib):
            continue
        names = sorted({ref_name(r) for r in st.reads()} - {n}) or ["a constant"]
        what = f"the term in {' and '.join(names)}"
        for c, words in ((0, "is missing"), (2, "is counted twice"),
                         (-1, "has the wrong sign")):
            if close(part + c * contrib, got, 1e-6):
                return [f"{what} {words}"]
    return []


def _diagnose_values(a, b, sizes) -> list:
    if close(-a, b):
        return ["sign flipped"]
    denom = float((a * a).sum())
    if denom:
        c = float((a * b).sum()) / denom
        if close(c * a, b, 1e-6):
            return [f"a constant factor is off: {_describe_factor(c, sizes)} times the values"]
    return []
