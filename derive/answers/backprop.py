"""Answers to a problem's parts: each derived by an engine and verified numerically."""
from __future__ import annotations


import numpy as np
import sympy as sp

from derive.engines.backward import derive_backward
from derive.core.records import Backward, Step
from derive.core.errors import DerivationError, SpecError
from derive.run.execute import Executor, random_symbols, run
from derive.core.naming import fresh, names_in_use
from derive.core.program import (Block, Program, Statement, TensorInfo, format_statement,
                                 grad_name, is_grad_name, reads, ref_indices, ref_name,
                                 TensorScalar)
from derive.front.spec import Spec
from derive.run.verify import verify_backward
from derive.core.records import Answer, Result
from derive.engines.backward import tidy_statement
from derive.answers.cost import cost_line
from derive.engines.matrix import matrix_forms
from derive.core.program import ref, index_var
from derive.run.verify import run_backward
from derive.core.records import Check, Verification
from derive.core.program import Loop
from derive.core.errors import VerificationError
from derive.front.spec import answer_scope
from derive.engines.equivalence import equivalent_programs
from derive.front.resolve import build_program
from derive.engines.compact import compact_form
from derive.run.verify import compare_backward
from derive.run.agree import (SEEDS_PER_SIZE, check_sizes, disagreements, final_scalars,
                              own_memo)


def closed_form(bw: Backward, final_sources) -> tuple[list, list] | None:
    """Inline intermediate gradients defined without a sum: `w.grad[i] = y.grad*step(z)*x[i]`.

    Returns (statements as derived, statements shown with the final loss's
    gradient taken as 1)."""
    if any(isinstance(it, Block) for it in bw.program.items):
        return None
    stmts = list(bw.program.items)
    keep = {grad_name(t) for t in bw.targets}
    ones = {TensorScalar(grad_name(s)): sp.S.One for s in final_sources
            if not bw.program.tensors[s].axes}
    changed = True
    while changed:
        changed = False
        for k, d in enumerate(stmts):
            g = d.target_name
            if g in keep or not is_grad_name(g):
                continue
            writers = [s for s in stmts if s.target_name == g]
            tvars = set().union(*[i.free_symbols for i in ref_indices(d.target)]) \
                if ref_indices(d.target) else set()
            if len(writers) != 1 or any(lp.var not in tvars for lp in d.loops) \
                    or not all(i.is_Symbol for i in ref_indices(d.target)):
                continue
            value = d.rhs if d.op != "-=" else -d.rhs
            rest = stmts[:k] + stmts[k + 1:]
            new = []
            for s in rest:
                subs = {}
                for r in reads(s.rhs):
                    if ref_name(r) == g:
                        m = dict(zip(ref_indices(d.target), ref_indices(r)))
                        subs[r] = value.xreplace(m)
                new.append(s.with_(rhs=s.rhs.xreplace(subs)) if subs else s)
            stmts = new
            changed = True
            break
    raw, out = [], []
    for s in stmts:
        rhs = sp.factor_terms(s.rhs)
        tvars = set().union(*[i.free_symbols for i in ref_indices(s.target)]) \
            if ref_indices(s.target) else set()
        sole = sum(1 for x in stmts if x.target_name == s.target_name) == 1
        if sole and all(lp.var in tvars for lp in s.loops) and s.op in ("+=", "-="):
            s = s.with_(op="=", rhs=rhs if s.op == "+=" else -rhs)
        else:
            s = s.with_(rhs=rhs)
        raw.append(tidy_statement(s))
        out.append(tidy_statement(s.with_(rhs=sp.factor_terms(s.rhs.xreplace(ones)))))
    return raw, out


def answer_backprop(spec: Spec, part, ans: Answer, verify: bool) -> Answer:
    """Backprop and gradient parts: the backward loops (for gradient parts a closed form
    and the matrix forms too), checked by finite differences, with their cost."""
    a = part.args
    bw = derive_backward(spec.program, a["from"], a["to"], a.get("through"),
                         a.get("average_over"))
    ans.backward = bw
    ans.program = bw.program
    ans.steps = bw.steps
    raw = []
    if part.kind == "gradient":
        final = [s for s in bw.sources if not _is_read(spec.program, s)]
        raw, ans.closed = closed_form(bw, final) or ([], [])
        if part.args.get("matrix"):
            shown = Program(ans.closed, bw.program.tensors, bw.program.indices) \
                if ans.closed else bw.program
            ans.matrix = matrix_forms(shown)
    if verify:
        sizes = spec.default_sizes()
        ans.verification = verify_backward(spec.program, bw, sizes)
        if part.args.get("claim"):
            ans.message = _check_claim(spec, part, bw)
        if ans.closed:
            # the closed form is itself a backward program: check it the same way
            prog = Program(raw, bw.program.tensors, bw.program.indices,
                           bw.program.symbols, bw.program.functions, bw.program.sizes)
            verify_backward(spec.program, Backward(prog, bw.forward, bw.sources,
                                                   bw.targets, [], bw.average_over), sizes)
        if not part.args.get("matrix"):
            _add_compact(spec, bw, ans, sizes)
    ans.cost = cost_line(spec.program, bw, verify=verify)
    return ans


def _add_compact(spec: Spec, bw: Backward, ans: Answer, sizes: dict) -> None:
    """The compact form of the gradients (derive.engines.compact) as the answer, the
    loops kept as the step before it, when the form passes its numeric checks."""
    found = compact_form(bw, spec.program)
    if found is not None and verified_compact(spec, bw, found, sizes):
        ans.compact = found.statements
        ans.steps = list(ans.steps) + found.steps


def verified_compact(spec: Spec, bw: Backward, found, sizes: dict) -> bool:
    """Does a compact form (its loop program `found.lowered`) pass two numeric checks:
    against the complex step (or central differences) like the loops, and against the
    loops themselves, run by the executor on the same random inputs?  A form that fails
    either is never shown."""
    lowered = Backward(found.lowered, bw.forward, bw.sources, bw.targets, [],
                       bw.average_over)
    checked = verify_backward(spec.program, lowered, sizes, raise_on_failure=False)
    if not checked.passed:
        return False
    same, _, _ = compare_backward(spec.program, bw.program, found.lowered, bw.sources,
                                  bw.targets, [c.sizes for c in checked.checks[::2]])
    return same


def answer_loops(spec: Spec, part, ans: Answer, verify: bool) -> Answer:
    """Loops parts: the desugared statements that write the tensors asked about."""
    names = part.args.get("of") or []
    stmts = [s for s in spec.program.statements() if s.target_name in names]
    ans.program = Program(stmts, spec.program.tensors, spec.program.indices,
                          spec.program.symbols, spec.program.functions, spec.program.sizes)
    ans.steps = [Step("desugar", s.note or "as written", s) for s in stmts]
    ans.message = ("the Einstein sums are desugared into += loops by the parser; "
                   "these are the loops the executor runs")
    return ans


def answer_text(spec: Spec, part, ans: Answer, verify: bool) -> Answer:
    """Text parts: the instructor's answer, as given."""
    ans.status = "given"
    ans.text = str(part.args.get("answer", ""))
    return ans


def velocity_name(spec: Spec, name: str) -> str:
    """The velocity of parameter `name` in a momentum step (V_W), free in the spec."""
    return fresh(f"V_{name}", names_in_use(spec.program))


def update_statements(spec: Spec, part, targets) -> tuple[list, dict]:
    """One SGD step for each parameter, as statements, and the tensors they add (the
    velocities of a momentum step): theta -= rate * theta.grad, or with `momentum: mu`
    V_theta = mu * V_theta + theta.grad; theta -= rate * V_theta."""
    a = part.args
    rate_name = str(a.get("rate", "eta"))
    rate = spec.symbols.get(rate_name)
    if rate is None:
        raise DerivationError(f"{spec.id}:{part.label}: the rate {rate_name!r} is not a "
                              f"declared symbol")
    mu = None
    if "momentum" in a:
        mu = spec.symbols.get(str(a["momentum"]))
        if mu is None:
            raise DerivationError(f"{spec.id}:{part.label}: the momentum {a['momentum']!r} is "
                                  "not a declared symbol")
    out, added = [], {}
    for name in targets:
        info = spec.program.tensors[name]
        idx = [index_var(ax) for ax in info.axes]
        loops = tuple(Loop(v, *info.ranges[k]) for k, v in enumerate(idx))
        step = ref(grad_name(name), idx)
        if mu is not None:
            vname = velocity_name(spec, name)
            added[vname] = TensorInfo(vname, info.axes, info.ranges, "updated",
                                      latex=f"V_{{{info.latex or name}}}")
            out.append(Statement(ref(vname, idx), "=", mu * ref(vname, idx) + step, loops))
            step = ref(vname, idx)
        out.append(Statement(ref(name, idx), "-=", rate * step, loops))
    return out, added


def run_updates(spec: Spec, updates, tensors: dict, env: dict, sizes, symvals) -> dict:
    """The update statements run from `env` (parameters, gradients, velocities)."""
    prog = Program(list(updates), {**spec.program.tensors, **tensors},
                   spec.program.indices, spec.program.symbols, spec.program.functions,
                   spec.program.sizes)
    ex = Executor(prog, sizes, symvals)
    ex.env = {k: np.array(v, dtype=float, copy=True) for k, v in env.items()}
    ex.run()
    return ex.env


def answer_update(spec: Spec, part, ans: Answer, verify: bool) -> Answer:
    """One SGD step (with momentum, if the part asks): theta -= rate * theta.grad, with
    theta.grad in closed form."""
    a = part.args
    bw = derive_backward(spec.program, a["from"], a["to"])
    final = [s for s in bw.sources if not _is_read(spec.program, s)]
    raw, closed = closed_form(bw, final) or ([], [])
    ans.backward, ans.program, ans.steps, ans.closed = bw, bw.program, bw.steps, closed
    updates, velocities = update_statements(spec, part, bw.targets)
    for st in updates:
        name = st.target_name
        what = ("velocity: the gradient added to the decayed velocity" if name in velocities
                else "gradient descent: step against the "
                     + ("velocity" if velocities else "gradient"))
        ans.results.append(Result(f"{name} update", format_statement(st, spec.program.indices),
                                  "", what, statement=st))
    ans.message = ("descent moves each parameter against its gradient, so the update "
                   "subtracts rate times the gradient (a + would climb the loss)")
    if velocities:
        ans.message = ("with momentum each parameter moves against its velocity, which adds "
                       "the new gradient to the old velocity scaled by the momentum")
    if verify:
        ans.verification = _verify_update(spec, part, bw, final, updates, velocities)
    return ans


def _verify_update(spec, part, bw, final, updates, velocities) -> Verification:
    """The update statements, run at a tiny rate, must change the loss by
    -rate * grad . (step direction) to first order (the direction is the gradient, or
    mu * V + grad with a random velocity V)."""
    sizes = spec.default_sizes()
    checks = []
    loss = final[0] if final else bw.sources[0]
    rate_name = str(part.args.get("rate", "eta"))
    for seed in (0, 1):
        env = run_backward(spec.program, bw.program, bw.sources, sizes, seed, unit=True)
        symvals = {**random_symbols(spec.program, seed), rate_name: 1e-4}
        rng = np.random.default_rng(seed + 17)
        vel = {n: velocity_name(spec, n) for n in bw.targets} if velocities else {}
        for n, v in vel.items():
            env[v] = rng.standard_normal(np.shape(env[n]))
        after_env = run_updates(spec, updates, {**bw.program.tensors, **velocities}, env,
                                sizes, symvals)
        moved = {n: after_env[n] for n in bw.targets}
        inputs = {n: env[n] for n, i in spec.program.tensors.items()
                  if i.role in ("input", "parameter")}
        after = run(spec.program, sizes, {**inputs, **moved}, seed=seed, symbol_values=symvals)
        base = float(np.sum(env[loss]))
        drop = base - float(np.sum(after[loss]))
        mu = symvals.get(str(part.args.get("momentum")), 0.0)
        expect = 0.0
        for n in bw.targets:
            g = env[grad_name(n)]
            d = mu * env[vel[n]] + g if n in vel else g
            expect += 1e-4 * float((g * d).sum())
        c = Check(dict(sizes), seed)
        c.errors["loss decrease"] = abs(drop - expect) / max(abs(expect), 1e-300)
        checks.append(c)
    ok = all(c.worst < 1e-2 for c in checks)
    what = "momentum step" if velocities else "step"
    v = Verification(f"one {what} with rate 1e-4 changes the loss by the rate times the "
                     f"gradient's inner product with the step, to first order", checks, 1e-2, ok)
    if not ok:
        raise VerificationError(f"{spec.id}:{part.label}: the update does not descend")
    return v


def _check_claim(spec: Spec, part, bw: Backward) -> str:
    """A claimed form (e.g. a published optimized backward) is judged as a student's answer
    is: run against the derived gradients on random inputs at every check size (the
    checker's comparison, so a form that the symbolic method cannot simplify, such as the
    compact batch-norm backward, is still proven).  A claim that differs is a spec error
    with the first entry where it does.  The symbolic proof, where it succeeds, is
    reported too."""
    text = str(part.args["claim"])
    key = f"parts.{part.label}.claim"
    claimed = build_program(text, answer_scope(spec), spec.path, key, answer=True)
    claimed.tensors = {**bw.program.tensors, **claimed.tensors}
    wanted = [grad_name(t) for t in bw.targets]
    missing = [g for g in wanted if g not in claimed.written()]
    if missing:
        raise SpecError(f"the claimed form does not write {', '.join(missing)}, which the "
                        f"part asks for", spec.path, key)
    with own_memo():
        bad, _ = disagreements(spec, bw, claimed, final_scalars(spec, bw.sources), wanted,
                               wanted)
    if bad:
        g = next(g for g in wanted if g in bad)
        sizes, seed, _, want, got, _, _ = bad[g]
        want, got = np.asarray(want, dtype=float), np.asarray(got, dtype=float)
        diff = np.where(np.isfinite(got), np.abs(want - got), np.inf)
        at = np.unravel_index(int(np.argmax(diff)), diff.shape) if diff.ndim else ()
        entry = f"{g}[{', '.join(str(int(i) + 1) for i in at)}]" if at else g
        shown = ", ".join(f"{k}={v}" for k, v in sizes.items())
        raise SpecError(f"the claimed form is not the derived gradient: at sizes {shown} "
                        f"(seed {seed}), the claim gives {entry} = {float(got[at]):.6g}, "
                        f"the chain rule {float(want[at]):.6g}", spec.path, key)
    a = part.args
    raw = derive_backward(spec.program, a["from"], a["to"], a.get("through"),
                          a.get("average_over"), simplify=False)
    proof = equivalent_programs(spec.program, raw.program, claimed, bw.targets)
    shown = "; ".join(l.strip() for l in text.strip().splitlines())
    n = len(check_sizes(spec))
    how = (", and is proven equal to them symbolically, element by element" if proof else "")
    return (f"the claimed form `{shown}` gives the derived gradients on random inputs "
            f"({SEEDS_PER_SIZE} seeds at {n} sizes, as an answer is checked){how}")


def _is_read(program: Program, name: str) -> bool:
    return any(ref_name(r) == name for s in program.statements() for r in s.reads())


def answer_numeric(spec: Spec, part, ans: Answer, verify: bool) -> Answer:
    """Every forward value, and (with `from`) every backward value, for the spec's values."""
    sizes = spec.default_sizes()
    inputs = {k: v for k, v in spec.values.items() if k in spec.program.tensors}
    env = run(spec.program, sizes, inputs)
    show = part.args.get("show")
    order = [n for n in spec.program.tensors if not n.endswith(".grad")]
    for n in order:
        ans.values[n] = env[n]
    src = part.args.get("from")
    shown = [str(x) for x in (show if isinstance(show, list) else [show] if show else [])]
    if not src and any(x.endswith(".grad") for x in shown):
        # the gradients of the program's final scalar (the loss)
        finals = [n for n in spec.program.written()
                  if not spec.program.tensors[n].axes and not _is_read(spec.program, n)]
        src = finals[-1:]
    if src:
        targets = part.args.get("to") or [n for n, i in spec.program.tensors.items()
                                          if i.role in ("input", "parameter", "computed")
                                          and n not in src]
        bw = derive_backward(spec.program, src, targets)
        ans.backward = bw
        ans.program = bw.program
        ans.steps = bw.steps
        ex = Executor(bw.program, sizes)
        ex.env = {k: np.array(v, dtype=float, copy=True) for k, v in env.items()}
        for s in src:
            ex.env[grad_name(s)] = np.ones_like(env[s])
        ex.run()
        for n in [grad_name(s) for s in src] + [grad_name(t) for t in targets]:
            if n in ex.env:
                ans.values[n] = ex.env[n]
        if verify:
            ans.verification = verify_backward(spec.program, bw, sizes, inputs=inputs,
                                               seeds=(0,))
    if shown:
        ans.values = {k: ans.values[k] for k in shown if k in ans.values}
    return ans
