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


def test_snippet_is_what_agents_install_writes_with_fos_from_path(factory_repo: Path) -> None:
    assert fos(factory_repo, "agents", "install", "claude").code == 0
    installed = json.loads((factory_repo / ".claude" / "settings.json").read_text())
    snippet = json.loads(SNIPPET.read_text())
    fos_script = str(Path(sys.executable).parent / "fos")
    assert json.loads(json.dumps(installed).replace(fos_script, "fos")) == snippet


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
        ["sh", "-c", command], cwd=subdir, env=env, capture_output=True, text=True,
        input=json.dumps({"session_id": "c-1", "source": "startup"}), check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    answer = json.loads(proc.stdout)
    assert list(answer) == ["hookSpecificOutput"]
    assert answer["hookSpecificOutput"]["hookEventName"] == "SessionStart"
    expected = fos(factory_repo, "context").out
    assert answer["hookSpecificOutput"]["additionalContext"].endswith(expected)


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
        "FOS_ACTOR": "carla@example.com",
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
