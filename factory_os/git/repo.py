"""The repository a command runs in, found once: its work tree, git directories and
HEAD, from one `git rev-parse` (two before the first commit or in a bare
repository), then passed down rather than asked again.

On the hook path: it imports only `errors`, `records` and the plumbing.
"""

from __future__ import annotations

import os

from factory_os.errors import EnvironmentProblem
from factory_os.git import plumbing as git

TYPE_CHECKING = False
if TYPE_CHECKING:
    from pathlib import Path
    from typing import NamedTuple

    from _typeshed import StrPath
else:
    from factory_os.records import NamedTuple

# the messages below are matched, and git translates them otherwise
_C_LOCALE = {"LC_ALL": "C"}
_NOT_HERE = ("not a git repository", "must be run in a work tree")


class Located(NamedTuple):
    """Where git keeps a repository, as plain strings: what the hook path works with
    (pathlib costs it milliseconds to import). `Repository` is the same with paths."""

    worktree: str | None  # the top of the work tree; None in a bare repository
    git_dir: str  # this worktree's own git directory (per-worktree state)
    common_dir: str  # the git directory all worktrees share
    head: str | None  # the HEAD commit when it was found; None before the first
    shallow: bool = False  # a shallow clone: history is cut at a boundary


class Repository(NamedTuple):
    """Where git keeps a repository, as seen from one directory in it."""

    worktree: Path | None  # the top of the work tree; None in a bare repository
    git_dir: Path  # this worktree's own git directory (per-worktree state)
    common_dir: Path  # the git directory all worktrees share
    head: str | None  # the HEAD commit when it was found; None before the first
    shallow: bool = False  # a shallow clone: history is cut at a boundary

    def top(self, cwd: Path) -> Path:
        """The work tree, or an EnvironmentProblem naming CWD in a bare repository."""
        if self.worktree is None:
            raise not_a_work_tree(cwd)
        return self.worktree


def find_repository(cwd: StrPath) -> Repository | None:
    """The repository around CWD; None outside any (a repository git refuses to use,
    for dubious ownership or a broken .git, is a GitFailed that says why)."""
    found = locate(cwd)
    if found is None:
        return None
    from pathlib import Path

    top, gdir, common, head, shallow = found
    return Repository(None if top is None else Path(top), Path(gdir), Path(common), head, shallow)


def locate(cwd: StrPath) -> Located | None:
    """`find_repository`, in strings."""
    if not os.path.isdir(cwd):
        raise EnvironmentProblem(f"{cwd} is not a directory")
    asks = ["--absolute-git-dir", "--git-common-dir", "--is-shallow-repository"]
    args = ["rev-parse", *asks, "--show-toplevel", "HEAD^{commit}", "--"]
    proc = git.run(args, cwd, check=False, env=_C_LOCALE)
    if proc.returncode == 0:
        out = git.decode(proc.stdout).split("\n")
        return Located(out[3], out[0], _absolute(cwd, out[1]), out[4], out[2] == "true")
    args = ["rev-parse", "--is-bare-repository", *asks, "--show-toplevel"]
    proc = git.run(args, cwd, check=False, env=_C_LOCALE)
    lines = git.decode(proc.stdout).split("\n")
    if proc.returncode == 0 or lines[0] == "true":
        gdir, common, cut = lines[1], _absolute(cwd, lines[2]), lines[3] == "true"
        if proc.returncode == 0:  # a work tree whose HEAD has no commit yet
            return Located(lines[4], gdir, common, None, cut)
        return Located(None, gdir, common, git.head_commit(cwd), cut)
    stderr = proc.stderr.decode("utf-8", "replace")
    if lines[0] == "false" or any(text in stderr for text in _NOT_HERE):
        return None
    raise git.GitFailed(args, proc.returncode, stderr)


def current_branch(repo: Repository) -> str | None:
    """The branch checked out in REPO's worktree, None on a detached HEAD: read from
    its HEAD file without a git process where that is a plain `ref: refs/heads/NAME`
    or an object id, else asked of git (a symbolic link, as old gits wrote it, reads
    as the id of the commit it leads to)."""
    path = repo.git_dir / "HEAD"
    try:
        head = "" if path.is_symlink() else path.read_bytes().decode("ascii").strip()
    except (OSError, UnicodeDecodeError):
        head = ""
    if head.startswith("ref: refs/heads/"):
        name = head[len("ref: refs/heads/") :]
        if name and not name.startswith("."):  # (reftable's HEAD names `.invalid`)
            return name
    elif len(head) in (40, 64) and all(c in "0123456789abcdef" for c in head):
        return None
    return git.current_branch(repo.worktree or repo.git_dir)


def require_worktree(cwd: Path) -> Repository:
    """The repository around CWD, which must have a work tree."""
    repo = find_repository(cwd)
    if repo is None or repo.worktree is None:
        raise not_a_work_tree(cwd)
    return repo


def not_a_work_tree(cwd: StrPath) -> EnvironmentProblem:
    return EnvironmentProblem(
        f"{cwd} is not inside a git work tree (run `git init` first, or pass -C DIR)"
    )


def _absolute(cwd: StrPath, path: str) -> str:
    return path if os.path.isabs(path) else os.path.realpath(os.path.join(cwd, path))
