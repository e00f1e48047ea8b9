"""Context, check and guard agree on which rules bind a path: one scope matcher."""

from __future__ import annotations

import json

import pytest

from factory_os.rules import check_paths
from tests.checks_helpers import add_rule, commit_as, rule_ids, set_team
from tests.helpers import author, commit_all, fos, git, write_tree

SCOPES = {
    "R-b00001": {"paths": ["src/"]},  # a directory pattern, at any depth
    "R-b00002": {"paths": ["src/*"]},  # gitignore: src/api/ is matched, and all below it
    "R-b00003": {"paths": ["*.py"], "exclude": ["vendor/", "lib/**/b.py"]},
    "R-b00004": {"paths": ["**", "!docs/"]},
    "R-b00005": {"exclude": ["docs/*.md"]},  # no paths: everything but the excluded
    "R-b00006": {"paths": ["/src/api/"]},
    "R-b00007": {"roles": ["quality"]},  # another role's rule
}
PATHS = ["src/api/x.py", "src/a.py", "lib/src/b.py", "docs/a.md", "vendor/v.py", "README"]


@pytest.fixture(scope="module")
def bound(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, set[str]]]:
    """path -> {"context", "check", "guard"} -> the ids of SCOPES binding a builder."""
    repo = tmp_path_factory.mktemp("binding") / "repo"
    repo.mkdir()
    git(repo, "init", "-q")
    assert fos(repo, "init").code == 0
    set_team(repo, {"id": "dev", "roles": ["builder"], "emails": ["dev@example.com"]})
    for rule_id, scope in SCOPES.items():
        add_rule(repo, rule_id, {"kind": "path-guard"}, scope={"roles": ["builder"], **scope})
    commit_all(repo, "rules")
    out: dict[str, dict[str, set[str]]] = {}
    for path in PATHS:
        context = json.loads(
            fos(repo, "context", "--role", "builder", "--paths", path, "--format", "json").out
        )
        write_tree(repo, {path: f"{path}\n"})
        sha = commit_as(repo, "dev@example.com")
        check = rule_ids(fos(repo, "check", "--commit", sha, "--format", "json").out)
        with author("dev@example.com"):
            guard = [f.rule_id for f in check_paths(repo, member="dev", role=None, paths=[path])]
        out[path] = {
            name: {i for i in found if i in SCOPES}
            for name, found in (
                ("context", [item["id"] for item in context["manifest"]["items"]]),
                ("check", check),
                ("guard", guard),
            )
        }
    return out


@pytest.mark.parametrize("path", PATHS)
def test_context_check_and_guard_bind_the_same_rules(
    bound: dict[str, dict[str, set[str]]], path: str
) -> None:
    assert bound[path]["context"] == bound[path]["check"] == bound[path]["guard"]


def test_the_scopes_mean_what_gitignore_says(bound: dict[str, dict[str, set[str]]]) -> None:
    assert bound["src/api/x.py"]["check"] == {
        "R-b00001",
        "R-b00002",
        "R-b00003",
        "R-b00004",
        "R-b00005",
        "R-b00006",
    }
    assert bound["lib/src/b.py"]["check"] == {"R-b00001", "R-b00004", "R-b00005"}
    assert bound["docs/a.md"]["check"] == set()
    assert bound["vendor/v.py"]["check"] == {"R-b00004", "R-b00005"}
