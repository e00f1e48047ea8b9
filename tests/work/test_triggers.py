"""Proactive escalation: each cause stops the run, even with every gate on auto, at and
around its threshold; and it is escalated once, not at every command."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from factory_os import store
from factory_os.ledger import events
from tests.helpers import fos, write_tree
from tests.run_helpers import (
    DOCS,
    REVIEW,
    SECURITY,
    make_team,
    plan,
    record,
    recorded,
    results_for,
    show,
    start,
    task,
    through_plan,
)


@pytest.fixture
def auto_run(factory_repo: Path) -> tuple[Path, str]:
    """A run with every gate on auto, past its plan gate (plan of four tasks)."""
    make_team(factory_repo)
    run_id = start(factory_repo)
    through_plan(factory_repo, run_id, plan(*(task(f"T{n}", n) for n in range(1, 5))))
    return factory_repo, run_id


def _opened(repo: Path, run_id: str) -> list[dict[str, Any]]:
    factory = store.find_factory(repo)
    return [
        e.data
        for e in events.entries(factory)
        if e.kind == "escalation.opened" and e.subject == run_id
    ]


def _four() -> list[dict[str, Any]]:
    return [task(f"T{n}", n) for n in range(1, 5)]


def test_a_critical_review_issue_escalates_and_stops_the_run(auto_run: tuple[Path, str]) -> None:
    repo, run_id = auto_run
    issue = {"severity": "critical", "file": "src/pay.py", "line": 9, "message": "m"}
    review = {**REVIEW, "verdict": "fail", "issues": [issue]}
    result = record(repo, run_id, "review.json", review)
    assert result.code == 1
    assert "review.critical" in result.out and "src/pay.py:9" in result.out
    assert "is stopped" in result.err
    [opened] = _opened(repo, run_id)
    assert opened["cause"] == "review.critical" and opened["severity"] == "critical"
    gate = fos(repo, "run", "gate", run_id, "ship")
    assert gate.code == 1 and "review.critical" in gate.err
    assert len(_opened(repo, run_id)) == 1  # escalated once


def test_a_high_review_issue_does_not_escalate(auto_run: tuple[Path, str]) -> None:
    repo, run_id = auto_run
    review = {**REVIEW, "verdict": "fail",
              "issues": [{"severity": "high", "file": "src/pay.py", "message": "m"}]}  # fmt: skip
    assert record(repo, run_id, "review.json", review).code == 0
    assert _opened(repo, run_id) == []


def test_failed_tests_escalate(auto_run: tuple[Path, str]) -> None:
    repo, run_id = auto_run
    result = record(repo, run_id, "test-results.json", results_for(plan(*_four()), failed=1))
    assert result.code == 1 and "tests.failed" in result.out
    assert "1 of 11 tests failed" in result.out
    passing = record(repo, run_id, "test-results.json", results_for(plan(*_four())))
    assert passing.code == 1  # recorded, but the escalation stays open until resolved
    assert [o["cause"] for o in _opened(repo, run_id)] == ["tests.failed"]


@pytest.mark.parametrize(("severity", "escalates"), [("medium", False), ("high", True),
                                                     ("critical", True)])  # fmt: skip
def test_security_findings_escalate_from_high(
    auto_run: tuple[Path, str], severity: str, escalates: bool
) -> None:
    repo, run_id = auto_run
    finding = {"severity": severity, "category": "A03", "title": "SQL injection"}
    review = {**SECURITY, "verdict": "fail", "findings": [finding]}
    result = record(repo, run_id, "security-review.json", review)
    assert result.code == (1 if escalates else 0), result.output
    causes = [(o["cause"], o["severity"]) for o in _opened(repo, run_id)]
    assert causes == ([("security.critical_or_high", severity)] if escalates else [])


@pytest.mark.parametrize(("changed", "escalates"), [(1, False), (2, True)])
def test_a_plan_revision_escalates_over_the_threshold(
    auto_run: tuple[Path, str], changed: int, escalates: bool
) -> None:
    """Four tasks: one modified is 25% exactly (not over), two are 50%."""
    repo, run_id = auto_run
    tasks = _four()
    for index in range(changed):
        tasks[index]["title"] = "Revised"
    result = record(repo, run_id, "plan.json", plan(*tasks))
    assert result.code == (1 if escalates else 0), result.output
    opened = _opened(repo, run_id)
    assert [o["cause"] for o in opened] == (["plan.changed_over_threshold"] if escalates else [])
    revision = show(repo, run_id)["devils_advocate"][0]
    assert revision["modified"] == [f"T{n}" for n in range(1, changed + 1)]
    assert revision["share"] == ("0.5" if escalates else "0.25")


def test_added_and_removed_tasks_count_and_the_threshold_is_a_setting(
    auto_run: tuple[Path, str],
) -> None:
    repo, run_id = auto_run
    config = (repo / ".factory" / "factory.yaml").read_text()
    write_tree(
        repo / ".factory", {"factory.yaml": config + "runs:\n  plan_change_threshold: 0.5\n"}
    )
    tasks = [*_four()[:3], task("T9", 4)]  # one removed, one added: 50%, at the threshold
    assert record(repo, run_id, "plan.json", plan(*tasks)).code == 0
    revision = show(repo, run_id)["devils_advocate"][0]
    assert (revision["added"], revision["removed"]) == (["T9"], ["T4"])
    tasks = [*tasks[:3], task("T8", 4)]  # against the last version: 50% again
    assert record(repo, run_id, "plan.json", plan(*tasks)).code == 0
    tasks = [task("T5", 1), *tasks[1:]]
    tasks[1]["title"] = "Again"  # one removed, one added, one modified: 75%
    assert record(repo, run_id, "plan.json", plan(*tasks)).code == 1


def _attempt(repo: Path, run_id: str, task_id: str, agent: str, result: str) -> int:
    return fos(repo, "run", "attempt", run_id, "--task", task_id, "--agent", agent,
               "--result", result).code  # fmt: skip


def test_three_failures_of_one_agent_at_one_task_escalate(auto_run: tuple[Path, str]) -> None:
    repo, run_id = auto_run
    assert _attempt(repo, run_id, "T1", "forge", "fail") == 0
    assert _attempt(repo, run_id, "T1", "forge", "fail") == 0
    assert _attempt(repo, run_id, "T1", "forge", "fail") == 1
    [opened] = _opened(repo, run_id)
    assert opened["cause"] == "attempts.three_failures"
    assert opened["evidence"]["agent"] == "forge" and opened["evidence"]["task"] == "T1"
    assert show(repo, run_id)["implementation"]["tasks"]["T1"]["failures"] == 3


def test_three_failures_spread_over_tasks_or_agents_do_not(auto_run: tuple[Path, str]) -> None:
    repo, run_id = auto_run
    for task_id, agent in (("T1", "forge"), ("T2", "forge"), ("T3", "forge"), ("T1", "lens"),
                           ("T1", "lens")):  # fmt: skip
        assert _attempt(repo, run_id, task_id, agent, "fail") == 0
    assert _attempt(repo, run_id, "T1", "forge", "pass") == 0
    assert _opened(repo, run_id) == []


def test_an_open_escalation_stops_every_gate_even_on_auto(auto_run: tuple[Path, str]) -> None:
    repo, run_id = auto_run
    for _ in range(3):
        _attempt(repo, run_id, "T2", "forge", "fail")
    recorded_ok = [
        record(repo, run_id, name, content).code
        for name, content in (("review.json", REVIEW), ("docs.json", DOCS),
                              ("test-results.json", results_for(plan(*_four()))),
                              ("security-review.json", SECURITY))
    ]  # fmt: skip
    assert recorded_ok == [1, 1, 1, 1]  # stored, but the run stays stopped
    result = fos(repo, "run", "gate", run_id, "ship")
    assert result.code == 1 and "attempts.three_failures" in result.err
    assert show(repo, run_id)["status"] == "open"


def test_a_resolved_escalation_lets_the_run_go_on(auto_run: tuple[Path, str]) -> None:
    repo, run_id = auto_run
    for _ in range(3):
        _attempt(repo, run_id, "T2", "forge", "fail")
    [opened] = _opened(repo, run_id)
    factory = store.find_factory(repo)
    events.append(
        factory,
        kind="escalation.resolved",
        actor="test",
        subject=opened["id"],
        data={"resolution": "reassigned T2"},
    )
    recorded(repo, run_id, "review.json", REVIEW)
    recorded(repo, run_id, "test-results.json", results_for(plan(*_four())))
    recorded(repo, run_id, "security-review.json", SECURITY)
    recorded(repo, run_id, "docs.json", DOCS)
    assert fos(repo, "run", "gate", run_id, "ship").code == 0
