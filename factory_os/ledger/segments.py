"""The ledger's segment files and what is remembered about them under `.git/`.

Each clone, worktree and branch writes a segment of its own,
`.factory/ledger/<16 hex>.jsonl`, whose random name is kept in
`<git dir>/fos/segments.json` (the worktree's own git directory), so two
branches or clones never append to the same file and a merge never conflicts.

One exception: cherry-picking a commit that created another branch's segment,
and then merging that branch, conflicts. Both sides then added the same file
(add/add) with different contents: the picked copy stops where the pick was
taken, the branch's has grown since. The branch's version extends the picked
one byte for byte, so resolve by taking it (`git checkout --theirs <segment>`
when merging that branch in); `fos verify --history` checks that no committed
line was lost.

Readers that only need what is new since their last run (appends need the
heads; `fos verify` needs what it has not verified) keep a `SegmentMark` per
segment: how far they read, the file's stat signature, and a digest of the
last line read. What a mark trusts is written down in `plan`.
"""

from __future__ import annotations

import hashlib
import json
import mmap
import os
import secrets
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from factory_os import atomic
from factory_os.git import plumbing as git
from factory_os.git.repo import current_branch
from factory_os.paths import APPEND_ONLY, FACTORY_DIR, LEDGER_DIR, SEGMENT_SUFFIX
from factory_os.store import Factory

# `.factory/.gitattributes`: no line-ending conversion may ever touch the ledger's
# hashed bytes, nor the append-only files whose sha256 it records (an autocrlf
# checkout would otherwise report every one of them as changed)
ATTRIBUTES = tuple(
    f"{directory.removeprefix(FACTORY_DIR + '/')}/*{ending} -text"
    for directory, ending in (*APPEND_ONLY.items(), (LEDGER_DIR, SEGMENT_SUFFIX))
)


def ledger_dir(factory: Factory) -> Path:
    return factory.root / LEDGER_DIR


def segment_paths(factory: Factory) -> list[Path]:
    directory = ledger_dir(factory)
    if not directory.is_dir():
        return []
    return sorted(p for p in directory.iterdir() if p.name.endswith(SEGMENT_SUFFIX) and p.is_file())


def state_dir(factory: Factory) -> Path:
    """Per-worktree state under the worktree's git directory."""
    return factory.repo.git_dir / "fos"


def shared_state_dir(factory: Factory) -> Path:
    """State shared by all worktrees, under the git common directory."""
    return factory.repo.common_dir / "fos"


def read_json(path: Path) -> dict[str, Any] | None:
    try:
        value = json.loads(path.read_bytes())
    except (OSError, ValueError):
        return None
    return value if isinstance(value, dict) else None


def write_json(path: Path, value: dict[str, Any]) -> None:
    atomic.write_atomic(path, json.dumps(value, sort_keys=True, separators=(",", ":")))


# -- this worktree's own segment ---------------------------------------------


def branch_key(factory: Factory) -> str:
    """The key of this worktree's segment: its branch, or one key for a detached HEAD
    (the registry is per worktree, so commits made while detached share a segment)."""
    branch = current_branch(factory.repo)
    return "detached" if branch is None else f"branch:{branch}"


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
        while name in taken or f"{name}{SEGMENT_SUFFIX}" in taken:
            name = secrets.token_hex(8)
        registry[key] = name
        write_json(registry_path, registry)
    ensure_attributes(factory)
    return directory / f"{name}{SEGMENT_SUFFIX}"


def foreign_untracked(factory: Factory) -> list[Path]:
    """Segments here that git does not track and that the registry gives to another
    branch: left behind by `git checkout` (untracked files stay in the work tree),
    they are not part of this branch's ledger, and a clone would not have them."""
    registry = read_json(state_dir(factory) / "segments.json") or {}
    key = branch_key(factory)
    others = {f"{name}{SEGMENT_SUFFIX}" for k, name in registry.items() if k != key}
    present = [p for p in segment_paths(factory) if p.name in others]
    if not present:
        return []
    tracked = {Path(p).name for p in git.ls_files(factory.root, [factory.rel(ledger_dir(factory))])}
    return [p for p in present if p.name not in tracked]


def untracked(factory: Factory, tracked: list[str] | None = None) -> list[Path]:
    """The segments git does not track (in the index; TRACKED: `tracked_paths`)."""
    paths = segment_paths(factory)
    if not paths:
        return []
    if tracked is None:
        tracked = git.ls_files(factory.root, [factory.rel(ledger_dir(factory))])
    names = {Path(p).name for p in tracked}
    return [p for p in paths if p.name not in names]


def tracked_paths(
    factory: Factory, remembered: Any, written_ns: int
) -> tuple[list[str], dict[str, Any] | None]:
    """The paths git's index holds under the ledger directory, and what to remember of
    them: REMEMBERED (what an earlier run returned) holds while the index's stat is
    the same and older than WRITTEN_NS (see `Stat.changed_since`); else one
    `git ls-files`. Nothing is remembered under an index git names in the environment."""
    prefix = f"{factory.rel(ledger_dir(factory))}/"
    if "GIT_INDEX_FILE" in os.environ:
        return git.ls_files(factory.root, [prefix]), None
    try:
        index = Stat.of(os.stat(factory.repo.git_dir / "index"))
    except FileNotFoundError:
        return [], None  # no index yet: git tracks nothing
    if (
        isinstance(remembered, dict)
        and remembered.get("index") == index.__dict__
        and not index.changed_since(written_ns)
        and isinstance(remembered.get("paths"), list)
    ):
        return remembered["paths"], remembered
    paths = git.ls_files(factory.root, [prefix])
    return paths, {"index": index.__dict__, "paths": paths}


def ensure_attributes(factory: Factory) -> None:
    """Mark the ledger and the append-only files `-text` in `.factory/.gitattributes`,
    keeping whatever else the file says."""
    path = factory.dir / ".gitattributes"
    try:
        current = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        current = ""
    have = {line.strip() for line in current.splitlines()}
    missing = [line for line in ATTRIBUTES if line not in have]
    if missing:
        lead = current if not current or current.endswith("\n") else current + "\n"
        atomic.write_atomic(path, lead + "".join(f"{line}\n" for line in missing))


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

    def changed_since(self, written_ns: int) -> bool:
        """Whether the file may have changed at or after WRITTEN_NS (the mtime of the
        file that remembers this stat): then an unchanged stat proves nothing, since
        a coarse clock gives a write in the same tick the same time (git's "racily
        clean" index entries)."""
        return max(self.mtime_ns, self.ctime_ns) >= written_ns


@dataclass(frozen=True)
class SegmentMark:
    """How far a reader got in one segment, and how to tell whether that still holds."""

    stat: Stat
    end: int  # bytes read: the end of the last complete line
    lines: int
    tail_start: int  # where the last complete line begins
    tail_sha256: str  # digest of that line
    prefix_sha256: str = ""  # digest of the bytes before END ("": not kept)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, value: Any) -> SegmentMark | None:
        try:
            known = {k: value[k] for k in cls.__dataclass_fields__ if k in value}
            return cls(**{**known, "stat": Stat(**value["stat"])})
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
    mark = make_mark(path, st, offset + cut, start_line - 1 + len(lines))
    return Chunk(path.name, start_line, lines, data[cut:], mark)


def make_mark(
    path: Path, st: os.stat_result, end: int, lines: int, prefix: str = ""
) -> SegmentMark:
    """The mark of a reader that read PATH (stat ST before reading) up to END, the end
    of its LINES-th line; PREFIX is the digest of those bytes when the reader kept one."""
    tail_start, tail = _boundary(path, end)
    return SegmentMark(Stat.of(st), end, lines, tail_start, tail, prefix)


def _boundary(path: Path, end: int) -> tuple[int, str]:
    """Start and digest of the complete line ending at END."""
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


def read_range(
    path: Path, start: int, end: int, ids: Iterable[bytes] = (), hasher: Any = None
) -> tuple[bool, set[bytes]]:
    """PATH's bytes from START to END, fed to HASHER (a hashlib object, or None); which
    of IDS begin a line there (copied entries; START must be a line's start); and
    whether all of those bytes were there. The file is mapped, not copied: the digest
    and the searches run over the page cache in C."""
    found: set[bytes] = set()
    with path.open("rb") as f:
        size = os.fstat(f.fileno()).st_size
        if end <= start:
            return True, found
        if size == 0:
            return False, found
        with mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as data:
            stop = min(end, size)
            if hasher is not None:
                with memoryview(data) as view:
                    hasher.update(view[start:stop])
            for ident in ids:
                first = start + len(ident) <= stop and data[start : start + len(ident)] == ident
                if first or data.find(b"\n" + ident, start, stop) >= 0:
                    found.add(ident)
    return end <= size, found


def plan(
    factory: Factory, marks: dict[str, SegmentMark], *, written_ns: int | None = None
) -> Iterator[tuple[Path, int, int]] | None:
    """(segment, offset, first line number) to read to bring MARKS up to date, or None
    when a mark no longer holds and everything must be read again.

    What a mark trusts: a segment whose stat (size, inode, mtime, ctime) is what the
    mark recorded, and that has not changed since WRITTEN_NS (when the marks were
    saved; see `Stat.changed_since`), is unchanged; a segment that grew, whose line
    at the mark's boundary is still byte for byte the same, had lines appended. That
    is all an append needs (WRITTEN_NS None: the heads of the lines appended since).
    `fos verify` trusts no more than that it may skip an unchanged segment: for one
    that grew it hashes the bytes before the mark again (`read_prefix`).
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
        racy = written_ns is not None and mark.stat.changed_since(written_ns)
        if racy and current == mark.stat:
            return None
        if current == mark.stat:
            continue
        if current.ino != mark.stat.ino or current.size < mark.end:
            return None
        if current.size == mark.stat.size:
            return None  # rewritten in place: nothing appended, something changed
        if not _boundary_holds(path, mark):
            return None
        steps.append((path, mark.end, mark.lines + 1))
    return iter(steps)
