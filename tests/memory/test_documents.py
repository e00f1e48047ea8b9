from __future__ import annotations

from pathlib import Path

import pytest

from factory_os import store
from factory_os.errors import InvalidInput
from factory_os.memory import documents
from factory_os.memory.packs import pack_files
from tests.helpers import write_tree

INCIDENT = (
    "---\nid: INC-abc123\ntitle: T\nseverity: low\n"
    "created_at: 2026-01-02T03:04:05Z\ncreated_by: a@example.com\n---\nWhat happened.\n"
)


def test_the_loaders_read_what_init_wrote(factory_repo: Path) -> None:
    factory = store.find_factory(factory_repo)
    assert documents.load_config(factory).name == "repo"
    assert [m.roles for m in documents.load_team(factory).members] == [["owner"]]
    assert "ceo" in documents.load_roles(factory).roles
    assert documents.load_raci(factory).accountable("build") == ["owner"]
    assert [d.status for d in documents.load_decisions(factory)] == ["accepted"]
    rules = documents.load_rules(factory)
    assert len(rules) == len(pack_files("core"))
    assert all(loaded.stem == loaded.value.id for loaded in rules)
    assert documents.load_incidents(factory) == []


def test_a_markdown_document_keeps_its_body_and_lines(factory_repo: Path) -> None:
    write_tree(factory_repo / ".factory", {"incidents/INC-abc123.md": INCIDENT})
    factory = store.find_factory(factory_repo)
    (incident,) = documents.load_incidents(factory)
    assert incident.value.id == "INC-abc123"
    assert incident.body == "What happened.\n"
    assert incident.rel == ".factory/incidents/INC-abc123.md"
    assert incident.line_of("severity") == 4


def test_a_loader_raises_with_path_and_line(factory_repo: Path) -> None:
    write_tree(factory_repo / ".factory", {"team.yaml": "members:\n  - id: a\n"})
    with pytest.raises(InvalidInput) as excinfo:
        documents.load_team(store.find_factory(factory_repo))
    assert [str(p) for p in excinfo.value.problems] == [
        f".factory/team.yaml:2: members.0.{key}: required key is missing"
        for key in ("emails", "kind", "name")  # roles: as the kind needs
    ]


def test_without_dna_there_are_no_decisions(factory_repo: Path) -> None:
    (factory_repo / ".factory" / "DNA.md").unlink()
    assert documents.load_decisions(store.find_factory(factory_repo)) == []
