"""How a command names a run and its gates: light enough for every `fos run` face."""

from __future__ import annotations

import os
import re

from factory_os.errors import UsageError
from factory_os.model.vocabulary import GATE_MODES, GATES, RUN_ID

ENV = "FOS_RUN"

RESULTS = ("pass", "fail")


def current_run(explicit: str | None) -> str:
    """The run a command concerns: the one named, else `FOS_RUN`."""
    run_id = explicit or os.environ.get(ENV, "").strip()
    if not run_id:
        raise UsageError(f"which run? name it (run_<8 hex>), pass --run, or set {ENV}")
    if not re.match(RUN_ID, run_id):
        raise UsageError(f"{run_id!r} is not a run id (run_<8 hex>)")
    return run_id


def parse_gates(text: str, *, partial: bool = False) -> dict[str, str]:
    """`spec=auto,plan=review,ship=review` as a mapping; every gate unless PARTIAL."""
    gates: dict[str, str] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        gate, sep, mode = part.partition("=")
        gate, mode = gate.strip(), mode.strip()
        if not sep or gate not in GATES or mode not in GATE_MODES:
            raise UsageError(
                f"--gates: {part!r} is not GATE=MODE (gates {', '.join(GATES)};"
                f" modes {', '.join(GATE_MODES)})"
            )
        gates[gate] = mode
    missing = [g for g in GATES if g not in gates]
    if not gates or (missing and not partial):
        raise UsageError(f"--gates must set {', '.join(missing or GATES)} too")
    return gates


GATES_QUESTION = (
    "a run has no default gates: say for each of spec, plan and ship whether it passes"
    " on its own (auto), waits for a person (review) or is skipped (skip), e.g."
    " --gates spec=auto,plan=review,ship=review"
)
