from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

import factory_os
from factory_os.rules.builtin import BUILTIN
from tests.checks_helpers import add_rule, commit_as, set_team
from tests.helpers import commit_all, fos, git, write_tree


@pytest.fixture
def broken(factory_repo: Path) -> tuple[Path, str]:
    """A range with one blocking finding (a secret at line 2) and one warning."""
    add_rule(
        factory_repo,
        "R-aaa100",
        {"kind": "forbidden-pattern", "pattern": "SECRET"},
        scope={"paths": ["*.txt"]},
    )
    add_rule(
        factory_repo, "R-aaa101", {"kind": "required-trailer", "key": "Ticket"}, severity="warn"
    )
    base = commit_all(factory_repo, "rules")
    write_tree(factory_repo, {"a.txt": "ok\nSECRET, here: 100%\n"})
    commit_as(factory_repo, "test@example.com", "leak")
    return factory_repo, base


def test_text_output_and_exit_code(broken: tuple[Path, str]) -> None:
    repo, base = broken
    result = fos(repo, "check", "--range", f"{base}..HEAD")
    assert result.code == 1
    lines = result.out.splitlines()
    assert lines[0].startswith("a.txt:2: block: added line matches the forbidden pattern SECRET")
    assert lines[1].startswith("warn: the commit message has no Ticket: trailer")
    assert lines[-1] == "2 findings (1 blocking) at ci"


def test_json_output_is_a_stable_object(broken: tuple[Path, str]) -> None:
    repo, base = broken
    data = json.loads(fos(repo, "check", "--range", f"{base}..HEAD", "--format", "json").out)
    assert set(data) == {"ok", "stage", "changes", "rules", "blocking", "findings"}
    assert (data["ok"], data["stage"], data["changes"], data["blocking"]) == (False, "ci", 1, 1)
    assert set(data["findings"][0]) == {
        "rule_id",
        "severity",
        "message",
        "path",
        "line",
        "commit",
        "member",
        "overridden",
    }
    assert data["findings"][0]["member"] == "test"


def test_sarif_output(broken: tuple[Path, str]) -> None:
    repo, base = broken
    sarif = json.loads(fos(repo, "check", "--range", f"{base}..HEAD", "--format", "sarif").out)
    assert sarif["version"] == "2.1.0"
    [run] = sarif["runs"]
    assert [r["id"] for r in run["tool"]["driver"]["rules"]] == ["R-aaa100", "R-aaa101"]
    error, warning = run["results"]
    assert error["level"] == "error" and warning["level"] == "warning"
    location = error["locations"][0]["physicalLocation"]
    assert location == {
        "artifactLocation": {"uri": "a.txt", "uriBaseId": "%SRCROOT%"},
        "region": {"startLine": 2},
    }


def test_sarif_rules_and_results_carry_title_statement_and_location(
    broken: tuple[Path, str],
) -> None:
    repo, base = broken
    write_tree(repo, {"b.txt": "by a stranger\n"})
    commit_as(repo, "stranger@example.org", "who is this")
    result = fos(repo, "check", "--range", f"{base}..HEAD", "--format", "sarif")
    sarif = json.loads(result.out)
    assert_sarif_shape(sarif)
    [run] = sarif["runs"]
    rules = {r["id"]: r for r in run["tool"]["driver"]["rules"]}
    assert rules["R-aaa100"]["shortDescription"] == {"text": "rule R-aaa100"}
    assert rules["R-aaa100"]["fullDescription"] == {"text": "Obey R-aaa100."}
    assert rules["fos:identity"]["shortDescription"]["text"] == "Commits are made by members"
    results = {r["ruleId"]: r for r in run["results"]}
    assert results["R-aaa100"]["message"]["text"].endswith(
        "R-aaa100 (rule R-aaa100): Obey R-aaa100."
    )
    # a commit without a trailer concerns no file: it points at the rule that asks for one
    [trailer] = results["R-aaa101"]["locations"]
    uri = trailer["physicalLocation"]["artifactLocation"]["uri"]
    assert uri == ".factory/rules/R-aaa101.yaml"
    # a built-in check has no file: the repository as a whole
    [stranger] = results["fos:identity"]["locations"]
    assert stranger["physicalLocation"]["artifactLocation"]["uri"] == "./"
    assert "Commits are made by members" in results["fos:identity"]["message"]["text"]


def assert_sarif_shape(log: dict[str, Any]) -> None:
    """The properties SARIF 2.1.0 requires, and the ones code scanning needs to show a result."""
    assert log["version"] == "2.1.0" and isinstance(log["runs"], list)
    for run in log["runs"]:
        driver = run["tool"]["driver"]
        assert isinstance(driver["name"], str)
        ids = [rule["id"] for rule in driver["rules"]]
        for rule in driver["rules"]:
            assert rule["shortDescription"]["text"] and rule["fullDescription"]["text"]
        for result in run["results"]:
            assert result["message"]["text"]
            assert result["level"] in ("none", "note", "warning", "error")
            assert ids[result["ruleIndex"]] == result["ruleId"]
            assert result["locations"], result
            for location in result["locations"]:
                artifact = location["physicalLocation"]["artifactLocation"]
                assert artifact["uri"] and artifact["uriBaseId"] == "%SRCROOT%"
                assert location["physicalLocation"].get("region", {}).get("startLine", 1) >= 1


def test_every_built_in_check_is_described() -> None:
    package = Path(factory_os.__file__).parent
    ids = {
        found
        for source in package.rglob("*.py")
        for found in re.findall(r"\"(fos:[a-z-]+)\"", source.read_text(encoding="utf-8"))
    }
    assert "fos:identity" in ids
    assert sorted(ids - set(BUILTIN)) == []


def test_sarif_uris_are_percent_encoded(broken: tuple[Path, str]) -> None:
    repo, base = broken
    write_tree(repo, {"my notes#1%.txt": "SECRET\n", "caf\u00e9.txt": "SECRET\n"})
    commit_as(repo, "test@example.com", "more")
    sarif = json.loads(fos(repo, "check", "--range", f"{base}..HEAD", "--format", "sarif").out)
    uris = {
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        for r in sarif["runs"][0]["results"]
        if r["ruleId"] == "R-aaa100"
    }
    assert uris == {"a.txt", "my%20notes%231%25.txt", "caf%C3%A9.txt"}


def test_github_workflow_commands(broken: tuple[Path, str]) -> None:
    repo, base = broken
    out = fos(repo, "check", "--range", f"{base}..HEAD", "--format", "github").out
    first, second = out.splitlines()
    assert first.startswith("::error file=a.txt,line=2,title=R-aaa100::added line matches")
    assert second.startswith("::warning title=R-aaa101::")


def test_commit_checks_one_commit_against_its_parent(broken: tuple[Path, str]) -> None:
    repo, _ = broken
    assert fos(repo, "check", "--commit", "HEAD").code == 1
    assert fos(repo, "check", "--commit", "HEAD~1").code == 0  # adds the rules only


def test_a_clean_staged_change_prints_one_summary_line(factory_repo: Path) -> None:
    write_tree(factory_repo, {"a.txt": "x\n", "b.txt": "y\n"})
    git(factory_repo, "add", "a.txt", "b.txt")
    rules = json.loads(fos(factory_repo, "check", "--format", "json").out)["rules"]
    result = fos(factory_repo, "check")
    assert result.code == 0
    assert result.out == f"ok at pre-commit: 0 commits, 2 files, {rules} rules, no findings\n"
    git(factory_repo, "commit", "-q", "--no-verify", "-m", "two files")
    assert fos(factory_repo, "check").out == "ok at pre-commit: nothing to check\n"


def test_a_passing_range_counts_commits_files_rules_and_findings(
    broken: tuple[Path, str],
) -> None:
    repo, _ = broken
    write_tree(repo, {"a.txt": "fine\n", "c.txt": "fine\n"})
    commit_as(repo, "test@example.com", "clean up")
    write_tree(repo, {"d.txt": "fine\n"})
    commit_as(repo, "test@example.com", "one more")
    result = fos(repo, "check", "--range", "HEAD~2..HEAD")
    assert result.code == 0, result.output
    *warnings, summary = result.out.splitlines()
    assert len(warnings) == 2 and all("Ticket" in w for w in warnings)
    data = json.loads(fos(repo, "check", "--range", "HEAD~2..HEAD", "--format", "json").out)
    assert summary == f"ok at ci: 2 commits, 3 files, {data['rules']} rules, 2 findings"
    # the other formats are the documents they were; the git hooks stay quiet
    assert "ok at" not in fos(repo, "check", "--range", "HEAD~2..HEAD", "--format", "github").out


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--staged", "--all"], "give one of"),
        (["--stage", "ci"], "--stage goes with --commit or --range"),
    ],
)
def test_usage_errors_exit_2(factory_repo: Path, args: list[str], needle: str) -> None:
    result = fos(factory_repo, "check", *args)
    assert result.code == 2 and needle in result.err, result.output


def test_outside_a_factory_or_repository_exits_4(tmp_path: Path, repo: Path) -> None:
    result = fos(repo, "check")
    assert result.code == 4 and "run `fos init`" in result.err
    assert fos(tmp_path, "check").code == 4


def test_help_explains_the_modes(factory_repo: Path) -> None:
    result = fos(factory_repo, "check", "--help")
    assert result.code == 0
    assert "founding change" in result.out and "--message-file" in result.out


def test_a_commit_by_a_member_of_a_subdirectory_factory(tmp_path: Path, repo: Path) -> None:
    sub = repo / "team-a"
    sub.mkdir()
    assert fos(repo, "init").code == 0
    (repo / ".factory").rename(sub / ".factory")
    set_team(sub, {"id": "ceo", "roles": ["ceo"], "emails": ["ceo@example.com"]})
    base = commit_all(repo, "factory in a subdirectory")
    write_tree(repo, {"team-a/src/x.py": "x\n", "elsewhere/y.py": "y\n"})
    commit_as(repo, "ceo@example.com")
    result = fos(sub, "check", "--range", f"{base}..HEAD", "--format", "json")
    assert [f["path"] for f in json.loads(result.out)["findings"]] == ["src/x.py"]


def test_sarif_and_annotations_name_paths_from_the_repository_root(repo: Path) -> None:
    """Code scanning resolves a SARIF location against the checkout (%SRCROOT%), and a
    workflow annotation's file too: a factory in a subdirectory names its paths from
    the repository's root there, while text and JSON keep the factory's."""
    sub = repo / "team-a"
    sub.mkdir()
    assert fos(repo, "init").code == 0
    (repo / ".factory").rename(sub / ".factory")
    set_team(sub, {"id": "ceo", "roles": ["ceo"], "emails": ["ceo@example.com"]})
    add_rule(sub, "R-aaa102", {"kind": "required-trailer", "key": "Ticket"}, severity="warn")
    base = commit_all(repo, "factory in a subdirectory")
    write_tree(repo, {"team-a/src/x.py": "x\n"})
    commit_as(repo, "ceo@example.com")
    result = fos(sub, "check", "--range", f"{base}..HEAD", "--format", "sarif")
    [run] = json.loads(result.out)["runs"]
    uris = {
        r["ruleId"]: r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        for r in run["results"]
    }
    assert uris == {
        "R-core-ceo-never-writes-code": "team-a/src/x.py",
        "R-aaa102": "team-a/.factory/rules/R-aaa102.yaml",
    }
    annotations = fos(sub, "check", "--range", f"{base}..HEAD", "--format", "github").out
    assert "file=team-a/src/x.py," in annotations
    data = json.loads(fos(sub, "check", "--range", f"{base}..HEAD", "--format", "json").out)
    assert "src/x.py" in [f["path"] for f in data["findings"]]


def test_a_retired_rule_no_longer_blocks_a_commit(factory_repo: Path) -> None:
    repo = factory_repo
    incident = fos(repo, "incident", "add", "--title", "leak", "--severity", "high").out.strip()
    rule_id = fos(
        repo,
        "rule",
        "add",
        "--title",
        "no secrets",
        "--statement",
        "Never commit a secret.",
        "--kind",
        "forbidden-pattern",
        "--pattern",
        "SECRET",
        "--from-incident",
        incident,
    ).out.strip()
    base = commit_all(repo, "the rule")
    write_tree(repo, {"a.txt": "SECRET\n"})
    git(repo, "add", "a.txt")
    assert fos(repo, "check", "--staged").code == 1  # compiled and cached: it blocks
    assert fos(repo, "rule", "retire", rule_id, "--reason", "vault in place").code == 0
    git(repo, "add", "-A")
    # the commit hook answers to HEAD's ledger, as a range to its base's: a retirement
    # counts once committed, so retiring and breaking a rule is not one commit
    assert fos(repo, "check", "--staged").code == 1
    commit_as(repo, "test@example.com", "retire it, then write the word")
    # a range answers to the ledger at its base: retiring in the range does not excuse it
    assert fos(repo, "check", "--range", f"{base}..HEAD").code == 1
    write_tree(repo, {"b.txt": "SECRET\n"})
    commit_as(repo, "test@example.com", "after the retirement")
    assert fos(repo, "check", "--range", "HEAD~1..HEAD").code == 0
