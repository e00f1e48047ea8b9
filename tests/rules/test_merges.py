"""What a merge answers for: its own resolutions, and whatever an old parent brings."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.checks_helpers import add_rule, commit_as, findings, set_team
from tests.helpers import commit_all, fos, git, write_tree

BOB = {"id": "bob", "roles": ["builder"], "emails": ["bob@example.com"]}
CEO = {"id": "ceo", "roles": ["owner", "ceo"], "emails": ["ceo@example.com"]}
LINES = "".join(f"line {n}\n" for n in range(1, 11))


@pytest.fixture
def team(factory_repo: Path) -> Path:
    set_team(factory_repo, BOB, CEO)
    write_tree(factory_repo, {"src/m.py": LINES})
    commit_all(factory_repo, "team and code")
    assert fos(factory_repo, "hooks", "install").code == 0
    return factory_repo


def _edit_line(repo: Path, number: int, text: str) -> None:
    path = repo / "src" / "m.py"
    lines = path.read_text().splitlines(keepends=True)
    lines[number - 1] = text + "\n"
    path.write_text("".join(lines))


def _merge_as_ceo(repo: Path, branch: str) -> subprocess.CompletedProcess[str]:
    git(repo, "config", "user.email", "ceo@example.com")
    return subprocess.run(
        ["git", "merge", "--no-ff", "--no-edit", branch],
        cwd=repo,
        capture_output=True,
        text=True,
        check=False,
    )


def _range(repo: Path, base: str) -> tuple[int, list[dict[str, object]]]:
    result = fos(repo, "check", "--range", f"{base}..HEAD", "--format", "json")
    return result.code, findings(result.out)


def test_a_clean_merge_answers_for_nothing(team: Path) -> None:
    base = git(team, "rev-parse", "HEAD")
    git(team, "checkout", "-q", "-b", "f1")
    _edit_line(team, 1, "one")
    commit_as(team, "bob@example.com", "line 1")
    git(team, "checkout", "-q", "main")
    _edit_line(team, 8, "eight")
    commit_as(team, "bob@example.com", "line 8")
    merged = _merge_as_ceo(team, "f1")
    assert merged.returncode == 0, merged.stdout + merged.stderr
    assert len(git(team, "log", "-1", "--format=%P").split()) == 2
    assert _range(team, base) == (0, [])


def test_a_conflict_the_merger_resolves_is_theirs(team: Path) -> None:
    base = git(team, "rev-parse", "HEAD")
    git(team, "checkout", "-q", "-b", "f1")
    _edit_line(team, 3, "three")
    commit_as(team, "bob@example.com", "line 3")
    git(team, "checkout", "-q", "main")
    _edit_line(team, 3, "THREE")
    commit_as(team, "bob@example.com", "line 3 again")
    assert _merge_as_ceo(team, "f1").returncode != 0  # the conflict
    _edit_line(team, 3, "3, resolved by the ceo")
    git(team, "add", "src/m.py")
    proc = subprocess.run(
        ["git", "commit", "--no-edit"], cwd=team, capture_output=True, text=True, check=False
    )
    assert proc.returncode != 0 and "R-core-ceo-never-writes-code" in proc.stdout + proc.stderr
    commit_as(team, "ceo@example.com", "resolved")
    code, found = _range(team, base)
    head = git(team, "rev-parse", "HEAD")
    assert code == 1
    assert [(f["rule_id"], f["commit"]) for f in found] == [("R-core-ceo-never-writes-code", head)]


def test_a_merge_with_an_old_parent_answers_for_what_it_brings_back(team: Path) -> None:
    write_tree(team, {".factory/incidents/INC-abc123.md": "---\nid: INC-abc123\n---\nx\n"})
    old = commit_all(team, "incident")
    write_tree(team, {"notes.txt": "later\n"})
    base = commit_all(team, "later work")
    # a merge of the base with a commit from before the incident, whose tree drops it
    tree = git(team, "rev-parse", "HEAD^{tree}")
    git(team, "rm", "-q", "--cached", ".factory/incidents/INC-abc123.md")
    tree = git(team, "write-tree")
    merge = git(team, "commit-tree", tree, "-p", base, "-p", f"{old}~1", "-m", "merge")
    git(team, "reset", "-q", "--hard", merge)
    code, found = _range(team, base)
    assert code == 1
    assert ("R-core-governance-append-only", merge) in [(f["rule_id"], f["commit"]) for f in found]
    assert fos(team, "verify", "--range", f"{base}..HEAD").code == 1


def test_every_difference_from_the_base_is_answered_for(team: Path) -> None:
    """A commit on an old parent that touches nothing brings the old tree in with it."""
    write_tree(team, {".factory/incidents/INC-abc124.md": "---\nid: INC-abc124\n---\nx\n"})
    old = commit_all(team, "incident")
    base = git(team, "rev-parse", "HEAD")
    git(team, "checkout", "-q", "-b", "side", f"{old}~1")
    write_tree(team, {"notes.txt": "harmless\n"})
    side = commit_as(team, "bob@example.com", "harmless")
    git(team, "checkout", "-q", "main")
    git(team, "rm", "-q", "--cached", ".factory/incidents/INC-abc124.md")
    git(team, "read-tree", side)
    tree = git(team, "write-tree")
    merge = git(team, "commit-tree", tree, "-p", base, "-p", side, "-m", "merge")
    git(team, "reset", "-q", "--hard", merge)
    code, found = _range(team, base)
    assert code == 1
    assert ("R-core-governance-append-only", merge) in [(f["rule_id"], f["commit"]) for f in found]


def test_content_an_old_parent_brings_back_is_searched(team: Path) -> None:
    write_tree(team, {"k.txt": "ok\nSECRET\n"})
    old = commit_all(team, "a secret")
    write_tree(team, {"k.txt": "ok\n"})
    rule = {"kind": "forbidden-pattern", "pattern": "SECRET"}
    add_rule(team, "R-ccc001", rule, scope={"paths": ["*.txt"]})
    base = commit_all(team, "secret removed, and a rule against it")
    git(team, "read-tree", old)
    git(team, "checkout", "-q", base, "--", ".factory")
    tree = git(team, "write-tree")
    merge = git(team, "commit-tree", tree, "-p", base, "-p", old, "-m", "merge")
    git(team, "reset", "-q", "--hard", merge)
    code, found = _range(team, base)
    assert code == 1
    assert ("R-ccc001", "k.txt", 2, merge) in [
        (f["rule_id"], f["path"], f["line"], f["commit"]) for f in found
    ]
