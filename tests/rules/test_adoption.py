"""Adopting factory-os on a repository with a history: the commits before the one
that created .factory/ are never checked, in a range, pre-push or pre-receive."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.checks_helpers import commit_as, findings, set_team
from tests.helpers import fos, git, write_tree

BUILDER = {"id": "bob", "roles": ["builder"], "emails": ["bob@example.com"]}
CEO = {"id": "ceo", "roles": ["ceo"], "emails": ["ceo@example.com"]}


@pytest.fixture
def adopted(repo: Path) -> Path:
    """Two commits by people the team will never list (one writes code under deploy/,
    which the builder's rule forbids), then the factory is founded, then one commit."""
    write_tree(repo, {"README.md": "old project\n"})
    commit_as(repo, "ghost@elsewhere.org", "the first commit")
    write_tree(repo, {"deploy/prod.sh": "deploy\n", "src/app.py": "x = 1\n"})
    commit_as(repo, "ghost@elsewhere.org", "old code")
    assert fos(repo, "init").code == 0
    set_team(repo, BUILDER, CEO)
    commit_as(repo, "test@example.com", "adopt factory-os")
    write_tree(repo, {"src/app.py": "x = 2\n"})
    commit_as(repo, "bob@example.com", "new code")
    return repo


def test_a_range_reaching_before_adoption_checks_only_what_follows(adopted: Path) -> None:
    root = git(adopted, "rev-list", "--max-parents=0", "HEAD")
    result = fos(adopted, "check", "--range", f"{root}..HEAD", "--format", "json")
    assert result.code == 0, result.output
    assert findings(result.out) == []
    # the same range over a builder's later commit still finds what it breaks
    write_tree(adopted, {"deploy/prod.sh": "deploy again\n"})
    sha = commit_as(adopted, "bob@example.com", "deploy")
    result = fos(adopted, "check", "--range", f"{root}..HEAD", "--format", "json")
    assert [(f["rule_id"], f["commit"]) for f in findings(result.out)] == [
        ("R-core-builder-cannot-deploy", sha)
    ]


def test_pushing_the_whole_history_to_a_guarded_server(adopted: Path, tmp_path: Path) -> None:
    bare = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", str(bare))
    git(adopted, "remote", "add", "origin", str(bare))
    hook = bare / "hooks" / "pre-receive"
    shutil.copy(Path(__file__).parents[2] / "hooks" / "pre-receive", hook)
    hook.chmod(0o755)
    proc = subprocess.run(
        ["git", "push", "--no-verify", "origin", "main"],
        cwd=adopted,
        capture_output=True,
        text=True,
        env={**os.environ, "FOS": f"{sys.executable} -m factory_os"},
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert git(bare, "rev-parse", "main") == git(adopted, "rev-parse", "HEAD")
