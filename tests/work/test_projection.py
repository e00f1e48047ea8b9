from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.governance import act_as
from tests.helpers import commit_all, fos, git


def escalations(repo: Path) -> dict[str, dict[str, object]]:
    result = fos(repo, "escalate", "list", "--all", "--format", "json")
    assert result.code == 0, result.output
    return {row["id"]: row for row in json.loads(result.out)["escalations"]}


def replayed_afresh(repo: Path) -> dict[str, dict[str, object]]:
    """The list with the kept projections thrown away: a replay of the whole ledger."""
    for path in (repo / ".git" / "fos").glob("projection-*.marshal"):
        path.unlink()
    return escalations(repo)


def open_one(repo: Path, subject: str) -> str:
    result = fos(repo, "escalate", "open", "--subject", subject, "--reason", "stuck")
    assert result.code == 0, result.output
    return result.out.strip()


def resolve(repo: Path, escalation_id: str, resolution: str) -> None:
    result = fos(repo, "escalate", "resolve", escalation_id, "--resolution", resolution)
    assert result.code == 0, result.output


def test_what_is_folded_in_run_by_run_equals_a_full_replay(
    team_repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FOS_NOW", "2026-12-01T09:00:00Z")
    act_as(team_repo, "forge")
    first = open_one(team_repo, "run_00000001")
    assert list(escalations(team_repo)) == [first]  # kept from here on
    second = open_one(team_repo, "run_00000002")
    act_as(team_repo, "ana")
    resolve(team_repo, first, "fixed")
    # the open ones alone: the resolved one is settled apart, and read back with --all
    listed = fos(team_repo, "escalate", "list", "--format", "json").out
    assert [row["id"] for row in json.loads(listed)["escalations"]] == [second]
    kept = escalations(team_repo)
    assert kept[first]["resolution"] == "fixed" and kept[second]["resolved_at"] is None
    assert kept == replayed_afresh(team_repo)


def test_two_branches_escalating_and_resolving_at_once_merge_into_one_queue(
    team_repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = team_repo
    monkeypatch.setenv("FOS_NOW", "2026-12-01T09:00:00Z")
    act_as(repo, "forge")
    shared = open_one(repo, "run_00000000")
    commit_all(repo, "escalate")
    git(repo, "checkout", "-q", "-b", "left")
    left = open_one(repo, "run_0000000a")
    act_as(repo, "ana")
    resolve(repo, shared, "left's answer")
    resolve(repo, left, "done on the left")
    commit_all(repo, "left")
    git(repo, "checkout", "-q", "main")
    act_as(repo, "forge")
    right = open_one(repo, "run_0000000b")
    act_as(repo, "ben")
    resolve(repo, shared, "right's answer")
    commit_all(repo, "right")
    assert set(escalations(repo)) == {shared, right}  # main's projection, kept
    other = repo.parent / "other"
    git(repo.parent, "clone", "-q", str(repo), str(other))
    git(other, "checkout", "-q", "left")
    git(other, "merge", "-q", "--no-edit", "origin/main")

    git(repo, "merge", "-q", "--no-edit", "left")
    merged = escalations(repo)
    assert set(merged) == {shared, left, right}
    assert merged[left]["resolution"] == "done on the left"
    assert merged[right]["resolved_at"] is None
    # both branches resolved the shared one: the first in replay order counts, the same
    # whichever way the branches were merged
    assert merged[shared]["resolution"] in ("left's answer", "right's answer")
    assert escalations(other)[shared]["resolution"] == merged[shared]["resolution"]
    assert merged == replayed_afresh(repo)
    act_as(repo, "ana")
    resolve(repo, right, "after the merge")
    assert escalations(repo)[right]["resolution"] == "after the merge"
    assert fos(repo, "verify").code == 0
