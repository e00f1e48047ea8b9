"""The rule engine: which rules are in force, and what breaks them.

Public API: `Finding`, `check_paths` (would writing these paths break a rule?),
and the checks of `factory_os.rules.run` behind `fos check`. `check_paths` is
imported on first use, so the hook path importing `Finding` stays light.
"""

from __future__ import annotations

from factory_os.rules.finding import Finding

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from factory_os.rules.paths import check_paths

__all__ = ["Finding", "check_paths"]


def __getattr__(name: str) -> Any:
    if name == "check_paths":
        from factory_os.rules.paths import check_paths

        return check_paths
    raise AttributeError(name)
