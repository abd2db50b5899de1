"""Checking the keys of a spec's parts (backprop, gradient, numeric, loops, update, cost)."""
from __future__ import annotations

import sympy as sp

from derive.core.errors import LimitError
from derive.core.limits import preflight
from derive.core.program import ref_name


def _tensor_list(L, key, value, program, allow=("params",)):
    vals = value if isinstance(value, list) else [value]
    out = []
    for k, v in enumerate(vals):
        v = str(v)
        if v in allow:
            out.append(v)
            continue
        if v not in program.tensors:
            L.fail(f"unknown tensor {v!r} (tensors: "
                   f"{', '.join(n for n in program.tensors if not n.endswith('.grad'))})",
                   key if not isinstance(value, list) else f"{key}[{k}]")
        out.append(v)
    return out


def _scalar_outputs(program) -> list:
    """The scalars the program writes and never reads (its losses), in order."""
    read = {ref_name(r) for st in program.statements() for r in st.reads()}
    return [n for n in program.written()
            if not program.tensors[n].axes and n not in read]


def _check_numeric(L, key, args, program):
    """show: names tensors (or their .grad); gradients asked (a .grad shown, or to:)
    without from: are those of the one scalar output, else an error naming them."""
    show = args.get("show")
    shown = [str(x) for x in (show if isinstance(show, list) else [show] if show else [])]
    tensors = [n for n in program.tensors if not n.endswith(".grad")]
    for k, name in enumerate(shown):
        base = name[:-len(".grad")] if name.endswith(".grad") else name
        if base not in program.tensors:
            L.fail(f"unknown tensor {name!r} to show (tensors: {', '.join(tensors)}; "
                   "a gradient is shown as NAME.grad)",
                   f"{key}.show[{k}]" if isinstance(show, list) else f"{key}.show")
    if "from" in args or not ("to" in args or any(n.endswith(".grad") for n in shown)):
        return
    finals = _scalar_outputs(program)
    if len(finals) == 1:
        args["from"] = finals
    elif finals:
        L.fail(f"the program has {len(finals)} scalar outputs ({', '.join(finals)}): say "
               f"which one the gradients are of, e.g. from: {finals[-1]}", f"{key}.from")
    else:
        L.fail("the gradients of what? the program writes no scalar that nothing reads: "
               "name it with from:", f"{key}.from")


def _check_part(L, key, kind, args, program, n_statements, indices, symbols):
    if "points" in args:
        pts = args["points"]
        if isinstance(pts, bool) or not isinstance(pts, (int, float)) or not pts > 0:
            L.fail("expected a positive number of points", f"{key}.points")
    if "all_or_nothing" in args and not isinstance(args["all_or_nothing"], bool):
        L.fail("expected true or false", f"{key}.all_or_nothing")
    for k in ("from", "to"):
        if k in args and kind in ("backprop", "gradient", "numeric", "update"):
            args[k] = _tensor_list(L, f"{key}.{k}", args[k], program)
    if kind in ("backprop", "gradient"):
        for k in ("from", "to"):
            if k not in args:
                L.fail("missing required key", f"{key}.{k}")
        if "uses" in args:          # gradients an earlier part derived (the delta_t)
            args["uses"] = _tensor_list(L, f"{key}.uses", args["uses"], program, allow=())
    if kind == "numeric":
        _check_numeric(L, key, args, program)
    if "through" in args:
        t = args["through"]
        ts = t if isinstance(t, list) else [t]
        for x in ts:
            if not isinstance(x, int) or isinstance(x, bool) or not 1 <= x <= n_statements:
                L.fail(f"expected statement numbers between 1 and {n_statements}",
                       f"{key}.through")
        args["through"] = ts
    if "average_over" in args and str(args["average_over"]) not in indices:
        L.fail("unknown index", f"{key}.average_over")
    if kind == "loops" and "of" in args:
        args["of"] = _tensor_list(L, f"{key}.of", args["of"], program, allow=())
    if kind in ("variance", "mean") and "of" not in args:
        L.fail("missing required key", f"{key}.of")
    if kind == "choice":
        opts = args.get("options")
        if not isinstance(opts, list) or len(opts) < 2:
            L.fail("expected a list of at least two options", f"{key}.options")
    if kind == "text" and "answer" not in args:
        L.fail("missing required key (the instructor's answer)", f"{key}.answer")


# the spec reader's last checks (`self` is the reader: its program, parts, values)

def numeric_values_given(self):
    """A worked example (a numeric part) needs a value for every input, parameter
    and symbol the program reads."""
    read = {ref_name(r) for st in self.program.statements() for r in st.reads()}
    for label, part in self.parts.items():
        if part.kind != "numeric":
            continue
        missing = [n for n, i in self.program.tensors.items()
                   if i.role in ("input", "parameter") and n in read
                   and n not in self.values]
        in_program = {x.name for st in self.program.statements()
                      for x in sp.Tuple(st.rhs, *[b for lp in st.loops
                                                  for b in lp.bounds]).free_symbols}
        syms = sorted(n for n in in_program if n in self.symbols and n not in self.values
                      and n not in self.program.fixed and n not in self.sizes)
        if missing or syms:
            what = ", ".join(missing + syms)
            self.L.fail(f"a worked example needs a value for every input, parameter "
                        f"and symbol the program reads; missing: {what} (give them "
                        "under values:)", f"parts.{label}")


def within_limits(self, spec):
    """The program at the spec's sizes fits the run limits: checked here, before any
    array is drawn (sizes: {B: 100000000} once took 21 s and 6 GB to be refused)."""
    sizes = spec.default_sizes() or {}
    try:
        preflight(self.program, sizes)
    except LimitError as e:
        self.L.fail(f"too large to run: {e}", "sizes" if sizes else "program")
