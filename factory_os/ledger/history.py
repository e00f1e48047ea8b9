"""`fos verify --history` and `--range`: was a committed ledger line or append-only file
ever changed or removed?

Every commit that touches the ledger or an append-only file is compared with each
of its parents (merges once per parent, so a merge that drops what one side added
is caught). A segment may only grow: the parent's blob must be a byte prefix of
the commit's. An append-only file may be added, never modified, deleted or
renamed. It costs a fixed number of git processes whatever the number of commits:
one `git log --raw` and one `git cat-file --batch` for the blobs of the segments
that changed.

`--history` remembers the commits it walked without a finding (in
`<git common dir>/fos/history.json`; commits never change, so this is safe to
trust and to share between worktrees) and walks only what is new next time.

What it cannot see: a rewrite of the whole history by someone who controls the
repository (the rewritten commits are all it has), and history beyond a shallow
clone's boundary.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import NamedTuple

from factory_os.git import plumbing as git
from factory_os.git.revrange import RevRange
from factory_os.ledger import growth, segments
from factory_os.ledger.report import FileRecord, LedgerProblem
from factory_os.paths import APPEND_ONLY, LEDGER_DIR, grew, is_append_only, is_segment, may_grow
from factory_os.store import Factory

MAX_TIPS = 32


class Walk(NamedTuple):
    """What a history check found, how many commits it examined, and whether the
    repository is shallow (history beyond its boundary was not there to check)."""

    findings: list[LedgerProblem]
    commits: int
    shallow: bool


Recorded = Mapping[str, FileRecord]  # append-only file -> the entry that recorded it


def verify_range(factory: Factory, commits: RevRange, recorded: Recorded | None = None) -> Walk:
    """Findings in the COMMITS of a range, and how many commits were examined."""
    findings, count = _walk(factory, commits.revs, recorded or {})
    return Walk(findings, count, factory.repo.shallow)


def verify_history(factory: Factory, recorded: Recorded | None = None) -> Walk:
    """Findings in all of HEAD's history not walked before, and the commits examined.

    In a shallow clone the walk stops at the boundary: what it found is reported,
    but HEAD is never remembered as verified, since what lies beyond was not seen."""
    head = factory.repo.head
    if head is None:
        return Walk([], 0, False)
    shallow = factory.repo.shallow
    memory = segments.shared_state_dir(factory) / "history.json"
    tips = [t for t in (segments.read_json(memory) or {}).get("tips", []) if isinstance(t, str)]
    revs = [head, "--not", *tips] if tips else [head]
    findings, count = _walk(factory, revs, recorded or {}, ignore_missing=True)
    if not findings and not shallow:
        segments.write_json(memory, {"tips": [head, *[t for t in tips if t != head]][:MAX_TIPS]})
    return Walk(findings, count, shallow)


def _walk(
    factory: Factory, revs: Sequence[str], recorded: Recorded, *, ignore_missing: bool = False
) -> tuple[list[LedgerProblem], int]:
    prefix = factory.root.relative_to(factory.worktree).as_posix()
    prefix = "" if prefix == "." else f"{prefix}/"
    pathspecs = [LEDGER_DIR, *sorted(APPEND_ONLY)]
    commits = git.log_raw_per_parent(factory.root, revs, pathspecs, ignore_missing=ignore_missing)
    findings: list[LedgerProblem] = []
    grown: list[tuple[str, str, str, str]] = []  # commit, path, old blob, new blob
    for commit, changes in commits:
        for change in changes:
            if not change.path.startswith(prefix):
                continue
            path = change.path[len(prefix) :]
            changed = change.status in "MT" and change.old != change.new
            if is_segment(path):
                if change.status == "D":
                    findings.append(
                        LedgerProblem(
                            path, 0, "segment deleted: its committed entries removed", None, commit
                        )
                    )
                elif changed:
                    grown.append((commit, path, change.old, change.new))
            elif changed and may_grow(path):
                grown.append((commit, path, change.old, change.new))  # an incident may grow
            elif is_append_only(path) and (change.status == "D" or changed):
                what = "deleted (or renamed)" if change.status == "D" else "changed"
                record = recorded.get(path)
                if record is None:
                    message = f"append-only file {what} (no entry records it)"
                    findings.append(LedgerProblem(path, 0, message, None, commit))
                else:
                    where = f"{record.segment}:{record.line}"
                    message = f"append-only file {what} (recorded by {where})"
                    findings.append(
                        LedgerProblem(
                            path, 0, message, record.entry, commit, record.segment, record.line
                        )
                    )
    findings.extend(_check_growth(factory.root, grown))
    return findings, len({c.commit for c in commits})


def _check_growth(cwd: Path, grown: list[tuple[str, str, str, str]]) -> list[LedgerProblem]:
    """Each old blob must be a byte prefix of the new one."""
    findings = []
    oids = [oid for _, _, old, new in grown for oid in (old, new)]
    blobs = git.iter_blobs(cwd, oids)
    for commit, path, _, _ in grown:
        (_, old), (_, new) = next(blobs), next(blobs)
        if old is None or new is None:
            findings.append(
                LedgerProblem(path, 0, "a blob of this segment is missing", None, commit)
            )
        elif may_grow(path):
            if not grew(old, new):
                message = "append-only file changed (it may only be added to at its end)"
                findings.append(LedgerProblem(path, 0, message, None, commit))
        elif (number := growth.lost_line(old, new)) is not None:
            entry = old.split(b"\n")[number - 1][:64].decode("ascii", "replace") or None
            message = "committed line changed or removed (a segment may only grow)"
            findings.append(LedgerProblem(path, number, message, entry, commit))
    for _ in blobs:  # drain, so git exits
        pass
    return findings
