"""Helpers for the rule-engine tests: members, rules and commits by someone else."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

from tests.helpers import git

OWNER = {"id": "test", "roles": ["owner"], "emails": ["test@example.com"]}


def set_team(repo: Path, *members: dict[str, Any]) -> None:
    """Write team.yaml with the fixture's owner plus MEMBERS ({id, roles, emails})."""
    lines = ["members:"]
    for member in (OWNER, *members):
        lines += [
            f"  - id: {member['id']}",
            f"    name: {member['id']}",
            "    kind: agent" if member["id"] != "test" else "    kind: human",
            f"    roles: {json.dumps(member['roles'])}",
            f"    emails: {json.dumps(member['emails'])}",
        ]
    (repo / ".factory" / "team.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")


def add_rule(repo: Path, rule_id: str, check: dict[str, Any], **fields: Any) -> Path:
    """Write .factory/rules/RULE_ID.yaml (JSON is YAML) and return its path."""
    doc = {
        "id": rule_id,
        "title": fields.pop("title", f"rule {rule_id}"),
        "statement": fields.pop("statement", f"Obey {rule_id}."),
        "origin": "INC-abc123",
        "created_at": "2026-01-01T00:00:00Z",
        "created_by": "test",
        "check": check,
        **fields,
    }
    path = repo / ".factory" / "rules" / f"{rule_id}.yaml"
    path.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    return path


def commit_as(repo: Path, email: str, message: str = "change", *args: str) -> str:
    """`git add -A` and a commit authored by EMAIL, hooks skipped; returns the sha."""
    git(repo, "add", "-A")
    env = {**os.environ, "GIT_AUTHOR_EMAIL": email, "GIT_AUTHOR_NAME": email.split("@")[0]}
    proc = subprocess.run(
        ["git", "commit", "-q", "--no-verify", "-m", message, *args],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    return git(repo, "rev-parse", "HEAD")


def findings(result_out: str) -> list[dict[str, Any]]:
    """The findings of `fos check --format json` output."""
    data: dict[str, Any] = json.loads(result_out)
    found: list[dict[str, Any]] = data["findings"]
    return found


def rule_ids(result_out: str) -> list[str]:
    return [f["rule_id"] for f in findings(result_out)]
