"""A rule's status comes from one replay of the ledger, and every command agrees on it."""

from __future__ import annotations

import json
from pathlib import Path

from factory_os.ledger import events as ledger
from factory_os.rules.cache import Cache
from factory_os.rules.status import RuleState, decide, rule_events
from tests.checks_helpers import add_rule, commit_as, rule_ids, set_team
from tests.helpers import commit_all, fos, git, git_calls, write_tree
from tests.ledger_helpers import make_factory


def test_the_first_ending_in_replay_order_wins(repo: Path) -> None:
    factory = make_factory(repo)
    for rule in ("R-aaaaaa", "R-bbbbbb", "R-cccccc"):
        ledger.append(factory, kind="rule.added", actor="test", subject=rule)
    ledger.append(
        factory,
        kind="rule.superseded",
        actor="test",
        subject="R-aaaaaa",
        data={"by": "R-bbbbbb"},
    )
    ledger.append(
        factory, kind="rule.retired", actor="test", subject="R-aaaaaa", data={"reason": "late"}
    )
    ledger.append(
        factory, kind="rule.retired", actor="test", subject="R-cccccc", data={"reason": "gone"}
    )
    written = {"R-dddddd": ("active", None)}
    assert decide(written, rule_events(factory.root)) == {
        "R-aaaaaa": RuleState("superseded", "R-bbbbbb", True),
        "R-bbbbbb": RuleState("active", None, True),
        "R-cccccc": RuleState("retired", None, True),
        "R-dddddd": RuleState("active", None, False),
    }


def test_two_branches_ending_one_rule_agree_whatever_the_segments_order(repo: Path) -> None:
    """Each branch writes its own segment; after the merge, the event placed first in
    the DAG wins, for the work tree and for the commit alike, and the next entry's
    height breaks no tie differently."""
    factory = make_factory(repo)
    ledger.append(factory, kind="rule.added", actor="test", subject="R-aaaaaa")
    commit_all(repo, "added")
    git(repo, "checkout", "-q", "-b", "one")
    ledger.append(factory, kind="test.filler", actor="test")
    ledger.append(factory, kind="rule.retired", actor="test", subject="R-aaaaaa")
    commit_all(repo, "retired, a step later")
    git(repo, "checkout", "-q", "main")
    ledger.append(
        factory, kind="rule.superseded", actor="test", subject="R-aaaaaa", data={"by": "R-b"}
    )
    commit_all(repo, "superseded")
    git(repo, "merge", "-q", "--no-edit", "one")
    states = decide({}, rule_events(factory.root))
    assert states["R-aaaaaa"] == RuleState("superseded", "R-b", True)
    at_commit = rule_events(factory.root, treeish="HEAD", worktree=repo)
    assert decide({}, at_commit) == states


def test_a_hand_written_rule_binds_for_every_command(factory_repo: Path) -> None:
    """A committed rule file that no ledger entry records: `rule list`, `context`,
    `drift` and `check` all take it as active; `rule list` flags it unrecorded."""
    repo = factory_repo
    set_team(repo, {"id": "dev", "roles": ["builder"], "emails": ["dev@example.com"]})
    add_rule(
        repo, "R-abc123", {"kind": "path-guard"}, scope={"roles": ["builder"], "paths": ["gone/"]}
    )
    base = commit_all(repo, "a rule written by hand")

    listed = json.loads(fos(repo, "rule", "list", "--format", "json").out)["rules"]
    (mine,) = [r for r in listed if r["id"] == "R-abc123"]
    assert (mine["status"], mine["recorded"]) == ("active", False)
    assert all(r["recorded"] for r in listed if r["id"] != "R-abc123")
    assert "R-abc123  active (unrecorded)" in fos(repo, "rule", "list").out

    context = json.loads(
        fos(repo, "context", "--role", "builder", "--paths", "gone/x.py", "--format", "json").out
    )
    assert "R-abc123" in {item["id"] for item in context["manifest"]["items"]}

    drift = json.loads(fos(repo, "drift", "--format", "json").out)["drift"]
    assert "R-abc123" in {d["id"] for d in drift}  # active, and its paths match nothing

    write_tree(repo, {"gone/x.py": "x\n"})
    commit_as(repo, "dev@example.com")
    result = fos(repo, "check", "--range", f"{base}..HEAD", "--format", "json")
    assert "R-abc123" in rule_ids(result.out)


def test_a_retired_hand_written_rule_is_retired_everywhere(factory_repo: Path) -> None:
    """The ledger ends a rule whether or not an entry added it."""
    repo = factory_repo
    add_rule(repo, "R-abc124", {"kind": "forbidden-pattern", "pattern": "XYZZY"})
    commit_all(repo, "rule")
    factory = make_factory(repo, commit=False)
    ledger.append(factory, kind="rule.retired", actor="test", subject="R-abc124")
    commit_all(repo, "retired")
    listed = json.loads(fos(repo, "rule", "list", "--format", "json").out)["rules"]
    assert [r["status"] for r in listed if r["id"] == "R-abc124"] == ["retired"]
    context = json.loads(fos(repo, "context", "--format", "json").out)
    assert "R-abc124" not in {item["id"] for item in context["manifest"]["items"]}
    write_tree(repo, {"a.txt": "XYZZY\n"})
    git(repo, "add", "a.txt")
    assert "R-abc124" not in rule_ids(fos(repo, "check", "--staged", "--format", "json").out)


def test_an_event_whose_parent_is_in_another_segment_counts(repo: Path) -> None:
    """A branch's first entry names the heads of the segments before it: a parent that
    is not the line before is found among every line, on the first read and after."""
    factory = make_factory(repo)
    ledger.append(factory, kind="rule.added", actor="test", subject="R-aaaaaa")
    commit_all(repo, "added")
    git(repo, "checkout", "-q", "-b", "other")
    ledger.append(factory, kind="rule.retired", actor="test", subject="R-aaaaaa")
    commit_all(repo, "retired, first in its segment")
    assert len(list((repo / ".factory" / "ledger").glob("*.jsonl"))) == 2
    retired = RuleState("retired", None, True)
    cache = Cache(repo / ".git")
    for _ in range(2):  # read, then read again through what the cache kept
        assert decide({}, rule_events(factory.root, cache=cache))["R-aaaaaa"] == retired
        cache.save()
        cache = Cache(repo / ".git")
    at_commit = rule_events(factory.root, treeish="HEAD", worktree=repo)
    assert decide({}, at_commit)["R-aaaaaa"] == retired


def test_the_commit_hook_reads_heads_rule_events_once_per_ledger(
    factory_repo: Path, tmp_path: Path
) -> None:
    """HEAD's rule events are kept by the ledger's content: a commit that leaves the
    ledger alone does not make the next hook run read it again."""
    write_tree(factory_repo, {"a.txt": "a\n"})
    git(factory_repo, "add", "a.txt")
    assert fos(factory_repo, "check", "--staged").code == 0
    commit_all(factory_repo, "a")
    write_tree(factory_repo, {"b.txt": "b\n"})
    git(factory_repo, "add", "b.txt")
    with git_calls(tmp_path) as calls:
        assert fos(factory_repo, "check", "--staged").code == 0
    assert not [c for c in calls if "grep" in c]
