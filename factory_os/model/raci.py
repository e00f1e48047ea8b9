"""`.factory/raci.yaml`: lifecycle stage x role, and separation of duties."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from factory_os.model.common import NonEmpty, Slug, Strict, empty_list

Responsibility = Literal["R", "A", "C", "I", "A/R"]


class DutySeparation(Strict):
    roles: list[Slug] = Field(min_length=2, max_length=2)
    rule: Literal["never", "low-stakes-with-reason"] = Field(
        description="`never`: one person never holds both on one piece of work; "
        "`low-stakes-with-reason`: only for low-stakes work, with a recorded reason."
    )
    description: NonEmpty


class Raci(Strict):
    """Who is Responsible, Accountable, Consulted, Informed at each lifecycle stage."""

    # That every stage names only roles of `roles` and has an A is checked in crossref,
    # which knows the line of the culprit; a model validator could only say line 1.

    roles: list[Slug] = Field(min_length=1)
    stages: dict[Slug, dict[Slug, Responsibility]] = Field(min_length=1)
    separation_of_duties: list[DutySeparation] = Field(default_factory=empty_list)
    governance: dict[Slug, Responsibility] = Field(
        default_factory=dict,
        description="Who answers for governance: an escalation past its SLA goes to the"
        " members of its Accountable roles, who also grant overrides and resolve escalations"
        " (empty: the approver roles of roles.yaml).",
    )

    def accountable(self, stage: str) -> list[str]:
        return [role for role, value in self.stages.get(stage, {}).items() if "A" in value]

    def governance_roles(self, letter: str = "A") -> list[str]:
        """The roles holding LETTER (`A`, `R`, ...) for governance."""
        return [role for role, value in self.governance.items() if letter in value]
