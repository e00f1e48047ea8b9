"""Lifecycle findings name `path:line`: the ledger line that adds a refused event, the
line of an evidence file that is not valid evidence (real git, `fos check`)."""

from __future__ import annotations

import hashlib
from pathlib import Path

from tests.checks_helpers import findings
from tests.helpers import fos, git
from tests.work.test_gatecheck import commit_as, forge, item, work_repo

__all__ = ["item", "work_repo"]  # the fixtures


def _where(repo: Path, entry_id: str) -> tuple[str, int]:
    """The segment (factory-relative) and line number holding the entry ENTRY_ID."""
    for segment in sorted((repo / ".factory" / "ledger").glob("*.jsonl")):
        for number, line in enumerate(segment.read_text().splitlines(), 1):
            if line.startswith(entry_id):
                return segment.relative_to(repo).as_posix(), number
    raise AssertionError(f"no line {entry_id}")


def _lifecycle(result_out: str) -> list[dict[str, object]]:
    return [f for f in findings(result_out) if str(f["rule_id"]).startswith("fos:lifecycle")]


def test_a_refused_event_is_named_by_its_ledger_line(item: tuple[Path, str, str]) -> None:
    repo, spec_id, base = item
    ident = forge(repo, kind="stage.advanced", actor="olivia", subject=spec_id,
                  data={"from": "intake", "to": "rank"})  # fmt: skip
    path, line = _where(repo, ident)
    git(repo, "add", "-A")
    staged = _lifecycle(fos(repo, "check", "--staged", "--format", "json").out)
    assert [(f["path"], f["line"]) for f in staged] == [(path, line)]
    commit_as(repo, "olivia", "skip intake")
    result = fos(repo, "check", "--range", f"{base}..HEAD", "--format", "json")
    [finding] = _lifecycle(result.out)
    assert (finding["rule_id"], finding["path"], finding["line"]) == (
        "fos:lifecycle-gate", path, line,
    )  # fmt: skip
    text = fos(repo, "check", "--range", f"{base}..HEAD")
    assert f"{path}:{line}: block: {spec_id}: stage.advanced past intake" in text.out
    # each line of the gate that did not hold, with who can unblock it
    assert "intake-form: not recorded (intake.md) [olivia]" in str(finding["message"])


def test_evidence_that_is_not_valid_is_named_at_its_line(item: tuple[Path, str, str]) -> None:
    """A record written by hand for a file that is not valid evidence: the finding names
    the line of the file that fails, as `fos spec evidence` would have refused it."""
    repo, spec_id, base = item
    rel = f".factory/specs/{spec_id}/intake.md"
    text = "# Intake\n\n## Problem\n\nSlow.\n\n## Who asks\n\n## Expected value\n\nFast.\n"
    (repo / rel).write_text(text)
    data = {"stage": "intake", "evidence": "intake-form", "figures": {"sections": 3}}
    refs = [(rel, hashlib.sha256(text.encode()).hexdigest())]
    forge(repo, kind="evidence.recorded", actor="bob", subject=spec_id, refs=refs, data=data)
    commit_as(repo, "bob")
    result = fos(repo, "check", "--range", f"{base}..HEAD", "--format", "json")
    [finding] = _lifecycle(result.out)
    assert finding["rule_id"] == "fos:lifecycle-evidence"
    assert (finding["path"], finding["line"]) == (rel, 7)
    assert "section `## Who asks` is not written" in str(finding["message"])
