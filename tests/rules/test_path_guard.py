from __future__ import annotations

from pathlib import Path

from tests.checks_helpers import commit_as, findings, rule_ids, set_team
from tests.helpers import commit_all, fos, git, write_tree

BUILDER = {"id": "bob", "roles": ["builder"], "emails": ["bob@example.com"]}
CEO = {"id": "ceo", "roles": ["ceo"], "emails": ["ceo@example.com"]}


def _team(repo: Path) -> str:
    set_team(repo, BUILDER, CEO)
    return commit_all(repo, "team")


def test_builder_touching_deploy_is_a_blocking_finding(factory_repo: Path) -> None:
    base = _team(factory_repo)
    write_tree(factory_repo, {"deploy/prod.sh": "deploy\n", "src/app.py": "x = 1\n"})
    sha = commit_as(factory_repo, "bob@example.com", "deploy")
    result = fos(factory_repo, "check", "--range", f"{base}..HEAD", "--format", "json")
    assert result.code == 1, result.output
    [finding] = findings(result.out)
    assert finding["rule_id"] == "R-core-builder-cannot-deploy"
    assert finding["path"] == "deploy/prod.sh"
    assert finding["commit"] == sha
    assert finding["member"] == "bob"
    assert "bob (builder) may not add deploy/prod.sh" in finding["message"]


def test_builder_writing_code_passes(factory_repo: Path) -> None:
    base = _team(factory_repo)
    write_tree(factory_repo, {"src/app.py": "x = 1\n"})
    commit_as(factory_repo, "bob@example.com")
    result = fos(factory_repo, "check", "--range", f"{base}..HEAD")
    assert result.code == 0, result.output


def test_ceo_may_write_docs_but_not_code_and_not_delete_it(factory_repo: Path) -> None:
    write_tree(factory_repo, {"src/app.py": "x = 1\n"})
    _team(factory_repo)
    base = git(factory_repo, "rev-parse", "HEAD")
    write_tree(factory_repo, {"docs/plan.md": "plan\n", "README.md": "hi\n"})
    commit_as(factory_repo, "ceo@example.com")
    assert fos(factory_repo, "check", "--range", f"{base}..HEAD").code == 0
    (factory_repo / "src" / "app.py").unlink()
    commit_as(factory_repo, "ceo@example.com")
    result = fos(factory_repo, "check", "--range", f"{base}..HEAD", "--format", "json")
    assert result.code == 1
    assert rule_ids(result.out) == ["R-core-ceo-never-writes-code"]
    assert "may not delete src/app.py" in findings(result.out)[0]["message"]


def test_a_rename_into_a_guarded_path_is_caught(factory_repo: Path) -> None:
    write_tree(factory_repo, {"tools/run.sh": "x\n"})
    base = _team(factory_repo)
    git(factory_repo, "mv", "tools", "infra")
    commit_as(factory_repo, "bob@example.com", "move")
    result = fos(factory_repo, "check", "--range", f"{base}..HEAD", "--format", "json")
    assert [f["path"] for f in findings(result.out)] == ["infra/run.sh"]


def test_gitignore_style_scope_with_exclude(factory_repo: Path) -> None:
    """The CEO rule guards "*" but excludes .factory/, docs/ and *.md at any depth."""
    base = _team(factory_repo)
    write_tree(factory_repo, {"a/b/notes.md": "x\n", "a/b/code.py": "x\n", "docs/x/y.txt": "x\n"})
    commit_as(factory_repo, "ceo@example.com")
    result = fos(factory_repo, "check", "--range", f"{base}..HEAD", "--format", "json")
    assert [f["path"] for f in findings(result.out)] == ["a/b/code.py"]
