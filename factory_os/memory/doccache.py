"""A cache of what was read from each factory document, kept under the git dir.

Parsing YAML and validating it is the cost of reading a factory: about a
millisecond a file, a second for a thousand rules, on every session start. The
cache keeps, per file, the plain data a reader extracted, keyed on the file's
stat signature (size, mtime, ctime, inode) and backed by its sha256.

A stat signature can lie when a file is rewritten within the file system's
timestamp granularity (git calls these entries "racily clean"), so an entry is
trusted on its signature alone only if the file was already older than
RACY_NS when it was read; otherwise its content hash is checked. The cache is
an accelerator, never a source of truth: a missing, corrupt or unwritable
cache only costs time.

One command often opens several catalogs of one factory (the context, then its
open items): while one is open, they share the cache read once in the process,
which is read again only when its file has changed on disk, and written when one
of them learnt something. It is not kept beyond them: thousands of entries alive
at the end of the process would cost its teardown more than reading them again.
Each entry is a flat list (`[sha, size, mtime, ctime, inode, trusted, data]`),
which JSON reads back several times faster than an object.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import time
import weakref
from collections.abc import Callable
from pathlib import Path
from stat import S_ISREG
from typing import Any

from factory_os import __version__, store
from factory_os.errors import InvalidInput
from factory_os.store import MAX_FILE_BYTES

CACHE_FORMAT = 1
RACY_NS = 2_000_000_000
CACHE_FILE = "fos/document-cache.json"
# the parts of an entry
SHA, SIG, TRUSTED, DATA = 0, slice(1, 5), 5, 6
ENTRY_LENGTH = 7

# the cache of each file in use in this process
_OPEN: weakref.WeakValueDictionary[str, DocumentCache] = weakref.WeakValueDictionary()


class DocumentCache:
    def __init__(self, file: Path | None) -> None:
        self.file = file
        self._entries: dict[str, list[Any]] = {}
        self._seen: set[str] = set()  # the paths found since the cache was read
        self._dirty = False
        self._stat: tuple[int, ...] | None = None  # of the file, when read or written
        if file is not None:
            self._stat = _stat_of(str(file))
            self._entries = _load(file)

    @classmethod
    def in_git_dir(cls, git_dir: Path) -> DocumentCache:
        """The cache in a worktree's own git dir (per worktree, like the index)."""
        if os.environ.get("FOS_NO_CACHE"):
            return cls(None)
        file = git_dir / CACHE_FILE
        key = str(file)
        cache = _OPEN.get(key)
        if cache is None or cache._stat != _stat_of(key):
            cache = _OPEN[key] = cls(file)
        return cache

    def get(self, kind: str, path: str, read: Callable[[str], Any]) -> Any:
        """What READ(PATH) returned the last time the file had this content."""
        return self.get_read(kind, path, lambda p, _raw: read(p))

    def get_read(self, kind: str, path: str, read: Callable[[str, bytes | None], Any]) -> Any:
        """What READ(PATH, RAW) returned the last time the file had this content. RAW is
        the file's bytes as the cache hashed them, so that the reader need not read the
        file again; None when the reader must read it itself (and refuse it, naming it)."""
        key = f"{kind}\0{path}"
        stat = os.stat(path)
        self._seen.add(path)
        if not S_ISREG(stat.st_mode) or stat.st_size > MAX_FILE_BYTES:
            return read(path, None)  # which refuses it, with the file named: never cached
        signature = [stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns, stat.st_ino]
        entry = self._entries.get(key)
        if entry is not None and entry[TRUSTED] and entry[SIG] == signature:
            return entry[DATA]
        now = time.time_ns()
        try:
            raw = store.read_bytes(path, path)
        except InvalidInput:
            return read(path, None)  # changed since the stat: the reader words the refusal
        if len(raw) > MAX_FILE_BYTES:
            return read(path, None)
        digest = hashlib.sha256(raw).hexdigest()
        data = entry[DATA] if entry is not None and entry[SHA] == digest else read(path, raw)
        trusted = stat.st_mtime_ns < now - RACY_NS
        self._entries[key] = [digest, *signature, trusted, data]
        self._dirty = True
        return data

    def save(self) -> None:
        """Write the cache back if anything changed, dropping files that are gone."""
        if self.file is None or not self._dirty:
            return
        from factory_os import atomic

        seen = self._seen
        live = {
            key: entry
            for key, entry in self._entries.items()
            if (path := key.partition("\0")[2]) in seen or os.path.exists(path)
        }
        payload = {"format": CACHE_FORMAT, "version": __version__, "entries": live}
        with contextlib.suppress(OSError):  # a read-only git dir only costs speed
            self.file.parent.mkdir(parents=True, exist_ok=True)
            atomic.write_atomic(self.file, json.dumps(payload, separators=(",", ":")))
        self._dirty = False
        self._seen = set()
        self._stat = _stat_of(str(self.file))


def _stat_of(file: str) -> tuple[int, ...] | None:
    try:
        st = os.stat(file)
    except OSError:
        return None
    return (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)


def _load(file: Path) -> dict[str, list[Any]]:
    try:
        payload = json.loads(file.read_bytes())
    except (OSError, ValueError):
        return {}
    if (
        not isinstance(payload, dict)
        or payload.get("format") != CACHE_FORMAT
        or payload.get("version") != __version__
        or not isinstance(payload.get("entries"), dict)
    ):
        return {}
    entries: dict[str, list[Any]] = {
        key: entry
        for key, entry in payload["entries"].items()
        if isinstance(entry, list) and len(entry) == ENTRY_LENGTH
    }
    return entries
