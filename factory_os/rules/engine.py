"""Evaluating the rules in force against changes.

Two passes: every rule first says what content it needs (`plan`), which is then
fetched in bulk, and only then are the rules checked (`check`). Command rules
run once per check, after the others.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from functools import cache

from factory_os.model.vocabulary import CHECK_KINDS
from factory_os.rules import identity
from factory_os.rules.change import Change
from factory_os.rules.compiled import MEMBER_KINDS, MESSAGE_KINDS, CompiledRule
from factory_os.rules.context import CheckContext
from factory_os.rules.finding import Finding, sort_key

TYPE_CHECKING = False
if TYPE_CHECKING:
    from types import ModuleType

# check kind -> the module under factory_os.rules that checks it (imported when used);
# `command` rules are run once per check, after the others
KINDS: dict[str, str] = {
    kind: {"approval-required": "approval"}.get(kind, kind.replace("-", "_"))
    for kind in CHECK_KINDS
    if kind != "command"
}


@cache  # once per kind, not once per rule: hundreds of rules share a few kinds
def kind_module(kind: str) -> ModuleType:
    name = f"factory_os.rules.{KINDS[kind]}"
    __import__(name)  # (importlib's own import costs the hook its warnings module)
    return sys.modules[name]


def rules_for(rules: Sequence[CompiledRule], stage: str) -> list[CompiledRule]:
    """The rules that run at STAGE.

    At pre-commit the message is not written yet, so message rules wait for
    commit-msg; at commit-msg only the rules that depend on the message or on the
    member it names run again, plus those that do not run at pre-commit at all.
    """
    chosen = []
    for rule in rules:
        if not rule.runs_at(stage):
            continue
        if stage == "pre-commit" and rule.kind in MESSAGE_KINDS:
            continue
        if (
            stage == "commit-msg"
            and rule.kind not in MESSAGE_KINDS | MEMBER_KINDS
            and rule.runs_at("pre-commit")
        ):
            continue
        chosen.append(rule)
    return chosen


def evaluate(
    changes: Sequence[Change], ctx: CheckContext, *, with_identity: bool = True
) -> list[Finding]:
    findings: list[Finding] = []
    if with_identity:
        unknown = []
        for change in changes:
            # who made it: every check kind reads change.member, set here and only here
            who = identity.resolve(change, ctx.ruleset)
            change.member = who.member
            findings.extend(who.findings)
            findings.extend(identity.check_signature(change, ctx.ruleset))
            if who.unknown:
                unknown.append(change)
        # an unknown author is told once: per check, and at pre-commit rather than again
        # at commit-msg (the same commit; a Factory-Member trailer is judged apart)
        if unknown and not (ctx.stage == "commit-msg" and "pre-commit" in ctx.ruleset.hook_stages):
            findings.extend(identity.unknown_authors(unknown, ctx.ruleset))
    rules = ctx.ruleset.rules if ctx.every_stage else rules_for(ctx.ruleset.rules, ctx.stage)
    checked = [(r, kind_module(r.kind)) for r in rules if r.kind in KINDS]
    # the kinds that read content say what they need first (`plan`), fetched in bulk
    planning = [(r, m.plan) for r, m in checked if hasattr(m, "plan")]
    commits = with_identity and any(change.commit is not None for change in changes)
    if commits:  # (the staged change's hook path does without them)
        from factory_os.rules import approvals, governed, integrity, provenance
    for change in changes:
        if commits:
            provenance.plan(change, ctx)
        for rule, plan in planning:
            plan(rule, change, ctx)
    if commits:
        # built in, whatever the rule files say: who added each ledger entry, and
        # the approvals among them that count
        unsound, where = integrity.check(changes, ctx)  # lines no entry is count for nothing
        findings.extend(unsound)
        added = [
            e
            for e in provenance.added_entries(changes, ctx)
            if integrity.Unsound(e.change.commit, e.path, e.line) not in where
        ]
        findings.extend(provenance.check(added))
        ctx.approvals = approvals.known(added, ctx)
        findings.extend(governed.check(changes, added, ctx.approvals, ctx.ruleset))
    for change in changes:
        for rule, module in checked:
            findings.extend(module.check(rule, change, ctx))
    # built in too (each module loaded only for a change it concerns): roles.yaml's
    # `cannot` paths bind every member holding the role
    limited = {limit.role for limit in ctx.ruleset.role_limits}
    if any(c.member is not None and limited.intersection(c.member.roles) for c in changes):
        from factory_os.rules import roles_cannot

        findings.extend(roles_cannot.check(changes, ctx.ruleset, findings))
    # and a bot touches only the paths team.yaml gives it
    if any(c.member is not None and c.member.bot for c in changes):
        from factory_os.rules import bots

        findings.extend(bots.check(changes))
    for rule in rules:
        if rule.kind != "command" or not ctx.run_commands:
            continue
        from factory_os.rules import command

        touching = [
            c
            for c in changes
            if rule.binds(c.member) and (not rule.has_paths or ctx.scoped(rule, c))
        ]
        if not touching:
            continue
        member = touching[-1].member_name
        # a command a rule file of the change brings (new, or changed: the base's
        # version is the one in force) is its author's code, run by whoever checks:
        # it runs once its rule is in the base, reviewed
        finding: Finding | None
        if rule.added:
            finding = command.not_run(rule, member, command.NEW)
        elif ctx.reviewed is not None and not ctx.reviewed(rule.source):
            finding = command.not_run(rule, member, command.UNREVIEWED)
        else:
            finding = command.run(rule, ctx.root, member)
        if finding is not None:
            findings.append(finding)
    return sorted(dict.fromkeys(findings), key=sort_key)
