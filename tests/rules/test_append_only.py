from __future__ import annotations

from pathlib import Path

from tests.checks_helpers import commit_as, findings
from tests.helpers import commit_all, fos, git, write_tree

SEGMENT = ".factory/ledger/seg-1.jsonl"


def _check(repo: Path, base: str) -> list[dict[str, object]]:
    """The findings of the range, but for those about lines that are no entries (the
    segments here hold placeholders: `rules.integrity`'s concern, not this rule's)."""
    found = findings(fos(repo, "check", "--range", f"{base}..HEAD", "--format", "json").out)
    return [f for f in found if f["rule_id"] != "fos:ledger-integrity"]


def test_a_ledger_segment_may_gain_lines(factory_repo: Path) -> None:
    write_tree(factory_repo, {SEGMENT: "a {}\n"})
    base = commit_all(factory_repo, "ledger")
    write_tree(factory_repo, {SEGMENT: "a {}\nb {}\n"})
    commit_as(factory_repo, "test@example.com")
    assert _check(factory_repo, base) == []


def test_a_changed_ledger_line_is_found_with_its_line(factory_repo: Path) -> None:
    write_tree(factory_repo, {SEGMENT: "a {}\nb {}\nc {}\n"})
    base = commit_all(factory_repo, "ledger")
    write_tree(factory_repo, {SEGMENT: "a {}\nB {}\nc {}\n"})
    commit_as(factory_repo, "test@example.com")
    [finding] = _check(factory_repo, base)
    assert (finding["rule_id"], finding["path"], finding["line"]) == (
        "R-core-governance-append-only",
        SEGMENT,
        2,
    )


def test_a_truncated_or_deleted_segment_is_found(factory_repo: Path) -> None:
    write_tree(factory_repo, {SEGMENT: "a {}\nb {}\n"})
    base = commit_all(factory_repo, "ledger")
    write_tree(factory_repo, {SEGMENT: "a {}\n"})
    commit_as(factory_repo, "test@example.com")
    assert [f["line"] for f in _check(factory_repo, base)] == [2]
    (factory_repo / SEGMENT).unlink()
    commit_as(factory_repo, "test@example.com")
    assert any("deleted" in str(f["message"]) for f in _check(factory_repo, base))


def test_an_incident_may_be_added_but_not_edited(factory_repo: Path) -> None:
    incident = ".factory/incidents/INC-abc123.md"
    base = git(factory_repo, "rev-parse", "HEAD")
    write_tree(factory_repo, {incident: "---\nid: INC-abc123\n---\nbody\n"})
    commit_as(factory_repo, "test@example.com")
    assert _check(factory_repo, base) == []
    write_tree(factory_repo, {incident: "---\nid: INC-abc123\n---\nrewritten\n"})
    commit_as(factory_repo, "test@example.com")
    [finding] = _check(factory_repo, base)
    assert "is append-only and was modified" in str(finding["message"])
