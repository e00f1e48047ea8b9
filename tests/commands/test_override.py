from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.governance import act_as, secret_rule
from tests.helpers import commit_all, fos, write_tree


@pytest.fixture
def ruled(team_repo: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, str]:
    monkeypatch.setenv("FOS_NOW", "2026-12-01T09:00:00Z")
    return team_repo, secret_rule(team_repo)


def listed(repo: Path, *args: str) -> list[dict[str, object]]:
    result = fos(repo, "override", "list", "--format", "json", *args)
    assert result.code == 0, result.output
    rows: list[dict[str, object]] = json.loads(result.out)["overrides"]
    return rows


def grant(repo: Path, rule: str, *scope: str, ttl: str = "2h") -> tuple[int, str]:
    result = fos(
        repo, "override", "grant", "--rule", rule, *scope, "--justification", "hotfix", "--ttl", ttl
    )
    return result.code, result.output


def test_an_override_lasts_its_ttl_and_then_expires(
    ruled: tuple[Path, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    repo, rule = ruled
    act_as(repo, "ana")
    code, out = grant(repo, rule, "--paths", "src/**")
    assert code == 0, out
    assert "(expires 2026-12-01T11:00:00Z)" in out
    [row] = listed(repo, "--active")
    assert (row["rule"], row["scope"], row["targets"], row["granted_by"]) == (
        rule,
        "paths",
        ["src/**"],
        "ana",
    )
    monkeypatch.setenv("FOS_NOW", "2026-12-01T10:59:59Z")
    assert len(listed(repo, "--active")) == 1
    monkeypatch.setenv("FOS_NOW", "2026-12-01T11:00:00Z")
    assert listed(repo, "--active") == []
    assert [r["status"] for r in listed(repo)] == ["expired"]


def test_no_override_outlasts_the_governance_ttl(ruled: tuple[Path, str]) -> None:
    repo, rule = ruled
    act_as(repo, "ana")
    code, out = grant(repo, rule, "--paths", "src/**", ttl="25h")
    assert code == 2 and "longer than governance.override_ttl_seconds (86400s)" in out
    code, out = grant(repo, rule, "--paths", "src/**", ttl="24h")
    assert code == 0, out


def test_only_an_approver_for_the_rule_grants_one(ruled: tuple[Path, str]) -> None:
    repo, rule = ruled
    act_as(repo, "lens")  # reviewer: no governance role
    code, out = grant(repo, rule, "--paths", "src/**")
    assert code == 1 and "lens may not override" in out
    act_as(repo, "stranger")
    code, out = grant(repo, rule, "--paths", "src/**")
    assert code == 1 and "not a member" in out
    assert listed(repo) == []


def test_the_author_of_the_change_may_not_unblock_it(ruled: tuple[Path, str]) -> None:
    repo, rule = ruled
    act_as(repo, "ana")
    write_tree(repo, {"src/a.py": "SECRET = 1\n"})
    own = commit_all(repo, "ana's change")
    code, out = grant(repo, rule, "--commit", own)
    assert code == 1 and "ana may not grant an override that unblocks their own change" in out
    act_as(repo, "forge")
    write_tree(repo, {"src/b.py": "SECRET = 2\n"})
    theirs = commit_all(repo, "forge's change")
    act_as(repo, "ana")
    code, out = grant(repo, rule, "--range", f"{own}~1..{theirs}")  # holds ana's commit too
    assert code == 1 and "unblocks their own change" in out
    code, out = grant(repo, rule, "--commit", theirs)
    assert code == 0, out
    [row] = listed(repo)
    assert (row["scope"], row["targets"]) == ("commit", [theirs])


def test_a_revoked_override_is_no_longer_active(ruled: tuple[Path, str]) -> None:
    repo, rule = ruled
    act_as(repo, "ana")
    _code, out = grant(repo, rule, "--paths", "src/**")
    override_id = out.split()[0]
    act_as(repo, "forge")
    refused = fos(repo, "override", "revoke", override_id)
    assert refused.code == 1 and "may not revoke" in refused.err
    act_as(repo, "ana")
    assert fos(repo, "override", "revoke", override_id).code == 0
    assert listed(repo, "--active") == []
    assert [(r["status"], r["revoked_by"]) for r in listed(repo)] == [("revoked", "ana")]


def test_one_scope_is_required(ruled: tuple[Path, str]) -> None:
    repo, rule = ruled
    act_as(repo, "ana")
    code, out = grant(repo, rule)
    assert code == 2 and "give one scope" in out
    code, out = grant(repo, rule, "--paths", "src/**", "--run", "run_0a1b2c3d")
    assert code == 2 and "give one scope" in out


@pytest.mark.parametrize(
    ("scope", "says"),
    [
        (("--paths", ""), "give at least one glob"),
        (("--paths", "  "), "give at least one glob"),
        (("--paths", "src/[a"), "invalid glob"),
        (("--run", "run_0a1b2c3d"), "no such run was started"),
    ],
)
def test_a_scope_that_covers_nothing_is_refused(
    ruled: tuple[Path, str], scope: tuple[str, ...], says: str
) -> None:
    repo, rule = ruled
    act_as(repo, "ana")
    code, out = grant(repo, rule, *scope)
    assert code == 2 and says in out, out
    assert listed(repo) == []
