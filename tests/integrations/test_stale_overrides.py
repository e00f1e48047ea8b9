"""A pull request that forked before its base branch moved on takes the overrides of
the base branch's tip, not of its fork point: a revocation made on the base branch
after the fork applies, and so does a grant made there since (DESIGN section 11).
Through `fos check --range` and a real push to a bare repository guarded by
pre-receive."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.commands.test_check_overrides import checked, findings, grant, stage_secret
from tests.governance import act_as, secret_rule
from tests.helpers import commit_all, fos, git, guarded_remote, push


@pytest.fixture
def ruled(team_repo: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, str]:
    monkeypatch.setenv("FOS_NOW", "2026-12-01T09:00:00Z")
    return team_repo, secret_rule(team_repo)


def _fork(repo: Path) -> None:
    """Forge's branch `fix`, forked from main here, with a change the rule refuses."""
    git(repo, "switch", "-q", "-c", "fix")
    stage_secret(repo)
    commit_all(repo, "forge ships the fix")
    git(repo, "switch", "-q", "main")


def test_a_revocation_on_the_base_branch_after_the_fork_applies(
    ruled: tuple[Path, str], tmp_path: Path
) -> None:
    repo, rule = ruled
    guarded_remote(repo, tmp_path / "remote.git")
    ident = grant(repo, "ana", rule, "--paths", "src/**")
    assert push(repo, "main").returncode == 0
    _fork(repo)
    # while main has not moved, the override lifts the finding
    code, report = checked(repo, "--range", "main..fix")
    assert code == 0 and findings(report, rule)[0]["overridden"] is not None, report

    act_as(repo, "ana")
    assert fos(repo, "override", "revoke", ident).code == 0
    commit_all(repo, "ana revokes the override")
    pushed = push(repo, "main")
    assert pushed.returncode == 0, pushed.stderr

    code, report = checked(repo, "--range", "main..fix")
    assert code == 1, report
    assert findings(report, rule)[0]["overridden"] is None
    refused = push(repo, "fix")  # a new branch: pre-receive judges it against main's tip
    assert refused.returncode != 0, refused.stderr
    assert rule in refused.stderr and "overridden by" not in refused.stderr
    assert git(tmp_path / "remote.git", "branch", "--list", "fix") == ""


def test_an_override_granted_on_the_base_branch_after_the_fork_applies(
    ruled: tuple[Path, str], tmp_path: Path
) -> None:
    repo, rule = ruled
    guarded_remote(repo, tmp_path / "remote.git")
    assert push(repo, "main").returncode == 0
    _fork(repo)
    assert checked(repo, "--range", "main..fix")[0] == 1

    ident = grant(repo, "ana", rule, "--paths", "src/**")
    pushed = push(repo, "main")
    assert pushed.returncode == 0, pushed.stderr

    code, report = checked(repo, "--range", "main..fix")
    [finding] = findings(report, rule)
    assert code == 0 and isinstance(finding["overridden"], dict), report
    assert finding["overridden"]["id"] == ident
    accepted = push(repo, "fix")
    assert accepted.returncode == 0, accepted.stderr
    assert f"overridden by {ident}" in accepted.stderr
