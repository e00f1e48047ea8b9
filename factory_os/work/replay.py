"""State from the ledger: the entries of some kinds, folded in replay order.

Everything in `work/` (work items and their gates, runs, escalations,
overrides) keeps no state of its own: it asks for the events of its kinds and
folds them, in the ledger's replay order (height, then id, as
`factory_os.ledger.events.entries` gives them), into what it needs to know.
This module is the one way to do that, shared by all of them:

    states = replay.fold(replay.select(factory, KINDS), step, {})

`select` reads the work tree's ledger; `fold` and `by_subject` work on any
sequence of entries already in replay order, so the pull-request check can
replay a base's entries followed by the ones a range adds with the same code.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from typing import TypeVar

from factory_os.ledger import events
from factory_os.ledger.events import Entry
from factory_os.store import Factory

State = TypeVar("State")


def select(factory: Factory, kinds: Collection[str]) -> list[Entry]:
    """The entries of KINDS in the work tree's ledger, in replay order; only these are parsed."""
    return events.entries(factory, kinds)


def of_kinds(entries: Iterable[Entry], kinds: Collection[str]) -> list[Entry]:
    """The entries of ENTRIES whose kind is one of KINDS, order kept."""
    wanted = frozenset(kinds)
    return [entry for entry in entries if entry.kind in wanted]


def fold(entries: Iterable[Entry], step: Callable[[State, Entry], State], state: State) -> State:
    """STATE after STEP has seen each entry in turn: `step(state, entry) -> state`."""
    for entry in entries:
        state = step(state, entry)
    return state


def by_subject(entries: Iterable[Entry]) -> dict[str, list[Entry]]:
    """ENTRIES grouped by subject (the id they concern), each group in the order given."""
    groups: dict[str, list[Entry]] = {}
    for entry in entries:
        groups.setdefault(entry.subject, []).append(entry)
    return groups
