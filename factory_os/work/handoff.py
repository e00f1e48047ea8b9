"""Shift handoff: what is open, written down for whoever comes next.

`handoff` records a `handoff.recorded` ledger entry (subject: the member it is
for, or `team`) whose data is a digest of what is open at that moment: the
escalations (past their SLA first), the sessions and factory runs still open,
and the overrides that expire within a day. `fos context` shows the latest
handoff for a member (or for the whole team) under "Open items", so the next
member starts from it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from factory_os import clock
from factory_os.errors import UsageError
from factory_os.ledger import events
from factory_os.store import Factory
from factory_os.work import activity, escalations, overrides, people

RECORDED = activity.HANDOFF
TEAM = "team"
EXPIRING_WITHIN = timedelta(days=1)


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


def digest(factory: Factory, *, by: str, to: str, now: datetime) -> Handoff:
    """What is open in FACTORY's ledger at NOW, as BY's handoff to TO."""
    with people.catalog_for(factory) as catalog:
        governance = catalog.governance()
    rows = []
    for e in escalations.escalations(factory, resolved=False).values():
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
    states = list(overrides.overrides(factory, ended=False).values())
    return Handoff(
        by=by,
        to=to,
        at=clock.stamp(now),
        escalations=[row for *_, row in sorted(rows, key=lambda r: r[:3])],
        sessions=[{"id": s.id, "actor": s.actor} for s in activity.open_sessions(factory)],
        runs=[{"id": r.id, "actor": r.actor} for r in activity.open_runs(factory)],
        overrides=[
            {"id": o.id, "rule": o.rule, "expires_at": o.expires_at}
            for o in overrides.expiring(states, now, EXPIRING_WITHIN)
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
    handoff = digest(factory, by=actor, to=recipient, now=now or clock.now())
    events.append(factory, kind=RECORDED, actor=actor, subject=recipient, data=handoff.data())
    return handoff


def latest_for(factory: Factory, member: str | None) -> Handoff | None:
    """The latest handoff to MEMBER or to the team."""
    latest = activity.latest_handoffs(factory)
    found = [(latest[k][1], k) for k in (TEAM, member) if k is not None and k in latest]
    if not found:
        return None
    _at, to = max(found)
    by, at, data = latest[to]
    return Handoff(
        by=by,
        to=to,
        at=at,
        escalations=list(data.get("escalations", [])),
        sessions=list(data.get("sessions", [])),
        runs=list(data.get("runs", [])),
        overrides=list(data.get("overrides", [])),
    )
