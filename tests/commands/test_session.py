from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

from tests.helpers import commit_all, fos, git, snapshot, write_tree


def start(repo: Path, *args: str) -> dict[str, Any]:
    result = fos(repo, "session", "start", "--format", "json", *args)
    assert result.code == 0, result.output
    data: dict[str, Any] = json.loads(result.out)
    return data


def ledger_events(repo: Path, kind: str) -> list[dict[str, Any]]:
    events = []
    for segment in sorted((repo / ".factory" / "ledger").glob("*.jsonl")):
        for line in segment.read_text().splitlines():
            entry = json.loads(line.split(" ", 1)[1])
            if entry["kind"] == kind:
                events.append(entry)
    return events


def test_round_trip_start_commits_end_next_context(factory_repo: Path) -> None:
    opened = start(factory_repo, "--role", "builder", "--actor", "test")
    session = opened["session"]
    assert re.fullmatch(r"S-[0-9a-f]{14}", session)
    assert opened["manifest_hash"] == opened["context"]["manifest"]["hash"]
    started = ledger_events(factory_repo, "session.started")
    assert [(e["subject"], e["actor"]) for e in started] == [(session, "test")]
    assert started[0]["data"]["manifest_hash"] == opened["manifest_hash"]
    assert started[0]["data"]["role"] == "builder"

    write_tree(factory_repo, {"src/app.py": "print('hi')\n"})
    first = commit_all(factory_repo, "add the app")
    write_tree(factory_repo, {"src/app.py": "print('hello')\n"})
    second = commit_all(factory_repo, "say hello")

    result = fos(
        factory_repo, "session", "end", "--session", session, "--actor", "test",
        "--done", "Wrote the app", "--done", "Said hello", "--not-done", "Tests",
        "--decision", "Print, do not log", "--pitfall", "stdout is buffered",
        "--next", "Write the tests",
    )  # fmt: skip
    assert result.code == 0, result.output
    rel = f".factory/digests/{session}.md"
    assert result.out == rel + "\n"
    text = (factory_repo / rel).read_text()
    assert f"session: {session}\n" in text and "role: builder\n" in text
    assert f"manifest_hash: {opened['manifest_hash']}" in text
    assert text.index(first) < text.index(second)
    assert "## Done\n\n- Wrote the app\n- Said hello\n" in text
    assert "## Next\n\n- Write the tests\n" in text
    ended = ledger_events(factory_repo, "session.ended")
    assert [e["subject"] for e in ended] == [session]
    assert ended[0]["refs"] == [
        {"path": rel, "sha256": hashlib.sha256((factory_repo / rel).read_bytes()).hexdigest()}
    ]
    assert fos(factory_repo, "validate").code == 0

    nxt = json.loads(fos(factory_repo, "context", "--format", "json").out)
    digests = [i for i in nxt["items"] if i["kind"] == "digest"]
    assert [d["id"] for d in digests] == [session]
    assert "Wrote the app" in digests[0]["text"] and first[:12] in digests[0]["text"]
    verified = fos(factory_repo, "verify")
    assert verified.code == 0, verified.output


def test_text_start_prints_the_id_first_then_the_context(factory_repo: Path) -> None:
    result = fos(factory_repo, "session", "start", "--role", "quality")
    assert result.code == 0, result.output
    first, rest = result.out.split("\n", 1)
    assert re.fullmatch(r"S-[0-9a-f]{14}", first)
    assert rest == "\n" + fos(factory_repo, "context", "--role", "quality").out


def test_list_open_shows_sessions_that_never_ended(factory_repo: Path) -> None:
    one = start(factory_repo)["session"]
    two = start(factory_repo, "--role", "builder")["session"]
    assert fos(factory_repo, "session", "end", "--session", one, "--done", "x").code == 0
    listed = fos(factory_repo, "session", "list", "--open").out
    assert two in listed and one not in listed
    rows = json.loads(fos(factory_repo, "session", "list", "--format", "json").out)["sessions"]
    assert {(r["session"], r["open"]) for r in rows} == {(one, False), (two, True)}


def test_digest_file_and_errors(factory_repo: Path) -> None:
    session = start(factory_repo)["session"]
    (factory_repo / "d.md").write_text("## Done\n\n- by hand\n")
    result = fos(factory_repo, "session", "end", "--session", session, "--digest-file", "d.md",
                 "--done", "x")  # fmt: skip
    assert result.code == 2 and "not both" in result.err
    result = fos(factory_repo, "session", "end", "--session", session)
    assert result.code == 2 and "say what the session did" in result.err
    result = fos(factory_repo, "session", "end", "--session", "S-00000000abcdef", "--done", "x")
    assert result.code == 2 and "no session S-00000000abcdef" in result.err
    result = fos(factory_repo, "session", "end", "--session", session, "--digest-file", "d.md")
    assert result.code == 0, result.output
    before = snapshot(factory_repo)
    result = fos(factory_repo, "session", "end", "--session", session, "--done", "again")
    assert result.code == 2 and "already ended" in result.err
    assert snapshot(factory_repo) == before


def test_commits_when_the_session_starts_on_an_unborn_branch(repo: Path) -> None:
    assert fos(repo, "init").code == 0
    session = start(repo)["session"]
    commit = commit_all(repo, "first commit")
    assert fos(repo, "session", "end", "--session", session, "--done", "init").code == 0
    text = (repo / ".factory" / "digests" / f"{session}.md").read_text()
    assert commit in text
    assert git(repo, "rev-list", "--count", "HEAD") == "1"


def test_a_digest_edited_after_the_session_fails_verify(factory_repo: Path) -> None:
    """A digest is the record of what a session did: append-only like an incident."""
    session = start(factory_repo)["session"]
    assert fos(factory_repo, "session", "end", "--session", session, "--done", "x").code == 0
    assert fos(factory_repo, "verify").code == 0
    digest = factory_repo / ".factory" / "digests" / f"{session}.md"
    digest.write_text(digest.read_text().replace("- x", "- everything"))
    result = fos(factory_repo, "verify")
    assert result.code == 1
    assert f".factory/digests/{session}.md" in result.output
    attributes = (factory_repo / ".factory" / ".gitattributes").read_text()
    assert "digests/*.md -text" in attributes
