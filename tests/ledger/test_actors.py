"""A ledger entry's actor is a member id of team.yaml: refused on write, flagged on read."""

from __future__ import annotations

from pathlib import Path

import pytest

from factory_os.errors import InvalidInput
from factory_os.ledger import events as ledger
from tests.helpers import fos, snapshot
from tests.ledger_helpers import entry_fields, forge_line, make_factory, only_segment


@pytest.mark.parametrize(
    ("actor", "why"),
    [
        ("a\nb", "is not a member id"),
        ("test@example.com", "is not a member id"),
        ("Test", "is not a member id"),
        ("nobody", "is not the id of a member of team.yaml"),
    ],
)
def test_an_entry_whose_actor_is_no_member_id_is_refused(repo: Path, actor: str, why: str) -> None:
    factory = make_factory(repo)
    ledger.append(factory, kind="factory.initialized", actor="test")
    before = snapshot(repo)
    with pytest.raises(InvalidInput) as refused:
        ledger.append(factory, kind="test.event", actor=actor)
    assert f"actor {actor!r} {why}" in str(refused.value)
    path = repo / ".factory" / "incidents" / "INC-abc123.md"
    with pytest.raises(InvalidInput):
        ledger.record_file(factory, path, "x\n", kind="incident.recorded", actor=actor, subject="")
    assert snapshot(repo) == before, "nothing written"


def test_ledger_log_shows_a_bad_actor_as_a_question_mark_and_fails(repo: Path) -> None:
    factory = make_factory(repo)
    first = ledger.append(factory, kind="factory.initialized", actor="test")
    forged = forge_line(entry_fields(actor="mal\nlory", parents=[first]))
    # written before actors were ids: a member named by email is still a member
    legacy = forge_line(entry_fields(actor="test@example.com", parents=[forged[:64].decode()]))
    with only_segment(repo).open("ab") as f:
        f.write(forged + legacy)
    result = fos(repo, "ledger", "log")
    assert result.code == 1
    lines = result.out.splitlines()
    assert len(lines) == 3, "one line per entry: the line break does not split it"
    assert [line.split()[-1] for line in lines] == ["test@example.com", "?", "test"]
    assert len(result.err.splitlines()) == 1
    segment = only_segment(repo).relative_to(repo).as_posix()
    assert f"{segment}:2: entry {forged[:12].decode()}: actor 'mal\\nlory' is not a member id" in (
        result.err
    )
    # JSON escapes it, and the problem is said all the same
    as_json = fos(repo, "ledger", "log", "--format", "json")
    assert as_json.code == 1 and "is not a member id" in as_json.err
