"""`fos sweep`: what needs a person now; the command a scheduled CI job runs."""

from __future__ import annotations

import json

import click

from factory_os import store
from factory_os.commands.options import Env, actor_option, emit, format_option
from factory_os.errors import EXIT_FINDINGS, EXIT_OK
from factory_os.rules.actor import acting_member
from factory_os.rules.render import _escape_data, _escape_property
from factory_os.work.sweep import SweepItem, SweepReport, sweep


@click.command("sweep")
@actor_option
@format_option("text", "json", "github")
@click.pass_obj
def cli(env: Env, actor: str | None, output_format: str) -> int:
    """Report what needs a person; exit 1 when anything does.

    \b
    - escalations past their SLA: records escalation.breached once for each,
      and it goes to the members accountable for governance (raci.yaml);
    - overrides that expired: records override.expired once for each;
    - sessions started over a day ago and never ended;
    - knowledge due for review; notes and decisions whose paths match no file.

    A second sweep writes nothing new. The entries it records are in the
    work tree's ledger: commit them (the example workflow next to action.yml
    does). Time is this machine's clock (FOS_NOW pins it).
    """
    factory = store.find_factory(env.cwd)
    report = sweep(factory, actor=acting_member(env.cwd, actor).id)
    emit({"text": text, "json": as_json, "github": github}[output_format](report))
    return EXIT_FINDINGS if report.attention else EXIT_OK


def text(report: SweepReport) -> str:
    lines = [_line(item) for item in report.items]
    needs = len(report.attention)
    lines.append(
        f"{needs} item{'s' if needs != 1 else ''} need{'s' if needs == 1 else ''} a person;"
        f" {report.written} event{'s' if report.written != 1 else ''} recorded ({report.now})"
    )
    return "\n".join(lines) + "\n"


def _line(item: SweepItem) -> str:
    where = f"{_location(item)}: " if item.path else ""
    recorded = " [recorded]" if item.recorded else ""
    return f"{where}{item.kind} {item.id}: {item.message}{recorded}"


def _location(item: SweepItem) -> str:
    """PATH:LINE, or PATH alone for an item about a whole file."""
    return f"{item.path}:{item.line}" if item.line is not None else f"{item.path}"


def as_json(report: SweepReport) -> str:
    body = {
        "now": report.now,
        "attention": len(report.attention),
        "written": report.written,
        "items": [item.to_json() for item in report.items],
    }
    return json.dumps(body, indent=2) + "\n"


def github(report: SweepReport) -> str:
    """Workflow commands: each item an annotation of the scheduled run."""
    lines = []
    for item in report.items:
        command = "error" if item.attention else "notice"
        where = ""
        if item.path:
            where = f"file={_escape_property(item.path)},"
            where += f"line={item.line}," if item.line is not None else ""
        title = _escape_property(f"{item.kind} {item.id}")
        lines.append(f"::{command} {where}title={title}::{_escape_data(item.message)}")
    return "\n".join(lines) + ("\n" if lines else "")
