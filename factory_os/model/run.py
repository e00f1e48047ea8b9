"""`.factory/runs/run_<8 hex>/run.yaml`: a factory run as it was started (DESIGN section 10).

The gates written here are those the run started with; later changes are
`run.gates_changed` events, and the run's current state is a replay of the ledger.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from factory_os.model.common import RUN_ID, NonEmpty, Strict, Timestamp

GateMode = Literal["auto", "review", "skip"]
SPEC_ID = r"^SP-[0-9a-f]{6,}$"


class Gates(Strict):
    """Who decides at each gate: `auto` passes and logs, `review` stops until a person
    approves, `skip` records that the gate was skipped. There are no defaults."""

    spec: GateMode
    plan: GateMode
    ship: GateMode


class RunDocument(Strict):
    """A factory run: a feature driven through research, plan, build and quality gates."""

    id: str = Field(pattern=RUN_ID)
    title: NonEmpty
    spec: str | None = Field(None, pattern=SPEC_ID, description="The work item it serves.")
    gates: Gates
    started_by: NonEmpty
    started_at: Timestamp
