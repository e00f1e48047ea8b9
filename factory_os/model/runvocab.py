"""The names of a factory run (DESIGN section 10): its id form, its gates and their
modes. Plain values, no models: every `fos run` face reads them."""

from __future__ import annotations

RUN_ID = r"^run_[0-9a-f]{8}$"
GATES = ("spec", "plan", "ship")
GATE_MODES = ("auto", "review", "skip")
