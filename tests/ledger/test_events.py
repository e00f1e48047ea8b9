from __future__ import annotations

import hashlib
import json
import random
import signal
import time
from pathlib import Path

import pytest

from factory_os import store
from factory_os.errors import EnvironmentProblem, InvalidInput
from factory_os.ledger import events as ledger
from factory_os.ledger.line import DOMAIN
from tests.helpers import commit_all, fos, git
from tests.ledger_helpers import (
    entry_fields,
    forge_line,
    make_factory,
    only_segment,
    run_python,
    segment_files,
)


def test_line_is_id_and_canonical_json(repo: Path) -> None:
    factory = make_factory(repo)
    first = ledger.append(factory, kind="factory.initialized", actor="test")
    second = ledger.append(
        factory,
        kind="rule.added",
        actor="test",
        subject="R-abc123",
        data={"z": 1, "a": "é"},
    )
    lines = only_segment(repo).read_bytes().splitlines()
    assert len(lines) == 2
    ident, _, body = lines[1].partition(b" ")
    assert ident.decode() == second == hashlib.sha256(DOMAIN + body).hexdigest()
    assert body.startswith(b'{"actor":"test","at":"')
    assert b'"data":{"a":"\xc3\xa9","z":1}' in body  # sorted keys, raw UTF-8, no spaces
    fields = json.loads(body)
    assert set(fields) == {"v", "kind", "at", "actor", "subject", "refs", "parents", "data"}
    assert fields["parents"] == [first] and fields["v"] == 1
    assert fields["at"].endswith("Z")
    assert json.loads(lines[0].partition(b" ")[2])["parents"] == []


def test_floats_and_bad_kinds_are_refused_and_nothing_is_written(repo: Path) -> None:
    factory = make_factory(repo)
    with pytest.raises(InvalidInput, match="float"):
        ledger.append(factory, kind="x.y", actor="test", data={"ratio": 0.5})
    for kind in ("Not A Kind", "test.evt\n"):
        with pytest.raises(ValueError, match="kind"):
            ledger.append(factory, kind=kind, actor="test")
    assert segment_files(repo) == []


def test_segments_are_marked_minus_text_for_git(repo: Path) -> None:
    factory = make_factory(repo)
    ledger.append(factory, kind="factory.initialized", actor="test")
    segment = only_segment(repo).relative_to(repo).as_posix()
    assert git(repo, "check-attr", "text", "--", segment).endswith("text: unset")
    git(repo, "config", "core.autocrlf", "true")
    commit_all(repo, "ledger")
    before = only_segment(repo).read_bytes()
    only_segment(repo).unlink()
    git(repo, "checkout", "--", segment)
    assert only_segment(repo).read_bytes() == before


def test_each_branch_writes_its_own_segment(repo: Path) -> None:
    factory = make_factory(repo)
    ledger.append(factory, kind="factory.initialized", actor="test")
    commit_all(repo, "ledger")
    git(repo, "checkout", "-q", "-b", "feature")
    ledger.append(factory, kind="test.event", actor="test")
    feature = factory.rel(next(p for p in segment_files(repo) if not _tracked(repo, p)))
    git(repo, "checkout", "-q", "main")
    # feature's segment was never committed: checkout leaves it, and appends here leave it out
    assert ledger.left_out(factory) == [feature]
    ledger.append(factory, kind="test.event", actor="test")
    git(repo, "checkout", "-q", "-b", "other")
    assert ledger.left_out(factory) == [feature]
    ledger.append(factory, kind="test.event", actor="test")
    assert len(segment_files(repo)) == 3  # main's, feature's (left behind) and other's


def _tracked(repo: Path, path: Path) -> bool:
    return bool(git(repo, "ls-files", "--", str(path.relative_to(repo))))


def test_replay_order_is_height_then_id_and_heads_join_after_merge(repo: Path) -> None:
    factory = make_factory(repo)
    root = ledger.append(factory, kind="factory.initialized", actor="test")
    commit_all(repo, "ledger")
    git(repo, "checkout", "-q", "-b", "feature")
    left = ledger.append(factory, kind="test.left", actor="test")
    commit_all(repo, "left")
    git(repo, "checkout", "-q", "main")
    right = ledger.append(factory, kind="test.right", actor="test")
    commit_all(repo, "right")
    git(repo, "merge", "-q", "--no-edit", "feature")
    assert ledger.heads(factory) == sorted([left, right])
    joined = ledger.append(factory, kind="test.join", actor="test")
    order = [e.id for e in ledger.entries(factory)]
    assert order == [root, *sorted([left, right]), joined]
    assert [e.height for e in ledger.entries(factory)] == [0, 1, 1, 2]
    assert ledger.heads(factory) == [joined]
    assert set(ledger.entries(factory)[-1].parents) == {left, right}


def test_record_file_writes_file_and_entry_with_its_digest(repo: Path) -> None:
    factory = make_factory(repo)
    path = factory.dir / "incidents" / "INC-abcdef.md"
    ident = ledger.record_file(
        factory,
        path,
        "---\nid: x\n---\n",
        kind="incident.recorded",
        actor="test",
        subject="INC-abcdef",
    )
    (entry,) = ledger.entries(factory)
    assert entry.id == ident
    assert entry.refs == (
        ledger.Ref(
            ".factory/incidents/INC-abcdef.md", hashlib.sha256(path.read_bytes()).hexdigest()
        ),
    )
    with pytest.raises(InvalidInput, match="never overwritten"):
        ledger.record_file(
            factory, path, "other", kind="incident.recorded", actor="test", subject=""
        )
    assert len(ledger.entries(factory)) == 1


def test_a_torn_tail_is_ignored_by_readers_and_healed_by_the_next_append(repo: Path) -> None:
    factory = make_factory(repo)
    first = ledger.append(factory, kind="factory.initialized", actor="test")
    segment = only_segment(repo)
    with segment.open("ab") as f:
        f.write(b'3f2a9c {"actor":"a@x.org","at":')  # a write cut short
    assert [e.id for e in ledger.entries(factory)] == [first]
    result = fos(repo, "verify")
    assert result.code == 1
    assert f"{segment.relative_to(repo).as_posix()}:2:" in result.out
    assert "incomplete last line" in result.out
    second = ledger.append(factory, kind="test.after", actor="test")
    assert [e.id for e in ledger.entries(factory)] == [first, second]
    assert fos(repo, "verify").code == 0
    (kept,) = (repo / ".git" / "fos" / "torn").iterdir()
    assert kept.read_bytes().startswith(b"3f2a9c ")


def test_a_line_whose_json_disagrees_with_its_frame_is_refused_by_readers(repo: Path) -> None:
    factory = make_factory(repo)
    ledger.append(factory, kind="factory.initialized", actor="test")
    fields = entry_fields(parents=ledger.heads(factory))
    body = json.dumps(fields, sort_keys=True, separators=(",", ":"))
    body = body.replace(
        '"actor":"mallory@example.com"', '"actor":"m@x","actor":"mallory@example.com"'
    )
    line = hashlib.sha256(DOMAIN + body.encode()).hexdigest() + " " + body + "\n"
    with only_segment(repo).open("a") as f:
        f.write(line)
    with pytest.raises(InvalidInput, match=r"\.jsonl:2:"):
        ledger.entries(factory)


def test_a_forged_line_with_a_right_id_is_read_like_any_other(repo: Path) -> None:
    factory = make_factory(repo)
    ledger.append(factory, kind="factory.initialized", actor="test")
    forged = forge_line(entry_fields(parents=ledger.heads(factory)))
    with only_segment(repo).open("ab") as f:
        f.write(forged)
    assert ledger.entries(factory)[-1].kind == "test.forged"
    assert ledger.heads(factory) == [forged[:64].decode()]


WRITER = """
import sys
from pathlib import Path
from factory_os import store
from factory_os.ledger import events as ledger
factory = store.find_factory(Path("."))
for n in range({count}):
    ledger.append(factory, kind="test.concurrent", actor="test", data={{"n": n, "w": {worker}}})
"""


@pytest.mark.slow
def test_eight_concurrent_writers_lose_nothing(repo: Path) -> None:
    factory = make_factory(repo)
    ledger.append(factory, kind="factory.initialized", actor="test")
    procs = [run_python(WRITER.format(count=15, worker=w), repo) for w in range(8)]
    for proc in procs:
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err.decode()
    entries = ledger.entries(factory)
    assert len(entries) == 1 + 8 * 15
    seen = {(e.data["w"], e.data["n"]) for e in entries if e.kind == "test.concurrent"}
    assert seen == {(w, n) for w in range(8) for n in range(15)}
    # serialised: a single chain, each entry the child of the one before
    assert [e.height for e in entries] == list(range(len(entries)))
    assert len(ledger.heads(factory)) == 1
    assert fos(repo, "verify").code == 0


def _branch_writers(repo: Path, count: int, tmp: Path) -> list[str]:
    """COUNT branches, each in its own worktree, all appending at the same time."""
    names = [f"b{i}" for i in range(count)]
    trees = []
    for name in names:
        tree = tmp / f"wt-{name}"
        git(repo, "worktree", "add", "-q", "-b", name, str(tree))
        trees.append(tree)
    procs = [run_python(WRITER.format(count=3, worker=i), tree) for i, tree in enumerate(trees)]
    for proc in procs:
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err.decode()
    for tree in trees:
        commit_all(tree, "events")
    return names


@pytest.mark.parametrize("branches", [2, pytest.param(10, marks=pytest.mark.slow)])
def test_branches_writing_at_once_merge_without_conflict(
    repo: Path, tmp_path: Path, branches: int
) -> None:
    factory = make_factory(repo)
    ledger.append(factory, kind="factory.initialized", actor="test")
    commit_all(repo, "ledger")
    names = _branch_writers(repo, branches, tmp_path)
    for name in names:  # one plain merge after another, as a hosted merge button does
        git(repo, "merge", "-q", "--no-edit", name)
    assert len(segment_files(repo)) == branches + 1
    heads = ledger.heads(factory)
    assert len(heads) == branches
    assert fos(repo, "verify", "--history").code == 0
    joined = ledger.append(factory, kind="test.join", actor="test")
    assert sorted(ledger.entries(factory)[-1].parents) == heads
    assert ledger.heads(factory) == [joined]
    assert len(ledger.entries(factory)) == 1 + 3 * branches + 1
    assert fos(repo, "verify").code == 0


def test_an_octopus_merge_of_branches_is_clean(repo: Path, tmp_path: Path) -> None:
    factory = make_factory(repo)
    ledger.append(factory, kind="factory.initialized", actor="test")
    commit_all(repo, "ledger")
    names = _branch_writers(repo, 3, tmp_path)
    git(repo, "merge", "-q", "--no-edit", *names)
    assert len(ledger.heads(factory)) == 3
    assert fos(repo, "verify", "--history").code == 0


KILLED = """
import os
from pathlib import Path
from factory_os import store
from factory_os.ledger import events as ledger
factory = store.find_factory(Path("."))
n = 0
while True:
    n += 1
    path = factory.dir / "incidents" / f"INC-{os.getpid():x}{n:06x}.md"
    ledger.record_file(
        factory, path, "x" * 3000, kind="incident.recorded", actor="test", subject=path.stem
    )
"""


@pytest.mark.slow
def test_a_writer_killed_at_random_points_never_breaks_the_ledger(repo: Path) -> None:
    factory = make_factory(repo)
    ledger.append(factory, kind="factory.initialized", actor="test")
    rng = random.Random(1234)
    for _ in range(4):
        proc = run_python(KILLED, repo)
        time.sleep(0.35 + rng.random() * 0.3)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        entries = ledger.entries(factory)  # readable whatever happened
        result = fos(repo, "verify", "--format", "json")
        problems = json.loads(result.out)["problems"]
        for problem in problems:  # a crash may only leave a file without its entry
            message = problem["message"]
            leftover = "unrecorded" in message or "stray temporary file" in message
            assert leftover or "incomplete last line" in message
            if leftover:
                (repo / problem["path"]).unlink()
        ledger.append(factory, kind="test.after_kill", actor="test")
        assert fos(repo, "verify").code == 0
        assert len(ledger.entries(factory)) == len(entries) + 1


def test_a_crash_between_file_and_entry_leaves_the_file_plainly_unrecorded(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    factory = make_factory(repo)

    def crash(*_: object) -> str:
        raise KeyboardInterrupt

    monkeypatch.setattr(ledger, "_append_locked", crash)
    path = factory.dir / "rules" / "R-abcdef.yaml"
    with pytest.raises(KeyboardInterrupt):
        ledger.record_file(
            factory, path, "id: R-abcdef\n", kind="rule.added", actor="test", subject="R-abcdef"
        )
    monkeypatch.undo()
    result = fos(repo, "verify")
    assert result.code == 1
    assert ".factory/rules/R-abcdef.yaml: unrecorded" in result.out


def test_appends_do_not_reread_the_whole_ledger(repo: Path) -> None:
    factory = make_factory(repo)
    for n in range(5):
        ledger.append(factory, kind="test.event", actor="test", data={"n": n})
    index = json.loads((repo / ".git" / "fos" / "ledger-index.json").read_text())
    (mark,) = index["marks"].values()
    assert mark["lines"] == 5 and mark["end"] == only_segment(repo).stat().st_size
    assert index["heads"] == ledger.heads(factory)


def test_store_find_factory_is_what_the_ledger_uses(repo: Path) -> None:
    make_factory(repo)
    assert store.find_factory(repo / ".factory").root == repo


@pytest.mark.parametrize(
    "index",
    [
        '{"v":1,"marks":[],"heads":[]}',
        '{"v":1,"marks":{},"heads":5}',
        '{"v":1,"marks":{"a":1}}',
        '{"v":1,"marks":{},"heads":["x"]}',
        "[]",
        "not json",
    ],
)
def test_a_damaged_index_is_rebuilt_not_fatal(repo: Path, index: str) -> None:
    factory = make_factory(repo)
    first = ledger.append(factory, kind="test.event", actor="test")
    (repo / ".git" / "fos" / "ledger-index.json").write_text(index)
    second = ledger.append(factory, kind="test.event", actor="test")
    assert ledger.heads(factory) == [second]
    assert [e.parents for e in ledger.entries(factory)] == [(), (first,)]


def test_an_autocrlf_clone_sees_no_governance_file_changed(
    factory_repo: Path, tmp_path: Path
) -> None:
    repo = factory_repo
    assert (repo / ".factory" / ".gitattributes").is_file()
    incident = fos(repo, "incident", "add", "--title", "t", "--severity", "low").out.strip()
    fos(repo, "rule", "add", "--title", "t", "--statement", "s", "--from-incident", incident)
    commit_all(repo, "governance")
    clone = tmp_path / "crlf"
    git(tmp_path, "-c", "core.autocrlf=true", "clone", "-q", str(repo), str(clone))
    git(clone, "config", "core.autocrlf", "true")
    assert git(clone, "status", "--porcelain") == ""
    incident_file = clone / ".factory" / "incidents" / f"{incident}.md"
    assert b"\r\n" not in incident_file.read_bytes()
    assert fos(clone, "verify").code == 0


def test_a_detached_head_keeps_one_segment(repo: Path) -> None:
    factory = make_factory(repo)
    ledger.append(factory, kind="test.event", actor="test")
    commit_all(repo, "one")
    git(repo, "checkout", "-q", "--detach")
    for n in range(3):
        ledger.append(factory, kind="test.event", actor="test", data={"n": n})
        commit_all(repo, f"detached {n}")
    assert len(segment_files(repo)) == 2


def test_an_entry_that_only_lost_its_newline_is_kept_by_the_next_append(repo: Path) -> None:
    factory = make_factory(repo)
    first = ledger.append(factory, kind="test.event", actor="test")
    second = ledger.append(factory, kind="test.event", actor="test")
    segment = only_segment(repo)
    segment.write_bytes(segment.read_bytes()[:-1])  # truncate -s -1
    third = ledger.append(factory, kind="test.event", actor="test")
    assert [e.id for e in ledger.entries(factory)] == [first, second, third]
    assert ledger.entries(factory)[2].parents == (second,)
    assert not (repo / ".git" / "fos" / "torn").exists()
    assert fos(repo, "verify").code == 0


def test_committed_bytes_are_never_cut_as_a_torn_tail(repo: Path) -> None:
    factory = make_factory(repo)
    ledger.append(factory, kind="test.event", actor="test")
    segment = only_segment(repo)
    with segment.open("ab") as f:
        f.write(b'3f2a9c {"actor"')
    commit_all(repo, "a torn line, committed")
    before = segment.read_bytes()
    with pytest.raises(EnvironmentProblem, match="committed"):
        ledger.append(factory, kind="test.event", actor="test")
    assert segment.read_bytes() == before


def test_another_branchs_uncommitted_segment_never_becomes_a_parent(repo: Path) -> None:
    factory = make_factory(repo)
    first = ledger.append(factory, kind="test.event", actor="test")
    commit_all(repo, "main's ledger")
    git(repo, "checkout", "-q", "-b", "side")
    side = ledger.append(factory, kind="test.side", actor="test")  # never committed
    git(repo, "checkout", "-q", "main")  # the side segment stays, untracked
    assert len(segment_files(repo)) == 2
    assert len(ledger.left_out(factory)) == 1
    second = ledger.append(factory, kind="test.event", actor="test")
    assert [e.parents for e in ledger.entries(factory) if e.id == second] == [(first,)]
    git(repo, "commit", "-q", "-a", "-m", "main again")  # -a: tracked files only
    # written before this was fixed: a committed entry whose parent is only untracked
    main_segment = next(p for p in segment_files(repo) if side.encode() not in p.read_bytes())
    with main_segment.open("ab") as f:
        f.write(forge_line(entry_fields(parents=sorted([second, side]))))
    result = fos(repo, "verify", "--format", "json")
    problems = json.loads(result.out)["problems"]
    assert result.code == 1
    assert [p["line"] for p in problems if "only an untracked segment" in p["message"]] == [3]


def test_a_cherry_picked_segment_then_merged_conflicts_and_theirs_resolves_it(
    repo: Path,
) -> None:
    """Documented in factory_os.ledger.segments: the one way segments can conflict."""
    factory = make_factory(repo)
    ledger.append(factory, kind="test.event", actor="test")
    commit_all(repo, "main's ledger")
    git(repo, "checkout", "-q", "-b", "side")
    ledger.append(factory, kind="test.side", actor="test")
    picked = commit_all(repo, "side's segment")
    ledger.append(factory, kind="test.side", actor="test")
    commit_all(repo, "side grows")
    git(repo, "checkout", "-q", "main")
    ledger.append(factory, kind="test.event", actor="test")
    commit_all(repo, "main grows")
    git(repo, "cherry-pick", picked)
    merge = git(repo, "merge", "--no-edit", "side", check=False)
    conflicted = git(repo, "diff", "--name-only", "--diff-filter=U")
    assert conflicted.endswith(".jsonl"), merge
    git(repo, "checkout", "--theirs", "--", conflicted)
    git(repo, "add", conflicted)
    git(repo, "commit", "-q", "--no-edit")
    assert fos(repo, "verify", "--history").code == 0
