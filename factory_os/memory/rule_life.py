"""The life of a rule: added, superseded, retired; never edited or deleted.

A rule file, `.factory/rules/<R-hex>.yaml`, is written once with its
`rule.added` ledger entry and never rewritten. Superseding and retiring it are
ledger events only; its effective status is read back from the ledger
(`rules.status`, the one place it is decided).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from factory_os import clock, store
from factory_os.errors import InvalidInput, Problem, UsageError
from factory_os.ids import new_id
from factory_os.ledger import events
from factory_os.memory import documents
from factory_os.memory.incidents import add_resulting_rule, incident_path
from factory_os.model.common import DECISION_ORIGIN_PREFIX, INCIDENT_ID, RULE_ID
from factory_os.model.rule import Rule, RuleDraft
from factory_os.rules import role_refs
from factory_os.rules.actor import acting_member
from factory_os.rules.status import WrittenRule, rule_states
from factory_os.store import Factory

RULES_DIR = "rules"


@dataclass(frozen=True)
class RuleView:
    """A rule file and its effective status from the ledger."""

    rule: Rule
    path: str
    status: str
    superseded_by: str | None
    recorded: bool  # False: written by hand, no ledger entry added it (it binds all the same)

    def to_json(self) -> dict[str, Any]:
        values = self.rule.model_dump(mode="json")
        values.update(
            status=self.status,
            superseded_by=self.superseded_by,
            recorded=self.recorded,
            path=self.path,
        )
        return values


def rule_path(factory: Factory, rule_id: str) -> Path:
    return factory.dir / RULES_DIR / f"{rule_id}.yaml"


def add_rule(
    *,
    cwd: Path,
    from_incident: str | None,
    from_decision: str | None = None,
    file: Path | None = None,
    options: dict[str, Any] | None = None,
    actor: str | None = None,
) -> str:
    """Write a new rule from FILE (a RuleDraft) or OPTIONS, and its ledger entry; its id."""
    factory = store.find_factory(cwd)
    given = {k: v for k, v in (options or {}).items() if v not in (None, (), [], "")}
    if file is not None and given:
        raise UsageError(f"--file or rule options, not both (got {', '.join(sorted(given))})")
    if (from_incident is None) == (from_decision is None):
        raise UsageError(
            "give one of --from-incident ID or --from-decision ID: every rule names its"
            " origin, an incident, a DNA decision or a pack (`fos init --pack`); record an"
            " incident first with `fos incident add`, a decision with `fos dna add`"
        )
    if file is not None:
        doc = store.load_yaml(file, _shown(file, cwd))
        draft = store.validate(RuleDraft, doc)
    else:
        doc, draft = None, _draft_from_options(given)
    _require_roles(factory, draft, doc)
    if from_incident is not None:
        _require_incident(factory, from_incident)
        origin = from_incident
    else:
        origin = _require_decision(factory, str(from_decision))
    who = acting_member(cwd, actor).id
    rule_id = new_id("R", lambda c: rule_path(factory, c).exists())
    rule = Rule.model_validate(
        {
            **draft.model_dump(),
            "id": rule_id,
            "origin": origin,
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
        data={"origin": origin, "severity": rule.severity, "check": rule.check.kind},
    )
    if from_incident is not None:
        # the incident says what it led to; an incident may grow, never change
        add_resulting_rule(factory, from_incident, rule_id, rule.title, who)
    return rule_id


def _require_roles(factory: Factory, draft: RuleDraft, doc: store.YamlDocument | None) -> None:
    """Every role the rule names is one roles.yaml defines: a typo would bind no one."""
    if not (factory.dir / "roles.yaml").is_file():
        return  # nothing to judge by (`fos validate` reports the missing file)
    defined = documents.load_roles(factory).model_dump(mode="json")["roles"]
    refs = role_refs.rule_refs(draft.model_dump(mode="json"))
    problems = [
        Problem(doc.rel, doc.line_of(ref.loc), message)
        if doc is not None
        else Problem("<options>", 0, f"--{'approver-' if ref.approver else ''}role: {message}")
        for ref, message in role_refs.problems(refs, defined)
    ]
    if problems:
        raise InvalidInput(problems)


def _require_incident(factory: Factory, incident_id: str) -> None:
    incident = incident_path(factory, incident_id)
    if re.match(INCIDENT_ID, incident_id) is None or not incident.is_file():
        raise InvalidInput.one(factory.rel(incident), 0, f"no incident {incident_id}")
    if incident_id not in events.recorded(factory, "incident.recorded"):
        raise InvalidInput.one(
            factory.rel(incident),
            0,
            f"incident {incident_id} is not recorded in the ledger (run `fos verify`)",
        )


def _require_decision(factory: Factory, decision_id: str) -> str:
    """The origin naming DECISION_ID, a decision of DNA.md."""
    if not any(d.id == decision_id for d in documents.load_decisions(factory)):
        raise InvalidInput.one(factory.rel(factory.dir / "DNA.md"), 0, f"no decision {decision_id}")
    return f"{DECISION_ORIGIN_PREFIX}{decision_id}"


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
    states = rule_states(factory.root, [_written(rule, rel) for rule, rel in rules])
    return [RuleView(rule, rel, *state) for (rule, rel), state in zip(rules, states, strict=True)]


def _written(rule: Rule, rel: str) -> WrittenRule:
    return WrittenRule(rule.id, rel, rule.status, rule.superseded_by)


def show_rule(*, cwd: Path, rule_id: str) -> RuleView:
    factory = store.find_factory(cwd)
    path = _existing(factory, rule_id)
    rule = load_rule(factory, path)
    rel = factory.rel(path)
    (state,) = rule_states(factory.root, [_written(rule, rel)])
    return RuleView(rule, rel, *state)


def _existing(factory: Factory, rule_id: str) -> Path:
    path = rule_path(factory, rule_id)
    if re.match(RULE_ID, rule_id) is None or not path.is_file():
        raise InvalidInput.one(factory.rel(path), 0, f"no rule {rule_id}")
    return path


def _require_active(*rule_ids: str) -> Callable[[Factory], None]:
    """A check, run under the ledger's lock, that every one of RULE_IDS is recorded
    and active, so two concurrent supersede or retire cannot both succeed."""

    def check(factory: Factory) -> None:
        rels = [factory.rel(rule_path(factory, rule_id)) for rule_id in rule_ids]
        written = [
            _written(load_rule(factory, rule_path(factory, rule_id)), rel)
            for rule_id, rel in zip(rule_ids, rels, strict=True)
        ]
        states = rule_states(factory.root, written)
        for rule_id, rel, (status, by, recorded) in zip(rule_ids, rels, states, strict=True):
            if not recorded:
                raise InvalidInput.one(
                    rel, 0, f"{rule_id} is unrecorded (no ledger entry added it; run `fos verify`)"
                )
            if status != "active":
                raise InvalidInput.one(
                    rel, 0, f"{rule_id} is already {status}" + (f" by {by}" if by else "")
                )

    return check


def supersede_rule(*, cwd: Path, rule_id: str, by: str, actor: str | None = None) -> str:
    """Record that BY replaces RULE_ID; the ledger entry's id."""
    factory = store.find_factory(cwd)
    _existing(factory, rule_id)
    _existing(factory, by)
    if by == rule_id:
        raise UsageError("a rule cannot supersede itself")
    who = acting_member(cwd, actor).id
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
    who = acting_member(cwd, actor).id
    return events.append(
        factory,
        kind="rule.retired",
        actor=who,
        subject=rule_id,
        data={"reason": reason.strip()},
        unless=_require_active(rule_id),
    )
