"""Which entries a tree's ledger holds, for the integrity check of a range's lines.

Each line a range adds names its parents; those outside the range must be lines
of the ledger at the range's head (`rules.integrity`). `git grep` answered that
by reading every segment of the head, megabytes for a ledger of thousands of
entries, on every check. The head's segments are mostly blobs checked before
(the base's, which the range leaves as they are), so the ids each segment blob
holds are kept under the git directory, keyed on its blob id (a blob id names
exact content: what is kept never goes stale), and only a blob not seen before
is read. The answer is `git grep`'s: the lines of the head's `*.jsonl` files
directly in the ledger's directory whose first 64 characters are a wanted id,
text files only (a file git takes for binary is not searched).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence

from factory_os.git import plumbing as git

ID_BYTES = 64
KEPT = 64  # segment blobs whose ids are kept (the newest used)
_BINARY_PROBE = 8000  # git takes a blob with a NUL among its first bytes for binary


def lines_at(
    top: str, commondir: str, treeish: str, ledger: str
) -> Callable[[Sequence[str]], list[bytes]]:
    """A lookup of ids (hex) among the entries of the ledger directory LEDGER ("dir/")
    in TREEISH: it returns a line starting with each id that is one of them."""

    def lookup(wanted: Sequence[str]) -> list[bytes]:
        tree = git.tree_entries(top, treeish, [ledger])
        blobs = sorted(
            {
                blob
                for path, blob in tree.items()
                if path.startswith(ledger)
                and "/" not in path[len(ledger) :]
                and path.endswith(".jsonl")
            }
        )
        held = _ids(top, os.path.join(commondir, "factory-os", "ledger-ids"), blobs)
        return [w.encode("ascii") for w in wanted if any(_holds(ids, w) for ids in held)]

    return lookup


def _holds(ids: bytes, wanted: str) -> bool:
    """Whether IDS (ids end to end) holds WANTED at an id's place."""
    needle = wanted.encode("ascii", "replace")
    if len(needle) != ID_BYTES:
        return False
    at = ids.find(needle)
    while at >= 0:
        if at % ID_BYTES == 0:
            return True
        at = ids.find(needle, at + 1)
    return False


def _ids(top: str, directory: str, blobs: list[str]) -> list[bytes]:
    """For each of BLOBS, the first 64 bytes of each of its lines end to end (b"" for
    a blob git takes for binary): kept in DIRECTORY, read from git when not yet."""
    found: dict[str, bytes] = {}
    for blob in blobs:
        try:
            with open(os.path.join(directory, blob), "rb") as f:
                found[blob] = f.read()
            os.utime(os.path.join(directory, blob))  # used: kept longer
        except OSError:
            pass
    missing = [blob for blob in blobs if blob not in found]
    if missing:
        for blob, content in git.cat_blobs(top, missing).items():
            found[blob] = _of(content)
            _keep(directory, blob, found[blob])
    return [found[blob] for blob in blobs if blob in found]


def _of(content: bytes) -> bytes:
    if b"\0" in content[:_BINARY_PROBE]:
        return b""
    return b"".join(line[:ID_BYTES] for line in content.split(b"\n") if len(line) >= ID_BYTES)


def _keep(directory: str, blob: str, ids: bytes) -> None:
    try:
        os.makedirs(directory, exist_ok=True)
        tmp = os.path.join(directory, f".{blob}.{os.getpid()}.tmp")
        with open(tmp, "wb") as f:
            f.write(ids)
        os.replace(tmp, os.path.join(directory, blob))
        kept = sorted(
            (entry for entry in os.scandir(directory) if not entry.name.startswith(".")),
            key=lambda entry: entry.stat().st_mtime_ns,
        )
        for old in kept[:-KEPT]:
            os.unlink(old.path)
    except OSError:
        pass  # a cache that cannot be written is only slower
