"""`fos override grant|list|revoke`: a blocking rule lifted for one scope, for a while."""

from __future__ import annotations

import json

import click

from factory_os import clock, store
from factory_os.commands.options import Env, actor_option, emit, format_option
from factory_os.errors import EXIT_OK
from factory_os.rules.actor import acting_member
from factory_os.work import overrides


@click.group("override")
def cli() -> None:
    """Overrides: a recorded, justified, expiring exception to a rule.

    \b
    `fos check` (the hooks, the pull-request check, pre-receive) reports a
    finding an unexpired override covers as overridden, with who granted it,
    why and until when, and it does not block. An expired, revoked or
    out-of-scope override changes nothing.

    \b
    Time: an override expires at its grant time plus its TTL, both read from
    the clock of the machine that runs fos (FOS_NOW pins it). A check in CI
    uses the CI runner's clock: if that clock is behind, an override lasts
    longer there than it should; if ahead, it lapses early. The grant time is
    the granting machine's clock, so a skew there shifts the expiry alike.
    """


@cli.command("grant")
@click.option("--rule", "rule", required=True, metavar="R-...", help="The rule to lift.")
@click.option("--paths", multiple=True, metavar="GLOB", help="Findings on these paths.")
@click.option("--commit", metavar="REV", help="Findings of this commit.")
@click.option("--range", "revision_range", metavar="A..B", help="Findings of the commits A..B.")
@click.option("--run", metavar="RUN", help="Findings of checks made in this factory run.")
@click.option("--justification", required=True, metavar="TEXT", help="Why it may be broken.")
@click.option(
    "--ttl",
    metavar="DURATION",
    help="How long it lasts (90s, 30m, 2h, 1d); at most, and by default,"
    " governance.override_ttl_seconds.",
)
@actor_option
@click.pass_obj
def grant_command(
    env: Env,
    rule: str,
    paths: tuple[str, ...],
    commit: str | None,
    revision_range: str | None,
    run: str | None,
    justification: str,
    ttl: str | None,
    actor: str | None,
) -> int:
    """Grant an override; print its id and when it expires.

    Only a member holding an approver role for the rule grants one (a role
    accountable for governance in raci.yaml, or the rule's approver_roles),
    and never for a change of their own.
    """
    factory = store.find_factory(env.cwd)
    granted = overrides.grant(
        factory,
        actor=acting_member(env.cwd, actor).id,
        rule=rule,
        scope=overrides.Scope(paths, commit, revision_range, run),
        justification=justification,
        ttl_seconds=None if ttl is None else overrides.parse_ttl(ttl),
    )
    emit(f"{granted.id} (expires {granted.expires_at})")
    return EXIT_OK


@cli.command("list")
@click.option("--active", is_flag=True, help="Only those in force now.")
@format_option("text", "json")
@click.pass_obj
def list_command(env: Env, active: bool, output_format: str) -> int:
    """Overrides, soonest to expire first."""
    factory = store.find_factory(env.cwd)
    now = clock.now()
    rows = overrides.listing(factory, active=active, now=now)
    if output_format == "json":
        body = {"now": clock.stamp(now), "overrides": [s.to_json(now) for s in rows]}
        emit(json.dumps(body, indent=2) + "\n")
        return EXIT_OK
    lines = [
        f"{s.id} {s.override.rule} {s.override.scope}: {', '.join(s.override.targets)}"
        f" [{s.status(now)}, until {s.override.expires_at}, by {s.override.granted_by}]"
        f" {s.override.justification}"
        for s in rows
    ]
    emit("\n".join(lines) + "\n" if lines else "No overrides.\n")
    return EXIT_OK


@cli.command("revoke")
@click.argument("override_id", metavar="ID")
@actor_option
@click.pass_obj
def revoke_command(env: Env, override_id: str, actor: str | None) -> int:
    """Withdraw an override before it expires (its granter, or governance)."""
    factory = store.find_factory(env.cwd)
    overrides.revoke(factory, actor=acting_member(env.cwd, actor).id, override_id=override_id)
    emit(f"{override_id} revoked")
    return EXIT_OK
