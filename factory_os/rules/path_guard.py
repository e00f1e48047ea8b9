"""`path-guard`: members holding a role in `scope.roles` never touch `scope.paths`."""

from __future__ import annotations

from collections.abc import Iterator

from factory_os.rules.change import Change
from factory_os.rules.compiled import CompiledRule
from factory_os.rules.context import CheckContext, who
from factory_os.rules.finding import Finding

VERBS = {"A": "add", "M": "modify", "D": "delete", "T": "modify"}


def check(rule: CompiledRule, change: Change, ctx: CheckContext) -> Iterator[Finding]:
    if not rule.binds(change.member):
        return
    member = change.member_name
    for file in ctx.scoped(rule, change):
        verb = VERBS.get(file.status, "change")
        yield Finding(
            rule.id,
            rule.severity,
            f"{who(change)} may not {verb} {file.path}: {rule.statement}",
            file.path,
            None,
            change.commit,
            member,
        )
