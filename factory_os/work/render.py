"""Work items as text and JSON: the checklist of one item, the table of all of them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from factory_os.work.gates import Check, Gate
from factory_os.work.status import ItemStatus


def checklist_json(gate: Gate) -> dict[str, Any]:
    return {
        "stage": gate.stage,
        "next": gate.to,
        "holds": gate.holds,
        "returns_to": gate.returns_to if gate.sends_back else None,
        "checks": [_check_json(check) for check in gate.checks],
    }


def _check_json(check: Check) -> dict[str, Any]:
    return {
        "rule": check.rule,
        "ok": check.ok,
        "text": check.text,
        "who": list(check.who),
        "hard": check.hard,
    }


def status_json(status: ItemStatus) -> dict[str, Any]:
    item = status.item
    return {
        "id": item.id,
        "title": status.title,
        "stage": item.stage,
        "risk": item.risk,
        "roles": dict(sorted(item.roles.items())),
        "retired": item.retired is not None,
        "flags": status.flags,
        "gate": checklist_json(status.gate),
    }


def checklist_text(gate: Gate) -> list[str]:
    target = gate.to or "(last stage)"
    lines = [f"gate {gate.stage} -> {target}: {'holds' if gate.holds else 'not yet'}"]
    for check in gate.checks:
        mark = "x" if check.ok else " "
        who = f"  [{', '.join(check.who)}]" if check.who and not check.ok else ""
        hard = " (hard)" if check.hard and not check.ok else ""
        lines.append(f"  [{mark}] {check.text}{hard}{who}  {check.rule}")
    if gate.sends_back:
        lines.append(f"  a veto or a failed hard threshold sends it back to {gate.returns_to}")
    return lines


def status_text(status: ItemStatus) -> str:
    item = status.item
    roles = ", ".join(f"{k.replace('_', '-')} {v}" for k, v in sorted(item.roles.items()))
    lines = [
        f"{item.id}: {status.title}",
        f"  stage: {item.stage}   risk: {item.risk}",
        f"  roles: {roles}",
    ]
    lines += [f"  ! {flag}" for flag in status.flags]
    if item.retired is None:
        lines += checklist_text(status.gate)
    return "\n".join(lines) + "\n"


def table_text(statuses: Sequence[ItemStatus]) -> str:
    if not statuses:
        return "no work items (create one with `fos spec new`)\n"
    rows = [("ID", "STAGE", "GATE", "TITLE", "NOTES")]
    for status in statuses:
        gate = status.gate
        done = sum(check.ok for check in gate.checks)
        summary = f"{done}/{len(gate.checks)}" + (" ready" if gate.holds else "")
        if gate.to is None:
            summary = "live"
        if status.item.retired:
            summary = "retired"
        rows.append(
            (status.item.id, status.item.stage, summary, status.title, "; ".join(status.flags))
        )
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    return "".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row[:4], widths, strict=True)).rstrip()
        + (f"  {row[4]}" if row[4] else "")
        + "\n"
        for row in rows
    )
