"""The operating model's and the runs' checks of a change, as extras of `fos check`.

A ledger line can be written by hand, so the checks the CLI makes must also be
made when the line arrives in a commit: `fos check --staged` and `--range`, the
pre-commit, pre-push and pre-receive hooks judge every lifecycle event
(`work.gatecheck`) and run event (`work.runcheck`) a change adds, on top of the
ledger of its base (`work.rangecheck`).

This module is on the hook path, so it imports nothing heavy: it reads the
lines a change adds only for their kind, and loads the replay and the models
only when the change adds a lifecycle or run event, or touches the files they
record (`.factory/specs/`, `.factory/runs/`).
"""

from __future__ import annotations

from factory_os.paths import FACTORY_DIR, SPECS_DIR
from factory_os.rules.finding import Finding
from factory_os.rules.seam import Checked

# the kinds of `work.items.KINDS` and `work.runstate.RUN_KINDS`, without importing them
LIFECYCLE_KINDS = frozenset(
    {"spec.created", "evidence.recorded", "signoff", "signoff.vetoed", "stage.advanced",
     "stage.returned", "owner.transferred", "maintenance.logged", "spec.retired"}
)  # fmt: skip
RUN_KINDS = frozenset(
    {"run.started", "run.gates_changed", "artifact.recorded", "attempt.recorded", "gate.passed",
     "gate.skipped", "gate.waiting", "gate.approved", "gate.rejected", "run.shipped",
     "run.abandoned"}
)  # fmt: skip
RUNS_DIR = f"{FACTORY_DIR}/runs"
_KIND = ',"kind":"'


def kind_of(text: str) -> str:
    """The kind of the ledger line TEXT, from its frame (canonical JSON ends every entry
    with the same keys, so the last `"kind"` is the entry's); "" when it has none."""
    _head, found, rest = text.rpartition(_KIND)
    return rest.partition('"')[0] if found else ""


def concerns(checked: Checked) -> tuple[bool, bool]:
    """Whether CHECKED concerns the lifecycle, and whether it concerns runs."""
    kinds = {kind_of(line.text) for line in checked.ledger_lines()}
    paths = checked.changed_paths()
    lifecycle = bool(kinds & LIFECYCLE_KINDS) or any(p.startswith(SPECS_DIR + "/") for p in paths)
    runs = bool(kinds & RUN_KINDS) or any(p.startswith(RUNS_DIR + "/") for p in paths)
    return lifecycle, runs


def work_checks(checked: Checked) -> list[Finding]:
    """The lifecycle's and the runs' findings of CHECKED (none when it concerns neither):
    commits, or the staged change at pre-commit (commit-msg would judge it again)."""
    if not checked.diffed or checked.stage == "commit-msg":
        return []
    lifecycle, runs = concerns(checked)
    if not lifecycle and not runs:
        return []
    from factory_os.work import rangecheck

    return rangecheck.check(checked, lifecycle=lifecycle, runs=runs)
