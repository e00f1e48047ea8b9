from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from factory_os.ledger import events as ledger
from factory_os.ledger.line import DOMAIN
from factory_os.store import Factory
from tests.helpers import commit_all, fos, git, git_calls
from tests.ledger_helpers import entry_fields, forge_line, make_factory, only_segment


def _populate(repo: Path, events: int = 5) -> Factory:
    """A factory with a rule file, an incident file and EVENTS more entries, committed."""
    factory = make_factory(repo)
    ledger.append(factory, kind="factory.initialized", actor="test")
    ledger.record_file(
        factory,
        factory.dir / "rules" / "R-aaaaaa.yaml",
        "id: R-aaaaaa\n",
        kind="rule.added",
        actor="test",
        subject="R-aaaaaa",
    )
    ledger.record_file(
        factory,
        factory.dir / "incidents" / "INC-bbbbbb.md",
        "---\nid: INC-bbbbbb\n---\n",
        kind="incident.recorded",
        actor="test",
        subject="INC-bbbbbb",
    )
    for n in range(events):
        ledger.append(factory, kind="test.event", actor="test", data={"n": n})
    commit_all(repo, "ledger")
    return factory


def _problems(repo: Path, *args: str) -> list[dict[str, object]]:
    result = fos(repo, "verify", "--format", "json", *args)
    report = json.loads(result.out)
    assert result.code == (1 if report["problems"] else 0), result.output
    return list(report["problems"])


def _lines(segment: Path) -> list[bytes]:
    return segment.read_bytes().splitlines(keepends=True)


def _rel(repo: Path, path: Path) -> str:
    return path.relative_to(repo).as_posix()


def test_an_intact_ledger_verifies(repo: Path) -> None:
    _populate(repo)
    result = fos(repo, "verify")
    assert result.code == 0, result.output
    assert "ledger intact: 8 entries in 1 segments, 1 heads, 2 append-only files" in result.out
    assert fos(repo, "verify", "--history").code == 0


def test_edited_line_is_named_by_segment_line_and_entry(repo: Path) -> None:
    _populate(repo)
    segment = only_segment(repo)
    lines = _lines(segment)
    victim = lines[4]
    lines[4] = victim.replace(b'"n":1', b'"n":7')
    segment.write_bytes(b"".join(lines))
    result = fos(repo, "verify")
    assert result.code == 1
    assert f"{_rel(repo, segment)}:5: entry {victim[:64].decode()}: id does not match" in result.out


def test_deleted_middle_line_breaks_its_childs_parent(repo: Path) -> None:
    _populate(repo)
    segment = only_segment(repo)
    lines = _lines(segment)
    deleted = lines.pop(3)
    segment.write_bytes(b"".join(lines))
    (problem,) = _problems(repo)
    assert problem["path"] == _rel(repo, segment) and problem["line"] == 4
    assert problem["entry"] == lines[3][:64].decode()
    assert f"parent {deleted[:64].decode()} does not exist" in str(problem["message"])


def test_truncated_tail_is_caught_by_the_remembered_heads(repo: Path) -> None:
    _populate(repo)
    assert fos(repo, "verify").code == 0  # remembers the head
    segment = only_segment(repo)
    lines = _lines(segment)
    segment.write_bytes(b"".join(lines[:-2]))
    (problem,) = _problems(repo)
    assert problem["entry"] == lines[-1][:64].decode()
    assert problem["path"] == _rel(repo, segment) and problem["line"] == len(lines)
    assert "verified before is gone" in str(problem["message"])
    assert _problems(repo, "--forget-heads") == []


def test_truncation_inside_a_line_is_a_torn_tail(repo: Path) -> None:
    _populate(repo)
    segment = only_segment(repo)
    data = segment.read_bytes()
    segment.write_bytes(data[:-40])
    messages = [(p["line"], p["message"]) for p in _problems(repo)]
    assert (8, messages[0][1]) == messages[0] and "incomplete last line" in str(messages[0][1])


def test_reordered_lines_are_out_of_order(repo: Path) -> None:
    _populate(repo)
    segment = only_segment(repo)
    lines = _lines(segment)
    lines[5], lines[6] = lines[6], lines[5]
    segment.write_bytes(b"".join(lines))
    problems = _problems(repo)
    assert any(
        p["line"] == 7
        and "out of order" in str(p["message"])
        and p["entry"] == lines[6][:64].decode()
        for p in problems
    )


def test_a_line_copied_again_is_reported(repo: Path) -> None:
    _populate(repo)
    segment = only_segment(repo)
    lines = _lines(segment)
    segment.write_bytes(b"".join([*lines, lines[2]]))
    problems = _problems(repo)
    assert any(p["line"] == 9 and "twice" in str(p["message"]) for p in problems)


def test_added_entry_with_a_wrong_id(repo: Path) -> None:
    factory = _populate(repo)
    segment = only_segment(repo)
    line = forge_line(entry_fields(parents=ledger.heads(factory)))
    wrong = b"0" * 64 + line[64:]
    with segment.open("ab") as f:
        f.write(wrong)
    (problem,) = _problems(repo)
    assert problem["line"] == 9 and problem["entry"] == "0" * 64
    assert "id does not match" in str(problem["message"])


def test_added_entry_with_a_right_id_and_a_parent_that_does_not_exist(repo: Path) -> None:
    _populate(repo)
    segment = only_segment(repo)
    line = forge_line(entry_fields(parents=["e" * 64]))
    with segment.open("ab") as f:
        f.write(line)
    problems = _problems(repo)
    assert any(
        p["line"] == 9
        and p["entry"] == line[:64].decode()
        and f"parent {'e' * 64} does not exist" in str(p["message"])
        for p in problems
    )


@pytest.mark.parametrize("parents", [[], ["e" * 64]], ids=["recording-a-file", "orphan"])
def test_a_byte_of_an_id_changed_to_one_that_is_not_ascii_is_reported(
    repo: Path, parents: list[str]
) -> None:
    """Such an id is no text: naming the entry in a finding, or the file it records,
    must not stop verify with an error."""
    _populate(repo)
    refs = [{"path": ".factory/rules/R-aaaaaa.yaml", "sha256": "ab" * 32}] if not parents else []
    line = forge_line(entry_fields(parents=parents, refs=refs))
    with only_segment(repo).open("ab") as f:
        f.write(b"\x80" + line[1:])
    result = fos(repo, "verify", "--format", "json")
    assert result.code == 1, result.output
    problems = json.loads(result.out)["problems"]
    assert any(p["line"] == 9 and "id does not match" in p["message"] for p in problems), problems


@pytest.mark.parametrize(
    "path",
    [b"\x80.yaml", b"a\\qb.yaml", b"\\ud800.yaml"],
    ids=["not-utf8", "bad-escape", "surrogate"],
)
def test_a_recorded_path_that_is_not_json_text_is_malformed_refs(repo: Path, path: bytes) -> None:
    """The refs are read before the line's JSON is: a path no JSON reader reads must be
    a finding there, not an error that stops verify."""
    _populate(repo)
    line = forge_line(entry_fields(refs=[{"path": "PATH", "sha256": "ab" * 32}]))
    body = line[65:].replace(b"PATH", path)
    with only_segment(repo).open("ab") as f:
        f.write(hashlib.sha256(DOMAIN + body[:-1]).hexdigest().encode() + b" " + body)
    result = fos(repo, "verify", "--format", "json")
    assert result.code == 1, result.output
    problems = json.loads(result.out)["problems"]
    assert any(p["line"] == 9 and p["message"] == "malformed refs" for p in problems), problems


def test_a_line_that_is_not_a_ledger_entry(repo: Path) -> None:
    _populate(repo)
    with only_segment(repo).open("ab") as f:
        f.write(b"hello world\n")
    (problem,) = _problems(repo)
    assert problem["line"] == 9 and "not a ledger line" in str(problem["message"])


@pytest.mark.parametrize("committed", [False, True])
def test_edited_append_only_file(repo: Path, committed: bool) -> None:
    _populate(repo)
    rule = repo / ".factory" / "rules" / "R-aaaaaa.yaml"
    rule.write_text("id: R-aaaaaa\nseverity: info\n")
    commit = commit_all(repo, "loosen the rule") if committed else ""
    (problem,) = _problems(repo)
    assert problem["path"] == ".factory/rules/R-aaaaaa.yaml"
    assert "changed since .factory/ledger/" in str(problem["message"])
    if committed:
        history = _problems(repo, "--history")
        assert {"path": ".factory/rules/R-aaaaaa.yaml", "commit": commit} in [
            {"path": p["path"], "commit": p["commit"]} for p in history
        ]


@pytest.mark.parametrize("committed", [False, True])
def test_deleted_append_only_file(repo: Path, committed: bool) -> None:
    _populate(repo)
    incident = repo / ".factory" / "incidents" / "INC-bbbbbb.md"
    incident.unlink()
    if committed:
        commit = commit_all(repo, "forget the incident")
    (problem,) = _problems(repo)
    assert problem["path"] == ".factory/incidents/INC-bbbbbb.md"
    assert "but gone" in str(problem["message"])
    if committed:
        history = [p for p in _problems(repo, "--history") if p["commit"]]
        assert history[0]["commit"] == commit and "deleted" in str(history[0]["message"])


def test_a_governance_file_without_entry_is_unrecorded(repo: Path) -> None:
    _populate(repo)
    (repo / ".factory" / "rules" / "R-cccccc.yaml").write_text("id: R-cccccc\n")
    (problem,) = _problems(repo)
    assert problem["path"] == ".factory/rules/R-cccccc.yaml"
    assert str(problem["message"]).startswith("unrecorded")


def test_a_tracked_segment_gone_from_the_work_tree(repo: Path) -> None:
    _populate(repo)
    segment = only_segment(repo)
    segment.unlink()
    problems = _problems(repo)
    assert any(
        p["path"] == _rel(repo, segment) and "tracked by git but gone" in str(p["message"])
        for p in problems
    )


def test_committed_line_changed_is_named_by_commit(repo: Path) -> None:
    _populate(repo)
    segment = only_segment(repo)
    lines = _lines(segment)
    original = lines[2]
    lines[2] = forge_line(entry_fields(parents=[lines[1][:64].decode()]))
    segment.write_bytes(b"".join(lines))
    base = git(repo, "rev-parse", "HEAD")
    commit = commit_all(repo, "rewrite")
    for args in (("--history",), ("--range", f"{base}..HEAD")):
        history = [p for p in _problems(repo, *args) if p["commit"]]
        assert history == [
            {
                "path": _rel(repo, segment),
                "line": 3,
                "entry": original[:64].decode(),
                "commit": commit,
                "segment": _rel(repo, segment),
                "segment_line": 3,
                "message": "committed line changed or removed (a segment may only grow)",
            }
        ]


def test_a_merge_that_drops_one_sides_entries_is_caught(repo: Path) -> None:
    factory = _populate(repo)
    git(repo, "checkout", "-q", "-b", "side")
    ledger.append(factory, kind="test.side", actor="test")
    commit_all(repo, "side")
    git(repo, "checkout", "-q", "main")
    ledger.append(factory, kind="test.main", actor="test")
    commit_all(repo, "main")
    git(repo, "merge", "-q", "--no-commit", "side")
    side_segment = next(
        p for p in (repo / ".factory" / "ledger").glob("*.jsonl") if p != only_main(repo)
    )
    git(repo, "rm", "-q", "-f", "--", _rel(repo, side_segment))
    git(repo, "commit", "-q", "--no-verify", "-m", "evil merge")
    merge = git(repo, "rev-parse", "HEAD")
    history = [p for p in _problems(repo, "--history") if p["commit"]]
    assert [(p["path"], p["commit"]) for p in history] == [(_rel(repo, side_segment), merge)]


def only_main(repo: Path) -> Path:
    registry = json.loads((repo / ".git" / "fos" / "segments.json").read_text())
    return repo / ".factory" / "ledger" / f"{registry['branch:main']}.jsonl"


def test_history_walk_uses_a_fixed_number_of_git_processes(repo: Path, tmp_path: Path) -> None:
    factory = _populate(repo)
    counts = []
    for commits in (2, 12):
        for n in range(commits):
            ledger.append(factory, kind="test.more", actor="test", data={"n": n})
            commit_all(repo, f"more {n}")
        with git_calls(tmp_path) as calls:
            assert fos(repo, "verify", "--range", "HEAD~" + str(commits) + "..HEAD").code == 0
        # other git calls (ls-files and the like) depend on what the verify cache
        # trusts, which depends on timing; the claim is about the history walk
        counts.append(len([c for c in calls if c[0] in ("log", "cat-file")]))
    assert counts[0] == counts[1] == 2, counts


def test_reverify_reads_only_what_is_new(repo: Path) -> None:
    factory = _populate(repo, events=50)
    time.sleep(0.15)  # older than the racy window, so the marks are trusted
    assert fos(repo, "verify").code == 0
    ledger.append(factory, kind="test.new", actor="test")
    from factory_os.ledger.verify import verify_worktree

    report = verify_worktree(factory)
    assert report.read == 1 and report.entries == 54 and not report.findings
    full = verify_worktree(factory, full=True)
    assert full.read == 54


def test_an_in_place_edit_after_a_verify_is_still_caught(repo: Path) -> None:
    _populate(repo)
    time.sleep(0.15)
    assert fos(repo, "verify").code == 0
    segment = only_segment(repo)
    lines = _lines(segment)
    lines[3] = lines[3].replace(b'"n":0', b'"n":9')
    segment.write_bytes(b"".join(lines))
    assert fos(repo, "verify").code == 1


def test_text_output_and_exit_code_for_a_clean_factory_without_ledger(repo: Path) -> None:
    make_factory(repo)
    result = fos(repo, "verify")
    assert (result.code, result.out) == (
        0,
        "ledger intact: 0 entries in 0 segments, 0 heads, 0 append-only files\n",
    )
    assert fos(repo, "verify", "--history", "--range", "a..b").code == 2


def test_verify_outside_a_factory_is_an_environment_problem(repo: Path) -> None:
    result = fos(repo, "verify")
    assert result.code == 4 and "fos init" in result.err


_COMMITTED: dict[str, bytes] = {}


@pytest.fixture(scope="module")
def committed_ledger(tmp_path_factory: pytest.TempPathFactory) -> Path:
    repo = tmp_path_factory.mktemp("bytes") / "repo"
    repo.mkdir()
    git(repo, "init", "-q")
    _populate(repo, events=3)
    time.sleep(0.15)
    assert fos(repo, "verify").code == 0  # remembered, so the cached path is exercised too
    return repo


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_any_single_byte_change_to_a_committed_ledger_is_detected(
    committed_ledger: Path, data: st.DataObject
) -> None:
    repo = committed_ledger
    segment = only_segment(repo)
    original = _COMMITTED.setdefault("segment", segment.read_bytes())
    position = data.draw(st.integers(0, len(original) - 1), label="position")
    value = data.draw(st.integers(0, 255).filter(lambda b: b != original[position]), label="byte")
    changed = bytearray(original)
    changed[position] = value
    segment.write_bytes(bytes(changed))
    try:
        result = fos(repo, "verify")
        assert result.code == 1, (position, value, result.output)
    finally:
        segment.write_bytes(original)


def test_an_edit_before_the_verified_boundary_then_an_append_is_caught(repo: Path) -> None:
    """An edit in place keeps the inode and an append grows the file, so only hashing the
    bytes verified before finds it; the default (incremental) run does."""
    factory = _populate(repo)
    assert fos(repo, "verify").code == 0
    time.sleep(0.01)
    segment = only_segment(repo)
    victim = _lines(segment)[3]
    with segment.open("r+b") as f:
        data = f.read()
        f.seek(data.index(b'"n":0'))
        f.write(b'"n":9')
    ledger.append(factory, kind="test.after", actor="test")
    problems = _problems(repo)
    assert [(p["line"], p["entry"]) for p in problems] == [(4, victim[:64].decode())]
    commit_all(repo, "sneaky")
    assert any(p["commit"] for p in _problems(repo, "--history"))


def test_an_entry_copied_into_a_new_segment_after_a_verify_is_caught(repo: Path) -> None:
    _populate(repo)
    assert fos(repo, "verify").code == 0
    first = _lines(only_segment(repo))[0]
    copy = repo / ".factory" / "ledger" / "ffffffffffffffff.jsonl"
    copy.write_bytes(first)
    problems = _problems(repo)
    assert [(p["path"], p["line"], p["entry"]) for p in problems if "twice" in p["message"]] == [
        (_rel(repo, copy), 1, first[:64].decode())
    ]


def test_the_id_index_holds_every_verified_id_and_is_trusted_only_as_written(
    repo: Path,
) -> None:
    factory = _populate(repo)
    assert fos(repo, "verify").code == 0
    (index,) = (repo / ".git" / "fos" / "verify-index").glob("*.ids")
    ids = sorted(line[:64] for line in _lines(only_segment(repo)))
    assert sorted(index.read_bytes()[n : n + 64] for n in range(0, len(ids) * 64, 64)) == ids
    ledger.append(factory, kind="test.event", actor="test", data={"n": 99})
    assert fos(repo, "verify").code == 0
    assert index.read_bytes()[-64:] == _lines(only_segment(repo))[-1][:64]
    # an index that is not the one the cache describes is not used: the copy is
    # still found, by searching the segments
    index.write_bytes(b"0" * 64)
    first = _lines(only_segment(repo))[0]
    copy = repo / ".factory" / "ledger" / "ffffffffffffffff.jsonl"
    copy.write_bytes(first)
    assert any("twice" in p["message"] for p in _problems(repo))


def test_an_id_index_edited_in_place_is_not_trusted(repo: Path) -> None:
    """Rewritten in place, the index keeps its size and inode: an id taken out of it
    must not let a copy of its entry pass (it is trusted only as the marks are)."""
    _populate(repo)
    assert fos(repo, "verify").code == 0
    (index,) = (repo / ".git" / "fos" / "verify-index").glob("*.ids")
    first = _lines(only_segment(repo))[0]
    time.sleep(0.01)
    ids = index.read_bytes()
    with index.open("r+b") as f:
        f.write(ids.replace(first[:64], b"0" * 64))
    copy = repo / ".factory" / "ledger" / "ffffffffffffffff.jsonl"
    copy.write_bytes(first)
    assert any("twice" in p["message"] for p in _problems(repo))


def test_a_damaged_cache_means_a_full_verify(repo: Path) -> None:
    _populate(repo)
    assert fos(repo, "verify").code == 0
    for cache in (repo / ".git" / "fos" / "verify").iterdir():
        cache.write_text('{"v": 1, "marks": {"x": 1}, "heads": []}')
    assert fos(repo, "verify").code == 0
    lines = _lines(only_segment(repo))
    only_segment(repo).write_bytes(b"".join(lines[:3]))
    assert fos(repo, "verify").code == 1


def test_lines_copied_into_another_segment_are_each_reported(repo: Path) -> None:
    _populate(repo)
    lines = _lines(only_segment(repo))
    copy = repo / ".factory" / "ledger" / "ffffffffffffffff.jsonl"
    copy.write_bytes(b"".join(lines[3:6]))
    problems = _problems(repo)
    twice = [(p["path"], p["line"]) for p in problems if "twice" in str(p["message"])]
    assert twice == [(_rel(repo, copy), n) for n in (1, 2, 3)]


def test_history_in_a_shallow_clone_says_what_it_did_not_check(repo: Path, tmp_path: Path) -> None:
    factory = _populate(repo)
    for n in range(3):
        ledger.append(factory, kind="test.more", actor="test", data={"n": n})
        commit_all(repo, f"more {n}")
    clone = tmp_path / "shallow"
    git(tmp_path, "clone", "-q", "--depth", "2", f"file://{repo}", str(clone))
    result = fos(clone, "verify", "--history")
    assert result.code == 0, result.output
    assert "shallow clone" in result.out and "not checked" in result.out
    assert json.loads(fos(clone, "verify", "--history", "--format", "json").out)["shallow"]
    assert not (clone / ".git" / "fos" / "history.json").exists()
    assert not json.loads(fos(repo, "verify", "--history", "--format", "json").out)["shallow"]


@pytest.mark.parametrize("after_a_verify", [False, True])
def test_verify_refuses_every_line_a_reader_refuses(repo: Path, after_a_verify: bool) -> None:
    factory = _populate(repo)
    if after_a_verify:
        assert fos(repo, "verify").code == 0
    for change in ({"data": {"ratio": 0.5}}, {"kind": "test.evt\n"}, {"v": 2}):
        line = forge_line(entry_fields(parents=ledger.heads(factory), **change))
        with only_segment(repo).open("ab") as f:
            f.write(line)
        assert fos(repo, "ledger", "log").code == 3
        problems = _problems(repo)
        assert [p["entry"] for p in problems] == [line[:64].decode()], problems
        segment = only_segment(repo)
        segment.write_bytes(segment.read_bytes()[: -len(line)])
        assert fos(repo, "verify", "--forget-heads").code == 0


def test_marks_are_trusted_only_for_files_older_than_the_cache(repo: Path) -> None:
    """A file changed in the same clock tick as the cache was written may show the same
    stat afterwards: such a mark is not trusted, whatever the clock's resolution."""
    factory = _populate(repo)
    from factory_os.ledger.verify import verify_worktree

    assert not verify_worktree(factory).findings
    ledger.append(factory, kind="test.new", actor="test")
    assert verify_worktree(factory).read == 1
    segment_mtime = only_segment(repo).stat().st_mtime_ns
    for cache in (repo / ".git" / "fos" / "verify").iterdir():
        os.utime(cache, ns=(segment_mtime, segment_mtime))  # written in the same tick
    assert verify_worktree(factory).read == 9


def test_a_stray_temporary_file_among_the_rules_is_reported(repo: Path) -> None:
    _populate(repo)
    stray = repo / ".factory" / "rules" / ".R-cccccc.yaml.x1y2.tmp"
    stray.write_text("id: R-cccccc\n")
    problems = _problems(repo)
    assert [(p["path"], "temporary" in p["message"]) for p in problems] == [
        (_rel(repo, stray), True)
    ]


def test_a_changed_append_only_file_is_named_with_the_entry_that_recorded_it(
    repo: Path,
) -> None:
    _populate(repo)
    segment = _rel(repo, only_segment(repo))
    recording = _lines(only_segment(repo))[1][:64].decode()
    rule = repo / ".factory" / "rules" / "R-aaaaaa.yaml"
    rule.write_text("id: R-aaaaaa\ntitle: loosened\n")
    commit = commit_all(repo, "loosen")
    problems = _problems(repo, "--history")
    named = {
        (p["path"], p["commit"], p["entry"], p["segment"], p["segment_line"]) for p in problems
    }
    assert named == {
        (".factory/rules/R-aaaaaa.yaml", None, recording, segment, 2),
        (".factory/rules/R-aaaaaa.yaml", commit, recording, segment, 2),
    }


def test_a_copy_is_named_with_where_the_entry_first_is(repo: Path) -> None:
    _populate(repo)
    segment = only_segment(repo)
    lines = _lines(segment)
    copy = repo / ".factory" / "ledger" / "ffffffffffffffff.jsonl"
    copy.write_bytes(lines[0])
    (problem,) = [p for p in _problems(repo) if "twice" in str(p["message"])]
    assert (problem["segment"], problem["segment_line"]) == (_rel(repo, copy), 1)
    assert f"first at {_rel(repo, segment)}:1" in str(problem["message"])


def test_tracked_segments_are_remembered_only_while_the_index_is_unchanged(repo: Path) -> None:
    from factory_os.ledger import segments

    factory = _populate(repo)
    seg = _rel(repo, only_segment(repo))
    paths, memo = segments.tracked_paths(factory, None, 0)
    assert paths == [seg] and memo is not None
    later = time.time_ns() + 10**9
    assert segments.tracked_paths(factory, memo, later) == ([seg], memo)
    # racy: an index not older than the cache proves nothing
    assert segments.tracked_paths(factory, memo, 0)[1] is not memo
    other = repo / ".factory" / "ledger" / "0123456789abcdef.jsonl"
    other.write_bytes(b"")
    git(repo, "add", _rel(repo, other))
    paths, fresh = segments.tracked_paths(factory, memo, later)
    assert sorted(paths) == sorted([seg, _rel(repo, other)]) and fresh != memo
