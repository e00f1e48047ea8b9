"""The lifecycle's and the runs' checks joined to `fos check` and the hooks, with real git:
a pull request (a range, a push through pre-push, a push to a bare repository's
pre-receive) or a staged change that fakes a step is blocked; honest work passes."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from factory_os import store
from factory_os.ledger import events
from factory_os.work import extras, items, runstate
from tests.checks_helpers import findings
from tests.helpers import fos, git, push, write_tree
from tests.lifecycle_helpers import EMAIL, SIGNERS, as_member, make_team, new_item, record
from tests.run_helpers import DOCS, FEATURE, make_team as make_run_team, recorded, start

HOOKS = Path(__file__).parents[2] / "hooks"


def commit_as(repo: Path, email: str, message: str = "work") -> str:
    git(repo, "add", "-A")
    git(repo, "-c", f"user.email={email}", "-c", "user.name=Someone", "commit", "-q",
        "--no-verify", "-m", message)  # fmt: skip
    return git(repo, "rev-parse", "HEAD")


def forge(repo: Path, kind: str, actor: str, subject: str, **data: object) -> None:
    """A ledger line written by hand (with a correct id and parents), as anyone can."""
    events.append(store.find_factory(repo), kind=kind, actor=actor, subject=subject, data=data)


def check_range(repo: Path, base: str) -> tuple[int, list[str]]:
    result = fos(repo, "check", "--range", f"{base}..HEAD", "--format", "json")
    assert result.code in (0, 1), result.output
    return result.code, sorted(f["rule_id"] for f in findings(result.out))


@pytest.fixture
def item(factory_repo: Path) -> tuple[Path, str, str]:
    """A work item created and committed by its owner: the base of the ranges below."""
    make_team(factory_repo)
    spec_id = new_item(factory_repo)
    base = commit_as(factory_repo, EMAIL["olivia"], "new item")
    return factory_repo, spec_id, base


def advance_by_hand(repo: Path, spec_id: str) -> None:
    forge(repo, "stage.advanced", "olivia", spec_id, **{"from": "intake", "to": "rank"})


def honest_stage(repo: Path, spec_id: str, stage: str) -> None:
    assert record(repo, spec_id, stage).code == 0
    commit_as(repo, EMAIL["bob"], f"{stage} evidence")
    for member, role in SIGNERS[stage]:
        assert as_member(repo, member, "signoff", spec_id, "--stage", stage, "--as", role).code == 0
        commit_as(repo, EMAIL[member], f"{member} signs {stage}")
    assert as_member(repo, "olivia", "spec", "advance", spec_id).code == 0
    commit_as(repo, EMAIL["olivia"], f"past {stage}")


def test_the_kinds_are_those_of_the_replays() -> None:
    from factory_os.work import rangecheck

    assert frozenset(items.KINDS) == extras.LIFECYCLE_KINDS
    assert extras.RUN_KINDS == runstate.RUN_KINDS
    assert rangecheck.RUN_STATE_KINDS == runstate.KINDS


def test_a_kind_is_read_from_the_lines_frame() -> None:
    line = (
        "0" * 64 + ' {"actor":"a","at":"t","data":{"kind":"run.started"},"kind":"signoff",'
        '"parents":[],"refs":[],"subject":"SP-1","v":1}'
    )
    assert extras.kind_of(line) == "signoff"
    assert extras.kind_of("not a ledger line") == ""


def test_a_hand_written_stage_advanced_in_a_range_is_blocked(item: tuple[Path, str, str]) -> None:
    repo, spec_id, base = item
    advance_by_hand(repo, spec_id)
    commit_as(repo, EMAIL["olivia"], "skip intake")
    result = fos(repo, "check", "--range", f"{base}..HEAD", "--format", "json")
    assert result.code == 1
    [found] = [f for f in findings(result.out) if f["rule_id"] == "fos:lifecycle-gate"]
    assert "its gate did not hold" in found["message"] and found["member"] == "olivia"


def test_a_sign_off_committed_by_another_member_is_blocked(item: tuple[Path, str, str]) -> None:
    repo, spec_id, base = item
    assert record(repo, spec_id, "intake").code == 0
    commit_as(repo, EMAIL["bob"], "evidence")
    assert as_member(repo, "olivia", "signoff", spec_id, "--stage", "intake").code == 0
    commit_as(repo, EMAIL["bob"], "bob signs for olivia")
    assert check_range(repo, base) == (1, ["fos:entry-actor-mismatch"])


def test_an_honest_progression_with_the_cli_passes(item: tuple[Path, str, str]) -> None:
    repo, spec_id, base = item
    for stage in ("intake", "rank", "spec"):
        honest_stage(repo, spec_id, stage)
    assert check_range(repo, base) == (0, [])
    # judged again from the base kept under the git directory: the same answer
    assert check_range(repo, base) == (0, [])


def test_the_kept_base_is_the_base_of_each_range(item: tuple[Path, str, str]) -> None:
    """A range from a later base rests on that base's events, not on a base seen before."""
    repo, spec_id, first = item
    assert record(repo, spec_id, "intake").code == 0
    commit_as(repo, EMAIL["bob"], "evidence")
    assert as_member(repo, "olivia", "signoff", spec_id, "--stage", "intake").code == 0
    second = commit_as(repo, EMAIL["olivia"], "signed")
    advance_by_hand(repo, spec_id)  # the gate holds now: a line written by hand is no lie
    commit_as(repo, EMAIL["olivia"], "advance")
    assert check_range(repo, second) == (0, [])
    assert check_range(repo, first) == (0, [])
    git(repo, "reset", "-q", "--hard", first)
    advance_by_hand(repo, spec_id)
    commit_as(repo, EMAIL["olivia"], "advance with nothing")
    assert check_range(repo, first) == (1, ["fos:lifecycle-gate"])


def test_a_staged_hand_written_stage_advanced_is_blocked(item: tuple[Path, str, str]) -> None:
    repo, spec_id, _base = item
    advance_by_hand(repo, spec_id)
    git(repo, "add", "-A")
    with_olivia = {**os.environ, "GIT_AUTHOR_EMAIL": EMAIL["olivia"]}
    proc = subprocess.run([sys.executable, "-m", "factory_os", "check", "--staged"], cwd=repo,
                          capture_output=True, text=True, env=with_olivia, check=False)  # fmt: skip
    assert proc.returncode == 1 and "fos:lifecycle-gate" in proc.stdout, proc.stdout


def test_a_commit_hook_refuses_a_hand_written_stage_advanced(item: tuple[Path, str, str]) -> None:
    repo, spec_id, _base = item
    assert fos(repo, "hooks", "install").code == 0
    advance_by_hand(repo, spec_id)
    git(repo, "add", "-A")
    proc = subprocess.run(["git", "-c", f"user.email={EMAIL['olivia']}", "commit", "-m", "skip"],
                          cwd=repo, capture_output=True, text=True, check=False)  # fmt: skip
    assert proc.returncode != 0 and "fos:lifecycle-gate" in proc.stdout + proc.stderr


def _bare(tmp_path: Path, repo: Path, *, pre_receive: bool) -> Path:
    """A remote that has what REPO has, guarded from now on by PRE_RECEIVE."""
    bare = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", str(bare))
    git(repo, "remote", "add", "origin", str(bare))
    first = push(repo, "--no-verify", "HEAD:refs/heads/main")
    assert first.returncode == 0, first.stderr
    if pre_receive:
        shutil.copy(HOOKS / "pre-receive", bare / "hooks" / "pre-receive")
        (bare / "hooks" / "pre-receive").chmod(0o755)
    return bare


def test_pre_receive_refuses_faked_lifecycle_steps(
    item: tuple[Path, str, str], tmp_path: Path
) -> None:
    repo, spec_id, _base = item
    _bare(tmp_path, repo, pre_receive=True)
    advance_by_hand(repo, spec_id)
    commit_as(repo, EMAIL["olivia"], "skip intake")
    proc = push(repo, "--no-verify", "HEAD:refs/heads/main")
    assert proc.returncode != 0 and "fos:lifecycle-gate" in proc.stderr, proc.stderr
    # a new branch is checked from where it leaves the server's history
    proc = push(repo, "--no-verify", "HEAD:refs/heads/feature")
    assert proc.returncode != 0 and "fos:lifecycle-gate" in proc.stderr, proc.stderr
    git(repo, "reset", "-q", "--hard", "HEAD~1")
    assert record(repo, spec_id, "intake").code == 0
    commit_as(repo, EMAIL["bob"], "evidence")
    assert as_member(repo, "olivia", "signoff", spec_id, "--stage", "intake").code == 0
    commit_as(repo, EMAIL["bob"], "bob signs for olivia")
    proc = push(repo, "--no-verify", "HEAD:refs/heads/main")
    assert proc.returncode != 0 and "fos:entry-actor-mismatch" in proc.stderr, proc.stderr
    git(repo, "reset", "-q", "--hard", "HEAD~1")
    assert as_member(repo, "olivia", "signoff", spec_id, "--stage", "intake").code == 0
    commit_as(repo, EMAIL["olivia"], "olivia signs")
    assert as_member(repo, "olivia", "spec", "advance", spec_id).code == 0
    commit_as(repo, EMAIL["olivia"], "past intake")
    proc = push(repo, "--no-verify", "HEAD:refs/heads/main")
    assert proc.returncode == 0, proc.stderr


def test_pre_push_refuses_a_hand_written_stage_advanced(
    item: tuple[Path, str, str], tmp_path: Path
) -> None:
    repo, spec_id, _base = item
    assert fos(repo, "hooks", "install").code == 0
    _bare(tmp_path, repo, pre_receive=False)
    advance_by_hand(repo, spec_id)
    commit_as(repo, EMAIL["olivia"], "skip intake")
    proc = push(repo, "HEAD:refs/heads/main")
    assert proc.returncode != 0 and "fos:lifecycle-gate" in proc.stdout + proc.stderr


@pytest.fixture
def run_repo(factory_repo: Path) -> tuple[Path, str, str]:
    """A run whose spec gate waits for a person, committed: the base of the ranges below."""
    make_run_team(factory_repo)
    run_id = start(factory_repo, "spec=review,plan=auto,ship=auto")
    recorded(factory_repo, run_id, "feature-request.json", FEATURE)
    assert fos(factory_repo, "run", "gate", run_id, "spec").code == 1
    base = commit_as(factory_repo, "test@example.com", "waiting")
    return factory_repo, run_id, base


def test_a_forged_run_gate_approval_is_blocked(
    run_repo: tuple[Path, str, str], tmp_path: Path
) -> None:
    repo, run_id, base = run_repo
    _bare(tmp_path, repo, pre_receive=True)
    forge(repo, "gate.approved", "forge", run_id, gate="spec", feedback="")
    commit_as(repo, "forge@agents.example", "forged approval")
    assert check_range(repo, base) == (1, ["fos:run-approval"])
    proc = push(repo, "--no-verify", "HEAD:refs/heads/main")
    assert proc.returncode != 0 and "fos:run-approval" in proc.stderr, proc.stderr


def test_an_approval_by_an_approver_passes(run_repo: tuple[Path, str, str]) -> None:
    repo, run_id, base = run_repo
    assert fos(repo, "run", "approve", run_id, "--gate", "spec").code == 0
    commit_as(repo, "test@example.com", "approved")
    assert check_range(repo, base) == (0, [])


def test_a_run_artifact_that_does_not_match_its_digest_is_blocked(
    run_repo: tuple[Path, str, str], tmp_path: Path
) -> None:
    repo, run_id, base = run_repo
    assert fos(repo, "hooks", "install").code == 0
    _bare(tmp_path, repo, pre_receive=False)
    recorded(repo, run_id, "docs.json", DOCS)
    stored = repo / ".factory" / "runs" / run_id / "docs.json"
    stored.write_text(stored.read_text().replace("README updated.", "Nothing."))
    commit_as(repo, "test@example.com", "tampered")
    assert check_range(repo, base) == (1, ["fos:run-artifact"])
    proc = push(repo, "HEAD:refs/heads/main")
    assert proc.returncode != 0 and "fos:run-artifact" in proc.stdout + proc.stderr


def test_a_change_without_work_events_loads_no_replay(factory_repo: Path) -> None:
    write_tree(factory_repo, {"src/app.py": "x = 1\n"})
    base = git(factory_repo, "rev-parse", "HEAD")
    commit_as(factory_repo, "test@example.com", "code")
    assert fos(factory_repo, "check", "--range", f"{base}..HEAD").code == 0  # warm the cache
    args = ["-X", "importtime", "-m", "factory_os", "check", "--range", f"{base}..HEAD"]
    proc = subprocess.run([sys.executable, *args], cwd=factory_repo, capture_output=True,
                          text=True, check=False)  # fmt: skip
    imported = {line.split("|")[-1].strip() for line in proc.stderr.splitlines() if "|" in line}
    assert proc.returncode == 0, proc.stdout
    assert "factory_os.work.extras" in imported
    assert not imported & {"factory_os.work.rangecheck", "factory_os.work.replay", "pydantic"}


def test_a_sign_off_on_a_kept_base_loads_only_the_judge(item: tuple[Path, str, str]) -> None:
    """On a base judged before, a range adding a sign-off imports neither the models nor
    what reads or writes the work tree's ledger, nor what they cost to import."""
    repo, spec_id, _ = item
    assert record(repo, spec_id, "intake").code == 0
    base = commit_as(repo, EMAIL["bob"], "evidence")
    assert as_member(repo, "olivia", "signoff", spec_id, "--stage", "intake").code == 0
    commit_as(repo, EMAIL["olivia"], "signed")
    assert check_range(repo, base) == (0, [])  # keeps the base
    args = ["-X", "importtime", "-m", "factory_os", "check", "--range", f"{base}..HEAD"]
    proc = subprocess.run([sys.executable, *args], cwd=repo, capture_output=True, text=True,
                          check=False)  # fmt: skip
    imported = {line.split("|")[-1].strip() for line in proc.stderr.splitlines() if "|" in line}
    assert proc.returncode == 0, proc.stdout
    assert "factory_os.work.gatecheck" in imported
    heavy = {"pydantic", "ruamel.yaml", "factory_os.store", "factory_os.ledger.events",
             "factory_os.work.runstate", "dataclasses",
             "tempfile", "fractions", "subprocess", "threading"}  # fmt: skip
    assert not imported & heavy, imported & heavy


def test_each_added_line_is_read_once(
    item: tuple[Path, str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The ledger's integrity, provenance and the lifecycle's replay share one reading of
    each line a range adds."""
    from factory_os.ledger import line

    repo, spec_id, base = item
    assert record(repo, spec_id, "intake").code == 0
    commit_as(repo, EMAIL["bob"], "evidence")
    assert as_member(repo, "olivia", "signoff", spec_id, "--stage", "intake").code == 0
    commit_as(repo, EMAIL["olivia"], "signed")
    read: list[bytes] = []
    parse_full = line.parse_full

    def counted(raw: bytes) -> dict[str, object] | str:
        read.append(raw)
        return parse_full(raw)

    monkeypatch.setattr(line, "parse_full", counted)
    assert check_range(repo, base) == (0, [])
    assert len(read) == 2 and len(set(read)) == 2, read


def test_a_staged_sign_off_is_committed_by_its_member_only(item: tuple[Path, str, str]) -> None:
    repo, spec_id, _base = item
    assert fos(repo, "hooks", "install").code == 0
    assert record(repo, spec_id, "intake").code == 0
    git(repo, "add", "-A")
    git(repo, "-c", f"user.email={EMAIL['bob']}", "commit", "-q", "-m", "evidence")
    assert as_member(repo, "olivia", "signoff", spec_id, "--stage", "intake").code == 0
    git(repo, "add", "-A")

    def commit(member: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["git", "-c", f"user.email={EMAIL[member]}", "commit", "-m", "sign"],
                              cwd=repo, capture_output=True, text=True, check=False)  # fmt: skip

    proc = commit("bob")
    assert proc.returncode != 0, proc.stdout + proc.stderr
    assert "names olivia as its actor, but bob commits it" in proc.stdout + proc.stderr
    proc = commit("olivia")
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_events_the_base_cannot_judge_are_blocked(item: tuple[Path, str, str]) -> None:
    """Fail closed: no lifecycle.yaml at the base, no gate passes."""
    repo, spec_id, _base = item
    git(repo, "rm", "-q", ".factory/lifecycle.yaml")
    base = commit_as(repo, EMAIL["olivia"], "no lifecycle")
    advance_by_hand(repo, spec_id)
    commit_as(repo, EMAIL["olivia"], "skip intake")
    result = fos(repo, "check", "--range", f"{base}..HEAD", "--format", "json")
    [found] = [f for f in findings(result.out) if f["rule_id"] == "fos:lifecycle-gate"]
    assert result.code == 1 and "cannot be judged" in found["message"]
    assert ".factory/lifecycle.yaml" in found["message"]


def test_recorded_files_edited_without_an_event_are_blocked(item: tuple[Path, str, str]) -> None:
    """No lifecycle event in the range: the items whose recorded files it changes are judged."""
    repo, spec_id, _base = item
    assert record(repo, spec_id, "intake").code == 0
    base = commit_as(repo, EMAIL["bob"], "evidence")
    evidence = repo / ".factory" / "specs" / spec_id / "intake.md"
    evidence.write_text(evidence.read_text() + "\nA late addition.\n")
    spec = repo / ".factory" / "specs" / spec_id / "spec.md"
    spec.write_text(spec.read_text().replace("owner: olivia", "owner: otto"))
    commit_as(repo, EMAIL["olivia"], "hand edits")
    assert check_range(repo, base) == (1, ["fos:lifecycle-evidence", "fos:lifecycle-hand-edit"])
