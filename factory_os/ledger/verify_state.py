"""What `fos verify` remembers between runs, per worktree and branch, in
`<git dir>/fos/verify/<key>.json`: one typed record per thing remembered, stored
as the JSON lists and objects they always were (NamedTuples are written as lists).

A state that is damaged, or from another version, reads as None: verify then
checks everything, as on a first run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple

from factory_os.ledger.report import FileRecord
from factory_os.ledger.segments import SegmentMark, Stat

VERSION = 2


class HeadAt(NamedTuple):
    """Where a head verified by an earlier run was, and its height."""

    height: int
    segment: str
    line: int


class LastEntry(NamedTuple):
    """The last entry verified in a segment."""

    id: str
    height: int


class IntactFile(NamedTuple):
    """An append-only file found with its recorded digest, and its stat then."""

    sha256: str
    stat: Stat

    def to_json(self) -> dict[str, Any]:
        return {"sha256": self.sha256, "stat": self.stat.__dict__}


@dataclass
class VerifyState:
    # how far each segment was verified; None: a mark is unusable (verify all again)
    marks: dict[str, SegmentMark] | None
    heads: dict[str, HeadAt]  # entry id -> where
    last: dict[str, LastEntry]  # segment (as shown) -> its last entry
    refs: dict[str, list[FileRecord]]  # append-only file -> the entries recording it
    entries: int
    files: dict[str, IntactFile] = field(default_factory=dict)
    tracked: dict[str, Any] | None = None  # `segments.tracked_paths`' memo
    index: list[int] | None = None  # the id index beside this state: its stat (`Stat`'s fields)

    def to_json(self) -> dict[str, Any]:
        value: dict[str, Any] = {
            "v": VERSION,
            "marks": {name: mark.to_json() for name, mark in (self.marks or {}).items()},
            "heads": self.heads,
            "last": self.last,
            "refs": self.refs,
            "entries": self.entries,
            "files": {path: intact.to_json() for path, intact in self.files.items()},
        }
        if self.tracked is not None:
            value["tracked"] = self.tracked
        if self.index is not None:
            value["index"] = self.index
        return value

    @classmethod
    def from_json(cls, value: dict[str, Any] | None) -> VerifyState | None:
        if value is None or value.get("v") != VERSION:
            return None
        try:
            return cls(
                _marks(value["marks"]),
                {str(k): HeadAt(int(h), str(s), int(n)) for k, (h, s, n) in value["heads"].items()},
                {str(k): LastEntry(str(i), int(h)) for k, (i, h) in value["last"].items()},
                {
                    str(path): [
                        FileRecord(str(a), str(b), int(c), str(d)) for a, b, c, d in records
                    ]
                    for path, records in value["refs"].items()
                },
                int(value["entries"]),
                {
                    str(path): IntactFile(str(item["sha256"]), Stat(**item["stat"]))
                    for path, item in value.get("files", {}).items()
                },
                value.get("tracked"),
                [int(n) for n in value["index"]] if "index" in value else None,
            )
        except (KeyError, TypeError, ValueError, AttributeError):
            return None


def _marks(raw: Any) -> dict[str, SegmentMark] | None:
    marks = {}
    for name, value in raw.items():
        mark = SegmentMark.from_json(value)
        if mark is None or not mark.prefix_sha256:
            return None
        marks[str(name)] = mark
    return marks


# -- what was read, by content: shared by every worktree and branch of a clone ----

READ_VERSION = 1
READ_KEPT = 4  # prefixes kept per segment (the longest)


class ReadPrefix(NamedTuple):
    """The first LINES lines of a segment, END bytes whose sha256 is PREFIX_SHA256, were
    each read as readers read them, and accepted: true of any file with those bytes."""

    end: int
    lines: int
    prefix_sha256: str


def read_prefixes_from_json(value: dict[str, Any] | None) -> dict[str, list[ReadPrefix]]:
    """Segment name -> the prefixes read (none when VALUE is damaged or another version)."""
    if value is None or value.get("v") != READ_VERSION:
        return {}
    try:
        return {
            str(name): [ReadPrefix(int(e), int(n), str(d)) for e, n, d in items]
            for name, items in value["segments"].items()
        }
    except (KeyError, TypeError, ValueError, AttributeError):
        return {}


def with_read_prefixes(
    known: dict[str, list[ReadPrefix]], new: dict[str, ReadPrefix]
) -> dict[str, list[ReadPrefix]] | None:
    """KNOWN with the NEW prefixes added (the READ_KEPT longest of each segment), or
    None when they add nothing."""
    merged = dict(known)
    changed = False
    for name, prefix in new.items():
        items = merged.get(name, [])
        if prefix in items or not prefix.lines:
            continue
        merged[name] = sorted({*items, prefix}, reverse=True)[:READ_KEPT]
        changed = True
    return merged if changed else None


def read_prefixes_to_json(prefixes: dict[str, list[ReadPrefix]]) -> dict[str, Any]:
    return {"v": READ_VERSION, "segments": prefixes}
