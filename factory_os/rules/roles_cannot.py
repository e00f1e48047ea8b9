"""roles.yaml's `cannot` paths: a path guard for every member holding the role.

roles.yaml calls them a hard limit, so they bind whatever the rule files say: no
rule needs to repeat them, and retiring a rule does not lift them. They are the
roles.yaml of the base, like the rules in force. A path that a blocking path-guard
rule in force at the base already reports, at block, for the same change is not
reported twice; a rule the change adds, or one at warn, stands in for nothing, and
nor does one an override lifts (`unlifted`): an override lifts a rule, never the
limit.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from factory_os.rules.change import Change
from factory_os.rules.compiled import RuleSet
from factory_os.rules.context import who
from factory_os.rules.finding import Finding
from factory_os.rules.inforce import DOCUMENTS
from factory_os.rules.path_guard import VERBS

RULE_ID = "fos:role-cannot"


def check(
    changes: Sequence[Change], ruleset: RuleSet, reported: Sequence[Finding]
) -> Iterator[Finding]:
    """A finding per file of CHANGES that a role its member holds cannot touch, unless
    a path-guard rule already says so in REPORTED."""
    if not ruleset.role_limits:
        return
    guards = {r.id for r in ruleset.rules if r.kind == "path-guard" and not r.added}
    seen = {(f.commit, f.path) for f in reported if f.rule_id in guards and f.blocking}
    for change in changes:
        member = change.member
        if member is None:
            continue
        limits = [limit for limit in ruleset.role_limits if limit.role in member.roles]
        for file in change.files if limits else ():
            if (change.commit, file.path) in seen:
                continue
            for limit in limits:
                forbidden = limit.forbids(file.path)
                if forbidden is None:
                    continue
                line, pattern = forbidden
                yield Finding(
                    RULE_ID,
                    "block",
                    f"{who(change)} may not {VERBS.get(file.status, 'change')} {file.path}:"
                    f" role {limit.role} cannot touch it ({DOCUMENTS['roles']}:{line}:"
                    f" cannot.paths `{pattern}`)",
                    file.path,
                    None,
                    change.commit,
                    change.member_name,
                )
                break


def unlifted(
    changes: Sequence[Change], ruleset: RuleSet, findings: Sequence[Finding]
) -> list[Finding]:
    """The limits that a path-guard finding of FINDINGS stood in for and an override
    has since lifted: reported now, for no override lifts them."""
    reported = set(findings)
    return [f for f in check(changes, ruleset, findings) if f not in reported]
