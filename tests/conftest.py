from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import fos, git

pytest_plugins = ["tests.governance"]  # the `team_repo` fixture

_HOOK_VARIABLES = (
    "GIT_DIR",
    "GIT_INDEX_FILE",
    "GIT_WORK_TREE",
    "GIT_PREFIX",
    "FOS_ACTOR",
    "GIT_AUTHOR_NAME",
    "GIT_AUTHOR_EMAIL",
)


@pytest.fixture(autouse=True, scope="session")
def _isolated_git(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Every test sees the same git identity and none of the user's own git config."""
    home = tmp_path_factory.mktemp("home")
    (home / ".gitconfig").write_text(
        "[user]\n\tname = Test User\n\temail = test@example.com\n"
        "[init]\n\tdefaultBranch = main\n[commit]\n\tgpgsign = false\n"
        '[protocol "file"]\n\tallow = always\n'
    )
    saved = dict(os.environ)
    for name in _HOOK_VARIABLES:
        os.environ.pop(name, None)
    os.environ.update(
        HOME=str(home),
        GIT_CONFIG_GLOBAL=str(home / ".gitconfig"),
        GIT_CONFIG_NOSYSTEM="1",
        PRE_COMMIT_HOME=str(home / ".cache" / "pre-commit"),
    )
    yield
    os.environ.clear()
    os.environ.update(saved)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """An empty git repository."""
    path = tmp_path / "repo"
    path.mkdir()
    git(path, "init", "-q")
    return path


@pytest.fixture
def factory_repo(repo: Path) -> Path:
    """A repository with a fresh factory, committed."""
    result = fos(repo, "init")
    assert result.code == 0, result.output
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "--no-verify", "-m", "init factory")
    return repo
