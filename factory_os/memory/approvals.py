"""`fos approve`: an approval that proves who gave it (DESIGN section 3).

The approving member writes an `approval.granted` entry and commits it
themselves: the check counts it only when the commit that adds it is theirs
(`rules.provenance`). It names what it approves in a form a rebase or a squash
keeps: the paths the approved change leaves, each with its blob id (the zero
id for a deleted path), and the ids of the ledger entries it adds (or, with
`--entry`, one entry), never only a commit id.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from factory_os.errors import FosError, InvalidInput, UsageError
from factory_os.git import log as gitlog, plumbing as git, revrange
from factory_os.ledger import events
from factory_os.memory import documents
from factory_os.model.team import Member
from factory_os.paths import is_segment
from factory_os.rules.actor import acting_member
from factory_os.rules.approvals import KIND
from factory_os.store import Factory, find_factory

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


class Refused(FosError):
    """An approval this member may not give (exit 1)."""


def approve(
    *,
    cwd: Path,
    commit: str | None = None,
    revision_range: str | None = None,
    entry: str | None = None,
    reason: str = "",
    actor: str | None = None,
) -> str:
    """Record the acting member's approval of COMMIT, REVISION_RANGE or ENTRY; its id."""
    if sum(given is not None for given in (commit, revision_range, entry)) != 1:
        raise UsageError("give one of --commit REV, --range A..B, --entry ID")
    factory = find_factory(cwd)
    approver = _approver(factory, acting_member(cwd, actor).id)
    if entry is not None:
        subject, data = entry, _entry_target(factory, entry, approver)
    else:
        worktree = factory.worktree
        if commit is not None:
            head = revrange.resolve(worktree, commit, "--commit")
            records = gitlog.log_records(worktree, ["-1", head])
            parents = records[0][1].split() if records else []
            base = parents[0] if parents else None
            subject = head
        else:
            assert revision_range is not None
            span = revrange.parse_range(worktree, revision_range)
            base, head = git.merge_base(worktree, span.base, span.head) or span.base, span.head
            records = gitlog.log_records(worktree, span.revs)
            subject = f"{base}..{head}"
        if not records:
            raise UsageError(f"{subject}: no commit to approve")
        _not_own(approver, [(sha, email) for sha, _p, _n, email, *_ in records])
        data = _change_target(factory, base, head)
    if reason.strip():
        data["reason"] = reason.strip()
    return events.append(factory, kind=KIND, actor=approver.id, subject=subject, data=data)


def _approver(factory: Factory, actor: str) -> Member:
    team = documents.load_team(factory)
    wanted = actor.strip().lower()
    member = next((m for m in team.members if m.id == actor.strip() or wanted in m.emails), None)
    if member is None:
        raise Refused(f"{actor} is not a member of team.yaml: only a member can approve")
    if member.kind == "bot":
        raise Refused(f"{member.id} is a bot: a bot never approves")
    roles = documents.load_roles(factory).roles
    approving = sorted(r for r, role in roles.items() if role.approver)
    if not set(member.roles) & set(approving):
        raise Refused(
            f"{member.id} ({', '.join(member.roles)}) holds no approver role"
            f" ({', '.join(approving) or 'none is marked `approver: true` in roles.yaml'})"
        )
    return member


def _not_own(approver: Member, authors: Sequence[tuple[str, str]]) -> None:
    own = [sha[:12] for sha, email in authors if email.strip().lower() in approver.emails]
    if own:
        raise Refused(
            f"{approver.id} wrote {', '.join(own)} and cannot approve their own change:"
            " another approver must"
        )


def _entry_target(factory: Factory, entry_id: str, approver: Member) -> dict[str, Any]:
    found = next((e for e in events.entries(factory) if e.id == entry_id), None)
    if found is None:
        raise InvalidInput.one(
            factory.rel(factory.dir / "ledger"), 0, f"no ledger entry {entry_id}"
        )
    if found.actor == approver.id or found.actor.strip().lower() in approver.emails:
        raise Refused(
            f"{approver.id} wrote entry {entry_id[:12]} ({found.kind}) and cannot approve"
            " it: another approver must"
        )
    return {"entries": [entry_id], "paths": {}}


def _change_target(factory: Factory, base: str | None, head: str) -> dict[str, Any]:
    """The paths HEAD leaves changed against BASE with their blob ids, and the ids of
    the ledger entries it adds."""
    root, top = factory.root.resolve(), factory.worktree.resolve()
    prefix = "" if root == top else f"{root.relative_to(top).as_posix()}/"
    paths: dict[str, str] = {}
    segments: list[tuple[str, str]] = []
    for _status, old, new, path in gitlog.diff_raw(factory.worktree, base, head):
        if not path.startswith(prefix):
            continue
        local = path[len(prefix) :]
        paths[local] = new
        if is_segment(local):
            segments.append((old, new))
    blobs = git.cat_blobs(factory.worktree, [b for pair in segments for b in pair])
    added: list[str] = []
    for old, new in segments:
        before = set(blobs.get(old, b"").split(b"\n"))
        added += [
            line[:64].decode("ascii", "replace")
            for line in blobs.get(new, b"").split(b"\n")
            if line and line not in before
        ]
    return {"entries": added, "paths": paths}
