"""`fos context`: the session-start bundle, as Markdown, JSON or a Claude Code hook answer."""

from __future__ import annotations

import json
import os
from typing import Any

import click

from factory_os import store
from factory_os.commands import run_text
from factory_os.commands.options import Env, emit, examples, format_option, selection_options
from factory_os.context.bundle import ContextBundle, build_context
from factory_os.errors import EXIT_OK
from factory_os.work import runnames


def render(bundle: ContextBundle, output_format: str, run: dict[str, Any] | None = None) -> str:
    """BUNDLE in OUTPUT_FORMAT; with RUN, the factory run's part after it (not in the manifest)."""
    text = bundle.text + ("\n" + run_text.agent_context(run) if run else "")
    if output_format == "json":
        data = bundle.to_json()
        if run:
            data["run"] = run
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    if output_format == "claude":
        answer = {
            "hookSpecificOutput": {
                "hookEventName": "SessionStart",
                "additionalContext": text,
            }
        }
        return json.dumps(answer, ensure_ascii=False) + "\n"
    return text


@click.command(
    "context",
    epilog=examples(
        "fos context --role builder --paths 'src/**' --budget 4000",
        "fos context --member forge --format json",
        "fos context --run run_1a2b3c4d --member forge   # a factory run's task",
        "fos context --format claude                 # for Claude Code's SessionStart hook",
    ),
)
@selection_options
@click.option("--run", "run_id", metavar="RUN", help="Add a factory run: plan, task, gates.")
@click.option(
    "--task", metavar="TASK", help="With --run: the task (default: --member's briefings)."
)
@format_option("markdown", "json", "claude", default="markdown")
@click.pass_obj
def cli(
    env: Env,
    role: str | None,
    member: str | None,
    paths: tuple[str, ...],
    tags: tuple[str, ...],
    budget: int | None,
    run_id: str | None,
    task: str | None,
    output_format: str,
) -> int:
    """Print what an agent should know before it starts work.

    In order: the active rules that bind the role and the paths (a rule binds
    when its scope names no role or this role, and no path or one of these
    paths), blocking ones first; the accepted DNA decisions; open items; the
    knowledge notes whose paths or tags match (roles count as tags; notes with
    neither concern everyone); the latest session digests (context.digests in
    factory.yaml). Every blocking rule that binds is shown: when they alone
    exceed the budget, nothing is printed and the exit code is 1. The other
    items are taken in that order while they fit the budget; the ones left out
    are listed by id, so they can be asked for.

    The output is deterministic: the same files give the same bytes. --format
    json adds the manifest (each item's id and sha256, and one hash over them)
    that `fos session start` records. --format claude prints the answer a
    Claude Code SessionStart hook expects (hooks/claude-settings.json).

    --run RUN (or FOS_RUN) adds the factory run: its plan, the agent's task
    (--task, else the tasks --member has briefings for) with its briefing, the
    gates and the open escalations.
    """
    bundle = build_context(
        store.find_factory(env.cwd),
        role=role,
        member=member,
        paths=paths,
        tags=tags,
        budget=budget,
    )
    run = None
    if run_id or task or os.environ.get(runnames.ENV):
        from factory_os.work import runview  # the runs' modules: only for a run

        run = runview.agent_context(env.cwd, runnames.current_run(run_id), task=task, member=member)
    emit(render(bundle, output_format, run))
    return EXIT_OK
