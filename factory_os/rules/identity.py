"""Who made a change (DESIGN section 3, Identity).

The author email decides, matched to team.yaml by `actor.match`, the one rule
for every command and hook; a `Factory-Member:` trailer may only name the
member that email already is. An author
who is no member is a finding whose severity factory.yaml sets. Where
factory.yaml asks for signed commits, git's own verification decides (`%G?`,
with `gpg.ssh.allowedSignersFile`), and the signer must be the member.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from factory_os.rules.change import Change
from factory_os.rules.compiled import Member, RuleSet
from factory_os.rules.finding import Finding

TYPE_CHECKING = False
if TYPE_CHECKING:
    from pathlib import Path
    from typing import NamedTuple

    from _typeshed import StrPath
else:
    from factory_os.records import NamedTuple

TRAILER = "Factory-Member"
RULE_ID = "fos:identity"
SIGNATURE_RULE_ID = "fos:signature"
GOOD_SIGNATURES = frozenset({"G", "U"})  # U: good, key of unknown trust (gpg only)
HEX_UPPER = frozenset("0123456789ABCDEF")


class Identity(NamedTuple):
    """Who made a change, as far as the team knows (None: no member), what is wrong
    with the identity it claims, and whether its author is unknown to the team (told
    once per check by `unknown_authors`)."""

    member: Member | None
    findings: list[Finding]
    unknown: bool = False


def resolve(change: Change, ruleset: RuleSet) -> Identity:
    """The member CHANGE is by, and the findings about its claimed identity."""
    found: list[Finding] = []
    member = _resolve(change, ruleset, found)
    unknown = member is None and bool(ruleset.members) and not change.trailer_values(TRAILER)
    return Identity(member, found, unknown)


def unknown_authors(changes: Sequence[Change], ruleset: RuleSet) -> list[Finding]:
    """One finding per author email of CHANGES (their authors unknown to the team),
    naming the commits it wrote: an author is told once per check, not per commit."""
    by_email: dict[str, list[Change]] = {}
    for change in changes:
        by_email.setdefault(change.author_email.strip().lower(), []).append(change)
    out = []
    for email, written in by_email.items():
        commits = [c.commit[:10] for c in written if c.commit]
        which = ""
        if len(commits) > 1:
            shown = ", ".join(commits[:5]) + (", ..." if len(commits) > 5 else "")
            which = f" ({len(commits)} commits: {shown})"
        out.append(
            Finding(
                RULE_ID,
                ruleset.unknown_author,
                f"author {email or '(no email)'} is not a member of team.yaml{which}"
                " (to be added, a member lists the email under a member's emails in team.yaml)",
                member=email or None,
                commit=written[0].commit,
            )
        )
    return out


def _resolve(change: Change, ruleset: RuleSet, found: list[Finding]) -> Member | None:
    email = change.author_email.strip().lower()
    by_email = ruleset.member_by_email(email) if email else None
    claims = change.trailer_values(TRAILER)
    commit = change.commit
    if len(set(claims)) > 1:
        found.append(
            Finding(
                RULE_ID,
                "block",
                f"more than one {TRAILER} trailer: {', '.join(claims)}",
                member=email or None,
                commit=commit,
            )
        )
        return by_email
    if claims:
        from factory_os.rules.actor import match  # (here: a trailer is rare)

        # the claim may only name the member the author email already is
        member, problem = match(ruleset, email, claims[0], label=f"{TRAILER}: {claims[0]}")
        if problem is not None:
            claimed = ruleset.named(claims[0])
            who = claimed.id if claimed is not None else email or None
            found.append(Finding(RULE_ID, "block", problem, member=who, commit=commit))
        return member
    return by_email


def check_signature(change: Change, ruleset: RuleSet) -> Iterator[Finding]:
    """The commit's signature, as git verified it, must be good and the member's."""
    if not ruleset.require_signed or change.commit is None or change.signature is None:
        return
    status, signer, fingerprint, primary = change.signature
    who = change.member_name
    member = change.member
    principals = signer_emails(signer)
    if status == "U" and not principals:
        # SSH: a sound signature by a key that allowed_signers does not list
        status = "E"
    if status not in GOOD_SIGNATURES:
        reasons = {
            "N": "is not signed",
            "B": "has a bad signature",
            "E": "has a signature git cannot check against the allowed signers"
            " (is the key in team.yaml or identity.allowed_signers?)",
            "X": "has an expired signature",
            "Y": "is signed by an expired key",
            "R": "is signed by a revoked key",
        }
        reason = reasons.get(status, f"has signature status {status}")
        yield Finding(
            SIGNATURE_RULE_ID,
            "block",
            f"commit {reason}; factory.yaml requires signed commits",
            commit=change.commit,
            member=who,
        )
        return
    if member is not None and not _signed_by(member, principals, fingerprint, primary):
        yield Finding(
            SIGNATURE_RULE_ID,
            "block",
            f"commit is signed by {signer or 'an unknown key'}, not by {member.id}",
            commit=change.commit,
            member=member.id,
        )


def signer_emails(signer: str) -> set[str]:
    """The emails git's %GS names: SSH gives the allowed_signers principals
    (comma-separated), GPG the key's user id (`Name <email>`)."""
    emails = set()
    for part in signer.split(","):
        text = part.strip()
        if "<" in text and text.endswith(">"):
            text = text[text.rindex("<") + 1 : -1]
        if text:
            emails.add(text.lower())
    return emails


def _fingerprint(text: str) -> str:
    text = text.replace(" ", "").upper()
    return text[2:] if text.startswith("0X") else text


def _gpg_key(text: str) -> bool:
    """Whether TEXT is a GPG long key id (16 hex digits) or fingerprint (40)."""
    return len(text) in (16, 40) and HEX_UPPER.issuperset(text)


def _signed_by(member: Member, principals: set[str], fingerprint: str, primary: str) -> bool:
    """Whether the signature is MEMBER's: by one of their GPG keys (fingerprint or
    long key id) where team.yaml lists any, else by one of their emails."""
    gpg_keys = {_fingerprint(k) for k in member.signing_keys if _gpg_key(_fingerprint(k))}
    if gpg_keys:
        signed = {_fingerprint(f) for f in (fingerprint, primary) if f}
        return any(s.endswith(k) for s in signed for k in gpg_keys)
    return bool(principals & {e.lower() for e in member.emails})


def allowed_signers_file(ruleset: RuleSet, root: StrPath, git_dir: StrPath) -> Path | None:
    """The allowed_signers file git should verify SSH signatures with.

    factory.yaml's identity.allowed_signers when set; otherwise one written under
    the git directory from the members' signing keys in team.yaml.
    """
    from pathlib import Path  # only where commits must be signed

    if ruleset.allowed_signers:
        return (Path(root) / ruleset.allowed_signers).resolve()
    lines = [
        f"{email} {key}"
        for m in ruleset.members
        for key in m.signing_keys
        if not _gpg_key(_fingerprint(key))  # SSH keys only
        for email in m.emails
    ]
    if not lines:
        return None
    return keep_signers(git_dir, ("\n".join(lines) + "\n").encode())


def keep_signers(git_dir: StrPath, data: bytes) -> Path:
    """DATA as an allowed_signers file under the git directory, named by its digest.

    Checks of other bases may run at the same moment (two pushes received at once):
    each writes the file of its own keys and never rewrites one another is reading.
    """
    import hashlib
    from pathlib import Path

    from factory_os.atomic import write_atomic

    path = Path(git_dir) / "factory-os" / "signers" / hashlib.sha256(data).hexdigest()
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, data)
    return path
