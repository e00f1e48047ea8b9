"""A sign-off holds for the evidence it signed: the pull-request check of a range in
which evidence is replaced after its sign-off (real git ranges)."""

from __future__ import annotations

from pathlib import Path

from factory_os import store
from factory_os.ledger import events
from tests.helpers import fos, git
from tests.lifecycle_helpers import cases, record
from tests.work.range_helpers import check
from tests.work.test_gatecheck import act, commit_as, forge, honest_walk, item, work_repo

__all__ = ["item", "work_repo"]  # the fixtures


def _eval_signed(repo: Path, spec_id: str) -> str:
    """The item at eval, its report recorded by the builder and signed by the reviewer;
    return the commit before the report."""
    before = honest_walk(repo, spec_id, ("intake", "rank", "spec", "build"))
    assert record(repo, spec_id, "eval").code == 0
    commit_as(repo, "bob")
    act(repo, "rita", "signoff", spec_id, "--stage", "eval")
    return before


def _replace_the_report(repo: Path, spec_id: str) -> str:
    """The builder records another report (eval.2.json); return its entry id."""
    assert record(repo, spec_id, "eval", cases(20, failed=2)).code == 0
    commit_as(repo, "bob", "a new report")
    factory = store.find_factory(repo)
    return [e for e in events.entries(factory) if e.kind == "evidence.recorded"][-1].id


def test_an_advance_on_a_sign_off_of_replaced_evidence_is_blocked(
    item: tuple[Path, str, str],
) -> None:
    repo, spec_id, _base = item
    before = _eval_signed(repo, spec_id)
    _replace_the_report(repo, spec_id)
    forge(repo, kind="stage.advanced", actor="olivia", subject=spec_id,
          data={"from": "eval", "to": "red-team"})  # fmt: skip
    commit_as(repo, "olivia", "advance on the old sign-off")
    [finding] = check(repo, before)
    assert finding.rule_id == "fos:lifecycle-gate"
    assert "sign-off as reviewer by rita: given for an earlier version" in finding.message
    result = fos(repo, "check", "--range", f"{before}..HEAD")
    assert result.code == 1 and "fos:lifecycle-gate" in result.out


def test_a_sign_off_holds_only_for_the_evidence_it_names(item: tuple[Path, str, str]) -> None:
    """A sign-off names what it signed, so where it stands in the replay order (two
    branches merged, say) does not make it sign evidence its member never saw."""
    repo, spec_id, _base = item
    before = _eval_signed(repo, spec_id)
    signed = [e for e in events.entries(store.find_factory(repo)) if e.kind == "signoff"][-1]
    _replace_the_report(repo, spec_id)
    old = {"stage": "eval", "role": "reviewer", "evidence": signed.data["evidence"]}
    forge(repo, kind="signoff", actor="rita", subject=spec_id, data=old)
    commit_as(repo, "rita", "a sign-off of the old report, written after the new one")
    forge(repo, kind="stage.advanced", actor="olivia", subject=spec_id,
          data={"from": "eval", "to": "red-team"})  # fmt: skip
    commit_as(repo, "olivia")
    assert [f.rule_id for f in check(repo, before)] == ["fos:lifecycle-gate"]


def test_signing_the_new_evidence_again_passes(item: tuple[Path, str, str]) -> None:
    repo, spec_id, _base = item
    before = _eval_signed(repo, spec_id)
    _replace_the_report(repo, spec_id)
    act(repo, "rita", "signoff", spec_id, "--stage", "eval")
    assert act(repo, "olivia", "spec", "advance", spec_id).code == 0
    assert check(repo, before) == []
    assert fos(repo, "check", "--range", f"{before}..{git(repo, 'rev-parse', 'HEAD')}").code == 0


def test_a_file_recorded_twice_in_one_range_is_judged_as_each_record_saw_it(
    item: tuple[Path, str, str],
) -> None:
    """The builder records the spec, rewrites it on review and records it again, and the
    owner transfers a role (which rewrites it once more): each record is judged against
    the file as its own commit held it, not as the head holds it."""
    repo, spec_id, _base = item
    before = honest_walk(repo, spec_id, ("intake", "rank"))
    assert record(repo, spec_id, "spec").code == 0
    commit_as(repo, "bob", "the spec")
    path = repo / ".factory" / "specs" / spec_id / "spec.md"
    path.write_text(path.read_text().replace("Written.", "Rewritten on review.", 1))
    assert record(repo, spec_id, "spec").code == 0
    commit_as(repo, "bob", "the spec, reviewed")
    act(repo, "olivia", "signoff", spec_id, "--stage", "spec")
    assert act(repo, "olivia", "spec", "advance", spec_id).code == 0
    act(repo, "rita", "spec", "transfer", spec_id, "--role", "reviewer", "--to", "otto",
        "--reason", "on leave")  # fmt: skip
    assert check(repo, before) == []
    assert fos(repo, "check", "--range", f"{before}..HEAD").code == 0
