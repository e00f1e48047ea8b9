"""The Claude Code settings snippet in hooks/: its commands run and answer as Claude expects."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.helpers import fos

SNIPPET = Path(__file__).resolve().parent.parent / "hooks" / "claude-settings.json"


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
