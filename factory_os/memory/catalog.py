"""The factory's documents as plain, immutable values, read through the cache.

`memory` validates files into pydantic models; this module turns what it read
into small immutable records and caches them (see `doccache`), so that the
commands an agent runs at every session start (`fos context`, the MCP tools)
neither parse YAML nor import pydantic unless a file changed. A file that does
not validate raises InvalidInput (`path:line: message`) exactly as `memory` does.
"""

from __future__ import annotations

import os
from collections.abc import Hashable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from factory_os.memory.doccache import DocumentCache
from factory_os.rules.status import RuleState, WrittenRule, rule_states
from factory_os.store import Factory

if TYPE_CHECKING:
    from typing import NamedTuple
else:  # a class of typing's costs a millisecond to make, a thousand of them to fill
    from factory_os.records import NamedTuple

# bumped whenever what a reader extracts changes, so old cache entries are ignored
READER_VERSION = "2"

T = TypeVar("T", bound=Hashable)


class RuleInfo(NamedTuple):
    id: str
    title: str
    statement: str
    severity: str
    status: str
    superseded_by: str | None
    roles: tuple[str, ...]
    paths: tuple[str, ...]
    exclude: tuple[str, ...]
    check: str
    rel: str


class NoteInfo(NamedTuple):
    id: str
    title: str
    tags: tuple[str, ...]
    paths: tuple[str, ...]
    review_by: str | None
    body: str
    rel: str


class DecisionInfo(NamedTuple):
    id: str
    title: str
    status: str
    superseded_by: str | None
    paths: tuple[str, ...]
    date: str | None
    body: str
    line: int


class DigestInfo(NamedTuple):
    session: str
    actor: str
    role: str | None
    started_at: str
    ended_at: str
    manifest_hash: str
    commits: tuple[str, ...]
    body: str
    rel: str


class Settings(NamedTuple):
    budget_tokens: int
    digests: int


class GovernanceInfo(NamedTuple):
    """factory.yaml's governance settings, raci.yaml's governance row, the approver roles."""

    escalation_sla_minutes: int
    sla_by_severity: tuple[tuple[str, int], ...]
    override_ttl_seconds: int
    integrity_roles: tuple[str, ...]
    accountable: tuple[str, ...]  # the governance A roles, else the approver roles
    responsible: tuple[str, ...]  # the governance R roles
    approvers: tuple[str, ...]  # roles marked `approver: true`

    def sla_minutes(self, severity: str) -> int:
        return dict(self.sla_by_severity).get(severity, self.escalation_sla_minutes)


class Catalog:
    """Read access to one factory's documents; call `close()` to keep the cache."""

    def __init__(self, factory: Factory, cache: DocumentCache | None = None) -> None:
        self.factory = factory
        self.cache = cache if cache is not None else DocumentCache.in_git_dir(factory.repo.git_dir)
        self._rules: list[RuleInfo] | None = None

    def close(self) -> None:
        self.cache.save()

    def _get(self, kind: str, path: str | Path) -> Any:
        return self.cache.get_read(
            f"{kind}/{READER_VERSION}", str(path), lambda p, raw: _READERS[kind](self, Path(p), raw)
        )

    def settings(self) -> Settings:
        data = self._get("config", self.factory.dir / "factory.yaml")
        return Settings(budget_tokens=data["budget_tokens"], digests=data["digests"])

    def members(self) -> dict[str, tuple[tuple[str, ...], tuple[str, ...]]]:
        """Member id -> (roles, emails)."""
        data = self._get("team", self.factory.dir / "team.yaml")
        return {m: (tuple(v["roles"]), tuple(v["emails"])) for m, v in data.items()}

    def governance(self) -> GovernanceInfo:
        config = self._get("governance", self.factory.dir / "factory.yaml")
        approvers = tuple(self._get("approvers", self.factory.dir / "roles.yaml"))
        raci_path = self.factory.dir / "raci.yaml"
        row: dict[str, str] = self._get("raci-governance", raci_path) if raci_path.exists() else {}
        accountable = tuple(sorted(r for r, v in row.items() if "A" in v)) or approvers
        return GovernanceInfo(
            escalation_sla_minutes=config["escalation_sla_minutes"],
            sla_by_severity=tuple(sorted(config["sla_by_severity"].items())),
            override_ttl_seconds=config["override_ttl_seconds"],
            integrity_roles=tuple(config["integrity_roles"]),
            accountable=accountable,
            responsible=tuple(sorted(r for r, v in row.items() if "R" in v)),
            approvers=approvers,
        )

    def role_names(self) -> tuple[str, ...]:
        return tuple(self._get("roles", self.factory.dir / "roles.yaml"))

    def decisions(self) -> list[DecisionInfo]:
        path = self.factory.dir / "DNA.md"
        if not path.exists():
            return []
        return [_thaw(DecisionInfo, d) for d in self._get("dna", path)]

    def rules(self) -> list[RuleInfo]:
        """Every rule file as written, sorted by file name."""
        if self._rules is None:
            self._rules = [
                _thaw(RuleInfo, self._get("rule", p)) for p in self._files("rules", ".yaml")
            ]
        return self._rules

    def rule_states(self) -> dict[str, RuleState]:
        """Rule id -> its state, as `rules.status` decides it from the ledger."""
        rules = self.rules()
        return {r.id: state for r, state in zip(rules, self._states(rules), strict=True)}

    def rules_with_status(self) -> list[RuleInfo]:
        """Every rule, its status and superseded_by as `rules.status` decides them."""
        rules = self.rules()
        states = self._states(rules)
        return [
            r
            if (state.status, state.superseded_by) == (r.status, r.superseded_by)
            else r._replace(status=state.status, superseded_by=state.superseded_by)
            for r, state in zip(rules, states, strict=True)
        ]

    def _states(self, rules: list[RuleInfo]) -> list[RuleState]:
        written = [WrittenRule(r.id, r.rel, r.status, r.superseded_by) for r in rules]
        return rule_states(self.factory.root, written)

    def notes(self) -> list[NoteInfo]:
        return [_thaw(NoteInfo, self._get("note", p)) for p in self._files("knowledge", ".md")]

    def digest_paths(self) -> list[Path]:
        return self.paths("digests", ".md")

    def latest_digests(self, count: int) -> list[DigestInfo]:
        """The COUNT latest digests, newest first, reading only those files.

        Session ids begin with the hex start time (see `session.new_session_id`),
        so file names sort by when each session started.
        """
        if count <= 0:
            return []
        newest = self._files("digests", ".md")[::-1][:count]
        return [self.digest(p) for p in newest]

    def digest(self, path: str | Path) -> DigestInfo:
        return _thaw(DigestInfo, self._get("digest", path))

    def paths(self, directory: str, suffix: str) -> list[Path]:
        """The documents of DIRECTORY with SUFFIX, sorted by name (hidden ones skipped)."""
        return [Path(p) for p in self._files(directory, suffix)]

    def _files(self, directory: str, suffix: str) -> list[str]:
        # strings, not Paths: a thousand Path objects cost more than reading the cache
        folder = os.path.join(self.factory.dir, directory)
        try:
            names = os.listdir(folder)
        except FileNotFoundError:
            return []
        names = sorted(n for n in names if n.endswith(suffix) and not n.startswith("."))
        return [os.path.join(folder, n) for n in names]


# -- readers: run on a cache miss; they validate with the models of `memory` ----


def _read_config(catalog: Catalog, path: Path, raw: bytes | None) -> dict[str, Any]:
    from factory_os.memory import documents

    config = documents.load_config(catalog.factory)
    return {"budget_tokens": config.context.budget_tokens, "digests": config.context.digests}


def _read_team(catalog: Catalog, path: Path, raw: bytes | None) -> dict[str, Any]:
    from factory_os.memory import documents

    team = documents.load_team(catalog.factory)
    return {m.id: {"roles": list(m.roles), "emails": list(m.emails)} for m in team.members}


def _read_governance(catalog: Catalog, path: Path, raw: bytes | None) -> dict[str, Any]:
    from factory_os.memory import documents

    governance = documents.load_config(catalog.factory).governance
    return {
        "escalation_sla_minutes": governance.escalation_sla_minutes,
        "sla_by_severity": dict(governance.escalation_sla_minutes_by_severity),
        "override_ttl_seconds": governance.override_ttl_seconds,
        "integrity_roles": list(governance.integrity_roles),
    }


def _read_approvers(catalog: Catalog, path: Path, raw: bytes | None) -> list[str]:
    from factory_os.memory import documents

    roles = documents.load_roles(catalog.factory).roles
    return sorted(name for name, role in roles.items() if role.approver)


def _read_raci_governance(catalog: Catalog, path: Path, raw: bytes | None) -> dict[str, str]:
    from factory_os.memory import documents

    return dict(documents.load_raci(catalog.factory).governance)


def _read_roles(catalog: Catalog, path: Path, raw: bytes | None) -> list[str]:
    from factory_os.memory import documents

    return sorted(documents.load_roles(catalog.factory).roles)


def _read_dna(catalog: Catalog, path: Path, raw: bytes | None) -> list[list[Any]]:
    from factory_os.memory import documents

    return [
        _row(
            DecisionInfo,
            id=d.id,
            title=d.title,
            status=d.status,
            superseded_by=d.superseded_by,
            paths=list(d.paths),
            date=d.date,
            body=d.body,
            line=d.line,
        )
        for d in documents.load_decisions(catalog.factory)
    ]


def _read_rule(catalog: Catalog, path: Path, raw: bytes | None) -> list[Any]:
    from factory_os.memory import documents
    from factory_os.model.rule import Rule

    loaded = documents.load_yaml_model(catalog.factory, path, Rule, raw)
    rule = loaded.value
    return _row(
        RuleInfo,
        id=rule.id,
        title=rule.title,
        statement=rule.statement,
        severity=rule.severity,
        status=rule.status,
        superseded_by=rule.superseded_by,
        roles=list(rule.scope.roles),
        paths=list(rule.scope.paths),
        exclude=list(rule.scope.exclude),
        check=rule.check.kind,
        rel=loaded.rel,
    )


def _read_note(catalog: Catalog, path: Path, raw: bytes | None) -> list[Any]:
    from factory_os.memory import documents
    from factory_os.model.documents import KnowledgeFrontMatter

    loaded = documents.load_markdown_model(catalog.factory, path, KnowledgeFrontMatter, raw)
    note = loaded.value
    return _row(
        NoteInfo,
        id=path.stem,
        title=note.title,
        tags=list(note.tags),
        paths=list(note.paths),
        review_by=note.review_by.isoformat() if note.review_by else None,
        body=loaded.body.strip(),
        rel=loaded.rel,
    )


def _read_digest(catalog: Catalog, path: Path, raw: bytes | None) -> list[Any]:
    from factory_os.memory import documents
    from factory_os.model.documents import DigestFrontMatter

    loaded = documents.load_markdown_model(catalog.factory, path, DigestFrontMatter, raw)
    digest = loaded.value
    return _row(
        DigestInfo,
        session=digest.session,
        actor=digest.actor,
        role=digest.role,
        started_at=_iso(digest.started_at),
        ended_at=_iso(digest.ended_at),
        manifest_hash=digest.manifest_hash,
        commits=list(digest.commits),
        body=loaded.body.strip(),
        rel=loaded.rel,
    )


def _iso(value: Any) -> str:
    text: str = value.isoformat()
    return text.replace("+00:00", "Z")


_READERS: dict[str, Any] = {
    "config": _read_config,
    "team": _read_team,
    "roles": _read_roles,
    "governance": _read_governance,
    "approvers": _read_approvers,
    "raci-governance": _read_raci_governance,
    "dna": _read_dna,
    "rule": _read_rule,
    "note": _read_note,
    "digest": _read_digest,
}


def _row(cls: type[T], **values: Any) -> list[Any]:
    """VALUES as the cache keeps a CLS: a list, in the order of its fields (which JSON
    reads back faster than an object)."""
    names: tuple[str, ...] = cls._fields  # type: ignore[attr-defined]
    if set(values) != set(names):
        raise TypeError(f"{cls.__name__} has the fields {names}, not {sorted(values)}")
    return [values[name] for name in names]


def _thaw(cls: type[T], row: list[Any]) -> T:
    """CLS rebuilt from the list `_row` made of it (JSON made its tuples lists)."""
    return cls(*[tuple(v) if isinstance(v, list) else v for v in row])
