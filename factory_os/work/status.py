"""Where every work item stands, and what each member still owes it.

`fos spec status`, `fos context --member` (its open items) and `fos drift`
read the same `ItemStatus`, so they never disagree.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from factory_os import clock
from factory_os.paths import SPECS_DIR
from factory_os.store import Factory
from factory_os.work import gates, specs
from factory_os.work.gates import Gate
from factory_os.work.items import Item

if TYPE_CHECKING:
    from factory_os.memory.drift import Drift
from factory_os.work.operating import OperatingModel


@dataclass(frozen=True)
class ItemStatus:
    item: Item
    title: str
    gate: Gate
    resign: list[str]  # passed stages the current owner has not signed again
    overdue: int | None  # days past the maintenance cadence

    @property
    def flags(self) -> list[str]:
        found = []
        if self.item.retired is not None:
            found.append("retired")
        found += [f"{stage} not re-signed" for stage in self.resign]
        if self.overdue is not None:
            found.append(f"maintenance overdue by {self.overdue} days")
        return found


def status(factory: Factory, spec_id: str | None = None) -> list[ItemStatus]:
    """The status of SPEC_ID, or of every item, ordered by id."""
    model = specs.load_model(factory)
    found = specs.load_items(factory)
    if spec_id is not None:
        found = {spec_id: specs.find_item(factory, spec_id, live=False)}
    digest = specs.digest_of(factory)
    return [judge(item, model, digest) for _, item in sorted(found.items())]


def judge(item: Item, model: OperatingModel, digest: gates.Digest) -> ItemStatus:
    return ItemStatus(
        item=item,
        title=str(item.created.data.get("title", "")),
        gate=gates.evaluate(item, model, digest),
        resign=gates.resign_pending(item, model),
        overdue=overdue_days(item, model),
    )


def owed_by(statuses: Sequence[ItemStatus], member: str, model: OperatingModel) -> list[str]:
    """What MEMBER still has to do for the items' next gates, one sentence each."""
    lines = []
    for status in statuses:
        item = status.item
        if item.retired is not None:
            continue
        for stage in status.resign:
            if member in model.holders(item, model.lifecycle.owner_role):
                role = model.lifecycle.owner_role
                lines.append(f"sign {stage} again for {item.id} as {role} (launch not re-signed)")
        if status.overdue is not None and member in model.holders(item, model.lifecycle.owner_role):
            lines.append(f"log maintenance for {item.id} (overdue by {status.overdue} days)")
        for check in status.gate.failing:
            if member not in check.who:
                continue
            lines.append(_owed(item, status.gate.stage, check))
    return list(dict.fromkeys(lines))


def _owed(item: Item, stage: str, check: gates.Check) -> str:
    if check.rule == gates.SIGNOFF_RULE and check.text.startswith("sign-off as "):
        role = check.text.removeprefix("sign-off as ").split(" ", 1)[0].rstrip(":")
        return f"sign {stage} for {item.id} as {role}"
    return f"{item.id} at {stage}: {check.text}"


def open_items(factory: Factory, member: str) -> tuple[str, ...]:
    """What MEMBER still owes the work items' next gates (none without a lifecycle.yaml)."""
    if not (factory.dir / specs.LIFECYCLE_FILE).is_file():
        return ()
    model = specs.load_model(factory)
    found = specs.load_items(factory)
    if not found:
        return ()
    digest = specs.digest_of(factory)
    statuses = [judge(item, model, digest) for _, item in sorted(found.items())]
    return tuple(owed_by(statuses, member, model))


def drift(factory: Factory) -> list[Drift]:
    """Work items that have gone stale: a launch not signed again by a new owner,
    maintenance overdue by its cadence."""
    from factory_os.memory.drift import Drift

    if not (factory.dir / specs.LIFECYCLE_FILE).is_file():
        return []
    found = []
    for item_status in status(factory):
        item = item_status.item
        path = f"{SPECS_DIR}/{item.id}/{specs.SPEC_FILE}"
        for stage in item_status.resign:
            reason = f"{stage} not re-signed since the owner changed"
            found.append(Drift("work item", item.id, path, 0, reason))
        if item_status.overdue is not None:
            reason = f"maintenance overdue by {item_status.overdue} days"
            found.append(Drift("work item", item.id, path, 0, reason))
    return found


def overdue_days(item: Item, model: OperatingModel) -> int | None:
    """Days past ITEM's maintenance cadence, or None when it is not overdue."""
    cadence = model.gate(item.stage).cadence_days
    if cadence is None or item.retired is not None:
        return None
    last = item.maintained or item.entered
    late = (clock.now() - clock.parse(last.at)).days - cadence
    return late if late > 0 else None
