"""Guard: would this write break a rule? For editors and agent hooks (`fos guard`).

It applies the same path-guard (and append-only) rules as the commit hook, to a
write that has not happened yet; when the text of the write is known (a Claude
Code Write, Edit or MultiEdit), the forbidden-pattern rules too, over the lines
it adds (an Edit's new text is its old_string replaced by new_string in the file
as it is now). With `--path` it answers by exit code (0 allowed, 1 refused,
with one line saying why). Without `--path` it reads a Claude Code PreToolUse
hook's JSON from standard input and answers in that hook's format: a refusal is
`hookSpecificOutput.permissionDecision: "deny"` with the reason; a write that
an approval-required rule covers (the agents' settings, the hooks, the team) is
"ask", so the person at the keyboard decides; an allowed write prints nothing,
so Claude Code's own permission rules still decide (an "allow" would skip the
user's prompt).

The factory that judges a write is the one around the path written, never the
session's directory (nor, with `--path`, the current one): an agent working in
one repository that writes into another is judged by the other's rules. The
hook fails closed: whatever goes wrong (bad JSON, a broken factory, git
failing) is a "deny" with the reason and exit code 2, which Claude Code also
takes as a refusal; a path that no factory governs (outside every git work
tree, or in one without `.factory/`) is allowed.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from factory_os.errors import FosError, InvalidInput, UsageError
from factory_os.git.repo import find_repository
from factory_os.integrations.checks import seam
from factory_os.rules import Finding
from factory_os.rules.inforce import INVALID
from factory_os.rules.paths import Verdict, check_write
from factory_os.rules.run import open_repo

PATH_KEYS = ("file_path", "notebook_path", "path")
AGENTS_MD = "AGENTS.md"


def reason(findings: list[Finding], verb: str = "refused") -> str:
    first = findings[0]
    more = f" (and {len(findings) - 1} more)" if len(findings) > 1 else ""
    if first.rule_id == INVALID:  # the factory cannot be read, so no write can be judged
        where = f"{first.path}:{first.line}" if first.line else str(first.path)
        return f"{verb}: {where}: {first.message}; no write is judged until it is fixed{more}"
    return f"{verb} by {first.rule_id}: {first.message}{more}"


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


def texts_from_hook(payload: dict[str, Any], where: Path) -> dict[str, tuple[str, str]]:
    """path -> (its text now, the text the tool call would leave), for the calls whose
    text is known: Write (content), Edit (old_string -> new_string), MultiEdit (edits)."""
    tool_input = payload.get("tool_input") or {}
    path = tool_input.get("file_path")
    if not isinstance(path, str):
        return {}
    target = Path(path) if Path(path).is_absolute() else where / path
    tool = payload.get("tool_name")
    if tool == "Write" and isinstance(tool_input.get("content"), str):
        return {str(target): (_current(target), tool_input["content"])}
    edits = tool_input.get("edits") if tool == "MultiEdit" else [tool_input]
    if tool not in ("Edit", "MultiEdit") or not isinstance(edits, list):
        return {}
    old = new = _current(target)
    for edit in edits:
        if not isinstance(edit, dict):
            raise UsageError(f"{tool}: each edit must be an object")
        before, after = edit.get("old_string"), edit.get("new_string")
        if not isinstance(before, str) or not isinstance(after, str):
            raise UsageError(f"{tool}: old_string and new_string must be strings")
        count = -1 if edit.get("replace_all") is True else 1
        new = new.replace(before, after, count) if before else after + new
    return {str(target): (old, new)}


def _current(path: Path) -> str:
    """The file's text now ("" when there is none), read as the write would see it."""
    try:
        return path.read_bytes().decode("utf-8", "surrogateescape")
    except FileNotFoundError:
        return ""
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror}") from None


def guard(
    cwd: Path,
    *,
    paths: list[str],
    member: str | None,
    role: str | None,
    texts: Mapping[str, tuple[str, str]] | None = None,
) -> Verdict:
    """The blocking findings of writing PATHS (with TEXTS, their content) and the
    approvals the write needs."""
    absolute = [p if Path(p).is_absolute() else str(cwd / p) for p in paths]
    verdict = check_write(cwd, member=member, role=role, paths=absolute, texts=texts, seam=seam())
    approvals = [a for a in verdict.approvals if not _block_kept(a, cwd, texts or {})]
    return Verdict([f for f in verdict.findings if f.blocking], approvals)


def _block_kept(approval: Finding, cwd: Path, texts: Mapping[str, tuple[str, str]]) -> bool:
    """Whether APPROVAL concerns an AGENTS.md write that leaves the managed block as it
    is: the rest of that file is the user's."""
    from factory_os.context.agents_md import managed_part

    if approval.path != AGENTS_MD:
        return False
    known = [text for path, text in texts.items() if Path(path).name == AGENTS_MD]
    return bool(known) and all(managed_part(old) == managed_part(new) for old, new in known)


def answer_hook(
    payload: Any, cwd: Path, *, member: str | None, role: str | None
) -> dict[str, Any] | None:
    """A PreToolUse hook's answer to PAYLOAD (its JSON): a "deny" decision with the
    reason, "ask" when the write needs an approval, or None when the write is allowed
    (or the tool call writes no file). Each path is judged by the factory around it;
    a relative one is taken from the hook's cwd (when it names a directory) or CWD."""
    hook_paths, hook_cwd = paths_from_hook(payload)
    if not hook_paths:
        return None  # a tool call that writes no file
    where = hook_cwd if hook_cwd is not None and hook_cwd.is_dir() else cwd
    targets = [p if Path(p).is_absolute() else str(where / p) for p in hook_paths]
    verdict = judge(targets, member=member, role=role, texts=texts_from_hook(payload, where))
    if verdict.findings:
        return decision("deny", reason(verdict.findings))
    if verdict.approvals:
        return decision("ask", reason(verdict.approvals, "held for approval"))
    return None


def guard_paths(cwd: Path, paths: list[str], *, member: str | None, role: str | None) -> Verdict:
    """`fos guard --path`: a write of PATHS (relative ones taken from CWD), each judged
    by the factory around it, as the hook judges it (none: the path is not governed)."""
    return judge([str(cwd / p) for p in paths], member=member, role=role)


def judge(
    targets: list[str],
    *,
    member: str | None,
    role: str | None,
    texts: Mapping[str, tuple[str, str]] | None = None,
) -> Verdict:
    """`guard` over absolute TARGETS, each judged by the factory around it (none: the
    path is not governed)."""
    groups: dict[Path, list[str]] = {}
    for target in targets:
        start = governing_dir(Path(target))
        if find_repository(start) is None:
            continue  # outside every git repository
        repo = open_repo(start)
        if repo is None or repo.bare:
            continue  # a repository without a factory
        groups.setdefault(repo.root, []).append(target)
    findings: list[Finding] = []
    approvals: list[Finding] = []
    for root, paths in groups.items():
        known = {path: text for path, text in (texts or {}).items() if path in paths}
        verdict = guard(root, paths=paths, member=member, role=role, texts=known)
        findings += verdict.findings
        approvals += verdict.approvals
    return Verdict(findings, approvals)


def governing_dir(target: Path) -> Path:
    """The directory to find TARGET's factory from: the nearest existing one above it,
    and never inside a `.git` directory, from where git sees no work tree (a write to
    `.git/hooks/` is judged by the work tree's factory)."""
    parts = target.parts
    if ".git" in parts:
        target = Path(*parts[: parts.index(".git") + 1])
    here = target.parent
    while not here.is_dir() and here.parent != here:
        here = here.parent
    return here


def decision(verdict: str, why: str) -> dict[str, Any]:
    return {
        "hookSpecificOutput": {
            "hookEventName": "PreToolUse",
            "permissionDecision": verdict,
            "permissionDecisionReason": why,
        }
    }


def failure(exc: Exception) -> str:
    """Why the hook could not judge a write, as the reason of its "deny"."""
    if isinstance(exc, InvalidInput):
        return "cannot judge this write: " + "; ".join(str(p) for p in exc.problems)
    if isinstance(exc, FosError):
        return f"cannot judge this write: {exc}"
    lines = str(exc).strip().splitlines()
    detail = f": {lines[0]}" if lines else ""
    return f"cannot judge this write: unexpected error {type(exc).__name__}{detail}"
