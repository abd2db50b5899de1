"""How `derive check` reads the notations students type (issue 15).

Runs every answer of a corpus in the format of tests/notation_corpus/answers.yaml (answers
written in Unicode, keyboard, LaTeX, Leibniz and juxtaposed notation by a helper who
had not read derive's code, each labelled correct or incorrect by its own hand
derivation and numeric check, see tests/notation_corpus/scratch/) and prints, overall and per
notation:

- correct answers judged correct (the target is at least 90%);
- false "correct" (target 0), internal errors (target 0), and for wrong answers how
  many were judged incorrect rather than refused;
- every disagreement, with the message derive gave.

    .venv/bin/python bench/check_notation.py [--corpus FILE] [--show N]
"""
from __future__ import annotations

import argparse
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from derive.check.answer import check_answer  # noqa: E402
from derive.front.folder import resolve_problem  # noqa: E402
from derive.front.spec import load_spec  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", default=str(ROOT / "tests" / "notation_corpus" / "answers.yaml"))
    ap.add_argument("--show", type=int, default=60)
    args = ap.parse_args()
    entries = yaml.safe_load(Path(args.corpus).read_text())
    specs, rows = {}, []
    start = time.perf_counter()
    for k, e in enumerate(entries):
        pid = e["problem"]
        if pid not in specs:
            specs[pid] = load_spec(resolve_problem(pid))
        v = check_answer(specs[pid], str(e["part"]), e["answer"])
        rows.append((k, e, v))
    seconds = time.perf_counter() - start
    by = defaultdict(Counter)
    for _, e, v in rows:
        for tag in ["all"] + list(e.get("notation") or []):
            c = by[tag]
            c[e["expected"]] += 1
            c[(e["expected"], v.verdict)] += 1
    print(f"{len(rows)} answers in {seconds:.0f} s")
    print(f"{'notation':<10} {'right answers accepted':>24} {'wrong judged incorrect':>24} "
          f"{'false correct':>14} {'errors':>7}")
    for tag in ["all", "unicode", "keyboard", "latex", "leibniz", "implicit", "matrix"]:
        c = by[tag]
        ok, n_ok = c[("correct", "correct")], c["correct"]
        bad, n_bad = c[("incorrect", "incorrect")], c["incorrect"]
        errors = sum(n for key, n in c.items() if isinstance(key, tuple) and key[1] == "error")
        print(f"{tag:<10} {ok:>4}/{n_ok:<4} = {100 * ok / max(n_ok, 1):5.1f}%      "
              f"{bad:>4}/{n_bad:<4} = {100 * bad / max(n_bad, 1):5.1f}%  "
              f"{c[('incorrect', 'correct')]:>12} {errors:>7}")
    shown = 0
    for k, e, v in rows:
        if v.verdict == e["expected"] or shown >= args.show:
            continue
        shown += 1
        first = v.message.split("\n")[0]
        print(f"\n#{k} {e['problem']}:{e['part']} [{', '.join(e.get('notation') or [])}] "
              f"expected {e['expected']}, got {v.verdict}: {first}")
        print("   " + e["answer"].rstrip().replace("\n", "\n   "))
        if v.read_as:
            print("   read as: " + v.read_as.replace("\n", "\n            "))


if __name__ == "__main__":
    main()
