"""Shift handoff: what is open, written down for whoever comes next.

`handoff` records a `handoff.recorded` ledger entry (subject: the member it is
for, or `team`) whose data is a digest of what is open at that moment: the
escalations (past their SLA first), the sessions and factory runs still open,
and the overrides that expire within a day. `fos context` shows the latest
handoff for a member (or for the whole team) under "Open items", so the next
member starts from it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from factory_os import clock
from factory_os.errors import UsageError
from factory_os.ledger import events
from factory_os.ledger.events import Entry
from factory_os.store import Factory
from factory_os.work import escalations, overrides, people

RECORDED = "handoff.recorded"
TEAM = "team"
EXPIRING_WITHIN = timedelta(days=1)
RUN_STARTED = "run.started"
RUN_ENDED = ("run.shipped", "run.abandoned")
SESSION_STARTED = "session.started"
SESSION_ENDED = "session.ended"
KINDS = (
    *escalations.KINDS,
    *overrides.KINDS,
    RUN_STARTED,
    *RUN_ENDED,
    SESSION_STARTED,
    SESSION_ENDED,
    RECORDED,
)


@dataclass(frozen=True)
class Handoff:
    """What one member left open for the next (or for the team)."""

    by: str
    to: str
    at: str
    escalations: list[dict[str, Any]] = field(default_factory=list)
    sessions: list[dict[str, str]] = field(default_factory=list)
    runs: list[dict[str, str]] = field(default_factory=list)
    overrides: list[dict[str, str]] = field(default_factory=list)

    def data(self) -> dict[str, Any]:
        return {
            "to": self.to,
            "escalations": self.escalations,
            "sessions": self.sessions,
            "runs": self.runs,
            "overrides": self.overrides,
        }

    def lines(self) -> list[str]:
        """The digest, one line an item: escalations past their SLA first."""
        out = [f"Handoff from {self.by} at {self.at} (to {self.to}):"]
        for e in self.escalations:
            late = "PAST SLA, " if e.get("past_sla") else ""
            out.append(
                f"  escalation {e['id']} ({late}{e['severity']}, due {e['due_at']}):"
                f" {e['subject']}: {e['cause']}"
            )
        out += [f"  open session {s['id']} by {s['actor']}" for s in self.sessions]
        out += [f"  open run {r['id']} by {r['actor']}" for r in self.runs]
        out += [
            f"  override {o['id']} of {o['rule']} expires {o['expires_at']}" for o in self.overrides
        ]
        if len(out) == 1:
            out.append("  nothing open")
        return out


def _open_subjects(entries: Iterable[Entry], start: str, ends: Sequence[str]) -> list[Entry]:
    ended = {e.subject for e in entries if e.kind in ends}
    first: dict[str, Entry] = {}
    for e in entries:
        if e.kind == start and e.subject not in ended:
            first.setdefault(e.subject, e)
    return list(first.values())


def digest(
    factory: Factory, entries: Sequence[Entry], *, by: str, to: str, now: datetime
) -> Handoff:
    """What is open in ENTRIES (replay order) at NOW, as BY's handoff to TO."""
    with people.catalog_for(factory) as catalog:
        governance = catalog.governance()
    rows = []
    for e in escalations.fold(x for x in entries if x.kind in escalations.KINDS).values():
        if not e.open:
            continue
        sla = escalations.sla_of(governance, e)
        late = e.past_sla(now, sla)
        row = {
            "id": e.id,
            "subject": e.subject,
            "severity": e.severity,
            "cause": e.cause,
            "due_at": clock.stamp(e.due_at(sla)),
            "past_sla": late,
        }
        rows.append((not late, -escalations.severity_rank(e.severity), e.opened_at, row))
    states = overrides.fold(x for x in entries if x.kind in overrides.KINDS)
    return Handoff(
        by=by,
        to=to,
        at=clock.stamp(now),
        escalations=[row for *_, row in sorted(rows, key=lambda r: r[:3])],
        sessions=[
            {"id": s.subject, "actor": s.actor}
            for s in _open_subjects(entries, SESSION_STARTED, (SESSION_ENDED,))
        ],
        runs=[
            {"id": r.subject, "actor": r.actor}
            for r in _open_subjects(entries, RUN_STARTED, RUN_ENDED)
        ],
        overrides=[
            {"id": o.id, "rule": o.rule, "expires_at": o.expires_at}
            for o in overrides.expiring(list(states.values()), now, EXPIRING_WITHIN)
        ],
    )


def hand_off(
    factory: Factory, *, actor: str, to: str | None = None, now: datetime | None = None
) -> Handoff:
    """Record ACTOR's handoff to the member TO (default: the team); return it."""
    recipient = TEAM
    if to:
        with people.catalog_for(factory) as catalog:
            member = people.member_id(catalog, to)
        if member is None:
            raise UsageError(f"--to {to}: no such member in team.yaml")
        recipient = member
    entries = [e for e in events.entries(factory) if e.kind in KINDS]
    handoff = digest(factory, entries, by=actor, to=recipient, now=now or clock.now())
    events.append(factory, kind=RECORDED, actor=actor, subject=recipient, data=handoff.data())
    return handoff


def latest_for(entries: Iterable[Entry], member: str | None) -> Handoff | None:
    """The last handoff in ENTRIES to MEMBER, or to the team."""
    found = None
    for e in entries:
        if e.kind == RECORDED and e.subject in (TEAM, member):
            data = e.data
            found = Handoff(
                by=e.actor,
                to=e.subject,
                at=e.at,
                escalations=list(data.get("escalations", [])),
                sessions=list(data.get("sessions", [])),
                runs=list(data.get("runs", [])),
                overrides=list(data.get("overrides", [])),
            )
    return found
