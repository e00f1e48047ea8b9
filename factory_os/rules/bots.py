"""Bots: automation in team.yaml (`kind: bot`), bound to the paths it lists.

A dependency updater or a release job commits as a member of its own, and may
touch only the paths team.yaml gives it: a bot's commit touching any other path
is a finding, whatever the rule files say. A bot never approves
(`rules.approvals`).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from factory_os.rules.change import Change
from factory_os.rules.compiled import Member
from factory_os.rules.finding import Finding
from factory_os.rules.path_guard import VERBS
from factory_os.rules.scope import Matcher

RULE_ID = "fos:bot-path"
_matchers: dict[tuple[tuple[str, bool], ...], Matcher] = {}


def check(changes: Sequence[Change]) -> Iterator[Finding]:
    for change in changes:
        member = change.member
        if member is None or not member.bot:
            continue
        may_touch = _matcher(member)
        for file in change.files:
            if may_touch(file.path):
                continue
            yield Finding(
                RULE_ID,
                "block",
                f"bot {member.id} may not {VERBS.get(file.status, 'change')} {file.path}:"
                f" team.yaml lets it touch only {', '.join(member.may_touch)}",
                file.path,
                None,
                change.commit,
                member.id,
            )


def _matcher(member: Member) -> Matcher:
    found = _matchers.get(member.may_touch_re)
    if found is None:
        found = _matchers[member.may_touch_re] = Matcher(list(member.may_touch_re))
    return found
