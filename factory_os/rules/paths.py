"""`check_paths`: would a member writing these paths break a rule? (`fos guard`, MCP)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

from factory_os.rules.finding import Finding
from factory_os.rules.run import check, require_repo
from factory_os.rules.seam import Seam
from factory_os.rules.source import Proposed


class HasRoot(Protocol):
    @property
    def root(self) -> Path: ...


def check_paths(
    factory: HasRoot | Path,
    *,
    member: str | None,
    role: str | None,
    paths: Sequence[str],
    seam: Seam | None = None,
) -> list[Finding]:
    """The findings a change writing PATHS (relative to the factory root, or absolute)
    by MEMBER (an id or email; default: FOS_ACTOR, then git's user.email) would get
    from the path rules in force: path-guard, and append-only for files that exist.

    With ROLE, the member is taken to act in that role only, which must be one of
    theirs (else a UsageError). An actor who is no member gets the finding
    identity.unknown_author sets, as their commit would. The rules in force are
    those of HEAD plus those the index adds, as for the commit hook.
    """
    root = factory if isinstance(factory, Path) else factory.root
    repo = require_repo(root)
    local = [p for path in paths if (p := _local(repo.root, path)) is not None]
    source = Proposed(local, member=member, role=role)
    return check(root, source, seam=seam, repo=repo).findings


def _local(root: Path, path: str) -> str | None:
    """PATH relative to ROOT with slashes; None when it lies outside."""
    candidate = Path(path)
    absolute = candidate if candidate.is_absolute() else root / candidate
    try:
        return Path(_normalise(absolute)).relative_to(_normalise(root)).as_posix()
    except ValueError:
        return None


def _normalise(path: Path) -> str:
    return os.path.normpath(os.path.realpath(path))
