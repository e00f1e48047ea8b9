"""What every check kind is given: the rule set, the stage, and bulk content access."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from factory_os import git
from factory_os.rules.change import Change, Contents, FileChange
from factory_os.rules.compiled import CompiledRule, RuleSet


class Blobs:
    """Blob contents, fetched in one `git cat-file --batch` when first needed."""

    def __init__(self, worktree: Path) -> None:
        self._worktree = worktree
        self._wanted: set[str] = set()
        self._data: dict[str, bytes] | None = None

    def want(self, *oids: str) -> None:
        self._wanted.update(oid for oid in oids if oid and oid != git.ZERO_OID)

    def get(self, oid: str) -> bytes | None:
        if self._data is None:
            self._data = git.cat_blobs(self._worktree, sorted(self._wanted))
        return self._data.get(oid)


@dataclass
class CheckContext:
    ruleset: RuleSet
    stage: str
    contents: Contents
    blobs: Blobs
    root: Path
    run_commands: bool = True  # False in a bare repository: there is no tree to run in
    _scoped: dict[tuple[int, int], list[FileChange]] = field(default_factory=dict)

    def scoped(self, rule: CompiledRule, change: Change) -> list[FileChange]:
        """The files of CHANGE within RULE's paths (memoised: every kind asks)."""
        key = (id(rule), id(change))
        if key not in self._scoped:
            self._scoped[key] = [f for f in change.files if rule.in_scope(f.path)]
        return self._scoped[key]


def who(change: Change) -> str:
    if change.member is not None:
        return f"{change.member.id} ({', '.join(change.member.roles)})"
    return change.author_email or "unknown author"
