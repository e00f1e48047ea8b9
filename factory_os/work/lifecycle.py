"""Moving a work item through its lifecycle: evidence, sign-offs, advancing, maintenance.

Each operation reads the operating model and the item's replayed state, refuses
what the model forbids (`specs.Refused`, naming the rule and who can unblock
it), and otherwise records one ledger event. Whether a gate holds is
`gates.evaluate`, the same function the pull-request check replays.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from factory_os import store
from factory_os.errors import UsageError
from factory_os.ledger import events
from factory_os.store import Factory
from factory_os.work import escalations, evidence, gates, items, specs
from factory_os.work.gates import Gate
from factory_os.work.items import Item
from factory_os.work.operating import PLATFORM, EvidenceKind, OperatingModel
from factory_os.work.specs import Refused


@dataclass(frozen=True)
class Recorded:
    entry: str
    path: str
    figures: dict[str, Any]
    shortfalls: list[evidence.Shortfall]


def record_evidence(
    factory: Factory,
    spec_id: str,
    *,
    stage: str,
    file: Path | None,
    name: str | None = None,
    platform: str | None = None,
    actor: str | None = None,
) -> Recorded:
    """Validate FILE as STAGE's evidence, store it in the item's folder and record its digest.
    Invalid evidence is InvalidInput (nothing written)."""
    model = specs.load_model(factory)
    member = specs.acting_member(factory, model, actor)
    item = specs.find_item(factory, spec_id)
    _at_stage(factory, item, stage, model)
    kind = _kind(model, stage, name)
    where = _platform(item, kind, platform)
    target = specs.item_dir(factory, spec_id) / kind.file.replace(PLATFORM, where)
    source = file if file is not None else target
    text = store.read_text(source, str(file) if file is not None else factory.rel(target))
    shown = str(file) if file is not None else factory.rel(target)
    if kind.file == specs.SPEC_FILE:  # the spec is evidence, and its front matter the item's
        specs.check_front_matter(item, text, shown)
    figures = evidence.figures_of(kind, text, shown)
    data: dict[str, Any] = {"stage": stage, "evidence": kind.name, "figures": figures}
    if where:
        data["platform"] = where
    found = evidence.shortfalls(kind, figures)
    payload = text.encode("utf-8")
    if target.exists() and (file is None or _same_file(source, target)):
        ident = events.append(
            factory,
            kind=items.EVIDENCE,
            actor=member.id,
            subject=spec_id,
            refs=[(factory.rel(target), _sha(payload))],
            data=data,
        )
        return Recorded(ident, factory.rel(target), figures, found)
    target = _free_name(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    ident = events.record_file(
        factory, target, payload, kind=items.EVIDENCE, actor=member.id, subject=spec_id, data=data
    )
    return Recorded(ident, factory.rel(target), figures, found)


def _same_file(one: Path, other: Path) -> bool:
    try:
        return one.resolve() == other.resolve()
    except OSError:
        return False


def _sha(payload: bytes) -> str:
    import hashlib

    return hashlib.sha256(payload).hexdigest()


def _free_name(target: Path) -> Path:
    """TARGET, or its next version (`eval.2.json`) when a version is there already:
    recorded evidence is never overwritten."""
    if not target.exists():
        return target
    suffix = "".join(PurePosixPath(target.name).suffixes[-1:])
    stem = target.name[: len(target.name) - len(suffix)]
    version = 2
    while (target.parent / f"{stem}.{version}{suffix}").exists():
        version += 1
    return target.parent / f"{stem}.{version}{suffix}"


def _at_stage(factory: Factory, item: Item, stage: str, model: OperatingModel) -> None:
    if stage not in model.lifecycle.stages:
        stages = ", ".join(model.lifecycle.order())
        raise UsageError(f"unknown stage {stage!r} (lifecycle.yaml: {stages})")
    if stage == item.stage:
        return
    if stage in item.passed:
        raise Refused(
            f"{gates.STAGE_RULE}: {item.id} is at {item.stage} and has passed {stage}: a passed"
            " stage takes nothing more, unless a veto or a failed hard threshold sends the"
            f" item back (lifecycle.yaml on_fail; vetoes at {item.stage}:"
            f" {_names(_holding(item, model, model.gate(item.stage).veto))})"
        )
    gate = gates.evaluate(item, model, specs.digest_of(factory))
    who = sorted({member for check in gate.failing for member in check.who})
    raise Refused(
        f"{gates.STAGE_RULE}: {item.id} is at {item.stage}, not {stage}: its {item.stage} gate"
        f" must pass first ({len(gate.failing)} open, for {_names(who)};"
        f" `fos spec status {item.id}` lists them)"
    )


def _holding(item: Item, model: OperatingModel, roles: Sequence[str]) -> list[str]:
    return sorted({member for role in roles for member in model.holders(item, role)})


def _names(members: list[str]) -> str:
    return ", ".join(members) if members else "no one"


def _kind(model: OperatingModel, stage: str, name: str | None) -> EvidenceKind:
    kinds = model.gate(stage).evidence
    if name is not None:
        for kind in kinds:
            if kind.name == name:
                return kind
    elif len(kinds) == 1:
        return kinds[0]
    names = ", ".join(kind.name for kind in kinds) or "none"
    if name is None and kinds:
        raise UsageError(f"{stage} takes several kinds of evidence; name one with --kind ({names})")
    raise UsageError(f"{stage} takes no evidence {name or ''} (lifecycle.yaml: {names})".strip())


def _platform(item: Item, kind: EvidenceKind, platform: str | None) -> str:
    if not kind.per_platform:
        if platform:
            raise UsageError(f"{kind.name} is not per platform; leave out --platform")
        return ""
    if platform is None and len(item.platforms) == 1:
        return item.platforms[0]
    if platform not in item.platforms:
        named = ", ".join(item.platforms) or "none: the spec names no platform"
        raise UsageError(f"{kind.name} is one note per platform; --platform is one of {named}")
    return platform


def sign(
    factory: Factory,
    spec_id: str,
    *,
    stage: str,
    role: str | None = None,
    veto: bool = False,
    reason: str | None = None,
    actor: str | None = None,
) -> tuple[str, str]:
    """The acting member signs STAGE of SPEC_ID (or vetoes it); return (entry id, role)."""
    model = specs.load_model(factory)
    member = specs.acting_member(factory, model, actor)
    item = specs.find_item(factory, spec_id)
    resigning = stage in gates.resign_pending(item, model)
    if not resigning:
        _at_stage(factory, item, stage, model)
    allowed = model.gate(stage).veto if veto else model.signoff_roles(stage)
    if resigning:
        allowed = [model.lifecycle.owner_role]
    if role is None:
        mine = [r for r in allowed if member.id in model.holders(item, r)]
        if not mine:
            holders = "; ".join(f"{r}: {', '.join(model.holders(item, r)) or '-'}" for r in allowed)
            raise Refused(
                f"{gates.SIGNOFF_RULE}: {member.id} holds none of the roles that"
                f" {'may veto' if veto else 'sign'} {stage} on {spec_id} ({holders or 'none'})"
            )
        if len(mine) > 1:
            raise UsageError(
                f"name the role with --as ({stage} {'veto' if veto else 'sign-off'} roles:"
                f" {', '.join(allowed) or 'none'}; yours on {spec_id}: {', '.join(mine) or 'none'})"
            )
        role = mine[0]
    if role not in allowed:
        what = "may veto" if veto else "sign"
        raise Refused(
            f"{gates.SIGNOFF_RULE}: at {stage}, the roles that {what} are"
            f" {', '.join(allowed) or 'none'} (lifecycle.yaml), not {role}: on {spec_id},"
            f" {_names(_holding(item, model, allowed))}"
        )
    problem = gates.refusal(item, model, member, stage, role)
    if problem:
        rule = gates.DUTIES_RULE if "cannot sign" in problem else gates.SIGNOFF_RULE
        raise Refused(f"{rule}: {problem}")
    # what it signs: evidence recorded after it needs it again
    data: dict[str, Any] = {"stage": stage, "role": role}
    data["evidence"] = gates.signed_evidence(item, stage)
    if veto:
        if not reason or not reason.strip():
            raise UsageError("a veto needs --reason")
        data["reason"] = reason.strip()
    ident = events.append(
        factory,
        kind=items.VETOED if veto else items.SIGNOFF,
        actor=member.id,
        subject=spec_id,
        data=data,
    )
    if veto:  # a veto blocks the work until a person decides: on the escalation queue
        escalations.open_escalation(
            factory,
            actor=member.id,
            subject=spec_id,
            cause="veto",
            severity="high",
            evidence={"entry": ident, **data},
        )
    return ident, role


@dataclass(frozen=True)
class Advance:
    gate: Gate
    outcome: str  # advanced | returned | held
    entry: str | None


def advance(factory: Factory, spec_id: str, *, actor: str | None = None) -> Advance:
    """Pass SPEC_ID's gate when it holds; send it back when a veto or a failed hard
    threshold says so; otherwise record nothing."""
    model = specs.load_model(factory)
    member = specs.acting_member(factory, model, actor)
    item = specs.find_item(factory, spec_id)
    gate = gates.evaluate(item, model, specs.digest_of(factory))
    if gate.holds and gate.to is not None:
        data = {"from": gate.stage, "to": gate.to, **_resting_on(item, gate.stage)}
        ident = events.append(
            factory, kind=items.ADVANCED, actor=member.id, subject=spec_id, data=data
        )
        return Advance(gate, "advanced", ident)
    if gate.sends_back and gate.returns_to is not None:
        reasons = [c.text for c in gate.failing if c.hard or c.rule == gates.VETO_RULE]
        ident = events.append(
            factory,
            kind=items.RETURNED,
            actor=member.id,
            subject=spec_id,
            data={"from": gate.stage, "to": gate.returns_to, "reason": "; ".join(reasons)},
        )
        return Advance(gate, "returned", ident)
    return Advance(gate, "held", None)


def _resting_on(item: Item, stage: str) -> dict[str, list[str]]:
    return {
        "evidence": sorted(e.id for key, e in item.evidence.items() if key[0] == stage),
        "signoffs": sorted(e.id for e in item.signoffs if e.data.get("stage") == stage),
    }


def log_maintenance(
    factory: Factory, spec_id: str, *, file: Path, actor: str | None = None
) -> Recorded:
    """Record a maintenance log for an item at a recurring stage (one with a cadence)."""
    model = specs.load_model(factory)
    item = specs.find_item(factory, spec_id)
    member = specs.acting_member(factory, model, actor)
    problem = gates.maintenance_refusal(item, model, member.id)
    if problem is not None:
        raise Refused(f"{problem.rule}: {problem.text}")
    kinds = model.gate(item.stage).evidence
    if not kinds:
        raise UsageError(f"lifecycle.yaml gives {item.stage} no evidence file for its log")
    text = store.read_text(file, str(file))
    figures = evidence.figures_of(kinds[0], text, str(file))
    target = _free_name(specs.item_dir(factory, spec_id) / kinds[0].file)
    target.parent.mkdir(parents=True, exist_ok=True)
    ident = events.record_file(
        factory,
        target,
        text,
        kind=items.MAINTAINED,
        actor=member.id,
        subject=spec_id,
        data={"stage": item.stage, "figures": figures},
    )
    return Recorded(ident, factory.rel(target), figures, [])
