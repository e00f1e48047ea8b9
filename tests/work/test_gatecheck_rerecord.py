"""Only the entries that record a file record it: evidence recorded, signed and passed,
edited by hand in a later range, is blocked even when the same range adds a lifecycle
entry of the item whose refs name the file with its new digest (here a sign-off of the
current stage), and refs on an entry that records no file are reported (real git ranges)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from factory_os import store
from factory_os.ledger import events
from tests.helpers import fos, git
from tests.work.range_helpers import check
from tests.work.test_gatecheck import act, commit_as, forge, honest_walk, item, work_repo

__all__ = ["item", "work_repo"]  # the fixtures


def _eval_passed(repo: Path, spec_id: str) -> tuple[str, str, str]:
    """The item past eval; return the commit, the eval report's path, and its digest
    after an edit by hand."""
    before = honest_walk(repo, spec_id, ("intake", "rank", "spec", "build", "eval"))
    factory = store.find_factory(repo)
    [report] = [e for e in events.entries(factory)
                if e.kind == "evidence.recorded" and e.data.get("stage") == "eval"]  # fmt: skip
    path = report.refs[0].path
    target = repo / path
    target.write_text(target.read_text() + "\n")  # any edit at all
    return before, path, hashlib.sha256(target.read_bytes()).hexdigest()


@pytest.mark.parametrize("with_refs", [False, True])
def test_passed_evidence_edited_by_hand_is_blocked_whatever_a_sign_off_names(
    item: tuple[Path, str, str], with_refs: bool
) -> None:
    repo, spec_id, _base = item
    before, path, digest = _eval_passed(repo, spec_id)
    # the safety lead signs red-team (the item's stage), the line naming the edited report
    forge(repo, kind="signoff", actor="sara", subject=spec_id,
          refs=[(path, digest)] if with_refs else [],
          data={"stage": "red-team", "role": "safety-lead", "evidence": []})  # fmt: skip
    commit_as(repo, "sara", "sign red-team, and touch up the eval report")
    found = check(repo, before)
    assert any(f.path == path and f.rule_id == "fos:lifecycle-evidence" for f in found), found
    stray = [f for f in found if "a signoff line records no file" in f.message]
    assert len(stray) == (1 if with_refs else 0), found  # the refs themselves, at their line
    result = fos(repo, "check", "--range", f"{before}..{git(repo, 'rev-parse', 'HEAD')}")
    assert result.code == 1, result.output


def test_a_transfer_records_only_the_spec(item: tuple[Path, str, str]) -> None:
    """A transfer rewrites the spec: refs naming another of the item's files, with the
    digest of an edit by hand, record nothing and are reported."""
    repo, spec_id, _base = item
    before, path, digest = _eval_passed(repo, spec_id)
    forge(repo, kind="owner.transferred", actor="olivia", subject=spec_id,
          refs=[(path, digest)],
          data={"role": "owner", "from": "olivia", "to": "otto", "reason": "leaving"})  # fmt: skip
    commit_as(repo, "olivia", "hand the item over, and touch up the eval report")
    found = check(repo, before)
    assert any(f.path == path and "changed after it was recorded" in f.message for f in found)
    assert any(f"owner.transferred records {path}, which is not its spec" in f.message
               for f in found), found  # fmt: skip


def test_an_honest_transfer_after_eval_passes(item: tuple[Path, str, str]) -> None:
    """The control: the spec a transfer rewrites is recorded again, nothing is reported."""
    repo, spec_id, _base = item
    before = honest_walk(repo, spec_id, ("intake", "rank", "spec", "build", "eval"))
    act(repo, "olivia", "spec", "transfer", spec_id, "--to", "otto", "--reason", "leaving")
    assert check(repo, before) == []
