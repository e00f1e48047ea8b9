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
        "## Rules that bind you",
        "## Architecture decisions (DNA)",
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
        statement = "Do the thing properly. " * (n % 5 + 1)
        write_rule(repo, f"R-{n:06x}", statement=statement, severity="warn")
        write_note(repo, f"note-{n:02d}", body="Some knowledge. " * (n * 3 + 1))
    for n in range(5):
        write_digest(repo, f"S-0000000a{n:06x}")


@pytest.mark.parametrize("above", [0, 150, 600, 3600])
def test_budget_is_never_exceeded_and_the_rest_is_listed(factory_repo: Path, above: int) -> None:
    _big_factory(factory_repo)
    # from the least budget that holds the blocking rules up
    budget = int(_tokens_needed(factory_repo)) + above
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
    least = int(_tokens_needed(factory_repo))
    counts = [len(ids(context(factory_repo, "--budget", str(least + b)))) for b in (0, 600, 2600)]
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


def _binding_factory(repo: Path) -> None:
    """Blocking rules for several roles and paths, long enough that they need a budget
    of their own, next to decisions, warnings, notes and digests that would fit first."""
    long = "Keep the contract of this module exactly as the architecture describes it. "
    write_rule(repo, "R-b00001", statement=long * 2, roles=("builder",), paths=("src/**",))
    write_rule(repo, "R-b00002", statement=long * 3, paths=("src/**",))
    write_rule(repo, "R-b00003", statement=long, roles=("builder",))
    write_rule(repo, "R-b00004", statement=long * 4, roles=("ceo",), paths=("docs/**",))
    write_rule(repo, "R-b00005", statement=long, status="retired", paths=("src/**",))
    write_rule(repo, "R-b00006", statement=long, severity="warn", paths=("src/**",))
    for n in range(3):
        add_decision(repo, f"D-b0000{n}", f"Decision {n}", body="Why and how. " * 20)
        write_note(repo, f"note-b{n}", paths=("src/**",), body="Some knowledge. " * 20)
        write_digest(repo, f"S-0000000b00000{n}", body="## Done\n\n- " + "work " * 40 + "\n")


def _blocking_ids(everything: Any) -> set[str]:
    return {i.id for i in everything.items if i.kind == "rule" and i.binding}


@pytest.mark.parametrize(
    "selection",
    [
        {"role": "builder", "paths": ("src/app.py",)},
        {"role": "ceo", "paths": ()},
        {"role": None, "paths": ("docs/guide.md",)},
        {"role": None, "paths": ()},
    ],
    ids=["builder-src", "ceo", "docs", "everyone"],
)
def test_every_binding_blocking_rule_is_kept_under_every_budget(
    factory_repo: Path, selection: dict[str, Any]
) -> None:
    from factory_os import store
    from factory_os.context.bundle import BudgetTooSmall, build_context
    from factory_os.memory.catalog import Catalog

    _binding_factory(factory_repo)
    factory = store.find_factory(factory_repo)
    catalog = Catalog(factory)

    def build(budget: int) -> Any:
        return build_context(factory, budget=budget, catalog=catalog, **selection)

    everything = build(1_000_000)
    assert not everything.omitted
    blocking = _blocking_ids(everything)
    assert blocking  # the core pack's and this test's
    assert "R-b00005" not in blocking and "R-b00006" not in blocking
    minimum = next(b for b in range(1, everything.tokens + 1) if _frame_fits(build, b))
    outcomes = set()
    for budget in range(minimum, everything.tokens + 1):
        try:
            bundle = build(budget)
        except BudgetTooSmall as exc:
            outcomes.add("refused")
            assert f"not {budget};" in str(exc) and "none is left out" in str(exc)
            continue
        outcomes.add("shown")
        assert bundle.tokens <= budget
        shown = {i.id for i in bundle.items}
        assert blocking <= shown, f"budget {budget} dropped {blocking - shown}"
        assert not blocking & {i.id for i in bundle.omitted}
        # the manifest proves what was shown: each item's digest is that of text shown
        for item, entry in zip(bundle.items, bundle.manifest_items, strict=True):
            assert entry["digest"] == hashlib.sha256(item.text.encode()).hexdigest()
            assert item.text in bundle.text
        for item in bundle.omitted:
            assert item.text not in bundle.text
        assert bundle.manifest_hash == manifest_hash(bundle.manifest_items)
    catalog.close()
    # below some budget the blocking rules alone do not fit; from it on, they all show
    assert outcomes == {"refused", "shown"}


def _frame_fits(build: Any, budget: int) -> bool:
    """Whether BUDGET holds the bundle's frame (smaller ones are a usage error)."""
    from factory_os.context.bundle import BudgetTooSmall
    from factory_os.errors import UsageError

    try:
        build(budget)
    except UsageError:
        return False
    except BudgetTooSmall:
        pass
    return True


def test_blocking_rules_are_shown_before_any_decision_note_or_digest(factory_repo: Path) -> None:
    _binding_factory(factory_repo)
    everything = context(factory_repo, "--role", "builder", "--paths", "src/app.py")
    needed = _tokens_needed(factory_repo, "--role", "builder", "--paths", "src/app.py")
    data = context(factory_repo, "--role", "builder", "--paths", "src/app.py", "--budget", needed)
    assert {"R-b00001", "R-b00002", "R-b00003"} <= set(ids(data, "rule"))
    # at this budget something else had to give way, and it was not a blocking rule
    omitted = {o["kind"] for o in data["omitted"]}
    assert omitted and omitted <= {"rule", "decision", "knowledge", "digest"}
    assert {o["id"] for o in data["omitted"]}.isdisjoint({"R-b00001", "R-b00002", "R-b00003"})
    assert everything["omitted"] == []


def _tokens_needed(repo: Path, *args: str) -> str:
    result = fos(repo, "context", *args, "--budget", "120")
    assert result.code == 1, result.output
    return result.err.split("at least ")[1].split(" tokens")[0]


def test_blocking_rules_over_the_budget_exit_1_and_start_no_session(factory_repo: Path) -> None:
    _binding_factory(factory_repo)
    needed = int(_tokens_needed(factory_repo, "--role", "builder"))
    short = fos(factory_repo, "context", "--role", "builder", "--budget", str(needed - 1))
    assert short.code == 1 and short.out == ""
    assert "blocking rules that bind role builder" in short.err
    assert f"at least {needed} tokens, not {needed - 1}" in short.err
    ledger = fos(factory_repo, "ledger", "log", "--format", "json").out
    started = fos(
        factory_repo, "session", "start", "--role", "builder", "--budget", str(needed - 1)
    )
    assert started.code == 1 and "blocking rules" in started.err
    assert fos(factory_repo, "ledger", "log", "--format", "json").out == ledger
    # at the budget it names, the session starts and records the manifest of what it showed
    opened = fos(
        factory_repo, "session", "start", "--role", "builder", "--budget", str(needed),
        "--format", "json",
    )  # fmt: skip
    assert opened.code == 0, opened.output
    shown = json.loads(opened.out)
    assert {"R-b00001", "R-b00002", "R-b00003"} <= set(ids(shown["context"], "rule"))
    log = json.loads(fos(factory_repo, "ledger", "log", "--format", "json").out)
    entry = next(e for e in log["entries"] if e["kind"] == "session.started")
    assert entry["data"]["manifest_hash"] == shown["context"]["manifest"]["hash"]
