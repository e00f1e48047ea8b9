"""Does an override cover a finding? The pure part of overrides (DESIGN section 11).

An `Override` is what an `override.granted` ledger entry says, as plain values:
the rule it lifts, its scope (`paths` globs, a `commit`, the commits of a
`range`, a `run`), who granted it and until when. `covers` decides one finding
at one time; `apply` marks the findings of a check. Nothing here reads the
ledger or knows the clock: the caller passes the overrides and the time, so the
hook path, the pull-request check and the tests all decide alike. Hook-light:
`pathmatch` (and pathspec) are loaded only when a finding meets a paths scope.

The check keeps every finding: one an override covers is reported with the
override's id, granter, justification and expiry, and does not block. An
override never covers a finding of its own granter's change (no one lifts a
rule for themselves): such a finding stays as it is, and a note says why.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from factory_os.rules.finding import Finding

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, NamedTuple
else:
    from factory_os.records import NamedTuple

SCOPES = ("paths", "commit", "range", "run")
RULE_ID = "fos:override"  # the notes about overrides that were not applied


class Override(NamedTuple):
    """One granted override. TARGETS are globs (paths), commit ids (commit, range)
    or run ids (run); EXPIRES_AT is a UTC stamp `YYYY-MM-DDTHH:MM:SSZ`, which
    compares as text."""

    id: str
    rule: str
    scope: str
    targets: tuple[str, ...]
    granted_by: str  # a member id
    justification: str
    expires_at: str

    def in_scope(self, finding: Finding, run: str | None) -> bool:
        if self.scope == "paths":
            if finding.path is None:
                return False
            from factory_os.rules import pathmatch  # only with a finding: it costs the hook

            return pathmatch.matches(self.targets, finding.path)
        if self.scope in ("commit", "range"):
            return finding.commit is not None and finding.commit in self.targets
        if self.scope == "run":
            return run is not None and run in self.targets
        return False

    def describe(self) -> str:
        return (
            f"overridden by {self.id}, granted by {self.granted_by} until {self.expires_at}:"
            f" {self.justification}"
        )


def from_data(data: dict[str, Any], subject: str) -> Override | None:
    """The Override an `override.granted` entry's DATA describes; None if malformed."""
    ident, scope, targets = data.get("id"), data.get("scope"), data.get("targets")
    expires, granted_by = data.get("expires_at"), data.get("granted_by")
    if not (isinstance(ident, str) and isinstance(expires, str) and isinstance(granted_by, str)):
        return None
    if scope not in SCOPES or not isinstance(targets, list):
        return None
    return Override(
        id=ident,
        rule=str(data.get("rule", subject)),
        scope=str(scope),
        targets=tuple(t for t in targets if isinstance(t, str)),
        granted_by=granted_by,
        justification=str(data.get("justification", "")),
        expires_at=expires,
    )


def covers(override: Override, finding: Finding, *, now: str, run: str | None = None) -> bool:
    """Whether OVERRIDE lifts FINDING at the time NOW (a UTC stamp), in RUN."""
    return (
        override.rule == finding.rule_id
        and now < override.expires_at
        and override.in_scope(finding, run)
        and finding.member != override.granted_by
    )


class Applied(NamedTuple):
    """A check's findings after the overrides: each with the override that covers it
    (or None), and notes about overrides that would have covered a finding but were
    granted by the member whose change it is."""

    findings: list[tuple[Finding, Override | None]]
    notes: list[Finding]


def apply(
    findings: Sequence[Finding],
    overrides: Iterable[Override],
    *,
    now: str,
    run: str | None = None,
) -> Applied:
    by_rule: dict[str, list[Override]] = {}
    for override in overrides:
        if now < override.expires_at:
            by_rule.setdefault(override.rule, []).append(override)
    out: list[tuple[Finding, Override | None]] = []
    notes: list[Finding] = []
    for finding in findings:
        candidates = [o for o in by_rule.get(finding.rule_id, ()) if o.in_scope(finding, run)]
        chosen = next((o for o in candidates if finding.member != o.granted_by), None)
        out.append((finding, chosen))
        if chosen is None and candidates:
            own = candidates[0]
            notes.append(
                Finding(
                    RULE_ID,
                    "warn",
                    f"{own.id} does not apply: {own.granted_by} granted it and the change is"
                    f" theirs; an override comes from someone else",
                    finding.path,
                    finding.line,
                    finding.commit,
                    finding.member,
                )
            )
    return Applied(out, notes)
