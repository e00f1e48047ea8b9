"""`fos guard`: would this write break a path rule? For editors and agent hooks.

It applies the same path-guard (and append-only) rules as the commit hook, to a
write that has not happened yet. With `--path` it answers by exit code (0
allowed, 1 refused, with one line saying why). Without `--path` it reads a
Claude Code PreToolUse hook's JSON from standard input and answers in that
hook's format: a refusal is `hookSpecificOutput.permissionDecision: "deny"` with
the reason; an allowed write prints nothing, so Claude Code's own permission
rules still decide (an "allow" would skip the user's prompt).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from factory_os.commands.options import Env
from factory_os.errors import EXIT_FINDINGS, EXIT_OK, UsageError
from factory_os.rules import Finding, check_paths

PATH_KEYS = ("file_path", "notebook_path", "path")


def reason(findings: list[Finding]) -> str:
    first = findings[0]
    more = f" (and {len(findings) - 1} more)" if len(findings) > 1 else ""
    return f"refused by {first.rule_id}: {first.message}{more}"


def paths_from_hook(payload: Any) -> tuple[list[str], Path | None]:
    """The paths a PreToolUse hook's tool call would write, and the session's cwd."""
    if not isinstance(payload, dict):
        raise UsageError("expected a JSON object from the hook on standard input")
    tool_input = payload.get("tool_input") or {}
    if not isinstance(tool_input, dict):
        raise UsageError("tool_input in the hook's JSON is not an object")
    paths = [str(tool_input[k]) for k in PATH_KEYS if isinstance(tool_input.get(k), str)]
    cwd = payload.get("cwd")
    return paths, Path(cwd) if isinstance(cwd, str) and cwd else None


def guard(cwd: Path, *, paths: list[str], member: str | None, role: str | None) -> list[Finding]:
    absolute = [p if Path(p).is_absolute() else str(cwd / p) for p in paths]
    findings = check_paths(cwd, member=member, role=role, paths=absolute)
    return [f for f in findings if f.blocking]


@click.command("guard")
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
    help="Who writes: member id or email (default: FOS_ACTOR, then git's user.email).",
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
    "deny" decision with the reason, shown to the agent.
    """
    if paths:
        findings = guard(env.cwd, paths=list(paths), member=member, role=role)
        if findings:
            click.echo(f"fos guard: {reason(findings)}", err=True)
            return EXIT_FINDINGS
        return EXIT_OK
    try:
        payload = json.loads(sys.stdin.read() or "null")
    except ValueError as exc:
        raise UsageError(f"standard input is not the hook's JSON: {exc}") from None
    hook_paths, hook_cwd = paths_from_hook(payload)
    if not hook_paths:
        return EXIT_OK  # a tool call that writes no file
    cwd = hook_cwd if hook_cwd is not None and hook_cwd.is_dir() else env.cwd
    findings = guard(cwd, paths=hook_paths, member=member, role=role)
    if findings:
        decision = {
            "hookSpecificOutput": {
                "hookEventName": "PreToolUse",
                "permissionDecision": "deny",
                "permissionDecisionReason": reason(findings),
            }
        }
        click.echo(json.dumps(decision))
    return EXIT_OK
