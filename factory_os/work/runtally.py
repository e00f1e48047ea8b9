"""What `fos run list` and `fos run stats` need of each run, as small JSON: a run's
row and its tally. The run index keeps both per run, so listing and telemetry
over a thousand runs never load the runs themselves.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from factory_os import clock, store
from factory_os.errors import UsageError
from factory_os.model.vocabulary import GATES
from factory_os.work.runstate import RunState


def row(run: RunState) -> dict[str, Any]:
    """What `fos run list` shows of a run."""
    return {
        "id": run.id,
        "title": run.title,
        "status": run.status,
        "stopped": bool(run.open_escalations),
        "started_at": run.started_at,
        "started_by": run.started_by,
        "ended_at": run.ended_at,
        "gates": {g: {"mode": run.gates[g].mode, "status": run.gates[g].status} for g in GATES},
        "next_gate": run.next_gate(),
    }


def listing(rows: Iterable[dict[str, Any]], *, only_open: bool = False) -> list[dict[str, Any]]:
    chosen = [r for r in rows if not (only_open and r["status"] != "open")]
    # the index keeps its JSON with sorted keys: give the gates their order back
    ordered = [{**r, "gates": {g: r["gates"][g] for g in GATES}} for r in chosen]
    return sorted(ordered, key=lambda r: (r["started_at"], r["id"]))


def tally(run: RunState) -> dict[str, Any]:
    """What RUN adds to the telemetry across runs."""
    attempts: dict[tuple[str, str], list[int]] = {}
    for attempt in run.attempts:
        counts = attempts.setdefault((attempt.agent, attempt.task), [0, 0])
        counts[0] += 1
        counts[1] += attempt.result == "fail"
    shipped = run.status == "shipped" and run.ended_at
    return {
        "status": run.status,
        "stopped": bool(run.open_escalations) and not run.finished,
        "events": run.events,
        "gates": {g: s.status for g, s in run.gates.items()},
        "attempts": [[a, t, n, f] for (a, t), (n, f) in sorted(attempts.items())],
        "causes": [e.cause for e in run.escalations],
        "ship_seconds": _seconds(run.started_at, run.ended_at) if shipped else None,
    }


def stats(tallies: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """Telemetry across runs, from the ledger alone: what a learning agent reads."""
    statuses: Counter[str] = Counter()
    gates: dict[str, Counter[str]] = {}
    attempts: dict[tuple[str, str], list[int]] = {}
    causes: Counter[str] = Counter()
    durations = []
    events = total = stopped = 0
    for t in tallies:
        total += 1
        events += t["events"]
        statuses[t["status"]] += 1
        stopped += t["stopped"]
        for gate in GATES:
            status = t["gates"][gate]
            gates.setdefault(gate, Counter())[status] += 1
        for agent, task, count, failures in t["attempts"]:
            sums = attempts.setdefault((agent, task), [0, 0, 0])
            sums[0] += count
            sums[1] += failures
            sums[2] += 1
        causes.update(t["causes"])
        if t["ship_seconds"] is not None:
            durations.append(t["ship_seconds"])
    return {
        "events": events,
        "runs": {"total": total, "stopped": stopped, **dict(sorted(statuses.items()))},
        "gates": {g: dict(sorted(gates[g].items())) for g in GATES if g in gates},
        "retries": [
            {"agent": agent, "task": task, "runs": runs, "attempts": count,
             "failures": failures, "retries": count - runs}
            for (agent, task), (count, failures, runs) in sorted(attempts.items())
        ],
        "escalations": dict(sorted(causes.items())),
        "time_to_ship_seconds": {
            "runs": len(durations),
            "median": int(statistics.median(durations)) if durations else None,
            "max": max(durations) if durations else None,
        },
    }  # fmt: skip


def task_changes(
    before: Mapping[str, Any], after: Mapping[str, Any]
) -> tuple[list[str], list[str], list[str]]:
    """The task ids AFTER adds, removes and modifies against BEFORE (id -> task)."""
    added = [t for t in after if t not in before]
    removed = [t for t in before if t not in after]
    modified = [t for t in after if t in before and after[t] != before[t]]
    return added, removed, modified


def ratio_text(numerator: int, denominator: int) -> str:
    """A share as the ledger writes decimals: a string (`0.25`), never a float."""
    return f"{numerator / denominator:.4f}".rstrip("0").rstrip(".") if denominator else "0"


def _seconds(start: str, end: str | None) -> int:
    try:
        return int((clock.parse(end or start) - clock.parse(start)).total_seconds())
    except UsageError:
        return 0


def list_runs(cwd: Path, *, only_open: bool = False) -> list[dict[str, Any]]:
    from factory_os.work import runindex

    rows = runindex.summaries(store.find_factory(cwd)).values()
    return listing((r["row"] for r in rows), only_open=only_open)


def run_stats(cwd: Path) -> dict[str, Any]:
    from factory_os.work import runindex

    return stats(r["tally"] for r in runindex.summaries(store.find_factory(cwd)).values())
