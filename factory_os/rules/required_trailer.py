"""`required-trailer`: the commit message carries the trailer `key` (matching `pattern`)."""

from __future__ import annotations

from collections.abc import Iterator

from factory_os.rules.change import Change
from factory_os.rules.compiled import CompiledRule
from factory_os.rules.context import CheckContext
from factory_os.rules.finding import Finding
from factory_os.rules.forbidden_pattern import compiled, searchable


def check(rule: CompiledRule, change: Change, ctx: CheckContext) -> Iterator[Finding]:
    if change.message is None or not rule.binds(change.member):
        return
    if rule.has_paths and not ctx.scoped(rule, change):
        return
    key = str(rule.params["key"])
    pattern = rule.params.get("pattern")
    values = change.trailer_values(key)
    member = change.member_name
    if not values:
        message = f"the commit message has no {key}: trailer: {rule.statement}"
    elif pattern and not any(compiled(str(pattern)).search(searchable(v)) for v in values):
        message = (
            f"no {key}: trailer matches {pattern} (found: {', '.join(values)}): {rule.statement}"
        )
    else:
        return
    yield Finding(rule.id, rule.severity, message, None, None, change.commit, member)
