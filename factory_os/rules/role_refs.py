"""The roles a document names, and the names roles.yaml does not define.

A member holding a role that does not exist is bound by no role's rules, and a
rule scoped to one binds no one: a typo silently changes what the rules mean.
`fos validate` (on the validated models) and `fos check` (on the compiled
documents, so the hook needs neither YAML nor pydantic) both judge the names
here, with the same messages.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, NamedTuple
else:
    from factory_os.records import NamedTuple

Loc = tuple["str | int", ...]


class RoleRef(NamedTuple):
    """ROLE, named at LOC of a document (WHO: by whom, for the message); APPROVER:
    the place needs a role that roles.yaml makes an approver."""

    role: str
    loc: Loc
    who: str = ""
    approver: bool = False


def team_refs(team: Mapping[str, Any]) -> list[RoleRef]:
    """The roles team.yaml's members hold (TEAM: the document as plain data)."""
    return [
        RoleRef(role, ("members", index, "roles", role_index), f"member {member['id']!r} has")
        for index, member in enumerate(team.get("members") or [])
        for role_index, role in enumerate(member.get("roles") or [])
    ]


def raci_refs(raci: Mapping[str, Any]) -> list[RoleRef]:
    """The roles raci.yaml lists (its stages may name only these: checked in validate)."""
    return [RoleRef(role, ("roles", index)) for index, role in enumerate(raci.get("roles") or [])]


def rule_refs(rule: Mapping[str, Any]) -> list[RoleRef]:
    """The roles a rule is scoped to and those its approvals need."""
    scope = rule.get("scope") or {}
    check = rule.get("check") or {}
    refs = [
        RoleRef(role, ("scope", "roles", index))
        for index, role in enumerate(scope.get("roles") or [])
    ]
    refs += [
        RoleRef(role, ("check", "approver_roles", index), approver=True)
        for index, role in enumerate(check.get("approver_roles") or [])
    ]
    return refs


def problems(
    refs: Sequence[RoleRef], roles: Mapping[str, Mapping[str, Any]]
) -> Iterator[tuple[RoleRef, str]]:
    """Each of REFS that ROLES (roles.yaml's `roles`, as plain data) does not allow,
    with what is wrong."""
    for ref in refs:
        role = roles.get(ref.role)
        if role is None and ref.who:
            yield ref, f"{ref.who} role {ref.role!r}, which roles.yaml does not define"
        elif role is None:
            yield ref, f"role {ref.role!r} is not defined in roles.yaml"
        elif ref.approver and not role.get("approver"):
            yield ref, f"role {ref.role!r} cannot approve: roles.yaml does not make it an approver"
