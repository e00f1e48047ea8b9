"""The one clock: every command asks here what time it is.

`FOS_NOW` (ISO 8601, e.g. `2026-12-01T09:00:00Z`) pins it, so tests and a
replayed check see a fixed time instead of sleeping; otherwise it is the system
clock in UTC. Nothing else calls `datetime.now()` or `time.time()` for a
timestamp that is recorded or compared.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime

from factory_os.errors import UsageError

ENV = "FOS_NOW"


def now() -> datetime:
    """The current time, in UTC, to the second."""
    pinned = os.environ.get(ENV)
    if pinned:
        return parse(pinned, source=ENV)
    return datetime.now(UTC).replace(microsecond=0)


def parse(text: str, *, source: str = "time") -> datetime:
    """An ISO 8601 time; one without a zone is taken as UTC."""
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
    return (value or now()).strftime("%Y-%m-%dT%H:%M:%SZ")
