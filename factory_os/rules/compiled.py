"""The rules in force, as plain data: what the hook path works with.

A `RuleSet` is assembled from compiled documents (plain JSON-able dicts made by
`rules.compile` and kept in `rules.cache`), so building one needs neither YAML
nor pydantic. Scope expressions are compiled on first use only.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from factory_os.model.vocabulary import DEFAULT_HOOK_STAGES
from factory_os.rules.scope import Matcher, Scope, Translated, deciding, roles_bind

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, NamedTuple
else:
    from factory_os.records import NamedTuple

# message-dependent kinds: they wait for the commit message (commit-msg stage)
MESSAGE_KINDS = frozenset({"required-trailer", "approval-required"})
# kinds that depend on who the member is, re-checked once the message names one
MEMBER_KINDS = frozenset({"path-guard", "approval-required"})


class Member(NamedTuple):
    id: str
    roles: tuple[str, ...]
    emails: tuple[str, ...]
    signing_keys: tuple[str, ...] = ()
    added: bool = False  # added by the change being checked: known, but never an approver
    kind: str = "human"  # human | agent | bot
    # a bot's: the paths its commits may touch, as written and translated
    may_touch: tuple[str, ...] = ()
    may_touch_re: tuple[tuple[str, bool], ...] = ()

    @property
    def bot(self) -> bool:
        return self.kind == "bot"


class CompiledRule:
    """One rule, ready to check: its fields, its parameters and its scope."""

    __slots__ = (
        "_doc",
        "_scope",
        "added",
        "everywhere",
        "has_paths",
        "id",
        "kind",
        "origin",
        "params",
        "prefixes",
        "roles",
        "severity",
        "source",
        "stages",
        "statement",
        "status",
        "superseded_by",
        "title",
    )

    def __init__(self, doc: Mapping[str, Any], source: str) -> None:
        self._doc = doc
        self._scope: Scope | None = None
        self.source = source  # the rule file, relative to the factory root
        self.id: str = doc["id"]
        self.title: str = doc["title"]
        self.statement: str = doc["statement"]
        self.severity: str = doc["severity"]
        self.status: str = doc["status"]
        self.superseded_by: str | None = doc.get("superseded_by")
        self.origin: str = doc.get("origin") or ""
        self.stages: tuple[str, ...] = tuple(doc["stages"])
        self.roles: tuple[str, ...] = tuple(doc["roles"])
        self.params: Mapping[str, Any] = doc["check"]
        self.kind: str = self.params["kind"]
        prefixes = doc.get("prefixes")
        # literal starts of every path in scope (None: no such filter)
        self.prefixes: tuple[str, ...] | None = None if prefixes is None else tuple(prefixes)
        self.everywhere = not doc["paths"] and not doc["exclude"]
        self.has_paths = bool(doc["paths"])
        self.added = False  # added by the change being checked, not in force at its base

    def in_scope(self, path: str) -> bool:
        if self._scope is None:
            self._scope = Scope(
                [(r, bool(i)) for r, i in self._doc["paths"]],
                [(r, bool(i)) for r, i in self._doc["exclude"]],
            )
        return self._scope(path)

    def binds(self, member: Member | None) -> bool:
        """Whether the rule's `scope.roles` applies to MEMBER (empty: everyone)."""
        return roles_bind(self.roles, member.roles if member is not None else ())

    def runs_at(self, stage: str) -> bool:
        return stage in self.stages


class RoleLimit:
    """A role's `cannot` paths in roles.yaml: a path guard for every member holding it.
    PATHS: the patterns translated, each with its LINE in roles.yaml and its PATTERN."""

    __slots__ = ("_matcher", "lines", "paths", "patterns", "role")

    def __init__(self, role: str, paths: Translated, lines: list[int], patterns: list[str]) -> None:
        self.role = role
        self.paths = paths
        self.lines = lines
        self.patterns = patterns
        self._matcher: Matcher | None = None

    def forbids(self, path: str) -> tuple[int, str] | None:
        """(the roles.yaml line, the pattern) that forbids PATH; None when none does."""
        if self._matcher is None:
            self._matcher = Matcher(self.paths)
        if not self._matcher(path):
            return None
        index = deciding(self.paths, path)
        return (0, "") if index is None else (self.lines[index], self.patterns[index])


def role_limits(roles: Mapping[str, Any] | None) -> list[RoleLimit]:
    """The `cannot` paths of compiled roles.yaml, per role."""
    limits = (roles or {}).get("cannot") or {}
    return [
        RoleLimit(
            name, [(r, bool(i)) for r, i in limit["paths"]], limit["lines"], limit["patterns"]
        )
        for name, limit in sorted(limits.items())
    ]


class RuleSet:
    """The rules, team and identity policy in force for one check."""

    def __init__(
        self,
        rules: list[CompiledRule],
        members: list[Member],
        *,
        unknown_author: str = "block",
        require_signed: bool = False,
        allowed_signers: str | None = None,
        hook_stages: tuple[str, ...] = DEFAULT_HOOK_STAGES,
        approver_roles: frozenset[str] = frozenset(),
        trust_trailers: bool = False,
        role_limits: list[RoleLimit] | None = None,
    ) -> None:
        self.rules = rules
        self.role_limits = role_limits or []  # roles.yaml's `cannot` paths
        self.members = members
        self.unknown_author = unknown_author
        self.require_signed = require_signed
        self.allowed_signers = allowed_signers
        self.hook_stages = hook_stages
        self.approver_roles = approver_roles  # roles.yaml's `approver: true`
        self.trust_trailers = trust_trailers
        self._by_id = {m.id: m for m in members}
        self._by_email = {e.lower(): m for m in members for e in m.emails}

    def member(self, member_id: str) -> Member | None:
        return self._by_id.get(member_id)

    def member_by_email(self, email: str) -> Member | None:
        return self._by_email.get(email.strip().lower())

    def named(self, text: str) -> Member | None:
        """The member TEXT names: an id, an email, or `Name <email>`."""
        text = text.strip()
        if "<" in text and text.endswith(">"):
            text = text[text.rindex("<") + 1 : -1]
        return self.member(text) or self.member_by_email(text)


def members_of(team: Mapping[str, Any] | None) -> list[Member]:
    if not team:
        return []
    return [
        Member(
            m["id"],
            tuple(m["roles"]),
            tuple(m["emails"]),
            tuple(m.get("signing_keys", ())),
            kind=m.get("kind", "human"),
            may_touch=tuple(m.get("paths", ())),
            may_touch_re=tuple((r, bool(i)) for r, i in m.get("paths_re", ())),
        )
        for m in team["members"]
    ]


def assemble(
    rules: Iterable[CompiledRule],
    *,
    team: Mapping[str, Any] | None,
    extra_members: Iterable[Member] = (),
    config: Mapping[str, Any] | None,
    roles: Mapping[str, Any] | None = None,
) -> RuleSet:
    members = members_of(team)
    known = {m.id for m in members} | {e for m in members for e in m.emails}
    for extra in extra_members:
        # a member the checked change adds: known, but never with another's email, and
        # never with the keys the change gives them (only the base's keys prove a signer)
        if extra.id not in known and not any(e in known for e in extra.emails):
            members.append(extra._replace(added=True, signing_keys=()))
    identity = (config or {}).get("identity", {})
    governance = (config or {}).get("governance", {})
    approvers = (roles or {}).get("roles", {})
    return RuleSet(
        list(rules),
        members,
        unknown_author=identity.get("unknown_author", "block"),
        require_signed=bool(identity.get("require_signed_commits", False)),
        allowed_signers=identity.get("allowed_signers"),
        hook_stages=tuple((config or {}).get("hooks", {}).get("stages", DEFAULT_HOOK_STAGES)),
        approver_roles=frozenset(r for r, role in approvers.items() if role.get("approver")),
        trust_trailers=bool(governance.get("trust_trailers", False)),
        role_limits=role_limits(roles),
    )
