"""Amounts are integer minor units (cents); never floats (see DNA D-1f3a9c)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Money:
    minor: int
    currency: str

    def __add__(self, other: Money) -> Money:
        if other.currency != self.currency:
            raise ValueError(f"cannot add {other.currency} to {self.currency}")
        return Money(self.minor + other.minor, self.currency)

    def split(self, parts: int) -> list[Money]:
        """Split into PARTS amounts that add up exactly; the first ones carry the remainder."""
        base, remainder = divmod(self.minor, parts)
        return [Money(base + (1 if i < remainder else 0), self.currency) for i in range(parts)]


def refund_parts(amount: Money, parts: int) -> list[Money]:
    """A refund split in PARTS that adds up to AMOUNT to the cent (INC: float rounding)."""
    return amount.split(parts)
