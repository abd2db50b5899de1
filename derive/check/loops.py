"""Loop answers: run against the derived reference, diagnosed when wrong."""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import sympy as sp

from derive.check.verdict import Verdict
from derive.core.errors import DeriveError, NotationError, TimeLimitError
from derive.core.sizes import complete
from derive.core.program import (Program, base_of, format_statement, grad_name, is_grad_name,
                                 kept, reads, ref_name)
from derive.front.resolve import build_program
from derive.front.spec import Spec, answer_scope
from derive.run.agree import (SEEDS_PER_SIZE, check_sizes, close, disagreements,
                              final_scalars, forward_values, run_gradients)
from derive.run.execute import random_symbols, run

# --------------------------------------------------------------------------
# loop answers
# --------------------------------------------------------------------------


_REFERENCES: dict = {}   # derived once per process: a --batch checks one part many times


def _wanted(spec: Spec, part) -> list:
    """The tensors whose gradients a backprop or gradient part asks for."""
    from derive.engines.backward import expand_targets
    to = part.args.get("to")
    return expand_targets(spec.program, to if isinstance(to, list) else [to]) if to else []


def _reference(spec: Spec, part, simplify: bool = False):
    """The derived backward program.  Judging needs only its values, so the chain rule's
    unsimplified sum is used (one statement per read: finer 'missing term' diagnoses,
    and no simplification time); the simplified form is made for --show-answer."""
    from derive.engines.backward import derive_backward
    a = part.args
    key = (str(spec.path), spec.program_text, repr(spec.program.indices),
           repr(sorted(a.items(), key=lambda kv: kv[0])), simplify)
    if key not in _REFERENCES:
        bw = derive_backward(spec.program, a["from"], a["to"], a.get("through"),
                             a.get("average_over"), simplify=simplify)
        _REFERENCES[key] = bw
    return _REFERENCES[key]
















def _check_loops(spec: Spec, part, text: str, verdict: Verdict, show_answer: bool):
    bw = _reference(spec, part)
    if show_answer:
        verdict.reference = _reference(spec, part, simplify=True).text()
    answer = build_program(text, answer_scope(spec), "answer", None, 0, answer=True)
    _reject_forward_writes(spec, answer)
    written = answer.written()
    answer = _with_used(spec, part, bw, answer, written, verdict)
    wanted = [grad_name(t) for t in bw.targets]
    missing = [g for g in wanted if g not in written]
    for g in missing:
        verdict.judge(g, "missing", f"no statement writes {g}")
    order = _order_problems(answer)     # named first if the values come out wrong
    tensors = {**bw.program.tensors, **answer.tensors}
    answer.tensors = tensors
    unit = final_scalars(spec, bw.sources)
    judged = [g for g in wanted if g not in missing]
    if not judged:
        _report_missing(verdict, bw, written, wanted, missing)
        return
    bad, envs = disagreements(spec, bw, answer, unit, wanted, judged)
    for g in judged:
        verdict.judge(g, "incorrect" if g in bad else "correct",
                      "differs from the correct gradient" if g in bad else
                      "agrees with the correct gradient")
    verdict.quantities.sort(key=lambda q: wanted.index(q.name))
    if not bad and not missing:
        verdict.verdict = "correct"
        verdict.message = (f"correct: {', '.join(wanted)} agree with the derived answer on "
                           f"random inputs ({SEEDS_PER_SIZE} seeds at "
                           f"{len(check_sizes(spec))} sizes)")
        return
    verdict.verdict = "incorrect"
    if missing:
        _report_missing(verdict, bw, written, wanted, missing)
        if not bad:
            return
    first = next(g for g in wanted if g in bad)
    first_bad = bad[first]
    ref_env, ans_env = envs[first]
    verdict.message = "; ".join(filter(None, [verdict.message if missing else "",
                                              f"{first} differs from the correct gradient"]))
    if order:
        verdict.message = "a gradient is read before it is complete; " + verdict.message
        verdict.diagnosis += order
        return
    diagnosis = list(verdict.diagnosis)
    verdict.diagnosis = diagnosis + ["no common mistake recognized: compare your statements "
                                     "with the forward program one read at a time"]
    try:
        _explain(spec, bw, answer, judged, unit, first_bad, ref_env, ans_env, diagnosis,
                 verdict)
    except TimeLimitError:
        # the verdict stands: only the search for its explanation ran out of time
        verdict.diagnosis.append("(the search for the mistake stopped at the time limit)")


def _with_used(spec, part, bw, answer, written, verdict):
    """A part that `uses:` gradients an earlier part derived (`uses: z`: "using the
    delta_t, give U.grad"): an answer that reads z.grad without writing it gets the
    derived z.grad, computed first by the reference's statements for everything but the
    part's own targets.  An answer that writes z.grad itself is judged as it is."""
    used = [grad_name(t) for t in part.args.get("uses") or ()]
    read = {ref_name(r) for st in answer.statements() for r in st.reads()}
    given = [g for g in used if g in read and g not in written]
    if not given:
        return answer
    own = {grad_name(t) for t in bw.targets}
    first = kept(bw.program.items, lambda st: st.target_name not in own)
    verdict.reading = list(verdict.reading or []) + [
        f"took {', '.join(given)} as derived in the earlier part (the part uses it)"]
    return replace(answer, items=first + list(answer.items))


def _report_missing(verdict: Verdict, bw, written, wanted, missing):
    verdict.verdict = "incorrect"
    others = [w for w in written if is_grad_name(w) and w not in wanted
              and w not in bw.program.written()]     # not an intermediate (Yt.grad)
    verdict.message = f"the answer does not compute {', '.join(missing)}"
    if others:
        verdict.diagnosis.append(
            f"gradient with respect to the wrong tensor: the answer computes "
            f"{', '.join(others)}, the part asks for {', '.join(wanted)}")
    else:
        verdict.diagnosis.append(f"no statement writes {', '.join(missing)}")


def _explain(spec, bw, answer, wanted, unit, first_bad, ref_env, ans_env, order, verdict):
    """Diagnosis, counterexample and, if still unnamed, the smallest repair."""
    sizes, seed, g, a, b, fwd, symvals = first_bad
    verdict.diagnosis = order + _diagnose(spec, bw, answer, g, a, b, sizes, seed, symvals, fwd,
                                          unit)
    if verdict.diagnosis[-1].startswith("no common mistake"):
        # two mistakes at once may hide each other in g: another wrong gradient may say more
        others = [w for w in wanted if w != g and not close(ref_env[w], ans_env[w])]
        for w in others[:3]:
            more = _diagnose(spec, bw, answer, w, ref_env[w], ans_env[w], sizes, seed, symvals,
                             fwd, unit)
            if not more[-1].startswith("no common mistake"):
                verdict.message = f"{', '.join([g] + others)} differ from the correct gradients"
                verdict.diagnosis = [f"in {w}: {d}" for d in more]
                break
    verdict.counterexample = _counterexample(spec, bw, answer, g, unit)
    diag = verdict.diagnosis
    unnamed = diag[-1].startswith("no common mistake")
    vague = diag[0].startswith("a term is missing") or "a factor that changes" in diag[0] \
        or "a constant factor is off: the answer is 0." in diag[0]
    if unnamed or vague:
        # an edit of the answer itself may say where (a shifted read reads zeros: missing)
        found = _repair_loops(spec, bw, answer, wanted, unit, first_bad,
                              verdict.counterexample, 4.5 if unnamed else 3)
        if found:
            verdict.diagnosis = [found]


def _repair_loops(spec, bw, answer, wanted, unit, first_bad, ce, max_rank) -> str | None:
    """The single edit of the answer that makes every asked gradient right: tried at the
    counterexample's small sizes, confirmed at the failing inputs and at another size and
    seed (see check_repair).  Only statements whose result is wrong are edited."""
    from derive.check.repair import repair
    sizes, seed, _, _, _, fwd, symvals = first_bad
    other = next((s for s in check_sizes(spec) if s != sizes), sizes)
    sv2 = random_symbols(spec.program, seed + 1)
    contexts = [(sizes, seed, symvals, fwd), (other, seed + 1, sv2,
                                              forward_values(spec, other, seed + 1, sv2))]
    if ce and ce.get("sizes"):
        small = ce["sizes"]
        sv0 = random_symbols(spec.program, 0)
        contexts.insert(0, (small, 0, sv0, forward_values(spec, small, 0, sv0, _small_inputs(spec,
                                                                                     small))))
    refs = [run_gradients(spec, bw.program, bw.sources, unit, sz, sd, sv, fw)
            for sz, sd, sv, fw in contexts]
    # the statements whose result is wrong where the reference has the same tensor
    ans = run_gradients(spec, answer, bw.sources, unit, sizes, seed, symvals, fwd)
    ref = run_gradients(spec, bw.program, bw.sources, unit, sizes, seed, symvals, fwd)   # memoized
    suspects = _suspects(answer, wanted, ref, ans)

    def right(program) -> bool:
        for (sz, sd, sv, fw), r in zip(contexts, refs):
            env = run_gradients(spec, program, bw.sources, unit, sz, sd, sv, fw)
            if not all(w in env and close(r[w], env[w]) for w in wanted):
                return False
        return True
    return repair(answer, right, max_rank, suspects, spec.program)


def _suspects(answer: Program, wanted, ref: dict, ans: dict) -> list:
    """The statements an edit may fix: those whose result is wrong where the reference
    has the same tensor, and the answer's own temporaries that feed only wrong
    gradients (a temporary that also feeds a right gradient is most likely right)."""
    wrong = {g for g in wanted if not (g in ans and close(ref[g], ans[g]))}
    stmts = answer.statements()
    feeds: dict = {}                    # tensor -> the asked gradients it reaches
    for st in reversed(stmts):
        reach = set(feeds.get(st.target_name, set()))
        if st.target_name in wanted:
            reach.add(st.target_name)
        feeds[st.target_name] = reach
        for r in st.reads():
            feeds.setdefault(ref_name(r), set()).update(reach)
    out = []
    for st in stmts:
        name = st.target_name
        if name in ref and name in ans:
            if not close(ref[name], ans[name]):
                out.append(st)
        elif feeds.get(name) and feeds[name] <= wrong:
            out.append(st)
    return out or [st for st in stmts if st.target_name not in ref]




def _reject_forward_writes(spec: Spec, answer: Program):
    for st in answer.statements():
        name = st.target_name
        info = spec.program.tensors.get(name)
        if info is not None and not is_grad_name(name):
            raise NotationError(f"the answer assigns to the forward tensor {name!r}; "
                                "a backward answer writes gradients (name.grad) and "
                                "new temporaries only", "answer", st.line or 1, 1)


def _order_problems(answer: Program) -> list:
    """A gradient read before a later statement adds to it; a temporary of the answer
    read before any statement writes it."""
    out = []
    walked = list(answer.walk())
    stmts = [s for s, _ in walked]
    first = {}
    for k, st in enumerate(stmts):
        first.setdefault(st.target_name, k)
    for k, (st, outer) in enumerate(walked):
        for r in st.reads():
            name = ref_name(r)
            info = answer.tensors.get(name)
            if info is not None and info.role == "temporary" and first.get(name, -1) > k \
                    and not (outer and walked[first[name]][1] == outer):
                return [f"wrong order of statements: statement {k + 1} reads {name} before "
                        f"statement {first[name] + 1} writes it"]
            if not is_grad_name(name) or name == st.target_name:
                continue
            # inside one time block a later statement may add to another time step
            later = [m for m in range(k + 1, len(stmts)) if stmts[m].target_name == name
                     and not (outer and walked[m][1] == outer)]
            if later:
                out.append(f"wrong order of statements: statement {k + 1} reads {name} "
                           f"before statement {later[0] + 1} has finished adding to it")
                return out
    return out




def _diagnose(spec, bw, answer, g, a, b, sizes, seed, symvals, fwd, unit) -> list:
    """Name the usual mistakes: sign, factor, missing/extra term, transposed, off by one."""
    out = []
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if close(-a, b):
        return out + ["sign flipped: the answer is the negative of the correct gradient"]
    denom = float((a * a).sum())
    if denom > 0:
        c = float((a * b).sum()) / denom
        if abs(c) > 1e-9 and close(c * a, b, 1e-6):
            name = _describe_factor(c, sizes, _factors_elsewhere(spec, bw, answer, g, unit,
                                                                 sizes, seed))
            if name is None:
                return out + [f"the answer is the correct gradient times a factor that changes "
                              f"with the inputs ({c:.4g} here): a forward quantity is multiplied "
                              f"in, or left out, where it should not be"]
            return out + [f"a constant factor is off: the answer is {name} "
                          f"times the correct gradient"]
    # a term missing or extra: drop each reference statement in turn
    for dropped, src in _without_each_term(spec, bw, g):
        env = run_gradients(spec, dropped, bw.sources, unit, sizes, seed, symvals, fwd)
        part_value = np.asarray(env[g]) if g in env else np.zeros_like(a)
        contrib = a - part_value
        if not np.any(np.abs(contrib) > 1e-12 * max(1.0, np.abs(a).max())):
            continue
        if close(part_value, b, 1e-6):
            out.append(f"a term is missing: the part of {g} that {src} is not in the answer")
            return out
        if close(a + contrib, b, 1e-6):
            out.append(f"a term is counted twice: the part of {g} that {src} appears one "
                       f"time too many")
            return out
        if close(a - 2 * contrib, b, 1e-6):
            out.append(f"sign flipped in one term: the part of {g} that {src} has the "
                       f"wrong sign")
            return out
        c = float(((b - part_value) * contrib).sum() / (contrib * contrib).sum())
        name = _describe_factor(c, sizes)
        if close(part_value + c * contrib, b, 1e-6) and name in _factor_names(sizes):
            out.append(f"a constant factor is off in one term: the part of {g} that {src} "
                       f"is {name} times what it should be")
            return out
    if a.ndim == 2 and a.shape[0] == a.shape[1] and close(a.T, b, 1e-6):
        return out + ["indices transposed: the answer is the transpose of the correct gradient"]
    for axis in range(a.ndim):
        for shift in (1, -1):
            rolled = np.roll(a, shift, axis=axis)
            idx = [slice(None)] * a.ndim
            idx[axis] = slice(0, 1) if shift == 1 else slice(-1, None)
            rolled[tuple(idx)] = 0
            if close(rolled, b, 1e-6) or close(np.roll(a, shift, axis=axis), b, 1e-6):
                return out + [f"an index is off by one: the answer is the correct gradient "
                              f"shifted by one along axis {axis + 1} of {g}"]
    if not out:
        out.append("no common mistake recognized: compare your statements with the forward "
                   "program one read at a time")
    return out


def _factor_names(sizes: dict) -> dict:
    cands = {"2": 2.0, "1/2": 0.5, "4": 4.0, "1/4": 0.25}
    for name, v in sizes.items():
        cands[name] = float(v)
        cands[f"1/{name}"] = 1.0 / v
        cands[f"sqrt({name})"] = float(v) ** 0.5        # attention's 1/sqrt(Dk)
        cands[f"1/sqrt({name})"] = float(v) ** -0.5
        if v > 1:
            cands[f"{name}-1"] = float(v - 1)
            cands[f"1/({name}-1)"] = 1.0 / (v - 1)
            cands[f"{name}/({name}-1)"] = v / (v - 1)
            cands[f"({name}-1)/{name}"] = (v - 1) / v
    return cands


def _describe_factor(c: float, sizes: dict, elsewhere=()) -> str | None:
    """Name the factor c seen at `sizes`; `elsewhere` holds (factor, sizes) seen at other
    sizes and seeds (None: not a multiple there).  None if the factor is not constant."""
    def same(x, v):
        return x is not None and v is not None and abs(x - v) <= 1e-6 * abs(v)
    for name, v in _factor_names(sizes).items():
        if same(c, v) and all(same(c2, _factor_names(s2).get(name)) for c2, s2 in elsewhere):
            return name
    if all(same(c2, c) for c2, _ in elsewhere):
        return f"{c:.6g}"
    return None


def _factors_elsewhere(spec, bw, answer, g, unit, sizes, seed) -> list:
    """The factor answer/reference at the other check size and at another seed."""
    out = []
    # sizes grown by different amounts, so that N-1 and K (or B-1 and J) part ways
    other = [{k: v + 1 + i for i, (k, v) in enumerate(sizes.items())}, sizes]
    for sz, sd in zip(other, (seed, seed + 1)):
        symvals = random_symbols(spec.program, sd)
        try:
            fwd = forward_values(spec, sz, sd, symvals)
            a = np.asarray(run_gradients(spec, bw.program, bw.sources, unit, sz, sd, symvals,
                                         fwd)[g],
                           float)
            b = np.asarray(run_gradients(spec, answer, bw.sources, unit, sz, sd, symvals,
                                         fwd)[g], float)
        except TimeLimitError:
            raise
        except DeriveError:     # e.g. a grid limit at the larger sizes: no evidence there
            continue
        denom = float((a * a).sum())
        c = float((a * b).sum()) / denom if denom else None
        out.append((c if c is not None and close(c * a, b, 1e-6) else None, sz))
    return out


def _drop(program: Program, k: int) -> Program:
    """The program without its k-th statement (0-based, in program order)."""
    drop = program.statements()[k]
    return program.map(lambda st: None if st is drop else st)


_VARIANTS: dict = {}   # id(reference) -> (reference, [(program, statement, term)])


def _variants(bw) -> list:
    """The reference without one statement, then without one term of a merged statement
    (made once per reference: the same programs, so their runs are shared)."""
    hit = _VARIANTS.get(id(bw))
    if hit is None or hit[0] is not bw:
        out = []
        stmts = bw.program.statements()
        for k, st in enumerate(stmts):
            out.append((_drop(bw.program, k), st, None))
        for st in stmts:
            terms = sp.Add.make_args(st.rhs)
            for term in (terms if len(terms) > 1 else ()):
                out.append((bw.program.map(lambda s, st=st, term=term:
                                           s.with_(rhs=s.rhs - term) if s is st else s),
                            st, term))
        hit = _VARIANTS[id(bw)] = (bw, out)
    return hit[1]


def _without_each_term(spec: Spec, bw, g: str):
    """The reference without one statement, then without one term of a merged statement
    (W1.grad += lam*W1 + a1.grad*x), each with the words for what was left out."""
    for program, st, term in _variants(bw):
        if term is None:
            yield program, _path_of(spec, bw, st, g)
        else:
            src = _term_source(spec, term, g)
            if src:
                yield program, src


def _term_source(spec: Spec, term, g: str) -> str | None:
    for r in reads(term):
        gr = ref_name(r)
        if not is_grad_name(gr):
            continue
        for fst in spec.program.statements():
            if fst.target_name == base_of(gr) and base_of(g) in {ref_name(x) for x in
                                                                fst.reads()}:
                return f"comes from {_forward_statement(spec, fst)}"
        return f"flows back through {base_of(gr)}"
    return None


def _path_of(spec: Spec, bw, st, g: str) -> str:
    """How a reference statement's contribution reaches g, in words."""
    renamed = {s.extra["new"]: s.extra["old"] for s in bw.steps
               if s.kind == "rescale" and s.extra}
    target = renamed.get(st.target_name, st.target_name)
    if target != g and is_grad_name(target):
        return f"flows back through {base_of(target)}"
    return f"comes from {_forward_statement(spec, st)}"


def _forward_statement(spec: Spec, st) -> str:
    for fst in spec.program.statements():
        if fst.line == st.line:
            return f"the forward statement `{format_statement(fst, spec.program.indices)}`"
    return "another statement"


def _counterexample(spec, bw, answer, g, unit) -> dict | None:
    """The smallest sizes (all 1, then 2, ...) at which the answer is wrong, with values."""
    names = list(spec.size_symbols)
    base = spec.default_sizes()
    rel = spec.program.relations
    for n in (1, 2, 3):
        for sizes in ({k: n for k in names}, {k: min(n + i, base[k]) for i, k in
                                              enumerate(names)}):
            sizes = complete(rel, spec.size_symbols, {k: max(1, v) for k, v in sizes.items()})
            if sizes is None:
                continue
            try:
                # symbol values as shown (4 decimals), so the numbers can be reproduced
                symvals = {k: round(v, 4) if isinstance(v, float) else v
                           for k, v in random_symbols(spec.program, 0).items()}
                fwd = run(spec.program, sizes, _small_inputs(spec, sizes), seed=0,
                          symbol_values=symvals)
                ra = run_gradients(spec, bw.program, bw.sources, unit, sizes, 0, symvals, fwd)
                rb = run_gradients(spec, answer, bw.sources, unit, sizes, 0, symvals, fwd)
            except TimeLimitError:
                raise
            except DeriveError:
                continue
            a, b = np.asarray(ra[g]), np.asarray(rb[g])
            if close(a, b) or not np.all(np.isfinite(a)):
                continue
            if not np.any(np.abs(a) > 1e-12):
                continue            # the true gradient is zero here (batch norm at B = 2)
            diff = np.abs(a - b)
            at = np.unravel_index(int(np.argmax(diff)), diff.shape) if diff.ndim else ()
            shown = {}
            read = {x.name for st in list(spec.program.statements()) + list(answer.statements())
                    for x in st.rhs.free_symbols}
            for name in sorted(symvals):     # the symbols the programs read (rho = 0.35)
                if name in read and name not in spec.program.sizes:
                    shown[name] = symvals[name]
            small = sum(np.size(fwd[n]) for n, i in spec.program.tensors.items()
                        if i.role in ("input", "parameter", "computed") and n in fwd) <= 60
            for name, info in spec.program.tensors.items():
                if not small:
                    break
                if info.role in ("input", "parameter", "computed") and name in fwd:
                    shown[name] = np.round(np.asarray(fwd[name]), 4).tolist()
            for f in bw.sources:
                shown[grad_name(f)] = np.round(np.asarray(ra[grad_name(f)]), 4).tolist() \
                    if grad_name(f) in ra else None
            index = ", ".join(str(int(i) + _offset(spec, bw, g, k)) for k, i in enumerate(at))
            return {"sizes": sizes, "inputs": shown,
                    "entry": f"{g}[{index}]" if index else g,
                    "expected": round(float(a[at]), 6), "got": round(float(b[at]), 6)}
    return None


def _offset(spec, bw, g, axis) -> int:
    info = bw.program.tensors.get(g)
    try:
        lo = info.ranges[axis][0]
        return int(lo) if getattr(lo, "is_Integer", isinstance(lo, int)) else 0
    except Exception:  # noqa: BLE001 - display only
        return 0


def _small_inputs(spec: Spec, sizes: dict) -> dict:
    """Inputs with one decimal (two, or as drawn, where rounding leaves the domain of the
    program), so a counterexample is easy to follow."""
    prog = spec.program
    env = run(prog, sizes, None, seed=0, symbol_values=random_symbols(prog, 0))
    raw = {n: env[n] for n, i in prog.tensors.items() if i.role in ("input", "parameter")}
    for digits in (1, 2):
        rounded = {k: np.round(v, digits) for k, v in raw.items()}
        if _finite_run(prog, sizes, rounded):
            return rounded
    return raw


def _finite_run(prog, sizes, inputs) -> bool:
    env = run(prog, sizes, inputs, seed=0, symbol_values=random_symbols(prog, 0))
    return all(np.all(np.isfinite(v)) for v in env.values())
