"""The one module that talks to git.

Plain plumbing through subprocess: it honours the GIT_INDEX_FILE and GIT_DIR git
hands a hook, and imports nothing heavy, so the hook path can use it.
"""

from __future__ import annotations

import os
import subprocess
import threading
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import NamedTuple

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
    proc = run(["rev-parse", "--show-toplevel"], cwd, check=False)
    if proc.returncode != 0:
        return None
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


def ls_files(cwd: Path, pathspecs: Sequence[str]) -> list[str]:
    """Paths in the index under PATHSPECS, relative to CWD."""
    out = run(["ls-files", "-z", "--", *pathspecs], cwd).stdout
    return [p.decode("utf-8", "surrogateescape") for p in out.split(b"\0") if p]


def log_raw(cwd: Path, revs: Sequence[str], pathspecs: Sequence[str]) -> list[RawCommit]:
    """Every commit of REVS touching PATHSPECS with its raw diff against each parent
    (merges once per parent), in one `git log` process."""
    args = ["log", "--raw", "-z", "-m", "--no-renames", "--no-abbrev", "--full-history"]
    out = run([*args, "--ignore-missing", "--format=%x01%H", *revs, "--", *pathspecs], cwd).stdout
    commits = []
    for block in out.split(b"\x01")[1:]:
        header, _, rest = block.partition(b"\0")
        tokens = rest.lstrip(b"\n").split(b"\0")
        changes = []
        for index in range(0, len(tokens) - 1, 2):
            meta = tokens[index].lstrip(b"\n")
            if not meta.startswith(b":"):
                break
            _, _, old, new, status = meta.decode("ascii").split(" ")[:5]
            path = tokens[index + 1].decode("utf-8", "surrogateescape")
            changes.append(RawChange(status[:1], old, new, path))
        commits.append(RawCommit(header.decode("ascii").strip(), changes))
    return commits


class RawChange(NamedTuple):
    status: str  # A, M, D, T, ...
    old: str  # blob ids; all zeros where there is none
    new: str
    path: str  # from the top of the work tree


class RawCommit(NamedTuple):
    commit: str
    changes: list[RawChange]


def cat_blobs(cwd: Path, oids: Sequence[str]) -> Iterator[tuple[str, bytes | None]]:
    """(oid, content) of each of OIDS, in order, from one `git cat-file --batch`;
    None for an object git does not have."""
    if not oids:
        return
    try:
        proc = subprocess.Popen(
            ["git", "cat-file", "--batch"], cwd=cwd, stdin=subprocess.PIPE, stdout=subprocess.PIPE
        )
    except FileNotFoundError:
        raise EnvironmentProblem("git is not installed or not on PATH") from None
    assert proc.stdin is not None and proc.stdout is not None
    stdin, stdout = proc.stdin, proc.stdout

    def feed() -> None:
        try:
            stdin.write("".join(f"{oid}\n" for oid in oids).encode("ascii"))
            stdin.close()
        except BrokenPipeError:
            pass

    writer = threading.Thread(target=feed, daemon=True)
    writer.start()
    try:
        for oid in oids:
            header = stdout.readline().split()
            if len(header) != 3:
                yield oid, None
                continue
            size = int(header[2])
            content = stdout.read(size + 1)[:size]
            yield oid, content
    finally:
        stdout.close()
        proc.wait()
        writer.join()


def dirs(cwd: Path) -> tuple[Path, Path]:
    """(this worktree's git directory, the common one) in one git process."""
    out = output(["rev-parse", "--absolute-git-dir", "--git-common-dir"], cwd).split("\n")
    common = Path(out[1])
    return Path(out[0]), common if common.is_absolute() else (cwd / common).resolve()
