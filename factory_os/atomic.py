"""Durable file writes: a reader sees the old file or the new one, never half of either.

Every write goes to a temporary file beside its target, is fsynced, and is then
renamed (or linked, for files that must never be overwritten) into place; the
directory is fsynced after. Ledger segments grow by one whole line per write.

A full disk or an exhausted quota is an EnvironmentProblem (exit 4) naming the
file, raised only once what was half-written is gone: the temporary file is
removed, a segment is cut back to where it ended.
"""

from __future__ import annotations

import contextlib
import errno
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from factory_os.errors import EnvironmentProblem

NO_ROOM = (errno.ENOSPC, errno.EDQUOT)


@contextlib.contextmanager
def room_for(path: Path) -> Iterator[None]:
    """Turn a full disk or quota, while writing PATH, into an EnvironmentProblem."""
    try:
        yield
    except OSError as exc:
        if exc.errno not in NO_ROOM:
            raise
        raise EnvironmentProblem(
            f"{path}: cannot write: {exc.strerror}; nothing was written"
            " (free some space, then run the command again)"
        ) from None


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _write_temp(path: Path, payload: bytes, mode: int) -> str:
    """A fully written, fsynced temporary file beside PATH; returns its name."""
    with room_for(path):
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with room_for(path):
            try:
                os.fchmod(fd, mode)
                _write_all(fd, payload)
                os.fsync(fd)
            finally:
                os.close(fd)
    except BaseException:
        _unlink_quietly(Path(tmp))
        raise
    return tmp


def _write_all(fd: int, payload: bytes) -> None:
    view = memoryview(payload)
    while view:
        view = view[os.write(fd, view) :]


def write_atomic(path: Path, data: str | bytes) -> None:
    """Replace PATH with DATA so that readers see the old or the new file, never half."""
    payload = data.encode("utf-8") if isinstance(data, str) else data
    try:
        mode = path.stat().st_mode & 0o7777
    except FileNotFoundError:
        mode = 0o666 & ~_umask()
    tmp = _write_temp(path, payload, mode)
    try:
        with room_for(path):
            os.replace(tmp, path)
    except BaseException:
        _unlink_quietly(Path(tmp))
        raise
    _fsync_dir(path.parent)


def write_new(path: Path, data: str | bytes) -> None:
    """Create PATH atomically; fail with FileExistsError if it already exists."""
    payload = data.encode("utf-8") if isinstance(data, str) else data
    tmp = _write_temp(path, payload, 0o666 & ~_umask())
    try:
        with room_for(path):
            os.link(tmp, path)  # fails if PATH exists: never overwrite an append-only file
    finally:
        _unlink_quietly(Path(tmp))
    _fsync_dir(path.parent)


def make_dir(path: Path) -> None:
    """Create PATH with the mode a plain mkdir would give (temporary dirs are 0700)."""
    with room_for(path):
        path.mkdir(parents=True, exist_ok=True)
    os.chmod(path, 0o777 & ~_umask())


def append_line(path: Path, line: bytes) -> None:
    """Append LINE (one whole line) to PATH with one write, then fsync. The file must
    end with a newline (see `repair_tail`)."""
    with room_for(path):
        path.parent.mkdir(parents=True, exist_ok=True)
        created = not path.exists()
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        end = os.fstat(fd).st_size
        with room_for(path):
            try:
                _write_all(fd, line)
                os.fsync(fd)
            except OSError:
                os.ftruncate(fd, end)  # no part of a line: the segment ends where it did
                raise
    finally:
        os.close(fd)
    if created:
        _fsync_dir(path.parent)


def read_tail(path: Path) -> tuple[int, bytes]:
    """(where PATH's last line ends, the bytes after it): b"" when it ends with a newline."""
    try:
        with path.open("rb") as f:
            size = os.fstat(f.fileno()).st_size
            if size == 0:
                return 0, b""
            f.seek(size - 1)
            if f.read(1) == b"\n":
                return size, b""
            data = path.read_bytes()
    except FileNotFoundError:
        return 0, b""
    cut = data.rfind(b"\n") + 1
    return cut, data[cut:]


def end_line(path: Path) -> None:
    """Give PATH's last line the newline it lost."""
    append_line(path, b"\n")


def cut_tail(path: Path, cut: int, set_aside: Path) -> None:
    """Copy PATH's bytes after CUT to SET_ASIDE, then cut them off."""
    with path.open("r+b") as f:
        f.seek(cut)
        write_new(set_aside, f.read())
        f.truncate(cut)
        f.flush()
        os.fsync(f.fileno())


def _unlink_quietly(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        path.unlink()


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
