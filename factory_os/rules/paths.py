"""`check_paths`: would a member writing these paths break a rule? (`fos guard`, MCP).

`check_write` answers the same for a write whose text is known (guard reads it
from the agent's tool call): the forbidden-pattern rules run over the lines it
adds, and the approval-required rules it falls under are listed apart.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Protocol

from factory_os.rules.finding import Finding
from factory_os.rules.run import check, require_repo
from factory_os.rules.seam import Seam
from factory_os.rules.source import Proposed

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import NamedTuple
else:
    from factory_os.records import NamedTuple


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
    return check_write(factory, member=member, role=role, paths=paths, seam=seam).findings


class Verdict(NamedTuple):
    findings: list[Finding]  # what the write would break
    approvals: list[Finding]  # the approval-required rules it falls under


def check_write(
    factory: HasRoot | Path,
    *,
    member: str | None,
    role: str | None,
    paths: Sequence[str],
    texts: Mapping[str, tuple[str, str]] | None = None,
    seam: Seam | None = None,
) -> Verdict:
    """`check_paths` for a write of PATHS, and with TEXTS (path, as in PATHS -> the
    text it holds now and the text the write would leave) of its content."""
    root = factory if isinstance(factory, Path) else factory.root
    repo = require_repo(root)
    local = [p for path in paths if (p := _local(repo.root, path)) is not None]
    known = {
        p: text
        for path, text in (texts or {}).items()
        if (p := _local(repo.root, path)) is not None
    }
    source = Proposed(local, member=member, role=role, texts=known)
    findings = check(root, source, seam=seam, repo=repo).findings
    return Verdict(findings, source.approvals)


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
