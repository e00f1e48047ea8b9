from __future__ import annotations

import io
import json
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.checks_helpers import set_team
from tests.helpers import as_author, author, commit_all, fos, git

BUILDER = {"id": "bob", "roles": ["builder"], "emails": ["bob@example.com"]}
CEO = {"id": "ceo", "roles": ["ceo"], "emails": ["ceo@example.com"]}


@pytest.fixture
def team_repo(factory_repo: Path) -> Path:
    set_team(factory_repo, BUILDER, CEO)
    commit_all(factory_repo, "team")
    return factory_repo


@pytest.fixture(autouse=True)
def _as_ceo() -> Iterator[None]:
    with author("ceo@example.com"):  # git's identity: the member the writes are judged as
        yield


def test_refuses_what_the_role_may_not_write(team_repo: Path) -> None:
    result = fos(team_repo, "guard", "--path", "src/app.py", "--member", "ceo")
    assert result.code == 1
    assert result.err.startswith("fos guard: refused by R-core-ceo-never-writes-code: ceo (ceo)")
    assert len(result.err.splitlines()) == 1
    assert fos(team_repo, "guard", "--path", "docs/plan.md").code == 0
    assert as_author("bob@example.com", team_repo, "guard", "--path", "src/app.py").code == 0


def test_a_member_cannot_be_judged_as_another(team_repo: Path) -> None:
    result = fos(team_repo, "guard", "--path", "src/app.py", "--member", "bob")
    assert result.code == 1
    assert "bob does not match the author email ceo@example.com" in result.err


@pytest.mark.parametrize("path", ["src/docs/payload.py", "src/.factory/x.py"])
def test_the_ceo_excludes_are_anchored_at_the_root(team_repo: Path, path: str) -> None:
    assert fos(team_repo, "guard", "--path", path, "--member", "ceo").code == 1
    assert fos(team_repo, "guard", "--path", path.split("/", 1)[1], "--member", "ceo").code == 0


def test_role_and_default_member(team_repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with author("bob@example.com"):
        assert fos(team_repo, "guard", "--path", "deploy/x", "--role", "builder").code == 1
        assert fos(team_repo, "guard", "--path", "deploy/x").code == 1
    monkeypatch.setenv("FOS_ACTOR", "ceo")
    assert fos(team_repo, "guard", "--path", "deploy/x").code == 1  # "*" covers it
    assert fos(team_repo, "guard", "--path", "README.md").code == 0


def test_existing_rule_files_are_append_only(team_repo: Path) -> None:
    existing = ".factory/rules/R-core-builder-cannot-deploy.yaml"
    result = as_author("bob@example.com", team_repo, "guard", "--path", existing)
    assert result.code == 1 and "R-core-governance-append-only" in result.err
    assert fos(team_repo, "guard", "--path", ".factory/rules/R-new.yaml").code == 0
    assert fos(team_repo, "guard", "--path", ".factory/ledger/seg.jsonl").code == 0


def test_claiming_no_member_is_refused(team_repo: Path) -> None:
    result = fos(team_repo, "guard", "--path", "a", "--member", "nobody")
    assert result.code == 1 and "nobody names no member" in result.err


def _hook(repo: Path, monkeypatch: pytest.MonkeyPatch, payload: object) -> tuple[int, str]:
    monkeypatch.setattr(sys, "stdin", io.StringIO(json.dumps(payload)))
    result = fos(repo, "guard", "--member", "ceo")
    return result.code, result.out


def test_claude_pre_tool_use_hook(team_repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    payload = {
        "hook_event_name": "PreToolUse",
        "tool_name": "Write",
        "cwd": str(team_repo),
        "tool_input": {"file_path": str(team_repo / "src" / "app.py"), "content": "x"},
    }
    code, out = _hook(team_repo, monkeypatch, payload)
    assert code == 0
    decision = json.loads(out)["hookSpecificOutput"]
    assert decision["hookEventName"] == "PreToolUse"
    assert decision["permissionDecision"] == "deny"
    assert "R-core-ceo-never-writes-code" in decision["permissionDecisionReason"]
    payload["tool_input"] = {"file_path": str(team_repo / "docs" / "a.md")}
    assert _hook(team_repo, monkeypatch, payload) == (0, "")
    payload["tool_input"] = {"command": "ls"}
    assert _hook(team_repo, monkeypatch, payload) == (0, "")
    payload["tool_input"] = {"file_path": "/elsewhere/x.py"}
    assert _hook(team_repo, monkeypatch, payload) == (0, "")


def _denied(out: str) -> str:
    """The reason of the hook's "deny" answer OUT."""
    decision = json.loads(out)["hookSpecificOutput"]
    assert decision["permissionDecision"] == "deny"
    return str(decision["permissionDecisionReason"])


@pytest.mark.parametrize("stdin", ["{not json", "[1, 2]", '{"tool_input": 3}'])
def test_bad_hook_input_is_denied(
    team_repo: Path, monkeypatch: pytest.MonkeyPatch, stdin: str
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    result = fos(team_repo, "guard")
    # exit code 2 is a refusal to Claude Code, and the answer on stdout says so too
    assert result.code == 2
    assert _denied(result.out).startswith("cannot judge this write: ")
    assert result.err.startswith("fos guard: cannot judge this write: ")


def _elsewhere_and_other(tmp_path: Path) -> tuple[Path, Path]:
    """A directory in no repository, and another factory, where the ceo is a builder."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    other = tmp_path / "other"
    other.mkdir()
    git(other, "init", "-q")
    assert fos(other, "init").code == 0
    set_team(other, {**CEO, "roles": ["builder"]})
    commit_all(other, "other factory")
    return elsewhere, other


def test_the_hook_judges_a_path_by_the_factory_around_it(
    team_repo: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    elsewhere, other = _elsewhere_and_other(tmp_path)  # the session's cwd outside the factory
    write = {"file_path": str(team_repo / "src" / "app.py"), "content": "x"}
    for cwd in (elsewhere, other):
        payload = {"tool_name": "Write", "cwd": str(cwd), "tool_input": write}
        monkeypatch.setattr(sys, "stdin", io.StringIO(json.dumps(payload)))
        result = fos(cwd, "guard")
        assert result.code == 0, result.output
        assert _denied(result.out).startswith("refused by R-core-ceo-never-writes-code")
    # the work tree's factory judges a write inside its .git directory too
    hook = {"file_path": str(team_repo / ".git" / "hooks" / "pre-commit"), "content": "x"}
    payload = {"tool_name": "Write", "cwd": str(other), "tool_input": hook}
    monkeypatch.setattr(sys, "stdin", io.StringIO(json.dumps(payload)))
    assert "R-core-ceo-never-writes-code" in _denied(fos(other, "guard").out)


def test_the_path_form_judges_a_path_by_the_factory_around_it(
    team_repo: Path, tmp_path: Path
) -> None:
    """As the hook does: `fos guard --path` run from outside the factory, or from another
    factory, answers with the rules of the factory the path is in."""
    elsewhere, other = _elsewhere_and_other(tmp_path)
    target = str(team_repo / "src" / "app.py")
    for cwd in (elsewhere, other):
        result = fos(cwd, "guard", "--path", target)
        assert result.code == 1, result.output
        assert result.err.startswith("fos guard: refused by R-core-ceo-never-writes-code")
    # a relative path is taken from the current directory, as before
    result = fos(elsewhere, "guard", "--path", "../repo/src/app.py")
    assert result.code == 1 and "R-core-ceo-never-writes-code" in result.err
    assert fos(elsewhere, "guard", "--path", str(elsewhere / "notes.txt")).code == 0
    assert fos(other, "guard", "--path", "src/app.py").code == 0  # other's rules: a builder


def test_a_factory_that_cannot_be_read_refuses_every_write(
    team_repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (team_repo / ".factory" / "team.yaml").write_text("members: [\n")
    commit_all(team_repo, "a broken team")
    payload = {
        "tool_name": "Write",
        "cwd": str(team_repo),
        "tool_input": {"file_path": str(team_repo / "docs" / "a.md"), "content": "x"},
    }
    monkeypatch.setattr(sys, "stdin", io.StringIO(json.dumps(payload)))
    result = fos(team_repo, "guard")
    assert result.code == 0
    assert _denied(result.out).startswith("refused: .factory/team.yaml:2: invalid document: ")
    result = fos(team_repo, "guard", "--path", "docs/a.md")
    assert result.code == 1 and "no write is judged until it is fixed" in result.err


def test_a_role_the_member_does_not_hold_is_refused(team_repo: Path) -> None:
    args = ("guard", "--path", "src/app.py", "--member", "ceo", "--role", "builder")
    result = fos(team_repo, *args)
    assert result.code == 2 and "ceo does not hold the role builder" in result.err
    # narrowing to a role held still works
    assert (
        fos(team_repo, "guard", "--path", "src/app.py", "--member", "ceo", "--role", "ceo").code
        == 1
    )


def test_an_unknown_actor_is_judged_by_the_identity_policy(
    team_repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GIT_AUTHOR_EMAIL", "stranger@example.com")
    result = fos(team_repo, "guard", "--path", "deploy/x.sh")
    assert result.code == 1 and "stranger@example.com is not a member" in result.err
    result = fos(team_repo, "guard", "--path", "deploy/x.sh", "--role", "builder")
    assert result.code == 1
    config = team_repo / ".factory" / "factory.yaml"
    config.write_text(config.read_text().replace("unknown_author: block", "unknown_author: warn"))
    commit_all(team_repo, "unknown authors only warn")
    assert fos(team_repo, "guard", "--path", "deploy/x.sh").code == 0


def test_paths_are_case_sensitive_as_docs_checks_md_says(team_repo: Path) -> None:
    with author("bob@example.com"):
        assert fos(team_repo, "guard", "--path", "deploy/x").code == 1
        assert fos(team_repo, "guard", "--path", "DEPLOY/x").code == 0
    docs = (Path(__file__).parents[2] / "docs" / "checks.md").read_text(encoding="utf-8")
    assert "does not cover `DEPLOY/x`" in " ".join(docs.split())
