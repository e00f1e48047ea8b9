"""msgspec's reading of a ledger line reaches the standard library's verdict, or defers to it."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from factory_os.ledger import line as ledger_line
from tests.ledger_helpers import entry_fields, forge_line

JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**60), 2**60)
    | st.sampled_from([2**53 - 1, -(2**53) + 1, 2**53, -(2**53)])
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(alphabet=st.sampled_from('ab "\\/\n\t\x00\x1f\x7fé\u2028[{'), max_size=6),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.sampled_from(["a", "b", "é", "Z", "a b"]), inner, max_size=3)
    ),
    max_leaves=8,
)
FIELD_CHANGES = st.fixed_dictionaries(
    {},
    optional={
        "v": st.sampled_from([1, 2, True, "1", 1.0]),
        "kind": st.sampled_from(["rule.added", "signoff", "Bad", "a.", "x\n", 3]),
        "at": st.sampled_from(["2026-01-01T00:00:00Z", 5, None]),
        "subject": st.sampled_from(["", "R-3f9a2c", "é", 'q"', []]),
        "parents": st.sampled_from([[], ["0" * 64], ["A" * 64], "x", [1]]),
        "refs": st.sampled_from(
            [[], [{"path": "p", "sha256": "0" * 64}], [{"path": 1, "sha256": "0" * 64}], [{}]]
        ),
        "data": JSON_VALUES,
        "extra": st.just(1),
    },
)


@pytest.fixture(autouse=True)
def msgspec_from_the_first_line(monkeypatch: pytest.MonkeyPatch) -> None:
    """`parse_full` reads with msgspec from the first line on, not only once warm."""
    monkeypatch.setattr(ledger_line, "LAZY_LINES", 0)


def _standard_verdict(raw: bytes) -> Any:
    with mock.patch.object(ledger_line, "msgspec", None):
        return ledger_line.parse_full(raw)


@st.composite
def lines(draw: st.DrawFn) -> bytes:
    fields = entry_fields(**draw(FIELD_CHANGES))
    if draw(st.booleans()):
        # as fos writes it, or as someone else might (key order, spaces, escapes)
        return forge_line(fields)[:-1]
    body = json.dumps(
        fields,
        sort_keys=draw(st.booleans()),
        ensure_ascii=draw(st.booleans()),
        separators=draw(st.sampled_from([(",", ":"), (", ", ": ")])),
    )
    return forge_line(entry_fields())[:65] + body.encode()


@settings(max_examples=800, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lines())
def test_msgspec_accepts_only_what_the_standard_decoder_accepts(raw: bytes) -> None:
    fast = ledger_line.parse_full(raw)
    assert fast == _standard_verdict(raw)


def test_a_line_fos_writes_is_read_by_msgspec() -> None:
    _, raw = ledger_line.encode(entry_fields(data={"n": 3, "role": "builder", "ok": True}))
    fields = ledger_line._fast_fields(raw[:-1])
    assert fields is not None
    assert fields == _standard_verdict(raw[:-1])


def test_floats_and_large_integers_are_left_to_the_standard_decoder() -> None:
    for data in ({"ratio": 0.5}, {"n": 2**53}, {"deep": [{"n": -(2**60)}]}):
        raw = forge_line(entry_fields(data=data))[:-1]
        assert ledger_line._fast_fields(raw) is None
        assert isinstance(ledger_line.parse_full(raw), str)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(lines(), max_size=6), st.integers(0, 40))
def test_a_batch_is_refused_line_by_line_as_the_standard_decoder_would(
    some: list[bytes], good: int
) -> None:
    batch = [forge_line(entry_fields(data={"n": n}))[:-1] for n in range(good)] + some
    expected = {i: v for i, raw in enumerate(batch) if type(v := _standard_verdict(raw)) is str}
    assert ledger_line.refused(batch) == expected


def test_a_nested_float_or_large_integer_among_good_lines_is_refused_in_its_place() -> None:
    good = [forge_line(entry_fields(data={"n": n}))[:-1] for n in range(5)]
    for data in ({"deep": {"list": [1, 2**53]}}, {"deep": [[0.5]]}):
        batch = [*good, forge_line(entry_fields(data=data))[:-1], *good]
        assert list(ledger_line.refused(batch)) == [5]


def test_text_that_looks_like_a_nested_value_is_still_accepted() -> None:
    data = {"text": '":{ and ":[', "nested": {"ok": [1, "two", None]}}
    batch = [forge_line(entry_fields(data=data))[:-1] for _ in range(3)]
    assert ledger_line.refused(batch) == {}
    assert ledger_line._fast_fields(batch[0]) == _standard_verdict(batch[0])


def test_msgspec_is_imported_only_once_a_process_has_read_many_lines() -> None:
    script = (
        "import sys\n"
        "from factory_os.ledger import line\n"
        "from tests.ledger_helpers import entry_fields, forge_line\n"
        "raw = forge_line(entry_fields(data={'n': 1}))[:-1]\n"
        "for _ in range(line.LAZY_LINES):\n"
        "    assert isinstance(line.parse_full(raw), dict)\n"
        "print('msgspec' in sys.modules)\n"
        "assert isinstance(line.parse_full(raw), dict)\n"
        "print('msgspec' in sys.modules)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["False", "True"]
