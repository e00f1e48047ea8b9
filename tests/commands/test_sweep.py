from __future__ import annotations

import json
from pathlib import Path

import pytest

from factory_os import store
from factory_os.ledger import events
from tests.governance import act_as, secret_rule
from tests.helpers import fos, write_tree


def sweep(repo: Path) -> tuple[int, dict[str, object]]:
    result = fos(repo, "sweep", "--format", "json")
    assert result.code in (0, 1), result.output
    return result.code, json.loads(result.out)


def kinds(repo: Path, kind: str) -> list[events.Entry]:
    return [e for e in events.entries(store.find_factory(repo)) if e.kind == kind]


@pytest.fixture
def escalated(team_repo: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, str]:
    monkeypatch.setenv("FOS_NOW", "2026-12-01T09:00:00Z")
    act_as(team_repo, "forge")
    opened = fos(team_repo, "escalate", "open", "--subject", "SP-0a1b2c", "--reason", "veto")
    assert opened.code == 0, opened.output
    act_as(team_repo, "ben")  # the scheduled job's member
    return team_repo, opened.out.strip()


def test_nothing_due_is_a_clean_sweep(escalated: tuple[Path, str]) -> None:
    repo, _ = escalated
    assert sweep(repo) == (
        0,
        {"now": "2026-12-01T09:00:00Z", "attention": 0, "written": 0, "items": []},
    )


def test_a_breach_is_recorded_once_and_reported_until_answered(
    escalated: tuple[Path, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    repo, escalation_id = escalated
    monkeypatch.setenv("FOS_NOW", "2026-12-01T09:30:00Z")
    assert sweep(repo)[0] == 0
    assert kinds(repo, "escalation.breached") == []
    monkeypatch.setenv("FOS_NOW", "2026-12-01T09:30:01Z")
    code, report = sweep(repo)
    assert code == 1 and report["written"] == 1
    [item] = report["items"]  # type: ignore[misc]
    assert (item["kind"], item["id"]) == ("escalation.past_sla", escalation_id)
    assert "it goes to ana" in item["message"]
    [breach] = kinds(repo, "escalation.breached")
    assert (breach.subject, breach.data["to"], breach.actor) == (
        escalation_id,
        ["ana"],
        "ben",
    )
    before = len(events.entries(store.find_factory(repo)))
    code, again = sweep(repo)
    assert (code, again["written"], len(again["items"])) == (1, 0, 1)  # type: ignore[arg-type]
    assert len(events.entries(store.find_factory(repo))) == before
    act_as(repo, "ana")
    assert fos(repo, "escalate", "resolve", escalation_id, "--resolution", "done").code == 0
    assert sweep(repo)[0] == 0


def test_an_expired_override_is_recorded_once_and_needs_no_one(
    team_repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FOS_NOW", "2026-12-01T09:00:00Z")
    rule = secret_rule(team_repo)
    act_as(team_repo, "ana")
    granted = fos(
        team_repo, "override", "grant", "--rule", rule, "--paths", "src/**",
        "--justification", "hotfix", "--ttl", "1h",
    )  # fmt: skip
    assert granted.code == 0, granted.output
    assert sweep(team_repo)[1]["items"] == []
    monkeypatch.setenv("FOS_NOW", "2026-12-01T10:00:00Z")
    code, report = sweep(team_repo)
    assert (code, report["attention"], report["written"]) == (0, 0, 1)
    assert [e.subject for e in kinds(team_repo, "override.expired")] == [granted.out.split()[0]]
    assert sweep(team_repo) == (
        0,
        {"now": "2026-12-01T10:00:00Z", "attention": 0, "written": 0, "items": []},
    )


def test_sessions_never_ended_and_knowledge_due_need_a_person(
    team_repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FOS_NOW", "2026-12-01T09:00:00Z")
    started = fos(team_repo, "session", "start", "--format", "json")
    assert started.code == 0, started.output
    session = json.loads(started.out)["session"]
    write_tree(
        team_repo,
        {".factory/knowledge/retry.md": "---\ntitle: Retries\nreview_by: 2026-11-30\n---\nBody\n"},
    )
    code, report = sweep(team_repo)
    assert code == 1
    assert [(i["kind"], i["id"]) for i in report["items"]] == [  # type: ignore[attr-defined]
        ("knowledge.review", "retry")
    ]
    monkeypatch.setenv("FOS_NOW", "2026-12-02T09:00:01Z")
    _, report = sweep(team_repo)
    assert ("session.open", session) in [(i["kind"], i["id"]) for i in report["items"]]  # type: ignore[attr-defined]


def test_github_format_annotates_the_scheduled_run(
    escalated: tuple[Path, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    repo, escalation_id = escalated
    monkeypatch.setenv("FOS_NOW", "2026-12-01T10:00:00Z")
    result = fos(repo, "sweep", "--format", "github")
    assert result.code == 1
    assert result.out.startswith(f"::error title=escalation.past_sla {escalation_id}::medium")


def test_an_item_about_a_whole_file_names_no_line(
    team_repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FOS_NOW", "2026-12-01T09:00:00Z")
    write_tree(
        team_repo,
        {".factory/knowledge/retry.md": "---\ntitle: Retries\nreview_by: 2026-11-30\n---\nBody\n"},
    )
    github = fos(team_repo, "sweep", "--format", "github")
    assert github.code == 1
    assert github.out == (
        "::error file=.factory/knowledge/retry.md,title=knowledge.review retry::"
        "review_by 2026-11-30 has passed\n"
    )
    text = fos(team_repo, "sweep")
    assert text.out.splitlines()[0] == (
        ".factory/knowledge/retry.md: knowledge.review retry: review_by 2026-11-30 has passed"
    )


def test_work_items_overdue_or_not_re_signed_need_a_person_and_nothing_is_written(
    factory_repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.lifecycle_helpers import as_member, make_team, new_item, walk_to

    monkeypatch.setenv("FOS_NOW", "2026-01-01T00:00:00Z")
    make_team(factory_repo)
    spec_id = new_item(factory_repo)
    walk_to(factory_repo, spec_id, "maintain")
    assert as_member(factory_repo, "olivia", "sweep").code == 0
    moved = as_member(
        factory_repo, "olivia", "spec", "transfer", spec_id, "--to", "otto", "--reason", "x"
    )
    assert moved.code == 0, moved.output
    write_tree(
        factory_repo, {".factory/knowledge/old.md": "---\ntitle: Old\npaths: [gone/**]\n---\nB\n"}
    )
    monkeypatch.setenv("FOS_NOW", "2026-06-01T00:00:00Z")
    before = len(events.entries(store.find_factory(factory_repo)))
    result = as_member(factory_repo, "otto", "sweep", "--format", "json")
    assert result.code == 1, result.output
    report = json.loads(result.out)
    assert sorted((i["kind"], i["id"]) for i in report["items"]) == [
        ("knowledge.paths", "old"),
        ("maintenance.overdue", spec_id),
        ("signoff.stale", spec_id),
    ]
    assert report["written"] == 0
    assert len(events.entries(store.find_factory(factory_repo))) == before
