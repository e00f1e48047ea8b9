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

from factory_os.rules.finding import Finding, Overridden, liftable

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Container
    from typing import Any, NamedTuple

    from factory_os.rules.scope import Translated

    # (expires at, id, granted by, justification): what a finding needs of an override
    Entry = tuple[str, str, str, str]
    # (scope, targets, their literal prefixes, translated, entries lasting longest first);
    # plain tuples, so that the staged check keeps them with marshal
    Group = tuple[str, tuple[str, ...], list[str] | None, Translated | None, list[Entry]]
    Grouped = dict[str, list[Group]]  # by the rule the overrides lift
else:
    from factory_os.records import NamedTuple

SCOPES = ("paths", "commit", "range", "run")
RULE_ID = "fos:override-ignored"  # the notes about overrides that were not applied
INVALID = "invalid"  # the scope an override with a target no valid glob is grouped under


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
    invalid: str = ""  # why a paths target is no valid glob: then it covers nothing

    def in_scope(self, finding: Finding, run: str | None) -> bool:
        """Whether FINDING falls in the scope, in RUN."""
        if self.invalid:
            return False
        return _in_scope((self.scope, self.targets, None, None, []), finding, run)

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
    kept = tuple(t for t in targets if isinstance(t, str))
    return Override(
        id=ident,
        rule=str(data.get("rule", subject)),
        scope=str(scope),
        targets=kept,
        granted_by=granted_by,
        justification=str(data.get("justification", "")),
        expires_at=expires,
        invalid=invalid_targets(str(scope), kept),
    )


def invalid_targets(scope: str, targets: Sequence[str]) -> str:
    """Why one of the TARGETS of a SCOPE is no valid glob ("" when none is, or the
    scope takes no globs): a grant line can be written by hand."""
    if scope != "paths":
        return ""
    from factory_os.globs import check  # (pathspec only for a target that is no plain glob)

    for target in targets:
        try:
            check(target)
        except ValueError as exc:
            return str(exc)
    return ""


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


def group(overrides: Iterable[Override], *, translate: bool = False) -> Grouped:
    """OVERRIDES as `apply_grouped` takes them: by rule, then by scope and targets
    (many overrides share one, which is matched once per finding), each group's
    entries the one lasting longest first. With TRANSLATE, the paths targets are
    translated (`rules.scope`, with pathspec) so that a finding is matched against
    them without it: what the staged check keeps cached."""
    scoped: dict[str, dict[tuple[str, tuple[str, ...]], list[Entry]]] = {}
    for o in overrides:
        entry = (o.expires_at, o.id, o.granted_by, o.justification)
        scope = INVALID if o.invalid else o.scope  # matched against nothing, and said so
        scoped.setdefault(o.rule, {}).setdefault((scope, o.targets), []).append(entry)
    out: Grouped = {}
    for rule, groups in scoped.items():
        out[rule] = [
            (scope, targets, *_translated(scope, targets, translate), sorted(entries, reverse=True))
            for (scope, targets), entries in groups.items()
        ]
    return out


def _translated(
    scope: str, targets: tuple[str, ...], translate: bool
) -> tuple[list[str] | None, Translated | None]:
    """The literal prefixes every path in TARGETS starts with (None: no such
    prefix), and TARGETS translated; both None when not translated."""
    if not (translate and scope == "paths"):
        return None, None
    from factory_os.rules import scope as scopes

    try:
        return scopes.literal_prefixes(targets), list(scopes.translate(targets))
    except ValueError:
        return None, None  # matched the slow way, which says what is wrong


_MATCHERS: dict[tuple[str, ...], Any] = {}  # translated targets, compiled once per process


def _in_scope(group: Group, finding: Finding, run: str | None) -> bool:
    scope, targets, prefixes, translated = group[0], group[1], group[2], group[3]
    if scope == "paths":
        path = finding.path
        if path is None:
            return False
        if translated is None:
            from factory_os.rules import pathmatch  # (and pathspec): a range's overrides

            try:
                return pathmatch.matches(targets, path)
            except ValueError:  # (`group` sets such targets apart: a glob covers nothing)
                return False
        if prefixes is not None and not any(path.startswith(p) for p in prefixes):
            return False
        matcher = _MATCHERS.get(targets)
        if matcher is None:
            from factory_os.rules.scope import Matcher

            matcher = _MATCHERS[targets] = Matcher([(t[0], t[1]) for t in translated])
        return bool(matcher(path))
    if scope in ("commit", "range"):
        return finding.commit is not None and finding.commit in targets
    if scope == "run":
        return run is not None and run in targets
    return False


def apply(
    findings: Sequence[Finding],
    overrides: Iterable[Override],
    *,
    now: str,
    run: str | None = None,
) -> Applied:
    """Each of FINDINGS with the override that lifts it at NOW (None if none), in RUN."""
    return apply_grouped(findings, group(overrides), now=now, run=run)


def apply_grouped(
    findings: Sequence[Finding],
    grouped: Grouped,
    *,
    now: str,
    run: str | None = None,
    ignored: Container[str] = (),
) -> Applied:
    """`apply`, with the overrides GROUPED (`group`), less those whose id is IGNORED.
    Only a finding that blocks is lifted; one that does not stays as it is. An
    override whose targets are no valid globs covers nothing, and a note says so."""
    out: list[tuple[Finding, Override | None]] = []
    notes: list[Finding] = []
    invalid: dict[str, tuple[str, ...]] = {}  # by id: the targets of one that covers nothing
    for finding in findings:
        groups = grouped.get(finding.rule_id) if liftable(finding) else None
        if not groups:
            out.append((finding, None))
            continue
        # the one that lasts longest: the report says until when the finding is lifted
        best: tuple[Group, Entry] | None = None
        own: Entry | None = None  # in scope and in force, but granted by the member
        for group_ in groups:
            entries = group_[4]
            if ignored:  # (before any matching: an ignored one's targets are not read)
                entries = [entry for entry in entries if entry[1] not in ignored]
            if not entries or not now < entries[0][0]:
                continue
            if group_[0] == INVALID:
                for entry in entries:
                    if not now < entry[0]:
                        break
                    invalid.setdefault(entry[1], group_[1])
                continue
            if not _in_scope(group_, finding, run):
                continue
            for entry in entries:
                if not now < entry[0]:
                    break  # (the rest expired earlier)
                if entry[2] != finding.member:
                    if best is None or entry[:2] > best[1][:2]:
                        best = (group_, entry)
                    break
                if own is None or entry[1] < own[1]:
                    own = entry
        if best is not None:
            (scope, targets, *_), (expires_at, ident, granted_by, why) = best
            chosen = Override(ident, finding.rule_id, scope, targets, granted_by, why, expires_at)
            out.append((finding, chosen))
            continue
        out.append((finding, None))
        if own is not None:
            notes.append(
                Finding(
                    RULE_ID,
                    "warn",
                    f"{own[1]} does not apply: {own[2]} granted it and the change is"
                    f" theirs; an override comes from someone else",
                    finding.path,
                    finding.line,
                    finding.commit,
                    finding.member,
                )
            )
    for ident, targets in sorted(invalid.items()):
        why = invalid_targets("paths", targets)
        notes.append(Finding(RULE_ID, "warn", f"{ident} does not apply: it covers nothing: {why}"))
    return Applied(out, notes)


def marked(applied: Applied) -> list[Finding]:
    """APPLIED's findings, each one an override covers marked with it, then the notes."""
    out = [f if o is None else f._replace(overridden=o.marking()) for f, o in applied.findings]
    return out + applied.notes
