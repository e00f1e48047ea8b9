"""The installed hooks, driven by real git: commit, commit -a, push, worktrees."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.checks_helpers import add_rule, set_team
from tests.helpers import commit_all, fos, git, guarded_remote, push, snapshot, write_tree

BUILDER = {"id": "bob", "roles": ["builder"], "emails": ["bob@example.com"]}
CEO = {"id": "ceo", "roles": ["ceo"], "emails": ["ceo@example.com"]}


def run_git(cwd: Path, *args: str, input: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["git", *args], cwd=cwd, capture_output=True, text=True, input=input, check=False
    )


@pytest.fixture
def hooked(repo: Path) -> Path:
    """A factory founded with a builder and a CEO in its team, and the hooks installed."""
    assert fos(repo, "init").code == 0
    set_team(repo, BUILDER, CEO)
    commit_all(repo, "team")
    result = fos(repo, "hooks", "install")
    assert result.code == 0, result.output
    return repo


def test_install_writes_marked_shims_recording_the_python(hooked: Path) -> None:
    shim = hooked / ".git" / "hooks" / "pre-commit"
    text = shim.read_text()
    assert "# ID: factory-os-hook-7c1d2b9e" in text and sys.executable in text
    assert os.access(shim, os.X_OK)
    status = fos(hooked, "hooks", "status").out
    assert [line.split()[:2] for line in status.splitlines()] == [
        ["pre-commit", "installed"],
        ["commit-msg", "installed"],
        ["pre-push", "installed"],
    ]


def test_a_member_bound_by_a_rule_cannot_commit(hooked: Path) -> None:
    git(hooked, "config", "user.email", "ceo@example.com")
    write_tree(hooked, {"src/app.py": "x = 1\n"})
    git(hooked, "add", "src/app.py")
    proc = run_git(hooked, "commit", "-m", "ceo codes")
    assert proc.returncode != 0
    assert "R-core-ceo-never-writes-code" in proc.stdout + proc.stderr
    assert git(hooked, "log", "--format=%s", "-1") == "team"
    git(hooked, "config", "user.email", "bob@example.com")
    assert run_git(hooked, "commit", "-m", "builder codes").returncode == 0


def test_commit_all_is_checked_through_the_index_git_hands_the_hook(hooked: Path) -> None:
    write_tree(hooked, {"deploy/run.sh": "v1\n"})
    commit_all(hooked, "deploy script")
    git(hooked, "config", "user.email", "bob@example.com")
    write_tree(hooked, {"deploy/run.sh": "v2\n"})
    proc = run_git(hooked, "commit", "-a", "-m", "builder deploys")
    assert proc.returncode != 0 and "R-core-builder-cannot-deploy" in proc.stderr
    assert (hooked / "deploy" / "run.sh").read_text() == "v2\n"


def test_partial_staging_is_left_untouched(hooked: Path) -> None:
    add_rule(
        hooked,
        "R-abc001",
        {"kind": "forbidden-pattern", "pattern": "SECRET"},
        scope={"paths": ["*.txt"]},
    )
    write_tree(hooked, {"f.txt": "one\n"})
    commit_all(hooked, "rule")
    write_tree(hooked, {"f.txt": "one\nSECRET staged\n"})
    git(hooked, "add", "f.txt")
    write_tree(hooked, {"f.txt": "one\nSECRET staged\nunstaged line\n"})
    before = (snapshot(hooked), git(hooked, "diff"), git(hooked, "diff", "--cached"))
    proc = run_git(hooked, "commit", "-m", "leak")
    assert proc.returncode != 0 and "f.txt:2" in proc.stderr
    assert (snapshot(hooked), git(hooked, "diff"), git(hooked, "diff", "--cached")) == before
    # staged part clean, unstaged part dirty: the commit passes, nothing moves
    write_tree(hooked, {"f.txt": "one\ntwo\n"})
    git(hooked, "add", "f.txt")
    write_tree(hooked, {"f.txt": "one\ntwo\nSECRET unstaged\n"})
    before = (snapshot(hooked), git(hooked, "diff"))
    assert run_git(hooked, "commit", "-m", "clean part").returncode == 0
    assert (snapshot(hooked), git(hooked, "diff")) == before


def test_commit_msg_checks_trailers_and_the_member_named(hooked: Path) -> None:
    add_rule(hooked, "R-abc002", {"kind": "required-trailer", "key": "Ticket"})
    commit_all(hooked, "rule")
    write_tree(hooked, {"a.txt": "x\n"})
    git(hooked, "add", "a.txt")
    proc = run_git(hooked, "commit", "-m", "no ticket")
    assert proc.returncode != 0 and "no Ticket: trailer" in proc.stderr
    proc = run_git(hooked, "commit", "-m", "x\n\nTicket: T-1\nFactory-Member: ceo")
    assert proc.returncode != 0 and "does not match the author email" in proc.stderr
    assert run_git(hooked, "commit", "-m", "x\n\nTicket: T-1").returncode == 0


def test_no_verify_commit_still_fails_the_range_check(hooked: Path) -> None:
    base = git(hooked, "rev-parse", "HEAD")
    git(hooked, "config", "user.email", "ceo@example.com")
    write_tree(hooked, {"src/app.py": "x\n"})
    git(hooked, "add", "-A")
    assert run_git(hooked, "commit", "--no-verify", "-m", "sneak").returncode == 0
    result = fos(hooked, "check", "--range", f"{base}..HEAD")
    assert result.code == 1 and "R-core-ceo-never-writes-code" in result.out


def _remote(tmp_path: Path, repo: Path) -> Path:
    bare = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", str(bare))
    git(repo, "remote", "add", "origin", str(bare))
    return bare


def test_pre_push_checks_the_pushed_range(hooked: Path, tmp_path: Path) -> None:
    _remote(tmp_path, hooked)
    assert run_git(hooked, "push", "-q", "origin", "main").returncode == 0
    git(hooked, "config", "user.email", "ceo@example.com")
    write_tree(hooked, {"src/app.py": "x\n"})
    git(hooked, "add", "-A")
    git(hooked, "commit", "-q", "--no-verify", "-m", "sneak")
    proc = run_git(hooked, "push", "origin", "main")
    assert proc.returncode != 0 and "R-core-ceo-never-writes-code" in proc.stdout + proc.stderr
    # a new branch is checked from its merge-base with the remote's default branch
    git(hooked, "remote", "set-head", "origin", "main")
    git(hooked, "checkout", "-q", "-b", "feature")
    proc = run_git(hooked, "push", "origin", "feature")
    assert proc.returncode != 0 and "pre-push refused" in proc.stdout + proc.stderr
    git(hooked, "reset", "-q", "--hard", "origin/main")
    git(hooked, "config", "user.email", "bob@example.com")
    write_tree(hooked, {"src/ok.py": "x\n"})
    git(hooked, "add", "-A")
    git(hooked, "commit", "-q", "-m", "fine")
    assert run_git(hooked, "push", "-q", "origin", "feature").returncode == 0


def test_core_hooks_path_and_its_hooks_keep_working(factory_repo: Path) -> None:
    hooks_dir = factory_repo / ".githooks"
    hooks_dir.mkdir()
    marker = factory_repo / ".git" / "legacy-ran"
    legacy = f"#!/bin/sh\necho ran >> '{marker}'\nexit 0\n"
    (hooks_dir / "pre-commit").write_text(legacy)
    (hooks_dir / "pre-commit").chmod(0o755)
    git(factory_repo, "config", "core.hooksPath", ".githooks")
    assert fos(factory_repo, "hooks", "install").code == 0
    assert (hooks_dir / "pre-commit.legacy").read_text() == legacy
    assert not (factory_repo / ".git" / "hooks" / "pre-commit").exists()
    write_tree(factory_repo, {"a.txt": "x\n"})
    git(factory_repo, "add", "a.txt")
    assert run_git(factory_repo, "commit", "-m", "x").returncode == 0
    assert marker.read_text() == "ran\n"
    git(factory_repo, "config", "user.email", "stranger@example.com")
    write_tree(factory_repo, {"b.txt": "x\n"})
    git(factory_repo, "add", "b.txt")
    assert run_git(factory_repo, "commit", "-m", "y").returncode != 0
    assert marker.read_text() == "ran\nran\n"
    assert fos(factory_repo, "hooks", "uninstall").code == 0
    assert (hooks_dir / "pre-commit").read_text() == legacy
    assert not (hooks_dir / "pre-commit.legacy").exists()


def test_a_failing_legacy_hook_still_fails_the_commit(factory_repo: Path) -> None:
    hook = factory_repo / ".git" / "hooks" / "commit-msg"
    hook.write_text("#!/bin/sh\necho legacy says no >&2\nexit 1\n")
    hook.chmod(0o755)
    assert fos(factory_repo, "hooks", "install", "--hook", "commit-msg").code == 0
    write_tree(factory_repo, {"a.txt": "x\n"})
    git(factory_repo, "add", "a.txt")
    proc = run_git(factory_repo, "commit", "-m", "x")
    assert proc.returncode != 0 and "legacy says no" in proc.stderr
    status = fos(factory_repo, "hooks", "status").out
    assert "runs the earlier hook" in status and "pre-commit  absent" in status


def test_hooks_work_in_a_linked_worktree(hooked: Path, tmp_path: Path) -> None:
    other = tmp_path / "other"
    git(hooked, "worktree", "add", "-q", "-b", "wt", str(other))
    git(other, "config", "user.email", "ceo@example.com")
    write_tree(other, {"src/app.py": "x\n"})
    git(other, "add", "-A")
    proc = run_git(other, "commit", "-m", "ceo in a worktree")
    assert proc.returncode != 0 and "R-core-ceo-never-writes-code" in proc.stderr
    assert fos(other, "hooks", "status").out.count("installed") == 3


def test_install_refuses_to_lose_a_legacy_hook(factory_repo: Path) -> None:
    hooks_dir = factory_repo / ".git" / "hooks"
    (hooks_dir / "pre-push").write_text("#!/bin/sh\n")
    (hooks_dir / "pre-push.legacy").write_text("#!/bin/sh\n")
    result = fos(factory_repo, "hooks", "install", "--hook", "pre-push")
    assert result.code == 2 and "move one of them away" in result.err


def test_server_side_pre_receive_refuses_a_bad_push(hooked: Path, tmp_path: Path) -> None:
    guarded_remote(hooked, tmp_path / "remote.git")
    first = push(hooked, "--no-verify", "main")
    assert first.returncode == 0, first.stderr
    git(hooked, "config", "user.email", "ceo@example.com")
    write_tree(hooked, {"src/app.py": "x\n"})
    git(hooked, "add", "-A")
    git(hooked, "commit", "-q", "--no-verify", "-m", "sneak")
    proc = push(hooked, "--no-verify", "main")
    assert proc.returncode != 0 and "R-core-ceo-never-writes-code" in proc.stderr
    proc = push(hooked, "--no-verify", "main:refs/heads/other")
    assert proc.returncode != 0 and "R-core-ceo-never-writes-code" in proc.stderr


def _commit_as(repo: Path, email: str, files: dict[str, str], message: str) -> None:
    git(repo, "config", "user.email", email)
    write_tree(repo, files)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "--no-verify", "-m", message)


@pytest.mark.parametrize("server_head", ["refs/heads/main", "refs/heads/unborn"])
def test_pre_receive_measures_a_new_branch_from_where_it_leaves_main(
    hooked: Path, tmp_path: Path, server_head: str
) -> None:
    """A new branch that merged main is not charged with the code main brought in,
    whether the server's HEAD names main or (unborn) names nothing to measure from."""
    bare = guarded_remote(hooked, tmp_path / "remote.git")
    git(bare, "symbolic-ref", "HEAD", server_head)
    assert push(hooked, "--no-verify", "main").returncode == 0
    git(hooked, "checkout", "-q", "-b", "plan")
    _commit_as(hooked, "ceo@example.com", {"docs/plan.md": "plan\n"}, "plan")
    git(hooked, "checkout", "-q", "main")
    _commit_as(hooked, "bob@example.com", {"src/app.py": "x = 1\n"}, "code")
    proc = push(hooked, "--no-verify", "main")
    assert proc.returncode == 0, proc.stderr
    git(hooked, "checkout", "-q", "plan")
    git(hooked, "config", "user.email", "ceo@example.com")
    git(hooked, "merge", "-q", "--no-ff", "--no-verify", "-m", "merge main", "main")
    proc = push(hooked, "--no-verify", "plan")
    assert proc.returncode == 0, proc.stderr
    assert git(bare, "rev-parse", "plan") == git(hooked, "rev-parse", "plan")
    # the CEO's own code on a new branch is still refused
    git(hooked, "checkout", "-q", "-b", "sneak")
    _commit_as(hooked, "ceo@example.com", {"src/app.py": "x = 2\n"}, "sneak")
    proc = push(hooked, "--no-verify", "sneak")
    assert proc.returncode != 0 and "R-core-ceo-never-writes-code" in proc.stderr


def test_merging_anothers_work_is_not_writing_it(hooked: Path) -> None:
    """The CEO may merge the builder's code: a merge answers only for what it adds itself."""
    git(hooked, "checkout", "-q", "-b", "feature")
    git(hooked, "config", "user.email", "bob@example.com")
    write_tree(hooked, {"src/app.py": "x = 1\n"})
    git(hooked, "add", "-A")
    assert run_git(hooked, "commit", "-q", "-m", "code").returncode == 0
    git(hooked, "checkout", "-q", "main")
    git(hooked, "config", "user.email", "ceo@example.com")
    write_tree(hooked, {"docs/plan.md": "plan\n"})
    git(hooked, "add", "-A")
    assert run_git(hooked, "commit", "-q", "-m", "plan").returncode == 0
    proc = run_git(hooked, "merge", "--no-ff", "-m", "merge feature", "feature")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    # but code the CEO writes into a merge is the CEO's
    git(hooked, "reset", "-q", "--hard", "HEAD~1")
    git(hooked, "merge", "-q", "--no-ff", "--no-commit", "feature")
    write_tree(hooked, {"src/app.py": "x = 2\n"})
    git(hooked, "add", "-A")
    proc = run_git(hooked, "commit", "-m", "merge and edit")
    assert proc.returncode != 0 and "R-core-ceo-never-writes-code" in proc.stderr


def test_moving_the_factory_aside_does_not_switch_the_hooks_off(
    hooked: Path, tmp_path: Path
) -> None:
    git(hooked, "config", "user.email", "ceo@example.com")
    write_tree(hooked, {"src/app.py": "x = 1\n"})
    git(hooked, "add", "src/app.py")
    shutil.move(hooked / ".factory", tmp_path / "aside")
    try:
        proc = run_git(hooked, "commit", "-m", "ceo codes while no one looks")
    finally:
        shutil.move(tmp_path / "aside", hooked / ".factory")
    assert proc.returncode != 0
    assert "R-core-ceo-never-writes-code" in proc.stdout + proc.stderr
    assert git(hooked, "log", "--format=%s", "-1") == "team"
