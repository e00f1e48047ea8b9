"""The contracts of the artifacts a factory run's agents hand each other (DESIGN section 10).

One model per JSON artifact; `schemas/artifacts/<kind>.schema.json` is generated
from each. What a JSON Schema cannot say (a verdict that contradicts the counts,
an id used twice) is checked in `factory_os.work.artifacts`, which also knows the
Markdown artifacts' required headings.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from factory_os.model.common import NonEmpty, Strict, WholeNumber, empty_list

ItemId = str
ITEM_ID = r"^[A-Za-z][A-Za-z0-9._-]*$"
Severity = Literal["critical", "high", "medium", "low"]
Verdict = Literal["pass", "fail"]
TaskChange = Literal["feature", "fix", "cosmetic", "internal-refactor"]
OWASP_TOP_10 = tuple(f"A{n:02d}" for n in range(1, 11))
STRIDE = (
    "spoofing",
    "tampering",
    "repudiation",
    "information-disclosure",
    "denial-of-service",
    "elevation-of-privilege",
)


def _id(description: str) -> Any:
    return Field(pattern=ITEM_ID, description=description)


class Journey(Strict):
    id: ItemId = _id("e.g. UJ-1")
    description: NonEmpty


class FeatureRequest(Strict):
    """feature-request.json: what is asked for, before any research."""

    title: NonEmpty
    problem: NonEmpty = Field(description="Who has which problem today.")
    outcome: NonEmpty = Field(description="What is true once the feature ships.")
    requested_by: NonEmpty
    user_journeys: list[Journey] = Field(min_length=1)
    constraints: list[NonEmpty] = Field(default_factory=empty_list)


class Criterion(Strict):
    id: ItemId = _id("e.g. AC-1; unique within the plan")
    statement: NonEmpty
    verification: NonEmpty = Field(description="How a test shows it holds: it must be testable.")


class EdgeCase(Strict):
    id: ItemId = _id("e.g. EC-1; unique within the plan")
    description: NonEmpty


class PlanTask(Strict):
    id: ItemId = _id("e.g. T1; unique within the plan")
    title: NonEmpty
    parallel_group: WholeNumber = Field(
        ge=1, description="Tasks of one group run in parallel; groups run in order."
    )
    depends_on: list[ItemId] = Field(default_factory=empty_list)
    change: TaskChange = Field(
        "feature",
        description="`cosmetic` on every task lets the security review be skipped;"
        " `internal-refactor` on every task, the docs.",
    )
    user_impact: NonEmpty
    edge_cases: list[EdgeCase] = Field(default_factory=empty_list)
    rollback_strategy: NonEmpty
    acceptance_criteria: list[Criterion] = Field(min_length=1)


class Plan(Strict):
    """plan.json: the tasks; its devil's-advocate revision is a second recorded version."""

    title: NonEmpty
    user_journeys: list[Journey] = Field(default_factory=empty_list)
    tasks: list[PlanTask] = Field(min_length=1)


class Briefing(Strict):
    """briefings/<agent>-<task>.json: what one agent is told to do for one task."""

    agent: NonEmpty
    task: ItemId = _id("a task id of the plan")
    objective: NonEmpty
    context: list[NonEmpty] = Field(default_factory=empty_list)
    files: list[NonEmpty] = Field(default_factory=empty_list, description="Paths it may change.")
    acceptance_criteria: list[ItemId] = Field(
        min_length=1, description="Ids of the plan's criteria this task answers for."
    )
    constraints: list[NonEmpty] = Field(default_factory=empty_list)


class ReviewIssue(Strict):
    severity: Severity
    file: NonEmpty
    line: WholeNumber | None = Field(None, ge=1)
    message: NonEmpty


class Review(Strict):
    """review.json: the code review. A critical issue cannot pass."""

    verdict: Verdict
    summary: NonEmpty
    issues: list[ReviewIssue] = Field(default_factory=empty_list)


class TestFailure(Strict):
    test: NonEmpty
    message: NonEmpty


class Coverage(Strict):
    """Each acceptance criterion, user journey and edge case of the plan -> test names."""

    acceptance_criteria: dict[ItemId, list[NonEmpty]] = Field(default_factory=dict)
    user_journeys: dict[ItemId, list[NonEmpty]] = Field(default_factory=dict)
    edge_cases: dict[ItemId, list[NonEmpty]] = Field(default_factory=dict)


class TestResults(Strict):
    """test-results.json: a run with failures cannot pass; total = passed + failed + skipped."""

    __test__ = False  # not a pytest class

    verdict: Verdict
    passed: WholeNumber = Field(ge=0)
    failed: WholeNumber = Field(ge=0)
    skipped: WholeNumber = Field(0, ge=0)
    total: WholeNumber = Field(ge=0)
    failures: list[TestFailure] = Field(default_factory=empty_list)
    coverage: Coverage


class SecurityFinding(Strict):
    severity: Severity
    category: NonEmpty = Field(
        description="OWASP Top 10 (A01..A10) or STRIDE (spoofing, tampering, repudiation,"
        " information-disclosure, denial-of-service, elevation-of-privilege)."
    )
    title: NonEmpty
    file: NonEmpty | None = None
    line: WholeNumber | None = Field(None, ge=1)
    mitigation: str = ""


class SecurityReview(Strict):
    """security-review.json: a critical or high finding cannot pass."""

    verdict: Verdict
    framework: Literal["owasp-top-10", "stride"]
    summary: NonEmpty
    findings: list[SecurityFinding] = Field(default_factory=empty_list)


class DocsReport(Strict):
    """docs.json: the documentation gate's report."""

    verdict: Verdict
    summary: NonEmpty
    updated: list[NonEmpty] = Field(default_factory=empty_list, description="Paths written.")


class Improvement(Strict):
    id: ItemId = _id("e.g. IMP-1")
    kind: Literal["rule", "process", "prompt", "tooling"]
    title: NonEmpty
    proposal: NonEmpty
    evidence: list[NonEmpty] = Field(min_length=1, description="What in the run shows the need.")


class Improvements(Strict):
    """improvements.json: what the run taught, for a learning agent."""

    improvements: list[Improvement] = Field(min_length=1)


# artifact kind -> model; `fos schemas` writes schemas/artifacts/<kind>.schema.json for each
ARTIFACT_SCHEMAS: dict[str, type[BaseModel]] = {
    "feature-request": FeatureRequest,
    "plan": Plan,
    "briefing": Briefing,
    "review": Review,
    "test-results": TestResults,
    "security-review": SecurityReview,
    "docs": DocsReport,
    "improvements": Improvements,
}
# Markdown artifacts: kind -> the `## ` headings they must have
MARKDOWN_HEADINGS: dict[str, tuple[str, ...]] = {
    "research-brief": ("Question", "Findings", "Recommendation", "Sources"),
    "architecture": ("Context", "Decision", "Components", "Risks"),
}
