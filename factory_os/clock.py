"""The one clock: every command asks here what time it is.

`FOS_NOW` (ISO 8601, e.g. `2026-12-01T09:00:00Z`) pins it, so tests and a
replayed check see a fixed time instead of sleeping; otherwise it is the system
clock in UTC. Nothing else calls `datetime.now()` or `time.time()` for a
timestamp that is recorded or compared.
"""

from __future__ import annotations

import os

from factory_os.errors import UsageError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from datetime import datetime

ENV = "FOS_NOW"
STAMP = "%Y-%m-%dT%H:%M:%SZ"
DAYS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def now() -> datetime:
    """The current time, in UTC, to the second."""
    from datetime import UTC, datetime  # (not at import: the hook path needs only stamps)

    pinned = os.environ.get(ENV)
    if pinned:
        return parse(pinned, source=ENV)
    return datetime.now(UTC).replace(microsecond=0)


def now_stamp() -> str:
    """`stamp()`, the current time as the ledger writes it, without loading `datetime`
    when the system clock or a `FOS_NOW` already in that form says it (the hook
    compares overrides' expiry with it)."""
    pinned = os.environ.get(ENV)
    if not pinned:
        import time  # built in: nothing to load

        return time.strftime(STAMP, time.gmtime())
    return pinned if _is_stamp(pinned) else stamp()


def _is_stamp(text: str) -> bool:
    """Whether TEXT is a valid time in the form `YYYY-MM-DDTHH:MM:SSZ`."""
    if len(text) != 20 or text[4] + text[7] + text[10] + text[13] + text[16] + text[19] != (
        "--T::Z"
    ):
        return False
    parts = (text[0:4], text[5:7], text[8:10], text[11:13], text[14:16], text[17:19])
    if not all(p.isascii() and p.isdigit() for p in parts):
        return False
    year, month, day, hour, minute, second = map(int, parts)
    if not (year >= 1 and 1 <= month <= 12 and hour < 24 and minute < 60 and second < 60):
        return False
    leap = month == 2 and year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
    return 1 <= day <= DAYS[month - 1] + leap


def parse(text: str, *, source: str = "time") -> datetime:
    """An ISO 8601 time; one without a zone is taken as UTC."""
    from datetime import UTC, datetime

    try:
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise UsageError(
            f"{source}: {text!r} is not an ISO 8601 time (for example 2026-12-01T09:00:00Z)"
        ) from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).replace(microsecond=0)


def stamp(value: datetime | None = None) -> str:
    """VALUE (default: now) as the ledger writes times: `YYYY-MM-DDTHH:MM:SSZ`."""
    return (value or now()).strftime(STAMP)
