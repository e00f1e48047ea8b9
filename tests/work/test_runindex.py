"""The run index is a cache: whatever the ledger went through, it folds what a full
replay folds."""

from __future__ import annotations

import json
from pathlib import Path

from factory_os import store
from factory_os.ledger import segments
from factory_os.work import replay, runindex
from factory_os.work.runstate import KINDS, fold, to_json
from tests.helpers import commit_all, fos, git
from tests.run_helpers import FEATURE, make_team, recorded, start


def _replayed(repo: Path) -> dict[str, object]:
    factory = store.find_factory(repo)
    return {k: to_json(v) for k, v in fold(replay.select(factory, KINDS)).items()}


def _indexed(repo: Path) -> dict[str, object]:
    return {k: to_json(v) for k, v in runindex.runs(store.find_factory(repo)).items()}


def _index_file(repo: Path) -> Path:
    return segments.state_dir(store.find_factory(repo)) / runindex.NAME


def test_appends_are_applied_to_the_index_and_agree_with_a_replay(factory_repo: Path) -> None:
    make_team(factory_repo)
    run_id = start(factory_repo)
    assert _indexed(factory_repo) == _replayed(factory_repo)
    recorded(factory_repo, run_id, "feature-request.json", FEATURE)
    fos(factory_repo, "run", "gate", run_id, "spec")
    before = json.loads(_index_file(factory_repo).read_text())["heads"]
    assert _indexed(factory_repo) == _replayed(factory_repo)
    assert json.loads(_index_file(factory_repo).read_text())["heads"] != before
    assert fos(factory_repo, "run", "show", run_id).code == 0


def test_a_merged_branch_and_a_damaged_index_are_replayed_again(factory_repo: Path) -> None:
    make_team(factory_repo)
    first = start(factory_repo)
    commit_all(factory_repo, "first run")
    git(factory_repo, "checkout", "-q", "-b", "other")
    second = start(factory_repo)
    commit_all(factory_repo, "second run")
    git(factory_repo, "checkout", "-q", "main")
    fos(factory_repo, "run", "abandon", first, "--reason", "superseded")
    assert set(_indexed(factory_repo)) == {first}
    commit_all(factory_repo, "abandoned")
    git(factory_repo, "merge", "-q", "--no-edit", "other")
    assert set(_indexed(factory_repo)) == {first, second}
    assert _indexed(factory_repo) == _replayed(factory_repo)
    _index_file(factory_repo).write_text('{"v": 1, "marks": {"x": 1}}')
    assert _indexed(factory_repo) == _replayed(factory_repo)
