"""Webhook delivery retries with capped exponential backoff."""

from __future__ import annotations

MAX_ATTEMPTS = 8


def backoff_seconds(attempt: int) -> int:
    return min(2**attempt, 3600)
