"""`fos ledger log`: the face of `memory.ledger_log`."""

from __future__ import annotations

import json
from typing import Any

import click

from factory_os.commands.options import Env, emit, examples, format_option
from factory_os.errors import EXIT_FINDINGS, EXIT_OK
from factory_os.ledger import events
from factory_os.memory.ledger_log import actor_problems, log


def entry_json(entry: events.Entry) -> dict[str, Any]:
    return {
        "id": entry.id,
        "parents": list(entry.parents),
        "kind": entry.kind,
        "at": entry.at,
        "actor": entry.actor,
        "subject": entry.subject,
        "refs": [{"path": ref.path, "sha256": ref.sha256} for ref in entry.refs],
        "data": entry.data,
        "segment": entry.segment,
        "line": entry.line,
    }


@click.group(
    name="ledger",
    epilog=examples(
        "fos ledger log",
        "fos ledger log --kind rule                  # rule.added, rule.retired, ...",
        "fos ledger log --kind approval.granted --format json",
    ),
)
def cli() -> None:
    """Read the ledger: the hash-chained log of governance events (`fos verify` checks it)."""


@cli.command(name="log")
@click.option(
    "--kind",
    metavar="KIND",
    help="Only events of this kind (`rule.added`), or of this family (`rule`).",
)
@format_option("text", "json")
@click.pass_obj
def log_cmd(env: Env, kind: str | None, output_format: str) -> int:
    """Print the events, newest first.

    Text: one line each, `<id prefix> <at> <kind> <subject> <actor>`. JSON:
    {"entries": [{id, parents, kind, at, actor, subject, refs, data, segment, line}]}.
    """
    entries = log(cwd=env.cwd, kind=kind)
    problems = actor_problems(cwd=env.cwd, entries=entries)
    bad = {(p.path, p.line) for p in problems}
    if output_format == "json":
        emit(json.dumps({"entries": [entry_json(e) for e in entries]}, indent=2))
    elif entries:
        emit(
            "\n".join(
                f"{e.id[:12]}  {e.at}  {e.kind:<20}  {e.subject or '-':<12}"
                f"  {'?' if (e.segment, e.line) in bad else e.actor}"
                for e in entries
            )
        )
    for problem in problems:
        click.echo(f"{problem} (shown as ?; actors are member ids)", err=True)
    return EXIT_FINDINGS if problems else EXIT_OK
