"""The server-side hook against pushes that rewrite what a branch holds."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.checks_helpers import set_team
from tests.helpers import commit_all, fos, git, guarded_remote, push, write_tree

BUILDER = {"id": "bob", "roles": ["builder"], "emails": ["bob@example.com"]}


@pytest.fixture
def pushed(repo: Path, tmp_path: Path) -> Path:
    """A factory pushed to a bare remote that runs the pre-receive hook and takes
    non-fast-forward pushes."""
    assert fos(repo, "init").code == 0
    set_team(repo, BUILDER)
    commit_all(repo, "team")
    bare = guarded_remote(repo, tmp_path / "remote.git")
    git(bare, "config", "receive.denyNonFastForwards", "false")
    assert push(repo, "--no-verify", "main").returncode == 0
    return repo


def test_a_force_push_that_drops_a_rule_and_breaks_it_is_refused(pushed: Path) -> None:
    incident = fos(pushed, "incident", "add", "--title", "a TODO shipped", "--severity", "low")
    assert incident.code == 0, incident.output
    rule = fos(
        pushed,
        "rule",
        "add",
        "--title",
        "no TODO",
        "--statement",
        "Never leave a TODO.",
        "--kind",
        "forbidden-pattern",
        "--pattern",
        "TODO",
        "--path",
        "*.txt",
        "--from-incident",
        incident.out.strip(),
    )
    assert rule.code == 0, rule.output
    rule_id = rule.out.strip()
    commit_all(pushed, "a rule from an incident")
    accepted = push(pushed, "--no-verify", "main")
    assert accepted.returncode == 0, accepted.stdout + accepted.stderr
    git(pushed, "reset", "-q", "--hard", "HEAD~1")
    write_tree(pushed, {"a.txt": "TODO later\n"})
    git(pushed, "add", "-A")
    git(pushed, "-c", "user.email=bob@example.com", "commit", "-q", "--no-verify", "-m", "x")
    proc = push(pushed, "--no-verify", "-f", "main")
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0, out
    assert f"{rule_id}" in out and "a.txt" in out
    assert f".factory/rules/{rule_id}.yaml was deleted" in out
    assert f".factory/incidents/{incident.out.strip()}.md" in out
    assert ".factory/ledger/" in out and "lost line" in out


def test_a_force_push_that_only_rewinds_past_a_rule_is_refused(pushed: Path) -> None:
    """No commit is added, yet the push drops a rule, its incident and ledger lines."""
    incident = fos(pushed, "incident", "add", "--title", "a TODO shipped", "--severity", "low")
    assert incident.code == 0, incident.output
    added = fos(
        pushed, "rule", "add", "--title", "no TODO", "--statement", "Never leave a TODO.",
        "--kind", "forbidden-pattern", "--pattern", "TODO", "--path", "*.txt",
        "--from-incident", incident.out.strip(),
    )  # fmt: skip
    assert added.code == 0, added.output
    commit_all(pushed, "a rule from an incident")
    assert push(pushed, "--no-verify", "main").returncode == 0
    git(pushed, "reset", "-q", "--hard", "HEAD~1")
    proc = push(pushed, "--no-verify", "-f", "main")
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0, out
    assert f".factory/rules/{added.out.strip()}.yaml was deleted" in out
    assert f".factory/incidents/{incident.out.strip()}.md" in out
    assert "lost line" in out
