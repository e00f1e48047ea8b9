"""A range's lines name parents at its head: found as `git grep` found them (the
`*.jsonl` files directly in the ledger's directory, text only), from ids kept per
segment blob, so a head whose segments were seen before is not read again."""

from __future__ import annotations

from pathlib import Path

from factory_os.rules import ledger_ids
from tests.checks_helpers import findings
from tests.helpers import commit_all, fos, git, git_calls, write_tree
from tests.ledger_helpers import entry_fields, forge_line

LEDGER = ".factory/ledger/"


def _head_ids(repo: Path) -> list[str]:
    return [
        line[:64]
        for segment in sorted((repo / LEDGER).glob("*.jsonl"))
        for line in segment.read_text().splitlines()
    ]


def _integrity(repo: Path, base: str) -> list[str]:
    result = fos(repo, "check", "--range", f"{base}..HEAD", "--format", "json")
    return sorted(
        str(f["message"]) for f in findings(result.out) if f["rule_id"] == "fos:ledger-integrity"
    )


def test_a_parent_at_the_head_is_found_from_the_kept_ids(
    factory_repo: Path, tmp_path: Path
) -> None:
    base = git(factory_repo, "rev-parse", "HEAD")
    head_id = _head_ids(factory_repo)[-1]
    line = forge_line(entry_fields(actor="test", parents=[head_id]))
    write_tree(factory_repo, {LEDGER + "0" * 16 + ".jsonl": line})
    commit_all(factory_repo, "a line on the ledger's head")
    assert _integrity(factory_repo, base) == []  # the base's segment read once, kept
    with git_calls(tmp_path) as calls:
        assert _integrity(factory_repo, base) == []
    assert not [c for c in calls if c[0] == "grep"]
    read = [c for c in calls if c[:2] == ["cat-file", "--batch"]]
    lookup = ledger_ids.lines_at(str(factory_repo), str(factory_repo / ".git"), "HEAD", LEDGER)
    with git_calls(tmp_path) as calls:
        assert lookup([head_id, "ab" * 32]) == [head_id.encode()]
    assert [c[0] for c in calls] == ["ls-tree"], read  # every segment's ids kept


def test_a_parent_only_outside_the_segments_is_no_entry(factory_repo: Path) -> None:
    """As `git grep` searched only `*.jsonl` files directly in the ledger's directory, and
    no binary file: a line elsewhere is no parent."""
    elsewhere = forge_line(entry_fields(actor="test", subject="elsewhere"))
    binary = forge_line(entry_fields(actor="test", subject="binary"))
    write_tree(factory_repo, {
        LEDGER + "sub/x.jsonl": elsewhere,
        "notes/x.jsonl": elsewhere,
        LEDGER + "1" * 16 + ".jsonl": b"\0\n" + binary,
    })  # fmt: skip
    base = commit_all(factory_repo, "lines outside the segments git grep searched")
    children = [
        forge_line(entry_fields(actor="test", parents=[parent.decode()[:64]]))
        for parent in (elsewhere, binary)
    ]
    write_tree(factory_repo, {LEDGER + "2" * 16 + ".jsonl": b"".join(children)})
    commit_all(factory_repo, "lines whose parents are nowhere in the ledger")
    messages = _integrity(factory_repo, base)
    for parent in (elsewhere, binary):
        assert any(parent.decode()[:12] in m and "no entry of the ledger" in m for m in messages)
    assert len(messages) == 2, messages
