from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.governance import act_as, secret_rule
from tests.helpers import fos, write_tree


@pytest.fixture
def busy(team_repo: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """At 10:00: a high escalation past its SLA (breach recorded), a low one not yet
    due, an override on src/ expiring at 12:00, and a session lens never ended."""
    repo = team_repo
    monkeypatch.setenv("FOS_NOW", "2026-12-01T09:00:00Z")
    rule = secret_rule(repo)
    act_as(repo, "forge")
    late = fos(repo, "escalate", "open", "--subject", "run_0000000a", "--reason", "tests.failed",
               "--severity", "high").out.strip()  # fmt: skip
    monkeypatch.setenv("FOS_NOW", "2026-12-01T09:50:00Z")
    fresh = fos(repo, "escalate", "open", "--subject", "run_0000000b", "--reason", "plan.changed",
                "--severity", "low").out.strip()  # fmt: skip
    act_as(repo, "lens")
    session = json.loads(fos(repo, "session", "start", "--format", "json").out)["session"]
    monkeypatch.setenv("FOS_NOW", "2026-12-01T10:00:00Z")
    act_as(repo, "ana")
    override = fos(repo, "override", "grant", "--rule", rule, "--paths", "src/**", "--ttl", "2h",
                   "--justification", "hotfix").out.split()[0]  # fmt: skip
    act_as(repo, "ben")
    assert fos(repo, "sweep").code == 1
    return {"late": late, "fresh": fresh, "session": session, "override": override}


def test_a_handoff_lists_what_is_open_past_sla_first(team_repo: Path, busy: dict[str, str]) -> None:
    act_as(team_repo, "ana")
    result = fos(team_repo, "handoff", "--to", "ben")
    assert result.code == 0, result.output
    lines = result.out.splitlines()
    assert lines[0] == "Handoff from ana at 2026-12-01T10:00:00Z (to ben):"
    assert lines[1].startswith(f"  escalation {busy['late']} (PAST SLA, high,")
    assert lines[2].startswith(f"  escalation {busy['fresh']} (low,")
    assert f"  open session {busy['session']} by lens" in lines
    assert f"  override {busy['override']} of " in result.out
    assert "expires 2026-12-01T12:00:00Z" in result.out


def test_the_next_member_sees_the_handoff_and_escalations_before_knowledge(
    team_repo: Path, busy: dict[str, str]
) -> None:
    write_tree(
        team_repo, {".factory/knowledge/retries.md": "---\ntitle: Retries\n---\nBack off.\n"}
    )
    act_as(team_repo, "ana")
    assert fos(team_repo, "handoff", "--to", "ben").code == 0
    text = fos(team_repo, "context", "--member", "ben").out
    headings = [line for line in text.splitlines() if line.startswith("## ")]
    assert headings.index("## Open items") < headings.index("## Knowledge")
    section = text.split("## Open items")[1].split("\n## ")[0]
    handoff_at = section.index("- Handoff from ana")
    late_at = section.index(f"- Escalation {busy['late']} (PAST SLA since 2026-12-01T10:00:00Z")
    fresh_at = section.index(f"- Escalation {busy['fresh']} (low")
    assert handoff_at < late_at < fresh_at


def test_context_shows_overrides_on_the_paths_and_only_my_escalations(
    team_repo: Path, busy: dict[str, str]
) -> None:
    data = json.loads(
        fos(team_repo, "context", "--member", "lens", "--paths", "src/a.py", "--format", "json").out
    )
    assert [item.split(" ")[:2] for item in data["open_items"]] == [["Override", busy["override"]]]
    elsewhere = json.loads(
        fos(
            team_repo, "context", "--member", "lens", "--paths", "docs/x.md", "--format", "json"
        ).out
    )
    assert elsewhere["open_items"] == []
    forge = json.loads(fos(team_repo, "context", "--member", "forge", "--format", "json").out)
    assert [item.split(" ")[1] for item in forge["open_items"]] == [busy["late"], busy["fresh"]]
