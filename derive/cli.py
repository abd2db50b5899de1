"""The `derive` command line: a thin shell over the Python API."""
from __future__ import annotations

import sys

import click
import numpy as np

from .errors import DeriveError
from .spec import find_problems, default_problems_dir, load_spec, resolve_problem


class _Group(click.Group):
    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except DeriveError as e:
            click.echo(f"error: {e}", err=True)
            ctx.exit(2)


def _problems_dir(ctx):
    return (ctx.obj or {}).get("problems")


def _load(ctx, name):
    return load_spec(resolve_problem(name, _problems_dir(ctx)))


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
              help="Folder of problem specs (default: the bundled problems/).")
@click.version_option(package_name="derive")
@click.pass_context
def cli(ctx, problems):
    """derive: backpropagation and trainability problems, solved and verified."""
    ctx.obj = {"problems": problems}


@cli.command("list")
@click.pass_context
def list_cmd(ctx):
    """List the problems: id, title and parts."""
    d = _problems_dir(ctx) or default_problems_dir()
    paths = find_problems(d)
    if not paths:
        raise click.UsageError(f"no problem specs (*.yaml) in {d}")
    for p in paths:
        spec = load_spec(p)
        parts = ", ".join(f"{lab} ({part.kind})" for lab, part in spec.parts.items())
        click.echo(f"{spec.id:<20} {spec.title}")
        click.echo(f"{'':<20} parts: {parts}")


@cli.command()
@click.argument("problem")
@click.pass_context
def show(ctx, problem):
    """Show a problem's parsed program with its index ranges."""
    from .program import format_expr, format_program
    spec = _load(ctx, problem)
    prog = spec.program
    click.echo(f"{spec.id}: {spec.title}")
    click.echo(f"source: {spec.source}")
    if prog.indices:
        rng = ", ".join(f"{n} in {format_expr(lo)}..{format_expr(hi)}"
                        for n, (lo, hi) in prog.indices.items())
        click.echo(f"indices: {rng}")
    click.echo("tensors:")
    for name, info in prog.tensors.items():
        if name.endswith(".grad"):
            continue
        shape = "[" + ", ".join(info.axes) + "]" if info.axes else "scalar"
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
    from .execute import run
    spec = _load(ctx, problem)
    given = parse_sizes(sizes)
    for name in given:
        if name not in spec.size_symbols:
            raise click.BadParameter(
                f"unknown size {name!r} (sizes: {', '.join(spec.size_symbols) or 'none'})",
                param_hint="--size")
    concrete = {**spec.default_sizes(), **given}
    env = run(spec.program, concrete, spec.values or None, seed=seed)
    click.echo(f"{spec.id} at " + (", ".join(f"{k}={v}" for k, v in concrete.items())
                                   or "fixed sizes") + f", seed {seed}")
    np.set_printoptions(precision=4, suppress=True, linewidth=100)
    for name, info in spec.program.tensors.items():
        if info.role in ("computed", "temporary"):
            shape = "x".join(str(s) for s in env[name].shape) or "scalar"
            click.echo(f"{name} ({shape}):")
            click.echo("  " + np.array2string(env[name]).replace("\n", "\n  "))


def main():
    try:
        cli(standalone_mode=True)
    except DeriveError as e:  # pragma: no cover - raised outside a command
        click.echo(f"error: {e}", err=True)
        sys.exit(2)
