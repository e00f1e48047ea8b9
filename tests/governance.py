from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import commit_all, fos, git, write_tree

TEAM = """\
members:
  - {id: ana, name: Ana, kind: human, roles: [owner], emails: [ana@example.com]}
  - {id: ben, name: Ben, kind: human, roles: [safety-lead], emails: [ben@example.com]}
  - {id: forge, name: Forge, kind: agent, roles: [builder], emails: [forge@example.com]}
  - {id: lens, name: Lens, kind: agent, roles: [reviewer], emails: [lens@example.com]}
  - {id: test, name: Test, kind: human, roles: [builder], emails: [test@example.com]}
"""


def act_as(repo: Path, member: str) -> None:
    """Make MEMBER the acting member of REPO, as git's identity says it."""
    git(repo, "config", "user.email", f"{member}@example.com")
    git(repo, "config", "user.name", member)


@pytest.fixture
def team_repo(repo: Path) -> Path:
    """A factory with a team: ana (owner), ben (safety lead), forge (builder), lens
    (reviewer); raci.yaml makes the owner accountable for governance."""
    result = fos(repo, "init")
    assert result.code == 0, result.output
    write_tree(repo, {".factory/team.yaml": TEAM})
    commit_all(repo, "init factory")
    return repo


def add_rule(repo: Path, *options: str) -> str:
    """A blocking rule from a fresh incident, committed; return its id."""
    incident = fos(repo, "incident", "add", "--title", "leak", "--severity", "high")
    assert incident.code == 0, incident.output
    rule = fos(
        repo,
        "rule",
        "add",
        "--title",
        "no secrets",
        "--statement",
        "Never commit SECRET.",
        "--from-incident",
        incident.out.strip(),
        *options,
    )
    assert rule.code == 0, rule.output
    commit_all(repo, "rule")
    return rule.out.strip()


def secret_rule(repo: Path) -> str:
    return add_rule(repo, "--kind", "forbidden-pattern", "--pattern", "SECRET", "--path", "src/**")
