"""The hot path of `fos verify`: one streaming pass over the segments that hashes
every line, reads its frame, and places it in the DAG; then what that pass could
not place, and the problems it found.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass, field
from typing import Any

from factory_os import dag, segments
from factory_os.ledger_line import (
    DOMAIN,
    is_refs_body,
    parse_envelope,
    parse_full,
    parse_refs,
    split_parents,
)
from factory_os.store import Factory


@dataclass(frozen=True)
class Finding:
    """One problem, where it is: file and line, the entry and the commit concerned, and
    the ledger line that tells (SEGMENT, SEGMENT_LINE): the line itself for a
    problem with a ledger line, the entry that recorded a file for a file's."""

    path: str
    line: int
    message: str
    entry: str | None = None
    commit: str | None = None
    segment: str | None = None
    segment_line: int | None = None

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}"
        about = "".join(
            f" {label} {value}:"
            for label, value in (("commit", self.commit), ("entry", self.entry))
            if value
        )
        return f"{where}:{about} {self.message}"

    def to_json(self) -> dict[str, Any]:
        in_ledger = self.segment is None and self.path.endswith(segments.SUFFIX)
        return {
            "path": self.path,
            "line": self.line,
            "entry": self.entry,
            "commit": self.commit,
            "segment": self.path if in_ledger else self.segment,
            "segment_line": (self.line or None) if in_ledger else self.segment_line,
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
    shallow: bool = False  # the history walked stops at a shallow clone's boundary
    # append-only file -> (segment, line, entry id) of the entry that recorded it
    recorded: dict[str, tuple[str, int, str]] = field(default_factory=dict)


@dataclass
class Scan:
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


def scan_lines(
    factory: Factory,
    steps: Any,
    heights: dict[bytes, int],
    last: dict[str, Any],
    checked: dict[str, int] | None = None,
) -> Scan:
    """Hash and frame every line of STEPS, and place it in the DAG where it can. The hot
    loop of `fos verify`: one pass, streaming, nothing kept but ids and parents.

    It reads the frame by position like `ledger_line.parse_envelope`, with what
    integrity needs: the id over every byte, the frame's markers, the parents
    and the refs. It leaves the JSON inside the frame (kind, subject, data) to
    the readers, which refuse a line that is not canonical JSON; only a line
    forged with a recomputed id can be one. `parse_envelope` names what is
    wrong with a line that has no frame. Then every line is read as a reader
    reads it (`ledger_line.parse_full`), so verify never passes a line that
    `fos ledger log` refuses, except the first CHECKED[segment] lines, which an
    earlier run checked and whose bytes are known to be the same (the caller
    hashed them). A line is placed at once when its parents are (usually its
    only parent is the line before); `_place` does the rest.
    """
    checked = checked or {}
    scan = Scan(heights)
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
        trusted = checked.get(seg_path.name, 0)
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
                    findings.append(Finding(rel, number, _what_is_wrong(raw[:-1]), _id_of(raw)))
                    append(b"")
                    scan.unreadable += 1
                    continue
                ident = raw[:64]
                if sha256(DOMAIN + raw[65:-1]).hexdigest().encode() != ident:
                    findings.append(Finding(rel, number, _EDITED, ident.decode("ascii", "replace")))
                elif number > trusted:
                    problem = parse_full(raw[:-1])
                    if type(problem) is str:
                        findings.append(Finding(rel, number, problem, ident.decode()))
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
        scan.marks[seg_path.name] = segments.make_mark(seg_path, stat, end, number)
    return scan


def _parents(stored: bytes) -> tuple[bytes, ...]:
    """The parents as `Scan.parents_of` keeps them: one id as it is, several as stored."""
    if len(stored) == 64:
        return (stored,)
    return split_parents(stored) or ()


def _id_of(raw: bytes) -> str | None:
    """The id a line that cannot be read starts with, if it starts with one."""
    ident = raw[:64]
    if raw[64:65] == b" " and _HEX_ID.fullmatch(ident):
        return ident.decode("ascii")
    return None


_HEX_ID = re.compile(rb"[0-9a-f]{64}")


def _what_is_wrong(raw: bytes) -> str:
    problem = parse_envelope(raw)
    return problem if isinstance(problem, str) else "not a ledger entry in canonical form"


def _record_refs(scan: Scan, raw: bytes, r: int, rel: str, number: int, ident: bytes) -> None:
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


def place_rest(scan: Scan, last: dict[str, Any], report: Report, *, incremental: bool) -> bool:
    """Place what the scan could not, and report the DAG's problems; False when an
    incremental run meets a parent it cannot see (older than the remembered heads)."""
    if not scan.blocked:
        return True
    left = scan.blocked
    chains = _advance(
        scan, [[i for i in scan.order[rel][index:] if i] for rel, index in left.items()]
    )
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


def _advance(scan: Scan, chains: list[list[bytes]]) -> list[list[bytes]]:
    """Place CHAINS (each segment's entries the pass left, in file order) from where
    each stopped, round after round, while each entry's parents are placed: what
    `dag.place` does first, here on the parents as the pass kept them (mostly the
    one id of the line before), so the usual chain costs one look-up a line. The
    rest of each chain, from its first entry no round could place, is returned."""
    heights = scan.heights
    get = heights.get
    stored = scan.parents_of
    positions = [0] * len(chains)
    progress = True
    while progress:
        progress = False
        for index, chain in enumerate(chains):
            position = start = positions[index]
            end = len(chain)
            while position < end:
                ident = chain[position]
                parents = stored[ident]
                if len(parents) == 64:
                    height = get(parents)
                    if height is None:
                        break
                    heights[ident] = height + 1
                else:
                    top = -1
                    for parent in _parents(parents):
                        height = get(parent)
                        if height is None:
                            break
                        if height > top:
                            top = height
                    else:
                        heights[ident] = top + 1
                        position += 1
                        continue
                    break
                position += 1
            if position != start:
                positions[index] = position
                progress = True
    return [chain[position:] for chain, position in zip(chains, positions, strict=True)]


def find_copies(scan: Scan, known: set[bytes], report: Report) -> None:
    """Report every entry that occurs twice. The hot loop does not look: when every id is
    distinct, the entries counted and the ids kept tell it at no cost per line."""
    waiting = sum(1 for ident in scan.parents_of if ident not in scan.heights)
    if scan.count() == len(scan.heights) - len(known) + waiting:
        return
    first: dict[bytes, str] = {ident: "a line verified before" for ident in known}
    for rel, ids in scan.order.items():
        for index, ident in enumerate(ids):
            if not ident:
                continue
            number = scan.first_line[rel] + index
            where = first.setdefault(ident, f"{rel}:{number}")
            if where != f"{rel}:{number}":
                message = f"{_TWICE}; first at {where}"
                report.findings.append(Finding(rel, number, message, ident.decode()))


def _height_before(scan: Scan, rel: str, index: int, last: dict[str, Any]) -> int:
    ids = scan.order[rel]
    for before in range(index - 1, -1, -1):
        height = scan.heights.get(ids[before])
        if height is not None:
            return height
    return int(last.get(rel, [None, -1])[1])
