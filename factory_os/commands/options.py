"""What the click faces share: the root options, `--format`, the context selection, and
writing to stdout."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class Env:
    """What the root options tell every command."""

    cwd: Path
    debug: bool


def format_option(*choices: str, default: str = "text") -> Callable[[F], F]:
    """The `--format` option every command that prints results takes."""
    return click.option(
        "--format",
        "output_format",
        type=click.Choice(list(choices)),
        default=default,
        show_default=True,
        help="Output format.",
    )


def actor_option(command: F) -> F:
    """`--actor`: who acts, as a claim the one identity function checks (`rules.actor`)."""
    return click.option(
        "--actor",
        metavar="MEMBER",
        help="Who acts: a member id or email, which must be the member git's author"
        " identity is (default: FOS_ACTOR; none: that member).",
    )(command)


def examples(*lines: str) -> str:
    """The EXAMPLES section that ends a command's `--help` (click's `epilog`), its lines
    kept as written (`\\b`)."""
    return "\b\nExamples:\n" + "\n".join(f"  {line}" for line in lines)


def emit(text: str) -> None:
    click.echo(text, nl=not text.endswith("\n"))


def note_left_out(cwd: Path) -> None:
    """Say on stderr which other branches' uncommitted ledger segments the entry just
    written left out of its parents (see `events.left_out`)."""
    from factory_os import store  # here: most commands write no ledger entry
    from factory_os.ledger import events

    names = events.left_out(store.find_factory(cwd))
    if names:
        click.echo(
            f"fos: warning: {', '.join(names)}: another branch's uncommitted ledger segment,"
            " left out of this entry's parents (commit it on its branch, or move it away)",
            err=True,
        )


def selection_options(command: F) -> F:
    """--role, --member, --paths, --tag, --budget, for `fos context` and `fos session
    start`: the keyword arguments role, member, paths, tags and budget that
    `build_context` and `start_session` take."""
    options = [
        click.option(
            "--role",
            envvar="FOS_ROLE",
            metavar="ROLE",
            help="Show what binds this role (default: $FOS_ROLE; none: every role).",
        ),
        click.option(
            "--member",
            metavar="MEMBER",
            help="A member id or email from team.yaml; stands for the member's roles.",
        ),
        click.option(
            "--paths",
            "paths",
            multiple=True,
            metavar="GLOB",
            help="A path or gitignore-style glob the work will touch, relative to the "
            "factory root (repeatable; none: every path).",
        ),
        click.option(
            "--tag",
            "tags",
            multiple=True,
            metavar="TAG",
            help="Also show knowledge notes with this tag (repeatable).",
        ),
        click.option(
            "--budget",
            type=click.IntRange(min=1),
            metavar="TOKENS",
            help="Token budget (default: context.budget_tokens in factory.yaml). "
            "Tokens are estimated as characters / 4.",
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command
