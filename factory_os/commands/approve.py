"""`fos approve`: the face of `memory.approvals`."""

from __future__ import annotations

import click

from factory_os.commands.options import Env, actor_option, emit, examples, note_left_out
from factory_os.errors import EXIT_OK
from factory_os.memory.approvals import approve


@click.command(
    name="approve",
    epilog=examples(
        'fos approve --commit HEAD~1 --reason "reviewed the retirement"',
        "fos approve --range origin/main..HEAD",
        "fos approve --entry 7ed27e5194f8",
        'git add .factory && git commit -m "Approve"   # the approval counts in your own commit',
    ),
)
@click.option("--commit", metavar="REV", help="Approve what this commit changes.")
@click.option("--range", "revision_range", metavar="A..B", help="Approve what A..B changes.")
@click.option("--entry", metavar="ID", help="Approve one ledger entry (e.g. a rule.retired).")
@click.option("--reason", default="", help="Why it is approved.")
@actor_option
@click.pass_obj
def cli(
    env: Env,
    commit: str | None,
    revision_range: str | None,
    entry: str | None,
    reason: str,
    actor: str | None,
) -> int:
    """Approve a governed change as a member holding an approver role; print the id
    of the approval.granted entry. Commit it yourself: an approval counts only
    when the approver's own commit adds it. It names the paths with their blob
    ids and the ledger entries approved, so a rebase or a squash keeps it.

    \b
    EXAMPLES
      fos approve --commit 3f9a2c1 --reason "the rule was replaced by R-81c0d4"
      fos approve --range main..feature
      fos approve --entry 5be2...e91 && git commit -am "Approve retiring R-3f9a2c"
    """
    approval = approve(
        cwd=env.cwd,
        commit=commit,
        revision_range=revision_range,
        entry=entry,
        reason=reason,
        actor=actor,
    )
    emit(approval)
    note_left_out(env.cwd)
    return EXIT_OK
