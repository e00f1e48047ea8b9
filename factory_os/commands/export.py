"""`fos export agents-md`: the face of `context.agents_md`."""

from __future__ import annotations

from pathlib import Path

import click

from factory_os import store
from factory_os.commands.options import Env, emit
from factory_os.context.agents_md import export_agents_md
from factory_os.errors import EXIT_OK


@click.group("export")
def cli() -> None:
    """Write the factory's context where other tools look for it."""


@cli.command("agents-md")
@click.option(
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("AGENTS.md"),
    show_default=True,
    help="The file to write, relative to the factory root.",
)
@click.pass_obj
def agents_md(env: Env, output: Path) -> int:
    """Write or refresh the managed block in AGENTS.md.

    The block holds what `fos context` shows when nothing narrows it (the
    accepted decisions, the active rules, the knowledge notes, within the
    context budget) but no session digests, between two marker lines. Text outside the markers is
    kept as it is; a file without a block gets one appended; a missing file is
    created. Running it again with nothing changed leaves the file untouched.
    """
    factory = store.find_factory(env.cwd)
    target = output if output.is_absolute() else factory.root / output
    result = export_agents_md(factory, output=target)
    where = factory.rel(result.path)
    if not result.changed:
        emit(f"{where} is up to date")
    else:
        emit(f"{'created' if result.created else 'updated'} {where}")
    return EXIT_OK
