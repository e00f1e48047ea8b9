"""A rule's status, from one replay of the ledger (DESIGN section 3, Rules).

A rule file is never rewritten: superseding and retiring it are `rule.superseded`
and `rule.retired` ledger events. `decide` is the one place a rule's status is
decided, for `fos check` (which rules are in force), `fos rule list`, `fos
context` and `fos drift` alike:

- the first ending event in replay order (height, then id) wins; a later one for
  the same rule (made on a concurrent branch) changes nothing;
- a rule no event has ended keeps the status its file was written with;
- a rule file that no `rule.added` entry records (written by hand) binds like any
  other, and is flagged `recorded=False` (`fos verify` reports the file too).

`rule_events` is the one reader of the ledger's rule events: the work tree's
ledger, or the ledger at a commit. What it counts is decided there and only
there: an entry whose id is the hash of its bytes and whose parents are entries
of the ledger. A line written by hand (a forged id, a new segment with a lone
`rule.retired`) ends nothing; `fos verify` reports it. The work tree's segments
are read only from where the last run stopped (kept in the compiled cache,
keyed on each file's stat), so a rule event appended or a segment replaced is
always seen; a parent that is not the line before is looked for among every
line once, and the answer kept with the segment. A commit's ledger is one `git
grep`, cached by commit. Only when two events end the same rule does it place
the whole ledger in its DAG to know which came first.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping, Sequence

from factory_os import paths
from factory_os.git import plumbing as git
from factory_os.rules.cache import Cache

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import NamedTuple

    from _typeshed import StrPath
else:
    from factory_os.records import NamedTuple

LEDGER_DIR = f"{paths.LEDGER_DIR}/"
RULE_EVENT = '"kind":"rule.'  # in every rule event's line; rarely elsewhere
RULE_EVENT_BYTES = RULE_EVENT.encode()
EVERY_ENTRY = '"parents":['
ENDINGS = ("superseded", "retired")


class RuleEvent(NamedTuple):
    """One `rule.<kind>` entry: KIND is `added`, `superseded` or `retired`."""

    id: str
    kind: str
    subject: str
    by: str | None = None  # the superseding rule
    # its parents not known yet to be entries (a parent that is the line before is)
    unknown: tuple[str, ...] = ()


class RuleState(NamedTuple):
    status: str  # active | superseded | retired
    superseded_by: str | None
    recorded: bool  # a `rule.added` entry records the rule


class SegmentScan(NamedTuple):
    """What the cache keeps of one work-tree segment: its stat when read, the
    offset read up to (a whole line), and the rule events up to there."""

    stamp: tuple[int, int, int, int]  # inode, size, mtime_ns, ctime_ns
    end: int
    events: tuple[RuleEvent, ...]
    last: str = ""  # the id of the line that ends at END


def decide(
    written: Mapping[str, tuple[str, str | None]], events: Sequence[RuleEvent]
) -> dict[str, RuleState]:
    """Rule id -> its state, for every rule WRITTEN (id -> the status and
    superseded_by its file holds) and every rule EVENTS (in replay order) name."""
    ended: dict[str, tuple[str, str | None]] = {}
    added: set[str] = set()
    for event in events:
        if event.kind == "added":
            added.add(event.subject)
        elif event.kind in ENDINGS and event.subject not in ended:
            ended[event.subject] = (event.kind, event.by)
    states = {}
    for rule_id in {*written, *ended, *added}:
        status, by = ended.get(rule_id) or written.get(rule_id) or ("active", None)
        states[rule_id] = RuleState(status, by, rule_id in added)
    return states


class WrittenRule(NamedTuple):
    """A rule file as written: the id it declares, its path, status and superseded_by."""

    id: str
    path: str
    status: str
    superseded_by: str | None


def file_id(path: str) -> str:
    """The id a rule file must bear: its file name without `.yaml`."""
    return path.rpartition("/")[2].removesuffix(".yaml")


def file_states(rules: Sequence[WrittenRule], events: Sequence[RuleEvent]) -> list[RuleState]:
    """The state of each of RULES, in order. A rule's events are looked up by its id
    only when its file bears that id: otherwise a new file reusing the id of a rule
    in force could retire it, or take its place (such a file keeps its own status)."""
    named = {r.id: (r.status, r.superseded_by) for r in rules if r.id == file_id(r.path)}
    states = decide(named, events)
    return [
        states[r.id] if r.id in named else RuleState(r.status, r.superseded_by, False)
        for r in rules
    ]


def rule_states(root: StrPath, rules: Sequence[WrittenRule]) -> list[RuleState]:
    """`file_states` over the work tree's ledger of the factory at ROOT."""
    return file_states(rules, rule_events(root))


def rule_events(
    root: StrPath,
    *,
    cache: Cache | None = None,
    treeish: str | None = None,
    worktree: StrPath | None = None,
    prefix: str = "",
    content: str | None = None,
) -> list[RuleEvent]:
    """The rule events of the ledger, in replay order: in the work tree of the
    factory at ROOT, or (TREEISH) at that commit of the repository at WORKTREE,
    whose factory is at PREFIX ("" or "sub/dir/"). CONTENT, when given, names
    that ledger's content (its segments' blob ids): the events are cached by it,
    so commits that leave the ledger alone read it once."""
    if treeish is not None:
        assert worktree is not None
        key = f"ledger={content}" if content is not None else f"{treeish}:{prefix}"
        found = cache.get("rule-events", key) if cache is not None else None
        if found is not None:
            return [RuleEvent(*e) for e in found]
        where = prefix + LEDGER_DIR
        lines = git.grep_segments(worktree, treeish, (EVERY_ENTRY,), where)
        events = _known(_parse([line for line in lines if RULE_EVENT_BYTES in line]), lines)
        events = _in_order([e for e in events if not e.unknown], lambda: lines)
        if cache is not None:
            cache.put("rule-events", key, [tuple(e) for e in events])
        return events
    directory = os.path.join(root, LEDGER_DIR)
    try:
        # as `segments.segment_paths` lists them: opening a FIFO would wait forever
        names = sorted(
            e.name
            for e in os.scandir(directory)
            if e.name.endswith(paths.SEGMENT_SUFFIX) and e.is_file()
        )
    except (FileNotFoundError, NotADirectoryError):
        return []
    scans = [
        _segment_scan(os.path.join(directory, name), cache, f"{root}/{name}") for name in names
    ]
    if any(e.unknown for scan in scans if scan is not None for e in scan.events):
        # parents in other segments (a segment's first line, a merge of heads): looked
        # for among every line once, and what is found kept with each segment
        lines = _all_lines(directory, names)
        for index, scan in enumerate(scans):
            if scan is not None and any(e.unknown for e in scan.events):
                scan = scans[index] = scan._replace(events=tuple(_known(scan.events, lines)))
                if cache is not None:
                    _keep(cache, f"{root}/{names[index]}", scan)
    events = [e for scan in scans if scan is not None for e in scan.events if not e.unknown]
    return _in_order(events, lambda: _all_lines(directory, names))


def _segment_scan(path: str, cache: Cache | None, key: str) -> SegmentScan | None:
    """The rule events of the segment at PATH, from where the cache left off."""
    try:
        with open(path, "rb") as f:
            st = os.fstat(f.fileno())
            stamp = (st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)
            stored = cache.get("segment", key) if cache is not None else None
            known = SegmentScan(*stored) if stored else None
            if known is not None and tuple(known.stamp) == stamp:
                return known._replace(events=tuple(RuleEvent(*e) for e in known.events))
            start, found, last = 0, [], ""
            if known is not None and known.stamp[0] == st.st_ino and known.end <= st.st_size:
                start, last = known.end, known.last
                found = [RuleEvent(*e) for e in known.events]
            f.seek(start)
            data = f.read(st.st_size - start)
    except OSError:
        return None
    end = start + data.rfind(b"\n") + 1
    lines = data[: end - start].split(b"\n")[:-1]
    if RULE_EVENT_BYTES in data:
        found += _parse(lines, last)
    if lines:
        last = lines[-1][:64].decode("ascii", "replace")
    scan = SegmentScan(stamp, end, tuple(found), last)
    if cache is not None:
        _keep(cache, key, scan)
    return scan


def _keep(cache: Cache, key: str, scan: SegmentScan) -> None:
    cache.put("segment", key, (scan.stamp, scan.end, tuple(map(tuple, scan.events)), scan.last))


def _parse(lines: Sequence[bytes], before: str = "") -> list[RuleEvent]:
    """The rule events among LINES (consecutive lines of a segment when BEFORE, the id
    of the line before the first, is given) whose ids are the hash of their bytes.
    A parent that is the line before is known; the others are `unknown` for now."""
    from factory_os.ledger.line import (
        Envelope,
        entry_id,
        parse_envelope,
        parse_full,
        parse_subject,
    )

    found = []
    for index, line in enumerate(lines):
        envelope = parse_envelope(line)
        if not isinstance(envelope, Envelope) or not envelope.kind.startswith(b"rule."):
            continue
        ident = envelope.id.decode("ascii")
        if entry_id(line[65:]) != ident:
            continue  # not what fos wrote: an edited line, or a forged id
        previous = lines[index - 1][:64].decode("ascii", "replace") if index else before
        parents = tuple(p.decode("ascii") for p in envelope.parents)
        kind = envelope.kind[5:].decode("ascii")
        by = None
        if kind == "superseded":
            fields = parse_full(line)
            value = fields["data"].get("by") if isinstance(fields, dict) else None
            by = value if isinstance(value, str) else None
        subject = parse_subject(envelope.subject)
        unknown = tuple(p for p in parents if p != previous)
        found.append(RuleEvent(ident, kind, subject, by, unknown))
    return found


def _known(events: Sequence[RuleEvent], lines: Iterable[bytes]) -> list[RuleEvent]:
    """EVENTS, those whose parents are all entries among LINES marked known; one naming
    a parent that no line is (written by hand, or not there yet) stays unknown and
    counts for nothing."""
    wanted = {p for e in events for p in e.unknown}
    if not wanted:
        return list(events)
    ids = {ident for line in lines if (ident := line[:64].decode("ascii", "replace")) in wanted}
    return [e._replace(unknown=()) if ids.issuperset(e.unknown) else e for e in events]


def _in_order(
    events: list[RuleEvent], every_line: Callable[[], Iterable[bytes]]
) -> list[RuleEvent]:
    """EVENTS in replay order. Order matters only between two events that end the
    same rule; without such a pair the ledger is not read again."""
    subjects = [e.subject for e in events if e.kind in ENDINGS]
    if len(subjects) == len(set(subjects)):
        return events
    from factory_os.ledger import dag
    from factory_os.ledger.line import Envelope, parse_envelope

    parents = {}
    for line in every_line():
        envelope = parse_envelope(line)
        if isinstance(envelope, Envelope):
            parents[envelope.id.decode("ascii")] = [p.decode("ascii") for p in envelope.parents]
    heights = dag.place(parents, ignore_missing=True).heights
    last = max(heights.values(), default=0) + 1
    return sorted(events, key=lambda e: (heights.get(e.id, last), e.id))


def _all_lines(directory: str, names: Sequence[str]) -> list[bytes]:
    lines: list[bytes] = []
    for name in names:
        try:
            with open(os.path.join(directory, name), "rb") as f:
                lines += f.read().split(b"\n")
        except OSError:
            continue
    return lines
