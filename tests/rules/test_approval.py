from __future__ import annotations

from pathlib import Path

from tests.checks_helpers import commit_as, findings, set_team
from tests.helpers import as_author, commit_all, fos, git

ACTOR_MISMATCH = "fos:entry-actor-mismatch"
BUILDER = {"id": "bob", "roles": ["builder"], "emails": ["bob@example.com"]}
CEO = {"id": "ceo", "roles": ["ceo"], "emails": ["ceo@example.com"]}
OWNER2 = {"id": "olga", "roles": ["owner"], "emails": ["olga@example.com"]}


def _base(repo: Path, *, trust_trailers: bool = True) -> str:
    set_team(repo, BUILDER, CEO, OWNER2)
    if trust_trailers:
        _trust_trailers(repo)
    return commit_all(repo, "team")


def _check(repo: Path, base: str) -> list[dict[str, object]]:
    """The findings of the range, but the built-in one every team change also gets."""
    result = fos(repo, "check", "--range", f"{base}..HEAD", "--format", "json")
    assert result.code in (0, 1), result.output
    return [f for f in findings(result.out) if f["rule_id"] != "fos:governed-change"]


def _trust_trailers(repo: Path) -> None:
    settings = repo / ".factory" / "factory.yaml"
    settings.write_text(
        settings.read_text().replace("governance:", "governance:\n  trust_trailers: true")
    )


def test_builder_changing_dna_needs_ceo_approval(factory_repo: Path) -> None:
    base = _base(factory_repo)
    with (factory_repo / ".factory" / "DNA.md").open("a") as f:
        f.write("\nmore\n")
    commit_as(factory_repo, "bob@example.com", "dna")
    [finding] = _check(factory_repo, base)
    assert finding["rule_id"] == "R-core-architecture-needs-ceo-approval"
    assert "without the approval of a member with role ceo" in str(finding["message"])


def test_approval_by_the_ceo_passes(factory_repo: Path) -> None:
    base = _base(factory_repo)
    with (factory_repo / ".factory" / "DNA.md").open("a") as f:
        f.write("\nmore\n")
    commit_as(factory_repo, "bob@example.com", "dna\n\nApproved-by: CEO <ceo@example.com>")
    assert _check(factory_repo, base) == []


def test_an_approved_by_trailer_is_not_proof_unless_trailers_are_trusted(
    factory_repo: Path,
) -> None:
    """The trailer is text the author typed; the CEO's own commit of `fos approve` is proof."""
    base = _base(factory_repo, trust_trailers=False)
    with (factory_repo / ".factory" / "DNA.md").open("a") as f:
        f.write("\nmore\n")
    change = commit_as(factory_repo, "bob@example.com", "dna\n\nApproved-by: ceo")
    [finding] = _check(factory_repo, base)
    assert "the Approved-by: ceo trailer does not count" in str(finding["message"])
    approved = as_author("ceo@example.com", factory_repo, "approve", "--commit", change)
    assert approved.code == 0, approved.output
    commit_as(factory_repo, "bob@example.com", "bob commits the CEO's approval")
    [finding] = [f for f in _check(factory_repo, base) if f["rule_id"] != ACTOR_MISMATCH]
    assert finding["rule_id"] == "R-core-architecture-needs-ceo-approval"
    git(factory_repo, "reset", "-q", "--hard", "HEAD~1")
    assert as_author("ceo@example.com", factory_repo, "approve", "--commit", change).code == 0
    commit_as(factory_repo, "ceo@example.com", "approve the DNA change")
    assert _check(factory_repo, base) == []


def test_self_approval_is_refused(factory_repo: Path) -> None:
    """An owner changing the team cannot approve it themselves."""
    base = _base(factory_repo)
    set_team(
        factory_repo,
        BUILDER,
        CEO,
        OWNER2,
        {"id": "eve", "roles": ["ceo"], "emails": ["eve@example.com"]},
    )
    commit_as(factory_repo, "olga@example.com", "add eve\n\nApproved-by: olga")
    [finding] = _check(factory_repo, base)
    assert finding["rule_id"] == "R-core-team-changes-need-approval"
    assert "olga is the author and cannot approve their own change" in str(finding["message"])


def test_approver_without_the_role_or_unknown_is_refused(factory_repo: Path) -> None:
    base = _base(factory_repo)
    set_team(
        factory_repo,
        BUILDER,
        CEO,
        OWNER2,
        {"id": "x", "roles": ["quality"], "emails": ["x@example.com"]},
    )
    commit_as(factory_repo, "olga@example.com", "t\n\nApproved-by: bob\nApproved-by: nobody")
    [finding] = _check(factory_repo, base)
    message = str(finding["message"])
    assert "bob holds none of the roles owner" in message
    assert "nobody is no member" in message


def test_another_owner_approves_a_team_change(factory_repo: Path) -> None:
    base = _base(factory_repo)
    set_team(
        factory_repo,
        BUILDER,
        CEO,
        OWNER2,
        {"id": "x", "roles": ["quality"], "emails": ["x@example.com"]},
    )
    commit_as(factory_repo, "olga@example.com", "t\n\nApproved-by: test@example.com")
    assert _check(factory_repo, base) == []


def test_a_member_added_in_the_range_cannot_approve(factory_repo: Path) -> None:
    base = _base(factory_repo)
    newcomer = {"id": "neo", "roles": ["owner"], "emails": ["neo@example.com"]}
    set_team(factory_repo, BUILDER, CEO, OWNER2, newcomer)
    commit_as(factory_repo, "olga@example.com", "add neo\n\nApproved-by: neo")
    [finding] = _check(factory_repo, base)
    assert "neo joins the team in this change" in str(finding["message"])


def test_loosening_the_settings_needs_an_owners_approval(factory_repo: Path) -> None:
    """Whoever could set unknown_author to info would lift every role-bound rule."""
    base = _base(factory_repo)
    settings = factory_repo / ".factory" / "factory.yaml"
    settings.write_text(
        settings.read_text().replace("unknown_author: block", "unknown_author: info")
    )
    commit_as(factory_repo, "bob@example.com", "settings")
    assert [f["rule_id"] for f in _check(factory_repo, base)] == ["R-core-settings-need-approval"]
    commit_as(
        factory_repo,
        "bob@example.com",
        "again\n\nApproved-by: Olga <olga@example.com>",
        "--allow-empty",
    )
    assert fos(factory_repo, "check", "--commit", "HEAD").code == 0
