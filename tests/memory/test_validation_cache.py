"""`fos validate` keeps its last result with the stat of every file it came from, and
gives it again, without parsing a file, only while every one of them is the same."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from factory_os.memory.validation import CACHE_FILE
from tests.helpers import fos

BAD_RULE = "id: R-abc123\ntitle: [unclosed\n"


def _age(repo: Path) -> None:
    """Every file under .factory/ last modified a minute ago, as in a clone."""
    old = time.time() - 60
    for path in [repo / ".factory", *(repo / ".factory").rglob("*")]:
        os.utime(path, (old, old), follow_symlinks=False)


def _validate(repo: Path) -> str:
    result = fos(repo, "validate")
    assert result.code in (0, 3), result.output
    return result.out


@pytest.fixture
def cached(factory_repo: Path) -> Path:
    (factory_repo / ".factory" / "rules" / "R-abc123.yaml").write_text(BAD_RULE)
    (factory_repo / ".factory" / "stray.txt").write_text("x\n")
    _age(factory_repo)
    _validate(factory_repo)
    assert (factory_repo / ".git" / CACHE_FILE).exists()
    return factory_repo


def test_an_unchanged_factory_is_validated_again_without_parsing_a_file(cached: Path) -> None:
    expected = _validate(cached)
    assert "R-abc123.yaml:3: invalid YAML" in expected and "stray.txt" in expected
    script = (
        "import sys\n"
        "from factory_os.__main__ import main\n"
        "code = main(['validate'])\n"
        "print('imported:', sorted(m for m in ('pydantic', 'ruamel.yaml', 'yaml')"
        " if m in sys.modules))\n"
        "sys.exit(code)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", script], cwd=cached, capture_output=True, text=True, check=False
    )
    assert proc.returncode == 3, proc.stderr
    assert proc.stdout == expected + "imported: []\n"


def test_a_file_changed_with_the_same_size_and_mtime_is_read_again(
    cached: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = _validate(cached)
    rule = cached / ".factory" / "rules" / "R-abc123.yaml"
    old = rule.stat()
    rule.write_text(BAD_RULE.replace("[unclosed", "{unclosed"))
    os.utime(rule, ns=(old.st_atime_ns, old.st_mtime_ns))  # only the ctime tells
    assert rule.stat().st_size == old.st_size
    after = _validate(cached)
    assert after != before and "'}'" in after
    monkeypatch.setenv("FOS_NO_CACHE", "1")
    assert after == _validate(cached)


def test_a_file_added_or_removed_is_seen(cached: Path) -> None:
    (cached / ".factory" / "knowledge" / "other.txt").write_text("x\n")
    assert "knowledge/other.txt: not a knowledge document" in _validate(cached)
    (cached / ".factory" / "stray.txt").unlink()
    (cached / ".factory" / "knowledge" / "other.txt").unlink()
    assert "stray.txt" not in _validate(cached)


def test_a_ledger_replaced_by_a_file_is_seen(cached: Path) -> None:
    ledger = cached / ".factory" / "ledger"
    for path in ledger.iterdir():
        path.unlink()
    ledger.rmdir()
    ledger.write_text("")
    assert ".factory/ledger: should be a directory, but is a file" in _validate(cached)


def test_a_result_from_files_just_changed_is_not_kept(factory_repo: Path) -> None:
    _validate(factory_repo)
    assert not (factory_repo / ".git" / CACHE_FILE).exists()


def test_a_symbolic_link_in_the_factory_turns_the_cache_off(factory_repo: Path) -> None:
    (factory_repo / "elsewhere.md").write_text("---\ntitle: T\n---\n")
    (factory_repo / ".factory" / "knowledge" / "linked.md").symlink_to("../../elsewhere.md")
    _age(factory_repo)
    _validate(factory_repo)
    assert not (factory_repo / ".git" / CACHE_FILE).exists()


def test_a_damaged_cache_only_costs_time(cached: Path) -> None:
    expected = _validate(cached)
    (cached / ".git" / CACHE_FILE).write_text('{"format": 1, "tree": [')
    assert _validate(cached) == expected
