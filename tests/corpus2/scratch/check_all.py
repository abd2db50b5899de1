"""Verify every corpus2 label with our own numerics (never with derive).
loops parts: run the answer with nb.py against finite differences of the problem's forward program;
numeric parts: compare against hand-computed values; expression parts: sympy + random points;
choice and cost parts: reasoning (listed as 'manual')."""
import sys, re, math, copy, pickle, os, collections
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import numpy as np, sympy as sp
import nb, ref
from build import E

LOOP_SIZES = {
    'relu_unit': [{'d': 3}, {'d': 4}],
    'softmax': [{'B': 3, 'J': 4}, {'B': 2, 'J': 5}],
    'batchnorm': [{'B': 4, 'J': 3}, {'B': 5, 'J': 2}],
    'ugrnn': [{'B': 2, 'T': 3, 'J': 4, 'K': 3}, {'B': 3, 'T': 2, 'J': 3, 'K': 2}],
    'gru': [{'B': 2, 'T': 3, 'J': 4, 'K': 3}, {'B': 1, 'T': 4, 'J': 3, 'K': 2}],
    'two_gate_rnn': [{'B': 2, 'T': 3, 'J': 4, 'K': 3}, {'B': 1, 'T': 4, 'J': 3, 'K': 2}],
    'ugcnn': [{'B': 2, 'X': 4, 'Y': 3, 'J': 3, 'D': 2}, {'B': 1, 'X': 3, 'Y': 4, 'J': 2, 'D': 2}],
    'lenet5': [{'U': 5, 'V': 8, 'P': 2, 'F': 2, 'G': 3, 'M': 4, 'N': 6, 'D': 3, 'R': 2, 'C': 3},
               {'U': 6, 'V': 9, 'P': 3, 'F': 3, 'G': 4, 'M': 4, 'N': 6, 'D': 2, 'R': 2, 'C': 3}],
    'vanilla_rnn_bptt': [{'T': 3, 'M': 4, 'N': 2, 'C': 3}, {'T': 4, 'M': 3, 'N': 2, 'C': 2}],
    'loss_heads': [{'L': 3, 'N': 4}, {'L': 4, 'N': 3}],
    'mlp_ce_l2': [{'N': 3, 'M': 4, 'C': 2}, {'N': 2, 'M': 3, 'C': 4}],
    'mlp_classification': [{'N': 3, 'H': 4, 'K': 2}, {'N': 2, 'H': 3, 'K': 4}],
    'mlp_regression': [{'N': 3, 'H': 4, 'K': 2}, {'N': 2, 'H': 3, 'K': 4}],
    'mlp_numeric': [{'H': 3, 'D': 2}, {'H': 2, 'D': 4}],
}
SEEDS = {'relu_unit': range(8), 'ugcnn': range(2)}
UNIT_UPSTREAM = {('mlp_ce_l2', 'grad'), ('mlp_ce_l2', 'sgd'), ('mlp_classification', 'b'), ('mlp_regression', 'b'),
                 ('mlp_regression', 'e'), ('mlp_classification', 'e'), ('mlp_numeric', 'vectorized'), ('vanilla_rnn_bptt', 'b')}
LOOP_KINDS = {'backprop', 'gradient', 'loops', 'update'}

CACHE = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'ref_cache.pkl')
_setups = {}


def setups(pid, part):
    key = (pid, part)
    if key not in _setups:
        out = []
        for sz in LOOP_SIZES[pid]:
            for seed in SEEDS.get(pid, range(3)):
                S = ref.Setup(pid, part, sz, seed, unit_upstream=(pid, part) in UNIT_UPSTREAM)
                if S.spec['ask'] in ('backprop', 'gradient', 'update'):
                    S.ref_grads()
                out.append(S)
        _setups[key] = out
    return _setups[key]


def declared_written_by(text):
    return None


def check_loops(e):
    pid, part = e['problem'], e['part']
    kind = ref.problem(pid).spec['parts'][part]['ask']
    worst, msgs = 0.0, []
    for S in setups(pid, part):
        try:
            if kind == 'loops':
                # run the answer on the forward state with Rt removed; compare Rt
                of = S.spec['of']
                prog = nb.parse_program(e['answer'])
                state = copy.deepcopy(S.base); state.pop(of)
                ctx = ref.make_ctx(S.p, S.sizes, S.syms, state)
                nb.run(prog, ctx)
                err, ok = ref.compare(ctx, of, S.base[of])
                worst = max(worst, err)
                continue
            if kind == 'update':
                prog = nb.parse_program(e['answer'])
                state = copy.deepcopy(S.base)
                ctx = ref.make_ctx(S.p, S.sizes, S.syms, state)
                nb.run(prog, ctx)
                R = S.ref_grads()
                eta = S.syms['eta']
                for name in S.to:
                    new = {ix: S.base[name][ix] - eta * g for ix, g in R[name + '.grad'].items()}
                    if ctx.state[name] == S.base[name] and any(abs(g) > 0 for g in R[name + '.grad'].values()):
                        msgs.append('not updated: ' + name)
                    err, ok = ref.compare(ctx, name, new)
                    worst = max(worst, err)
                continue
            ctx = S.run_answer(e['answer'])
            R = S.ref_grads()
            for name, g in R.items():
                if name not in ctx.state:
                    msgs.append('missing ' + name); worst = max(worst, 1.0); continue
                err, ok = ref.compare(ctx, name, g)
                worst = max(worst, err)
        except nb.NBError as ex:
            return 'unusable', 'parse/run error: %s' % ex
        except (SyntaxError, ZeroDivisionError, ValueError, OverflowError, KeyError, TypeError, AttributeError) as ex:
            return 'unusable', 'error: %r' % ex
    verdict = 'correct' if worst < 1e-6 and not msgs else 'incorrect'
    return verdict, 'worst rel err %.2e %s' % (worst, ' '.join(sorted(set(msgs))))


# ------------------------------------------------------------------ numeric
NUM_REF = {
    ('mlp_numeric', 'forward'): {'z': [1, -3], 'h': [1, 0], 'y': 3, 'C': 2},
    ('mlp_numeric', 'backward'): {'y.grad': 2, 'h.grad': [6, -2], 'z.grad': [6, 0], 'x.grad': [-6, 6],
                                  'v.grad': [2, 0], 'W.grad': [[6, 12], [0, 0]]},
}


def mlp_numeric_truth():
    x = np.array([1., 2]); t = 1.; W = np.array([[-1., 1], [1, -2]]); v = np.array([3., -1])
    z = W @ x; h = np.maximum(z, 0); y = v @ h; C = (y - t) ** 2 / 2
    yg = y - t; hg = yg * v; zg = hg * (z > 0); xg = W.T @ zg; vg = yg * h; Wg = np.outer(zg, x)
    # finite-difference confirmation of the backward values
    def Cof(W, v, x):
        return (v @ np.maximum(W @ x, 0) - t) ** 2 / 2
    eps = 1e-6
    fd = lambda f, a: np.array([(f(a + eps * np.eye(a.size)[k].reshape(a.shape)) - f(a - eps * np.eye(a.size)[k].reshape(a.shape))) / (2 * eps) for k in range(a.size)]).reshape(a.shape)
    assert np.allclose(fd(lambda W_: Cof(W_, v, x), W), Wg)
    assert np.allclose(fd(lambda v_: Cof(W, v_, x), v), vg)
    assert np.allclose(fd(lambda x_: Cof(W, v, x_), x), xg)
    return {'z': z, 'h': h, 'y': y, 'C': C}, {'y.grad': yg, 'h.grad': hg, 'z.grad': zg, 'x.grad': xg, 'v.grad': vg, 'W.grad': Wg}


def check_numeric(e):
    fwd, bwd = mlp_numeric_truth()
    truth = fwd if e['part'] == 'forward' else bwd
    for k, v in NUM_REF[(e['problem'], e['part'])].items():
        assert np.allclose(truth[k], v), k
    got = {}
    for line in e['answer'].strip().split('\n'):
        m = re.fullmatch(r'\s*([A-Za-z_][A-Za-z0-9_.]*)\s*=\s*(.+)', line)
        if not m:
            return 'unusable', 'bad line ' + line
        name, val = m.group(1), m.group(2)
        if not re.fullmatch(r'[\[\]\d\s,.\-+eE]+', val):
            return 'unusable', 'bad value ' + val
        try:
            import json
            got[name] = np.array(json.loads(val), dtype=float)
        except Exception as ex:
            return 'unusable', 'bad value %s' % val
        if name not in truth:
            return 'unusable', 'not asked: ' + name
    bad = []
    for k, v in truth.items():
        if k not in got:
            bad.append('missing ' + k); continue
        if got[k].shape != np.shape(v) or not np.allclose(got[k], v, atol=1e-9):
            bad.append('wrong ' + k)
    return ('correct' if not bad else 'incorrect'), ' '.join(bad)


# ------------------------------------------------------------------ expressions
S_ = sp.symbols
n, m, v, g, a_, sw, d, D, J, L, l = S_('n m v g a sigma_W d D J L l', positive=True)
EXPR_REF = {
    ('glorot_init', 'a'): ('Var(y)', n * sw**2 * v),
    ('glorot_init', 'b'): ('Var(x.grad)', m * sw**2 * g),
    ('glorot_init', 'c'): ('sigma_W', 1 / sp.sqrt(n)),
    ('glorot_init', 'd'): ('sigma_W', 1 / sp.sqrt(m)),
    ('glorot_init', 'e'): ('sigma_W', sp.sqrt(2 / (n + m))),
    ('glorot_init', 'f'): ('a', sp.sqrt(6 / (n + m))),
    ('he_init', 'a'): ('Var(z1)', n * sw**2 * v / 2),
    ('he_init', 'b'): ('sigma_W', sp.sqrt(2 / n)),
    ('he_init', 'c'): ('E(z1)', sp.Integer(0)),
    ('he_init', 'd'): ('E(h)', sp.sqrt(v / (2 * sp.pi))),
    ('init_variance', 'a'): ('sigma_W', 1 / sp.sqrt(d)),
    ('init_variance', 'b'): ('E(u)', sp.Rational(1, 2)),
    ('init_variance', 'd'): ('max Var(u)', sp.Rational(1, 4)),
    ('resnet_variance', 'a'): ('sigma2(l)', (1 + D**2 * J * sw**2) ** l),
    ('resnet_variance', 'b'): ('sigma_W', sp.sqrt(sp.log(2) / (L * D**2 * J))),
    ('resnet_variance', 'c'): ('sigma2_grad(l)', (1 + D**2 * J * sw**2) ** (L - l)),
}
# other forms of the same answer: resnet b asks for the approximation, the exact root is accepted too
ALTS = {('resnet_variance', 'b'): [sp.sqrt(2 ** (1 / L) - 1) / (D * sp.sqrt(J))]}
# accepted names for the quantity of each part (what a student may write on the left)
NAMES = {('init_variance', 'd'): {'Var(u)', 'max Var(u)'}, ('resnet_variance', 'a'): {'sigma2(l)'}}
LOC = {'n': n, 'm': m, 'v': v, 'g': g, 'a': a_, 'sigma_W': sw, 'd': d, 'D': D, 'J': J, 'L': L, 'l': l,
       'sqrt': sp.sqrt, 'log': sp.log, 'exp': sp.exp, 'pi': sp.pi, 'sigma': lambda z: 1 / (1 + sp.exp(-z))}


def parse_sym(s):
    s = s.strip().replace('^', '**')
    if not re.fullmatch(r'[A-Za-z0-9_\s\+\-\*/\(\)\.]+', s):
        raise ValueError('bad chars')
    from sympy.parsing.sympy_parser import parse_expr, standard_transformations
    return parse_expr(s, local_dict=LOC, transformations=standard_transformations, evaluate=True)


def check_expr(e):
    key = (e['problem'], e['part'])
    qname, refx = EXPR_REF[key]
    lines = [x for x in e['answer'].strip().split('\n') if x.strip()]
    if len(lines) != 1:
        return 'unusable', 'more than one quantity line'
    line = lines[0]
    op = '='
    if '<=' in line:
        lhs, rhs = line.split('<=', 1); parts = [lhs, rhs]; op = '<='
    else:
        parts = line.split('=')
    if len(parts) == 1:
        segs = parts
    else:
        lhs = parts[0].strip()
        ok_names = NAMES.get(key, set()) | {qname}
        if lhs not in ok_names:
            return 'unusable', 'names %r' % lhs
        segs = parts[1:]
    try:
        exprs = [parse_sym(s) for s in segs]
    except Exception as ex:
        return 'unusable', 'parse: %r' % ex
    has_dec = bool(re.search(r'\d\.\d', line))
    rs = np.random.RandomState(1)
    for ex_, seg in zip(exprs, segs):
        alts = [refx] + ALTS.get(key, [])
        if any(sp.simplify(ex_ - r) == 0 for r in alts):
            continue
        if not has_dec:
            return 'incorrect', 'differs: %s' % ex_
        # decimals: numeric comparison within the precision written
        tol = 0.0
        for x in re.findall(r'\d+\.\d+', seg):
            digits = x.replace('.', '').lstrip('0')
            if len(digits) < 2:
                continue   # fewer than 2 significant digits: the decimal is taken as written
            # half unit in the last place, relative to the value
            last = 10 ** -(len(x.split('.')[1]))
            tol = max(tol, 0.5 * last / float(x))
        for _ in range(5):
            pt = {s: rs.uniform(0.5, 3) for s in refx.free_symbols | ex_.free_symbols}
            for s in pt:
                if s in (n, m, d, D, J, L, l):
                    pt[s] = float(rs.randint(2, 6))
            a1 = float(ex_.subs(pt)); r1 = float(refx.subs(pt))
            if abs(a1 - r1) > tol * abs(r1) * 1.0001 + 1e-12:
                return 'incorrect', 'decimal off: %g vs %g (tol %g)' % (a1, r1, tol)
    return 'correct', ''


CHOICE = {('init_variance', 'c'): 'smaller', ('he_init', 'e'): 'smaller'}
COST = {('rnn_unroll', 'b'): 1, ('rnn_lm_cost', 'a'): 1, ('loss_heads', 'b'): 1}


def check_choice(e):
    ans = e['answer'].strip()
    if ans not in ('smaller', 'equal', 'larger'):
        return 'unusable', 'not an option'
    return ('correct' if ans == CHOICE[(e['problem'], e['part'])] else 'incorrect'), ''


def check_cost(e):
    ans = e['answer'].strip()
    if ans.count('(') != ans.count(')') or not re.fullmatch(r'O\(.*\)', ans) or ' or ' in ans:
        return 'unusable', 'bad order'
    size = {'rnn_unroll': 'T', 'rnn_lm_cost': 'T', 'loss_heads': 'L'}[e['problem']]
    X = sp.Symbol(size, positive=True)
    loc = {k: sp.Symbol(k, positive=True) for k in ['V', 'N', 'B', 'J', 'K']}
    loc[size] = X; loc['log'] = sp.log
    inner = parse_expr_safe(re.sub(r'log\s+([A-Za-z])', r'log(\1)', ans[2:-1]), loc)
    # order of growth in X: degree and log factors
    lim1 = sp.limit(inner / X, X, sp.oo)
    grows_linear = lim1 != 0 and lim1 != sp.oo and lim1.is_finite
    return ('correct' if grows_linear else 'incorrect'), 'lim inner/%s = %s' % (size, lim1)


def parse_expr_safe(s, loc):
    from sympy.parsing.sympy_parser import parse_expr, standard_transformations
    return parse_expr(s.replace('^', '**'), local_dict=loc, transformations=standard_transformations)


def verify(e):
    pid, part = e['problem'], e['part']
    kind = ref.problem(pid).spec['parts'][part]['ask']
    if kind in LOOP_KINDS:
        return check_loops(e)
    if kind == 'numeric':
        return check_numeric(e)
    if kind in ('variance', 'mean', 'solve'):
        return check_expr(e)
    if kind == 'choice':
        return check_choice(e)
    if kind == 'cost':
        return check_cost(e)
    raise RuntimeError(kind)


if __name__ == '__main__':
    only = sys.argv[1:]
    bad = 0
    res = {}
    for e in E:
        if only and not any(e['id'].startswith(o) for o in only):
            continue
        got, why = verify(e)
        res[e['id']] = (got, why)
        flag = '' if got == e['expected'] else '   <<<<< MISMATCH'
        if flag:
            bad += 1
        print('%-18s %-10s %-10s %s%s' % (e['id'], e['expected'], got, why[:90], flag))
        sys.stdout.flush()
    print('mismatches:', bad)
