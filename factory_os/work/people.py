"""Who is who in work/: an actor as a member of team.yaml, and who holds which roles.

The acting identity itself comes from `factory_os.rules.actor.acting_member` (a
member id); here an actor read back from the ledger (an id, or an email in
entries written before actors were member ids) is matched to team.yaml, so that
two spellings of one member compare equal.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator

from factory_os.memory.catalog import Catalog
from factory_os.store import Factory


@contextlib.contextmanager
def catalog_for(factory: Factory, given: Catalog | None = None) -> Iterator[Catalog]:
    """GIVEN, or a catalog of FACTORY opened here and closed (its cache kept) after."""
    if given is not None:
        yield given
        return
    catalog = Catalog(factory)
    try:
        yield catalog
    finally:
        catalog.close()


def member_id(catalog: Catalog, actor: str) -> str | None:
    """The id of the member ACTOR names (by id or by email); None for a non-member."""
    members = catalog.members()
    if actor in members:
        return actor
    wanted = actor.strip().lower()
    for member, (_roles, emails) in sorted(members.items()):
        if wanted in (email.lower() for email in emails):
            return member
    return None


def same_member(catalog: Catalog, a: str, b: str) -> bool:
    """Whether the actors A and B are one member (or, outside the team, one string)."""
    return (member_id(catalog, a) or a.strip().lower()) == (
        member_id(catalog, b) or b.strip().lower()
    )


def roles_of(catalog: Catalog, actor: str) -> tuple[str, ...]:
    member = member_id(catalog, actor)
    return catalog.members()[member][0] if member is not None else ()


def holders(catalog: Catalog, roles: Iterable[str]) -> list[str]:
    """The members holding any of ROLES, sorted by id."""
    wanted = set(roles)
    return sorted(m for m, (held, _emails) in catalog.members().items() if wanted & set(held))
