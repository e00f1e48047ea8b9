from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.governance import act_as
from tests.helpers import commit_all, fos, git, snapshot, write_tree

SETTINGS = ".claude/settings.json"
USERS_OWN = {
    "permissions": {"allow": ["Bash(make test)"]},
    "hooks": {
        "PreToolUse": [
            {"matcher": "Bash", "hooks": [{"type": "command", "command": "./lint-bash.sh"}]},
            {
                "matcher": "Write|Edit",
                "hooks": [
                    {"type": "command", "command": './format.sh "$FILE"'},
                    {"type": "command", "command": 'cd "$CLAUDE_PROJECT_DIR" && fos guard'},
                ],
            },
        ],
        "SessionStart": [
            {"hooks": [{"type": "command", "command": "fos context --format claude"}]},
        ],
        "Notification": [{"hooks": [{"type": "command", "command": "notify-send hi"}]}],
    },
}


def install(repo: Path) -> dict[str, Any]:
    result = fos(repo, "agents", "install", "claude")
    assert result.code == 0, result.output
    data: dict[str, Any] = json.loads((repo / SETTINGS).read_text())
    return data


def commands(settings: dict[str, Any], event: str) -> list[str]:
    return [h["command"] for g in settings["hooks"].get(event, []) for h in g["hooks"]]


def test_install_writes_the_three_hooks_with_the_absolute_fos(factory_repo: Path) -> None:
    settings = install(factory_repo)
    fos_script = Path(sys.executable).parent / "fos"
    for event, tail in [
        ("SessionStart", "session start --hook claude"),
        ("PreToolUse", "guard"),
        ("SessionEnd", "session end --hook claude"),
    ]:
        [command] = commands(settings, event)
        assert command == f'{fos_script} -C "$CLAUDE_PROJECT_DIR" {tail}'
        assert Path(command.split()[0]).is_absolute()
    assert settings["hooks"]["PreToolUse"][0]["matcher"] == "Write|Edit|MultiEdit|NotebookEdit"
    assert "Stop" not in settings["hooks"]


def test_install_keeps_the_users_entries_and_is_idempotent(factory_repo: Path) -> None:
    (factory_repo / ".claude").mkdir()
    (factory_repo / SETTINGS).write_text(json.dumps(USERS_OWN, indent=4))
    settings = install(factory_repo)
    assert settings["permissions"] == USERS_OWN["permissions"]
    assert settings["hooks"]["Notification"] == USERS_OWN["hooks"]["Notification"]
    pre = settings["hooks"]["PreToolUse"]
    assert pre[0] == USERS_OWN["hooks"]["PreToolUse"][0]
    # the user's formatter stays; the old bare `fos guard` is replaced, not doubled
    assert pre[1] == {
        "matcher": "Write|Edit",
        "hooks": [{"type": "command", "command": './format.sh "$FILE"'}],
    }
    assert [c for c in commands(settings, "PreToolUse") if c.endswith(" guard")] == [
        pre[2]["hooks"][0]["command"]
    ]
    # the old snippet's SessionStart (context without a session) gives way to ours
    [start] = commands(settings, "SessionStart")
    assert start.endswith("session start --hook claude")
    first = (factory_repo / SETTINGS).read_bytes()
    again = fos(factory_repo, "agents", "install", "claude")
    assert again.code == 0 and "already up to date" in again.out
    assert (factory_repo / SETTINGS).read_bytes() == first


def test_a_settings_file_that_is_not_json_is_left_alone(factory_repo: Path) -> None:
    (factory_repo / ".claude").mkdir()
    (factory_repo / SETTINGS).write_text('{\n  "hooks": {,\n}\n')
    before = snapshot(factory_repo)
    result = fos(factory_repo, "agents", "install", "claude")
    assert result.code == 3
    assert result.err.startswith(".claude/settings.json:2: not valid JSON")
    assert snapshot(factory_repo) == before


def run_hook(repo: Path, event: str, payload: dict[str, Any], **env: str) -> Any:
    """Run the hook EVENT as Claude Code would: its command in a shell, the JSON on stdin."""
    settings = json.loads((repo / SETTINGS).read_text())
    [command] = commands(settings, event)
    environment = {**os.environ, "CLAUDE_PROJECT_DIR": str(repo), **env}
    return subprocess.run(
        ["sh", "-c", command],
        input=json.dumps({"hook_event_name": event, "cwd": str(repo), **payload}),
        capture_output=True,
        text=True,
        cwd="/",
        env=environment,
        check=False,
    )


def ledger(repo: Path, kind: str) -> list[dict[str, Any]]:
    log = json.loads(fos(repo, "ledger", "log", "--format", "json").out)
    return [e for e in log["entries"] if e["kind"] == kind]


@pytest.mark.slow
def test_the_installed_hooks_close_the_loop(team_repo: Path) -> None:
    install(team_repo)
    commit_all(team_repo, "Claude Code runs the factory's hooks")
    agent = {"FOS_ACTOR": "forge@example.com", "FOS_ROLE": "builder"}
    started = run_hook(
        team_repo, "SessionStart", {"session_id": "c-1", "source": "startup"}, **agent
    )
    assert started.returncode == 0, started.stderr
    context = json.loads(started.stdout)["hookSpecificOutput"]
    assert context["hookEventName"] == "SessionStart"
    [entry] = ledger(team_repo, "session.started")
    session = entry["subject"]
    assert f"factory session {session}" in context["additionalContext"]
    assert entry["actor"] == "forge@example.com" and entry["data"]["agent_session"] == "c-1"
    shown = fos(team_repo, "context", "--role", "builder", "--format", "json")
    assert entry["data"]["manifest_hash"] == json.loads(shown.out)["manifest"]["hash"]
    assert context["additionalContext"].endswith(json.loads(shown.out)["text"])
    # a resumed session keeps its factory session
    resumed = run_hook(
        team_repo, "SessionStart", {"session_id": "c-1", "source": "resume"}, **agent
    )
    assert resumed.returncode == 0 and len(ledger(team_repo, "session.started")) == 1

    write = {"tool_name": "Write", "tool_input": {"file_path": "deploy/prod.yaml", "content": "x"}}
    refused = run_hook(team_repo, "PreToolUse", {"session_id": "c-1", **write}, **agent)
    decision = json.loads(refused.stdout)["hookSpecificOutput"]
    assert decision["permissionDecision"] == "deny"
    assert "R-core-builder-cannot-deploy" in decision["permissionDecisionReason"]

    write_tree(team_repo, {"src/app.py": "print('hi')\n"})
    made = commit_all(team_repo, "the app")
    ended = run_hook(team_repo, "SessionEnd", {"session_id": "c-1", "reason": "exit"}, **agent)
    assert ended.returncode == 0, ended.stderr
    digest = (team_repo / ".factory" / "digests" / f"{session}.md").read_text()
    assert "No digest was written: Claude Code ended the session (exit)" in digest
    assert made in digest and entry["data"]["manifest_hash"] in digest
    # the next session of the same agent opens a new one; ending twice writes nothing
    again = run_hook(team_repo, "SessionEnd", {"session_id": "c-1", "reason": "exit"}, **agent)
    assert again.returncode == 0 and len(ledger(team_repo, "session.ended")) == 1


def test_an_agent_that_ended_its_session_gets_no_stub(team_repo: Path) -> None:
    payload = json.dumps({"session_id": "c-2", "source": "startup"})
    os.environ["FOS_ACTOR"] = "forge@example.com"
    try:
        started = fos_stdin(team_repo, payload, "session", "start", "--hook", "claude")
        assert started.code == 0, started.output
        [entry] = ledger(team_repo, "session.started")
        session = entry["subject"]
        done = fos(team_repo, "session", "end", "--session", session, "--done", "the app")
        assert done.code == 0, done.output
        ended = fos_stdin(
            team_repo, json.dumps({"session_id": "c-2"}), "session", "end", "--hook", "claude"
        )
        assert ended.code == 0 and ended.output == ""
        assert (
            "No digest was written"
            not in (team_repo / ".factory" / "digests" / f"{session}.md").read_text()
        )
    finally:
        del os.environ["FOS_ACTOR"]


def test_a_hook_without_a_session_id_is_a_usage_error(team_repo: Path) -> None:
    result = fos_stdin(team_repo, "{}", "session", "start", "--hook", "claude")
    assert result.code == 2 and "session_id" in result.err
    assert ledger(team_repo, "session.started") == []


def fos_stdin(repo: Path, text: str, *args: str) -> Any:
    import io

    saved = sys.stdin
    sys.stdin = io.StringIO(text)
    try:
        return fos(repo, *args)
    finally:
        sys.stdin = saved


def test_git_sees_the_settings_as_a_tracked_file(factory_repo: Path) -> None:
    install(factory_repo)
    git(factory_repo, "add", SETTINGS)
    assert git(factory_repo, "diff", "--cached", "--name-only") == SETTINGS


@pytest.mark.parametrize(
    "path", [SETTINGS, ".mcp.json", ".pre-commit-config.yaml", ".husky/pre-commit", "AGENTS.md"]
)
def test_the_core_pack_wants_approval_for_agent_settings_and_hooks(
    team_repo: Path,
    path: str,
) -> None:
    act_as(team_repo, "forge")
    write_tree(team_repo, {path: "{}\n", "src/app.py": "print('hi')\n"})
    commit_all(team_repo, "loosen my own hooks")
    result = fos(team_repo, "check", "--commit", "HEAD")
    assert result.code == 1, result.output
    assert "R-core-agent-config-needs-approval" in result.out
    assert path in result.out
    write_tree(team_repo, {"src/app.py": "print('hello')\n"})
    commit_all(team_repo, "only code")
    assert fos(team_repo, "check", "--commit", "HEAD").code == 0
