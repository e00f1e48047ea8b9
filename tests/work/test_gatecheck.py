"""The lifecycle's pull-request check over real git ranges: a range that fakes any step is
refused, an honest one passes."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from factory_os import store
from factory_os.ledger import events
from factory_os.rules.finding import Finding
from tests.checks_helpers import findings
from tests.helpers import Result, fos, git
from tests.lifecycle_helpers import EMAIL, SIGNERS, as_member, cases, make_team, new_item, record
from tests.work.range_helpers import check


@pytest.fixture
def work_repo(factory_repo: Path) -> Path:
    make_team(factory_repo)
    return factory_repo


def commit_as(repo: Path, member: str, message: str = "work") -> str:
    git(repo, "add", "-A")
    email = EMAIL.get(member, member)
    git(repo, "-c", f"user.email={email}", "-c", f"user.name={member}", "commit", "-q",
        "--no-verify", "-m", message)  # fmt: skip
    return git(repo, "rev-parse", "HEAD")


def act(repo: Path, member: str, *args: str) -> Result:
    """MEMBER runs `fos ARGS` and commits what it wrote."""
    result = as_member(repo, member, *args)
    assert result.code in (0, 1), result.output
    commit_as(repo, member)
    return result


def honest_stage(repo: Path, spec_id: str, stage: str) -> None:
    assert record(repo, spec_id, stage).code == 0
    commit_as(repo, "bob")
    for member, role in SIGNERS[stage]:
        act(repo, member, "signoff", spec_id, "--stage", stage, "--as", role)
    assert act(repo, "olivia", "spec", "advance", spec_id).code == 0


def honest_walk(repo: Path, spec_id: str, stages: tuple[str, ...]) -> str:
    """Pass STAGES honestly, each step committed by its member; return the head commit."""
    for stage in stages:
        honest_stage(repo, spec_id, stage)
    return git(repo, "rev-parse", "HEAD")


def forge(repo: Path, **fields: object) -> str:
    """A ledger line written by hand (with a correct id and parents), as anyone can."""
    factory = store.find_factory(repo)
    return events.append(factory, **fields)  # type: ignore[arg-type]


def rules(findings: list[Finding]) -> list[str]:
    return sorted(f.rule_id for f in findings)


@pytest.fixture
def item(work_repo: Path) -> tuple[Path, str, str]:
    """An item created and committed by its owner; the base of the ranges below."""
    spec_id = new_item(work_repo)
    base = commit_as(work_repo, "olivia", "new item")
    return work_repo, spec_id, base


def test_an_honest_range_passes(item: tuple[Path, str, str]) -> None:
    repo, spec_id, base = item
    honest_walk(repo, spec_id, ("intake", "rank", "spec", "build", "eval"))
    assert check(repo, base) == []


def test_a_hand_written_stage_advanced_line_is_blocked(item: tuple[Path, str, str]) -> None:
    repo, spec_id, base = item
    forge(repo, kind="stage.advanced", actor="olivia", subject=spec_id,
          data={"from": "intake", "to": "rank", "evidence": [], "signoffs": []})  # fmt: skip
    commit_as(repo, "olivia", "skip intake")
    [finding] = check(repo, base)
    assert finding.rule_id == "fos:lifecycle-gate" and finding.blocking
    assert (
        "its gate did not hold" in finding.message
        and "intake-form: not recorded" in finding.message
    )
    assert finding.member == "olivia"


def test_a_skipped_stage_is_blocked_even_when_the_gate_holds(item: tuple[Path, str, str]) -> None:
    repo, spec_id, base = item
    record(repo, spec_id, "intake")
    as_member(repo, "olivia", "signoff", spec_id, "--stage", "intake")
    forge(repo, kind="stage.advanced", actor="olivia", subject=spec_id,
          data={"from": "intake", "to": "eval"})  # fmt: skip
    commit_as(repo, "olivia")
    messages = [f.message for f in check(repo, base) if f.rule_id == "fos:lifecycle-gate"]
    assert messages and "its next stage is rank" in messages[0]


def test_a_sign_off_committed_by_someone_else_is_blocked(item: tuple[Path, str, str]) -> None:
    """Reported once, by the rule engine's built-in provenance check, not by the gates."""
    repo, spec_id, base = item
    record(repo, spec_id, "intake")
    commit_as(repo, "bob")
    as_member(repo, "olivia", "signoff", spec_id, "--stage", "intake")
    commit_as(repo, "bob", "bob signs for olivia")
    assert check(repo, base) == []
    result = fos(repo, "check", "--range", f"{base}..HEAD", "--format", "json")
    [finding] = [f for f in findings(result.out) if f["rule_id"] == "fos:entry-actor-mismatch"]
    assert "names olivia as its actor, but bob committed it" in finding["message"]


def test_every_entry_a_commit_adds_names_its_member(item: tuple[Path, str, str]) -> None:
    repo, _spec_id, base = item
    forge(repo, kind="note.written", actor="sam", subject="anything")
    commit_as(repo, "rita")
    forge(repo, kind="note.written", actor="rita", subject="anything")
    commit_as(repo, "eve@example.com")
    result = fos(repo, "check", "--range", f"{base}..HEAD", "--format", "json")
    found = [f for f in findings(result.out) if f["rule_id"] == "fos:entry-actor-mismatch"]
    assert result.code == 1 and len(found) == 2
    messages = " | ".join(f["message"] for f in found)
    assert "names rita as its actor, but eve@example.com, who is no member" in messages
    assert "names sam as its actor, but rita committed it" in messages


def test_a_builder_signing_as_reviewer_by_hand_is_blocked(item: tuple[Path, str, str]) -> None:
    repo, spec_id, base = item
    forge(repo, kind="signoff", actor="bob", subject=spec_id,
          data={"stage": "intake", "role": "owner"})  # fmt: skip
    forge(repo, kind="signoff", actor="bob", subject=spec_id,
          data={"stage": "intake", "role": "reviewer"})  # fmt: skip
    commit_as(repo, "bob")
    found = check(repo, base)
    assert rules(found) == ["fos:lifecycle-signoff", "fos:lifecycle-signoff"]
    assert "bob does not hold owner" in found[0].message
    assert "reviewer does not sign intake" in found[1].message
    assert "on this item: olivia" in found[1].message  # who can sign it instead


def test_separation_of_duties_holds_in_a_range(item: tuple[Path, str, str]) -> None:
    repo, spec_id, _base = item
    honest_walk(repo, spec_id, ("intake", "rank", "spec", "build"))
    record(repo, spec_id, "eval")
    commit_as(repo, "bob")
    middle = git(repo, "rev-parse", "HEAD")
    forge(repo, kind="signoff", actor="bob", subject=spec_id,
          data={"stage": "eval", "role": "reviewer"})  # fmt: skip
    commit_as(repo, "bob")
    [finding] = check(repo, middle)
    assert finding.rule_id == "fos:lifecycle-separation-of-duties"
    assert "bob is the builder" in finding.message


def test_evidence_edited_after_it_was_recorded_is_blocked(item: tuple[Path, str, str]) -> None:
    repo, spec_id, base = item
    record(repo, spec_id, "intake")
    commit_as(repo, "bob")
    middle = git(repo, "rev-parse", "HEAD")
    path = repo / ".factory" / "specs" / spec_id / "intake.md"
    path.write_text(path.read_text() + "\nA late addition.\n")
    commit_as(repo, "bob", "edit evidence")
    for since in (base, middle):
        found = check(repo, since)
        assert found and rules(found) == ["fos:lifecycle-evidence"] * len(found)
        assert {f.path for f in found} == {f".factory/specs/{spec_id}/intake.md"}


def test_claimed_figures_that_are_not_the_files_are_blocked(item: tuple[Path, str, str]) -> None:
    repo, spec_id, _base = item
    before = honest_walk(repo, spec_id, ("intake", "rank", "spec", "build"))
    report = cases(19)
    (repo / ".factory" / "specs" / spec_id / "eval.json").write_text(report)
    sha = hashlib.sha256(report.encode()).hexdigest()
    classes = ["data-exfiltration", "jailbreak", "prompt-injection", "tool-misuse"]
    figures = {"cases": 20, "passed": 20, "critical": 0, "critical_passed": 0, "classes": classes}
    forge(repo, kind="evidence.recorded", actor="bob", subject=spec_id,
          refs=[(f".factory/specs/{spec_id}/eval.json", sha)],
          data={"stage": "eval", "evidence": "eval-report", "figures": figures})  # fmt: skip
    commit_as(repo, "bob")
    [finding] = check(repo, before)
    assert finding.rule_id == "fos:lifecycle-evidence"
    assert "the recorded figures are not the file's" in finding.message
    assert "'cases': 19" in finding.message


def test_a_red_team_report_with_a_failed_critical_case_cannot_be_advanced_by_hand(
    item: tuple[Path, str, str],
) -> None:
    repo, spec_id, _base = item
    before = honest_walk(repo, spec_id, ("intake", "rank", "spec", "build", "eval"))
    record(repo, spec_id, "red-team", cases(20, critical=4, critical_failed=1))
    commit_as(repo, "bob")
    act(repo, "sara", "signoff", spec_id, "--stage", "red-team")
    forge(repo, kind="stage.advanced", actor="olivia", subject=spec_id,
          data={"from": "red-team", "to": "port"})  # fmt: skip
    commit_as(repo, "olivia")
    [finding] = check(repo, before)
    assert finding.rule_id == "fos:lifecycle-gate"
    assert "1 of 4 critical cases failed" in finding.message


def test_an_owner_changed_by_hand_is_blocked_and_a_transfer_is_not(
    item: tuple[Path, str, str],
) -> None:
    repo, spec_id, base = item
    path = repo / ".factory" / "specs" / spec_id / "spec.md"
    original = path.read_text()
    path.write_text(original.replace("owner: olivia", "owner: otto"))
    commit_as(repo, "olivia", "hand over")
    [finding] = check(repo, base)
    assert finding.rule_id == "fos:lifecycle-hand-edit"
    assert "owner is otto, but the ledger says olivia" in finding.message
    assert finding.line is not None

    git(repo, "reset", "-q", "--hard", base)
    act(repo, "olivia", "spec", "transfer", spec_id, "--to", "otto", "--reason", "leaving")
    assert check(repo, base) == []


def test_writing_a_specs_sections_by_hand_is_fine(item: tuple[Path, str, str]) -> None:
    repo, spec_id, base = item
    path = repo / ".factory" / "specs" / spec_id / "spec.md"
    path.write_text(path.read_text().replace("(to write)", "Written.", 1))
    commit_as(repo, "bob")
    assert check(repo, base) == []


def test_a_transfer_without_re_signing_shows_in_the_range_replay(
    item: tuple[Path, str, str],
) -> None:
    repo, spec_id, _base = item
    before = honest_walk(repo, spec_id, tuple(SIGNERS))
    act(repo, "olivia", "spec", "transfer", spec_id, "--to", "otto", "--reason", "leaving")
    forge(repo, kind="signoff", actor="olivia", subject=spec_id,
          data={"stage": "launch", "role": "owner"})  # fmt: skip
    commit_as(repo, "olivia")
    [finding] = check(repo, before)
    assert finding.rule_id == "fos:lifecycle-signoff"
    assert "olivia does not hold owner" in finding.message
