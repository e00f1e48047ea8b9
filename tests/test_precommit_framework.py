"""factory-os as hooks of the pre-commit framework: a real `pre-commit run` of each stage
against a local clone of this repository (its .pre-commit-hooks.yaml, as users get it)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.checks_helpers import set_team
from tests.helpers import commit_all, fos, git, write_tree

SOURCE = Path(__file__).resolve().parents[1]


def _pre_commit(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pre_commit", "run", *args],
        cwd=repo,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ},
    )


@pytest.mark.slow
def test_pre_commit_framework_runs_each_stage(repo: Path, tmp_path: Path) -> None:
    clone = tmp_path / "factory-os"
    git(tmp_path, "clone", "-q", str(SOURCE), str(clone))
    rev = git(clone, "rev-parse", "HEAD")
    assert fos(repo, "init").code == 0
    set_team(repo, {"id": "ceo", "roles": ["ceo"], "emails": ["ceo@example.com"]})
    (repo / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {clone}\n    rev: {rev}\n    hooks:\n"
        "      - id: fos-check\n      - id: fos-check-message\n      - id: fos-check-push\n"
    )
    base = commit_all(repo, "found the factory")

    git(repo, "config", "user.email", "ceo@example.com")
    write_tree(repo, {"src/app.py": "x = 1\n"})
    git(repo, "add", "src/app.py")
    proc = _pre_commit(repo, "--hook-stage", "pre-commit", "fos-check")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "R-core-ceo-never-writes-code" in proc.stdout

    git(repo, "config", "user.email", "test@example.com")
    (repo / ".git" / "MSG").write_text("x\n\nFactory-Member: ceo\n")
    proc = _pre_commit(
        repo, "--hook-stage", "commit-msg", "--commit-msg-filename", ".git/MSG", "fos-check-message"
    )
    assert proc.returncode == 1 and "does not match the author email" in proc.stdout
    (repo / ".git" / "MSG").write_text("x\n")
    proc = _pre_commit(
        repo, "--hook-stage", "commit-msg", "--commit-msg-filename", ".git/MSG", "fos-check-message"
    )
    assert proc.returncode == 0, proc.stdout

    git(repo, "config", "user.email", "ceo@example.com")
    git(repo, "commit", "-q", "--no-verify", "-m", "ceo codes")
    head = git(repo, "rev-parse", "HEAD")
    proc = _pre_commit(
        repo, "--hook-stage", "pre-push", "--from-ref", base, "--to-ref", head, "fos-check-push"
    )
    assert proc.returncode == 1 and "R-core-ceo-never-writes-code" in proc.stdout
