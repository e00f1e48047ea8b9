"""`fos rule add|supersede|retire|list|show`: the life of a rule.

A rule file, `.factory/rules/<R-hex>.yaml`, is written once with its
`rule.added` ledger entry and never rewritten. Superseding and retiring it are
ledger events only; its effective status is read back from the ledger
(`ledger.rule_states`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import click
from pydantic import ValidationError

from factory_os import clock, store
from factory_os.commands.incident import incident_path
from factory_os.commands.options import Env, emit, format_option
from factory_os.errors import EXIT_OK, InvalidInput, Problem, UsageError
from factory_os.ids import new_id
from factory_os.ledger import events
from factory_os.model.common import INCIDENT_ID, RULE_ID
from factory_os.model.rule import Rule, RuleDraft
from factory_os.model.vocabulary import CHECK_KINDS, RULE_SEVERITIES, RULE_STAGES
from factory_os.rules.actor import resolve_actor
from factory_os.store import Factory

F = TypeVar("F", bound=Callable[..., Any])
RULES_DIR = "rules"
# the status of a rule file that no ledger entry added (written by hand)
UNRECORDED = ("unrecorded", None)


@dataclass(frozen=True)
class RuleView:
    """A rule file and its effective status from the ledger."""

    rule: Rule
    path: str
    status: str
    superseded_by: str | None

    def to_json(self) -> dict[str, Any]:
        values = self.rule.model_dump(mode="json")
        values.update(status=self.status, superseded_by=self.superseded_by, path=self.path)
        return values


def rule_path(factory: Factory, rule_id: str) -> Path:
    return factory.dir / RULES_DIR / f"{rule_id}.yaml"


def add_rule(
    *,
    cwd: Path,
    from_incident: str | None,
    file: Path | None = None,
    options: dict[str, Any] | None = None,
    actor: str | None = None,
) -> str:
    """Write a new rule from FILE (a RuleDraft) or OPTIONS, and its ledger entry; its id."""
    factory = store.find_factory(cwd)
    given = {k: v for k, v in (options or {}).items() if v not in (None, (), [], "")}
    if file is not None and given:
        raise UsageError(f"--file or rule options, not both (got {', '.join(sorted(given))})")
    if from_incident is None:
        raise UsageError(
            "missing option --from-incident ID: every rule names its origin, an incident"
            " or a pack (`fos init --pack`), and a rule added by hand comes from an"
            " incident; record it first with `fos incident add`"
        )
    if file is not None:
        draft = store.validate(RuleDraft, store.load_yaml(file, _shown(file, cwd)))
    else:
        draft = _draft_from_options(given)
    incident = incident_path(factory, from_incident)
    if re.match(INCIDENT_ID, from_incident) is None or not incident.is_file():
        raise InvalidInput.one(factory.rel(incident), 0, f"no incident {from_incident}")
    if from_incident not in events.recorded(factory, "incident.recorded"):
        raise InvalidInput.one(
            factory.rel(incident),
            0,
            f"incident {from_incident} is not recorded in the ledger (run `fos verify`)",
        )
    who = resolve_actor(cwd, actor)
    rule_id = new_id("R", lambda c: rule_path(factory, c).exists())
    rule = Rule.model_validate(
        {
            **draft.model_dump(),
            "id": rule_id,
            "origin": from_incident,
            "created_at": clock.now(),
            "created_by": who,
        }
    )
    path = rule_path(factory, rule_id)
    values = rule.model_dump(mode="json", exclude_none=True)
    values["created_at"] = rule.created_at.isoformat().replace("+00:00", "Z")
    text = store.dump_yaml(values, schema=store.schema_ref(path, factory, "rule"))
    events.record_file(
        factory,
        path,
        text,
        kind="rule.added",
        actor=who,
        subject=rule_id,
        data={"origin": from_incident, "severity": rule.severity, "check": rule.check.kind},
    )
    return rule_id


def _shown(path: Path, cwd: Path) -> str:
    try:
        return path.resolve().relative_to(cwd.resolve()).as_posix()
    except ValueError:
        return str(path)


# option name -> where it goes in a RuleDraft
_SCOPE = {"role": "roles", "path": "paths", "exclude": "exclude"}
_CHECK = {
    "kind": "kind",
    "pattern": "pattern",
    "approver_role": "approver_roles",
    "trailer": "trailer",
    "key": "key",
    "run": "run",
    "timeout": "timeout",
}


def _draft_from_options(given: dict[str, Any]) -> RuleDraft:
    if not given.get("title") or not given.get("statement"):
        raise UsageError("pass --file RULE.yaml, or at least --title and --statement")
    values: dict[str, Any] = {
        k: given[k] for k in ("title", "statement", "rationale", "severity") if k in given
    }
    if given.get("stage"):
        values["stages"] = list(given["stage"])
    scope = {_SCOPE[k]: list(given[k]) for k in _SCOPE if k in given}
    if scope:
        values["scope"] = scope
    check = {_CHECK[k]: given[k] for k in _CHECK if k in given}
    check["kind"] = given.get("kind", "manual")
    for key in ("approver_roles",):
        if key in check:
            check[key] = list(check[key])
    values["check"] = check
    try:
        return RuleDraft.model_validate(values)
    except ValidationError as exc:
        problems = []
        for error in exc.errors(include_url=False):
            where = ".".join(str(part) for part in error["loc"])
            problems.append(Problem("<options>", 0, f"{where}: {error['msg']}"))
        raise InvalidInput(problems) from None


def load_rule(factory: Factory, path: Path) -> Rule:
    rel = factory.rel(path)
    doc = store.load_yaml(path, rel)
    rule = store.validate(Rule, doc)
    if rule.id != path.stem:
        raise InvalidInput.one(rel, doc.line_of(("id",)), f"id {rule.id} is not the file's name")
    return rule


def list_rules(*, cwd: Path) -> list[RuleView]:
    """Every rule of .factory/rules/ with its effective status, by id."""
    factory = store.find_factory(cwd)
    rules, problems = [], []
    for path in sorted((factory.dir / RULES_DIR).glob("*.yaml")):
        try:
            rules.append((load_rule(factory, path), factory.rel(path)))
        except InvalidInput as exc:
            problems.extend(exc.problems)
    if problems:
        raise InvalidInput(problems)
    states = events.rule_states(factory)
    return [RuleView(rule, rel, *states.get(rule.id, UNRECORDED)) for rule, rel in rules]


def show_rule(*, cwd: Path, rule_id: str) -> RuleView:
    factory = store.find_factory(cwd)
    path = _existing(factory, rule_id)
    rule = load_rule(factory, path)
    status, by = events.rule_states(factory).get(rule.id, UNRECORDED)
    return RuleView(rule, factory.rel(path), status, by)


def _existing(factory: Factory, rule_id: str) -> Path:
    path = rule_path(factory, rule_id)
    if re.match(RULE_ID, rule_id) is None or not path.is_file():
        raise InvalidInput.one(factory.rel(path), 0, f"no rule {rule_id}")
    return path


def _require_active(*rule_ids: str) -> Callable[[Factory], None]:
    """A check, run under the ledger's lock, that every one of RULE_IDS is recorded
    and active, so two concurrent supersede or retire cannot both succeed."""

    def check(factory: Factory) -> None:
        states = events.rule_states(factory)
        for rule_id in rule_ids:
            status, by = states.get(rule_id, UNRECORDED)
            if status != "active":
                rel = factory.rel(rule_path(factory, rule_id))
                what = f"already {status}" if status != "unrecorded" else status
                detail = (
                    " (no ledger entry added it; run `fos verify`)"
                    if status == "unrecorded"
                    else (f" by {by}" if by else "")
                )
                raise InvalidInput.one(rel, 0, f"{rule_id} is {what}{detail}")

    return check


def supersede_rule(*, cwd: Path, rule_id: str, by: str, actor: str | None = None) -> str:
    """Record that BY replaces RULE_ID; the ledger entry's id."""
    factory = store.find_factory(cwd)
    _existing(factory, rule_id)
    _existing(factory, by)
    if by == rule_id:
        raise UsageError("a rule cannot supersede itself")
    who = resolve_actor(cwd, actor)
    return events.append(
        factory,
        kind="rule.superseded",
        actor=who,
        subject=rule_id,
        data={"by": by},
        unless=_require_active(rule_id, by),
    )


def retire_rule(*, cwd: Path, rule_id: str, reason: str, actor: str | None = None) -> str:
    """Record that RULE_ID no longer applies, and why; the ledger entry's id."""
    factory = store.find_factory(cwd)
    _existing(factory, rule_id)
    if not reason.strip():
        raise UsageError("--reason must say why the rule is retired")
    who = resolve_actor(cwd, actor)
    return events.append(
        factory,
        kind="rule.retired",
        actor=who,
        subject=rule_id,
        data={"reason": reason.strip()},
        unless=_require_active(rule_id),
    )


# -- command line -----------------------------------------------------------


@click.group(name="rule")
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
@click.option("--actor", help="Member adding it (default: FOS_ACTOR, then git user.email).")
@click.pass_obj
def add_cmd(
    env: Env,
    file: Path | None,
    title: str | None,
    statement: str | None,
    rationale: str | None,
    severity: str | None,
    kind: str | None,
    role: tuple[str, ...],
    path: tuple[str, ...],
    exclude: tuple[str, ...],
    stage: tuple[str, ...],
    pattern: str | None,
    approver_role: tuple[str, ...],
    trailer: str | None,
    key: str | None,
    run: str | None,
    timeout: int | None,
    from_incident: str | None,
    actor: str | None,
) -> int:
    """Append a rule from --file or from options; print its id.

    The rule comes from an incident (--from-incident). An invalid rule or an
    unknown incident exits 3 with path:line and writes nothing.
    """
    if file is not None and not file.is_absolute():
        file = env.cwd / file
    options = {
        "title": title,
        "statement": statement,
        "rationale": rationale,
        "severity": severity,
        "kind": kind,
        "role": role,
        "path": path,
        "exclude": exclude,
        "stage": stage,
        "pattern": pattern,
        "approver_role": approver_role,
        "trailer": trailer,
        "key": key,
        "run": run,
        "timeout": timeout,
    }
    rule_id = add_rule(
        cwd=env.cwd, from_incident=from_incident, file=file, options=options, actor=actor
    )
    emit(rule_id)
    return EXIT_OK


@cli.command(name="supersede")
@click.argument("rule_id", metavar="ID")
@click.option("--by", "by", required=True, metavar="ID", help="The rule that replaces it.")
@click.option("--actor", help="Member recording it.")
@click.pass_obj
def supersede_cmd(env: Env, rule_id: str, by: str, actor: str | None) -> int:
    """Record in the ledger that rule ID is replaced by another (its file is not touched)."""
    supersede_rule(cwd=env.cwd, rule_id=rule_id, by=by, actor=actor)
    return EXIT_OK


@cli.command(name="retire")
@click.argument("rule_id", metavar="ID")
@click.option("--reason", required=True, help="Why it no longer applies.")
@click.option("--actor", help="Member recording it.")
@click.pass_obj
def retire_cmd(env: Env, rule_id: str, reason: str, actor: str | None) -> int:
    """Record in the ledger that rule ID no longer applies (its file is not touched)."""
    retire_rule(cwd=env.cwd, rule_id=rule_id, reason=reason, actor=actor)
    return EXIT_OK


@cli.command(name="list")
@format_option("text", "json")
@click.pass_obj
def list_cmd(env: Env, output_format: str) -> int:
    """List the rules of .factory/rules/ with their effective status from the ledger.

    JSON: {"rules": [rule fields, with status and superseded_by as the ledger says, and path]}.
    """
    views = list_rules(cwd=env.cwd)
    if output_format == "json":
        emit(json.dumps({"rules": [view.to_json() for view in views]}, indent=2))
    elif views:
        emit("\n".join(_line(view) for view in views))
    return EXIT_OK


def _status(view: RuleView) -> str:
    return f"superseded by {view.superseded_by}" if view.superseded_by else view.status


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
    view = show_rule(cwd=env.cwd, rule_id=rule_id)
    if output_format == "json":
        emit(json.dumps(view.to_json(), indent=2))
    else:
        factory = store.find_factory(env.cwd)
        text = store.read_text(factory.root / view.path, view.path)
        status = _status(view)
        emit(f"{text.rstrip()}\n# status in the ledger: {status}\n")
    return EXIT_OK
