"""Code export: a loop program (and its backward program) as a NumPy module."""
from __future__ import annotations

import sympy as sp
from derive.engines.backward import derive_backward
from derive.core.records import Backward
from derive.core.naming import python_name as identifier
from derive.core.program import Program, format_items, grad_name, is_grad_name, ref_name
from derive.run.codegen.emitter import CodegenError, HELPERS, TARGETS, _stand_in
from derive.run.codegen.generator import FunctionPlan, Generator
from derive.run.codegen.writer import ModuleWriter, _docstring, _shape_text

# the module
# --------------------------------------------------------------------------


def _forward_inputs(program: Program) -> list:
    written = set(program.written())
    out = []
    for st in program.statements():
        for r in st.reads():
            n = ref_name(r)
            if n not in written and n not in out:
                out.append(n)
    return [n for n in program.tensors if n in out]


def choose_backward(spec) -> tuple[Backward, str]:
    """The backward program of the first backprop/gradient part over the whole program
    (else the first such part, else from the final outputs to every parameter and input)."""
    parts = [p for p in spec.parts.values() if p.kind in ("backprop", "gradient")]
    whole = [p for p in parts if not p.args.get("through")]
    if whole:
        p = whole[0]
        bw = derive_backward(spec.program, p.args["from"], p.args["to"], None,
                             p.args.get("average_over"))
        label = f"part {p.label}"
    else:
        from derive.engines.cost.memory import backward_of
        bw = backward_of(spec.program)
        label = "from the final outputs to every parameter and input"
    return bw, label


def export(spec, backward: bool = True, target: str = "numpy", bw: Backward | None = None) -> str:
    """The NumPy module of a problem's program (and its backward program)."""
    if target not in TARGETS:
        raise CodegenError(f"unknown target {target!r} (targets: {', '.join(TARGETS)})")
    prog = spec.program
    label = ""
    if backward and bw is None:
        bw, label = choose_backward(spec)
    return export_program(prog, bw if backward else None, spec.id, spec.title,
                          getattr(spec, "source", ""), label)


def export_program(prog: Program, bw: Backward | None = None, ident: str = "program",
                   title: str = "", source: str = "", label: str = "") -> str:
    tensors = prog.tensors
    writer = ModuleWriter(bw.program if bw is not None else prog)
    fin = _forward_inputs(prog)
    computed = [n for n in prog.written()]
    fplan = FunctionPlan("forward", "", list(prog.items), fin,
                         [(n, n) for n in computed], set(fin), cell=True)
    fdoc = ["Run the forward program.", ""]
    for n in fin:
        fdoc.append(f"{writer.program.tensors[n].name}: {_shape_text(tensors[n])} "
                    f"({tensors[n].role}){_axis_note(tensors[n])}")
    fdoc.append("returns {name: array} for " + ", ".join(computed))
    fplan.doc = "\n".join(fdoc)
    functions = [writer.write_function(fplan)]
    if bw is not None:
        bprog = bw.program
        sources = [grad_name(s) for s in bw.sources]
        bin_ = []
        for st in bprog.statements():
            for r in st.reads():
                n = ref_name(r)
                written = set(bprog.written())
                if n not in bin_ and (n not in written or n in sources):
                    bin_.append(n)
        bin_ = [n for n in bin_ if not is_grad_name(n)] + [n for n in sources if n in bin_] + \
            [n for n in sources if n not in bin_]
        outputs = [(t, grad_name(t)) for t in bw.targets]
        bplan = FunctionPlan("backward", "", list(bprog.items), bin_, outputs, set(bin_))
        bdoc = ["Run the backward program: the gradients of "
                + ", ".join(bw.targets) + f" from {', '.join(sources)}.", ""]
        for n in bin_:
            info = bprog.tensors[n]
            what = "given gradient" if is_grad_name(n) else info.role
            bdoc.append(f"{identifier(n)}: {_shape_text(info)} ({what}){_axis_note(info)}")
        bdoc.append("returns {name: gradient} for " + ", ".join(bw.targets))
        bplan.doc = "\n".join(bdoc)
        functions.append(writer.write_function(bplan))
    head = [f"{ident}: {title}".rstrip(": "), "",
            "NumPy code exported by derive (`derive code "
            f"{ident}{' --backward' if bw is not None else ''}`)."]
    if source:
        head.append(f"Source: {source}")
    head += ["", "Index ranges: " + ", ".join(f"{n} in {sp.sstr(lo)}..{sp.sstr(hi)}"
                                             for n, (lo, hi) in prog.indices.items()), "",
             "The forward program:"]
    head += ["    " + l for l in format_items(prog.items, prog.indices)]
    if bw is not None:
        head += ["", f"The backward program (derived by derive{', ' + label if label else ''}):"]
        head += ["    " + l for l in format_items(bw.program.items, prog.indices)]
    head += ["", "Arrays are float64 NumPy arrays; an index range lo..hi is stored at "
                 "positions 0..hi-lo.", "Out-of-range reads are zero."]
    imports = ["import math", ""] if writer.helpers & {"erf", "Phi"} else []
    parts = [_docstring("\n".join(head)), ""] + imports + ["import numpy as np", ""]
    for name in ("sigma", "softplus", "sech", "erf", "Phi", "relu", "step", "_pad", "_view",
                 "_index"):
        if name in writer.helpers:
            parts += ["", HELPERS[name], ""]
    for name in sorted(writer.stand_ins):
        parts += ["", _stand_in(Generator.function_name(name)), ""]
    for c in writer.cells:
        parts += ["", c, ""]
    for f in functions:
        parts += ["", f, ""]
    return "\n".join(parts).rstrip() + "\n"


def python_name(program: Program, tensor: str) -> str:
    """The Python name an exported module gives a tensor (`x.grad` -> `x_grad`)."""
    return Generator(program, set(), set()).pyname(tensor)


def _axis_note(info) -> str:
    if not info.axes:
        return ""
    notes = []
    for a, (lo, hi) in zip(info.axes, info.ranges):
        if lo != 0:
            notes.append(f"{a} = {sp.sstr(lo)}..{sp.sstr(hi)} at positions 0..{sp.sstr(hi - lo)}")
    return ", indexed [" + ", ".join(info.axes) + "]" + (
        "; " + "; ".join(notes) if notes else "")
