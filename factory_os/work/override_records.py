"""The overrides in force, read straight from ledger lines: cheap enough for every commit.

`fos check` runs in the pre-commit hook, so this reads no more than it must:
the segments' bytes, and of those only the lines of `override.granted` and
`override.revoked` entries are parsed (a substring test first, then their
JSON). It imports nothing heavy (DESIGN section 7). The staged check reads the
work tree's ledger; a range check reads the ledger as committed at a commit
(one `git grep`), so a pull request's check sees the overrides its base had and
those the range itself adds.

Lines are not verified here (`fos verify` does that); an entry that does not
read as an override is passed over.
"""

from __future__ import annotations

import marshal
import os
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from factory_os.git import log as gitlog, plumbing as git
from factory_os.paths import LEDGER_DIR, SEGMENT_SUFFIX
from factory_os.rules.finding import Finding
from factory_os.rules.overrides import RULE_ID, Override, from_data

TYPE_CHECKING = False
if TYPE_CHECKING:  # `typing` costs the hook milliseconds
    from typing import Any

GRANTED = b'"kind":"override.granted"'
REVOKED = b'"kind":"override.revoked"'
_MARK = b'"kind":"override.'
ID_HEX = 64
CACHE_FILE = "override-lines.marshal"
CACHE_VERSION = 1


def parse(lines: Iterable[bytes]) -> tuple[dict[str, Override], set[str]]:
    """From ledger LINES: the overrides granted, by id, and the ids ended: revoked,
    or recorded as expired by the sweep (which the clock had already passed)."""
    import json  # only for lines not read before: the hook path does without it

    granted: dict[str, Override] = {}
    revoked: set[str] = set()
    for line in lines:
        if _MARK not in line:
            continue
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


def in_force(lines: Iterable[bytes], now: str) -> list[Override]:
    """The overrides of LINES neither revoked nor expired at NOW (a UTC stamp)."""
    granted, revoked = parse(lines)
    return [o for i, o in granted.items() if i not in revoked and now < o.expires_at]


def work_tree_lines(root: Path) -> list[bytes]:
    """The override lines of the ledger in the work tree of the factory at ROOT."""
    found: list[bytes] = []
    for name in _segment_names(root):
        data = _read_from(os.path.join(root, LEDGER_DIR, name), 0)
        if data is not None:
            found += _override_lines(data)
    return found


def work_tree_overrides(
    root: Path, cache_dir: Path | None
) -> tuple[dict[str, tuple[Any, ...]], set[str]]:
    """What `parse` says of the work tree's ledger (each override as its fields),
    reading only what was appended
    since the last run: per segment, what was parsed and how far, kept in CACHE_DIR
    (keyed on the file's inode; a segment that shrank is read again)."""
    path = None if cache_dir is None else cache_dir / CACHE_FILE
    kept = _load(path)
    granted: dict[str, tuple[Any, ...]] = {}  # an Override's fields: built only when in force
    revoked: set[str] = set()
    fresh: dict[str, Any] = {}
    for name in _segment_names(root):
        segment = os.path.join(root, LEDGER_DIR, name)
        try:
            st = os.stat(segment)
        except OSError:
            continue
        known = kept.get(name)
        if known is None or known[0] != st.st_ino or known[1] > st.st_size:
            known = (st.st_ino, 0, {}, [])
        inode, end, seg_granted, seg_revoked = known
        if end < st.st_size:
            data = _read_from(segment, end)
            if data is None:
                continue
            whole = data[: data.rfind(b"\n") + 1]
            more, gone = parse(_override_lines(whole))
            seg_revoked = [*seg_revoked, *gone]
            ended = set(seg_revoked)  # what ended here is dropped: the cache stays small
            seg_granted = {
                k: v
                for k, v in {**{k: tuple(v) for k, v in more.items()}, **seg_granted}.items()
                if k not in ended
            }
            end += len(whole)
        fresh[name] = (inode, end, seg_granted, seg_revoked)
        for ident, values in seg_granted.items():
            granted.setdefault(ident, values)
        revoked.update(seg_revoked)
    if path is not None and fresh != kept:
        _save(path, fresh)
    return granted, revoked


def _segment_names(root: Path) -> list[str]:
    try:
        names = os.listdir(os.path.join(root, LEDGER_DIR))
    except (FileNotFoundError, NotADirectoryError):
        return []
    return sorted(n for n in names if n.endswith(SEGMENT_SUFFIX))


def _read_from(path: str, offset: int) -> bytes | None:
    try:
        with open(path, "rb") as f:
            f.seek(offset)
            return f.read()
    except OSError:
        return None


def _override_lines(data: bytes) -> list[bytes]:
    return [line for line in data.split(b"\n") if _MARK in line] if _MARK in data else []


def _load(path: Path | None) -> dict[str, Any]:
    if path is None:
        return {}
    try:
        value = marshal.loads(path.read_bytes())
    except (OSError, ValueError, EOFError, TypeError):
        return {}
    if not isinstance(value, dict) or value.get("version") != CACHE_VERSION:
        return {}
    segments: dict[str, Any] = value.get("segments", {})
    return segments


def _save(path: Path, segments: dict[str, Any]) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.write_bytes(marshal.dumps({"version": CACHE_VERSION, "segments": segments}))
        os.replace(tmp, path)
    except (OSError, ValueError):
        pass  # a cache that cannot be written only costs time


def committed_lines(worktree: Path, treeish: str, prefix: str = "") -> list[bytes]:
    """The override lines of the ledger as committed at TREEISH (one `git grep`);
    PREFIX is where the factory sits in the repository."""
    return git.grep_tree(worktree, treeish, [_MARK.decode()], f"{prefix}{LEDGER_DIR}/")


def added_in(worktree: Path, revs: Sequence[str], prefix: str = "") -> list[tuple[str, str, bytes]]:
    """(commit, author email, line) of each `override.granted` line the commits of
    REVS add to the ledger (one `git log`)."""
    return gitlog.added_lines(worktree, revs, f"{prefix}{LEDGER_DIR}/", GRANTED.decode())


def vouched(
    overrides: Sequence[Override],
    added: Iterable[tuple[str, str, bytes]],
    member_of: Callable[[str], str | None],
) -> tuple[list[Override], list[Finding]]:
    """OVERRIDES without those a pull request added in a commit that is not by their
    granter (identity as for every change: the author's email, matched to the team by
    MEMBER_OF); a note about each one left out. ADDED is what `added_in` returns."""
    adders: dict[str, tuple[str, str]] = {}
    for commit, email, line in added:
        for ident in parse([line])[0]:
            adders.setdefault(ident, (commit, email))
    kept: list[Override] = []
    notes: list[Finding] = []
    for override in overrides:
        if override.id not in adders:  # from the base: reviewed when it was merged
            kept.append(override)
            continue
        commit, email = adders[override.id]
        member = member_of(email)
        if member == override.granted_by:
            kept.append(override)
            continue
        notes.append(
            Finding(
                RULE_ID,
                "warn",
                f"{override.id} is ignored: the commit that adds it is by {member or email},"
                f" not by {override.granted_by}, who it says granted it",
                commit=commit,
                member=member or email,
            )
        )
    return kept, notes


def for_staged(root: Path, now: str, cache_dir: Path | None = None) -> list[Override]:
    """The overrides a staged check honours: those in force at NOW in the work
    tree's ledger of the factory at ROOT (read incrementally, CACHE_DIR keeping
    what was read: the git directory's `fos/`)."""
    granted, revoked = work_tree_overrides(root, cache_dir)
    expires = Override._fields.index("expires_at")
    return [
        Override(*values)
        for ident, values in granted.items()
        if now < values[expires] and ident not in revoked
    ]


def for_range(
    worktree: Path,
    revs: Sequence[str],
    head: str,
    now: str,
    member_of: Callable[[str], str | None],
    prefix: str = "",
) -> tuple[list[Override], list[Finding]]:
    """The overrides a range check honours: those in force at NOW in the ledger as
    committed at HEAD, less those the range's commits added without being by their
    granter (reported in the findings returned)."""
    overrides = in_force(committed_lines(worktree, head, prefix), now)
    if not overrides:
        return [], []
    return vouched(overrides, added_in(worktree, revs, prefix), member_of)
