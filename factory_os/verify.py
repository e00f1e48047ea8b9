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

import hashlib
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from factory_os import dag, git, segments
from factory_os.ledger import APPEND_ONLY
from factory_os.ledger_line import DOMAIN, Envelope, parse_envelope, parse_refs
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

    parents_of: dict[bytes, tuple[bytes, ...]] = field(default_factory=dict)
    order: dict[str, list[bytes]] = field(default_factory=dict)  # segment -> ids in file order
    first_line: dict[str, int] = field(default_factory=dict)
    refs: dict[str, list[list[Any]]] = field(default_factory=dict)  # path -> [sha, seg, line, id]
    findings: list[Finding] = field(default_factory=list)
    marks: dict[str, segments.SegmentMark] = field(default_factory=dict)


def _cache_path(factory: Factory) -> Path:
    key = hashlib.sha256(segments.branch_key(factory).encode()).hexdigest()[:32]
    return segments.state_dir(factory) / "verify" / f"{key}.json"


def verify_worktree(factory: Factory, *, full: bool = False, forget_heads: bool = False) -> Report:
    """Verify the ledger and the append-only files as they are in the work tree."""
    cache_path = _cache_path(factory)
    cache = None if forget_heads else segments.read_json(cache_path)
    if cache is not None and cache.get("v") != 1:
        cache = None
    result = None if cache is None or full else _incremental(factory, cache)
    if result is None:
        result = _full(factory, cache["heads"] if cache else {})
    report, state = result
    report.findings.extend(_check_tracked_segments(factory))
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
    scan = _scan(factory, steps)
    report = Report(findings=scan.findings, read=len(scan.parents_of))
    placement = _place(scan, {}, {}, report, incremental=False)
    assert placement is not None
    for ident, (_, rel, number) in sorted(remembered.items()):
        if ident.encode() not in scan.parents_of:
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
    named: set[bytes] = set()
    for parents in scan.parents_of.values():
        named.update(parents)
    heads = set(scan.parents_of) - named
    state = {
        "v": 1,
        "marks": {name: mark.to_json() for name, mark in scan.marks.items()},
        "heads": _locate(scan, heads, placement.heights),
        "last": _last(scan, placement.heights, {}),
        "refs": scan.refs,
        "entries": len(scan.parents_of),
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
    scan = _scan(factory, steps)
    report = Report(findings=scan.findings, read=len(scan.parents_of))
    known = {ident.encode(): value[0] for ident, value in cache["heads"].items()}
    known.update((value[0].encode(), value[1]) for value in cache["last"].values())
    for ident in scan.parents_of.keys() & known.keys():
        report.findings.append(
            Finding("(ledger)", 0, "the same entry occurs twice (copied line)", ident.decode())
        )
    placement = _place(scan, known, cache["last"], report, incremental=True)
    if placement is None:
        return None  # a parent older than the remembered heads: verify everything
    named: set[bytes] = set()
    for parents in scan.parents_of.values():
        named.update(parents)
    old_heads = {k: v for k, v in cache["heads"].items() if k.encode() not in named}
    new_heads = set(scan.parents_of) - named
    refs = cache["refs"]
    for path, records in scan.refs.items():
        refs.setdefault(path, []).extend(records)
    state = {
        "v": 1,
        "marks": {**cache["marks"], **{n: m.to_json() for n, m in scan.marks.items()}},
        "heads": {**old_heads, **_locate(scan, new_heads, placement.heights)},
        "last": _last(scan, placement.heights, cache["last"]),
        "refs": refs,
        "entries": cache["entries"] + len(scan.parents_of),
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


def _scan(factory: Factory, steps: Any) -> _Scan:
    scan = _Scan()
    parents_of = scan.parents_of
    base = hashlib.sha256(DOMAIN)
    findings = scan.findings
    for seg_path, offset, first in steps:
        chunk = segments.read_from(seg_path, offset, first)
        rel = factory.rel(seg_path)
        order: list[bytes] = []
        scan.order[rel] = order
        scan.first_line[rel] = first
        scan.marks[chunk.name] = chunk.mark
        number = first - 1
        for raw in chunk.lines:
            number += 1
            envelope = parse_envelope(raw)
            if not isinstance(envelope, Envelope):
                findings.append(Finding(rel, number, envelope))
                order.append(b"")
                continue
            ident = envelope.id
            digest = base.copy()
            digest.update(memoryview(raw)[65:])
            if digest.hexdigest().encode() != ident:
                findings.append(Finding(rel, number, _EDITED, ident.decode("ascii", "replace")))
            if ident in parents_of:
                findings.append(Finding(rel, number, _TWICE, ident.decode("ascii", "replace")))
            parents_of[ident] = envelope.parents
            order.append(ident)
            if envelope.refs:
                for ref_path, sha in parse_refs(envelope.refs):
                    scan.refs.setdefault(ref_path, []).append([sha, rel, number, ident.decode()])
        if chunk.torn:
            findings.append(Finding(rel, number + 1, _torn(len(chunk.torn))))
    return scan


_EDITED = "id does not match the line's bytes: the line was edited, or its id forged"
_TWICE = "the same entry occurs twice (a copied line)"


def _torn(size: int) -> str:
    return (
        f"incomplete last line ({size} bytes after the last newline): a write was"
        " interrupted, or the segment was truncated"
    )


def _place(
    scan: _Scan,
    known: dict[bytes, int],
    last: dict[str, Any],
    report: Report,
    *,
    incremental: bool,
) -> dag.Placement[bytes] | None:
    """Heights of the scanned entries and the DAG findings; None when an incremental run
    meets a parent it cannot see (older than the remembered heads)."""
    placement = dag.place(scan.parents_of, known)
    if incremental and (placement.missing or placement.tainted):
        return None
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
    heights = placement.heights
    for rel, ids in scan.order.items():
        previous = last.get(rel, [None, -1])[1]
        for index, ident in enumerate(ids):
            height = heights.get(ident)
            if height is None:
                continue
            if height <= previous:
                report.findings.append(
                    Finding(rel, scan.first_line[rel] + index, _OUT_OF_ORDER, ident.decode())
                )
            previous = height
    return placement


_OUT_OF_ORDER = (
    "line is out of order: it does not descend from the line before it"
    " (lines reordered, moved or copied?)"
)


def _matches_append_only(path: str) -> bool:
    return any(PurePosixPath(path).match(pattern) for pattern in APPEND_ONLY)


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
            stat = segments.Stat.of(target.stat())
            cached = known.get(path)
            if cached and cached["sha256"] == sha and segments.Stat(**cached["stat"]) == stat:
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
    for pattern in APPEND_ONLY:
        for target in sorted(factory.root.glob(pattern)):
            rel_path = factory.rel(target)
            if rel_path not in refs and target.is_file():
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
    import time

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
