"""The open items a session starts with: handoff, escalations, overrides.

`fos context` shows them under "Open items", before knowledge and digests:

- the latest handoff to the member (or to the team), escalations past their
  SLA first;
- open escalations that involve the member (caused, opened, or sent to them)
  or one of the roles (a role that answers for governance), those whose breach
  the sweep has recorded first;
- overrides in force on the given paths;
- what the member still owes the work items' next gates ("sign eval for
  SP-1a2b3c as reviewer"), and their launches to sign again or maintenance
  overdue (the one part that reads the clock, `FOS_NOW`).

Like the rest of the context this is a function of the files alone, never of
the clock: "past SLA" means the sweep has recorded the breach, and an override
is in force until it is revoked or its expiry is recorded, shown with the time
it lapses.
"""

from __future__ import annotations

from collections.abc import Sequence

from factory_os.rules import pathmatch
from factory_os.store import Factory
from factory_os.work import escalations, handoff, overrides, people


def open_items(
    factory: Factory,
    *,
    member: str | None = None,
    roles: Sequence[str] = (),
    paths: Sequence[str] = (),
) -> tuple[str, ...]:
    items: list[str] = []
    latest = handoff.latest_for(factory, member)
    if latest is not None:
        items.append("\n".join(latest.lines()))
    with people.catalog_for(factory) as catalog:
        governance = catalog.governance()
        answering = set(governance.accountable + governance.responsible)
        mine = [
            e
            for e in escalations.escalations(factory, resolved=False).values()
            if e.open
            and (
                (member is None and not roles)
                or bool(answering & set(roles))
                or (
                    member is not None
                    and any(
                        people.same_member(catalog, member, who)
                        for who in (e.caused_by, e.opened_by, *e.to, *e.breached_to)
                    )
                )
            )
        ]
    mine.sort(key=lambda e: (e.breached_at is None, -escalations.severity_rank(e.severity), e.id))
    for e in mine:
        late = f"PAST SLA since {e.breached_at}, " if e.breached_at else ""
        goes = e.breached_to or e.to
        to = f", goes to {', '.join(goes)}" if goes else ""
        items.append(
            f"Escalation {e.id} ({late}{e.severity}{to}): {e.subject}: {e.cause}"
            f" (opened by {e.opened_by} at {e.opened_at})"
        )
    if paths:
        states = overrides.overrides(factory, ended=False).values()
        for state in sorted(states, key=lambda s: (s.override.expires_at, s.id)):
            o = state.override
            if state.revoked_at or state.expired_recorded or o.scope != "paths" or o.invalid:
                continue
            if pathmatch.overlaps(o.targets, paths):
                items.append(
                    f"Override {o.id} of {o.rule} on {', '.join(o.targets)}, until"
                    f" {o.expires_at}, granted by {o.granted_by}: {o.justification}"
                )
    if member is not None:
        from factory_os.work import status  # the work items' modules: only for a member

        items += status.open_items(factory, member)
    return tuple(items)
