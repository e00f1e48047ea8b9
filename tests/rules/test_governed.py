"""Governed changes over real pull-request ranges: ending a rule or changing the team
needs an approval that proves who gave it, and every ledger entry names its committer."""

from __future__ import annotations

import re
from pathlib import Path

from tests.checks_helpers import commit_as, findings
from tests.governance import act_as, secret_rule
from tests.helpers import Result, commit_all, fos, git, write_tree


def check(repo: Path, base: str, head: str = "HEAD") -> Result:
    result = fos(repo, "check", "--range", f"{base}..{head}", "--format", "json")
    assert result.code in (0, 1), result.output
    return result


def rule_ids(result: Result) -> list[str]:
    return sorted(f["rule_id"] for f in findings(result.out))


def act(repo: Path, member: str, *args: str) -> Result:
    """MEMBER runs `fos ARGS` and commits what it wrote, as themselves."""
    act_as(repo, member)
    result = fos(repo, *args)
    assert result.code == 0, result.output
    commit_all(repo, f"{member}: {' '.join(args[:2])}")
    return result


def test_retire_then_break_needs_an_approval(team_repo: Path) -> None:
    """PR 1 retires a rule as a builder: blocked until an approver approves it. PR 2,
    stacked on the unapproved PR 1, breaks the rule: the rule still applies."""
    act_as(team_repo, "ana")
    rule = secret_rule(team_repo)
    base = git(team_repo, "rev-parse", "HEAD")

    act(team_repo, "forge", "rule", "retire", rule, "--reason", "too noisy")
    pr1 = git(team_repo, "rev-parse", "HEAD")
    blocked = check(team_repo, base)
    assert blocked.code == 1
    [finding] = findings(blocked.out)
    assert finding["rule_id"] == "fos:governed-change"
    assert finding["member"] == "forge"
    assert (
        f"retires {rule} without the approval of a member holding an approver role"
        in (finding["message"])
    )
    assert "fos approve --entry" in finding["message"]

    write_tree(team_repo, {"src/app.py": "SECRET = 1\n"})
    commit_as(team_repo, "forge@example.com", "use the secret")
    assert rule_ids(check(team_repo, base)) == [rule, "fos:governed-change"]

    git(team_repo, "checkout", "-q", "-b", "approved", pr1)
    act(team_repo, "ana", "approve", "--commit", pr1, "--reason", "replaced by a scanner")
    assert check(team_repo, base).code == 0
    merged = git(team_repo, "rev-parse", "HEAD")
    write_tree(team_repo, {"src/app.py": "SECRET = 1\n"})
    commit_as(team_repo, "forge@example.com", "use the secret")
    assert check(team_repo, merged).code == 0


def test_an_approval_by_entry_survives_a_rebase(team_repo: Path) -> None:
    act_as(team_repo, "ana")
    rule = secret_rule(team_repo)
    base = git(team_repo, "rev-parse", "HEAD")
    act(team_repo, "forge", "rule", "retire", rule, "--reason", "noisy")
    # the check says what to approve
    [asked] = re.findall(r"fos approve (--entry \w+)", check(team_repo, base).out)
    act(team_repo, "ben", "approve", *asked.split())
    # main moves on; the pull request is rebased onto it
    git(team_repo, "checkout", "-q", "-b", "moved", base)
    write_tree(team_repo, {"README.md": "hello\n"})
    commit_as(team_repo, "forge@example.com", "readme")
    git(team_repo, "checkout", "-q", "-")
    git(team_repo, "rebase", "-q", "moved")
    assert check(team_repo, "moved").code == 0


def test_a_team_change_needs_an_approver_other_than_its_author(team_repo: Path) -> None:
    base = git(team_repo, "rev-parse", "HEAD")
    team = team_repo / ".factory" / "team.yaml"
    team.write_text(team.read_text().replace("roles: [builder], emails: [forge", "roles:"
                    " [builder, owner], emails: [forge"))  # fmt: skip
    change = commit_as(team_repo, "ana@example.com", "forge owns too")
    result = check(team_repo, base)
    assert "fos:governed-change" in rule_ids(result)
    assert "changes .factory/team.yaml" in result.out

    act_as(team_repo, "ana")
    refused = fos(team_repo, "approve", "--commit", change)
    assert refused.code == 1
    assert "ana wrote" in refused.err and "cannot approve their own change" in refused.err
    act_as(team_repo, "test")
    refused = fos(team_repo, "approve", "--commit", change)
    assert refused.code == 1 and "holds no approver role" in refused.err

    act(team_repo, "ben", "approve", "--commit", change)
    assert "fos:governed-change" not in rule_ids(check(team_repo, base))


def test_a_forged_approved_by_trailer_does_not_count(team_repo: Path) -> None:
    base = git(team_repo, "rev-parse", "HEAD")
    settings = team_repo / ".factory" / "factory.yaml"
    settings.write_text(
        settings.read_text().replace("unknown_author: block", "unknown_author: info")
    )
    commit_as(team_repo, "forge@example.com", "quieter\n\nApproved-by: ana")
    result = check(team_repo, base)
    messages = [f["message"] for f in findings(result.out) if f["rule_id"] == "fos:governed-change"]
    assert messages and "the Approved-by: ana trailer does not count" in messages[0]
    assert "governance.trust_trailers: true" in messages[0]


def test_a_trailer_counts_where_the_team_trusts_trailers(team_repo: Path) -> None:
    settings = team_repo / ".factory" / "factory.yaml"
    settings.write_text(
        settings.read_text().replace("governance:", "governance:\n  trust_trailers: true")
    )
    base = commit_all(team_repo, "trust trailers")
    team = team_repo / ".factory" / "team.yaml"
    team.write_text(team.read_text() + "  - {id: neo, name: Neo, kind: agent, roles: [builder],"
                    " emails: [neo@example.com]}\n")  # fmt: skip
    commit_as(team_repo, "forge@example.com", "add neo\n\nApproved-by: ana")
    assert "fos:governed-change" not in rule_ids(check(team_repo, base))


def test_every_entry_a_commit_adds_names_its_committer(team_repo: Path) -> None:
    """A rule retired in the ledger as ana, but committed by forge: no approval saves it."""
    act_as(team_repo, "ana")
    rule = secret_rule(team_repo)
    base = git(team_repo, "rev-parse", "HEAD")
    # ana's entry (fos refuses forge claiming to be ana), then committed by forge
    assert fos(team_repo, "rule", "retire", rule, "--reason", "x").code == 0
    commit_as(team_repo, "forge@example.com", "retire as ana")
    result = check(team_repo, base)
    assert result.code == 1
    [finding] = [f for f in findings(result.out) if f["rule_id"] == "fos:entry-actor-mismatch"]
    assert "names ana as its actor, but forge committed it" in finding["message"]
    assert finding["path"].startswith(".factory/ledger/") and finding["line"] > 1


def test_an_approval_already_merged_counts_after_a_squash(team_repo: Path) -> None:
    """The approved change is squashed into one commit of its author after the approval
    landed on its own: the approval names paths and blob ids, which the squash keeps."""
    base = git(team_repo, "rev-parse", "HEAD")
    git(team_repo, "checkout", "-q", "-b", "feature")
    team = team_repo / ".factory" / "team.yaml"
    team.write_text(team.read_text().replace("[reviewer]", "[reviewer, quality]"))
    commit_as(team_repo, "forge@example.com", "lens reviews quality too")
    write_tree(team_repo, {"notes.md": "why\n"})
    feature = commit_as(team_repo, "forge@example.com", "notes")
    git(team_repo, "checkout", "-q", "main")
    act_as(team_repo, "ana")
    assert fos(team_repo, "approve", "--range", f"{base}..{feature}").code == 0
    approved = commit_all(team_repo, "ana approves the feature")
    git(team_repo, "merge", "-q", "--squash", "feature")
    commit_as(team_repo, "forge@example.com", "the feature, squashed")
    assert check(team_repo, approved).code == 0
    # without the approval on the base, the same squash is blocked
    git(team_repo, "checkout", "-q", "-b", "unapproved", base)
    git(team_repo, "merge", "-q", "--squash", "feature")
    commit_as(team_repo, "forge@example.com", "the feature, squashed")
    assert "fos:governed-change" in rule_ids(check(team_repo, base))


def test_a_rule_from_a_decision_needs_an_approval_one_from_an_incident_does_not(
    team_repo: Path,
) -> None:
    act_as(team_repo, "ana")
    decision = fos(team_repo, "dna", "add", "--title", "Amounts are decimal strings")
    assert decision.code == 0, decision.output
    base = commit_all(team_repo, "decide")
    secret_rule(team_repo)  # from an incident, by ana: ordinary
    assert check(team_repo, base).code == 0
    act_as(team_repo, "forge")
    origin = ("--from-decision", decision.out.strip())
    added = fos(team_repo, "rule", "add", "--title", "Decimal amounts", "--statement",
                "Never use float for amounts.", *origin)  # fmt: skip
    assert added.code == 0, added.output
    commit_as(team_repo, "forge@example.com", "rule from the decision")
    result = check(team_repo, base)
    [finding] = findings(result.out)
    assert finding["rule_id"] == "fos:governed-change"
    assert f"adds {added.out.strip()} from decision:{decision.out.strip()}" in finding["message"]
    act(team_repo, "lens", "approve", "--commit", "HEAD")
    assert check(team_repo, base).code == 0
