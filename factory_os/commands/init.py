"""`fos init`: the face of `memory.founding`."""

from __future__ import annotations

import click

from factory_os.commands.options import Env
from factory_os.errors import EXIT_OK
from factory_os.memory.founding import init_factory
from factory_os.paths import FACTORY_DIR


@click.command("init")
@click.option(
    "--pack",
    "packs",
    multiple=True,
    metavar="NAME",
    help="Built-in rule pack to start from (repeatable; default: core).",
)
@click.option(
    "--force",
    is_flag=True,
    help="Over an existing factory: write the templates (factory.yaml, team.yaml, roles.yaml, "
    "raci.yaml, lifecycle.yaml, DNA.md) again and add missing pack rules. Rules, incidents, "
    "knowledge, digests and the ledger are never touched.",
)
@click.option(
    "--actor",
    metavar="EMAIL",
    help="The founder's email, before any team exists"
    " (default: FOS_ACTOR, then git's author email).",
)
@click.pass_obj
def cli(env: Env, packs: tuple[str, ...], force: bool, actor: str | None) -> int:
    """Create .factory/ in the current git work tree.

    It holds factory.yaml, DNA.md, team.yaml, roles.yaml, raci.yaml, lifecycle.yaml, the rules of
    the chosen packs, empty knowledge/, incidents/, digests/, specs/ and runs/,
    the editor schemas, and the ledger's first entry.
    """
    result = init_factory(cwd=env.cwd, packs=list(packs) or ["core"], force=force, actor=actor)
    where = result.factory.rel(result.factory.dir)
    if not result.created:
        click.echo(
            f"{where}/ already exists in {result.factory.root}; nothing changed"
            " (use --force to write the templates again)",
            err=True,
        )
        return EXIT_OK
    click.echo(f"initialised {result.factory.dir}")
    for rel in result.written:
        click.echo(f"  {FACTORY_DIR}/{rel}")
    return EXIT_OK
