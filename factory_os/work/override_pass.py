"""The check's post-pass: a finding an override covers is reported overridden and
does not block (DESIGN section 11).

Which overrides count:

- a staged check (and `--all`): those granted in the work tree's ledger (read
  incrementally) that are also in the index, committed or staged; a grant the
  staged change adds counts only if its author is the granter;
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

Without findings nothing is read but the lines the change adds to the ledger,
which the check has already fetched; the clock, the ledger's overrides and the
glob matcher are loaded only when a finding could be lifted.
"""

from __future__ import annotations

import os

from factory_os.rules.finding import Finding
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
    if not added and not any(_liftable(f) for f in findings):
        return findings  # nothing to read, and nothing more loaded
    from factory_os.rules.overrides import apply, marked
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
    if not any(_liftable(f) for f in findings):
        return findings + notes
    repo = checked.repo
    globs = None
    if checked.staged:
        overrides, globs = records.for_staged(repo.root, repo.git_dir / "fos")
    else:
        overrides = records.for_range(repo.worktree, checked.base, added, forged, repo.prefix)
    overrides = [o for o in overrides if o.id not in ignored]
    if not overrides:
        return findings + notes
    from factory_os import clock  # only with an override to judge

    now = clock.stamp()
    run = os.environ.get(RUN_ENV) or None
    applied = apply(findings, overrides, now=now, run=run, globs=globs)
    chosen = {o.id: o for _f, o in applied.findings if o is not None}
    if checked.staged and chosen:  # a line in the work tree alone is no one's commit yet
        loose = records.unstaged(repo.worktree, repo.prefix) & set(chosen)
        if loose:
            kept = [o for o in overrides if o.id not in loose]
            applied = apply(findings, kept, now=now, run=run, globs=globs)
            notes += [_unstaged_note(chosen[i]) for i in sorted(loose)]
    return marked(applied) + notes


def _liftable(finding: Finding) -> bool:
    return not finding.rule_id.startswith("fos:")  # an override names a rule of .factory/rules/


def _override_lines(checked: Checked) -> list[LedgerLine]:
    """The lines about overrides that the change adds to the ledger."""
    return [line for line in checked.ledger_lines() if kind_of(line.text).startswith("override.")]


def _unstaged_note(override: Override) -> Finding:
    from factory_os.rules.overrides import RULE_ID

    return Finding(
        RULE_ID,
        "warn",
        f"{override.id} is not applied: it is in the work tree's ledger only; an override"
        f" counts once {override.granted_by} commits it",
    )
