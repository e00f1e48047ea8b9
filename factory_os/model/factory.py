"""`.factory/factory.yaml`: the settings of one factory."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import Field

from factory_os.model.common import SchemaVersion, Slug, Strict, WholeNumber
from factory_os.model.vocabulary import (
    DEFAULT_HOOK_STAGES,
    ESCALATION_SEVERITIES,
    RULE_SEVERITIES,
    RULE_STAGES,
)

if TYPE_CHECKING:
    from factory_os.model.vocabulary import (
        EscalationSeverity as EscalationSeverity,
        RuleSeverity as RuleSeverity,
        RuleStage as RuleStage,
    )
else:
    RuleSeverity = Literal[RULE_SEVERITIES]
    RuleStage = Literal[RULE_STAGES]
    EscalationSeverity = Literal[ESCALATION_SEVERITIES]


class Governance(Strict):
    escalation_sla_minutes: WholeNumber = Field(
        30, ge=1, description="Time to answer an escalation (an ack or a resolution)."
    )
    escalation_sla_minutes_by_severity: dict[
        EscalationSeverity, Annotated[WholeNumber, Field(ge=1)]
    ] = Field(
        default_factory=dict,
        description="Per severity, a time to answer other than escalation_sla_minutes"
        " (e.g. `{critical: 5, low: 240}`).",
    )
    override_ttl_seconds: WholeNumber = Field(
        86400, ge=60, description="The longest an override may last; also its default TTL."
    )
    integrity_roles: list[Slug] = Field(
        default_factory=lambda: ["security", "safety-lead"],
        description="Roles whose members an integrity failure (`fos verify`) escalates to at once.",
    )
    trust_trailers: bool = Field(
        False,
        strict=True,
        description="Count an `Approved-by:` trailer as an approval without signed commits"
        " (it is text the author writes; `fos approve` records an approval that proves"
        " who gave it).",
    )


class RunSettings(Strict):
    """When a factory run stops and asks a person, whatever its gates say."""

    plan_change_threshold: float = Field(
        0.25,
        gt=0,
        le=1,
        strict=True,
        description="Share of the original plan's tasks a revision may add, remove or"
        " modify before the run escalates.",
    )
    max_failures: WholeNumber = Field(
        3, ge=1, description="Failed attempts of one agent at one task before the run escalates."
    )


class ContextSettings(Strict):
    budget_tokens: WholeNumber = Field(8000, ge=200, description="Default budget of `fos context`.")
    digests: WholeNumber = Field(3, ge=0, le=50, description="How many latest digests to include.")


class IdentityPolicy(Strict):
    unknown_author: RuleSeverity = Field(
        "block", description="Severity of a commit whose author is no member of the team."
    )
    require_signed_commits: bool = Field(False, strict=True)
    allowed_signers: str | None = Field(
        None, description="allowed_signers file for SSH signatures, relative to the repository."
    )


def _default_stages() -> list[RuleStage]:
    return list(DEFAULT_HOOK_STAGES)


class HookSettings(Strict):
    stages: list[RuleStage] = Field(default_factory=_default_stages)


class FactoryConfig(Strict):
    """The factory's settings."""

    schema_version: SchemaVersion = 1
    name: Slug
    description: str = ""
    packs: list[Slug] = Field(default_factory=lambda: ["core"])
    governance: Governance = Field(default_factory=Governance)
    context: ContextSettings = Field(default_factory=ContextSettings)
    identity: IdentityPolicy = Field(default_factory=IdentityPolicy)
    hooks: HookSettings = Field(default_factory=HookSettings)
    runs: RunSettings = Field(default_factory=RunSettings)
