"""`.factory/team.yaml` and `.factory/roles.yaml`: who is in the factory and what roles allow."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from factory_os.model.common import Glob, NonEmpty, Slug, Strict


class Member(Strict):
    id: Slug
    name: NonEmpty
    kind: Literal["human", "agent"]
    roles: list[Slug] = Field(min_length=1)
    emails: list[NonEmpty] = Field(min_length=1)
    signing_keys: list[NonEmpty] = Field(
        default_factory=list, description="Public keys (SSH `allowed_signers` form)."
    )

    @field_validator("emails")
    @classmethod
    def _emails_look_like_emails(cls, emails: list[str]) -> list[str]:
        for email in emails:
            if "@" not in email or " " in email:
                raise ValueError(f"{email!r} is not an email address")
        return [email.lower() for email in emails]


class Team(Strict):
    """The members of the factory, people and agents."""

    members: list[Member] = Field(min_length=1)


class Permissions(Strict):
    actions: list[NonEmpty] = Field(default_factory=list)
    paths: list[Glob] = Field(default_factory=list, description="gitignore-style globs")


class Role(Strict):
    description: NonEmpty
    may: Permissions = Field(default_factory=Permissions)
    cannot: Permissions = Field(
        default_factory=Permissions,
        description="Hard limits: the paths bind every member holding the role, as a path guard.",
    )
    approver: bool = Field(
        False,
        strict=True,
        description="May approve governed changes (`fos approve`): a rule ended or taken"
        " from a decision, the team, roles, RACI, lifecycle and settings.",
    )


class Roles(Strict):
    """The roles of the factory, by id."""

    roles: dict[Slug, Role] = Field(min_length=1)
