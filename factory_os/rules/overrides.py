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

from factory_os.rules.finding import Finding, Overridden

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any, NamedTuple

    from factory_os.rules.scope import Translated

    Globs = Mapping[tuple[str, ...], Translated]
else:
    from factory_os.records import NamedTuple

SCOPES = ("paths", "commit", "range", "run")
RULE_ID = "fos:override-ignored"  # the notes about overrides that were not applied


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

    def in_scope(self, finding: Finding, run: str | None, globs: Globs | None = None) -> bool:
        """Whether FINDING falls in the scope, in RUN; GLOBS: the paths scopes'
        targets already translated, by targets (matched without importing pathspec)."""
        if self.scope == "paths":
            if finding.path is None:
                return False
            from factory_os.rules import pathmatch  # only with a finding: it costs the hook

            translated = None if globs is None else globs.get(self.targets)
            if translated is not None:
                return pathmatch.matches_translated(self.targets, translated, finding.path)
            return pathmatch.matches(self.targets, finding.path)
        if self.scope in ("commit", "range"):
            return finding.commit is not None and finding.commit in self.targets
        if self.scope == "run":
            return run is not None and run in self.targets
        return False

    def marking(self) -> Overridden:
        return Overridden(self.id, self.granted_by, self.justification, self.expires_at)

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


def by_rule(overrides: Iterable[Override], now: str) -> dict[str, list[Override]]:
    """The overrides unexpired at NOW, by the rule they lift: a finding meets only
    those of its own rule, however many there are."""
    index: dict[str, list[Override]] = {}
    for override in overrides:
        if now < override.expires_at:
            index.setdefault(override.rule, []).append(override)
    return index


def apply(
    findings: Sequence[Finding],
    overrides: Iterable[Override],
    *,
    now: str,
    run: str | None = None,
    globs: Globs | None = None,
) -> Applied:
    """Each of FINDINGS with the override that lifts it at NOW (None if none), in RUN;
    GLOBS: translated paths targets, as `Override.in_scope` takes them."""
    index = by_rule(overrides, now)
    out: list[tuple[Finding, Override | None]] = []
    notes: list[Finding] = []
    for finding in findings:
        pool = index.get(finding.rule_id)
        if not pool:
            out.append((finding, None))
            continue
        scoped: dict[tuple[str, tuple[str, ...]], bool] = {}  # many overrides share a scope
        candidates = []
        for o in pool:
            key = (o.scope, o.targets)
            if key not in scoped:
                scoped[key] = o.in_scope(finding, run, globs)
            if scoped[key]:
                candidates.append(o)
        eligible = [o for o in candidates if finding.member != o.granted_by]
        # the one that lasts longest: the report says until when the finding is lifted
        chosen = max(eligible, key=lambda o: (o.expires_at, o.id)) if eligible else None
        out.append((finding, chosen))
        if chosen is None and candidates:
            own = min(candidates, key=lambda o: o.id)
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


def marked(applied: Applied) -> list[Finding]:
    """APPLIED's findings, each one an override covers marked with it, then the notes."""
    out = [f if o is None else f._replace(overridden=o.marking()) for f, o in applied.findings]
    return out + applied.notes
