"""The `fos` command line: the root group and the one error boundary.

Each verb lives in `factory_os.commands.<module>` as a thin click command over a
plain function; they are imported only when invoked, so `fos --help` and a single
command stay fast.
"""

from __future__ import annotations

import difflib
import importlib
import sys
from pathlib import Path

import click

from factory_os import __version__
from factory_os.commands.options import Env
from factory_os.errors import EXIT_FINDINGS, EXIT_USAGE, FosError, InvalidInput

# command name -> module under factory_os.commands that defines `cli`
COMMANDS: dict[str, str] = {
    "init": "init",
    "agents": "agents",
    "validate": "validate",
    "schemas": "schemas",
    "incident": "incident",
    "rule": "rule",
    "verify": "verify",
    "ledger": "ledger",
    "check": "check",
    "hooks": "hooks",
    "guard": "guard",
    "context": "context",
    "session": "session",
    "dna": "dna",
    "knowledge": "knowledge",
    "drift": "drift",
    "export": "export",
    "mcp": "mcp",
    "spec": "spec",
    "signoff": "signoff",
    "escalate": "escalate",
    "override": "override",
    "sweep": "sweep",
    "run": "run",
    "handoff": "handoff",
    "approve": "approve",
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        module = COMMANDS.get(cmd_name)
        if module is None:
            return None
        command = importlib.import_module(f"factory_os.commands.{module}").cli
        assert isinstance(command, click.Command)
        return command

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        name = args[0]
        if name in COMMANDS or name.startswith("-") or ctx.resilient_parsing:
            return super().resolve_command(ctx, args)
        close = difflib.get_close_matches(name, COMMANDS, n=3)
        if not close:
            hint = " (`fos --help` lists the commands)"
        elif len(close) == 1:
            hint = f" Did you mean '{close[0]}'?"
        else:
            hint = f" Did you mean one of: {', '.join(repr(c) for c in close)}?"
        ctx.fail(f"No such command '{name}'.{hint}")


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "-C",
    "directory",
    type=click.Path(file_okay=False, path_type=Path),
    default=".",
    help="Run as if fos was started in DIR.",
)
@click.option("--debug", is_flag=True, help="Show the traceback of unexpected errors.")
@click.version_option(__version__, prog_name="fos")
@click.pass_context
def main_group(ctx: click.Context, directory: Path, debug: bool) -> None:
    """factory-os: the memory and the rules of a factory of agents and people.

    All state is plain files under .factory/ in your git repository. Exit codes:
    0 fine, 1 findings, 2 usage, 3 invalid input, 4 git or environment problem.
    """
    ctx.obj = Env(cwd=directory.resolve(), debug=debug)


def run(args: list[str]) -> int:
    debug = "--debug" in args
    try:
        result = main_group.main(args, prog_name="fos", standalone_mode=False)
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        return EXIT_USAGE
    except click.ClickException as exc:
        exc.show()
        return EXIT_USAGE
    except InvalidInput as exc:
        for problem in exc.problems:
            click.echo(str(problem), err=True)
        return exc.exit_code
    except FosError as exc:
        click.echo(f"fos: {exc}", err=True)
        return exc.exit_code
    except BrokenPipeError:
        sys.stderr.close()  # the reader went away (`fos ... | head`); nothing to report
        return 0
    except Exception as exc:
        if debug:
            raise
        lines = str(exc).strip().splitlines()
        detail = f": {lines[0]}" if lines else ""
        click.echo(
            f"fos: unexpected error: {type(exc).__name__}{detail}"
            " (run again with --debug for the traceback)",
            err=True,
        )
        return EXIT_FINDINGS
    return result if isinstance(result, int) else 0
