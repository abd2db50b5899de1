"""Monte Carlo: draw the random tensors as assumed, run the program on a sample axis,
and check the derived moments."""
from __future__ import annotations

from derive.core.stopwatch import timed

import math
import time
from dataclasses import dataclass, field
import numpy as np
import sympy as sp
from derive.core.errors import DerivationError, VerificationError
from derive.run.execute import Executor
from derive.core.program import tensor_layout
from derive.core.functions import comparison
from derive.core.program import (Block, Loop, Program, Statement, TensorInfo, base_of,
                                 index_var, is_grad_name, reads, ref, ref_indices, ref_name,
                                 size_symbol)
from derive.core.phrase import Phrase, join, sizes_phrase
from derive.core.records import Check, Verification
from derive.engines.moments.algebra import _has_unknown, unknowns
from derive.engines.moments.algebra import Assumption, BOUND, E, _sym, as_assumptions, fx
from derive.engines.moments.propagate import (backward_program, forward_reads, needed_program,
                                              normalized)


SAMPLES = 20_000          # Monte Carlo samples per check (fewer only for large grids)
MIN_SAMPLES = 500
STANDARD_ERRORS = 4.0     # a derived moment must lie within this many standard errors
CHUNK_ELEMENTS = 2_000_000    # grid elements of one statement per executor run
TOTAL_ELEMENTS = 4_000_000    # grid elements of the largest statement, all layers and chunks
LAYERS = (3, 2)           # layers stacked to check a recurrence, at the first / second sizes

# --------------------------------------------------------------------------
# Monte Carlo: draw the random tensors as assumed, run on a sample axis
# --------------------------------------------------------------------------

MC_SIZE = "MC_samples"
MC_INDEX = "mc"


def with_samples(program: Program) -> Program:
    """The program with a leading sample axis on every tensor and loop (one run = many
    independent draws)."""
    n = size_symbol(MC_SIZE)
    s = index_var(MC_INDEX)
    rng = (sp.S.Zero, n - 1)
    tensors = {k: TensorInfo(k, (MC_INDEX,) + tuple(i.axes), (rng,) + tuple(i.ranges), i.role,
                             i.latex) for k, i in program.tensors.items()}

    def lift(e):
        return e.xreplace({r: ref(ref_name(r), (s,) + ref_indices(r)) for r in reads(e)})
    items = []
    for it in program.items:
        if isinstance(it, Block):
            raise DerivationError("Monte Carlo runs one step of a program: time blocks are "
                                  "not supported")
        # shifted writes (x.grad[x + dx] += ...) become plain writes with the loop's old
        # range as 0/1 factors: the same terms, summed along axes instead of scattered
        it, moved = normalized(it, program.tensors)
        if moved:
            guard = sp.Mul(*[comparison(">=", e, lp.lo) * comparison("<=", e, lp.hi)
                             for e, lp in moved])
            it = it.with_(rhs=it.rhs * guard)
        items.append(it.with_(target=lift(it.target), rhs=lift(it.rhs),
                              loops=(Loop(s, sp.S.Zero, n - 1),) + tuple(it.loops)))
    return Program(items, tensors, {**program.indices, MC_INDEX: rng}, program.symbols,
                   program.functions, {**program.sizes, MC_SIZE: n})


# law -> (description, standard draw with mean 0 and variance 1)
LAWS = {
    "normal": ("normal", lambda rng, shape: rng.standard_normal(shape)),
    "uniform": ("uniform", lambda rng, shape: rng.uniform(-math.sqrt(3), math.sqrt(3), shape)),
    "rademacher": ("+-1 with probability 1/2 each",
                   lambda rng, shape: rng.integers(0, 2, shape) * 2.0 - 1.0),
    # drawn by its mean (the probability of 1) in MonteCarlo.draw: 0 and 1 are not a
    # shift and scale of one standard draw
    "bernoulli": ("1 with probability q, else 0 (bernoulli)", None),
    # drawn from its parameters in MonteCarlo.draw: uniform(low, high) and Student's t(nu)
    "t": ("Student's t", None),
    # only symmetry assumed: a symmetric law that is not normal
    "symmetric": ("Laplace (symmetric, not normal: only the moments and symmetry are assumed)",
                  lambda rng, shape: rng.laplace(0.0, 1 / math.sqrt(2), shape)),
    # only the mean and variance assumed: a skewed law
    "any": ("centred exponential (skewed: only the mean and variance are assumed)",
            lambda rng, shape: rng.exponential(1.0, shape) - 1.0),
}


def law_of(a: Assumption) -> str:
    if a.distribution:
        return a.distribution
    return "symmetric" if a.symmetric else "any"


def numeric(expr, values: dict) -> float:
    """A float from a SymPy expression, with symbols replaced by name from `values`."""
    expr = _sym(expr)
    subs = {x: values[x.name] for x in expr.free_symbols if x.name in values}
    v = expr.xreplace({k: sp.nsimplify(v) if isinstance(v, int) else sp.Float(v)
                       for k, v in subs.items()})
    v = sp.N(v)
    if v.free_symbols:
        raise DerivationError(f"no value for {', '.join(sorted(x.name for x in v.free_symbols))}"
                              f" in {fx(expr)}")
    return float(v)


@dataclass
class Claim:
    """A derived moment to check: `moment(tensor) relation value` after `layers` layers."""
    label: str
    tensor: str
    moment: str                 # variance | mean | third (E[(X - center)^3]: symmetry)
    value: sp.Expr
    relation: str = "="         # = or ≤ (BOUND)
    layers: int = 0             # 0: one run of the program; k: k layers stacked
    fixed: dict = field(default_factory=dict)   # symbol values for this claim (solutions)
    center: sp.Expr = sp.S.Zero                 # for `third`: the mean


@dataclass
class Setting:
    sizes: dict                 # size name -> int
    symbols: dict               # symbol name -> float
    layers: int = LAYERS[0]     # at most this many layers stacked here

    def values(self) -> dict:
        return {**self.symbols, **self.sizes}

    def text(self) -> str:
        items = [f"{k}={v}" for k, v in self.sizes.items()]
        items += [f"{k}={v:.4g}" for k, v in self.symbols.items()]
        return ", ".join(items)


@dataclass
class MomentCheck(Check):
    """One Monte Carlo comparison: derived value against estimate ± standard error."""
    label: str = ""
    relation: str = "="
    derived: float = 0.0
    estimate: float = 0.0
    stderr: float = 0.0
    slack: float = 0.0
    samples: int = 0
    entries: int = 0
    layers: int = 0
    setting: str = ""
    ok: bool = True

    @property
    def interval(self) -> tuple:
        w = STANDARD_ERRORS * self.stderr + self.slack
        return (self.estimate - w, self.estimate + w)

    def line(self) -> str:
        lo, hi = self.interval
        where = f" after {self.layers} layer{'s' if self.layers != 1 else ''}" \
            if self.layers else ""
        return (f"{self.label}{where} at {self.setting}: derived {self.relation} "
                f"{self.derived:.6g}, "
                f"Monte Carlo {self.estimate:.6g} ± {self.stderr:.2g} "
                f"({self.samples} samples x {self.entries} entries; interval "
                f"[{lo:.6g}, {hi:.6g}]): {'ok' if self.ok else 'FAILED'}")


@dataclass
class MonteCarloVerification(Verification):
    """Monte Carlo checks of derived moments (and any exact symbolic checks)."""
    symbolic: list = field(default_factory=list)
    laws: str = ""
    seconds: float = 0.0

    @property
    def samples(self) -> int:
        return max((c.samples for c in self.checks), default=0)

    def summary(self) -> Phrase:
        shown = [sizes_phrase(c.sizes) for c in self.checks if c.sizes]
        shown = list(dict.fromkeys(shown))
        status = "passed" if self.passed else "FAILED"
        n = len(self.checks)
        out = Phrase(self.method, f": {status}, {n} check{'s' if n != 1 else ''} at ",
                     join(shown, "; ") if shown else "no sizes",
                     f", worst deviation {self.worst:.1f} standard errors")
        if self.symbolic:
            out += f"; {len(self.symbolic)} symbolic check{'s' if len(self.symbolic) > 1 else ''}"
        return out

    def brief(self) -> str:
        return f"Monte Carlo, {self.samples} samples, worst {self.worst:.1f} SE"

    def details(self) -> list:
        out = [c.line() for c in self.checks] + list(self.symbolic)
        if self.laws:
            out.append(f"drawn as: {self.laws}")
        return out


def _estimate(a: np.ndarray, b: np.ndarray, moment: str):
    """(estimate, standard error, standard error of the mean) from per-sample entry means
    a_s = mean of X, b_s = mean of X^2 (samples independent, entries within one not)."""
    n = len(a)
    abar = float(a.mean())
    se_mean = float(a.std(ddof=1) / math.sqrt(n)) if n > 1 else float("inf")
    if moment == "mean":
        return abar, se_mean, se_mean
    est = float(b.mean()) - abar ** 2
    influence = b - 2 * abar * a           # delta method for mean(b) - mean(a)^2
    se = float(influence.std(ddof=1) / math.sqrt(n)) if n > 1 else float("inf")
    return est, se, se_mean


def completeness(program: Program, sizes: dict, full: dict) -> dict:
    """For every tensor, the entries whose value has all its terms: each read in range and
    itself complete (the interior, where the derived moments hold)."""
    full = dict(full)
    for st0 in program.statements():
        st, moved = normalized(st0, program.tensors)
        tvars = set().union(*[i.free_symbols for i in ref_indices(st.target)]) \
            if ref_indices(st.target) else set()
        summed = [lp for lp in st.loops if lp.var not in tvars]
        expected = 1
        ex0 = Executor(program, sizes)
        for lp in summed:
            expected *= ex0.int_of(lp.hi) - ex0.int_of(lp.lo) + 1
        tensors = {}
        factors = []
        for r in reads(st.rhs):
            name = ref_name(r)
            fname = name + ".full"
            info = program.tensors[name]
            tensors[fname] = TensorInfo(fname, info.axes, info.ranges, "input")
            factors.append(ref(fname, ref_indices(r)))
        for e, lp in moved:
            factors.append(comparison(">=", e, lp.lo))
            factors.append(comparison("<=", e, lp.hi))
        tinfo = program.tensors[st.target_name]
        tensors["count."] = TensorInfo("count.", tinfo.axes, tinfo.ranges, "computed")
        stmt = Statement(ref("count.", ref_indices(st.target)), "+=", sp.Mul(*factors),
                         st.loops)
        prog = Program([stmt], tensors, program.indices, program.symbols, program.functions,
                       program.sizes)
        ex = Executor(prog, sizes)
        for name in tensors:
            if name.endswith(".full"):
                base = name[:-5]
                if base not in full:
                    full[base] = np.ones(tensor_layout(program.tensors[base], sizes)[0], bool)
                ex.env[name] = full[base].astype(float)
        ex.run()
        done = np.isclose(ex.array("count."), expected)
        name = st.target_name
        if st.op == "=" or name not in full:
            full[name] = done if st.op == "=" else (
                np.ones(done.shape, bool) & done)
        else:
            full[name] = full[name] & done
    return full


class MonteCarlo:
    """Runs a one-layer program (and its backward program) on a sample axis.

    `recurrence` = (from, of): layers are stacked, `of` of one layer feeding `from` of the
    next (for gradients, `of` = X.grad of one layer feeds `from` = Y.grad of the one below).
    """

    def __init__(self, program: Program, assumptions: dict, grads=(), recurrence=None,
                 needs=None):
        self.assumptions = as_assumptions(assumptions)
        self.recurrence = recurrence
        targets = sorted({base_of(g) for g in grads})
        self.backward = backward_program(program, self.assumptions, targets) \
            if targets else None
        if needs is not None:
            # only the statements the checked tensors need (and the backward loops read)
            names = set(needs) | set(n for n in (recurrence or ()) if not is_grad_name(n))
            if self.backward is not None:
                names |= forward_reads(program, self.backward)
            program = needed_program(program, names)
        # checked tensors that no kept statement reads are drawn all the same
        self.inputs = set(needs or ()) - set(program.written())
        self.program = program
        self.fwd_s = with_samples(program)
        self.bwd_s = with_samples(self.backward.program) if self.backward else None
        computed = set(program.written())
        self.bw_reads_forward = bool(self.backward) and any(
            ref_name(r) in computed for st in self.backward.program.statements()
            for r in st.reads())
        self.used: dict = {}     # tensor -> law used

    # ---- sizes -------------------------------------------------------------

    def grid(self, sizes) -> int:
        ex = Executor(self.program, sizes)
        worst = 1
        progs = [self.program] + ([self.backward.program] if self.backward else [])
        for prog in progs:
            for st in prog.statements():
                n = 1
                for lp in st.loops:
                    n *= ex.int_of(lp.hi) - ex.int_of(lp.lo) + 1
                worst = max(worst, n)
        return worst

    def shifted_sizes(self) -> list:
        """Sizes of axes read at shifted indices (they bound the interior)."""
        out = []
        progs = [self.program] + ([self.backward.program] if self.backward else [])
        for prog in progs:
            for st0 in prog.statements():
                st, _ = normalized(st0, prog.tensors)
                for r in reads(st.rhs):
                    info = prog.tensors[ref_name(r)]
                    for i, rng in zip(ref_indices(r), info.ranges):
                        if not i.is_Symbol and i.free_symbols:
                            for x in _sym(rng[1]).free_symbols:
                                if x.name not in out:
                                    out.append(x.name)
        return out

    # ---- drawing and running -------------------------------------------------

    def draw(self, rng, name, shape, values) -> np.ndarray:
        a = self.assumptions.get(name)
        if a is None:
            raise DerivationError(f"Monte Carlo needs an assumption for {name!r}")
        if a.constant is not None:
            return np.full(shape, numeric(a.constant, values))
        law = law_of(a)
        self.used[name] = LAWS[law][0]
        mean, var = numeric(a.mean, values), numeric(a.variance, values)
        if law == "bernoulli":
            if not 0.0 <= mean <= 1.0:
                raise DerivationError(f"the bernoulli mask {name} has mean {mean:g} at the "
                                      "drawn values: declare the range of its probability, "
                                      "e.g. q: {range: '(0, 1)'}")
            return (rng.random(shape) < mean).astype(float)
        if law == "uniform" and a.low is not None:
            low, high = numeric(a.low, values), numeric(a.high, values)
            if not low < high:
                raise DerivationError(f"{name} is {a.law_name} with low {low:g} >= high "
                                      f"{high:g} at the drawn values")
            self.used[name] = f"uniform on [{low:g}, {high:g}]"
            return rng.uniform(low, high, shape)
        if law == "t":
            nu = numeric(a.nu, values)
            if not nu > 2:
                raise DerivationError(f"{name} is {a.law_name} with nu = {nu:g} at the drawn "
                                      "values: no finite variance (declare the range of nu, "
                                      "e.g. nu: {range: '(4, inf)'})")
            self.used[name] = f"Student's t with {nu:g} degrees of freedom"
            scale = math.sqrt(max(var, 0.0) * (nu - 2) / nu)
            return mean + scale * rng.standard_t(nu, shape)
        return mean + math.sqrt(max(var, 0.0)) * LAWS[law][1](rng, shape)

    def execute(self, prog_s: Program, sizes: dict, values: dict, given: dict, rng) -> dict:
        ex = Executor(prog_s, sizes, values, max_grid=4 * CHUNK_ELEMENTS + 1)
        written = set(prog_s.written())
        for name, info in prog_s.tensors.items():
            if name in written:
                continue
            if name in given:
                ex.env[name] = given[name]
            elif name in self.inputs or any(ref_name(r) == name for st in prog_s.statements()
                                            for r in st.reads()):
                ex.env[name] = self.draw(rng, name, tensor_layout(info, sizes)[0], values)
        ex.run()
        return ex.env

    def masks(self, sizes: dict, layers: int) -> list:
        """Complete (interior) entries per layer, mirroring run_layers: [{tensor: bools}]."""
        frm, of = self.recurrence or (None, None)
        count = max(layers, 1)
        backward_rec = bool(frm) and is_grad_name(frm)
        need_fwd = not backward_rec or self.bw_reads_forward
        fwd = []
        if need_fwd:
            for k in range(count):
                start = {}
                if frm and not backward_rec and k > 0:
                    start[frm] = fwd[-1][of]
                fwd.append(completeness(self.program, sizes, start))
        if self.backward is None:
            return fwd
        out = []
        for k in range(count):
            start = {}
            if need_fwd:
                src = fwd[-1 - k] if backward_rec else fwd[0]
                start = {n: v for n, v in src.items() if not is_grad_name(n)}
            if backward_rec and k > 0:
                start[frm] = out[-1][of]
            out.append(completeness(self.backward.program, sizes, start))
        return out

    def run_layers(self, sizes: dict, values: dict, layers: int, rng) -> list:
        """Sample-axis environments per layer (forward, then backward, as needed)."""
        frm, of = self.recurrence or (None, None)
        count = max(layers, 1)
        backward_rec = bool(frm) and is_grad_name(frm)
        need_fwd = not backward_rec or self.bw_reads_forward
        fwd = []
        if need_fwd:
            for k in range(count):
                given = {}
                if frm and not backward_rec and k > 0:
                    given[frm] = fwd[-1][of]
                fwd.append(self.execute(self.fwd_s, sizes, values, given, rng))
        if self.backward is None:
            return fwd
        out = []
        for k in range(count):
            given = {}
            if need_fwd:
                src = fwd[-1 - k] if backward_rec else fwd[0]
                given = {n: v for n, v in src.items() if not is_grad_name(n)}
            if backward_rec and k > 0:
                given[frm] = out[-1][of]
            out.append(self.execute(self.bwd_s, sizes, values, given, rng))
        return out

    # ---- checking ----------------------------------------------------------

    def check(self, claims: list, settings: list, seed: int = 0,
              raise_on_failure: bool = True) -> MonteCarloVerification:
        start = time.perf_counter()
        checks = []
        grow = self.shifted_sizes()
        relevant = set()
        for a in self.assumptions.values():
            for e in (a.mean, a.variance, a.constant):
                if e is not None:
                    relevant |= {x.name for x in _sym(e).free_symbols}
        for c in claims:
            relevant |= {x.name for x in _sym(c.value).free_symbols} | set(c.fixed)
        for k_setting, setting in enumerate(settings):
            sizes = dict(setting.sizes)
            by_fixed: dict = {}
            for c in claims:
                if c.layers > setting.layers and k_setting > 0:
                    continue            # deep stacks at the first (smallest) sizes only
                by_fixed.setdefault(tuple(c.fixed.items()), []).append(c)
            for fixed, group in by_fixed.items():
                layers = max(c.layers for c in group)
                # grow the shifted axes until every checked tensor has interior entries
                for _ in range(12):
                    masks = self.masks(sizes, layers)
                    if all(masks[max(c.layers, 1) - 1].get(c.tensor, np.ones(1, bool)).any()
                           for c in group):
                        break
                    if not grow:
                        break
                    sizes = {n: v + (1 if n in grow else 0) for n, v in sizes.items()}
                for c in group:
                    mask = masks[max(c.layers, 1) - 1].get(c.tensor)
                    if mask is not None and not mask.any():
                        raise DerivationError(f"{c.tensor} has no interior entry (every entry "
                                              f"reads beyond a border) at sizes {sizes}")
                values = {**setting.symbols, **sizes}
                for name, expr in fixed:
                    values[name] = numeric(expr, values)
                grid = self.grid(sizes)
                runs = max(layers, 1) * (2 if self.backward and self.bw_reads_forward else 1)
                budget = TOTAL_ELEMENTS // len(by_fixed)
                total = min(SAMPLES, max(MIN_SAMPLES, budget // (grid * runs)))
                chunk = max(1, min(total, CHUNK_ELEMENTS // grid))
                rng = np.random.default_rng(seed + 1000 * k_setting)
                acc = {id(c): ([], [], []) for c in group}
                centers = {id(c): numeric(c.center, values) for c in group}
                done = 0
                while done < total:
                    n = min(chunk, total - done)
                    envs = self.run_layers({**sizes, MC_SIZE: n}, values, layers, rng)
                    for c in group:
                        env = envs[max(c.layers, 1) - 1]
                        arr = env[c.tensor] if c.tensor in env else None
                        if arr is None:
                            raise DerivationError(f"Monte Carlo produced no {c.tensor!r}")
                        mask = masks[max(c.layers, 1) - 1].get(c.tensor)
                        flat = arr.reshape(n, -1)
                        if mask is not None:
                            flat = flat[:, mask.reshape(-1)]
                        acc[id(c)][0].append(flat.mean(axis=1))
                        acc[id(c)][1].append((flat ** 2).mean(axis=1))
                        if c.moment == "third":
                            acc[id(c)][2].append(((flat - centers[id(c)]) ** 3).mean(axis=1))
                    done += n
                for c in group:
                    a = np.concatenate(acc[id(c)][0])
                    b = np.concatenate(acc[id(c)][1])
                    if c.moment == "third":
                        est, se, se_mean = _estimate(np.concatenate(acc[id(c)][2]), b, "mean")
                    else:
                        est, se, se_mean = _estimate(a, b, c.moment)
                    derived = numeric(c.value, values)
                    slack = 1e-9 * max(1.0, abs(derived))
                    if c.moment == "variance":
                        slack += (STANDARD_ERRORS * se_mean) ** 2
                    width = STANDARD_ERRORS * se + slack
                    if c.relation == BOUND:
                        ok = est <= derived + width
                        dev = max(0.0, est - derived - slack) / se if se > 0 else 0.0
                    else:
                        ok = abs(est - derived) <= width
                        dev = max(0.0, abs(est - derived) - slack) / se if se > 0 else (
                            0.0 if ok else float("inf"))
                    mask = masks[max(c.layers, 1) - 1].get(c.tensor)
                    entries = int(mask.sum()) if mask is not None else 1
                    shown = Setting(sizes, {k: v for k, v in values.items()
                                            if k not in sizes and k in relevant}).text()
                    checks.append(MomentCheck(dict(sizes), seed, {c.label: dev}, c.label,
                                              c.relation, derived, est, se, slack, len(a),
                                              entries, c.layers, shown, bool(ok)))
        if claims and not checks:
            raise VerificationError("no Monte Carlo check could run for "
                                    + ", ".join(c.label for c in claims))
        passed = all(c.ok for c in checks)
        laws = "; ".join(f"{n}: {law}" for n, law in self.used.items())
        v = MonteCarloVerification(
            f"Monte Carlo ({SAMPLES} samples, or fewer for large grids; pass within "
            f"{STANDARD_ERRORS:g} standard errors)", checks, STANDARD_ERRORS, passed,
            laws=laws, seconds=time.perf_counter() - start)
        if not passed and raise_on_failure:
            bad = [c for c in checks if not c.ok][0]
            raise VerificationError(f"a derived moment fails its Monte Carlo check: "
                                    f"{bad.line()}")
        return v


def settings_for(spec_sizes: dict, symbols: dict, variants: int = 2, ranges=None) -> list:
    """Concrete sizes and symbol values: the spec's sizes, then each size + 1; positive
    symbols take moderate values that change between the settings (moved inside a
    symbol's declared range when they fall outside it: nu: {range: '(4, inf)'})."""
    values = [0.5, 0.35, 0.7, 0.45]
    out = []
    for k in range(variants):
        sizes = {n: v + k for n, v in spec_sizes.items()}
        syms = {}
        for j, (name, sym) in enumerate(sorted(symbols.items())):
            if name in sizes:
                continue
            syms[name] = float(2 + k) if sym.is_integer else values[(j + k) % len(values)]
            if ranges and name in ranges:
                syms[name] = _inside(syms[name], ranges[name], k)
        out.append(Setting(sizes, syms, LAYERS[min(k, len(LAYERS) - 1)]))
    return out


def _inside(value: float, rng: tuple, k: int) -> float:
    """`value`, or a value inside the range (lo, hi, lo open?, hi open?) when it is outside."""
    lo, hi, lo_open, hi_open = rng
    lo_f, hi_f = float(lo), float(hi)
    inside = (value > lo_f or (value == lo_f and not lo_open)) and \
        (value < hi_f or (value == hi_f and not hi_open))
    if inside:
        return value
    if math.isinf(hi_f):
        return float(math.floor(lo_f) + 1 + k)
    if math.isinf(lo_f):
        return float(math.ceil(hi_f) - 1 - k)
    return lo_f + (hi_f - lo_f) * (0.5 + 0.1 * k)


@timed("verify")
def verify_claims(program: Program, assumptions: dict, claims: list, settings: list,
                  recurrence=None, seed: int = 0, symbolic=(),
                  raise_on_failure: bool = True) -> MonteCarloVerification:
    """Check derived moments by Monte Carlo at every setting (raises VerificationError)."""
    for c in claims:
        if _has_unknown(c.value):
            unknown = ", ".join(unknowns(c.value))
            raise DerivationError(f"no closed form for {unknown} under the assumptions, so "
                                  f"{c.label} = {fx(c.value)} is not known: declare the "
                                  "distribution of the inputs (normal, uniform, rademacher) "
                                  "under assume: or the part's given:")
    grads = [c.tensor for c in claims if is_grad_name(c.tensor)
             and c.tensor not in as_assumptions(assumptions)]
    needs = {c.tensor for c in claims if not is_grad_name(c.tensor)}
    mc = MonteCarlo(program, assumptions, grads, recurrence, needs)
    v = mc.check(claims, settings, seed, raise_on_failure)
    v.symbolic = list(symbolic)
    return v
