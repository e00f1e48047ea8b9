"""`fos check`: evaluate the rules in force against a change; exit 1 on a blocking finding.

The git hooks reach the same logic through `factory_os.hot` without loading
click; this module is the documented, `--help`-able face of it.
"""

from __future__ import annotations

from pathlib import Path

import click

from factory_os.commands.options import Env, emit, examples, format_option
from factory_os.integrations.checks import seam
from factory_os.model.vocabulary import RANGE_STAGES
from factory_os.rules.render import FORMATS, render
from factory_os.rules.run import run_check


@click.command(
    "check",
    epilog=examples(
        "fos check                                   # the staged change, as pre-commit",
        "fos check --range origin/main..HEAD --format github   # a pull request",
        "fos check --commit HEAD --format json",
        "fos check --range origin/main..HEAD --format sarif > fos.sarif",
        "fos check --all                             # every file, content rules only",
    ),
)
@click.option("--staged", is_flag=True, help="Check the staged change (the default).")
@click.option(
    "--message-file",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="FILE",
    help="Check the staged change with this commit message (the commit-msg stage): "
    "trailers, approvals and the member a Factory-Member: trailer names.",
)
@click.option("--commit", "commit", metavar="REV", help="Check one commit.")
@click.option(
    "--range",
    "revision_range",
    metavar="BASE..HEAD",
    help="Check every commit in BASE..HEAD, as a pull-request check does.",
)
@click.option(
    "--all",
    "all_files",
    is_flag=True,
    help="Check every file in the index as if just added: content rules only "
    "(forbidden-pattern, command) that bind every role.",
)
@click.option(
    "--stage",
    type=click.Choice(RANGE_STAGES),
    help="With --commit or --range: the stage whose rules run (default: ci).",
)
@format_option(*FORMATS)
@click.pass_obj
def cli(
    env: Env,
    staged: bool,
    message_file: Path | None,
    commit: str | None,
    revision_range: str | None,
    all_files: bool,
    stage: str | None,
    output_format: str,
) -> int:
    """Evaluate the rules in force; exit 1 on a blocking finding.

    \b
    The rules in force are those of the base (HEAD for a staged change, the
    first parent for --commit, BASE for --range) plus the rules the change
    itself adds. A rule file the change deletes or edits is a finding, and its
    earlier version still applies. The team and the identity policy are also
    the base's. The founding change, the one that creates .factory/ with
    team.yaml, is checked against its own rules and team, and its .factory/
    files need no approval: there is no one yet to give it.

    \b
    With --range BASE..HEAD where HEAD does not descend from BASE (a pull
    request whose base branch moved on after the fork), the range is taken
    from the merge base of BASE and HEAD: the rules in force are those at the
    merge base plus those the range adds, and only HEAD's own commits are
    checked, never what the base branch gained meanwhile.

    \b
    An unexpired override (`fos override grant`) whose rule and scope cover a
    blocking finding lifts it: the finding is reported as overridden, with who
    granted it, why and until when, and does not block. A range counts the
    overrides of its base (for a pull request whose base branch moved on, of
    that branch's tip: a revocation made there since the fork applies) and
    those it adds in its granter's own commits; a staged check, those
    committed or staged. An override the change adds in someone
    else's name, or that would lift its granter's own change, is ignored and
    reported (fos:override-ignored). One scoped to a run (--run) covers a check
    made in that run, as FOS_RUN names it. Expiry is judged by this check's
    clock: the system clock in UTC, or FOS_NOW (ISO 8601) when set. A clock
    that runs behind keeps an override in force past its expiry, one that runs
    ahead ends it early; in CI it is the runner's clock at the time the check
    runs.

    \b
    --staged        pre-commit stage: author from `git var GIT_AUTHOR_IDENT`;
                    rules about the message wait for commit-msg
    --message-file  commit-msg stage: the staged change with its message
    --commit REV    one commit, against its first parent
    --range B..H    every commit of B..H (pull requests, pre-push)
    --all           every file in the index as if added, for content rules

    Formats: text (each finding, then one line: the stage, and for a passing
    check the commits, files, rules and findings), json (a stable object),
    sarif (SARIF 2.1.0: each rule's title and statement, a location for every
    result), github (workflow commands that annotate a pull request).
    """
    report = run_check(
        env.cwd,
        staged=staged,
        message_file=message_file,
        commit=commit,
        revision_range=revision_range,
        all_files=all_files,
        stage=stage,
        seam=seam(),
    )
    emit(render(report, output_format, summary=True))
    return report.exit_code
