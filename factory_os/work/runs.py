"""Factory runs: start one, change its gates, record its artifacts and attempts.

A run is `.factory/runs/run_<8 hex>/` (DESIGN section 10): `run.yaml` as it was
started, and its artifacts, each stored only once it meets its contract and
recorded with its digest (`artifact.recorded`). A second version of an artifact
is a new file (`plan.v2.json`) and a new entry; nothing is overwritten. What a
run is now (its gates, their outcomes, its escalations) is a fold of its ledger
events (`factory_os.work.runstate`). After every artifact and attempt the
escalation causes are computed again: a run that must ask a person stops.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from pydantic import BaseModel

from factory_os import clock, store
from factory_os.errors import FosError, InvalidInput, UsageError
from factory_os.ledger import events
from factory_os.memory.documents import load_config, load_roles, load_team
from factory_os.model.artifacts import Plan
from factory_os.model.factory import RunSettings
from factory_os.model.run import RunDocument
from factory_os.model.team import Member
from factory_os.paths import SPECS_DIR
from factory_os.rules.actor import acting_member
from factory_os.store import Factory
from factory_os.work import artifacts, runindex
from factory_os.work.escalations import open_escalation
from factory_os.work.runnames import RESULTS
from factory_os.work.runstate import Escalation, RunState, Version
from factory_os.work.triggers import new_triggers, triggers

RUNS_DIR = "runs"
RETROSPECTIVE = "improvements.json"


class RunStopped(FosError):
    """The run must ask a person first: an escalation is open, or a gate waits."""


@dataclass
class Outcome:
    """What a command recorded, and the escalations that now stop the run."""

    run: str
    recorded: list[str] = field(default_factory=list)
    opened: list[Escalation] = field(default_factory=list)
    open: list[Escalation] = field(default_factory=list)
    detail: dict[str, Any] = field(default_factory=dict)

    @property
    def stopped(self) -> bool:
        return bool(self.open)


@dataclass(frozen=True)
class Session:
    """The factory, who is acting, and the runs as the ledger tells them."""

    factory: Factory
    actor: str

    def run(self, run_id: str) -> RunState:
        run = runindex.run(self.factory, run_id)
        if run is None:
            raise UsageError(f"no run {run_id} in the ledger (`fos run list` shows the runs)")
        return run

    def open_run(self, run_id: str) -> RunState:
        run = self.run(run_id)
        if run.finished:
            raise UsageError(f"{run_id} is {run.status}; nothing more is recorded for it")
        return run


def session(cwd: Path, actor: str | None = None) -> Session:
    factory = store.find_factory(cwd)
    return Session(factory, acting_member(cwd, actor).id)


def settings(factory: Factory) -> RunSettings:
    return load_config(factory).runs


def member_of(factory: Factory, actor: str) -> Member | None:
    """The team member ACTOR (an id or an email) is."""
    wanted = actor.strip().lower()
    for member in load_team(factory).members:
        if member.id == actor or wanted in member.emails:
            return member
    return None


def require_member(factory: Factory, actor: str) -> Member:
    member = member_of(factory, actor)
    if member is None:
        raise UsageError(f"{actor} is no member of team.yaml; a non-member records nothing")
    return member


def is_approver(factory: Factory, member: Member) -> bool:
    roles = load_roles(factory).roles
    return any(roles[r].approver for r in member.roles if r in roles)


# -- starting and steering -------------------------------------------------


def start_run(
    cwd: Path, *, title: str, gates: Mapping[str, str], spec: str | None, actor: str | None
) -> str:
    """Create the run's directory and `run.yaml` with its `run.started` entry; return its id."""
    s = session(cwd, actor)
    require_member(s.factory, s.actor)
    if spec and not (s.factory.root / SPECS_DIR / spec / "spec.md").is_file():
        raise UsageError(f"--spec {spec}: no such work item ({SPECS_DIR}/{spec}/spec.md)")
    runs_dir = s.factory.dir / RUNS_DIR
    run_id = f"run_{secrets.token_hex(4)}"
    taken = runindex.summaries(s.factory)
    while run_id in taken or (runs_dir / run_id).exists():
        run_id = f"run_{secrets.token_hex(4)}"
    values = {
        "id": run_id,
        "title": title.strip(),
        "spec": spec,
        "gates": dict(gates),
        "started_by": s.actor,
        "started_at": clock.now(),
    }
    from pydantic import ValidationError

    try:
        document = RunDocument.model_validate(values)
    except ValidationError as exc:
        raise InvalidInput.one(
            "<options>", 0, "; ".join(f"--{e['loc'][0]}: {e['msg']}" for e in exc.errors())
        ) from None
    path = runs_dir / run_id / "run.yaml"
    plain = document.model_dump(mode="json", exclude_none=True)
    plain["started_at"] = clock.stamp(document.started_at)
    text = store.dump_yaml(plain, schema=store.schema_ref(path, s.factory, "run"))
    path.parent.mkdir(parents=True, exist_ok=True)
    data: dict[str, Any] = {"title": document.title, "gates": dict(gates)}
    if spec:
        data["spec"] = spec
    events.record_file(
        s.factory, path, text, kind="run.started", actor=s.actor, subject=run_id, data=data
    )
    return run_id


def change_gates(
    cwd: Path, run_id: str, *, changes: Mapping[str, str], reason: str, actor: str | None
) -> dict[str, str]:
    """Set some of a run's gates (`run.gates_changed`, with who and why); return them all.

    Loosening a gate (towards `auto` or `skip`) needs a member with an approver role,
    and a gate that has stopped the run (waiting for a person) is never turned off:
    approve or reject it."""
    s = session(cwd, actor)
    run = s.open_run(run_id)
    member = require_member(s.factory, s.actor)
    if not reason.strip():
        raise UsageError("say why the gates change (--reason)")
    before = {g: state.mode for g, state in run.gates.items()}
    strictness = {"skip": 0, "auto": 1, "review": 2}
    for gate, mode in changes.items():
        state = run.gates[gate]
        looser = strictness[mode] < strictness[state.mode]
        if state.done and mode != state.mode:
            raise UsageError(f"the {gate} gate of {run_id} is already {state.status}")
        if looser and state.status == "waiting":
            raise RunStopped(
                f"the {gate} gate of {run_id} is waiting for a person; it cannot be turned"
                f" off now (`fos run approve {run_id} --gate {gate}` or `fos run reject`)"
            )
        if looser and not is_approver(s.factory, member):
            raise RunStopped(
                f"{member.id} may not loosen the {gate} gate ({state.mode} -> {mode}):"
                " only a member with an approver role may"
            )
    after = {**before, **changes}
    events.append(
        s.factory,
        kind="run.gates_changed",
        actor=s.actor,
        subject=run_id,
        data={"gates": after, "before": before, "reason": reason.strip()},
    )
    return after


def abandon_run(cwd: Path, run_id: str, *, reason: str, actor: str | None) -> None:
    s = session(cwd, actor)
    s.open_run(run_id)
    require_member(s.factory, s.actor)
    if not reason.strip():
        raise UsageError("say why the run is abandoned (--reason)")
    events.append(
        s.factory,
        kind="run.abandoned",
        actor=s.actor,
        subject=run_id,
        data={"reason": reason.strip()},
    )


# -- artifacts and attempts ------------------------------------------------


def stored_reader(factory: Factory) -> Any:
    """Read a recorded artifact version back (its digest checked first)."""
    cache: dict[str, BaseModel | None] = {}

    def read(version: Version) -> BaseModel | None:
        if version.path not in cache:
            path = factory.root / version.path
            try:
                payload = path.read_bytes()
            except OSError:
                raise InvalidInput.one(version.path, 0, "recorded artifact is missing") from None
            if hashlib.sha256(payload).hexdigest() != version.sha256:
                raise InvalidInput.one(
                    version.path, 0, "does not match its recorded digest (run `fos verify`)"
                )
            cache[version.path] = artifacts.load_stored(version.name, payload)
        return cache[version.path]

    return read


def current_plan(run: RunState, read: Any) -> Plan | None:
    version = run.latest("plan.json")
    plan = read(version) if version is not None else None
    return plan if isinstance(plan, Plan) else None


def _stored_path(factory: Factory, run: RunState, name: str) -> Path:
    base = factory.dir / RUNS_DIR / run.id / name
    count = len(run.artifacts.get(name, []))
    if count == 0 and not base.exists():
        return base
    number = max(count, 1) + 1
    while True:
        candidate = base.with_name(f"{base.stem}.v{number}{base.suffix}")
        if not candidate.exists():
            return candidate
        number += 1


def record_artifact(cwd: Path, run_id: str, file: Path, *, actor: str | None) -> Outcome:
    """Validate FILE against its contract, store it under the run, record its digest,
    and escalate what it shows. Invalid: InvalidInput, nothing stored."""
    s = session(cwd, actor)
    name = artifacts.name_for(PurePosixPath(file.as_posix()))
    # what a run taught is written once it is over
    run = s.run(run_id) if name == RETROSPECTIVE else s.open_run(run_id)
    require_member(s.factory, s.actor)
    rel = s.factory.rel(file.resolve()) if file.is_absolute() else file.as_posix()
    if name is None:
        raise InvalidInput.one(rel, 0, f"not a run artifact (known: {artifacts.known_names()})")
    payload = store.read_text(file, rel).encode("utf-8")
    read = stored_reader(s.factory)
    artifact = artifacts.parse_artifact(rel, name, payload, plan=current_plan(run, read))
    latest = run.latest(name)
    if latest is not None and latest.sha256 == hashlib.sha256(payload).hexdigest():
        raise UsageError(f"{name} is already recorded with this content ({latest.path})")
    data = {"kind": artifact.kind, "name": name, "version": len(run.artifacts.get(name, [])) + 1}
    in_place = s.factory.dir / RUNS_DIR / run.id / name
    if not run.artifacts.get(name) and file.resolve() == in_place.resolve():
        # the agent wrote it where it belongs: record it there
        target = in_place
        digest = hashlib.sha256(payload).hexdigest()
        ident = events.append(
            s.factory,
            kind="artifact.recorded",
            actor=s.actor,
            subject=run.id,
            refs=[(s.factory.rel(target), digest)],
            data=data,
        )
    else:
        target = _stored_path(s.factory, run, name)
        target.parent.mkdir(parents=True, exist_ok=True)
        ident = events.record_file(
            s.factory,
            target,
            payload,
            kind="artifact.recorded",
            actor=s.actor,
            subject=run.id,
            data=data,
        )
    outcome = escalate(s.factory, s.actor, run.id)
    outcome.recorded.insert(0, ident)
    outcome.detail = {"path": s.factory.rel(target), "name": name, "kind": artifact.kind}
    return outcome


def record_attempt(
    cwd: Path,
    run_id: str,
    *,
    task: str,
    agent: str,
    result: str,
    artifact: str | None,
    actor: str | None,
) -> Outcome:
    s = session(cwd, actor)
    run = s.open_run(run_id)
    require_member(s.factory, s.actor)
    if result not in RESULTS:
        raise UsageError(f"--result is pass or fail, not {result!r}")
    plan = current_plan(run, stored_reader(s.factory))
    if plan is not None and task not in {t.id for t in plan.tasks}:
        raise UsageError(f"the plan of {run_id} has no task {task!r}")
    if member_of(s.factory, agent) is None:
        raise UsageError(f"--agent {agent} is no member of team.yaml")
    data: dict[str, Any] = {"task": task, "agent": agent, "result": result}
    if artifact:
        data["artifact"] = artifact
    ident = events.append(
        s.factory, kind="attempt.recorded", actor=s.actor, subject=run.id, data=data
    )
    outcome = escalate(s.factory, s.actor, run.id)
    outcome.recorded.insert(0, ident)
    return outcome


def escalate(factory: Factory, actor: str, run_id: str) -> Outcome:
    """Open an escalation for every cause RUN_ID shows that is not escalated yet."""
    run = runindex.run(factory, run_id)
    assert run is not None
    found = new_triggers(run, triggers(run, stored_reader(factory), settings(factory)))
    outcome = Outcome(run_id)
    for trigger in found:
        ident = open_escalation(
            factory,
            actor=actor,
            subject=run_id,
            cause=trigger.cause,
            severity=trigger.severity,
            evidence={**trigger.evidence, "key": trigger.key, "message": trigger.message},
        )
        escalation = Escalation(
            ident,
            trigger.cause,
            trigger.severity,
            trigger.key,
            trigger.message,
            trigger.evidence,
            clock.stamp(),
            actor,
        )
        outcome.opened.append(escalation)
        outcome.recorded.append(ident)
    outcome.open = run.open_escalations + outcome.opened
    return outcome
