"""`fos guard`: the face of `integrations.guard`."""

from __future__ import annotations

import json
import sys

import click

from factory_os.commands.options import Env, emit, examples
from factory_os.errors import EXIT_FINDINGS, EXIT_OK, EXIT_USAGE, UsageError
from factory_os.integrations.guard import answer_hook, decision, failure, guard_paths, reason


@click.command(
    "guard",
    epilog=examples(
        "fos guard --path src/app.py                 # may I write there? exit 1: no",
        "fos guard --path deploy/prod.yaml --role builder",
        "fos guard < pretooluse.json                 # as Claude Code's PreToolUse hook",
    ),
)
@click.option(
    "--path",
    "paths",
    multiple=True,
    metavar="PATH",
    help="A path about to be written (repeatable). Without it, read a Claude Code "
    "PreToolUse hook's JSON on standard input.",
)
@click.option(
    "--member",
    metavar="MEMBER",
    help="Who writes: a member id or email, which must be the member git's author"
    " identity is (default: FOS_ACTOR; none: that member).",
)
@click.option(
    "--role",
    metavar="ROLE",
    help="Judge the write as made in this role only (one the member holds).",
)
@click.pass_obj
def cli(env: Env, paths: tuple[str, ...], member: str | None, role: str | None) -> int:
    """Refuse a write that the member's role may not make (exit 1), else exit 0.

    Uses the same path-guard and append-only rules as the commit hook (the rules
    of HEAD plus those staged). As a Claude Code PreToolUse hook (matcher
    Write|Edit|MultiEdit|NotebookEdit, command `fos guard`), a refusal is a JSON
    "deny" decision with the reason, shown to the agent; the text a Write, Edit
    or MultiEdit would leave is checked against the forbidden-pattern rules
    (only the lines it adds); and a write that needs an approval (the agents'
    settings, the hook configuration, the team) is an "ask" decision, for the
    person at the keyboard. With --path, a write that needs an approval is
    allowed (exit 0) with a note on standard error. As a hook it fails closed:
    when it cannot judge the write, it denies it (exit 2) and says why.
    """
    if paths:
        verdict = guard_paths(env.cwd, list(paths), member=member, role=role)
        if verdict.findings:
            click.echo(f"fos guard: {reason(verdict.findings)}", err=True)
            return EXIT_FINDINGS
        if verdict.approvals:
            click.echo(f"fos guard: {reason(verdict.approvals, 'held for approval')}", err=True)
        return EXIT_OK
    try:
        try:
            payload = json.loads(sys.stdin.read() or "null")
        except ValueError as exc:
            raise UsageError(f"standard input is not the hook's JSON: {exc}") from None
        answer = answer_hook(payload, env.cwd, member=member, role=role)
    except Exception as exc:  # a write that cannot be judged is refused, never let through
        if env.debug:
            raise
        why = failure(exc)
        emit(json.dumps(decision("deny", why)))
        click.echo(f"fos guard: {why}", err=True)
        return EXIT_USAGE  # Claude Code blocks a tool call on exit code 2
    if answer is not None:
        emit(json.dumps(answer))
    return EXIT_OK
