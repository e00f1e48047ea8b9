"""`fos check`'s logic, without click: what the hooks and the CLI both call.

Each function gathers the changes with a fixed number of git processes, works
out the rules in force, evaluates them and returns a `Report`. Nothing here
prints, and nothing heavy is imported unless a rule document must be compiled.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from functools import partial
from pathlib import Path

from factory_os.errors import EnvironmentProblem, UsageError
from factory_os.git import log as gitlog, plumbing as git, revrange
from factory_os.git.repo import find_repository, not_a_work_tree
from factory_os.model.vocabulary import RANGE_STAGES
from factory_os.paths import FACTORY_DIR
from factory_os.rules import approvals
from factory_os.rules.change import Change, Contents, FileChange, file_changes, parse_trailers
from factory_os.rules.context import Blobs, CheckContext
from factory_os.rules.engine import evaluate
from factory_os.rules.finding import Finding, sort_key
from factory_os.rules.identity import allowed_signers_file
from factory_os.rules.inforce import (
    DOCUMENTS,
    Compiler,
    Repo,
    Snapshot,
    ledger_events,
    rules_in_force,
    snapshot_args,
    snapshot_at,
    snapshot_of,
)
from factory_os.rules.report import Report

CONTENT_KINDS = frozenset({"forbidden-pattern", "command"})


class NoFactory(EnvironmentProblem):
    """A git repository without a factory in it."""


def open_repo(cwd: Path) -> Repo | None:
    """The repository and factory around CWD; None when there is no `.factory/`."""
    found = find_repository(cwd)
    if found is None:
        raise not_a_work_tree(cwd)
    top, git_dir, common, head, _shallow = found
    if top is None:  # a bare repository (pre-receive): the factory is at the top of the tree
        return Repo(git_dir, git_dir, common, head, bare=True)
    here = cwd.resolve()
    top = top.resolve()
    candidates = []
    while True:
        prefix = here.relative_to(top).as_posix() if here != top else ""
        prefix = "" if prefix in ("", ".") else prefix + "/"
        if (here / FACTORY_DIR).is_dir():
            return Repo(top, git_dir, common, head, prefix)
        candidates.append(prefix)
        if here == top or here.parent == here:
            break
        here = here.parent
    # not on disk: moving .factory/ aside must not switch the hooks off while git
    # still has it, in HEAD or in the index
    tracked = git.tracked_paths(top, head, [p + d for p in candidates for d in DOCUMENTS.values()])
    for prefix in candidates:
        if any(prefix + d in tracked for d in DOCUMENTS.values()):
            return Repo(top, git_dir, common, head, prefix)
    return None


def require_repo(cwd: Path) -> Repo:
    repo = open_repo(cwd)
    if repo is None:
        raise NoFactory(f"no {FACTORY_DIR}/ found in {cwd} or above it (run `fos init`)")
    return repo


def _founding(base: Snapshot, files: Sequence[FileChange]) -> bool:
    return not base.exists and any(f.path == DOCUMENTS["team"] and f.status == "A" for f in files)


def _merge_heads(repo: Repo) -> list[str]:
    """The other parents of the merge being concluded (MERGE_HEAD), if any."""
    try:
        with open(repo.git_dir / "MERGE_HEAD", encoding="ascii") as f:
            return [line.strip() for line in f if line.strip()]
    except OSError:
        return []


def _own_resolutions(
    repo: Repo, head: str, other: str, files: list[FileChange]
) -> list[FileChange]:
    """The FILES of a merge being concluded that differ from git's own merge of HEAD
    and OTHER: a clean merge brings only what the parents' commits answer for; a
    conflict resolved, or an edit slipped into the merge, is the merger's."""
    tree = gitlog.merge_tree(repo.worktree, head, other)
    if tree is None:
        return files
    paths = [repo.prefix + f.path for f in files]
    merged = git.tree_entries(repo.worktree, tree, paths if len(paths) <= 1000 else [])
    return [f for f in files if merged.get(repo.prefix + f.path, git.ZERO_OID) != f.new_blob]


def check_staged(cwd: Path, *, message: str | None = None) -> Report:
    """The staged change (pre-commit); with MESSAGE, the commit-msg stage."""
    repo = require_repo(cwd)
    head = repo.head
    compiler = Compiler(repo)
    # HEAD's documents are cached by commit id: a commit never changes
    key = f"{head}:{repo.prefix}"
    known = compiler.get("tree", key) if head is not None else {}
    # independent questions, asked at the same time (only a few: on a busy machine
    # with few cores, more processes at once took longer than fewer in turn)
    commands = [git.staged_changes_args(head), git.AUTHOR_IDENT_ARGS]
    if known is None:
        commands.append(snapshot_args(repo, str(head)))
    merging = _merge_heads(repo)
    commands += [git.staged_changes_args(other) for other in merging]
    outputs = git.parallel(repo.worktree, *commands)
    files = file_changes(git.raw_entries(outputs[0]), repo.local)
    if merging:
        # concluding a merge: like a merge commit in a range, it answers only for
        # what is new against every parent, not for the work it brings in
        for output in outputs[-len(merging) :]:
            differs = {path for _s, _o, _n, path in git.raw_entries(output)}
            files = [f for f in files if repo.prefix + f.path in differs]
        if len(merging) == 1 and head is not None and files:
            files = _own_resolutions(repo, head, merging[0], files)
    name, email = git.parse_ident(outputs[1])
    base = Snapshot(dict(known)) if known is not None else snapshot_of(repo, outputs[2])
    # (the rules in force stay HEAD's: the merged branch cannot bring in its own)
    if known is None:
        compiler.cache.put("tree", key, base.blobs)
    after = base.changed(files)
    # the ledger in the work tree: a rule retired there no longer applies to this commit
    events = ledger_events(repo, compiler.cache, None)
    ruleset, doc_findings, _ = rules_in_force(compiler, base, after, events)
    stage = "pre-commit" if message is None else "commit-msg"
    change = Change(
        None, files, name, email, (head,) if head else (), message, founding=_founding(base, files)
    )
    if message is not None:
        change.trailers = parse_trailers(git.parse_trailers(repo.worktree, message))

    def fetch(_commits: list[str | None], paths: list[str]) -> bytes:
        return gitlog.staged_patch(repo.worktree, head, [repo.prefix + p for p in paths])

    def grep(paths: list[str], literals: list[str]) -> set[str]:
        found = gitlog.grep_index(repo.worktree, [repo.prefix + p for p in paths], literals)
        return {local for p in found if (local := repo.local(p)) is not None}

    contents = Contents(fetch, repo.local, grep)
    ctx = CheckContext(ruleset, stage, contents, Blobs(repo.worktree), repo.root)
    findings = evaluate([change], ctx)
    if stage != "commit-msg":
        findings = attributed(doc_findings, [change]) + findings
    return Report(
        sorted(findings, key=sort_key), stage, 1, len(ruleset.rules), [], ruleset.hook_stages
    )


def check_range(
    cwd: Path,
    revs: Sequence[str],
    *,
    base: str | None = None,
    head: str | None = None,
    stage: str = "ci",
    derive_base: bool = False,
    repo: Repo | None = None,
) -> Report:
    """Every commit of REVS (git rev-list arguments) up to HEAD, its tip. The rules in
    force are BASE's plus those the range adds; with DERIVE_BASE, BASE is the oldest
    commit's parent. When HEAD does not descend from BASE, the range is taken from
    their merge base instead. REPO: the repository around CWD, when already found."""
    repo = repo if repo is not None else require_repo(cwd)
    if base is not None and head is not None:
        # a base the head does not descend from (a pull request's base branch moved on
        # after the fork): what the head changes is measured from where they meet
        fork = git.merge_base(repo.worktree, base, head)
        if fork is not None and fork != base:
            base, revs = fork, [f"{fork}..{head}"]
    records = gitlog.log_records(repo.worktree, revs)
    if not records:
        return Report(stage=stage)
    if derive_base:
        first_parents = records[0][1].split()
        base = first_parents[0] if first_parents else None
    head = head or records[-1][0]
    base_snap = snapshot_at(repo, base)
    compiler = Compiler(repo)
    # the ledger at the base: a range cannot end a rule and break it in one go
    events = ledger_events(repo, compiler.cache, base) if base else []
    ruleset, doc_findings, _ = rules_in_force(compiler, base_snap, snapshot_at(repo, head), events)
    signatures: dict[str, tuple[str, str, str, str]] = {}
    if ruleset.require_signed:
        signers = allowed_signers_file(ruleset, repo.root, repo.git_dir)
        signatures = gitlog.log_signatures(repo.worktree, revs, signers)
    from factory_os.rules.merges import answered  # the range path only

    commits = [(record[0], record[1].split()) for record in records]
    raw, whole = answered(repo.worktree, revs, commits, base)
    changes = []
    founded = False
    for record in records:
        sha, parents, name, email, message, trailers = record
        files = file_changes(raw.get(sha, []), repo.local)
        founding = not founded and _founding(base_snap, files)
        founded = founded or founding
        changes.append(
            Change(
                sha,
                files,
                name,
                email,
                tuple(parents.split()),
                message,
                parse_trailers(trailers),
                signatures.get(sha),
                founding=founding,
            )
        )

    def fetch(wanted: list[str | None], paths: list[str]) -> bytes:
        top = [repo.prefix + p for p in paths]
        # a merge's own patch, then (read later, so it wins) the first-parent patch of
        # the merges that answer for more than their combined diff
        opened = [sha for sha in whole if sha in wanted]
        return (
            gitlog.log_patches(repo.worktree, revs, top)
            + b"\n"
            + gitlog.first_parent_patches(repo.worktree, opened, top)
        )

    ctx = CheckContext(ruleset, stage, Contents(fetch, repo.local), Blobs(repo.worktree), repo.root)
    ctx.run_commands = not repo.bare
    ctx.run_added_commands = False
    if base is not None:
        ctx.earlier_approvals = partial(
            approvals.at_commit, repo.worktree, base, repo.prefix, ruleset
        )
    findings = evaluate(changes, ctx)
    findings = attributed(doc_findings, changes) + findings
    return Report(
        sorted(findings, key=sort_key),
        stage,
        len(changes),
        len(ruleset.rules),
        [c.commit or "" for c in changes],
        ruleset.hook_stages,
    )


def attributed(findings: list[Finding], changes: Sequence[Change]) -> list[Finding]:
    """FINDINGS about the factory's documents, with the commit and member of the last
    of CHANGES (their members resolved) that touched the document."""
    out = []
    for finding in findings:
        last = next(
            (c for c in reversed(changes) if any(f.path == finding.path for f in c.files)), None
        )
        if last is not None and finding.path is not None:
            finding = finding._replace(commit=last.commit, member=last.member_name)
        out.append(finding)
    return out


def check_commit(cwd: Path, rev: str, *, stage: str = "ci") -> Report:
    repo = require_repo(cwd)
    sha = revrange.resolve(repo.worktree, rev, "--commit")
    return check_range(cwd, ["-1", sha], head=sha, stage=stage, derive_base=True, repo=repo)


class WholeFiles(Contents):
    """Every line of each file counts as added: for `--all`."""

    def __init__(self, worktree: Path, blobs: dict[str, str]) -> None:
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


def check_all(cwd: Path) -> Report:
    """Every file in the index, as if added in one change by no one in particular.

    Only the rules about content run (forbidden-pattern, command), and only those
    that bind every role: path-guard, approval-required, append-only and
    required-trailer concern who changed what and in which commit, which a tree
    alone does not say.
    """
    repo = require_repo(cwd)
    head = repo.head
    index = {
        local: blob
        for path, blob in git.tree_entries(repo.worktree, ":", ["."]).items()
        if (local := repo.local(path)) is not None
    }
    files = [FileChange("A", git.ZERO_OID, blob, path) for path, blob in sorted(index.items())]
    base = snapshot_at(repo, head)
    staged = file_changes(git.staged_changes(repo.worktree, head), repo.local)
    compiler = Compiler(repo)
    events = ledger_events(repo, compiler.cache, None)
    ruleset, doc_findings, _ = rules_in_force(compiler, base, base.changed(staged), events)
    ruleset.rules = [r for r in ruleset.rules if r.kind in CONTENT_KINDS]
    ctx = CheckContext(
        ruleset, "ci", WholeFiles(repo.worktree, index), Blobs(repo.worktree), repo.root
    )
    findings = doc_findings + evaluate([Change(None, files)], ctx, with_identity=False)
    return Report(sorted(findings, key=sort_key), "ci", 1, len(ruleset.rules))


def run_check(
    cwd: Path,
    *,
    staged: bool = False,
    message_file: Path | None = None,
    commit: str | None = None,
    revision_range: str | None = None,
    all_files: bool = False,
    stage: str | None = None,
) -> Report:
    """`fos check` with its options: one of staged (default), commit, range, all."""
    modes = [
        staged or message_file is not None,
        commit is not None,
        revision_range is not None,
        all_files,
    ]
    if sum(modes) > 1:
        raise UsageError("give one of --staged/--message-file, --commit, --range, --all")
    if stage is not None and not (commit or revision_range):
        raise UsageError("--stage goes with --commit or --range")
    if stage is not None and stage not in RANGE_STAGES:
        raise UsageError(f"--stage is one of {', '.join(RANGE_STAGES)}")
    stage = "ci" if stage in (None, "pre-receive") else stage
    if commit is not None:
        return check_commit(cwd, commit, stage=stage)
    if revision_range is not None:
        # `$PRE_COMMIT_FROM_REF..$PRE_COMMIT_TO_REF`, as the pre-commit framework's push hook passes
        commits = revrange.parse_range(cwd, os.path.expandvars(revision_range))
        return check_range(cwd, commits.revs, base=commits.base, head=commits.head, stage=stage)
    if all_files:
        return check_all(cwd)
    if message_file is not None:
        return check_staged(cwd, message=read_message(message_file))
    return check_staged(cwd)


def read_message(path: Path) -> str:
    try:
        return path.read_bytes().decode("utf-8", "replace")
    except OSError as exc:
        raise UsageError(f"cannot read the message file {path}: {exc.strerror}") from None
