"""Helpers for the ledger tests: a factory made by hand, and its segment files."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from factory_os import store
from factory_os.ledger.line import DOMAIN
from factory_os.store import Factory
from tests.helpers import commit_all, fos, git

TEAM = """\
members:
  - {id: test, name: Test, kind: human, roles: [owner], emails: [test@example.com]}
"""


def make_factory(repo: Path, *, commit: bool = True) -> Factory:
    """`.factory/` with empty rules/ and incidents/, a team of one (test, git's identity
    in the tests), and an initial commit."""
    for sub in ("rules", "incidents"):
        (repo / ".factory" / sub).mkdir(parents=True, exist_ok=True)
    (repo / ".factory" / "team.yaml").write_text(TEAM)
    (repo / "README.md").write_text("project\n")
    if commit:
        commit_all(repo, "start")
    return store.find_factory(repo)


def segment_files(repo: Path) -> list[Path]:
    return sorted((repo / ".factory" / "ledger").glob("*.jsonl"))


def only_segment(repo: Path) -> Path:
    (segment,) = segment_files(repo)
    return segment


def forge_line(fields: dict[str, Any]) -> bytes:
    """A line with a correct id for FIELDS, as someone without fos could write it."""
    body = json.dumps(fields, sort_keys=True, separators=(",", ":")).encode()
    return hashlib.sha256(DOMAIN + body).hexdigest().encode() + b" " + body + b"\n"


def entry_fields(**overrides: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "v": 1,
        "kind": "test.forged",
        "at": "2026-01-01T00:00:00Z",
        "actor": "mallory@example.com",
        "subject": "",
        "refs": [],
        "parents": [],
        "data": {},
    }
    fields.update(overrides)
    return fields


def verify(repo: Path, *args: str) -> Any:
    result = fos(repo, "verify", *args)
    assert result.code in (0, 1), result.output
    return result


def run_python(code: str, cwd: Path) -> subprocess.Popen[bytes]:
    """Start a Python process running CODE (with this checkout importable) in CWD."""
    root = Path(__file__).resolve().parent.parent
    return subprocess.Popen(
        [sys.executable, "-c", code],
        cwd=cwd,
        env=_env(root),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def _env(root: Path) -> dict[str, str]:
    import os

    env = dict(os.environ)
    env["PYTHONPATH"] = str(root) + os.pathsep + env.get("PYTHONPATH", "")
    return env


__all__ = ["git", "store"]
