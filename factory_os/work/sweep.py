"""The sweep: what needs a person now, and the few events only the passing of time makes.

A scheduled job runs `fos sweep`. It reads the ledger once and reports:

- escalations past their SLA, recording `escalation.breached` once for each
  (it then goes to the members accountable for governance);
- overrides that expired, recording `override.expired` once for each (for the
  record: nothing needs doing, the check already ignores them);
- sessions started more than `STALE_SESSION_HOURS` ago and never ended;
- work items whose maintenance is past its cadence, and sign-offs (launch's)
  that an owner transfer made stale and the new owner has not given again
  (`factory_os.work.status`);
- knowledge due for review, and notes and decisions whose paths match no file
  any more (as `fos drift` says, from the cached documents).

Running it again writes nothing new: every event it records is keyed on an
escalation or override that the next replay shows as already done.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from factory_os import clock
from factory_os.git import plumbing as git
from factory_os.memory.catalog import Catalog
from factory_os.paths import SPECS_DIR
from factory_os.rules import pathmatch
from factory_os.store import Factory
from factory_os.work import activity, escalations, overrides, people

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
    with people.catalog_for(factory) as catalog:
        items = [
            *_escalations(factory, catalog, actor, moment),
            *_overrides(factory, actor, moment),
            *_sessions(factory, moment),
            *_work_items(factory),
            *_drift(factory, catalog, moment),
        ]
    return SweepReport(clock.stamp(moment), tuple(items))


def _escalations(
    factory: Factory, catalog: Catalog, actor: str, now: datetime
) -> Iterable[SweepItem]:
    governance = catalog.governance()
    to = tuple(people.holders(catalog, governance.accountable))
    known = [e for e in escalations.escalations(factory, resolved=False).values() if e.open]
    for e in sorted(known, key=lambda e: (e.opened_at, e.id)):
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


def _overrides(factory: Factory, actor: str, now: datetime) -> Iterable[SweepItem]:
    known = [
        s
        for s in overrides.overrides(factory, ended=False).values()
        if not (s.revoked_at or s.expired_recorded or s.active(now))
    ]
    for state in sorted(known, key=lambda s: (s.override.expires_at, s.id)):
        o = state.override
        yield SweepItem(
            "override.expired",
            o.id,
            f"override of {o.rule} ({o.scope}: {', '.join(o.targets)}) by {o.granted_by}"
            f" expired at {o.expires_at}",
            attention=False,
            recorded=overrides.record_expiry(factory, state, actor=actor),
        )


def _sessions(factory: Factory, now: datetime) -> Iterable[SweepItem]:
    stale = clock.stamp(now - timedelta(hours=STALE_SESSION_HOURS))
    for session in activity.open_sessions(factory):
        if session.at < stale:
            yield SweepItem(
                "session.open",
                session.id,
                f"session started by {session.actor} at {session.at} was never ended"
                f" (`fos session end --session {session.id}`)",
            )


def _work_items(factory: Factory) -> Iterable[SweepItem]:
    """Maintenance past its cadence, and sign-offs an owner transfer made stale
    (`factory_os.work.status`); read only where there are work items."""
    specs = factory.root / SPECS_DIR
    if not specs.is_dir() or not any(p.is_dir() for p in specs.iterdir()):
        return
    from factory_os.work.status import status

    for s in status(factory):
        if s.overdue is not None:
            yield SweepItem(
                "maintenance.overdue",
                s.item.id,
                f"{s.title or s.item.id}: maintenance at {s.item.stage} is {s.overdue} days"
                " past its cadence (`fos spec maintain`)",
            )
        for stage in s.resign:
            yield SweepItem(
                "signoff.stale",
                s.item.id,
                f"{s.title or s.item.id}: the {stage} sign-off was not given again since"
                " the owner changed",
            )


def _drift(factory: Factory, catalog: Catalog, now: datetime) -> Iterable[SweepItem]:
    """Knowledge due for review, and notes and decisions whose paths match no file
    (what `fos drift` says of them), from the cached documents."""
    today = now.date().isoformat()
    notes = catalog.notes()
    decisions = [d for d in catalog.decisions() if d.status != "superseded"]
    files: list[str] | None = None

    def gone(patterns: tuple[str, ...]) -> bool:
        nonlocal files
        if not patterns:
            return False
        if files is None:
            files = sorted(set(git.ls_files(factory.root, [], untracked=True)))
        return not pathmatch.any_file_matches(patterns, files)

    for note in notes:
        if note.review_by is not None and note.review_by < today:
            yield SweepItem(
                "knowledge.review",
                note.id,
                f"review_by {note.review_by} has passed",
                path=note.rel,
            )
        if gone(note.paths):
            yield SweepItem("knowledge.paths", note.id, _no_file(note.paths), path=note.rel)
    dna = factory.rel(factory.dir / "DNA.md")
    for decision in decisions:
        if gone(decision.paths):
            yield SweepItem(
                "decision.paths",
                decision.id,
                _no_file(decision.paths),
                path=dna,
                line=decision.line,
            )


def _no_file(patterns: tuple[str, ...]) -> str:
    return f"paths {', '.join(patterns)} match no file in the work tree"
