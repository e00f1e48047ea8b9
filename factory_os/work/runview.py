"""Reading one run: its summary (`fos run show`) and what an agent working in it is told.

Both are computed from the ledger's fold and the run's recorded artifacts; nothing
is stored twice. The dictionaries returned are the commands' JSON output. (The
list of runs and the telemetry across them are in `runtally`.) The artifacts are
read as the plain JSON they were validated as when recorded (their digest
checked first), so reading a run builds no model.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Callable
from itertools import pairwise
from pathlib import Path
from typing import Any

from factory_os import store
from factory_os.errors import InvalidInput, UsageError
from factory_os.store import Factory
from factory_os.work import runindex, runtally
from factory_os.work.runstate import RunState, Version

Json = dict[str, Any]
Reader = Callable[[Version], Json | None]
SEVERITIES = ("critical", "high", "medium", "low")


def json_reader(factory: Factory) -> Reader:
    """Read a recorded artifact version back as JSON (None for Markdown); its digest
    must still match."""

    def read(version: Version) -> Json | None:
        try:
            payload = (factory.root / version.path).read_bytes()
        except OSError:
            raise InvalidInput.one(version.path, 0, "recorded artifact is missing") from None
        if hashlib.sha256(payload).hexdigest() != version.sha256:
            raise InvalidInput.one(
                version.path, 0, "does not match its recorded digest (run `fos verify`)"
            )
        if not version.path.endswith(".json"):
            return None
        value = json.loads(payload)
        return value if isinstance(value, dict) else None

    return read


def summary(run: RunState, read: Reader) -> dict[str, Any]:
    """Everything `fos run show` tells of RUN."""
    out = runtally.row(run)
    out["spec"] = run.spec
    out["path"] = run.path
    for gate, state in run.gates.items():
        detail = out["gates"][gate]
        detail.update(at=state.at or None, by=state.by or None)
        for key in ("feedback", "skipped", "evidence"):
            if state.data.get(key):
                detail[key] = state.data[key]
    out["gate_changes"] = [
        {k: c.get(k) for k in ("at", "actor", "before", "gates", "reason")} for c in run.changes
    ]
    out["artifacts"] = {
        name: [{"version": v.version, "path": v.path, "sha256": v.sha256, "by": v.actor, "at": v.at}
               for v in versions]
        for name, versions in sorted(run.artifacts.items())
    }  # fmt: skip
    plan_version = run.latest("plan.json")
    plan = read(plan_version) if plan_version else None
    out["plan"] = _plan(plan, plan_version.version if plan_version else 0)
    out["devils_advocate"] = _revisions(run, read)
    out["implementation"] = _implementation(run)
    out["review"] = _verdict(run, read, "review.json", "issues")
    out["tests"] = _tests(run, read, plan)
    out["security"] = _optional(run, read, "security-review.json", "security", "findings")
    out["docs"] = _optional(run, read, "docs.json", "docs", "")
    out["escalations"] = [
        {"id": e.id, "cause": e.cause, "severity": e.severity, "message": e.message,
         "opened_at": e.opened_at, "resolved": e.resolved}
        for e in run.escalations
    ]  # fmt: skip
    return out


def _tasks(plan: Json | None) -> list[Json]:
    tasks = plan.get("tasks") if plan else None
    return [t for t in tasks if isinstance(t, dict)] if isinstance(tasks, list) else []


def _plan(plan: Json | None, version: int) -> dict[str, Any] | None:
    tasks = _tasks(plan)
    if plan is None or not tasks:
        return None
    groups: dict[str, list[str]] = {}
    for task in sorted(tasks, key=lambda t: t["parallel_group"]):
        groups.setdefault(str(task["parallel_group"]), []).append(task["id"])
    return {
        "version": version,
        "title": plan.get("title"),
        "tasks": len(tasks),
        "parallel_groups": groups,
        "criteria": sum(len(t["acceptance_criteria"]) for t in tasks),
    }


def _revisions(run: RunState, read: Reader) -> list[dict[str, Any]]:
    """Each revision of the plan against the one before; `over_threshold` when the run
    escalated it (as the threshold stood when it was recorded)."""
    escalated = {e.key for e in run.escalations if e.cause == "plan.changed_over_threshold"}
    out = []
    for old_version, new_version in pairwise(run.artifacts.get("plan.json", [])):
        old, new = _tasks(read(old_version)), _tasks(read(new_version))
        added, removed, modified = runtally.task_changes(
            {t["id"]: t for t in old}, {t["id"]: t for t in new}
        )
        changed = len(added) + len(removed) + len(modified)
        out.append(
            {
                "from": old_version.version,
                "to": new_version.version,
                "added": added,
                "removed": removed,
                "modified": modified,
                "share": runtally.ratio_text(changed, len(old)),
                "over_threshold": f"{old_version.entry}..{new_version.entry}" in escalated,
            }
        )
    return out


def _implementation(run: RunState) -> dict[str, Any]:
    tasks: dict[str, dict[str, Any]] = {}
    for attempt in run.attempts:
        row = tasks.setdefault(attempt.task, {"attempts": 0, "failures": 0, "agents": []})
        row["attempts"] += 1
        row["failures"] += attempt.result == "fail"
        row["result"] = attempt.result
        if attempt.agent not in row["agents"]:
            row["agents"].append(attempt.agent)
    retries = sum(max(0, row["attempts"] - 1) for row in tasks.values())
    return {"tasks": tasks, "attempts": len(run.attempts), "retries": retries}


def _verdict(run: RunState, read: Reader, name: str, counted: str) -> dict[str, Any] | None:
    version = run.latest(name)
    value = read(version) if version else None
    if version is None or value is None:
        return None
    out: dict[str, Any] = {"version": version.version, "verdict": value.get("verdict")}
    if counted:
        counts = Counter(i.get("severity") for i in value.get(counted, []))
        out[counted] = {s: counts[s] for s in SEVERITIES if counts[s]}
    return out


def _tests(run: RunState, read: Reader, plan: Json | None) -> dict[str, Any] | None:
    version = run.latest("test-results.json")
    results = read(version) if version else None
    if version is None or results is None:
        return None
    tasks = _tasks(plan)
    wanted = {
        "acceptance_criteria": [c["id"] for t in tasks for c in t["acceptance_criteria"]],
        "user_journeys": [j["id"] for j in (plan or {}).get("user_journeys", [])],
        "edge_cases": [e["id"] for t in tasks for e in t.get("edge_cases", [])],
    }
    coverage = {}
    if tasks:
        for section, items in wanted.items():
            matrix = results.get("coverage", {}).get(section, {})
            covered = sum(1 for item in items if matrix.get(item))
            coverage[section] = {"covered": covered, "total": len(items)}
    return {
        "version": version.version,
        **{k: results.get(k) for k in ("verdict", "passed", "failed", "total")},
        "coverage": coverage,
    }


def _optional(
    run: RunState, read: Reader, name: str, what: str, counted: str
) -> dict[str, Any] | None:
    skipped = run.gates["ship"].data.get("skipped")
    if isinstance(skipped, dict) and what in skipped:
        return {"skipped": skipped[what]}
    out = _verdict(run, read, name, counted)
    if out is not None and what == "security":
        value = read(run.artifacts[name][-1]) or {}
        out["framework"] = value.get("framework")
    return out


def _run(factory: Factory, run_id: str) -> RunState:
    run = runindex.run(factory, run_id)
    if run is None:
        raise UsageError(f"no run {run_id} in the ledger (`fos run list` shows the runs)")
    return run


def show_run(cwd: Path, run_id: str) -> dict[str, Any]:
    factory = store.find_factory(cwd)
    return summary(_run(factory, run_id), json_reader(factory))


def agent_context(
    cwd: Path, run_id: str, *, task: str | None = None, member: str | None = None
) -> dict[str, Any]:
    """What an agent working in RUN_ID needs: the plan, its task (TASK, else the tasks
    MEMBER has briefings for) with its briefing, the gates and the open escalations."""
    factory = store.find_factory(cwd)
    run = _run(factory, run_id)
    read = json_reader(factory)
    plan_version = run.latest("plan.json")
    tasks = _tasks(read(plan_version) if plan_version else None)
    briefings: dict[tuple[str, str], Json] = {}
    for name, versions in run.artifacts.items():
        if name.startswith("briefings/"):
            value = read(versions[-1])
            if value is not None:
                briefings[(value["agent"], value["task"])] = {
                    "context": [], "files": [], "constraints": [], **value
                }  # fmt: skip
    mine = {task} if task else {t for (agent, t) in briefings if member and agent == member}
    return {
        "run": run.id,
        "title": run.title,
        "status": "stopped" if run.open_escalations else run.status,
        "next_gate": run.next_gate(),
        "gates": {g: {"mode": s.mode, "status": s.status} for g, s in run.gates.items()},
        "plan": [
            {"id": t["id"], "title": t["title"], "parallel_group": t["parallel_group"],
             "depends_on": t.get("depends_on", []), "change": t.get("change", "feature")}
            for t in tasks
        ],
        "tasks": [
            {"depends_on": [], "change": "feature", "edge_cases": [], **t,
             "briefings": [b for (_, bt), b in sorted(briefings.items()) if bt == t["id"]]}
            for t in tasks if t["id"] in mine
        ],
        "escalations": [
            {"id": e.id, "cause": e.cause, "severity": e.severity, "message": e.message}
            for e in run.open_escalations
        ],
    }  # fmt: skip
