from __future__ import annotations

import json
from pathlib import Path

from tests.helpers import fos


def test_add_writes_a_note_named_by_its_slug(factory_repo: Path) -> None:
    (factory_repo / "body.md").write_text("Run the API tests with `make api`.\n")
    result = fos(
        factory_repo, "knowledge", "add", "--title", "Testing the API!", "--tags", "testing",
        "--paths", "src/api/**", "--review-by", "2030-01-31", "--body-file", "body.md",
        "--actor", "test",
    )  # fmt: skip
    assert result.code == 0, result.output
    assert result.out.strip() == ".factory/knowledge/testing-the-api.md"
    shown = json.loads(
        fos(factory_repo, "knowledge", "show", "testing-the-api", "--format", "json").out
    )
    assert shown["tags"] == ["testing"] and shown["paths"] == ["src/api/**"]
    assert shown["review_by"] == "2030-01-31"
    assert shown["body"] == "Run the API tests with `make api`."
    assert fos(factory_repo, "validate").code == 0
    out = fos(factory_repo, "context", "--paths", "src/api/users.py").out
    assert "Run the API tests with `make api`." in out


def test_same_title_twice_gets_a_second_file(factory_repo: Path) -> None:
    first = fos(factory_repo, "knowledge", "add", "--title", "Pitfalls").out.strip()
    second = fos(factory_repo, "knowledge", "add", "--title", "Pitfalls").out.strip()
    assert first.endswith("/pitfalls.md") and second.endswith("/pitfalls-2.md")
    result = fos(factory_repo, "knowledge", "add", "--title", "P", "--slug", "pitfalls")
    assert result.code == 2 and "already exists" in result.err


def test_a_hand_written_note_needs_only_a_title(factory_repo: Path) -> None:
    note = factory_repo / ".factory" / "knowledge" / "by-hand.md"
    note.write_text("---\ntitle: Written by hand\n---\nPlain prose.\n")
    assert fos(factory_repo, "validate").code == 0
    listed = fos(factory_repo, "knowledge", "list").out
    assert "by-hand  Written by hand" in listed
    assert "Plain prose." in fos(factory_repo, "context").out


def test_bad_tag_is_a_usage_error_and_writes_nothing(factory_repo: Path) -> None:
    result = fos(factory_repo, "knowledge", "add", "--title", "T", "--tags", "Not A Slug")
    assert result.code == 2 and "tags" in result.err
    assert not (factory_repo / ".factory" / "knowledge" / "t.md").exists()
