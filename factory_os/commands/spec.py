"""`fos spec new|status|evidence|advance|transfer|maintain|retire`: work items."""

from __future__ import annotations

import json
from pathlib import Path

import click

from factory_os import store
from factory_os.commands.options import Env, actor_option, emit, format_option
from factory_os.errors import EXIT_FINDINGS, EXIT_OK
from factory_os.work import lifecycle, render, specs, status
from factory_os.work.specs import NewSpec


def _out(output_format: str, value: object, text: str) -> None:
    emit(json.dumps(value, indent=2) + "\n" if output_format == "json" else text)


@click.group("spec")
def cli() -> None:
    """Work items (an agent or a feature) moving through the lifecycle's gates."""


@cli.command("new")
@click.option("--title", required=True)
@click.option("--owner", required=True, metavar="MEMBER")
@click.option("--sponsor", required=True, metavar="MEMBER")
@click.option("--builder", metavar="MEMBER")
@click.option("--reviewer", metavar="MEMBER")
@click.option("--safety-lead", metavar="MEMBER")
@click.option("--risk", type=click.Choice(["low", "high"]), default="high", show_default=True)
@click.option("--kind", type=click.Choice(["agent", "feature"]), default="agent", show_default=True)
@click.option("--cost-ceiling", metavar="TEXT", help="e.g. '200 USD/month'.")
@click.option("--platform", "platforms", multiple=True, metavar="P", help="Repeatable.")
@click.option("--reason", help="Low risk only: why one member holds two roles that may share.")
@actor_option
@format_option("text", "json")
@click.pass_context
def new_command(ctx: click.Context, /, **fields: str | None) -> int:
    """Create a work item at the lifecycle's first stage; print its id."""
    env: Env = ctx.obj
    output_format, actor = fields.pop("output_format") or "text", fields.pop("actor")
    spec = NewSpec(**{**fields, "platforms": tuple(ctx.params["platforms"])})  # type: ignore[arg-type]
    spec_id = specs.new_spec(store.find_factory(env.cwd), spec, actor=actor)
    _out(output_format, {"id": spec_id}, f"{spec_id}\n")
    return EXIT_OK


@cli.command("status")
@click.argument("spec_id", metavar="[ID]", required=False)
@format_option("text", "json")
@click.pass_obj
def status_command(env: Env, spec_id: str | None, output_format: str) -> int:
    """One item's stage and next gate's checklist; without ID, a table of all items."""
    found = status.status(store.find_factory(env.cwd), spec_id)
    value = [render.status_json(s) for s in found]
    if spec_id is not None:
        _out(output_format, value[0], render.status_text(found[0]))
    else:
        _out(output_format, {"items": value}, render.table_text(found))
    return EXIT_OK


@cli.command("evidence")
@click.argument("spec_id", metavar="ID")
@click.option("--stage", required=True)
@click.option("--file", "file", type=click.Path(path_type=Path), help="Default: the stored file.")
@click.option("--kind", "name", help="Which evidence, when the stage takes several.")
@click.option("--platform", help="For evidence kept per platform.")
@actor_option
@format_option("text", "json")
@click.pass_obj
def evidence_command(
    env: Env,
    /,
    spec_id: str,
    stage: str,
    file: Path | None,
    name: str | None,
    platform: str | None,
    actor: str | None,
    output_format: str,
) -> int:
    """Validate a stage's evidence, store it and record its digest (exit 3 when invalid)."""
    done = lifecycle.record_evidence(
        store.find_factory(env.cwd),
        spec_id,
        stage=stage,
        file=None if file is None else env.cwd / file,
        name=name,
        platform=platform,
        actor=actor,
    )
    short = [s.message for s in done.shortfalls]
    value = {"entry": done.entry, "path": done.path, "figures": done.figures, "shortfalls": short}
    text = f"recorded {done.path}\n" + "".join(f"  below threshold: {s}\n" for s in short)
    _out(output_format, value, text)
    return EXIT_OK


@cli.command("advance")
@click.argument("spec_id", metavar="ID")
@actor_option
@format_option("text", "json")
@click.pass_obj
def advance_command(env: Env, spec_id: str, actor: str | None, output_format: str) -> int:
    """Pass the gate when its checklist holds; exit 1 with the checklist otherwise."""
    result = lifecycle.advance(store.find_factory(env.cwd), spec_id, actor=actor)
    gate = result.gate
    head = {
        "advanced": f"{spec_id}: {gate.stage} -> {gate.to}",
        "returned": f"{spec_id}: sent back from {gate.stage} to {gate.returns_to}",
        "held": f"{spec_id}: the {gate.stage} gate does not hold",
    }[result.outcome]
    text = "\n".join([head, *render.checklist_text(gate)]) + "\n"
    value = {"outcome": result.outcome, "entry": result.entry, **render.checklist_json(gate)}
    _out(output_format, value, text)
    return EXIT_OK if result.outcome == "advanced" else EXIT_FINDINGS


@cli.command("transfer")
@click.argument("spec_id", metavar="ID")
@click.option("--to", "to", required=True, metavar="MEMBER")
@click.option("--reason", required=True)
@click.option("--role", help="Default: the owner (lifecycle.yaml owner_role).")
@actor_option
@format_option("text", "json")
@click.pass_obj
def transfer_command(
    env: Env,
    /,
    spec_id: str,
    to: str,
    reason: str,
    role: str | None,
    actor: str | None,
    output_format: str,
) -> int:
    """Give the item's owner (or another role) to another member."""
    factory = store.find_factory(env.cwd)
    entry = specs.transfer(factory, spec_id, to=to, reason=reason, role=role, actor=actor)
    value = {"id": spec_id, "entry": entry, "role": role or "owner", "to": to}
    _out(output_format, value, f"{spec_id}: {role or 'owner'} is now {to}\n")
    return EXIT_OK


@cli.command("maintain")
@click.argument("spec_id", metavar="ID")
@click.option("--file", "file", required=True, type=click.Path(path_type=Path))
@actor_option
@format_option("text", "json")
@click.pass_obj
def maintain_command(
    env: Env, spec_id: str, file: Path, actor: str | None, output_format: str
) -> int:
    """Record a maintenance log (re-evaluation) for an item at its recurring stage."""
    factory = store.find_factory(env.cwd)
    done = lifecycle.log_maintenance(factory, spec_id, file=env.cwd / file, actor=actor)
    value = {"id": spec_id, "entry": done.entry, "path": done.path}
    _out(output_format, value, f"recorded {done.path}\n")
    return EXIT_OK


@cli.command("retire")
@click.argument("spec_id", metavar="ID")
@click.option("--reason", required=True)
@actor_option
@format_option("text", "json")
@click.pass_obj
def retire_command(
    env: Env, spec_id: str, reason: str, actor: str | None, output_format: str
) -> int:
    """Retire the item: its retirement record; only its owner may."""
    entry = specs.retire(store.find_factory(env.cwd), spec_id, reason=reason, actor=actor)
    _out(output_format, {"id": spec_id, "entry": entry}, f"{spec_id}: retired\n")
    return EXIT_OK
