"""`fos hooks install|uninstall|status`: the git hooks that run `fos check`."""

from __future__ import annotations

import json

import click

from factory_os.commands.options import Env, emit, format_option
from factory_os.errors import EXIT_OK
from factory_os.integrations import hooks


def _render(states: list[hooks.HookState], output_format: str) -> str:
    if output_format == "json":
        body = [
            {
                "hook": s.hook_type,
                "path": str(s.path),
                "state": s.state,
                "legacy": s.legacy,
                "python": s.python,
            }
            for s in states
        ]
        return json.dumps({"hooks": body}, indent=2) + "\n"
    lines = []
    for s in states:
        extra = " (runs the earlier hook, kept as .legacy)" if s.legacy else ""
        if s.state == "installed" and not s.python_ok:
            extra += f" (its python {s.python} is gone: install again)"
        lines.append(f"{s.hook_type:<11} {s.state:<10} {s.path}{extra}")
    return "\n".join(lines) + "\n"


@click.group("hooks")
def cli() -> None:
    """Install, remove or report the git hooks (pre-commit, commit-msg, pre-push).

    The hooks run `fos check` through the Python that installed them. A hook
    already in place is kept as <hook>.legacy and still runs first; with
    core.hooksPath set, the hooks go there. Client hooks can be skipped with
    `git commit --no-verify`: the pull-request check (`fos check --range`) and
    the server-side hooks/pre-receive are the real gate.

    The commit hooks check what a commit changes against HEAD; `git commit
    --amend` is checked against the commit it replaces, so an amend that takes
    over someone else's change (with --reset-author) is not seen at commit
    time: the push and pull-request checks see the amended commit whole.
    """


@cli.command("install")
@click.option(
    "--hook",
    "hook_types",
    multiple=True,
    type=click.Choice(hooks.HOOK_TYPES),
    help="Hook to install (repeatable; default: all three).",
)
@format_option("text", "json")
@click.pass_obj
def install(env: Env, hook_types: tuple[str, ...], output_format: str) -> int:
    """Write the hook shims, moving any foreign hook aside to <hook>.legacy."""
    emit(_render(hooks.install(env.cwd, list(hook_types)), output_format))
    return EXIT_OK


@cli.command("uninstall")
@format_option("text", "json")
@click.pass_obj
def uninstall(env: Env, output_format: str) -> int:
    """Remove the shims and put back the hooks that were there before."""
    emit(_render(hooks.uninstall(env.cwd), output_format))
    return EXIT_OK


@cli.command("status")
@format_option("text", "json")
@click.pass_obj
def status(env: Env, output_format: str) -> int:
    """Report each hook: installed (ours), foreign, or absent."""
    emit(_render(hooks.status(env.cwd), output_format))
    return EXIT_OK
