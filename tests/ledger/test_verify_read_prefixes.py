"""What a verify read in full is remembered by content, for the whole clone: a new
worktree, another branch or a fresh clone given `.git/fos/` (a CI cache) does not read
those lines again, and reads again any line whose bytes are no longer the same."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from factory_os import store
from factory_os.ledger import events as ledger, scan as ledger_scan
from factory_os.ledger.verify import READ_FILE, verify_worktree
from tests.helpers import fos, git
from tests.ledger.test_verify import _populate
from tests.ledger_helpers import entry_fields, forge_line, only_segment


@pytest.fixture
def read_lines(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """How many lines each verify read as readers read them: a block msgspec vouched
    for, or lines read one by one."""
    counts: list[int] = []
    refused, vouched = ledger_scan.refused, ledger_scan.vouched

    def counting(lines: list[bytes]) -> dict[int, str]:
        counts[-1] += len(lines)
        return refused(lines)

    def counting_vouched(bodies: list[bytes], **how: bool) -> list[Any] | None:
        entries = vouched(bodies, **how)
        counts[-1] += len(bodies) if entries is not None else 0
        return entries

    monkeypatch.setattr(ledger_scan, "refused", counting)
    monkeypatch.setattr(ledger_scan, "vouched", counting_vouched)
    yield counts


def _verify(repo: Path, counts: list[int]) -> list[str]:
    counts.append(0)
    report = verify_worktree(store.find_factory(repo))
    return [problem.message for problem in report.findings]


def test_a_new_worktree_reads_no_line_the_clone_read_before(
    repo: Path, tmp_path: Path, read_lines: list[int]
) -> None:
    _populate(repo)
    assert _verify(repo, read_lines) == [] and read_lines == [8]
    worktree = tmp_path / "other"
    git(repo, "worktree", "add", "-q", "-b", "other", str(worktree))
    assert _verify(worktree, read_lines) == []
    assert read_lines[-1] == 0
    ledger.append(store.find_factory(worktree), kind="test.new", actor="test")
    shutil.rmtree(repo / ".git" / "worktrees" / "other" / "fos")  # its own cache gone
    assert _verify(worktree, read_lines) == []
    assert read_lines[-1] == 1  # only the line the clone had not read


def test_a_fresh_copy_with_the_cache_reads_again_a_line_whose_bytes_changed(
    repo: Path, tmp_path: Path, read_lines: list[int]
) -> None:
    _populate(repo)
    assert _verify(repo, read_lines) == []
    copy = tmp_path / "copy"
    shutil.copytree(repo, copy)
    shutil.rmtree(copy / ".git" / "fos" / "verify")  # another branch's cache: only READ_FILE
    segment = only_segment(copy)
    lines = segment.read_bytes().splitlines(keepends=True)
    parents = json.loads(lines[-1][65:])["parents"]  # the last line, forged: no child
    forged = forge_line(entry_fields(parents=parents, data={"ratio": 0.5}))
    segment.write_bytes(b"".join(lines[:-1]) + forged)
    problems = _verify(copy, read_lines)
    assert any("float" in problem for problem in problems), problems
    assert read_lines[-1] == 8
    assert fos(copy, "ledger", "log").code == 3


def test_a_damaged_record_of_what_was_read_only_costs_time(
    repo: Path, tmp_path: Path, read_lines: list[int]
) -> None:
    _populate(repo)
    assert _verify(repo, read_lines) == []
    shutil.rmtree(repo / ".git" / "fos" / "verify")
    (repo / ".git" / "fos" / READ_FILE).write_text('{"v": 1, "segments": {"x": [[1]]}}')
    assert _verify(repo, read_lines) == [] and read_lines[-1] == 8
    assert _verify(repo, read_lines) == [] and read_lines[-1] == 0


def test_a_restored_record_cannot_vouch_for_lines_it_did_not_hash(
    repo: Path, read_lines: list[int]
) -> None:
    """A record claiming that the empty prefix (whose digest anyone knows) holds every
    line would let verify skip them all: the count is taken from the bytes hashed."""
    import hashlib

    _populate(repo)
    segment = only_segment(repo)
    lines = segment.read_bytes().splitlines(keepends=True)
    parents = [lines[-1][:64].decode()]
    segment.write_bytes(
        b"".join(lines) + forge_line(entry_fields(parents=parents, data={"ratio": 0.5}))
    )
    shutil.rmtree(repo / ".git" / "fos", ignore_errors=True)
    (repo / ".git" / "fos").mkdir()
    empty = hashlib.sha256(b"").hexdigest()
    record = {"v": 1, "segments": {segment.name: [[0, 1_000_000_000, empty]]}}
    (repo / ".git" / "fos" / READ_FILE).write_text(json.dumps(record))
    problems = _verify(repo, read_lines)
    assert any("float" in problem for problem in problems), problems
