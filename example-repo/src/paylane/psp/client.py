"""The payment service provider's API client."""

from __future__ import annotations

SANDBOX_URL = "https://sandbox.psp.invalid/v2"
