"""`approval-required`: a change to `scope.paths` needs an approval (`rules.approvals`).

The approver holds one of `approver_roles` in the team in force at the base, and
is not the author; a trailer naming them counts only where trailers are trusted.
The founding change (the one that creates the factory) has no one to approve it
yet, so its own `.factory/` files need no approval.
"""

from __future__ import annotations

from collections.abc import Iterator

from factory_os.paths import FACTORY_DIR
from factory_os.rules.approvals import TRAILER, Item, Known, trailers_trusted, unapproved
from factory_os.rules.change import Change
from factory_os.rules.compiled import CompiledRule
from factory_os.rules.context import CheckContext, who
from factory_os.rules.finding import Finding


def check(rule: CompiledRule, change: Change, ctx: CheckContext) -> Iterator[Finding]:
    if change.message is None or not rule.binds(change.member):
        return
    files = ctx.scoped(rule, change)
    if change.founding:
        files = [f for f in files if not f.path.startswith(f"{FACTORY_DIR}/")]
    if not files:
        return
    key = str(rule.params.get("trailer", TRAILER))
    if change.commit is None and not trailers_trusted(ctx.ruleset):
        return  # the approval comes after the commit: the range check judges it
    roles = tuple(rule.params.get("approver_roles", ()))
    items = [Item(f.path, f.path, f.new_blob) for f in files]
    known = ctx.approvals or Known()
    left, reasons = unapproved(change, items, roles, known, ctx.ruleset, key)
    if not left:
        return
    touched = [item.what for item in left]
    why = f" ({'; '.join(reasons)})" if reasons else ""
    yield Finding(
        rule.id,
        rule.severity,
        f"{who(change)} changes {', '.join(touched)} without the approval of a member with"
        f" role {' or '.join(roles)} other than the author (`fos approve`){why}:"
        f" {rule.statement}",
        touched[0],
        None,
        change.commit,
        change.member_name,
    )
