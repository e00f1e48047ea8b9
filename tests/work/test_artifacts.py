"""Every artifact contract: a valid file is stored and recorded; an invalid one fails
closed (exit 3, each problem at its line and JSON pointer, nothing stored)."""

from __future__ import annotations

import copy
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from factory_os import store
from factory_os.ledger import events
from tests.helpers import fos, snapshot
from tests.run_helpers import (
    DOCS,
    FEATURE,
    REVIEW,
    SECURITY,
    make_team,
    plan,
    record,
    recorded,
    results_for,
    start,
    task,
    through_plan,
    write_artifact,
)

BRIEFING = {
    "agent": "forge",
    "task": "T1",
    "objective": "Make refunds one call.",
    "files": ["src/refunds.py"],
    "acceptance_criteria": ["AC-T1"],
}
IMPROVEMENTS = {
    "improvements": [
        {
            "id": "IMP-1",
            "kind": "rule",
            "title": "Lint floats",
            "proposal": "Add a rule.",
            "evidence": ["review v1"],
        }
    ]
}
RESEARCH = "# Research\n\n## Question\nq\n## Findings\nf\n## Recommendation\nr\n## Sources\ns\n"
ARCHITECTURE = "## Context\n\n## Decision\n\n## Components\n\n## Risks\n"


@pytest.fixture
def run_repo(factory_repo: Path) -> tuple[Path, str]:
    make_team(factory_repo)
    run_id = start(factory_repo, "spec=auto,plan=auto,ship=review")
    through_plan(factory_repo, run_id)
    return factory_repo, run_id


def _with(document: dict[str, Any], **changes: Any) -> dict[str, Any]:
    out = copy.deepcopy(document)
    out.update(changes)
    return out


VALID: list[tuple[str, Any]] = [
    ("feature-request.json", {**FEATURE, "constraints": ["no new dependency"]}),
    ("plan.json", {**plan(), "title": "Refunds, revised"}),
    ("briefings/forge-T1.json", BRIEFING),
    ("review.json", {**REVIEW, "issues": [{"severity": "high", "file": "a.py", "line": 3,
                                           "message": "m"}], "verdict": "fail"}),
    ("test-results.json", results_for(plan())),
    ("security-review.json", {**SECURITY, "framework": "stride", "findings": [
        {"severity": "low", "category": "tampering", "title": "t"}]}),
    ("docs.json", DOCS),
    ("improvements.json", IMPROVEMENTS),
    ("research-brief.md", RESEARCH),
    ("architecture.md", ARCHITECTURE),
]  # fmt: skip


@pytest.mark.parametrize(("name", "content"), VALID, ids=[v[0] for v in VALID])
def test_a_valid_artifact_is_stored_and_its_digest_recorded(
    run_repo: tuple[Path, str], name: str, content: Any
) -> None:
    repo, run_id = run_repo
    result = record(repo, run_id, name, content)
    assert result.code == 0, result.output
    factory = store.find_factory(repo)
    [entry] = [
        e
        for e in events.entries(factory)
        if e.kind == "artifact.recorded" and e.data["name"] == name
    ][-1:]
    stored = repo / entry.refs[0].path
    assert stored.read_bytes() == write_artifact(repo, name, content).read_bytes()
    assert entry.refs[0].sha256 == hashlib.sha256(stored.read_bytes()).hexdigest()
    assert entry.subject == run_id


def test_a_second_version_is_a_new_file_and_entry_and_the_first_is_kept(
    run_repo: tuple[Path, str],
) -> None:
    repo, run_id = run_repo
    runs = repo / ".factory" / "runs" / run_id
    first = (runs / "plan.json").read_bytes()
    recorded(repo, run_id, "plan.json", {**plan(), "title": "Renamed"})
    assert (runs / "plan.json").read_bytes() == first
    assert json.loads((runs / "plan.v2.json").read_text())["title"] == "Renamed"
    factory = store.find_factory(repo)
    versions = [
        e.data["version"] for e in events.entries(factory) if e.data.get("name") == "plan.json"
    ]
    assert versions == [1, 2]


def _tests_with(**changes: Any) -> dict[str, Any]:
    return _with(results_for(plan()), **changes)


INVALID: list[tuple[str, Any, list[str]]] = [
    ("feature-request.json", _with(FEATURE, user_journeys=[]), [":6: /user_journeys:"]),
    ("feature-request.json", _with(FEATURE, colour="red"), ["/colour: unknown key"]),
    ("feature-request.json", '{"title": "x",\n "title": "y"}', [":1: invalid JSON: duplicate"]),
    ("feature-request.json", '{"title": \n', [":2: invalid JSON"]),
    ("plan.json", plan(task("T1", acceptance_criteria=[])), ["/tasks/0/acceptance_criteria:"]),
    ("plan.json", plan(task("T1"), task("T1", 2)), ["/tasks/1/id: task id T1 is used twice"]),
    ("plan.json", plan(task("T1", depends_on=["T9"])), ["/tasks/0/depends_on/0: T9 is no other"]),
    ("plan.json", plan(task("T1", parallel_group=0)), ["/tasks/0/parallel_group:"]),
    ("plan.json", plan(task("T1", rollback_strategy="")), ["/tasks/0/rollback_strategy:"]),
    ("briefings/forge-T1.json", _with(BRIEFING, task="T9"), ["/task: the plan has no task T9"]),
    ("briefings/forge-T2.json", BRIEFING, ["/agent: a briefing for forge on T1 is named"]),
    ("briefings/forge-T1.json", _with(BRIEFING, acceptance_criteria=["AC-T2"]),
     ["/acceptance_criteria/0: task T1 has no criterion AC-T2"]),
    ("review.json", _with(REVIEW, issues=[{"severity": "critical", "file": "a.py",
                                           "message": "m"}]), ["/verdict: cannot be pass"]),
    ("review.json", _with(REVIEW, verdict="ok"), ["/verdict:"]),
    ("review.json", _with(REVIEW, issues=[{"severity": "severe", "file": "a.py", "message": "m"}]),
     ["/issues/0/severity:"]),
    ("test-results.json", _tests_with(failed=1, total=11), ["/verdict: cannot be pass with 1"]),
    ("test-results.json", _tests_with(total=12), ["/total: is 12, but passed + failed"]),
    ("test-results.json", _tests_with(coverage={"acceptance_criteria": {"AC-T1": ["t"]}}),
     ["/coverage/acceptance_criteria: verdict pass, but no test covers AC-T2"]),
    ("test-results.json", _tests_with(coverage={"acceptance_criteria": {
        "AC-T1": ["t"], "AC-T2": ["t"], "AC-X": ["t"]}}),
     ["/coverage/acceptance_criteria/AC-X: the plan has no AC-X"]),
    ("security-review.json", _with(SECURITY, findings=[{"severity": "high", "category": "A03",
                                                       "title": "SQLi"}]),
     ["/verdict: cannot be pass with a critical or high"]),
    ("security-review.json", _with(SECURITY, findings=[{"severity": "low", "category": "A11",
                                                       "title": "t"}]),
     ["/findings/0/category: 'A11' is not a owasp-top-10 category"]),
    ("docs.json", _with(DOCS, verdict=None), ["/verdict:"]),
    ("improvements.json", {"improvements": []}, ["/improvements:"]),
    ("research-brief.md", "## Question\n## Findings\n", [
        ":1: missing the required heading `## Recommendation`",
        ":1: missing the required heading `## Sources`"]),
    ("architecture.md", "# Context\n## Decision\n", ["`## Components`", "`## Risks`"]),
    ("notes.json", {}, ["not a run artifact"]),
]  # fmt: skip


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    INVALID,
    ids=[f"{n}-{i}" for i, (n, _, _) in enumerate(INVALID)],
)
def test_an_invalid_artifact_fails_closed(
    run_repo: tuple[Path, str], name: str, content: Any, expected: list[str]
) -> None:
    repo, run_id = run_repo
    path = write_artifact(repo, name, content)
    before = snapshot(repo / ".factory")
    result = fos(repo, "run", "artifact", run_id, str(path))
    assert result.code == 3, result.output
    for fragment in expected:
        assert fragment in result.err, result.err
    assert "Traceback" not in result.output
    assert snapshot(repo / ".factory") == before


def test_problems_name_the_line_of_the_json_pointer(run_repo: tuple[Path, str]) -> None:
    repo, run_id = run_repo
    document = plan(task("T1"), task("T2", 2, rollback_strategy=""))
    path = write_artifact(repo, "plan.json", document)
    line = next(
        n
        for n, text in enumerate(path.read_text().splitlines(), 1)
        if '"rollback_strategy": ""' in text
    )
    result = fos(repo, "run", "artifact", run_id, str(path))
    assert result.code == 3
    assert f"plan.json:{line}: /tasks/1/rollback_strategy:" in result.err


def test_briefings_wait_for_the_plan(factory_repo: Path) -> None:
    make_team(factory_repo)
    run_id = start(factory_repo)
    result = record(factory_repo, run_id, "briefings/forge-T1.json", BRIEFING)
    assert result.code == 3
    assert "/task: the run has no plan.json yet" in result.err


def test_the_same_content_twice_is_refused(run_repo: tuple[Path, str]) -> None:
    repo, run_id = run_repo
    recorded(repo, run_id, "docs.json", DOCS)
    result = record(repo, run_id, "docs.json", DOCS)
    assert result.code == 2
    assert "already recorded with this content" in result.err


def test_an_artifact_written_in_place_is_recorded_where_it_is(run_repo: tuple[Path, str]) -> None:
    repo, run_id = run_repo
    path = repo / ".factory" / "runs" / run_id / "docs.json"
    path.write_text(json.dumps({"verdict": "pass", "summary": "s"}))
    result = fos(repo, "run", "artifact", run_id, str(path))
    assert result.code == 0, result.output
    assert sorted(p.name for p in path.parent.glob("docs*")) == ["docs.json"]
    factory = store.find_factory(repo)
    [entry] = [e for e in events.entries(factory) if e.data.get("name") == "docs.json"]
    assert entry.refs[0].sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
