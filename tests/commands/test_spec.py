"""`fos spec` and `fos signoff`: every gate, refusal and separation of duties, with real git."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from factory_os import store
from factory_os.ledger import events
from tests.helpers import as_author, commit_all, fos, snapshot, write_tree
from tests.lifecycle_helpers import (
    TEAM,
    as_member,
    cases,
    make_team,
    new_item,
    record,
    walk_to,
)


@pytest.fixture
def work_repo(factory_repo: Path) -> Path:
    make_team(factory_repo)
    return factory_repo


def _kinds(repo: Path, spec_id: str) -> list[str]:
    factory = store.find_factory(repo)
    return [e.kind for e in events.entries(factory) if e.subject == spec_id]


def _status(repo: Path, spec_id: str) -> dict[str, object]:
    result = fos(repo, "spec", "status", spec_id, "--format", "json")
    assert result.code == 0, result.output
    value: dict[str, object] = json.loads(result.out)
    return value


def test_an_item_walks_from_intake_to_maintain(work_repo: Path) -> None:
    spec_id = new_item(work_repo)
    assert (work_repo / ".factory" / "specs" / spec_id / "spec.md").is_file()
    walk_to(work_repo, spec_id, "maintain")

    assert _status(work_repo, spec_id)["stage"] == "maintain"
    assert _kinds(work_repo, spec_id).count("stage.advanced") == 8
    advanced = [
        e
        for e in events.entries(store.find_factory(work_repo))
        if e.kind == "stage.advanced" and e.data["from"] == "launch"
    ]
    assert advanced[0].data["to"] == "maintain"
    assert len(advanced[0].data["signoffs"]) == 2 and len(advanced[0].data["evidence"]) == 1
    table = fos(work_repo, "spec", "status")
    assert table.code == 0 and spec_id in table.out and "maintain" in table.out
    assert fos(work_repo, "validate").code == 0


def test_a_gate_that_does_not_hold_says_what_is_missing_and_who_can_unblock_it(
    work_repo: Path,
) -> None:
    spec_id = new_item(work_repo)
    result = as_member(work_repo, "olivia", "spec", "advance", spec_id)
    assert result.code == 1
    assert "intake-form: not recorded (intake.md)" in result.out
    assert f"fos signoff {spec_id} --stage intake --as owner" in result.out
    assert "fos:lifecycle-evidence" in result.out and "fos:lifecycle-signoff" in result.out
    assert _kinds(work_repo, spec_id) == ["spec.created"]


def test_the_builder_never_signs_as_the_reviewer(work_repo: Path) -> None:
    spec_id = new_item(work_repo)
    walk_to(work_repo, spec_id, "eval")
    record(work_repo, spec_id, "eval")
    result = as_member(work_repo, "bob", "signoff", spec_id, "--stage", "eval", "--as", "reviewer")
    assert result.code == 1
    assert "fos:lifecycle-separation-of-duties" in result.err
    assert "bob is the builder" in result.err and "never its reviewer" in result.err
    assert "signoff" not in _kinds(work_repo, spec_id)[-1:]


def test_no_one_approves_their_own_work_in_a_role_they_do_not_hold(work_repo: Path) -> None:
    spec_id = new_item(work_repo)
    walk_to(work_repo, spec_id, "build")
    record(work_repo, spec_id, "build")
    result = as_member(work_repo, "bob", "signoff", spec_id, "--stage", "build", "--as", "owner")
    assert result.code == 1
    assert "bob does not hold owner" in result.err and "owner: olivia" in result.err
    assert as_member(work_repo, "bob", "signoff", spec_id, "--stage", "build").code == 1
    assert as_member(work_repo, "olivia", "spec", "advance", spec_id).code == 1


def test_a_non_member_writes_nothing(work_repo: Path) -> None:
    spec_id = new_item(work_repo)
    before = snapshot(work_repo)
    result = as_author("eve@example.com", work_repo, "signoff", spec_id, "--stage", "intake")
    assert result.code == 1 and "not a member of .factory/team.yaml" in result.err
    assert snapshot(work_repo) == before


def test_a_red_team_report_with_19_cases_holds_the_gate(work_repo: Path) -> None:
    spec_id = new_item(work_repo)
    walk_to(work_repo, spec_id, "red-team")
    assert record(work_repo, spec_id, "red-team", cases(19, critical=4)).code == 0
    as_member(work_repo, "sara", "signoff", spec_id, "--stage", "red-team")
    result = as_member(work_repo, "olivia", "spec", "advance", spec_id)
    assert result.code == 1
    assert "19 cases, at least 20 needed" in result.out
    assert _status(work_repo, spec_id)["stage"] == "red-team"


def test_a_failed_critical_case_sends_the_item_back_to_build(work_repo: Path) -> None:
    spec_id = new_item(work_repo)
    walk_to(work_repo, spec_id, "red-team")
    report = cases(20, critical=4, critical_failed=1)
    recorded = record(work_repo, spec_id, "red-team", report)
    assert recorded.code == 0 and "1 of 4 critical cases failed" in recorded.out
    as_member(work_repo, "sara", "signoff", spec_id, "--stage", "red-team")
    result = as_member(work_repo, "olivia", "spec", "advance", spec_id)
    assert result.code == 1
    assert "sent back from red-team to build" in result.out
    assert _kinds(work_repo, spec_id)[-1] == "stage.returned"
    status = _status(work_repo, spec_id)
    assert status["stage"] == "build"
    # back at build, its earlier evidence and sign-offs no longer count
    assert as_member(work_repo, "olivia", "spec", "advance", spec_id).code == 1


def test_the_safety_lead_vetoes_and_the_item_goes_back(work_repo: Path) -> None:
    spec_id = new_item(work_repo)
    walk_to(work_repo, spec_id, "red-team")
    record(work_repo, spec_id, "red-team")
    denied = as_member(work_repo, "bob", "signoff", spec_id, "--stage", "red-team", "--veto")
    assert denied.code in (1, 2)
    vetoed = as_member(
        work_repo, "sara", "signoff", spec_id, "--stage", "red-team", "--veto", "--reason", "leak"
    )
    assert vetoed.code == 0, vetoed.output
    queue = json.loads(fos(work_repo, "escalate", "list", "--format", "json").out)
    assert [(e["subject"], e["cause"], e["opened_by"], e["evidence"]["reason"])
            for e in queue["escalations"]] == [(spec_id, "veto", "sara", "leak")]  # fmt: skip
    result = as_member(work_repo, "olivia", "spec", "advance", spec_id)
    assert result.code == 1 and "vetoed by sara as safety-lead: leak" in result.out
    assert _status(work_repo, spec_id)["stage"] == "build"


def test_no_owner_no_launch(work_repo: Path) -> None:
    spec_id = new_item(work_repo)
    walk_to(work_repo, spec_id, "launch")
    record(work_repo, spec_id, "launch")
    as_member(work_repo, "olivia", "signoff", spec_id, "--stage", "launch", "--as", "owner")
    as_member(work_repo, "sam", "signoff", spec_id, "--stage", "launch", "--as", "sponsor")
    team = "\n".join(line for line in TEAM.splitlines() if "olivia" not in line) + "\n"
    write_tree(work_repo / ".factory", {"team.yaml": team})
    commit_all(work_repo, "olivia leaves")
    result = as_member(work_repo, "sam", "spec", "advance", spec_id)
    assert result.code == 1
    assert "olivia is not a member of team.yaml (no owner" in result.out
    assert _status(work_repo, spec_id)["stage"] == "launch"


def test_a_transfer_needs_the_launch_signed_again(work_repo: Path) -> None:
    spec_id = new_item(work_repo)
    walk_to(work_repo, spec_id, "maintain")
    moved = as_member(
        work_repo, "olivia", "spec", "transfer", spec_id, "--to", "otto", "--reason", "leaving"
    )
    assert moved.code == 0, moved.output
    spec = (work_repo / ".factory" / "specs" / spec_id / "spec.md").read_text()
    assert "owner: otto" in spec
    assert "launch not re-signed" in _status(work_repo, spec_id)["flags"]  # type: ignore[operator]
    assert "launch not re-signed" in fos(work_repo, "spec", "status").out
    # the old owner's signature no longer counts; the new owner's does
    stale = as_member(work_repo, "olivia", "signoff", spec_id, "--stage", "launch", "--as", "owner")
    assert stale.code == 1
    signed = as_member(work_repo, "otto", "signoff", spec_id, "--stage", "launch", "--as", "owner")
    assert signed.code == 0, signed.output
    assert _status(work_repo, spec_id)["flags"] == []


def test_only_the_owner_transfers_a_role_and_a_member_their_own(work_repo: Path) -> None:
    spec_id = new_item(work_repo)
    before = snapshot(work_repo)
    move = ["spec", "transfer", spec_id, "--role", "reviewer", "--to", "otto", "--reason", "x"]
    builder = as_member(work_repo, "bob", *move)
    assert builder.code == 1
    assert f"bob may not transfer the reviewer of {spec_id}: its owner (olivia)" in builder.err
    assert snapshot(work_repo) == before
    assert as_member(work_repo, "rita", *move).code == 0  # the reviewer hands on their own role
    back = ["spec", "transfer", spec_id, "--role", "reviewer", "--to", "rita", "--reason", "y"]
    assert as_member(work_repo, "olivia", *back).code == 0
    assert _status(work_repo, spec_id)["roles"]["reviewer"] == "rita"  # type: ignore[index]


def test_every_spec_command_answers_in_json(work_repo: Path) -> None:
    spec_id = new_item(work_repo)
    record(work_repo, spec_id, "intake")
    sign = ["signoff", spec_id, "--stage", "intake", "--format", "json"]
    signed = json.loads(as_member(work_repo, "olivia", *sign).out)
    assert (signed["id"], signed["stage"], signed["role"], signed["veto"]) == (
        spec_id, "intake", "owner", False,
    )  # fmt: skip
    moved = as_member(
        work_repo, "olivia", "spec", "transfer", spec_id, "--to", "otto", "--reason", "x",
        "--format", "json",
    )  # fmt: skip
    assert moved.code == 0, moved.output
    assert {k: v for k, v in json.loads(moved.out).items() if k != "entry"} == {
        "id": spec_id, "role": "owner", "to": "otto",
    }  # fmt: skip
    retire = ["spec", "retire", spec_id, "--reason", "done", "--format", "json"]
    retired = json.loads(as_member(work_repo, "otto", *retire).out)
    entries = {e.id: e.kind for e in events.entries(store.find_factory(work_repo))}
    assert entries[retired["entry"]] == "spec.retired"
    assert entries[signed["entry"]] == "signoff"


def test_one_member_as_builder_and_reviewer_is_refused(work_repo: Path) -> None:
    team = TEAM.replace("roles: [builder]", "roles: [builder, reviewer]")
    write_tree(work_repo / ".factory", {"team.yaml": team})
    commit_all(work_repo, "bob reviews too")
    args = ["spec", "new", "--title", "T", "--owner", "olivia", "--sponsor", "sam"]
    before = snapshot(work_repo)
    result = as_member(work_repo, "olivia", *args, "--builder", "bob", "--reviewer", "bob")
    assert result.code == 1
    assert "bob is both builder and reviewer: allowed never" in result.err
    assert snapshot(work_repo) == before


def test_owner_and_sponsor_share_only_on_low_risk_work_with_a_reason(work_repo: Path) -> None:
    team = TEAM.replace("roles: [owner]", "roles: [owner, sponsor]", 1)
    write_tree(work_repo / ".factory", {"team.yaml": team})
    commit_all(work_repo, "olivia sponsors too")
    args = ["spec", "new", "--title", "T", "--owner", "olivia", "--sponsor", "olivia"]
    assert as_member(work_repo, "olivia", *args).code == 1
    assert as_member(work_repo, "olivia", *args, "--risk", "low").code == 1
    reason = ["--risk", "low", "--reason", "a two-person team"]
    result = as_member(work_repo, "olivia", *args, *reason)
    assert result.code == 0, result.output
    high = as_member(work_repo, "olivia", *args, "--reason", "a two-person team")
    assert high.code == 1


def test_invalid_evidence_is_refused_and_nothing_is_written(work_repo: Path) -> None:
    spec_id = new_item(work_repo)
    walk_to(work_repo, spec_id, "eval")
    before = snapshot(work_repo)
    bad = json.dumps({"cases": [{"id": "a", "outcome": "maybe"}]})
    result = record(work_repo, spec_id, "eval", bad)
    assert result.code == 3
    assert "/cases/0/outcome: Input should be 'pass' or 'fail'" in result.err
    assert snapshot(work_repo) == before
    wrong_stage = record(work_repo, spec_id, "red-team")
    assert wrong_stage.code == 1 and "is at eval, not red-team" in wrong_stage.err


def test_a_spec_with_unwritten_sections_is_not_evidence(work_repo: Path) -> None:
    spec_id = new_item(work_repo)
    walk_to(work_repo, spec_id, "spec")
    result = as_member(work_repo, "bob", "spec", "evidence", spec_id, "--stage", "spec")
    assert result.code == 3
    assert "section `## Job statement` is not written" in result.err


def test_a_spec_whose_roles_were_edited_by_hand_is_not_evidence(work_repo: Path) -> None:
    spec_id = new_item(work_repo)
    walk_to(work_repo, spec_id, "spec")
    path = work_repo / ".factory" / "specs" / spec_id / "spec.md"
    text = path.read_text().replace("(to write)", "Written.")
    path.write_text(text.replace("reviewer: rita", "reviewer: otto"))
    before = snapshot(work_repo)
    result = as_member(work_repo, "bob", "spec", "evidence", spec_id, "--stage", "spec")
    assert result.code == 1
    assert "fos:lifecycle-hand-edit" in result.err
    assert "reviewer is otto, but the ledger says rita" in result.err
    assert "fos spec transfer" in result.err
    assert snapshot(work_repo) == before


def test_a_spec_without_its_front_matter_is_not_evidence(work_repo: Path) -> None:
    spec_id = new_item(work_repo)
    walk_to(work_repo, spec_id, "spec")
    path = work_repo / ".factory" / "specs" / spec_id / "spec.md"
    path.write_text(path.read_text().replace("(to write)", "Written.").split("---\n", 2)[2])
    before = snapshot(work_repo)
    result = as_member(work_repo, "bob", "spec", "evidence", spec_id, "--stage", "spec")
    assert result.code == 3
    assert f".factory/specs/{spec_id}/spec.md:1: missing YAML front matter" in result.err
    assert snapshot(work_repo) == before


def test_evidence_changed_after_it_was_recorded_does_not_count(work_repo: Path) -> None:
    spec_id = new_item(work_repo)
    record(work_repo, spec_id, "intake")
    as_member(work_repo, "olivia", "signoff", spec_id, "--stage", "intake")
    (work_repo / ".factory" / "specs" / spec_id / "intake.md").write_text("# edited\n")
    result = as_member(work_repo, "olivia", "spec", "advance", spec_id)
    assert result.code == 1
    assert "intake.md does not match the digest recorded for it" in result.out


def test_a_new_version_of_evidence_is_a_new_file(work_repo: Path) -> None:
    spec_id = new_item(work_repo)
    walk_to(work_repo, spec_id, "eval")
    assert record(work_repo, spec_id, "eval", cases(10)).code == 0
    assert record(work_repo, spec_id, "eval").code == 0
    folder = work_repo / ".factory" / "specs" / spec_id
    assert (folder / "eval.json").read_text() == cases(10)
    assert (folder / "eval.2.json").is_file()
    as_member(work_repo, "rita", "signoff", spec_id, "--stage", "eval")
    assert as_member(work_repo, "olivia", "spec", "advance", spec_id).code == 0


def test_maintenance_overdue_by_the_cadence(
    work_repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FOS_NOW", "2026-01-01T00:00:00Z")
    spec_id = new_item(work_repo)
    walk_to(work_repo, spec_id, "maintain")
    monkeypatch.setenv("FOS_NOW", "2026-05-01T00:00:00Z")
    flags = _status(work_repo, spec_id)["flags"]
    assert flags == ["maintenance overdue by 30 days"]
    log = work_repo.parent / "log.md"
    log.write_text("# Log\n\n## Re-evaluation\n\nAll 20 golden cases still pass.\n")
    result = as_member(work_repo, "olivia", "spec", "maintain", spec_id, "--file", str(log))
    assert result.code == 0, result.output
    assert _status(work_repo, spec_id)["flags"] == []


def test_only_who_answers_for_maintenance_logs_it(work_repo: Path) -> None:
    spec_id = new_item(work_repo)
    walk_to(work_repo, spec_id, "maintain")
    log = work_repo.parent / "log.md"
    log.write_text("# Log\n\n## Re-evaluation\n\nAll 20 golden cases still pass.\n")
    before = snapshot(work_repo)
    result = as_member(work_repo, "bob", "spec", "maintain", spec_id, "--file", str(log))
    assert result.code == 1
    assert f"bob may not log the maintenance of {spec_id}" in result.err
    assert "(olivia)" in result.err
    assert snapshot(work_repo) == before
    assert "maintenance.logged" not in _kinds(work_repo, spec_id)
    owner = ["spec", "maintain", spec_id, "--file", str(log), "--format", "json"]
    logged = json.loads(as_member(work_repo, "olivia", *owner).out)
    assert logged["path"] == f".factory/specs/{spec_id}/maintenance.md"
    assert _kinds(work_repo, spec_id)[-1] == "maintenance.logged"


def test_retiring_takes_the_owner(work_repo: Path) -> None:
    spec_id = new_item(work_repo)
    assert as_member(work_repo, "bob", "spec", "retire", spec_id, "--reason", "x").code == 1
    result = as_member(work_repo, "olivia", "spec", "retire", spec_id, "--reason", "superseded")
    assert result.code == 0, result.output
    assert (work_repo / ".factory" / "specs" / spec_id / "retirement.md").is_file()
    assert _status(work_repo, spec_id)["retired"] is True
    assert as_member(work_repo, "olivia", "spec", "advance", spec_id).code == 1


def test_context_lists_what_a_member_still_owes(work_repo: Path) -> None:
    spec_id = new_item(work_repo)
    record(work_repo, spec_id, "intake")
    owed = json.loads(fos(work_repo, "context", "--member", "olivia", "--format", "json").out)
    assert owed["open_items"] == [f"sign intake for {spec_id} as owner"]
    text = fos(work_repo, "context", "--member", "olivia").out
    assert f"## Open items\n\n- sign intake for {spec_id} as owner\n" in text
    rita = json.loads(fos(work_repo, "context", "--member", "rita", "--format", "json").out)
    assert rita["open_items"] == []


def test_drift_names_a_launch_not_re_signed_and_overdue_maintenance(
    work_repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FOS_NOW", "2026-01-01T00:00:00Z")
    spec_id = new_item(work_repo)
    walk_to(work_repo, spec_id, "maintain")
    assert spec_id not in fos(work_repo, "drift").out
    as_member(work_repo, "olivia", "spec", "transfer", spec_id, "--to", "otto", "--reason", "x")
    monkeypatch.setenv("FOS_NOW", "2026-06-01T00:00:00Z")
    result = fos(work_repo, "drift")
    assert result.code == 1
    assert f"work item {spec_id}: launch not re-signed since the owner changed" in result.out
    assert f"work item {spec_id}: maintenance overdue by 61 days" in result.out
    owed = json.loads(fos(work_repo, "context", "--member", "otto", "--format", "json").out)
    assert f"sign launch again for {spec_id} as owner (launch not re-signed)" in owed["open_items"]


def test_evidence_replaced_after_a_sign_off_needs_the_sign_off_again(work_repo: Path) -> None:
    spec_id = new_item(work_repo)
    walk_to(work_repo, spec_id, "eval")
    assert record(work_repo, spec_id, "eval").code == 0
    assert as_member(work_repo, "rita", "signoff", spec_id, "--stage", "eval").code == 0
    assert record(work_repo, spec_id, "eval", cases(20, failed=2)).code == 0  # eval.2.json

    held = as_member(work_repo, "olivia", "spec", "advance", spec_id)
    assert held.code == 1, held.output
    assert "sign-off as reviewer by rita: given for an earlier version of eval.2.json" in held.out
    assert f"`fos signoff {spec_id} --stage eval --as reviewer`" in held.out
    assert "[rita]" in held.out
    assert as_member(work_repo, "rita", "signoff", spec_id, "--stage", "eval").code == 0
    assert as_member(work_repo, "olivia", "spec", "advance", spec_id).code == 0


def test_a_spec_recorded_again_after_its_sign_off_needs_it_again(work_repo: Path) -> None:
    spec_id = new_item(work_repo)
    walk_to(work_repo, spec_id, "spec")
    assert record(work_repo, spec_id, "spec").code == 0
    assert as_member(work_repo, "olivia", "signoff", spec_id, "--stage", "spec").code == 0
    path = work_repo / ".factory" / "specs" / spec_id / "spec.md"
    path.write_text(path.read_text().replace("Written.", "Rewritten after the sign-off.", 1))
    assert record(work_repo, spec_id, "spec").code == 0
    assert as_member(work_repo, "olivia", "spec", "advance", spec_id).code == 1
    assert as_member(work_repo, "olivia", "signoff", spec_id, "--stage", "spec").code == 0
    assert as_member(work_repo, "olivia", "spec", "advance", spec_id).code == 0
