from __future__ import annotations

from typing import Any

import pytest
import rfc8785
from hypothesis import given, settings, strategies as st

from factory_os.ledger import canonical

_SAFE = 2**53 - 1
_keys = st.text(alphabet=st.characters(max_codepoint=127), max_size=8)
_text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=20)
_scalars = st.none() | st.booleans() | st.integers(-_SAFE, _SAFE) | _text
_values = st.recursive(
    _scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_keys, inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=300)
@given(_values)
def test_canonical_bytes_match_rfc8785(value: Any) -> None:
    assert canonical.dumps(value) == rfc8785.dumps(value)


def test_known_form() -> None:
    value = {"b": [1, "é\n\u2028", None, True], "a": {"z": -(2**53) + 1, "\x7f": "\x1f"}}
    assert (
        canonical.dumps(value)
        == '{"a":{"z":-9007199254740991,"\x7f":"\\u001f"},"b":[1,"é\\n\u2028",null,true]}'.encode()
    )


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ({"x": 1.5}, r"\$\.x: no floats"),
        ({"x": [2**53]}, r"\$\.x\[0\]: integer"),
        ({"é": 1}, "not ASCII"),
        ({1: 1}, "not a string"),
        ({"x": "\ud800"}, "lone surrogate"),
        ({"x": b"bytes"}, "bytes is not a JSON value"),
    ],
)
def test_values_outside_the_profile_are_refused(value: Any, message: str) -> None:
    with pytest.raises(canonical.NotCanonical, match=message):
        canonical.dumps(value)
