"""Only entries whose ids match their bytes and whose parents are entries end a rule:
a segment written by hand switches nothing off, in any reader that decides what
is in force."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.checks_helpers import findings, rule_ids, set_team
from tests.helpers import author, commit_all, fos, git, write_tree
from tests.ledger_helpers import entry_fields, forge_line

CEO = {"id": "ceo", "roles": ["ceo"], "emails": ["ceo@example.com"]}
BUILDER = {"id": "bob", "roles": ["builder"], "emails": ["bob@example.com"]}
GUARDED = "R-core-ceo-never-writes-code"
FORGED_SEGMENT = ".factory/ledger/" + "a" * 16 + ".jsonl"


@pytest.fixture
def team_repo(factory_repo: Path) -> Iterator[Path]:
    set_team(factory_repo, BUILDER, CEO)
    commit_all(factory_repo, "team")
    with author("ceo@example.com"):
        yield factory_repo


def _retire(rule: str, **overrides: Any) -> dict[str, Any]:
    return entry_fields(
        kind="rule.retired", actor="ceo", subject=rule, data={"reason": "in my way"}, **overrides
    )


def _zero_id(fields: dict[str, Any]) -> bytes:
    body = json.dumps(fields, sort_keys=True, separators=(",", ":")).encode()
    return b"0" * 64 + b" " + body + b"\n"


def _heads(repo: Path) -> list[str]:
    lines = [
        line
        for segment in sorted((repo / ".factory" / "ledger").glob("*.jsonl"))
        for line in segment.read_text().splitlines()
    ]
    return [lines[-1][:64]]


def _forgeries(repo: Path) -> dict[str, bytes]:
    return {
        "an all-zero id": _zero_id(_retire(GUARDED, parents=_heads(repo))),
        "a parent that is no entry": forge_line(_retire(GUARDED, parents=["ab" * 32])),
    }


def _denied(repo: Path) -> bool:
    guard = fos(repo, "guard", "--path", "src/app.py")
    staged = fos(repo, "check", "--staged", "--format", "json")
    every = fos(repo, "check", "--all", "--format", "json")
    assert every.code == 0 and every.out  # (--all checks content only)
    return guard.code == 1 and staged.code == 1 and GUARDED in rule_ids(staged.out)


@pytest.mark.parametrize("forgery", ["an all-zero id", "a parent that is no entry"])
def test_a_segment_written_by_hand_does_not_retire_a_rule(team_repo: Path, forgery: str) -> None:
    line = _forgeries(team_repo)[forgery]
    write_tree(team_repo, {FORGED_SEGMENT: line, "src/app.py": "x = 1\n"})
    git(team_repo, "add", "-A")
    assert _denied(team_repo)
    listed = json.loads(fos(team_repo, "rule", "list", "--format", "json").out)["rules"]
    assert [r["status"] for r in listed if r["id"] == GUARDED] == ["active"]
    context = json.loads(fos(team_repo, "context", "--role", "ceo", "--format", "json").out)
    assert GUARDED in {item["id"] for item in context["manifest"]["items"]}
    # committed, it still ends nothing: HEAD's ledger is read the same way
    git(team_repo, "reset", "-q", "src/app.py")
    git(team_repo, "commit", "-q", "--no-verify", "-m", "a segment by hand")
    git(team_repo, "add", "src/app.py")
    assert _denied(team_repo)


def test_a_rule_retired_in_the_work_tree_binds_until_the_retirement_is_committed(
    team_repo: Path,
) -> None:
    """The commit hook takes a rule's status from HEAD's ledger, as a pull request's
    check takes it from its base: retiring a rule and breaking it is two commits."""
    with author("test@example.com"):
        assert fos(team_repo, "rule", "retire", GUARDED, "--reason", "reorganised").code == 0
    write_tree(team_repo, {"src/app.py": "x = 1\n"})
    git(team_repo, "add", "-A")
    assert _denied(team_repo)
    git(team_repo, "reset", "-q", "src/app.py")
    git(team_repo, "commit", "-q", "--no-verify", "-m", "retire")
    git(team_repo, "add", "src/app.py")
    staged = fos(team_repo, "check", "--staged", "--format", "json")
    assert GUARDED not in rule_ids(staged.out)
    assert fos(team_repo, "guard", "--path", "src/app.py").code == 0


def test_a_pull_request_adding_a_forged_line_is_refused(team_repo: Path) -> None:
    base = git(team_repo, "rev-parse", "HEAD")
    for number, line in enumerate(_forgeries(team_repo).values()):
        segment = FORGED_SEGMENT.replace("a" * 16, f"{number}" * 16)
        write_tree(team_repo, {segment: line})
    commit_all(team_repo, "two lines by hand")
    result = fos(team_repo, "check", "--range", f"{base}..HEAD", "--format", "json")
    assert result.code == 1
    found = [f for f in findings(result.out) if f["rule_id"] == "fos:ledger-integrity"]
    messages = sorted(str(f["message"]) for f in found)
    assert len(found) == 2 and all(f["severity"] == "block" for f in found), messages
    assert "id does not match" in messages[0] or "id does not match" in messages[1]
    assert any("ab" * 6 in m for m in messages)
