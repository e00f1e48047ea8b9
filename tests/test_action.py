"""action.yml keeps what fos caches under .git/fos/ only from runs trusted as much as the
default branch: a pull request's run executes code and reads files the pull request
chose, so what it writes there must never reach another run."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

ACTION = Path(__file__).resolve().parent.parent / "action.yml"
TRUSTED = (
    "github.event_name == 'push'"
    " && github.ref == format('refs/heads/{0}', github.event.repository.default_branch)"
)


def _steps() -> list[dict[str, Any]]:
    steps: list[dict[str, Any]] = yaml.safe_load(ACTION.read_text())["runs"]["steps"]
    return steps


def test_the_cache_is_saved_only_from_pushes_to_the_default_branch() -> None:
    caching = [step for step in _steps() if str(step.get("uses", "")).startswith("actions/cache")]
    # actions/cache itself saves in its post step on every event: only restore and save
    assert {step["uses"].split("@")[0] for step in caching} == {
        "actions/cache/restore",
        "actions/cache/save",
    }
    for step in caching:
        assert step["with"]["path"] == ".git/fos"
        if step["uses"].startswith("actions/cache/save"):
            assert " ".join(step["if"].split()) == TRUSTED


def test_the_cache_is_restored_before_the_check_and_saved_after_it() -> None:
    names = [str(step.get("uses") or step.get("run", "")) for step in _steps()]
    check = next(i for i, name in enumerate(names) if name.startswith("fos check"))
    assert names[check - 1].startswith("actions/cache/restore")
    assert names[-1].startswith("actions/cache/save")
