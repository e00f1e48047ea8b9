from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.governance import act_as
from tests.helpers import fos


def open_one(repo: Path, *extra: str) -> str:
    result = fos(repo, "escalate", "open", "--subject", "run_0a1b2c3d", "--reason", "stuck", *extra)
    assert result.code == 0, result.output
    return result.out.strip()


def listed(repo: Path, *args: str) -> list[dict[str, object]]:
    result = fos(repo, "escalate", "list", "--format", "json", *args)
    assert result.code == 0, result.output
    escalations: list[dict[str, object]] = json.loads(result.out)["escalations"]
    return escalations


@pytest.fixture
def opened(team_repo: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, str]:
    monkeypatch.setenv("FOS_NOW", "2026-12-01T09:00:00Z")
    act_as(team_repo, "forge")
    return team_repo, open_one(team_repo, "--severity", "high")


def test_an_escalation_opened_is_listed_with_its_deadline(opened: tuple[Path, str]) -> None:
    repo, escalation_id = opened
    [row] = listed(repo)
    assert row["id"] == escalation_id
    assert row["opened_by"] == "forge"
    assert row["due_at"] == "2026-12-01T09:30:00Z"
    assert row["past_sla"] is False
    text = fos(repo, "escalate", "list").out
    assert f"{escalation_id} high run_0a1b2c3d: stuck [due 2026-12-01T09:30:00Z]" in text


@pytest.mark.parametrize(
    ("now", "past"),
    [
        ("2026-12-01T09:29:59Z", False),
        ("2026-12-01T09:30:00Z", False),
        ("2026-12-01T09:30:01Z", True),
        ("2026-12-02T09:00:00Z", True),
    ],
)
def test_the_sla_passes_one_second_after_the_deadline(
    opened: tuple[Path, str], monkeypatch: pytest.MonkeyPatch, now: str, past: bool
) -> None:
    repo, escalation_id = opened
    monkeypatch.setenv("FOS_NOW", now)
    assert [r["id"] for r in listed(repo, "--past-sla")] == ([escalation_id] if past else [])


def test_a_severity_with_its_own_sla_uses_it(
    team_repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FOS_NOW", "2026-12-01T09:00:00Z")
    critical = open_one(team_repo, "--severity", "critical")  # 10 minutes in factory.yaml
    open_one(team_repo, "--severity", "high")
    monkeypatch.setenv("FOS_NOW", "2026-12-01T09:10:01Z")
    assert [r["id"] for r in listed(team_repo, "--past-sla")] == [critical]


def test_an_ack_in_time_meets_the_sla_and_a_late_one_does_not(
    opened: tuple[Path, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    repo, first = opened
    second = open_one(repo)
    act_as(repo, "ana")
    monkeypatch.setenv("FOS_NOW", "2026-12-01T09:30:00Z")
    assert fos(repo, "escalate", "ack", first).code == 0
    monkeypatch.setenv("FOS_NOW", "2026-12-01T09:31:00Z")
    assert fos(repo, "escalate", "ack", second).code == 0
    assert [r["id"] for r in listed(repo, "--past-sla")] == [second]


def test_who_caused_it_may_not_answer_it_and_governance_does(opened: tuple[Path, str]) -> None:
    repo, escalation_id = opened
    refused = fos(repo, "escalate", "resolve", escalation_id, "--resolution", "fine")
    assert refused.code == 1
    assert "forge caused" in refused.err and "someone else must answer it" in refused.err
    act_as(repo, "lens")  # a reviewer: no role in governance
    refused = fos(repo, "escalate", "resolve", escalation_id, "--resolution", "fine")
    assert refused.code == 1 and "lens may not answer" in refused.err
    act_as(repo, "ben")  # safety lead: responsible for governance
    done = fos(repo, "escalate", "resolve", escalation_id, "--resolution", "rerun with a fix")
    assert done.code == 0, done.output
    assert listed(repo) == []
    [row] = listed(repo, "--all")
    assert (row["resolved_by"], row["resolution"]) == ("ben", "rerun with a fix")
    again = fos(repo, "escalate", "resolve", escalation_id, "--resolution", "twice")
    assert again.code == 2 and "already resolved" in again.err


def test_mine_lists_what_goes_to_my_roles_or_names_me(opened: tuple[Path, str]) -> None:
    repo, escalation_id = opened
    assert [r["id"] for r in listed(repo, "--mine")] == [escalation_id]  # forge caused it
    act_as(repo, "lens")
    assert listed(repo, "--mine") == []
    act_as(repo, "ana")
    assert [r["id"] for r in listed(repo, "--mine")] == [escalation_id]


def test_an_unknown_escalation_is_a_usage_error(team_repo: Path) -> None:
    result = fos(team_repo, "escalate", "ack", "ESC-000000")
    assert result.code == 2 and "no escalation ESC-000000" in result.err


def test_a_failed_verify_escalates_at_once_to_the_integrity_roles_and_only_once(
    team_repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FOS_NOW", "2026-12-01T09:00:00Z")
    incident = fos(team_repo, "incident", "add", "--title", "leak", "--severity", "low")
    path = team_repo / ".factory" / "incidents" / f"{incident.out.strip()}.md"
    path.write_text(path.read_text().replace("leak", "quietly edited"))  # not only added to
    act_as(team_repo, "lens")
    first = fos(team_repo, "verify", "--escalate")
    assert first.code == 1 and "escalated: ESC-" in first.err
    again = fos(team_repo, "verify", "--escalate")
    assert again.code == 1 and "already escalated" in again.err
    [row] = listed(team_repo)
    assert (row["cause"], row["severity"], row["to"]) == ("integrity", "critical", ["ben"])
    assert row["evidence"]["problems"] >= 1  # type: ignore[index]
    assert fos(team_repo, "verify").code == 1 and len(listed(team_repo)) == 1
