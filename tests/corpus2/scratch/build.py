import sys, collections
sys.path.insert(0, '.')
import corpus_a, corpus_b, corpus_c, corpus_d, corpus_e
from corpus_a import E
ids = [e['id'] for e in E]
dups = [i for i, c in collections.Counter(ids).items() if c > 1]
assert not dups, dups
if __name__ == '__main__':
    print(len(E))
    print(collections.Counter(e['expected'] for e in E))
    print(collections.Counter(e['mistake'] for e in E if e['expected'] == 'incorrect'))
    c = collections.Counter((e['problem'], e['part']) for e in E)
    for k, v in sorted(c.items()): print(k, v)
