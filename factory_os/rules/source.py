"""Change sources: what one check looks at, gathered with a fixed number of git processes.

A source is a value naming the change (`Staged`, with a message for the
commit-msg stage; `Range`, which `--commit` is one of; `Tree` for `--all`;
`Proposed` paths for guard and MCP). `gather` turns it into a `Gathered`: the
changes, the factory documents at the base and after the change (from which
the rules in force are worked out), the ledger's rule events that end rules,
and bulk access to the added lines. `factory_os.rules.run.check` evaluates any
of them the same way. Nothing here prints, and nothing heavy is imported.
"""

from __future__ import annotations

import os
import posixpath
from collections.abc import Callable, Mapping, Sequence

from factory_os.git import log as gitlog, plumbing as git
from factory_os.paths import is_segment
from factory_os.rules.change import (
    Change,
    Contents,
    FileChange,
    Written,
    file_changes,
    parse_trailers,
)
from factory_os.rules.compiled import RuleSet
from factory_os.rules.finding import Finding
from factory_os.rules.identity import (
    RULE_ID as UNKNOWN_RULE_ID,
    allowed_signers_file,
    keep_signers,
)
from factory_os.rules.inforce import (
    DOCUMENTS,
    INVALID,
    Compiler,
    Repo,
    Snapshot,
    ledger_events,
    ledger_key,
    snapshot_args,
    snapshot_at,
    snapshot_of,
)
from factory_os.rules.status import RuleEvent

TYPE_CHECKING = False
if TYPE_CHECKING:
    from pathlib import Path

    from _typeshed import StrPath

CONTENT_KINDS = frozenset({"forbidden-pattern", "command"})
MAX_GREPPED = 1_000  # the newest blobs whose answer is kept (a larger cache loads slower)
GUARD_KINDS = frozenset({"path-guard", "append-only"})


class Gathered:
    """What a source yields: the changes and what the rules in force are worked out from.

    BASE_COMMIT and HEAD_COMMIT name the commits compared (HEAD_COMMIT None: the
    index); DECIDES is the commit whose team, approvals and ledger judge the change:
    BASE_COMMIT, or the tip of a base branch that moved on after the fork (TIP holds
    its documents). SIGN, when given, fills in the changes' signatures once the
    identity policy in force is known.
    """

    def __init__(
        self,
        changes: list[Change],
        base: Snapshot,
        head: Snapshot,
        events: Sequence[RuleEvent],
        contents: Contents,
        *,
        base_commit: str | None = None,
        head_commit: str | None = None,
        revs: Sequence[str] = (),
        sign: Callable[[RuleSet], None] | None = None,
        tip: Snapshot | None = None,
        decides: str | None = None,
    ) -> None:
        self.changes = changes
        self.base = base
        self.head = head
        self.events = events
        self.contents = contents
        self.base_commit = base_commit
        self.head_commit = head_commit
        self.revs = tuple(revs)
        self.sign = sign
        self.tip = tip  # a base branch's tip that moved on after the fork: its rules apply too
        self.decides = decides if decides is not None else base_commit


class Source:
    """What every source says about how its changes are checked."""

    stage = "ci"
    kinds: frozenset[str] | None = None  # only rules of these kinds (None: every kind)
    every_stage = False  # every rule, whatever stages it runs at
    identity = True  # resolve who made each change (else the source says)
    documents = True  # report the factory documents' own problems

    def gather(self, repo: Repo, compiler: Compiler) -> Gathered | None:
        """The changes; None when there are none (an empty range)."""
        raise NotImplementedError

    def ready(self, repo: Repo, ruleset: RuleSet, gathered: Gathered) -> list[Finding]:
        """Once the rules in force are known: findings of the source's own."""
        return []

    def settle(self, ruleset: RuleSet, findings: list[Finding]) -> list[Finding]:
        """The findings of the rules, as this source reports them."""
        return findings

    def reported(self, documents: list[Finding]) -> list[Finding]:
        """Which of the factory documents' own problems this source reports."""
        return documents if self.documents else []


def founding(base: Snapshot, files: Sequence[FileChange]) -> bool:
    return not base.exists and any(f.path == DOCUMENTS["team"] and f.status == "A" for f in files)


class Staged(Source):
    """The staged change (pre-commit); with MESSAGE, the commit-msg stage."""

    def __init__(self, message: str | None = None) -> None:
        self.message = message
        self.stage = "pre-commit" if message is None else "commit-msg"
        self.documents = message is None  # reported once, at pre-commit

    def gather(self, repo: Repo, compiler: Compiler) -> Gathered:
        head = repo.head
        # HEAD's documents are cached by commit id: a commit never changes
        key = f"{head}:{repo.prefix}"
        known = compiler.get("tree", key) if head is not None else {}
        # the author as `git commit` hands it to its hooks, else as git works it out;
        # independent questions, asked at the same time (only a few: on a busy machine
        # with few cores, more processes at once took longer than fewer in turn)
        ident = git.author_ident_from_env()
        commands = [git.staged_changes_args(head)]
        if ident is None:
            commands.append(git.AUTHOR_IDENT_ARGS)
        if known is None:
            commands.append(snapshot_args(repo, str(head), ledger=True))
        merging = _merge_heads(repo)
        commands += [git.staged_changes_args(other) for other in merging]
        index = index_stamp(repo)  # the index the blob ids below are read from
        outputs = git.parallel(repo.top, *commands)
        files = file_changes(git.raw_entries(outputs[0]), repo.local)
        if ident is None:
            ident = git.parse_ident(outputs.pop(1))
        if merging:
            # concluding a merge: like a merge commit in a range, it answers only for
            # what is new against every parent, not for the work it brings in
            for output in outputs[-len(merging) :]:
                differs = {path for _s, _o, _n, path in git.raw_entries(output)}
                files = [f for f in files if repo.prefix + f.path in differs]
            if len(merging) == 1 and head is not None and files:
                files = _own_resolutions(repo, head, merging[0], files)
        name, email = ident
        base = Snapshot(dict(known)) if known is not None else snapshot_of(repo, outputs[1])
        # (the rules in force stay HEAD's: the merged branch cannot bring in its own)
        if known is None:
            compiler.cache.put("tree", key, base.blobs)
            compiler.cache.put("ledger-of", key, ledger_key(repo, outputs[1]))
        change = Change(
            None,
            files,
            name,
            email,
            (head,) if head else (),
            self.message,
            founding=founding(base, files),
        )
        if self.message is not None:
            change.trailers = parse_trailers(git.parse_trailers(repo.top, self.message))

        def fetch(_commits: list[str | None], paths: list[str]) -> bytes:
            return gitlog.staged_patch(repo.top, head, [repo.prefix + p for p in paths])

        blobs = {f.path: f.new_blob for f in files}
        # git grep reads regular files only: a staged symlink's target text is read
        # from the patch, as a range reads it, never ruled out by a grep
        irregular = {repo.local(p) for p in git.irregular_paths(outputs[0])} - {None}

        def grep(paths: list[str], literals: list[str]) -> set[str]:
            kept = {p for p in paths if p in irregular}
            rest = {p: blobs[p] for p in paths if p not in kept}
            return kept | (grep_staged(repo, compiler, rest, literals, index) if rest else set())

        # the rules' status as HEAD's ledger has it, as a range's is its base's: an entry
        # in the work tree (or the index) ends a rule only once committed, so a commit
        # cannot end a rule and break it in one go, nor a segment written by hand help
        ledger = compiler.get("ledger-of", key) if head is not None else None
        events = ledger_events(repo, compiler.cache, head, ledger) if head else []
        return Gathered(
            [change],
            base,
            base.changed(files),
            events,
            Contents(fetch, repo.local, grep),
            base_commit=head,
        )


def grep_staged(
    repo: Repo,
    compiler: Compiler,
    blobs: dict[str, str],
    literals: list[str],
    index: tuple[int, ...] | None,
) -> set[str]:
    """Which of the staged paths of BLOBS (path -> its blob in the index) hold one of
    LITERALS. A blob id names one content, so what a blob was found to hold is kept
    (by the literals asked) and not asked of git again: checking the same staged
    content again (a commit refused, then retried) runs no `git grep`. `git grep`
    reads the index by path, so what it says is kept only when the index is still
    the one (INDEX, its `index_stamp`) the blob ids were read from."""
    key = "\n".join(literals)
    known: dict[str, bool] = dict(compiler.get("grep", key) or {})
    ask = [path for path, blob in blobs.items() if blob not in known]
    if ask:
        found = gitlog.grep_index(repo.top, [repo.prefix + p for p in ask], literals)
        if found is None:
            return set(blobs)  # git cannot tell: every path is read
        answers = {blobs[path]: repo.prefix + path in found for path in ask}
        if index is None or index_stamp(repo) != index:
            return {path for path, blob in blobs.items() if known.get(blob) or answers.get(blob)}
        known.update(answers)
        compiler.cache.put("grep", key, dict(list(known.items())[-MAX_GREPPED:]))
        compiler.cache.save()
    return {path for path, blob in blobs.items() if known[blob]}


def index_stamp(repo: Repo) -> tuple[int, ...] | None:
    """What changes whenever the index is written (git replaces the file): its inode,
    size and times; None when there is none."""
    name = os.environ.get("GIT_INDEX_FILE") or os.path.join(repo.gitdir, "index")
    try:
        st = os.stat(os.path.join(repo.top, name))  # (git reads a relative one from the top)
    except OSError:
        return None
    return (st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


def _merge_heads(repo: Repo) -> list[str]:
    """The other parents of the merge being concluded (MERGE_HEAD), if any."""
    try:
        with open(os.path.join(repo.gitdir, "MERGE_HEAD"), encoding="ascii") as f:
            return [line.strip() for line in f if line.strip()]
    except OSError:
        return []


def _own_resolutions(
    repo: Repo, head: str, other: str, files: list[FileChange]
) -> list[FileChange]:
    """The FILES of a merge being concluded that differ from git's own merge of HEAD
    and OTHER: a clean merge brings only what the parents' commits answer for; a
    conflict resolved, or an edit slipped into the merge, is the merger's."""
    tree = gitlog.merge_tree(repo.top, head, other)
    if tree is None:
        return files
    paths = [repo.prefix + f.path for f in files]
    merged = git.tree_entries(repo.top, tree, paths if len(paths) <= 1000 else [])
    return [f for f in files if merged.get(repo.prefix + f.path, git.ZERO_OID) != f.new_blob]


class Range(Source):
    """Every commit of REVS (git rev-list arguments) up to HEAD, its tip. The rules in
    force are BASE's plus those the range adds; with DERIVE_BASE, BASE is the oldest
    commit's parent.

    When HEAD does not descend from BASE, its commits are those from their merge
    base (the fork). For a pull request whose base branch moved on after the fork,
    the rules in force are the fork's and the base tip's both (the merge will bring
    HEAD's changes under the base tip's rules), the base tip's team, roles and
    settings decide who is who and who may approve, the base tip's ledger holds the
    approvals and the state its entries are judged on, and what HEAD changes is
    measured from the fork. With REPLACES, BASE is what a ref held before a push that moves
    it to HEAD (a force-push): BASE's rules stay in force, and what HEAD lacks of
    BASE (a rule file, an incident, a ledger line) is a change the push makes.
    """

    def __init__(
        self,
        revs: Sequence[str],
        *,
        base: str | None = None,
        head: str | None = None,
        stage: str = "ci",
        derive_base: bool = False,
        replaces: bool = False,
    ) -> None:
        self.revs = list(revs)
        self.base = base
        self.head = head
        self.stage = stage
        self.derive_base = derive_base
        self.replaces = replaces

    def gather(self, repo: Repo, compiler: Compiler) -> Gathered | None:
        base, head, revs = self.base, self.head, self.revs
        tip = None
        if base is not None and head is not None:
            fork = git.merge_base(repo.top, base, head)
            if fork is not None and fork != base:
                revs = [f"{fork}..{head}"]
                if not self.replaces:
                    tip, base = base, fork
        records = gitlog.log_records(repo.top, revs)
        # a force-push that only rewinds (HEAD is an ancestor of BASE) adds no commit,
        # yet drops what BASE holds beyond it: that is charged to HEAD's commit
        rewind = not records and self.replaces and base is not None and head is not None
        if rewind:
            revs = [f"{head}^!"]
            records = gitlog.log_records(repo.top, revs)
        if not records:
            return None
        if self.derive_base:
            first_parents = records[0][1].split()
            base = first_parents[0] if first_parents else None
        head = head or records[-1][0]
        base_snap = snapshot_at(repo, base)
        # the ledger at the base (the base tip's holds the fork's): a range cannot end a
        # rule and break it in one go
        events = ledger_events(repo, compiler.cache, tip or base) if base else []
        from factory_os.rules.merges import answered  # the range path only

        commits = [(record[0], record[1].split()) for record in records]
        if rewind:
            assert base is not None and head is not None
            raw, whole = {head: gitlog.diff_pairs(repo.top, [(base, head)])[0]}, list[str]()
        else:
            raw, whole = answered(repo.top, revs, commits, base)
        changes = []
        # with no factory at the base, only the commit that creates it and those after
        # it are checked: the history before adoption was never under the rules
        adopted: set[str] = set()
        for sha, parents, name, email, message, trailers in records:
            files = file_changes(raw.get(sha, []), repo.local)
            first = False
            if not base_snap.exists:
                if not any(parent in adopted for parent in parents.split()):
                    first = founding(base_snap, files)
                    if not first:
                        continue  # before adoption: never checked
                adopted.add(sha)
            changes.append(
                Change(
                    sha,
                    files,
                    name,
                    email,
                    tuple(parents.split()),
                    message,
                    parse_trailers(trailers),
                    founding=first,
                )
            )
        if not changes:
            return None

        def fetch(wanted: list[str | None], paths: list[str]) -> bytes:
            top = [repo.prefix + p for p in paths]
            # a merge's own patch, then (read later, so it wins) the first-parent patch of
            # the merges that answer for more than their combined diff
            opened = [sha for sha in whole if sha in wanted]
            return (
                gitlog.log_patches(repo.top, revs, top)
                + b"\n"
                + gitlog.first_parent_patches(repo.top, opened, top)
            )

        def sign(ruleset: RuleSet) -> None:
            if not ruleset.require_signed:
                return
            signers: Path | None
            decides = tip or base
            if ruleset.allowed_signers and decides is not None:
                signers = _signers_at(repo, decides, ruleset.allowed_signers)
            else:
                signers = allowed_signers_file(ruleset, repo.root, repo.git_dir)
            signatures = gitlog.log_signatures(repo.top, revs, signers)
            for change in changes:
                change.signature = signatures.get(change.commit or "")

        return Gathered(
            changes,
            base_snap,
            snapshot_at(repo, head),
            events,
            Contents(fetch, repo.local),
            base_commit=base,
            head_commit=head,
            revs=revs,
            sign=sign,
            tip=snapshot_at(repo, tip) if tip is not None else None,
            decides=tip or base,
        )


def _signers_at(repo: Repo, base: str, configured: str) -> Path:
    """factory.yaml's allowed_signers file as the commit BASE holds it, copied under
    the git dir: the work tree holds the head's, which the checked change may have
    given keys of its own (none, when BASE has no such file)."""
    path = posixpath.normpath(repo.prefix + configured)
    blob = git.tree_entries(repo.top, base, [path]).get(path)
    data = git.cat_blobs(repo.top, [blob]).get(blob, b"") if blob else b""
    return keep_signers(repo.git_dir, data)


class WholeFiles(Contents):
    """Every line of each file counts as added: for `--all`."""

    def __init__(self, worktree: StrPath, blobs: dict[str, str]) -> None:
        super().__init__(lambda _c, _p: b"", lambda p: p)
        self._worktree = worktree
        self._blobs = blobs

    def _load(self) -> None:
        self._loaded = True
        wanted = sorted({p for paths in self._wanted.values() for p in paths})
        data = git.cat_blobs(self._worktree, [self._blobs[p] for p in wanted])
        for path in wanted:
            content = data.get(self._blobs[path], b"")
            lines = git.decode(content).split("\n")
            self._added[(None, path)] = list(enumerate(lines, start=1))


def _approvals(ruleset: RuleSet, change: Change) -> list[Finding]:
    """A finding for each approval-required rule binding CHANGE's member that one of
    its files falls under: the approval its commit will need."""
    found = []
    for rule in ruleset.rules:
        if rule.kind != "approval-required" or not rule.binds(change.member):
            continue
        touched = [f.path for f in change.files if rule.everywhere or rule.in_scope(f.path)]
        if touched:
            roles = " or ".join(rule.params.get("approver_roles", ()))
            found.append(
                Finding(
                    rule.id,
                    rule.severity,
                    f"writing {', '.join(touched)} needs the approval of a member with role"
                    f" {roles} other than the author: {rule.statement}",
                    touched[0],
                    member=change.member_name,
                )
            )
    return found


def committed_events(repo: Repo, compiler: Compiler) -> list[RuleEvent]:
    """The rule events of HEAD's ledger (none before the first commit)."""
    return ledger_events(repo, compiler.cache, repo.head) if repo.head else []


def _index_documents(repo: Repo, compiler: Compiler) -> tuple[Snapshot, Snapshot, list[RuleEvent]]:
    """HEAD's documents, the index's, and HEAD's rule events: the rules in force for a
    change not made yet, as for the commit hook."""
    base = snapshot_at(repo, repo.head)
    staged = file_changes(git.staged_changes(repo.top, repo.head), repo.local)
    return base, base.changed(staged), committed_events(repo, compiler)


class Tree(Source):
    """Every file in the index, as if added in one change by no one in particular.

    Only the rules about content run (forbidden-pattern, command): path-guard,
    approval-required, append-only and required-trailer concern who changed what
    and in which commit, which a tree alone does not say.
    """

    kinds = CONTENT_KINDS
    identity = False

    def gather(self, repo: Repo, compiler: Compiler) -> Gathered:
        index = {
            local: blob
            for path, blob in git.tree_entries(repo.top, ":", ["."]).items()
            if (local := repo.local(path)) is not None
        }
        files = [FileChange("A", git.ZERO_OID, blob, path) for path, blob in sorted(index.items())]
        base, head, events = _index_documents(repo, compiler)
        contents = WholeFiles(repo.top, index)
        return Gathered([Change(None, files)], base, head, events, contents, base_commit=repo.head)


class Proposed(Source):
    """A write of PATHS (relative to the factory root) that has not happened yet, by
    git's author identity (MEMBER, an id or email, default FOS_ACTOR, may only confirm
    it: `rules.actor.match`), optionally acting
    in ROLE only: the path rules in force (path-guard, and append-only for files that
    exist) at every stage, as HEAD and the index have them. With TEXTS (path -> the
    text it holds now and the text the write would leave), the forbidden-pattern
    rules too, over the lines the write adds.

    The approval-required rules cannot be met before a commit exists to carry the
    approval; after the check, `approvals` holds one finding for each such rule the
    write falls under, for the caller to ask a person.
    """

    stage = "pre-commit"
    every_stage = True
    identity = False  # the member is named, not taken from a commit
    documents = False

    def __init__(
        self,
        paths: Sequence[str],
        *,
        member: str | None,
        role: str | None,
        texts: Mapping[str, tuple[str, str]] | None = None,
    ) -> None:
        self.paths = list(paths)
        self.member = member
        self.role = role
        self.texts = dict(texts or {})
        self.kinds = GUARD_KINDS | {"forbidden-pattern"} if self.texts else GUARD_KINDS
        self.approvals: list[Finding] = []

    def gather(self, repo: Repo, compiler: Compiler) -> Gathered:
        base, head, events = _index_documents(repo, compiler)
        # ls-tree takes paths literally: what it lists of them exists at HEAD
        wanted = [repo.prefix + local for local in self.paths]
        tracked = git.tree_entries(repo.top, repo.head, wanted) if repo.head else {}
        files = [
            FileChange(
                "M" if repo.prefix + local in tracked else "A", git.ZERO_OID, git.ZERO_OID, local
            )
            for local in self.paths
        ]
        return Gathered([Change(None, files)], base, head, events, Written(self.texts))

    def ready(self, repo: Repo, ruleset: RuleSet, gathered: Gathered) -> list[Finding]:
        from factory_os.errors import UsageError
        from factory_os.rules.actor import ACTOR_VARIABLE, NotAMember, author_email, claim_of, match

        who = author_email(repo.root)
        claim = claim_of(self.member)
        acting, problem = match(ruleset, who, claim)
        if claim is not None and problem is not None:
            raise NotAMember(
                f"{problem}: a write is judged as git's author identity, which --member and"
                f" {ACTOR_VARIABLE} may only confirm"
            )
        if self.role is not None and acting is not None:
            if self.role not in acting.roles:
                raise UsageError(
                    f"{acting.id} does not hold the role {self.role}"
                    f" (their roles: {', '.join(acting.roles) or 'none'})"
                )
            acting = acting._replace(roles=(self.role,))
        change = gathered.changes[0]
        change.member = acting
        change.author_email = acting.emails[0] if acting and acting.emails else who
        self.approvals = _approvals(ruleset, change)
        if acting is not None or not ruleset.members or not change.files:
            return []
        # as the commit hook would treat a commit by this author
        return [
            Finding(
                UNKNOWN_RULE_ID,
                ruleset.unknown_author,
                f"{who or '(no git author email)'} is not a member of team.yaml"
                f" (identity.unknown_author: {ruleset.unknown_author}); to be added, a member"
                " lists the email under a member's emails in team.yaml",
                member=who or None,
            )
        ]

    def reported(self, documents: list[Finding]) -> list[Finding]:
        # a document that cannot be read leaves the write unjudged (a team.yaml that
        # does not parse names no member, so no rule would bind): it refuses the write
        return [f for f in documents if f.rule_id == INVALID]

    def settle(self, ruleset: RuleSet, findings: list[Finding]) -> list[Finding]:
        # a ledger segment may grow; whether a write only appends cannot be known here
        appending = {r.id for r in ruleset.rules if r.kind == "append-only"}
        return [
            f
            for f in findings
            if not (f.rule_id in appending and f.path is not None and is_segment(f.path))
        ]
