"""The hook fast path: invocations the git hooks make on every commit.

Whatever is handled here must not import click, pydantic, jsonschema or
gitpython (DESIGN section 7). `try_run` returns None for anything it does not
handle, and the full CLI takes over.
"""

from __future__ import annotations


def try_run(args: list[str]) -> int | None:
    return None
