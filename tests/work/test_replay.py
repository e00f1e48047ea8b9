from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from factory_os import store
from factory_os.ledger import events
from factory_os.ledger.events import Entry
from factory_os.work import replay
from factory_os.work.projection import Projection
from tests.helpers import commit_all, git, git_calls


def _append(repo: Path, kind: str, subject: str) -> str:
    return events.append(store.find_factory(repo), kind=kind, actor="test", subject=subject)


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


def _counting() -> Projection[int]:
    """How many entries of each subject, as a fold the base keeps."""

    def fold(entries: Iterable[Entry], state: dict[str, int]) -> dict[str, int]:
        for entry in entries:
            state[entry.subject] = state.get(entry.subject, 0) + 1
        return state

    return Projection("counts", frozenset({"test.opened"}), fold, lambda n: n, lambda n: n)


def test_a_base_is_the_ledger_of_its_commit_replayed_once(
    factory_repo: Path, tmp_path: Path
) -> None:
    cache = tmp_path / "cache"
    _append(factory_repo, "test.opened", "X-1")
    _append(factory_repo, "test.opened", "X-1")
    _append(factory_repo, "test.closed", "X-1")
    first = commit_all(factory_repo, "one")
    _append(factory_repo, "test.opened", "X-2")
    second = commit_all(factory_repo, "two")
    counts = _counting()

    def base(commit: str) -> replay.Base:
        replayed = replay.Base(factory_repo, commit, [counts], cache_dir=cache)
        replayed.save()
        return replayed

    assert base(first).state(counts) == {"X-1": 2}
    with git_calls(tmp_path) as calls:
        assert base(first).state(counts) == {"X-1": 2}  # kept: nothing is read from git
    assert calls == []  # (a commit names its tree: its segments are kept too)
    assert base(second).state(counts) == {"X-1": 2, "X-2": 1}
    with git_calls(tmp_path) as calls:  # each base is kept apart: pull requests on two bases
        assert base(first).state(counts) == {"X-1": 2}
        assert base(second).state(counts) == {"X-1": 2, "X-2": 1}
    assert calls == []
    assert replay.Base(factory_repo, None, [counts]).state(counts) == {}

    every = events.entries(store.find_factory(factory_repo))  # the work tree: second
    added = [(e.id, {"parents": list(e.parents), "kind": e.kind, "at": e.at, "actor": e.actor,
              "subject": e.subject, "refs": [], "data": e.data}, "", 0) for e in every]  # fmt: skip
    placed = base(first).place(reversed(added))
    assert [e.subject for e in placed] == ["X-2"]  # the base's own entries are left out
    assert placed[0].height == base(first).top + 1 == max(base(first).heights.values()) + 1


def test_a_kept_base_tells_what_its_replay_told(factory_repo: Path, tmp_path: Path) -> None:
    """Read back in part (the heights a change asks for, the values of some subjects,
    what was computed from the base), a kept base answers as the replay did; a kept file
    that is torn or foreign is replayed again, never read."""
    cache = tmp_path / "cache"
    for subject in ("X-1", "X-2", "X-1", "X-3"):
        _append(factory_repo, "test.opened", subject)
    _append(factory_repo, "test.closed", "X-2")
    commit = commit_all(factory_repo, "work")
    counts = _counting()
    replayed = replay.Base(factory_repo, commit, [counts], cache_dir=cache)
    heights = dict(replayed.heights)
    assert replayed.kept("answer/1", lambda: [42, {"a": "b"}]) == [42, {"a": "b"}]
    replayed.save()
    [kept_file] = (cache / "factory-os" / replay.BASE_CACHE).glob("*.base")

    kept = replay.Base(factory_repo, commit, [counts], cache_dir=cache)
    assert kept.state(counts, {"X-1", "X-3"}.__contains__) == {"X-1": 2, "X-3": 1}
    assert {ident: kept.height(ident) for ident in heights} == heights
    assert kept.height("f" * 64) is None and kept.height("not an id") is None
    assert kept.top == max(heights.values())
    assert kept.kept("answer/1", lambda: None) == [42, {"a": "b"}]
    assert kept.heights == heights

    whole = kept_file.read_bytes()
    for spoilt in (whole[:-1], b"x" + whole[1:], whole + b"\n"):
        kept_file.write_bytes(spoilt)
        again = replay.Base(factory_repo, commit, [counts], cache_dir=cache)
        assert again.state(counts) == {"X-1": 2, "X-2": 1, "X-3": 1}
        assert again.kept("answer/1", lambda: "computed again") == "computed again"


def test_a_base_that_grew_from_a_kept_one_is_folded_from_it(
    factory_repo: Path, tmp_path: Path
) -> None:
    """After a merge, the next base holds the ledger of the last one and a few lines more:
    those lines are placed and folded onto what was kept, with the answer of a replay,
    and without reading the kept base's lines again."""
    cache, fresh = tmp_path / "cache", tmp_path / "fresh"
    counts = _counting()
    for subject in ("X-1", "X-2", "X-1"):
        _append(factory_repo, "test.opened", subject)
    first = commit_all(factory_repo, "first")
    replay.Base(factory_repo, first, [counts], cache_dir=cache).save()
    git(factory_repo, "checkout", "-q", "-b", "side")
    _append(factory_repo, "test.opened", "X-3")
    commit_all(factory_repo, "side")
    git(factory_repo, "checkout", "-q", "main")
    for subject in ("X-2", "X-4"):
        _append(factory_repo, "test.opened", subject)
    commit_all(factory_repo, "main")
    git(factory_repo, "merge", "-q", "--no-edit", "side")  # a second segment
    _append(factory_repo, "test.opened", "X-1")
    second = commit_all(factory_repo, "second")

    with git_calls(tmp_path) as calls:
        grown = replay.Base(factory_repo, second, [counts], cache_dir=cache)
    replayed = replay.Base(factory_repo, second, [counts], cache_dir=fresh)
    assert grown.state(counts) == replayed.state(counts) == {"X-1": 3, "X-2": 2, "X-3": 1,
                                                             "X-4": 1}  # fmt: skip
    assert grown.heights == replayed.heights and grown.top == replayed.top
    assert [c[0] for c in calls] == ["ls-tree", "cat-file"]  # only the grown segments
    grown.save()
    again = replay.Base(factory_repo, second, [counts], cache_dir=cache)
    assert again.state(counts) == replayed.state(counts)
    assert again.height(max(replayed.heights, key=replayed.heights.__getitem__)) == replayed.top


def test_a_base_is_replayed_where_growing_would_not_be_a_replay(
    factory_repo: Path, tmp_path: Path
) -> None:
    """A segment rewritten, or a fold that starts afresh given entries of its kinds: the
    base is replayed whole."""
    cache = tmp_path / "cache"
    counts = _counting()
    afresh = Projection("afresh", counts.kinds, lambda entries, _state: counts.fold(entries, {}),
                        counts.dump, counts.load, onto=False)  # fmt: skip
    _append(factory_repo, "test.opened", "X-1")
    first = commit_all(factory_repo, "first")
    replay.Base(factory_repo, first, [counts, afresh], cache_dir=cache).save()
    _append(factory_repo, "test.opened", "X-1")
    second = commit_all(factory_repo, "second")
    grown = replay.Base(factory_repo, second, [counts, afresh], cache_dir=cache)
    assert grown.state(counts) == grown.state(afresh) == {"X-1": 2}

    [segment] = (factory_repo / ".factory" / "ledger").glob("*.jsonl")
    segment.write_bytes(segment.read_bytes().replace(b'"subject":"X-1"', b'"subject":"X-9"', 1))
    _append(factory_repo, "test.opened", "X-5")  # rewritten: not grown from the second
    third = commit_all(factory_repo, "rewritten")
    again = replay.Base(factory_repo, third, [counts], cache_dir=cache).state(counts)
    assert again == {"X-1": 1, "X-9": 1, "X-5": 1}
