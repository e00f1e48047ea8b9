"""The seam through which the layers above add to a check, without `rules` knowing them.

An entry point (`fos check`, the hooks, guard, the MCP server) passes a `Seam`:
extra checks, each a callable that is given the checked change (`Checked`: its
commits and members, the ledger lines it adds, the files it leaves) and returns
findings; and a post-pass over all the findings (overrides mark those they
lift). The engine calls them after the rules, in that order. Whatever an extra
needs beyond the rules (pydantic models, the ledger's replay) it imports
itself, and only when the change calls for it: the hook path stays light.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from factory_os.git import plumbing as git
from factory_os.paths import is_segment
from factory_os.rules.change import Change, Contents
from factory_os.rules.compiled import RuleSet
from factory_os.rules.finding import Finding
from factory_os.rules.inforce import INVALID, Repo

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, NamedTuple
else:
    from factory_os.records import NamedTuple


class LedgerLine(NamedTuple):
    """A line a change adds to a ledger segment, and who made that change."""

    commit: str | None  # None: the staged change
    member: str | None  # the member id of the change's author, None for a non-member
    author_email: str
    text: str
    path: str = ""  # the segment (factory-relative) and the line the change adds it at
    line: int = 0


class Checked:
    """One check's change, as the extra checks and the post-pass see it."""

    def __init__(
        self,
        repo: Repo,
        stage: str,
        changes: Sequence[Change],
        ruleset: RuleSet,
        contents: Contents,
        *,
        base: str | None,
        head: str | None,
        revs: Sequence[str],
    ) -> None:
        self.repo = repo
        self.stage = stage
        self.changes = changes
        self.ruleset = ruleset
        # the base commit whose ledger and documents judge the change: for a pull request
        # whose base branch moved on after the fork, that branch's tip (None: no base,
        # e.g. the founding change)
        self.base = base
        self.head = head  # the head commit (None: the index)
        self.revs = tuple(revs)
        self._contents = contents
        self.oversized: dict[str, int] = {}  # paths `read` refused by size -> their size

    @property
    def staged(self) -> bool:
        return self.head is None

    @property
    def diffed(self) -> bool:
        """Whether the change is commits or the staged change, whose added lines are a
        diff's: not `--all`'s whole tree, nor a write not made yet (guard)."""
        return type(self._contents) is Contents

    def ledger_lines(self) -> list[LedgerLine]:
        """The lines the changes add to ledger segments, change by change, in order."""
        out = []
        for change in self.changes:
            member = change.member.id if change.member is not None else None
            for f in change.files:
                if is_segment(f.path) and f.status != "D":
                    for number, text in self._contents.added(change.commit, f.path):
                        if text:
                            out.append(
                                LedgerLine(
                                    change.commit, member, change.author_email, text, f.path, number
                                )
                            )
        return out

    def entry(self, text: str) -> dict[str, Any] | str:
        """The fields of the added ledger line TEXT, or what is wrong with it, as the
        rules read it (`Contents.entry`: shared, never to be changed)."""
        return self._contents.entry(text)

    def changed_paths(self) -> set[str]:
        return {f.path for change in self.changes for f in change.files}

    def read(self, paths: Iterable[str]) -> dict[str, bytes]:
        """PATHS (relative to the factory root) as the head (or the index) holds them;
        a path it does not hold is left out, and so is one over the size limit of a
        document, unread (noted in `oversized`, which `refused` reports)."""
        from factory_os.store import MAX_FILE_BYTES

        wanted = [self.repo.prefix + p for p in paths]
        if not wanted:
            return {}
        blobs = git.tree_entries(self.repo.top, self.head or ":", wanted)
        data, larger = git.cat_blobs_within(
            self.repo.top, sorted(set(blobs.values())), MAX_FILE_BYTES
        )
        cut = len(self.repo.prefix)
        exact = set(wanted)  # (a path names a directory's files too)
        for p, b in blobs.items():
            if b in larger and p in exact:
                self.oversized[p[cut:]] = larger[b]
        return {p[cut:]: data[b] for p, b in blobs.items() if b in data and p in exact}

    def refused(self) -> list[Finding]:
        """A finding for each document `read` refused by its size."""
        if not self.oversized:
            return []
        from factory_os.store import MAX_FILE_BYTES

        message = f"invalid document: file is larger than {MAX_FILE_BYTES // 1024} KiB"
        return [Finding(INVALID, "block", message, path) for path in sorted(self.oversized)]


Extra = Callable[[Checked], list[Finding]]
PostPass = Callable[[Checked, list[Finding]], list[Finding]]


class Seam(NamedTuple):
    """What an entry point adds to a check: EXTRAS after the rules, then POST over
    every finding."""

    extras: tuple[Extra, ...] = ()
    post: PostPass | None = None

    def want(self, changes: Sequence[Change], contents: Contents) -> None:
        """Ask CONTENTS for the ledger lines the changes add, in the one bulk fetch."""
        if not self.extras and self.post is None:
            return
        for change in changes:
            for f in change.files:
                if is_segment(f.path) and f.status != "D":
                    contents.want(change.commit, f.path)
