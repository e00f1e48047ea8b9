"""Proactive escalation: when a run must stop and ask a person, whatever its gates say.

The causes are computed from the recorded artifacts and attempts, never declared
(DESIGN section 10): a critical review issue, failed tests, a critical or high
security finding, a plan revision that changed more than `runs.plan_change_threshold`
of the tasks, `runs.max_failures` failures of one agent at one task. Each cause
has a key (the artifact version, the pair of plan versions, the agent and task),
so it is escalated once, not at every command.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from itertools import pairwise
from typing import Any, NamedTuple

from pydantic import BaseModel

from factory_os.model.artifacts import Plan, Review, SecurityReview, TestResults
from factory_os.model.factory import RunSettings
from factory_os.work.runstate import RunState, Version
from factory_os.work.runtally import ratio_text, task_changes

SEVERITY_ORDER = ("critical", "high", "medium", "low")

Reader = Callable[[Version], BaseModel | None]


class Trigger(NamedTuple):
    cause: str
    severity: str
    key: str
    message: str
    evidence: dict[str, Any]


def triggers(run: RunState, read: Reader, settings: RunSettings) -> list[Trigger]:
    """Every escalation cause RUN's artifacts and attempts show now."""
    found: list[Trigger] = []
    review = _latest(run, "review.json", read, Review)
    if review is not None:
        version, value = review
        critical = [i for i in value.issues if i.severity == "critical"]
        if critical:
            where = ", ".join(f"{i.file}:{i.line}" if i.line else i.file for i in critical)
            found.append(
                Trigger(
                    "review.critical",
                    "critical",
                    version.entry,
                    f"the review has {len(critical)} critical issue(s) ({where})",
                    _evidence(version, issues=[i.message for i in critical][:5]),
                )
            )
    tests = _latest(run, "test-results.json", read, TestResults)
    if tests is not None:
        version, results = tests
        if results.failed or results.verdict == "fail":
            names = [f.test for f in results.failures][:5]
            found.append(
                Trigger(
                    "tests.failed",
                    "high",
                    version.entry,
                    f"{results.failed} of {results.total} tests failed"
                    + (f" ({', '.join(names)})" if names else ""),
                    _evidence(version, failed=results.failed, total=results.total, tests=names),
                )
            )
    security = _latest(run, "security-review.json", read, SecurityReview)
    if security is not None:
        version, sec = security
        serious = [f for f in sec.findings if f.severity in ("critical", "high")]
        if serious:
            worst = min((f.severity for f in serious), key=SEVERITY_ORDER.index)
            found.append(
                Trigger(
                    "security.critical_or_high",
                    worst,
                    version.entry,
                    f"the security review has {len(serious)} critical or high finding(s): "
                    + "; ".join(f"{f.category} {f.title}" for f in serious[:3]),
                    _evidence(version, findings=[f.title for f in serious][:5]),
                )
            )
    found.extend(_plan_changes(run, read, settings.plan_change_threshold))
    found.extend(_failures(run, settings.max_failures))
    return found


def _latest(run: RunState, name: str, read: Reader, model: type[Any]) -> tuple[Version, Any] | None:
    version = run.latest(name)
    if version is None:
        return None
    value = read(version)
    return (version, value) if isinstance(value, model) else None


def _evidence(version: Version, **more: Any) -> dict[str, Any]:
    return {"artifact": version.path, "entry": version.entry, **more}


def _plan_changes(run: RunState, read: Reader, threshold: float) -> list[Trigger]:
    versions = run.artifacts.get("plan.json", [])
    found = []
    for old_version, new_version in pairwise(versions):
        old, new = read(old_version), read(new_version)
        if not isinstance(old, Plan) or not isinstance(new, Plan):
            continue
        added, removed, modified = task_changes(
            {t.id: t for t in old.tasks}, {t.id: t for t in new.tasks}
        )
        changed = len(added) + len(removed) + len(modified)
        original = len(old.tasks)
        if changed <= threshold * original:
            continue
        share = ratio_text(changed, original)
        found.append(
            Trigger(
                "plan.changed_over_threshold",
                "medium",
                f"{old_version.entry}..{new_version.entry}",
                f"plan.json version {new_version.version} changed {changed} of {original}"
                f" tasks ({float(share):.0%}; threshold {threshold:.0%}):"
                f" added {added or '[]'}, removed {removed or '[]'}, modified {modified or '[]'}",
                {
                    "from": old_version.entry,
                    "to": new_version.entry,
                    "added": added,
                    "removed": removed,
                    "modified": modified,
                    "share": share,
                },
            )
        )
    return found


def _failures(run: RunState, limit: int) -> list[Trigger]:
    failed = Counter((a.agent, a.task) for a in run.attempts if a.result == "fail")
    found = []
    for (agent, task), count in sorted(failed.items()):
        if count < limit:
            continue
        found.append(
            Trigger(
                "attempts.three_failures",
                "high",
                f"{agent}/{task}/{count // limit}",
                f"{agent} failed task {task} {count} times",
                {"agent": agent, "task": task, "failures": count},
            )
        )
    return found


def new_triggers(run: RunState, found: list[Trigger]) -> list[Trigger]:
    """FOUND less the causes RUN has already escalated (by cause and key)."""
    known = {(e.cause, e.key) for e in run.escalations}
    return [t for t in found if (t.cause, t.key) not in known]
