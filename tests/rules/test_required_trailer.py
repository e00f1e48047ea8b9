from __future__ import annotations

from pathlib import Path

from tests.checks_helpers import add_rule, commit_as, findings
from tests.helpers import commit_all, fos, write_tree


def _rule(repo: Path, **check: str) -> str:
    add_rule(repo, "R-aaa111", {"kind": "required-trailer", "key": "Ticket", **check})
    return commit_all(repo, "rule")


def _check(repo: Path, base: str) -> list[dict[str, object]]:
    return findings(fos(repo, "check", "--range", f"{base}..HEAD", "--format", "json").out)


def test_missing_trailer_is_a_finding(factory_repo: Path) -> None:
    base = _rule(factory_repo)
    write_tree(factory_repo, {"a.txt": "a\n"})
    sha = commit_as(factory_repo, "test@example.com", "no ticket")
    [finding] = _check(factory_repo, base)
    assert finding["commit"] == sha
    assert finding["path"] is None
    assert "has no Ticket: trailer" in str(finding["message"])


def test_trailer_present_and_matching(factory_repo: Path) -> None:
    base = _rule(factory_repo, pattern=r"^T-\d+$")
    write_tree(factory_repo, {"a.txt": "a\n"})
    commit_as(factory_repo, "test@example.com", "ok\n\nTicket: T-12")
    assert _check(factory_repo, base) == []
    write_tree(factory_repo, {"b.txt": "b\n"})
    commit_as(factory_repo, "test@example.com", "bad\n\nTicket: later")
    [finding] = _check(factory_repo, base)
    assert "no Ticket: trailer matches" in str(finding["message"])


def test_a_trailer_in_the_body_is_not_a_trailer(factory_repo: Path) -> None:
    base = _rule(factory_repo)
    write_tree(factory_repo, {"a.txt": "a\n"})
    commit_as(factory_repo, "test@example.com", "subject\n\nTicket: T-1\n\nlast paragraph text")
    assert len(_check(factory_repo, base)) == 1


def test_message_file_stage_checks_the_trailer(factory_repo: Path) -> None:
    _rule(factory_repo)
    write_tree(factory_repo, {"a.txt": "a\n"})
    from tests.helpers import git

    git(factory_repo, "add", "a.txt")
    assert fos(factory_repo, "check", "--staged").code == 0  # message rules wait
    message = factory_repo / "MSG"
    message.write_text("subject\n\n# a comment\n")
    result = fos(factory_repo, "check", "--message-file", str(message))
    assert result.code == 1 and "R-aaa111" in result.out
    message.write_text("subject\n\nTicket: T-1\n")
    assert fos(factory_repo, "check", "--message-file", str(message)).code == 0
