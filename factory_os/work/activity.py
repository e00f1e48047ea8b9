"""What is under way, from the ledger: sessions and factory runs started and not
yet ended, and the latest handoff to each member (or to the team).

Each is a `projection`, so the sweep, the handoff and the context read them
without replaying the whole ledger.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from factory_os.ledger.events import Entry
from factory_os.store import Factory
from factory_os.work import projection
from factory_os.work.projection import Projection

SESSION_STARTED = "session.started"
SESSION_ENDED = "session.ended"
RUN_STARTED = "run.started"
RUN_ENDED = ("run.shipped", "run.abandoned")
HANDOFF = "handoff.recorded"


@dataclass(frozen=True)
class Started:
    """A session or a run: who started it, when, and whether it has ended."""

    id: str
    actor: str
    at: str
    ended: bool = False


def _started_fold(
    start: str, ends: tuple[str, ...]
) -> Callable[[Iterable[Entry], dict[str, Started]], dict[str, Started]]:
    def fold(entries: Iterable[Entry], found: dict[str, Started]) -> dict[str, Started]:
        for e in entries:
            current = found.get(e.subject)
            if e.kind == start and (current is None or not current.actor):
                found[e.subject] = Started(e.subject, e.actor, e.at, current is not None)
            elif e.kind in ends:
                found[e.subject] = Started(
                    e.subject, current.actor if current else "", current.at if current else "", True
                )
        return found

    return fold


def _started(name: str, start: str, ends: tuple[str, ...]) -> Projection[Started]:
    return Projection(
        name,
        frozenset((start, *ends)),
        _started_fold(start, ends),
        lambda s: (s.id, s.actor, s.at, s.ended),
        lambda values: Started(*values),
        lambda s: s.ended,
    )


SESSIONS = _started("sessions", SESSION_STARTED, (SESSION_ENDED,))
RUNS = _started("runs", RUN_STARTED, RUN_ENDED)


def open_sessions(factory: Factory) -> list[Started]:
    """Sessions started and never ended, in the order they started."""
    found = projection.state(factory, SESSIONS, settled=False).values()
    return sorted((s for s in found if not s.ended and s.actor), key=lambda s: (s.at, s.id))


def open_runs(factory: Factory) -> list[Started]:
    found = projection.state(factory, RUNS, settled=False).values()
    return sorted((r for r in found if not r.ended and r.actor), key=lambda r: (r.at, r.id))


def _handoff_fold(
    entries: Iterable[Entry], found: dict[str, tuple[str, str, dict[str, Any]]]
) -> dict[str, tuple[str, str, dict[str, Any]]]:
    for e in entries:
        found[e.subject] = (e.actor, e.at, e.data)
    return found


HANDOFFS: Projection[tuple[str, str, dict[str, Any]]] = Projection(
    "handoffs", frozenset({HANDOFF}), _handoff_fold, lambda v: v, lambda v: tuple(v)
)


def latest_handoffs(factory: Factory) -> dict[str, tuple[str, str, dict[str, Any]]]:
    """Recipient (a member id or `team`) -> (by, at, data) of the latest handoff to it."""
    return projection.state(factory, HANDOFFS)
