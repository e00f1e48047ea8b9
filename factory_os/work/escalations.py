"""Escalations: what the rules could not decide, taken to a person, on the record.

An escalation lives only in the ledger (DESIGN section 11): `escalation.opened`
(its subject is what the escalation concerns, a run, a work item, a commit;
`data` holds the `ESC-<hex>` id, the cause, the severity and the evidence; its
actor is who opened it), then `escalation.acked`, `escalation.breached` and
`escalation.resolved`, whose subject is the `ESC-` id.

`open_escalation` is the one way to open one: `fos escalate open`, factory runs
(a computed cause such as `tests.failed`, DESIGN section 10), lifecycle vetoes
and `fos verify` failures all call it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from factory_os.errors import UsageError
from factory_os.ids import new_id
from factory_os.ledger import events
from factory_os.model.common import SEVERITY_LEVELS
from factory_os.store import Factory

OPENED = "escalation.opened"
PREFIX = "ESC"


def open_escalation(
    factory: Factory,
    *,
    actor: str,
    subject: str,
    cause: str,
    severity: str,
    evidence: Mapping[str, Any] | None = None,
) -> str:
    """Record an `escalation.opened` entry by ACTOR about SUBJECT; return its `ESC-` id.

    CAUSE says why in a word or a dotted name (`tests.failed`, `integrity`, or the
    reason a person gave); SEVERITY is one of `low`, `medium`, `high`, `critical`;
    EVIDENCE is JSON without floats (ledger entry ids, artifact paths, counts)."""
    if severity not in SEVERITY_LEVELS:
        raise UsageError(f"severity must be one of {', '.join(SEVERITY_LEVELS)}, not {severity!r}")
    if not subject.strip():
        raise UsageError("an escalation needs a subject: the run, work item or commit it concerns")
    if not cause.strip():
        raise UsageError("an escalation needs a cause")
    taken = _opened_ids(factory)
    escalation_id = new_id(PREFIX, taken.__contains__)
    events.append(
        factory,
        kind=OPENED,
        actor=actor,
        subject=subject.strip(),
        data={
            "id": escalation_id,
            "cause": cause.strip(),
            "severity": severity,
            "evidence": dict(evidence or {}),
        },
    )
    return escalation_id


def _opened_ids(factory: Factory) -> set[str]:
    return {str(entry.data.get("id")) for entry in events.entries(factory) if entry.kind == OPENED}
