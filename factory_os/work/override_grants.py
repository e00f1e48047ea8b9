"""Whether the overrides a change grants may be granted, judged as `fos override grant`
judges them (DESIGN section 11), as of the change's base.

A grant line can be written by hand, so what the command refuses must also be
refused when the line arrives in a change: the granter holds a role accountable
for governance in raci.yaml (the approver roles of roles.yaml when raci.yaml has
no governance row) or, for an `approval-required` rule, one of its approver
roles; a member the change itself adds grants nothing; and no override the
change adds lasts past the check's time plus `governance.override_ttl_seconds`.
An override that fails is ignored and reported. Loaded only when a change adds
a grant: it reads the base's raci.yaml and factory.yaml.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from factory_os import clock, store
from factory_os.errors import InvalidInput
from factory_os.git import plumbing as git
from factory_os.paths import FACTORY_DIR
from factory_os.rules.finding import Finding
from factory_os.rules.overrides import RULE_ID, Override
from factory_os.rules.seam import Checked

DEFAULT_TTL = 86400  # as model.factory's Governance says


def unwarranted(
    checked: Checked, granted: Sequence[Override], now: str
) -> tuple[set[str], list[Finding]]:
    """Of the overrides GRANTED by CHECKED, the ids of those that may not be granted,
    with a note saying why about each."""
    raci, config = _base_documents(checked)
    governance = raci.get("governance") if isinstance(raci, dict) else None
    accountable = {
        role
        for role, value in (governance or {}).items()
        if isinstance(value, str) and "A" in value
    } or set(checked.ruleset.approver_roles)
    settings = config.get("governance") if isinstance(config, dict) else None
    ttl = (settings or {}).get("override_ttl_seconds", DEFAULT_TTL)
    ttl = ttl if isinstance(ttl, int) and ttl > 0 else DEFAULT_TTL  # (validate says what is wrong)
    latest = clock.stamp(clock.parse(now) + timedelta(seconds=int(ttl)))
    rules = {rule.id: rule for rule in checked.ruleset.rules}
    bad: set[str] = set()
    notes: list[Finding] = []
    for override in granted:
        member = checked.ruleset.named(override.granted_by)
        rule = rules.get(override.rule)
        allowed = set(accountable)
        if rule is not None and rule.kind == "approval-required":
            allowed |= set(rule.params.get("approver_roles") or ())
        why = None
        if override.invalid:
            why = f"it covers nothing: {override.invalid}"
        elif member is None or member.added:
            why = f"{override.granted_by} is not a member of the team as the base has it"
        elif not allowed & set(member.roles):
            roles = ", ".join(sorted(allowed)) or "(none)"
            why = (
                f"{member.id} may not override {override.rule}: that takes one of the roles {roles}"
            )
        elif override.expires_at > latest:
            why = (
                f"it lasts until {override.expires_at}, past the longest an override may last"
                f" (governance.override_ttl_seconds: {ttl}s, so {latest} at the latest)"
            )
        if why is not None:
            bad.add(override.id)
            notes.append(Finding(RULE_ID, "warn", f"{override.id} is ignored: {why}"))
    return bad, notes


def _base_documents(checked: Checked) -> tuple[object, object]:
    """raci.yaml and factory.yaml as the base holds them (the index's without a base),
    parsed; None for one that is missing or does not parse."""
    repo = checked.repo
    names = [f"{FACTORY_DIR}/raci.yaml", f"{FACTORY_DIR}/factory.yaml"]
    found = git.tree_entries(repo.top, checked.base or ":", [repo.prefix + n for n in names])
    blobs = git.cat_blobs(repo.top, sorted(set(found.values())))
    out: list[object] = []
    for name in names:
        raw = blobs.get(found.get(repo.prefix + name, ""))
        try:
            out.append(
                None if raw is None else store.parse_yaml(store.text_of(raw, name), name).plain
            )
        except InvalidInput:
            out.append(None)
    return out[0], out[1]
