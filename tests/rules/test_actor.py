from __future__ import annotations

from pathlib import Path

import pytest

from factory_os.errors import EXIT_FINDINGS
from factory_os.rules.actor import NotAMember, acting_member
from tests.helpers import author, fos, git


def test_git_author_identity_is_the_acting_member(team_repo: Path) -> None:
    git(team_repo, "config", "user.email", "Forge@Example.com")
    assert acting_member(team_repo).id == "forge"
    with author("ben@example.com"):  # GIT_AUTHOR_EMAIL wins, as in a commit
        assert acting_member(team_repo).id == "ben"


def test_a_claim_may_confirm_the_identity_by_id_or_email(
    team_repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with author("forge@example.com"):
        assert acting_member(team_repo, "forge").id == "forge"
        assert acting_member(team_repo, "FORGE@example.com").id == "forge"
        monkeypatch.setenv("FOS_ACTOR", "forge")
        assert acting_member(team_repo).id == "forge"


def test_a_claim_to_be_another_member_is_refused(
    team_repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with author("forge@example.com"):
        with pytest.raises(NotAMember, match="ana does not match the author email forge@"):
            acting_member(team_repo, "ana")
        monkeypatch.setenv("FOS_ACTOR", "ana@example.com")
        with pytest.raises(NotAMember, match=r"is forge; act as yourself"):
            acting_member(team_repo)


def test_a_non_member_is_told_who_they_are_and_how_to_be_added(team_repo: Path) -> None:
    with author("stranger@example.org"), pytest.raises(NotAMember) as refused:
        acting_member(team_repo, "ana")
    message = str(refused.value)
    assert "<stranger@example.org> is not a member of .factory/team.yaml" in message
    assert "claiming ana does not change that" in message
    assert "gives you an entry in .factory/team.yaml with stranger@example.org" in message
    assert refused.value.exit_code == EXIT_FINDINGS


def test_no_git_identity_at_all_is_no_member(
    team_repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    empty = tmp_path / "empty.gitconfig"
    empty.write_text("")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(empty))
    monkeypatch.setenv("EMAIL", "")
    git(team_repo, "config", "--unset", "user.email", check=False)
    git(team_repo, "config", "user.useConfigOnly", "true")
    with pytest.raises(NotAMember, match="git has no author identity here"):
        acting_member(team_repo)


def test_an_invalid_team_is_invalid_input_with_its_line(team_repo: Path) -> None:
    (team_repo / ".factory" / "team.yaml").write_text("members:\n  - {id: x}\n")
    result = fos(team_repo, "incident", "add", "--title", "t", "--severity", "low")
    assert result.code == 3 and ".factory/team.yaml:2:" in result.err
