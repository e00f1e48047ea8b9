"""Revisions as a user names them (`--range BASE..HEAD`, `--commit REV`), parsed and
resolved once into commit ids, with one wording and one exit code for every command.

A malformed range, or an option where a revision goes, is a usage error (exit 2);
a revision this repository has no commit for is an environment problem (exit 4):
usually a CI clone that has not fetched the base.
"""

from __future__ import annotations

from factory_os.errors import EnvironmentProblem, UsageError
from factory_os.git import plumbing as git

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import NamedTuple

    from _typeshed import StrPath
else:
    from factory_os.records import NamedTuple


class RevRange(NamedTuple):
    """The commits HEAD has and BASE has not, both resolved to commit ids."""

    base: str
    head: str

    @property
    def revs(self) -> list[str]:
        """As `git rev-list` arguments."""
        return [f"{self.base}..{self.head}"]


class UnknownRevision(EnvironmentProblem):
    """A revision that names no commit here."""


def parse_range(cwd: StrPath, text: str, *, option: str = "--range") -> RevRange:
    """`BASE..HEAD` (TEXT, given with OPTION) resolved in the repository at CWD."""
    base, sep, head = text.partition("..")
    if "$" in text:
        raise UsageError(f"{option} {text}: an environment variable in it is not set")
    if not sep or not base or not head or head.startswith("."):
        raise UsageError(f"{option} takes BASE..HEAD, not {text!r}")
    return RevRange(resolve(cwd, base, option, text), resolve(cwd, head, option, text))


def resolve(cwd: StrPath, rev: str, option: str, text: str | None = None) -> str:
    """The commit REV (given with OPTION, as part of TEXT) names."""
    given = f"{option} {text if text is not None else rev}"
    if rev.startswith("-"):
        raise UsageError(f"{given}: a revision, not an option, goes here")
    sha = git.rev_parse(cwd, rev)
    if sha is None:
        raise UnknownRevision(
            f"{given}: {rev!r} names no commit in this repository"
            " (fetch it first, or check the spelling)"
        )
    return sha
