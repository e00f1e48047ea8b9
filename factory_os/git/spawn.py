"""Starting processes and collecting what they print; which commands run is the
caller's to decide (git.py decides for git).

Processes start through `os.posix_spawn`, not subprocess, whose imports (signal,
threading, selectors, locale) cost the hook several milliseconds on every commit;
subprocess is the fallback where there is no posix_spawn, and runs the streams
read as they come, which are off the hook path.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence

from factory_os.errors import EnvironmentProblem

TYPE_CHECKING = False
if TYPE_CHECKING:
    import signal as _signal
    from typing import IO
else:
    # the C module behind `signal`, which builds enums of it on import: the hook
    # needs only two numbers
    import _signal


class Completed:
    """A finished process, as `subprocess.CompletedProcess` would give it."""

    __slots__ = ("args", "returncode", "stderr", "stdout")

    def __init__(self, args: list[str], returncode: int, stdout: bytes, stderr: bytes) -> None:
        self.args = args
        self.returncode = returncode
        self.stdout = stdout
        self.stderr = stderr


def run_all(
    argvs: Sequence[Sequence[str]],
    *,
    input: bytes | None = None,
    env: Mapping[str, str] | None = None,
) -> list[Completed]:
    """Run every command line of ARGVS at the same time (INPUT, if any, goes to the
    standard input of each), and wait for all of them. A program is looked up on the
    PATH of ENV (the environment, with ENV's values added)."""
    full_env = os.environ if env is None else {**os.environ, **env}
    if not hasattr(os, "posix_spawn"):
        return _run_all_subprocess(argvs, input, full_env)
    started = []
    try:
        for argv in argvs:
            program = _find(argv[0], full_env.get("PATH"))
            started.append(_Spawned(program, list(argv), full_env, input))
    except FileNotFoundError as exc:
        for proc in started:
            proc.abandon()
        raise _not_installed(str(exc)) from None
    _communicate(started)
    return [
        Completed(list(argv), proc.wait(), b"".join(proc.out), b"".join(proc.err))
        for argv, proc in zip(argvs, started, strict=True)
    ]


def _not_installed(name: str) -> EnvironmentProblem:
    return EnvironmentProblem(f"{name} is not installed or not on PATH")


_FOUND: dict[tuple[str, str | None], str] = {}


def _find(name: str, search: str | None) -> str:
    """The program NAME on SEARCH (a PATH), found once: posix_spawnp would try every
    directory before it again for each process, while the hook waits."""
    if (name, search) not in _FOUND:
        for directory in os.get_exec_path({"PATH": search} if search is not None else {}):
            path = os.path.join(directory, name)
            if os.access(path, os.X_OK) and not os.path.isdir(path):
                _FOUND[name, search] = path
                break
        else:
            raise FileNotFoundError(name)
    return _FOUND[name, search]


class _Spawned:
    """A process whose standard output and error are pipes to read."""

    def __init__(
        self, program: str, argv: list[str], env: Mapping[str, str], input: bytes | None
    ) -> None:
        self.input = input or b""
        out_r, out_w = os.pipe()
        err_r, err_w = os.pipe()
        in_r, self.stdin = os.pipe() if input is not None else (-1, -1)
        actions: list[tuple[int, ...] | tuple[int, int, str, int, int]] = [
            (os.POSIX_SPAWN_DUP2, out_w, 1),
            (os.POSIX_SPAWN_DUP2, err_w, 2),
        ]
        if input is None:
            actions.append((os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0))
        else:
            actions.append((os.POSIX_SPAWN_DUP2, in_r, 0))
        # as subprocess does: the child must die of a closed pipe, as Python does not
        defaults = [
            getattr(_signal, name) for name in ("SIGPIPE", "SIGXFSZ") if hasattr(_signal, name)
        ]
        try:
            self.pid = os.posix_spawn(program, argv, env, file_actions=actions, setsigdef=defaults)
        except BaseException:
            for fd in (out_r, err_r, self.stdin):
                if fd >= 0:
                    os.close(fd)
            raise
        finally:
            for fd in (out_w, err_w, in_r):
                if fd >= 0:
                    os.close(fd)
        self.stdout, self.stderr = out_r, err_r
        self.out: list[bytes] = []
        self.err: list[bytes] = []

    def wait(self) -> int:
        _, status = os.waitpid(self.pid, 0)
        return os.waitstatus_to_exitcode(status)

    def abandon(self) -> None:
        for fd in (self.stdout, self.stderr, self.stdin):
            if fd >= 0:
                os.close(fd)
        self.wait()


def _communicate(procs: Sequence[_Spawned]) -> None:
    """Feed each process its input and read all of its output, every pipe at once (no
    process waits on a full pipe that no one reads)."""
    import select

    poller = select.poll()
    sinks: dict[int, list[bytes]] = {}
    feeds: dict[int, memoryview] = {}
    for proc in procs:
        for fd, sink in ((proc.stdout, proc.out), (proc.stderr, proc.err)):
            sinks[fd] = sink
            poller.register(fd, select.POLLIN)
        if proc.stdin >= 0:
            if proc.input:
                os.set_blocking(proc.stdin, False)
                feeds[proc.stdin] = memoryview(proc.input)
                poller.register(proc.stdin, select.POLLOUT)
            else:
                os.close(proc.stdin)
    while sinks or feeds:
        for fd, _event in poller.poll():
            if fd in feeds:
                try:
                    written = os.write(fd, feeds[fd][:65536])
                except BlockingIOError:
                    continue
                except BrokenPipeError:
                    written = len(feeds[fd])  # the child stopped reading: its exit code tells
                feeds[fd] = feeds[fd][written:]
                if not feeds[fd]:
                    del feeds[fd]
                    poller.unregister(fd)
                    os.close(fd)
            else:
                data = os.read(fd, 1 << 18)
                if data:
                    sinks[fd].append(data)
                else:
                    del sinks[fd]
                    poller.unregister(fd)
                    os.close(fd)


def _run_all_subprocess(
    argvs: Sequence[Sequence[str]], input: bytes | None, env: Mapping[str, str]
) -> list[Completed]:
    """`run_all` where there is no posix_spawn (Windows)."""
    import subprocess

    out = []
    for argv in argvs:
        try:
            proc = subprocess.run(
                list(argv), input=input, env=env, capture_output=True, check=False
            )
        except FileNotFoundError:
            raise _not_installed(argv[0]) from None
        out.append(Completed(list(argv), proc.returncode, proc.stdout, proc.stderr))
    return out


class Stream:
    """A running process whose standard output is read as it comes, while a thread
    writes INPUT to its standard input (neither waits on the other)."""

    def __init__(self, argv: list[str], input: bytes) -> None:
        import subprocess
        import threading

        try:
            proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        except FileNotFoundError:
            raise _not_installed(argv[0]) from None
        assert proc.stdin is not None and proc.stdout is not None
        stdin = proc.stdin
        self.stdout: IO[bytes] = proc.stdout

        def feed() -> None:
            try:
                stdin.write(input)
                stdin.close()
            except BrokenPipeError:
                pass

        self._proc = proc
        self._writer = threading.Thread(target=feed, daemon=True)
        self._writer.start()

    def close(self) -> int:
        """Stop reading, wait for the process and return its exit code."""
        self.stdout.close()
        code = self._proc.wait()
        self._writer.join()
        return code
