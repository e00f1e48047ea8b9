"""`fos escalate open|list|ack|resolve`: the escalation queue, kept in the ledger."""

from __future__ import annotations

import json

import click

from factory_os import clock, store
from factory_os.commands.options import Env, actor_option, emit, format_option
from factory_os.errors import EXIT_OK
from factory_os.rules.actor import acting_member
from factory_os.work import escalations
from factory_os.work.escalations import Listed


@click.group("escalate")
def cli() -> None:
    """Escalations: what needs a person, answered within an SLA, on the record.

    \b
    The SLA is governance.escalation_sla_minutes in factory.yaml (30 unless
    set; escalation_sla_minutes_by_severity sets it per severity). An
    escalation not acknowledged or resolved in time is past its SLA; `fos
    sweep` then records the breach once and it goes to the members holding
    the roles accountable for governance in raci.yaml. Those roles (and
    whoever it went to) answer it; the member who caused it never does.
    Times come from the clock of the machine running fos (FOS_NOW pins it).
    """


@cli.command("open")
@click.option(
    "--subject", required=True, metavar="ID", help="What it concerns (run, spec, commit)."
)
@click.option("--reason", required=True, metavar="TEXT", help="Why a person is needed.")
@click.option(
    "--severity",
    type=click.Choice(escalations.SEVERITY_LEVELS),
    default="medium",
    show_default=True,
    help="How urgent; sets the SLA where factory.yaml sets one per severity.",
)
@actor_option
@click.pass_obj
def open_command(env: Env, subject: str, reason: str, severity: str, actor: str | None) -> int:
    """Open an escalation; print its id."""
    factory = store.find_factory(env.cwd)
    emit(
        escalations.open_escalation(
            factory,
            actor=acting_member(env.cwd, actor).id,
            subject=subject,
            cause=reason,
            severity=severity,
        )
    )
    return EXIT_OK


@cli.command("list")
@click.option("--past-sla", is_flag=True, help="Only those past their SLA.")
@click.option("--mine", is_flag=True, help="Only those that involve me or a role of mine.")
@click.option("--all", "include_resolved", is_flag=True, help="Resolved ones too.")
@actor_option
@format_option("text", "json")
@click.pass_obj
def list_command(
    env: Env,
    past_sla: bool,
    mine: bool,
    include_resolved: bool,
    actor: str | None,
    output_format: str,
) -> int:
    """Open escalations: past their SLA first, then the most severe, then the oldest."""
    factory = store.find_factory(env.cwd)
    now = clock.now()
    rows = escalations.listing(
        factory,
        past_sla=past_sla,
        mine=acting_member(env.cwd, actor).id if mine else None,
        include_resolved=include_resolved,
        now=now,
    )
    if output_format == "json":
        body = [row.escalation.to_json(now, row.sla_minutes) for row in rows]
        emit(json.dumps({"now": clock.stamp(now), "escalations": body}, indent=2) + "\n")
    else:
        emit("".join(line(row) + "\n" for row in rows) or "No open escalations.\n")
    return EXIT_OK


def line(row: Listed) -> str:
    e = row.escalation
    due = clock.stamp(e.due_at(row.sla_minutes))
    state = (
        f"resolved by {e.resolved_by}"
        if not e.open
        else f"PAST SLA (due {due})"
        if row.past_sla
        else f"acked by {e.acked_by}, due {due}"
        if e.acked_by
        else f"due {due}"
    )
    goes = f"; to {', '.join(e.breached_to or e.to)}" if e.breached_to or e.to else ""
    return f"{e.id} {e.severity} {e.subject}: {e.cause} [{state}{goes}]"


@cli.command("ack")
@click.argument("escalation_id", metavar="ID")
@actor_option
@click.pass_obj
def ack_command(env: Env, escalation_id: str, actor: str | None) -> int:
    """Take an escalation up: answered in time if before its SLA."""
    factory = store.find_factory(env.cwd)
    escalations.acknowledge(
        factory, actor=acting_member(env.cwd, actor).id, escalation_id=escalation_id
    )
    emit(f"{escalation_id} acknowledged")
    return EXIT_OK


@cli.command("resolve")
@click.argument("escalation_id", metavar="ID")
@click.option("--resolution", required=True, metavar="TEXT", help="What was decided.")
@actor_option
@click.pass_obj
def resolve_command(env: Env, escalation_id: str, resolution: str, actor: str | None) -> int:
    """Close an escalation with what was decided."""
    factory = store.find_factory(env.cwd)
    escalations.resolve(
        factory,
        actor=acting_member(env.cwd, actor).id,
        escalation_id=escalation_id,
        resolution=resolution,
    )
    emit(f"{escalation_id} resolved")
    return EXIT_OK
