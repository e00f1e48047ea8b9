from __future__ import annotations

from pathlib import Path

from tests.documents import write_rule
from tests.helpers import fos

BEGIN = "<!-- factory-os:begin"
END = "<!-- factory-os:end -->"


def test_creates_agents_md_when_missing(factory_repo: Path) -> None:
    result = fos(factory_repo, "export", "agents-md")
    assert result.code == 0 and result.out == "created AGENTS.md\n"
    text = (factory_repo / "AGENTS.md").read_text()
    assert text.startswith(BEGIN) and text.endswith(END + "\n")
    assert "R-core-ceo-never-writes-code" in text and "D-000000" in text


def test_is_idempotent_and_keeps_the_users_text(factory_repo: Path) -> None:
    agents = factory_repo / "AGENTS.md"
    agents.write_text("# Project\n\nBuild with `make`.\n")
    assert fos(factory_repo, "export", "agents-md").out == "updated AGENTS.md\n"
    first = agents.read_bytes()
    assert first.startswith(b"# Project\n\nBuild with `make`.\n\n<!-- factory-os:begin")
    mtime = agents.stat().st_mtime_ns
    assert fos(factory_repo, "export", "agents-md").out == "AGENTS.md is up to date\n"
    assert agents.read_bytes() == first and agents.stat().st_mtime_ns == mtime
    # text after the block, and a change to the rules: only the block changes
    agents.write_text(first.decode() + "\n## Footer\n\nMine.\n")
    write_rule(factory_repo, "R-aaaaaa", statement="Always write a test first.")
    assert fos(factory_repo, "export", "agents-md").out == "updated AGENTS.md\n"
    text = agents.read_text()
    assert text.startswith("# Project\n\nBuild with `make`.\n\n")
    assert text.endswith(END + "\n\n## Footer\n\nMine.\n")
    assert text.count(BEGIN) == 1 and "Always write a test first." in text
    assert fos(factory_repo, "export", "agents-md").out == "AGENTS.md is up to date\n"


def test_broken_markers_are_reported_and_nothing_is_written(factory_repo: Path) -> None:
    agents = factory_repo / "AGENTS.md"
    agents.write_text(f"# Project\n{BEGIN} x -->\nhalf a block\n")
    result = fos(factory_repo, "export", "agents-md")
    assert result.code == 3
    assert result.err.startswith("AGENTS.md:2: the factory-os block must be")
    assert agents.read_text() == f"# Project\n{BEGIN} x -->\nhalf a block\n"
