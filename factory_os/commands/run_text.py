"""The text forms of `fos run show`, `list` and `stats` (their JSON is the data itself)."""

from __future__ import annotations

import csv
import io
from typing import Any


def escalation(e: Any) -> str:
    return f"{e.id} ({e.cause}, {e.severity}): {e.message}"


def _state(row: dict[str, Any]) -> str:
    return "stopped" if row["stopped"] else row["status"]


def listing(rows: list[dict[str, Any]]) -> str:
    lines = []
    for row in rows:
        gates = " ".join(f"{g}:{v['mode']}/{v['status']}" for g, v in row["gates"].items())
        lines.append(
            f"{row['id']}  {_state(row):<9} {row['started_at'][:10]}  {gates}  {row['title']}"
        )
    return "\n".join(lines) if lines else "no runs"


def summary(s: dict[str, Any]) -> str:
    out = [f"{s['id']}: {s['title']}", f"  status: {_state(s)}"]
    if s.get("spec"):
        out.append(f"  spec: {s['spec']}")
    out.append(f"  started: {s['started_at']} by {s['started_by']}")
    if s.get("ended_at"):
        out.append(f"  ended: {s['ended_at']}")
    out.append("gates:")
    for gate, g in s["gates"].items():
        line = f"  {gate:<5} {g['mode']:<7} {g['status']}"
        if g.get("by"):
            line += f" by {g['by']} at {g['at']}"
        if g.get("feedback"):
            line += f": {g['feedback']}"
        for what, reason in (g.get("skipped") or {}).items():
            line += f" ({what} skipped: {reason})"
        out.append(line)
    for change in s["gate_changes"]:
        out.append(f"  changed by {change['actor']} at {change['at']}: {change['reason']}")
    plan = s["plan"]
    if plan:
        groups = "; ".join(f"{g}: {', '.join(ids)}" for g, ids in plan["parallel_groups"].items())
        out.append(
            f"plan: version {plan['version']}, {plan['tasks']} tasks, {plan['criteria']}"
            f" acceptance criteria; parallel groups {groups}"
        )
    else:
        out.append("plan: none recorded")
    for rev in s["devils_advocate"]:
        flag = "  OVER THRESHOLD" if rev["over_threshold"] else ""
        out.append(
            f"devil's advocate: v{rev['from']} -> v{rev['to']}: added {rev['added']}, removed"
            f" {rev['removed']}, modified {rev['modified']} ({rev['share']} of the tasks){flag}"
        )
    impl = s["implementation"]
    out.append(f"implementation: {impl['attempts']} attempts, {impl['retries']} retries")
    for task, row in impl["tasks"].items():
        out.append(
            f"  {task}: {row['attempts']} attempts, {row['failures']} failed, last"
            f" {row['result']} ({', '.join(row['agents'])})"
        )
    out.append(_verdict("review", s["review"], "issues"))
    tests = s["tests"]
    if tests:
        cover = ", ".join(
            f"{k.replace('_', ' ')} {v['covered']}/{v['total']}"
            for k, v in tests["coverage"].items()
        )
        out.append(
            f"tests: {tests['verdict']} (v{tests['version']}): {tests['passed']} passed,"
            f" {tests['failed']} failed of {tests['total']}"
            + (f"; coverage: {cover}" if cover else "")
        )
    else:
        out.append("tests: none recorded")
    out.append(_verdict("security", s["security"], "findings"))
    out.append(_verdict("docs", s["docs"], ""))
    if s["escalations"]:
        out.append("escalations:")
        for e in s["escalations"]:
            state = "resolved" if e["resolved"] else "OPEN"
            out.append(f"  {e['id']} {state} {e['cause']} ({e['severity']}): {e['message']}")
    return "\n".join(out)


def _verdict(what: str, value: dict[str, Any] | None, counted: str) -> str:
    if value is None:
        return f"{what}: none recorded"
    if "skipped" in value:
        return f"{what}: skipped ({value['skipped']})"
    counts = value.get(counted) or {}
    detail = ", ".join(f"{n} {sev}" for sev, n in counts.items())
    return f"{what}: {value['verdict']} (v{value['version']})" + (f": {detail}" if detail else "")


def stats(f: dict[str, Any]) -> str:
    r = f["runs"]
    out = [
        f"runs: {r['total']} ({', '.join(f'{k} {v}' for k, v in r.items() if k != 'total')});"
        f" {f['events']} events"
    ]
    for gate, outcomes in f["gates"].items():
        out.append(f"  {gate} gate: {', '.join(f'{k} {v}' for k, v in outcomes.items())}")
    ship = f["time_to_ship_seconds"]
    if ship["runs"]:
        out.append(
            f"time to ship: median {ship['median']} s, max {ship['max']} s over {ship['runs']} runs"
        )
    if f["escalations"]:
        out.append("escalations: " + ", ".join(f"{k} {v}" for k, v in f["escalations"].items()))
    retried = [row for row in f["retries"] if row["retries"]]
    if retried:
        out.append("retries (agent, task: attempts, failures):")
        out += [f"  {x['agent']}, {x['task']}: {x['attempts']}, {x['failures']}" for x in retried]
    return "\n".join(out)


def stats_csv(f: dict[str, Any]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["metric", "key", "value"])
    for key, value in f["runs"].items():
        writer.writerow(["runs", key, value])
    writer.writerow(["events", "", f["events"]])
    for gate, outcomes in f["gates"].items():
        for outcome, count in outcomes.items():
            writer.writerow(["gate", f"{gate}.{outcome}", count])
    for cause, count in f["escalations"].items():
        writer.writerow(["escalation", cause, count])
    for row in f["retries"]:
        for field in ("attempts", "failures", "retries"):
            writer.writerow([field, f"{row['agent']}/{row['task']}", row[field]])
    for key, value in f["time_to_ship_seconds"].items():
        writer.writerow(["time_to_ship_seconds", key, "" if value is None else value])
    return buffer.getvalue()


def agent_context(c: dict[str, Any]) -> str:
    """The run's part of `fos context --run`, as Markdown."""
    out = [f"## Run {c['run']}: {c['title']}", ""]
    gates = ", ".join(f"{g} {v['mode']}/{v['status']}" for g, v in c["gates"].items())
    out.append(f"Status: {c['status']}; next gate: {c['next_gate'] or 'none'}; gates: {gates}.")
    for e in c["escalations"]:
        out.append(
            f"- STOPPED by {e['id']} ({e['cause']}, {e['severity']}): {e['message']};"
            " wait for a person to resolve it."
        )
    if c["plan"]:
        out += ["", "### Plan", ""]
        for t in c["plan"]:
            after = f" (after {', '.join(t['depends_on'])})" if t["depends_on"] else ""
            out.append(
                f"- {t['id']} [group {t['parallel_group']}, {t['change']}] {t['title']}{after}"
            )
    for t in c["tasks"]:
        out += [
            "",
            f"### Your task: {t['id']} {t['title']}",
            "",
            f"User impact: {t['user_impact']}",
        ]
        out.append(f"Rollback: {t['rollback_strategy']}")
        out += [f"- {a['id']}: {a['statement']} (verified by {a['verification']})"
                for a in t["acceptance_criteria"]]  # fmt: skip
        out += [f"- edge case {e['id']}: {e['description']}" for e in t["edge_cases"]]
        for b in t["briefings"]:
            out.append(f"Briefing for {b['agent']}: {b['objective']}")
            out += [f"- {line}" for line in b["context"] + b["constraints"]]
            if b["files"]:
                out.append(f"Files: {', '.join(b['files'])}")
    return "\n".join(out) + "\n"
