"""Variants that may be shown: drawn until they meet the spec's requirements, then derived
and verified part by part.  A variant the engines cannot derive or verify is not offered.

`variant_spec(spec, 17)` is softmax#17 (the first draw that meets `vary.requires`);
`offer(spec, 17)` derives and verifies every part of it; `assign(spec, student, seed)`
is a student's variant: the first offered one among the numbers hashed from the student
id and the course seed.  `shared_answers(offers)` says which variants share an answer.
"""
from __future__ import annotations

import json
import operator
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

from derive.answers import solve_guarded
from derive.core.errors import DeriveError, SpecError
from derive.core.program import format_statement, grad_name, ref_name
from derive.engines.backward import derive_backward
from derive.front.folder import resolve_problem
from derive.front.spec import Spec, load_spec
from derive.front.variants import (Redraw, apply_variant, draw, parse_variant_name, unit)
from derive.run.execute import Executor, run

MAX_ATTEMPTS = 64          # draws of one variant before it is given up
POOL = 1000                # a student's variant is one of 1..POOL
CANDIDATES = 16            # numbers tried for a student before giving up
UNOFFERED = ("withheld", "not-derived", "error")


class NoVariant(SpecError):
    """No draw of a variant meets the requirements, or no candidate is offered."""


# ---------------------------------------------------------------------------
# drawing, with the requirements
# ---------------------------------------------------------------------------


def variant_spec(spec: Spec, k: int) -> Spec:
    """Variant k of `spec`: the first draw (attempt 0, 1, ...) whose spec loads and meets
    every requirement; its `variant.attempt` says how many were drawn again."""
    if spec.vary is None:
        raise SpecError(f"problem {spec.id!r} has no vary: block, so it has no variants "
                        f"({spec.id}#{k})", spec.path, "vary")
    last = ""
    for attempt in range(MAX_ATTEMPTS):
        try:
            v = draw(spec, k, attempt)
            out = apply_variant(spec, v)
        except Redraw as e:
            last = str(e)
            continue
        except DeriveError as e:
            last = f"the drawn spec does not load: {getattr(e, 'message', None) or e.reason}"
            continue
        try:
            broken = unmet(out, spec.vary.requires)
        except DeriveError as e:
            last = f"its worked values cannot be computed: {e.reason}"
            continue
        if broken is None:
            return out
        last = f"the requirement {broken!r} does not hold"
    raise NoVariant(f"{spec.id}#{k}: none of {MAX_ATTEMPTS} draws can be shown ({last})",
                    spec.path, "vary")


def unmet(spec: Spec, requires) -> str | None:
    """The first requirement the variant breaks (its text), or None: evaluated on the
    variant's worked values (its `values:`, else seeded random inputs) at its sizes."""
    if not requires:
        return None
    env = _values(spec, any(_names_grad(r) for r in requires))
    for r in requires:
        if not _holds(r, env, spec):
            return r.text
    return None


def _names_grad(r) -> bool:
    return any(o is not None and o.name and o.name.endswith(".grad")
               for o in (r.left, r.right))


def _values(spec: Spec, gradients: bool) -> dict:
    sizes = spec.default_sizes()
    inputs = {k: v for k, v in spec.values.items() if k in spec.program.tensors}
    env = dict(run(spec.program, sizes, inputs, seed=0))
    env.update({k: np.asarray(v) for k, v in sizes.items()})
    if gradients:
        read = {ref_name(r) for s in spec.program.statements() for r in s.reads()}
        finals = [n for n in spec.program.written()
                  if not spec.program.tensors[n].axes and n not in read]
        if not finals:
            raise SpecError("a requirement on a gradient needs a scalar output of the "
                            "program (a loss)", spec.path, "vary.requires")
        targets = [n for n in spec.program.tensors if not n.endswith(".grad")
                   and n not in finals]
        bw = derive_backward(spec.program, finals, targets)
        ex = Executor(bw.program, sizes)
        ex.env = {k: np.array(v, dtype=float, copy=True) for k, v in env.items()
                  if k in spec.program.tensors}
        for s in finals:
            ex.env[grad_name(s)] = np.ones_like(env[s])
        ex.run()
        env.update({k: v for k, v in ex.env.items() if k.endswith(".grad")})
    return env


COMPARE = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}
TINY = 1e-12


def _operand(o, env, spec):
    """The values an operand names in the variant (renamed and constants included)."""
    if o.name is None:
        return np.asarray(o.number, dtype=float)
    v = spec.variant
    base, grad = (o.name[:-5], ".grad") if o.name.endswith(".grad") else (o.name, "")
    new = v.names.get(base, base)
    if base in v.constants:
        return np.asarray(float(Fraction(v.constants[base])))
    name = new + grad
    if name not in env:
        raise SpecError(f"the requirement names {o.name}, which this problem does not "
                        "compute", spec.path, "vary.requires")
    return np.asarray(env[name], dtype=float)


def _holds(r, env, spec) -> bool:
    a = _operand(r.left, env, spec)
    if r.test == "nonzero":
        return bool(np.all(np.abs(a) > TINY))
    if r.test == "nonnegative":
        return bool(np.all(a >= -TINY))
    if r.test == "nonpositive":
        return bool(np.all(a <= TINY))
    if r.test == "distinct":
        flat = np.round(a.ravel(), 10)
        return len(set(flat.tolist())) == flat.size
    b = _operand(r.right, env, spec)
    if r.op == "!=":
        return bool(np.all(np.abs(a - b) > TINY))
    if r.op == "==":
        return bool(np.all(np.abs(a - b) <= TINY * (1 + np.abs(b))))
    return bool(np.all(COMPARE[r.op](a, b)))


# ---------------------------------------------------------------------------
# offering: every part derived and verified
# ---------------------------------------------------------------------------


@dataclass
class Offer:
    """A variant's spec and its answers; `offered` only when every part was derived and
    verified (or is instructor text)."""
    name: str
    spec: Spec | None
    answers: list = field(default_factory=list)
    reason: str = ""

    @property
    def offered(self) -> bool:
        return self.spec is not None and not self.reason

    @property
    def k(self) -> int:
        return int(self.name.rsplit("#", 1)[1])


_OFFERS: dict = {}


def offer(spec: Spec, k: int, solve=None) -> Offer:
    """Variant k derived and verified, part by part (memoized in this process by the
    spec's file and text, and k).  `solve(spec)` may replace the solving (timed runs)."""
    memo = (spec.path, id(spec.raw), k)
    if solve is None and memo in _OFFERS:
        return _OFFERS[memo]
    name = f"{spec.id}#{k}"
    if spec.vary is None:
        variant_spec(spec, k)                        # the error: no variants at all
    try:
        vs = variant_spec(spec, k)
    except NoVariant as e:
        return Offer(name, None, [], e.message)
    answers = solve(vs) if solve else [solve_guarded(vs, label) for label in vs.parts]
    bad = [a for a in answers if a.status in UNOFFERED]
    reason = "; ".join(f"{a.part}: {a.status} ({a.message})" for a in bad)
    out = Offer(name, vs, answers, reason)
    if solve is None:
        _OFFERS[memo] = out
    return out


def candidates(spec_id: str, student: str, seed: str) -> list:
    """The variant numbers a student may get, in order: hashed from the course seed,
    the problem and the student id (sha256; the same on every machine)."""
    out = []
    for n in range(CANDIDATES):
        k = 1 + unit("student", seed, spec_id, student.strip(), n) % POOL
        if k not in out:
            out.append(k)
    return out


def assign(spec: Spec, student: str, seed: str, solve=None) -> Offer:
    """A student's variant: the first of their candidates that is offered."""
    tried = []
    for k in candidates(spec.id, student, seed):
        o = offer(spec, k, solve)
        if o.offered:
            return o
        tried.append(f"#{k}: {o.reason}")
    raise NoVariant(f"no variant of {spec.id} could be offered to {student!r}: "
                    + "; ".join(tried[:3]), spec.path, "vary")


def load_problem(name: str, problems_dir=None, verify: bool = False) -> Spec:
    """A problem by id or path, or one of its variants (`softmax#17`).  With `verify`,
    a variant that is not offered (not derived or verified) is an error."""
    problem, k = parse_variant_name(name)
    spec = load_spec(resolve_problem(problem, problems_dir))
    if k is None:
        return spec
    if not verify:
        return variant_spec(spec, k)
    o = offer(spec, k)
    if not o.offered:
        raise NoVariant(f"{name} is not offered (it cannot be shown unverified): "
                        f"{o.reason}", spec.path, "vary")
    return o.spec


# ---------------------------------------------------------------------------
# answers the variants share
# ---------------------------------------------------------------------------


def fingerprint(ans) -> str:
    """An answer as a canonical string: two variants with the same share the answer."""
    data = {"status": ans.status, "kind": ans.kind}
    if ans.program is not None:
        data["program"] = ans.program.text()
    if ans.closed:
        data["closed"] = [format_statement(st) for st in ans.closed]
    if ans.results:
        data["results"] = [(r.label, r.relation, str(r.value)) for r in ans.results]
    if ans.values:
        data["values"] = {k: np.round(np.asarray(v, dtype=float), 10).tolist()
                          for k, v in ans.values.items()}
    if ans.text:
        data["text"] = ans.text
    return json.dumps(data, sort_keys=True, default=str)


def shared_answers(offers) -> dict:
    """part label -> groups (lists of variant names, 2 or more) that share its answer;
    one group of all of them means every variant has the same answer to that part."""
    out = {}
    by_part: dict = {}
    for o in offers:
        if not o.offered:
            continue
        for a in o.answers:
            by_part.setdefault(a.part, {}).setdefault(fingerprint(a), []).append(o.name)
    for label, groups in by_part.items():
        shared = [sorted(set(g), key=_number) for g in groups.values() if len(set(g)) > 1]
        if shared:
            out[label] = shared
    return out


def _number(name: str) -> int:
    return int(name.rsplit("#", 1)[1])


def shared_lines(problem: str, offers) -> list:
    """The summary's lines: which variants share an answer, part by part."""
    lines = []
    n = len({o.name for o in offers if o.offered})
    for label, groups in shared_answers(offers).items():
        if len(groups) == 1 and len(groups[0]) == n:
            lines.append(f"{problem}:{label}: every variant ({n}) has the same answer")
            continue
        said = "; ".join(", ".join(g) for g in groups)
        lines.append(f"{problem}:{label}: variants share an answer: {said}")
    return lines
