"""The project builds: every path the wheel must carry exists in the source tree."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_every_forced_include_of_the_wheel_exists() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    includes = pyproject["tool"]["hatch"]["build"]["targets"]["wheel"]["force-include"]
    missing = [source for source in includes if not (ROOT / source).exists()]
    assert missing == [], f"hatchling refuses to build without {missing}"
