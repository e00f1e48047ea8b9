"""Only entries whose ids match their bytes and whose parents are entries end a rule:
a segment written by hand switches nothing off, in any reader that decides what
is in force."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from factory_os.integrations.mcp_server import check_paths_text
from tests.checks_helpers import findings, rule_ids, set_team
from tests.helpers import author, commit_all, fos, git, write_tree
from tests.ledger_helpers import entry_fields, forge_line

CEO = {"id": "ceo", "roles": ["ceo"], "emails": ["ceo@example.com"]}
BUILDER = {"id": "bob", "roles": ["builder"], "emails": ["bob@example.com"]}
PATH = "vault/keys.txt"
FORGED_SEGMENT = ".factory/ledger/" + "a" * 16 + ".jsonl"
FORGERIES = ["an all-zero id", "a parent that is no entry"]


@pytest.fixture
def guarded(factory_repo: Path) -> Iterator[tuple[Path, str]]:
    """A team, and a rule from an incident that keeps the builder (bob, git's author
    identity inside the tests) out of vault/: the repository and the rule's id."""
    set_team(factory_repo, BUILDER, CEO)
    incident = fos(factory_repo, "incident", "add", "--title", "leak", "--severity", "low")
    rule = fos(
        factory_repo,
        *("rule", "add", "--title", "vault", "--statement", "Builders stay out of vault/."),
        *("--kind", "path-guard", "--role", "builder", "--path", "vault/"),
        *("--from-incident", incident.out.strip()),
    )
    assert rule.code == 0, rule.output
    commit_all(factory_repo, "team, and a rule that keeps the builder out of the vault")
    with author("bob@example.com"):
        yield factory_repo, rule.out.strip()


def _retire(rule: str, **overrides: Any) -> dict[str, Any]:
    return entry_fields(
        kind="rule.retired", actor="bob", subject=rule, data={"reason": "in my way"}, **overrides
    )


def _forgery(repo: Path, rule: str, which: str) -> bytes:
    if which == "an all-zero id":
        head = [
            line[:64]
            for segment in sorted((repo / ".factory" / "ledger").glob("*.jsonl"))
            for line in segment.read_text().splitlines()
        ][-1]
        body = json.dumps(_retire(rule, parents=[head]), sort_keys=True, separators=(",", ":"))
        return b"0" * 64 + b" " + body.encode() + b"\n"
    return forge_line(_retire(rule, parents=["ab" * 32]))


def _denied(repo: Path, rule: str) -> bool:
    """Whether guard, the MCP server's check_paths and the commit hook's check all
    still hold RULE against writing PATH."""
    guard = fos(repo, "guard", "--path", PATH)
    mcp = check_paths_text(repo, paths=[PATH], member=None, role=None)
    staged = fos(repo, "check", "--staged", "--format", "json")
    return rule in guard.err and rule in mcp and rule in rule_ids(staged.out)


@pytest.mark.parametrize("forgery", FORGERIES)
def test_a_segment_written_by_hand_does_not_retire_a_rule(
    guarded: tuple[Path, str], forgery: str
) -> None:
    repo, rule = guarded
    write_tree(repo, {FORGED_SEGMENT: _forgery(repo, rule, forgery), PATH: "x = 1\n"})
    git(repo, "add", "-A")
    assert _denied(repo, rule)
    listed = json.loads(fos(repo, "rule", "list", "--format", "json").out)["rules"]
    assert [r["status"] for r in listed if r["id"] == rule] == ["active"]
    context = json.loads(fos(repo, "context", "--role", "builder", "--format", "json").out)
    assert rule in {item["id"] for item in context["manifest"]["items"]}
    # committed, it still ends nothing: HEAD's ledger is read the same way
    git(repo, "reset", "-q", PATH)
    git(repo, "commit", "-q", "--no-verify", "-m", "a segment by hand")
    git(repo, "add", PATH)
    assert _denied(repo, rule)


def test_a_rule_retired_in_the_work_tree_binds_until_the_retirement_is_committed(
    guarded: tuple[Path, str],
) -> None:
    """The commit hook takes a rule's status from HEAD's ledger, as a pull request's
    check takes it from its base: retiring a rule and breaking it is two commits."""
    repo, rule = guarded
    with author("test@example.com"):
        assert fos(repo, "rule", "retire", rule, "--reason", "reorganised").code == 0
    write_tree(repo, {PATH: "x = 1\n"})
    git(repo, "add", "-A")
    assert _denied(repo, rule)
    git(repo, "reset", "-q", PATH)
    git(repo, "commit", "-q", "--no-verify", "-m", "retire")
    git(repo, "add", PATH)
    assert rule not in rule_ids(fos(repo, "check", "--staged", "--format", "json").out)
    assert fos(repo, "guard", "--path", PATH).code == 0


def test_a_pull_request_adding_a_forged_line_is_refused(guarded: tuple[Path, str]) -> None:
    repo, rule = guarded
    base = git(repo, "rev-parse", "HEAD")
    for number, which in enumerate(FORGERIES):
        segment = FORGED_SEGMENT.replace("a" * 16, f"{number}" * 16)
        write_tree(repo, {segment: _forgery(repo, rule, which)})
    commit_all(repo, "two lines by hand")
    result = fos(repo, "check", "--range", f"{base}..HEAD", "--format", "json")
    assert result.code == 1
    found = [f for f in findings(result.out) if f["rule_id"] == "fos:ledger-integrity"]
    messages = sorted(str(f["message"]) for f in found)
    assert len(found) == 2 and all(f["severity"] == "block" for f in found), messages
    assert any("id does not match" in m for m in messages)
    assert any("ab" * 6 in m for m in messages)


def _ledger_head(repo: Path) -> str:
    """The id of the last line of the last segment."""
    segments = sorted((repo / ".factory" / "ledger").glob("*.jsonl"))
    return segments[-1].read_text().splitlines()[-1][:64]


@pytest.mark.parametrize("where", [".factory/ledger/notes.txt", ".factory/ledger/sub/x.jsonl"])
def test_an_entry_in_a_file_that_is_no_segment_counts_nowhere(
    guarded: tuple[Path, str], where: str
) -> None:
    """A well-formed retirement (true id, a known parent) in another file under the
    ledger's directory is refused in a pull request, and once committed ends nothing."""
    repo, rule = guarded
    base = git(repo, "rev-parse", "HEAD")
    write_tree(repo, {where: forge_line(_retire(rule, parents=[_ledger_head(repo)]))})
    commit_all(repo, "notes")
    result = fos(repo, "check", "--range", f"{base}..HEAD", "--format", "json")
    assert result.code == 1, result.output
    [stray] = [f for f in findings(result.out) if f["rule_id"] == "fos:ledger-integrity"]
    assert stray["path"] == where and "is no segment" in str(stray["message"])
    write_tree(repo, {PATH: "x = 1\n"})
    git(repo, "add", PATH)
    assert _denied(repo, rule)
