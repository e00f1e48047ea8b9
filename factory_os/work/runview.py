"""Reading runs: one run's summary, the list of runs, and telemetry across them.

All of it is computed from the ledger's fold (and, for one run's summary, its
recorded artifacts); nothing is stored twice. The dictionaries returned are the
commands' JSON output.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Iterable
from itertools import pairwise
from pathlib import Path
from typing import Any

from factory_os import clock, store
from factory_os.errors import UsageError
from factory_os.model.artifacts import DocsReport, Plan, Review, SecurityReview, TestResults
from factory_os.model.factory import RunSettings
from factory_os.work import runlog
from factory_os.work.artifacts import plan_items
from factory_os.work.runs import settings, stored_reader
from factory_os.work.runstate import RunState
from factory_os.work.triggers import Reader, plan_change, ratio_text

SEVERITIES = ("critical", "high", "medium", "low")


def run_row(run: RunState) -> dict[str, Any]:
    """What `fos run list` shows of a run."""
    return {
        "id": run.id,
        "title": run.title,
        "status": run.status,
        "stopped": bool(run.open_escalations),
        "started_at": run.started_at,
        "started_by": run.started_by,
        "ended_at": run.ended_at,
        "gates": {g: {"mode": s.mode, "status": s.status} for g, s in run.gates.items()},
        "next_gate": run.next_gate(),
    }


def run_list(runs: Iterable[RunState], *, only_open: bool = False) -> list[dict[str, Any]]:
    chosen = [r for r in runs if not (only_open and r.finished)]
    return [run_row(r) for r in sorted(chosen, key=lambda r: (r.started_at, r.id))]


def summary(run: RunState, read: Reader, settings: RunSettings) -> dict[str, Any]:
    """Everything `fos run show` tells of RUN."""
    out = run_row(run)
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
    out["devils_advocate"] = _revisions(run, read, settings)
    out["implementation"] = _implementation(run)
    out["review"] = _review(run, read)
    out["tests"] = _tests(run, read, plan if isinstance(plan, Plan) else None)
    out["security"] = _optional(run, read, "security-review.json", SecurityReview, "security")
    out["docs"] = _optional(run, read, "docs.json", DocsReport, "docs")
    out["escalations"] = [
        {"id": e.id, "cause": e.cause, "severity": e.severity, "message": e.message,
         "opened_at": e.opened_at, "resolved": e.resolved}
        for e in run.escalations
    ]  # fmt: skip
    return out


def _plan(plan: Any, version: int) -> dict[str, Any] | None:
    if not isinstance(plan, Plan):
        return None
    groups: dict[str, list[str]] = {}
    for task in sorted(plan.tasks, key=lambda t: t.parallel_group):
        groups.setdefault(str(task.parallel_group), []).append(task.id)
    return {
        "version": version,
        "title": plan.title,
        "tasks": len(plan.tasks),
        "parallel_groups": groups,
        "criteria": sum(len(t.acceptance_criteria) for t in plan.tasks),
    }


def _revisions(run: RunState, read: Reader, settings: RunSettings) -> list[dict[str, Any]]:
    versions = run.artifacts.get("plan.json", [])
    out = []
    for old_version, new_version in pairwise(versions):
        old, new = read(old_version), read(new_version)
        if not isinstance(old, Plan) or not isinstance(new, Plan):
            continue
        added, removed, modified = plan_change(old, new)
        changed = len(added) + len(removed) + len(modified)
        out.append(
            {
                "from": old_version.version,
                "to": new_version.version,
                "added": added,
                "removed": removed,
                "modified": modified,
                "share": ratio_text(changed, len(old.tasks)),
                "over_threshold": changed > settings.plan_change_threshold * len(old.tasks),
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


def _review(run: RunState, read: Reader) -> dict[str, Any] | None:
    version = run.latest("review.json")
    review = read(version) if version else None
    if version is None or not isinstance(review, Review):
        return None
    counts: Counter[str] = Counter(i.severity for i in review.issues)
    return {
        "version": version.version,
        "verdict": review.verdict,
        "issues": {s: counts[s] for s in SEVERITIES if counts[s]},
    }


def _tests(run: RunState, read: Reader, plan: Plan | None) -> dict[str, Any] | None:
    version = run.latest("test-results.json")
    results = read(version) if version else None
    if version is None or not isinstance(results, TestResults):
        return None
    coverage = {}
    if plan is not None:
        for section, wanted in plan_items(plan).items():
            matrix = getattr(results.coverage, section)
            covered = sum(1 for item in wanted if matrix.get(item))
            coverage[section] = {"covered": covered, "total": len(wanted)}
    return {
        "version": version.version,
        "verdict": results.verdict,
        "passed": results.passed,
        "failed": results.failed,
        "total": results.total,
        "coverage": coverage,
    }


def _optional(
    run: RunState, read: Reader, name: str, model: type[Any], what: str
) -> dict[str, Any] | None:
    ship = run.gates["ship"]
    skipped = ship.data.get("skipped")
    skipped = skipped if isinstance(skipped, dict) else {}
    if what in skipped:
        return {"skipped": skipped[what]}
    version = run.latest(name)
    value = read(version) if version else None
    if version is None or not isinstance(value, model):
        return None
    out: dict[str, Any] = {"version": version.version, "verdict": value.verdict}
    if isinstance(value, SecurityReview):
        counts: Counter[str] = Counter(f.severity for f in value.findings)
        out["framework"] = value.framework
        out["findings"] = {s: counts[s] for s in SEVERITIES if counts[s]}
    return out


# -- across runs -------------------------------------------------------------


def stats(runs: Iterable[RunState]) -> dict[str, Any]:
    """Telemetry across runs, from the ledger alone: what a learning agent reads."""
    chosen = list(runs)
    statuses = Counter(r.status for r in chosen)
    gates: dict[str, Counter[str]] = {}
    attempts: dict[tuple[str, str], list[int]] = {}
    causes: Counter[str] = Counter()
    durations = []
    events = 0
    for run in chosen:
        events += run.events
        for gate, state in run.gates.items():
            gates.setdefault(gate, Counter())[state.status] += 1
        for attempt in run.attempts:
            row = attempts.setdefault((attempt.agent, attempt.task), [0, 0, 0])
            row[0] += 1
            row[1] += attempt.result == "fail"
        for task_agent in {(a.agent, a.task) for a in run.attempts}:
            attempts[task_agent][2] += 1
        causes.update(e.cause for e in run.escalations)
        if run.status == "shipped" and run.ended_at:
            durations.append(_seconds(run.started_at, run.ended_at))
    stopped = sum(1 for r in chosen if r.open_escalations and not r.finished)
    return {
        "events": events,
        "runs": {"total": len(chosen), "stopped": stopped, **dict(sorted(statuses.items()))},
        "gates": {g: dict(sorted(c.items())) for g, c in gates.items()},
        "retries": [
            {"agent": agent, "task": task, "runs": row[2], "attempts": row[0],
             "failures": row[1], "retries": row[0] - row[2]}
            for (agent, task), row in sorted(attempts.items())
        ],
        "escalations": dict(sorted(causes.items())),
        "time_to_ship_seconds": {
            "runs": len(durations),
            "median": int(statistics.median(durations)) if durations else None,
            "max": max(durations) if durations else None,
        },
    }  # fmt: skip


def _seconds(start: str, end: str) -> int:
    try:
        return int((clock.parse(end) - clock.parse(start)).total_seconds())
    except UsageError:
        return 0


# -- from the factory ---------------------------------------------------------


def show_run(cwd: Path, run_id: str) -> dict[str, Any]:
    factory = store.find_factory(cwd)
    run = runlog.runs(factory).get(run_id)
    if run is None:
        raise UsageError(f"no run {run_id} in the ledger (`fos run list` shows the runs)")
    return summary(run, stored_reader(factory), settings(factory))


def list_runs(cwd: Path, *, only_open: bool = False) -> list[dict[str, Any]]:
    return run_list(runlog.runs(store.find_factory(cwd)).values(), only_open=only_open)


def run_stats(cwd: Path) -> dict[str, Any]:
    return stats(runlog.runs(store.find_factory(cwd)).values())
