"""What every model shares: strictness, and the branch-safe identifier forms."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
)
from pydantic_core import PydanticCustomError

from factory_os import globs
from factory_os.model.vocabulary import RUN_ID as RUN_ID

# Branch-safe ids: a prefix and a random or content-derived hex suffix, never a counter.
# Rules from a built-in pack are namespaced by the pack instead: R-<pack>-<slug>.
HEX_SUFFIX = r"[0-9a-f]{6,}"
RULE_ID = rf"^R-({HEX_SUFFIX}|[a-z][a-z0-9]*(-[a-z0-9]+)+)$"
INCIDENT_ID = rf"^INC-{HEX_SUFFIX}$"
DECISION_ID = rf"^D-{HEX_SUFFIX}$"
SESSION_ID = rf"^S-{HEX_SUFFIX}$"
ESCALATION_ID = rf"^ESC-{HEX_SUFFIX}$"
OVERRIDE_ID = rf"^OVR-{HEX_SUFFIX}$"
SLUG = r"^[a-z0-9][a-z0-9._-]*$"
SLUG_MAX = 80
PACK_ORIGIN = r"^pack:[a-z][a-z0-9-]*@[0-9]+$"
DECISION_ORIGIN_PREFIX = "decision:"
DECISION_ORIGIN = rf"^{DECISION_ORIGIN_PREFIX}D-{HEX_SUFFIX}$"

RuleId = Annotated[str, Field(pattern=RULE_ID)]
IncidentId = Annotated[str, Field(pattern=INCIDENT_ID)]
DecisionId = Annotated[str, Field(pattern=DECISION_ID)]
SessionId = Annotated[str, Field(pattern=SESSION_ID)]
Slug = Annotated[str, Field(pattern=SLUG, min_length=1, max_length=SLUG_MAX)]
Sha256 = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
NonEmpty = Annotated[str, Field(min_length=1)]
# a gitignore-style glob that translates to an expression the matcher accepts
Glob = Annotated[str, Field(min_length=1), AfterValidator(globs.check)]


def _whole_number(value: object) -> object:
    """A whole number as JSON Schema (and so an editor) sees it: `45` or `45.0`, never
    `true` or `"45"`, which pydantic would quietly turn into 1 and 45."""
    if isinstance(value, bool | str):
        raise PydanticCustomError("int_type", "Input should be a valid integer")
    return value


def _not_a_number(example: str) -> BeforeValidator:
    """pydantic reads a number as seconds since 1970; in a file it is a typo for a date."""

    def check(value: object) -> object:
        if isinstance(value, bool | int | float):
            raise PydanticCustomError("datetime_type", f"Input should be written as {example}")
        return value

    return BeforeValidator(check)


def empty_list() -> list[Any]:
    """A new empty list, the default factory of list fields. Not the builtin `list`:
    pydantic reads a default factory's signature, and a builtin's is parsed from text
    by Python's tokenizer, whose pattern costs ten milliseconds to compile."""
    return []


WholeNumber = Annotated[int, BeforeValidator(_whole_number)]
# RFC 3339, as the JSON Schema's `date-time` says: with its offset (2026-01-31T09:00:00Z), so
# times from different members and machines compare.
Timestamp = Annotated[AwareDatetime, _not_a_number("2026-01-31T09:00:00Z")]
Day = Annotated[date, _not_a_number("2026-01-31")]
SchemaVersion = Annotated[Literal[1], BeforeValidator(_whole_number)]


class Strict(BaseModel):
    """Base of every file model: unknown keys are errors, values are immutable."""

    model_config = ConfigDict(
        extra="forbid", frozen=True, str_strip_whitespace=False, defer_build=True
    )


def is_branch_safe(identifier: str) -> bool:
    return any(
        re.match(pattern, identifier)
        for pattern in (
            RULE_ID,
            INCIDENT_ID,
            DECISION_ID,
            SESSION_ID,
            RUN_ID,
            ESCALATION_ID,
            OVERRIDE_ID,
        )
    )
