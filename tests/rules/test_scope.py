"""Scopes are gitignore-style globs, matched without pathspec on the hook path."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from factory_os.rules.scope import Scope, literal_prefixes, translate
from tests.checks_helpers import add_rule, commit_as
from tests.helpers import commit_all, fos, write_tree


@pytest.mark.parametrize(
    ("paths", "exclude", "path", "expected"),
    [
        (["src/"], [], "src/a.py", True),
        (["src/"], [], "lib/src/a.py", True),  # no leading slash: at any depth
        (["/src/"], [], "lib/src/a.py", False),
        (["src/"], [], "src", False),  # a directory pattern never matches a file
        (["*.md"], [], "a/b/c.md", True),
        (["docs/**"], [], "docs/x/y.txt", True),
        (["a/*/b"], [], "a/x/b", True),
        (["a/*/b"], [], "a/x/y/b", False),
        (["*"], [".factory/", "*.md"], "src/x.py", True),
        (["*"], [".factory/", "*.md"], ".factory/team.yaml", False),
        (["*"], [".factory/", "*.md"], "notes/readme.md", False),
        (["*", "!*.md"], [], "x.md", False),
        ([], [], "anything/at/all", True),
        ([], ["vendor/"], "vendor/lib.py", False),
    ],
)
def test_gitignore_semantics(
    paths: list[str], exclude: list[str], path: str, expected: bool
) -> None:
    assert Scope(translate(paths), translate(exclude))(path) is expected


def test_literal_prefixes_only_for_anchored_patterns() -> None:
    assert literal_prefixes(["pkg/**/*.py", ".factory/DNA.md"]) == ["pkg/", ".factory/DNA.md"]
    assert literal_prefixes(["src/"]) is None  # matches at any depth
    assert literal_prefixes(["/top"]) == ["top"]
    assert literal_prefixes(["a/b", "!a/b/c"]) is None


def test_a_range_runs_a_fixed_number_of_git_processes(
    factory_repo: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    add_rule(
        factory_repo,
        "R-abc900",
        {"kind": "forbidden-pattern", "pattern": "[X]YZ"},
        scope={"paths": ["*.txt"]},
    )
    base = commit_all(factory_repo, "rule")

    def processes(count: int) -> int:
        for n in range(count):
            write_tree(factory_repo, {f"f{count}-{n}.txt": f"{n}\n"})
            commit_as(factory_repo, "test@example.com")
        fos(factory_repo, "check", "--range", f"{base}..HEAD")  # rule documents compiled
        trace = tmp_path / f"trace-{count}.json"
        monkeypatch.setenv("GIT_TRACE2_EVENT", str(trace))
        assert fos(factory_repo, "check", "--range", f"{base}..HEAD").code == 0
        monkeypatch.delenv("GIT_TRACE2_EVENT")
        events = [json.loads(line) for line in trace.read_text().splitlines()]
        return sum(1 for e in events if e["event"] == "version")

    assert processes(2) == processes(20)
