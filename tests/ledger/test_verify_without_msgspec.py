"""Without msgspec, the standard library reads every ledger line: the same tamper cases,
the same findings.

The tamper and bad-line tests of `test_verify` run here a second time with msgspec
switched off, so a machine without it is tested as thoroughly as one with it.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from factory_os.ledger import line as ledger_line
from tests.ledger.test_verify import (
    test_a_line_copied_again_is_reported,
    test_a_line_that_is_not_a_ledger_entry,
    test_added_entry_with_a_right_id_and_a_parent_that_does_not_exist,
    test_added_entry_with_a_wrong_id,
    test_an_intact_ledger_verifies,
    test_deleted_middle_line_breaks_its_childs_parent,
    test_edited_line_is_named_by_segment_line_and_entry,
    test_reordered_lines_are_out_of_order,
    test_truncation_inside_a_line_is_a_torn_tail,
    test_verify_refuses_every_line_a_reader_refuses,
)
from tests.ledger_helpers import entry_fields, forge_line

# collected here a second time, with the fixture below
__all__ = [
    "test_a_line_copied_again_is_reported",
    "test_a_line_that_is_not_a_ledger_entry",
    "test_added_entry_with_a_right_id_and_a_parent_that_does_not_exist",
    "test_added_entry_with_a_wrong_id",
    "test_an_intact_ledger_verifies",
    "test_deleted_middle_line_breaks_its_childs_parent",
    "test_edited_line_is_named_by_segment_line_and_entry",
    "test_reordered_lines_are_out_of_order",
    "test_truncation_inside_a_line_is_a_torn_tail",
    "test_verify_refuses_every_line_a_reader_refuses",
]


@pytest.fixture(autouse=True)
def without_msgspec(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(ledger_line, "msgspec", None)
    yield


def test_without_msgspec_the_standard_decoder_reads_every_line() -> None:
    raw = forge_line(entry_fields(data={"n": 1}))[:-1]
    assert ledger_line._fast_fields(raw) is None
    assert ledger_line.parse_full(raw) == entry_fields(data={"n": 1})
