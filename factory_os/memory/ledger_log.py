"""The ledger read as a history of the factory: its events, newest first."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from factory_os import store
from factory_os.errors import Problem, UsageError
from factory_os.ledger import events
from factory_os.model.vocabulary import LEDGER_KINDS


def log(*, cwd: Path, kind: str | None = None) -> list[events.Entry]:
    """The entries newest first (reverse replay order), only KIND's if given: a kind
    (`rule.added`) or a family of kinds (`rule`). A KIND that names no kind factory-os
    records, nor any kind in this ledger, is a usage error listing the known ones."""
    entries = events.entries(store.find_factory(cwd))
    entries.reverse()
    if kind:
        known = sorted(set(LEDGER_KINDS) | {e.kind for e in entries})
        if not any(k == kind or k.startswith(f"{kind}.") for k in known):
            raise UsageError(f"--kind: no kind {kind!r}; known kinds: {', '.join(known)}")
        entries = [e for e in entries if e.kind == kind or e.kind.startswith(f"{kind}.")]
    return entries


def actor_problems(*, cwd: Path, entries: Sequence[events.Entry]) -> list[Problem]:
    """The ENTRIES whose actor is not a member id of team.yaml (free text, a line
    break, someone the team does not list), each as `segment:line: why`. An entry
    from before actors were ids may name a member by email."""
    ids, emails = events.members(store.find_factory(cwd))
    return [
        Problem(e.segment, e.line, f"entry {e.id[:12]}: {problem}")
        for e in entries
        if (problem := events.actor_problem(e.actor, ids, emails)) is not None
    ]
