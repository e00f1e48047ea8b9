"""`fos init`: the face of `memory.founding`."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import click

from factory_os.commands.options import Env, examples
from factory_os.errors import EXIT_OK
from factory_os.memory.founding import init_factory
from factory_os.paths import FACTORY_DIR


@click.command(
    "init",
    epilog=examples(
        "fos init                                    # the core pack",
        "fos init --force                            # the templates again, rules kept",
    ),
)
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
    the editor schemas, and the ledger's first entry. Run again over a founding
    that was cut short (or an empty .factory/), it finishes it.
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
    if result.resumed:
        click.echo(f"finished the founding of {result.factory.dir}, which was cut short")
    else:
        click.echo(f"initialised {result.factory.dir}")
    for rel in result.written:
        click.echo(f"  {FACTORY_DIR}/{rel}")
    click.echo(next_steps())
    return EXIT_OK


def next_steps() -> str:
    """What a new factory needs before it governs anything: its people, its hooks."""
    return "\n".join(
        [
            "next steps:",
            f"  1. edit {FACTORY_DIR}/team.yaml: one member for each person, agent and bot, with",
            "     the email its git commits use (git's author identity decides who acts);",
            f"     in {FACTORY_DIR}/roles.yaml, `approver: true` marks the roles that approve",
            "     governed changes. `fos validate` checks both.",
            f'  2. commit it: git add {FACTORY_DIR} && git commit -m "Found the factory"',
            "  3. fos hooks install: the git hooks run this fos, wherever it is.",
            f"  4. {on_path()}",
        ]
    )


def on_path() -> str:
    """How the pre-commit framework, agents' hooks and the server side find `fos`."""
    here = Path(sys.executable).parent
    found = shutil.which("fos")
    if found is not None and Path(found).parent == here:
        return f"fos is on PATH ({found}), as agents' hooks and pre-commit need."
    return (
        "agents' hooks and the pre-commit framework call `fos` from PATH; put it there:\n"
        f'     export PATH="{here}:$PATH"   (or: pipx install factory-os)'
    )
