"""The check's post-pass: a finding an override covers is reported overridden and
does not block (DESIGN section 11).

Which overrides count:

- a staged check (and `--all`): those granted in the index's ledger, committed
  or staged (`work.override_index`, replayed once per state of the ledger); a
  grant the staged change adds counts only if its author is the granter, and one
  in the work tree alone is no one's commit yet (a note says so when it would
  have lifted a finding that blocks);
- a range (`--commit`, `--range`, pre-push, pre-receive): those of the ledger as
  committed at the base, plus those the range adds in commits by their granter;
  for a pull request whose base branch moved on after it forked, the base is the
  branch's tip (`Checked.base`), so a revocation made there since the fork applies.

A grant added by anyone else is ignored and reported (`fos:override-ignored`),
and so is one its granter could not have given (`work.override_grants`: a role
for the rule, a TTL within the cap, as of the base), and an override that would
cover a finding of its own granter's change.
The time is the check's clock (`FOS_NOW` pins it), and a run-scoped override
covers the findings of a check made in its run (`FOS_RUN`).

Only a finding that blocks, of a rule of `.factory/rules/`, can be lifted.
Without one nothing is read but the lines the change adds to the ledger, which
the check has already fetched; the ledger's overrides and the clock are read
only when there is one.
"""

from __future__ import annotations

import os

from factory_os.rules.finding import Finding, liftable
from factory_os.rules.seam import Checked, LedgerLine
from factory_os.work.extras import kind_of

TYPE_CHECKING = False
if TYPE_CHECKING:
    from factory_os.rules.overrides import Override

RUN_ENV = "FOS_RUN"  # as `work.runnames` reads it (which imports more than the hook needs)


def post(checked: Checked, findings: list[Finding]) -> list[Finding]:
    """FINDINGS with those an override in force covers marked; notes about overrides
    ignored."""
    # (`--all` holds the whole ledger as if added, and a write not made yet adds nothing)
    added = _override_lines(checked) if checked.diffed else []
    if not added and not any(liftable(f) for f in findings):
        return findings  # nothing to read, and nothing more loaded
    forged: set[bytes] = set()
    ignored: set[str] = set()
    notes: list[Finding] = []
    if added:
        from factory_os.work import override_records as records

        forged, notes = records.unvouched(added)
        ignored = {ident for line in forged for ident in records.parse([line])[0]}
        granted = records.granted_in(added, forged)
        if granted:  # a grant the change adds: may its granter give it?
            from factory_os import clock
            from factory_os.work.override_grants import unwarranted

            bad, why = unwarranted(checked, granted, clock.stamp())
            ignored |= bad
            notes += why
        if checked.stage == "commit-msg":
            notes = []  # said at pre-commit, about the same staged lines
    if not any(liftable(f) for f in findings):
        return findings + notes
    from factory_os import clock
    from factory_os.rules.overrides import apply_grouped, group, marked

    repo = checked.repo
    replay = None
    if checked.staged:
        from factory_os.work.override_index import in_index

        replay = in_index(repo.top, repo.gitdir, repo.prefix)
        grouped = replay.grouped
    else:
        from factory_os.work import override_records as records

        overrides = records.for_range(
            repo.top, checked.base, added, forged, repo.prefix, repo.commondir
        )
        grouped = group(overrides)
    now = clock.now_stamp()
    run = os.environ.get(RUN_ENV) or None
    applied = apply_grouped(findings, grouped, now=now, run=run, ignored=ignored)
    if replay is not None and not replay.same_on_disk(repo.rootdir):
        left = [f for f, o in applied.findings if o is None and liftable(f)]
        if left:  # blocked: would an override the work tree alone holds have lifted it?
            notes += _loose(checked, left, now, run)
    return marked(applied) + notes


def _override_lines(checked: Checked) -> list[LedgerLine]:
    """The lines about overrides that the change adds to the ledger."""
    return [line for line in checked.ledger_lines() if kind_of(line.text).startswith("override.")]


def _loose(checked: Checked, findings: list[Finding], now: str, run: str | None) -> list[Finding]:
    """Notes about the overrides granted in the work tree's ledger and not in the
    index that would lift FINDINGS: a line in the work tree alone is no one's
    commit yet."""
    from factory_os.rules.overrides import apply
    from factory_os.work import override_records as records

    loose = records.unstaged(checked.repo.top, checked.repo.prefix)
    if not loose:
        return []
    applied = apply(findings, loose, now=now, run=run)
    chosen = {o.id: o for _f, o in applied.findings if o is not None}
    return [_unstaged_note(chosen[i]) for i in sorted(chosen)]


def _unstaged_note(override: Override) -> Finding:
    from factory_os.rules.overrides import RULE_ID

    return Finding(
        RULE_ID,
        "warn",
        f"{override.id} is not applied: it is in the work tree's ledger only; an override"
        f" counts once {override.granted_by} commits it",
    )
