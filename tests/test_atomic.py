"""Durable writes: a reader sees the old file or the new one, never half of either."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from factory_os import atomic
from tests.helpers import write_tree


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
