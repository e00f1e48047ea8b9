"""libyaml's fast path reads every document it accepts exactly as ruamel's path does."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from factory_os import fastyaml, store
from factory_os.errors import InvalidInput

SCALARS = [
    "x", "two words", "1", "-1", "+1", "0", "-0", "007", "0o17", "0x1f", "1_000", "1.5", "-0.25",
    "1.", ".5", "1e3", "1.0e+3", ".inf", "-.Inf", ".nan", "true", "False", "yes", "no", "on",
    "null", "Null", "~", "", "2026-01-01", "2026-13-01", "2026-1-1", "2026-01-01T00:00:00Z",
    "2026-01-01 10:00:00", "2026-01-01T10:00:00+02:00", "2026-01-01T10:00:00.5Z",
    "2026-01-01t10:00:00z", "2026-01-01T10:00:00 +02:00", "2026-02-30T10:00:00Z", '"a\\tb"',
    '"\\u00e9"', "'it''s'", '"x"', "'1'", "[a, b]", "[]", "{a: 1, b: [2]}", "{}", "|\n  text",
    ">-\n  folded\n  more", "|+\n  kept\n\n", "&a x", "*a", "!!str 1", "!x y", "! z", "a: b",
    "x # comment", "a\tb", "<<", "=", "http://x/y", "src/**", "@at", "`tick", "%p", "é", "\u2028",
    '"multi\n line"', "plain\n continued", "'para\n\n two'", "a #b", "a#b", "[a, {b: c}, [d]]",
    "{a: [1, 2], b: {c: d}}", "[a,\n b]", "{? k: v}", "? q\n: r", "key: [x]", "'unclosed",
]  # fmt: skip
KEYS = ["a", "b", "id", '"q"', "'s'", "x y", "true", "1", "<<", "? k", "a", "null", "~", "é"]


def _paths(value: Any, prefix: tuple[int | str, ...] = ()) -> Iterator[tuple[int | str, ...]]:
    yield prefix
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _paths(item, (*prefix, key))
        yield (*prefix, "missing")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _paths(item, (*prefix, index))
        yield (*prefix, len(value) + 1)


def _typed(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _typed(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_typed(item) for item in value]
    return type(value).__name__, repr(value)


def assert_read_alike(text: str) -> bool:
    """True when the fast path read TEXT, after checking ruamel reads it the same."""
    fast = fastyaml.load(text, store.MAX_YAML_NODES, store.MAX_YAML_DEPTH)
    if fast is None:
        return False
    try:
        slow = store.parse_yaml(text, "f.yaml", round_trip=True)
    except InvalidInput as exc:
        raise AssertionError(f"ruamel refuses what libyaml read: {exc.problems}") from None
    fast_doc = store.parse_yaml(text, "f.yaml")
    assert fast_doc.nodes is not None
    assert _typed(fast_doc.plain) == _typed(slow.plain)
    for loc in _paths(slow.plain):
        assert fast_doc.line_of(loc) == slow.line_of(loc), loc
    return True


@st.composite
def documents(draw: st.DrawFn) -> str:
    def block(indent: int, depth: int) -> list[str]:
        lines = []
        sequence = draw(st.booleans())
        for _ in range(draw(st.integers(1, 4))):
            head = " " * indent + ("- " if sequence else f"{draw(st.sampled_from(KEYS))}: ")
            if depth < 3 and draw(st.integers(0, 3)) == 0:
                lines.append(head.rstrip())
                lines += block(indent + draw(st.sampled_from([1, 2, 4])), depth + 1)
            else:
                value = draw(st.sampled_from(SCALARS))
                lines.append(head + value.replace("\n", "\n" + " " * (indent + 2)))
            if draw(st.integers(0, 5)) == 0:
                lines.append(draw(st.sampled_from(["", "# note", " ", "\t", "---", "..."])))
        return lines

    newline = draw(st.sampled_from(["\n", "\n", "\r\n"]))
    return newline.join(block(0, 0)) + newline


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents())
def test_what_libyaml_reads_ruamel_reads_alike(text: str) -> None:
    assert_read_alike(text)


@settings(max_examples=600, deadline=None)
@given(st.text(alphabet="ab1.: -[]{},'\"\n\t#&*!|>?%@`~\r", max_size=30))
def test_on_any_text_libyaml_reads_alike_or_leaves_it_to_ruamel(text: str) -> None:
    assert_read_alike(text)


def test_a_typical_rule_takes_the_fast_path() -> None:
    text = (
        "# yaml-language-server: $schema=../schemas/rule.schema.json\n"
        "id: R-3f9a2c\ntitle: The CEO never writes code\nseverity: block\n"
        "created_at: 2026-01-01T00:00:00Z\nscope:\n  roles: [ceo]\n  paths: ['src/**']\n"
        "check:\n  kind: path-guard\n"
    )
    assert assert_read_alike(text)
    assert store.parse_yaml(text, "r.yaml").nodes is not None


@pytest.mark.parametrize(
    "text",
    ["a: 1\na: 2\n", "a: &x 1\nb: *x\n", "<<: {a: 1}\n", "a: !!str 1\n", "%YAML 1.2\n---\na: 1\n",
     "a: 0x1f\n", "a: [\n", "a:\n\t- b\n", "a: 1\n---\nb: 2\n", "a: \x07\n", "! '!'",
     "a: ! x\n", "- [!x 1]\n"],
)  # fmt: skip
def test_what_ruamel_must_judge_is_left_to_it(text: str) -> None:
    assert fastyaml.load(text, store.MAX_YAML_NODES, store.MAX_YAML_DEPTH) is None


def test_nesting_and_node_count_beyond_the_limits_are_left_to_ruamel() -> None:
    deep = "[" * (store.MAX_YAML_DEPTH + 1) + "]" * (store.MAX_YAML_DEPTH + 1)
    assert fastyaml.load(deep, store.MAX_YAML_NODES, store.MAX_YAML_DEPTH) is None
    wide = "[" + "1, " * store.MAX_YAML_NODES + "]"
    assert fastyaml.load(wide, store.MAX_YAML_NODES, store.MAX_YAML_DEPTH) is None


def test_the_round_trip_tree_of_a_fast_read_is_parsed_on_demand() -> None:
    doc = store.parse_yaml("# kept\nb: 1\na: [x]\n", "f.yaml")
    assert doc.nodes is not None
    doc.tree["c"] = 2
    assert store.dump_yaml(doc.tree) == "# kept\nb: 1\na: [x]\nc: 2\n"


# what the fast path leaves to ruamel, as one pattern: `fastyaml._unusual` answers alike
UNUSUAL = re.compile(
    "[^\x0a\x0d\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]"
    r"|&|(?:^|[ \t\[{,])!|^%|^---|^\.\.\.",
    re.MULTILINE,
)
TRICKY = ["a: b\n", "a: !x\n", "[!a]", "{a: !b}", "a,!b", "x!", "a: b&c\n", "%YAML 1.2\n",
          "a\n%b", "a %b", "x\n---\n", "x ---", "x\n...\n", "x ...", "x\r---", "x\r\n---\n",
          "...x", "---", "a:\x85\n", "a:\tb", "\ufeffa", "a: é\n", "a: \U0001f600\n",
          "a: \u2028\n", "\x00", "\x7f", "\x0b", "\x0c", "\x0e", "\x1f", "\x80", "é\t",
          "\ud800", "\ufffe", ""]  # fmt: skip


@pytest.mark.parametrize("text", TRICKY)
def test_unusual_text_is_told_as_the_one_pattern_tells_it(text: str) -> None:
    assert fastyaml._unusual(text) == (UNUSUAL.search(text) is not None)


@settings(max_examples=500, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.text(alphabet=st.sampled_from(list("ab :-.%!&\t\r\n[{,#'\"\x85\u2028é\x01")), max_size=40)
)
def test_on_any_text_unusual_is_told_as_the_one_pattern_tells_it(text: str) -> None:
    assert fastyaml._unusual(text) == (UNUSUAL.search(text) is not None)
