"""roles.yaml's `cannot` paths bind every member holding the role, with no rule file:
in a range, the commit hook, pre-receive and `fos guard`."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.checks_helpers import commit_as, findings, set_team
from tests.helpers import as_author, commit_all, fos, git, guarded_remote, push, write_tree

DESIGNER = {"id": "dana", "roles": ["designer"], "emails": ["dana@example.com"]}
BUILDER = {"id": "bob", "roles": ["builder"], "emails": ["bob@example.com"]}
ROLE = """\
  designer:
    description: Designs the interface.
    cannot:
      paths:
        - src/**
        - "!src/ui/**"
"""


@pytest.fixture
def designed(repo: Path) -> Path:
    """A factory founded with a designer in roles.yaml who cannot touch src/ but src/ui/,
    and no rule file that says so."""
    assert fos(repo, "init").code == 0
    roles = repo / ".factory" / "roles.yaml"
    roles.write_text(roles.read_text() + ROLE)
    set_team(repo, DESIGNER, BUILDER)
    commit_all(repo, "founded, with a designer")
    return repo


def _line_of(repo: Path, text: str) -> int:
    lines = (repo / ".factory" / "roles.yaml").read_text().splitlines()
    return lines.index(text) + 1


def test_a_cannot_path_is_a_finding_naming_the_role_and_its_line(designed: Path) -> None:
    base = git(designed, "rev-parse", "HEAD")
    write_tree(designed, {"src/ui/button.css": "b\n"})
    commit_as(designed, "dana@example.com", "style")
    assert fos(designed, "check", "--range", f"{base}..HEAD").code == 0
    write_tree(designed, {"src/app.py": "x = 1\n"})
    sha = commit_as(designed, "dana@example.com", "code")
    result = fos(designed, "check", "--range", f"{base}..HEAD", "--format", "json")
    assert result.code == 1, result.output
    [finding] = findings(result.out)
    assert finding["rule_id"] == "fos:role-cannot"
    assert finding["path"] == "src/app.py" and finding["commit"] == sha
    assert finding["member"] == "dana"
    line = _line_of(designed, "        - src/**")
    assert (
        "dana (designer) may not add src/app.py: role designer cannot touch it"
        f" (.factory/roles.yaml:{line}: cannot.paths `src/**`)"
    ) in finding["message"]


def test_a_rule_already_guarding_the_path_is_reported_alone(designed: Path) -> None:
    """The core pack's builder rule and roles.yaml's builder `cannot` say the same."""
    base = git(designed, "rev-parse", "HEAD")
    write_tree(designed, {"deploy/prod.sh": "x\n"})
    commit_as(designed, "bob@example.com", "deploy")
    result = fos(designed, "check", "--range", f"{base}..HEAD", "--format", "json")
    assert [f["rule_id"] for f in findings(result.out)] == ["R-core-builder-cannot-deploy"]
    # with the rule retired, roles.yaml still forbids it
    retired = fos(designed, "rule", "retire", "R-core-builder-cannot-deploy", "--reason", "x")
    assert retired.code == 0, retired.output
    base = commit_all(designed, "retire")
    write_tree(designed, {"deploy/prod.sh": "y\n"})
    commit_as(designed, "bob@example.com", "deploy again")
    result = fos(designed, "check", "--range", f"{base}..HEAD", "--format", "json")
    [finding] = findings(result.out)
    assert finding["rule_id"] == "fos:role-cannot"
    assert "role builder cannot touch it (.factory/roles.yaml:" in finding["message"]


def test_the_commit_hook_and_guard_refuse_a_cannot_path(designed: Path) -> None:
    assert fos(designed, "hooks", "install").code == 0
    git(designed, "config", "user.email", "dana@example.com")
    write_tree(designed, {"src/app.py": "x = 1\n"})
    git(designed, "add", "-A")
    proc = subprocess.run(
        ["git", "commit", "-m", "code"], cwd=designed, capture_output=True, text=True, check=False
    )
    assert proc.returncode != 0
    output = proc.stdout + proc.stderr
    assert "fos:role-cannot" in output and "role designer cannot touch it" in output
    guard = as_author("dana@example.com", designed, "guard", "--path", "src/app.py")
    assert guard.code == 1 and "refused by fos:role-cannot" in guard.err
    assert as_author("dana@example.com", designed, "guard", "--path", "src/ui/a.css").code == 0


def test_pre_receive_refuses_a_cannot_path(designed: Path, tmp_path: Path) -> None:
    guarded_remote(designed, tmp_path / "remote.git")
    first = push(designed, "--no-verify", "main")
    assert first.returncode == 0, first.stderr
    write_tree(designed, {"src/app.py": "x = 1\n"})
    commit_as(designed, "dana@example.com", "code")
    proc = push(designed, "--no-verify", "main")
    assert proc.returncode != 0 and "fos:role-cannot" in proc.stderr


def test_a_file_name_that_is_not_utf8_is_judged_not_a_crash(designed: Path) -> None:
    base = git(designed, "rev-parse", "HEAD")
    (designed / "src").mkdir()
    (designed / os.fsdecode(b"src/caf\xe9.py")).write_text("x = 1\n")
    commit_as(designed, "dana@example.com", "a Latin-1 name")
    result = fos(designed, "check", "--range", f"{base}..HEAD", "--format", "json")
    assert result.code == 1, result.output
    [finding] = findings(result.out)
    assert finding["rule_id"] == "fos:role-cannot"
    assert f"roles.yaml:{_line_of(designed, '        - src/**')}" in finding["message"]


SOFT_RULE = """id: R-abc123
title: soft
statement: Designers should mind src.
rationale: x
origin: pack:local@1
severity: warn
created_at: 2026-01-01T00:00:00Z
created_by: dana
scope:
  roles: [designer]
  paths: [src/]
check:
  kind: path-guard
"""


def test_a_warn_rule_added_beside_the_change_does_not_lift_the_limit(designed: Path) -> None:
    base = git(designed, "rev-parse", "HEAD")
    write_tree(designed, {"src/app.py": "x = 1\n", ".factory/rules/R-abc123.yaml": SOFT_RULE})
    commit_as(designed, "dana@example.com", "code, and a rule that would excuse it")
    result = fos(designed, "check", "--range", f"{base}..HEAD", "--format", "json")
    assert result.code == 1, result.output
    assert "fos:role-cannot" in [f["rule_id"] for f in findings(result.out)]


def test_an_override_of_the_rule_standing_in_for_the_limit_does_not_lift_it(
    designed: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An override lifts a rule, never roles.yaml's hard limit: the builder rule of the
    core pack overridden on deploy/, roles.yaml still forbids the builder deploy/."""
    monkeypatch.setenv("FOS_NOW", "2026-12-01T09:00:00Z")
    guarded_remote(designed, tmp_path / "remote.git")
    assert push(designed, "--no-verify", "main").returncode == 0
    base = git(designed, "rev-parse", "HEAD")
    granted = as_author(
        "test@example.com", designed, "override", "grant",
        "--rule", "R-core-builder-cannot-deploy", "--paths", "deploy/**",
        "--justification", "hotfix for the outage", "--ttl", "2h",
    )  # fmt: skip
    assert granted.code == 0, granted.output
    commit_as(designed, "test@example.com", "an override for the hotfix")
    write_tree(designed, {"deploy/prod.sh": "x\n"})
    commit_as(designed, "bob@example.com", "deploy")
    result = fos(designed, "check", "--range", f"{base}..HEAD", "--format", "json")
    assert result.code == 1, result.output
    by_rule = {f["rule_id"]: f for f in findings(result.out)}
    assert by_rule["R-core-builder-cannot-deploy"]["overridden"] is not None
    assert by_rule["fos:role-cannot"]["overridden"] is None
    assert "role builder cannot touch it" in by_rule["fos:role-cannot"]["message"]
    proc = push(designed, "--no-verify", "main")
    assert proc.returncode != 0, proc.stderr
    assert "fos:role-cannot" in proc.stderr
    guard = as_author("bob@example.com", designed, "guard", "--path", "deploy/other.sh")
    assert guard.code == 1 and "refused by fos:role-cannot" in guard.err
