"""`check_paths`: would a member writing these paths break a rule? (`fos guard`, MCP)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

from factory_os.errors import UsageError
from factory_os.git import plumbing as git
from factory_os.paths import is_segment
from factory_os.rules.actor import ACTOR_VARIABLE, NotAMember, author_email, claim_of, match
from factory_os.rules.change import Change, Contents, FileChange, file_changes
from factory_os.rules.compiled import Member
from factory_os.rules.context import Blobs, CheckContext
from factory_os.rules.engine import kind_module
from factory_os.rules.finding import Finding, sort_key
from factory_os.rules.identity import RULE_ID as UNKNOWN_RULE_ID
from factory_os.rules.inforce import Compiler, ledger_events, rules_in_force, snapshot_at
from factory_os.rules.run import require_repo

GUARD_KINDS = ("path-guard", "append-only")


class HasRoot(Protocol):
    @property
    def root(self) -> Path: ...


def check_paths(
    factory: HasRoot | Path, *, member: str | None, role: str | None, paths: Sequence[str]
) -> list[Finding]:
    """The findings a change writing PATHS (relative to the factory root, or absolute)
    by git's author identity would get from the path rules in force: path-guard, and
    append-only for files that exist. MEMBER (an id or email; default FOS_ACTOR) may
    only confirm who that identity is (`actor.match`); naming another member is refused.

    With ROLE, the member is taken to act in that role only, which must be one of
    theirs (else a UsageError). An author who is no member gets the finding
    identity.unknown_author sets, as their commit would. The rules in force are
    those of HEAD plus those the index adds, as for the commit hook.
    """
    root = factory if isinstance(factory, Path) else factory.root
    repo = require_repo(root)
    head = repo.head
    base = snapshot_at(repo, head)
    staged = file_changes(git.staged_changes(repo.worktree, head), repo.local)
    compiler = Compiler(repo)
    events = ledger_events(repo, compiler.cache, None)
    ruleset, _, _ = rules_in_force(compiler, base, base.changed(staged), events)
    who = author_email(repo.root)
    claim = claim_of(member)
    acting, problem = match(ruleset, who, claim)
    if claim is not None and problem is not None:
        raise NotAMember(
            f"{problem}: a write is judged as git's author identity, which --member and"
            f" {ACTOR_VARIABLE} may only confirm"
        )
    if role is not None and acting is not None:
        if role not in acting.roles:
            raise UsageError(
                f"{acting.id} does not hold the role {role}"
                f" (their roles: {', '.join(acting.roles) or 'none'})"
            )
        acting = Member(acting.id, (role,), acting.emails)
    unknown: list[Finding] = []
    if acting is None and ruleset.members:
        # as the commit hook would treat a commit by this author
        unknown.append(
            Finding(
                UNKNOWN_RULE_ID,
                ruleset.unknown_author,
                f"{who or '(no git author email)'} is not a member of team.yaml"
                f" (identity.unknown_author: {ruleset.unknown_author}); to be added, a member"
                " lists the email under a member's emails in team.yaml",
                member=who or None,
            )
        )
    locals_ = [local for path in paths if (local := _local(repo.root, path)) is not None]
    if not locals_:
        return []
    findings: list[Finding] = unknown
    # ls-tree takes paths literally: what it lists of them exists at HEAD
    wanted = [repo.prefix + local for local in locals_]
    tracked = git.tree_entries(repo.worktree, head, wanted) if head else {}
    files = [
        FileChange(
            "M" if repo.prefix + local in tracked else "A", git.ZERO_OID, git.ZERO_OID, local
        )
        for local in locals_
    ]
    email = acting.emails[0] if acting and acting.emails else who
    change = Change(None, files, author_email=email, member=acting)
    ruleset.rules = [r for r in ruleset.rules if r.kind in GUARD_KINDS]
    ctx = CheckContext(
        ruleset,
        "pre-commit",
        Contents(lambda _c, _p: b"", repo.local),
        Blobs(repo.worktree),
        repo.root,
    )
    for rule in ruleset.rules:
        for finding in kind_module(rule.kind).check(rule, change, ctx):
            # a ledger segment may grow; whether a write only appends cannot be known here
            if not (rule.kind == "append-only" and finding.path and is_segment(finding.path)):
                findings.append(finding)
    return sorted(findings, key=sort_key)


def _local(root: Path, path: str) -> str | None:
    """PATH relative to ROOT with slashes; None when it lies outside."""
    candidate = Path(path)
    absolute = candidate if candidate.is_absolute() else root / candidate
    try:
        return Path(_normalise(absolute)).relative_to(_normalise(root)).as_posix()
    except ValueError:
        return None


def _normalise(path: Path) -> str:
    import os

    return os.path.normpath(os.path.realpath(path))
