"""A small, independent interpreter for the course loop notation (written from
docs/specs.md only), used to check corpus2 labels numerically.

Storage: every tensor is a dict  index-tuple -> float.  Declared tensors (and
their .grad) have index ranges; reads outside are 0, writes outside are dropped.
Undeclared names written by an answer are temporaries (unbounded dicts)."""
import ast, itertools, math, re
import yaml

FUNCS = {'exp', 'log', 'sqrt', 'tanh', 'sigma', 'relu', 'step', 'abs', 'max', 'min', 'delta'}


class NBError(Exception):
    pass


def parse_range(text, sizes):
    text = text.strip()
    if '..' in text:
        a, b = text.split('..')
        return int(evalint(a, sizes)), int(evalint(b, sizes))
    return 0, int(evalint(text, sizes)) - 1


def evalint(text, sizes):
    tree = ast.parse(text.strip(), mode='eval').body
    return _ie(tree, sizes)


def _ie(n, env):
    if isinstance(n, ast.Constant):
        return n.value
    if isinstance(n, ast.Name):
        if n.id not in env:
            raise NBError('unknown name in index/range: ' + n.id)
        return env[n.id]
    if isinstance(n, ast.BinOp):
        a, b = _ie(n.left, env), _ie(n.right, env)
        if isinstance(n.op, ast.Add): return a + b
        if isinstance(n.op, ast.Sub): return a - b
        if isinstance(n.op, ast.Mult): return a * b
        raise NBError('bad index op')
    if isinstance(n, ast.UnaryOp) and isinstance(n.op, ast.USub):
        return -_ie(n.operand, env)
    raise NBError('bad index expression ' + ast.dump(n))


class Problem:
    def __init__(self, path):
        with open(path) as f:
            self.spec = yaml.safe_load(f)
        self.index = {k: str(v) for k, v in self.spec['index'].items()}
        self.tensors = self.spec['tensors']
        self.symbols = list((self.spec.get('symbols') or {}).keys())
        self.functions = list((self.spec.get('functions') or {}).keys())

    def ranges(self, sizes):
        return {k: parse_range(v, sizes) for k, v in self.index.items()}


# ----------------------------------------------------------------- parsing
def split_top(s, sep=','):
    out, depth, cur = [], 0, ''
    for ch in s:
        if ch in '([':
            depth += 1
        elif ch in ')]':
            depth -= 1
        if ch == sep and depth == 0:
            out.append(cur); cur = ''
        else:
            cur += ch
    out.append(cur)
    return [x.strip() for x in out]


def parse_loops(spec):
    items = []
    for it in split_top(spec):
        if not it:
            raise NBError('empty loop item')
        m = re.fullmatch(r'([a-z][a-z0-9_]*)\s+in\s+(.+)', it)
        if m:
            items.append((m.group(1), m.group(2)))
        elif re.fullmatch(r'[a-z][a-z0-9_]*', it):
            items.append((it, None))
        else:
            raise NBError('bad loop item ' + it)
    return items


ASSIGN_RE = re.compile(r'(\+=|-=|(?<![<>=!])=(?!=))')


def parse_stmt_text(text):
    loops = []
    t = text.strip()
    m = re.match(r'for\s+([^:]+):(.*)$', t)
    if m:
        loops = parse_loops(m.group(1))
        t = m.group(2).strip()
    mm = ASSIGN_RE.search(t)
    if not mm:
        raise NBError('no assignment in: ' + text)
    lhs, op, rhs = t[:mm.start()].strip(), mm.group(1), t[mm.end():].strip()
    lhs_t = ast.parse(lhs, mode='eval').body
    rhs_t = ast.parse(rhs.replace('^', '**'), mode='eval').body
    return dict(loops=loops, lhs=lhs_t, op=op, rhs=rhs_t, text=text)


def parse_program(text):
    lines = []
    for raw in text.split('\n'):
        line = raw.split('#')[0].rstrip()
        if not line.strip():
            continue
        ind = len(line) - len(line.lstrip())
        lines.append((ind, line.strip()))
    pos = [0]
    counter = [0]

    def block(min_ind):
        items = []
        while pos[0] < len(lines):
            ind, s = lines[pos[0]]
            if ind < min_ind:
                break
            pos[0] += 1
            m = re.fullmatch(r'for\s+(.+):', s)
            if m and not ASSIGN_RE.search(m.group(1)):
                # block header
                if pos[0] >= len(lines) or lines[pos[0]][0] <= ind:
                    raise NBError('block with empty body: ' + s)
                body_ind = lines[pos[0]][0]
                body = block(body_ind)
                items.append(('block', parse_loops(m.group(1)), body))
            else:
                st = parse_stmt_text(s)
                counter[0] += 1
                st['num'] = counter[0]
                items.append(('stmt', st))
        return items
    prog = block(0)
    if pos[0] != len(lines):
        raise NBError('bad indentation')
    return prog


# ----------------------------------------------------------------- expressions
class Ctx:
    def __init__(self, problem, sizes, symbols, state, funcs=None):
        self.p = problem
        self.sizes = sizes
        self.symbols = symbols
        self.state = state  # name -> dict
        self.rng = problem.ranges(sizes)
        self.funcs = funcs or {}
        self.deltas = {}
        self.active = True

    def tensor_ranges(self, name):
        base = name[:-5] if name.endswith('.grad') else name
        if base in self.p.tensors:
            return [self.rng[ix] for ix in self.p.tensors[base]['shape']]
        return None


def tname(node):
    """name of a tensor reference node (Name, Attribute .grad)."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute) and node.attr == 'grad' and isinstance(node.value, ast.Name):
        return node.value.id + '.grad'
    # x[...].grad (seed style) not supported
    raise NBError('bad tensor reference')


def is_cap(name, problem):
    return name.isupper() and name.lower() in problem.index


def caps_in_index(node, problem, acc):
    for n in ast.walk(node):
        if isinstance(n, ast.Name) and is_cap(n.id, problem):
            acc.append(n.id)


def build(node, problem):
    """Convert python ast to tuple tree; flatten sums."""
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub)):
        terms = []
        def flat(n, sign):
            if isinstance(n, ast.BinOp) and isinstance(n.op, (ast.Add, ast.Sub)):
                flat(n.left, sign)
                flat(n.right, sign if isinstance(n.op, ast.Add) else -sign)
            else:
                terms.append((sign, build(n, problem)))
        flat(node, 1)
        return ['add', terms]
    if isinstance(node, ast.BinOp):
        ops = {ast.Mult: '*', ast.Div: '/', ast.Pow: '**'}
        if type(node.op) not in ops:
            raise NBError('bad operator')
        return ['bin', ops[type(node.op)], build(node.left, problem), build(node.right, problem)]
    if isinstance(node, ast.UnaryOp):
        if isinstance(node.op, ast.USub):
            return ['neg', build(node.operand, problem)]
        if isinstance(node.op, ast.UAdd):
            return build(node.operand, problem)
        raise NBError('bad unary')
    if isinstance(node, ast.Constant):
        if not isinstance(node.value, (int, float)):
            raise NBError('bad constant')
        return ['num', float(node.value)]
    if isinstance(node, ast.Compare):
        if len(node.ops) != 1:
            raise NBError('chained compare')
        return ['cmp', type(node.ops[0]).__name__, build(node.left, problem), build(node.comparators[0], problem)]
    if isinstance(node, ast.Call):
        if not isinstance(node.func, ast.Name):
            raise NBError('bad call')
        f = node.func.id
        if f == 'delta':
            return ['delta', node.args[0], node.args[1]]
        if f not in FUNCS and f not in problem.functions:
            raise NBError('unknown function ' + f)
        return ['call', f, [build(a, problem) for a in node.args]]
    if isinstance(node, ast.Subscript):
        name = tname(node.value)
        sl = node.slice
        idx = list(sl.elts) if isinstance(sl, ast.Tuple) else [sl]
        return ['read', name, idx]
    if isinstance(node, (ast.Name, ast.Attribute)):
        if isinstance(node, ast.Name):
            return ['name', node.id]
        return ['read', tname(node), []]
    raise NBError('unsupported syntax ' + ast.dump(node))


def count_caps(t, problem):
    """returns Counter-like dict of capital occurrences in subtree; stores in t."""
    kind = t[0]
    c = {}
    def add(d):
        for k, v in d.items():
            c[k] = c.get(k, 0) + v
    if kind == 'add':
        for _, ch in t[1]:
            add(count_caps(ch, problem))
    elif kind == 'bin':
        add(count_caps(t[2], problem)); add(count_caps(t[3], problem))
    elif kind == 'neg':
        add(count_caps(t[1], problem))
    elif kind == 'cmp':
        add(count_caps(t[2], problem)); add(count_caps(t[3], problem))
    elif kind == 'call':
        for a in t[2]:
            add(count_caps(a, problem))
    elif kind in ('read', 'delta'):
        acc = []
        for ix in (t[2] if kind == 'read' else [t[1], t[2]]):
            caps_in_index(ix, problem, acc)
        for a in acc:
            c[a] = c.get(a, 0) + 1
    t.append({'caps': c, 'sum': set()})
    return c


def children(t):
    k = t[0]
    if k == 'add': return [ch for _, ch in t[1]]
    if k == 'bin': return [t[2], t[3]]
    if k == 'neg': return [t[1]]
    if k == 'cmp': return [t[2], t[3]]
    if k == 'call': return list(t[2])
    return []


def place_sums(t, totals):
    meta = t[-1]
    for cap, tot in totals.items():
        if meta['caps'].get(cap, 0) != tot:
            continue
        chs = children(t)
        if any(ch[-1]['caps'].get(cap, 0) == tot for ch in chs):
            continue
        # t is the smallest node holding all occurrences
        if t[0] == 'add':
            for ch in chs:
                if ch[-1]['caps'].get(cap, 0):
                    ch[-1]['sum'].add(cap)
        else:
            meta['sum'].add(cap)
    for ch in children(t):
        place_sums(ch, totals)


def compile_expr(node, problem):
    t = build(node, problem)
    totals = count_caps(t, problem)
    place_sums(t, totals)
    return t


def sigma(x):
    return 1.0 / (1.0 + math.exp(-x)) if x >= 0 else math.exp(x) / (1.0 + math.exp(x))


def ev(t, env, ctx):
    meta = t[-1]
    if meta['sum']:
        caps = sorted(meta['sum'])
        rs = [range(ctx.rng[c.lower()][0], ctx.rng[c.lower()][1] + 1) for c in caps]
        tot = 0.0
        saved = meta['sum']
        meta['sum'] = set()
        try:
            for vals in itertools.product(*rs):
                e2 = dict(env)
                e2.update(zip(caps, vals))
                tot += ev(t, e2, ctx)
        finally:
            meta['sum'] = saved
        return tot
    k = t[0]
    if k == 'num':
        return t[1]
    if k == 'add':
        return sum(s * ev(ch, env, ctx) for s, ch in t[1])
    if k == 'neg':
        return -ev(t[1], env, ctx)
    if k == 'bin':
        a = ev(t[2], env, ctx); b = ev(t[3], env, ctx)
        if t[1] == '*': return a * b
        if t[1] == '/': return a / b
        return a ** b
    if k == 'cmp':
        a = ev(t[2], env, ctx); b = ev(t[3], env, ctx)
        return float({'Gt': a > b, 'Lt': a < b, 'GtE': a >= b, 'LtE': a <= b, 'Eq': a == b, 'NotEq': a != b}[t[1]])
    if k == 'delta':
        return float(_ie(t[1], env) == _ie(t[2], env))
    if k == 'call':
        args = [ev(a, env, ctx) for a in t[2]]
        f = t[1]
        if f == 'exp': return math.exp(args[0])
        if f == 'log': return math.log(args[0])
        if f == 'sqrt': return math.sqrt(args[0])
        if f == 'tanh': return math.tanh(args[0])
        if f == 'sigma': return sigma(args[0])
        if f == 'relu': return max(args[0], 0.0)
        if f == 'step': return 1.0 if args[0] > 0 else 0.0
        if f == 'abs': return abs(args[0])
        if f == 'max': return max(args)
        if f == 'min': return min(args)
        return ctx.funcs[f](*args)
    if k == 'name':
        n = t[1]
        if n in env and not n.isupper():
            return float(env[n])
        if n in ctx.state and n not in ctx.p.index:
            return read(ctx, n, (), env)
        if n in ctx.symbols:
            return ctx.symbols[n]
        if n in ctx.sizes:
            return float(ctx.sizes[n])
        if n == 'pi':
            return math.pi
        if n in ctx.p.tensors:
            return read(ctx, n, (), env)
        raise NBError('unknown name ' + n)
    if k == 'read':
        idx = tuple(int(_ie(ix, {**ctx.sizes, **env})) for ix in t[2])
        return read(ctx, t[1], idx, env)
    raise NBError('bad node')


def read(ctx, name, idx, env):
    rg = ctx.tensor_ranges(name)
    if rg is not None:
        if len(rg) != len(idx):
            raise NBError('wrong number of indices for ' + name)
        for v, (lo, hi) in zip(idx, rg):
            if v < lo or v > hi:
                return 0.0
    else:
        if name not in ctx.state:
            raise NBError('read of undefined tensor ' + name)
    val = ctx.state.get(name, {}).get(idx, 0.0)
    if ctx.active and name in ctx.deltas:
        val += ctx.deltas[name].get(idx, 0.0)
    return val


# ----------------------------------------------------------------- execution
def lhs_info(lhs):
    if isinstance(lhs, ast.Subscript):
        name = tname(lhs.value)
        sl = lhs.slice
        idx = list(sl.elts) if isinstance(sl, ast.Tuple) else [sl]
    else:
        name = tname(lhs)
        idx = []
    names = []
    for ix in idx:
        for n in ast.walk(ix):
            if isinstance(n, ast.Name) and n.id not in names:
                names.append(n.id)
    return name, idx, names


def loop_values(item, ctx, env):
    name, rng = item
    if rng is None:
        if name not in ctx.rng:
            raise NBError('undeclared index ' + name)
        lo, hi = ctx.rng[name]
        return list(range(lo, hi + 1))
    if not re.fullmatch(r'[^.]+\.\.[^.]+', rng):
        raise NBError('bad range ' + rng)
    a, b = rng.split('..')
    a = int(_ie(ast.parse(a.strip(), mode='eval').body, {**ctx.sizes, **env}))
    b = int(_ie(ast.parse(b.strip(), mode='eval').body, {**ctx.sizes, **env}))
    return list(range(a, b + 1)) if a <= b else list(range(a, b - 1, -1))


def iterate(items, ctx, env):
    if not items:
        yield env
        return
    first, rest = items[0], items[1:]
    for v in loop_values(first, ctx, env):
        e2 = dict(env); e2[first[0]] = v
        yield from iterate(rest, ctx, e2)


def exec_items(items, ctx, env, active=None, cleared=None):
    for it in items:
        if it[0] == 'block':
            for e2 in iterate(it[1], ctx, env):
                exec_items(it[2], ctx, e2, active)
        else:
            st = it[1]
            if active is not None and st['num'] not in active:
                continue
            exec_stmt(st, ctx, env)


def exec_stmt(st, ctx, env):
    if 'rhs_c' not in st:
        st['rhs_c'] = compile_expr(st['rhs'], ctx.p)
        name, idx, names = lhs_info(st['lhs'])
        for n in names:
            if n.isupper() and n.lower() in ctx.p.index:
                raise NBError('capital index in target')
        st['lhs_i'] = (name, idx, names)
    name, idx, names = st['lhs_i']
    loops = list(st['loops'])
    bound = set(env) | {l[0] for l in loops}
    for n in names:
        if n not in bound and n in ctx.p.index:
            loops.append((n, None)); bound.add(n)
    rg = ctx.tensor_ranges(name)
    store = ctx.state.setdefault(name, {})
    for e2 in iterate(loops, ctx, env):
        val = ev(st['rhs_c'], e2, ctx)
        ix = tuple(int(_ie(i, {**ctx.sizes, **e2})) for i in idx)
        if rg is not None:
            if len(rg) != len(ix):
                raise NBError('wrong number of target indices for ' + name)
            if any(v < lo or v > hi for v, (lo, hi) in zip(ix, rg)):
                continue
        if st['op'] == '=':
            store[ix] = val
        elif st['op'] == '+=':
            store[ix] = store.get(ix, 0.0) + val
        else:
            store[ix] = store.get(ix, 0.0) - val


def statements(prog):
    out = []
    for it in prog:
        if it[0] == 'block':
            out += statements(it[2])
        else:
            out.append(it[1])
    return out


def run(prog, ctx, active=None):
    # every tensor written somewhere in the program exists (zero) from the start
    for st in statements(prog):
        ctx.state.setdefault(lhs_info(st['lhs'])[0], {})
    exec_items(prog, ctx, {}, active)
    return ctx


# ----------------------------------------------------------------- helpers
import numpy as np


def all_indices(ctx, name):
    rg = ctx.tensor_ranges(name)
    return list(itertools.product(*[range(lo, hi + 1) for lo, hi in rg]))


def to_array(ctx, name, store=None):
    rg = ctx.tensor_ranges(name)
    store = ctx.state.get(name, {}) if store is None else store
    shape = [hi - lo + 1 for lo, hi in rg]
    a = np.zeros(shape)
    for ix in itertools.product(*[range(lo, hi + 1) for lo, hi in rg]):
        a[tuple(v - lo for v, (lo, hi) in zip(ix, rg))] = store.get(ix, 0.0)
    return a
