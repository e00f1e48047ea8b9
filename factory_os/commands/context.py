"""`fos context`: the session-start bundle, as Markdown, JSON or a Claude Code hook answer."""

from __future__ import annotations

import json
from typing import Any

import click

from factory_os import store
from factory_os.commands.options import Env, emit, format_option, selection_options
from factory_os.context.bundle import ContextBundle, build_context
from factory_os.errors import EXIT_OK


def render(bundle: ContextBundle, output_format: str) -> str:
    if output_format == "json":
        return json.dumps(bundle.to_json(), indent=2, ensure_ascii=False) + "\n"
    if output_format == "claude":
        answer = {
            "hookSpecificOutput": {
                "hookEventName": "SessionStart",
                "additionalContext": bundle.text,
            }
        }
        return json.dumps(answer, ensure_ascii=False) + "\n"
    return bundle.text


@click.command("context")
@selection_options
@format_option("markdown", "json", "claude", default="markdown")
@click.pass_obj
def cli(env: Env, /, output_format: str, **selection: Any) -> int:
    """Print what an agent should know before it starts work.

    In order: the accepted DNA decisions; the active rules that bind the role
    and the paths (a rule binds when its scope names no role or this role, and
    no path or one of these paths), blocking ones first; the knowledge notes
    whose paths or tags match (roles count as tags; notes with neither concern
    everyone); the latest session digests (context.digests in factory.yaml);
    open items. Items are taken in that order while they fit the budget; the
    ones left out are listed by id, so they can be asked for.

    The output is deterministic: the same files give the same bytes. --format
    json adds the manifest (each item's id and sha256, and one hash over them)
    that `fos session start` records. --format claude prints the answer a
    Claude Code SessionStart hook expects (hooks/claude-settings.json).
    """
    emit(render(build_context(store.find_factory(env.cwd), **selection), output_format))
    return EXIT_OK
