"""The repository is found once per command, as one typed value."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from factory_os.git.repo import Repository, current_branch, find_repository
from tests.helpers import commit_all, fos, git, git_calls, write_tree
from tests.ledger_helpers import make_factory


def test_a_work_tree_with_and_without_a_commit(repo: Path) -> None:
    dot_git = (repo / ".git").resolve()
    assert find_repository(repo) == Repository(repo.resolve(), dot_git, dot_git, None)
    write_tree(repo, {"sub/a.txt": "a\n"})
    head = commit_all(repo, "a")
    assert find_repository(repo / "sub") == Repository(repo.resolve(), dot_git, dot_git, head)


def test_a_linked_worktree_has_its_own_git_dir(repo: Path, tmp_path: Path) -> None:
    head = commit_all(repo, "start") if write_tree(repo, {"a": "a\n"}) is None else ""
    git(repo, "worktree", "add", "-q", str(tmp_path / "other"))
    found = find_repository(tmp_path / "other")
    assert found is not None
    assert found.worktree == (tmp_path / "other").resolve() and found.head == head
    assert found.common_dir == (repo / ".git").resolve() != found.git_dir


def test_a_bare_repository_has_no_work_tree_and_outside_there_is_none(tmp_path: Path) -> None:
    bare = tmp_path / "bare.git"
    git(tmp_path, "init", "-q", "--bare", str(bare))
    assert find_repository(bare) == Repository(None, bare.resolve(), bare.resolve(), None)
    (tmp_path / "plain").mkdir()
    assert find_repository(tmp_path / "plain") is None


def test_inside_the_git_directory_is_no_work_tree(repo: Path) -> None:
    assert find_repository(repo / ".git") is None


def test_verify_finds_the_repository_once(repo: Path, tmp_path: Path) -> None:
    make_factory(repo)
    assert fos(repo, "verify").code == 0
    with git_calls(tmp_path) as calls:
        assert fos(repo, "verify", "--history").code == 0
    finding = [c for c in calls if c[0] == "rev-parse" and "--verify" not in c]
    assert len(finding) == 1, calls
    assert {"--absolute-git-dir", "--git-common-dir", "--show-toplevel"} <= set(finding[0])


def test_the_branch_read_from_head_is_the_one_git_names(repo: Path, tmp_path: Path) -> None:
    write_tree(repo, {"a": "a\n"})
    commit_all(repo, "a")
    git(repo, "checkout", "-q", "-b", "feature/x")
    found = find_repository(repo)
    assert found is not None
    named = git(repo, "symbolic-ref", "--short", "HEAD")
    with git_calls(tmp_path) as calls:
        assert current_branch(found) == named == "feature/x"
    assert calls == []  # read from .git/HEAD
    git(repo, "checkout", "-q", "--detach")
    assert current_branch(found) is None
    head = repo / ".git" / "HEAD"
    head.unlink()
    head.symlink_to("refs/heads/main")  # as old gits wrote it (core.preferSymlinkRefs)
    assert current_branch(found) == git(repo, "symbolic-ref", "--short", "HEAD") == "main"


def _discoveries(calls: list[list[str]]) -> int:
    return sum(1 for c in calls if c[0] == "rev-parse" and "--absolute-git-dir" in c)


def test_a_check_of_a_commit_or_of_pushed_refs_finds_the_repository_once(
    factory_repo: Path, tmp_path: Path
) -> None:
    write_tree(factory_repo, {"a.txt": "a\n"})
    first = commit_all(factory_repo, "a")
    write_tree(factory_repo, {"b.txt": "b\n"})
    second = commit_all(factory_repo, "b")
    with git_calls(tmp_path) as calls:
        assert fos(factory_repo, "check", "--commit", "HEAD").code == 0
    assert _discoveries(calls) == 1, calls
    refs = f"{first} {second} refs/heads/main\n{'0' * 40} {first} refs/heads/other\n"
    with git_calls(tmp_path) as calls:
        proc = subprocess.run(
            [sys.executable, "-m", "factory_os", "hook-impl", "--hook-type=pre-receive", "--"],
            cwd=factory_repo,
            input=refs.encode(),
            capture_output=True,
            check=False,
        )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert _discoveries(calls) == 1, calls
