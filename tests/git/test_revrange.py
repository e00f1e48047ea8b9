"""One range parser: `fos verify --range` and `fos check --range` (and `--commit`)
refuse the same input with the same words and the same exit code."""

from __future__ import annotations

from pathlib import Path

import pytest

from factory_os.git import revrange
from tests.helpers import commit_all, fos, git, write_tree

COMMANDS = (("verify",), ("check",))


@pytest.fixture
def two_commits(factory_repo: Path) -> Path:
    write_tree(factory_repo, {"a.txt": "a\n"})
    commit_all(factory_repo, "a")
    return factory_repo


def test_a_range_resolves_both_sides_to_commit_ids(two_commits: Path) -> None:
    parsed = revrange.parse_range(two_commits, "HEAD~1..HEAD")
    head = git(two_commits, "rev-parse", "HEAD")
    assert parsed == (git(two_commits, "rev-parse", "HEAD~1"), head)
    assert parsed.revs == [f"{parsed.base}..{head}"]


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize(
    ("spec", "code", "needle"),
    [
        ("HEAD", 2, "--range takes BASE..HEAD, not 'HEAD'"),
        ("HEAD...HEAD", 2, "--range takes BASE..HEAD"),
        ("..HEAD", 2, "--range takes BASE..HEAD"),
        ("$FROM..HEAD", 2, "an environment variable in it is not set"),
        ("--output=x..HEAD", 2, "a revision, not an option, goes here"),
        ("HEAD..-n1", 2, "a revision, not an option, goes here"),
        ("origin/main..HEAD", 4, "'origin/main' names no commit in this repository"),
        ("HEAD..nope", 4, "--range HEAD..nope: 'nope' names no commit in this repository"),
    ],
)
def test_every_command_refuses_a_range_alike(
    two_commits: Path, command: tuple[str, ...], spec: str, code: int, needle: str
) -> None:
    result = fos(two_commits, *command, "--range", spec)
    assert (result.code, result.out) == (code, ""), result.output
    assert needle in result.err


def test_a_commit_that_names_none_is_refused_as_a_range_side_is(two_commits: Path) -> None:
    result = fos(two_commits, "check", "--commit", "nope")
    assert result.code == 4 and "'nope' names no commit in this repository" in result.err
    assert fos(two_commits, "check", "--commit", "--all").code == 2


def test_an_option_is_never_passed_to_git_as_a_range_side(
    two_commits: Path, tmp_path: Path
) -> None:
    target = tmp_path / "written"
    for command in COMMANDS:
        for spec in (f"--output={target}..HEAD", f"HEAD..--output={target}"):
            assert fos(two_commits, *command, f"--range={spec}").code == 2
    assert not target.exists()
