"""Governed changes: what the governed cannot do alone (DESIGN section 3).

Ending a rule (`rule.retired`, `rule.superseded`), adding a rule taken from a
DNA decision, and changing the team, roles, RACI, lifecycle or settings each
need an approval from a member holding an approver role (`approver: true` in
roles.yaml, as of the base) other than the author (`approvals`). Adding a rule
from an incident stays an ordinary change, and the founding change has no one
to approve it yet. Built in, like provenance: no rule file turns it off. It
judges commits (ranges): an approval comes after the change it approves.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from factory_os.paths import FACTORY_DIR
from factory_os.rules.approvals import Item, Known, unapproved
from factory_os.rules.change import Change
from factory_os.rules.compiled import RuleSet
from factory_os.rules.context import who
from factory_os.rules.finding import Finding
from factory_os.rules.provenance import AddedEntry

RULE_ID = "fos:governed-change"
DOCUMENTS = frozenset(
    f"{FACTORY_DIR}/{name}"
    for name in ("team.yaml", "roles.yaml", "raci.yaml", "lifecycle.yaml", "factory.yaml")
)
ENDINGS = {"rule.retired": "retires", "rule.superseded": "supersedes"}
DECISION = "decision:"


def items_of(change: Change, entries: Sequence[AddedEntry], ruleset: RuleSet) -> list[Item]:
    """What CHANGE does that needs an approval; ENTRIES: the entries it adds."""
    items = [
        Item(f"{ENDINGS[entry.kind]} {entry.subject}", entry=entry.id)
        for entry in entries
        if entry.kind in ENDINGS
    ]
    added = {f.path: f for f in change.files if f.status == "A"}
    for rule in ruleset.rules:
        if rule.added and rule.origin.startswith(DECISION) and rule.source in added:
            blob = added[rule.source].new_blob
            items.append(Item(f"adds {rule.id} from {rule.origin}", rule.source, blob))
    for f in change.files:
        if f.path in DOCUMENTS:
            verb = "deletes" if f.status == "D" else "changes"
            items.append(Item(f"{verb} {f.path}", f.path, f.new_blob))
    return items


def check(
    changes: Sequence[Change],
    entries: Sequence[AddedEntry],
    approvals: Known,
    ruleset: RuleSet,
) -> Iterator[Finding]:
    roles = sorted(ruleset.approver_roles)
    for change in changes:
        if change.commit is None or change.founding:
            continue
        items = items_of(change, [e for e in entries if e.change is change], ruleset)
        if not items:
            continue
        left, reasons = unapproved(change, items, roles, approvals, ruleset)
        if not left:
            continue
        why = f" ({'; '.join(reasons)})" if reasons else ""
        named = ", ".join(roles) if roles else "none: mark one `approver: true` in roles.yaml"
        entry = next((i.entry for i in left if i.entry), None)
        how = f"--entry {entry}" if entry else f"--commit {change.commit[:12]}"
        yield Finding(
            RULE_ID,
            "block",
            f"{who(change)} {', '.join(i.what for i in left)} without the approval of a"
            f" member holding an approver role ({named}) other than the author{why}: such a"
            f" member reviews it, runs `fos approve {how}` and commits that",
            next((i.path for i in left if i.path), None),
            None,
            change.commit,
            change.member_name,
        )
