"""Re-checks every label numerically and writes ../answers.yaml.
    /work/main/.venv/bin/python tests/notation_corpus4/scratch/build.py"""
import os, sys
sys.path.insert(0, os.path.dirname(__file__))
import yaml
import entries_bp, entries_misc, entries_mom

HEADER = """# A fourth held-out corpus of student answers (see README.md). Every label comes from
# re-typing the answer as NumPy in scratch/ and comparing it with central finite
# differences through a forward pass written from the spec's program, or with a moment
# formula confirmed by Monte Carlo (scratch/moments.py); a solve is put back into its
# condition. `python scratch/build.py` re-checks them all and rewrites this file.

"""
class Lit(str): pass
yaml.add_representer(Lit, lambda d, s: d.represent_scalar("tag:yaml.org,2002:str", s, style="|"))
out = []
for e in entries_bp.E + entries_misc.E + entries_mom.E:
    ok = e["check"]()
    assert ok in (True, False), e
    ans = e["answer"] if e["answer"].endswith("\n") else e["answer"] + "\n"
    out.append(dict(problem=e["problem"], part=e["part"], answer=Lit(ans), notation=e["notation"],
                    expected="correct" if ok else "incorrect", why=e["why"]))
path = os.path.join(os.path.dirname(__file__), "..", "answers.yaml")
with open(path, "w") as f:
    f.write(HEADER + yaml.dump(out, allow_unicode=True, sort_keys=False, width=1000))
n = sum(o["expected"] == "correct" for o in out)
print(len(out), "answers,", n, "correct,", len(out) - n, "incorrect")
