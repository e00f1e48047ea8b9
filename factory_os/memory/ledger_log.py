"""The ledger read as a history of the factory: its events, newest first."""

from __future__ import annotations

from pathlib import Path

from factory_os import store
from factory_os.ledger import events


def log(*, cwd: Path, kind: str | None = None) -> list[events.Entry]:
    """The entries newest first (reverse replay order), only KIND's if given: a kind
    (`rule.added`) or a family of kinds (`rule`)."""
    entries = events.entries(store.find_factory(cwd))
    entries.reverse()
    if kind:
        entries = [e for e in entries if e.kind == kind or e.kind.startswith(f"{kind}.")]
    return entries
