"""The one module that talks to git.

Plain plumbing through subprocess: it honours the GIT_INDEX_FILE and GIT_DIR git
hands a hook, and imports nothing heavy, so the hook path can use it.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

from factory_os.errors import EnvironmentProblem


class GitFailed(EnvironmentProblem):
    def __init__(self, args: Sequence[str], returncode: int, stderr: str) -> None:
        self.returncode = returncode
        self.stderr = stderr
        first = stderr.strip().splitlines()[0] if stderr.strip() else f"exit code {returncode}"
        super().__init__(f"git {' '.join(args[:2])} failed: {first}")


def run(
    args: Sequence[str],
    cwd: Path,
    *,
    input: bytes | None = None,
    env: Mapping[str, str] | None = None,
    check: bool = True,
) -> subprocess.CompletedProcess[bytes]:
    """Run `git ARGS` in CWD and return the completed process (bytes out and err)."""
    full_env = None if env is None else {**os.environ, **env}
    try:
        proc = subprocess.run(
            ["git", *args], cwd=cwd, input=input, env=full_env, capture_output=True, check=False
        )
    except FileNotFoundError:
        raise EnvironmentProblem("git is not installed or not on PATH") from None
    except NotADirectoryError:
        raise EnvironmentProblem(f"{cwd} is not a directory") from None
    if check and proc.returncode != 0:
        raise GitFailed(list(args), proc.returncode, proc.stderr.decode("utf-8", "replace"))
    return proc


def output(args: Sequence[str], cwd: Path, **kwargs: object) -> str:
    """Run git and return its standard output as text, without the final newline."""
    return run(args, cwd, **kwargs).stdout.decode("utf-8", "surrogateescape").rstrip("\n")  # type: ignore[arg-type]


def toplevel(cwd: Path) -> Path | None:
    """The work tree enclosing CWD, or None when CWD is not inside one."""
    if not cwd.is_dir():
        raise EnvironmentProblem(f"{cwd} is not a directory")
    # C locale: the messages below are matched, and git translates them otherwise
    proc = run(["rev-parse", "--show-toplevel"], cwd, check=False, env={"LC_ALL": "C"})
    if proc.returncode != 0:
        stderr = proc.stderr.decode("utf-8", "replace")
        if "not a git repository" in stderr or "must be run in a work tree" in stderr:
            return None
        # a repository git refuses to use (dubious ownership, a broken .git): say why
        raise GitFailed(["rev-parse", "--show-toplevel"], proc.returncode, stderr)
    return Path(proc.stdout.decode("utf-8", "surrogateescape").rstrip("\n"))


def require_toplevel(cwd: Path) -> Path:
    top = toplevel(cwd)
    if top is None:
        raise EnvironmentProblem(
            f"{cwd} is not inside a git work tree (run `git init` first, or pass -C DIR)"
        )
    return top


def git_dir(cwd: Path) -> Path:
    """This worktree's own git directory (per-worktree state lives here)."""
    return Path(output(["rev-parse", "--absolute-git-dir"], cwd))


def common_dir(cwd: Path) -> Path:
    """The git directory shared by all worktrees of the repository."""
    path = Path(output(["rev-parse", "--git-common-dir"], cwd))
    return path if path.is_absolute() else (cwd / path).resolve()


def current_branch(cwd: Path) -> str | None:
    """The checked-out branch, or None on a detached HEAD."""
    proc = run(["symbolic-ref", "--quiet", "--short", "HEAD"], cwd, check=False)
    return proc.stdout.decode().strip() or None if proc.returncode == 0 else None


def config_get(cwd: Path, key: str) -> str | None:
    proc = run(["config", "--get", key], cwd, check=False)
    return proc.stdout.decode("utf-8", "replace").strip() or None if proc.returncode == 0 else None


def head_commit(cwd: Path) -> str | None:
    proc = run(["rev-parse", "--verify", "--quiet", "HEAD^{commit}"], cwd, check=False)
    return proc.stdout.decode().strip() or None if proc.returncode == 0 else None
