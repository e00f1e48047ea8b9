"""`fos check` honours the overrides in force, in every mode, with real git."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from factory_os import store
from factory_os.ledger import events
from tests.governance import act_as, add_rule, secret_rule
from tests.helpers import commit_all, fos, git, write_tree

GRANTED_AT = "2026-12-01T09:00:00Z"
EXPIRES = "2026-12-01T11:00:00Z"


@pytest.fixture
def ruled(team_repo: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, str]:
    """A factory with a blocking rule (no SECRET under src/), at 09:00."""
    monkeypatch.setenv("FOS_NOW", GRANTED_AT)
    return team_repo, secret_rule(team_repo)


def grant(repo: Path, member: str, rule: str, *scope: str) -> str:
    """MEMBER grants an override for two hours, and commits it."""
    act_as(repo, member)
    result = fos(repo, "override", "grant", "--rule", rule, *scope,
                 "--justification", "hotfix for the outage", "--ttl", "2h")  # fmt: skip
    assert result.code == 0, result.output
    commit_all(repo, "override")
    return result.out.split()[0]


def forge_grant(
    repo: Path,
    rule: str,
    granter: str = "ana",
    expires_at: str = EXPIRES,
    ident: str = "OVR-f0f0f0",
) -> str:
    """An override.granted line that says GRANTER granted it, written by hand (by
    whoever commits it)."""
    events.append(
        store.find_factory(repo),
        kind="override.granted",
        actor=granter,
        subject=rule,
        data={
            "id": ident,
            "rule": rule,
            "scope": "paths",
            "targets": ["src/**"],
            "justification": "trust me",
            "granted_by": granter,
            "ttl_seconds": 7200,
            "expires_at": expires_at,
        },
    )
    return ident


def stage_secret(repo: Path, member: str = "forge", path: str = "src/app.py") -> None:
    act_as(repo, member)
    write_tree(repo, {path: "SECRET = 1\n"})
    git(repo, "add", path)


def checked(repo: Path, *args: str) -> tuple[int, dict[str, object]]:
    result = fos(repo, "check", *args, "--format", "json")
    assert result.code in (0, 1), result.output
    report: dict[str, object] = json.loads(result.out)
    return result.code, report


def findings(report: dict[str, object], rule: str) -> list[dict[str, object]]:
    found = report["findings"]
    assert isinstance(found, list)
    return [f for f in found if f["rule_id"] == rule]


def test_a_staged_finding_is_overridden_until_the_override_expires(
    ruled: tuple[Path, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    repo, rule = ruled
    ident = grant(repo, "ana", rule, "--paths", "src/**")
    stage_secret(repo)
    monkeypatch.setenv("FOS_NOW", "2026-12-01T10:59:59Z")
    result = fos(repo, "check", "--staged")
    assert result.code == 0, result.output
    assert "block, overridden: " in result.out and f"({rule})" in result.out
    assert (
        f"overridden by {ident}, granted by ana until {EXPIRES}: hotfix for the outage"
        in result.out
    )
    assert "1 finding (1 overridden)" in result.out
    code, report = checked(repo, "--staged")
    [finding] = findings(report, rule)
    assert (code, report["ok"], report["blocking"]) == (0, True, 0)
    assert finding["severity"] == "block" and finding["overridden"] == {
        "id": ident,
        "granted_by": "ana",
        "justification": "hotfix for the outage",
        "expires_at": EXPIRES,
    }
    sarif = json.loads(fos(repo, "check", "--staged", "--format", "sarif").out)
    [result_] = [r for r in sarif["runs"][0]["results"] if r["ruleId"] == rule]
    assert result_["suppressions"] == [
        {
            "kind": "external",
            "status": "accepted",
            "justification": "hotfix for the outage",
            "properties": {"override": ident, "grantedBy": "ana", "expiresAt": EXPIRES},
        }
    ]
    github = fos(repo, "check", "--staged", "--format", "github").out
    assert "::notice file=src/app.py" in github and ident in github

    monkeypatch.setenv("FOS_NOW", EXPIRES)  # the moment it expires, it no longer lifts
    code, report = checked(repo, "--staged")
    [finding] = findings(report, rule)
    assert code == 1 and finding["overridden"] is None


def test_a_range_a_commit_and_the_whole_tree_honour_it_too(
    ruled: tuple[Path, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    repo, rule = ruled
    grant(repo, "ana", rule, "--paths", "src/**")
    base = git(repo, "rev-parse", "HEAD")
    stage_secret(repo)
    head = commit_all(repo, "forge ships the fix")
    for args in (["--range", f"{base}..{head}"], ["--commit", head], ["--all"]):
        code, report = checked(repo, *args)
        assert code == 0, (args, report)
        [finding] = findings(report, rule)
        assert finding["overridden"] is not None
    monkeypatch.setenv("FOS_NOW", "2026-12-01T11:00:01Z")
    for args in (["--range", f"{base}..{head}"], ["--commit", head], ["--all"]):
        assert checked(repo, *args)[0] == 1, args


def test_an_override_never_lifts_its_granters_own_change(ruled: tuple[Path, str]) -> None:
    repo, rule = ruled
    ident = grant(repo, "ana", rule, "--paths", "src/**")
    stage_secret(repo, "ana")
    code, report = checked(repo, "--staged")
    assert code == 1
    [note] = findings(report, "fos:override-ignored")
    assert f"{ident} does not apply: ana granted it and the change is theirs" in str(
        note["message"]
    )


def test_an_override_of_another_path_another_rule_or_revoked_changes_nothing(
    ruled: tuple[Path, str],
) -> None:
    repo, rule = ruled
    other = add_rule(repo, "--kind", "forbidden-pattern", "--pattern", "TOKEN", "--path", "src/**")
    grant(repo, "ana", rule, "--paths", "docs/**")
    grant(repo, "ana", other, "--paths", "src/**")
    revoked = grant(repo, "ana", rule, "--paths", "src/app.py")
    assert fos(repo, "override", "revoke", revoked).code == 0
    commit_all(repo, "revoked")
    stage_secret(repo)
    code, report = checked(repo, "--staged")
    [finding] = findings(report, rule)
    assert code == 1 and finding["overridden"] is None
    assert findings(report, "fos:override-ignored") == []


def test_a_forged_override_in_a_pull_request_is_ignored_and_reported(
    ruled: tuple[Path, str],
) -> None:
    repo, rule = ruled
    base = git(repo, "rev-parse", "HEAD")
    act_as(repo, "forge")
    forged = forge_grant(repo, rule)
    write_tree(repo, {"src/app.py": "SECRET = 1\n"})
    head = commit_all(repo, "forge lifts the rule for itself")
    code, report = checked(repo, "--range", f"{base}..{head}")
    assert code == 1
    assert findings(report, rule)[0]["overridden"] is None
    [note] = findings(report, "fos:override-ignored")
    assert note["commit"] == head and note["severity"] == "warn"
    assert f"{forged} is ignored: the commit that adds it is by forge, not by ana" in str(
        note["message"]
    )
    # the same line staged: ignored by the pre-commit check too
    git(repo, "reset", "-q", "--soft", base)
    code, report = checked(repo, "--staged")
    assert code == 1
    [note] = findings(report, "fos:override-ignored")
    assert "the staged change adding it is by forge" in str(note["message"])
    (repo / "MSG").write_text("fix\n")  # said once: the commit-msg stage does not repeat it
    code, report = checked(repo, "--message-file", str(repo / "MSG"))
    assert findings(report, "fos:override-ignored") == []


@pytest.mark.parametrize("author", ["forge", "ana"])
def test_an_override_its_granter_adds_in_the_pull_request_counts_for_others_only(
    ruled: tuple[Path, str], author: str
) -> None:
    repo, rule = ruled
    base = git(repo, "rev-parse", "HEAD")
    ident = grant(repo, "ana", rule, "--paths", "src/**")
    stage_secret(repo, author)
    head = commit_all(repo, f"{author} ships the fix")
    code, report = checked(repo, "--range", f"{base}..{head}")
    [finding] = findings(report, rule)
    ignored = findings(report, "fos:override-ignored")
    if author == "forge":
        assert code == 0, report
        assert isinstance(finding["overridden"], dict) and finding["overridden"]["id"] == ident
        assert ignored == []
    else:  # the granter's own change: not lifted, and said why
        assert code == 1 and finding["overridden"] is None
        [note] = ignored
        assert f"{ident} does not apply: ana granted it" in str(note["message"])


def test_an_override_in_the_work_tree_alone_is_not_applied(ruled: tuple[Path, str]) -> None:
    repo, rule = ruled
    act_as(repo, "ana")
    result = fos(repo, "override", "grant", "--rule", rule, "--paths", "src/**",
                 "--justification", "hotfix", "--ttl", "2h")  # fmt: skip
    assert result.code == 0, result.output
    stage_secret(repo)  # the ledger line is neither committed nor staged
    code, report = checked(repo, "--staged")
    assert code == 1
    [note] = findings(report, "fos:override-ignored")
    assert "in the work tree's ledger only" in str(note["message"])


def test_a_commit_scoped_override_covers_that_commit_only(ruled: tuple[Path, str]) -> None:
    repo, rule = ruled
    base = git(repo, "rev-parse", "HEAD")
    stage_secret(repo)
    first = commit_all(repo, "forge's first")
    stage_secret(repo, path="src/other.py")
    second = commit_all(repo, "forge's second")
    grant(repo, "ana", rule, "--commit", first)
    head = git(repo, "rev-parse", "HEAD")
    code, report = checked(repo, "--range", f"{base}..{head}")
    assert code == 1
    lifted = {f["commit"]: f["overridden"] is not None for f in findings(report, rule)}
    assert lifted == {first: True, second: False}


def test_the_help_says_what_a_clock_skew_does(repo: Path) -> None:
    text = " ".join(fos(repo, "check", "--help").out.split())
    assert "FOS_NOW (ISO 8601)" in text
    assert "A clock that runs behind keeps an override in force past its expiry" in text


def test_a_run_scoped_override_covers_a_check_made_in_its_run(
    ruled: tuple[Path, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    repo, rule = ruled
    act_as(repo, "ana")
    events.append(
        store.find_factory(repo),
        kind="override.granted",
        actor="ana",
        subject=rule,
        data={"id": "OVR-0r0r0r", "rule": rule, "scope": "run", "targets": ["run_0a1b2c3d"],
              "justification": "the run's hotfix", "granted_by": "ana", "ttl_seconds": 7200,
              "expires_at": EXPIRES},
    )  # fmt: skip
    commit_all(repo, "ana grants an override for the run")
    stage_secret(repo)
    assert checked(repo, "--staged")[0] == 1  # no run named: not covered
    monkeypatch.setenv("FOS_RUN", "run_0a1b2c3d")
    code, report = checked(repo, "--staged")
    [finding] = findings(report, rule)
    assert code == 0 and isinstance(finding["overridden"], dict)
    monkeypatch.setenv("FOS_RUN", "run_ffffffff")
    assert checked(repo, "--staged")[0] == 1


@pytest.mark.parametrize(
    ("granter", "expires_at", "why"),
    [
        ("lens", EXPIRES, "lens may not override"),  # a reviewer: no governance role
        ("ana", "2026-12-10T09:00:00Z", "past the longest an override may last"),
    ],
)
def test_a_grant_its_granter_could_not_have_given_is_ignored(
    ruled: tuple[Path, str], granter: str, expires_at: str, why: str
) -> None:
    repo, rule = ruled
    base = git(repo, "rev-parse", "HEAD")
    act_as(repo, granter)
    ident = forge_grant(repo, rule, granter, expires_at, ident="OVR-0b0b0b")
    commit_all(repo, f"{granter} writes a grant by hand")
    stage_secret(repo)
    head = commit_all(repo, "forge ships the fix")
    code, report = checked(repo, "--range", f"{base}..{head}")
    assert code == 1 and findings(report, rule)[0]["overridden"] is None
    [note] = findings(report, "fos:override-ignored")
    assert f"{ident} is ignored: " in str(note["message"]) and why in str(note["message"])


def _git_commands(repo: Path, monkeypatch: pytest.MonkeyPatch, *args: str) -> list[str]:
    """The git commands `fos check ARGS` runs (GIT_TRACE), as their first two words, in
    order of their names (some run at the same time)."""
    trace = repo.parent / "git-trace"
    trace.unlink(missing_ok=True)
    with monkeypatch.context() as env:
        env.setenv("GIT_TRACE", str(trace))
        fos(repo, "check", *args)
    lines = trace.read_text().splitlines() if trace.exists() else []
    return sorted(
        " ".join(line.split("built-in: git ")[1].split()[:2])
        for line in lines
        if "built-in: git " in line
    )


def test_honouring_an_override_runs_no_git_process_once_the_ledger_was_replayed(
    ruled: tuple[Path, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    repo, rule = ruled
    stage_secret(repo)
    fos(repo, "check", "--staged")
    blocked = _git_commands(repo, monkeypatch, "--staged")  # nothing in the work tree alone
    git(repo, "reset", "-q", "--hard")
    grant(repo, "ana", rule, "--paths", "src/**")
    stage_secret(repo)
    assert fos(repo, "check", "--staged").code == 0  # the index's ledger replayed, and kept
    lifted = _git_commands(repo, monkeypatch, "--staged")
    assert fos(repo, "check", "--staged").code == 0
    assert lifted == blocked, (lifted, blocked)
    assert not [c for c in lifted if c.startswith(("ls-files", "diff ", "cat-file"))], lifted


def test_a_warning_is_not_lifted(ruled: tuple[Path, str]) -> None:
    repo, _rule = ruled
    rule = add_rule(repo, "--kind", "forbidden-pattern", "--pattern", "TOKEN", "--path",
                    "src/**", "--severity", "warn")  # fmt: skip
    grant(repo, "ana", rule, "--paths", "src/**")
    act_as(repo, "forge")
    write_tree(repo, {"src/app.py": "TOKEN = 1\n"})
    git(repo, "add", "-A")
    code, report = checked(repo, "--staged")
    [finding] = findings(report, rule)
    assert code == 0 and finding["severity"] == "warn" and finding["overridden"] is None


def test_a_range_check_parses_its_bases_ledger_once(
    ruled: tuple[Path, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    repo, rule = ruled
    ident = grant(repo, "ana", rule, "--paths", "src/**")
    base = git(repo, "rev-parse", "HEAD")
    stage_secret(repo)
    head = commit_all(repo, "forge ships the fix")
    code, report = checked(repo, "--range", f"{base}..{head}")
    assert code == 0 and findings(report, rule)[0]["overridden"]["id"] == ident  # type: ignore[index]
    again = _git_commands(repo, monkeypatch, "--range", f"{base}..{head}")
    assert not [c for c in again if c.startswith(("grep", "cat-file"))], again
    code, report = checked(repo, "--range", f"{base}..{head}")
    assert code == 0
