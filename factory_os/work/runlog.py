"""The runs as the ledger tells them: its run and escalation events, folded."""

from __future__ import annotations

from factory_os.store import Factory
from factory_os.work import replay
from factory_os.work.runstate import KINDS, RunState, fold


def runs(factory: Factory) -> dict[str, RunState]:
    """Every run of the ledger, by id."""
    return fold(replay.select(factory, KINDS))
