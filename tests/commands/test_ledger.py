from __future__ import annotations

import json
from pathlib import Path

from factory_os.ledger import events as ledger
from tests.helpers import fos
from tests.ledger_helpers import make_factory


def test_log_is_newest_first_and_filters_by_kind(repo: Path) -> None:
    factory = make_factory(repo)
    ids = [
        ledger.append(factory, kind=kind, actor="test", subject=subject)
        for kind, subject in (
            ("factory.initialized", ""),
            ("rule.added", "R-aaaaaa"),
            ("rule.retired", "R-aaaaaa"),
            ("session.started", "S-bbbbbb"),
        )
    ]
    data = json.loads(fos(repo, "ledger", "log", "--format", "json").out)
    assert [e["id"] for e in data["entries"]] == ids[::-1]
    first = data["entries"][0]
    assert set(first) >= {"id", "parents", "kind", "at", "actor", "subject"}
    assert first["parents"] == [ids[2]] and first["kind"] == "session.started"
    rules = json.loads(fos(repo, "ledger", "log", "--kind", "rule", "--format", "json").out)
    assert [e["kind"] for e in rules["entries"]] == ["rule.retired", "rule.added"]
    exact = fos(repo, "ledger", "log", "--kind", "rule.added")
    assert exact.code == 0 and len(exact.out.splitlines()) == 1 and "R-aaaaaa" in exact.out


def test_an_unknown_kind_is_a_usage_error_listing_the_known_ones(repo: Path) -> None:
    factory = make_factory(repo)
    ledger.append(factory, kind="factory.initialized", actor="test")
    ledger.append(factory, kind="custom.thing", actor="test")
    typo = fos(repo, "ledger", "log", "--kind", "rule.aded")
    assert typo.code == 2 and typo.out == ""
    assert "no kind 'rule.aded'" in typo.err
    assert "rule.added" in typo.err and "escalation.opened" in typo.err
    assert "custom.thing" in typo.err  # a kind this ledger holds is known too
    # a kind factory-os records but this ledger has none of yet: nothing to show
    assert fos(repo, "ledger", "log", "--kind", "escalation").code == 0
    assert fos(repo, "ledger", "log", "--kind", "custom").out.count("custom.thing") == 1


def test_log_of_an_unreadable_line_points_at_verify(repo: Path) -> None:
    factory = make_factory(repo)
    ledger.append(factory, kind="factory.initialized", actor="test")
    (segment,) = (repo / ".factory" / "ledger").glob("*.jsonl")
    with segment.open("ab") as f:
        f.write(b"garbage\n")
    result = fos(repo, "ledger", "log")
    assert result.code == 3 and ":2: not a ledger line" in result.err and "fos verify" in result.err
