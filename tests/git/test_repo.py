"""The repository is found once per command, as one typed value."""

from __future__ import annotations

from pathlib import Path

from factory_os.git.repo import Repository, find_repository
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
