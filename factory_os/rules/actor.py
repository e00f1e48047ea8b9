"""Who is acting (DESIGN section 3, "Identity and approvals").

One answer for every command, hook, `fos guard` and the MCP server: git's author
identity (`git var GIT_AUTHOR_IDENT`, which follows GIT_AUTHOR_EMAIL and
user.email) matched to team.yaml by email. A claim (`--actor`, FOS_ACTOR, a
commit's `Factory-Member:` trailer) may only name the member that identity
already is, so nobody, agent or person, acts as another member. `match` decides;
`acting_member` asks git and the work tree's team.yaml, and refuses anyone the
team does not know: a non-member writes nothing.
"""

from __future__ import annotations

import os
from pathlib import Path

from factory_os.errors import FosError, InvalidInput, Problem
from factory_os.git import plumbing as git
from factory_os.paths import FACTORY_DIR
from factory_os.rules.compiled import Member, RuleSet, members_of

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import NamedTuple
else:
    from factory_os.records import NamedTuple

ACTOR_VARIABLE = "FOS_ACTOR"
TEAM_FILE = f"{FACTORY_DIR}/team.yaml"


class NotAMember(FosError):
    """Someone team.yaml does not know, or a claim to be another member: refused."""


class Match(NamedTuple):
    """Who is acting (None: nobody the team knows), and what is wrong with the
    identity claimed (None: nothing)."""

    member: Member | None
    problem: str | None


def match(team: RuleSet, email: str, claim: str | None = None, label: str = "") -> Match:
    """The member the author EMAIL is, or the one CLAIM (an id or email) names, which
    must be that same member. LABEL names the claim in a problem (default: CLAIM)."""
    email = email.strip().lower()
    by_email = team.member_by_email(email) if email else None
    if not claim:
        if by_email is None:
            return Match(None, f"{email or '(no email)'} is not a member of team.yaml")
        return Match(by_email, None)
    label = label or claim
    claimed = team.named(claim)
    if claimed is None:
        return Match(by_email, f"{label} names no member of team.yaml")
    if email not in (e.lower() for e in claimed.emails):
        return Match(
            by_email,
            f"{label} does not match the author email {email or '(none)'}"
            f" ({claimed.id}'s emails: {', '.join(claimed.emails)})",
        )
    return Match(claimed, None)


def claim_of(explicit: str | None) -> str | None:
    """The member claimed: EXPLICIT (`--actor`), else FOS_ACTOR; None when neither."""
    for candidate in (explicit, os.environ.get(ACTOR_VARIABLE)):
        if candidate and candidate.strip():
            return candidate.strip()
    return None


def author_email(cwd: Path) -> str:
    """Git's author email here ("" when git has no identity)."""
    ident = git.author_ident(cwd)
    return ident[1] if ident is not None else ""


def acting_member(cwd: Path, claim: str | None = None) -> Member:
    """The member acting in the factory around CWD: git's author identity, matched to
    the work tree's team.yaml, which CLAIM (`--actor`; default FOS_ACTOR) may only
    confirm. A NotAMember error (exit 1) for anyone else."""
    from factory_os import store

    factory = store.find_factory(cwd)
    ident = git.author_ident(factory.root)
    name, email = ident if ident is not None else ("", "")
    claim = claim_of(claim)
    found = match(team_of(factory.dir / "team.yaml", factory.repo.common_dir), email, claim)
    if found.member is not None and found.problem is None:
        return found.member
    who = f"{name} <{email}>" if email else "(git has no author identity here)"
    if found.member is None:
        claiming = f" (claiming {claim} does not change that)" if claim else ""
        raise NotAMember(
            f"{who} is not a member of {TEAM_FILE}{claiming}, so it records nothing;"
            f" to be added, a member gives you an entry in {TEAM_FILE} with"
            f" {email or 'your email'} among its emails and commits it"
            " (`git config user.email` sets the email git uses)"
        )
    raise NotAMember(
        f"{ACTOR_VARIABLE}/--actor {found.problem}: git's author identity, {who}, is"
        f" {found.member.id}; act as yourself (drop --actor and {ACTOR_VARIABLE})"
    )


def team_of(path: Path, cache_dir: Path | None) -> RuleSet:
    """The team in the file PATH (team.yaml), as a rule set without rules. Compiled
    once per content, in the same cache as the hooks' documents."""
    import hashlib  # (here: the hooks never read the team this way)

    from factory_os import store
    from factory_os.rules.cache import Cache

    rel = TEAM_FILE
    if not path.is_file():
        raise NotAMember(f"{rel} is missing: the factory has no members, so nobody acts in it")
    text = store.read_text(path, rel)
    data = text.encode("utf-8")
    blob = hashlib.sha1(b"blob %d\0" % len(data) + data, usedforsecurity=False).hexdigest()
    cache = Cache(cache_dir)
    compiled = cache.get("team", blob)
    if compiled is None:
        from factory_os.rules.compile import compile_document

        compiled = compile_document("team", text, rel)
        cache.put("team", blob, compiled)
        cache.save()
    if "invalid" in compiled:
        raise InvalidInput(Problem(rel, line, message) for line, message in compiled["invalid"])
    return RuleSet([], members_of(compiled))
