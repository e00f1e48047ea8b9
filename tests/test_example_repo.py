"""The worked example validates, verifies and enforces its rules in a repository of its own."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.helpers import commit_all, fos, git

EXAMPLE = Path(__file__).resolve().parent.parent / "example-repo"


@pytest.fixture
def paylane(tmp_path: Path) -> Path:
    repo = tmp_path / "paylane"
    shutil.copytree(EXAMPLE, repo)
    git(repo, "init", "-q")
    git(repo, "config", "user.email", "forge@agents.paylane.example")
    commit_all(repo, "paylane")
    return repo


def test_the_example_validates_and_its_ledger_verifies(paylane: Path) -> None:
    result = fos(paylane, "validate")
    assert result.code == 0, result.output
    result = fos(paylane, "verify", "--history")
    assert result.code == 0, result.output


def test_the_example_tells_its_story(paylane: Path) -> None:
    incidents = json.loads(fos(paylane, "incident", "list", "--format", "json").out)["incidents"]
    [incident] = incidents
    rules = json.loads(fos(paylane, "rule", "list", "--format", "json").out)["rules"]
    [born] = [rule for rule in rules if rule["origin"] == incident["id"]]
    decisions = fos(paylane, "dna", "list").out
    assert "superseded" in decisions and "accepted" in decisions
    context = fos(paylane, "context", "--role", "builder", "--paths", "src/paylane/**")
    assert context.code == 0
    assert born["id"] in context.out and "Amounts travel as decimal strings" not in context.out
    assert context.out.count("### S-") == 2  # both session digests


def test_the_incidents_rule_blocks_a_float(paylane: Path) -> None:
    (paylane / "src" / "paylane" / "fees.py").write_text("def fee(a):\n    return float(a) * 0.1\n")
    git(paylane, "add", "src/paylane/fees.py")
    result = fos(paylane, "check", "--staged")
    assert result.code == 1
    assert "src/paylane/fees.py:2" in result.output


def test_the_example_shows_a_launched_item_and_one_stuck_at_red_team(
    paylane: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FOS_NOW", "2026-12-01T09:00:00Z")
    table = fos(paylane, "spec", "status", "--format", "json")
    assert table.code == 0, table.output
    stages = {item["title"]: item for item in json.loads(table.out)["items"]}
    launched, stuck = stages["Refund triage agent"], stages["Chargeback letter drafter"]
    assert launched["stage"] == "maintain" and launched["flags"] == []
    assert stuck["stage"] == "red-team" and not stuck["gate"]["holds"]
    failing = [c for c in stuck["gate"]["checks"] if not c["ok"]]
    assert failing[0]["hard"] and "1 of 6 critical cases failed" in failing[0]["text"]
    assert stuck["gate"]["returns_to"] == "build"


def test_the_sweep_finds_maintenance_overdue_and_a_launch_not_signed_again(
    paylane: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FOS_NOW", "2027-06-01T00:00:00Z")
    team = paylane / ".factory" / "team.yaml"
    cara = (
        "  - {id: cara, name: Cara, kind: human, roles: [owner], emails: [cara@paylane.example]}\n"
    )
    team.write_text(team.read_text() + cara)
    git(paylane, "config", "user.email", "ana@paylane.example")
    transfer = fos(paylane, "spec", "transfer", "SP-e7ac9a", "--to", "cara", "--reason", "leave")
    assert transfer.code == 0, transfer.output
    result = fos(paylane, "sweep", "--format", "json")
    assert result.code == 1, result.output
    found = {(i["kind"], i["id"]) for i in json.loads(result.out)["items"]}
    assert {("maintenance.overdue", "SP-e7ac9a"), ("signoff.stale", "SP-e7ac9a")} <= found


def test_the_example_has_a_shipped_run_and_one_stopped_by_an_escalation(paylane: Path) -> None:
    rows = json.loads(fos(paylane, "run", "list", "--format", "json").out)["runs"]
    by_title = {row["title"]: row for row in rows}
    shipped = by_title["Partial refunds"]
    assert shipped["status"] == "shipped" and not shipped["stopped"]
    assert by_title["Retry failed refund webhooks"]["stopped"]
    summary = json.loads(fos(paylane, "run", "show", shipped["id"], "--format", "json").out)
    assert summary["implementation"]["retries"] == 1
    assert summary["devils_advocate"][0]["modified"] == ["T2"]
    assert summary["review"]["verdict"] == summary["tests"]["verdict"] == "pass"
    names = ("feature-request.json", "plan.json", "research-brief.md", "architecture.md",
             "review.json", "test-results.json", "security-review.json", "docs.json",
             "improvements.json", "briefings/forge-T1.json")  # fmt: skip
    assert set(names) <= set(summary["artifacts"])
    stats = json.loads(fos(paylane, "run", "stats", "--format", "json").out)
    assert stats["escalations"] == {"attempts.three_failures": 1}
    assert stats["runs"]["shipped"] == 1 and stats["runs"]["stopped"] == 1
