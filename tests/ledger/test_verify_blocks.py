"""`fos verify` reads a block of lines at once when msgspec vouches for every line of it
(`scan._vouch_block`), and otherwise line by line: whatever the lines, both readings
report the same findings, the same heads and the same figures."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from factory_os import store
from factory_os.ledger import line as ledger_line, scan as ledger_scan
from factory_os.ledger.verify import verify_worktree
from tests.helpers import git
from tests.ledger.test_line import lines as odd_lines
from tests.ledger_helpers import entry_fields, forge_line, make_factory


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("blocks") / "repo"
    path.mkdir()
    git(path, "init", "-q")
    make_factory(path, commit=False)
    (path / ".factory" / "ledger").mkdir()
    (path / ".factory" / "rules" / "R-aaaaaa.yaml").write_text("id: R-aaaaaa\n")
    return path


RULE_SHA = "ab" * 32

# how a good line may differ from the usual one
DATA = st.sampled_from(
    [
        {},
        {"n": 1, "role": "builder"},
        {"deep": {"list": [1, "two", None, {"x": [True]}]}},
        {"text": '":{ and ":[ and \\" and \n'},
        {"who": "José"},  # not ASCII: read line by line
        {"n": 2**53 - 1},
        {"a": [[[[[[[1]]]]]]]},  # nested deeper than msgspec reads
    ]
)


@st.composite
def ledgers(draw: st.DrawFn) -> tuple[list[bytes], list[bytes]]:
    """Two segments: a chain with merges and refs, a second one forked from it; then
    some lines changed, moved, copied, dropped or cut."""
    main: list[bytes] = []
    ids: list[str] = []
    for n in range(draw(st.integers(1, 24))):
        parents = [ids[-1]] if ids else []
        if len(ids) > 2 and draw(st.integers(0, 5)) == 0:
            parents = sorted({ids[-1], draw(st.sampled_from(ids[:-1]))})
        refs = []
        if draw(st.integers(0, 6)) == 0:
            refs = [{"path": ".factory/rules/R-aaaaaa.yaml", "sha256": RULE_SHA}]
        data = {**draw(DATA), "n": n}
        ident, raw = ledger_line.encode(entry_fields(parents=parents, refs=refs, data=data))
        ids.append(ident)
        main.append(raw)
    fork = draw(st.sampled_from(ids))
    side: list[bytes] = []
    for n in range(draw(st.integers(0, 6))):
        ident, raw = ledger_line.encode(entry_fields(parents=[fork], data={"side": n}))
        side.append(raw)
        fork = ident
    for _ in range(draw(st.integers(0, 3))):
        segment = draw(st.sampled_from([main, side] if side else [main]))
        at = draw(st.integers(0, len(segment) - 1))
        how = draw(st.sampled_from(["odd", "byte", "swap", "copy", "drop", "cut", "forge"]))
        if how == "odd":  # a line as someone else might write it
            segment[at] = draw(odd_lines()) + b"\n"
        elif how == "byte" and segment[at]:
            position = draw(st.integers(0, len(segment[at]) - 1))
            changed = bytearray(segment[at])
            changed[position] = draw(st.integers(0, 255))
            segment[at] = bytes(changed)
        elif how == "swap" and at + 1 < len(segment):
            segment[at], segment[at + 1] = segment[at + 1], segment[at]
        elif how == "copy":
            segment.insert(draw(st.integers(0, len(segment))), segment[at])
        elif how == "drop" and len(segment) > 1:
            del segment[at]
        elif how == "cut" and segment[-1]:
            segment[-1] = segment[-1][: draw(st.integers(0, len(segment[-1]) - 1))]
        elif how == "forge":  # a right id over fields no reader accepts
            segment[at] = forge_line(entry_fields(parents=ids[:1], data={"ratio": 0.5}))
    return main, side


def _report(repo: Path, *, blocks: bool, full: bool) -> dict[str, Any]:
    report = verify_worktree(store.find_factory(repo), full=full)
    return {
        "findings": [str(problem) for problem in report.findings],
        "entries": report.entries,
        "read": report.read,
        "heads": report.heads,
        "recorded": report.recorded,
    }


def _both(repo: Path, monkeypatch: pytest.MonkeyPatch, full: bool) -> list[dict[str, Any]]:
    """The report of a verify reading blocks, then of one reading line by line, each
    from the same state under `.git/fos/`."""
    state = repo / ".git" / "fos"
    saved = repo / ".git" / "fos-saved"
    shutil.rmtree(saved, ignore_errors=True)
    if state.exists():
        shutil.copytree(state, saved)
    reports = []
    for blocks in (True, False):
        shutil.rmtree(state, ignore_errors=True)
        if saved.exists():
            shutil.copytree(saved, state)
        with monkeypatch.context() as patch:
            if not blocks:
                patch.setattr(ledger_scan, "_vouch_block", lambda lines, prev: None)
            reports.append(_report(repo, blocks=blocks, full=full))
    return reports


@settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ledger=ledgers(), block=st.integers(1, 2000), verified=st.integers(0, 30))
def test_reading_blocks_and_reading_lines_agree(
    repo: Path,
    monkeypatch: pytest.MonkeyPatch,
    ledger: tuple[list[bytes], list[bytes]],
    block: int,
    verified: int,
) -> None:
    monkeypatch.setattr(ledger_scan, "BLOCK_BYTES", block)
    main, side = ledger
    directory = repo / ".factory" / "ledger"
    for path in directory.iterdir():
        path.unlink()
    shutil.rmtree(repo / ".git" / "fos", ignore_errors=True)
    # first the lines an earlier run verified (read in full), then the rest: a full
    # run reads only what it has not read before
    (directory / "main.jsonl").write_bytes(b"".join(main[:verified]))
    verify_worktree(store.find_factory(repo))
    (directory / "main.jsonl").write_bytes(b"".join(main))
    if side:
        (directory / "side.jsonl").write_bytes(b"".join(side))
    fast, strict = _both(repo, monkeypatch, full=True)
    assert fast == strict
    shutil.rmtree(repo / ".git" / "fos", ignore_errors=True)
    fast, strict = _both(repo, monkeypatch, full=False)
    assert fast == strict


def test_a_block_is_read_at_once_when_every_line_is_vouched_for(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The agreement above is not only of two readings line by line."""
    read: list[int] = []
    vouch = ledger_scan._vouch_block

    def counting(lines: list[bytes], prev: bytes) -> Any:
        block = vouch(lines, prev)
        read.append(len(lines) if block is not None else 0)
        return block

    monkeypatch.setattr(ledger_scan, "_vouch_block", counting)
    directory = repo / ".factory" / "ledger"
    for path in directory.iterdir():
        path.unlink()
    shutil.rmtree(repo / ".git" / "fos", ignore_errors=True)
    parents: list[str] = []
    lines = []
    for n in range(50):
        ident, raw = ledger_line.encode(entry_fields(parents=parents, data={"n": n}))
        parents = [ident]
        lines.append(raw)
    (directory / "main.jsonl").write_bytes(b"".join(lines))
    report = verify_worktree(store.find_factory(repo))
    assert [problem.path for problem in report.findings] == [".factory/rules/R-aaaaaa.yaml"]
    assert report.entries == 50 and read == [50]
