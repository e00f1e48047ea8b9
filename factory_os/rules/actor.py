"""Who is acting: `--actor`, else FOS_ACTOR, else git's user.email (DESIGN section 3)."""

from __future__ import annotations

import os
from pathlib import Path

from factory_os.errors import UsageError
from factory_os.git import plumbing as git


def resolve_actor(cwd: Path, explicit: str | None = None) -> str:
    for candidate in (explicit, os.environ.get("FOS_ACTOR"), git.config_get(cwd, "user.email")):
        if candidate and candidate.strip():
            return candidate.strip()
    raise UsageError("who is acting? pass --actor, set FOS_ACTOR, or set git's user.email")
