"""The staged check asks `git grep --cached` which staged files may hold a rule's
literal, and git grep searches regular files only: a staged symlink (whose blob is
its target's text) is never ruled out that way, so the commit hook blocks what the
range check of the same commit blocks."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.governance import secret_rule, team_repo
from tests.helpers import fos, git, write_tree

__all__ = ["team_repo"]


@pytest.mark.parametrize(
    ("make", "blocked"),
    [
        (lambda repo: os.symlink("SECRET", repo / "src" / "link"), True),
        (lambda repo: os.symlink("elsewhere", repo / "src" / "link"), False),  # control
        (lambda repo: write_tree(repo, {"src/link": "SECRET = 1\n"}), True),  # control
        (lambda repo: write_tree(repo, {"src/link": "nothing\n"}), False),  # control
    ],
    ids=["symlink-to-secret", "symlink-elsewhere", "file-with-secret", "plain-file"],
)
def test_the_staged_check_judges_a_symlink_as_the_range_does(
    team_repo: Path, make: object, blocked: bool
) -> None:
    repo = team_repo
    secret_rule(repo)  # no SECRET under src/
    (repo / "src").mkdir(exist_ok=True)
    make(repo)  # type: ignore[operator]
    git(repo, "add", "src/link")
    staged = fos(repo, "check", "--staged")
    again = fos(repo, "check", "--staged")  # (what a grep found is kept: asked again)
    git(repo, "commit", "-q", "--no-verify", "-m", "a link")
    ranged = fos(repo, "check", "--range", "HEAD~1..HEAD")
    expected = 1 if blocked else 0
    assert ranged.code == expected, ranged.output
    assert staged.code == expected, staged.output
    assert again.code == expected, again.output


def test_the_commit_hook_refuses_a_symlink_to_forbidden_text(team_repo: Path) -> None:
    import subprocess

    repo = team_repo
    secret_rule(repo)
    assert fos(repo, "hooks", "install").code == 0
    (repo / "src").mkdir(exist_ok=True)
    os.symlink("SECRET", repo / "src" / "link")
    git(repo, "add", "src/link")
    proc = subprocess.run(
        ["git", "commit", "-q", "-m", "a link"], cwd=repo, capture_output=True, text=True
    )
    assert proc.returncode != 0, proc.stdout + proc.stderr
    assert "src/link" in proc.stdout + proc.stderr
