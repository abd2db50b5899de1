"""Reference gradients by central finite differences through the problem's own
forward program (run by nb.py), and a checker for loop answers."""
import copy, math, os, sys
import numpy as np
sys.path.insert(0, os.path.dirname(__file__))
import nb

PROB_DIR = '/work/main/problems'
_cache = {}


def problem(pid):
    if pid not in _cache:
        p = nb.Problem(os.path.join(PROB_DIR, pid + '.yaml'))
        p.prog = nb.parse_program(p.spec['program'])
        p.stmts = nb.statements(p.prog)
        p.written = set()
        for st in p.stmts:
            p.written.add(nb.lhs_info(st['lhs'])[0])
        _cache[pid] = p
    return _cache[pid]


def draw(p, sizes, rs, domains=None):
    domains = domains or {}
    rng = p.ranges(sizes)
    state = {}
    for name, t in p.tensors.items():
        if name in p.written:
            continue
        dom = domains.get(name, t.get('domain', 'real'))
        shape = [rng[ix] for ix in t['shape']]
        import itertools
        idxs = list(itertools.product(*[range(lo, hi + 1) for lo, hi in shape]))
        vals = {}
        if dom == 'onehot':
            last = shape[-1]
            groups = {}
            for ix in idxs:
                groups.setdefault(ix[:-1], []).append(ix)
            for g, members in groups.items():
                hot = members[rs.randint(len(members))]
                for ix in members:
                    vals[ix] = 1.0 if ix == hot else 0.0
        else:
            for ix in idxs:
                v = rs.randn()
                if dom == 'positive':
                    v = abs(v) + 0.1
                elif dom == 'unit':
                    v = rs.uniform(0.05, 0.95)
                vals[ix] = float(v)
        state[name] = vals
    syms = {s: float(rs.uniform(0.5, 1.5)) for s in p.symbols}
    return state, syms


def make_ctx(p, sizes, syms, state):
    return nb.Ctx(p, sizes, syms, state, funcs={f: math.sin for f in p.functions})


def forward(p, sizes, syms, inputs):
    ctx = make_ctx(p, sizes, syms, copy.deepcopy(inputs))
    nb.run(p.prog, ctx)
    return ctx.state


def as_list(x):
    if x is None:
        return []
    return x if isinstance(x, list) else [x]


class Setup:
    """one random point: forward state, upstream grads, reference grads."""

    def __init__(self, pid, part, sizes, seed, unit_upstream=False, domains=None, extra_to=()):
        p = self.p = problem(pid)
        self.pid, self.part, self.sizes = pid, part, sizes
        spec = p.spec['parts'][part]
        self.spec = spec
        rs = np.random.RandomState(seed)
        self.inputs, self.syms = draw(p, sizes, rs, domains)
        self.base = forward(p, sizes, self.syms, self.inputs)
        ctx = make_ctx(p, sizes, self.syms, self.base)
        self.ctx0 = ctx
        # upstream
        self.froms = as_list(spec.get('from'))
        self.upstream = {}
        for f in self.froms:
            vals = {}
            for ix in nb.all_indices(ctx, f):
                vals[ix] = 1.0 if unit_upstream else float(rs.randn())
            self.upstream[f + '.grad'] = vals
        to = spec.get('to')
        if to == 'params':
            to = [n for n, t in p.tensors.items() if t.get('role') == 'parameter']
        self.to = as_list(to) + list(extra_to)
        th = spec.get('through')
        self.active = None if th is None else set(as_list(th))
        self.avg = spec.get('average_over')

    def loss(self, deltas):
        p = self.p
        if self.active is None:
            state = copy.deepcopy(self.inputs)
        else:
            state = copy.deepcopy(self.base)
            for st in p.stmts:
                if st['num'] in self.active:
                    state.pop(nb.lhs_info(st['lhs'])[0], None)
        ctx = make_ctx(p, self.sizes, self.syms, state)
        ctx.deltas = deltas
        nb.exec_items(p.prog, ctx, {}, self.active)
        tot = 0.0
        for f in self.froms:
            up = self.upstream[f + '.grad']
            for ix, g in up.items():
                tot += g * ctx.state.get(f, {}).get(ix, 0.0)
        return tot

    def ref_grads(self, eps=1e-5):
        if hasattr(self, '_ref'):
            return self._ref
        out = {}
        for name in self.to:
            g = {}
            for ix in nb.all_indices(self.ctx0, name):
                lp = self.loss({name: {ix: eps}})
                lm = self.loss({name: {ix: -eps}})
                g[ix] = (lp - lm) / (2 * eps)
            if self.avg and self.p.tensors[name].get('role') == 'parameter':
                lo, hi = self.ctx0.rng[self.avg]
                g = {k: v / (hi - lo + 1) for k, v in g.items()}
            out[name + '.grad'] = g
        self._ref = out
        return out

    def run_answer(self, text):
        prog = nb.parse_program(text)
        state = copy.deepcopy(self.base)
        state.update(copy.deepcopy(self.upstream))
        ctx = make_ctx(self.p, self.sizes, self.syms, state)
        nb.run(prog, ctx)
        return ctx


def compare(ctx, name, ref, tol=1e-6):
    a = nb.to_array(ctx, name)
    r = nb.to_array(ctx, name, ref)
    scale = max(np.max(np.abs(r)), 1e-8)
    err = np.max(np.abs(a - r)) / scale
    return err, err < tol
