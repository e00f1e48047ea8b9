"""Append-only means a file may only grow: the old content stays a prefix of the new
one, so follow-up sections can be added to an incident after the fact, by hand, with
no command and no ledger entry needed."""

from __future__ import annotations

from pathlib import Path

from tests.governance import team_repo
from tests.helpers import commit_all, fos

__all__ = ["team_repo"]


def test_a_follow_up_section_can_be_added_to_an_incident(team_repo: Path) -> None:
    repo = team_repo
    incident = fos(repo, "incident", "add", "--title", "leak", "--severity", "high")
    assert incident.code == 0, incident.output
    commit_all(repo, "incident")
    path = repo / ".factory" / "incidents" / f"{incident.out.strip()}.md"
    with path.open("a", encoding="utf-8") as f:
        f.write("\n## Follow-up\n\nThe fix shipped on 2026-12-02.\n")
    commit_all(repo, "follow-up")
    checked = fos(repo, "check", "--range", "HEAD~1..HEAD")
    verified = fos(repo, "verify")
    assert "was grew" not in checked.out
    assert checked.code == 0, checked.output
    assert verified.code == 0, verified.output
