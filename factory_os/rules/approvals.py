"""Approvals that prove who gave them (DESIGN section 3, Identity and approvals).

An approval is an `approval.granted` ledger entry (`fos approve`) that the
approving member's own commit adds: `provenance` lets through only those. It
names what it approves so that a rebase or a squash keeps it valid: the paths
with their blob ids after the change, and the ids of the ledger entries it
approves (an entry's id is the hash of its bytes, which a rebase does not
touch). An `Approved-by:` trailer is text the author writes: it counts only
where factory.yaml requires signed commits (the signature is the proof) or
sets `governance.trust_trailers: true`.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from pathlib import Path

from factory_os import paths
from factory_os.git import plumbing as git
from factory_os.rules.change import Change
from factory_os.rules.compiled import Member, RuleSet
from factory_os.rules.context import CheckContext
from factory_os.rules.provenance import AddedEntry

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import NamedTuple
else:
    from factory_os.records import NamedTuple

KIND = "approval.granted"
MARK = f'"kind":"{KIND}"'
LEDGER_DIR = f"{paths.LEDGER_DIR}/"
TRAILER = "Approved-by"


class Approval(NamedTuple):
    """One approval the check may count: who gave it and what it names."""

    entry: str
    approver: Member
    paths: Mapping[str, str]  # path (relative to the factory root) -> blob id after the change
    entries: frozenset[str]


class Item(NamedTuple):
    """One thing a change does that needs approving: a path with its new blob
    (the zero id when deleted), or a ledger entry."""

    what: str  # how a message names it
    path: str | None = None
    blob: str | None = None
    entry: str | None = None


def granted(entries: Iterable[AddedEntry], ruleset: RuleSet) -> list[Approval]:
    """The approvals among ENTRIES that their approver's own commit adds."""
    out = []
    for entry in entries:
        if entry.kind == KIND and entry.proven:
            approval = _approval(entry.id, entry.actor, entry.data, ruleset)
            if approval is not None:
                out.append(approval)
    return out


def at_commit(worktree: Path, commit: str, prefix: str, ruleset: RuleSet) -> list[Approval]:
    """The approvals already in the ledger at COMMIT (a range's base: merged, so their
    provenance was checked when they came in), in one `git grep`."""
    from factory_os.ledger.line import parse_full

    out = []
    for line in git.grep_segments(worktree, commit, (MARK,), prefix + LEDGER_DIR):
        fields = parse_full(line)
        if isinstance(fields, dict) and fields["kind"] == KIND:
            entry = line[:64].decode("ascii")
            approval = _approval(entry, fields["actor"], fields["data"], ruleset)
            if approval is not None:
                out.append(approval)
    return out


def _approval(
    entry: str, actor: str, data: Mapping[str, object], ruleset: RuleSet
) -> Approval | None:
    member = ruleset.named(actor)
    if member is None:
        return None
    named, approved = data.get("paths"), data.get("entries")
    return Approval(
        entry,
        member,
        {str(p): str(b) for p, b in named.items()} if isinstance(named, dict) else {},
        frozenset(str(e) for e in approved) if isinstance(approved, list) else frozenset(),
    )


class Known:
    """The approvals a check may count: those the checked commits add, then (asked for
    only when those do not cover a change) those already in the base's ledger."""

    def __init__(
        self, added: Sequence[Approval] = (), earlier: Callable[[], list[Approval]] | None = None
    ) -> None:
        self.added = list(added)
        self._earlier = earlier
        self._all: list[Approval] | None = None if earlier is not None else self.added

    def more(self) -> list[Approval] | None:
        """Every approval, or None when there are no others than `added`."""
        if self._earlier is None:
            return None
        if self._all is None:
            self._all = self.added + self._earlier()
        return self._all


def trailers_trusted(ruleset: RuleSet) -> bool:
    return ruleset.require_signed or ruleset.trust_trailers


def refusal(member: Member, change: Change, roles: Collection[str]) -> str:
    """Why MEMBER cannot approve CHANGE with one of ROLES ("" when they can)."""
    if member == change.member or change.author_email.lower() in member.emails:
        return f"{member.id} is the author and cannot approve their own change"
    if member.bot:
        return f"{member.id} is a bot and cannot approve"
    if member.added:
        return f"{member.id} joins the team in this change and cannot approve it"
    if not set(member.roles) & set(roles):
        return f"{member.id} holds none of the roles {', '.join(sorted(roles)) or '(none)'}"
    return ""


def unapproved(
    change: Change,
    items: Sequence[Item],
    roles: Collection[str],
    known: Known,
    ruleset: RuleSet,
    trailer: str = TRAILER,
) -> tuple[list[Item], list[str]]:
    """(the ITEMS of CHANGE no approval covers, why the approvals offered do not count):
    by the approvals the range adds, else by every one KNOWN."""
    left, reasons = _unapproved(change, items, roles, known.added, ruleset, trailer)
    every = known.more() if left else None
    if every is not None:
        left, reasons = _unapproved(change, items, roles, every, ruleset, trailer)
    return left, reasons


def _unapproved(
    change: Change,
    items: Sequence[Item],
    roles: Collection[str],
    approvals: Sequence[Approval],
    ruleset: RuleSet,
    trailer: str,
) -> tuple[list[Item], list[str]]:
    """An approval counts when its approver holds one of ROLES and is not the
    author; a TRAILER naming such a member counts for every item, but only where
    trailers are trusted."""
    reasons: list[str] = []
    for value in change.trailer_values(trailer):
        approver = ruleset.named(value)
        problem = f"{value} is no member" if approver is None else refusal(approver, change, roles)
        if problem:
            reasons.append(problem)
        elif trailers_trusted(ruleset):
            return [], []
        else:
            reasons.append(
                f"the {trailer}: {value} trailer does not count: it is text the author writes,"
                " trusted only where factory.yaml requires signed commits or sets"
                " governance.trust_trailers: true"
            )
    counting = []
    for approval in approvals:
        problem = refusal(approval.approver, change, roles)
        if problem and any(_covers(approval, item) for item in items):
            reasons.append(f"approval {approval.entry[:12]}: {problem}")
        elif not problem:
            counting.append(approval)
    left = [item for item in items if not any(_covers(a, item) for a in counting)]
    return left, list(dict.fromkeys(reasons))


def _covers(approval: Approval, item: Item) -> bool:
    if item.entry is not None:
        return item.entry in approval.entries
    return item.path is not None and approval.paths.get(item.path) == item.blob


def known(entries: Iterable[AddedEntry], ctx: CheckContext) -> Known:
    """The approvals a check counts: those ENTRIES hold, then those of the base."""
    return Known(granted(entries, ctx.ruleset), ctx.earlier_approvals)
