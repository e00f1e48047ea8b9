"""POST /charges: every write takes an Idempotency-Key (DNA D-c04d2e)."""

from __future__ import annotations

from paylane.money import Money

_seen: dict[str, Money] = {}


def create_charge(idempotency_key: str, amount: Money) -> Money:
    if not idempotency_key:
        raise ValueError("Idempotency-Key is required")
    return _seen.setdefault(idempotency_key, amount)
