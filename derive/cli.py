
"""The `derive` command line: a thin shell over the Python API."""
from __future__ import annotations

import sys
from pathlib import Path

import click
import numpy as np

from derive.core.errors import DeriveError
from derive.front.spec import load_spec
from derive.front.folder import (default_problems_dir, find_problems, load_course,
                                 resolve_problem)
from derive.present.json import answer_json
from derive.present.latex_answer import answer_latex
from derive.present.text import format_answer, format_verdict


INTERNAL = ("internal error: derive failed on this input (a bug in derive, not in your "
            "input); please report it with the command you ran")


def _wants_json(args) -> bool:
    return "--json" in args


class _Group(click.Group):
    """Every failure gets one exit code: 2 bad input (a message, no traceback), 3 an
    internal error (a one-line apology), 130 an interrupt (Ctrl-C)."""

    def invoke(self, ctx):
        as_json = _wants_json(list(getattr(ctx, "_protected_args", [])) + list(ctx.args))
        try:
            return super().invoke(ctx)
        except DeriveError as e:
            _fail(ctx, 2, f"error: {e}", str(e), as_json)
        except click.UsageError as e:
            if not as_json:
                raise
            _fail(ctx, 2, "", e.format_message(), True)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except KeyboardInterrupt:
            _fail(ctx, 130, "interrupted", "interrupted", as_json)
        except BrokenPipeError:
            ctx.exit(141)
        except Exception as e:  # noqa: BLE001 - never a traceback
            _fail(ctx, 3, f"{INTERNAL} ({type(e).__name__}: {e})",
                  f"{INTERNAL} ({type(e).__name__}: {e})", as_json, "error")


def _fail(ctx, code: int, text: str, message: str, as_json: bool, verdict="unusable"):
    if as_json:
        import json
        click.echo(json.dumps({"verdict": verdict if code != 130 else "interrupted",
                               "exit_code": code, "message": message}, indent=2))
    elif text:
        click.echo(text, err=True)
    ctx.exit(code)


def _problems_dir(ctx):
    return (ctx.find_root().obj or {}).get("problems")


def _set_problems(ctx, param, value):
    """`--problems DIR` after the command name (derive verify --problems DIR)."""
    if value is not None:
        root = ctx.find_root()
        root.obj = {**(root.obj or {}), "problems": value}
    return value


def _specs(ctx, problems) -> tuple[list, list]:
    """The named specs, or every spec of the folder: (loaded specs, [(path, error)]).
    A spec that does not load is reported by the caller and does not stop the others;
    a folder with no spec at all is an error."""
    d = _problems_dir(ctx) or default_problems_dir()
    paths = [resolve_problem(p, _problems_dir(ctx)) for p in problems] or find_problems(d)
    if not paths:
        raise click.UsageError(f"no problem specs (*.yaml, *.yml) in {d}")
    specs, broken = [], []
    for p in paths:
        try:
            specs.append(load_spec(p))
        except DeriveError as e:
            broken.append((p, e))
    return specs, broken


def _report_broken(broken):
    for _, e in broken:
        click.echo(f"error: {e}", err=True)
    if broken:
        click.echo(f"{len(broken)} spec(s) could not be read: "
                   + ", ".join(str(p) for p, _ in broken), err=True)


def _load(ctx, name):
    """A problem by id or path, or a variant of it (softmax#17: derived and verified first,
    since no variant is shown unverified)."""
    from derive.answers.variants import load_problem
    return load_problem(name, _problems_dir(ctx), verify=True)


def parse_sizes(text: str | None) -> dict:
    """`B=4,J=3` -> {'B': 4, 'J': 3}."""
    out = {}
    if not text:
        return out
    for item in text.split(","):
        name, eq, value = item.partition("=")
        name, value = name.strip(), value.strip()
        if not eq or not name.isidentifier() or not value.isdigit() or int(value) < 1:
            raise click.BadParameter(f"expected NAME=POSITIVE_INTEGER, got {item.strip()!r}",
                                     param_hint="--size")
        out[name] = int(value)
    return out


@click.group(cls=_Group)
@click.option("--problems", type=click.Path(exists=True, file_okay=False),
              envvar="DERIVE_PROBLEMS",
              help="Folder of problem specs (default: the bundled problems/; also "
                   "$DERIVE_PROBLEMS, and accepted after the command name).")
@click.version_option(package_name="derive")
@click.pass_context
def cli(ctx, problems):
    """derive: backpropagation and trainability problems, solved and verified."""
    ctx.obj = {"problems": problems}


@cli.command("list")
@click.pass_context
def list_cmd(ctx):
    """List the problems: id, title and parts."""
    specs, broken = _specs(ctx, ())
    for spec in specs:
        parts = ", ".join(f"{lab} ({part.kind})" for lab, part in spec.parts.items())
        click.echo(f"{spec.id:<20} {spec.title}")
        click.echo(f"{'':<20} parts: {parts}")
    _report_broken(broken)
    if broken:
        ctx.exit(2)


@cli.command()
@click.argument("problem")
@click.pass_context
def show(ctx, problem):
    """Show a problem's parsed program with its index ranges."""
    from derive.core.program import format_expr, format_program
    spec = _load(ctx, problem)
    prog = spec.program
    click.echo(f"{spec.id}: {spec.title}")
    if spec.variant is not None:
        click.echo(f"variant: {spec.variant.name} ({spec.variant.describe()})")
    click.echo(f"source: {spec.source}")
    if prog.indices:
        rng = ", ".join(f"{n} in {format_expr(lo)}..{format_expr(hi)}"
                        for n, (lo, hi) in prog.indices.items())
        click.echo(f"indices: {rng}")
    click.echo("tensors:")
    for name, info in prog.tensors.items():
        if name.endswith(".grad"):
            continue
        shape = "[" + ", ".join(
            a if tuple(prog.indices.get(a, ())) == tuple(r)
            else f"{a} in {format_expr(r[0])}..{format_expr(r[1])}"
            for a, r in zip(info.axes, info.ranges)) + "]" if info.axes else "scalar"
        click.echo(f"  {name:<8} {shape:<16} {info.role}")
    click.echo("program:")
    for k, line in enumerate(format_program(prog).split("\n"), 1):
        click.echo(f"  {line}")
    click.echo("parts: " + ", ".join(f"{l} ({p.kind})" for l, p in spec.parts.items()))


@cli.command("run")
@click.argument("problem")
@click.option("--size", "sizes", help="Index sizes, e.g. B=4,J=3 (default: the spec's).")
@click.option("--seed", default=0, show_default=True, help="Seed of the random inputs.")
@click.pass_context
def run_cmd(ctx, problem, sizes, seed):
    """Run a problem's forward program and print every computed tensor."""
    from derive.run.execute import run
    spec = _load(ctx, problem)
    given = parse_sizes(sizes)
    for name in given:
        if name not in spec.size_symbols:
            raise click.BadParameter(
                f"unknown size {name!r} (sizes: {', '.join(spec.size_symbols) or 'none'})",
                param_hint="--size")
    concrete = spec.sizes_at(given)
    env = run(spec.program, concrete, spec.values or None, seed=seed)
    click.echo(f"{spec.id} at " + (", ".join(f"{k}={v}" for k, v in concrete.items())
                                   or "its own sizes") + f", seed {seed}")
    from derive.present.text import number_text
    for name, info in spec.program.tensors.items():
        if info.role in ("computed", "temporary"):
            shape = "x".join(str(s) for s in env[name].shape) or "scalar"
            click.echo(f"{name} ({shape}):")
            text = np.array2string(np.asarray(env[name], dtype=float), max_line_width=100,
                                   formatter={"float_kind": number_text})
            click.echo("  " + text.replace("\n", "\n  "))


def _split_target(text: str):
    problem, _, part = text.partition(":")
    return problem, (part or None)


@cli.command()
@click.argument("target", metavar="PROBLEM[:PART]")
@click.option("--format", "fmt", type=click.Choice(["text", "latex", "json"]),
              default="text", show_default=True, help="How to print the answers.")
@click.option("--steps", is_flag=True, help="Also print the derivation steps (text format).")
@click.pass_context
def solve(ctx, target, fmt, steps):
    """Derive, verify and print the answers of a problem (or one part).

    Every part is printed, a part that cannot be answered with the reason; the exit
    code is 1 when any part was withheld (failed its check) or not derived."""
    import json
    from derive.answers import solve_guarded
    problem, part = _split_target(target)
    spec = _load(ctx, problem)
    labels = [spec.part(part).label] if part else list(spec.parts)
    answers = [solve_guarded(spec, lab) for lab in labels]
    failed = [a for a in answers if a.status in ("withheld", "not-derived", "error")]
    if fmt == "json":
        click.echo(json.dumps([answer_json(a, spec) for a in answers], indent=2))
    elif fmt == "latex":
        click.echo("\n\n".join(answer_latex(a, spec) for a in answers))
    else:
        click.echo("\n\n".join(format_answer(a, spec, steps) for a in answers))
    if failed:
        click.echo(f"{len(failed)} part(s) not answered: "
                   + ", ".join(f"{spec.id}:{a.part} ({a.status})" for a in failed), err=True)
        ctx.exit(1)


@cli.command("verify")
@click.argument("problems", nargs=-1)
@click.pass_context
def verify_cmd(ctx, problems):
    """Check every part's answer numerically; exit 1 if any check fails.

    A part that fails does not stop the others: every part is reported, then the
    exit code says the worst (1: a part failed its check or cannot be answered)."""
    from derive.answers import solve_guarded
    specs, broken = _specs(ctx, problems)          # every spec error before any work
    failed = 0
    click.echo(f"{'part':<28} {'kind':<10} {'check':<44} result")
    for spec in specs:
        for label in spec.parts:
            name = f"{spec.id}:{label}"
            kind = spec.parts[label].kind
            ans = solve_guarded(spec, label)
            if ans.status in ("withheld", "error"):
                failed += 1
                what = "numeric check" if ans.status == "withheld" else "spec"
                click.echo(f"{name:<28} {kind:<10} {what:<44} FAILED: {ans.message}")
            elif ans.verification is not None:
                v = ans.verification
                check = v.brief() if hasattr(v, "brief") else \
                    f"{str(v.method).split(' (')[0]}, worst rel. err {v.worst:.1e}"
                click.echo(f"{name:<28} {kind:<10} {check:<44} ok")
            elif ans.status == "not-derived":
                failed += 1
                click.echo(f"{name:<28} {kind:<10} {'-':<44} NOT DERIVED: {ans.message}")
            elif ans.status == "given":
                click.echo(f"{name:<28} {kind:<10} {'-':<44} instructor text")
            else:
                click.echo(f"{name:<28} {kind:<10} {'executed program':<44} ok (no gradient)")
    _report_broken(broken)
    if failed:
        click.echo(f"{failed} part(s) failed or not derived", err=True)
    if broken or failed:
        ctx.exit(2 if broken else 1)


@cli.command()
@click.argument("problems", nargs=-1)
@click.option("-o", "--output", "out_dir", default="output", show_default=True,
              type=click.Path(file_okay=False), help="Folder for the PDFs and .tex files.")
@click.option("--no-solutions", is_flag=True, help="Build only the problem sheet.")
@click.option("--tex-only", is_flag=True, help="Write the .tex files; do not run TeX.")
@click.option("--subscripts", is_flag=True, help="Write tensors as s_{b,j} instead of s[b,j].")
@click.option("--timings", is_flag=True,
              help="Time derive, verify, render and TeX apart, and print the split.")
@click.option("--title", help="Title of the sheet (default: Backpropagation and trainability).")
@click.option("--course", help="Course line of the title block (default: the problems' course).")
@click.option("--date", "date_text", metavar="TEXT",
              help="The date on the sheets (default: $SOURCE_DATE_EPOCH, else today).")
@click.option("--tex-timeout", type=click.FloatRange(min=1), default=None, metavar="S",
              help="Seconds for one TeX run (default 60, or $DERIVE_TEX_TIMEOUT).")
@click.option("--keep-going", is_flag=True,
              help="Build the key even when a part fails its check or is not derived; "
                   "the key names each withheld part and why.")
@click.option("--variants", "variants", metavar="ROSTER.csv|N",
              help="A sheet per student of the roster (or per variant 1..N), one key of "
                   "the variants and variants.csv, in DIR/variants/.")
@click.option("--seed", default="derive", show_default=True, envvar="DERIVE_COURSE_SEED",
              help="The course seed students' ids are hashed with ($DERIVE_COURSE_SEED).")
@click.option("--jobs", type=click.IntRange(min=1), help="TeX runs at once (default: cores).")
@click.pass_context
def key(ctx, problems, out_dir, no_solutions, tex_only, subscripts, timings, title, course,
        date_text, tex_timeout, keep_going, variants, seed, jobs):
    """Build the problem sheet and the answer key (PDF) of the problems (default: all).

    Writes DIR/problems.pdf and DIR/answer_key.pdf with their .tex. Every answer
    is derived and verified first; the PDFs replace the old ones only when the
    whole build succeeded.  A part that fails its numeric check, or that the
    engines cannot derive, stops the build (exit 1, the old PDFs untouched) unless
    --keep-going is given."""
    from derive.present.render import build_key
    d = _problems_dir(ctx) or default_problems_dir()
    specs, broken = _specs(ctx, problems)
    _report_broken(broken)
    if not specs:
        ctx.exit(2)
    info = load_course(d) if not problems else None
    title = title or (info.title if info else None)
    course = course or (info.course if info else None)
    if variants:
        from derive.grade.variant_documents import report_build
        ctx.exit(report_build(specs, variants, out_dir, seed, click.echo, tex_only=tex_only,
                              subscripts=subscripts, title=title, course=course,
                              date=date_text, jobs=jobs, tex_timeout=tex_timeout,
                              timings=timings) or (2 if broken else 0))
    result = build_key(specs, out_dir, solutions=not no_solutions, tex_only=tex_only,
                       subscripts=subscripts, timings=timings, title=title, course=course,
                       progress=lambda line: click.echo(line, err=True),
                       keep_going=keep_going, date=date_text, tex_timeout=tex_timeout)
    c = result.counts
    summary = (f"{c.get('derived', 0)} parts derived and verified, {c.get('given', 0)} "
               f"instructor answers, {c.get('not-derived', 0)} parts not derived yet"
               + (f", {c['withheld']} withheld (failed their numeric check)"
                  if c.get("withheld") else "")
               + (f", {c['error']} not answerable as written" if c.get("error") else "")
               + ".")
    if result.incomplete:               # the summary names every part left out
        summary += " Not answered: " + ", ".join(f"{p}:{lab} ({why})"
                                                 for p, lab, why in result.incomplete) + "."
    click.echo(summary)
    if result.incomplete and not keep_going:
        click.echo("the key was not built (the old PDFs are untouched): "
                   + "; ".join(f"{p}:{lab} {why}" for p, lab, why in result.incomplete)
                   + ". Fix the parts, or give --keep-going to build the key without them.",
                   err=True)
        ctx.exit(1)
    for path in result.written:
        click.echo(f"wrote {path}")
    for path in result.removed:
        click.echo(f"removed {path} (an earlier build's answer key: --no-solutions "
                   "builds none)")
    if timings:
        click.echo(f"time: {result.timings.line()}")
    if broken:
        click.echo(f"the key leaves out {len(broken)} spec(s) that could not be read: "
                   + ", ".join(str(p) for p, _ in broken), err=True)
        ctx.exit(2)


@cli.command()
@click.argument("target", metavar="PROBLEM:PART", required=False)
@click.argument("answer", required=False)
@click.option("--file", "answer_file", metavar="FILE",
              help="Read the answer from a file ('-' for standard input).")
@click.option("--json", "as_json", is_flag=True, help="Print a machine-readable verdict.")
@click.option("--format", "fmt", type=click.Choice(["text", "latex"]), default="text",
              show_default=True, help="latex: also print how the answer was read, in LaTeX.")
@click.option("--show-answer", is_flag=True, help="Also print the reference answer.")
@click.option("--batch", type=click.Path(exists=True, dir_okay=False),
              help="Check a CSV of answers (columns: student, problem, part, answer).")
@click.option("-o", "--output", "results", type=click.Path(dir_okay=False),
              help="Where --batch writes its results CSV (default: results.csv).")
@click.pass_context
def check(ctx, target, answer, answer_file, as_json, fmt, show_answer, batch, results):
    """Check a student's answer to PROBLEM:PART.

    The ANSWER is in the course notation (loops, statements, values or an
    expression), given as an argument, with --file, or as '-' for standard
    input.  Exit code 0: correct, 1: incorrect, 2: unusable input (or a time or
    memory limit), 3: an internal error of derive."""
    import json
    from derive.check.answer import check_answer
    if batch:
        from derive.check.batch import check_batch
        ctx.exit(check_batch(batch, results or "results.csv", _problems_dir(ctx)))
    if not target:
        raise click.UsageError("give PROBLEM:PART and the answer (or --batch FILE)")
    problem, part = _split_target(target)
    if not part:
        raise click.UsageError("name the part: PROBLEM:PART, e.g. softmax:a")
    if answer_file == "-":
        text = sys.stdin.read()
    elif answer_file is not None:
        from derive.core.files import TextFileError, read_text_file
        try:
            text = read_text_file(answer_file, "answer file")
        except TextFileError as e:
            _fail(ctx, 2, f"error: {answer_file}: {e}", f"{answer_file}: {e}", as_json)
    elif answer == "-":
        text = sys.stdin.read()
    elif answer is not None:
        text = answer
    else:
        raise click.UsageError("give the answer as an argument, with --file, or '-' for stdin")
    spec = _load(ctx, problem)
    spec.part(part)
    verdict = check_answer(spec, part, text, show_answer=show_answer)
    if spec.variant is not None:
        from derive.grade.variant_check import judge_variant
        verdict = judge_variant(spec, verdict, text)
        verdict.problem = spec.variant.name
    if as_json:
        from derive.core.version import VERSION
        from derive.grade.grading import spec_hash
        click.echo(json.dumps(verdict.as_dict() | {"derive_version": VERSION,
                                                   "spec_hash": spec_hash(spec)}, indent=2))
    else:
        click.echo(format_verdict(verdict))
        if fmt == "latex" and verdict.verdict in ("correct", "incorrect"):
            from derive.grade.reading import reading_latex
            click.echo("  read as (LaTeX):")
            for line in reading_latex(spec, part, verdict.read_as or text).split("\n"):
                click.echo(f"    {line}")
    ctx.exit(verdict.exit_code)


@cli.command("grade")
@click.argument("submission", type=click.Path(dir_okay=False))
@click.option("--format", "fmt", type=click.Choice(["text", "json", "gradescope",
                                                     "coderunner"]), default="text",
              show_default=True, help="How to print the results.")
@click.option("--expect", multiple=True, metavar="PROBLEM",
              help="Problems whose every part is due (a part left out scores 0).")
@click.option("--hidden", is_flag=True,
              help="CodeRunner: mark the per-quantity rows hidden from students.")
@click.option("--isolate", is_flag=True,
              help="Run each check in a worker process with its own memory limit, killed "
                   "at its deadline (graders facing untrusted submissions).")
@click.option("--roster", type=click.Path(exists=True, dir_okay=False),
              help="variants.csv of `derive key --variants`: the student's variants.")
@click.option("--seed", envvar="DERIVE_COURSE_SEED",
              help="The course seed: the variant of a student the roster does not name.")
@click.pass_context
def grade_cmd(ctx, submission, fmt, expect, hidden, isolate, roster, seed):
    """Grade a SUBMISSION: one `## PROBLEM:PART` block per answer (Markdown, or a YAML
    mapping).  Every block is judged within its limits and gets a result; the exit
    code is 0 when every part was judged (right or wrong), 2 when some could not be."""
    import json
    import time
    from derive.core.files import TextFileError, read_text_file
    from derive.grade import formats
    from derive.grade.grading import grade
    from derive.grade.submission import parse_submission
    try:
        text = read_text_file(submission, "submission")
    except TextFileError as e:
        _fail(ctx, 2, f"error: {submission}: {e}", f"{submission}: {e}", fmt == "json")
    start = time.perf_counter()
    blocks = parse_submission(text, submission)
    due = []
    for pid in expect:
        spec = _load(ctx, pid)
        due += [f"{spec.id}:{k}" for k, part in spec.parts.items() if part.kind != "text"]
    from derive.grade.roster import read_mapping, variant_names
    from derive.grade.submission import parse_header
    chosen = variant_names(blocks, parse_header(text), _problems_dir(ctx),
                           read_mapping(roster) if roster else None, seed)
    results = grade(blocks, _problems_dir(ctx), due, isolate=isolate, variants=chosen)
    if fmt == "text":
        click.echo(formats.as_text(results))
    elif fmt == "json":
        click.echo(formats.as_json(results))
    elif fmt == "gradescope":
        click.echo(json.dumps(formats.gradescope(results, time.perf_counter() - start),
                              indent=2))
    else:
        click.echo(json.dumps(formats.coderunner(results, hidden=hidden), indent=2))
    ctx.exit(2 if any(r.verdict in ("unusable", "error") for r in results) else 0)


@cli.command("template")
@click.argument("problems", nargs=-1, required=True)
@click.option("-o", "--output", "out", type=click.Path(dir_okay=False),
              help="Write the template here (default: print it).")
@click.pass_context
def template_cmd(ctx, problems, out):
    """A submission template for PROBLEMS: one block per part to answer."""
    from derive.grade.submission import template
    specs, broken = _specs(ctx, problems)
    _report_broken(broken)
    text = template(specs)
    if out:
        Path(out).write_text(text)
        click.echo(f"wrote {out}", err=True)
    else:
        click.echo(text)
    ctx.exit(2 if broken else 0)


@cli.group("export")
def export_group():
    """Write graders for learning platforms."""


@export_group.command("gradescope")
@click.argument("problems", nargs=-1, required=True)
@click.option("-o", "--output", "out_dir", default="output/gradescope", show_default=True,
              type=click.Path(file_okay=False), help="Folder for autograder.zip.")
@click.option("--reference", "visibility", default="after_published", show_default=True,
              type=click.Choice(["visible", "hidden", "after_due_date", "after_published"]),
              help="When students see the reference answers.")
@click.option("--seed", default="derive", show_default=True, envvar="DERIVE_COURSE_SEED",
              help="The course seed each student's variant is drawn with.")
@click.option("--roster", type=click.Path(exists=True, dir_okay=False),
              help="variants.csv of `derive key --variants`, shipped with the grader.")
@click.pass_context
def export_gradescope(ctx, problems, out_dir, visibility, seed, roster):
    """Gradescope's autograder zip for PROBLEMS (setup.sh, run_autograder, the specs).
    A problem with variants is graded against the variant of the submitting student."""
    from derive.grade.gradescope import export
    specs, broken = _specs(ctx, problems)
    _report_broken(broken)
    if broken:
        ctx.exit(2)
    path = export(specs, out_dir, reference_visibility=visibility, seed=seed, roster=roster)
    click.echo(f"wrote {path}")


@export_group.command("prairielearn")
@click.argument("problems", nargs=-1, required=True)
@click.option("-o", "--output", "out_dir", default="output/prairielearn", show_default=True,
              type=click.Path(file_okay=False), help="The course's questions/ folder.")
@click.pass_context
def export_prairielearn(ctx, problems, out_dir):
    """PrairieLearn questions for PROBLEMS: one folder per part (info.json,
    question.html, server.py)."""
    from derive.grade.prairielearn import export
    specs, broken = _specs(ctx, problems)
    _report_broken(broken)
    if broken:
        ctx.exit(2)
    for spec in specs:
        for q in export(spec, out_dir):
            click.echo(f"wrote {q}")


@cli.command("serve")
@click.option("--stdio", is_flag=True, required=True,
              help="Read one JSON request per line on stdin, write one verdict per line.")
@click.pass_context
def serve_cmd(ctx, stdio):
    """A persistent checker for graders and batches: requests
    {"id", "problem", "part", "answer"} in, `check --json` verdicts out."""
    from derive.grade.serve import serve

    def write(text):
        sys.stdout.write(text)
        sys.stdout.flush()
    serve(sys.stdin, write, _problems_dir(ctx))


@cli.command("code")
@click.argument("problem")
@click.option("--backward", is_flag=True,
              help="Also export backward(): the backward program of the problem's first "
                   "backprop/gradient part over the whole program (else from its final "
                   "outputs to every parameter and input).")
@click.option("--target", type=click.Choice(["numpy", "torch"]), default="numpy",
              show_default=True,
              help="The language of the exported code: NumPy, or torch tensor operations "
                   "(the same algorithm, which torch.compile can fuse).")
@click.pass_context
def code_cmd(ctx, problem, backward, target):
    """Print a problem's program as a self-contained NumPy (or torch) module (forward,
    backward)."""
    from derive.run.codegen import export
    click.echo(export(_load(ctx, problem), backward=backward, target=target), nl=False)


@cli.command("new")
@click.argument("problem_id", metavar="ID")
@click.option("-o", "--output", "out_dir", type=click.Path(file_okay=False),
              help="Folder to write ID.yaml in (default: the --problems folder, else the "
                   "current folder).")
@click.pass_context
def new_cmd(ctx, problem_id, out_dir):
    """Write ID.yaml: a commented skeleton spec that verifies as written."""
    from derive.front.skeleton import write_skeleton
    path = write_skeleton(problem_id, out_dir or _problems_dir(ctx) or ".")
    click.echo(f"wrote {path}")


@cli.command("lint")
@click.argument("problems", nargs=-1)
@click.pass_context
def lint_cmd(ctx, problems):
    """Report, without deriving, declarations nothing uses, undocumented keys and names
    the key would print raw.  Exit 0: clean, 1: findings, 2: a spec that does not load."""
    from derive.front.lint import lint_spec
    d = _problems_dir(ctx) or default_problems_dir()
    paths = [resolve_problem(p, _problems_dir(ctx)) for p in problems] or find_problems(d)
    found = errors = 0
    for path in paths:
        report = lint_spec(path)
        for f in report.findings:
            click.echo(str(f))
        found += len(report.findings)
        if report.error is not None:
            errors += 1
            click.echo(f"error: {report.error}", err=True)
    click.echo(f"{len(paths)} spec(s): {found} finding(s)"
               + (f", {errors} not loaded" if errors else ""), err=True)
    ctx.exit(2 if errors else 1 if found else 0)


for _command in cli.commands.values():
    _command.params.append(click.Option(
        ["--problems", "problems_folder"], type=click.Path(exists=True, file_okay=False),
        expose_value=False,
        is_eager=True, callback=_set_problems,
        help="Folder of problem specs (as before the command name)."))


def main():
    """The `derive` command.  When the command is done, the process ends at once: tearing
    down the interpreter (freeing every SymPy object one by one) would add a fifth to a
    `derive check`, with nothing left to write."""
    as_json = _wants_json(sys.argv[1:])
    try:
        code = cli.main(standalone_mode=False)
        code = code if isinstance(code, int) else 0
    except click.exceptions.Abort:          # Ctrl-C while click was reading arguments
        code = _say(130, "interrupted", as_json)
    except KeyboardInterrupt:
        code = _say(130, "interrupted", as_json)
    except click.ClickException as e:
        if as_json:
            code = _say(e.exit_code, e.format_message(), True)
        else:
            e.show()
            code = e.exit_code
    except SystemExit as e:
        code = e.code if isinstance(e.code, int) else (0 if e.code is None else 2)
    except DeriveError as e:  # pragma: no cover - raised outside a command
        code = _say(2, f"error: {e}", as_json)
    except Exception as e:  # noqa: BLE001 - never a traceback
        code = _say(3, f"{INTERNAL} ({type(e).__name__}: {e})", as_json)
    _exit_now(code)


def _say(code: int, message: str, as_json: bool) -> int:
    if as_json:
        import json
        click.echo(json.dumps({"verdict": "unusable" if code == 2 else
                               "interrupted" if code == 130 else "error",
                               "exit_code": code, "message": message}, indent=2))
    else:
        click.echo(message, err=True)
    return code


def _exit_now(code: int):
    import atexit
    import os
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):     # a closed pipe: nothing more to say
            pass
    os._exit(code)
