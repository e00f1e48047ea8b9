"""`fos run`: starting without default gates, every gate mode, approvals, gate changes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from factory_os import store
from factory_os.ledger import events
from tests.helpers import as_author, fos, snapshot
from tests.run_helpers import (
    DOCS,
    FEATURE,
    REVIEW,
    SECURITY,
    make_team,
    plan,
    recorded,
    results_for,
    show,
    start,
    task,
    through_plan,
    write_artifact,
)


@pytest.fixture
def repo_team(factory_repo: Path) -> Path:
    make_team(factory_repo)
    return factory_repo


def _kinds(repo: Path, run_id: str) -> list[str]:
    factory = store.find_factory(repo)
    return [e.kind for e in events.entries(factory) if e.subject == run_id]


def _quality(repo: Path, run_id: str, the_plan: dict[str, Any], *, security: bool = True) -> None:
    recorded(repo, run_id, "review.json", REVIEW)
    recorded(repo, run_id, "test-results.json", results_for(the_plan))
    if security:
        recorded(repo, run_id, "security-review.json", SECURITY)
    recorded(repo, run_id, "docs.json", DOCS)


def test_start_writes_run_yaml_and_the_started_event(repo_team: Path) -> None:
    run_id = start(repo_team, "spec=auto,plan=review,ship=review")
    text = (repo_team / ".factory" / "runs" / run_id / "run.yaml").read_text()
    assert f"id: {run_id}" in text and "plan: review" in text
    assert "schemas/run.schema.json" in text.splitlines()[0]
    assert _kinds(repo_team, run_id) == ["run.started"]
    assert fos(repo_team, "validate").code == 0


def test_start_without_gates_refuses_with_the_question(repo_team: Path) -> None:
    before = snapshot(repo_team / ".factory")
    result = fos(repo_team, "run", "start", "--title", "T")
    assert result.code == 2
    assert "no default gates" in result.err and "spec=auto,plan=review,ship=review" in result.err
    assert snapshot(repo_team / ".factory") == before


@pytest.mark.parametrize("gates", ["spec=auto,plan=auto", "spec=auto,plan=auto,ship=maybe", "x"])
def test_start_refuses_incomplete_or_unknown_gates(repo_team: Path, gates: str) -> None:
    result = fos(repo_team, "run", "start", "--title", "T", "--gates", gates)
    assert result.code == 2, result.output


def test_a_non_member_starts_nothing(repo_team: Path) -> None:
    result = as_author(
        "stranger@example.com",
        repo_team,
        *("run", "start", "--title", "T", "--gates", "spec=auto,plan=auto,ship=auto"),
    )
    assert result.code == 1
    assert "<stranger@example.com> is not a member of .factory/team.yaml" in result.err


def test_auto_gates_pass_and_log_and_ship(repo_team: Path) -> None:
    run_id = start(repo_team)
    the_plan = through_plan(repo_team, run_id)
    _quality(repo_team, run_id, the_plan)
    result = fos(repo_team, "run", "gate", run_id, "ship")
    assert result.code == 0, result.output
    kinds = _kinds(repo_team, run_id)
    assert kinds.count("gate.passed") == 3 and kinds[-1] == "run.shipped"
    assert show(repo_team, run_id)["status"] == "shipped"


def test_a_gate_needs_its_evidence_whatever_the_mode(repo_team: Path) -> None:
    run_id = start(repo_team)
    result = fos(repo_team, "run", "gate", run_id, "spec")
    assert result.code == 1
    assert "no feature-request.json recorded" in result.err
    assert fos(repo_team, "run", "gate", run_id, "plan").code == 1  # spec first


def test_skip_gates_record_the_skip(repo_team: Path) -> None:
    run_id = start(repo_team, "spec=skip,plan=skip,ship=auto")
    assert fos(repo_team, "run", "gate", run_id, "spec").code == 0
    assert fos(repo_team, "run", "gate", run_id, "plan").code == 0
    assert _kinds(repo_team, run_id).count("gate.skipped") == 2


def test_ship_never_passes_without_review_and_tests_even_when_skipped(repo_team: Path) -> None:
    run_id = start(repo_team, "spec=skip,plan=skip,ship=skip")
    fos(repo_team, "run", "gate", run_id, "spec")
    fos(repo_team, "run", "gate", run_id, "plan")
    result = fos(repo_team, "run", "gate", run_id, "ship")
    assert result.code == 1
    assert "no review.json recorded (code review and tests are never skipped)" in result.err
    assert "no test-results.json recorded" in result.err
    assert "run.shipped" not in _kinds(repo_team, run_id)


def test_review_waits_until_an_approver_approves(repo_team: Path) -> None:
    run_id = start(repo_team, "spec=review,plan=auto,ship=auto")
    recorded(repo_team, run_id, "feature-request.json", FEATURE)
    first = fos(repo_team, "run", "gate", run_id, "spec")
    assert first.code == 1 and f"fos run approve {run_id} --gate spec" in first.err
    assert fos(repo_team, "run", "gate", run_id, "spec").code == 1
    assert _kinds(repo_team, run_id).count("gate.waiting") == 1
    refused = as_author(
        "forge@agents.example", repo_team, "run", "approve", run_id, "--gate", "spec"
    )
    assert refused.code == 1 and "holds no approver role" in refused.err
    approved = fos(repo_team, "run", "approve", run_id, "--gate", "spec", "--feedback", "ok")
    assert approved.code == 0, approved.output
    assert fos(repo_team, "run", "gate", run_id, "spec").code == 0  # already approved
    assert show(repo_team, run_id)["gates"]["spec"]["status"] == "approved"


def test_reject_sends_the_gate_back_and_it_waits_again(repo_team: Path) -> None:
    run_id = start(repo_team, "spec=review,plan=auto,ship=auto")
    recorded(repo_team, run_id, "feature-request.json", FEATURE)
    fos(repo_team, "run", "gate", run_id, "spec")
    assert fos(repo_team, "run", "reject", run_id, "--gate", "spec").code == 2  # no feedback
    result = fos(repo_team, "run", "reject", run_id, "--gate", "spec", "--feedback", "too vague")
    assert result.code == 0, result.output
    assert show(repo_team, run_id)["gates"]["spec"]["feedback"] == "too vague"
    assert fos(repo_team, "run", "gate", run_id, "spec").code == 1
    assert _kinds(repo_team, run_id).count("gate.waiting") == 2


def test_approve_auto_rest_turns_the_later_gates_to_auto(repo_team: Path) -> None:
    run_id = start(repo_team, "spec=review,plan=review,ship=review")
    recorded(repo_team, run_id, "feature-request.json", FEATURE)
    fos(repo_team, "run", "gate", run_id, "spec")
    assert fos(repo_team, "run", "approve", run_id, "--gate", "spec", "--auto-rest").code == 0
    gates = show(repo_team, run_id)["gates"]
    assert gates["plan"]["mode"] == "auto" and gates["ship"]["mode"] == "auto"


def test_the_worker_of_a_run_may_not_approve_it(repo_team: Path) -> None:
    run_id = start(repo_team, "spec=auto,plan=auto,ship=review")
    the_plan = through_plan(repo_team, run_id)
    fos(repo_team, "run", "attempt", run_id, "--task", "T1", "--agent", "test", "--result", "pass")
    _quality(repo_team, run_id, the_plan)
    assert fos(repo_team, "run", "gate", run_id, "ship").code == 1
    result = fos(repo_team, "run", "approve", run_id, "--gate", "ship")
    assert result.code == 1 and "worked on this run's tasks" in result.err


def test_security_may_be_skipped_only_for_an_all_cosmetic_plan(repo_team: Path) -> None:
    run_id = start(repo_team)
    the_plan = through_plan(repo_team, run_id)
    _quality(repo_team, run_id, the_plan, security=False)
    refused = fos(repo_team, "run", "gate", run_id, "ship", "--skip-security", "small")
    assert refused.code == 1
    assert "may be skipped only when every task of the plan is cosmetic" in refused.err

    cosmetic = start(repo_team)
    the_plan = through_plan(repo_team, cosmetic, plan(task("T1", change="cosmetic")))
    _quality(repo_team, cosmetic, the_plan, security=False)
    missing = fos(repo_team, "run", "gate", cosmetic, "ship")
    assert missing.code == 1 and "--skip-security REASON" in missing.err
    shipped = fos(repo_team, "run", "gate", cosmetic, "ship", "--skip-security", "copy only")
    assert shipped.code == 0, shipped.output
    assert show(repo_team, cosmetic)["security"] == {"skipped": "copy only"}


def test_docs_may_be_skipped_only_for_internal_refactors(repo_team: Path) -> None:
    run_id = start(repo_team)
    the_plan = through_plan(repo_team, run_id, plan(task("T1", change="internal-refactor")))
    recorded(repo_team, run_id, "review.json", REVIEW)
    recorded(repo_team, run_id, "test-results.json", results_for(the_plan))
    recorded(repo_team, run_id, "security-review.json", SECURITY)
    result = fos(repo_team, "run", "gate", run_id, "ship", "--skip-docs", "no behaviour change")
    assert result.code == 0, result.output
    assert show(repo_team, run_id)["docs"] == {"skipped": "no behaviour change"}


def test_gates_change_mid_run_with_who_and_why(repo_team: Path) -> None:
    run_id = start(repo_team, "spec=auto,plan=auto,ship=review")
    result = fos(repo_team, "run", "gates", run_id, "--set", "ship=auto", "--reason", "trusted")
    assert result.code == 0, result.output
    [change] = show(repo_team, run_id)["gate_changes"]
    assert change["reason"] == "trusted" and change["actor"] == "test"
    assert change["before"]["ship"] == "review" and change["gates"]["ship"] == "auto"


def test_only_an_approver_loosens_a_gate(repo_team: Path) -> None:
    run_id = start(repo_team, "spec=auto,plan=auto,ship=review")
    result = as_author("forge@agents.example", repo_team, "run", "gates", run_id,
                       "--set", "ship=auto", "--reason", "hurry", "--actor", "forge")  # fmt: skip
    assert result.code == 1 and "only a member with an approver role" in result.err
    tighter = as_author("forge@agents.example", repo_team, "run", "gates", run_id,
                        "--set", "spec=review", "--reason", "care")  # fmt: skip
    assert tighter.code == 0, tighter.output


def test_a_waiting_gate_cannot_be_turned_off(repo_team: Path) -> None:
    run_id = start(repo_team, "spec=review,plan=auto,ship=auto")
    recorded(repo_team, run_id, "feature-request.json", FEATURE)
    fos(repo_team, "run", "gate", run_id, "spec")
    result = fos(repo_team, "run", "gates", run_id, "--set", "spec=auto", "--reason", "x")
    assert result.code == 1 and "is waiting for a person" in result.err


def test_fos_run_names_the_current_run(repo_team: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    run_id = start(repo_team)
    monkeypatch.setenv("FOS_RUN", run_id)
    recorded(repo_team, run_id, "feature-request.json", FEATURE)
    assert fos(repo_team, "run", "gate", "spec").code == 0
    assert json.loads(fos(repo_team, "run", "show", "--format", "json").out)["id"] == run_id
    monkeypatch.delenv("FOS_RUN")
    assert fos(repo_team, "run", "show").code == 2


def test_list_and_abandon(repo_team: Path) -> None:
    first, second = start(repo_team), start(repo_team)
    assert fos(repo_team, "run", "abandon", first, "--reason", "duplicate").code == 0
    rows = json.loads(fos(repo_team, "run", "list", "--format", "json").out)["runs"]
    assert {r["id"]: r["status"] for r in rows} == {first: "abandoned", second: "open"}
    open_rows = json.loads(fos(repo_team, "run", "list", "--open", "--format", "json").out)["runs"]
    assert [r["id"] for r in open_rows] == [second]
    assert first not in fos(repo_team, "run", "list", "--open").out
    assert fos(repo_team, "run", "gate", first, "spec").code == 2  # abandoned: nothing more


def test_context_gives_an_agent_its_run_task_gates_and_escalations(repo_team: Path) -> None:
    run_id = start(repo_team)
    through_plan(repo_team, run_id)
    briefing = {"agent": "forge", "task": "T2", "objective": "Settle refunds in one call.",
                "acceptance_criteria": ["AC-T2"], "files": ["src/refunds.py"]}  # fmt: skip
    recorded(repo_team, run_id, "briefings/forge-T2.json", briefing)
    for _ in range(3):
        fos(
            repo_team,
            "run",
            "attempt",
            run_id,
            "--task",
            "T1",
            "--agent",
            "lens",
            "--result",
            "fail",
        )
    result = fos(repo_team, "context", "--run", run_id, "--member", "forge")
    assert result.code == 0, result.output
    assert f"## Run {run_id}" in result.out
    assert "### Your task: T2 Do T2" in result.out and "Settle refunds in one call." in result.out
    assert "### Your task: T1" not in result.out
    assert "STOPPED by ESC-" in result.out and "attempts.three_failures" in result.out
    data = json.loads(fos(repo_team, "context", "--run", run_id, "--task", "T1",
                          "--format", "json").out)["run"]  # fmt: skip
    assert [t["id"] for t in data["tasks"]] == ["T1"]
    assert data["gates"]["ship"] == {"mode": "auto", "status": "pending"}
    assert [t["id"] for t in data["plan"]] == ["T1", "T2"]


def test_a_finished_run_takes_only_its_improvements(repo_team: Path) -> None:
    run_id = start(repo_team)
    assert fos(repo_team, "run", "abandon", run_id, "--reason", "dropped").code == 0
    late = fos(
        repo_team, "run", "artifact", run_id, str(write_artifact(repo_team, "docs.json", DOCS))
    )
    assert late.code == 2 and "abandoned" in late.err
    improvements = {"improvements": [{"id": "IMP-1", "kind": "process", "title": "t",
                                      "proposal": "p", "evidence": ["e"]}]}  # fmt: skip
    recorded(repo_team, run_id, "improvements.json", improvements)


def test_a_run_serves_a_work_item_that_exists(repo_team: Path) -> None:
    result = fos(repo_team, "run", "start", "--title", "T", "--spec", "SP-abcdef",
                 "--gates", "spec=auto,plan=auto,ship=auto")  # fmt: skip
    assert result.code == 2 and "no such work item" in result.err
    (repo_team / ".factory" / "specs" / "SP-abcdef").mkdir(parents=True)
    (repo_team / ".factory" / "specs" / "SP-abcdef" / "spec.md").write_text("---\n---\n")
    run_id = start(repo_team, "spec=auto,plan=auto,ship=auto", "--spec", "SP-abcdef")
    assert show(repo_team, run_id)["spec"] == "SP-abcdef"


def test_stats_count_gates_retries_escalations_and_time_to_ship(
    repo_team: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FOS_NOW", "2026-12-01T09:00:00Z")
    shipped = start(repo_team)
    the_plan = through_plan(repo_team, shipped)
    fos(
        repo_team, "run", "attempt", shipped, "--task", "T1", "--agent", "forge", "--result", "fail"
    )
    fos(
        repo_team, "run", "attempt", shipped, "--task", "T1", "--agent", "forge", "--result", "pass"
    )
    _quality(repo_team, shipped, the_plan)
    monkeypatch.setenv("FOS_NOW", "2026-12-01T10:30:00Z")
    assert fos(repo_team, "run", "gate", shipped, "ship").code == 0
    stopped = start(repo_team)
    through_plan(repo_team, stopped)
    for _ in range(3):
        fos(
            repo_team,
            "run",
            "attempt",
            stopped,
            "--task",
            "T2",
            "--agent",
            "lens",
            "--result",
            "fail",
        )
    stats = json.loads(fos(repo_team, "run", "stats", "--format", "json").out)
    assert stats["runs"] == {"total": 2, "stopped": 1, "open": 1, "shipped": 1}
    assert stats["gates"]["ship"] == {"passed": 1, "pending": 1}
    assert stats["escalations"] == {"attempts.three_failures": 1}
    assert stats["time_to_ship_seconds"] == {"runs": 1, "median": 5400, "max": 5400}
    forge = next(r for r in stats["retries"] if r["agent"] == "forge")
    assert (forge["attempts"], forge["failures"], forge["retries"]) == (2, 1, 1)
    csv_rows = fos(repo_team, "run", "stats", "--format", "csv").out.splitlines()
    assert csv_rows[0] == "metric,key,value"
    assert "escalation,attempts.three_failures,1" in csv_rows
    assert "retries,forge/T1,1" in csv_rows
    assert "time to ship: median 5400 s" in fos(repo_team, "run", "stats").out
