"""Claude Code's hooks in `.claude/settings.json` (`fos agents install claude`).

Three hooks close the agent loop: SessionStart opens a session (its context is
what the agent is shown, and the ledger records the manifest), PreToolUse runs
`fos guard` before every write, SessionEnd closes the session with a digest stub
when the agent left none. Each runs fos by the absolute command of the
installation that wrote it, so a session does not depend on what PATH holds.

The settings file stays the user's: other keys and hooks are kept as they were,
and our own hook entries (known by what they run) are replaced, never doubled,
so installing again changes nothing. Claude Code's Stop event fires after every
answer, not once per session, so it is not used to end one.
"""

from __future__ import annotations

import json
import os
import shlex
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from factory_os import atomic
from factory_os.errors import InvalidInput, UsageError
from factory_os.git.repo import require_worktree
from factory_os.store import Factory

SETTINGS = Path(".claude") / "settings.json"
WRITES = "Write|Edit|MultiEdit|NotebookEdit"
TIMEOUT = 30
# event -> (matcher, the fos arguments it runs)
HOOKS: dict[str, tuple[str | None, tuple[str, ...]]] = {
    "SessionStart": (None, ("session", "start", "--hook", "claude")),
    "PreToolUse": (WRITES, ("guard",)),
    "SessionEnd": (None, ("session", "end", "--hook", "claude")),
}
# what our entries run, now and in the snippet hooks/claude-settings.json offered before
OURS = (
    *(args for _matcher, args in HOOKS.values()),
    ("context", "--format", "claude"),
)


@dataclass(frozen=True)
class Installed:
    path: Path
    changed: bool
    command: str  # how the hooks run fos


def fos_command() -> list[str]:
    """The absolute command of this installation of fos: its `fos` script beside the
    interpreter, else the interpreter running the package."""
    python = os.path.abspath(sys.executable)  # (not resolved: a venv's python is a link)
    script = Path(python).parent / "fos"
    return [str(script)] if script.is_file() else [python, "-m", "factory_os"]


def hook_command(fos: list[str], args: tuple[str, ...]) -> str:
    quoted = " ".join(shlex.quote(word) for word in fos)
    return f'{quoted} -C "$CLAUDE_PROJECT_DIR" {" ".join(args)}'


def is_ours(command: object) -> bool:
    """Whether a hook's command runs fos for one of our hooks, whichever fos it runs."""
    if not isinstance(command, str):
        return False
    try:
        words = shlex.split(command)
    except ValueError:
        return False
    runs_fos = any(Path(w).name == "fos" or w == "factory_os" for w in words)
    return runs_fos and any(tuple(words[-len(tail) :]) == tail for tail in OURS)


def merged(settings: dict[str, Any], fos: list[str]) -> dict[str, Any]:
    """SETTINGS with our hooks in place of any earlier ones, everything else kept."""
    result = dict(settings)
    hooks = dict(result.get("hooks") or {})
    for event, (matcher, args) in HOOKS.items():
        groups = []
        for group in hooks.get(event) or []:
            if not isinstance(group, dict) or not isinstance(group.get("hooks"), list):
                groups.append(group)
                continue
            kept = [
                h for h in group["hooks"] if not (isinstance(h, dict) and is_ours(h.get("command")))
            ]
            if kept:
                groups.append({**group, "hooks": kept})
        ours: dict[str, Any] = {"matcher": matcher} if matcher else {}
        command = {"type": "command", "command": hook_command(fos, args), "timeout": TIMEOUT}
        groups.append({**ours, "hooks": [command]})
        hooks[event] = groups
    result["hooks"] = hooks
    return result


def install(cwd: Path, fos: list[str] | None = None) -> Installed:
    """Write our hooks into the work tree's `.claude/settings.json`, merging with it."""
    root = require_worktree(cwd).top(cwd)
    path = root / SETTINGS
    rel = SETTINGS.as_posix()
    current = _read(path, rel)
    command = fos or fos_command()
    text = json.dumps(merged(current, command), indent=2, ensure_ascii=False) + "\n"
    old = path.read_text(encoding="utf-8") if path.is_file() else None
    if text != old:
        atomic.write_atomic(path, text)
    return Installed(path, text != old, " ".join(shlex.quote(w) for w in command))


def _read(path: Path, rel: str) -> dict[str, Any]:
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise InvalidInput.one(rel, 1, "not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise InvalidInput.one(rel, exc.lineno, f"not valid JSON: {exc.msg}") from None
    if not isinstance(data, dict):
        raise InvalidInput.one(rel, 1, "expected a JSON object")
    if not isinstance(data.get("hooks", {}), dict):
        raise InvalidInput.one(rel, 1, "hooks: expected an object of events")
    for event in HOOKS:
        if not isinstance(data.get("hooks", {}).get(event, []), list):
            raise InvalidInput.one(rel, 1, f"hooks.{event}: expected a list")
    return data


# -- the session hooks ----------------------------------------------------------


def agent_session(payload: Any) -> str:
    """The session id in a Claude Code hook's JSON."""
    if not isinstance(payload, dict):
        raise UsageError("expected a JSON object from the hook on standard input")
    session = payload.get("session_id")
    if not isinstance(session, str) or not session.strip():
        raise UsageError("the hook's JSON carries no session_id")
    return session.strip()


def start_from_hook(
    factory: Factory, payload: Any, *, actor: str, **selection: Any
) -> dict[str, Any]:
    """The SessionStart hook's answer: the context, under a session opened for the agent's
    session (a resumed or compacted one that is still open keeps its session)."""
    from factory_os.context.bundle import build_context
    from factory_os.context.sessions import open_session_of, start_session

    session = agent_session(payload)
    record = open_session_of(factory, session)
    if record is None:
        opened = start_session(factory, actor=actor, agent_session=session, **selection)
        session_id, text = opened.id, opened.bundle.text
    else:
        session_id, text = record.id, build_context(factory, **selection).text
    intro = (
        f"This is factory session {session_id}. Before you finish, leave its digest:"
        f" `fos session end --session {session_id} --done ... --not-done ... --next ...`"
        " (or the MCP tool session_end); otherwise it ends with a stub.\n\n"
    )
    return {
        "hookSpecificOutput": {"hookEventName": "SessionStart", "additionalContext": intro + text}
    }


def end_from_hook(factory: Factory, payload: Any, *, actor: str) -> str | None:
    """End the session the agent's session opened, with a digest stub; the digest's
    path, or None when no session of it is open (the agent ended it itself)."""
    from factory_os.context.sessions import digest_body, end_session, open_session_of

    record = open_session_of(factory, agent_session(payload))
    if record is None:
        return None
    reason = payload.get("reason") if isinstance(payload.get("reason"), str) else None
    how = f"Claude Code ended the session ({reason})" if reason else "Claude Code ended the session"
    note = f"No digest was written: {how} before the agent wrote one."
    stub = digest_body({"not_done": [f"{note} Its commits are listed above."]})
    path, _entry = end_session(factory, session_id=record.id, actor=actor, body=stub)
    return path
