"""`fos verify` over the work tree: the ledger's ids, its DAG, and the append-only files.

Checks: every line is `<id> <JSON>` in the canonical frame and its id is the hash
of its stored bytes; no id occurs twice; every parent exists; no cycle; within a
segment every line descends from the line before it (an append names all heads,
so a reordered or moved line shows); no torn tail; every append-only file the
ledger recorded is there with the recorded sha256, and none is there unrecorded;
every segment git tracks is still in the work tree; and the heads verified last
time on this branch still exist, so a deleted or truncated tail is caught
without looking at history (`factory_os.history` does that).

What is remembered, per worktree and branch, in `<git dir>/fos/verify/`: how far
each segment was verified (a `segments.SegmentMark`, see `segments.plan` for what
it trusts), the heads then, the last entry of each segment, the recorded digests,
and the stat of each append-only file found intact. It is saved only after a run
that found nothing, so a problem is reported until it is fixed. A re-verify reads
only what was appended since; `--full` ignores all of it but the heads.
"""

from __future__ import annotations

import gc
import hashlib
import os
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from factory_os import dag, git, segments
from factory_os.ledger import APPEND_ONLY
from factory_os.ledger_line import (
    DOMAIN,
    is_refs_body,
    parse_envelope,
    parse_refs,
    split_parents,
)
from factory_os.store import Factory


@dataclass(frozen=True)
class Finding:
    """One problem, where it is: file and line, and the entry or commit concerned."""

    path: str
    line: int
    message: str
    entry: str | None = None
    commit: str | None = None

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}"
        about = "".join(
            f" {label} {value}:"
            for label, value in (("commit", self.commit), ("entry", self.entry))
            if value
        )
        return f"{where}:{about} {self.message}"

    def to_json(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "line": self.line,
            "entry": self.entry,
            "commit": self.commit,
            "message": self.message,
        }


@dataclass
class Report:
    findings: list[Finding] = field(default_factory=list)
    entries: int = 0
    segments: int = 0
    heads: list[str] = field(default_factory=list)
    files: int = 0
    read: int = 0  # entries hashed in this run (all of them unless incremental)
    commits: int | None = None  # commits walked by the history check


@dataclass
class _Scan:
    """What one pass over new lines learned."""

    heights: dict[bytes, int]  # placed in the pass, and what was known before
    # Entries not placed in the pass: id -> its parent's id when it has one, else its
    # parents as stored (see `_parents`). Placed entries are only in `heights`.
    parents_of: dict[bytes, bytes] = field(default_factory=dict)
    unreadable: int = 0
    order: dict[str, list[bytes]] = field(default_factory=dict)  # segment -> ids (b"": unreadable)
    first_line: dict[str, int] = field(default_factory=dict)
    blocked: dict[str, int] = field(default_factory=dict)  # segment -> index not placed in-pass
    named: set[bytes] = field(default_factory=set)  # parents named, but by the line after
    candidates: list[bytes] = field(default_factory=list)  # may be heads: not named by the next
    refs: dict[str, list[list[Any]]] = field(default_factory=dict)  # path -> [sha, seg, line, id]
    findings: list[Finding] = field(default_factory=list)
    marks: dict[str, segments.SegmentMark] = field(default_factory=dict)

    def count(self) -> int:
        return sum(len(ids) for ids in self.order.values()) - self.unreadable

    def has(self, ident: bytes) -> bool:
        return ident in self.heights or ident in self.parents_of


def _cache_path(factory: Factory) -> Path:
    key = hashlib.sha256(segments.branch_key(factory).encode()).hexdigest()[:32]
    return segments.state_dir(factory) / "verify" / f"{key}.json"


def verify_worktree(factory: Factory, *, full: bool = False, forget_heads: bool = False) -> Report:
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


def _verify_worktree(factory: Factory, *, full: bool, forget_heads: bool) -> Report:
    cache_path = _cache_path(factory)
    cache = None if forget_heads else segments.read_json(cache_path)
    if cache is not None and cache.get("v") != 1:
        cache = None
    result = None
    if cache is not None and not full:
        try:
            result = _incremental(factory, cache)
        except (KeyError, TypeError, ValueError, AttributeError, IndexError):
            result = None  # a cache from another version, or damaged: verify everything
    if result is None:
        remembered = cache.get("heads") if cache else None
        result = _full(factory, remembered if isinstance(remembered, dict) else {})
        # Only a full run looks for tracked segments gone: an incremental run has
        # just found every segment the last intact run saw still there.
        result[0].findings.extend(_check_tracked_segments(factory))
    report, state = result
    state["files"] = _check_files(factory, state["refs"], state.get("files", {}), report)
    report.heads = sorted(state["heads"])
    report.entries = state["entries"]
    report.segments = len(segments.segment_paths(factory))
    if not report.findings:
        segments.write_json(cache_path, state)
    return report


def _full(factory: Factory, remembered: dict[str, Any]) -> tuple[Report, dict[str, Any]]:
    steps = segments.plan(factory, {})
    assert steps is not None
    scan = _scan(factory, steps, {}, {})
    report = Report(findings=scan.findings, read=scan.count())
    _place(scan, {}, report, incremental=False)
    _find_copies(scan, set(), report)
    for ident, where in sorted(remembered.items()):
        if not isinstance(where, list) or len(where) != 3:
            continue
        _, rel, number = where
        if not scan.has(ident.encode()):
            report.findings.append(
                Finding(
                    rel,
                    number,
                    "entry verified before is gone: ledger lines were deleted or the segment"
                    " truncated (if you discarded uncommitted entries on purpose, run"
                    " `fos verify --forget-heads`)",
                    ident,
                )
            )
    heads = {ident for ident in scan.candidates if ident not in scan.named}
    state = {
        "v": 1,
        "marks": {name: mark.to_json() for name, mark in scan.marks.items()},
        "heads": _locate(scan, heads, scan.heights),
        "last": _last(scan, scan.heights, {}),
        "refs": scan.refs,
        "entries": scan.count(),
    }
    return report, state


def _incremental(factory: Factory, cache: dict[str, Any]) -> tuple[Report, dict[str, Any]] | None:
    marks = {}
    for name, value in cache["marks"].items():
        mark = segments.SegmentMark.from_json(value)
        if mark is None:
            return None
        marks[name] = mark
    steps = segments.plan(factory, marks)
    if steps is None:
        return None
    known = {ident.encode(): value[0] for ident, value in cache["heads"].items()}
    known.update((value[0].encode(), value[1]) for value in cache["last"].values())
    scan = _scan(factory, steps, dict(known), cache["last"])
    report = Report(findings=scan.findings, read=scan.count())
    if not _place(scan, cache["last"], report, incremental=True):
        return None  # a parent older than the remembered heads: verify everything
    _find_copies(scan, set(known), report)
    named = scan.named
    old_heads = {k: v for k, v in cache["heads"].items() if k.encode() not in named}
    new_heads = {ident for ident in scan.candidates if ident not in named}
    refs = cache["refs"]
    for path, records in scan.refs.items():
        refs.setdefault(path, []).extend(records)
    state = {
        "v": 1,
        "marks": {**cache["marks"], **{n: m.to_json() for n, m in scan.marks.items()}},
        "heads": {**old_heads, **_locate(scan, new_heads, scan.heights)},
        "last": _last(scan, scan.heights, cache["last"]),
        "refs": refs,
        "entries": cache["entries"] + scan.count(),
        "files": cache.get("files", {}),
    }
    return report, state


def _locate(scan: _Scan, wanted: set[bytes], heights: dict[bytes, int]) -> dict[str, Any]:
    """id -> [height, segment, line] of the WANTED entries (heads: found near the ends)."""
    found: dict[str, Any] = {}
    pending = set(wanted)
    for rel, ids in scan.order.items():
        for index in range(len(ids) - 1, -1, -1):
            if not pending:
                return found
            ident = ids[index]
            if ident in pending:
                pending.discard(ident)
                found[ident.decode()] = [heights.get(ident, -1), rel, scan.first_line[rel] + index]
    return found


def _last(scan: _Scan, heights: dict[bytes, int], previous: dict[str, Any]) -> dict[str, Any]:
    last = dict(previous)
    for rel, ids in scan.order.items():
        if ids and ids[-1] in heights:
            last[rel] = [ids[-1].decode(), heights[ids[-1]]]
    return last


def _scan(factory: Factory, steps: Any, heights: dict[bytes, int], last: dict[str, Any]) -> _Scan:
    """Hash and frame every line of STEPS, and place it in the DAG where it can. The hot
    loop of `fos verify`: one pass, streaming, nothing kept but ids and parents.

    It reads the frame by position like `ledger_line.parse_envelope`, with what
    integrity needs: the id over every byte, the frame's markers, the parents
    and the refs. It leaves the JSON inside the frame (kind, subject, data) to
    the readers, which refuse a line that is not canonical JSON; only a line
    forged with a recomputed id can be one. `parse_envelope` names what is
    wrong with a line that has no frame. A line is placed at once when its
    parents are (usually its only parent is the line before); `_place` does
    the rest.
    """
    scan = _Scan(heights)
    parents_of = scan.parents_of
    findings = scan.findings
    named_update = scan.named.update
    candidate = scan.candidates.append
    height_of = heights.get
    sha256 = hashlib.sha256
    for seg_path, offset, first in steps:
        rel = factory.rel(seg_path)
        order: list[bytes] = []
        append = order.append
        scan.order[rel] = order
        scan.first_line[rel] = first
        previous = last.get(rel, [None, -1])[1]
        placing = True
        number = first - 1
        torn = prev = b""
        with seg_path.open("rb") as f:
            stat = os.fstat(f.fileno())
            f.seek(offset)
            for number, raw in enumerate(f, first):
                r = raw.rfind(b'],"refs":[')
                p = raw.rfind(b',"parents":[', 0, r)
                if (
                    p < 65
                    or not raw.endswith(b',"v":1}\n')
                    or not raw.startswith(b' {"actor":"', 64)
                ):
                    if raw[-1] != 10:
                        torn = raw
                        number -= 1
                        break
                    findings.append(Finding(rel, number, _what_is_wrong(raw[:-1])))
                    append(b"")
                    scan.unreadable += 1
                    continue
                ident = raw[:64]
                if sha256(DOMAIN + raw[65:-1]).hexdigest().encode() != ident:
                    findings.append(Finding(rel, number, _EDITED, ident.decode("ascii", "replace")))
                if not raw.startswith(b'],"subject":"', r + 10):
                    _record_refs(scan, raw, r, rel, number, ident)
                append(ident)
                if prev and r - p == 78 and raw.startswith(prev, p + 13):
                    # the common case: the only parent is the line before
                    if placing:
                        previous = heights[ident] = previous + 1
                    else:
                        parents_of[ident] = prev
                    prev = ident
                    continue
                raw_parents = raw[p + 12 : r]
                if prev:
                    candidate(prev)
                prev = ident
                parents = split_parents(raw_parents)
                if parents is None:
                    findings.append(Finding(rel, number, "malformed parents", ident.decode()))
                    raw_parents = b""
                    parents = ()
                named_update(parents)
                if placing:
                    top = -1
                    for parent in parents:
                        height = height_of(parent)
                        if height is None:
                            placing = False
                            scan.blocked[rel] = len(order) - 1
                            break
                        if height > top:
                            top = height
                    else:
                        if top < previous:
                            findings.append(Finding(rel, number, _OUT_OF_ORDER, ident.decode()))
                        previous = heights[ident] = top + 1
                        continue
                # not placed yet: keep its parents for `_place`
                parents_of[ident] = raw_parents[1:65] if len(raw_parents) == 66 else raw_parents
            end = f.tell() - len(torn)
        if prev:
            candidate(prev)
        if torn:
            findings.append(Finding(rel, number + 1, _torn(len(torn))))
        scan.marks[seg_path.name] = segments.make_mark(seg_path, stat, end, number, None)
    return scan


def _parents(stored: bytes) -> tuple[bytes, ...]:
    """The parents as `_Scan.parents_of` keeps them: one id as it is, several as stored."""
    if len(stored) == 64:
        return (stored,)
    return split_parents(stored) or ()


def _what_is_wrong(raw: bytes) -> str:
    problem = parse_envelope(raw)
    return problem if isinstance(problem, str) else "not a ledger entry in canonical form"


def _record_refs(scan: _Scan, raw: bytes, r: int, rel: str, number: int, ident: bytes) -> None:
    u = raw.rfind(b'],"subject":"')
    refs = raw[r + 10 : u]
    if u < r + 10 or not is_refs_body(refs):
        scan.findings.append(
            Finding(rel, number, "malformed refs", ident.decode("ascii", "replace"))
        )
        return
    for ref_path, sha in parse_refs(refs):
        scan.refs.setdefault(ref_path, []).append([sha, rel, number, ident.decode()])


_EDITED = "id does not match the line's bytes: the line was edited, or its id forged"
_TWICE = "the same entry occurs twice (a copied line)"
_OUT_OF_ORDER = (
    "line is out of order: it does not descend from the line before it"
    " (lines reordered, moved or copied?)"
)


def _torn(size: int) -> str:
    return (
        f"incomplete last line ({size} bytes after the last newline): a write was"
        " interrupted, or the segment was truncated"
    )


def _place(scan: _Scan, last: dict[str, Any], report: Report, *, incremental: bool) -> bool:
    """Place what the scan could not, and report the DAG's problems; False when an
    incremental run meets a parent it cannot see (older than the remembered heads)."""
    if not scan.blocked:
        return True
    left = _resume(scan, last, report)
    if not left:
        return True
    chains = [[i for i in scan.order[rel][index:] if i] for rel, index in left.items()]
    parents_of = {ident: _parents(scan.parents_of[ident]) for chain in chains for ident in chain}
    placement = dag.place(parents_of, scan.heights, chains=chains)
    if incremental and (placement.missing or placement.tainted):
        return False
    flagged = set(placement.missing) | set(placement.cyclic)
    where: dict[bytes, tuple[str, int]] = {}
    if flagged:
        for rel, ids in scan.order.items():
            for index, ident in enumerate(ids):
                if ident in flagged:
                    where[ident] = (rel, scan.first_line[rel] + index)
    for ident, parents in placement.missing.items():
        rel, number = where[ident]
        for parent in parents:
            message = f"parent {parent.decode('ascii', 'replace')} does not exist (entry deleted?)"
            report.findings.append(Finding(rel, number, message, ident.decode()))
    for ident in placement.cyclic:
        rel, number = where[ident]
        report.findings.append(
            Finding(rel, number, "entry is in a cycle of parents", ident.decode())
        )
    heights = scan.heights
    for rel, start in left.items():
        ids = scan.order[rel]
        previous = _height_before(scan, rel, start, last)
        for index in range(start, len(ids)):
            height = heights.get(ids[index])
            if height is None:
                continue
            if height <= previous:
                number = scan.first_line[rel] + index
                report.findings.append(Finding(rel, number, _OUT_OF_ORDER, ids[index].decode()))
            previous = height
    return True


def _find_copies(scan: _Scan, known: set[bytes], report: Report) -> None:
    """Report every entry that occurs twice. The hot loop does not look: when every id is
    distinct, the entries counted and the ids kept tell it at no cost per line."""
    waiting = sum(1 for ident in scan.parents_of if ident not in scan.heights)
    if scan.count() == len(scan.heights) - len(known) + waiting:
        return
    seen = set(known)
    for rel, ids in scan.order.items():
        for index, ident in enumerate(ids):
            if not ident:
                continue
            if ident in seen:
                number = scan.first_line[rel] + index
                report.findings.append(Finding(rel, number, _TWICE, ident.decode()))
            seen.add(ident)


def _height_before(scan: _Scan, rel: str, index: int, last: dict[str, Any]) -> int:
    ids = scan.order[rel]
    for before in range(index - 1, -1, -1):
        height = scan.heights.get(ids[before])
        if height is not None:
            return height
    return int(last.get(rel, [None, -1])[1])


def _resume(scan: _Scan, last: dict[str, Any], report: Report) -> dict[str, int]:
    """Carry on placing each blocked segment from where the scan stopped, round after
    round (a segment waits for a merge parent placed in another), as the scan does;
    what is left (a missing parent, a cycle) goes to `dag.place`."""
    heights = scan.heights
    height_of = heights.get
    parents_of = scan.parents_of
    positions = dict(scan.blocked)
    progress = True
    while progress and positions:
        progress = False
        for rel, start in list(positions.items()):
            ids = scan.order[rel]
            previous = _height_before(scan, rel, start, last)
            prev = ids[start - 1] if start else b""
            index = start
            for index in range(start, len(ids)):
                ident = ids[index]
                if not ident:
                    continue
                stored = parents_of[ident]
                if prev and stored == prev:
                    previous = heights[ident] = previous + 1
                    prev = ident
                    continue
                top = -1
                for parent in _parents(stored):
                    height = height_of(parent)
                    if height is None:
                        break
                    if height > top:
                        top = height
                else:
                    if top < previous:
                        number = scan.first_line[rel] + index
                        report.findings.append(Finding(rel, number, _OUT_OF_ORDER, ident.decode()))
                    previous = heights[ident] = top + 1
                    prev = ident
                    continue
                break
            else:
                index = len(ids)
            if index != start:
                progress = True
            if index >= len(ids):
                del positions[rel]
            else:
                positions[rel] = index
    return positions


def _glob_regex(pattern: str) -> str:
    return "[^/]*".join(re.escape(part) for part in pattern.split("*"))


# APPEND_ONLY as one expression: `*` within one path component, as git globs do
_APPEND_ONLY = re.compile("|".join(f"(?:{_glob_regex(p)})" for p in APPEND_ONLY))


def _matches_append_only(path: str) -> bool:
    return _APPEND_ONLY.fullmatch(path) is not None


def _check_files(
    factory: Factory,
    refs: dict[str, list[list[Any]]],
    known: dict[str, Any],
    report: Report,
) -> dict[str, Any]:
    """Each recorded append-only file against its digest; files nobody recorded."""
    intact: dict[str, Any] = {}
    for path, records in sorted(refs.items()):
        if not _matches_append_only(path):
            continue
        report.files += 1
        sha, rel, number, ident = records[0]
        for other in records[1:]:
            if other[0] != sha:
                report.findings.append(
                    Finding(
                        other[1],
                        other[2],
                        f"records {path} again with another sha256 than {rel}:{number} did",
                        other[3],
                    )
                )
        target = factory.root / path
        try:
            stat = segments.Stat.of(os.stat(target))
            cached = known.get(path)
            if cached and cached["sha256"] == sha and cached["stat"] == stat.__dict__:
                intact[path] = cached
                continue
            actual = hashlib.sha256(target.read_bytes()).hexdigest()
        except FileNotFoundError:
            report.findings.append(
                Finding(path, 0, f"recorded by {rel}:{number} but gone (deleted)", ident)
            )
            continue
        if actual != sha:
            report.findings.append(
                Finding(
                    path,
                    0,
                    f"changed since {rel}:{number} recorded it"
                    f" (sha256 {sha[:12]}..., now {actual[:12]}...)",
                    ident,
                )
            )
        elif not _racy(stat):
            intact[path] = {"sha256": sha, "stat": stat.__dict__}
    for directory in sorted({pattern.rsplit("/", 1)[0] for pattern in APPEND_ONLY}):
        try:
            found = sorted(e.name for e in os.scandir(factory.root / directory) if e.is_file())
        except (FileNotFoundError, NotADirectoryError):
            continue
        for name in found:
            rel_path = f"{directory}/{name}"
            if rel_path not in refs and _matches_append_only(rel_path):
                report.findings.append(
                    Finding(
                        rel_path,
                        0,
                        "unrecorded: no ledger entry records this file (written"
                        " by hand, or its write was interrupted before its entry)",
                    )
                )
    return intact


def _racy(stat: segments.Stat) -> bool:
    return time.time_ns() - max(stat.mtime_ns, stat.ctime_ns) < segments.RACY_NS


def _check_tracked_segments(factory: Factory) -> list[Finding]:
    findings = []
    prefix = f"{factory.rel(segments.ledger_dir(factory))}/"
    for path in git.ls_files(factory.root, [prefix]):
        if path.endswith(segments.SUFFIX) and not (factory.root / path).exists():
            findings.append(
                Finding(path, 0, "segment is tracked by git but gone from the work tree")
            )
    return findings
