from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.documents import add_decision, write_note, write_rule
from tests.helpers import commit_all, fos, write_tree


def drift(repo: Path, *args: str) -> tuple[int, list[dict[str, Any]]]:
    result = fos(repo, "drift", "--format", "json", "--today", "2026-06-01", *args)
    data = json.loads(result.out)
    assert data["ok"] is (result.code == 0)
    return result.code, [d for d in data["drift"] if not d["id"].startswith("R-core-")]


def test_nothing_drifted_is_exit_0(factory_repo: Path) -> None:
    write_tree(factory_repo, {"src/api/app.py": "", "deploy/x": "", "infra/y": ""})
    write_tree(factory_repo, {".github/workflows/ci.yml": "", "src/main.py": ""})
    write_tree(factory_repo, {"AGENTS.md": ""})
    commit_all(factory_repo)
    write_note(factory_repo, "api", paths=("src/api/**",), review_by="2026-06-01")
    result = fos(factory_repo, "drift", "--today", "2026-06-01")
    assert result.code == 0, result.out
    assert result.out == "ok: nothing has drifted\n"


def test_paths_that_match_nothing_and_passed_reviews(factory_repo: Path) -> None:
    write_tree(factory_repo, {"src/api/app.py": "", "docs/guide.md": ""})
    commit_all(factory_repo)
    write_note(factory_repo, "api", paths=("src/api/**",))
    write_note(factory_repo, "gone", paths=("src/legacy/**",), review_by="2026-05-31")
    write_rule(factory_repo, "R-aaaaaa", paths=("src/legacy/**",))
    write_rule(factory_repo, "R-bbbbbb", paths=("src/legacy/**",), status="retired")
    write_rule(factory_repo, "R-cccccc", paths=("docs/*.md",))
    add_decision(factory_repo, "D-aaaaaa", "Legacy", body="Body.")
    dna = factory_repo / ".factory" / "DNA.md"
    dna.write_text(
        dna.read_text().replace(
            "Status: accepted\n\nBody.", "Status: accepted\nPaths: lib/**\n\nBody."
        )
    )
    code, items = drift(factory_repo)
    assert code == 1
    assert [(d["kind"], d["id"], d["line"]) for d in items] == [
        ("decision", "D-aaaaaa", items[0]["line"]),
        ("knowledge", "gone", 3),
        ("knowledge", "gone", 4),
        ("rule", "R-aaaaaa", 11),
    ]
    assert "review_by 2026-05-31 has passed" in items[2]["reason"]
    assert "match no file" in items[3]["reason"]
    text = fos(factory_repo, "drift", "--today", "2026-06-01").out
    assert (
        ".factory/rules/R-aaaaaa.yaml:11: rule R-aaaaaa: paths src/legacy/** match no file" in text
    )


def test_untracked_files_count_and_ignored_ones_do_not(factory_repo: Path) -> None:
    write_note(factory_repo, "new", paths=("src/new/**",))
    write_note(factory_repo, "ignored", paths=("build/**",))
    write_tree(factory_repo, {"src/new/a.py": "", "build/out.o": "", ".gitignore": "build/\n"})
    _code, items = drift(factory_repo)
    assert [d["id"] for d in items] == ["ignored"]
