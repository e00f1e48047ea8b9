"""`fos incident add|list|show`: the face of `memory.incidents`."""

from __future__ import annotations

import json
from pathlib import Path

import click

from factory_os import store
from factory_os.commands.options import (
    Env,
    actor_option,
    emit,
    examples,
    format_option,
    note_left_out,
)
from factory_os.errors import EXIT_OK
from factory_os.memory.incidents import add_incident, list_incidents, show_incident
from factory_os.model.vocabulary import INCIDENT_SEVERITIES


@click.group(
    name="incident",
    epilog=examples(
        'fos incident add --title "Refund lost a cent" --severity high \\',
        "    --body-file what-happened.md",
        "fos incident list --format json",
        "fos incident show INC-81c0d4",
    ),
)
def cli() -> None:
    """Record what went wrong; every incident should become a rule (`fos rule add
    --from-incident ID`). Incident files are append-only: never edited once recorded."""


@cli.command(name="add")
@click.option("--title", required=True, help="One line: what went wrong.")
@click.option(
    "--severity", required=True, type=click.Choice(INCIDENT_SEVERITIES), help="How bad it was."
)
@click.option("--summary", default="", help="A few sentences for listings and context.")
@click.option(
    "--body-file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Markdown narrative. With `## ` headings it is used as it is; otherwise it"
    " becomes the 'What happened' section.",
)
@actor_option
@click.pass_obj
def add_cmd(
    env: Env,
    title: str,
    severity: str,
    summary: str,
    body_file: Path | None,
    actor: str | None,
) -> int:
    """Record an incident in .factory/incidents/ and the ledger; print its id."""
    narrative = None
    if body_file is not None:
        body_file = body_file if body_file.is_absolute() else env.cwd / body_file
        narrative = store.read_text(body_file, str(body_file))
    incident_id = add_incident(
        cwd=env.cwd,
        title=title,
        severity=severity,
        summary=summary,
        narrative=narrative,
        actor=actor,
    )
    emit(incident_id)
    note_left_out(env.cwd)
    return EXIT_OK


@cli.command(name="list")
@format_option("text", "json")
@click.pass_obj
def list_cmd(env: Env, output_format: str) -> int:
    """List the incidents, oldest first.

    JSON: {"incidents": [{id, title, severity, summary, created_at, created_by, path}]}.
    """
    incidents = list_incidents(cwd=env.cwd)
    if output_format == "json":
        items = [{k: v for k, v in i.to_json().items() if k != "body"} for i in incidents]
        emit(json.dumps({"incidents": items}, indent=2))
    elif incidents:
        fronts = [i.front for i in incidents]
        emit(
            "\n".join(
                f"{f.id}  {f.severity:<8}  {f.created_at:%Y-%m-%d}  {f.title}" for f in fronts
            )
        )
    return EXIT_OK


@cli.command(name="show")
@click.argument("incident_id", metavar="ID")
@format_option("text", "json")
@click.pass_obj
def show_cmd(env: Env, incident_id: str, output_format: str) -> int:
    """Print one incident: its file as written, or JSON (front matter, path, body)."""
    incident = show_incident(cwd=env.cwd, incident_id=incident_id)
    emit(json.dumps(incident.to_json(), indent=2) if output_format == "json" else incident.text)
    return EXIT_OK
