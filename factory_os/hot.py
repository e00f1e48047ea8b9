"""The hook fast path: invocations the git hooks make on every commit.

Whatever is handled here must not import click, pydantic, jsonschema, ruamel or
gitpython (DESIGN section 7): `fos check` with its plain options, and
`fos hook-impl`, which the installed hook shims call. `try_run` returns None for
anything it does not handle (help, a typo, an unknown option), and the full CLI
takes over, with its usage messages.
"""

from __future__ import annotations

import os
import sys

CHECK_VALUE_OPTIONS = {"--message-file", "--format", "--commit", "--range", "--stage"}
CHECK_FLAGS = {"--staged", "--all"}
FORMATS = ("text", "json", "sarif", "github")


def try_run(args: list[str]) -> int | None:
    cwd, debug, rest = _root_options(args)
    if cwd is None or not rest:
        return None
    if rest[0] == "hook-impl":
        from factory_os.integrations import hookimpl

        return _guarded(lambda: hookimpl.main(cwd, rest[1:]), debug)
    if rest[0] == "check":
        options = _check_options(rest[1:])
        if options is None:
            return None
        return _guarded(lambda: _check(cwd, options), debug)
    return None


def exit_now(code: int) -> None:
    """End the process now, with CODE, once the fast path has written what it writes
    and waited for what it started: tearing down the interpreter (every module and
    object, one by one) would cost each commit milliseconds for nothing. Only for the
    process's own command line, never for a caller of `main`."""
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except BrokenPipeError:
        pass  # no one reads what is left, as in `fos check | head -1`
    os._exit(code)


def _root_options(args: list[str]) -> tuple[str | None, bool, list[str]]:
    # paths as strings: pathlib costs the hook milliseconds to import
    cwd = os.getcwd()
    debug = False
    index = 0
    while index < len(args):
        if args[index] == "-C" and index + 1 < len(args):
            cwd = os.path.realpath(os.path.join(cwd, args[index + 1]))
            index += 2
        elif args[index].startswith("-C") and len(args[index]) > 2:
            cwd = os.path.realpath(os.path.join(cwd, args[index][2:]))
            index += 1
        elif args[index] == "--debug":
            debug = True
            index += 1
        elif args[index].startswith("-"):
            return None, debug, []
        else:
            break
    return cwd, debug, args[index:]


def _check_options(args: list[str]) -> dict[str, str | bool] | None:
    options: dict[str, str | bool] = {}
    index = 0
    while index < len(args):
        name, eq, value = args[index].partition("=")
        if name in CHECK_FLAGS and not eq:
            options[name] = True
            index += 1
        elif name in CHECK_VALUE_OPTIONS:
            if not eq:
                if index + 1 >= len(args):
                    return None
                value = args[index + 1]
                index += 1
            index += 1
            if name in options:
                return None
            options[name] = value
        else:
            return None
    if options.get("--format", "text") not in FORMATS:
        return None
    return options


def _check(cwd: str, options: dict[str, str | bool]) -> int:
    from factory_os.integrations.checks import seam
    from factory_os.rules.render import render
    from factory_os.rules.run import run_check

    def text(name: str) -> str | None:
        value = options.get(name)
        return value if isinstance(value, str) else None

    message = text("--message-file")
    report = run_check(
        cwd,
        staged=bool(options.get("--staged")),
        message_file=None if message is None else os.path.join(cwd, message),
        commit=text("--commit"),
        revision_range=text("--range"),
        all_files=bool(options.get("--all")),
        stage=text("--stage"),
        seam=seam(),
    )
    sys.stdout.write(render(report, text("--format") or "text", summary=True))
    sys.stdout.flush()
    return report.exit_code


def _guarded(action: object, debug: bool) -> int:
    """The error boundary of the fast path, as in the CLI: one line, never a traceback."""
    from factory_os.errors import EXIT_FINDINGS, FosError, InvalidInput

    try:
        return int(action())  # type: ignore[operator]
    except InvalidInput as exc:
        for problem in exc.problems:
            print(str(problem), file=sys.stderr)
        return exc.exit_code
    except FosError as exc:
        print(f"fos: {exc}", file=sys.stderr)
        return exc.exit_code
    except BrokenPipeError:
        return 0
    except Exception as exc:
        if debug:
            raise
        print(
            f"fos: unexpected error: {type(exc).__name__}: {exc}"
            " (run again with --debug for the traceback)",
            file=sys.stderr,
        )
        return EXIT_FINDINGS
