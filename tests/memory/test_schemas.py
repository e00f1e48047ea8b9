"""The JSON Schemas editors use must agree with the models `fos validate` uses."""

from __future__ import annotations

import json
import shutil
from datetime import date, datetime
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from ruamel.yaml import YAML

from factory_os.memory.packs import pack_files
from factory_os.memory.schemas import render_schemas
from tests import run_helpers
from tests.helpers import fos, write_tree

ROOT = Path(__file__).resolve().parents[2]
INCIDENT = (
    "---\nid: INC-abc123\ntitle: T\nseverity: low\n"
    "created_at: 2026-01-02T03:04:05Z\ncreated_by: a@example.com\n---\nbody\n"
)


def as_json(value: Any) -> Any:
    """VALUE as an editor sees it: YAML timestamps are strings in JSON."""
    if isinstance(value, dict):
        return {key: as_json(item) for key, item in value.items()}
    if isinstance(value, list):
        return [as_json(item) for item in value]
    if isinstance(value, datetime | date):
        return value.isoformat().replace("+00:00", "Z")
    return value


def schema_errors(schema_path: Path, document: Any) -> list[str]:
    schema = json.loads(schema_path.read_text(encoding="utf-8"))
    validator = jsonschema.Draft202012Validator(schema)
    return [error.message for error in validator.iter_errors(as_json(document))]


def test_committed_schemas_match_the_models() -> None:
    result = fos(ROOT, "schemas", "--check")
    assert result.code == 0, result.output
    committed = (ROOT / "schemas").rglob("*.json")
    names = sorted(p.relative_to(ROOT / "schemas").as_posix() for p in committed)
    assert names == sorted(render_schemas())


def test_schemas_check_fails_on_drift_and_writing_repairs_it(tmp_path: Path) -> None:
    copy = tmp_path / "schemas"
    shutil.copytree(ROOT / "schemas", copy)
    rule = copy / "rule.schema.json"
    rule.write_text(rule.read_text().replace('"title"', '"titel"', 1))
    (copy / "team.schema.json").unlink()
    result = fos(tmp_path, "schemas", "--check")
    assert result.code == 1
    assert "rule.schema.json: stale" in result.out
    assert "team.schema.json: stale" in result.out
    assert rule.read_text() != render_schemas()["rule.schema.json"], "--check wrote"
    assert fos(tmp_path, "schemas").code == 0
    assert fos(tmp_path, "schemas", "--check").code == 0


def test_schemas_check_reports_unreadable_schema_files_as_stale(tmp_path: Path) -> None:
    copy = tmp_path / "schemas"
    shutil.copytree(ROOT / "schemas", copy)
    (copy / "rule.schema.json").write_bytes(b"\xff\xfe{}")
    (copy / "team.schema.json").unlink()
    (copy / "team.schema.json").mkdir()
    result = fos(tmp_path, "schemas", "--check")
    assert result.code == 1, result.output
    assert "Traceback" not in result.output
    assert sorted(line.split(": ")[0].rsplit("/", 1)[1] for line in result.out.splitlines()) == [
        "rule.schema.json",
        "team.schema.json",
    ]


def test_every_schema_is_a_valid_draft_2020_12_schema() -> None:
    for name, text in render_schemas().items():
        schema = json.loads(text)
        assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema", name
        jsonschema.Draft202012Validator.check_schema(schema)


def test_the_schemas_accept_the_files_init_writes(repo: Path) -> None:
    assert fos(repo, "init").code == 0
    factory = repo / ".factory"
    yaml = YAML(typ="safe")
    checked = 0
    for path in sorted(factory.rglob("*.yaml")):
        ref = path.read_text(encoding="utf-8").splitlines()[0].split("$schema=")[1]
        errors = schema_errors(path.parent / ref, yaml.load(path))
        assert errors == [], f"{path.relative_to(repo)}: {errors}"
        checked += 1
    assert checked == 5 + len(pack_files("core"))  # the config files and the core rules


KNOWLEDGE = "---\ntitle: How we deploy\ntags: [deploy]\nreview_by: 2026-06-30\n---\nBody.\n"
DIGEST = (
    "---\nsession: S-abc123\nactor: a@example.com\nstarted_at: 2026-01-02T03:04:05Z\n"
    f"ended_at: 2026-01-02T04:04:05+01:00\nmanifest_hash: {'ab' * 32}\n---\n## Done\n"
)


@pytest.mark.parametrize(
    ("rel", "text", "schema"),
    [
        ("incidents/INC-abc123.md", INCIDENT, "incident"),
        ("knowledge/deploying.md", KNOWLEDGE, "knowledge"),
        ("digests/S-abc123.md", DIGEST, "digest"),
    ],
)
def test_the_schemas_accept_valid_front_matter(
    factory_repo: Path, rel: str, text: str, schema: str
) -> None:
    write_tree(factory_repo / ".factory", {rel: text})
    result = fos(factory_repo, "validate")
    assert result.code == 0, result.output
    front = YAML(typ="safe").load(text.split("---\n")[1])
    assert schema_errors(factory_repo / f".factory/schemas/{schema}.schema.json", front) == []


def test_the_rule_draft_schema_accepts_a_pack_rule_without_its_record_fields() -> None:
    rule = YAML(typ="safe").load(
        (ROOT / "rules/core/R-core-architecture-needs-ceo-approval.yaml").read_text()
    )
    draft = {k: v for k, v in rule.items() if k not in ("id", "origin", "created_at", "created_by")}
    assert schema_errors(ROOT / "schemas/rule-draft.schema.json", draft) == []
    assert schema_errors(ROOT / "schemas/rule-draft.schema.json", rule) != []


@pytest.mark.parametrize(
    "settings",
    [
        "governance: {escalation_sla_minutes: 45}",
        "governance: {escalation_sla_minutes: '45'}",
        "governance: {escalation_sla_minutes: 45.0}",
        "governance: {escalation_sla_minutes: true}",
        "governance: {escalation_sla_minutes: 45.5}",
        "identity: {require_signed_commits: yes}",
        "identity: {require_signed_commits: 1}",
        "identity: {require_signed_commits: false}",
        "schema_version: true",
        "schema_version: 1.0",
        "context: {budget_tokens: 100}",
        "context: {digests: '3'}",
        "hooks: {stages: [ci]}",
        "hooks: {stages: [deploy]}",
    ],
)
def test_editors_and_validate_agree_on_factory_settings(factory_repo: Path, settings: str) -> None:
    text = f"name: f\n{settings}\n"
    write_tree(factory_repo / ".factory", {"factory.yaml": text})
    rejected_by_fos = fos(factory_repo, "validate").code == 3
    rejected_by_schema = bool(
        schema_errors(ROOT / "schemas" / "factory.schema.json", YAML(typ="safe").load(text))
    )
    assert rejected_by_fos == rejected_by_schema


@pytest.mark.parametrize(
    ("schema", "document"),
    [
        ("factory", {"name": "f", "colour": "red"}),
        ("factory", {"name": "f", "governance": {"escalation_sla_minutes": 0}}),
        ("team", {"members": []}),
        ("rule", {"id": "R-1", "title": "t", "statement": "s", "origin": "x",
                  "created_at": "2026-01-01T00:00:00Z", "created_by": "a"}),
        ("incident", {"id": "INC-abc123", "title": "t", "severity": "severe",
                      "created_at": "2026-01-01T00:00:00Z", "created_by": "a"}),
    ],
)  # fmt: skip
def test_the_schemas_reject_what_validate_rejects(schema: str, document: dict[str, Any]) -> None:
    assert schema_errors(ROOT / "schemas" / f"{schema}.schema.json", document) != []


@pytest.mark.parametrize(
    ("kind", "document"),
    [
        ("feature-request", run_helpers.FEATURE),
        ("plan", run_helpers.plan()),
        ("review", run_helpers.REVIEW),
        ("test-results", run_helpers.results_for(run_helpers.plan())),
        ("security-review", run_helpers.SECURITY),
        ("docs", run_helpers.DOCS),
    ],
)
def test_the_artifact_schemas_accept_valid_artifacts_and_reject_broken_ones(
    kind: str, document: dict[str, Any]
) -> None:
    schema = ROOT / "schemas" / "artifacts" / f"{kind}.schema.json"
    assert schema_errors(schema, document) == []
    assert schema_errors(schema, {**document, "unknown": 1}) != []
    first = next(iter(document))
    assert schema_errors(schema, {k: v for k, v in document.items() if k != first}) != []


def test_the_plan_schema_requires_acceptance_criteria() -> None:
    plan = run_helpers.plan(run_helpers.task("T1", acceptance_criteria=[]))
    assert schema_errors(ROOT / "schemas" / "artifacts" / "plan.schema.json", plan) != []
