"""`fos rule add|supersede|retire|list|show`: the face of `memory.rule_life`."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

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
from factory_os.memory import rule_life
from factory_os.memory.rule_life import RuleView
from factory_os.model.vocabulary import CHECK_KINDS, RULE_SEVERITIES, RULE_STAGES

F = TypeVar("F", bound=Callable[..., Any])


@click.group(
    name="rule",
    epilog=examples(
        'fos rule add --from-incident INC-81c0d4 --title "No float for money" \\',
        '    --statement "Never use float() in payment code." \\',
        "    --kind forbidden-pattern --pattern '\\bfloat\\(' --path 'src/'",
        "fos rule list --format json",
        "fos rule show R-3f9a2c",
        'fos rule retire R-3f9a2c --reason "replaced by the money type"   # needs an approval',
        "fos rule supersede R-3f9a2c --by R-7d1e0b",
    ),
)
def cli() -> None:
    """Add rules and run their life: superseded or retired, never edited or deleted."""


def _multiple(name: str, help_text: str) -> Callable[[F], F]:
    return click.option(name, multiple=True, metavar="VALUE", help=help_text)


@cli.command(name="add")
@click.option(
    "--file",
    "file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="A rule document without id and timestamps (schema: rule-draft).",
)
@click.option("--title", help="Short name of the rule.")
@click.option("--statement", help="The imperative sentence an agent is shown.")
@click.option("--rationale", help="Why the rule exists.")
@click.option("--severity", type=click.Choice(RULE_SEVERITIES), help="Default: block.")
@click.option("--kind", type=click.Choice(CHECK_KINDS), help="What checks it. Default: manual.")
@_multiple("--role", "Scope: a role the rule binds (repeat; none: everyone).")
@_multiple("--path", "Scope: a gitignore-style glob (repeat; none: every path).")
@_multiple("--exclude", "Scope: a glob left out (repeat).")
@_multiple("--stage", f"Where it runs: {', '.join(RULE_STAGES)} (repeat; default all).")
@click.option("--pattern", help="forbidden-pattern / required-trailer: an RE2 expression.")
@_multiple("--approver-role", "approval-required: a role that may approve (repeat).")
@click.option("--trailer", help="approval-required: the trailer naming the approver.")
@click.option("--key", help="required-trailer: the trailer key.")
@click.option("--run", help="command: the shell command to run.")
@click.option("--timeout", type=int, help="command: seconds before it fails.")
@click.option("--from-incident", "from_incident", metavar="ID", help="The incident it comes from.")
@click.option(
    "--from-decision", "from_decision", metavar="ID", help="The DNA decision it comes from."
)
@actor_option
@click.pass_obj
def add_cmd(
    env: Env,
    /,
    file: Path | None,
    from_incident: str | None,
    from_decision: str | None,
    actor: str | None,
    **options: Any,
) -> int:
    """Append a rule from --file or from options; print its id.

    The rule comes from an incident (--from-incident, which then lists the rule
    under its resulting rules) or a decision of DNA.md (--from-decision). An
    invalid rule, a role roles.yaml does not define, or an unknown incident or
    decision exits 3 with path:line and writes nothing.
    """
    if file is not None and not file.is_absolute():
        file = env.cwd / file
    emit(
        rule_life.add_rule(
            cwd=env.cwd,
            from_incident=from_incident,
            from_decision=from_decision,
            file=file,
            options=options,
            actor=actor,
        )
    )
    note_left_out(env.cwd)
    return EXIT_OK


@cli.command(name="supersede")
@click.argument("rule_id", metavar="ID")
@click.option("--by", "by", required=True, metavar="ID", help="The rule that replaces it.")
@actor_option
@click.pass_obj
def supersede_cmd(env: Env, rule_id: str, by: str, actor: str | None) -> int:
    """Record in the ledger that rule ID is replaced by another (its file is not touched)."""
    rule_life.supersede_rule(cwd=env.cwd, rule_id=rule_id, by=by, actor=actor)
    note_left_out(env.cwd)
    return EXIT_OK


@cli.command(name="retire")
@click.argument("rule_id", metavar="ID")
@click.option("--reason", required=True, help="Why it no longer applies.")
@actor_option
@click.pass_obj
def retire_cmd(env: Env, rule_id: str, reason: str, actor: str | None) -> int:
    """Record in the ledger that rule ID no longer applies (its file is not touched)."""
    rule_life.retire_rule(cwd=env.cwd, rule_id=rule_id, reason=reason, actor=actor)
    note_left_out(env.cwd)
    return EXIT_OK


@cli.command(name="list")
@format_option("text", "json")
@click.pass_obj
def list_cmd(env: Env, output_format: str) -> int:
    """List the rules of .factory/rules/ with their effective status from the ledger.

    JSON: {"rules": [rule fields, with status and superseded_by as the ledger says, and path]}.
    """
    views = rule_life.list_rules(cwd=env.cwd)
    if output_format == "json":
        emit(json.dumps({"rules": [view.to_json() for view in views]}, indent=2))
    elif views:
        emit("\n".join(_line(view) for view in views))
    return EXIT_OK


def _status(view: RuleView) -> str:
    status = f"superseded by {view.superseded_by}" if view.superseded_by else view.status
    return status if view.recorded else f"{status} (unrecorded)"


def _line(view: RuleView) -> str:
    rule = view.rule
    return (
        f"{rule.id}  {_status(view):<10}  {rule.severity:<5}  {rule.check.kind:<17}  {rule.title}"
    )


@cli.command(name="show")
@click.argument("rule_id", metavar="ID")
@format_option("text", "json")
@click.pass_obj
def show_cmd(env: Env, rule_id: str, output_format: str) -> int:
    """Print one rule: its file, and its status from the ledger."""
    view = rule_life.show_rule(cwd=env.cwd, rule_id=rule_id)
    if output_format == "json":
        emit(json.dumps(view.to_json(), indent=2))
    else:
        factory = store.find_factory(env.cwd)
        text = store.read_text(factory.root / view.path, view.path)
        status = _status(view)
        emit(f"{text.rstrip()}\n# status in the ledger: {status}\n")
    return EXIT_OK
