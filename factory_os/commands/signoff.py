"""`fos signoff ID --stage S [--as ROLE] [--veto --reason R]`: sign a gate, or veto it."""

from __future__ import annotations

import json

import click

from factory_os import store
from factory_os.commands.options import Env, actor_option, emit, format_option
from factory_os.errors import EXIT_OK
from factory_os.work import lifecycle


@click.command("signoff")
@click.argument("spec_id", metavar="ID")
@click.option("--stage", required=True)
@click.option("--as", "role", metavar="ROLE", help="Default: your one role at this stage.")
@click.option("--veto", is_flag=True, help="Block the gate (roles lifecycle.yaml lets veto).")
@click.option("--reason", help="Why, for a veto.")
@actor_option
@format_option("text", "json")
@click.pass_obj
def cli(
    env: Env,
    /,
    spec_id: str,
    stage: str,
    role: str | None,
    veto: bool,
    reason: str | None,
    actor: str | None,
    output_format: str,
) -> int:
    """Sign STAGE of a work item as ROLE. Refused (exit 1) when you do not hold the role
    on this item or separation of duties forbids it."""
    factory = store.find_factory(env.cwd)
    entry, role = lifecycle.sign(
        factory, spec_id, stage=stage, role=role, veto=veto, reason=reason, actor=actor
    )
    if output_format == "json":
        value = {"id": spec_id, "entry": entry, "stage": stage, "role": role, "veto": veto}
        emit(json.dumps(value, indent=2) + "\n")
    else:
        emit(f"{spec_id}: {'vetoed' if veto else 'signed'} {stage} as {role}\n")
    return EXIT_OK
