"""`fos handoff`: leave what is open to the next member, on the record."""

from __future__ import annotations

import json

import click

from factory_os import store
from factory_os.commands.options import Env, actor_option, emit, format_option
from factory_os.errors import EXIT_OK
from factory_os.rules.actor import acting_member
from factory_os.work.handoff import hand_off


@click.command("handoff")
@click.option("--to", "to", metavar="MEMBER", help="Who takes over (default: the team).")
@actor_option
@format_option("text", "json")
@click.pass_obj
def cli(env: Env, to: str | None, actor: str | None, output_format: str) -> int:
    """Record a handoff: open escalations (past their SLA first), open sessions
    and runs, and overrides that expire within a day.

    The next `fos context` for that member (or, without --to, for anyone)
    shows it under "Open items".
    """
    factory = store.find_factory(env.cwd)
    handoff = hand_off(factory, actor=acting_member(env.cwd, actor).id, to=to)
    if output_format == "json":
        body = {"by": handoff.by, "at": handoff.at, **handoff.data()}
        emit(json.dumps(body, indent=2) + "\n")
    else:
        emit("\n".join(handoff.lines()) + "\n")
    return EXIT_OK
