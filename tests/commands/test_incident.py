from __future__ import annotations

import hashlib
import json
from pathlib import Path

from factory_os.ledger import events as ledger
from tests.helpers import commit_all, fos, git, snapshot
from tests.ledger_helpers import make_factory


def test_add_writes_the_incident_and_records_it(repo: Path) -> None:
    factory = make_factory(repo)
    result = fos(
        repo,
        "incident",
        "add",
        "--title",
        "Builder deployed to prod",
        "--severity",
        "high",
        "--summary",
        "A deploy skipped review.",
        "--actor",
        "test@example.com",
    )
    assert result.code == 0, result.output
    incident_id = result.out.strip()
    assert incident_id.startswith("INC-")
    path = repo / ".factory" / "incidents" / f"{incident_id}.md"
    text = path.read_text()
    assert text.startswith("---\n# yaml-language-server: $schema=../schemas/incident.schema.json\n")
    assert f"id: {incident_id}\n" in text and "severity: high\n" in text
    assert "created_by: test\n" in text  # the member id, whatever the claim spelled
    for section in ("## What happened", "## Impact", "## Root cause", "## Resulting rules"):
        assert section in text
    (entry,) = ledger.entries(factory)
    assert (entry.kind, entry.subject, entry.actor) == (
        "incident.recorded",
        incident_id,
        "test",
    )
    assert entry.refs == (
        ledger.Ref(
            f".factory/incidents/{incident_id}.md", hashlib.sha256(path.read_bytes()).hexdigest()
        ),
    )
    assert fos(repo, "verify").code == 0


def test_body_file_becomes_the_narrative(repo: Path) -> None:
    make_factory(repo)
    (repo / "plain.md").write_text("The deploy ran at 3am.\n")
    (repo / "full.md").write_text("## What happened\n\nAll of it.\n\n## Impact\n\nNone.\n")
    first = fos(
        repo, "incident", "add", "--title", "a", "--severity", "low", "--body-file", "plain.md"
    )
    second = fos(
        repo, "incident", "add", "--title", "b", "--severity", "low", "--body-file", "full.md"
    )
    plain = (repo / ".factory" / "incidents" / f"{first.out.strip()}.md").read_text()
    full = (repo / ".factory" / "incidents" / f"{second.out.strip()}.md").read_text()
    assert "## What happened\n\nThe deploy ran at 3am.\n\n## Impact\n" in plain
    assert full.endswith("---\n\n## What happened\n\nAll of it.\n\n## Impact\n\nNone.\n")


def test_invalid_input_writes_nothing(repo: Path) -> None:
    make_factory(repo)
    (repo / "binary.md").write_bytes(b"\x00\x01")
    before = snapshot(repo)
    empty = fos(repo, "incident", "add", "--title", " ", "--severity", "low")
    assert empty.code == 3 and "<options>: --title" in empty.err
    binary = fos(
        repo, "incident", "add", "--title", "t", "--severity", "low", "--body-file", "binary.md"
    )
    assert binary.code == 3 and "binary.md:1: binary content" in binary.err
    assert fos(repo, "incident", "add", "--title", "t", "--severity", "huge").code == 2
    assert snapshot(repo) == before


def test_a_missing_body_file_is_named_without_a_line(repo: Path) -> None:
    make_factory(repo)
    result = fos(
        repo, "incident", "add", "--title", "t", "--severity", "low", "--body-file", "gone.md"
    )
    assert result.code == 3
    assert result.err == f"{repo / 'gone.md'}: file not found\n"


def test_list_and_show(repo: Path) -> None:
    make_factory(repo)
    ids = [
        fos(repo, "incident", "add", "--title", f"Incident {n}", "--severity", "medium").out.strip()
        for n in range(2)
    ]
    listed = fos(repo, "incident", "list")
    assert sorted(line.split()[0] for line in listed.out.splitlines()) == sorted(ids)
    data = json.loads(fos(repo, "incident", "list", "--format", "json").out)
    assert {i["id"] for i in data["incidents"]} == set(ids)
    assert set(data["incidents"][0]) >= {
        "id",
        "title",
        "severity",
        "summary",
        "created_at",
        "created_by",
        "path",
    }
    shown = fos(repo, "incident", "show", ids[0])
    assert shown.code == 0 and f"id: {ids[0]}" in shown.out
    assert json.loads(fos(repo, "incident", "show", ids[0], "--format", "json").out)["id"] == ids[0]
    missing = fos(repo, "incident", "show", "INC-000000")
    assert missing.code == 3 and "no incident INC-000000" in missing.err


def test_a_broken_incident_file_is_reported_with_its_line(repo: Path) -> None:
    make_factory(repo)
    (repo / ".factory" / "incidents" / "INC-abcdef.md").write_text(
        "---\nid: INC-abcdef\ntitle: t\nseverity: extreme\n---\n"
    )
    result = fos(repo, "incident", "list")
    assert result.code == 3 and ".factory/incidents/INC-abcdef.md:4: severity:" in result.err


def test_another_branchs_uncommitted_segment_left_out_is_said_on_stderr(repo: Path) -> None:
    factory = make_factory(repo)
    ledger.append(factory, kind="test.event", actor="test")
    commit_all(repo, "ledger")
    git(repo, "checkout", "-q", "-b", "side")
    ledger.append(factory, kind="test.side", actor="test")  # never committed
    git(repo, "checkout", "-q", "main")
    args = ("incident", "add", "--title", "T", "--severity", "low")
    result = fos(repo, *args)
    assert result.code == 0, result.output
    [side] = ledger.left_out(factory)
    assert result.out.startswith("INC-") and "warning" not in result.out
    assert result.err == (
        f"fos: warning: {side}: another branch's uncommitted ledger segment, left out of"
        " this entry's parents (commit it on its branch, or move it away)\n"
    )
    git(repo, "checkout", "-q", "side")
    assert "warning" not in fos(repo, *args).err
