"""The Claude Code settings snippet in hooks/: its commands run and answer as Claude expects."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.helpers import commit_all, fos

SNIPPET = Path(__file__).resolve().parents[2] / "hooks" / "claude-settings.json"


def hook_commands(event: str) -> list[tuple[str | None, str]]:
    settings: dict[str, Any] = json.loads(SNIPPET.read_text())
    return [
        (group.get("matcher"), hook["command"])
        for group in settings["hooks"][event]
        for hook in group["hooks"]
        if hook["type"] == "command"
    ]


def test_snippet_wires_session_start_and_file_writes() -> None:
    assert [c for _m, c in hook_commands("SessionStart")] == [
        'cd "$CLAUDE_PROJECT_DIR" && fos context --format claude'
    ]
    assert hook_commands("PreToolUse") == [
        ("Write|Edit|MultiEdit|NotebookEdit", 'cd "$CLAUDE_PROJECT_DIR" && fos guard')
    ]


def test_session_start_command_prints_the_hook_answer(factory_repo: Path) -> None:
    ((_matcher, command),) = hook_commands("SessionStart")
    subdir = factory_repo / "src"
    subdir.mkdir()
    env = {
        **os.environ,
        "CLAUDE_PROJECT_DIR": str(factory_repo),
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
    }
    proc = subprocess.run(
        ["sh", "-c", command], cwd=subdir, env=env, capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stderr
    answer = json.loads(proc.stdout)
    expected = fos(factory_repo, "context").out
    assert answer == {
        "hookSpecificOutput": {"hookEventName": "SessionStart", "additionalContext": expected}
    }


def test_pre_tool_use_command_refuses_a_write_the_role_may_not_make(factory_repo: Path) -> None:
    ((_matcher, command),) = hook_commands("PreToolUse")
    team = factory_repo / ".factory" / "team.yaml"
    team.write_text(
        team.read_text() + "  - id: carla\n    name: Carla\n    kind: human\n"
        "    roles: [ceo]\n    emails: [carla@example.com]\n"
    )
    commit_all(factory_repo, "carla joins as ceo")
    env = {
        **os.environ,
        "CLAUDE_PROJECT_DIR": str(factory_repo),
        "GIT_AUTHOR_EMAIL": "carla@example.com",
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
    }

    def run(path: str) -> subprocess.CompletedProcess[str]:
        payload = {
            "hook_event_name": "PreToolUse",
            "cwd": str(factory_repo),
            "tool_name": "Write",
            "tool_input": {"file_path": str(factory_repo / path), "content": "x"},
        }
        return subprocess.run(
            ["sh", "-c", command], env=env, input=json.dumps(payload),
            capture_output=True, text=True, check=False,
        )  # fmt: skip

    refused = run("src/app.py")
    decision = json.loads(refused.stdout)["hookSpecificOutput"]
    assert decision["permissionDecision"] == "deny"
    assert "R-core-ceo-never-writes-code" in decision["permissionDecisionReason"]
    allowed = run("docs/plan.md")
    assert allowed.returncode == 0 and allowed.stdout == ""
