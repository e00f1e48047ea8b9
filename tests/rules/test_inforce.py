"""Which rules are in force over a range: the bypass matrix of DESIGN section 3."""

from __future__ import annotations

import json
import marshal
from pathlib import Path

import pytest

from tests.checks_helpers import add_rule, commit_as, findings, rule_ids, set_team
from tests.helpers import commit_all, fos, git, write_tree

NO_TODO = {"kind": "forbidden-pattern", "pattern": "TODO"}
TXT = {"paths": ["*.txt"]}


def _range(repo: Path, base: str) -> tuple[int, list[dict[str, object]]]:
    result = fos(repo, "check", "--range", f"{base}..HEAD", "--format", "json")
    return result.code, findings(result.out)


def test_deleting_a_rule_and_breaking_it_in_one_range(factory_repo: Path) -> None:
    rule = add_rule(factory_repo, "R-aaa001", NO_TODO)
    base = commit_all(factory_repo, "rule")
    rule.unlink()
    commit_as(factory_repo, "test@example.com", "drop the rule")
    write_tree(factory_repo, {"a.txt": "TODO later\n"})
    commit_as(factory_repo, "test@example.com", "break it")
    code, found = _range(factory_repo, base)
    assert code == 1
    messages = {(f["rule_id"], str(f["message"]).split(";")[0]) for f in found}
    assert ("R-aaa001", "rule file .factory/rules/R-aaa001.yaml was deleted") in messages
    assert any(f["rule_id"] == "R-aaa001" and f["path"] == "a.txt" for f in found)


def test_loosening_a_rule_inside_the_range_keeps_the_old_version(factory_repo: Path) -> None:
    rule = add_rule(factory_repo, "R-aaa002", NO_TODO)
    base = commit_all(factory_repo, "rule")
    add_rule(factory_repo, "R-aaa002", NO_TODO, severity="info")
    write_tree(factory_repo, {"a.txt": "TODO\n"})
    commit_as(factory_repo, "test@example.com", "loosen and break")
    code, found = _range(factory_repo, base)
    assert code == 1
    assert {f["severity"] for f in found if f["path"] == "a.txt"} == {"block"}
    assert any("was changed" in str(f["message"]) for f in found)
    assert rule.exists()


def test_retiring_by_editing_the_status_is_caught(factory_repo: Path) -> None:
    add_rule(factory_repo, "R-aaa003", NO_TODO)
    base = commit_all(factory_repo, "rule")
    add_rule(factory_repo, "R-aaa003", NO_TODO, status="retired")
    write_tree(factory_repo, {"a.txt": "TODO\n"})
    commit_as(factory_repo, "test@example.com")
    code, found = _range(factory_repo, base)
    assert code == 1 and "R-aaa003" in [f["rule_id"] for f in found if f["path"] == "a.txt"]


def test_a_rule_the_range_adds_applies_to_the_whole_range(factory_repo: Path) -> None:
    base = git(factory_repo, "rev-parse", "HEAD")
    write_tree(factory_repo, {"a.txt": "TODO\n"})
    commit_as(factory_repo, "test@example.com")
    add_rule(factory_repo, "R-aaa004", NO_TODO, scope=TXT)
    commit_as(factory_repo, "test@example.com")
    code, found = _range(factory_repo, base)
    assert code == 1 and [f["path"] for f in found] == ["a.txt"]


def test_a_retired_rule_no_longer_applies(factory_repo: Path) -> None:
    add_rule(factory_repo, "R-aaa005", NO_TODO, status="retired")
    base = commit_all(factory_repo, "rule")
    write_tree(factory_repo, {"a.txt": "TODO\n"})
    commit_as(factory_repo, "test@example.com")
    assert _range(factory_repo, base) == (0, [])


def test_an_invalid_rule_file_is_a_finding_not_a_crash(factory_repo: Path) -> None:
    (factory_repo / ".factory" / "rules" / "R-aaa006.yaml").write_text("id: R-aaa006\nbad: [\n")
    git(factory_repo, "add", "-A")
    result = fos(factory_repo, "check", "--staged", "--format", "json")
    assert result.code == 1
    [finding] = findings(result.out)
    assert finding["rule_id"] == "fos:invalid-document"
    assert finding["path"] == ".factory/rules/R-aaa006.yaml" and finding["line"]


def test_the_compiled_cache_follows_the_rule_files(factory_repo: Path) -> None:
    add_rule(factory_repo, "R-aaa007", NO_TODO)
    commit_all(factory_repo, "rule")
    write_tree(factory_repo, {"a.txt": "TODO\n"})
    git(factory_repo, "add", "a.txt")
    assert fos(factory_repo, "check", "--staged").code == 1
    cache = factory_repo / ".git" / "factory-os" / "compiled.marshal"
    entries = marshal.loads(cache.read_bytes())["entries"]
    assert any(key.startswith("rule:") for key in entries)
    add_rule(factory_repo, "R-aaa008", {"kind": "forbidden-pattern", "pattern": "FIXME"})
    git(factory_repo, "add", "-A")
    write_tree(factory_repo, {"b.txt": "FIXME\n"})
    git(factory_repo, "add", "b.txt")
    result = fos(factory_repo, "check", "--staged", "--format", "json")
    assert set(rule_ids(result.out)) == {"R-aaa007", "R-aaa008"}
    assert len(marshal.loads(cache.read_bytes())["entries"]) > len(entries)


def test_a_member_removing_their_own_role_is_still_bound(factory_repo: Path) -> None:
    ceo = {"id": "ceo", "roles": ["ceo"], "emails": ["ceo@example.com"]}
    set_team(factory_repo, ceo)
    base = commit_all(factory_repo, "team")
    set_team(factory_repo, {**ceo, "roles": ["builder"]})
    write_tree(factory_repo, {"src/app.py": "x\n"})
    commit_as(factory_repo, "ceo@example.com", "demote myself and code")
    code, found = _range(factory_repo, base)
    assert code == 1 and "R-core-ceo-never-writes-code" in [f["rule_id"] for f in found]


def test_the_founding_commit_passes_its_own_rules(repo: Path) -> None:
    assert fos(repo, "init").code == 0
    git(repo, "add", "-A")
    assert fos(repo, "check", "--staged").code == 0
    message = repo / ".git" / "MSG"
    message.write_text("found the factory\n")
    assert fos(repo, "check", "--message-file", str(message)).code == 0
    git(repo, "commit", "-q", "--no-verify", "-m", "found")
    result = fos(repo, "check", "--commit", "HEAD")
    assert result.code == 0, result.output
    # the team changes after founding need approval again
    set_team(repo, {"id": "x", "roles": ["builder"], "emails": ["x@example.com"]})
    commit_as(repo, "test@example.com", "add x")
    result = fos(repo, "check", "--commit", "HEAD", "--format", "json")
    assert rule_ids(result.out) == ["R-core-team-changes-need-approval", "fos:governed-change"]


def test_the_cache_keeps_few_commit_snapshots(factory_repo: Path) -> None:
    cache = factory_repo / ".git" / "factory-os" / "compiled.marshal"
    for n in range(12):
        write_tree(factory_repo, {f"n{n}.txt": "x\n"})
        git(factory_repo, "add", "-A")
        assert fos(factory_repo, "check", "--staged").code == 0
        commit_all(factory_repo, f"c{n}")
    trees = [k for k in marshal.loads(cache.read_bytes())["entries"] if k.startswith("tree:")]
    assert len(trees) == 8
    head = git(factory_repo, "rev-parse", "HEAD~1")
    assert trees[-1].startswith(f"tree:{head}")


def test_bad_documents_are_findings_at_their_line(factory_repo: Path) -> None:
    team = factory_repo / ".factory" / "team.yaml"
    team.write_text(
        "members:\n  - id: x\n    name: x\n    kind: robot\n    roles: [owner]\n"
        "    emails: [x@example.com]\n"
    )
    add_rule(factory_repo, "R-aaa009", {"kind": "path-guard"}, colour="red")
    git(factory_repo, "add", "-A")
    result = fos(factory_repo, "check", "--staged", "--format", "json")
    assert result.code == 1, result.output
    invalid = [
        (f["path"], f["line"])
        for f in findings(result.out)
        if f["rule_id"] == "fos:invalid-document"
    ]
    rule_lines = [line for path, line in invalid if path == ".factory/rules/R-aaa009.yaml"]
    assert rule_lines and all(rule_lines)  # the unknown key, at its line
    # team.yaml changed in the staged change: the base's team still decides,
    # and the broken new version is reported
    assert any(path == ".factory/team.yaml" and line == 4 for path, line in invalid)


def test_binary_and_non_utf8_files_do_not_break_the_check(factory_repo: Path) -> None:
    add_rule(factory_repo, "R-aaa010", {"kind": "forbidden-pattern", "pattern": "SECRET"})
    commit_all(factory_repo, "rule")
    write_tree(factory_repo, {"blob.bin": b"\0\1SECRET\xff", "latin.txt": b"caf\xe9 SECRET\n"})
    git(factory_repo, "add", "-A")
    result = fos(factory_repo, "check", "--staged", "--format", "json")
    # a secret in a binary file is still a secret
    assert [(f["path"], f["line"]) for f in findings(result.out)] == [
        ("blob.bin", 1),
        ("latin.txt", 1),
    ]
    assert fos(factory_repo, "check", "--all").code == 1


CEO = {"id": "ceo", "roles": ["owner", "ceo"], "emails": ["ceo@example.com"]}


def test_a_new_file_reusing_a_rule_id_cannot_retire_that_rule(
    factory_repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    set_team(factory_repo, CEO)
    base = commit_all(factory_repo, "team")
    retire = {
        "id": "R-core-ceo-never-writes-code",
        "title": "gone",
        "statement": "Nothing.",
        "origin": "INC-abc123",
        "status": "retired",
        "created_at": "2026-01-01T00:00:00Z",
        "created_by": "ceo",
        "check": {"kind": "manual"},
    }
    write_tree(
        factory_repo,
        {".factory/rules/R-zz-retire.yaml": json.dumps(retire), "src/app.py": "x = 1\n"},
    )
    git(factory_repo, "add", "-A")
    monkeypatch.setenv("GIT_AUTHOR_EMAIL", "ceo@example.com")
    staged = fos(factory_repo, "check", "--staged", "--format", "json")
    commit_as(factory_repo, "ceo@example.com", "retire by the back door")
    code, found = _range(factory_repo, base)
    for result_code, result in ((staged.code, findings(staged.out)), (code, found)):
        assert result_code == 1
        where = {(f["rule_id"], f["path"]) for f in result}
        assert ("R-core-ceo-never-writes-code", "src/app.py") in where
        assert ("fos:rules-in-force", ".factory/rules/R-zz-retire.yaml") in where


def test_a_rule_file_whose_id_is_not_its_name_is_a_finding(factory_repo: Path) -> None:
    path = add_rule(factory_repo, "R-aaa011", {"kind": "manual"})
    path.rename(path.with_name("R-aaa012.yaml"))
    git(factory_repo, "add", "-A")
    result = fos(factory_repo, "check", "--staged", "--format", "json")
    assert result.code == 1
    [finding] = findings(result.out)
    assert finding["path"] == ".factory/rules/R-aaa012.yaml"
    assert "declares the id R-aaa011" in finding["message"]


def test_a_base_that_moved_on_after_the_fork(factory_repo: Path) -> None:
    """action.yml passes the pull request's base sha: main may have gained commits,
    among them a rule the merge will put the feature under."""
    fork = git(factory_repo, "rev-parse", "HEAD")
    git(factory_repo, "checkout", "-q", "-b", "feature")
    write_tree(factory_repo, {"a.txt": "feature work, TODO\n"})
    commit_as(factory_repo, "test@example.com", "feature")
    git(factory_repo, "checkout", "-q", "main")
    add_rule(factory_repo, "R-aaa013", NO_TODO)
    write_tree(factory_repo, {"b.txt": "main's own work\n"})
    main = commit_all(factory_repo, "a new rule on main")
    result = fos(factory_repo, "check", "--range", f"{main}..feature", "--format", "json")
    assert result.code == 1, result.out
    # the feature answers for its own work only: main's rule is not one it deleted
    assert [(f["rule_id"], f["path"]) for f in findings(result.out)] == [("R-aaa013", "a.txt")]
    assert fos(factory_repo, "check", "--range", f"{fork}..feature").code == 0


def test_a_deleted_rule_file_is_charged_to_its_commit_and_member(factory_repo: Path) -> None:
    rule = add_rule(factory_repo, "R-aaa014", {"kind": "manual"})
    base = commit_all(factory_repo, "rule")
    rule.unlink()
    sha = commit_as(factory_repo, "test@example.com", "drop the rule")
    write_tree(factory_repo, {"a.txt": "x\n"})
    commit_as(factory_repo, "test@example.com", "later")
    code, found = _range(factory_repo, base)
    assert code == 1
    [deleted] = [f for f in found if str(f["message"]).startswith("rule file")]
    assert (deleted["commit"], deleted["member"]) == (sha, "test")


def test_an_invalid_pattern_is_reported_once_without_noise(
    factory_repo: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    add_rule(factory_repo, "R-aaa015", {"kind": "forbidden-pattern", "pattern": "a("})
    add_rule(factory_repo, "R-aaa016", {"kind": "required-trailer", "key": "T", "pattern": "b("})
    git(factory_repo, "add", "-A")
    capfd.readouterr()
    result = fos(factory_repo, "check", "--staged", "--format", "json")
    assert result.code == 1
    invalid = [f for f in findings(result.out) if f["rule_id"] == "fos:invalid-document"]
    assert {f["path"] for f in invalid} == {
        ".factory/rules/R-aaa015.yaml",
        ".factory/rules/R-aaa016.yaml",
    }
    assert all("not a valid RE2 pattern: missing )" in str(f["message"]) for f in invalid)
    assert "re2.cc" not in capfd.readouterr().err
