"""`forbidden-pattern`: no added line in `scope.paths` matches `pattern`.

Patterns run on RE2, whose matching time is linear in the input: a rule can
never hang a hook, whatever the pattern and the file.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache

from factory_os.rules.change import Change
from factory_os.rules.compiled import CompiledRule
from factory_os.rules.context import CheckContext
from factory_os.rules.finding import Finding

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

MAX_PER_FILE = 20


@cache
def compiled(pattern: str) -> Any:
    import re2

    options = re2.Options()
    options.log_errors = False  # an invalid pattern is reported as a finding, not logged
    return re2.compile(pattern, options)


def searchable(text: str) -> str:
    """TEXT as RE2 can take it: bytes that were not UTF-8 (kept by git.decode as
    surrogates) become U+FFFD."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    return text


def plan(rule: CompiledRule, change: Change, ctx: CheckContext) -> None:
    if rule.binds(change.member):
        literal = str(rule.params.get("literal") or "")
        for file in ctx.scoped(rule, change):
            if file.status != "D":
                ctx.contents.want(change.commit, file.path, literal)


def check(rule: CompiledRule, change: Change, ctx: CheckContext) -> Iterator[Finding]:
    if not rule.binds(change.member):
        return
    literal = str(rule.params.get("literal") or "")
    member = change.member_name
    for file in ctx.scoped(rule, change):
        if file.status == "D":
            continue
        hits = 0
        for number, text in ctx.contents.added(change.commit, file.path):
            if literal not in text:
                continue  # cannot match: RE2 is not even loaded for it
            if compiled(str(rule.params["pattern"])).search(searchable(text)):
                hits += 1
                if hits > MAX_PER_FILE:
                    continue  # counted, not listed
                yield Finding(
                    rule.id,
                    rule.severity,
                    f"added line matches the forbidden pattern {rule.params['pattern']}:"
                    f" {rule.statement}",
                    file.path,
                    number,
                    change.commit,
                    member,
                )
        if hits > MAX_PER_FILE:
            yield Finding(
                rule.id,
                rule.severity,
                f"{hits - MAX_PER_FILE} more added lines match the forbidden pattern"
                f" {rule.params['pattern']} (only the first {MAX_PER_FILE} of a file are"
                f" listed): {rule.statement}",
                file.path,
                None,
                change.commit,
                member,
            )
