"""`fos check` validates the names it relies on: a role that does not exist binds no one."""

from __future__ import annotations

from pathlib import Path

from tests.checks_helpers import add_rule, commit_as, findings
from tests.governance import TEAM, act_as
from tests.helpers import commit_all, fos, fos_process, git, write_tree


def _invalid(out: str) -> list[tuple[str, int, str]]:
    return [
        (f["path"], f["line"], f["message"])
        for f in findings(out)
        if f["rule_id"] == "fos:invalid-document"
    ]


def _branch(repo: Path) -> str:
    base = git(repo, "rev-parse", "HEAD")
    git(repo, "checkout", "-q", "-b", "feature")
    return base


def test_a_role_typo_in_team_yaml_blocks_the_pull_request(team_repo: Path) -> None:
    base = _branch(team_repo)
    write_tree(
        team_repo, {".factory/team.yaml": TEAM.replace("roles: [builder]", "roles: [bulder]", 1)}
    )
    commit_as(team_repo, "ana@example.com", "forge joins as a builder")
    result = fos(team_repo, "check", "--range", f"{base}..HEAD", "--format", "json")
    assert result.code == 1, result.output
    assert _invalid(result.out) == [
        (
            ".factory/team.yaml",
            4,
            "invalid document: member 'forge' has role 'bulder', which roles.yaml does not define",
        )
    ]


def test_the_role_typo_is_caught_before_the_commit(team_repo: Path) -> None:
    write_tree(
        team_repo, {".factory/team.yaml": TEAM.replace("roles: [builder]", "roles: [bulder]", 1)}
    )
    git(team_repo, "add", "-A")
    act_as(team_repo, "ana")
    result = fos(team_repo, "check", "--staged")
    assert result.code == 1
    assert ".factory/team.yaml:4: block: invalid document: member 'forge' has role 'bulder'" in (
        result.out
    )


def test_a_rule_scoped_to_no_role_that_exists_is_blocking(team_repo: Path) -> None:
    base = _branch(team_repo)
    add_rule(
        team_repo,
        "R-bad001",
        {"kind": "path-guard"},
        scope={"roles": ["bulder"], "paths": ["deploy/**"]},
    )
    commit_as(team_repo, "ana@example.com", "builders never deploy")
    result = fos(team_repo, "check", "--range", f"{base}..HEAD", "--format", "json")
    assert result.code == 1
    [(path, line, message)] = _invalid(result.out)
    assert path == ".factory/rules/R-bad001.yaml" and line is not None
    assert message == "invalid document: role 'bulder' is not defined in roles.yaml"


def test_removing_a_role_that_the_team_still_holds_is_blocking(team_repo: Path) -> None:
    base = _branch(team_repo)
    roles = (team_repo / ".factory" / "roles.yaml").read_text()
    start = roles.index("  safety-lead:")
    end = roles.index("  sponsor:")
    write_tree(team_repo, {".factory/roles.yaml": roles[:start] + roles[end:]})
    commit_as(team_repo, "ana@example.com", "no more safety leads")
    result = fos(team_repo, "check", "--range", f"{base}..HEAD", "--format", "json")
    assert result.code == 1
    messages = {(p, m) for p, _line, m in _invalid(result.out)}
    assert (
        ".factory/team.yaml",
        "invalid document: member 'ben' has role 'safety-lead', which roles.yaml does not define",
    ) in messages
    assert (
        ".factory/raci.yaml",
        "invalid document: role 'safety-lead' is not defined in roles.yaml",
    ) in messages


def test_every_mode_reports_it_and_a_fix_clears_it(team_repo: Path) -> None:
    write_tree(
        team_repo, {".factory/team.yaml": TEAM.replace("roles: [builder]", "roles: [bulder]", 1)}
    )
    broken = commit_as(team_repo, "ana@example.com", "typo")
    for args in (["--commit", broken], ["--all"]):
        result = fos(team_repo, "check", *args, "--format", "json")
        assert result.code == 1, args
        assert [p for p, _l, _m in _invalid(result.out)] == [".factory/team.yaml"], args
    write_tree(team_repo, {".factory/team.yaml": TEAM})
    fixed = commit_as(team_repo, "ana@example.com", "fix the typo")
    assert _invalid(fos(team_repo, "check", "--commit", fixed, "--format", "json").out) == []


def test_rule_add_refuses_an_unknown_role(team_repo: Path) -> None:
    act_as(team_repo, "ana")
    incident = fos(team_repo, "incident", "add", "--title", "leak", "--severity", "high")
    commit_all(team_repo, "incident")
    result = fos(
        team_repo,
        "rule", "add", "--title", "t", "--statement", "Do not.", "--kind", "path-guard",
        "--path", "deploy/**", "--role", "nosuchrole", "--from-incident", incident.out.strip(),
    )  # fmt: skip
    assert result.code == 3, result.output
    assert "role 'nosuchrole' is not defined in roles.yaml" in result.err
    assert not [
        p for p in (team_repo / ".factory" / "rules").glob("R-*.yaml") if "core" not in p.name
    ]


def test_a_rule_file_over_the_size_limit_is_refused_unread(factory_repo: Path) -> None:
    """Parsing this 6 MB list (400,000 YAML nodes) took minutes and more than a
    gigabyte; refused by its size alone, it costs nothing, which the address-space
    cap of the check's process holds it to."""
    base = git(factory_repo, "rev-parse", "HEAD")
    rule = add_rule(factory_repo, "R-abc999", {"kind": "manual"}, scope={"paths": ["p/"]})
    text = rule.read_text().replace('"p/"', "\n" + "".join(f"  p{n}/,\n" for n in range(400_000)))
    rule.write_text(text)
    assert rule.stat().st_size > 4 * 1024 * 1024
    commit_all(factory_repo, "a huge rule")
    result = fos_process(factory_repo, "check", "--range", f"{base}..HEAD", memory=256 << 20)
    assert result.code == 1, result.output
    assert (
        ".factory/rules/R-abc999.yaml: block: invalid document: file is larger than 1024 KiB"
    ) in result.out
