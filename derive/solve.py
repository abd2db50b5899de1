"""Answers to a problem's parts: each derived by an engine and verified numerically."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import sympy as sp

from .backward import Backward, Step, derive_backward
from .errors import DerivationError
from .execute import Executor, run
from .program import (Block, Program, Statement, format_statement, grad_name, is_grad_name,
                      reads, ref_indices, ref_name, TensorScalar)
from .spec import Spec
from .verify import Verification, verify_backward

# part kind -> "module:function" of the engine that answers it; the function takes
# (spec, part, answer, verify) and fills in the answer (see Answer)
ENGINES = {
    "variance": "derive.moments:solve_moment_part",
    "mean": "derive.moments:solve_moment_part",
    "solve": "derive.moments:solve_moment_part",
    "choice": "derive.moments:solve_moment_part",
    "cost": "derive.cost:solve_cost_part",
}

NOT_YET = {
    "variance": "the moments engine (variances under random initialization) is not built yet",
    "mean": "the moments engine (means under random initialization) is not built yet",
    "solve": "solving for a parameter needs the moments engine, which is not built yet",
    "choice": "choice parts are answered by the moments engine, which is not built yet",
    "cost": "the cost analysis (work and parallel depth) is not built yet",
    "update": "the SGD update form is not derived yet",
}


@dataclass
class Result:
    """One expression answer: `label relation value` (relation '=', '<=', '≈', ...)."""
    label: str
    value: sp.Expr | str
    relation: str = "="
    note: str = ""


@dataclass
class Answer:
    problem: str
    part: str
    kind: str
    status: str                       # derived | given | not-derived
    program: Program | None = None    # backward loops (or the loops asked for)
    closed: list = field(default_factory=list)   # closed-form statements
    values: dict = field(default_factory=dict)   # numeric: name -> array
    text: str | None = None           # instructor text (text parts)
    steps: list = field(default_factory=list)
    verification: Verification | None = None
    message: str = ""
    backward: Backward | None = None
    # expression results: [Result]; e.g. a variance "= (1 + D^2 J sigma_W^2)^l" or a bound
    results: list = field(default_factory=list)
    matrix: list = field(default_factory=list)   # (statement, matrix text or None, reason)
    cost: str = ""    # backprop/gradient parts: orders of work, depth, memory (derive.cost)

    @property
    def verified(self) -> bool:
        return self.verification is not None and self.verification.passed


def tidy_statement(st: Statement) -> Statement:
    """Signs into the operator: `x += -y` is written `x -= y`."""
    c, _ = st.rhs.as_coeff_Mul()
    if st.op in ("+=", "-=") and c.is_negative:
        return st.with_(op="-=" if st.op == "+=" else "+=", rhs=-st.rhs)
    if st.op == "=" and c.is_negative and False:
        return st
    return st


def tidy(program: Program) -> Program:
    """Signs into the operators of every statement."""
    program.items = program.map(tidy_statement).items
    return program


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


def _backward_for(spec: Spec, part) -> Backward:
    a = part.args
    bw = derive_backward(spec.program, a["from"], a["to"], a.get("through"),
                         a.get("average_over"))
    tidy(bw.program)
    return bw


def solve_part(spec: Spec, label: str, verify: bool = True) -> Answer:
    part = spec.part(label)
    kind = part.kind
    ans = Answer(spec.id, label, kind, "derived")
    if kind in ("backprop", "gradient"):
        bw = _backward_for(spec, part)
        ans.backward = bw
        ans.program = bw.program
        ans.steps = bw.steps
        if kind == "gradient":
            final = [s for s in bw.sources if not _is_read(spec.program, s)]
            raw, ans.closed = closed_form(bw, final) or ([], [])
            if part.args.get("matrix"):
                from .matrix import matrix_forms
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
        from .cost import cost_line
        ans.cost = cost_line(spec.program, bw, verify=verify)
        return ans
    if kind == "loops":
        names = part.args.get("of") or []
        stmts = [s for s in spec.program.statements() if s.target_name in names]
        ans.program = Program(stmts, spec.program.tensors, spec.program.indices,
                              spec.program.symbols, spec.program.functions,
                              spec.program.sizes)
        ans.steps = [Step("desugar", s.note or "as written", s) for s in stmts]
        ans.message = ("the Einstein sums are desugared into += loops by the parser; "
                       "these are the loops the executor runs")
        return ans
    if kind == "numeric":
        return _numeric(spec, part, ans, verify)
    if kind == "update":
        return _update(spec, part, ans, verify)
    if kind == "text":
        ans.status = "given"
        ans.text = str(part.args.get("answer", ""))
        return ans
    engine = _engine(kind)
    if engine is not None:
        return engine(spec, part, ans, verify)
    ans.status = "not-derived"
    ans.message = NOT_YET.get(kind, f"parts of kind {kind!r} are not derived yet")
    return ans


def _update(spec: Spec, part, ans: Answer, verify: bool) -> Answer:
    """One SGD step: theta -= rate * theta.grad, with theta.grad in closed form."""
    from .program import ref, index_var
    from .verify import Check, Verification, run_backward
    a = part.args
    rate_name = str(a.get("rate", "eta"))
    rate = spec.symbols.get(rate_name)
    if rate is None:
        raise DerivationError(f"{spec.id}:{part.label}: the rate {rate_name!r} is not a "
                              f"declared symbol")
    bw = derive_backward(spec.program, a["from"], a["to"])
    tidy(bw.program)
    final = [s for s in bw.sources if not _is_read(spec.program, s)]
    raw, closed = closed_form(bw, final) or ([], [])
    ans.backward, ans.program, ans.steps, ans.closed = bw, bw.program, bw.steps, closed
    updates = []
    for name in bw.targets:
        info = spec.program.tensors[name]
        idx = [index_var(ax) for ax in info.axes]
        from .program import Loop
        loops = tuple(Loop(v, *info.ranges[k]) for k, v in enumerate(idx))
        updates.append(Statement(ref(name, idx), "-=", rate * ref(grad_name(name), idx), loops))
        ans.results.append(Result(f"{name} update", format_statement(updates[-1],
                                                                      spec.program.indices),
                                  "", "gradient descent: step against the gradient"))
    ans.message = ("descent moves each parameter against its gradient, so the update "
                   "subtracts rate times the gradient (a + would climb the loss)")
    if verify:
        # the step must lower the loss to first order: L(theta - eta g) < L(theta)
        sizes = spec.default_sizes()
        checks = []
        loss = final[0] if final else bw.sources[0]
        for seed in (0, 1):
            env = run_backward(spec.program, bw.program, bw.sources, sizes, seed, unit=True)
            base = float(np.sum(env[loss]))
            step = {n: env[n] - 1e-4 * env[grad_name(n)] for n in bw.targets}
            inputs = {n: env[n] for n, i in spec.program.tensors.items()
                      if i.role in ("input", "parameter")}
            after = run(spec.program, sizes, {**inputs, **step}, seed=seed)
            drop = base - float(np.sum(after[loss]))
            g2 = sum(float((env[grad_name(n)] ** 2).sum()) for n in bw.targets)
            c = Check(dict(sizes), seed)
            c.errors["loss decrease"] = abs(drop - 1e-4 * g2) / max(1e-4 * g2, 1e-300)
            checks.append(c)
        ok = all(c.worst < 1e-2 for c in checks)
        ans.verification = Verification(
            "one step with rate 1e-4 lowers the loss by rate*|grad|^2 to first order", checks,
            1e-2, ok)
        if not ok:
            from .errors import VerificationError
            raise VerificationError(f"{spec.id}:{part.label}: the update does not descend")
    return ans


def _engine(kind: str):
    """The engine function for a part kind, if that engine is installed."""
    import importlib
    target = ENGINES.get(kind)
    if target is None:
        return None
    module, _, name = target.partition(":")
    try:
        mod = importlib.import_module(module)
    except ModuleNotFoundError as e:
        if e.name == module:
            return None
        raise
    return getattr(mod, name, None)


def _check_claim(spec: Spec, part, bw: Backward) -> str:
    """A claimed form (e.g. the seed's), proven against the derivation symbolically
    (element by element, where that method applies) and checked numerically."""
    from .check import answer_scope
    from .equivalence import equivalent_programs
    from .resolve import build_program
    from .verify import _sizes_variants, compare_backward
    text = str(part.args["claim"])
    claimed = build_program(text, answer_scope(spec), spec.path, f"parts.{part.label}.claim",
                            answer=True)
    claimed.tensors = {**bw.program.tensors, **claimed.tensors}
    sizes = _sizes_variants(spec.program, spec.default_sizes(), 2)
    ok, worst, diff = compare_backward(spec.program, bw.program, claimed, bw.sources,
                                       bw.targets, sizes)
    if not ok:
        raise DerivationError(f"the claimed form of {spec.id}:{part.label} differs from the "
                              f"derived one: {diff}")
    a = part.args
    raw = derive_backward(spec.program, a["from"], a["to"], a.get("through"),
                          a.get("average_over"), simplify=False)
    proof = equivalent_programs(spec.program, raw.program, claimed, bw.targets)
    if proof is False:
        raise DerivationError(f"the claimed form of {spec.id}:{part.label} is not symbolically "
                              "equal to the chain rule's sum of contributions")
    shown = "; ".join(l.strip() for l in text.strip().splitlines())
    how = ("proven equal to the chain rule's unsimplified sum, element by element, "
           "symbolically" if proof else "not provable by the symbolic method here")
    return (f"the claimed form `{shown}` is {how}; numerically the same gradients "
            f"(relative difference {worst:.1e}, {len(sizes)} sizes, 2 seeds each)")


def _is_read(program: Program, name: str) -> bool:
    return any(ref_name(r) == name for s in program.statements() for r in s.reads())


def _numeric(spec: Spec, part, ans: Answer, verify: bool) -> Answer:
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
        tidy(bw.program)
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


def solve(spec: Spec, labels=None, verify: bool = True) -> list[Answer]:
    labels = labels or list(spec.parts)
    return [solve_part(spec, lab, verify) for lab in labels]
