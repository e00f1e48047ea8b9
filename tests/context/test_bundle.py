from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from factory_os.context.bundle import manifest_hash
from factory_os.ledger import canonical
from tests.documents import add_decision, write_digest, write_note, write_rule
from tests.helpers import fos


def context(repo: Path, *args: str) -> dict[str, Any]:
    result = fos(repo, "context", "--format", "json", *args)
    assert result.code == 0, result.output
    data: dict[str, Any] = json.loads(result.out)
    return data


def ids(data: dict[str, Any], kind: str | None = None) -> list[str]:
    return [i["id"] for i in data["items"] if kind is None or i["kind"] == kind]


def test_sections_come_in_order_and_open_items_is_present(factory_repo: Path) -> None:
    write_note(factory_repo, "how-we-test")
    write_digest(factory_repo, "S-0000000a000001")
    text = fos(factory_repo, "context").out
    headings = [line for line in text.splitlines() if line.startswith("## ")]
    assert headings == [
        "## Architecture decisions (DNA)",
        "## Rules that bind you",
        "## Open items",
        "## Knowledge",
        "## Latest session digests",
    ]
    assert context(factory_repo)["open_items"] == []


def test_same_files_give_the_same_bytes(
    factory_repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_note(factory_repo, "a-note", paths=("src/**",))
    write_digest(factory_repo, "S-0000000a000001")
    first = fos(factory_repo, "context", "--format", "json").out
    second = fos(factory_repo, "context", "--format", "json").out  # from the cache
    monkeypatch.setenv("FOS_NO_CACHE", "1")
    uncached = fos(factory_repo, "context", "--format", "json").out
    assert first == second == uncached
    assert fos(factory_repo, "context").out == fos(factory_repo, "context").out


def test_manifest_names_each_item_with_the_digest_of_its_text(factory_repo: Path) -> None:
    data = context(factory_repo)
    manifest = data["manifest"]
    assert [(m["id"], m["kind"]) for m in manifest["items"]] == [
        (i["id"], i["kind"]) for i in data["items"]
    ]
    for entry, item in zip(manifest["items"], data["items"], strict=True):
        assert entry["digest"] == hashlib.sha256(item["text"].encode()).hexdigest()
        assert item["text"] in data["text"]
    ordered = sorted(manifest["items"], key=lambda i: (i["kind"], i["id"]))
    # the ledger's canonical JSON, written out: sorted keys, no spaces, UTF-8
    text = json.dumps(ordered, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert manifest["hash"] == hashlib.sha256(text.encode()).hexdigest()
    assert manifest["hash"] == manifest_hash(manifest["items"])


def test_the_manifest_hash_is_over_the_ledgers_canonical_json() -> None:
    items = [
        {"id": "K-é", "kind": "knowledge", "digest": "0" * 64},
        {"id": "D-1", "kind": "dna", "digest": "1" * 64},
    ]
    ordered = [items[1], items[0]]
    assert manifest_hash(items) == hashlib.sha256(canonical.dumps(ordered)).hexdigest()


def test_manifest_hash_changes_when_an_item_changes(factory_repo: Path) -> None:
    before = context(factory_repo)["manifest"]["hash"]
    write_rule(factory_repo, "R-aaaaaa", statement="Keep the tests green.")
    assert context(factory_repo)["manifest"]["hash"] != before


def test_rules_bind_by_role(factory_repo: Path) -> None:
    write_rule(factory_repo, "R-b00001", roles=("builder",))
    write_rule(factory_repo, "R-b00002", roles=("quality",))
    write_rule(factory_repo, "R-b00003")
    builder = ids(context(factory_repo, "--role", "builder"), "rule")
    quality = ids(context(factory_repo, "--role", "quality"), "rule")
    assert "R-b00001" in builder and "R-b00002" not in builder and "R-b00003" in builder
    assert "R-b00002" in quality and "R-b00001" not in quality and "R-b00003" in quality
    assert "R-core-ceo-never-writes-code" not in builder
    everyone = ids(context(factory_repo), "rule")
    assert {"R-b00001", "R-b00002", "R-b00003"} <= set(everyone)


def test_rules_bind_by_path_with_gitignore_globs(factory_repo: Path) -> None:
    write_rule(factory_repo, "R-c00001", paths=("src/api/**",))
    write_rule(factory_repo, "R-c00002", paths=("docs/*.md",))
    write_rule(factory_repo, "R-c00003", paths=("*.py",), exclude=("tests/",))
    write_rule(factory_repo, "R-c00004")

    def rules(*paths: str) -> set[str]:
        args = [arg for p in paths for arg in ("--paths", p)]
        return set(ids(context(factory_repo, *args), "rule")) & {
            "R-c00001",
            "R-c00002",
            "R-c00003",
            "R-c00004",
        }

    assert rules("src/api/users.py") == {"R-c00001", "R-c00003", "R-c00004"}
    assert rules("src/**") == {"R-c00001", "R-c00003", "R-c00004"}
    assert rules("src/api/") == {"R-c00001", "R-c00003", "R-c00004"}
    assert rules("src/db/**") == {"R-c00003", "R-c00004"}
    assert rules("docs/**") == {"R-c00002", "R-c00003", "R-c00004"}  # docs/ may hold .py
    assert rules("docs/*.md") == {"R-c00002", "R-c00004"}
    assert rules("lib/*.go") == {"R-c00004"}
    assert rules("docs/guide.md") == {"R-c00002", "R-c00004"}
    assert rules("tests/test_x.py") == {"R-c00004"}  # excluded by the rule's scope
    assert rules("lib/x.go") == {"R-c00004"}
    assert rules("lib/x.go", "docs/a.md") == {"R-c00002", "R-c00004"}
    assert rules(str(factory_repo / "src" / "api" / "users.py")) == rules("src/api/users.py")


def test_blocking_rules_come_first(factory_repo: Path) -> None:
    write_rule(factory_repo, "R-d00001", severity="info")
    write_rule(factory_repo, "R-d00002", severity="warn")
    write_rule(factory_repo, "R-d00003", severity="block")
    rules = [r for r in ids(context(factory_repo), "rule") if r.startswith("R-d")]
    assert rules == ["R-d00003", "R-d00002", "R-d00001"]


def test_only_active_rules_and_accepted_decisions(factory_repo: Path) -> None:
    write_rule(factory_repo, "R-e00001", status="retired")
    write_rule(factory_repo, "R-e00002", status="active")
    add_decision(factory_repo, "D-e00001", "Accepted one")
    add_decision(factory_repo, "D-e00002", "Proposed one", status="proposed")
    add_decision(factory_repo, "D-e00003", "Old one", status="superseded by D-e00001")
    data = context(factory_repo)
    assert "R-e00001" not in ids(data) and "R-e00002" in ids(data)
    assert ids(data, "decision") == ["D-000000", "D-e00001"]


def test_knowledge_matches_by_paths_or_tags(factory_repo: Path) -> None:
    write_note(factory_repo, "api-notes", paths=("src/api/**",))
    write_note(factory_repo, "db-notes", paths=("src/db/**",))
    write_note(factory_repo, "for-builders", tags=("builder",))
    write_note(factory_repo, "testing", tags=("testing",))
    write_note(factory_repo, "general")
    assert ids(context(factory_repo, "--paths", "src/api/x.py"), "knowledge") == [
        "api-notes",
        "for-builders",
        "general",
        "testing",
    ]
    assert ids(context(factory_repo, "--role", "builder", "--paths", "src/db/"), "knowledge") == [
        "db-notes",
        "for-builders",
        "general",
    ]
    assert ids(context(factory_repo, "--role", "quality", "--tag", "testing"), "knowledge") == [
        "api-notes",
        "db-notes",
        "general",
        "testing",
    ]


def test_member_stands_for_its_roles(factory_repo: Path) -> None:
    team = factory_repo / ".factory" / "team.yaml"
    team.write_text(
        team.read_text() + "  - id: bob\n    name: Bob\n    kind: agent\n    roles: [builder]\n"
        "    emails: [bob@example.com]\n"
    )
    write_rule(factory_repo, "R-f00001", roles=("builder",))
    write_rule(factory_repo, "R-f00002", roles=("ceo",))
    for who in ("bob", "BOB@example.com"):
        data = context(factory_repo, "--member", who)
        assert data["member"] == "bob" and data["roles"] == ["builder"]
        assert "R-f00001" in ids(data) and "R-f00002" not in ids(data)
    result = fos(factory_repo, "context", "--member", "carol")
    assert result.code == 2 and "no member 'carol'" in result.err
    result = fos(factory_repo, "context", "--member", "bob", "--role", "ceo")
    assert result.code == 2 and "does not hold role ceo" in result.err
    result = fos(factory_repo, "context", "--role", "nobody")
    assert result.code == 2 and "unknown role 'nobody'" in result.err


def _big_factory(repo: Path) -> None:
    for n in range(40):
        write_rule(repo, f"R-{n:06x}", statement="Do the thing properly. " * (n % 5 + 1))
        write_note(repo, f"note-{n:02d}", body="Some knowledge. " * (n * 3 + 1))
    for n in range(5):
        write_digest(repo, f"S-0000000a{n:06x}")


@pytest.mark.parametrize("budget", [100, 250, 1000, 4000])
def test_budget_is_never_exceeded_and_the_rest_is_listed(factory_repo: Path, budget: int) -> None:
    _big_factory(factory_repo)
    everything = context(factory_repo, "--budget", "1000000")
    assert everything["omitted"] == []
    data = context(factory_repo, "--budget", str(budget))
    assert data["tokens"] <= budget
    assert len(data["text"]) <= budget * 4
    shown = ids(data)
    left = [o["id"] for o in data["omitted"]]
    assert sorted(shown + left) == sorted(ids(everything))
    assert not set(shown) & set(left)
    if left:
        assert "## Not included (over the budget)" in data["text"]
        assert left[0] in data["text"]
    markdown = fos(factory_repo, "context", "--budget", str(budget)).out
    assert markdown == data["text"]


def test_a_larger_budget_shows_more(factory_repo: Path) -> None:
    _big_factory(factory_repo)
    counts = [len(ids(context(factory_repo, "--budget", str(b)))) for b in (200, 800, 3000)]
    assert counts[0] < counts[1] < counts[2]


def test_too_small_a_budget_is_a_usage_error(factory_repo: Path) -> None:
    result = fos(factory_repo, "context", "--budget", "20")
    assert result.code == 2 and "too small" in result.err


def test_latest_digests_only_and_without_reading_the_others(factory_repo: Path) -> None:
    for n in range(1, 6):
        write_digest(factory_repo, f"S-0000000{n}aaaaaa")
    # an old digest that would fail to parse: reading it would exit 3
    (factory_repo / ".factory" / "digests" / "S-00000000bbbbbb.md").write_text("not a digest")
    data = context(factory_repo)
    assert ids(data, "digest") == ["S-00000005aaaaaa", "S-00000004aaaaaa", "S-00000003aaaaaa"]
    config = factory_repo / ".factory" / "factory.yaml"
    config.write_text(config.read_text().replace("digests: 3", "digests: 1"))
    assert ids(context(factory_repo), "digest") == ["S-00000005aaaaaa"]


def test_claude_format_is_the_session_start_hook_answer(factory_repo: Path) -> None:
    result = fos(factory_repo, "context", "--format", "claude", "--role", "builder")
    assert result.code == 0
    answer = json.loads(result.out)
    assert list(answer) == ["hookSpecificOutput"]
    assert answer["hookSpecificOutput"]["hookEventName"] == "SessionStart"
    assert (
        answer["hookSpecificOutput"]["additionalContext"]
        == context(factory_repo, "--role", "builder")["text"]
    )


def test_an_edit_is_seen_even_within_the_same_second(factory_repo: Path) -> None:
    path = write_rule(factory_repo, "R-aaaaaa", statement="Say hello.")
    assert "Say hello." in fos(factory_repo, "context").out
    write_rule(factory_repo, "R-aaaaaa", statement="Say adieu.")  # same size
    out = fos(factory_repo, "context").out
    assert "Say adieu." in out and "Say hello." not in out
    path.unlink()
    assert "R-aaaaaa" not in fos(factory_repo, "context").out


def test_an_invalid_document_is_reported_with_its_line(factory_repo: Path) -> None:
    path = write_rule(factory_repo, "R-aaaaaa")
    path.write_text(path.read_text().replace("severity: block", "severity: loud"))
    result = fos(factory_repo, "context")
    assert result.code == 3
    assert result.err.startswith(".factory/rules/R-aaaaaa.yaml:5: severity")


def test_outside_a_factory_is_an_environment_problem(repo: Path) -> None:
    result = fos(repo, "context")
    assert result.code == 4 and "fos init" in result.err


def test_a_corrupt_or_foreign_cache_only_costs_time(factory_repo: Path) -> None:
    expected = fos(factory_repo, "context").out
    cache = factory_repo / ".git" / "fos" / "document-cache.json"
    assert cache.is_file()
    for junk in ("{not json", '{"format": 99, "entries": {}}', "[]"):
        cache.write_text(junk)
        assert fos(factory_repo, "context").out == expected
    assert json.loads(cache.read_text())["format"] == 1


def test_rules_retired_or_superseded_in_the_ledger_leave_the_context(
    factory_repo: Path,
) -> None:
    before = ids(context(factory_repo), "rule")
    assert {"R-core-quality-only-reports", "R-core-builder-cannot-deploy"} <= set(before)
    result = fos(factory_repo, "rule", "retire", "R-core-quality-only-reports", "--reason", "x")
    assert result.code == 0, result.output
    result = fos(
        factory_repo, "rule", "supersede", "R-core-builder-cannot-deploy",
        "--by", "R-core-devops-no-business-logic",
    )  # fmt: skip
    assert result.code == 0, result.output
    after = ids(context(factory_repo), "rule")
    assert "R-core-quality-only-reports" not in after
    assert "R-core-builder-cannot-deploy" not in after
    assert "R-core-devops-no-business-logic" in after
