"""`fos drift`: what in the memory no longer matches the code."""

from __future__ import annotations

import json
from datetime import datetime

import click

from factory_os import clock, store
from factory_os.commands.options import Env, emit, format_option
from factory_os.errors import EXIT_FINDINGS, EXIT_OK
from factory_os.memory.drift import Drift, find_drift
from factory_os.work import status


def render(drift: list[Drift], output_format: str) -> str:
    if output_format == "json":
        rows = [
            {"kind": d.kind, "id": d.id, "path": d.path, "line": d.line, "reason": d.reason}
            for d in drift
        ]
        return json.dumps({"ok": not drift, "drift": rows}, indent=2) + "\n"
    if not drift:
        return "ok: nothing has drifted\n"
    count = len(drift)
    lines = [str(d) for d in drift] + [f"{count} item{'s' if count != 1 else ''} drifted"]
    return "\n".join(lines) + "\n"


@click.command("drift")
@format_option("text", "json")
@click.option(
    "--today",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    metavar="YYYY-MM-DD",
    help="Judge review_by dates as of this day (default: today, UTC).",
)
@click.pass_obj
def cli(env: Env, output_format: str, today: datetime | None) -> int:
    """Report what has gone stale in the factory's memory.

    \b
    - knowledge notes and decisions (not superseded) whose paths match no file
    - knowledge notes whose review_by date has passed
    - active rules whose scope.paths match no file (they guard nothing)
    - work items whose launch a new owner has not signed again, or whose
      maintenance is overdue by its cadence

    Files are those git sees in the work tree (tracked, or untracked and not
    ignored). Each item is printed as `path:line: kind id: reason`.
    Exit 1 when anything has drifted, so CI can ask for the memory to be
    tended; 0 when nothing has.
    """
    day = today.date() if today else clock.now().date()
    factory = store.find_factory(env.cwd)
    drift = find_drift(factory, today=day) + status.drift(factory)
    emit(render(drift, output_format))
    return EXIT_FINDINGS if drift else EXIT_OK
