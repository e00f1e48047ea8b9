"""The pull-request check of factory runs, over real git ranges: an honest run passes;
forged run events (a tampered artifact, an approval by someone who may not, a gate
turned off after it stopped, a ship without review and tests) are blocking findings."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from factory_os import store
from factory_os.ledger import events
from factory_os.model.team import Roles, Team
from factory_os.rules.finding import Finding
from factory_os.work import runcheck
from factory_os.work.gatecheck import Added
from tests.helpers import fos, git
from tests.run_helpers import (
    DOCS,
    FEATURE,
    REVIEW,
    SECURITY,
    make_team,
    recorded,
    results_for,
    start,
    through_plan,
)
from tests.work.range_helpers import added_by, blob, segments_at

FORGE = "forge@agents.example"


def _load(repo: Path, rev: str, name: str, model: type[Team] | type[Roles]) -> Team | Roles:
    path = f".factory/{name}"
    text = (blob(repo, rev, path) or b"").decode()
    return store.validate(model, store.parse_yaml(text, path))


def check(repo: Path, base: str, head: str = "HEAD") -> list[Finding]:
    """The run findings of BASE..HEAD, from what git holds."""
    base, head = git(repo, "rev-parse", base), git(repo, "rev-parse", head)
    team = _load(repo, base, "team.yaml", Team)
    roles = _load(repo, base, "roles.yaml", Roles)
    assert isinstance(team, Team) and isinstance(roles, Roles)
    base_entries = events.entries_of(segments_at(repo, base))
    known = {entry.id for entry in base_entries}
    commits = added_by(repo, base, head)
    by_email = {email: m.id for m in team.members for email in m.emails}
    added = []
    for entry in events.entries_of(segments_at(repo, head)):
        if entry.id not in known:
            commit = commits[entry.id]
            member = by_email.get(git(repo, "log", "-1", "--format=%ae", commit))
            added.append(Added(entry, member, commit))
    return runcheck.check_runs(
        base_entries, added, team, roles, lambda path: blob(repo, head, path)
    )


def commit(repo: Path, message: str, email: str = "test@example.com") -> str:
    git(repo, "add", "-A")
    git(repo, "-c", f"user.email={email}", "commit", "-q", "--no-verify", "-m", message)
    return git(repo, "rev-parse", "HEAD")


def append(repo: Path, kind: str, actor: str, subject: str, **data: object) -> None:
    events.append(store.find_factory(repo), kind=kind, actor=actor, subject=subject, data=data)


@pytest.fixture
def team_repo(factory_repo: Path) -> Path:
    make_team(factory_repo)
    return factory_repo


def _rules(findings: list[Finding]) -> list[str]:
    return sorted({f.rule_id for f in findings})


def test_an_honest_run_in_a_range_has_no_findings(team_repo: Path) -> None:
    base = git(team_repo, "rev-parse", "HEAD")
    run_id = start(team_repo, "spec=auto,plan=auto,ship=review")
    the_plan = through_plan(team_repo, run_id)
    for name, content in (("review.json", REVIEW), ("test-results.json", results_for(the_plan)),
                          ("security-review.json", SECURITY), ("docs.json", DOCS)):  # fmt: skip
        recorded(team_repo, run_id, name, content)
    commit(team_repo, "a run")
    assert fos(team_repo, "run", "gate", run_id, "ship").code == 1  # waits
    assert fos(team_repo, "run", "approve", run_id, "--gate", "ship").code == 0
    commit(team_repo, "approved")
    assert check(team_repo, base) == []


def test_an_artifact_that_does_not_match_its_digest_is_a_finding(team_repo: Path) -> None:
    run_id = start(team_repo)
    recorded(team_repo, run_id, "feature-request.json", FEATURE)
    base = commit(team_repo, "base")
    recorded(team_repo, run_id, "docs.json", DOCS)
    stored = team_repo / ".factory" / "runs" / run_id / "docs.json"
    stored.write_text(stored.read_text().replace("README updated.", "Nothing."))
    commit(team_repo, "tampered")
    [finding] = check(team_repo, base)
    assert finding.rule_id == "fos:run-artifact"
    assert finding.path == f".factory/runs/{run_id}/docs.json"
    assert "does not match the digest" in finding.message


def test_a_hand_written_artifact_that_breaks_its_contract_is_a_finding(team_repo: Path) -> None:
    run_id = start(team_repo)
    base = commit(team_repo, "base")
    path = team_repo / ".factory" / "runs" / run_id / "review.json"
    payload = (
        b'{"verdict": "pass", "summary": "s", "issues": [{"severity": "critical", "file": "a"}]}'
    )
    path.write_bytes(payload)
    events.append(
        store.find_factory(team_repo),
        kind="artifact.recorded",
        actor="test",
        subject=run_id,
        refs=[(f".factory/runs/{run_id}/review.json", hashlib.sha256(payload).hexdigest())],
        data={"kind": "review", "name": "review.json", "version": 1},
    )
    commit(team_repo, "by hand")
    findings = check(team_repo, base)
    assert _rules(findings) == ["fos:run-artifact"]
    assert any("breaks its contract" in f.message for f in findings)


def test_an_approval_by_a_member_who_may_not_is_a_finding(team_repo: Path) -> None:
    run_id = start(team_repo, "spec=review,plan=auto,ship=auto")
    recorded(team_repo, run_id, "feature-request.json", FEATURE)
    assert fos(team_repo, "run", "gate", run_id, "spec").code == 1
    base = commit(team_repo, "waiting")
    append(team_repo, "gate.approved", "forge", run_id, gate="spec", feedback="")
    commit(team_repo, "forged approval", FORGE)
    [finding] = check(team_repo, base)
    assert finding.rule_id == "fos:run-approval" and finding.member == "forge"
    assert "holds no approver role" in finding.message


def test_an_approval_of_a_gate_that_was_not_waiting_is_a_finding(team_repo: Path) -> None:
    run_id = start(team_repo, "spec=review,plan=auto,ship=auto")
    base = commit(team_repo, "base")
    append(team_repo, "gate.approved", "test", run_id, gate="spec", feedback="")
    commit(team_repo, "approved out of turn")
    [finding] = check(team_repo, base)
    assert finding.rule_id == "fos:run-approval" and "was not waiting (pending)" in finding.message


def test_turning_a_gate_off_after_it_stopped_the_run_is_a_finding(team_repo: Path) -> None:
    run_id = start(team_repo, "spec=review,plan=auto,ship=auto")
    recorded(team_repo, run_id, "feature-request.json", FEATURE)
    fos(team_repo, "run", "gate", run_id, "spec")
    base = commit(team_repo, "waiting")
    gates = {"spec": "auto", "plan": "auto", "ship": "auto"}
    append(team_repo, "run.gates_changed", "test", run_id, gates=gates, reason="x")
    append(team_repo, "gate.passed", "test", run_id, gate="spec", mode="auto")
    commit(team_repo, "bypass")
    findings = check(team_repo, base)
    assert _rules(findings) == ["fos:run-gates"]
    assert (
        "turns off the spec gate (review -> auto) after it stopped the run" in findings[0].message
    )


def test_a_ship_without_review_and_tests_is_a_finding(team_repo: Path) -> None:
    run_id = start(team_repo, "spec=auto,plan=auto,ship=review")
    through_plan(team_repo, run_id)
    base = commit(team_repo, "planned")
    append(team_repo, "gate.passed", "test", run_id, gate="ship", mode="review")
    append(team_repo, "run.shipped", "test", run_id)
    commit(team_repo, "shipped by hand")
    findings = check(team_repo, base)
    assert _rules(findings) == ["fos:run-gate", "fos:run-ship"]
    messages = " ".join(f.message for f in findings)
    assert "no review.json recorded" in messages and "no test-results.json recorded" in messages
    assert "gate.passed for the ship gate, whose mode is review" in messages


def test_a_ship_with_failing_tests_and_no_escalation_is_a_finding(team_repo: Path) -> None:
    run_id = start(team_repo)
    the_plan = through_plan(team_repo, run_id)
    base = commit(team_repo, "planned")
    failing = results_for(the_plan, failed=2)
    path = team_repo / ".factory" / "runs" / run_id / "test-results.json"
    payload = json.dumps(failing).encode()
    path.write_bytes(payload)
    events.append(
        store.find_factory(team_repo),
        kind="artifact.recorded",
        actor="test",
        subject=run_id,
        refs=[(f".factory/runs/{run_id}/test-results.json", hashlib.sha256(payload).hexdigest())],
        data={"kind": "test-results", "name": "test-results.json", "version": 1},
    )
    append(team_repo, "run.shipped", "test", run_id)
    commit(team_repo, "ship anyway")
    messages = [f.message for f in check(team_repo, base) if f.rule_id == "fos:run-ship"]
    assert any("test-results.json (version 1) does not pass" in m for m in messages)
    assert any("shipped without escalating: 2 of 12 tests failed" in m for m in messages)
