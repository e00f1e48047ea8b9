"""The rule engine: which rules are in force, and what breaks them.

Public API: `Finding`, `check_paths` (would writing these paths break a rule?),
and the checks of `factory_os.rules.run` behind `fos check`.
"""

from __future__ import annotations

from factory_os.rules.finding import Finding
from factory_os.rules.paths import check_paths

__all__ = ["Finding", "check_paths"]
