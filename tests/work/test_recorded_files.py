"""A file the ledger recorded and fos never rewrites in place (a run's `run.yaml`, its
artifacts, a work item's evidence) edited by hand afterwards is a blocking finding of
the check, staged and in a range, naming the file; recording a new version is not."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from factory_os import store
from factory_os.ledger import events
from tests.checks_helpers import findings
from tests.helpers import author, fos, git
from tests.test_example_repo import paylane

SHIPPED = ".factory/runs/run_8a143cf4"
STOPPED = ".factory/runs/run_894c9a2a"
LAUNCHED = ".factory/specs/SP-e7ac9a"
__all__ = ["paylane"]  # the worked example in a repository of its own (a fixture)


def _edit(repo: Path, path: str, old: str, new: str) -> None:
    target = repo / path
    text = target.read_text(encoding="utf-8")
    assert old in text
    target.write_text(text.replace(old, new, 1), encoding="utf-8")


def _blocking(repo: Path, *args: str) -> dict[str, str]:
    """path -> rule of each blocking finding of `fos check ARGS`."""
    result = fos(repo, "check", *args, "--format", "json")
    return {f["path"]: f["rule_id"] for f in findings(result.out) if f["severity"] == "block"}


@pytest.mark.parametrize(
    ("path", "old", "new", "rule"),
    [
        (f"{STOPPED}/run.yaml", "title: ", "title: Quietly renamed ", "fos:run-artifact"),
        (f"{SHIPPED}/plan.json", '"title": "', '"title": "Quietly ', "fos:run-artifact"),
        (f"{SHIPPED}/run.yaml", "ship: review", "ship: auto", "fos:run-artifact"),
        (f"{LAUNCHED}/eval.json", '"fail"', '"pass"', "fos:lifecycle-evidence"),
    ],
)
def test_a_recorded_file_edited_by_hand_is_blocked(
    paylane: Path, path: str, old: str, new: str, rule: str
) -> None:
    _edit(paylane, path, old, new)
    git(paylane, "add", "-A")
    assert _blocking(paylane, "--staged") == {path: rule}
    git(paylane, "commit", "-q", "--no-verify", "-m", "a quiet edit")
    assert _blocking(paylane, "--range", "HEAD~1..HEAD") == {path: rule}


def test_a_recorded_file_deleted_is_blocked(paylane: Path) -> None:
    (paylane / STOPPED / "run.yaml").unlink()
    git(paylane, "add", "-A")
    git(paylane, "commit", "-q", "--no-verify", "-m", "gone")
    assert _blocking(paylane, "--range", "HEAD~1..HEAD") == {
        f"{STOPPED}/run.yaml": "fos:run-artifact"
    }


def _recorded_by_hand(
    repo: Path, event: str, subject: str, path: str, actor: str = "forge", **data: object
) -> None:
    """A ledger line EVENT of SUBJECT by ACTOR naming PATH with its digest as the
    worktree holds it."""
    digest = hashlib.sha256((repo / path).read_bytes()).hexdigest()
    factory = store.find_factory(repo)
    refs = [(path, digest)]
    events.append(factory, kind=event, actor=actor, subject=subject, refs=refs, data=data)


def _refused_lines(repo: Path, *args: str) -> list[dict[str, object]]:
    """The blocking run-artifact findings of `fos check ARGS` at a ledger line."""
    result = fos(repo, "check", *args, "--format", "json")
    return [
        f
        for f in findings(result.out)
        if f["rule_id"] == "fos:run-artifact" and str(f["path"]).startswith(".factory/ledger/")
    ]


@pytest.mark.parametrize(
    ("kind", "subject"),
    [
        ("run.started", "run_8a143cf4"),  # the run again, which the base already has
        ("attempt.recorded", "run_00000000"),  # an event of a run that was never started
        (None, ""),  # the edit alone
    ],
)
def test_an_edited_run_yaml_is_not_excused_by_an_event_naming_it(
    paylane: Path, kind: str | None, subject: str
) -> None:
    path = f"{SHIPPED}/run.yaml"
    _edit(paylane, path, "ship: review", "ship: auto")
    if kind is not None:  # the committer (forge, the builder) writes a line naming the file
        _recorded_by_hand(paylane, kind, subject, path, task="t1", agent="forge", result="pass")
    git(paylane, "add", "-A")
    assert _blocking(paylane, "--staged").get(path) == "fos:run-artifact"
    git(paylane, "commit", "-q", "--no-verify", "-m", "ship without review")
    blocking = _blocking(paylane, "--range", "HEAD~1..HEAD")
    assert blocking.get(path) == "fos:run-artifact", blocking
    # and the line itself is refused where it stands, at path:line
    refused = _refused_lines(paylane, "--range", "HEAD~1..HEAD")
    assert len(refused) == (kind is not None), refused
    for finding in refused:
        assert finding["line"] and str(kind) in str(finding["message"]), finding


def test_a_refused_change_of_gates_does_not_excuse_the_run_yaml_it_names(paylane: Path) -> None:
    path = f"{STOPPED}/run.yaml"  # its ship gate is waiting for a person
    _edit(paylane, path, "ship: review", "ship: auto")
    gates = {"spec": "auto", "plan": "auto", "ship": "auto"}
    _recorded_by_hand(paylane, "run.gates_changed", "run_894c9a2a", path, gates=gates, reason="x")
    git(paylane, "add", "-A")
    git(paylane, "commit", "-q", "--no-verify", "-m", "ship without review")
    result = fos(paylane, "check", "--range", "HEAD~1..HEAD", "--format", "json")
    rules = {(f["path"], f["rule_id"]) for f in findings(result.out) if f["severity"] == "block"}
    assert (path, "fos:run-artifact") in rules, rules
    assert any(rule == "fos:run-gates" for _, rule in rules), rules


def test_a_change_of_gates_naming_a_file_it_does_not_match_is_blocked(paylane: Path) -> None:
    path = f"{SHIPPED}/run.yaml"
    gates = {"spec": "auto", "plan": "auto", "ship": "review"}
    _recorded_by_hand(paylane, "run.gates_changed", "run_8a143cf4", path, "ana", gates=gates)
    _edit(paylane, path, "title: ", "title: Quietly renamed ")  # after the line's digest
    git(paylane, "add", "-A")
    with author("ana@paylane.example"):  # an approver: the change of gates itself stands
        git(paylane, "commit", "-q", "--no-verify", "-m", "renamed")
    assert _blocking(paylane, "--range", "HEAD~1..HEAD").get(path) == "fos:run-artifact"


def test_an_artifact_rewritten_in_place_and_recorded_again_is_blocked(paylane: Path) -> None:
    path = f"{SHIPPED}/plan.json"  # a new version is a new file (plan.v2.json)
    _edit(paylane, path, '"title": "', '"title": "Quietly ')
    version = {"kind": "plan", "name": "plan.json", "version": 2}
    _recorded_by_hand(paylane, "artifact.recorded", "run_8a143cf4", path, "forge", **version)
    git(paylane, "add", "-A")
    git(paylane, "commit", "-q", "--no-verify", "-m", "the plan again")
    assert _blocking(paylane, "--range", "HEAD~1..HEAD").get(path) == "fos:run-artifact"
