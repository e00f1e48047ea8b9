"""`fos session start|end|list`: open a session with its context, close it with a digest."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import click

from factory_os import store
from factory_os.commands._body import read_body
from factory_os.commands.options import (
    Env,
    actor_option,
    emit,
    examples,
    format_option,
    note_left_out,
    selection_options,
)
from factory_os.context.sessions import digest_body, end_session, sessions, start_session
from factory_os.errors import EXIT_OK, UsageError
from factory_os.integrations import claude
from factory_os.rules.actor import acting_member

F = TypeVar("F", bound=Callable[..., Any])

hook_option = click.option(
    "--hook",
    type=click.Choice(["claude"]),
    help="Run as the agent's hook: read its JSON on standard input, answer in its"
    " format (`fos agents install claude` sets this up).",
)


def read_hook_payload() -> Any:
    try:
        return json.loads(sys.stdin.read() or "null")
    except ValueError as exc:
        raise UsageError(f"standard input is not the hook's JSON: {exc}") from None


@click.group(
    "session",
    epilog=examples(
        "fos session start --role builder --paths 'src/**'   # prints the session id first",
        'fos session end --session S-6b03ce7d5ba64f --done "..." --next "..."',
        "fos session list --open",
    ),
)
def cli() -> None:
    """Sessions of work: what an agent was shown, and what it left behind.

    `start` prints a session id and the context, and records in the ledger the
    manifest hash of what was shown. `end` writes the session's digest to
    .factory/digests/<id>.md, which the next `fos context` shows.
    """


@cli.command("start")
@selection_options
@actor_option
@hook_option
@format_option("text", "json")
@click.pass_obj
def start_command(
    env: Env, /, actor: str | None, hook: str | None, output_format: str, **selection: Any
) -> int:
    """Open a session: print its id (first line) and the context.

    The context is what `fos context` prints for the same options; the
    ledger's session.started event records its manifest hash, the role and
    the commit checked out, so `session end` can list the commits made since.
    With --hook claude, as Claude Code's SessionStart hook: the answer carries
    the context, and a session still open for the same Claude Code session
    (resumed, compacted) is kept rather than opened again.
    """
    who = acting_member(env.cwd, actor or selection["member"]).id
    factory = store.find_factory(env.cwd)
    if hook is not None:
        answer = claude.start_from_hook(factory, read_hook_payload(), actor=who, **selection)
        emit(json.dumps(answer, ensure_ascii=False) + "\n")
        note_left_out(env.cwd)
        return EXIT_OK
    opened = start_session(factory, actor=who, **selection)
    if output_format == "json":
        emit(json.dumps(opened.to_json(), indent=2, ensure_ascii=False) + "\n")
    else:
        emit(f"{opened.id}\n\n{opened.bundle.text}")
    note_left_out(env.cwd)
    return EXIT_OK


def _item(flag: str, name: str, section: str) -> Callable[[F], F]:
    return click.option(
        flag,
        name,
        multiple=True,
        metavar="TEXT",
        help=f"An item of the digest's '{section}' section (repeatable).",
    )


@cli.command("end")
@click.option("--session", "session_id", metavar="ID", help="The session's id.")
@hook_option
@click.option(
    "--digest-file",
    metavar="FILE",
    help="The digest's Markdown body, written by hand (`-` reads stdin); "
    "instead of the section options.",
)
@_item("--done", "done", "Done")
@_item("--not-done", "not_done", "Not done")
@_item("--decision", "decisions", "Decisions")
@_item("--pitfall", "pitfalls", "Pitfalls")
@_item("--next", "next", "Next")
@actor_option
@click.pass_obj
def end_command(
    env: Env,
    /,
    session_id: str | None,
    hook: str | None,
    digest_file: str | None,
    actor: str | None,
    **sections: tuple[str, ...],
) -> int:
    """Close a session: write its digest and print the digest's path.

    The digest's front matter (session, actor, role, start, end, the manifest
    hash recorded at start, the commits made since the start) is written by
    fos; the body comes from --digest-file or from the section options
    (--done, --not-done, --decision, --pitfall, --next; each repeatable).

    With --hook claude, as Claude Code's SessionEnd hook: the session its
    SessionStart hook opened, if the agent has not ended it, ends with a
    digest stub that says no digest was written.
    """
    if hook is not None:
        factory = store.find_factory(env.cwd)
        who = acting_member(env.cwd, actor).id
        ended = claude.end_from_hook(factory, read_hook_payload(), actor=who)
        if ended is not None:
            click.echo(f"fos: {ended}: the session ended without a digest", err=True)
            note_left_out(env.cwd)
        return EXIT_OK
    if session_id is None:
        raise UsageError("name the session: --session ID (see `fos session list --open`)")
    if digest_file is not None and any(sections.values()):
        raise UsageError("give either --digest-file or the section options, not both")
    body = read_body(env.cwd, digest_file) if digest_file is not None else digest_body(sections)
    rel, _entry = end_session(
        store.find_factory(env.cwd),
        session_id=session_id,
        actor=acting_member(env.cwd, actor).id,
        body=body,
    )
    emit(rel)
    note_left_out(env.cwd)
    return EXIT_OK


@cli.command("list")
@click.option("--open", "only_open", is_flag=True, help="Only sessions that never ended.")
@format_option("text", "json")
@click.pass_obj
def list_command(env: Env, only_open: bool, output_format: str) -> int:
    """List the sessions the ledger knows: id, state, actor, role, start."""
    records = [r for r in sessions(store.find_factory(env.cwd)) if not (only_open and r.ended)]
    if output_format == "json":
        emit(json.dumps({"sessions": [r.to_json() for r in records]}, indent=2) + "\n")
        return EXIT_OK
    lines = [
        f"{r.id}  {'ended' if r.ended else 'open '}  {r.started_at}  {r.actor}"
        + (f" as {r.role}" if r.role else "")
        for r in records
    ]
    emit("".join(line + "\n" for line in lines))
    return EXIT_OK
