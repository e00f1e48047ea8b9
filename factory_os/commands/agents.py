"""`fos agents install claude`: the agent's own hooks, which close the loop."""

from __future__ import annotations

import json

import click

from factory_os.commands.options import Env, emit, format_option
from factory_os.errors import EXIT_OK
from factory_os.integrations import claude


@click.group("agents")
def cli() -> None:
    """Connect coding agents to the factory through their own hooks."""


@cli.command("install")
@click.argument("agent", type=click.Choice(["claude"]))
@format_option("text", "json")
@click.pass_obj
def install(env: Env, agent: str, output_format: str) -> int:
    """Write the agent's hooks: for claude, into .claude/settings.json.

    SessionStart runs `fos session start --hook claude` (the agent is shown its
    context, and the ledger records the manifest of it), PreToolUse runs `fos
    guard` before every Write, Edit, MultiEdit or NotebookEdit, and SessionEnd
    runs `fos session end --hook claude` (a digest stub, unless the agent
    ended the session itself). The hooks run this installation of fos by its
    absolute path. The rest of the settings file is kept; installing again
    replaces our hooks and doubles nothing. The agent acts as the member
    whose email its git author identity has (set GIT_AUTHOR_NAME and
    GIT_AUTHOR_EMAIL in its environment); FOS_ROLE narrows its context to one role.

    \b
    EXAMPLES
      fos agents install claude
      git add .claude/settings.json && git commit -m "Claude Code runs the factory's hooks"
    """
    installed = claude.install(env.cwd)
    if output_format == "json":
        body = {
            "agent": agent,
            "path": str(installed.path),
            "changed": installed.changed,
            "command": installed.command,
        }
        emit(json.dumps(body, indent=2) + "\n")
    else:
        state = "written" if installed.changed else "already up to date"
        emit(f"{installed.path}: {state} (hooks run {installed.command})\n")
    return EXIT_OK
