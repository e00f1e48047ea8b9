"""Checks across files: every name a file uses must exist, every id must be unique."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from factory_os.errors import Problem
from factory_os.memory.documents import Loaded, Scan
from factory_os.memory.packs import available_packs
from factory_os.model.common import DECISION_ORIGIN_PREFIX, HEX_SUFFIX, SLUG, SLUG_MAX
from factory_os.model.rule import ApprovalRequired, Rule
from factory_os.paths import FACTORY_DIR
from factory_os.rules import role_refs

DNA = f"{FACTORY_DIR}/DNA.md"


def check(scan: Scan) -> Iterator[Problem]:
    yield from _team(scan)
    yield from _raci(scan)
    yield from _lifecycle(scan)
    yield from _specs(scan)
    yield from _rules(scan)
    yield from _role_names(scan)
    yield from _file_names(scan)
    yield from _decisions(scan)
    yield from _unique_ids(scan)


def _team(scan: Scan) -> Iterator[Problem]:
    if scan.team is None:
        return
    seen_ids: dict[str, int] = {}
    seen_emails: dict[str, str] = {}
    for index, member in enumerate(scan.team.value.members):
        line = scan.team.line_of("members", index)
        if member.id in seen_ids:
            yield Problem(scan.team.rel, line, f"member id {member.id!r} is used twice")
        seen_ids[member.id] = line
        for email in member.emails:
            if email in seen_emails and seen_emails[email] != member.id:
                yield Problem(
                    scan.team.rel,
                    line,
                    f"email {email} belongs to both {seen_emails[email]!r} and {member.id!r}",
                )
            seen_emails[email] = member.id


def _raci(scan: Scan) -> Iterator[Problem]:
    if scan.raci is None:
        return
    raci = scan.raci.value
    for stage, assignments in raci.stages.items():
        for role in assignments:
            if role not in raci.roles:
                yield Problem(
                    scan.raci.rel,
                    scan.raci.line_of("stages", stage, role),
                    f"stage {stage!r} names role {role!r}, which is not in `roles`",
                )
        line = scan.raci.line_of("stages", stage)
        if not raci.accountable(stage):
            yield Problem(scan.raci.rel, line, f"stage {stage!r} has no one Accountable (A)")
    named: list[tuple[str, tuple[str | int, ...], str]] = [
        (role, ("governance", role), "governance") for role in raci.governance
    ]
    named += [
        (role, ("separation_of_duties", index), "separation of duties")
        for index, duty in enumerate(raci.separation_of_duties)
        for role in duty.roles
    ]
    for role, loc, where in named:
        if role not in raci.roles:
            yield Problem(
                scan.raci.rel,
                scan.raci.line_of(*loc),
                f"{where} names role {role!r}, which is not in `roles`",
            )


def _lifecycle(scan: Scan) -> Iterator[Problem]:
    """lifecycle.yaml gives a gate to each stage of raci.yaml, in its order, and names
    only its roles and stages."""
    if scan.lifecycle is None or scan.raci is None:
        return
    loaded, raci = scan.lifecycle, scan.raci.value
    stages = loaded.value.stages
    for stage in raci.stages:
        if stage not in stages:
            yield Problem(
                scan.raci.rel,
                scan.raci.line_of("stages", stage),
                f"stage {stage!r} has no gate in lifecycle.yaml",
            )
    for stage in stages:
        if stage not in raci.stages:
            yield Problem(
                loaded.rel,
                loaded.line_of("stages", stage),
                f"stage {stage!r} is not a stage of raci.yaml",
            )
    common = [stage for stage in stages if stage in raci.stages]
    if common != [stage for stage in raci.stages if stage in stages]:
        yield Problem(
            loaded.rel,
            loaded.line_of("stages"),
            f"stages are not in raci.yaml's order ({', '.join(raci.stages)})",
        )
    if loaded.value.owner_role not in raci.roles:
        yield Problem(
            loaded.rel,
            loaded.line_of("owner_role"),
            f"owner_role {loaded.value.owner_role!r} is not a role of raci.yaml",
        )
    for stage, gate in stages.items():
        for key in ("signoffs", "veto"):
            for index, role in enumerate(getattr(gate, key) or []):
                if role not in raci.roles:
                    yield Problem(
                        loaded.rel,
                        loaded.line_of("stages", stage, key, index),
                        f"{stage}: {key} names role {role!r}, which raci.yaml does not list",
                    )
        if gate.on_fail is not None and gate.on_fail not in stages:
            yield Problem(
                loaded.rel,
                loaded.line_of("stages", stage, "on_fail"),
                f"{stage}: on_fail names no stage ({gate.on_fail!r})",
            )
        names = [kind.name for kind in gate.evidence]
        for index, name in enumerate(names):
            if name in names[:index]:
                yield Problem(
                    loaded.rel,
                    loaded.line_of("stages", stage, "evidence", index),
                    f"{stage}: evidence {name!r} is named twice",
                )


def _specs(scan: Scan) -> Iterator[Problem]:
    """A work item's folder is its id, and its spec names members of the team."""
    members = {m.id for m in scan.team.value.members} if scan.team else None
    for loaded in scan.specs:
        spec = loaded.value
        if loaded.path.parent.name != spec.id:
            yield Problem(
                loaded.rel, loaded.line_of("id"), f"the folder of a work item is its id: {spec.id}"
            )
        for name in ("owner", "sponsor", "builder", "reviewer", "safety_lead"):
            member = getattr(spec, name)
            if members is not None and member is not None and member not in members:
                yield Problem(
                    loaded.rel, loaded.line_of(name), f"{name}: {member!r} is not in team.yaml"
                )


def _role_names(scan: Scan) -> Iterator[Problem]:
    """Every role team.yaml, raci.yaml and the rules name is one roles.yaml defines
    (`fos check` judges the same names, in `rules.inforce`)."""
    if scan.roles is None:
        return
    defined = scan.roles.value.model_dump(mode="json")["roles"]
    named: list[tuple[Loaded[Any], list[role_refs.RoleRef]]] = []
    if scan.team is not None:
        named.append((scan.team, role_refs.team_refs(scan.team.value.model_dump(mode="json"))))
    if scan.raci is not None:
        named.append((scan.raci, role_refs.raci_refs(scan.raci.value.model_dump(mode="json"))))
    for loaded in scan.rules:
        named.append((loaded, role_refs.rule_refs(_role_fields(loaded.value))))
    for loaded, refs in named:
        for ref, message in role_refs.problems(refs, defined):
            yield Problem(loaded.rel, loaded.line_of(*ref.loc), message)


def _role_fields(rule: Rule) -> dict[str, Any]:
    """The parts of RULE's plain form `role_refs.rule_refs` reads: dumping each of a
    thousand rules whole costs more than the rest of the checks across files."""
    approvers = rule.check.approver_roles if isinstance(rule.check, ApprovalRequired) else []
    return {"scope": {"roles": list(rule.scope.roles)}, "check": {"approver_roles": approvers}}


def _rules(scan: Scan) -> Iterator[Problem]:
    incidents = {loaded.value.id for loaded in scan.incidents}
    decisions = {decision.id for decision in scan.decisions}
    rule_ids = {loaded.value.id for loaded in scan.rules}
    packs = available_packs()
    for loaded in scan.rules:
        rule = loaded.value
        if rule.origin.startswith("pack:"):
            name, _, _version = rule.origin.removeprefix("pack:").partition("@")
            if name not in packs:
                yield Problem(loaded.rel, loaded.line_of("origin"), f"unknown pack {name!r}")
            elif not rule.id.startswith(f"R-{name}-"):
                yield Problem(
                    loaded.rel,
                    loaded.line_of("id"),
                    f"a rule of pack {name!r} has an id R-{name}-...",
                )
        elif rule.origin.startswith(DECISION_ORIGIN_PREFIX):
            decision = rule.origin.removeprefix(DECISION_ORIGIN_PREFIX)
            if decision not in decisions:
                yield Problem(
                    loaded.rel,
                    loaded.line_of("origin"),
                    f"origin {rule.origin} names no decision in {DNA}",
                )
        elif rule.origin not in incidents:
            yield Problem(
                loaded.rel,
                loaded.line_of("origin"),
                f"origin {rule.origin} names no incident in .factory/incidents/",
            )
        if not rule.origin.startswith("pack:") and not re.match(rf"^R-{HEX_SUFFIX}$", rule.id):
            # R-<name>-... is a pack's namespace; a factory's own rules get random ids
            # so that two branches never mint the same one
            yield Problem(
                loaded.rel,
                loaded.line_of("id"),
                "a rule from an incident or a decision has an id R-<6+ hex>,"
                " as `fos rule add` makes",
            )
        if rule.superseded_by is not None and rule.superseded_by not in rule_ids:
            yield Problem(
                loaded.rel,
                loaded.line_of("superseded_by"),
                f"superseded_by {rule.superseded_by} names no rule",
            )


def _file_names(scan: Scan) -> Iterator[Problem]:
    pairs: list[tuple[Loaded[Any], str]] = [(loaded, loaded.value.id) for loaded in scan.rules]
    pairs += [(loaded, loaded.value.id) for loaded in scan.incidents]
    pairs += [(loaded, loaded.value.session) for loaded in scan.digests]
    for note in scan.knowledge:  # a note's id is its file name
        if not re.match(SLUG, note.stem) or len(note.stem) > SLUG_MAX:
            yield Problem(
                note.rel,
                0,
                "a knowledge note's file name is its id: lowercase letters, digits,"
                " '.', '_' and '-' (for instance deploying-to-staging.md)",
            )
    for loaded, identifier in pairs:
        if loaded.stem != identifier:
            yield Problem(
                loaded.rel,
                loaded.doc.line_offset + 1,
                f"file name must be its id: {identifier}{loaded.path.suffix}",
            )


def _decisions(scan: Scan) -> Iterator[Problem]:
    by_id = {decision.id: decision for decision in scan.decisions}
    for decision in scan.decisions:
        target = decision.superseded_by
        if target is not None and target not in by_id:
            yield Problem(
                DNA, decision.line, f"{decision.id} is superseded by {target}, which does not exist"
            )
        elif target == decision.id:
            yield Problem(DNA, decision.line, f"{decision.id} cannot supersede itself")
    reported: set[str] = set()
    for decision in scan.decisions:
        chain = [decision.id]
        target = decision.superseded_by
        while target in by_id and target not in chain:
            chain.append(target)
            target = by_id[target].superseded_by
        if target is None or target == chain[-1] or target not in chain:
            continue  # ends in a decision in force, a dangling link or a self link (above)
        cycle = chain[chain.index(target) :]
        if not reported.intersection(cycle):
            reported.update(cycle)
            first = min((by_id[i] for i in cycle), key=lambda d: d.line)
            yield Problem(
                DNA,
                first.line,
                f"supersede links go round in a circle: {' -> '.join([*cycle, cycle[0]])}",
            )


def _unique_ids(scan: Scan) -> Iterator[Problem]:
    """Ids are unique across every file: two branches must never mint the same one."""
    seen: dict[str, str] = {}
    places = [(DNA, d.line, d.id) for d in scan.decisions]
    places += [(x.rel, x.doc.line_offset + 1, x.value.id) for x in scan.rules]
    places += [(x.rel, x.doc.line_offset + 1, x.value.id) for x in scan.incidents]
    places += [(x.rel, x.doc.line_offset + 1, x.value.session) for x in scan.digests]
    places += [(x.rel, x.doc.line_offset + 1, x.stem) for x in scan.knowledge]
    for rel, line, identifier in places:
        if identifier in seen:
            yield Problem(rel, line, f"id {identifier} is also used by {seen[identifier]}")
        else:
            seen[identifier] = rel
