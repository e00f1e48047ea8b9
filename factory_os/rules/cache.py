"""The compiled-documents cache: one file under the git directory, keyed on blob ids.

A blob id names a file's exact content, so an entry never goes stale: when a
rule, team.yaml, roles.yaml or factory.yaml changes, its new blob simply misses
and is compiled once. The file is shared by all worktrees of a clone and
replaced atomically, so concurrent hooks at worst compile twice. It is written
with `marshal`, which loads several times faster than JSON and costs no import:
the hook reads it on every commit.
"""

from __future__ import annotations

import marshal
import os

from factory_os import __version__

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from _typeshed import StrPath

CACHE_NAME = "compiled.marshal"
MAX_ENTRIES = 20_000
KEPT = {"tree:": 8, "grep:": 1}  # the newest entries kept of these kinds
VERSION = f"9/{__version__}"  # the compiled format / the compiler


class Cache:
    def __init__(self, directory: StrPath | None) -> None:
        self.path = None if directory is None else os.path.join(directory, "factory-os", CACHE_NAME)
        self.entries: dict[str, Any] = {}
        self.dirty = False
        if self.path is None:
            return
        try:
            with open(self.path, "rb") as f:
                data = marshal.loads(f.read())
        except (OSError, ValueError, EOFError, TypeError):  # gone, torn or foreign
            return
        if isinstance(data, dict) and data.get("version") == VERSION:
            self.entries = data.get("entries", {})

    def get(self, kind: str, blob: str) -> Any:
        return self.entries.get(f"{kind}:{blob}")

    def put(self, kind: str, blob: str, compiled: Any) -> None:
        key = f"{kind}:{blob}"
        self.entries.pop(key, None)  # the newest entries come last
        self.entries[key] = compiled
        self.dirty = True

    def save(self) -> None:
        if not self.dirty or self.path is None:
            return
        # a commit's documents are worth keeping only while it is recent (HEAD, mostly),
        # and what staged blobs hold only for the literals of the rules in force now
        for kind, most in KEPT.items():
            keys = [key for key in self.entries if key.startswith(kind)]
            for key in keys[:-most]:
                del self.entries[key]
        entries = self.entries
        if len(entries) > MAX_ENTRIES:
            entries = dict(list(entries.items())[-MAX_ENTRIES // 2 :])
        try:
            payload = marshal.dumps({"version": VERSION, "entries": entries})
            directory = os.path.dirname(self.path)
            os.makedirs(directory, exist_ok=True)
            # a name of this process's own (not tempfile: it costs the hook an import
            # of several milliseconds on the first check after every commit)
            tmp = os.path.join(directory, f".compiled.{os.getpid()}.tmp")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
            with os.fdopen(fd, "wb") as f:
                f.write(payload)
            os.replace(tmp, self.path)
        except (OSError, ValueError):
            pass  # a cache that cannot be written is only slower
        self.dirty = False
