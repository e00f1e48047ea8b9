"""What the installed hook shims run: `fos hook-impl --hook-type T --hook-dir D -- ARGS`.

It first runs the hook that was there before (`T.legacy`, moved aside by
`fos hooks install`) with the same arguments and standard input, then checks
the change for T's stage. The hook fails when either fails. It never touches
the work tree or the index, and it stays on the fast path (no click, no
pydantic, no YAML unless a rule document changed).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

from factory_os.errors import UsageError
from factory_os.git import plumbing as git
from factory_os.integrations.checks import seam
from factory_os.model.vocabulary import HOOK_TYPES
from factory_os.rules.inforce import Repo
from factory_os.rules.render import render
from factory_os.rules.report import Report
from factory_os.rules.run import NoFactory, check, open_repo, read_message
from factory_os.rules.source import Range, Staged

TYPE_CHECKING = False
if TYPE_CHECKING:
    from _typeshed import StrPath

STAGED_HOOKS = ("pre-commit", "commit-msg")


def main(cwd: StrPath, args: Sequence[str]) -> int:
    hook_type, hook_dir, rest = _parse(args)
    stdin = sys.stdin.buffer.read() if hook_type in ("pre-push", "pre-receive") else b""
    legacy = run_legacy(hook_dir, hook_type, rest, stdin)
    try:
        reports = _check(cwd, hook_type, rest, stdin)
    except NoFactory:
        return legacy  # no factory here: nothing to check
    code = 0
    for report in reports:
        if hook_type != "pre-receive" and report.stage not in report.hook_stages:
            continue  # factory.yaml turned this hook stage off
        sys.stdout.write(render(report, "text"))
        if report.blocking:
            code = 1
    if code:
        sys.stdout.write(f"factory-os: {hook_type} refused by the rules in force\n")
    sys.stdout.flush()
    return legacy or code


def _parse(args: Sequence[str]) -> tuple[str, str | None, list[str]]:
    hook_type = None
    hook_dir = None
    rest: list[str] = []
    for index, arg in enumerate(args):
        if arg == "--":
            rest = list(args[index + 1 :])
            break
        name, _, value = arg.partition("=")
        if name == "--hook-type":
            hook_type = value
        elif name == "--hook-dir":
            hook_dir = value
        else:
            raise UsageError(f"hook-impl: unexpected argument {arg}")
    if hook_type not in HOOK_TYPES:
        raise UsageError(f"hook-impl: --hook-type is one of {', '.join(HOOK_TYPES)}")
    return hook_type, hook_dir, rest


def run_legacy(hook_dir: StrPath | None, hook_type: str, args: Sequence[str], stdin: bytes) -> int:
    if hook_dir is None:
        return 0
    legacy = os.path.join(hook_dir, f"{hook_type}.legacy")
    if not os.path.isfile(legacy) or not os.access(legacy, os.X_OK):
        return 0
    import subprocess  # here: most hooks have no legacy hook to run

    return subprocess.run([legacy, *args], input=stdin, check=False).returncode


def _check(cwd: StrPath, hook_type: str, args: Sequence[str], stdin: bytes) -> list[Report]:
    if hook_type == "pre-commit":
        return [check(cwd, Staged(), seam=seam())]
    if hook_type == "commit-msg":
        if not args:
            raise UsageError("commit-msg: git passes the message file; none was given")
        return [check(cwd, Staged(read_message(os.path.join(cwd, args[0]))), seam=seam())]
    # (the staged checks find the factory themselves, along with the change)
    repo = open_repo(cwd)
    if repo is None:
        raise NoFactory(str(cwd))
    if hook_type == "pre-push":
        remote = args[0] if args else "origin"
        return [_pushed(cwd, repo, line, remote) for line in _lines(stdin)]
    return [_received(cwd, repo, line) for line in _lines(stdin)]


def _lines(stdin: bytes) -> list[list[str]]:
    """The ref lines git gives pre-push (four fields) and pre-receive (three)."""
    fields = [line.split() for line in git.decode(stdin).splitlines()]
    return [f for f in fields if len(f) in (3, 4)]


def _pushed(cwd: StrPath, repo: Repo, line: list[str], remote: str) -> Report:
    """One ref of a push: `<local ref> <local sha> <remote ref> <remote sha>`."""
    _local_ref, local, _remote_ref, remote_sha = line
    if local == git.ZERO_OID:
        return Report(stage="pre-push")  # a deletion pushes no commits
    if remote_sha != git.ZERO_OID and git.rev_parse(cwd, remote_sha):
        # (a force-push replaces what the remote ref holds: what it drops is a change too)
        return _range(
            cwd, repo, [f"{remote_sha}..{local}"], base=remote_sha, head=local, replaces=True
        )
    default = git.remote_head(cwd, remote)
    if default and git.merge_base(cwd, default, local):
        # as a pull request onto the default branch: its tip decides (`Range`)
        tip = git.rev_parse(cwd, default)
        return _range(cwd, repo, [f"{tip}..{local}"], base=tip, head=local)
    # a new branch with no known default: every commit no remote ref has yet
    return _range(cwd, repo, [local, "--not", "--remotes"], head=local, derive_base=True)


def _received(cwd: StrPath, repo: Repo, line: list[str]) -> Report:
    """One ref of a receive: `<old sha> <new sha> <ref>`."""
    old, new, _ref = line
    if new == git.ZERO_OID:
        return Report(stage="ci")
    if old != git.ZERO_OID:
        # a non-fast-forward update replaces OLD: its rules stay in force, and what NEW
        # lacks of it (rule files, incidents, ledger lines) is a change the push makes
        return _range(cwd, repo, [f"{old}..{new}"], base=old, head=new, stage="ci", replaces=True)
    # as pre-push does: a new branch is a pull request onto the default branch (HEAD),
    # whose tip decides (`Range`); one that merged the default branch answers for its
    # own commits, not for what the merge brought in
    if repo.head is not None and git.merge_base(cwd, repo.head, new):
        return _range(cwd, repo, [f"{repo.head}..{new}"], base=repo.head, head=new, stage="ci")
    base = _fork_point(cwd, new)
    if base:
        return _range(cwd, repo, [f"{base}..{new}"], base=base, head=new, stage="ci")
    return _range(cwd, repo, [new, "--not", "--all"], head=new, stage="ci", derive_base=True)


def _range(
    cwd: StrPath,
    repo: Repo,
    revs: list[str],
    *,
    base: str | None = None,
    head: str,
    stage: str = "pre-push",
    derive_base: bool = False,
    replaces: bool = False,
) -> Report:
    source = Range(
        revs, base=base, head=head, stage=stage, derive_base=derive_base, replaces=replaces
    )
    return check(cwd, source, seam=seam(), repo=repo)


def _fork_point(cwd: StrPath, new: str) -> str | None:
    """Where the new commit NEW, unrelated to the default branch, leaves the history the
    repository has: the one commit it leaves from that descends from every other it
    leaves from; None when there is none."""
    tips = git.independent(cwd, git.boundary(cwd, [new, "--not", "--all"]))
    return tips[0] if len(tips) == 1 else None
