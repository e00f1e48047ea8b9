"""One growth test for a committed segment, in `fos verify --history` and in the
`append-only` rule of `fos check --range`: they agree, also when the old content
lacks its final newline."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from factory_os.ledger.growth import lost_line
from tests.checks_helpers import commit_as
from tests.helpers import commit_all, fos, write_tree

SEGMENT = ".factory/ledger/seg-1.jsonl"


@pytest.mark.parametrize(
    ("old", "new", "lost"),
    [
        (b"", b"a\n", None),
        (b"a\n", b"a\nb\n", None),
        (b"a\nb", b"a\nb\n", None),  # an entry that lost its newline gets it back
        (b"a\nb", b"a\nb\nc\n", None),
        (b"a\nb", b"a\nbc\n", 2),  # glued onto the old last line: that line changed
        (b"a\nb\nc\n", b"a\nB\nc\n", 2),
        (b"a\nb\n", b"a\n", 2),
        (b"a\n", b"a", 1),  # the only line lost its newline
        (b"a\n", b"", 1),
        (b"a\nb", b"a\n", 2),
    ],
)
def test_a_segment_may_only_gain_whole_lines(old: bytes, new: bytes, lost: int | None) -> None:
    assert lost_line(old, new) == lost


def _both(repo: Path, base: str) -> tuple[list[int], list[int]]:
    """The lines the history walk and the append-only rule report for SEGMENT."""
    walked = json.loads(fos(repo, "verify", "--range", f"{base}..HEAD", "--format", "json").out)
    checked = json.loads(fos(repo, "check", "--range", f"{base}..HEAD", "--format", "json").out)
    return (
        [p["line"] for p in walked["problems"] if p["commit"] and p["path"] == SEGMENT],
        # (the lines themselves are no entries: the integrity check's, not this test's)
        [
            f["line"]
            for f in checked["findings"]
            if f["path"] == SEGMENT and f["rule_id"] != "fos:ledger-integrity"
        ],
    )


@pytest.mark.parametrize(
    ("old", "new", "lines"),
    [
        ("a {}\nb {}", "a {}\nb {}\nc {}\n", []),
        ("a {}\nb {}", "a {}\nb {}c {}\n", [2]),
        ("a {}\nb {}\n", "a {}\nB {}\n", [2]),
    ],
)
def test_verify_and_check_agree_on_a_segment_without_its_final_newline(
    factory_repo: Path, old: str, new: str, lines: list[int]
) -> None:
    write_tree(factory_repo, {SEGMENT: old})
    base = commit_all(factory_repo, "ledger")
    write_tree(factory_repo, {SEGMENT: new})
    commit_as(factory_repo, "test@example.com")
    assert _both(factory_repo, base) == (lines, lines)
