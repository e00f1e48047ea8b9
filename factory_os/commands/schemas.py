"""`fos schemas`: write (or check) the JSON Schemas generated from the models."""

from __future__ import annotations

from pathlib import Path

import click

from factory_os.commands.options import Env
from factory_os.errors import EXIT_FINDINGS, EXIT_OK
from factory_os.memory import schemas


@click.command("schemas")
@click.option(
    "--output",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("schemas"),
    show_default=True,
    help="Directory to write the schemas into (relative to -C DIR).",
)
@click.option("--check", is_flag=True, help="Write nothing; exit 1 if any schema is stale.")
@click.pass_obj
def cli(env: Env, output: Path, check: bool) -> int:
    """Generate the JSON Schemas of every factory file kind from the models.

    Point your editor at them (see README) for completion and errors while you
    edit .factory/ files by hand.
    """
    directory = output if output.is_absolute() else env.cwd / output
    if check:
        stale = schemas.stale_schemas(directory)
        for name in stale:
            click.echo(f"{directory / name}: stale (run `fos schemas --output {output}`)")
        return EXIT_FINDINGS if stale else EXIT_OK
    for path in schemas.write_schemas(directory):
        click.echo(f"wrote {path}")
    return EXIT_OK
