"""The words the layers share, each defined once.

Plain tuples, so the hook path can import them (no pydantic, no `typing` at run
time); the pydantic models build their `Literal` types from them. Where a
model needs the type for mypy, it is spelled beside its tuple, and
`tests/model/test_vocabulary.py` keeps the two equal.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Literal

    RuleSeverity = Literal["block", "warn", "info"]
    IncidentSeverity = Literal["low", "medium", "high", "critical"]
    EscalationSeverity = IncidentSeverity
    RuleStatus = Literal["active", "superseded", "retired"]
    RuleStage = Literal["pre-commit", "commit-msg", "pre-push", "ci"]

# how hard a rule binds, and so how hard its findings block (most severe first)
RULE_SEVERITIES: tuple[RuleSeverity, ...] = ("block", "warn", "info")
# how bad an incident was (least severe first)
INCIDENT_SEVERITIES: tuple[IncidentSeverity, ...] = ("low", "medium", "high", "critical")
# an escalation is graded on the incidents' scale
ESCALATION_SEVERITIES: tuple[EscalationSeverity, ...] = INCIDENT_SEVERITIES
# a rule's life: written active, then superseded or retired by a ledger event
RULE_STATUSES: tuple[RuleStatus, ...] = ("active", "superseded", "retired")
# where a rule may run (`stages` of a rule, `hooks.stages` of factory.yaml)
RULE_STAGES: tuple[RuleStage, ...] = ("pre-commit", "commit-msg", "pre-push", "ci")
# the hook stages factory.yaml turns on unless it says otherwise
DEFAULT_HOOK_STAGES: tuple[RuleStage, ...] = ("pre-commit", "commit-msg", "pre-push")
# the stages a check of commits (`--commit`, `--range`) may be run for
RANGE_STAGES = ("ci", "pre-push", "pre-receive")
# the git hooks: those `fos hooks install` writes, and the server side's
CLIENT_HOOK_TYPES = ("pre-commit", "commit-msg", "pre-push")
HOOK_TYPES = (*CLIENT_HOOK_TYPES, "pre-receive")
# what checks a rule (`check.kind`)
CHECK_KINDS = (
    "path-guard",
    "approval-required",
    "required-trailer",
    "forbidden-pattern",
    "append-only",
    "command",
    "manual",
)

# what a factory run's ledger entries record
RUN_KINDS = (
    "run.started",
    "run.gates_changed",
    "artifact.recorded",
    "attempt.recorded",
    "gate.passed",
    "gate.skipped",
    "gate.waiting",
    "gate.approved",
    "gate.rejected",
    "run.shipped",
    "run.abandoned",
)
# what a ledger entry records (`kind`), by family: what `fos ledger log --kind` accepts
LEDGER_KINDS = (
    "factory.initialized",
    "incident.recorded",
    "incident.extended",
    "rule.added",
    "rule.superseded",
    "rule.retired",
    "approval.granted",
    "session.started",
    "session.ended",
    "handoff.recorded",
    "spec.created",
    "spec.retired",
    "evidence.recorded",
    "signoff",
    "signoff.vetoed",
    "stage.advanced",
    "stage.returned",
    "owner.transferred",
    "maintenance.logged",
    *RUN_KINDS,
    "escalation.opened",
    "escalation.acked",
    "escalation.breached",
    "escalation.resolved",
    "override.granted",
    "override.revoked",
    "override.expired",
)

# a factory run (DESIGN section 10): its id form, its gates in order, and their modes
RUN_ID = r"^run_[0-9a-f]{8}$"
GATES = ("spec", "plan", "ship")
GATE_MODES = ("auto", "review", "skip")
