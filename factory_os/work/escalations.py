"""Escalations: what the rules could not decide, taken to a person, on the record.

An escalation lives only in the ledger (DESIGN section 11): `escalation.opened`
(its subject is what the escalation concerns, a run, a work item, a commit;
`data` holds the `ESC-<hex>` id, the cause, the severity and the evidence, and
optionally `caused_by` and `to`; its actor is who opened it), then
`escalation.acked`, `escalation.breached` and `escalation.resolved`, whose
subject is the `ESC-` id. Replayed in the ledger's order, the first ack, breach
and resolution of an escalation count; a later one made on a concurrent branch
changes nothing.

The SLA is the time to answer: an escalation is past its SLA when it is not
resolved, was not acknowledged by `opened at + SLA`, and the clock is later
than that. `governance.escalation_sla_minutes` sets it, per severity where
`governance.escalation_sla_minutes_by_severity` says so.

Who answers: the members holding a role accountable or responsible for
governance in raci.yaml (the approver roles of roles.yaml when raci.yaml has
no governance row), and whoever the escalation went to (integrity failures go
at once to the holders of `governance.integrity_roles`; a breach goes to the
accountable members). The member who caused it never answers it.

`open_escalation` is the one way to open one: `fos escalate open`, factory runs
(a computed cause such as `tests.failed`, DESIGN section 10), lifecycle vetoes
and `fos verify` failures all call it.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from factory_os import clock
from factory_os.errors import Refused, UsageError
from factory_os.ids import new_id
from factory_os.ledger import events
from factory_os.ledger.events import Entry
from factory_os.memory.catalog import Catalog, GovernanceInfo
from factory_os.model.vocabulary import ESCALATION_SEVERITIES
from factory_os.store import Factory
from factory_os.work import people, projection
from factory_os.work.projection import Projection

OPENED = "escalation.opened"
ACKED = "escalation.acked"
BREACHED = "escalation.breached"
RESOLVED = "escalation.resolved"
KINDS = (OPENED, ACKED, BREACHED, RESOLVED)
PREFIX = "ESC"
INTEGRITY = "integrity"
# how urgent, least first (as an incident's severity)
SEVERITY_LEVELS = ESCALATION_SEVERITIES


@dataclass(frozen=True)
class Escalation:
    """One escalation as the ledger tells it."""

    id: str
    subject: str
    cause: str
    severity: str
    evidence: dict[str, Any]
    opened_by: str
    opened_at: str
    caused_by: str
    to: tuple[str, ...] = ()
    acked_by: str | None = None
    acked_at: str | None = None
    breached_at: str | None = None
    breached_to: tuple[str, ...] = ()
    resolved_by: str | None = None
    resolved_at: str | None = None
    resolution: str | None = None

    @property
    def open(self) -> bool:
        return self.resolved_at is None

    def due_at(self, sla_minutes: int) -> datetime:
        return clock.parse(self.opened_at) + timedelta(minutes=sla_minutes)

    def past_sla(self, now: datetime, sla_minutes: int) -> bool:
        """Unresolved, not acknowledged in time, and NOW is later than the deadline."""
        due = self.due_at(sla_minutes)
        if not self.open or now <= due:
            return False
        return self.acked_at is None or clock.parse(self.acked_at) > due

    def to_json(self, now: datetime, sla_minutes: int) -> dict[str, Any]:
        values = dataclasses.asdict(self)
        values.update(
            to=list(self.to),
            breached_to=list(self.breached_to),
            sla_minutes=sla_minutes,
            due_at=clock.stamp(self.due_at(sla_minutes)),
            past_sla=self.past_sla(now, sla_minutes),
        )
        return values


# -- reading -------------------------------------------------------------------


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _names(value: object) -> tuple[str, ...]:
    return tuple(v for v in value if isinstance(v, str)) if isinstance(value, list) else ()


def fold(
    entries: Iterable[Entry], found: dict[str, Escalation] | None = None
) -> dict[str, Escalation]:
    """Escalation id -> its state, from escalation entries in replay order (folded
    into FOUND, which is returned)."""
    found = {} if found is None else found
    for entry in entries:
        if entry.kind == OPENED:
            ident = _text(entry.data.get("id"))
            if ident is None or ident in found:
                continue
            evidence = entry.data.get("evidence")
            found[ident] = Escalation(
                id=ident,
                subject=entry.subject,
                cause=str(entry.data.get("cause", "")),
                severity=str(entry.data.get("severity", "medium")),
                evidence=evidence if isinstance(evidence, dict) else {},
                opened_by=entry.actor,
                opened_at=entry.at,
                caused_by=_text(entry.data.get("caused_by")) or entry.actor,
                to=_names(entry.data.get("to")),
            )
            continue
        current = found.get(entry.subject)
        if current is None or not current.open:  # a resolved escalation is settled
            continue
        if entry.kind == ACKED and current.acked_at is None:
            found[current.id] = dataclasses.replace(
                current, acked_by=entry.actor, acked_at=entry.at
            )
        elif entry.kind == BREACHED and current.breached_at is None:
            found[current.id] = dataclasses.replace(
                current, breached_at=entry.at, breached_to=_names(entry.data.get("to"))
            )
        elif entry.kind == RESOLVED:
            found[current.id] = dataclasses.replace(
                current,
                resolved_by=entry.actor,
                resolved_at=entry.at,
                resolution=str(entry.data.get("resolution", "")),
            )
    return found


_FIELDS = tuple(f.name for f in dataclasses.fields(Escalation))
PROJECTION = Projection(
    "escalations",
    frozenset(KINDS),
    fold,
    lambda e: tuple(getattr(e, name) for name in _FIELDS),
    lambda values: Escalation(*values),
    lambda e: not e.open,
)


def escalations(factory: Factory, *, resolved: bool = True) -> dict[str, Escalation]:
    """Every escalation the work tree's ledger knows (only the open ones without
    RESOLVED), by id."""
    return projection.state(factory, PROJECTION, settled=resolved)


def find(factory: Factory, escalation_id: str) -> Escalation:
    found = escalations(factory).get(escalation_id)
    if found is None:
        raise UsageError(f"no escalation {escalation_id} (see `fos escalate list`)")
    return found


def sla_of(governance: GovernanceInfo, escalation: Escalation) -> int:
    return governance.sla_minutes(escalation.severity)


@dataclass(frozen=True)
class Listed:
    """An escalation with what the list shows beside it."""

    escalation: Escalation
    sla_minutes: int
    past_sla: bool


def listing(
    factory: Factory,
    *,
    past_sla: bool = False,
    mine: str | None = None,
    include_resolved: bool = False,
    now: datetime | None = None,
    catalog: Catalog | None = None,
) -> list[Listed]:
    """Open escalations (all with INCLUDE_RESOLVED), past their SLA first, then the most
    severe, then the oldest. PAST_SLA keeps only those past it; MINE (an actor) keeps
    those that went to that member, or that a role of theirs answers."""
    with people.catalog_for(factory, catalog) as catalog:
        return _listing(factory, catalog, past_sla, mine, include_resolved, now or clock.now())


def _listing(
    factory: Factory,
    catalog: Catalog,
    past_sla: bool,
    mine: str | None,
    include_resolved: bool,
    moment: datetime,
) -> list[Listed]:
    governance = catalog.governance()
    answering = set(governance.accountable + governance.responsible)
    mine_roles = set(people.roles_of(catalog, mine)) if mine else set()
    rows = []
    for escalation in escalations(factory, resolved=include_resolved).values():
        if not escalation.open and not include_resolved:
            continue
        sla = sla_of(governance, escalation)
        late = escalation.past_sla(moment, sla)
        if past_sla and not late:
            continue
        if mine is not None and not _involves(catalog, escalation, mine, mine_roles, answering):
            continue
        rows.append(Listed(escalation, sla, late))
    return sorted(rows, key=_order)


def _order(row: Listed) -> tuple[bool, int, str, str]:
    e = row.escalation
    return (not row.past_sla, -severity_rank(e.severity), e.opened_at, e.id)


def severity_rank(severity: str) -> int:
    return SEVERITY_LEVELS.index(severity) if severity in SEVERITY_LEVELS else 0


def _involves(
    catalog: Catalog, e: Escalation, actor: str, roles: set[str], answering: set[str]
) -> bool:
    named = (e.caused_by, e.opened_by, *e.to, *e.breached_to)
    return bool(roles & answering) or any(people.same_member(catalog, actor, n) for n in named)


# -- writing -------------------------------------------------------------------


def open_escalation(
    factory: Factory,
    *,
    actor: str,
    subject: str,
    cause: str,
    severity: str,
    evidence: Mapping[str, Any] | None = None,
    caused_by: str | None = None,
    to: Sequence[str] = (),
) -> str:
    """Record an `escalation.opened` entry by ACTOR about SUBJECT; return its `ESC-` id.

    CAUSE says why in a word or a dotted name (`tests.failed`, `integrity`, or the
    reason a person gave); SEVERITY is one of `low`, `medium`, `high`, `critical`;
    EVIDENCE is JSON without floats (ledger entry ids, artifact paths, counts).
    CAUSED_BY is the member whose work it is about (default: ACTOR), who may not
    answer it; TO names members it goes to at once."""
    if severity not in SEVERITY_LEVELS:
        raise UsageError(f"severity must be one of {', '.join(SEVERITY_LEVELS)}, not {severity!r}")
    if not subject.strip():
        raise UsageError("an escalation needs a subject: the run, work item or commit it concerns")
    if not cause.strip():
        raise UsageError("an escalation needs a cause")
    taken = escalations(factory)
    escalation_id = new_id(PREFIX, taken.__contains__)
    data: dict[str, Any] = {
        "id": escalation_id,
        "cause": cause.strip(),
        "severity": severity,
        "evidence": dict(evidence or {}),
    }
    if caused_by:
        data["caused_by"] = caused_by
    if to:
        data["to"] = sorted(set(to))
    events.append(factory, kind=OPENED, actor=actor, subject=subject.strip(), data=data)
    return escalation_id


def escalate_integrity(
    factory: Factory, *, actor: str, subject: str, evidence: Mapping[str, Any]
) -> str | None:
    """Open a critical `integrity` escalation that goes at once to the holders of the
    integrity roles; None when an open one already carries the same EVIDENCE."""
    for known in escalations(factory, resolved=False).values():
        if known.open and known.cause == INTEGRITY and known.evidence == dict(evidence):
            return None
    with people.catalog_for(factory) as catalog:
        to = people.holders(catalog, catalog.governance().integrity_roles)
    return open_escalation(
        factory,
        actor=actor,
        subject=subject,
        cause=INTEGRITY,
        severity="critical",
        evidence=evidence,
        to=to,
    )


def escalate_tampering(factory: Factory, *, actor: str, problems: Sequence[str]) -> str | None:
    """Open the integrity escalation of a failed `fos verify` (once for one set of
    PROBLEMS, each as verify prints it); None when it is open already."""
    digest = hashlib.sha256("\n".join(sorted(problems)).encode("utf-8")).hexdigest()
    evidence = {"problems": len(problems), "digest": digest, "first": min(problems, default="")}
    return escalate_integrity(factory, actor=actor, subject="ledger", evidence=evidence)


def _may_answer(catalog: Catalog, escalation: Escalation, actor: str) -> None:
    """Refuse ACTOR unless they may acknowledge or resolve ESCALATION."""
    member = people.member_id(catalog, actor)
    if member is None:
        raise Refused(f"{actor} is not a member of team.yaml; only members answer escalations")
    if people.same_member(catalog, member, escalation.caused_by):
        raise Refused(
            f"{member} caused {escalation.id}; someone else must answer it"
            f" (it goes to: {', '.join(_answerers(catalog, escalation)) or 'no one yet'})"
        )
    governance = catalog.governance()
    roles = set(governance.accountable + governance.responsible)
    if escalation.cause == INTEGRITY:
        roles |= set(governance.integrity_roles)
    named = set(escalation.to + escalation.breached_to)
    if member in named or roles & set(people.roles_of(catalog, member)):
        return
    raise Refused(
        f"{member} may not answer {escalation.id}: it goes to the roles"
        f" {', '.join(sorted(roles)) or '(none)'} for governance in raci.yaml"
        + (f", and to {', '.join(sorted(named))}" if named else "")
    )


def _answerers(catalog: Catalog, escalation: Escalation) -> list[str]:
    governance = catalog.governance()
    roles = set(governance.accountable + governance.responsible)
    found = set(people.holders(catalog, roles)) | set(escalation.to + escalation.breached_to)
    return sorted(found - {people.member_id(catalog, escalation.caused_by) or ""})


def acknowledge(factory: Factory, *, actor: str, escalation_id: str) -> str:
    """Record that ACTOR has taken ESCALATION_ID up; the SLA is then met if on time."""
    escalation = find(factory, escalation_id)
    if not escalation.open:
        raise UsageError(f"{escalation_id} was resolved by {escalation.resolved_by}")
    if escalation.acked_at is not None:
        raise UsageError(f"{escalation_id} was acknowledged by {escalation.acked_by}")
    with people.catalog_for(factory) as catalog:
        _may_answer(catalog, escalation, actor)
    return events.append(factory, kind=ACKED, actor=actor, subject=escalation_id)


def resolve(factory: Factory, *, actor: str, escalation_id: str, resolution: str) -> str:
    """Record ACTOR's RESOLUTION of ESCALATION_ID, closing it."""
    if not resolution.strip():
        raise UsageError("say how it was resolved: --resolution TEXT")
    escalation = find(factory, escalation_id)
    if not escalation.open:
        raise UsageError(f"{escalation_id} was already resolved by {escalation.resolved_by}")
    with people.catalog_for(factory) as catalog:
        _may_answer(catalog, escalation, actor)
    return events.append(
        factory,
        kind=RESOLVED,
        actor=actor,
        subject=escalation_id,
        data={"resolution": resolution.strip()},
    )


def record_breach(
    factory: Factory,
    escalation: Escalation,
    *,
    actor: str,
    to: Sequence[str],
    sla_minutes: int,
) -> str:
    """Write the `escalation.breached` of ESCALATION, naming the members TO it now
    goes to (those accountable for governance); return the entry's id."""
    return events.append(
        factory,
        kind=BREACHED,
        actor=actor,
        subject=escalation.id,
        data={
            "to": list(to),
            "due_at": clock.stamp(escalation.due_at(sla_minutes)),
            "sla_minutes": sla_minutes,
        },
    )
