"""`fos check`'s logic, without click: what the hooks, the CLI, guard and MCP call.

`check` is the one orchestration: a change source (`rules.source`: staged,
commit-msg, a commit or range, the tree, proposed paths) gathers the changes
with a fixed number of git processes; the rules in force are worked out from
its base and head; they are evaluated; then the entry point's seam adds its
checks and its post-pass (`rules.seam`). It returns one `Report`. Nothing here
prints, and nothing heavy is imported unless a rule document must be compiled.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from functools import partial

from factory_os.errors import EnvironmentProblem, UsageError
from factory_os.git import plumbing as git
from factory_os.git.repo import locate, not_a_work_tree
from factory_os.model.vocabulary import RANGE_STAGES
from factory_os.paths import FACTORY_DIR, LEDGER_DIR
from factory_os.rules.change import Change
from factory_os.rules.compiled import RuleSet
from factory_os.rules.context import Blobs, CheckContext
from factory_os.rules.engine import evaluate
from factory_os.rules.finding import Finding, sort_key
from factory_os.rules.inforce import (
    DOCUMENTS,
    Compiler,
    Repo,
    Snapshot,
    rules_in_force,
    snapshot_at,
)
from factory_os.rules.report import Report
from factory_os.rules.seam import Checked, Seam
from factory_os.rules.source import Range, Source, Staged, Tree

TYPE_CHECKING = False
if TYPE_CHECKING:
    from _typeshed import StrPath

    from factory_os.rules.approvals import Approval


class NoFactory(EnvironmentProblem):
    """A git repository without a factory in it."""


def open_repo(cwd: StrPath) -> Repo | None:
    """The repository and factory around CWD; None when there is no `.factory/`."""
    found = locate(cwd)
    if found is None:
        raise not_a_work_tree(cwd)
    top, git_dir, common, head, _shallow = found
    if top is None:  # a bare repository (pre-receive): the factory is at the top of the tree
        return Repo(git_dir, git_dir, common, head, bare=True)
    here = os.path.realpath(cwd)
    top = os.path.realpath(top)
    candidates = []
    while True:
        prefix = _below(here, top)
        prefix = "" if prefix in ("", ".") else prefix + "/"
        if os.path.isdir(os.path.join(here, FACTORY_DIR)):
            return Repo(top, git_dir, common, head, prefix)
        candidates.append(prefix)
        parent = os.path.dirname(here)
        if here == top or parent == here:
            break
        here = parent
    # not on disk: moving .factory/ aside must not switch the hooks off while git
    # still has it, in HEAD or in the index
    tracked = git.tracked_paths(top, head, [p + d for p in candidates for d in DOCUMENTS.values()])
    for prefix in candidates:
        if any(prefix + d in tracked for d in DOCUMENTS.values()):
            return Repo(top, git_dir, common, head, prefix)
    return None


def _below(here: str, top: str) -> str:
    """HERE's path below TOP (both resolved), with slashes; "" for TOP itself."""
    if here == top:
        return ""
    base = top if top.endswith(os.sep) else top + os.sep
    if not here.startswith(base):
        raise ValueError(f"{here!r} is not in the subpath of {top!r}")
    return here[len(base) :].replace(os.sep, "/")


def require_repo(cwd: StrPath) -> Repo:
    repo = open_repo(cwd)
    if repo is None:
        raise NoFactory(f"no {FACTORY_DIR}/ found in {cwd} or above it (run `fos init`)")
    return repo


def check(
    cwd: StrPath, source: Source, *, seam: Seam | None = None, repo: Repo | None = None
) -> Report:
    """The one check: the changes SOURCE names, against the rules in force for them
    (DESIGN section 3), then SEAM's extra checks and its post-pass. REPO: the
    repository around CWD, when already found."""
    repo = repo if repo is not None else require_repo(cwd)
    seam = seam if seam is not None else Seam()
    compiler = Compiler(repo)
    gathered = source.gather(repo, compiler)
    if gathered is None:
        return Report(stage=source.stage)
    ruleset, doc_findings, _ = rules_in_force(
        compiler, gathered.base, gathered.head, gathered.events, tip=gathered.tip
    )
    if gathered.sign is not None:
        gathered.sign(ruleset)
    findings = source.ready(repo, ruleset, gathered)
    in_force = ruleset.rules
    if source.kinds is not None:
        ruleset.rules = [r for r in ruleset.rules if r.kind in source.kinds]
    changes = gathered.changes
    ctx = CheckContext(ruleset, source.stage, gathered.contents, Blobs(repo.top), repo.rootdir)
    ctx.run_commands = not repo.bare  # no work tree: there is nowhere to run a command
    ctx.every_stage = source.every_stage
    if gathered.head_commit is None and repo.head is not None:
        ctx.reviewed = Reviewed(repo, gathered.base)
    if gathered.head_commit is not None:
        head, ledger = gathered.head_commit, repo.prefix + LEDGER_DIR + "/"
        # the parents of a range's lines, from ids kept per segment blob; what else is
        # looked for in the head's ledger, by git grep
        from factory_os.rules import ledger_ids  # (not on the commit hooks' path)

        ctx.ledger_at_head = ledger_ids.lines_at(repo.top, repo.commondir, head, ledger)
    if gathered.decides is not None:
        # approvals already merged count too; their ledger is read only when needed
        ctx.earlier_approvals = partial(base_approvals, repo, gathered.decides, ruleset)
    seam.want(changes, gathered.contents)
    findings += source.settle(ruleset, evaluate(changes, ctx, with_identity=source.identity))
    findings = attributed(source.reported(doc_findings), changes) + findings
    checked = Checked(
        repo,
        source.stage,
        changes,
        ruleset,
        gathered.contents,
        base=gathered.decides,
        head=gathered.head_commit,
        revs=gathered.revs,
    )
    for extra in seam.extras:
        findings += extra(checked)
    findings += attributed(checked.refused(), changes)
    if seam.post is not None:
        findings = seam.post(checked, findings)
        if ruleset.role_limits and any(f.overridden is not None for f in findings):
            from factory_os.rules import roles_cannot  # only when an override lifted one

            findings += roles_cannot.unlifted(changes, ruleset, findings)
    return Report(
        sorted(dict.fromkeys(findings), key=sort_key),
        source.stage,
        len(changes),
        len(ruleset.rules),
        [c.commit for c in changes if c.commit],
        ruleset.hook_stages,
        files=len({f.path for c in changes for f in c.files}),
        described=in_force,
        prefix=repo.prefix,
    )


class Reviewed:
    """Whether a rule file HEAD holds (as BASE, HEAD's documents, has it) is also on
    the remote's default branch where HEAD leaves it, with the same content: the
    base of the index's command rules. Asked only before a command runs; without a
    known default branch, HEAD's own rules are the base's."""

    def __init__(self, repo: Repo, base: Snapshot) -> None:
        self.repo = repo
        self.base = base
        self.held: dict[str, str] | None = None

    def __call__(self, path: str) -> bool:
        if self.held is None:
            self.held = self._held()
        return self.held.get(path, "") == self.base.blobs.get(path)

    def _held(self) -> dict[str, str]:
        repo = self.repo
        default = git.remote_head(repo.top, "origin")
        if default is None or repo.head is None:
            return dict(self.base.rules())
        fork = git.merge_base(repo.top, default, repo.head)
        if fork is None:
            return {}
        return snapshot_at(repo, fork).rules()


def base_approvals(repo: Repo, base: str, ruleset: RuleSet) -> list[Approval]:
    from factory_os.rules.approvals import at_commit  # a range's, when it changes governance

    return at_commit(repo.worktree, base, repo.prefix, ruleset)


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


def run_check(
    cwd: StrPath,
    *,
    staged: bool = False,
    message_file: StrPath | None = None,
    commit: str | None = None,
    revision_range: str | None = None,
    all_files: bool = False,
    stage: str | None = None,
    seam: Seam | None = None,
) -> Report:
    """`fos check` with its options: one of staged (default), commit, range, all;
    SEAM: what the entry point adds to the check."""
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
    repo = require_repo(cwd)
    source = source_of(cwd, message_file, commit, revision_range, all_files, stage)
    return check(cwd, source, seam=seam, repo=repo)


def source_of(
    cwd: StrPath,
    message_file: StrPath | None,
    commit: str | None,
    revision_range: str | None,
    all_files: bool,
    stage: str,
) -> Source:
    """The change source `fos check`'s options name."""
    if commit is not None:
        from factory_os.git import revrange  # (here: the commit hooks do without)

        sha = revrange.resolve(cwd, commit, "--commit")
        return Range(["-1", sha], head=sha, stage=stage, derive_base=True)
    if revision_range is not None:
        from factory_os.git import revrange

        # `$PRE_COMMIT_FROM_REF..$PRE_COMMIT_TO_REF`, as the pre-commit framework's push hook passes
        commits = revrange.parse_range(cwd, os.path.expandvars(revision_range))
        return Range(commits.revs, base=commits.base, head=commits.head, stage=stage)
    if all_files:
        return Tree()
    if message_file is not None:
        return Staged(read_message(message_file))
    return Staged()


def read_message(path: StrPath) -> str:
    try:
        with open(path, "rb") as f:
            return f.read().decode("utf-8", "replace")
    except OSError as exc:
        raise UsageError(f"cannot read the message file {path}: {exc.strerror}") from None
