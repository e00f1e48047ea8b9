"""The operating model as plain values: lifecycle.yaml, raci.yaml and team.yaml.

The files are validated by their pydantic models (`model.lifecycle`, `model.raci`,
`model.team`) once per content, and what the gates need is kept as JSON in the
document cache (`memory.doccache`): `fos spec status`, context and the
pull-request check read it back without importing pydantic, as the hook path
does. The classes here carry the same names and fields as the models, so a gate
reads them alike.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    from factory_os.store import Factory
    from factory_os.work.items import Item

PLATFORM = "{platform}"
READER = "operating/1"
# spec front-matter fields that name the member holding a raci role on one item
ROLE_FIELDS = ("owner", "sponsor", "builder", "reviewer", "safety_lead")


def role_field(role: str) -> str:
    """The spec's front-matter field of a raci role: `safety-lead` is `safety_lead`."""
    return role.replace("-", "_")


class EvidenceKind(NamedTuple):
    name: str
    format: str
    file: str
    sections: tuple[str, ...] = ()
    factors: tuple[str, ...] = ()
    min_cases: int | None = None
    min_pass_rate: float | None = None
    critical_pass_rate: float | None = None
    attack_classes: tuple[str, ...] = ()
    hard: tuple[str, ...] = ()

    @property
    def per_platform(self) -> bool:
        return PLATFORM in self.file


class StageGate(NamedTuple):
    description: str = ""
    evidence: tuple[EvidenceKind, ...] = ()
    signoffs: tuple[str, ...] | None = None
    veto: tuple[str, ...] = ()
    on_fail: str | None = None
    cadence_days: int | None = None
    resign_on_transfer: bool = False


class Lifecycle(NamedTuple):
    stages: Mapping[str, StageGate]
    owner_role: str = "owner"

    def order(self) -> list[str]:
        return list(self.stages)

    def next_stage(self, stage: str) -> str | None:
        names = self.order()
        index = names.index(stage) + 1 if stage in names else len(names)
        return names[index] if index < len(names) else None


class DutySeparation(NamedTuple):
    roles: tuple[str, str]
    rule: str
    description: str


class Raci(NamedTuple):
    roles: tuple[str, ...]
    stages: Mapping[str, Mapping[str, str]]
    separation_of_duties: tuple[DutySeparation, ...] = ()

    def accountable(self, stage: str) -> list[str]:
        return [role for role, value in self.stages.get(stage, {}).items() if "A" in value]


class Member(NamedTuple):
    id: str
    roles: tuple[str, ...]
    emails: tuple[str, ...]


class Team(NamedTuple):
    members: tuple[Member, ...]


class OperatingModel(NamedTuple):
    """The files that decide a gate: lifecycle.yaml, raci.yaml and team.yaml."""

    lifecycle: Lifecycle
    raci: Raci
    team: Team

    @classmethod
    def from_json(cls, lifecycle: Any, raci: Any, team: Any) -> OperatingModel:
        """From the files as JSON (what their models dump)."""
        return cls(_lifecycle(lifecycle), _raci(raci), _team(team))

    def gate(self, stage: str) -> StageGate:
        return self.lifecycle.stages.get(stage) or StageGate()

    def member(self, actor: str) -> Member | None:
        """The member ACTOR (a member id or one of its emails) is."""
        wanted = actor.strip().lower()
        for member in self.team.members:
            if member.id == actor or wanted in member.emails:
                return member
        return None

    def signoff_roles(self, stage: str) -> list[str]:
        explicit = self.gate(stage).signoffs
        return list(explicit) if explicit is not None else self.raci.accountable(stage)

    def responsible(self, stage: str) -> list[str]:
        roles = [role for role, value in self.raci.stages.get(stage, {}).items() if "R" in value]
        return roles or self.raci.accountable(stage)

    def holders(self, item: Item, role: str) -> list[str]:
        """Who may act as ROLE on ITEM: the member its spec names, or, for a role the spec
        has no field for, every member holding it in team.yaml."""
        if role_field(role) in ROLE_FIELDS:
            holder = item.roles.get(role_field(role))
            return [holder] if holder else []
        return self.holders_in_team(role)

    def holders_in_team(self, role: str) -> list[str]:
        """Every member holding ROLE in team.yaml."""
        return [m.id for m in self.team.members if role in m.roles]


def _lifecycle(data: Any) -> Lifecycle:
    stages = {}
    for name, gate in data["stages"].items():
        evidence = tuple(_evidence_kind(kind) for kind in gate.get("evidence", []))
        signoffs = gate.get("signoffs")
        stages[name] = StageGate(
            description=gate.get("description", ""),
            evidence=evidence,
            signoffs=None if signoffs is None else tuple(signoffs),
            veto=tuple(gate.get("veto", [])),
            on_fail=gate.get("on_fail"),
            cadence_days=gate.get("cadence_days"),
            resign_on_transfer=bool(gate.get("resign_on_transfer")),
        )
    return Lifecycle(stages, data.get("owner_role", "owner"))


def _evidence_kind(data: dict[str, Any]) -> EvidenceKind:
    fields: dict[str, Any] = {k: tuple(v) if isinstance(v, list) else v for k, v in data.items()}
    return EvidenceKind(**fields)


def _raci(data: Any) -> Raci:
    duties = tuple(
        DutySeparation((d["roles"][0], d["roles"][1]), d["rule"], d["description"])
        for d in data.get("separation_of_duties", [])
    )
    return Raci(tuple(data["roles"]), data["stages"], duties)


def _team(data: Any) -> Team:
    return Team(
        tuple(Member(m["id"], tuple(m["roles"]), tuple(m["emails"])) for m in data["members"])
    )


FILES = ("lifecycle.yaml", "raci.yaml", "team.yaml")


def load(factory: Factory) -> OperatingModel:
    """The operating model of FACTORY's work tree; pydantic only for a file that changed."""
    from factory_os.memory.doccache import DocumentCache

    cache = DocumentCache.in_git_dir(factory.repo.git_dir)
    try:
        parts = [cache.get(READER, str(factory.dir / name), _validated) for name in FILES]
    finally:
        cache.save()
    return OperatingModel.from_json(*parts)


def _validated(path: str) -> Any:
    from pathlib import Path

    from pydantic import BaseModel

    from factory_os import store
    from factory_os.model.lifecycle import Lifecycle as LifecycleFile
    from factory_os.model.raci import Raci as RaciFile
    from factory_os.model.team import Team as TeamFile

    models: dict[str, type[BaseModel]] = {
        "lifecycle.yaml": LifecycleFile,
        "raci.yaml": RaciFile,
        "team.yaml": TeamFile,
    }
    file = Path(path)
    rel = f"{file.parent.name}/{file.name}"
    return store.validate(models[file.name], store.load_yaml(file, rel)).model_dump(mode="json")
