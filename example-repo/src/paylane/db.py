"""PostgreSQL is the system of record (DNA D-7b2e41)."""

from __future__ import annotations

DSN_ENV = "PAYLANE_DATABASE_URL"
