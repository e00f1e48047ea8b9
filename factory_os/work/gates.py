"""A stage's gate, judged: a pure function of an item, the operating model and digests.

`evaluate` turns what the ledger says about an item (`work.items.Item`) into a
checklist for leaving its stage: each piece of evidence present, unchanged since
it was recorded, and meeting its thresholds; each sign-off given by the member
who holds the role on this item; separation of duties; vetoes. Every check names
the rule it enforces and who can unblock it. The CLI and the pull-request check
call the same function with the files they see (a work tree, a commit).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import NamedTuple

from factory_os.ledger.entry import Entry
from factory_os.work import evidence
from factory_os.work.items import Item
from factory_os.work.operating import PLATFORM, EvidenceKind, Member, OperatingModel, role_field

Digest = Callable[[str], str | None]  # factory-relative path -> sha256 of its content, or None

EVIDENCE_RULE = "fos:lifecycle-evidence"
THRESHOLD_RULE = "fos:lifecycle-threshold"
SIGNOFF_RULE = "fos:lifecycle-signoff"
DUTIES_RULE = "fos:lifecycle-separation-of-duties"
VETO_RULE = "fos:lifecycle-veto"
RESIGN_RULE = "fos:lifecycle-resign"
LAST_STAGE_RULE = "fos:lifecycle-last-stage"
STAGE_RULE = "fos:lifecycle-stage"  # a step for a stage the item is not at
ROLE_RULE = "fos:lifecycle-role"  # who holds a role on an item, and who may do what with it


class Check(NamedTuple):
    """One line of a gate's checklist."""

    rule: str
    ok: bool
    text: str
    who: tuple[str, ...] = ()  # the members who can unblock it
    hard: bool = False  # failing it sends the work back


class Gate(NamedTuple):
    item: Item
    stage: str
    to: str | None  # the next stage; None at the last one
    checks: list[Check]
    returns_to: str | None  # where a veto or a failed hard threshold sends the item

    @property
    def holds(self) -> bool:
        return self.to is not None and all(check.ok for check in self.checks)

    @property
    def failing(self) -> list[Check]:
        return [check for check in self.checks if not check.ok]

    @property
    def sends_back(self) -> bool:
        return self.returns_to is not None and any(
            not check.ok and (check.hard or check.rule == VETO_RULE) for check in self.checks
        )


def evaluate(item: Item, model: OperatingModel, digest: Digest) -> Gate:
    """The checklist for ITEM to leave its stage, judged against MODEL and the files DIGEST sees."""
    stage = item.stage
    gate = model.gate(stage)
    checks: list[Check] = []
    for kind in gate.evidence:
        for platform in item.platforms if kind.per_platform else [""]:
            checks += _evidence(item, model, kind, platform, digest)
    for role in model.signoff_roles(stage):
        checks.append(signoff_check(item, model, stage, role))
    checks += duties(item, model)
    for veto in item.vetoes:
        role = veto.data.get("role", "?")
        checks.append(
            Check(
                VETO_RULE,
                False,
                f"vetoed by {veto.actor} as {role}: {veto.data.get('reason', '')}",
                (veto.actor,),
            )
        )
    to = model.lifecycle.next_stage(stage)
    if to is None and stage in model.lifecycle.stages:
        owners = tuple(model.holders(item, model.lifecycle.owner_role))
        text = f"{stage} is the last stage: log it or retire the item"
        checks.append(Check(LAST_STAGE_RULE, False, text, owners))
    return Gate(item, stage, to, checks, gate.on_fail)


def _evidence(
    item: Item, model: OperatingModel, kind: EvidenceKind, platform: str, digest: Digest
) -> list[Check]:
    who = tuple(h for role in model.responsible(item.stage) for h in model.holders(item, role))
    label = f"{kind.name} ({platform})" if platform else kind.name
    entry = item.evidence.get((item.stage, kind.name, platform))
    if entry is None:
        where = kind.file.replace(PLATFORM, platform)
        return [Check(EVIDENCE_RULE, False, f"{label}: not recorded ({where})", who)]
    changed = [ref.path for ref in entry.refs if digest(ref.path) != ref.sha256]
    if changed:
        text = f"{label}: {', '.join(changed)} does not match the digest recorded for it"
        return [Check(EVIDENCE_RULE, False, text, who)]
    checks = [Check(EVIDENCE_RULE, True, f"{label}: recorded")]
    figures = entry.data.get("figures")
    for short in evidence.shortfalls(kind, figures if isinstance(figures, dict) else {}):
        checks.append(Check(THRESHOLD_RULE, False, f"{label}: {short.message}", who, short.hard))
    if kind.format == "launch-record" and isinstance(figures, dict):
        owners = model.holders(item, model.lifecycle.owner_role)
        named = figures.get("owner")
        if named not in owners or model.member(str(named)) is None:
            text = f"{label}: names owner {named}, but the item's owner is {_names(owners)}"
            checks.append(Check(THRESHOLD_RULE, False, text, who))
    if len(checks) == 1 and kind.format == "cases" and isinstance(figures, dict):
        checks[0] = checks[0]._replace(text=f"{label}: {_case_figures(figures)}")
    return checks


def _case_figures(figures: dict[str, object]) -> str:
    cases, passed = figures.get("cases", 0), figures.get("passed", 0)
    text = f"{passed}/{cases} cases passed"
    if figures.get("critical"):
        text += f", {figures.get('critical_passed', 0)}/{figures['critical']} critical"
    return text


def signoff_check(item: Item, model: OperatingModel, stage: str, role: str) -> Check:
    holders = model.holders(item, role)
    owners = tuple(model.holders(item, model.lifecycle.owner_role))
    command = f"`fos signoff {item.id} --stage {stage} --as {role}`"
    if not holders:
        text = f"sign-off as {role}: no one holds {role} on this item"
        return Check(SIGNOFF_RULE, False, text, owners)
    problem = _holder_problem(model, holders[0], role) if len(holders) == 1 else ""
    if problem:
        return Check(SIGNOFF_RULE, False, f"sign-off as {role}: {problem}", owners)
    stale: list[Entry] = []
    for entry in item.signoffs:
        if entry.data.get("stage") == stage and entry.data.get("role") == role:
            signer = model.member(entry.actor)
            if signer is None or signer.id not in holders:
                continue
            unsigned = unsigned_evidence(item, entry)
            if not unsigned:
                return Check(SIGNOFF_RULE, True, f"signed as {role} by {signer.id}")
            stale = unsigned
    if stale:
        files = ", ".join(ref.path.rpartition(f"/{item.id}/")[2] for e in stale for ref in e.refs)
        text = (
            f"sign-off as {role} by {_names(holders)}: given for an earlier version of"
            f" {files or 'the evidence'}: sign again ({command})"
        )
        return Check(SIGNOFF_RULE, False, text, tuple(holders))
    return Check(
        SIGNOFF_RULE, False, f"sign-off as {role} by {_names(holders)}: missing ({command})",
        tuple(holders),
    )  # fmt: skip


def unsigned_evidence(item: Item, signoff: Entry) -> list[Entry]:
    """The evidence of the stage SIGNOFF signs that it did not sign. A sign-off names the
    evidence entries it was given for, so its place in the replay order (two branches
    merged) does not stretch it to evidence its member never saw. One that names none
    (written before sign-offs did) signed only what its line provably saw: the entries
    among its parents (the heads it was written on). Its place in the replay order proves
    nothing: whoever writes later evidence chooses that line's parents, and so its height."""
    stage = signoff.data.get("stage")
    current = [entry for key, entry in item.evidence.items() if key[0] == stage]
    named = signoff.data.get("evidence")
    seen = named if isinstance(named, list) else signoff.parents
    return [entry for entry in current if entry.id not in seen]


def signed_evidence(item: Item, stage: str) -> list[str]:
    """The ids of the evidence entries a sign-off of STAGE given now signs."""
    return sorted(entry.id for key, entry in item.evidence.items() if key[0] == stage)


def _holder_problem(model: OperatingModel, holder: str, role: str) -> str:
    member = model.member(holder)
    if member is None:
        return f"{holder} is not a member of team.yaml (no {role}: transfer the role)"
    if role not in member.roles:
        return f"{holder} does not hold the role {role} in team.yaml"
    return ""


def duties(item: Item, model: OperatingModel) -> list[Check]:
    """Separation of duties on ITEM: the pairs of raci.yaml that one member holds both of."""
    owners = tuple(model.holders(item, model.lifecycle.owner_role))
    return duty_checks(item.roles, item.risk == "low" and item.reasoned, model, owners)


def duty_checks(
    roles: Mapping[str, str], excused: bool, model: OperatingModel, who: tuple[str, ...] = ()
) -> list[Check]:
    """The separation-of-duty pairs ROLES (field -> member) breaks; EXCUSED: the item is
    low risk and its spec says why two roles may share a member."""
    checks = []
    for duty in model.raci.separation_of_duties:
        first, second = duty.roles
        one, other = roles.get(role_field(first)), roles.get(role_field(second))
        if one is None or one != other:
            continue
        if duty.rule == "low-stakes-with-reason" and excused:
            continue
        allowed = "never" if duty.rule == "never" else "only on low-risk work whose spec says why"
        text = f"{one} is both {first} and {second}: allowed {allowed} ({duty.description})"
        checks.append(Check(DUTIES_RULE, False, text, who))
    return checks


def refusal(item: Item, model: OperatingModel, member: Member, stage: str, role: str) -> str:
    """Why MEMBER may not sign STAGE as ROLE on ITEM, or "" when it may."""
    for duty in model.raci.separation_of_duties:
        if role not in duty.roles:
            continue
        partner = duty.roles[1] if duty.roles[0] == role else duty.roles[0]
        if item.holder(partner) != member.id:
            continue
        if duty.rule == "low-stakes-with-reason" and item.risk == "low" and item.reasoned:
            continue
        return (
            f"{member.id} is the {partner} of {item.id} and cannot sign as {role}:"
            f" {duty.description} (raci.yaml; {_owner(item, model)} can transfer one of the"
            " roles)"
        )
    holders = model.holders(item, role)
    if member.id not in holders:
        return (
            f"{member.id} does not hold {role} on {item.id}"
            f" ({role}: {_names(holders)}; {_owner(item, model)} can transfer the role)"
        )
    if role not in member.roles:
        return (
            f"{member.id} does not hold the role {role} in team.yaml (an approver can approve"
            f" a team.yaml change that gives it, or {_owner(item, model)} can transfer it)"
        )
    return ""


def transfer_refusal(item: Item, model: OperatingModel, actor: str, role: str, to: str) -> Check:
    """Whether ACTOR may give ROLE on ITEM to member TO, as `fos spec transfer` and the
    pull-request check judge it: the item's owner gives any role on it, a member only
    their own (when the owner has left team.yaml, a member holding the owner role takes
    over); TO holds the role in team.yaml; separation of duties still holds."""
    name = role_field(role)
    owner = item.roles.get(role_field(model.lifecycle.owner_role))
    orphaned = owner is None or model.member(owner) is None
    if actor not in (owner, item.roles.get(name)) and not (
        orphaned and actor in model.holders_in_team(model.lifecycle.owner_role)
    ):
        text = (
            f"{actor} may not transfer the {name.replace('_', '-')} of {item.id}:"
            f" its owner ({owner or 'none'}) transfers roles, and a member only their own"
        )
        return Check(ROLE_RULE, False, text, (owner,) if owner else ())
    problem = holder_refusal(model, name, to)
    if problem:
        return Check(ROLE_RULE, False, problem)
    duty = duty_checks({**item.roles, name: to}, item.risk == "low" and item.reasoned, model)
    return duty[0] if duty else Check(ROLE_RULE, True, f"{to} holds {role}")


def holder_refusal(model: OperatingModel, name: str, member_id: str) -> str:
    """Why MEMBER_ID may not hold the spec field NAME (owner, safety_lead, ...), or ""."""
    member = model.member(member_id)
    if member is None:
        return (
            f"{name.replace('_', ' ')} {member_id} is not a member of team.yaml: name a member,"
            " or add them in a team.yaml change an approver approves"
        )
    role = {role_field(role): role for role in model.raci.roles}.get(name)
    if role is not None and role not in member.roles:
        return (
            f"{member_id} does not hold the role {role} in team.yaml: name one who does"
            f" ({_names(model.holders_in_team(role))}), or give it in a team.yaml change an"
            " approver approves"
        )
    return ""


def retire_refusal(item: Item, model: OperatingModel, actor: str) -> str:
    """Why ACTOR may not retire ITEM (only its owner may), or ""."""
    owners = model.holders(item, model.lifecycle.owner_role)
    return "" if actor in owners else f"only the owner of {item.id} ({_names(owners)}) retires it"


def maintenance_refusal(item: Item, model: OperatingModel, actor: str) -> Check | None:
    """Why ACTOR may not log ITEM's maintenance now, or None: only at a stage with a
    cadence, by those responsible or accountable for it."""
    if model.gate(item.stage).cadence_days is None:
        recurring = [s for s, g in model.lifecycle.stages.items() if g.cadence_days]
        text = (
            f"{item.id} is at {item.stage}; maintenance is logged at"
            f" {', '.join(recurring) or 'no stage: lifecycle.yaml gives none a cadence'}"
        )
        return Check(STAGE_RULE, False, text)
    roles = {*model.responsible(item.stage), *model.raci.accountable(item.stage)}
    loggers = sorted({holder for role in roles for holder in model.holders(item, role)})
    if actor in loggers:
        return None
    text = (
        f"{actor} may not log the maintenance of {item.id}: at {item.stage} that is for the"
        f" roles responsible or accountable in raci.yaml ({_names(loggers) or 'no one'})"
    )
    return Check(ROLE_RULE, False, text, tuple(loggers))


def _owner(item: Item, model: OperatingModel) -> str:
    """The item's owner, as a refusal names who can unblock it."""
    role = model.lifecycle.owner_role
    return f"the {role} ({_names(model.holders(item, role))})"


def resign_pending(item: Item, model: OperatingModel) -> list[str]:
    """The passed stages whose owner sign-off a change of owner has made stale."""
    role = model.lifecycle.owner_role
    transfer = item.transfers.get(role)
    if transfer is None:
        return []
    owners = model.holders(item, role)
    pending = []
    for stage in item.passed:
        if not model.gate(stage).resign_on_transfer or stage in pending:
            continue
        signed = any(
            entry.data.get("stage") == stage
            and entry.data.get("role") == role
            and (signer := model.member(entry.actor)) is not None
            and signer.id in owners
            for entry in item.resignoffs
        )
        if not signed:
            pending.append(stage)
    return pending


def _names(members: list[str] | tuple[str, ...]) -> str:
    return ", ".join(members) if members else "no one"
