"""The overrides in force, read straight from ledger lines: cheap enough for every commit.

`fos check` runs in the pre-commit hook, so this reads no more than it must:
the segments' bytes, and of those only the lines of `override.granted` and
`override.revoked` entries are parsed (a substring test first, then their
JSON). It imports nothing heavy (DESIGN section 7). A range check reads the
ledger as committed at a commit (one `git grep`), so a pull request's check sees
the overrides its base had and those the range itself adds; the staged check
reads the index's, replayed and cached by `work.override_index`.

A line counts only if its id is the hash of its bytes, as `fos verify` checks
it (a line edited by hand, or made up with a made-up id, is passed over); that
its parents are known is left to `fos verify`. An entry that does not read as an
override is passed over.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from factory_os.git import log as gitlog, plumbing as git
from factory_os.paths import LEDGER_DIR
from factory_os.rules.finding import Finding
from factory_os.rules.overrides import RULE_ID, Override, from_data

TYPE_CHECKING = False
if TYPE_CHECKING:
    from _typeshed import StrPath

    from factory_os.rules.seam import LedgerLine

GRANTED = b'"kind":"override.granted"'
REVOKED = b'"kind":"override.revoked"'
MARK = b'"kind":"override.'
ID_HEX = 64
DOMAIN = b"factory-os/ledger/v1\0"  # what a line's id hashes first, as `ledger.line` says


def parse(lines: Iterable[bytes]) -> tuple[dict[str, Override], set[str]]:
    """From ledger LINES: the overrides granted, by id, and the ids ended: revoked,
    or recorded as expired by the sweep (which the clock had already passed)."""
    import hashlib
    import json  # only for lines not read before: the hook path does without it

    granted: dict[str, Override] = {}
    revoked: set[str] = set()
    for line in lines:
        if MARK not in line or line[ID_HEX : ID_HEX + 1] != b" ":
            continue
        if hashlib.sha256(DOMAIN + line[ID_HEX + 1 :]).hexdigest().encode() != line[:ID_HEX]:
            continue  # not the line its id was made from
        try:
            fields = json.loads(line[ID_HEX + 1 :])
        except ValueError:
            continue
        if not isinstance(fields, dict) or not isinstance(fields.get("data"), dict):
            continue
        kind, subject = fields.get("kind"), str(fields.get("subject", ""))
        if kind == "override.granted":
            override = from_data(fields["data"], subject)
            if override is not None and override.id not in granted:
                granted[override.id] = override
        elif kind in ("override.revoked", "override.expired"):
            revoked.add(subject)
    return granted, revoked


def committed_lines(worktree: StrPath, treeish: str, prefix: str = "") -> list[bytes]:
    """The override lines of the ledger as committed at TREEISH (one `git grep`);
    PREFIX is where the factory sits in the repository."""
    return git.grep_segments(worktree, treeish, [MARK.decode()], f"{prefix}{LEDGER_DIR}/")


def unstaged(worktree: StrPath, prefix: str = "") -> list[Override]:
    """The overrides granted in the work tree's ledger and not in the index: no one's
    commit yet (two git processes)."""
    lines = gitlog.unstaged_lines(worktree, f"{prefix}{LEDGER_DIR}/", GRANTED.decode())
    return list(parse(lines)[0].values()) if lines else []


def unvouched(added: Iterable[LedgerLine]) -> tuple[set[bytes], list[Finding]]:
    """Of the ledger lines a change ADDS, the `override.granted` lines its author did
    not grant (identity as for every change: the commit's member), with a note about
    each: an override a change adds counts only from its granter's own commit."""
    forged: set[bytes] = set()
    notes: list[Finding] = []
    for line in added:
        data = line.text.encode("utf-8", "surrogateescape")
        if GRANTED not in data:
            continue
        for override in parse([data])[0].values():
            if line.member == override.granted_by:
                continue
            forged.add(data)
            who = line.member or line.author_email
            where = "the commit that adds it" if line.commit else "the staged change adding it"
            notes.append(
                Finding(
                    RULE_ID,
                    "warn",
                    f"{override.id} is ignored: {where} is by {who}, not by"
                    f" {override.granted_by}, who it says granted it",
                    commit=line.commit,
                    member=who,
                )
            )
    return forged, notes


def granted_in(added: Iterable[LedgerLine], forged: set[bytes]) -> list[Override]:
    """The overrides granted in the lines a change ADDS, less the FORGED lines."""
    lines = [line.text.encode("utf-8", "surrogateescape") for line in added]
    chosen = [data for data in lines if GRANTED in data and data not in forged]
    return list(parse(chosen)[0].values()) if chosen else []


def for_range(
    worktree: StrPath,
    base: str | None,
    added: Sequence[LedgerLine],
    forged: set[bytes],
    prefix: str = "",
    common_dir: StrPath | None = None,
) -> list[Override]:
    """The overrides a range check may honour, neither revoked nor recorded as
    expired: those of the ledger as committed at BASE, and those the range ADDS,
    less the FORGED lines (`unvouched`). `rules.overrides.apply` judges the expiry.
    With COMMON_DIR, BASE's ledger is replayed once per segment blob and kept there
    (`work.override_index.at_commit`)."""
    lines = [data for line in added if (data := _bytes(line)) not in forged]
    if base is None or common_dir is None:
        if base is not None:
            lines = committed_lines(worktree, base, prefix) + lines
        granted, ended = parse(lines)
        return [o for i, o in granted.items() if i not in ended]
    from factory_os.work.override_index import at_commit

    at_base, ended = at_commit(worktree, common_dir, base, prefix)
    more, gone = parse(lines) if lines else ({}, set())
    ended |= gone
    kept = {i: o for i, o in at_base.items() if i not in gone}
    for ident, override in more.items():  # (a grant of an id the base has counts once)
        if ident not in kept and ident not in ended and ident not in at_base:
            kept[ident] = override
    return list(kept.values())


def _bytes(line: LedgerLine) -> bytes:
    return line.text.encode("utf-8", "surrogateescape")
