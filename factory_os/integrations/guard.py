"""Guard: would this write break a path rule? For editors and agent hooks (`fos guard`).

It applies the same path-guard (and append-only) rules as the commit hook, to a
write that has not happened yet. With `--path` it answers by exit code (0
allowed, 1 refused, with one line saying why). Without `--path` it reads a
Claude Code PreToolUse hook's JSON from standard input and answers in that
hook's format: a refusal is `hookSpecificOutput.permissionDecision: "deny"` with
the reason; an allowed write prints nothing, so Claude Code's own permission
rules still decide (an "allow" would skip the user's prompt).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from factory_os.errors import UsageError
from factory_os.integrations.checks import seam
from factory_os.rules import Finding, check_paths

PATH_KEYS = ("file_path", "notebook_path", "path")


def reason(findings: list[Finding]) -> str:
    first = findings[0]
    more = f" (and {len(findings) - 1} more)" if len(findings) > 1 else ""
    return f"refused by {first.rule_id}: {first.message}{more}"


def paths_from_hook(payload: Any) -> tuple[list[str], Path | None]:
    """The paths a PreToolUse hook's tool call would write, and the session's cwd."""
    if not isinstance(payload, dict):
        raise UsageError("expected a JSON object from the hook on standard input")
    tool_input = payload.get("tool_input") or {}
    if not isinstance(tool_input, dict):
        raise UsageError("tool_input in the hook's JSON is not an object")
    paths = [str(tool_input[k]) for k in PATH_KEYS if isinstance(tool_input.get(k), str)]
    cwd = payload.get("cwd")
    return paths, Path(cwd) if isinstance(cwd, str) and cwd else None


def guard(cwd: Path, *, paths: list[str], member: str | None, role: str | None) -> list[Finding]:
    absolute = [p if Path(p).is_absolute() else str(cwd / p) for p in paths]
    findings = check_paths(cwd, member=member, role=role, paths=absolute, seam=seam())
    return [f for f in findings if f.blocking]


def answer_hook(
    payload: Any, cwd: Path, *, member: str | None, role: str | None
) -> dict[str, Any] | None:
    """A PreToolUse hook's answer to PAYLOAD (its JSON): a "deny" decision with the
    reason, or None when the write is allowed (or the tool call writes no file). The
    hook's own cwd, when it names a directory, stands for CWD."""
    hook_paths, hook_cwd = paths_from_hook(payload)
    if not hook_paths:
        return None  # a tool call that writes no file
    where = hook_cwd if hook_cwd is not None and hook_cwd.is_dir() else cwd
    findings = guard(where, paths=hook_paths, member=member, role=role)
    if not findings:
        return None
    return {
        "hookSpecificOutput": {
            "hookEventName": "PreToolUse",
            "permissionDecision": "deny",
            "permissionDecisionReason": reason(findings),
        }
    }
