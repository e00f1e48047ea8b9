"""`fos validate`: the face of `memory.validation`."""

from __future__ import annotations

import json

import click

from factory_os import store
from factory_os.commands.options import Env, emit, format_option
from factory_os.memory.validation import Validation, validate_factory


def render(report: Validation, output_format: str) -> str:
    if output_format == "json":
        body = {
            "ok": not report.problems,
            "files": report.files,
            "problems": [p._asdict() for p in report.problems],
        }
        return json.dumps(body, indent=2) + "\n"
    lines = [str(p) for p in report.problems]
    count = len(report.problems)
    lines.append(
        f"{count} problem{'s' if count != 1 else ''} in {report.files} files"
        if count
        else f"ok: {report.files} files valid"
    )
    return "\n".join(lines) + "\n"


@click.command("validate")
@format_option("text", "json")
@click.pass_obj
def cli(env: Env, output_format: str) -> int:
    """Check every file under .factory/ against its schema and against each other.

    Each problem is printed as `path:line: message`, all of them in one run;
    exit 3 when there is any. Nothing under .factory/ is written; the last
    result is kept under .git/fos/ and given again while no file there changed.
    """
    report = validate_factory(store.find_factory(env.cwd))
    emit(render(report, output_format))
    return report.exit_code
