"""Time to make variants of every bundled problem with a `vary:` block: per variant, the
draw (with the requirements' redraws and the spec read again), the derivation, the
numeric verification, the LaTeX and the TeX run, as medians over N variants.

    .venv/bin/python bench/variants_speed.py [-n 100] [--tex 5] [--tex-all]

TeX is timed on `--tex` sheets per problem (a single-problem sheet each, latexmk -pdf),
or on all N with --tex-all.  Target (issue 17): derive + verify under 0.2 s per
variant for every problem, TeX the larger share.
"""
from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from derive.answers.variants import variant_spec  # noqa: E402
from derive.core.stopwatch import stopwatch  # noqa: E402
from derive.front.folder import find_problems  # noqa: E402
from derive.front.spec import load_spec  # noqa: E402
from derive.present.render import solve_timed  # noqa: E402
from derive.present.tex import compile_tex  # noqa: E402
from derive.present.variant_sheets import section, sheet_tex  # noqa: E402

TARGET = 0.2


def median_ms(xs) -> str:
    return f"{1000 * statistics.median(xs):7.1f}" if xs else "      -"


def bench(spec, n: int, tex_n: int, tmp: Path) -> dict:
    t = {"draw": [], "derive": [], "verify": [], "latex": [], "tex": []}
    failed = 0
    for k in range(1, n + 1):
        t0 = time.perf_counter()
        vs = variant_spec(spec, k)
        t["draw"].append(time.perf_counter() - t0)
        with stopwatch() as spent:
            t0 = time.perf_counter()
            answers = solve_timed(vs)
            total = time.perf_counter() - t0
        t["verify"].append(spent.get("verify", 0.0))
        t["derive"].append(total - spent.get("verify", 0.0))
        failed += any(a.status in ("withheld", "not-derived", "error") for a in answers)
        t0 = time.perf_counter()
        text = sheet_tex("Bench", [vs.variant.name], [section(vs, answers, True)],
                         "Variants", "Bench", "today")
        t["latex"].append(time.perf_counter() - t0)
        if k <= tex_n:
            path = tmp / f"{spec.id}_{k}.tex"
            path.write_text(text, encoding="utf-8")
            t0 = time.perf_counter()
            compile_tex(path)
            t["tex"].append(time.perf_counter() - t0)
    t["failed"] = failed
    return t


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("-n", type=int, default=100, help="variants per problem")
    ap.add_argument("--tex", type=int, default=5, help="variants per problem run in TeX")
    ap.add_argument("--tex-all", action="store_true", help="run TeX on every variant")
    args = ap.parse_args()
    tex_n = args.n if args.tex_all else min(args.tex, args.n)
    if shutil.which("latexmk") is None:
        tex_n = 0
    specs = [s for s in (load_spec(p) for p in find_problems(ROOT / "problems"))
             if s.vary is not None]
    print(f"{args.n} variants per problem; medians per variant in ms (TeX on {tex_n})")
    print(f"{'problem':<14}{'draw':>8}{'derive':>8}{'verify':>8}{'d+v':>8}{'latex':>8}"
          f"{'TeX':>8}  not offered  target d+v < {TARGET * 1000:.0f} ms")
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        for spec in specs:
            t = bench(spec, args.n, tex_n, Path(tmp))
            dv = [a + b for a, b in zip(t["derive"], t["verify"])]
            met = statistics.median(dv) < TARGET
            ok &= met
            print(f"{spec.id:<14}{median_ms(t['draw'])} {median_ms(t['derive'])}"
                  f"{median_ms(t['verify'])} {median_ms(dv)}{median_ms(t['latex'])}"
                  f"{median_ms(t['tex'])}  {t['failed']:>11}  {'met' if met else 'MISSED'}"
                  f" (worst d+v {1000 * max(dv):.0f} ms)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
