"""Code export: a loop program (and its backward program) as a NumPy (or torch) module."""
from __future__ import annotations

import sympy as sp
from derive.engines.backward import derive_backward
from derive.core.records import Backward
from derive.core.naming import python_name as identifier
from derive.core.program import Program, format_items, grad_name, is_grad_name, ref_name
from derive.run.codegen.dialect import DIALECTS
from derive.run.codegen.emitter import CodegenError, TARGETS
from derive.run.codegen.generator import FunctionPlan, Generator
from derive.run.codegen.reuse import reuse_forward_values
from derive.run.codegen.writer import ModuleWriter, _docstring, _shape_text, _walk

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
    """The NumPy module of a problem's program (and its backward program); with
    target="torch" the same algorithm in torch tensor operations (`torch.compile` fuses it)."""
    if target not in TARGETS:
        raise CodegenError(f"unknown target {target!r} (targets: {', '.join(TARGETS)})")
    prog = spec.program
    label = ""
    if backward and bw is None:
        bw, label = choose_backward(spec)
    return export_program(prog, bw if backward else None, spec.id, spec.title,
                          getattr(spec, "source", ""), label, target)


def export_program(prog: Program, bw: Backward | None = None, ident: str = "program",
                   title: str = "", source: str = "", label: str = "",
                   target: str = "numpy") -> str:
    tensors = prog.tensors
    dialect = DIALECTS[target]
    writer = ModuleWriter(bw.program if bw is not None else prog, dialect)
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
        bitems = reuse_forward_values(bprog.items, prog.items, bprog.tensors)
        sources = [grad_name(s) for s in bw.sources]
        bin_ = []
        written = {st.target_name for st, _ in _walk(bitems)}
        for st, _ in _walk(bitems):
            for r in st.reads():
                n = ref_name(r)
                if n not in bin_ and (n not in written or n in sources):
                    bin_.append(n)
        bin_ = [n for n in bin_ if not is_grad_name(n)] + [n for n in sources if n in bin_] + \
            [n for n in sources if n not in bin_]
        outputs = [(t, grad_name(t)) for t in bw.targets]
        bplan = FunctionPlan("backward", "", bitems, bin_, outputs, set(bin_))
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
            f"{dialect.library} code exported by derive (`derive code "
            f"{ident}{' --backward' if bw is not None else ''}"
            f"{' --target ' + target if target != 'numpy' else ''}`)."]
    if source:
        head.append(f"Source: {source}")
    head += ["", "Index ranges: " + ", ".join(f"{n} in {sp.sstr(lo)}..{sp.sstr(hi)}"
                                             for n, (lo, hi) in prog.indices.items()), "",
             "The forward program:"]
    head += ["    " + l for l in format_items(prog.items, prog.indices)]
    if bw is not None:
        head += ["", f"The backward program (derived by derive{', ' + label if label else ''}):"]
        head += ["    " + l for l in format_items(bw.program.items, prog.indices)]
    head += ["", f"{dialect.arrays}; an index range lo..hi is stored at "
                 "positions 0..hi-lo.", "Out-of-range reads are zero."]
    parts = [_docstring("\n".join(head)), ""] + dialect.imports(writer.helpers)
    for name in dialect.helper_order:
        if name in writer.helpers or name == "_t":
            if name in dialect.helpers:
                parts += ["", dialect.helpers[name], ""]
    for name in sorted(writer.stand_ins):
        parts += ["", dialect.stand_in(Generator.function_name(name)), ""]
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
