"""Installing the git hooks, keeping whatever hooks were there working.

The shim template lives in the top-level `hooks/` folder. Each shim carries an
id marker, so a file is known as ours; a foreign hook already in place is moved
aside to `<hook>.legacy` and the shim runs it first. Hooks go where git looks
for them: `core.hooksPath` when set, else the common git directory (shared by
linked worktrees). Uninstalling removes our shims and puts the legacy hooks back.
"""

from __future__ import annotations

import os
import shlex
import sys
from dataclasses import dataclass
from pathlib import Path

from factory_os.errors import UsageError
from factory_os.git import plumbing as git
from factory_os.git.repo import require_worktree
from factory_os.memory.packs import data_dir
from factory_os.model.vocabulary import CLIENT_HOOK_TYPES

HOOK_TYPES = CLIENT_HOOK_TYPES  # the hooks installed (hookimpl also runs pre-receive)
MARKER = "# ID: factory-os-hook-7c1d2b9e"
TEMPLATE = "shim.sh"


@dataclass(frozen=True)
class HookState:
    hook_type: str
    path: Path
    state: str  # installed | foreign | absent
    legacy: bool
    python: str | None  # the interpreter an installed shim records

    @property
    def python_ok(self) -> bool:
        return self.python is not None and Path(self.python).exists()


def is_ours(path: Path) -> bool:
    try:
        return MARKER in path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False


def shim_text(hook_type: str, python: str) -> str:
    template = (data_dir("hooks") / TEMPLATE).read_text(encoding="utf-8")
    return template.replace("@INSTALL_PYTHON@", shlex.quote(python)).replace(
        "@HOOK_TYPE@", shlex.quote(hook_type)
    )


def install(cwd: Path, hook_types: list[str], python: str | None = None) -> list[HookState]:
    directory = git.hooks_dir(require_worktree(cwd).top(cwd))
    directory.mkdir(parents=True, exist_ok=True)
    interpreter = python or sys.executable
    for hook_type in hook_types or HOOK_TYPES:
        path = directory / hook_type
        legacy = directory / f"{hook_type}.legacy"
        if (path.exists() or path.is_symlink()) and not is_ours(path):
            if legacy.exists():
                raise UsageError(f"both {path} and {legacy} exist; move one of them away first")
            os.replace(path, legacy)
        text = shim_text(hook_type, interpreter)
        tmp = directory / f".{hook_type}.fos-tmp"
        tmp.write_text(text, encoding="utf-8")
        os.chmod(tmp, 0o755)
        os.replace(tmp, path)
    return status(cwd)


def uninstall(cwd: Path) -> list[HookState]:
    directory = git.hooks_dir(require_worktree(cwd).top(cwd))
    for hook_type in HOOK_TYPES:
        path = directory / hook_type
        legacy = directory / f"{hook_type}.legacy"
        if not is_ours(path):
            continue
        path.unlink()
        if legacy.exists():
            os.replace(legacy, path)
    return status(cwd)


def status(cwd: Path) -> list[HookState]:
    directory = git.hooks_dir(require_worktree(cwd).top(cwd))
    states = []
    for hook_type in HOOK_TYPES:
        path = directory / hook_type
        legacy = (directory / f"{hook_type}.legacy").exists()
        if is_ours(path):
            states.append(HookState(hook_type, path, "installed", legacy, _python_of(path)))
        elif path.exists():
            states.append(HookState(hook_type, path, "foreign", legacy, None))
        else:
            states.append(HookState(hook_type, path, "absent", legacy, None))
    return states


def _python_of(path: Path) -> str | None:
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        if line.startswith("INSTALL_PYTHON="):
            words = shlex.split(line.partition("=")[2])
            return words[0] if words else None
    return None
