"""A work item (DESIGN section 9): `.factory/specs/<SP-id>/spec.md` and its evidence.

The spec's front matter names the item and who holds each role on it; its body
holds the spec's sections. The evidence of each stage sits beside it, one file
per stage, in one of the formats below (`model.lifecycle.EvidenceFormat`).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from factory_os.model.common import HEX_SUFFIX, Day, NonEmpty, Slug, Strict, WholeNumber, empty_list

SPEC_ID = rf"^SP-{HEX_SUFFIX}$"
# front-matter fields that name the member holding a raci role on this item
ROLE_FIELDS = ("owner", "sponsor", "builder", "reviewer", "safety_lead")


def role_field(role: str) -> str:
    """The front-matter field of a raci role: `safety-lead` is `safety_lead`."""
    return role.replace("-", "_")


class SpecFrontMatter(Strict):
    """`spec.md`'s front matter: what the item is, and who holds which role on it."""

    id: str = Field(pattern=SPEC_ID)
    title: NonEmpty
    kind: Literal["agent", "feature"] = "agent"
    risk: Literal["low", "high"] = "high"
    owner: Slug
    sponsor: Slug
    builder: Slug | None = None
    reviewer: Slug | None = None
    safety_lead: Slug | None = None
    platforms: list[Slug] = Field(default_factory=empty_list)
    cost_ceiling: str | None = Field(None, description="e.g. `200 USD/month`.")
    same_person_reason: str | None = Field(
        None,
        description="Why one member holds two roles that separation of duties allows to share"
        " only on low-risk work.",
    )


class RankingEvidence(Strict):
    """A ranking (`rank.yaml`): each factor of the rubric scored 1 (poor) to 5 (strong)."""

    scores: dict[Slug, WholeNumber] = Field(min_length=1)
    notes: str = ""


class BuildEvidence(Strict):
    """What was built (`build.yaml`): a versioned prompt pack or change set."""

    version: NonEmpty
    kind: Literal["prompt-pack", "change-set"]
    ref: NonEmpty = Field(description="A commit, tag or path that holds it.")
    notes: str = ""


class Case(Strict):
    id: NonEmpty
    outcome: Literal["pass", "fail"] = Field(description="pass: handled as it should be.")
    critical: bool = Field(False, strict=True)
    attack_class: Slug | None = None
    description: str = ""


class CaseReport(Strict):
    """An eval or red-team report (`eval.json`, `red-team.json`): fos counts the cases
    and computes the pass rates from their outcomes."""

    cases: list[Case] = Field(min_length=1)
    notes: str = ""


class ThresholdResult(Strict):
    name: NonEmpty
    value: NonEmpty
    met: bool = Field(strict=True)


class LaunchRecord(Strict):
    """The launch (`launch.yaml`): when, who owns it, the threshold results, the cost ceiling."""

    date: Day
    owner: Slug
    thresholds: list[ThresholdResult] = Field(min_length=1)
    cost_ceiling: NonEmpty
    risk_acceptance: NonEmpty = Field(description="The risk the sponsor co-signs.")
