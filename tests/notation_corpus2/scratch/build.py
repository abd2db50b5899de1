"""Collect the entries, verify every label numerically, write ../answers.yaml."""
import collections, json, sys
import yaml
import grad_a, grad_b, grad_c, moment_answers

DROP = [  # (problem, part, answer first line) trimmed to keep the set near 110
    ('he_init', 'b', 'σ_W = 1/√n'), ('he_init', 'c', 'E(z1) = √(v/(2π))'), ('he_init', 'd', 'E(h) = v/2'),
    ('he_init', 'e', 'equal'), ('init_variance', 'b', 'E[u] = 0'), ('init_variance', 'c', 'larger'),
    ('glorot_init', 'd', 'σ_W = 1/√n'), ('glorot_init', 'f', 'a = √(2/(n + m))'),
    ('dropout', 'c', '\\operatorname{Var}(y_i) = \\frac{v}{q^2}'), ('resnet_variance', 'a', '(1 + D J σ_W²)^ℓ'),
    ('rnn_unroll', 'b', 'O(log T)'), ('softmax', 'full', 'for b, j: s.grad[b, j] += p[b, j] * (p.grad[b, j] + p.grad[b, J] * p[b, J])'),
    ('mlp_regression', 'd', 'z3.grad = yhat.grad * (z3 > 0)'), ('mlp_numeric', 'forward', 'z = [1, -3]'),
    ('he_init', 'b', 'σ_W = √(2/n)'), ('glorot_init', 'f', 'a = √6 / √(n+m)'),
    ('batchnorm_stats', 'b', 'Var(xc) = (B-1) v / B'), ('init_variance', 'a', 'σ_W = 1/√d'),
    ('mlp_regression', 'd', '∂ℓ/∂z3 = ∂ℓ/∂ŷ'), ('he_init', 'a', 'Var(z1) = n σ_W² v'),
    ('ugrnn', 'a', None), ('mlp_ce_l2', 'sgd', None), ('loss_heads', 'b', None),
    ('resnet_variance', 'a', '\\left(1 + D^2 J \\sigma_W^2\\right)^{\\ell}'),
]

def dropped(e):
    for p, part, first in DROP:
        if e['problem'] == p and e['part'] == part and (first is None or e['answer'].split('\n')[0] == first):
            return True
    return False

ALL = grad_a.E + grad_b.E + grad_c.E + moment_answers.E
used = collections.Counter()
for e in ALL:
    for i, (p, part, first) in enumerate(DROP):
        if e['problem'] == p and e['part'] == part and (first is None or e['answer'].split('\n')[0] == first):
            used[i] += 1
unused = [DROP[i] for i in range(len(DROP)) if not used[i]]
assert not unused, unused

E = [e for e in ALL if not dropped(e)]
bad = []
for e in E:
    ok = e['check']()
    if ok != (e['expected'] == 'correct'):
        bad.append(e)
if bad:
    for e in bad:
        print('LABEL MISMATCH', e['problem'], e['part'], e['answer'])
    sys.exit(1)

ORDER = [l.strip()[2:] for l in open('/work/main/problems/course.yaml') if l.strip().startswith('- ')]
E.sort(key=lambda e: ORDER.index(e['problem']))   # stable: keeps part order within a problem

out = ['# Student answers in the notations students type (unicode, keyboard/library spellings,',
       '# LaTeX, Leibniz gradient names, matrix/vector forms, implicit multiplication).',
       '# Labels were derived by hand and confirmed numerically (finite differences through',
       '# numpy forwards written from each spec program, Monte Carlo for moments):',
       '# see scratch/ (python3 scratch/build.py re-checks every label and rewrites this file).',
       '']
for e in E:
    out.append(f"- problem: {e['problem']}")
    out.append(f"  part: {e['part']}")
    out.append("  answer: |")
    for line in e['answer'].rstrip('\n').split('\n'):
        out.append('    ' + line)
    out.append(f"  notation: [{', '.join(e['notation'])}]")
    out.append(f"  expected: {e['expected']}")
    out.append(f"  why: {json.dumps(e['why'], ensure_ascii=False)}")
text = '\n'.join(out) + '\n'
open('/work/notation2/answers.yaml', 'w').write(text)

back = yaml.safe_load(text)
assert len(back) == len(E)
for b, e in zip(back, E):
    assert b['answer'] == e['answer'], (b['answer'], e['answer'])
    assert b['notation'] == e['notation'] and b['expected'] == e['expected'] and b['why'] == e['why']
    assert str(b['part']) == e['part']

print('entries', len(E), collections.Counter(e['expected'] for e in E))
nc = collections.Counter(); ncl = collections.Counter()
for e in E:
    for n in e['notation']:
        nc[n] += 1; ncl[(n, e['expected'])] += 1
for n, k in nc.most_common():
    print(f"  {n:9s} {k:3d}  (correct {ncl[(n, 'correct')]}, incorrect {ncl[(n, 'incorrect')]})")
print('problems', len(set(e['problem'] for e in E)), 'parts', len(set((e['problem'], e['part']) for e in E)))
print(collections.Counter(e['problem'] for e in E))
