"""A run's autonomy gates: spec, plan and ship, each `auto`, `review` or `skip`.

`auto` passes and logs, `skip` records the skip, `review` stops the run
(`gate.waiting`) until a member with an approver role approves or rejects.
Whatever the mode, a gate first needs its evidence (`requirements`): the spec
gate a feature request, the plan gate a plan, and the ship gate a passing review
and passing tests (never skipped), a passing security review (skipped only when
every task of the plan is cosmetic) and docs (skipped only for internal
refactors), each skip with its reason. And whatever the mode, an open
escalation stops the run before any gate.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from factory_os.errors import UsageError
from factory_os.ledger import events
from factory_os.model.artifacts import DocsReport, Plan, Review, SecurityReview, TestResults
from factory_os.model.vocabulary import GATES
from factory_os.work.runs import (
    RunStopped,
    escalate,
    is_approver,
    require_member,
    session,
    stored_reader,
)
from factory_os.work.runstate import Escalation, RunState, Version

Reader = Callable[[Version], BaseModel | None]
EVIDENCE = {"spec": "feature-request.json", "plan": "plan.json"}


@dataclass
class GateResult:
    run: str
    gate: str
    status: str  # passed | skipped | approved | rejected | waiting | unmet | stopped
    message: str
    recorded: list[str] = field(default_factory=list)
    open: list[Escalation] = field(default_factory=list)

    @property
    def stops(self) -> bool:
        return self.status in ("waiting", "unmet", "stopped")


@dataclass
class Evidence:
    missing: list[str] = field(default_factory=list)
    entries: dict[str, str] = field(default_factory=dict)  # artifact name -> entry id
    skipped: dict[str, str] = field(default_factory=dict)  # security | docs -> reason


def _passing(run: RunState, name: str, read: Reader, model: type[Any]) -> tuple[str, str | None]:
    """(what is wrong, "" if nothing; the entry id of the version that passes)."""
    version = run.latest(name)
    if version is None:
        return f"no {name} recorded", None
    value = read(version)
    if not isinstance(value, model):
        return f"{name} cannot be read", None
    failing = getattr(value, "verdict", "pass") != "pass" or getattr(value, "failed", 0)
    if failing:
        return f"{name} (version {version.version}) does not pass", None
    return "", version.entry


def requirements(
    run: RunState, gate: str, read: Reader, skips: dict[str, str] | None = None
) -> Evidence:
    """What GATE of RUN still lacks, and what it rests on. SKIPS: the security review
    and docs skipped at ship, with their reasons."""
    found = Evidence()
    if gate in EVIDENCE:
        name = EVIDENCE[gate]
        version = run.latest(name)
        if version is None:
            found.missing.append(f"no {name} recorded")
        else:
            found.entries[name] = version.entry
        return found
    for name, needed in (("review.json", Review), ("test-results.json", TestResults)):
        problem, entry = _passing(run, name, read, needed)
        if problem:
            found.missing.append(f"{problem} (code review and tests are never skipped)")
        elif entry is not None:
            found.entries[name] = entry
    plan_version = run.latest("plan.json")
    plan = read(plan_version) if plan_version is not None else None
    changes = {t.change for t in plan.tasks} if isinstance(plan, Plan) else set()
    optional: tuple[tuple[str, str, type[BaseModel], set[str], str], ...] = (
        ("security", "security-review.json", SecurityReview, {"cosmetic"}, "cosmetic"),
        ("docs", "docs.json", DocsReport, {"internal-refactor"}, "an internal refactor"),
    )
    for what, name, model, allowed, wording in optional:
        reason = (skips or {}).get(what, "").strip()
        if reason:
            if not changes or not changes <= allowed:
                found.missing.append(
                    f"the {what} gate may be skipped only when every task of the plan is {wording}"
                )
            else:
                found.skipped[what] = reason
            continue
        problem, entry = _passing(run, name, read, model)
        if problem:
            hint = f" (or --skip-{what} REASON when every task is {wording})"
            found.missing.append(problem + (hint if changes and changes <= allowed else ""))
        elif entry is not None:
            found.entries[name] = entry
    return found


def pass_gate(
    cwd: Path,
    run_id: str,
    gate: str,
    *,
    skip_security: str | None = None,
    skip_docs: str | None = None,
    actor: str | None = None,
) -> GateResult:
    """Try to pass GATE: escalate first, then check the order and the evidence, then
    act as its mode says. Records `gate.passed | gate.skipped | gate.waiting`."""
    if gate not in GATES:
        raise UsageError(f"the gates are {', '.join(GATES)}, not {gate!r}")
    s = session(cwd, actor)
    run = s.open_run(run_id)
    require_member(s.factory, s.actor)
    outcome = escalate(s.factory, s.actor, run_id)
    if outcome.stopped:
        return GateResult(
            run_id,
            gate,
            "stopped",
            "the run is stopped until a person resolves its escalations",
            outcome.recorded,
            outcome.open,
        )
    state = run.gates[gate]
    if state.done:
        return GateResult(run_id, gate, state.status, f"the {gate} gate is already {state.status}")
    earlier = next((g for g in GATES[: GATES.index(gate)] if not run.gates[g].done), None)
    if earlier is not None:
        return GateResult(run_id, gate, "unmet", f"the {earlier} gate comes first")
    skips = {k: v for k, v in (("security", skip_security), ("docs", skip_docs)) if v}
    if skips and gate != "ship":
        raise UsageError("--skip-security and --skip-docs belong to the ship gate")
    if state.mode == "skip" and gate != "ship":
        evidence = Evidence()
    else:
        evidence = requirements(run, gate, stored_reader(s.factory), skips)
    if evidence.missing:
        return GateResult(run_id, gate, "unmet", "; ".join(evidence.missing))
    data: dict[str, Any] = {"gate": gate, "mode": state.mode, "evidence": evidence.entries}
    if evidence.skipped:
        data["skipped"] = evidence.skipped
    if state.mode == "review":
        if state.status == "waiting":
            return GateResult(run_id, gate, "waiting", _ask(run_id, gate))
        ident = events.append(
            s.factory, kind="gate.waiting", actor=s.actor, subject=run_id, data=data
        )
        return GateResult(run_id, gate, "waiting", _ask(run_id, gate), [ident])
    kind = "gate.skipped" if state.mode == "skip" else "gate.passed"
    recorded = [events.append(s.factory, kind=kind, actor=s.actor, subject=run_id, data=data)]
    if gate == "ship":
        recorded.append(_ship(s.factory, s.actor, run_id))
    status = kind.removeprefix("gate.")
    return GateResult(run_id, gate, status, f"the {gate} gate {status} ({state.mode})", recorded)


def _ask(run_id: str, gate: str) -> str:
    return (
        f"the {gate} gate waits for a person: `fos run approve {run_id} --gate {gate}`"
        f" or `fos run reject {run_id} --gate {gate} --feedback TEXT`"
    )


def _ship(factory: Any, actor: str, run_id: str) -> str:
    return events.append(factory, kind="run.shipped", actor=actor, subject=run_id, data={})


def decide(
    cwd: Path,
    run_id: str,
    gate: str,
    *,
    approve: bool,
    feedback: str = "",
    auto_rest: bool = False,
    actor: str | None = None,
) -> GateResult:
    """Approve or reject a gate that waits; only a member with an approver role who did
    not work on the run's tasks may."""
    if gate not in GATES:
        raise UsageError(f"the gates are {', '.join(GATES)}, not {gate!r}")
    s = session(cwd, actor)
    run = s.open_run(run_id)
    member = require_member(s.factory, s.actor)
    if not is_approver(s.factory, member):
        raise RunStopped(f"{member.id} holds no approver role and may not decide a gate")
    workers = {a.agent for a in run.attempts}
    if member.id in workers or any(e in workers for e in member.emails):
        raise RunStopped(f"{member.id} worked on this run's tasks and may not approve its gates")
    state = run.gates[gate]
    if state.status != "waiting":
        raise UsageError(
            f"the {gate} gate of {run_id} is not waiting for a decision ({state.status})"
        )
    if not approve and not feedback.strip():
        raise UsageError("a rejection says what must change (--feedback)")
    if approve and run.open_escalations:
        ids = ", ".join(e.id for e in run.open_escalations)
        raise RunStopped(f"{run_id} has open escalations ({ids}); they are resolved first")
    data: dict[str, Any] = {"gate": gate, "feedback": feedback.strip()}
    if approve and gate == "ship":
        skipped = state.data.get("skipped")
        evidence = requirements(
            run, gate, stored_reader(s.factory), skipped if isinstance(skipped, dict) else None
        )
        if evidence.missing:
            raise RunStopped("the ship gate cannot pass: " + "; ".join(evidence.missing))
        data["evidence"] = evidence.entries
    kind = "gate.approved" if approve else "gate.rejected"
    if approve and auto_rest:
        data["auto_rest"] = True
    recorded = [events.append(s.factory, kind=kind, actor=s.actor, subject=run_id, data=data)]
    later = [g for g in GATES[GATES.index(gate) + 1 :] if run.gates[g].mode == "review"]
    if approve and auto_rest and later:
        before = {g: st.mode for g, st in run.gates.items()}
        recorded.append(
            events.append(
                s.factory,
                kind="run.gates_changed",
                actor=s.actor,
                subject=run_id,
                data={
                    "gates": {**before, **dict.fromkeys(later, "auto")},
                    "before": before,
                    "reason": f"approved the {gate} gate with --auto-rest",
                },
            )
        )
    if approve and gate == "ship":
        recorded.append(_ship(s.factory, s.actor, run_id))
    status = "approved" if approve else "rejected"
    return GateResult(run_id, gate, status, f"the {gate} gate is {status} by {member.id}", recorded)
