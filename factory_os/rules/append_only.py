"""`append-only`: files in `scope.paths` are never modified, deleted or renamed.

Ledger segments (`.factory/ledger/*.jsonl`) and incidents may grow: their new
content must start with every byte of the old (an incident gains the rules it
led to, and follow-up sections).
"""

from __future__ import annotations

from collections.abc import Iterator

from factory_os.paths import grew, is_segment, may_grow
from factory_os.rules.change import Change
from factory_os.rules.compiled import CompiledRule
from factory_os.rules.context import CheckContext
from factory_os.rules.finding import Finding


def plan(rule: CompiledRule, change: Change, ctx: CheckContext) -> None:
    if not rule.binds(change.member):
        return
    for file in ctx.scoped(rule, change):
        if file.status == "M" and (is_segment(file.path) or may_grow(file.path)):
            ctx.blobs.want(file.old_blob, file.new_blob)


def check(rule: CompiledRule, change: Change, ctx: CheckContext) -> Iterator[Finding]:
    if not rule.binds(change.member):
        return
    member = change.member_name
    for file in ctx.scoped(rule, change):
        if file.status == "A":
            continue
        if file.status == "D":
            what = "deleted (or renamed)"
        elif file.status == "M" and is_segment(file.path):
            from factory_os.ledger import growth  # (here: a segment that changed)

            old, new = ctx.blobs.get(file.old_blob), ctx.blobs.get(file.new_blob)
            line = 1 if old is None or new is None else growth.lost_line(old, new)
            if line is None:
                continue
            yield Finding(
                rule.id,
                rule.severity,
                f"ledger segment {file.path} changed or lost line {line}; it may only"
                f" gain lines: {rule.statement}",
                file.path,
                line,
                change.commit,
                member,
            )
            continue
        elif file.status == "M" and may_grow(file.path):
            old, new = ctx.blobs.get(file.old_blob), ctx.blobs.get(file.new_blob)
            if old is not None and new is not None and grew(old, new):
                continue
            what = "modified (not only added to at its end)"
        else:
            what = "modified"
        yield Finding(
            rule.id,
            rule.severity,
            f"{file.path} is append-only and was {what}: {rule.statement}",
            file.path,
            None,
            change.commit,
            member,
        )
