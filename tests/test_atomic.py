"""Durable writes: a reader sees the old file or the new one, never half of either."""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from factory_os import atomic
from tests.helpers import fos, snapshot, write_tree


@pytest.fixture
def umask_022() -> Iterator[None]:
    old = os.umask(0o022)
    yield
    os.umask(old)


def test_write_atomic_replaces_and_keeps_the_mode(tmp_path: Path, umask_022: None) -> None:
    path = tmp_path / "f"
    atomic.write_atomic(path, "one\n")
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    path.chmod(0o640)
    atomic.write_atomic(path, b"two\n")
    assert path.read_bytes() == b"two\n"
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f"]


def test_write_atomic_leaves_no_temporary_file_when_it_fails(tmp_path: Path) -> None:
    target = tmp_path / "target"
    write_tree(target, {"inside": "x"})  # a non-empty directory cannot be replaced
    with pytest.raises(OSError):
        atomic.write_atomic(target, "data")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["target"]
    assert (target / "inside").read_text() == "x"


def test_write_new_creates_with_a_normal_mode(tmp_path: Path, umask_022: None) -> None:
    path = tmp_path / "sub" / "f"
    atomic.write_new(path, "data\n")
    assert path.read_text() == "data\n"
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    assert sorted(p.name for p in path.parent.iterdir()) == ["f"]


def test_write_new_never_overwrites(tmp_path: Path) -> None:
    path = tmp_path / "f"
    path.write_text("original\n")
    with pytest.raises(FileExistsError):
        atomic.write_new(path, "replacement\n")
    assert path.read_text() == "original\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f"]


def test_make_dir_gives_a_plain_mkdir_mode(tmp_path: Path, umask_022: None) -> None:
    path = tmp_path / "d"
    path.mkdir(mode=0o700)
    atomic.make_dir(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o755


def _disk_full(monkeypatch: pytest.MonkeyPatch, where: str, code: int, after: int = 0) -> None:
    """os.write fails with CODE for files whose path contains WHERE, once AFTER bytes
    went to them (a disk that fills up part-way through a write)."""
    real = os.write
    written = {"bytes": 0}

    def write(fd: int, data: bytes | memoryview) -> int:
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            target = ""
        if where not in target:
            return real(fd, data)
        room = after - written["bytes"]
        if room <= 0:
            raise OSError(code, os.strerror(code))
        done = real(fd, bytes(data[:room]))
        written["bytes"] += done
        return done

    monkeypatch.setattr(os, "write", write)


@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EDQUOT])
@pytest.mark.parametrize(("where", "after"), [("/incidents/", 0), ("/ledger/", 0), ("/ledger/", 7)])
def test_a_full_disk_is_an_environment_problem_and_nothing_is_half_written(
    factory_repo: Path, monkeypatch: pytest.MonkeyPatch, code: int, where: str, after: int
) -> None:
    before = snapshot(factory_repo)
    _disk_full(monkeypatch, where, code, after)
    result = fos(factory_repo, "incident", "add", "--title", "Disk", "--severity", "low")
    assert result.code == 4, result.output
    assert result.err.startswith(f"fos: {factory_repo}/.factory{where}")
    assert f"cannot write: {os.strerror(code)}; nothing was written" in result.err
    assert snapshot(factory_repo) == before  # no incident, no temporary file, no part of a line
    monkeypatch.undo()
    assert fos(factory_repo, "verify").code == 0
