"""The overrides in force in the index, for the staged check: replayed once per state
of the ledger, and kept under the git directory keyed on its segments' blob ids.

A staged check (the commit hooks, `check --all`, guard) honours the overrides of
the ledger as the index holds it: what the commit will hold, committed before or
staged with it. The replay is what `rules.overrides.apply_grouped` takes (by
rule, then scope; the paths targets translated), so a check that finds a
blocking finding loads it with `marshal` and matches, and imports neither
pydantic, json, hashlib nor pathspec. What names the ledger's state is its
segments' blob ids, which `git ls-files` gives; while the index file has not
changed since they were read (its stat, as git's own "racily clean" rule judges
it), they are not asked again. A segment whose blob changed is read again from
git, and when the new blob begins with the bytes read before (a segment only
grows) only what follows is parsed.
"""

from __future__ import annotations

import marshal
import os

from factory_os.git import plumbing as git
from factory_os.paths import LEDGER_DIR, SEGMENT_SUFFIX as SUFFIX, is_segment
from factory_os.rules.overrides import group
from factory_os.work.override_records import ID_HEX, MARK, parse

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, NamedTuple

    from _typeshed import StrPath

    from factory_os.rules.overrides import Grouped, Override
else:
    from factory_os.records import NamedTuple

CACHE_FILE = "fos/override-index.marshal"  # what a check loads: the replay, and its key
PARSED_FILE = "fos/override-segments.marshal"  # what a new replay starts from, per segment
COMMITS_FILE = "fos/override-commits.marshal"  # the same, for the ledgers of commits
VERSION = 3  # (3: an override says whether its targets are valid globs)


class Replay(NamedTuple):
    """The overrides in force in the index, grouped (`rules.overrides.group`), and
    the size of each of the index's segments (by path in the factory)."""

    grouped: Grouped
    sizes: dict[str, int]

    def same_on_disk(self, root: StrPath) -> bool:
        """Whether the work tree's ledger of the factory at ROOT has the index's
        segments at the index's sizes (a stat each): then it holds no line the index
        has not, for a writer only appends (a note's shortcut, not a check)."""
        try:
            names = [n for n in os.listdir(os.path.join(root, LEDGER_DIR)) if n.endswith(SUFFIX)]
        except OSError:
            return not self.sizes
        if len(names) != len(self.sizes):
            return False
        for name in names:
            try:
                size = os.stat(os.path.join(root, LEDGER_DIR, name)).st_size
            except OSError:
                return False
            if self.sizes.get(f"{LEDGER_DIR}/{name}") != size:
                return False
        return True


def in_index(worktree: StrPath, git_dir: StrPath, prefix: str = "") -> Replay:
    """The overrides granted in the index's ledger (the factory at PREFIX in the
    repository at WORKTREE, whose git directory is GIT_DIR), neither revoked nor
    recorded as expired; the expiry is judged when they are applied."""
    path = os.path.join(git_dir, CACHE_FILE)
    kept, written_ns = _load(path)
    index = _index_stat(worktree, git_dir)
    segments = kept.get("segments")
    stale = index is None or kept.get("index") != index or _racy(index, written_ns)
    if stale or not isinstance(segments, dict):
        listed = git.tree_entries(worktree, ":", [f"{prefix}{LEDGER_DIR}/"])
        cut = len(prefix)
        segments = {p[cut:]: b for p, b in listed.items() if is_segment(p[cut:])}
    key = sorted(segments.items())
    grouped, sizes = kept.get("grouped"), kept.get("sizes")
    if kept.get("key") == key and isinstance(grouped, dict) and isinstance(sizes, dict):
        if stale:  # the same ledger: what was listed holds for this index
            _save(path, {**kept, "index": index, "segments": segments})
        return Replay(grouped, sizes)
    parsed = _replayed(worktree, os.path.join(git_dir, PARSED_FILE), segments)
    granted, _ended = _in_force(parsed)
    grouped = group(granted.values(), translate=True)
    sizes = {name: parsed[name][5] for name in parsed}
    _save(
        path,
        {"index": index, "segments": segments, "key": key, "grouped": grouped, "sizes": sizes},
    )
    return Replay(grouped, sizes)


def at_commit(
    worktree: StrPath, common_dir: StrPath, treeish: str, prefix: str = ""
) -> tuple[dict[str, Override], set[str]]:
    """The overrides granted in the ledger as committed at TREEISH and neither revoked
    nor recorded as expired there, by id, and the ids ended there: for a range check,
    which adds those of the range. Each segment is parsed once per blob (and a grown
    one from where it was left), kept in COMMON_DIR, which a clone's worktrees and a
    bare repository's pushes share."""
    listed = git.tree_entries(worktree, treeish, [f"{prefix}{LEDGER_DIR}/"])
    cut = len(prefix)
    segments = {p[cut:]: b for p, b in listed.items() if is_segment(p[cut:])}
    return _in_force(_replayed(worktree, os.path.join(common_dir, COMMITS_FILE), segments))


def _replayed(worktree: StrPath, path: str, segments: dict[str, str]) -> dict[str, Any]:
    """`_replay` of SEGMENTS, from and into what PATH keeps."""
    before, _ = _load(path)
    parsed = _replay(worktree, segments, before.get("parsed") or {})
    if parsed != before.get("parsed"):
        _save(path, {"parsed": parsed})
    return parsed


def _in_force(parsed: dict[str, Any]) -> tuple[dict[str, Override], set[str]]:
    """From the segments PARSED (`_replay`): the overrides granted and not ended, by
    id (the first grant of an id counts), and the ids ended."""
    from factory_os.rules.overrides import Override

    granted: dict[str, tuple[Any, ...]] = {}
    ended: set[str] = set()
    for name in sorted(parsed):
        for values in parsed[name][3]:
            granted.setdefault(values[0], values)
        ended.update(parsed[name][4])
    return {i: Override(*v) for i, v in granted.items() if i not in ended}, ended


def _replay(worktree: StrPath, segments: dict[str, str], before: dict[str, Any]) -> dict[str, Any]:
    """Per segment of SEGMENTS (path -> blob id): (blob, bytes parsed, their digest,
    the grants, the ids ended, the blob's size), from BEFORE (what an earlier replay kept) where the
    blob is the same, or where the new one only adds to it."""
    out: dict[str, Any] = {}
    fetch = [b for name, b in segments.items() if (before.get(name) or ("",))[0] != b]
    blobs = git.cat_blobs(worktree, fetch) if fetch else {}
    import hashlib  # only when a segment changed

    for name, blob in segments.items():
        known = before.get(name)
        if known is not None and known[0] == blob:
            out[name] = known
            continue
        data = blobs.get(blob)
        if data is None:
            continue
        end = data.rfind(b"\n") + 1
        start, granted, ended = 0, [], []
        if known is not None and _grew(data, end, known, hashlib.sha256):
            start, granted, ended = known[1], list(known[3]), list(known[4])
        more = data[start:end]
        if MARK in more:
            lines = [line for line in more.split(b"\n") if MARK in line[ID_HEX:]]
            found, gone = parse(lines)
            ended += sorted(gone)
            over = set(ended)  # what ended in this segment is dropped: the cache stays small
            granted = [v for v in granted if v[0] not in over]
            granted += [tuple(o) for o in found.values() if o.id not in over]
        digest = hashlib.sha256(data[:end]).hexdigest()
        out[name] = (blob, end, digest, granted, ended, len(data))
    return out


def _grew(data: bytes, end: int, known: Any, sha256: Any) -> bool:
    """Whether DATA, up to END, begins with the bytes KNOWN was parsed from."""
    return bool(known[1] <= end and sha256(data[: known[1]]).hexdigest() == known[2])


def _index_stat(worktree: StrPath, git_dir: StrPath) -> list[Any] | None:
    """The index file's path and stat (GIT_INDEX_FILE's, as git hands it to a hook,
    relative to the top of the work tree); None when there is none."""
    named = os.environ.get("GIT_INDEX_FILE")
    where = os.path.join(worktree, named) if named else os.path.join(git_dir, "index")
    try:
        st = os.stat(where)
    except OSError:
        return None
    return [where, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns]


def _racy(index: list[Any], written_ns: int) -> bool:
    """Whether the index may have changed in the clock tick the cache was written in:
    then an unchanged stat proves nothing (git's "racily clean" entries)."""
    return int(max(index[3], index[4])) >= written_ns


def _load(path: str) -> tuple[dict[str, Any], int]:
    """What the last replay kept, and when it was written (its file's mtime)."""
    try:
        with open(path, "rb") as f:
            written_ns = os.fstat(f.fileno()).st_mtime_ns
            value = marshal.loads(f.read())
    except (OSError, ValueError, EOFError, TypeError):
        return {}, 0
    if not isinstance(value, dict) or value.get("version") != VERSION:
        return {}, 0
    return value, written_ns


def _save(path: str, value: dict[str, Any]) -> None:
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        tmp = os.path.join(os.path.dirname(path), f".{os.path.basename(path)}.{os.getpid()}.tmp")
        with open(tmp, "wb") as f:
            f.write(marshal.dumps({**value, "version": VERSION}))
        os.replace(tmp, path)
    except (OSError, ValueError):
        pass  # a cache that cannot be written only costs time
