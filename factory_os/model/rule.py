"""`.factory/rules/<id>.yaml`: one rule per file (DESIGN section 3, Rules).

A rule file is append-only: once recorded it is never rewritten. Superseding and
retiring are ledger events, so a rule's effective status comes from the ledger;
the `status` and `superseded_by` fields hold what the file was written with.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import Field, field_validator

from factory_os.model.common import (
    DECISION_ORIGIN,
    INCIDENT_ID,
    PACK_ORIGIN,
    Glob,
    NonEmpty,
    RuleId,
    Slug,
    Strict,
    Timestamp,
    WholeNumber,
    empty_list,
)
from factory_os.model.vocabulary import RULE_SEVERITIES, RULE_STAGES, RULE_STATUSES

if TYPE_CHECKING:
    from factory_os.model.vocabulary import (
        RuleSeverity as RuleSeverity,
        RuleStage as RuleStage,
        RuleStatus as RuleStatus,
    )
else:
    RuleSeverity = Literal[RULE_SEVERITIES]
    RuleStatus = Literal[RULE_STATUSES]
    RuleStage = Literal[RULE_STAGES]


class Scope(Strict):
    roles: list[Slug] = Field(default_factory=empty_list, description="Empty: every member.")
    paths: list[Glob] = Field(
        default_factory=empty_list, description="gitignore-style globs; empty: every path."
    )
    exclude: list[Glob] = Field(default_factory=empty_list, description="gitignore-style globs.")


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

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, pattern: str | None) -> str | None:
        return None if pattern is None else _re2_pattern(pattern)


def _re2_pattern(pattern: str) -> str:
    """PATTERN if RE2 compiles it; RE2's own complaint otherwise (and nothing on stderr)."""
    import re2

    options = re2.Options()
    options.log_errors = False  # RE2 would also log the error to stderr, around our output
    try:
        re2.compile(pattern, options=options)
    except Exception as exc:  # re2 raises its own error type, with bytes
        reason = exc.args[0] if exc.args else exc
        if isinstance(reason, bytes):
            reason = reason.decode("utf-8", "replace")
        raise ValueError(f"not a valid RE2 pattern: {reason}") from None
    return pattern


class ForbiddenPattern(Strict):
    kind: Literal["forbidden-pattern"]
    pattern: NonEmpty = Field(description="RE2 syntax (linear time); matched against added lines.")

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, pattern: str) -> str:
        return _re2_pattern(pattern)


class AppendOnly(Strict):
    kind: Literal["append-only"]


class Command(Strict):
    kind: Literal["command"]
    run: NonEmpty = Field(description="Run with sh -c in the repository root.")
    timeout: WholeNumber = Field(60, ge=1, le=3600, description="Seconds.")


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
        pattern=rf"({INCIDENT_ID})|({PACK_ORIGIN})|({DECISION_ORIGIN})",
        description="The incident it came from, decision:<D-id> of DNA.md, or"
        " pack:<name>@<version>.",
    )
    severity: RuleSeverity = "block"
    status: RuleStatus = "active"
    superseded_by: RuleId | None = None
    created_at: Timestamp
    created_by: NonEmpty
    scope: Scope = Field(default_factory=Scope)
    stages: list[RuleStage] = Field(default_factory=lambda: list(RULE_STAGES))
    check: Check = Field(default_factory=lambda: Manual(kind="manual"))


class RuleDraft(Strict):
    """A hand-written rule for `fos rule add --file`: no id, no timestamps, no author."""

    title: NonEmpty
    statement: NonEmpty
    rationale: str = ""
    severity: RuleSeverity = "block"
    scope: Scope = Field(default_factory=Scope)
    stages: list[RuleStage] = Field(default_factory=lambda: list(RULE_STAGES))
    check: Check = Field(default_factory=lambda: Manual(kind="manual"))
