"""A sign-off that names no evidence (written before sign-offs named it) signs only what
it provably saw, never what the replay order puts before it: the writer of later evidence
controls that order through the parents of the line they write (real git ranges)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from factory_os import store
from factory_os.ledger import canonical, events
from factory_os.ledger.line import entry_id
from tests.helpers import fos
from tests.lifecycle_helpers import cases, record
from tests.work.range_helpers import check
from tests.work.test_gatecheck import act, commit_as, forge, honest_walk, item, work_repo

__all__ = ["item", "work_repo"]  # the fixtures


def _reparent(repo: Path, ident: str, parents: list[str]) -> str:
    """Rewrite the (uncommitted) line IDENT to name PARENTS, with its id made anew:
    what anyone writing a ledger line by hand can do."""
    for segment in (repo / ".factory" / "ledger").glob("*.jsonl"):
        lines = segment.read_bytes().split(b"\n")
        for n, line in enumerate(lines):
            if line[:64].decode() == ident:
                fields = json.loads(line[65:])
                fields["parents"] = parents
                body = canonical.dumps(fields)
                new = entry_id(body)
                lines[n] = new.encode() + b" " + body
                segment.write_bytes(b"\n".join(lines))
                return new
    raise AssertionError(f"{ident} not found")


@pytest.mark.parametrize("reparented", [False, True])
def test_evidence_written_under_an_old_parent_is_not_signed_by_an_old_style_sign_off(
    item: tuple[Path, str, str], reparented: bool
) -> None:
    """With or without the old parent, the advance on a report the reviewer never saw is
    refused."""
    repo, spec_id, _base = item
    honest_walk(repo, spec_id, ("intake", "rank", "spec", "build"))
    assert record(repo, spec_id, "eval").code == 0
    commit_as(repo, "bob", "eval report")
    factory = store.find_factory(repo)
    first = [e for e in events.entries(factory) if e.kind == "evidence.recorded"][-1]
    # another entry, then the reviewer's sign-off as written before sign-offs named
    # their evidence: it signs eval.json
    act(repo, "olivia", "incident", "add", "--title", "unrelated", "--severity", "low")
    forge(repo, kind="signoff", actor="rita", subject=spec_id,
          data={"stage": "eval", "role": "reviewer"})  # fmt: skip
    before = commit_as(repo, "rita", "a sign-off of eval.json")

    # the pull request: the builder records a report the reviewer never saw, its line
    # naming the first report as its parent, so that it sorts before the sign-off
    assert record(repo, spec_id, "eval", cases(20, failed=2)).code == 0
    second = [e for e in events.entries(store.find_factory(repo))
              if e.kind == "evidence.recorded"][-1]  # fmt: skip
    if reparented:
        _reparent(repo, second.id, [first.id])
    commit_as(repo, "bob", "a new report")
    forge(repo, kind="stage.advanced", actor="olivia", subject=spec_id,
          data={"from": "eval", "to": "red-team"})  # fmt: skip
    commit_as(repo, "olivia", "advance on the old sign-off")

    found = check(repo, before)
    assert [f.rule_id for f in found] == ["fos:lifecycle-gate"], found
    result = fos(repo, "check", "--range", f"{before}..HEAD")
    assert result.code == 1, result.output


def test_an_old_style_sign_off_written_on_the_evidence_still_signs_it(
    item: tuple[Path, str, str],
) -> None:
    """A sign-off naming no evidence, whose line was written on the report (the report
    among its parents), signed it: the advance on it passes."""
    repo, spec_id, _base = item
    before = honest_walk(repo, spec_id, ("intake", "rank", "spec", "build"))
    assert record(repo, spec_id, "eval").code == 0
    commit_as(repo, "bob", "eval report")
    factory = store.find_factory(repo)
    report = [e for e in events.entries(factory) if e.kind == "evidence.recorded"][-1]
    forge(repo, kind="signoff", actor="rita", subject=spec_id,
          data={"stage": "eval", "role": "reviewer"})  # fmt: skip
    [signoff] = [e for e in events.entries(factory) if e.kind == "signoff"][-1:]
    assert report.id in signoff.parents
    commit_as(repo, "rita", "a sign-off of eval.json")
    forge(repo, kind="stage.advanced", actor="olivia", subject=spec_id,
          data={"from": "eval", "to": "red-team"})  # fmt: skip
    commit_as(repo, "olivia", "advance")
    assert check(repo, before) == []
