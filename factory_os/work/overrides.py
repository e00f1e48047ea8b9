"""Overrides: a blocking rule lifted for one scope, for a while, by someone allowed to.

An override lives only in the ledger (DESIGN section 11): `override.granted`
(subject: the rule; `data`: the `OVR-<hex>` id, the scope and its targets, the
justification, the granting member, the TTL and `expires_at` = grant time +
TTL), then `override.revoked` and `override.expired` (written once by `fos
sweep`), whose subject is the `OVR-` id. Whether an override covers a finding
is decided by `factory_os.rules.overrides` (pure); this module grants, revokes,
lists and replays them.

Who may grant: a member holding an approver role for the rule, which is a role
accountable for governance in raci.yaml (the approver roles of roles.yaml when
raci.yaml has no governance row) or, for an `approval-required` rule, one of
its `approver_roles`; never the member whose change it unblocks (the author of
the commit or of a commit in the range, the member who started the run); and
never for longer than `governance.override_ttl_seconds`.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from factory_os import clock, globs
from factory_os.errors import Refused, UsageError
from factory_os.git import log as gitlog, plumbing as git
from factory_os.ids import new_id
from factory_os.ledger import events
from factory_os.ledger.events import Entry
from factory_os.memory.catalog import Catalog
from factory_os.rules.overrides import Override, from_data
from factory_os.store import Factory
from factory_os.work import people, projection
from factory_os.work.projection import Projection

GRANTED = "override.granted"
REVOKED = "override.revoked"
EXPIRED = "override.expired"
KINDS = (GRANTED, REVOKED, EXPIRED)
PREFIX = "OVR"
MAX_RANGE_COMMITS = 1000
RUN_ID = re.compile(r"run_[0-9a-f]{8}")  # as model.common's (which loads pydantic)
_TTL = re.compile(r"(\d+)\s*([smhd]?)")
_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


@dataclass(frozen=True)
class OverrideState:
    """One override as the ledger tells it."""

    override: Override
    granted_at: str
    entry: str
    revoked_by: str | None = None
    revoked_at: str | None = None
    expired_recorded: bool = False

    @property
    def id(self) -> str:
        return self.override.id

    def active(self, now: datetime) -> bool:
        return self.revoked_at is None and clock.stamp(now) < self.override.expires_at

    def status(self, now: datetime) -> str:
        if self.revoked_at is not None:
            return "revoked"
        return "active" if self.active(now) else "expired"

    def to_json(self, now: datetime) -> dict[str, Any]:
        o = self.override
        return {
            "id": o.id,
            "rule": o.rule,
            "scope": o.scope,
            "targets": list(o.targets),
            "granted_by": o.granted_by,
            "justification": o.justification,
            "granted_at": self.granted_at,
            "expires_at": o.expires_at,
            "status": self.status(now),
            "revoked_by": self.revoked_by,
            "revoked_at": self.revoked_at,
        }


def parse_ttl(text: str) -> int:
    """`90`, `45s`, `30m`, `2h`, `1d` as seconds."""
    match = _TTL.fullmatch(text.strip().lower())
    if match is None or int(match.group(1)) <= 0:
        raise UsageError(f"--ttl {text!r}: give a duration such as 90s, 30m, 2h or 1d")
    return int(match.group(1)) * _UNITS[match.group(2)]


# -- reading -------------------------------------------------------------------


def fold(
    entries: Iterable[Entry], found: dict[str, OverrideState] | None = None
) -> dict[str, OverrideState]:
    """Override id -> its state, from override entries in replay order (folded into
    FOUND, which is returned)."""
    found = {} if found is None else found
    for entry in entries:
        if entry.kind == GRANTED:
            override = from_data(entry.data, entry.subject)
            if override is not None and override.id not in found:
                found[override.id] = OverrideState(override, entry.at, entry.id)
            continue
        current = found.get(entry.subject)
        if current is None or settled(current):
            continue
        if entry.kind == REVOKED:
            found[current.id] = dataclasses.replace(
                current, revoked_by=entry.actor, revoked_at=entry.at
            )
        elif entry.kind == EXPIRED:
            found[current.id] = dataclasses.replace(current, expired_recorded=True)
    return found


def _dump(state: OverrideState) -> tuple[Any, ...]:
    s = state
    return (
        tuple(s.override),
        s.granted_at,
        s.entry,
        s.revoked_by,
        s.revoked_at,
        s.expired_recorded,
    )


def _load(values: tuple[Any, ...]) -> OverrideState:
    override, *rest = values
    return OverrideState(Override(*override), *rest)


def settled(state: OverrideState) -> bool:
    """Revoked, or its expiry recorded: nothing changes it any more."""
    return state.revoked_at is not None or state.expired_recorded


PROJECTION = Projection("overrides", frozenset(KINDS), fold, _dump, _load, settled)


def overrides(factory: Factory, *, ended: bool = True) -> dict[str, OverrideState]:
    """Every override the work tree's ledger knows (without ENDED, not those revoked
    or recorded as expired), by id."""
    return projection.state(factory, PROJECTION, settled=ended)


def listing(factory: Factory, *, active: bool = False, now: datetime) -> list[OverrideState]:
    """Overrides, soonest to expire first; ACTIVE keeps the unexpired, unrevoked ones."""
    rows = [s for s in overrides(factory, ended=not active).values() if not active or s.active(now)]
    return sorted(rows, key=lambda s: (s.override.expires_at, s.id))


# -- granting ------------------------------------------------------------------


@dataclass(frozen=True)
class Scope:
    """What `fos override grant` was asked to cover, before it is resolved."""

    paths: tuple[str, ...] = ()
    commit: str | None = None
    range: str | None = None
    run: str | None = None

    def kind(self) -> str:
        given = [
            name
            for name, value in (
                ("paths", self.paths),
                ("commit", self.commit),
                ("range", self.range),
                ("run", self.run),
            )
            if value
        ]
        if len(given) != 1:
            raise UsageError("give one scope: --paths GLOB..., --commit REV, --range A..B or --run")
        return given[0]


def grant(
    factory: Factory,
    *,
    actor: str,
    rule: str,
    scope: Scope,
    justification: str,
    ttl_seconds: int | None = None,
    now: datetime | None = None,
) -> Override:
    """Record an `override.granted` entry; return the override."""
    if not justification.strip():
        raise UsageError("say why the rule may be broken here: --justification TEXT")
    kind = scope.kind()
    moment = now or clock.now()
    with people.catalog_for(factory) as catalog:
        granter = _granter(factory, catalog, actor, rule)
        cap = catalog.governance().override_ttl_seconds
        ttl = cap if ttl_seconds is None else ttl_seconds
        if ttl > cap:
            raise UsageError(
                f"--ttl {ttl}s is longer than governance.override_ttl_seconds ({cap}s)"
            )
        targets, authors = _targets(factory, kind, scope)
        unblocked = sorted({people.member_id(catalog, a) or a for a in authors})
        if granter in unblocked:
            raise Refused(
                f"{granter} may not grant an override that unblocks their own change"
                f" (the {kind} is by {', '.join(unblocked)}); ask another approver"
            )
    ident = new_id(PREFIX, overrides(factory).__contains__)
    override = Override(
        id=ident,
        rule=rule,
        scope=kind,
        targets=targets,
        granted_by=granter,
        justification=justification.strip(),
        expires_at=clock.stamp(moment + timedelta(seconds=ttl)),
    )
    events.append(
        factory,
        kind=GRANTED,
        actor=actor,
        subject=rule,
        data={
            "id": ident,
            "rule": rule,
            "scope": kind,
            "targets": list(targets),
            "justification": override.justification,
            "granted_by": granter,
            "ttl_seconds": ttl,
            "expires_at": override.expires_at,
        },
    )
    return override


def _granter(factory: Factory, catalog: Catalog, actor: str, rule: str) -> str:
    """The member id of ACTOR, if they hold an approver role for RULE."""
    member = people.member_id(catalog, actor)
    if member is None:
        raise Refused(f"{actor} is not a member of team.yaml; only members grant overrides")
    known = {r.id: r for r in catalog.rules()}
    if rule not in known:
        raise UsageError(f"no rule {rule} in .factory/rules/ (see `fos rule list`)")
    roles = set(catalog.governance().accountable) | set(_approver_roles(factory, known[rule].rel))
    if not roles & set(people.roles_of(catalog, member)):
        raise Refused(
            f"{member} may not override {rule}: that takes one of the roles"
            f" {', '.join(sorted(roles)) or '(none)'}"
        )
    return member


def _approver_roles(factory: Factory, rel: str) -> list[str]:
    from factory_os.memory import documents
    from factory_os.model.rule import Rule

    value = documents.load_yaml_model(factory, factory.root / rel, Rule).value
    roles = getattr(value.check, "approver_roles", None)
    return list(roles) if isinstance(roles, list) else []


def _targets(factory: Factory, kind: str, scope: Scope) -> tuple[tuple[str, ...], list[str]]:
    """The scope's targets, resolved (commit ids), and the authors of what it unblocks."""
    if kind == "paths":
        paths = tuple(dict.fromkeys(p.strip() for p in scope.paths if p.strip()))
        if not paths:
            raise UsageError("--paths: give at least one glob (an empty one covers nothing)")
        try:
            globs.translate(paths)
        except globs.GlobError as exc:
            raise UsageError(f"--paths: {exc}") from None
        return paths, []
    if kind == "run":
        assert scope.run is not None
        if not RUN_ID.fullmatch(scope.run):
            raise UsageError(f"--run {scope.run!r} is not a run id (run_<8 hex>)")
        started = [
            e.actor
            for e in events.entries(factory)
            if e.kind == "run.started" and e.subject == scope.run
        ]
        if not started:
            raise UsageError(f"--run {scope.run}: no such run was started (see `fos run list`)")
        return (scope.run,), started
    revs = _revs(factory, kind, scope)
    records = gitlog.log_records(factory.root, revs)
    if not records:
        raise UsageError(f"--{kind} {scope.commit or scope.range} names no commits")
    if len(records) > MAX_RANGE_COMMITS:
        raise UsageError(
            f"--range {scope.range} holds {len(records)} commits; an override covers at"
            f" most {MAX_RANGE_COMMITS} (narrow it, or scope it by --paths)"
        )
    return tuple(r[0] for r in records), [r[3] for r in records]


def _revs(factory: Factory, kind: str, scope: Scope) -> list[str]:
    if kind == "commit":
        assert scope.commit is not None
        sha = git.rev_parse(factory.root, scope.commit)
        if sha is None:
            raise UsageError(f"--commit {scope.commit} names no commit")
        return ["-1", sha]
    assert scope.range is not None
    base, sep, head = scope.range.partition("..")
    shas = [git.rev_parse(factory.root, rev) for rev in (base, head)] if sep else [None]
    if not sep or None in shas:
        raise UsageError(f"--range takes BASE..HEAD of existing commits, not {scope.range!r}")
    return [f"{shas[0]}..{shas[1]}"]


# -- revoking and expiring -------------------------------------------------------


def revoke(factory: Factory, *, actor: str, override_id: str) -> str:
    """Record that ACTOR revoked OVERRIDE_ID: its granter, or a member accountable
    for governance."""
    state = overrides(factory).get(override_id)
    if state is None:
        raise UsageError(f"no override {override_id} (see `fos override list`)")
    if state.revoked_at is not None:
        raise UsageError(f"{override_id} was already revoked by {state.revoked_by}")
    with people.catalog_for(factory) as catalog:
        member = people.member_id(catalog, actor)
        accountable = set(catalog.governance().accountable)
        allowed = member is not None and (
            member == state.override.granted_by
            or bool(accountable & set(people.roles_of(catalog, member)))
        )
    if not allowed:
        raise Refused(
            f"{member or actor} may not revoke {override_id}: its granter"
            f" ({state.override.granted_by}) or a role accountable for governance does"
        )
    return events.append(factory, kind=REVOKED, actor=actor, subject=override_id)


def record_expiry(factory: Factory, state: OverrideState, *, actor: str) -> str:
    """Write the `override.expired` of STATE (the sweep does, once); return its id."""
    return events.append(
        factory,
        kind=EXPIRED,
        actor=actor,
        subject=state.id,
        data={"expires_at": state.override.expires_at},
    )


def expiring(states: Sequence[OverrideState], now: datetime, within: timedelta) -> list[Override]:
    """The active overrides of STATES that expire within WITHIN of NOW."""
    limit = clock.stamp(now + within)
    return [s.override for s in states if s.active(now) and s.override.expires_at <= limit]
