"""`approval-required`: a change to `scope.paths` needs a trailer naming an approver.

The approver holds one of `approver_roles` in the team in force at the base, and
is not the author. The founding change (the one that creates the factory) has no
one to approve it yet, so its own `.factory/` files need no approval.
"""

from __future__ import annotations

from collections.abc import Iterator

from factory_os.paths import FACTORY_DIR
from factory_os.rules.change import Change
from factory_os.rules.compiled import CompiledRule
from factory_os.rules.context import CheckContext, who
from factory_os.rules.finding import Finding


def check(rule: CompiledRule, change: Change, ctx: CheckContext) -> Iterator[Finding]:
    if change.message is None or not rule.binds(change.member):
        return
    touched = [f.path for f in ctx.scoped(rule, change)]
    if change.founding:
        touched = [p for p in touched if not p.startswith(f"{FACTORY_DIR}/")]
    if not touched:
        return
    key = str(rule.params.get("trailer", "Approved-by"))
    roles = tuple(rule.params.get("approver_roles", ()))
    reasons = []
    for value in change.trailer_values(key):
        approver = ctx.ruleset.named(value)
        if approver is None:
            reasons.append(f"{value} is no member")
        elif approver == change.member or change.author_email.lower() in approver.emails:
            reasons.append(f"{approver.id} is the author and cannot approve their own change")
        elif approver.added:
            reasons.append(f"{approver.id} joins the team in this change and cannot approve it")
        elif not set(approver.roles) & set(roles):
            reasons.append(f"{approver.id} holds none of the roles {', '.join(roles)}")
        else:
            return
    member = change.member_name
    why = f" ({'; '.join(reasons)})" if reasons else ""
    yield Finding(
        rule.id,
        rule.severity,
        f"{who(change)} changes {', '.join(touched)} without an {key}: trailer naming a"
        f" member with role {' or '.join(roles)} other than the author{why}: {rule.statement}",
        touched[0],
        None,
        change.commit,
        member,
    )
