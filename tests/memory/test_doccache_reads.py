"""The document cache costs one read of its file and one read of each document.

A command opens several catalogs of one factory (the context, then its open
items); they share the cache read once, and a document that has to be parsed is
read once, for its hash and its parsing alike.
"""

from __future__ import annotations

import builtins
import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from factory_os import atomic
from factory_os.memory import doccache
from tests.documents import write_note
from tests.helpers import fos


def counting(monkeypatch: pytest.MonkeyPatch, module: Any, name: str) -> list[Any]:
    calls: list[Any] = []
    real = getattr(module, name)

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        calls.append(args[0])
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, wrapper)
    return calls


def test_one_command_reads_the_cache_once(
    factory_repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    expected = fos(factory_repo, "context").out  # the cache is written
    loads = counting(monkeypatch, doccache, "_load")
    assert fos(factory_repo, "context").out == expected
    assert len(loads) == 1  # by the context's catalog, then shared with its open items'


def test_a_changed_cache_file_is_read_again(
    factory_repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    expected = fos(factory_repo, "context").out
    loads = counting(monkeypatch, doccache, "_load")
    cache = factory_repo / ".git" / doccache.CACHE_FILE
    cache.write_text("{not json")
    assert fos(factory_repo, "context").out == expected
    assert len(loads) == 1
    assert cache.read_text().startswith('{"format":1')


def test_a_document_to_parse_is_read_once(
    factory_repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.rmtree(factory_repo / ".git" / "fos", ignore_errors=True)
    low, high = counting(monkeypatch, os, "open"), counting(monkeypatch, builtins, "open")
    result = fos(factory_repo, "context")
    assert result.code == 0, result.output
    rules = [os.fspath(p) for p in low + high if "/.factory/rules/" in str(p)]
    assert rules, low + high
    assert len(rules) == len(set(rules))


def test_a_cold_context_writes_the_cache_once(
    factory_repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.rmtree(factory_repo / ".git" / "fos", ignore_errors=True)
    writes = counting(monkeypatch, atomic, "write_atomic")
    assert fos(factory_repo, "context").code == 0
    cache = factory_repo / ".git" / doccache.CACHE_FILE
    assert [w for w in writes if Path(w) == cache] == [cache]


def test_the_cache_forgets_a_document_that_is_gone(factory_repo: Path) -> None:
    note = write_note(factory_repo, "gone-soon", body="Read me.")
    assert "Read me." in fos(factory_repo, "context").out
    cache = factory_repo / ".git" / doccache.CACHE_FILE
    assert str(note) in cache.read_text()
    note.unlink()
    write_note(factory_repo, "another", body="Me too.")  # something new to keep
    assert "Read me." not in fos(factory_repo, "context").out
    assert str(note) not in cache.read_text()
