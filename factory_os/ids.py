"""Branch-safe identifiers: a prefix and a random hex suffix, lengthened on collision.

Never a counter: two branches would both create `R-0007`.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable

MIN_HEX = 6


def new_id(prefix: str, taken: Callable[[str], bool], *, sep: str = "-") -> str:
    """A fresh `PREFIX-<hex>` for which TAKEN is false."""
    length = MIN_HEX
    while True:
        for _ in range(8):
            candidate = f"{prefix}{sep}{secrets.token_hex((length + 1) // 2)[:length]}"
            if not taken(candidate):
                return candidate
        length += 2
