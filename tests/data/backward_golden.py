"""The golden snapshot of derive's backward programs (tests/test_backward_unchanged.py).

    python3 tests/data/backward_golden.py        (from the repository root)

writes tests/data/backward_golden.json: for every backprop, gradient and update part
of every bundled problem (problems/*.yaml) and of the instructor specs
(tests/instructor/*.yaml), for the backward of every cost part, and for the programs
of bench/derive_scale.py at a few sizes, the derived backward program as text, its
statements' full form (loops, lines, notes), the tensors it adds, and the steps of the
derivation.  Regenerate it only when a change to the derivation's output is meant.
"""
from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from sympy.core.cache import clear_cache  # noqa: E402

from derive.core.program import Block  # noqa: E402
from derive.core.errors import SpecError  # noqa: E402
from derive.engines.backward import derive_backward  # noqa: E402
from derive.engines.cost.memory import backward_of  # noqa: E402
from derive.front.spec import load_spec  # noqa: E402

OUT = Path(__file__).resolve().parent / "backward_golden.json"
KINDS = ("backprop", "gradient", "update")
BENCH_SIZES = {"MLP": (1, 4, 12), "RNN": (2, 4, 9)}


def bench_module():
    spec = importlib.util.spec_from_file_location("derive_scale",
                                                  ROOT / "bench" / "derive_scale.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _items(items) -> list:
    out = []
    for it in items:
        if isinstance(it, Block):
            out.append({"block": repr(it.loops), "line": it.line, "body": _items(it.body)})
        else:
            out.append(repr(it))
    return out


def snapshot(bw, forward_tensors) -> dict:
    prog = bw.program
    return {
        "text": prog.text(),
        "items": _items(prog.items),
        "added": sorted(f"{n}:{i.role}:{i.axes}:{i.ranges}" for n, i in prog.tensors.items()
                        if n not in forward_tensors),
        "sources": list(bw.sources), "targets": list(bw.targets),
        "steps": [[s.kind, s.text, repr(s.statement), str(s.expr),
                   sorted([k, str(v)] for k, v in s.extra.items())] for s in bw.steps],
    }


def derived(spec, part) -> dict:
    a = part.args
    clear_cache()
    try:
        if part.kind == "cost":
            bw = backward_of(spec.program)
        else:
            bw = derive_backward(spec.program, a["from"], a["to"], a.get("through"),
                                 a.get("average_over"))
    except Exception as e:          # a part the engine refuses: its message, unchanged
        return {"error": f"{type(e).__name__}: {e}"}
    return snapshot(bw, spec.program.tensors)


def specs():
    """(name, spec) for every spec of the snapshot."""
    for folder in ("problems", "tests/instructor"):
        for path in sorted((ROOT / folder).glob("*.yaml")):
            try:
                spec = load_spec(path)
            except SpecError:               # course.yaml, a spec that is wrong on purpose
                continue
            yield f"{folder}/{path.name}", spec
    bench = bench_module()
    for kind, sizes in BENCH_SIZES.items():
        for n in sizes:
            yield f"bench/{kind}{n}", bench.spec_of(kind, n)


def golden() -> dict:
    out = {}
    for name, spec in specs():
        for label, part in spec.parts.items():
            if part.kind in KINDS or (part.kind == "cost"
                                      and str(part.args.get("of", "backward")) == "backward"):
                out[f"{name}:{label}"] = derived(spec, part)
    return out


if __name__ == "__main__":
    data = golden()
    OUT.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {OUT} ({len(data)} parts)")
