"""The paths vocabulary, said once in factory_os/paths.py."""

from __future__ import annotations

import ast

import pytest

from factory_os.paths import is_append_only, is_segment
from tests.test_layers import PACKAGE


@pytest.mark.parametrize(
    ("path", "append_only"),
    [
        (".factory/rules/R-abc123.yaml", True),
        (".factory/incidents/INC-abc123.md", True),
        (".factory/digests/S-abc123.md", True),
        (".factory/rules/R-abc123.yml", False),
        (".factory/rules/sub/R-abc123.yaml", False),
        (".factory/knowledge/note.md", False),
        ("src/.factory/rules/R-abc123.yaml", False),
    ],
)
def test_append_only_files(path: str, append_only: bool) -> None:
    assert is_append_only(path) is append_only


@pytest.mark.parametrize(
    ("path", "segment"),
    [
        (".factory/ledger/0123abcd.jsonl", True),
        (".factory/ledger/sub/0123abcd.jsonl", False),
        (".factory/ledger/0123abcd.json", False),
        (".factory/ledger.jsonl", False),
    ],
)
def test_segments(path: str, segment: bool) -> None:
    assert is_segment(path) is segment


def test_no_module_but_paths_spells_a_factory_path() -> None:
    spelled = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.name == "paths.py" and path.parent == PACKAGE:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            value = node.value if isinstance(node, ast.Constant) else None
            if isinstance(value, str) and (value == ".factory" or value.startswith(".factory/")):
                spelled.append(f"{path.relative_to(PACKAGE.parent)}:{node.lineno}")
    assert not spelled, "\n".join(spelled)
