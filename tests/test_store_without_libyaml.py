"""Without PyYAML's C parser, ruamel reads every document: the same cases, the same verdicts.

The reading and bad-input tests of `test_store` and `fos validate` run here a
second time with libyaml switched off, so the pure-Python path a machine without
the C extension takes is tested as thoroughly as the fast one.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from factory_os import fastyaml, store
from tests.commands.test_validate import (
    test_a_complete_factory_is_valid,
    test_an_anchored_boolean_is_still_a_boolean,
    test_bad_input_is_reported_at_its_line,
    test_every_problem_of_every_file_in_one_run,
    test_front_matter_after_a_byte_order_mark_is_read,
    test_quoted_timestamps_with_an_offset_are_valid,
)
from tests.test_store import (
    test_front_matter_problems_are_at_the_line_editors_show,
    test_parse_yaml_accepts_nesting_up_to_the_limit,
    test_parse_yaml_accepts_tabs_where_yaml_allows_them,
    test_parse_yaml_adds_the_line_offset_of_front_matter,
    test_parse_yaml_does_not_warn_about_legal_yaml,
    test_parse_yaml_problems_are_one_line_each,
    test_parse_yaml_refuses_deep_nesting_quickly_at_its_line,
    test_parse_yaml_reports_the_line_of_the_problem,
    test_parse_yaml_stops_a_merge_key_bomb_quickly,
    test_parse_yaml_stops_an_alias_bomb_quickly,
    test_read_modify_write_keeps_comments_and_key_order,
    test_validate_reports_each_schema_error_at_its_line,
)

# collected here a second time, with the fixture below
__all__ = [
    "test_a_complete_factory_is_valid",
    "test_an_anchored_boolean_is_still_a_boolean",
    "test_bad_input_is_reported_at_its_line",
    "test_every_problem_of_every_file_in_one_run",
    "test_front_matter_after_a_byte_order_mark_is_read",
    "test_front_matter_problems_are_at_the_line_editors_show",
    "test_parse_yaml_accepts_nesting_up_to_the_limit",
    "test_parse_yaml_accepts_tabs_where_yaml_allows_them",
    "test_parse_yaml_adds_the_line_offset_of_front_matter",
    "test_parse_yaml_does_not_warn_about_legal_yaml",
    "test_parse_yaml_problems_are_one_line_each",
    "test_parse_yaml_refuses_deep_nesting_quickly_at_its_line",
    "test_parse_yaml_reports_the_line_of_the_problem",
    "test_parse_yaml_stops_a_merge_key_bomb_quickly",
    "test_parse_yaml_stops_an_alias_bomb_quickly",
    "test_quoted_timestamps_with_an_offset_are_valid",
    "test_read_modify_write_keeps_comments_and_key_order",
    "test_validate_reports_each_schema_error_at_its_line",
]


@pytest.fixture(autouse=True)
def without_libyaml(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(fastyaml, "CParser", None)
    yield


def test_without_libyaml_every_document_is_read_by_ruamel() -> None:
    doc = store.parse_yaml("id: R-3f9a2c\nscope:\n  paths: [src/**]\n", "r.yaml")
    assert doc.nodes is None
    assert doc.plain == {"id": "R-3f9a2c", "scope": {"paths": ["src/**"]}}
    assert doc.line_of(("scope", "paths", 0)) == 3
