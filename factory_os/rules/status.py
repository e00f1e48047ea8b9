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
there. The work tree's segments are read only from where the last run stopped
(kept in the compiled cache, keyed on each file's stat), so a rule event
appended or a segment replaced is always seen; a commit's ledger is one
`git grep`, cached by commit. Only when two events end the same rule does it
place the whole ledger in its DAG to know which came first.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path

from factory_os import paths
from factory_os.git import plumbing as git
from factory_os.rules.cache import Cache

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import NamedTuple
else:
    from factory_os.records import NamedTuple

LEDGER_DIR = f"{paths.LEDGER_DIR}/"
RULE_EVENT = '"kind":"rule.'  # in every rule event's line; rarely elsewhere
EVERY_ENTRY = '"parents":['
ENDINGS = ("superseded", "retired")


class RuleEvent(NamedTuple):
    """One `rule.<kind>` entry: KIND is `added`, `superseded` or `retired`."""

    id: str
    kind: str
    subject: str
    by: str | None = None  # the superseding rule


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


def rule_states(root: Path, rules: Sequence[WrittenRule]) -> list[RuleState]:
    """`file_states` over the work tree's ledger of the factory at ROOT."""
    return file_states(rules, rule_events(root))


def rule_events(
    root: Path,
    *,
    cache: Cache | None = None,
    treeish: str | None = None,
    worktree: Path | None = None,
    prefix: str = "",
) -> list[RuleEvent]:
    """The rule events of the ledger, in replay order: in the work tree of the
    factory at ROOT, or (TREEISH) at that commit of the repository at WORKTREE,
    whose factory is at PREFIX ("" or "sub/dir/")."""
    if treeish is not None:
        assert worktree is not None
        key = f"{treeish}:{prefix}"
        found = cache.get("rule-events", key) if cache is not None else None
        if found is not None:
            return [RuleEvent(*e) for e in found]
        where = prefix + LEDGER_DIR
        events = _parse(git.grep_tree(worktree, treeish, (RULE_EVENT,), where))
        events = _in_order(events, lambda: git.grep_tree(worktree, treeish, (EVERY_ENTRY,), where))
        if cache is not None:
            cache.put("rule-events", key, [tuple(e) for e in events])
        return events
    directory = root / LEDGER_DIR
    try:
        # as `segments.segment_paths` lists them: opening a FIFO would wait forever
        names = sorted(
            e.name
            for e in os.scandir(directory)
            if e.name.endswith(paths.SEGMENT_SUFFIX) and e.is_file()
        )
    except (FileNotFoundError, NotADirectoryError):
        return []
    events = []
    for name in names:
        events += _segment_events(directory / name, cache, f"{root}/{name}")
    return _in_order(events, lambda: _all_lines(directory, names))


def _segment_events(path: Path, cache: Cache | None, key: str) -> list[RuleEvent]:
    try:
        with path.open("rb") as f:
            st = os.fstat(f.fileno())
            stamp = (st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)
            stored = cache.get("segment", key) if cache is not None else None
            known = SegmentScan(*stored) if stored else None
            if known is not None and tuple(known.stamp) == stamp:
                return [RuleEvent(*e) for e in known.events]
            start, found = 0, []
            if known is not None and known.stamp[0] == st.st_ino and known.end <= st.st_size:
                start, found = known.end, [RuleEvent(*e) for e in known.events]
            f.seek(start)
            data = f.read(st.st_size - start)
    except OSError:
        return []
    end = start + data.rfind(b"\n") + 1
    if RULE_EVENT.encode() in data:
        found += _parse(data[: end - start].split(b"\n"))
    if cache is not None:
        cache.put("segment", key, (stamp, end, tuple(tuple(e) for e in found)))
    return found


def _parse(lines: Iterable[bytes]) -> list[RuleEvent]:
    from factory_os.ledger.line import Envelope, parse_envelope, parse_full, parse_subject

    found = []
    for line in lines:
        envelope = parse_envelope(line)
        if not isinstance(envelope, Envelope) or not envelope.kind.startswith(b"rule."):
            continue
        kind = envelope.kind[5:].decode("ascii")
        by = None
        if kind == "superseded":
            fields = parse_full(line)
            value = fields["data"].get("by") if isinstance(fields, dict) else None
            by = value if isinstance(value, str) else None
        subject = parse_subject(envelope.subject)
        found.append(RuleEvent(envelope.id.decode("ascii"), kind, subject, by))
    return found


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


def _all_lines(directory: Path, names: Sequence[str]) -> list[bytes]:
    lines: list[bytes] = []
    for name in names:
        try:
            lines += (directory / name).read_bytes().split(b"\n")
        except OSError:
            continue
    return lines
