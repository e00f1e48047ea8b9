"""`fos validate`: every file under `.factory/` against its model, then across files.

What validate finds depends only on the files under `.factory/` (the ledger's
segments aside: `fos verify` checks those) and on the version of fos, so the last
result is kept under the git dir with the stat of every file and directory it
came from (size, mtime, ctime, inode). A run that finds every one of them the
same gives that result without parsing a file or importing a model. Like git's
index, it trusts a stat only of a file modified more than RACY_NS before the
result was kept (a result from younger files is not kept), and it keeps none for a tree
with a symbolic link, whose target the stat does not see. A missing, damaged or
unwritable cache only costs time; FOS_NO_CACHE turns it off.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from factory_os import __version__, atomic
from factory_os.errors import EXIT_INVALID, EXIT_OK, Problem
from factory_os.paths import FACTORY_DIR, LEDGER_DIR
from factory_os.store import Factory

CACHE_FILE = "fos/validate-cache.json"
CACHE_FORMAT = 1
RACY_NS = 2_000_000_000


@dataclass(frozen=True)
class Validation:
    """How many files were read, and every problem met in them, sorted by place."""

    files: int
    problems: list[Problem]

    @property
    def exit_code(self) -> int:
        return EXIT_INVALID if self.problems else EXIT_OK


def validate_factory(factory: Factory) -> Validation:
    cache = None if os.environ.get("FOS_NO_CACHE") else factory.repo.git_dir / CACHE_FILE
    tree = _tree(factory)
    if cache is not None and tree is not None:
        kept = _kept(cache, tree)
        if kept is not None:
            return kept
    result = _validate(factory)
    if cache is not None and tree is not None and _old_enough(tree):
        _keep(cache, tree, result)
    return result


def _validate(factory: Factory) -> Validation:
    from factory_os.memory import crossref, documents  # the models: only when parsing

    scan = documents.scan(factory)
    problems = list(scan.problems) + list(crossref.check(scan))
    problems.sort(key=lambda p: (p.path, p.line, p.message))
    return Validation(files=scan.files, problems=problems)


def _tree(factory: Factory) -> dict[str, list[int]] | None:
    """Path under the factory root -> [size, mtime, ctime, inode, is a directory] of
    `.factory/` and everything under it but the ledger's segments; None when a
    symbolic link is among them (or the tree cannot be read)."""
    tree: dict[str, list[int]] = {}
    root = str(factory.root)
    ledger = os.path.join(root, LEDGER_DIR)
    try:
        top = os.stat(os.path.join(root, FACTORY_DIR), follow_symlinks=False)
        tree[FACTORY_DIR] = [0, top.st_mtime_ns, top.st_ctime_ns, top.st_ino, 1]
        pending = [os.path.join(root, FACTORY_DIR)]
        while pending:
            with os.scandir(pending.pop()) as entries:
                for entry in entries:
                    if entry.is_symlink():
                        return None
                    st = entry.stat(follow_symlinks=False)
                    is_dir = entry.is_dir(follow_symlinks=False)
                    rel = entry.path[len(root) + 1 :].replace(os.sep, "/")
                    size = 0 if is_dir else st.st_size
                    tree[rel] = [size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, int(is_dir)]
                    if is_dir and entry.path != ledger:  # the ledger itself, not its segments
                        pending.append(entry.path)
    except OSError:
        return None
    return tree


def _old_enough(tree: dict[str, list[int]]) -> bool:
    """Whether every stat in TREE can be trusted later: all modified before RACY_NS ago
    (a file changed again in the same tick as the result was kept would show the same
    stat; as `doccache` does)."""
    limit = time.time_ns() - RACY_NS
    return all(mtime < limit for _, mtime, _, _, _ in tree.values())


def _kept(cache: Path, tree: dict[str, list[int]]) -> Validation | None:
    try:
        payload = json.loads(cache.read_bytes())
        if (
            payload["format"] != CACHE_FORMAT
            or payload["version"] != __version__
            or payload["tree"] != tree
        ):
            return None
        problems = [Problem(str(p), int(n), str(m)) for p, n, m in payload["problems"]]
        return Validation(files=int(payload["files"]), problems=problems)
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _keep(cache: Path, tree: dict[str, list[int]], result: Validation) -> None:
    payload: dict[str, Any] = {
        "format": CACHE_FORMAT,
        "version": __version__,
        "tree": tree,
        "files": result.files,
        "problems": [list(p) for p in result.problems],
    }
    with contextlib.suppress(OSError):  # a read-only git dir only costs speed
        cache.parent.mkdir(parents=True, exist_ok=True)
        atomic.write_atomic(cache, json.dumps(payload, separators=(",", ":")))
