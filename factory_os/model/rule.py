"""`.factory/rules/<id>.yaml`: one rule per file (DESIGN section 3, Rules).

A rule file is append-only: once recorded it is never rewritten. Superseding and
retiring are ledger events, so a rule's effective status comes from the ledger;
the `status` and `superseded_by` fields hold what the file was written with.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field, field_validator

from factory_os.model.common import (
    INCIDENT_ID,
    PACK_ORIGIN,
    NonEmpty,
    RuleId,
    Slug,
    Strict,
)

Severity = Literal["block", "warn", "info"]
Status = Literal["active", "superseded", "retired"]
Stage = Literal["pre-commit", "commit-msg", "pre-push", "ci"]
ALL_STAGES: tuple[Stage, ...] = ("pre-commit", "commit-msg", "pre-push", "ci")


class Scope(Strict):
    roles: list[Slug] = Field(default_factory=list, description="Empty: every member.")
    paths: list[NonEmpty] = Field(
        default_factory=list, description="gitignore-style globs; empty: every path."
    )
    exclude: list[NonEmpty] = Field(default_factory=list, description="gitignore-style globs.")


class PathGuard(Strict):
    kind: Literal["path-guard"]


class ApprovalRequired(Strict):
    kind: Literal["approval-required"]
    approver_roles: list[Slug] = Field(min_length=1)
    trailer: NonEmpty = "Approved-by"


class RequiredTrailer(Strict):
    kind: Literal["required-trailer"]
    key: NonEmpty
    pattern: str | None = Field(None, description="The trailer's value must match (RE2 syntax).")


class ForbiddenPattern(Strict):
    kind: Literal["forbidden-pattern"]
    pattern: NonEmpty = Field(description="RE2 syntax (linear time); matched against added lines.")

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, pattern: str) -> str:
        import re2

        options = re2.Options()
        options.log_errors = False  # the error is reported here, not logged to stderr
        try:
            re2.compile(pattern, options)
        except Exception as exc:  # re2 raises its own error type
            raise ValueError(f"not a valid RE2 pattern: {exc}") from None
        return pattern


class AppendOnly(Strict):
    kind: Literal["append-only"]


class Command(Strict):
    kind: Literal["command"]
    run: NonEmpty = Field(description="Run with sh -c in the repository root.")
    timeout: int = Field(60, ge=1, le=3600, description="Seconds.")


class Manual(Strict):
    kind: Literal["manual"]


Check = Annotated[
    PathGuard
    | ApprovalRequired
    | RequiredTrailer
    | ForbiddenPattern
    | AppendOnly
    | Command
    | Manual,
    Field(discriminator="kind"),
]


class Rule(Strict):
    """One rule of the factory: what an agent is shown and, where possible, what git checks."""

    id: RuleId
    title: NonEmpty
    statement: NonEmpty = Field(description="The imperative sentence an agent is shown.")
    rationale: str = ""
    origin: str = Field(
        pattern=rf"({INCIDENT_ID})|({PACK_ORIGIN})",
        description="The incident it came from, or pack:<name>@<version>.",
    )
    severity: Severity = "block"
    status: Status = "active"
    superseded_by: RuleId | None = None
    created_at: datetime
    created_by: NonEmpty
    scope: Scope = Field(default_factory=Scope)
    stages: list[Stage] = Field(default_factory=lambda: list(ALL_STAGES))
    check: Check = Field(default_factory=lambda: Manual(kind="manual"))


class RuleDraft(Strict):
    """A hand-written rule for `fos rule add --file`: no id, no timestamps, no author."""

    title: NonEmpty
    statement: NonEmpty
    rationale: str = ""
    severity: Severity = "block"
    scope: Scope = Field(default_factory=Scope)
    stages: list[Stage] = Field(default_factory=lambda: list(ALL_STAGES))
    check: Check = Field(default_factory=lambda: Manual(kind="manual"))
