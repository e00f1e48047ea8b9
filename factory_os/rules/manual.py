"""`manual`: guidance an agent is shown in its context; never a finding."""

from __future__ import annotations

from collections.abc import Iterator

from factory_os.rules.change import Change
from factory_os.rules.compiled import CompiledRule
from factory_os.rules.context import CheckContext
from factory_os.rules.finding import Finding


def check(rule: CompiledRule, change: Change, ctx: CheckContext) -> Iterator[Finding]:
    return iter(())
