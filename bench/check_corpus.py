"""How well `derive check` judges answers nobody on the team wrote.

Runs every answer of tests/corpus/answers.yaml (students' answers to the bundled
problems, each labelled with its true verdict by an independent derivation and
numerical check, see tests/corpus/README.md) through the checker and prints:

- verdicts right (the target is at least 97%), false "correct" (target 0), internal
  errors (target 0), and the disagreements one by one;
- for wrong answers, the share whose diagnosis names the mistake the label gives
  (target at least 60%), and the share with any diagnosis at all.

    .venv/bin/python bench/check_corpus.py [--show N] [--problem ID]
"""
from __future__ import annotations

import argparse
import re
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from derive.check.answer import check_answer  # noqa: E402
from derive.front.spec import load_spec
from derive.front.folder import resolve_problem  # noqa: E402

# the words a diagnosis uses for each mistake tag of the corpus
NAMES = {
    "sign": r"sign",
    "factor": r"factor|times|size",
    "missing_term": r"missing|not in the answer|lacks",
    "extra_term": r"twice|extra|too many",
    "transposed": r"transposed|wrong order",
    "off_by_one": r"off by one|step too|one step",
    "wrong_tensor": r"wrong tensor|wrong layer|is read where|where .* belongs|wrong quantity",
    "order": r"order|direction|before it is complete",
    "assign_vs_accumulate": r"`=` where `\+=`|overwrites",
    "preactivation": r"activation|is read where",
    "local_missing": r"local derivative is missing|factor|missing",
    "local_twice": r"applied twice|factor|twice",
    "kernel_not_flipped": r"kernel|flipped|off by one|transposed",
    "nonfinite": r"finite|not right",
    "partial": r"missing|not given|does not compute",
    "range": r"range|index",
}


def corpus(path: Path) -> list:
    return yaml.safe_load(path.read_text())


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", default=str(ROOT / "tests" / "corpus" / "answers.yaml"))
    ap.add_argument("--show", type=int, default=40, help="disagreements to print")
    ap.add_argument("--problem", help="only this problem")
    args = ap.parse_args()
    entries = corpus(Path(args.corpus))
    if args.problem:
        entries = [e for e in entries if e["problem"] == args.problem]
    specs, rows = {}, []
    t0 = time.perf_counter()
    for e in entries:
        if e["problem"] not in specs:
            specs[e["problem"]] = load_spec(resolve_problem(e["problem"]))
        t = time.perf_counter()
        v = check_answer(specs[e["problem"]], str(e["part"]), e["answer"])
        rows.append((e, v, time.perf_counter() - t))
    total = time.perf_counter() - t0
    right = [r for r in rows if r[1].verdict == r[0]["expected"]]
    false_correct = [r for r in rows if r[1].verdict == "correct" and r[0]["expected"] != "correct"]
    errors = [r for r in rows if r[1].verdict == "error"]
    wrong = [r for r in rows if r[0]["expected"] == "incorrect" and r[1].verdict == "incorrect"]
    named, any_diag = 0, 0
    per_tag = defaultdict(lambda: [0, 0])
    for e, v, _ in wrong:
        said = " ".join(v.diagnosis + [v.message])
        has = bool(v.diagnosis) and not v.diagnosis[-1].startswith("no common mistake")
        any_diag += has
        pattern = NAMES.get(e.get("mistake"), r".")
        ok = has and re.search(pattern, said, re.I) is not None
        named += ok
        per_tag[e.get("mistake")][0] += ok
        per_tag[e.get("mistake")][1] += 1
    n = len(rows)
    print(f"{n} answers in {total:.1f} s ({total / max(n, 1) * 1000:.0f} ms per check)")
    print(f"labels: {dict(Counter(e['expected'] for e in entries))}")
    print(f"verdicts right: {len(right)}/{n} = {len(right) / max(n, 1):.1%} (target >= 97%)")
    print(f"false correct: {len(false_correct)} (target 0)")
    print(f"internal errors: {len(errors)} (target 0)")
    print(f"wrong answers judged incorrect: {len(wrong)}; diagnosis naming the mistake: "
          f"{named}/{len(wrong)} = {named / max(len(wrong), 1):.1%} (target >= 60%); any "
          f"diagnosis: {any_diag}/{len(wrong)}")
    print("by mistake tag (named/judged): " + ", ".join(
        f"{k}: {a}/{b}" for k, (a, b) in sorted(per_tag.items())))
    slow = sorted(rows, key=lambda r: -r[2])[:5]
    print("slowest: " + ", ".join(f"{r[0]['id']} {r[2]:.2f} s" for r in slow))
    bad = [r for r in rows if r[1].verdict != r[0]["expected"]]
    for e, v, _ in bad[: args.show]:
        print(f"\n{e['id']} ({e['problem']}:{e['part']}) expected {e['expected']}, got "
              f"{v.verdict}: {v.message[:200]}")
        print("   answer: " + e["answer"].strip().replace("\n", "\n           "))
        print(f"   note: {e.get('note', '')}")
    return 0 if not false_correct and not errors else 1


if __name__ == "__main__":
    sys.exit(main())
