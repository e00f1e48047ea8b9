"""The ledger's segment files and what is remembered about them under `.git/`.

Each clone, worktree and branch writes a segment of its own,
`.factory/ledger/<16 hex>.jsonl`, whose random name is kept in
`<git dir>/fos/segments.json` (the worktree's own git directory), so two
branches or clones never append to the same file and a merge never conflicts.

Readers that only need what is new since their last run (appends need the
heads; `fos verify` needs what it has not verified) keep a `SegmentMark` per
segment: how far they read, the file's stat signature, and a digest of the
last line read. What a mark trusts is written down in `plan`.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import secrets
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from factory_os import git, store
from factory_os.store import Factory

LEDGER_DIR = "ledger"
SUFFIX = ".jsonl"
ATTRIBUTES = "*.jsonl -text\n"
# A file changed within this long of its mark being taken may show the same stat
# afterwards (coarse file-system clocks): such a mark is not trusted (like git's
# "racily clean" index entries).
RACY_NS = 100_000_000


def ledger_dir(factory: Factory) -> Path:
    return factory.dir / LEDGER_DIR


def segment_paths(factory: Factory) -> list[Path]:
    directory = ledger_dir(factory)
    if not directory.is_dir():
        return []
    return sorted(p for p in directory.iterdir() if p.name.endswith(SUFFIX) and p.is_file())


def state_dir(factory: Factory) -> Path:
    """Per-worktree state under the worktree's git directory."""
    return _dirs(factory.root)[0] / "fos"


def shared_state_dir(factory: Factory) -> Path:
    """State shared by all worktrees, under the git common directory."""
    return _dirs(factory.root)[1] / "fos"


@functools.lru_cache(maxsize=64)
def _dirs(root: Path) -> tuple[Path, Path]:
    return git.dirs(root)


def read_json(path: Path) -> dict[str, Any] | None:
    try:
        value = json.loads(path.read_bytes())
    except (OSError, ValueError):
        return None
    return value if isinstance(value, dict) else None


def write_json(path: Path, value: dict[str, Any]) -> None:
    store.write_atomic(path, json.dumps(value, sort_keys=True, separators=(",", ":")))


# -- this worktree's own segment ---------------------------------------------


def branch_key(factory: Factory) -> str:
    branch = git.current_branch(factory.root)
    if branch is not None:
        return f"branch:{branch}"
    return f"detached:{git.head_commit(factory.root) or 'unborn'}"


def own_segment(factory: Factory) -> Path:
    """The segment this clone, worktree and branch appends to (call under the ledger lock)."""
    registry_path = state_dir(factory) / "segments.json"
    registry = read_json(registry_path) or {}
    key = branch_key(factory)
    name = registry.get(key)
    directory = ledger_dir(factory)
    if not isinstance(name, str) or not name.isalnum():
        taken = {p.name for p in segment_paths(factory)} | set(map(str, registry.values()))
        name = secrets.token_hex(8)
        while name in taken or f"{name}{SUFFIX}" in taken:
            name = secrets.token_hex(8)
        registry[key] = name
        write_json(registry_path, registry)
    ensure_attributes(factory)
    return directory / f"{name}{SUFFIX}"


def ensure_attributes(factory: Factory) -> None:
    """Mark segments `-text`: no line-ending conversion may ever touch hashed bytes."""
    path = ledger_dir(factory) / ".gitattributes"
    try:
        current = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        current = None
    if current is None:
        store.write_atomic(path, ATTRIBUTES)
    elif ATTRIBUTES.strip() not in current.splitlines():
        store.write_atomic(path, current + ("" if current.endswith("\n") else "\n") + ATTRIBUTES)


# -- reading -------------------------------------------------------------------


@dataclass(frozen=True)
class Stat:
    size: int
    ino: int
    mtime_ns: int
    ctime_ns: int

    @classmethod
    def of(cls, st: os.stat_result) -> Stat:
        return cls(st.st_size, st.st_ino, st.st_mtime_ns, st.st_ctime_ns)


@dataclass(frozen=True)
class SegmentMark:
    """How far a reader got in one segment, and how to tell whether that still holds."""

    stat: Stat
    end: int  # bytes read: the end of the last complete line
    lines: int
    tail_start: int  # where the last complete line begins
    tail_sha256: str  # digest of that line
    racy: bool

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, value: Any) -> SegmentMark | None:
        try:
            return cls(**{**value, "stat": Stat(**value["stat"])})
        except (TypeError, KeyError):
            return None


@dataclass
class Chunk:
    """Complete lines of one segment read from an offset, and a torn tail if any."""

    name: str
    start_line: int  # 1-based number of lines[0]
    lines: list[bytes]  # without their newlines
    torn: bytes  # bytes after the last newline: an interrupted write or a truncation
    mark: SegmentMark


def read_from(path: Path, offset: int, start_line: int) -> Chunk:
    with path.open("rb") as f:
        st = os.fstat(f.fileno())
        f.seek(offset)
        data = f.read()
    cut = data.rfind(b"\n") + 1
    lines = data[:cut].split(b"\n")
    lines.pop()
    torn = data[cut:]
    end = offset + cut
    if lines:
        tail_start = end - len(lines[-1]) - 1
        tail = hashlib.sha256(lines[-1]).hexdigest()
    else:
        tail_start, tail = _boundary(path, offset)
    racy = time.time_ns() - max(st.st_mtime_ns, st.st_ctime_ns) < RACY_NS
    mark = SegmentMark(Stat.of(st), end, start_line - 1 + len(lines), tail_start, tail, racy)
    return Chunk(path.name, start_line, lines, torn, mark)


def make_mark(
    path: Path, st: os.stat_result, end: int, lines: int, last_line: bytes | None
) -> SegmentMark:
    """The mark of a reader that read PATH (stat ST before reading) up to END, where
    the last complete line, without its newline, is LAST_LINE (None: read nothing new)."""
    if last_line is not None:
        tail_start = end - len(last_line) - 1
        tail = hashlib.sha256(last_line).hexdigest()
    else:
        tail_start, tail = _boundary(path, end)
    racy = time.time_ns() - max(st.st_mtime_ns, st.st_ctime_ns) < RACY_NS
    return SegmentMark(Stat.of(st), end, lines, tail_start, tail, racy)


def _boundary(path: Path, end: int) -> tuple[int, str]:
    """Start and digest of the complete line ending at END (for a mark with no new lines)."""
    if end == 0:
        return 0, ""
    with path.open("rb") as f:
        f.seek(max(0, end - 65536))
        data = f.read(end - max(0, end - 65536))
    start = data.rfind(b"\n", 0, len(data) - 1) + 1
    return end - (len(data) - start), hashlib.sha256(data[start:-1]).hexdigest()


def _boundary_holds(path: Path, mark: SegmentMark) -> bool:
    if mark.end == 0:
        return True
    with path.open("rb") as f:
        f.seek(mark.tail_start)
        line = f.read(mark.end - mark.tail_start)
    return line.endswith(b"\n") and hashlib.sha256(line[:-1]).hexdigest() == mark.tail_sha256


def plan(
    factory: Factory, marks: dict[str, SegmentMark], *, trust_racy: bool = False
) -> Iterator[tuple[Path, int, int]] | None:
    """(segment, offset, first line number) to read to bring MARKS up to date, or None
    when a mark no longer holds and everything must be read again.

    What a mark trusts: a segment whose stat (size, inode, mtime, ctime) is what the
    mark recorded, and whose mark was not taken within RACY_NS of its last change,
    is unchanged; a segment that grew, whose line at the mark's boundary is still
    byte for byte the same, only had lines appended. An edit inside the part before
    the boundary that also keeps the inode and grows the file is therefore not
    seen by an incremental read; a full read (`fos verify --full`) and the history
    walk (`--history`) see it. Everything after the boundary is read in full.
    A racy mark means a full read, unless TRUST_RACY (appends, which only need
    the heads) accepts an unchanged stat and boundary.
    """
    paths = segment_paths(factory)
    if set(marks) - {p.name for p in paths}:
        return None
    steps: list[tuple[Path, int, int]] = []
    for path in paths:
        mark = marks.get(path.name)
        if mark is None:
            steps.append((path, 0, 1))
            continue
        try:
            current = Stat.of(path.stat())
        except FileNotFoundError:
            return None
        if mark.racy and not trust_racy:
            return None
        if current == mark.stat and not mark.racy:
            continue
        if current.ino != mark.stat.ino or current.size < mark.end:
            return None
        if current.size == mark.stat.size and current != mark.stat:
            return None  # rewritten in place: nothing appended, something changed
        if not _boundary_holds(path, mark):
            return None
        steps.append((path, mark.end, mark.lines + 1))
    return iter(steps)
