from __future__ import annotations

import pytest

from factory_os.errors import InvalidInput
from factory_os.model.dna import Decision, parse_dna, render_decision

DNA = """\
# DNA

Intro prose, with a ## that is not a heading.

## D-3f9a2c: Money is stored as integer minor units
Status: accepted
Paths: src/ledger/**, src/api/amounts.py
Date: 2026-01-02

Floats lose cents.

```markdown
## D-notaheading: inside a fence
```

## D-3f9a2d: Use UUIDs
Status: superseded by D-3f9a2c

Prose.
"""


def problems(text: str) -> list[str]:
    with pytest.raises(InvalidInput) as excinfo:
        parse_dna(text, "DNA.md")
    return [str(p) for p in excinfo.value.problems]


def test_parse_dna_reads_every_decision() -> None:
    first, second = parse_dna(DNA, "DNA.md")
    assert first.id == "D-3f9a2c"
    assert first.title == "Money is stored as integer minor units"
    assert first.status == "accepted"
    assert first.paths == ["src/ledger/**", "src/api/amounts.py"]
    assert first.date == "2026-01-02"
    assert first.line == 5
    assert first.body.startswith("Floats lose cents.")
    assert "## D-notaheading" in first.body
    assert (second.id, second.status, second.superseded_by) == (
        "D-3f9a2d",
        "superseded",
        "D-3f9a2c",
    )
    assert second.line == 16


def test_parse_dna_without_decisions_is_empty() -> None:
    assert parse_dna("# DNA\n\nNothing decided yet.\n", "DNA.md") == []
    assert parse_dna("", "DNA.md") == []


def test_parse_dna_reports_every_bad_section_at_its_line() -> None:
    text = (
        "## D-abc123: Fine\nStatus: accepted\n\n"
        "## Not a decision\n\n"
        "## D-abc124: Bad status\nStatus: maybe\n\n"
        "## D-abc125: Unknown field\nStatus: accepted\nOwner: bob\n\n"
        "## D-abc126: Twice\nStatus: accepted\nStatus: proposed\n\n"
        "## D-abc127:\nStatus: accepted\n\n"
        "## D-xyz: Not hex\nStatus: accepted\n"
    )
    assert problems(text) == [
        "DNA.md:4: a section heading must read `## D-<6+ hex>: Title` (a decision)",
        "DNA.md:7: D-abc124: status: Input should be 'proposed', 'accepted' or 'superseded'",
        "DNA.md:11: unknown decision field 'Owner'",
        "DNA.md:15: duplicate decision field 'Status'",
        "DNA.md:17: D-abc127: title: String should have at least 1 character",
        "DNA.md:20: a section heading must read `## D-<6+ hex>: Title` (a decision)",
    ]


@pytest.mark.parametrize("separator", ["\f", "\x1c", "\u2028", "\x85"])
def test_lines_are_counted_as_editors_count_them(separator: str) -> None:
    text = f"# DNA\n\nPasted{separator}prose.\n\n## D-abc123: A\nStatus: maybe\n"
    assert problems(text) == [
        "DNA.md:6: D-abc123: status: Input should be 'proposed', 'accepted' or 'superseded'"
    ]


def test_windows_line_endings_are_read() -> None:
    (decision,) = parse_dna("## D-abc123: A\r\nStatus: accepted\r\n\r\nProse.\r\n", "DNA.md")
    assert (decision.title, decision.status, decision.body) == ("A", "accepted", "Prose.")


def test_a_superseding_id_must_be_a_decision_id() -> None:
    assert problems("## D-abc123: A\nStatus: superseded by R-abc123\n") == [
        "DNA.md:2: D-abc123: superseded_by: String should match pattern '^D-[0-9a-f]{6,}$'"
    ]


def test_superseded_without_a_successor_is_refused() -> None:
    assert problems("# DNA\n\n## D-abc123: A\nStatus: superseded\n") == [
        "DNA.md:4: D-abc123: say which decision supersedes it: superseded by D-<id>"
    ]


def test_a_decision_is_superseded_exactly_when_it_names_a_successor() -> None:
    with pytest.raises(ValueError, match="superseded_by exactly when"):
        Decision(id="D-abc123", title="T", status="superseded")
    with pytest.raises(ValueError, match="superseded_by exactly when"):
        Decision(id="D-abc123", title="T", status="accepted", superseded_by="D-abc124")


def test_render_decision_reads_back_the_same() -> None:
    decisions = parse_dna(DNA, "DNA.md")
    text = "\n".join(render_decision(d) for d in decisions)
    again = parse_dna(text, "DNA.md")
    strip = {"line"}
    assert [d.model_dump(exclude=strip) for d in again] == [
        d.model_dump(exclude=strip) for d in decisions
    ]


def test_render_decision_of_a_minimal_decision() -> None:
    decision = Decision(id="D-abc123", title="T", status="proposed")
    assert render_decision(decision) == "## D-abc123: T\nStatus: proposed\n"
