from __future__ import annotations

from pathlib import Path

from tests.checks_helpers import commit_as, findings, set_team
from tests.helpers import commit_all, fos

BUILDER = {"id": "bob", "roles": ["builder"], "emails": ["bob@example.com"]}
CEO = {"id": "ceo", "roles": ["ceo"], "emails": ["ceo@example.com"]}
OWNER2 = {"id": "olga", "roles": ["owner"], "emails": ["olga@example.com"]}


def _base(repo: Path) -> str:
    set_team(repo, BUILDER, CEO, OWNER2)
    return commit_all(repo, "team")


def _check(repo: Path, base: str) -> list[dict[str, object]]:
    result = fos(repo, "check", "--range", f"{base}..HEAD", "--format", "json")
    assert result.code in (0, 1), result.output
    return findings(result.out)


def test_builder_changing_dna_needs_ceo_approval(factory_repo: Path) -> None:
    base = _base(factory_repo)
    with (factory_repo / ".factory" / "DNA.md").open("a") as f:
        f.write("\nmore\n")
    commit_as(factory_repo, "bob@example.com", "dna")
    [finding] = _check(factory_repo, base)
    assert finding["rule_id"] == "R-core-architecture-needs-ceo-approval"
    assert "without an Approved-by: trailer" in str(finding["message"])


def test_approval_by_the_ceo_passes(factory_repo: Path) -> None:
    base = _base(factory_repo)
    with (factory_repo / ".factory" / "DNA.md").open("a") as f:
        f.write("\nmore\n")
    commit_as(factory_repo, "bob@example.com", "dna\n\nApproved-by: CEO <ceo@example.com>")
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
