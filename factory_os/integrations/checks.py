"""What the entry points add to a check through the rules' seam (`rules.seam`).

The rule engine knows nothing of the layers above it; `seam` is where the
checks of the operating model join it. This module imports nothing heavy: an
extra loads what it needs only when the change calls for it, so the hook path
stays light.
"""

from __future__ import annotations

from factory_os.rules.seam import Seam
from factory_os.work import override_pass
from factory_os.work.extras import work_checks


def seam() -> Seam:
    """The extra checks and the post-pass of `fos check`, the hooks, guard and MCP:
    the operating model's checks, then the overrides in force lift the findings
    they cover (DESIGN section 11)."""
    return Seam(extras=(work_checks,), post=override_pass.post)
