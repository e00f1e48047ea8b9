from __future__ import annotations

from pathlib import Path

from factory_os import store
from factory_os.ledger import events
from factory_os.work import replay
from tests.helpers import commit_all, git


def _append(repo: Path, kind: str, subject: str) -> str:
    return events.append(
        store.find_factory(repo), kind=kind, actor="a@example.com", subject=subject
    )


def test_select_keeps_replay_order_across_merged_branches(factory_repo: Path) -> None:
    _append(factory_repo, "test.opened", "X-1")
    commit_all(factory_repo, "one")
    git(factory_repo, "checkout", "-q", "-b", "side")
    _append(factory_repo, "test.noise", "X-1")
    _append(factory_repo, "test.closed", "X-1")
    commit_all(factory_repo, "side")
    git(factory_repo, "checkout", "-q", "main")
    _append(factory_repo, "test.opened", "X-2")
    commit_all(factory_repo, "main")
    git(factory_repo, "merge", "-q", "--no-edit", "side")
    _append(factory_repo, "test.closed", "X-2")

    factory = store.find_factory(factory_repo)
    everything = events.entries(factory)
    wanted = {"test.opened", "test.closed"}
    selected = replay.select(factory, wanted)

    assert [e.id for e in selected] == [e.id for e in everything if e.kind in wanted]
    assert [e.id for e in replay.of_kinds(everything, wanted)] == [e.id for e in selected]
    assert {e.kind for e in selected} == wanted
    assert [(e.height, e.id) for e in selected] == sorted((e.height, e.id) for e in selected)


def test_fold_and_by_subject_tell_each_subjects_state(factory_repo: Path) -> None:
    for kind, subject in [("test.opened", "X-1"), ("test.opened", "X-2"), ("test.closed", "X-1")]:
        _append(factory_repo, kind, subject)
    selected = replay.select(store.find_factory(factory_repo), {"test.opened", "test.closed"})

    def step(state: dict[str, str], entry: events.Entry) -> dict[str, str]:
        return {**state, entry.subject: entry.kind.split(".")[1]}

    start: dict[str, str] = {}
    assert replay.fold(selected, step, start) == {"X-1": "closed", "X-2": "opened"}
    groups = replay.by_subject(selected)
    assert [e.kind for e in groups["X-1"]] == ["test.opened", "test.closed"]
    assert [e.kind for e in groups["X-2"]] == ["test.opened"]
