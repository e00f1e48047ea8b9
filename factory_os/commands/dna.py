"""`fos dna list|show|add`: the face of `memory.dna`."""

from __future__ import annotations

import json

import click

from factory_os import store
from factory_os.commands._body import read_body
from factory_os.commands.options import Env, actor_option, emit, format_option
from factory_os.errors import EXIT_OK
from factory_os.memory.dna import add_decision, find_decision, list_decisions
from factory_os.model.dna import Decision, render_decision
from factory_os.rules.actor import acting_member


def _status(decision: Decision) -> str:
    if decision.status == "superseded":
        return f"superseded by {decision.superseded_by}"
    return decision.status


@click.group("dna")
def cli() -> None:
    """The architecture decisions of the factory (.factory/DNA.md).

    Each is a `## D-<id>: Title` section with a `Status:` line (proposed,
    accepted, or superseded by D-<id>). Edit DNA.md by hand to accept or
    supersede a decision; `fos validate` checks ids and supersede links.
    """


@cli.command("list")
@format_option("text", "json")
@click.pass_obj
def list_command(env: Env, output_format: str) -> int:
    """List the decisions: id, status, title."""
    decisions = list_decisions(store.find_factory(env.cwd))
    if output_format == "json":
        rows = [
            {"id": d.id, "status": d.status, "superseded_by": d.superseded_by, "title": d.title}
            for d in decisions
        ]
        emit(json.dumps({"decisions": rows}, indent=2, ensure_ascii=False) + "\n")
        return EXIT_OK
    width = max((len(_status(d)) for d in decisions), default=0)
    emit("".join(f"{d.id}  {_status(d):<{width}}  {d.title}\n" for d in decisions))
    return EXIT_OK


@cli.command("show")
@click.argument("decision_id", metavar="ID")
@format_option("text", "json")
@click.pass_obj
def show_command(env: Env, decision_id: str, output_format: str) -> int:
    """Print one decision as it reads in DNA.md."""
    decision = find_decision(store.find_factory(env.cwd), decision_id)
    if output_format == "json":
        emit(json.dumps(decision.model_dump(mode="json"), indent=2, ensure_ascii=False) + "\n")
    else:
        emit(render_decision(decision))
    return EXIT_OK


@cli.command("add")
@click.option("--title", required=True, help="One line: what is decided.")
@click.option(
    "--status",
    type=click.Choice(["proposed", "accepted"]),
    default="proposed",
    show_default=True,
    help="A new decision is proposed until someone with the authority accepts it.",
)
@click.option(
    "--paths",
    "paths",
    multiple=True,
    metavar="GLOB",
    help="A gitignore-style glob the decision concerns (repeatable).",
)
@click.option(
    "--body-file",
    metavar="FILE",
    help="Markdown prose: context, decision, consequences (`-` reads stdin).",
)
@actor_option
@click.pass_obj
def add_command(
    env: Env,
    title: str,
    status: str,
    paths: tuple[str, ...],
    body_file: str | None,
    actor: str | None,
) -> int:
    """Append a decision to DNA.md and print its id."""
    acting_member(env.cwd, actor)  # only a member of the team decides
    decision = add_decision(
        store.find_factory(env.cwd),
        title=title,
        status=status,
        paths=[p for item in paths for p in item.split(",")],
        body=read_body(env.cwd, body_file),
    )
    emit(decision.id)
    return EXIT_OK
