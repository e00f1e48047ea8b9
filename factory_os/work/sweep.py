"""The sweep: what needs a person now, and the few events only the passing of time makes.

A scheduled job runs `fos sweep`. It reads the ledger once and reports:

- escalations past their SLA, recording `escalation.breached` once for each
  (it then goes to the members accountable for governance);
- overrides that expired, recording `override.expired` once for each (for the
  record: nothing needs doing, the check already ignores them);
- sessions started more than `STALE_SESSION_HOURS` ago and never ended;
- knowledge due for review, and notes and decisions whose paths match no file
  any more (`factory_os.memory.drift`).

Running it again writes nothing new: every event it records is keyed on an
escalation or override that the next replay shows as already done.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from factory_os import clock
from factory_os.ledger import events
from factory_os.ledger.events import Entry
from factory_os.memory.catalog import Catalog
from factory_os.store import Factory
from factory_os.work import escalations, overrides, people

STALE_SESSION_HOURS = 24
SESSION_STARTED = "session.started"
SESSION_ENDED = "session.ended"
NO_ONE = "no one (raci.yaml names no member accountable for governance)"
KINDS = (*escalations.KINDS, *overrides.KINDS, SESSION_STARTED, SESSION_ENDED)


@dataclass(frozen=True)
class SweepItem:
    """One thing the sweep found. ATTENTION: a person must act on it."""

    kind: str
    id: str
    message: str
    attention: bool = True
    path: str | None = None
    line: int | None = None
    recorded: str | None = None  # the id of the ledger entry this sweep wrote for it

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class SweepReport:
    now: str
    items: tuple[SweepItem, ...]

    @property
    def attention(self) -> list[SweepItem]:
        return [i for i in self.items if i.attention]

    @property
    def written(self) -> int:
        return sum(1 for i in self.items if i.recorded)


def sweep(factory: Factory, *, actor: str, now: datetime | None = None) -> SweepReport:
    """Sweep FACTORY at NOW (default: the clock), recording as ACTOR what time made due."""
    moment = now or clock.now()
    entries = [e for e in events.entries(factory) if e.kind in KINDS]
    with people.catalog_for(factory) as catalog:
        items = [
            *_escalations(factory, catalog, entries, actor, moment),
            *_overrides(factory, entries, actor, moment),
            *_sessions(entries, moment),
            *_drift(factory, moment),
        ]
    return SweepReport(clock.stamp(moment), tuple(items))


def _escalations(
    factory: Factory, catalog: Catalog, entries: Sequence[Entry], actor: str, now: datetime
) -> Iterable[SweepItem]:
    governance = catalog.governance()
    to = tuple(people.holders(catalog, governance.accountable))
    known = escalations.fold(e for e in entries if e.kind in escalations.KINDS)
    for e in sorted(known.values(), key=lambda e: (e.opened_at, e.id)):
        sla = escalations.sla_of(governance, e)
        if not e.past_sla(now, sla):
            continue
        recorded = None
        if e.breached_at is None:
            recorded = escalations.record_breach(factory, e, actor=actor, to=to, sla_minutes=sla)
        goes = ", ".join(e.breached_to if e.breached_at is not None else to)
        yield SweepItem(
            "escalation.past_sla",
            e.id,
            f"{e.severity} escalation about {e.subject} ({e.cause}) was due at"
            f" {clock.stamp(e.due_at(sla))}; it goes to {goes or NO_ONE}",
            recorded=recorded,
        )


def _overrides(
    factory: Factory, entries: Sequence[Entry], actor: str, now: datetime
) -> Iterable[SweepItem]:
    known = overrides.fold(e for e in entries if e.kind in overrides.KINDS)
    for state in sorted(known.values(), key=lambda s: (s.override.expires_at, s.id)):
        if state.revoked_at or state.expired_recorded or state.active(now):
            continue
        o = state.override
        yield SweepItem(
            "override.expired",
            o.id,
            f"override of {o.rule} ({o.scope}: {', '.join(o.targets)}) by {o.granted_by}"
            f" expired at {o.expires_at}",
            attention=False,
            recorded=overrides.record_expiry(factory, state, actor=actor),
        )


def _sessions(entries: Sequence[Entry], now: datetime) -> Iterable[SweepItem]:
    ended = {e.subject for e in entries if e.kind == SESSION_ENDED}
    stale = clock.stamp(now - timedelta(hours=STALE_SESSION_HOURS))
    seen: set[str] = set()
    for e in entries:
        if e.kind != SESSION_STARTED or e.subject in ended or e.subject in seen:
            continue
        seen.add(e.subject)
        if e.at < stale:
            yield SweepItem(
                "session.open",
                e.subject,
                f"session started by {e.actor} at {e.at} was never ended"
                f" (`fos session end --session {e.subject}`)",
            )


def _drift(factory: Factory, now: datetime) -> Iterable[SweepItem]:
    from factory_os.memory.drift import find_drift

    for d in find_drift(factory, today=now.date()):
        if d.kind in ("knowledge", "decision"):
            kind = "knowledge.review" if d.reason.startswith("review_by") else f"{d.kind}.paths"
            yield SweepItem(kind, d.id, d.reason, path=d.path, line=d.line)
