"""JSON Schemas of every file kind, generated from the models.

The committed `schemas/` folder and the copy `fos init` writes under
`.factory/schemas/` both come from `render_schemas`, so editors validate files
exactly as `fos validate` does.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from factory_os import atomic
from factory_os.model import SCHEMAS

DRAFT = "https://json-schema.org/draft/2020-12/schema"


def render_schemas() -> dict[str, str]:
    """File name -> JSON text, for every model."""
    return dict(_rendered())


@cache
def _rendered() -> tuple[tuple[str, str], ...]:
    # generating a JSON Schema is the slowest part of `fos init`; the models do not change
    out = []
    for name, model in SCHEMAS.items():
        schema = {"$schema": DRAFT, **model.model_json_schema(mode="validation")}
        out.append((f"{name}.schema.json", json.dumps(schema, indent=2, sort_keys=False) + "\n"))
    return tuple(out)


def write_schemas(directory: Path) -> list[Path]:
    """Write every schema into DIRECTORY; return the files that changed."""
    changed = []
    for name in stale_schemas(directory):
        path = directory / name
        atomic.write_atomic(path, render_schemas()[name])
        changed.append(path)
    return changed


def stale_schemas(directory: Path) -> list[str]:
    """Names of schemas in DIRECTORY that differ from the models (or are missing)."""
    return [
        name
        for name, text in render_schemas().items()
        if _current(directory / name) != text.encode("utf-8")
    ]


def _current(path: Path) -> bytes | None:
    """PATH's bytes, or None when it cannot be read (missing, a directory)."""
    try:
        return path.read_bytes()
    except OSError:
        return None
