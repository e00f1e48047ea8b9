"""Overrides through the installed hooks: a real `git commit`, and a real push to a
bare repository whose `pre-receive` checks it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.commands.test_check_overrides import forge_grant, grant, stage_secret
from tests.governance import act_as, secret_rule
from tests.helpers import commit_all, fos, git, guarded_remote


def run_git(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "FOS": f"{sys.executable} -m factory_os"}
    return subprocess.run(
        ["git", *args], cwd=cwd, capture_output=True, text=True, env=env, check=False
    )


@pytest.fixture
def hooked(team_repo: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, str]:
    monkeypatch.setenv("FOS_NOW", "2026-12-01T09:00:00Z")
    rule = secret_rule(team_repo)
    result = fos(team_repo, "hooks", "install")
    assert result.code == 0, result.output
    return team_repo, rule


def test_a_commit_the_rule_refuses_goes_through_once_overridden(
    hooked: tuple[Path, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    repo, rule = hooked
    stage_secret(repo)
    refused = run_git(repo, "commit", "-m", "forge ships the fix")
    assert refused.returncode != 0 and rule in refused.stdout + refused.stderr
    git(repo, "reset", "-q")
    (repo / "src" / "app.py").unlink()
    ident = grant(repo, "ana", rule, "--paths", "src/**")
    stage_secret(repo)
    done = run_git(repo, "commit", "-m", "forge ships the fix")
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"overridden by {ident}, granted by ana" in done.stdout + done.stderr
    assert git(repo, "log", "-1", "--format=%s") == "forge ships the fix"
    monkeypatch.setenv("FOS_NOW", "2026-12-01T11:00:00Z")  # expired: refused again
    stage_secret(repo, path="src/more.py")
    refused = run_git(repo, "commit", "-m", "and more")
    assert refused.returncode != 0 and rule in refused.stdout + refused.stderr


def test_pre_receive_honours_an_override_and_not_a_forged_one(
    hooked: tuple[Path, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo, rule = hooked
    guarded_remote(repo, tmp_path / "remote.git")
    branch = git(repo, "branch", "--show-current")

    def push() -> subprocess.CompletedProcess[str]:
        return run_git(repo, "push", "--no-verify", "origin", branch)

    assert push().returncode == 0, push().stderr
    base = git(repo, "rev-parse", "HEAD")

    act_as(repo, "forge")
    forge_grant(repo, rule)
    stage_secret(repo)
    commit_all(repo, "forge lifts the rule for itself")
    proc = push()
    assert proc.returncode != 0, proc.stderr
    assert "OVR-f0f0f0 is ignored" in proc.stderr and rule in proc.stderr

    git(repo, "reset", "-q", "--hard", base)
    grant(repo, "ana", rule, "--paths", "src/**")
    stage_secret(repo)
    commit_all(repo, "forge ships the fix")
    proc = push()
    assert proc.returncode == 0, proc.stderr
    assert "overridden by OVR-" in proc.stderr

    monkeypatch.setenv("FOS_NOW", "2026-12-01T11:00:00Z")
    stage_secret(repo, path="src/more.py")
    commit_all(repo, "after it expired")
    proc = push()
    assert proc.returncode != 0 and rule in proc.stderr


def test_pre_push_honours_an_override_and_not_a_forged_one(
    hooked: tuple[Path, str], tmp_path: Path
) -> None:
    repo, rule = hooked
    bare = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", str(bare))
    git(repo, "remote", "add", "origin", str(bare))
    branch = git(repo, "branch", "--show-current")
    assert run_git(repo, "push", "origin", branch).returncode == 0
    base = git(repo, "rev-parse", "HEAD")

    act_as(repo, "forge")
    forge_grant(repo, rule)
    stage_secret(repo)
    commit_all(repo, "forge lifts the rule for itself")
    proc = run_git(repo, "push", "origin", branch)
    assert proc.returncode != 0
    assert "OVR-f0f0f0 is ignored" in proc.stdout + proc.stderr

    git(repo, "reset", "-q", "--hard", base)
    ident = grant(repo, "ana", rule, "--paths", "src/**")
    stage_secret(repo)
    commit_all(repo, "forge ships the fix")
    proc = run_git(repo, "push", "origin", branch)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"overridden by {ident}" in proc.stdout + proc.stderr
