from __future__ import annotations

import json
import re
from pathlib import Path

from tests.documents import add_decision
from tests.helpers import fos, snapshot


def test_add_appends_a_proposed_decision_that_reads_back(factory_repo: Path) -> None:
    body = factory_repo / "body.md"
    body.write_text("We chose Postgres.\n\n### Consequences\n\nNo other database.\n")
    result = fos(
        factory_repo, "dna", "add", "--title", "Use Postgres", "--paths", "src/db/**",
        "--body-file", "body.md",
    )  # fmt: skip
    assert result.code == 0, result.output
    new_id = result.out.strip()
    assert re.fullmatch(r"D-[0-9a-f]{6}", new_id)
    shown = json.loads(fos(factory_repo, "dna", "show", new_id, "--format", "json").out)
    assert shown["status"] == "proposed"
    assert shown["paths"] == ["src/db/**"]
    assert shown["body"] == "We chose Postgres.\n\n### Consequences\n\nNo other database."
    listed = fos(factory_repo, "dna", "list").out.splitlines()
    assert listed[-1].split() == [new_id, "proposed", "Use", "Postgres"]
    assert fos(factory_repo, "validate").code == 0
    # proposed decisions are not shown to agents until accepted
    assert new_id not in fos(factory_repo, "context").out


def test_ids_are_fresh_and_text_is_kept(factory_repo: Path) -> None:
    dna = factory_repo / ".factory" / "DNA.md"
    before = dna.read_text()
    first = fos(factory_repo, "dna", "add", "--title", "One").out.strip()
    second = fos(factory_repo, "dna", "add", "--title", "Two", "--status", "accepted").out.strip()
    assert first != second
    after = dna.read_text()
    assert after.startswith(before.rstrip("\n"))
    assert second in fos(factory_repo, "context").out


def test_a_body_that_would_start_a_new_section_is_refused(factory_repo: Path) -> None:
    before = snapshot(factory_repo)
    (factory_repo / "b.md").write_text("## D-abcdef: sneaky\nStatus: accepted\n")
    before = snapshot(factory_repo)
    result = fos(factory_repo, "dna", "add", "--title", "X", "--body-file", "b.md")
    assert result.code == 2 and "would not read back" in result.err
    assert snapshot(factory_repo) == before


def test_show_unknown_and_bad_title(factory_repo: Path) -> None:
    result = fos(factory_repo, "dna", "show", "D-ffffff")
    assert result.code == 2 and "no decision D-ffffff" in result.err
    result = fos(factory_repo, "dna", "add", "--title", " ")
    assert result.code == 2 and "--title" in result.err


def test_validate_reports_duplicate_ids_and_broken_supersede_links(factory_repo: Path) -> None:
    add_decision(factory_repo, "D-000000", "A second one with the same id")
    add_decision(factory_repo, "D-111111", "Old", status="superseded by D-222222")
    add_decision(factory_repo, "D-333333", "Loop", status="superseded by D-333333")
    result = fos(factory_repo, "validate")
    assert result.code == 3
    assert "id D-000000 is also used by .factory/DNA.md" in result.out
    assert "D-111111 is superseded by D-222222, which does not exist" in result.out
    assert "D-333333 cannot supersede itself" in result.out
    lines = {line.split(": ", 1)[0] for line in result.out.splitlines() if "DNA.md" in line}
    assert all(re.fullmatch(r"\.factory/DNA\.md:\d+", where) for where in lines)
