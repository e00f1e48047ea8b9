"""A ledger entry as readers see it: `Entry`, its file references, and how one is made
from a line's parsed fields.

Kept apart from `factory_os.ledger.events` (which writes and reads segments and
imports what that needs) so that a check judging the entries a change adds, on
a replay kept from before, imports only this: an entry is a named tuple, made
from kept plain values at the cost of a tuple.
"""

from __future__ import annotations

from typing import Any, NamedTuple


class Ref(NamedTuple):
    path: str
    sha256: str


class Entry(NamedTuple):
    """One ledger entry, where it is stored, and its place in replay order."""

    id: str
    kind: str
    at: str
    actor: str
    subject: str
    refs: tuple[Ref, ...]
    parents: tuple[str, ...]
    data: dict[str, Any]
    segment: str
    line: int
    height: int


def entry_from_fields(
    ident: str, fields: dict[str, Any], segment: str, line: int, height: int = 0
) -> Entry:
    """An Entry from a line's parsed FIELDS (as `parse_full` returns them)."""
    return Entry(
        ident,
        fields["kind"],
        fields["at"],
        fields["actor"],
        fields["subject"],
        tuple([Ref(ref["path"], ref["sha256"]) for ref in fields["refs"]]),
        tuple(fields["parents"]),
        fields["data"],
        segment,
        line,
        height,
    )
