"""The staged check's author: as `git commit` hands it to its hooks, without asking git
again, and exactly what `git var GIT_AUTHOR_IDENT` would say."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from factory_os.git import plumbing
from tests.helpers import fos, git, git_calls, write_tree

# what `git commit` exports to its hooks
COMMIT_ENV = {
    "GIT_AUTHOR_NAME": "Test User",
    "GIT_AUTHOR_EMAIL": "test@example.com",
    "GIT_AUTHOR_DATE": "@1796538438 +0000",
}


def test_under_git_commit_the_staged_check_asks_git_for_no_author(
    factory_repo: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    write_tree(factory_repo, {"a.txt": "x\n"})
    git(factory_repo, "add", "a.txt")
    for name, value in COMMIT_ENV.items():
        monkeypatch.setenv(name, value)
    with git_calls(tmp_path) as calls:
        result = fos(factory_repo, "check", "--staged")
    assert result.code == 0, result.output
    assert calls and not [c for c in calls if c[:1] == ["var"]], calls


def test_a_real_commit_hook_sees_the_author_of_the_commit(factory_repo: Path) -> None:
    assert fos(factory_repo, "hooks", "install").code == 0
    write_tree(factory_repo, {"a.txt": "x\n"})
    git(factory_repo, "add", "a.txt")
    proc = subprocess.run(
        ["git", "commit", "-q", "-m", "a", "--author", "Nobody <nobody@example.com>"],
        cwd=factory_repo,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode != 0
    assert "nobody@example.com" in proc.stdout + proc.stderr
    git(factory_repo, "commit", "-q", "-m", "a")  # the member's own commit passes


# (name, email, date, whether git would take them as they are)
CASES = [
    ("Test User", "test@example.com", None, True),
    ("Test User", "test@example.com", "@1796538438 +0000", True),
    ("Test User", "test@example.com", "@1796538438 -0130", True),
    ("Zoë Ünal", "zoë@example.com", None, True),
    ("A\tB", "a@example.com", None, True),
    (" Test User ", "<test@example.com>", None, False),
    ("Ana;", "ana@example.com:", None, False),
    ("J. R.", "j@example.com.", None, False),
    ("A<b>c", "a>b@example.com", None, False),
    ("'Ana'", '"ana@example.com"', None, False),
    ("Ana", "ana@example.com", "2026-01-01T00:00:00Z", False),
    ("Ana", "ana@example.com", "@12x +0000", False),
]


@pytest.mark.parametrize(("name", "email", "date", "as_is"), CASES)
def test_the_author_from_the_environment_is_what_git_var_says(
    repo: Path,
    monkeypatch: pytest.MonkeyPatch,
    name: str,
    email: str,
    date: str | None,
    as_is: bool,
) -> None:
    monkeypatch.setenv("GIT_AUTHOR_NAME", name)
    monkeypatch.setenv("GIT_AUTHOR_EMAIL", email)
    if date is None:
        monkeypatch.delenv("GIT_AUTHOR_DATE", raising=False)
    else:
        monkeypatch.setenv("GIT_AUTHOR_DATE", date)
    ours = plumbing.author_ident_from_env()
    assert (ours is not None) == as_is
    if ours is not None:
        assert ours == plumbing.author_ident(repo)


def test_without_both_variables_git_decides(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GIT_AUTHOR_EMAIL", "ana@example.com")
    monkeypatch.delenv("GIT_AUTHOR_NAME", raising=False)
    assert plumbing.author_ident_from_env() is None
    monkeypatch.setenv("GIT_AUTHOR_NAME", "")
    assert plumbing.author_ident_from_env() is None
