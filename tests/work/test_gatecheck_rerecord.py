"""Only the entries that record a file record it: evidence recorded, signed and passed,
edited by hand in a later range, is blocked even when the same range adds a lifecycle
entry of the item whose refs name the file with its new digest (a sign-off, a transfer, a
maintenance log, a retirement, evidence of a later stage); refs on an entry that records no
file, and refs naming another file than the one its command writes, are reported (real git
ranges)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from factory_os import store
from factory_os.ledger import events
from factory_os.rules.finding import Finding
from factory_os.work import evidence, specs
from tests.helpers import fos, git
from tests.lifecycle_helpers import SIGNERS, cases, record
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


def _at_line(found: list[Finding], text: str) -> list[Finding]:
    """The findings at a ledger line (not at a file the line names) whose message has TEXT."""
    return [f for f in found if f.rule_id == "fos:lifecycle-evidence"
            and (f.path or "").startswith(".factory/ledger") and text in f.message]  # fmt: skip


def _eval_passed_at_maintain(repo: Path, spec_id: str) -> tuple[str, str, str]:
    """The item walked to maintain; the eval report edited by hand (commit, path, digest)."""
    before = honest_walk(repo, spec_id, tuple(SIGNERS))
    factory = store.find_factory(repo)
    [report] = [e for e in events.entries(factory)
                if e.kind == "evidence.recorded" and e.data.get("stage") == "eval"]  # fmt: skip
    path = report.refs[0].path
    target = repo / path
    target.write_text(target.read_text() + "\n")
    return before, path, hashlib.sha256(target.read_bytes()).hexdigest()


def test_a_maintenance_log_records_only_the_log_it_writes(item: tuple[Path, str, str]) -> None:
    """A member allowed to log maintenance names the eval report, edited by hand, with its
    new digest: the line records nothing but its own log, and is reported."""
    repo, spec_id, _base = item
    before, path, digest = _eval_passed_at_maintain(repo, spec_id)
    forge(repo, kind="maintenance.logged", actor="olivia", subject=spec_id,
          refs=[(path, digest)], data={"stage": "maintain", "figures": {}})  # fmt: skip
    commit_as(repo, "olivia", "log maintenance, and touch up the eval report")
    found = check(repo, before)
    assert any(f.path == path and "changed after it was recorded" in f.message for f in found)
    assert len(_at_line(found, f"maintenance.logged records {path}")) == 1, found
    result = fos(repo, "check", "--range", f"{before}..{git(repo, 'rev-parse', 'HEAD')}")
    assert result.code == 1, result.output


def test_an_honest_maintenance_log_passes(item: tuple[Path, str, str]) -> None:
    """The control: `fos spec maintain` twice (the second log a new version) passes."""
    repo, spec_id, _base = item
    before = honest_walk(repo, spec_id, tuple(SIGNERS))
    log = repo.parent / "log.md"
    log.write_text("# Maintenance\n\n## Re-evaluation\n\nStill fine.\n")
    for _ in range(2):
        assert act(repo, "olivia", "spec", "maintain", spec_id, "--file", str(log)).code == 0
    assert (repo / ".factory" / "specs" / spec_id / "maintenance.2.md").exists()
    assert check(repo, before) == []


def test_a_retirement_records_only_its_record(item: tuple[Path, str, str]) -> None:
    """The owner retiring the item names the eval report, edited by hand: reported."""
    repo, spec_id, _base = item
    before, path, digest = _eval_passed(repo, spec_id)
    retirement = f".factory/specs/{spec_id}/retirement.md"
    (repo / retirement).write_text("# Retirement\n\nReplaced.\n")
    own = hashlib.sha256((repo / retirement).read_bytes()).hexdigest()
    forge(repo, kind="spec.retired", actor="olivia", subject=spec_id,
          refs=[(retirement, own), (path, digest)], data={"reason": "replaced",
          "stage": "red-team"})  # fmt: skip
    commit_as(repo, "olivia", "retire, and touch up the eval report")
    found = check(repo, before)
    assert any(f.path == path and "changed after it was recorded" in f.message for f in found)
    assert len(_at_line(found, f"spec.retired records {path}")) == 1, found
    assert not _at_line(found, f"spec.retired records {retirement}"), found


def _forge_red_team_evidence(repo: Path, spec_id: str, path: str) -> None:
    """PATH written (by hand) as a red-team report, and a hand-written line recording it as
    the item's red-team evidence, with the file's digest and figures; committed."""
    target = repo / path
    target.write_text(cases(20, critical=4))
    factory = store.find_factory(repo)
    [kind] = specs.load_model(factory).gate("red-team").evidence
    figures = evidence.figures_of(kind, target.read_text(), path)
    forge(repo, kind="evidence.recorded", actor="bob", subject=spec_id,
          refs=[(path, hashlib.sha256(target.read_bytes()).hexdigest())],
          data={"stage": "red-team", "evidence": kind.name, "figures": figures})  # fmt: skip
    commit_as(repo, "bob", "red-team evidence")


@pytest.mark.parametrize("name", ["eval.json", "notes.json", "red-team.x.json"])
def test_evidence_names_only_its_own_file(item: tuple[Path, str, str], name: str) -> None:
    """Red-team evidence naming the eval report (edited by hand; it parses as a red-team
    report too), or any file but `red-team.json` or a version of it, is reported."""
    repo, spec_id, _base = item
    before, _path, _digest = _eval_passed(repo, spec_id)
    path = f".factory/specs/{spec_id}/{name}"
    _forge_red_team_evidence(repo, spec_id, path)
    found = check(repo, before)
    assert len(_at_line(found, f"evidence.recorded records {path}")) == 1, found
    if name == "eval.json":  # the edit stays unrecorded
        assert any(f.path == path and "changed after it was recorded" in f.message for f in found)


def test_evidence_recorded_again_in_place_and_as_a_new_version_passes(
    item: tuple[Path, str, str],
) -> None:
    """The control: red-team evidence recorded, then a new version, then the first one
    edited and recorded again in place, as `fos spec evidence` does: nothing reported."""
    repo, spec_id, _base = item
    before, _path, _digest = _eval_passed(repo, spec_id)
    git(repo, "checkout", "--", ".")
    for _ in range(2):
        assert record(repo, spec_id, "red-team").code == 0
        commit_as(repo, "bob")
    folder = repo / ".factory" / "specs" / spec_id
    assert (folder / "red-team.2.json").exists()
    (folder / "red-team.json").write_text(cases(21, critical=4))
    assert act(repo, "bob", "spec", "evidence", spec_id, "--stage", "red-team").code == 0
    assert check(repo, before) == []


def test_evidence_names_no_file_another_stage_recorded(item: tuple[Path, str, str]) -> None:
    """Two stages whose evidence has the same name: the red-team line naming the eval
    report (edited by hand) names its kind's file, but one eval recorded: reported, and the
    edit stays unrecorded; the CLI records the red-team report as `eval.2.json`."""
    repo, spec_id, _base = item
    lifecycle = repo / ".factory" / "lifecycle.yaml"
    lifecycle.write_text(lifecycle.read_text().replace("file: red-team.json", "file: eval.json"))
    commit_as(repo, "olivia", "one name for both reports")
    before, path, _digest = _eval_passed(repo, spec_id)
    _forge_red_team_evidence(repo, spec_id, path)
    found = check(repo, before)
    assert len(_at_line(found, f"evidence.recorded records {path}")) == 1, found
    assert any(f.path == path and "changed after it was recorded" in f.message for f in found)
    git(repo, "reset", "-q", "--hard", before)
    assert record(repo, spec_id, "red-team").code == 0
    commit_as(repo, "bob")
    assert (repo / path.replace("eval.json", "eval.2.json")).exists()
    assert check(repo, before) == []
