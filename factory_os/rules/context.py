"""What every check kind is given: the rule set, the stage, and bulk content access."""

from __future__ import annotations

from bisect import bisect_left

from factory_os.git import plumbing as git
from factory_os.rules.change import Change, Contents, FileChange
from factory_os.rules.compiled import CompiledRule, RuleSet

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Sequence

    from _typeshed import StrPath

    from factory_os.rules.approvals import Approval, Known


class Blobs:
    """Blob contents, fetched in one `git cat-file --batch` when first needed."""

    def __init__(self, worktree: StrPath) -> None:
        self._worktree = worktree
        self._wanted: set[str] = set()
        self._data: dict[str, bytes] | None = None

    def want(self, *oids: str) -> None:
        self._wanted.update(oid for oid in oids if oid and oid != git.ZERO_OID)

    def get(self, oid: str) -> bytes | None:
        if self._data is None:
            self._data = git.cat_blobs(self._worktree, sorted(self._wanted))
        return self._data.get(oid)


class CheckContext:
    """What every check kind is given for one check."""

    def __init__(
        self, ruleset: RuleSet, stage: str, contents: Contents, blobs: Blobs, root: StrPath
    ) -> None:
        self.ruleset = ruleset
        self.stage = stage
        self.contents = contents
        self.blobs = blobs
        self.root = root
        self.run_commands = True  # False in a bare repository: there is no tree to run in
        self.every_stage = False  # every rule, whatever stages it runs at (guard)
        self.approvals: Known | None = None  # set by the engine before the rules run
        # the approvals already in the base's ledger, read when first asked
        self.earlier_approvals: Callable[[], list[Approval]] | None = None
        # the lines of the head's ledger holding any of some literals (a range's)
        self.ledger_at_head: Callable[[Sequence[str]], Iterable[bytes]] | None = None
        # whether the rule file at a path is reviewed (None: every rule the base holds is)
        self.reviewed: Callable[[str], bool] | None = None
        self._scoped: dict[tuple[int, int], list[FileChange]] = {}

    def scoped(self, rule: CompiledRule, change: Change) -> list[FileChange]:
        """The files of CHANGE within RULE's paths (memoised: every kind asks)."""
        key = (id(rule), id(change))
        found = self._scoped.get(key)
        if found is None:
            prefixes = rule.prefixes
            files = change.files if prefixes is None else _starting(change, prefixes)
            if not rule.everywhere:
                files = [f for f in files if rule.in_scope(f.path)]
            found = self._scoped[key] = files
        return found


def _starting(change: Change, prefixes: tuple[str, ...]) -> list[FileChange]:
    """The files of CHANGE whose paths start with one of PREFIXES, by bisection."""
    index = change.by_path()
    paths = index[0]
    out: list[FileChange] = []
    for prefix in prefixes:
        at = bisect_left(paths, prefix)
        while at < len(paths) and paths[at].startswith(prefix):
            out.append(index[1][at])
            at += 1
    return out if len(prefixes) == 1 else list(dict.fromkeys(out))


def who(change: Change) -> str:
    if change.member is not None:
        return f"{change.member.id} ({', '.join(change.member.roles)})"
    return change.author_email or "unknown author"
