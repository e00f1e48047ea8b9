"""Reading the Markdown body a user hands to `--body-file` (a path, or `-` for stdin)."""

from __future__ import annotations

import sys
from pathlib import Path

from factory_os import store
from factory_os.errors import InvalidInput


def read_body(cwd: Path, name: str | None) -> str:
    """The text of NAME (relative to CWD), stripped, or "" when NAME is None."""
    if name is None:
        return ""
    if name == "-":
        raw = sys.stdin.buffer.read(store.MAX_FILE_BYTES + 1)
        if len(raw) > store.MAX_FILE_BYTES:
            raise InvalidInput.one("<stdin>", 0, "more than 1024 KiB")
        try:
            return raw.decode("utf-8").strip()
        except UnicodeDecodeError:
            raise InvalidInput.one("<stdin>", 0, "not valid UTF-8 text") from None
    path = Path(name)
    return store.read_text(path if path.is_absolute() else cwd / path, name).strip()
