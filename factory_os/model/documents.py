"""Front matter of the Markdown documents: incidents, knowledge notes, digests."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import Field

from factory_os.model.common import (
    Day,
    Glob,
    IncidentId,
    NonEmpty,
    SessionId,
    Slug,
    Strict,
    Timestamp,
    empty_list,
)
from factory_os.model.vocabulary import INCIDENT_SEVERITIES

if TYPE_CHECKING:
    from factory_os.model.vocabulary import IncidentSeverity as IncidentSeverity
else:
    IncidentSeverity = Literal[INCIDENT_SEVERITIES]


class IncidentFrontMatter(Strict):
    """`.factory/incidents/<id>.md`: what happened; the narrative follows the front matter."""

    id: IncidentId
    title: NonEmpty
    severity: IncidentSeverity
    summary: str = ""
    occurred_at: Timestamp | None = None
    created_at: Timestamp
    created_by: NonEmpty


class KnowledgeFrontMatter(Strict):
    """`.factory/knowledge/<slug>.md`: the file name is the note's id; only `title` is required."""

    title: NonEmpty
    tags: list[Slug] = Field(default_factory=empty_list)
    paths: list[Glob] = Field(default_factory=empty_list, description="gitignore-style globs")
    review_by: Day | None = None
    created_at: Timestamp | None = None
    created_by: str | None = None


class DigestFrontMatter(Strict):
    """`.factory/digests/<session>.md`: what a session did; the sections follow."""

    session: SessionId
    actor: NonEmpty
    role: Slug | None = None
    started_at: Timestamp
    ended_at: Timestamp
    manifest_hash: str = Field(pattern=r"^[0-9a-f]{64}$")
    commits: list[str] = Field(default_factory=empty_list)
