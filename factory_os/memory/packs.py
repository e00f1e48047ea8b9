"""Built-in rule packs: the top-level `rules/<pack>/` folder of a source checkout,
or `factory_os/_data/rules/` in an installed wheel."""

from __future__ import annotations

from functools import cache
from pathlib import Path

_HERE = Path(__file__).resolve().parent.parent


def data_dir(name: str) -> Path:
    """A top-level data folder (`rules`, `hooks`, `schemas`), installed or from source."""
    installed = _HERE / "_data" / name
    return installed if installed.is_dir() else _HERE.parent / name


@cache
def available_packs() -> dict[str, Path]:
    root = data_dir("rules")
    if not root.is_dir():
        return {}
    return {p.name: p for p in sorted(root.iterdir()) if p.is_dir() and not p.name.startswith(".")}


def pack_files(name: str) -> list[Path]:
    return sorted(available_packs()[name].glob("*.yaml"))
