"""The hot path of `fos verify`: one streaming pass over the segments that hashes
every line, reads its frame, places it in the DAG, and notes the problems it finds
(`ledger_place` places what the pass could not).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
from collections.abc import Generator, Mapping
from dataclasses import dataclass, field
from itertools import compress, count
from operator import attrgetter, ne
from pathlib import Path
from typing import Any, NamedTuple

from factory_os.ledger import segments
from factory_os.ledger.line import (
    DOMAIN,
    hex_ids,
    id_text,
    is_refs_body,
    parse_envelope,
    parse_refs,
    refused,
    split_parents,
    vouched,
)
from factory_os.ledger.report import FileRecord, LedgerProblem
from factory_os.store import Factory


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
    refs: dict[str, list[FileRecord]] = field(default_factory=dict)  # file -> entries recording it
    findings: list[LedgerProblem] = field(default_factory=list)
    marks: dict[str, segments.SegmentMark] = field(default_factory=dict)

    def count(self) -> int:
        return sum(len(ids) for ids in self.order.values()) - self.unreadable

    def has(self, ident: bytes) -> bool:
        return ident in self.heights or ident in self.parents_of


def scan_lines(
    factory: Factory,
    steps: Any,
    heights: dict[bytes, int],
    last: Mapping[str, int],
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
    `fos ledger log` refuses, except the lines that end within the first
    CHECKED[segment] bytes, which an earlier run checked and which are known to
    be the same (the caller hashed them). A line is placed at once when its parents are (usually its
    only parent is the line before); `ledger_place.place_rest` does the rest.
    """
    checked = checked or {}
    scan = Scan(heights)
    # Each segment's pass waits where a line names a parent not placed yet (a merge
    # of a segment not read that far) while another segment's pass can go on; when
    # none can, the waiting ones go on without placing, and `place_rest` places the
    # rest. What each pass finds is kept apart and joined in the order of STEPS.
    found: list[tuple[list[LedgerProblem], dict[str, list[FileRecord]]]] = []
    pending: list[tuple[Generator[bytes, bool, None], bytes]] = []
    for seg_path, offset, first in steps:
        rel = factory.rel(seg_path)
        order: list[bytes] = []
        scan.order[rel] = order
        scan.first_line[rel] = first
        findings: list[LedgerProblem] = []
        refs: dict[str, list[FileRecord]] = {}
        found.append((findings, refs))
        trusted = checked.get(seg_path.name, 0)
        previous = last.get(rel, -1)
        task = _scan_segment(
            scan, rel, seg_path, offset, first, previous, trusted, order, findings, refs
        )
        pending.append((task, b""))
    while pending:
        waiting = []
        for task, parent in pending:
            if parent and parent not in heights:
                waiting.append((task, parent))
                continue
            with contextlib.suppress(StopIteration):
                waiting.append((task, task.send(bool(parent)) if parent else next(task)))
        if len(waiting) == len(pending) and all(p not in heights for _, p in waiting):
            for task, _ in waiting:  # nothing can be placed in order any more
                with contextlib.suppress(StopIteration):
                    task.send(False)  # it places no more, so it waits no more
            waiting = []
        pending = waiting
    for findings, refs in found:
        scan.findings.extend(findings)
        for ref_path, records in refs.items():
            scan.refs.setdefault(ref_path, []).extend(records)
    return scan


def _scan_segment(
    scan: Scan,
    rel: str,
    seg_path: Path,
    offset: int,
    first: int,
    previous: int,
    trusted: int,
    order: list[bytes],
    findings: list[LedgerProblem],
    refs: dict[str, list[FileRecord]],
) -> Generator[bytes, bool, None]:
    """The pass over one segment (see `scan_lines`): yields a parent it waits for, and
    is sent True to try again or False to go on without placing.

    It reads the segment a block of lines at a time. A block whose every line
    `_vouch_block` vouches for (its id, and its reading as a reader reads it) is
    placed in bulk: a run of lines each naming only
    the line before gets consecutive heights at once, and only the other lines are
    looked at one by one. Any other block is read line by line, each problem found
    where it is, and so is a block of lines that end within the first TRUSTED bytes
    (read before: their JSON is not read again, which is faster one by one)."""
    heights = scan.heights
    parents_of = scan.parents_of
    named_update = scan.named.update
    candidate = scan.candidates.append
    height_of = heights.get
    sha256 = hashlib.sha256
    append = order.append
    placing = True
    number = first - 1
    torn = prev = b""
    # lines to read as a reader does, in batches (`refused`), with where their
    # problem goes among the findings: (position, line number, id)
    unread: list[bytes] = []
    unread_at: list[tuple[int, int, bytes]] = []

    def place(number: int, ident: bytes, raw: bytes, index: int) -> Generator[bytes, bool, None]:
        """Place the line NUMBER (RAW, its IDENT, the INDEX-th of the pass), which does
        not name only the line before, waiting for its parents while the pass places."""
        nonlocal previous, placing, prev
        if prev:
            candidate(prev)
        prev = ident
        r = raw.rfind(b'],"refs":[')
        p = raw.rfind(b',"parents":[', 0, r)
        raw_parents = raw[p + 12 : r]
        parents = split_parents(raw_parents)
        if parents is None:
            findings.append(LedgerProblem(rel, number, "malformed parents", id_text(ident)))
            raw_parents = b""
            parents = ()
        named_update(parents)
        top = -1
        while placing:
            top = -1
            for parent in parents:
                height = height_of(parent)
                if height is None:
                    break
                if height > top:
                    top = height
            else:
                break
            if not (yield parent):
                placing = False
                scan.blocked[rel] = index
        if placing:
            if top < previous:
                findings.append(LedgerProblem(rel, number, _OUT_OF_ORDER, id_text(ident)))
            previous = heights[ident] = top + 1
        else:  # not placed yet: keep its parents for `ledger_place.place_rest`
            parents_of[ident] = raw_parents[1:65] if len(raw_parents) == 66 else raw_parents

    at = offset  # where the next line starts
    read_before = number  # the last line an earlier run read (ending at TRUSTED or before)
    with seg_path.open("rb") as f:
        stat = os.fstat(f.fileno())
        f.seek(offset)
        while True:
            data = f.read(BLOCK_BYTES)
            if not data:
                break
            lines = data.split(b"\n")
            carried = len(torn)
            if torn:
                lines[0] = torn + lines[0]
            torn = lines.pop()  # after the last newline: the start of the next line
            if not lines:
                continue
            stop = at + carried + len(data) - len(torn)
            if trusted >= stop:
                read_before = number + len(lines)
            elif trusted > at + carried:
                read_before = number + data.count(b"\n", 0, trusted - at - carried)
            at = stop
            base = len(order)
            # lines an earlier run read in full are read faster one by one (no JSON)
            block = None if number + len(lines) <= read_before else _vouch_block(lines, prev)
            if block is not None:
                order.extend(block.ids)
                for index in block.refs:
                    raw = lines[index]
                    r = raw.rfind(b'],"refs":[')
                    _record_refs(findings, refs, raw, r, rel, number + 1 + index, block.ids[index])
                start = 0
                for index in block.odd:
                    if index > start:  # a run of lines, each naming the line before
                        run = block.ids[start:index]
                        if placing:
                            heights.update(
                                zip(run, range(previous + 1, previous + 1 + len(run)), strict=True)
                            )
                            previous += len(run)
                        else:
                            parents_of.update(zip(run, [prev, *run[:-1]], strict=True))
                        prev = run[-1]
                    if index == len(lines):
                        break
                    yield from place(
                        number + 1 + index, block.ids[index], lines[index], base + index
                    )
                    start = index + 1
                number += len(lines)
                continue
            for raw in lines:
                number += 1
                r = raw.rfind(b'],"refs":[')
                p = raw.rfind(b',"parents":[', 0, r)
                if p < 65 or not raw.endswith(b',"v":1}') or not raw.startswith(b' {"actor":"', 64):
                    findings.append(LedgerProblem(rel, number, _what_is_wrong(raw), _id_of(raw)))
                    append(b"")
                    scan.unreadable += 1
                    continue
                ident = raw[:64]
                if sha256(DOMAIN + raw[65:]).hexdigest().encode() != ident:
                    findings.append(LedgerProblem(rel, number, _EDITED, id_text(ident)))
                elif number > read_before:
                    unread.append(raw)
                    unread_at.append((len(findings), number, ident))
                    if len(unread) == BATCH:
                        _read_batch(rel, unread, unread_at, findings)
                if not raw.startswith(b'],"subject":"', r + 10):
                    _record_refs(findings, refs, raw, r, rel, number, ident)
                append(ident)
                if prev and r - p == 78 and raw.startswith(prev, p + 13):
                    # the common case: the only parent is the line before
                    if placing:
                        previous = heights[ident] = previous + 1
                    else:
                        parents_of[ident] = prev
                    prev = ident
                    continue
                yield from place(number, ident, raw, len(order) - 1)
        end = f.tell() - len(torn)
    _read_batch(rel, unread, unread_at, findings)
    if prev:
        candidate(prev)
    if torn:
        findings.append(LedgerProblem(rel, number + 1, _torn(len(torn))))
    scan.marks[seg_path.name] = segments.make_mark(seg_path, stat, end, number)


# bytes read at a time: a block of lines (`_vouch_block`)
BLOCK_BYTES = 1 << 18


class _Block(NamedTuple):
    """A block of lines vouched for: their ids, the lines with refs, and the lines that
    do not name only the line before (sorted, then the number of lines)."""

    ids: list[bytes]
    refs: list[int]
    odd: list[int]


def _vouch_block(lines: list[bytes], prev: bytes) -> _Block | None:
    """LINES (each without its newline) when every one is an entry whose id is the
    hash of its bytes and that a reader reads (`line.vouched`); None when one is not,
    or msgspec cannot tell. PREV: the id of the line before (b"": none read in this
    pass)."""
    bodies = [raw[65:] for raw in lines]
    sha256 = hashlib.sha256
    digests = b"".join([sha256(DOMAIN + body).digest() for body in bodies])
    ids = digests.hex(" ", ID_BYTES)
    if b"".join([raw[:65] for raw in lines]) != (ids + " ").encode():
        return None  # an id that is not the hash of its line, or no space after it
    entries = vouched(bodies, parents=False)
    if entries is None:
        return None
    # the lines whose parents are not (as a tuple) the one id of the line before: only
    # theirs may not be ids
    after = zip([id_text(prev), *ids.split(" ")[:-1]])
    odd = list(compress(count(), map(ne, map(_parents_of, entries), after)))
    if odd and not hex_ids([parent for index in odd for parent in entries[index].parents]):
        return None
    odd.append(len(lines))
    refs = list(compress(count(), map(_refs_of, entries)))
    return _Block([raw[:64] for raw in lines], refs, odd)


ID_BYTES = 32
_parents_of = attrgetter("parents")
_refs_of = attrgetter("refs")


BATCH = 4096


def _read_batch(
    rel: str,
    unread: list[bytes],
    unread_at: list[tuple[int, int, bytes]],
    findings: list[LedgerProblem],
) -> None:
    """Each line of UNREAD that a reader refuses, as a finding in its place; then empty
    UNREAD and UNREAD_AT for the next batch."""
    for index, problem in sorted(refused(unread).items(), reverse=True):
        position, number, ident = unread_at[index]
        findings.insert(position, LedgerProblem(rel, number, problem, id_text(ident)))
    unread.clear()
    unread_at.clear()


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


def _record_refs(
    findings: list[LedgerProblem],
    recorded: dict[str, list[FileRecord]],
    raw: bytes,
    r: int,
    rel: str,
    number: int,
    ident: bytes,
) -> None:
    u = raw.rfind(b'],"subject":"')
    refs = raw[r + 10 : u]
    if u < r + 10 or not is_refs_body(refs):
        findings.append(LedgerProblem(rel, number, "malformed refs", id_text(ident)))
        return
    for ref_path, sha in parse_refs(refs):
        recorded.setdefault(ref_path, []).append(FileRecord(sha, rel, number, id_text(ident)))


_EDITED = "id does not match the line's bytes: the line was edited, or its id forged"
_OUT_OF_ORDER = (
    "line is out of order: it does not descend from the line before it"
    " (lines reordered, moved or copied?)"
)


def _torn(size: int) -> str:
    return (
        f"incomplete last line ({size} bytes after the last newline): a write was"
        " interrupted, or the segment was truncated"
    )
