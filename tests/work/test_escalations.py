from __future__ import annotations

from pathlib import Path

import pytest

from factory_os import store
from factory_os.errors import UsageError
from factory_os.ledger import events
from factory_os.work.escalations import open_escalation


def test_opening_an_escalation_records_it_with_its_cause_and_evidence(
    factory_repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FOS_NOW", "2026-12-01T09:00:00Z")
    factory = store.find_factory(factory_repo)

    escalation_id = open_escalation(
        factory,
        actor="test",
        subject="run_0a1b2c3d",
        cause="tests.failed",
        severity="high",
        evidence={"artifact": ".factory/runs/run_0a1b2c3d/test-results.json", "failed": 3},
    )

    assert escalation_id.startswith("ESC-")
    opened = [e for e in events.entries(factory) if e.kind == "escalation.opened"]
    assert [(e.subject, e.actor, e.at, e.data) for e in opened] == [
        (
            "run_0a1b2c3d",
            "test",
            "2026-12-01T09:00:00Z",
            {
                "id": escalation_id,
                "cause": "tests.failed",
                "severity": "high",
                "evidence": {
                    "artifact": ".factory/runs/run_0a1b2c3d/test-results.json",
                    "failed": 3,
                },
            },
        )
    ]


def test_each_escalation_gets_its_own_id(factory_repo: Path) -> None:
    factory = store.find_factory(factory_repo)
    ids = {
        open_escalation(factory, actor="test", subject="SP-1a2b3c", cause="veto", severity="low")
        for _ in range(5)
    }
    assert len(ids) == 5


def test_an_unknown_severity_is_refused_and_nothing_is_written(factory_repo: Path) -> None:
    factory = store.find_factory(factory_repo)
    before = len(events.entries(factory))
    with pytest.raises(UsageError, match="severity"):
        open_escalation(factory, actor="test", subject="run_0a1b2c3d", cause="x", severity="urgent")
    assert len(events.entries(factory)) == before
