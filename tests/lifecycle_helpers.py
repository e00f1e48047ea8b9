"""Helpers for the lifecycle tests: a team with every role, evidence files, an item walked
through its stages with real `fos` commands."""

from __future__ import annotations

import json
from pathlib import Path

from tests.helpers import Result, as_author, commit_all, write_tree

TEAM = """\
members:
  - {id: olivia, name: Olivia, kind: human, roles: [owner], emails: [olivia@example.com]}
  - {id: sam, name: Sam, kind: human, roles: [sponsor], emails: [sam@example.com]}
  - {id: bob, name: Bob, kind: agent, roles: [builder], emails: [bob@example.com]}
  - {id: rita, name: Rita, kind: human, roles: [reviewer], emails: [rita@example.com]}
  - {id: sara, name: Sara, kind: human, roles: [safety-lead], emails: [sara@example.com]}
  - {id: otto, name: Otto, kind: human, roles: [owner, reviewer, safety-lead],
     emails: [otto@example.com]}
  - {id: test, name: Test, kind: human, roles: [owner], emails: [test@example.com]}
"""
EMAIL = {name: f"{name}@example.com" for name in ("olivia", "sam", "bob", "rita", "sara", "otto")}
ATTACK_CLASSES = ("prompt-injection", "data-exfiltration", "jailbreak", "tool-misuse")
# the member that signs each stage of the default lifecycle
SIGNERS = {
    "intake": [("olivia", "owner")],
    "rank": [("sam", "sponsor")],
    "spec": [("olivia", "owner")],
    "build": [("olivia", "owner")],
    "eval": [("rita", "reviewer")],
    "red-team": [("sara", "safety-lead")],
    "port": [("rita", "reviewer")],
    "launch": [("olivia", "owner"), ("sam", "sponsor")],
}


def make_team(repo: Path) -> None:
    write_tree(repo / ".factory", {"team.yaml": TEAM})
    commit_all(repo, "the team")


def as_member(repo: Path, member: str, *args: str) -> Result:
    return as_author(EMAIL[member], repo, *args, "--actor", member)


def new_item(repo: Path, *extra: str) -> str:
    args = ["spec", "new", "--title", "Triage agent", "--owner", "olivia", "--sponsor", "sam"]
    args += ["--builder", "bob", "--reviewer", "rita", "--safety-lead", "sara"]
    args += ["--platform", "slack", "--cost-ceiling", "200 USD/month", *extra]
    result = as_member(repo, "olivia", *args)
    assert result.code == 0, result.output
    return result.out.strip()


def cases(count: int, *, failed: int = 0, critical: int = 0, critical_failed: int = 0) -> str:
    """A case report: COUNT cases across the attack classes, the first CRITICAL critical."""
    report = [
        {
            "id": f"case-{index}",
            "outcome": "fail"
            if index < critical_failed or critical <= index < critical + failed
            else "pass",
            "critical": index < critical,
            "attack_class": ATTACK_CLASSES[index % len(ATTACK_CLASSES)],
        }
        for index in range(count)
    ]
    return json.dumps({"cases": report}, indent=2) + "\n"


def markdown(*sections: str) -> str:
    return "# Evidence\n" + "".join(f"\n## {name}\n\nWritten.\n" for name in sections)


EVIDENCE = {
    "intake": markdown("Problem", "Who asks", "Expected value"),
    "rank": "scores: {value: 5, feasibility: 4, safety: 4, maintenance-burden: 3,"
    " platform-fit: 4}\n",
    "build": "version: 1.0.0\nkind: prompt-pack\nref: prompts/triage@v1\n",
    "eval": cases(20, failed=1),
    "red-team": cases(20, critical=4),
    "port": markdown("Platform", "Changes", "Verified"),
    "launch": "date: 2026-12-01\nowner: olivia\nthresholds:\n"
    "  - {name: eval pass rate, value: '0.95', met: true}\n"
    "cost_ceiling: 200 USD/month\nrisk_acceptance: Sam accepts the residual risk.\n",
}


def record(repo: Path, spec_id: str, stage: str, text: str | None = None) -> Result:
    """Record STAGE's evidence (default: passing evidence) as the item's builder."""
    if stage == "spec":
        path = repo / ".factory" / "specs" / spec_id / "spec.md"
        path.write_text(path.read_text().replace("(to write)", "Written."))
        return as_member(repo, "bob", "spec", "evidence", spec_id, "--stage", stage)
    source = repo.parent / f"{stage}.evidence"
    source.write_text(EVIDENCE[stage] if text is None else text)
    return as_member(
        repo, "bob", "spec", "evidence", spec_id, "--stage", stage, "--file", str(source)
    )


def pass_stage(repo: Path, spec_id: str, stage: str) -> None:
    """Record STAGE's evidence, sign it and advance: the gate holds."""
    result = record(repo, spec_id, stage)
    assert result.code == 0, result.output
    for member, role in SIGNERS[stage]:
        signed = as_member(repo, member, "signoff", spec_id, "--stage", stage, "--as", role)
        assert signed.code == 0, signed.output
    advanced = as_member(repo, "olivia", "spec", "advance", spec_id)
    assert advanced.code == 0, advanced.output


def walk_to(repo: Path, spec_id: str, stage: str) -> None:
    """Pass every stage before STAGE."""
    for name in SIGNERS:
        if name == stage:
            return
        pass_stage(repo, spec_id, name)
