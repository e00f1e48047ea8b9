"""Pydantic models of every file kind under `.factory/` (DESIGN section 3), one module
per document kind, and the vocabularies they share.

`SCHEMAS` (schema name -> model) lives in `registry` and is imported on first use:
importing one model, or a vocabulary such as `model.gates`, must not build them all.
"""

from __future__ import annotations

from typing import Any


def __getattr__(name: str) -> Any:
    if name == "SCHEMAS":
        from factory_os.model.registry import SCHEMAS

        return SCHEMAS
    raise AttributeError(name)
