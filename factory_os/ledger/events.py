"""The ledger: an append-only, hash-chained, branch-safe log of governance events.

Layout. `.factory/ledger/<segment>.jsonl`, one segment per clone, worktree and
branch (see `factory_os.ledger.segments`), each line `<id> <canonical JSON>` (see
`factory_os.ledger.line`). Every entry names as `parents` the heads it saw, across
all segments, so entries form a DAG like git commits; two branches appending at
once make two heads, and the next append after a merge names both. Replay order
is (height, id).

Writing. Appends are serialised between processes by a file lock under the git
common directory, and each is one write() of a whole line with O_APPEND, then
fsync. A crash mid-write can at worst leave a torn tail, bytes after the last
newline: readers ignore it, `fos verify` reports it, and the next append to that
segment repairs it (`_repair_tail`): a whole entry that only lost its newline
gets it back; anything else is moved to `<git dir>/fos/torn/` and the segment
cut back to its last whole line, so the ledger never stays unreadable; bytes
git has committed are never cut. `record_file` writes a new
governance file and then its entry, under the lock: the ledger line is the commit
point, and a file left without its entry by a crash is reported as unrecorded.

Rules. A rule file is never rewritten, not even to change its status: superseding
and retiring are `rule.superseded` and `rule.retired` events, from which
`factory_os.rules.status` derives a rule's effective status. So the file's own
`status` is what it was written with, and the ledger is the only place a rule's
life is told.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
import time
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from factory_os import atomic, clock
from factory_os.errors import EnvironmentProblem, FosError, InvalidInput, Problem
from factory_os.git import plumbing as git
from factory_os.ledger import canonical, dag, segments
from factory_os.ledger.entry import (  # readers import them here too
    Entry as Entry,
    Ref as Ref,
    entry_from_fields as entry_from_fields,
)
from factory_os.ledger.line import (
    ID_HEX,
    KIND,
    Envelope,
    encode,
    entry_id,
    parse_envelope,
    parse_full,
    parse_refs,
    parse_subject,
)
from factory_os.store import Factory

if TYPE_CHECKING:
    from factory_os.model.ledger import FileRef

LOCK_TIMEOUT_SECONDS = 60


# -- writing -------------------------------------------------------------------


@contextlib.contextmanager
def locked(factory: Factory) -> Iterator[None]:
    """Hold the ledger's lock: one writer at a time across processes on this machine."""
    from filelock import FileLock, Timeout

    path = segments.shared_state_dir(factory) / "ledger.lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(path), timeout=LOCK_TIMEOUT_SECONDS)
    try:
        lock.acquire()
    except Timeout:
        raise EnvironmentProblem(
            f"the ledger has been locked by another fos process for {LOCK_TIMEOUT_SECONDS} s"
            f" ({path}); try again once it has finished"
        ) from None
    try:
        yield
    finally:
        lock.release()


def append(
    factory: Factory,
    *,
    kind: str,
    actor: str,
    subject: str = "",
    refs: Iterable[FileRef | tuple[str, str]] = (),
    data: Mapping[str, Any] | None = None,
    unless: Callable[[Factory], None] | None = None,
) -> str:
    """Append one event naming the current heads as parents; return its id.

    UNLESS runs under the ledger's lock first and raises to refuse the append: a
    check of the ledger's state (a rule is still active) that another process
    cannot make stale before the event is written."""
    fields = _fields(kind=kind, actor=actor, subject=subject, refs=refs, data=data)
    require_member(factory, actor)
    with locked(factory):
        if unless is not None:
            unless(factory)
        return _append_locked(factory, fields)


def record_file(
    factory: Factory,
    path: Path,
    content: str | bytes,
    *,
    kind: str,
    actor: str,
    subject: str,
    data: Mapping[str, Any] | None = None,
) -> str:
    """Create the new append-only file PATH and its ledger entry as one step; return the id."""
    payload = content.encode("utf-8") if isinstance(content, str) else content
    rel = factory.rel(path)
    ref = Ref(rel, hashlib.sha256(payload).hexdigest())
    fields = _fields(kind=kind, actor=actor, subject=subject, refs=[ref], data=data)
    require_member(factory, actor)
    with locked(factory):
        segments.ensure_attributes(factory)
        try:
            atomic.write_new(path, payload)
        except FileExistsError:
            raise InvalidInput.one(
                rel, 0, "already exists; an append-only file is never overwritten"
            ) from None
        try:
            return _append_locked(factory, fields)
        except FosError:
            # the line is the commit point: a failure fos reports (a full disk) leaves no
            # file without it; a crash still may, which verify reports as unrecorded
            path.unlink(missing_ok=True)
            raise


def record_growth(
    factory: Factory,
    path: Path,
    addition: Callable[[bytes], bytes],
    *,
    kind: str,
    actor: str,
    subject: str,
    data: Mapping[str, Any] | None = None,
) -> str:
    """Add ADDITION (given the file's bytes now) at the end of the append-only file PATH
    that may grow, and record it as one step: its entry names the sha256 before and
    after. The old content stays a prefix of the new; return the entry's id."""
    rel = factory.rel(path)
    require_member(factory, actor)
    with locked(factory):
        try:
            old = path.read_bytes()
        except FileNotFoundError:
            raise InvalidInput.one(rel, 0, "does not exist; nothing to add to") from None
        new = old + addition(old)
        recorded = {
            **(data or {}),
            "path": rel,
            "prior_sha256": hashlib.sha256(old).hexdigest(),
            "sha256": hashlib.sha256(new).hexdigest(),
        }
        fields = _fields(kind=kind, actor=actor, subject=subject, refs=(), data=recorded)
        atomic.write_atomic(path, new)
        return _append_locked(factory, fields)


def _fields(
    *,
    kind: str,
    actor: str,
    subject: str,
    refs: Iterable[FileRef | tuple[str, str]],
    data: Mapping[str, Any] | None,
) -> dict[str, Any]:
    if not KIND.fullmatch(kind):
        raise ValueError(f"ledger event kind {kind!r} is not like `rule.added`")
    if not actor.strip():
        raise ValueError("a ledger event needs an actor")
    ref_list = []
    for ref in refs:
        path, sha = ref if isinstance(ref, tuple) else (ref.path, ref.sha256)
        ref_list.append({"path": path, "sha256": sha})
    fields = {
        "v": 1,
        "kind": kind,
        "at": clock.stamp(),
        "actor": actor,
        "subject": subject,
        "refs": ref_list,
        "parents": [],
        "data": dict(data or {}),
    }
    try:
        canonical.dumps(fields)
    except canonical.NotCanonical as exc:
        raise InvalidInput.one("<ledger entry>", 0, f"cannot be recorded: {exc}") from None
    return fields


# team.yaml's member ids and emails, by the file's (inode, size, mtime): one parse each
_members: dict[tuple[str, int, int, int], tuple[frozenset[str], frozenset[str]]] = {}


def members(factory: Factory) -> tuple[frozenset[str], frozenset[str]]:
    """The member ids of the work tree's team.yaml, and their emails (both empty when
    it is missing or does not parse: `fos validate` tells why)."""
    path = factory.dir / "team.yaml"
    try:
        stat = path.stat()
    except OSError:
        return frozenset(), frozenset()
    key = (str(path), stat.st_ino, stat.st_size, stat.st_mtime_ns)
    found = _members.get(key)
    if found is None:
        from factory_os import store

        try:
            plain = store.parse_yaml(store.read_text(path, factory.rel(path)), "team.yaml").plain
        except InvalidInput:
            plain = None
        listed = plain.get("members") if isinstance(plain, dict) else None
        listed = [m for m in listed or () if isinstance(m, dict)]
        found = (
            frozenset(m["id"] for m in listed if isinstance(m.get("id"), str)),
            frozenset(
                e.lower()
                for m in listed
                if isinstance(m.get("emails"), list)
                for e in m["emails"]
                if isinstance(e, str)
            ),
        )
        _members[key] = found
    return found


def actor_problem(actor: object, ids: Collection[str], emails: Collection[str] = ()) -> str | None:
    """What is wrong with ACTOR as a ledger entry's actor (None: nothing): it must be the
    id of a member of team.yaml (IDS), never an email or free text. Reading, entries
    written before actors were ids may name a member by one of their EMAILS."""
    from factory_os.model.common import SLUG, SLUG_MAX

    if isinstance(actor, str) and actor.lower() in emails:
        return None
    if not isinstance(actor, str) or not re.fullmatch(SLUG.strip("^$"), actor):
        return f"actor {actor!r} is not a member id"
    if len(actor) > SLUG_MAX or actor not in ids:
        return f"actor {actor!r} is not the id of a member of team.yaml"
    return None


def require_member(factory: Factory, actor: str) -> None:
    """Refuse (exit 3, nothing written) an entry whose actor is not a member id."""
    problem = actor_problem(actor, members(factory)[0])
    if problem is not None:
        raise InvalidInput.one(
            "<ledger entry>", 0, f"cannot be recorded: {problem}; the ledger names members by id"
        )


def _append_locked(factory: Factory, fields: dict[str, Any]) -> str:
    segment = segments.own_segment(factory)
    _repair_tail(factory, segment)
    foreign = segments.foreign_untracked(factory)
    fields["parents"] = _heads_without(factory, foreign) if foreign else heads(factory)
    ident, line = encode(fields)
    atomic.append_line(segment, line)
    heads(factory)  # reads back just this line, so the next append starts there
    return ident


def _repair_tail(factory: Factory, segment: Path) -> None:
    """Make SEGMENT end with a whole line before an append glues onto its tail.

    A complete entry that only lost its newline gets it back. Anything else after
    the last newline (a write cut short) is copied to `<git dir>/fos/torn/` and
    cut off, unless git has committed those bytes: committed ledger bytes are
    never cut, and the append is refused until `fos verify` has been looked at.
    """
    cut, tail = atomic.read_tail(segment)
    if not tail:
        return
    body = tail[ID_HEX + 1 :]
    if len(tail) > ID_HEX + 1 and tail[ID_HEX] == 0x20 and entry_id(body).encode() == tail[:ID_HEX]:
        atomic.end_line(segment)
        return
    committed = git.committed_size(factory.root, segment)
    if committed is not None and committed > cut:
        raise EnvironmentProblem(
            f"{factory.rel(segment)} ends in an incomplete line that git has committed;"
            " it is not cut off automatically (run `fos verify`)"
        )
    torn = segments.state_dir(factory) / "torn" / f"{segment.name}.{time.time_ns()}"
    atomic.cut_tail(segment, cut, torn)


# -- reading -------------------------------------------------------------------


def heads(factory: Factory) -> list[str]:
    """The ids of the entries nothing names as a parent yet, sorted, across all
    segments; read incrementally with marks kept in `<git dir>/fos/ledger-index.json`.
    An index that is damaged, or from another version, is read as empty: rebuilt."""
    index_path = segments.state_dir(factory) / "ledger-index.json"
    marks, known = _read_index(index_path)
    steps = segments.plan(factory, marks)
    if steps is None:
        marks, known = {}, set()
        steps = segments.plan(factory, {})
    assert steps is not None
    new: list[bytes] = []
    named: set[bytes] = set()
    for path, offset, first in steps:
        chunk = segments.read_from(path, offset, first)
        for raw in chunk.lines:
            envelope = parse_envelope(raw)
            if isinstance(envelope, Envelope):  # verify reports the rest
                new.append(envelope.id)
                named.update(envelope.parents)
        marks[chunk.name] = chunk.mark
    result = sorted(h.decode("ascii") for h in (known | set(new)) - named)
    segments.write_json(
        index_path,
        {"v": 1, "marks": {n: m.to_json() for n, m in marks.items()}, "heads": result},
    )
    return result


def left_out(factory: Factory) -> list[str]:
    """Other branches' uncommitted segments in the work tree (left behind by `git
    checkout`), which an append here leaves out of its entry's parents: for the
    command to tell the user."""
    return [factory.rel(path) for path in segments.foreign_untracked(factory)]


def _heads_without(factory: Factory, left_out: Sequence[Path]) -> list[str]:
    """The heads of the ledger without the segments LEFT_OUT: another branch's
    uncommitted entries must not become parents on this branch."""
    ids: set[bytes] = set()
    named: set[bytes] = set()
    for path in segments.segment_paths(factory):
        if path in left_out:
            continue
        for raw in segments.read_from(path, 0, 1).lines:
            envelope = parse_envelope(raw)
            if isinstance(envelope, Envelope):
                ids.add(envelope.id)
                named.update(envelope.parents)
    return sorted(h.decode("ascii") for h in ids - named)


def _read_index(path: Path) -> tuple[dict[str, segments.SegmentMark], set[bytes]]:
    state = segments.read_json(path) or {}
    raw_marks, raw_heads = state.get("marks"), state.get("heads")
    if state.get("v") != 1 or not isinstance(raw_marks, dict) or not isinstance(raw_heads, list):
        return {}, set()
    marks = {}
    for name, value in raw_marks.items():
        mark = segments.SegmentMark.from_json(value)
        if mark is None:
            return {}, set()
        marks[name] = mark
    if not all(isinstance(h, str) and len(h) == ID_HEX and h.isascii() for h in raw_heads):
        return {}, set()
    return marks, {h.encode("ascii") for h in raw_heads}


@dataclass(frozen=True)
class _Stored:
    envelope: Envelope
    raw: bytes
    segment: str
    line: int


def _read_all(factory: Factory) -> list[_Stored]:
    stored: list[_Stored] = []
    for path in segments.segment_paths(factory):
        stored += _stored(factory.rel(path), segments.read_from(path, 0, 1).lines)
    return stored


def _stored(rel: str, lines: Iterable[bytes]) -> list[_Stored]:
    stored = []
    for number, raw in enumerate(lines, start=1):
        envelope = parse_envelope(raw)
        if isinstance(envelope, str):
            raise InvalidInput.one(rel, number, f"{envelope} (run `fos verify`)")
        stored.append(_Stored(envelope, raw, rel, number))
    return stored


def entries_of(contents: Mapping[str, bytes], kinds: Collection[str] | None = None) -> list[Entry]:
    """The entries of segment CONTENTS (factory-relative path -> bytes, as a commit holds
    them) in replay order, or only those of KINDS; a torn tail is passed over."""
    stored = []
    for rel, content in sorted(contents.items()):
        stored += _stored(rel, content.split(b"\n")[:-1])
    return _kept(_in_replay_order(stored), kinds)


def placed_of(
    contents: Mapping[str, bytes], kinds: Collection[str]
) -> tuple[list[Entry], dict[str, int]]:
    """As `entries_of` with KINDS, and the height of every entry of CONTENTS (only the
    frames are read for those of other kinds): what a range's entries are placed on."""
    stored = []
    for rel, content in sorted(contents.items()):
        stored += _stored(rel, content.split(b"\n")[:-1])
    ordered = _in_replay_order(stored)
    heights = {item.envelope.id.decode("ascii"): height for item, height in ordered}
    return _kept(ordered, kinds), heights


def _in_replay_order(stored: Sequence[_Stored]) -> list[tuple[_Stored, int]]:
    by_id = {s.envelope.id: s for s in stored}
    chains: dict[str, list[bytes]] = {}
    for item in stored:
        chains.setdefault(item.segment, []).append(item.envelope.id)
    placement = dag.place(
        {s.envelope.id: s.envelope.parents for s in stored},
        chains=list(chains.values()),
        ignore_missing=True,
    )
    last = max(placement.heights.values(), default=-1) + 1
    order = sorted(by_id, key=lambda i: (placement.heights.get(i, last), i))
    return [(by_id[i], placement.heights.get(i, last)) for i in order]


def _entry(item: _Stored, height: int) -> Entry:
    fields = parse_full(item.raw)
    if isinstance(fields, str):
        raise InvalidInput([Problem(item.segment, item.line, f"{fields} (run `fos verify`)")])
    return Entry(
        id=item.envelope.id.decode("ascii"),
        kind=fields["kind"],
        at=fields["at"],
        actor=fields["actor"],
        subject=fields["subject"],
        refs=tuple(Ref(p, s) for p, s in parse_refs(item.envelope.refs)),
        parents=tuple(fields["parents"]),
        data=fields["data"],
        segment=item.segment,
        line=item.line,
        height=height,
    )


def entries(factory: Factory, kinds: Collection[str] | None = None) -> list[Entry]:
    """Every entry in replay order (height, then id), or only those of KINDS. A line
    that cannot be read is InvalidInput; a torn tail is not an entry and is passed
    over. Only the entries kept are parsed as JSON: the order needs just the frame."""
    return _kept(_in_replay_order(_read_all(factory)), kinds)


def _kept(ordered: list[tuple[_Stored, int]], kinds: Collection[str] | None) -> list[Entry]:
    if kinds is None:
        return [_entry(item, height) for item, height in ordered]
    wanted = {kind.encode("ascii") for kind in kinds}
    return [_entry(item, height) for item, height in ordered if item.envelope.kind in wanted]


def recorded(factory: Factory, kind: str) -> set[str]:
    """The subjects of every KIND event (the incidents recorded, the rules added)."""
    wanted = kind.encode("ascii")
    return {
        parse_subject(item.envelope.subject)
        for item in _read_all(factory)
        if item.envelope.kind == wanted
    }
