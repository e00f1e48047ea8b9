"""A factory run's state: a fold of its ledger events in replay order, never stored.

`fold` is pure: the CLI folds the ledger it has, the pull-request check folds
the base's entries and then the range's, and both see the same runs.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from factory_os.ledger.events import Entry
from factory_os.model import vocabulary
from factory_os.model.vocabulary import GATES

RUN_KINDS = frozenset(vocabulary.RUN_KINDS)
ESCALATION_KINDS = frozenset({"escalation.opened", "escalation.acked", "escalation.resolved"})
KINDS = RUN_KINDS | ESCALATION_KINDS
# a gate is done once one of these is its last event
DONE = frozenset({"passed", "approved", "skipped"})


@dataclass(frozen=True)
class Version:
    """One recorded version of an artifact."""

    name: str
    kind: str
    path: str
    sha256: str
    version: int
    entry: str
    actor: str
    at: str


@dataclass(frozen=True)
class Attempt:
    task: str
    agent: str
    result: str
    at: str
    actor: str
    artifact: str | None


@dataclass
class Escalation:
    id: str
    cause: str
    severity: str
    key: str
    message: str
    evidence: dict[str, Any]
    opened_at: str
    opened_by: str
    resolved: bool = False


@dataclass
class GateState:
    mode: str
    status: str = "pending"  # pending | waiting | passed | approved | skipped | rejected
    at: str = ""
    by: str = ""
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def done(self) -> bool:
        return self.status in DONE


@dataclass
class RunState:
    id: str
    title: str
    spec: str | None
    started_by: str
    started_at: str
    path: str
    gates: dict[str, GateState]
    artifacts: dict[str, list[Version]] = field(default_factory=dict)
    attempts: list[Attempt] = field(default_factory=list)
    escalations: list[Escalation] = field(default_factory=list)
    changes: list[dict[str, Any]] = field(default_factory=list)  # run.gates_changed
    status: str = "open"  # open | shipped | abandoned
    ended_at: str | None = None
    events: int = 0
    sha256: str = ""  # of run.yaml, as run.started recorded it ("" when it names none)

    def latest(self, name: str) -> Version | None:
        versions = self.artifacts.get(name)
        return versions[-1] if versions else None

    @property
    def open_escalations(self) -> list[Escalation]:
        return [e for e in self.escalations if not e.resolved]

    @property
    def finished(self) -> bool:
        return self.status != "open"

    def next_gate(self) -> str | None:
        return next((g for g in GATES if not self.gates[g].done), None)


def fold(entries: Iterable[Entry]) -> dict[str, RunState]:
    """Every run the ENTRIES (in replay order) tell of, by id. Events of a run that
    was never started, and events that make no sense where they stand (a second
    start), are passed over: `fos verify` and the pull-request check judge them."""
    runs: dict[str, RunState] = {}
    escalation_runs: dict[str, str] = {}
    for entry in entries:
        if entry.kind in ESCALATION_KINDS:
            step_escalation(runs, entry, escalation_runs)
            continue
        if entry.kind not in RUN_KINDS:
            continue
        if entry.kind == "run.started":
            if entry.subject not in runs:
                runs[entry.subject] = _started(entry)
            continue
        run = runs.get(entry.subject)
        if run is not None:
            apply(run, entry)
    return runs


def _started(entry: Entry) -> RunState:
    data = entry.data
    gates = data.get("gates") if isinstance(data.get("gates"), dict) else {}
    assert isinstance(gates, dict)
    return RunState(
        id=entry.subject,
        title=str(data.get("title", "")),
        spec=data.get("spec") if isinstance(data.get("spec"), str) else None,
        started_by=entry.actor,
        started_at=entry.at,
        path=entry.refs[0].path if entry.refs else "",
        gates={g: GateState(str(gates.get(g, "review"))) for g in GATES},
        events=1,
        sha256=entry.refs[0].sha256 if entry.refs else "",
    )


def apply(run: RunState, entry: Entry) -> None:
    """One event of RUN, in replay order."""
    run.events += 1
    data = entry.data
    kind = entry.kind
    if kind == "artifact.recorded" and entry.refs:
        name = str(data.get("name", ""))
        versions = run.artifacts.setdefault(name, [])
        ref = entry.refs[0]
        versions.append(
            Version(
                name,
                str(data.get("kind", "")),
                ref.path,
                ref.sha256,
                len(versions) + 1,
                entry.id,
                entry.actor,
                entry.at,
            )
        )
    elif kind == "attempt.recorded":
        artifact = data.get("artifact")
        run.attempts.append(
            Attempt(
                str(data.get("task", "")),
                str(data.get("agent", "")),
                str(data.get("result", "")),
                entry.at,
                entry.actor,
                artifact if isinstance(artifact, str) else None,
            )
        )
    elif kind == "run.gates_changed":
        gates = data.get("gates")
        if isinstance(gates, dict):
            for gate, mode in gates.items():
                if gate in run.gates and isinstance(mode, str):
                    run.gates[gate].mode = mode
        run.changes.append({"actor": entry.actor, "at": entry.at, **data})
    elif kind.startswith("gate."):
        gate = run.gates.get(str(data.get("gate", "")))
        if gate is not None:
            gate.status = kind.removeprefix("gate.")
            gate.at, gate.by, gate.data = entry.at, entry.actor, dict(data)
    elif kind in ("run.shipped", "run.abandoned") and not run.finished:
        run.status = kind.removeprefix("run.")
        run.ended_at = entry.at


def step_escalation(
    runs: dict[str, RunState], entry: Entry, owners: dict[str, str] | None = None
) -> None:
    """An escalation event applied to the run it concerns; OWNERS (escalation id ->
    run id, kept up to date here) saves looking through every run."""
    if owners is None:
        owners = {e.id: r.id for r in runs.values() for e in r.escalations}
    data = entry.data
    if entry.kind == "escalation.opened":
        run = runs.get(entry.subject)
        ident = data.get("id")
        if run is None or not isinstance(ident, str):
            return
        owners[ident] = run.id
        evidence = data.get("evidence")
        evidence = evidence if isinstance(evidence, dict) else {}
        run.escalations.append(
            Escalation(
                ident,
                str(data.get("cause", "")),
                str(data.get("severity", "")),
                str(evidence.get("key", "")),
                str(evidence.get("message", "")),
                evidence,
                entry.at,
                entry.actor,
            )
        )
        run.events += 1
    elif entry.kind == "escalation.resolved":
        ident = data.get("id") if isinstance(data.get("id"), str) else entry.subject
        owner = runs.get(owners.get(str(ident), ""))
        if owner is not None:
            owner.events += 1
            for escalation in owner.escalations:
                if escalation.id == ident:
                    escalation.resolved = True


# -- as the run index stores it (factory_os.work.runindex) -------------------------


def to_json(run: RunState) -> list[Any]:
    """RUN as compact JSON: positional lists, read back by `from_json`."""
    return [
        run.id,
        run.title,
        run.spec,
        run.started_by,
        run.started_at,
        run.path,
        {g: [s.mode, s.status, s.at, s.by, s.data] for g, s in run.gates.items()},
        {name: [_fields(v) for v in versions] for name, versions in run.artifacts.items()},
        [_fields(a) for a in run.attempts],
        [_fields(e) for e in run.escalations],
        run.changes,
        run.status,
        run.ended_at,
        run.events,
        run.sha256,
    ]


def _fields(value: Version | Attempt | Escalation) -> list[Any]:
    """VALUE's fields in their order (a dataclass's `__dict__` keeps it), not copied:
    `astuple` deep-copies, which costs more than the rest of writing the index."""
    return list(vars(value).values())


def from_json(value: list[Any]) -> RunState:
    (ident, title, spec, started_by, started_at, path, gates, versions, attempts, escalations,
     changes, status, ended_at, count, *kept) = value  # fmt: skip
    return RunState(
        ident,
        title,
        spec,
        started_by,
        started_at,
        path,
        {g: GateState(*gates[g]) for g in GATES},
        {name: [Version(*v) for v in rows] for name, rows in versions.items()},
        [Attempt(*a) for a in attempts],
        [Escalation(*e) for e in escalations],
        changes,
        status,
        ended_at,
        count,
        kept[0] if kept else "",  # kept before run.yaml's digest was: any change shows
    )
