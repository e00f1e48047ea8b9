"""`.factory/team.yaml` and `.factory/roles.yaml`: who is in the factory and what roles allow."""

from __future__ import annotations

from typing import Literal

from pydantic import ConfigDict, Field, ValidationInfo, field_validator

from factory_os.model.common import Glob, NonEmpty, Slug, Strict, empty_list

BOT = "bot"


class Member(Strict):
    """A person, an agent, or a bot (automation such as a dependency updater), which
    lists the paths its commits may touch and never approves."""

    model_config = ConfigDict(
        json_schema_extra={
            "if": {"properties": {"kind": {"const": BOT}}},
            "then": {"required": ["paths"], "properties": {"paths": {"minItems": 1}}},
            "else": {
                "required": ["roles"],
                "properties": {"roles": {"minItems": 1}, "paths": {"maxItems": 0}},
            },
        }
    )

    id: Slug
    name: NonEmpty
    kind: Literal["human", "agent", "bot"]
    roles: list[Slug] = Field(
        default_factory=empty_list,
        validate_default=True,
        description="At least one, but for a bot.",
    )
    emails: list[NonEmpty] = Field(min_length=1)
    signing_keys: list[NonEmpty] = Field(
        default_factory=empty_list, description="Public keys (SSH `allowed_signers` form)."
    )
    paths: list[NonEmpty] = Field(
        default_factory=empty_list,
        validate_default=True,
        description="A bot's only, at least one: the gitignore-style paths its commits may"
        " touch; a bot's commit touching any other path is a finding.",
    )

    @field_validator("roles")
    @classmethod
    def _roles_but_for_a_bot(cls, roles: list[str], info: ValidationInfo) -> list[str]:
        if not roles and info.data.get("kind", BOT) != BOT:
            raise ValueError("a human or agent member holds at least one role")
        return roles

    @field_validator("paths")
    @classmethod
    def _paths_for_a_bot(cls, paths: list[str], info: ValidationInfo) -> list[str]:
        kind = info.data.get("kind")
        if kind == BOT and not paths:
            raise ValueError("a bot lists the paths its commits may touch")
        if kind not in (BOT, None) and paths:
            raise ValueError("only a bot lists paths; a role's paths are in roles.yaml")
        return paths

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
    actions: list[NonEmpty] = Field(default_factory=empty_list)
    paths: list[Glob] = Field(default_factory=empty_list, description="gitignore-style globs")


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
