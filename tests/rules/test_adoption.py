"""Adopting factory-os on a repository with a history: the commits before the one
that created .factory/ are never checked, in a range, pre-push or pre-receive;
bots (`kind: bot` in team.yaml) touch only the paths they list, and never approve."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import jsonschema
import pytest
from ruamel.yaml import YAML

from tests.checks_helpers import commit_as, findings, set_team
from tests.helpers import as_author, commit_all, fos, git, guarded_remote, push, write_tree

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
    # (the core pack's rule is added by this range, so roles.yaml's limit is told too)
    assert sorted((f["rule_id"], f["commit"]) for f in findings(result.out)) == [
        ("R-core-builder-cannot-deploy", sha),
        ("fos:role-cannot", sha),
    ]


def test_pushing_the_whole_history_to_a_guarded_server(adopted: Path, tmp_path: Path) -> None:
    bare = guarded_remote(adopted, tmp_path / "remote.git")
    proc = push(adopted, "--no-verify", "main")
    assert proc.returncode == 0, proc.stderr
    assert git(bare, "rev-parse", "main") == git(adopted, "rev-parse", "HEAD")


BOTS = """\
  - id: renovate
    name: Renovate
    kind: bot
    emails: [bot@renovateapp.com]
    paths: [requirements*.txt, package.json]
  - id: release
    name: Release job
    kind: bot
    roles: [owner]
    emails: [release@example.com]
    paths: [CHANGELOG.md]
"""


@pytest.fixture
def with_bots(repo: Path) -> Path:
    """A factory founded with a builder, an owner and two bots: renovate, which may touch
    the dependency files, and a release job, which (wrongly) holds the owner role."""
    assert fos(repo, "init").code == 0
    set_team(repo, BUILDER, CEO)
    team = repo / ".factory" / "team.yaml"
    team.write_text(team.read_text() + BOTS)
    commit_all(repo, "founded, with bots")
    return repo


def test_a_bot_touches_only_the_paths_team_yaml_gives_it(with_bots: Path) -> None:
    base = git(with_bots, "rev-parse", "HEAD")
    write_tree(with_bots, {"requirements.txt": "click==8.1.8\n", "requirements-dev.txt": "x\n"})
    commit_as(with_bots, "bot@renovateapp.com", "bump click")
    result = fos(with_bots, "check", "--range", f"{base}..HEAD", "--format", "json")
    assert result.code == 0, result.output
    write_tree(with_bots, {"requirements.txt": "click==8.2.0\n", "src/app.py": "x = 1\n"})
    sha = commit_as(with_bots, "bot@renovateapp.com", "bump click, and a little more")
    result = fos(with_bots, "check", "--range", f"{base}..HEAD", "--format", "json")
    assert result.code == 1
    [finding] = findings(result.out)
    assert (finding["rule_id"], finding["path"], finding["commit"]) == (
        "fos:bot-path",
        "src/app.py",
        sha,
    )
    assert finding["member"] == "renovate"
    assert (
        "bot renovate may not add src/app.py: team.yaml lets it touch only"
        " requirements*.txt, package.json" in finding["message"]
    )


def test_a_bot_never_approves(with_bots: Path) -> None:
    settings = with_bots / ".factory" / "factory.yaml"
    settings.write_text(
        settings.read_text().replace("governance:", "governance:\n  trust_trailers: true")
    )
    base = commit_all(with_bots, "trust trailers")
    team = with_bots / ".factory" / "team.yaml"
    team.write_text(team.read_text().replace("[CHANGELOG.md]", "[CHANGELOG.md, docs/**]"))
    change = commit_as(with_bots, "bob@example.com", "release touches docs\n\nApproved-by: release")
    result = fos(with_bots, "check", "--range", f"{base}..HEAD", "--format", "json")
    messages = [f["message"] for f in findings(result.out) if f["rule_id"] == "fos:governed-change"]
    assert messages and "release is a bot and cannot approve" in messages[0]
    refused = as_author("release@example.com", with_bots, "approve", "--commit", change)
    assert refused.code == 1 and "release is a bot: a bot never approves" in refused.err


def test_the_team_schema_takes_bots_with_their_paths(with_bots: Path) -> None:
    schema_path = Path(__file__).parents[2] / "schemas" / "team.schema.json"
    validator = jsonschema.Draft202012Validator(json.loads(schema_path.read_text()))
    team = YAML(typ="safe").load(with_bots / ".factory" / "team.yaml")
    assert list(validator.iter_errors(team)) == []
    bot = team["members"][-2]
    del bot["paths"]
    assert list(validator.iter_errors(team)), "a bot without paths"
    bot["paths"] = ["x/**"]
    team["members"][0]["paths"] = ["x/**"]
    assert list(validator.iter_errors(team)), "paths for a human"
    # and fos validate says the same, at the member's line
    (with_bots / ".factory" / "team.yaml").write_text(
        (with_bots / ".factory" / "team.yaml")
        .read_text()
        .replace("    paths: [requirements*.txt, package.json]\n", "")
    )
    result = fos(with_bots, "validate")
    assert result.code == 3
    assert "a bot lists the paths its commits may touch" in result.output


def _warn_on_unknown_authors(repo: Path) -> str:
    settings = repo / ".factory" / "factory.yaml"
    settings.write_text(
        settings.read_text().replace("unknown_author: block", "unknown_author: warn")
    )
    return commit_all(repo, "unknown authors warn")


def test_an_unknown_author_is_told_once_per_range(adopted: Path) -> None:
    base = _warn_on_unknown_authors(adopted)
    shas = []
    for n in range(3):
        write_tree(adopted, {f"docs/note{n}.md": "x\n"})
        shas.append(commit_as(adopted, "stranger@elsewhere.org", f"note {n}"))
    result = fos(adopted, "check", "--range", f"{base}..HEAD", "--format", "json")
    [finding] = [f for f in findings(result.out) if f["rule_id"] == "fos:identity"]
    assert finding["commit"] == shas[0] and finding["severity"] == "warn"
    assert (
        "author stranger@elsewhere.org is not a member of team.yaml (3 commits:"
        in (finding["message"])
    )


def test_an_unknown_author_is_told_once_per_commit_by_the_hooks(adopted: Path) -> None:
    _warn_on_unknown_authors(adopted)
    assert fos(adopted, "hooks", "install").code == 0
    git(adopted, "config", "user.email", "stranger@elsewhere.org")
    write_tree(adopted, {"docs/note.md": "x\n"})
    git(adopted, "add", "-A")
    proc = subprocess.run(
        ["git", "commit", "-m", "a note"], cwd=adopted, capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    output = proc.stdout + proc.stderr
    assert output.count("stranger@elsewhere.org is not a member of team.yaml") == 1, output
