"""The overrides in force, read straight from ledger lines: cheap enough for every commit.

`fos check` runs in the pre-commit hook, so this reads no more than it must:
the segments' bytes, and of those only the lines of `override.granted` and
`override.revoked` entries are parsed (a substring test first, then their
JSON). It imports nothing heavy (DESIGN section 7). The staged check reads the
work tree's ledger; a range check reads the ledger as committed at a commit
(one `git grep`), so a pull request's check sees the overrides its base had and
those the range itself adds.

A line counts only if its id is the hash of its bytes, as `fos verify` checks
it (a line edited by hand, or made up with a made-up id, is passed over); that
its parents are known is left to `fos verify`. An entry that does not read as an
override is passed over.
"""

from __future__ import annotations

import marshal
import os
from collections.abc import Iterable, Sequence
from pathlib import Path

from factory_os.git import log as gitlog, plumbing as git
from factory_os.paths import LEDGER_DIR, SEGMENT_SUFFIX
from factory_os.rules.finding import Finding
from factory_os.rules.overrides import RULE_ID, Override, from_data

TYPE_CHECKING = False
if TYPE_CHECKING:  # `typing` costs the hook milliseconds
    from typing import Any

    from factory_os.rules.seam import LedgerLine

GRANTED = b'"kind":"override.granted"'
REVOKED = b'"kind":"override.revoked"'
MARK = b'"kind":"override.'
ID_HEX = 64
DOMAIN = b"factory-os/ledger/v1\0"  # what a line's id hashes first, as `ledger.line` says
CACHE_FILE = "override-lines.marshal"
CACHE_VERSION = 3  # (3: paths kept as the linear-time matcher translates them)


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


def work_tree_overrides(
    root: Path, cache_dir: Path | None
) -> tuple[dict[str, tuple[Any, ...]], set[str]]:
    """What `parse` says of the work tree's ledger (each override as its fields, then
    its paths translated, as `_kept` keeps them), reading only what was appended
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
                for k, v in {**{k: _kept(v) for k, v in more.items()}, **seg_granted}.items()
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


def _kept(override: Override) -> tuple[Any, ...]:
    """OVERRIDE's fields, then its paths targets translated (`scope.translate`), or
    None: a check matches them without importing pathspec."""
    translated = None
    if override.scope == "paths":
        from factory_os.rules.scope import translate  # once per grant read

        try:
            translated = tuple(translate(override.targets))
        except ValueError:
            translated = None  # matched the slow way, which says what is wrong
    return (*override, translated)


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
    return [line for line in data.split(b"\n") if MARK in line] if MARK in data else []


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
    return git.grep_segments(worktree, treeish, [MARK.decode()], f"{prefix}{LEDGER_DIR}/")


def unstaged(worktree: Path, prefix: str = "") -> set[str]:
    """The ids of the overrides granted in the work tree's ledger and not in the
    index: no one's commit yet."""
    lines = gitlog.unstaged_lines(worktree, f"{prefix}{LEDGER_DIR}/", GRANTED.decode())
    return set(parse(lines)[0]) if lines else set()


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
    worktree: Path,
    base: str | None,
    added: Sequence[LedgerLine],
    forged: set[bytes],
    prefix: str = "",
) -> list[Override]:
    """The overrides a range check may honour, neither revoked nor recorded as
    expired: those of the ledger as committed at BASE, and those the range ADDS,
    less the FORGED lines (`unvouched`). `rules.overrides.apply` judges the expiry."""
    lines = committed_lines(worktree, base, prefix) if base is not None else []
    for line in added:
        data = line.text.encode("utf-8", "surrogateescape")
        if data not in forged:
            lines.append(data)
    granted, ended = parse(lines)
    return [o for i, o in granted.items() if i not in ended]


def for_staged(
    root: Path, cache_dir: Path | None = None
) -> tuple[list[Override], dict[tuple[str, ...], Any]]:
    """The overrides a staged check may honour, neither revoked nor recorded as
    expired, in the work tree's ledger of the factory at ROOT (read incrementally,
    CACHE_DIR keeping what was read: the git directory's `fos/`); and their paths
    targets translated, for `rules.overrides.apply` (which judges the expiry)."""
    granted, revoked = work_tree_overrides(root, cache_dir)
    width = len(Override._fields)
    overrides = []
    globs: dict[tuple[str, ...], Any] = {}
    for ident, values in granted.items():
        if ident not in revoked:
            override = Override(*values[:width])
            overrides.append(override)
            if values[width] is not None:
                globs[override.targets] = values[width]
    return overrides, globs
