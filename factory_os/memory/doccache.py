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
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import time
from collections.abc import Callable
from pathlib import Path
from stat import S_ISREG
from typing import Any

from factory_os import __version__, atomic
from factory_os.store import MAX_FILE_BYTES

CACHE_FORMAT = 1
RACY_NS = 2_000_000_000
CACHE_FILE = "fos/document-cache.json"


class DocumentCache:
    def __init__(self, file: Path | None) -> None:
        self.file = file
        self._entries: dict[str, dict[str, Any]] = {}
        self._dirty = False
        if file is not None:
            self._entries = _load(file)

    @classmethod
    def in_git_dir(cls, git_dir: Path) -> DocumentCache:
        """The cache in a worktree's own git dir (per worktree, like the index)."""
        if os.environ.get("FOS_NO_CACHE"):
            return cls(None)
        return cls(git_dir / CACHE_FILE)

    def get(self, kind: str, path: str, read: Callable[[str], Any]) -> Any:
        """What READ(PATH) returned the last time the file had this content."""
        key = f"{kind}\0{path}"
        stat = os.stat(path)
        if not S_ISREG(stat.st_mode) or stat.st_size > MAX_FILE_BYTES:
            return read(path)  # which refuses it, with the file named: never cached
        signature = [stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns, stat.st_ino]
        entry = self._entries.get(key)
        if entry is not None and entry["trusted"] and entry["sig"] == signature:
            return entry["data"]
        now = time.time_ns()
        with open(path, "rb") as f:
            digest = hashlib.sha256(f.read()).hexdigest()
        if entry is None or entry["sha"] != digest:
            entry = {"sha": digest, "data": read(path)}
        entry.update(sig=signature, trusted=stat.st_mtime_ns < now - RACY_NS)
        self._entries[key] = entry
        self._dirty = True
        return entry["data"]

    def save(self) -> None:
        """Write the cache back if anything changed, dropping files that are gone."""
        if self.file is None or not self._dirty:
            return

        live = {
            key: entry
            for key, entry in self._entries.items()
            if os.path.exists(key.partition("\0")[2])
        }
        payload = {"format": CACHE_FORMAT, "version": __version__, "entries": live}
        with contextlib.suppress(OSError):  # a read-only git dir only costs speed
            self.file.parent.mkdir(parents=True, exist_ok=True)
            atomic.write_atomic(self.file, json.dumps(payload, separators=(",", ":")))
        self._dirty = False


def _load(file: Path) -> dict[str, dict[str, Any]]:
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
    entries: dict[str, dict[str, Any]] = payload["entries"]
    return entries
