"""The pull-request check of factory runs: replay the run events a range adds.

A ledger line can be written by hand, so what `fos run` refuses must also be
refused when it arrives in a pull request. `check_runs` folds the base's run
events, then judges each event the range adds, in replay order, before applying
it, with the functions the CLI uses (`rungates.requirements`, the triggers).
It is pure: the caller gives the entries, the member of the commit that added
each one, the team and roles as of the base, and a way to read the head's files.

Blocking findings: `fos:run-artifact` (a recorded artifact whose file is missing,
does not match its digest, or breaks its contract; a `run.yaml` or artifact the
change edits or deletes after it was recorded without a record the check accepts;
a run event that records nothing where it stands: a second `run.started`, an
event of a run never started), `fos:run-approval` (a gate decided by a member
who may not, or that was not waiting), `fos:run-gates` (a
gate turned off after it stopped the run, or loosened by a non-approver),
`fos:run-gate` (a review gate passed without a person), `fos:run-ship` (a ship
without a passing review and tests, or with an escalation open or owed).
Provenance (each entry's actor is its commit's member) is checked for every
entry kind by the lifecycle's check.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Collection, Iterable, Sequence

from pydantic import BaseModel, ValidationError

from factory_os.errors import InvalidInput
from factory_os.ledger.events import Entry
from factory_os.model.artifacts import Plan
from factory_os.model.factory import RunSettings
from factory_os.model.team import Member, Roles, Team
from factory_os.rules.finding import Finding
from factory_os.work import artifacts
from factory_os.work.gatecheck import Added
from factory_os.work.rungates import requirements
from factory_os.work.runstate import (
    ESCALATION_KINDS,
    KINDS,
    RunState,
    Version,
    apply,
    fold,
    step_escalation,
)
from factory_os.work.triggers import new_triggers, triggers

Read = Callable[[str], bytes | None]  # factory-relative path -> its bytes at the head

ARTIFACT_RULE = "fos:run-artifact"
APPROVAL_RULE = "fos:run-approval"
GATES_RULE = "fos:run-gates"
GATE_RULE = "fos:run-gate"
SHIP_RULE = "fos:run-ship"
STRICTNESS = {"skip": 0, "auto": 1, "review": 2}


def check_runs(
    base: Iterable[Entry],
    added: Sequence[Added],
    team: Team,
    roles: Roles,
    read: Read,
    settings: RunSettings | None = None,
) -> list[Finding]:
    """The findings of the run events ADDED on top of BASE (both in replay order)."""
    runs = fold(e for e in base if e.kind in KINDS)
    return check_onto(runs, added, team, roles, read, settings)


def check_onto(
    runs: dict[str, RunState],
    added: Sequence[Added],
    team: Team,
    roles: Roles,
    read: Read,
    settings: RunSettings | None = None,
    changed: Collection[str] = (),
) -> list[Finding]:
    """As `check_runs`, on the base's runs already folded (RUNS, folded onto); CHANGED
    are the paths the change modifies (the runs' recorded files among them are compared)."""
    judge = _Judge(team, roles, read, settings or RunSettings())
    found: list[Finding] = []
    # the files an event the judge accepted records again, and those a finding names
    recorded_here: set[str] = set()
    for add in added:
        entry = add.entry
        if entry.kind in ESCALATION_KINDS:
            step_escalation(runs, entry)
            continue
        if entry.kind not in KINDS:
            continue
        run = runs.get(entry.subject)
        if entry.kind == "run.started":
            if run is None:
                runs.update(fold([entry]))
            else:
                found.append(judge.refused(add, "run.started of a run already started"))
            continue
        if run is None:
            found.append(judge.refused(add, f"{entry.kind} of a run never started"))
            continue
        judged = judge.event(run, add)
        if not judged:
            recorded_here |= _rerecorded(run, entry)
        recorded_here |= {f.path for f in judged if f.line is None and f.path}
        found += judged
        apply(run, entry)
    return found + judge.files(runs, [p for p in changed if p not in recorded_here])


def _rerecorded(run: RunState, entry: Entry) -> set[str]:
    """The files of RUN that ENTRY, accepted, records: a new version of an artifact (a
    file of the run's own folder it has not recorded yet, never its run.yaml), or the
    run's run.yaml for a change of its gates."""
    if entry.kind == "run.gates_changed":
        return {ref.path for ref in entry.refs if ref.path and ref.path == run.path}
    if entry.kind != "artifact.recorded" or not entry.refs or not run.path:
        return set()
    path = entry.refs[0].path
    folder = run.path.rpartition("/")[0]
    known = {v.path for versions in run.artifacts.values() for v in versions}
    if path == run.path or path.rpartition("/")[0] != folder or path in known:
        return set()
    return {path}


class _Judge:
    def __init__(self, team: Team, roles: Roles, read: Read, settings: RunSettings) -> None:
        self.members = {m.id: m for m in team.members}
        self.approver_roles = {name for name, role in roles.roles.items() if role.approver}
        self.read_file = read
        self.settings = settings
        self._models: dict[tuple[str, str], BaseModel | None] = {}

    def read(self, version: Version) -> BaseModel | None:
        """A recorded version as the head holds it; None when the file is not that version."""
        key = (version.path, version.sha256)
        if key not in self._models:
            payload = self.read_file(version.path)
            model = None
            if payload is not None and hashlib.sha256(payload).hexdigest() == version.sha256:
                try:
                    model = artifacts.load_stored(version.name, payload)
                except (ValidationError, ValueError):
                    model = None
            self._models[key] = model
        return self._models[key]

    def event(self, run: RunState, add: Added) -> list[Finding]:
        entry = add.entry
        kind = entry.kind
        if kind == "artifact.recorded":
            return self._artifact(run, add)
        if kind in ("gate.approved", "gate.rejected"):
            return self._decision(run, add)
        if kind == "run.gates_changed":
            return self._gates(run, add)
        found = []
        gate = entry.data.get("gate")
        if kind in ("gate.passed", "gate.skipped") and gate in run.gates:
            mode = run.gates[str(gate)].mode
            expected = "gate.skipped" if mode == "skip" else "gate.passed"
            if mode == "review" or kind != expected:
                found.append(
                    self._finding(
                        GATE_RULE, add, f"{kind} for the {gate} gate, whose mode is {mode}"
                    )
                )
        shipping = kind == "run.shipped" or (
            gate == "ship" and kind in ("gate.passed", "gate.skipped", "gate.approved")
        )
        if shipping:
            found += self._ship(run, add)
        return found

    def refused(self, add: Added, message: str) -> Finding:
        """An event that records nothing where it stands, at its ledger line."""
        return self._finding(ARTIFACT_RULE, add, message)

    def _finding(self, rule: str, add: Added, message: str, path: str | None = None) -> Finding:
        """A finding of the event ADD: at PATH (a file it records), else at the ledger
        line that adds it."""
        line = None if path is not None else add.entry.line or None
        path = path if path is not None else add.entry.segment or None
        return Finding(
            rule, "block", f"{add.entry.subject}: {message}", path, line, add.commit, add.member
        )

    def _artifact(self, run: RunState, add: Added) -> list[Finding]:
        entry = add.entry
        if not entry.refs:
            return [self._finding(ARTIFACT_RULE, add, "artifact.recorded names no file")]
        ref = entry.refs[0]
        payload = self.read_file(ref.path)
        if payload is None:
            return [self._finding(ARTIFACT_RULE, add, "the recorded artifact is missing", ref.path)]
        if hashlib.sha256(payload).hexdigest() != ref.sha256:
            message = "the file does not match the digest its artifact.recorded entry gives"
            return [self._finding(ARTIFACT_RULE, add, message, ref.path)]
        name = str(entry.data.get("name", ""))
        if not artifacts.is_name(name):
            return [self._finding(ARTIFACT_RULE, add, f"{name!r} is no artifact", ref.path)]
        plan_version = run.latest("plan.json")
        plan = self.read(plan_version) if plan_version else None
        try:
            artifacts.parse_artifact(
                ref.path, name, payload, plan=plan if isinstance(plan, Plan) else None
            )
        except InvalidInput as exc:
            return [
                self._finding(ARTIFACT_RULE, add, f"breaks its contract: {p.message}", ref.path)
                for p in exc.problems
            ]
        return []

    def files(self, runs: dict[str, RunState], changed: Collection[str]) -> list[Finding]:
        """The runs' recorded files that CHANGED edits or deletes without recording them
        again: fos writes run.yaml once, and a new version of an artifact is a new file."""
        # path -> (run, sha256) as first recorded: a path recorded again with other
        # bytes was rewritten in place
        recorded = {run.path: (run.id, run.sha256) for run in runs.values() if run.path}
        for run in runs.values():
            for versions in run.artifacts.values():
                for v in versions:
                    recorded.setdefault(v.path, (run.id, v.sha256))
        found = []
        for path in sorted(set(changed) & recorded.keys()):
            run_id, sha = recorded[path]
            payload = self.read_file(path)
            if payload is not None and hashlib.sha256(payload).hexdigest() == sha:
                continue
            how = "deleted" if payload is None else "changed"
            what = (
                "fos writes it once, when the run starts (`fos run gates` changes the gates)"
                if path == runs[run_id].path
                else "a new version is a new file (`fos run artifact`)"
            )
            message = (
                f"{run_id}: {path} was {how} after it was recorded"
                f" (sha256 {sha[:12] or '-'}...): {what}"
            )
            found.append(Finding(ARTIFACT_RULE, "block", message, path, None))
        return found

    def _member(self, add: Added) -> Member | None:
        return self.members.get(add.member) if add.member else None

    def _approver(self, member: Member | None) -> bool:
        return member is not None and bool(self.approver_roles & set(member.roles))

    def _decision(self, run: RunState, add: Added) -> list[Finding]:
        gate = str(add.entry.data.get("gate", ""))
        member = self._member(add)
        found = []
        if not self._approver(member):
            found.append(
                self._finding(
                    APPROVAL_RULE,
                    add,
                    f"{add.entry.kind} of the {gate} gate by {add.member or 'a non-member'},"
                    " who holds no approver role",
                )
            )
        elif member is not None and member.id in {a.agent for a in run.attempts}:
            found.append(
                self._finding(
                    APPROVAL_RULE, add, f"{member.id} worked on the run and decided its {gate} gate"
                )
            )
        state = run.gates.get(gate)
        if state is None or state.status != "waiting":
            status = state.status if state else "unknown"
            found.append(
                self._finding(APPROVAL_RULE, add, f"the {gate} gate was not waiting ({status})")
            )
        if add.entry.kind == "gate.approved" and run.open_escalations:
            ids = ", ".join(e.id for e in run.open_escalations)
            found.append(self._finding(APPROVAL_RULE, add, f"approved with {ids} open"))
        return found

    def _gates(self, run: RunState, add: Added) -> list[Finding]:
        wanted = add.entry.data.get("gates")
        if not isinstance(wanted, dict):
            return [self._finding(GATES_RULE, add, "run.gates_changed names no gates")]
        found = []
        for ref in add.entry.refs:
            payload = self.read_file(ref.path)
            if payload is None or hashlib.sha256(payload).hexdigest() != ref.sha256:
                message = "the file does not match the digest its run.gates_changed entry gives"
                found.append(self._finding(ARTIFACT_RULE, add, message, ref.path))
        approver = self._approver(self._member(add))
        for gate, mode in sorted(wanted.items()):
            change = (
                f"the {gate} gate ({run.gates[gate].mode if gate in run.gates else '?'} -> {mode})"
            )
            state = run.gates.get(gate)
            if state is None or mode not in STRICTNESS:
                found.append(self._finding(GATES_RULE, add, f"{gate}={mode} is no gate mode"))
                continue
            if STRICTNESS[mode] >= STRICTNESS.get(state.mode, 2):
                continue
            if state.status == "waiting":
                found.append(
                    self._finding(
                        GATES_RULE,
                        add,
                        f"turns off {change} after it stopped the run",
                    )
                )
            elif not approver:
                found.append(
                    self._finding(
                        GATES_RULE,
                        add,
                        f"loosens {change} without an approver role",
                    )
                )
        return found

    def _ship(self, run: RunState, add: Added) -> list[Finding]:
        ship = run.gates["ship"]
        skipped = ship.data.get("skipped") if add.entry.kind == "run.shipped" else None
        skipped = skipped if skipped is not None else add.entry.data.get("skipped")
        evidence = requirements(
            run, "ship", self.read, skipped if isinstance(skipped, dict) else None
        )
        found = [self._finding(SHIP_RULE, add, f"shipped, but {m}") for m in evidence.missing]
        if add.entry.kind == "run.shipped" and not ship.done:
            found.append(
                self._finding(SHIP_RULE, add, f"shipped while the ship gate is {ship.status}")
            )
        owed = new_triggers(run, triggers(run, self.read, self.settings))
        for escalation in run.open_escalations:
            found.append(self._finding(SHIP_RULE, add, f"shipped with {escalation.id} open"))
        for trigger in owed:
            found.append(
                self._finding(SHIP_RULE, add, f"shipped without escalating: {trigger.message}")
            )
        return found
