"""The ledger entries a range adds, and their provenance (DESIGN section 3).

Anyone can write a ledger line by hand, so an entry says who acted only when
the commit that adds it is by that member: every entry a commit adds must name
the commit's member as its `actor` (`fos:entry-actor-mismatch`). This check is
built in: no rule file turns it off, and the checks above it (the lifecycle's
gates, approvals) count only the entries it lets through.

Only the lines the range adds are parsed, from the one bulk patch fetch.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from factory_os.paths import is_segment
from factory_os.rules.change import Change
from factory_os.rules.context import CheckContext
from factory_os.rules.finding import Finding

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, NamedTuple
else:
    from factory_os.records import NamedTuple

RULE_ID = "fos:entry-actor-mismatch"


class AddedEntry(NamedTuple):
    """One ledger entry a change adds: its fields and where it was added."""

    id: str
    kind: str
    actor: str
    actor_member: str | None  # the member id the actor names, None: no member
    subject: str
    data: dict[str, Any]
    change: Change
    path: str  # the segment, relative to the factory root
    line: int

    @property
    def proven(self) -> bool:
        """Whether the member of the change that adds it is its actor."""
        member = self.change.member
        return member is not None and member.id == self.actor_member


def plan(change: Change, ctx: CheckContext) -> None:
    """Ask for the lines CHANGE adds to ledger segments (ranges only)."""
    if change.commit is None:
        return
    for f in change.files:
        if is_segment(f.path) and f.status != "D":
            ctx.contents.want(change.commit, f.path)


def added_entries(changes: Sequence[Change], ctx: CheckContext) -> list[AddedEntry]:
    """The entries CHANGES add, in order; a line that is no entry is left to `fos verify`."""
    out = []
    for change in changes:
        if change.commit is None:
            continue
        for f in change.files:
            if not is_segment(f.path) or f.status == "D":
                continue
            for number, text in ctx.contents.added(change.commit, f.path):
                fields = ctx.contents.entry(text) if text else None
                if not isinstance(fields, dict):
                    continue
                named = ctx.ruleset.named(fields["actor"])
                out.append(
                    AddedEntry(
                        text[:64],
                        fields["kind"],
                        fields["actor"],
                        named.id if named is not None else None,
                        fields["subject"],
                        fields["data"],
                        change,
                        f.path,
                        number,
                    )
                )
    return out


def check(entries: Sequence[AddedEntry]) -> Iterator[Finding]:
    for entry in entries:
        if entry.proven:
            continue
        change = entry.change
        who = (
            change.member.id
            if change.member is not None
            else f"{change.author_email or 'an author'}, who is no member of team.yaml,"
        )
        yield Finding(
            RULE_ID,
            "block",
            f"ledger entry {entry.id[:12]} ({entry.kind}) names {entry.actor} as its actor,"
            f" but {who} committed it: every entry a commit adds names that commit's member,"
            f" so only {entry.actor} can commit it",
            entry.path,
            entry.line,
            change.commit,
            change.member_name,
        )
