"""`.factory/lifecycle.yaml`: each stage's gate (DESIGN section 9).

The stages are those of `raci.yaml`, in its order; this file gives each one the
evidence it needs and the thresholds that evidence must meet, who signs it off,
who may veto it, and where a failed gate sends the work back. The code knows no
stage by name: everything it needs to know about a stage is written here.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from factory_os.model.common import NonEmpty, SchemaVersion, Slug, Strict, WholeNumber, empty_list

# what fos can read and compute figures from; a lifecycle picks one per evidence kind
EvidenceFormat = Literal["markdown", "ranking", "build", "cases", "launch-record"]
Threshold = Literal["min_cases", "min_pass_rate", "critical_pass_rate", "attack_classes"]
Rate = Annotated[float, Field(ge=0, le=1)]
PLATFORM = "{platform}"


class EvidenceKind(Strict):
    """One piece of evidence a stage needs, and what it must show."""

    name: Slug = Field(description="What the evidence is called, e.g. eval-report.")
    format: EvidenceFormat = Field(
        description="markdown: sections; ranking: factor scores; build: a versioned change;"
        " cases: a case report whose figures fos computes; launch-record: the launch facts."
    )
    file: NonEmpty = Field(
        pattern=r"^[a-z0-9][a-z0-9._{}/-]*$",
        description="Where it is stored in the work item's folder; `{platform}` makes one"
        " file per target platform of the spec (port/{platform}.md).",
    )
    sections: list[NonEmpty] = Field(
        default_factory=empty_list, description="markdown: the `## ` headings it must have."
    )
    factors: list[Slug] = Field(
        default_factory=empty_list, description="ranking: every factor must be scored 1 to 5."
    )
    min_cases: WholeNumber | None = Field(None, ge=1, description="cases: at least this many.")
    min_pass_rate: Rate | None = Field(None, description="cases: passed / cases at least this.")
    critical_pass_rate: Rate | None = Field(
        None, description="cases: passed / cases among the critical ones at least this."
    )
    attack_classes: list[Slug] = Field(
        default_factory=empty_list, description="cases: each class needs at least one case."
    )
    hard: list[Threshold] = Field(
        default_factory=empty_list,
        description="Thresholds whose failure sends the work back (`on_fail`) instead of"
        " only holding the gate.",
    )

    @property
    def per_platform(self) -> bool:
        return PLATFORM in self.file

    @model_validator(mode="after")
    def _parameters_fit_the_format(self) -> EvidenceKind:
        case_only = ("min_cases", "min_pass_rate", "critical_pass_rate", "attack_classes")
        if self.format != "cases" and any(getattr(self, name) for name in case_only):
            raise ValueError(f"{', '.join(case_only)} apply to the cases format only")
        if self.format != "markdown" and self.sections:
            raise ValueError("sections apply to the markdown format only")
        if self.format != "ranking" and self.factors:
            raise ValueError("factors apply to the ranking format only")
        unset = [name for name in self.hard if not getattr(self, name)]
        if unset:
            raise ValueError(f"hard names thresholds that are not set: {', '.join(unset)}")
        return self


class StageGate(Strict):
    """What it takes to leave a stage."""

    description: str = ""
    evidence: list[EvidenceKind] = Field(default_factory=empty_list)
    signoffs: list[Slug] | None = Field(
        None, description="Roles that must sign; default: every role that is A at the stage."
    )
    veto: list[Slug] = Field(
        default_factory=empty_list, description="Roles that may block the gate."
    )
    on_fail: Slug | None = Field(
        None, description="The stage a veto or a failed hard threshold sends the work back to."
    )
    cadence_days: WholeNumber | None = Field(
        None, ge=1, description="A recurring stage: the work is logged again every N days."
    )
    resign_on_transfer: bool = Field(
        False,
        strict=True,
        description="When the owner changes, the new owner signs this stage again"
        " (the launch: no owner, no launch).",
    )


class Lifecycle(Strict):
    """Every stage of raci.yaml, in its order, with its gate."""

    schema_version: SchemaVersion = 1
    owner_role: Slug = Field(
        "owner", description="The raci role that owns a work item (transfers move it)."
    )
    stages: dict[Slug, StageGate] = Field(min_length=1)

    def order(self) -> list[str]:
        return list(self.stages)

    def next_stage(self, stage: str) -> str | None:
        names = self.order()
        index = names.index(stage) + 1 if stage in names else len(names)
        return names[index] if index < len(names) else None
