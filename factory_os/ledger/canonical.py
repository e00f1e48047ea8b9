"""Canonical JSON for ledger entries: a restricted profile of RFC 8785 (JCS).

The profile: object keys are ASCII and sorted, no insignificant white space,
UTF-8 output (non-ASCII characters are written as themselves, control
characters escaped as JSON.stringify escapes them), integers within
plus or minus 2**53 - 1, and no floats at all (write decimals as strings).
Inside that profile, Python's json encoder with the options below produces
exactly the bytes RFC 8785 prescribes, which the tests check against an
independent implementation.

The ledger hashes these bytes once, when an entry is written; verifying never
serialises again (see `factory_os.ledger.events`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

MAX_SAFE_INT = 2**53 - 1


class NotCanonical(ValueError):
    """A value outside the canonical profile; the message says where."""


def dumps(value: Any) -> bytes:
    """The canonical UTF-8 bytes of VALUE; NotCanonical if it has no canonical form."""
    _check(value, "$")
    text = json.dumps(
        value, ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False
    )
    return text.encode("utf-8")


def _check(value: Any, where: str) -> None:
    if value is None or isinstance(value, bool):
        return
    if isinstance(value, int):
        if not -MAX_SAFE_INT <= value <= MAX_SAFE_INT:
            raise NotCanonical(f"{where}: integer {value} is outside plus or minus 2**53 - 1")
        return
    if isinstance(value, float):
        raise NotCanonical(f"{where}: no floats in canonical form; write {value!r} as a string")
    if isinstance(value, str):
        _check_text(value, where)
        return
    if isinstance(value, Mapping):
        for key, item in value.items():
            if not isinstance(key, str):
                raise NotCanonical(f"{where}: object key {key!r} is not a string")
            if not key.isascii():
                raise NotCanonical(f"{where}: object key {key!r} is not ASCII")
            _check(item, f"{where}.{key}")
        return
    if isinstance(value, Sequence) and not isinstance(value, bytes | bytearray):
        for index, item in enumerate(value):
            _check(item, f"{where}[{index}]")
        return
    raise NotCanonical(f"{where}: {type(value).__name__} is not a JSON value")


def _check_text(text: str, where: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise NotCanonical(f"{where}: string holds a lone surrogate (not valid Unicode)") from None
