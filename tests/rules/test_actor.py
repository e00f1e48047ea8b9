from __future__ import annotations

from pathlib import Path

import pytest

from factory_os.errors import UsageError
from factory_os.rules.actor import resolve_actor
from tests.helpers import git


def test_actor_option_then_environment_then_git_email(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    git(repo, "config", "user.email", "git@example.com")
    monkeypatch.setenv("FOS_ACTOR", "env@example.com")
    assert resolve_actor(repo, "option@example.com") == "option@example.com"
    assert resolve_actor(repo) == "env@example.com"
    monkeypatch.setenv("FOS_ACTOR", "  ")
    assert resolve_actor(repo, " ") == "git@example.com"


def test_no_actor_anywhere_is_a_usage_error(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    empty = tmp_path / "empty.gitconfig"
    empty.write_text("")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(empty))
    monkeypatch.delenv("FOS_ACTOR", raising=False)
    with pytest.raises(UsageError, match="pass --actor, set FOS_ACTOR"):
        resolve_actor(repo)
