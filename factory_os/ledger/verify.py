"""`fos verify` over the work tree: the ledger's ids, its DAG, and the append-only files.

Checks: every line is `<id> <JSON>` in the canonical frame and its id is the hash
of its stored bytes; every line reads as `fos ledger log` reads it
(`ledger_line.parse_full`); no id occurs twice; every parent exists, and none
that a tracked segment names only in an untracked one; no cycle; within a
segment every line descends from the line before it (an append names all heads,
so a reordered or moved line shows); no torn tail; every append-only file the
ledger recorded is there with the recorded sha256, and none is there unrecorded
(nor a temporary file an interrupted write left);
every segment git tracks is still in the work tree; and the heads verified last
time on this branch still exist, so a deleted or truncated tail is caught
without looking at history (`factory_os.ledger.history` does that).

What is remembered, per worktree and branch, in `<git dir>/fos/verify/`: how far
each segment was verified (a `segments.SegmentMark`, with the sha256 of every byte
before it), the heads then, the last entry of each segment, the recorded digests,
and the stat of each append-only file found intact. It is saved only after a run
that found nothing, so a problem is reported until it is fixed. A stat is trusted
only for a file older than the cache file itself (git's rule for its index). A
re-verify skips a segment whose stat is unchanged; for one that grew it hashes
the bytes before the mark again and reads only what was appended; and it looks
for every new id among all the ids verified before (a copied entry), in an
index of them kept beside the cache, or in the segments' bytes without one. `--full`
checks every id and the DAG again, and parses as JSON only the lines whose
bytes (by the remembered prefix digest) no earlier run parsed.

What was read in full is also remembered by content, for the whole clone, in
`<git common dir>/fos/verify-read.json`: per segment, the longest prefixes (bytes,
lines, sha256) whose every line a reader accepts. That holds of any file with
those bytes, so a new worktree, another branch, or a fresh clone given the
`.git/fos/` of an earlier run (a CI cache, restored only from runs trusted as much
as the checkout) starts a full run from them: it hashes each candidate prefix and
parses only the lines after the longest that still holds.

`verify` is the whole of `fos verify`: the work tree, then the history walk
asked for.
"""

from __future__ import annotations

import contextlib
import dataclasses
import gc
import hashlib
import mmap
import os
from pathlib import Path
from typing import Any

from factory_os import atomic, store
from factory_os.errors import UsageError
from factory_os.git import revrange
from factory_os.ledger import history, segments
from factory_os.ledger.line import ID_HEX, id_text
from factory_os.ledger.place import find_copies, place_rest
from factory_os.ledger.report import FileRecord, LedgerProblem, VerifyReport
from factory_os.ledger.scan import Scan, scan_lines
from factory_os.ledger.verify_state import (
    HeadAt,
    IntactFile,
    LastEntry,
    ReadPrefix,
    VerifyState,
    read_prefixes_from_json,
    read_prefixes_to_json,
    with_read_prefixes,
)
from factory_os.paths import APPEND_ONLY, is_append_only, is_segment, may_grow
from factory_os.store import Factory

# the prefixes read in full, by content (`verify_state.ReadPrefix`), in the git common
# directory: a new worktree, another branch, or a fresh clone given the `.git/fos/` of
# an earlier run (a CI cache) starts from them
READ_FILE = "verify-read.json"


def _cache_path(factory: Factory) -> Path:
    state = segments.state_dir(factory)
    branch = segments.branch_key(factory)
    key = hashlib.sha256(branch.encode()).hexdigest()[:32]
    return state / "verify" / f"{key}.json"


def verify_worktree(
    factory: Factory, *, full: bool = False, forget_heads: bool = False
) -> VerifyReport:
    """Verify the ledger and the append-only files as they are in the work tree."""
    # Hundreds of thousands of small objects, no reference cycles: the cyclic
    # collector would only rescan them over and over.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _verify_worktree(factory, full=full, forget_heads=forget_heads)
    finally:
        if collecting:
            gc.enable()


def _verify_worktree(factory: Factory, *, full: bool, forget_heads: bool) -> VerifyReport:
    cache_path = _cache_path(factory)
    cache = None if forget_heads else VerifyState.from_json(segments.read_json(cache_path))
    try:
        # what the cache says holds only for files not changed since it was written
        written_ns = os.stat(cache_path).st_mtime_ns
    except FileNotFoundError:
        written_ns = 0
    tracked, memo = segments.tracked_paths(factory, cache.tracked if cache else None, written_ns)
    result = None
    index = _index_path(cache_path)
    if cache is not None and cache.marks is not None and not full:
        result = _incremental(factory, cache, cache.marks, written_ns, tracked, index)
    read_path = segments.shared_state_dir(factory) / READ_FILE
    read = None
    if result is None:
        read = read_prefixes_from_json(segments.read_json(read_path))
        result = _full(
            factory,
            cache.heads if cache else {},
            (cache.marks if cache else None) or {},
            written_ns,
            tracked,
            read,
        )
        # Only a full run looks for tracked segments gone: an incremental run has
        # just found every segment the last intact run saw still there.
        result[0].findings.extend(_check_tracked_segments(factory, tracked))
    report, state, index_update = result
    state.tracked = memo
    state.files = _check_files(factory, state.refs, state.files, report, written_ns)
    report.recorded = {path: records[0] for path, records in state.refs.items()}
    report.heads = sorted(state.heads)
    report.entries = state.entries
    report.segments = len(segments.segment_paths(factory))
    if not report.findings:
        state.index = _update_index(index, index_update)
        segments.write_json(cache_path, state.to_json())
        if read is not None and state.marks:
            _save_read(read_path, read, state.marks)
    return report


def _save_read(
    path: Path, read: dict[str, list[ReadPrefix]], marks: dict[str, segments.SegmentMark]
) -> None:
    """Add what a full run read to the prefixes the clone keeps, if it adds anything."""
    new = {name: ReadPrefix(m.end, m.lines, m.prefix_sha256) for name, m in marks.items()}
    merged = with_read_prefixes(read, new)
    if merged is not None:
        with contextlib.suppress(OSError):  # an accelerator: without it, only slower
            path.parent.mkdir(parents=True, exist_ok=True)
            segments.write_json(path, read_prefixes_to_json(merged))


def _full(
    factory: Factory,
    remembered: dict[str, HeadAt],
    marks: dict[str, segments.SegmentMark],
    written_ns: int,
    tracked: list[str],
    read: dict[str, list[ReadPrefix]],
) -> tuple[VerifyReport, VerifyState, IndexUpdate]:
    hashers, checked = _read_before(factory, marks, read)
    planned = segments.plan(factory, {})
    assert planned is not None
    steps = list(planned)
    scan = scan_lines(factory, steps, {}, {}, checked)
    report = VerifyReport(findings=scan.findings, read=scan.count())
    place_rest(scan, {}, report, incremental=False)
    find_copies(scan, set(), report)
    report.findings.extend(_parents_only_untracked(factory, steps, tracked))
    for ident, where in sorted(remembered.items()):
        if not scan.has(ident.encode()):
            report.findings.append(
                LedgerProblem(
                    where.segment,
                    where.line,
                    "entry verified before is gone: ledger lines were deleted or the segment"
                    " truncated (if you discarded uncommitted entries on purpose, run"
                    " `fos verify --forget-heads`)",
                    ident,
                )
            )
    heads = {ident for ident in scan.candidates if ident not in scan.named}
    state = VerifyState(
        _new_marks(factory, scan, hashers),
        _locate(scan, heads, scan.heights),
        _last(scan, scan.heights, {}),
        scan.refs,
        scan.count(),
    )
    return report, state, ("write", list(scan.order.values()))


def _read_before(
    factory: Factory, marks: dict[str, segments.SegmentMark], read: dict[str, list[ReadPrefix]]
) -> tuple[dict[str, tuple[Any, int]], dict[str, int]]:
    """Lines an earlier run read in full need not be parsed again when their bytes are
    the same (ids and the DAG are checked anew): per segment, a hasher over the longest
    prefix that this branch's MARKS or the clone's READ prefixes vouch for, with where
    it ends, and where that is (lines ending there or before were read). One pass
    hashes every candidate; what a record says of lines is not taken (a restored
    record could overstate it): the scan counts them."""
    hashers: dict[str, tuple[Any, int]] = {}
    checked: dict[str, int] = {}
    for path in segments.segment_paths(factory):
        candidates = {(p.end, p.prefix_sha256) for p in read.get(path.name, ())}
        mark = marks.get(path.name)
        if mark is not None:
            candidates.add((mark.end, mark.prefix_sha256))
        hasher, at = hashlib.sha256(), 0
        for end, digest in sorted(candidates):
            if not segments.read_range(path, at, end, (), hasher)[0]:
                break
            at = end
            if hasher.hexdigest() == digest:
                hashers[path.name] = (hasher.copy(), end)
                checked[path.name] = end
    return hashers, checked


def _new_marks(
    factory: Factory, scan: Scan, hashers: dict[str, tuple[Any, int]]
) -> dict[str, segments.SegmentMark]:
    """The marks of this run, each with the digest of every byte before it: the old
    prefix's hasher carried over the bytes read since, or all of them hashed."""
    marks = {}
    directory = segments.ledger_dir(factory)
    for name, mark in scan.marks.items():
        hasher, start = hashers.get(name, (None, 0))
        if hasher is None or start > mark.end:
            hasher, start = hashlib.sha256(), 0
        segments.read_range(directory / name, start, mark.end, (), hasher)
        marks[name] = dataclasses.replace(mark, prefix_sha256=hasher.hexdigest())
    return marks


# More new entries than this in one run: look for copies in a full run instead of
# searching the verified bytes once per new id.
MAX_SEARCHED = 64


def _incremental(
    factory: Factory,
    cache: VerifyState,
    marks: dict[str, segments.SegmentMark],
    written_ns: int,
    tracked: list[str],
    index: Path,
) -> tuple[VerifyReport, VerifyState, IndexUpdate] | None:
    planned = segments.plan(factory, marks, written_ns=written_ns)
    if planned is None:
        return None
    steps = list(planned)
    known = {ident.encode(): head.height for ident, head in cache.heads.items()}
    known.update((last.id.encode(), last.height) for last in cache.last.values())
    last_heights = {rel: last.height for rel, last in cache.last.items()}
    scan = scan_lines(factory, steps, dict(known), last_heights)
    new_ids = [i for ids in scan.order.values() for i in ids if i]
    if len(new_ids) > MAX_SEARCHED:
        return None
    # The bytes verified before must be the same (an edit in place, then an append,
    # keeps the inode and grows the file), and no new entry may be a copy of one there.
    grown = {path.name for path, offset, _ in steps if offset}
    indexed = _in_index(index, cache.index, new_ids)
    if indexed:
        return None  # a copied entry: the full run names every copy
    searched = new_ids if indexed is None else []  # no index: search the segments
    hashers: dict[str, tuple[Any, int]] = {}
    for path in segments.segment_paths(factory):
        mark = marks.get(path.name)
        if mark is None:
            continue
        hasher = hashlib.sha256() if path.name in grown else None
        if hasher is None and not searched:
            continue  # unchanged, and nothing new to look for in it
        whole, copies = segments.read_range(path, 0, mark.end, searched, hasher)
        if not whole or (hasher is not None and hasher.hexdigest() != mark.prefix_sha256):
            return None
        if copies:
            return None  # a copied entry: the full run names every copy
        if hasher is not None:
            hashers[path.name] = (hasher, mark.end)
    report = VerifyReport(findings=scan.findings, read=scan.count())
    if not place_rest(scan, last_heights, report, incremental=True):
        return None  # a parent older than the remembered heads: verify everything
    find_copies(scan, set(known), report)
    report.findings.extend(_parents_only_untracked(factory, steps, tracked))
    named = scan.named
    old_heads = {k: v for k, v in cache.heads.items() if k.encode() not in named}
    new_heads = {ident for ident in scan.candidates if ident not in named}
    refs = cache.refs
    for ref_path, records in scan.refs.items():
        refs.setdefault(ref_path, []).extend(records)
    state = VerifyState(
        {**marks, **_new_marks(factory, scan, hashers)},
        {**old_heads, **_locate(scan, new_heads, scan.heights)},
        _last(scan, scan.heights, cache.last),
        refs,
        cache.entries + scan.count(),
        cache.files,
        index=cache.index,
    )
    # with no index to add to, the next full run writes one
    update = None if indexed is None else ("append", list(scan.order.values()))
    return report, state, update


# -- the id index: every verified id, end to end, so that a re-verify need not
# search the segments for a copy of a new entry ----------------------------------

# how to bring the index up to date: write it anew or append, with the ids read
# (per segment; b"" for a line that could not be read, which no run saves)
IndexUpdate = tuple[str, list[list[bytes]]] | None


def _index_path(cache_path: Path) -> Path:
    return cache_path.parent.parent / "verify-index" / f"{cache_path.stem}.ids"


def _update_index(path: Path, update: IndexUpdate) -> list[int] | None:
    """Bring the index at PATH up to date; what the state is to say of it: its stat
    ([size, inode, mtime, ctime]), or None when there is none to trust."""
    if update is None:
        return None
    how, new_ids = update
    blob = b"".join(b"".join(ids) for ids in new_ids)
    try:
        if how == "write":
            path.parent.mkdir(parents=True, exist_ok=True)
            atomic.write_atomic(path, blob)
        elif blob:
            with path.open("ab") as f:
                f.write(blob)
        stat = segments.Stat.of(os.stat(path))
    except OSError:
        return None  # no index: a re-verify searches the segments
    return [stat.size, stat.ino, stat.mtime_ns, stat.ctime_ns]


def _in_index(path: Path, known: list[int] | None, ids: list[bytes]) -> bool | None:
    """Whether any of IDS is in the index at PATH; None when the index is not the one
    the state describes (KNOWN: its stat, times included: an index edited in place
    keeps its size and inode), and so cannot tell."""
    try:
        stat = segments.Stat.of(os.stat(path))
        if known != [stat.size, stat.ino, stat.mtime_ns, stat.ctime_ns]:
            return None
        if not ids or not stat.size:
            return False
        with path.open("rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as data:
            for ident in ids:
                at = data.find(ident)
                while at >= 0:
                    if at % ID_HEX == 0:  # ids are 64 bytes each, end to end
                        return True
                    at = data.find(ident, at + 1)
    except OSError:
        return None
    return False


def _parents_only_untracked(
    factory: Factory, steps: list[tuple[Path, int, int]], in_index: list[str]
) -> list[LedgerProblem]:
    """Lines of segments git tracks, read in this run (STEPS), that name a parent only
    an untracked segment holds: once committed, a clone has the entry but not its
    parent (another branch's uncommitted segment, carried over by `git checkout`);
    IN_INDEX: the paths git tracks under the ledger directory."""
    loose = segments.untracked(factory, in_index)
    tracked = [step for step in steps if step[0] not in loose]
    if not loose or not tracked:
        return []
    loose_ids = {raw[:64] for path in loose for raw in segments.read_from(path, 0, 1).lines}
    loose_ids.discard(b"")
    for path, offset, _ in tracked:  # an id a tracked segment holds too is a copy
        if loose_ids:
            data = b"\n" + _read(path, offset)
            loose_ids = {i for i in loose_ids if b"\n" + i not in data}
    findings = []
    for path, offset, first in tracked if loose_ids else ():
        data = _read(path, offset)
        for ident in loose_ids:
            at = data.find(ident)
            while at >= 0:
                number = first + data.count(b"\n", 0, at)
                start = data.rfind(b"\n", 0, at) + 1
                entry = data[start : start + 64].decode("ascii", "replace")
                untracked = ", ".join(factory.rel(p) for p in loose)
                findings.append(
                    LedgerProblem(
                        factory.rel(path),
                        number,
                        f"names {id_text(ident)} as a parent, which only an untracked"
                        f" segment holds ({untracked}): a clone will not have it",
                        entry,
                    )
                )
                at = data.find(ident, at + 1)
    return findings


def _read(path: Path, offset: int) -> bytes:
    with path.open("rb") as f:
        f.seek(offset)
        return f.read()


def _locate(scan: Scan, wanted: set[bytes], heights: dict[bytes, int]) -> dict[str, HeadAt]:
    """Where the WANTED entries are (heads: found near the ends)."""
    found: dict[str, HeadAt] = {}
    pending = set(wanted)
    for rel, ids in scan.order.items():
        for index in range(len(ids) - 1, -1, -1):
            if not pending:
                return found
            ident = ids[index]
            if ident in pending:
                pending.discard(ident)
                line = scan.first_line[rel] + index
                found[id_text(ident)] = HeadAt(heights.get(ident, -1), rel, line)
    return found


def _last(
    scan: Scan, heights: dict[bytes, int], previous: dict[str, LastEntry]
) -> dict[str, LastEntry]:
    last = dict(previous)
    for rel, ids in scan.order.items():
        if ids and ids[-1] in heights:
            last[rel] = LastEntry(id_text(ids[-1]), heights[ids[-1]])
    return last


def grown_from(data: bytes, sha: str) -> bool:
    """Whether DATA starts with content whose sha256 is SHA, ending at a line (before
    or after its newline): an append-only file that was only added to."""
    hasher = hashlib.sha256()
    start = 0
    while (end := data.find(b"\n", start)) >= 0:
        hasher.update(data[start:end])
        if hasher.hexdigest() == sha:
            return True
        hasher.update(b"\n")
        if hasher.hexdigest() == sha:
            return True
        start = end + 1
    return False


def _check_files(
    factory: Factory,
    refs: dict[str, list[FileRecord]],
    known: dict[str, IntactFile],
    report: VerifyReport,
    written_ns: int,
) -> dict[str, IntactFile]:
    """Each recorded append-only file against its digest; files nobody recorded."""
    intact: dict[str, IntactFile] = {}
    root = str(factory.root)
    for path, records in sorted(refs.items()):
        if not is_append_only(path):
            continue
        report.files += 1
        sha, rel, number, ident = records[0]
        for other in records[1:]:
            if other.sha256 != sha:
                report.findings.append(
                    LedgerProblem(
                        other.segment,
                        other.line,
                        f"records {path} again with another sha256 than {rel}:{number} did",
                        other.entry,
                    )
                )
        target = os.path.join(root, path)  # a plain string: one per recorded file
        try:
            stat = segments.Stat.of(os.stat(target))
            cached = known.get(path)
            if (
                cached is not None
                and cached.sha256 == sha
                and cached.stat == stat
                and not stat.changed_since(written_ns)
            ):
                intact[path] = cached
                continue
            data = store.read_bytes(target, path, limit=None)
            actual = hashlib.sha256(data).hexdigest()
            if actual != sha and may_grow(path) and grown_from(data, sha):
                actual = sha  # an incident added to at its end: what was recorded is intact
        except FileNotFoundError:
            report.findings.append(
                LedgerProblem(
                    path,
                    0,
                    f"recorded by {rel}:{number} but gone (deleted)",
                    ident,
                    segment=rel,
                    segment_line=number,
                )
            )
            continue
        if actual != sha:
            report.findings.append(
                LedgerProblem(
                    path,
                    0,
                    f"changed since {rel}:{number} recorded it"
                    f" (sha256 {sha[:12]}..., now {actual[:12]}...)",
                    ident,
                    segment=rel,
                    segment_line=number,
                )
            )
        else:
            intact[path] = IntactFile(sha, stat)
    for directory in sorted(APPEND_ONLY):
        try:
            found = sorted(e.name for e in os.scandir(factory.root / directory) if e.is_file())
        except (FileNotFoundError, NotADirectoryError):
            continue
        for name in found:
            rel_path = f"{directory}/{name}"
            if name.startswith(".") and name.endswith(".tmp"):
                report.findings.append(
                    LedgerProblem(
                        rel_path,
                        0,
                        "stray temporary file: a write of an append-only file was"
                        " interrupted (nothing recorded it; remove it)",
                    )
                )
            elif rel_path not in refs and is_append_only(rel_path):
                report.findings.append(
                    LedgerProblem(
                        rel_path,
                        0,
                        "unrecorded: no ledger entry records this file (written"
                        " by hand, or its write was interrupted before its entry)",
                    )
                )
    return intact


def _check_tracked_segments(factory: Factory, tracked: list[str]) -> list[LedgerProblem]:
    findings = []
    for path in tracked:
        if is_segment(path) and not (factory.root / path).exists():
            findings.append(
                LedgerProblem(path, 0, "segment is tracked by git but gone from the work tree")
            )
    return findings


def verify(
    *,
    cwd: Path,
    history_walk: bool = False,
    range_spec: str | None = None,
    full: bool = False,
    forget_heads: bool = False,
) -> VerifyReport:
    """Verify the work tree, and the git history when asked; the findings and figures."""
    if history_walk and range_spec:
        raise UsageError("pass --history or --range, not both")
    factory = store.find_factory(cwd)
    commits = revrange.parse_range(factory.root, range_spec) if range_spec else None
    report = verify_worktree(factory, full=full, forget_heads=forget_heads)
    walk = None
    if commits is not None:
        walk = history.verify_range(factory, commits, report.recorded)
    elif history_walk:
        walk = history.verify_history(factory, report.recorded)
    if walk is not None:
        report.findings.extend(walk.findings)
        report.commits = walk.commits
        report.shallow = walk.shallow
    return report
