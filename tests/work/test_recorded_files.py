"""A file the ledger recorded and fos never rewrites in place (a run's `run.yaml`, its
artifacts, a work item's evidence) edited by hand afterwards is a blocking finding of
the check, staged and in a range, naming the file; recording a new version is not."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.checks_helpers import findings
from tests.helpers import fos, git
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
