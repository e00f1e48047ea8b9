"""Test helpers: real git in temporary directories, and `fos` run in-process."""

from __future__ import annotations

import contextlib
import io
import os
import resource
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import click

from factory_os.__main__ import main
from factory_os.cli import main_group


@dataclass
class Result:
    code: int
    out: str
    err: str

    @property
    def output(self) -> str:
        return self.out + self.err


def fos(cwd: Path, *args: str) -> Result:
    """Run `fos -C CWD ARGS...` in this process and capture what it prints."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["-C", str(cwd), *args])
    return Result(code, out.getvalue(), err.getvalue())


def fos_process(
    cwd: Path, *args: str, input: str = "", timeout: float = 120, memory: int | None = None
) -> Result:
    """`fos -C CWD ARGS...` in a process of its own, for what could hang: a test fails
    (subprocess.TimeoutExpired) when it has not finished after TIMEOUT seconds, a
    bound far above what the command needs. MEMORY, in bytes, caps its address space
    (and that of the git it runs): what needs more fails with a MemoryError."""

    def cap() -> None:
        if memory is not None:
            resource.setrlimit(resource.RLIMIT_AS, (memory, memory))

    proc = subprocess.run(
        [sys.executable, "-m", "factory_os", "-C", str(cwd), *args],
        input=input,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        preexec_fn=cap,
    )
    return Result(proc.returncode, proc.stdout, proc.stderr)


@contextlib.contextmanager
def author(email: str) -> Iterator[None]:
    """Git's author identity is EMAIL inside the block (what `fos` takes as who acts)."""
    saved = os.environ.get("GIT_AUTHOR_EMAIL")
    os.environ["GIT_AUTHOR_EMAIL"] = email
    try:
        yield
    finally:
        if saved is None:
            del os.environ["GIT_AUTHOR_EMAIL"]
        else:
            os.environ["GIT_AUTHOR_EMAIL"] = saved


def as_author(email: str, cwd: Path, *args: str) -> Result:
    """`fos -C CWD ARGS...` with git's author identity EMAIL."""
    with author(email):
        return fos(cwd, *args)


def git(cwd: Path, *args: str, check: bool = True, input: str | None = None) -> str:
    proc = subprocess.run(
        ["git", *args], cwd=cwd, capture_output=True, text=True, check=False, input=input
    )
    if check and proc.returncode != 0:
        raise AssertionError(f"git {' '.join(args)} failed:\n{proc.stdout}{proc.stderr}")
    return proc.stdout.strip()


HOOKS = Path(__file__).resolve().parents[1] / "hooks"


def guarded_remote(repo: Path, bare: Path) -> Path:
    """A bare repository at BARE whose pre-receive hook is factory-os's, added to REPO
    as `origin`."""
    git(bare.parent, "init", "-q", "--bare", str(bare))
    hook = bare / "hooks" / "pre-receive"
    shutil.copy(HOOKS / "pre-receive", hook)
    hook.chmod(0o755)
    git(repo, "remote", "add", "origin", str(bare))
    return bare


def push(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`git push origin ARGS` from REPO; the server's hook runs this checkout's fos."""
    env = {**os.environ, "FOS": f"{sys.executable} -m factory_os"}
    return subprocess.run(
        ["git", "push", "origin", *args],
        cwd=repo,
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )


def write_tree(root: Path, files: dict[str, str | bytes]) -> None:
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")


def commit_all(repo: Path, message: str = "change") -> str:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "--no-verify", "-m", message)
    return git(repo, "rev-parse", "HEAD")


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file under ROOT (outside .git) and its bytes: to prove nothing changed."""
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".git" not in p.relative_to(root).parts
    }


@contextlib.contextmanager
def git_calls(tmp_path: Path) -> Iterator[list[list[str]]]:
    """Every git command run inside the block, as its arguments after `-C DIR` (a shim
    first on PATH logs them); the list is filled when the block ends."""
    real = shutil.which("git")
    assert real is not None
    directory = tmp_path / "git-shim"
    directory.mkdir(exist_ok=True)
    log = directory / "calls"
    log.write_text("")
    shim = directory / "git"
    shim.write_text(f'#!/bin/sh\nprintf "%s\\0" "$@" >> {log}\necho >> {log}\nexec {real} "$@"\n')
    shim.chmod(0o755)
    calls: list[list[str]] = []
    saved = os.environ["PATH"]
    os.environ["PATH"] = f"{directory}{os.pathsep}{saved}"
    try:
        yield calls
    finally:
        os.environ["PATH"] = saved
    for line in log.read_text().splitlines():
        args = line.split("\0")[:-1]
        calls.append(args[2:] if args[:1] == ["-C"] else args)


def resolve_command(words: list[str]) -> tuple[click.Command, list[str]]:
    """The command WORDS name under `fos` (`rule add ...`), and the long options they give it."""
    command: click.Command = main_group
    ctx = click.Context(main_group)
    while words and isinstance(command, click.Group):
        found = command.get_command(ctx, words[0])
        if found is None:
            break
        command, words = found, words[1:]
    return command, [w.split("=")[0] for w in words if w.startswith("--")]
