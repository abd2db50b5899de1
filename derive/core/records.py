"""The records every stage shares: a derivation step, an engine's result, an answer and
its numeric verification.  Engines fill them; printers typeset them."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import sympy as sp

from derive.core.phrase import Phrase, join, sizes_phrase
from derive.core.program import Program, Statement


RELATIONS = ("=", "≤", "≥", "<", ">", "≈", "∝")


@dataclass
class Step:
    """One step of a derivation: mathematics as SymPy objects, words from a table.

    `chain` is a relation chain `(lhs, rel, e1, rel, e2, ...)` of SymPy objects and
    relations from RELATIONS (`Var(y) = n sigma_W^2 v = 2 v`); `why` is a key of
    derive.core.sentences.SENTENCES, whose `{name}` fields are filled from `args` (SymPy
    objects, printed like the chain); `assumptions` are (key, args) pairs of the same
    table, each an assumption the step makes.  `statement` is the program statement the
    step is about.  The printers (derive.present.steps) are the only place that turns a
    step into words or symbols.  `text` is the step said in plain words, for steps that
    carry no chain (the backward engine's visit/local/emit steps use `statement`,
    `expr` and `extra` instead)."""
    kind: str                  # visit | local | emit | simplify | merge | rescale | rule | ...
    text: str = ""
    statement: Statement | None = None
    expr: sp.Expr | None = None
    extra: dict = field(default_factory=dict)
    chain: tuple = ()
    why: str | None = None
    args: dict = field(default_factory=dict)
    assumptions: tuple = ()


def chain(lhs, *rest) -> tuple:
    """A relation chain for Step.chain: chain(Var(y), "=", a, "≤", b)."""
    out = (lhs,) + tuple(rest)
    for k, x in enumerate(out):
        if k % 2 == 1 and x not in RELATIONS:
            raise ValueError(f"not a relation: {x!r} (relations: {', '.join(RELATIONS)})")
        if k % 2 == 0 and not isinstance(x, (sp.Basic, int, float)):
            raise TypeError(f"not an expression: {x!r}")
    if len(out) % 2 == 0:
        raise ValueError("a chain ends with an expression")
    return out


@dataclass
class Backward:
    program: Program           # the backward program (its tensors include the forward's)
    forward: Program           # the forward (sub)program it differentiates
    sources: list              # tensors whose .grad is given
    targets: list              # tensors whose .grad is wanted
    steps: list
    average_over: str | None = None

    def statements(self):
        return self.program.statements()

    def text(self) -> str:
        return self.program.text()


@dataclass
class Check:
    sizes: dict
    seed: int
    errors: dict = field(default_factory=dict)     # tensor -> worst relative error

    @property
    def worst(self) -> float:
        vals = list(self.errors.values())
        if any(not np.isfinite(x) for x in vals):
            return float("nan")
        return max(vals, default=0.0)


@dataclass
class Verification:
    method: str
    checks: list
    tolerance: float
    passed: bool
    detail: str = ""

    @property
    def worst(self) -> float:
        return max((c.worst for c in self.checks), default=0.0)

    def summary(self) -> Phrase:
        """What was checked, where and how well; the sizes as formulas (`n_in = 5`) that
        each printer names in its own way."""
        shown = _distinct_sizes(self.checks)
        where = Phrase("at sizes ", join(shown, "; ")) if shown else \
            Phrase("at the problem's own sizes")
        status = "passed" if self.passed else "FAILED"
        seeds = len({c.seed for c in self.checks})
        draws = "1 random draw" if seeds == 1 else \
            f"{seeds} random draws" + (" each" if len(shown) > 1 else "")
        return Phrase(self.method, f": {status}, worst relative error {self.worst:.1e} "
                      f"(tolerance {self.tolerance:.0e}) ", where, f", {draws}")


def _distinct_sizes(checks) -> list:
    """The different size assignments of some checks, in order, as phrases."""
    shown, seen = [], set()
    for c in checks:
        key = tuple(c.sizes.items())
        if key and key not in seen:
            seen.add(key)
            shown.append(sizes_phrase(c.sizes))
    return shown


@dataclass
class Result:
    """One expression answer: `label relation value` (relation '=', '<=', '≈', ...).

    `label` names the quantity in the course notation (students' answers are matched
    against it); `lhs`, when given, is the same quantity as a SymPy object
    (Var(z1[j]), sigma2(l + 1)), which the printers typeset.  An answer that is a
    statement (an SGD update) has it as `statement`, `value` being its text."""
    label: str
    value: sp.Expr | str
    relation: str = "="
    note: str = ""
    lhs: sp.Basic | None = None
    statement: Statement | None = None     # an answer that is a statement (an update)
    aliases: tuple = ()     # other labels a student may give it: Var(L0) for sigma2(l)


@dataclass
class Assumed:
    """What an answer assumes of every entry of one tensor (a spec's `assume:` or a part's
    `given:`): its mean and variance (SymPy objects), the distribution Monte Carlo draws
    it from (None: only these moments are assumed), whether it is symmetric about its
    mean, whether its entries are independent of each other, or the constant it is.
    `layer`, for the tensor a recurrence starts from, is the layer where this holds
    (`0`, `L`).  The printers (derive.present.steps) say it in words, with the spec's
    display names."""
    tensor: str
    mean: sp.Expr | None = None
    variance: sp.Expr | None = None
    distribution: str | None = None
    symmetric: bool = False
    independent: bool = True
    constant: sp.Expr | None = None
    layer: sp.Expr | None = None


@dataclass
class Answer:
    problem: str
    part: str
    kind: str
    status: str                       # derived | given | not-derived
    program: Program | None = None    # backward loops (or the loops asked for)
    closed: list = field(default_factory=list)   # closed-form statements
    # the compact form (derive.engines.compact): one `=` statement per asked gradient,
    # sums written as sums; verified, it is the boxed answer and the loops are a step
    compact: list = field(default_factory=list)
    values: dict = field(default_factory=dict)   # numeric: name -> array
    text: str | None = None           # instructor text (text parts)
    steps: list = field(default_factory=list)
    verification: Verification | None = None
    message: str = ""
    backward: Backward | None = None
    # expression results: [Result]; e.g. a variance "= (1 + D^2 J sigma_W^2)^l" or a bound
    results: list = field(default_factory=list)
    matrix: list = field(default_factory=list)   # (statement, matrix text or None, reason)
    cost: str = ""    # backprop/gradient parts: orders of work, depth, memory (derive.engines.cost)
    assumptions: list = field(default_factory=list)   # [Assumed] the derivation uses

    @property
    def verified(self) -> bool:
        return self.verification is not None and self.verification.passed
