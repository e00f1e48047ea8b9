"""What `fos verify` reports: each problem with the ledger or an append-only file,
where it is, and the figures of the run. (`Finding` and `Report`, unqualified,
are the rule engine's: a rule's finding about a change.)"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple

from factory_os import paths


@dataclass(frozen=True)
class LedgerProblem:
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
        where = f"{self.path}:{self.line}" if self.line else self.path
        about = "".join(
            f" {label} {value}:"
            for label, value in (("commit", self.commit), ("entry", self.entry))
            if value
        )
        return f"{where}:{about} {self.message}"

    def to_json(self) -> dict[str, Any]:
        in_ledger = self.segment is None and paths.is_segment(self.path)
        return {
            "path": self.path,
            "line": self.line,
            "entry": self.entry,
            "commit": self.commit,
            "segment": self.path if in_ledger else self.segment,
            "segment_line": (self.line or None) if in_ledger else self.segment_line,
            "message": self.message,
        }


class FileRecord(NamedTuple):
    """A ledger entry that records an append-only file with its sha256."""

    sha256: str
    segment: str
    line: int
    entry: str


@dataclass
class VerifyReport:
    findings: list[LedgerProblem] = field(default_factory=list)
    entries: int = 0
    segments: int = 0
    heads: list[str] = field(default_factory=list)
    files: int = 0
    read: int = 0  # entries hashed in this run (all of them unless incremental)
    commits: int | None = None  # commits walked by the history check
    shallow: bool = False  # the history walked stops at a shallow clone's boundary
    # append-only file -> the (first) entry that recorded it
    recorded: dict[str, FileRecord] = field(default_factory=dict)
